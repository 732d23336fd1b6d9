//! What endpoints receive, byte for byte as AWS sends it: the JSON
//! envelope of HTTP/S and `email-json` deliveries with its canonical string
//! to sign, the `lambda` event, and the e-mail texts.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::model::{Delivery, Kind, MessageAttribute};

/// Links and signing for one delivery.
pub struct Links<'a> {
    /// `http://host:port` of this Baton.
    pub base_url: &'a str,
}

impl Links<'_> {
    pub fn signing_cert_url(&self) -> String {
        format!("{}/_baton/sns/SimpleNotificationService.pem", self.base_url)
    }

    pub fn unsubscribe_url(&self, subscription_arn: &str) -> String {
        format!(
            "{}/?Action=Unsubscribe&SubscriptionArn={}",
            self.base_url,
            encode(subscription_arn)
        )
    }

    pub fn subscribe_url(&self, topic_arn: &str, token: &str) -> String {
        format!(
            "{}/?Action=ConfirmSubscription&TopicArn={}&Token={}",
            self.base_url,
            encode(topic_arn),
            encode(token)
        )
    }
}

/// Percent-encodes a query value (ARNs keep their `:`, as AWS's links do).
pub fn encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b':')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// The `MessageAttributes` member of envelopes: `{name: {Type, Value}}`.
pub fn attributes_json(attributes: &BTreeMap<String, MessageAttribute>) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut map = serde_json::Map::new();
    for (name, a) in attributes {
        let value = match (&a.string_value, &a.binary_value) {
            (Some(s), _) => s.clone(),
            (None, Some(b)) => b64.encode(b),
            (None, None) => String::new(),
        };
        map.insert(name.clone(), json!({"Type": a.data_type, "Value": value}));
    }
    Value::Object(map)
}

/// The fields of an envelope in AWS's order, before signing.
fn fields(d: &Delivery, links: &Links<'_>) -> Vec<(&'static str, String)> {
    let mut f = vec![
        ("Type", d.kind.as_str().to_string()),
        ("MessageId", d.message_id.clone()),
    ];
    match d.kind {
        Kind::Notification => {
            f.push(("TopicArn", d.topic_arn.clone()));
            if let Some(s) = &d.subject {
                f.push(("Subject", s.clone()));
            }
            f.push(("Message", d.message.clone()));
            f.push(("Timestamp", d.timestamp.clone()));
        }
        Kind::SubscriptionConfirmation | Kind::UnsubscribeConfirmation => {
            let token = d.token.clone().unwrap_or_default();
            f.push(("Token", token.clone()));
            f.push(("TopicArn", d.topic_arn.clone()));
            f.push(("Message", d.message.clone()));
            f.push(("SubscribeURL", links.subscribe_url(&d.topic_arn, &token)));
            f.push(("Timestamp", d.timestamp.clone()));
        }
    }
    f
}

/// AWS's string to sign: `Key\nValue\n` for a fixed list of keys, in
/// order, skipping absent ones.
pub fn string_to_sign(fields: &[(&'static str, String)]) -> String {
    let order: &[&str] = match fields
        .iter()
        .find(|(k, _)| *k == "Type")
        .map(|(_, v)| v.as_str())
    {
        Some("Notification") => &[
            "Message",
            "MessageId",
            "Subject",
            "Timestamp",
            "TopicArn",
            "Type",
        ],
        _ => &[
            "Message",
            "MessageId",
            "SubscribeURL",
            "Timestamp",
            "Token",
            "TopicArn",
            "Type",
        ],
    };
    let mut out = String::new();
    for key in order {
        if let Some((_, v)) = fields.iter().find(|(k, _)| k == key) {
            out.push_str(key);
            out.push('\n');
            out.push_str(v);
            out.push('\n');
        }
    }
    out
}

/// The signed envelope as AWS prints it (`"Key" : value` lines).
pub fn envelope(d: &Delivery, links: &Links<'_>, sign: impl Fn(&str, &str) -> String) -> String {
    let mut f = fields(d, links);
    let signature = sign(&d.signature_version, &string_to_sign(&f));
    f.push(("SignatureVersion", d.signature_version.clone()));
    f.push(("Signature", signature));
    f.push(("SigningCertURL", links.signing_cert_url()));
    let mut lines: Vec<String> = f
        .iter()
        .map(|(k, v)| format!("  \"{k}\" : {}", Value::String(v.clone())))
        .collect();
    if d.kind == Kind::Notification {
        lines.push(format!(
            "  \"UnsubscribeURL\" : {}",
            Value::String(links.unsubscribe_url(&d.subscription_arn))
        ));
        if !d.attributes.is_empty() {
            let attrs: Vec<String> = attributes_json(&d.attributes)
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("    {} : {}", Value::String(k.clone()), v))
                        .collect()
                })
                .unwrap_or_default();
            lines.push(format!(
                "  \"MessageAttributes\" : {{\n{}\n  }}",
                attrs.join(",\n")
            ));
        }
    }
    format!("{{\n{}\n}}", lines.join(",\n"))
}

