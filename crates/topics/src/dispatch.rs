//! The Step Functions task integration `arn:aws:states:::sns:publish`
//! (request-response and `.waitForTaskToken`; the engine itself waits for
//! the token). Parameters are the Publish API's members in JSON, with a
//! `Message` object or array serialised to a JSON string as AWS does. The
//! result is AWS's SDK response envelope; errors are `SNS.<Exception>`
//! with a Java SDK-style cause. Other resources go to the next dispatcher.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use base64::Engine as _;
use engine::TaskResult;
use engine::durable::TaskDispatcher;
use serde_json::{Value, json};

use crate::error::SnsError;
use crate::model::{MessageAttribute, PublishInput};
use crate::service::Topics;

pub struct SnsDispatcher {
    topics: Topics,
    fallback: Arc<dyn TaskDispatcher>,
}

impl SnsDispatcher {
    pub fn new(topics: Topics, fallback: Arc<dyn TaskDispatcher>) -> SnsDispatcher {
        SnsDispatcher { topics, fallback }
    }
}

/// `arn:aws:states:::sns:publish` with an optional `.waitForTaskToken`.
fn is_publish(resource: &str) -> bool {
    let Some(rest) = resource.strip_prefix("arn:") else {
        return false;
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    parts.len() == 5
        && parts[1] == "states"
        && matches!(parts[4], "sns:publish" | "sns:publish.waitForTaskToken")
}

fn failed(e: &SnsError, request_id: &str) -> TaskResult {
    TaskResult::Failed {
        error: Some(format!("SNS.{}", e.exception())),
        cause: Some(format!(
            "{} (Service: AmazonSNS; Status Code: {}; Error Code: {}; Request ID: {request_id}; Proxy: null)",
            e.message,
            e.status(),
            e.code
        )),
    }
}

fn string_param(p: &Value, name: &str) -> Result<Option<String>, SnsError> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(SnsError::invalid(name)),
    }
}

/// The Publish input from the task's parameters.
pub fn publish_input(p: &Value) -> Result<PublishInput, SnsError> {
    if !p.is_object() {
        return Err(SnsError::invalid(
            "TopicArn or TargetArn Reason: no value for required parameter",
        ));
    }
    let message = match p.get("Message") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => Some(v.to_string()),
    };
    let mut attributes = BTreeMap::new();
    if let Some(attrs) = p.get("MessageAttributes") {
        let Value::Object(map) = attrs else {
            return Err(SnsError::invalid("MessageAttributes"));
        };
        for (name, a) in map {
            let data_type = a
                .get("DataType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let string_value = a
                .get("StringValue")
                .and_then(Value::as_str)
                .map(str::to_string);
            let binary_value = match a.get("BinaryValue").and_then(Value::as_str) {
                Some(b) => Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(b)
                        .map_err(|_| {
                            SnsError::invalid_value(format!(
                                "The message attribute '{name}' has an invalid binary value."
                            ))
                        })?,
                ),
                None => None,
            };
            attributes.insert(
                name.clone(),
                MessageAttribute {
                    data_type,
                    string_value,
                    binary_value,
                },
            );
        }
    }
    Ok(PublishInput {
        topic_arn: string_param(p, "TopicArn")?,
        target_arn: string_param(p, "TargetArn")?,
        phone_number: string_param(p, "PhoneNumber")?,
        message,
        subject: string_param(p, "Subject")?,
        message_structure: string_param(p, "MessageStructure")?,
        attributes,
        group_id: string_param(p, "MessageGroupId")?,
        deduplication_id: string_param(p, "MessageDeduplicationId")?,
    })
}

/// AWS's result shape for a successful publish.
fn result(message_id: &str, sequence_number: Option<&str>, request_id: &str) -> Value {
    let mut xml_len = 294;
    if let Some(s) = sequence_number {
        xml_len += s.len() + 33;
    }
    let length = xml_len.to_string();
    let date = chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let mut out = json!({
        "MessageId": message_id,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "x-amzn-RequestId": [request_id],
                "connection": ["keep-alive"],
                "Content-Length": [length],
                "Date": [date],
                "Content-Type": ["text/xml"],
            },
            "HttpHeaders": {
                "connection": "keep-alive",
                "Content-Length": length,
                "Content-Type": "text/xml",
                "Date": date,
                "x-amzn-RequestId": request_id,
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
    });
    if let Some(s) = sequence_number {
        out["SequenceNumber"] = json!(s);
    }
    out
}

impl TaskDispatcher for SnsDispatcher {
    fn invoke(
        &self,
        request: asl::TaskRequest,
    ) -> Pin<Box<dyn Future<Output = TaskResult> + Send>> {
        if !is_publish(&request.resource) {
            return self.fallback.invoke(request);
        }
        let topics = self.topics.clone();
        Box::pin(async move {
            let request_id = uuid::Uuid::new_v4().to_string();
            let parameters = request.parameters;
            let outcome = tokio::task::spawn_blocking(move || {
                let input = publish_input(&parameters)?;
                topics.publish(input)
            })
            .await;
            match outcome {
                Ok(Ok(p)) => TaskResult::Succeeded(result(
                    &p.message_id,
                    p.sequence_number.as_deref(),
                    &request_id,
                )),
                Ok(Err(e)) => failed(&e, &request_id),
                Err(e) => failed(&SnsError::internal(e.to_string()), &request_id),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources() {
        assert!(is_publish("arn:aws:states:::sns:publish"));
        assert!(is_publish("arn:aws:states:::sns:publish.waitForTaskToken"));
        assert!(!is_publish("arn:aws:states:::sns:publish.sync"));
        assert!(!is_publish("arn:aws:states:::lambda:invoke"));
    }

    #[test]
    fn object_messages_become_json_text() {
        let p = publish_input(
            &json!({"TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": {"a": [1, 2]},
            "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}),
        )
        .unwrap();
        assert_eq!(p.message.as_deref(), Some(r#"{"a":[1,2]}"#));
        assert_eq!(p.attributes["k"].string_value.as_deref(), Some("v"));
    }

    #[test]
    fn errors_are_named_like_aws() {
        let TaskResult::Failed { error, cause } = failed(&SnsError::topic_not_found(), "rid")
        else {
            panic!()
        };
        assert_eq!(error.as_deref(), Some("SNS.NotFoundException"));
        assert_eq!(
            cause.as_deref(),
            Some(
                "Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: rid; Proxy: null)"
            )
        );
    }
}
