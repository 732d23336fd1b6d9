//! Input checks of the SNS operations, with AWS's error codes and
//! messages ("Invalid parameter: …"). Pure functions over the inputs.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::SnsError;
use crate::filter::{FilterPolicy, Scope};
use crate::model::{MessageAttribute, PublishInput};

type Result<T> = std::result::Result<T, SnsError>;

pub(crate) const MAX_TAGS: usize = 50;
const MAX_ATTRIBUTES: usize = 10;

/// Protocols SNS knows; Baton delivers to the first five.
pub(crate) const DELIVERED: &[&str] = &["http", "https", "email", "email-json", "lambda"];
pub(crate) const KNOWN: &[&str] = &[
    "http",
    "https",
    "email",
    "email-json",
    "lambda",
    "sms",
    "sqs",
    "application",
    "firehose",
];

/// `arn:aws:sns:<region>:<account>:<name>[:<subscription id>]`, checked.
pub(crate) fn check_arn(arn: &str, member: &str, parts: usize) -> Result<()> {
    let p: Vec<&str> = arn.split(':').collect();
    if p.len() == parts
        && p[0] == "arn"
        && p[2] == "sns"
        && p[1].starts_with("aws")
        && p[5..].iter().all(|s| !s.is_empty())
    {
        Ok(())
    } else {
        Err(SnsError::invalid(member))
    }
}

pub(crate) fn valid_topic_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub(crate) fn check_topic_attribute(name: &str, value: &str, creating: bool) -> Result<()> {
    let feedback = ["HTTP", "Lambda", "SQS", "Firehose", "Application"]
        .iter()
        .any(|p| {
            name.strip_prefix(p).is_some_and(|rest| {
                [
                    "SuccessFeedbackRoleArn",
                    "SuccessFeedbackSampleRate",
                    "FailureFeedbackRoleArn",
                ]
                .contains(&rest)
            })
        });
    match name {
        "DisplayName" => {
            if value.chars().count() > 100 {
                return Err(SnsError::invalid("DisplayName"));
            }
        }
        "Policy" | "DeliveryPolicy" | "DataProtectionPolicy" | "ArchivePolicy" => {
            if !value.is_empty()
                && serde_json::from_str::<Value>(value)
                    .map(|v| !v.is_object())
                    .unwrap_or(true)
            {
                return Err(SnsError::invalid(format!("{name}: Invalid JSON")));
            }
        }
        "SignatureVersion" => {
            if value != "1" && value != "2" {
                return Err(SnsError::invalid("SignatureVersion"));
            }
        }
        "TracingConfig" => {
            if value != "PassThrough" && value != "Active" {
                return Err(SnsError::invalid("TracingConfig"));
            }
        }
        "ContentBasedDeduplication" | "FifoTopic" => {
            if value != "true" && value != "false" {
                return Err(SnsError::invalid(name));
            }
            if name == "FifoTopic" && !creating {
                return Err(SnsError::invalid("AttributeName"));
            }
        }
        "KmsMasterKeyId" | "FifoThroughputScope" => {}
        _ if feedback => {}
        _ => return Err(SnsError::invalid("AttributeName")),
    }
    Ok(())
}

pub(crate) fn parse_bool_attr(name: &str, value: &str) -> Result<()> {
    if value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false") {
        Ok(())
    } else {
        Err(SnsError::invalid(format!(
            "Attributes Reason: {name}: Invalid value [{value}]. Must be true or false."
        )))
    }
}

pub(crate) fn check_email(endpoint: &str) -> bool {
    let Some((local, domain)) = endpoint.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !endpoint
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
}

pub(crate) fn message_size(input: &PublishInput) -> usize {
    input.message.as_deref().map_or(0, str::len)
        + input
            .attributes
            .iter()
            .map(|(k, a)| {
                k.len()
                    + a.data_type.len()
                    + a.string_value.as_deref().map_or(0, str::len)
                    + a.binary_value.as_ref().map_or(0, Vec::len)
            })
            .sum::<usize>()
}

