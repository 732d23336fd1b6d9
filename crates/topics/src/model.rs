//! The records the service keeps: topics, subscriptions, queued deliveries
//! and mailbox messages. Each is stored as one JSON document (see `db`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::retry::RetryPolicy;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    pub arn: String,
    pub name: String,
    /// Attributes the caller set (`DisplayName`, `Policy`, `DeliveryPolicy`,
    /// …). Computed ones (`Owner`, counts) are added by GetTopicAttributes.
    pub attributes: BTreeMap<String, String>,
    pub tags: Vec<(String, String)>,
    #[serde(default)]
    pub subscriptions_deleted: u64,
}

impl Topic {
    pub fn is_fifo(&self) -> bool {
        self.attributes.get("FifoTopic").map(String::as_str) == Some("true")
    }

    pub fn display_name(&self) -> Option<&str> {
        self.attributes
            .get("DisplayName")
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    pub arn: String,
    pub topic_arn: String,
    pub protocol: String,
    pub endpoint: String,
    pub owner: String,
    pub confirmed: bool,
    /// The confirmation token sent to the endpoint (valid until confirmed).
    pub token: String,
    /// ConfirmSubscription was called with credentials (or auto-confirmed).
    #[serde(default)]
    pub authenticated: bool,
    /// Confirmed with `AuthenticateOnUnsubscribe=true`: only signed
    /// Unsubscribe calls may remove it.
    #[serde(default)]
    pub authenticate_on_unsubscribe: bool,
    /// `RawMessageDelivery`, `FilterPolicy`, `FilterPolicyScope`, `DeliveryPolicy`, …
    pub attributes: BTreeMap<String, String>,
}

impl Subscription {
    pub fn raw(&self) -> bool {
        self.attributes
            .get("RawMessageDelivery")
            .map(String::as_str)
            == Some("true")
    }

    /// What ListSubscriptions shows: the ARN, or `PendingConfirmation`.
    pub fn listed_arn(&self) -> &str {
        if self.confirmed {
            &self.arn
        } else {
            "PendingConfirmation"
        }
    }
}

/// A message attribute (`DataType` with `StringValue` or `BinaryValue`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageAttribute {
    pub data_type: String,
    pub string_value: Option<String>,
    pub binary_value: Option<Vec<u8>>,
}

/// What is published (Publish, one PublishBatch entry, or sns:publish).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PublishInput {
    pub topic_arn: Option<String>,
    pub target_arn: Option<String>,
    pub phone_number: Option<String>,
    pub message: Option<String>,
    pub subject: Option<String>,
    pub message_structure: Option<String>,
    pub attributes: BTreeMap<String, MessageAttribute>,
    pub group_id: Option<String>,
    pub deduplication_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub message_id: String,
    /// FIFO topics only.
    pub sequence_number: Option<String>,
}

/// What a delivery carries to its endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Notification,
    SubscriptionConfirmation,
    UnsubscribeConfirmation,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Notification => "Notification",
            Kind::SubscriptionConfirmation => "SubscriptionConfirmation",
            Kind::UnsubscribeConfirmation => "UnsubscribeConfirmation",
        }
    }
}

/// One message for one subscription, queued in the outbox until its
/// endpoint took it. Self-contained: delivering it needs no other record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub kind: Kind,
    pub message_id: String,
    pub topic_arn: String,
    pub subscription_arn: String,
    pub protocol: String,
    pub endpoint: String,
    pub subject: Option<String>,
    /// The text for this protocol (after `MessageStructure: json`).
    pub message: String,
    /// Publish time, `2024-01-01T12:00:00.123Z`.
    pub timestamp: String,
    pub attributes: BTreeMap<String, MessageAttribute>,
    pub raw: bool,
    /// Confirmation token (confirmation kinds only).
    pub token: Option<String>,
    /// "1" (SHA1withRSA) or "2" (SHA256withRSA).
    pub signature_version: String,
    pub display_name: Option<String>,
    /// `headerContentType` of the HTTP delivery policy.
    pub content_type: Option<String>,
    pub retry: RetryPolicy,
}

/// A message in the built-in mailbox (the contract of `GET /_baton/mailbox`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailItem {
    pub id: String,
    pub topic_arn: String,
    pub subscription_arn: String,
    pub to: String,
    pub from: String,
    pub subject: String,
    pub body: String,
    /// RFC 3339.
    pub sent_at: String,
}