/// The event a `lambda` subscriber's function receives.
pub fn lambda_event(d: &Delivery, links: &Links<'_>, sign: impl Fn(&str, &str) -> String) -> Value {
    let f = fields(d, links);
    let signature = sign(&d.signature_version, &string_to_sign(&f));
    json!({"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": d.subscription_arn,
        "Sns": {
            "Type": "Notification",
            "MessageId": d.message_id,
            "TopicArn": d.topic_arn,
            "Subject": d.subject,
            "Message": d.message,
            "Timestamp": d.timestamp,
            "SignatureVersion": d.signature_version,
            "Signature": signature,
            "SigningCertUrl": links.signing_cert_url(),
            "UnsubscribeUrl": links.unsubscribe_url(&d.subscription_arn),
            "MessageAttributes": attributes_json(&d.attributes),
        }
    }]})
}

/// The `Message` of a SubscriptionConfirmation.
pub fn confirmation_message(topic_arn: &str) -> String {
    format!(
        "You have chosen to subscribe to the topic {topic_arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message."
    )
}

/// The `Message` of an UnsubscribeConfirmation.
pub fn unsubscribe_message(subscription_arn: &str) -> String {
    format!(
        "You have chosen to deactivate subscription {subscription_arn}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
    )
}

/// Subject and text of an `email` delivery (AWS's wording and footer).
pub fn email_text(d: &Delivery, links: &Links<'_>) -> (String, String) {
    match d.kind {
        Kind::Notification => {
            let subject = d
                .subject
                .clone()
                .unwrap_or_else(|| "AWS Notification Message".into());
            let body = format!(
                "{}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n{}\n\nPlease do not reply directly to this email. If you have any questions or comments regarding this email, please contact us at https://aws.amazon.com/support",
                d.message,
                links.unsubscribe_url(&d.subscription_arn)
            );
            (subject, body)
        }
        Kind::SubscriptionConfirmation => (
            "AWS Notification - Subscription Confirmation".into(),
            format!(
                "You have chosen to subscribe to the topic: \n{}\n\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary): \n{}\n\nPlease do not reply directly to this email. If you wish to remove yourself from receiving all future SNS subscription confirmation requests please send an email to sns-opt-out",
                d.topic_arn,
                links.subscribe_url(&d.topic_arn, d.token.as_deref().unwrap_or_default())
            ),
        ),
        Kind::UnsubscribeConfirmation => (
            "AWS Notification - Unsubscribe Confirmation".into(),
            unsubscribe_message(&d.subscription_arn),
        ),
    }
}

/// The `From` of e-mails: the topic's DisplayName, else "AWS Notifications".
pub fn email_from(display_name: Option<&str>, address: &str) -> String {
    let name = display_name
        .unwrap_or("AWS Notifications")
        .replace('"', "'");
    format!("{name} <{address}>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::RetryPolicy;

    fn delivery(kind: Kind) -> Delivery {
        Delivery {
            kind,
            message_id: "m-1".into(),
            topic_arn: "arn:aws:sns:us-east-1:123456789012:lottery".into(),
            subscription_arn: "arn:aws:sns:us-east-1:123456789012:lottery:s-1".into(),
            protocol: "http".into(),
            endpoint: "http://x/".into(),
            subject: Some("Winner!".into()),
            message: "Congrats!".into(),
            timestamp: "2024-01-01T12:00:00.123Z".into(),
            attributes: BTreeMap::new(),
            raw: false,
            token: Some("tok".into()),
            signature_version: "1".into(),
            display_name: None,
            content_type: None,
            retry: RetryPolicy::HTTP_DEFAULT,
        }
    }

    #[test]
    fn notification_string_to_sign_and_envelope() {
        let links = Links {
            base_url: "http://127.0.0.1:4566",
        };
        let d = delivery(Kind::Notification);
        let signed = std::cell::RefCell::new(String::new());
        let body = envelope(&d, &links, |_, text| {
            *signed.borrow_mut() = text.to_string();
            "SIG".into()
        });
        assert_eq!(
            signed.into_inner(),
            "Message\nCongrats!\nMessageId\nm-1\nSubject\nWinner!\nTimestamp\n2024-01-01T12:00:00.123Z\nTopicArn\narn:aws:sns:us-east-1:123456789012:lottery\nType\nNotification\n"
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["Signature"], "SIG");
        assert_eq!(
            v["SigningCertURL"],
            "http://127.0.0.1:4566/_baton/sns/SimpleNotificationService.pem"
        );
        assert_eq!(
            v["UnsubscribeURL"],
            "http://127.0.0.1:4566/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:lottery:s-1"
        );
        assert!(body.starts_with("{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"m-1\","));
        assert!(v.get("MessageAttributes").is_none());
    }

    #[test]
    fn confirmation_carries_token_and_subscribe_url() {
        let links = Links {
            base_url: "http://h:1",
        };
        let body = envelope(&delivery(Kind::SubscriptionConfirmation), &links, |_, _| {
            "S".into()
        });
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["Token"], "tok");
        assert_eq!(
            v["SubscribeURL"],
            "http://h:1/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:lottery&Token=tok"
        );
        assert!(v.get("Subject").is_none());
    }

    #[test]
    fn email_footer_links_to_unsubscribe() {
        let (subject, body) = email_text(
            &delivery(Kind::Notification),
            &Links {
                base_url: "http://h:1",
            },
        );
        assert_eq!(subject, "Winner!");
        assert!(body.starts_with("Congrats!\n\n--\nIf you wish to stop receiving notifications"));
        assert!(body.contains("http://h:1/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:lottery:s-1"));
    }
}