pub(crate) fn check_message_attributes(
    attributes: &BTreeMap<String, MessageAttribute>,
) -> Result<()> {
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(SnsError::invalid_value(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].",
            attributes.len()
        )));
    }
    for (name, a) in attributes {
        let name_ok = !name.is_empty()
            && name.len() <= 256
            && !name.starts_with('.')
            && !name.ends_with('.')
            && !name.contains("..")
            && !name.to_ascii_lowercase().starts_with("aws.")
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if !name_ok {
            return Err(SnsError::invalid_value(format!(
                "The message attribute name '{name}' is invalid."
            )));
        }
        let t = a.data_type.as_str();
        let base = t.split('.').next().unwrap_or("");
        if !["String", "Number", "Binary"].contains(&base) || t.len() > 256 {
            return Err(SnsError::invalid_value(format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            )));
        }
        let empty = match base {
            "Binary" => a.binary_value.as_ref().is_none_or(Vec::is_empty),
            _ => a.string_value.as_deref().is_none_or(str::is_empty),
        };
        if empty {
            return Err(SnsError::invalid_value(format!(
                "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{t}'."
            )));
        }
        if base == "Number" {
            let s = a.string_value.as_deref().unwrap_or("");
            if s.trim()
                .parse::<f64>()
                .map(|n| !n.is_finite())
                .unwrap_or(true)
            {
                return Err(SnsError::invalid_value(format!(
                    "Could not cast message attribute '{name}' value to number."
                )));
            }
        }
        if t == "String.Array" {
            let s = a.string_value.as_deref().unwrap_or("");
            if !matches!(serde_json::from_str::<Value>(s), Ok(Value::Array(_))) {
                return Err(SnsError::invalid_value(format!(
                    "The message attribute '{name}' with type 'String.Array' must use field 'String'."
                )));
            }
        }
    }
    Ok(())
}

pub(crate) fn check_endpoint(protocol: &str, endpoint: &str) -> Result<()> {
    let ok = match protocol {
        "email" | "email-json" => {
            if !check_email(endpoint) {
                return Err(SnsError::invalid("Email address"));
            }
            true
        }
        "http" | "https" => {
            let scheme_ok = endpoint
                .get(..protocol.len() + 3)
                .is_some_and(|p| p.eq_ignore_ascii_case(&format!("{protocol}://")));
            if !scheme_ok {
                return Err(SnsError::invalid(
                    "Endpoint must match the specified protocol",
                ));
            }
            reqwest::Url::parse(endpoint).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
        }
        "lambda" => {
            let p: Vec<&str> = endpoint.split(':').collect();
            p.len() >= 7
                && p[0] == "arn"
                && p[2] == "lambda"
                && p[5] == "function"
                && !p[6].is_empty()
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(SnsError::invalid("Endpoint"))
    }
}

pub(crate) fn check_subscription_attribute(
    protocol: &str,
    name: &str,
    value: &str,
    all: &BTreeMap<String, String>,
) -> Result<()> {
    match name {
        "RawMessageDelivery" => {
            parse_bool_attr(name, value)?;
            if value.eq_ignore_ascii_case("true")
                && !matches!(protocol, "http" | "https" | "sqs" | "firehose")
            {
                return Err(SnsError::invalid(format!(
                    "Attributes Reason: RawMessageDelivery: Invalid value [{value}]. Raw message delivery is not supported for protocol {protocol}"
                )));
            }
        }
        "FilterPolicy" => {
            if !value.is_empty() {
                let scope = all
                    .get("FilterPolicyScope")
                    .map(|s| Scope::parse(s))
                    .transpose()?
                    .unwrap_or(Scope::MessageAttributes);
                FilterPolicy::parse(value, scope)?;
            }
        }
        "FilterPolicyScope" => {
            let scope = Scope::parse(value)?;
            if let Some(p) = all.get("FilterPolicy").filter(|p| !p.is_empty()) {
                FilterPolicy::parse(p, scope)?;
            }
        }
        "DeliveryPolicy" => {
            if !protocol.starts_with("http") {
                return Err(SnsError::invalid(
                    "Attributes Reason: DeliveryPolicy: Delivery policy can only be set for HTTP/S subscriptions",
                ));
            }
            if !value.is_empty()
                && !matches!(serde_json::from_str::<Value>(value), Ok(Value::Object(_)))
            {
                return Err(SnsError::invalid("DeliveryPolicy: Invalid JSON"));
            }
        }
        "RedrivePolicy" | "ReplayPolicy" => {
            if !value.is_empty()
                && !matches!(serde_json::from_str::<Value>(value), Ok(Value::Object(_)))
            {
                return Err(SnsError::invalid(format!("{name}: Invalid JSON")));
            }
        }
        "SubscriptionRoleArn" => {}
        _ => return Err(SnsError::invalid("AttributeName")),
    }
    Ok(())
}

pub(crate) fn check_tags(tags: &[(String, String)]) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(SnsError::new(
            "TagLimitExceeded",
            "Could not complete request: tag quota of per resource exceeded",
        ));
    }
    for (k, v) in tags {
        if k.is_empty()
            || k.chars().count() > 128
            || v.chars().count() > 256
            || k.to_ascii_lowercase().starts_with("aws:")
        {
            return Err(SnsError::new(
                "TagPolicy",
                format!("Invalid tag: key '{k}'"),
            ));
        }
    }
    Ok(())
}
