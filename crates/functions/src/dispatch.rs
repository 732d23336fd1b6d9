//! Task states whose resource is a Lambda function: a function ARN (the
//! result is the function's return value) or `arn:aws:states:::lambda:invoke`
//! (the result is the SDK response envelope). Everything else goes to the
//! fallback dispatcher.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Bytes;
use engine::TaskResult;
use engine::durable::TaskDispatcher;
use serde_json::{Value, json};

use crate::{FnError, Registry};

pub struct LambdaDispatcher {
    registry: Registry,
    fallback: Arc<dyn TaskDispatcher>,
}

impl LambdaDispatcher {
    pub fn new(registry: Registry, fallback: Arc<dyn TaskDispatcher>) -> LambdaDispatcher {
        LambdaDispatcher { registry, fallback }
    }
}

enum Form {
    /// `arn:aws:lambda:…:function:name`: payload = the state's input.
    Direct(String),
    /// `arn:aws:states:::lambda:invoke[.waitForTaskToken]`.
    Invoke,
}

fn form_of(resource: &str) -> Option<Form> {
    if resource.starts_with("arn:") && resource.split(':').nth(2) == Some("lambda") {
        let parts: Vec<&str> = resource.split(':').collect();
        if parts.get(5) == Some(&"function") {
            return Some(Form::Direct(resource.to_string()));
        }
    }
    let rest = resource.strip_prefix("arn:")?;
    let service = rest.split(':').nth(1)?;
    if service == "states" && rest.ends_with(":lambda:invoke")
        || rest.ends_with(":lambda:invoke.waitForTaskToken")
    {
        return Some(Form::Invoke);
    }
    None
}

/// The cause Step Functions reports for a Lambda API error (Java SDK style).
fn api_cause(e: &FnError, qualified_arn: Option<&str>, status: u16, code: &str) -> String {
    let message = match (e, qualified_arn) {
        (FnError::NotFound(_), Some(arn)) => format!("Function not found: {arn}"),
        _ => e.to_string(),
    };
    format!(
        "{message} (Service: AWSLambda; Status Code: {status}; Error Code: {code}; Request ID: {}; Proxy: null)",
        uuid::Uuid::new_v4()
    )
}

fn failed(error: impl Into<String>, cause: impl Into<String>) -> TaskResult {
    TaskResult::Failed {
        error: Some(error.into()),
        cause: Some(cause.into()),
    }
}

impl LambdaDispatcher {
    async fn run(registry: Registry, form: Form, parameters: Value) -> TaskResult {
        // `LogType: Tail` (lambda:invoke) adds the log's last 4 KB as `LogResult`.
        let tail = matches!(form, Form::Invoke)
            && parameters.get("LogType").and_then(Value::as_str) == Some("Tail");
        let (reference, payload, envelope) = match form {
            Form::Direct(arn) => (arn, parameters, false),
            Form::Invoke => {
                let Some(name) = parameters.get("FunctionName").and_then(Value::as_str) else {
                    return failed(
                        "States.Runtime",
                        "The field 'FunctionName' is required for the lambda:invoke integration.",
                    );
                };
                let name = match parameters.get("Qualifier").and_then(Value::as_str) {
                    Some(q) if !name.contains(':') => format!("{name}:{q}"),
                    _ => name.to_string(),
                };
                // No Payload, or a null one, reaches the function as `{}`.
                let payload = match parameters.get("Payload") {
                    None | Some(Value::Null) => json!({}),
                    Some(p) => p.clone(),
                };
                (name, payload, true)
            }
        };
        let (name, qualifier) = Registry::parse_name(&reference);
        let qualified = format!(
            "{}:{}",
            registry.arn(&name),
            qualifier.as_deref().unwrap_or("$LATEST")
        );
        let body = match &payload {
            // lambda:invoke sends a string Payload as is.
            Value::String(s) if envelope => Bytes::from(s.clone()),
            v => Bytes::from(v.to_string()),
        };
        let result = match registry.invoke(&reference, body, None, tail).await {
            Ok(r) => r,
            Err(e @ FnError::NotFound(_)) => {
                return failed(
                    "Lambda.ResourceNotFoundException",
                    api_cause(&e, Some(&qualified), 404, "ResourceNotFoundException"),
                );
            }
            Err(e @ FnError::InvalidParameter(_)) => {
                return failed(
                    "Lambda.InvalidParameterValueException",
                    api_cause(&e, None, 400, "InvalidParameterValueException"),
                );
            }
            Err(e) => {
                return failed(
                    "Lambda.ServiceException",
                    api_cause(&e, None, 500, "ServiceException"),
                );
            }
        };
        let parsed: Option<Value> = serde_json::from_slice(&result.payload).ok();
        if result.function_error {
            let error_type = parsed
                .as_ref()
                .and_then(|v| v.get("errorType"))
                .and_then(Value::as_str)
                .unwrap_or("Lambda.Unknown")
                .to_string();
            let cause = if envelope {
                match &parsed {
                    Some(v) => v.to_string(),
                    None => String::from_utf8_lossy(&result.payload).into_owned(),
                }
            } else {
                String::from_utf8_lossy(&result.payload).into_owned()
            };
            return failed(error_type, cause);
        }
        let value = parsed.unwrap_or_else(|| {
            Value::String(String::from_utf8_lossy(&result.payload).into_owned())
        });
        if !envelope {
            return TaskResult::Succeeded(value);
        }
        let length = result.payload.len().to_string();
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let trace = format!(
            "Root=1-{:08x}-{}",
            chrono::Utc::now().timestamp(),
            &result.request_id.replace('-', "")[..24]
        );
        let log_result = tail.then(|| result.log_tail_base64());
        let version = result.executed_version.clone();
        let mut response = json!({
            "ExecutedVersion": version,
            "Payload": value,
            "SdkHttpMetadata": {
                "AllHttpHeaders": {
                    "X-Amz-Executed-Version": [version],
                    "x-amzn-Remapped-Content-Length": ["0"],
                    "Connection": ["keep-alive"],
                    "x-amzn-RequestId": [result.request_id],
                    "Content-Length": [length],
                    "Date": [date],
                    "X-Amzn-Trace-Id": [trace],
                    "Content-Type": ["application/json"],
                },
                "HttpHeaders": {
                    "Connection": "keep-alive",
                    "Content-Length": length,
                    "Content-Type": "application/json",
                    "Date": date,
                    "X-Amz-Executed-Version": version,
                    "x-amzn-Remapped-Content-Length": "0",
                    "x-amzn-RequestId": result.request_id,
                    "X-Amzn-Trace-Id": trace,
                },
                "HttpStatusCode": 200,
            },
            "SdkResponseMetadata": {"RequestId": result.request_id},
            "StatusCode": 200,
        });
        if let Some(log) = log_result {
            with_log_result(&mut response, log);
        }
        TaskResult::Succeeded(response)
    }
}

/// Adds `LogResult` where AWS puts it: after `ExecutedVersion`, and as the
/// `X-Amz-Log-Result` header (first of all headers; after
/// `X-Amz-Executed-Version` in the single-valued map).
fn with_log_result(response: &mut Value, log: String) {
    fn insert_after(
        map: &mut serde_json::Map<String, Value>,
        after: Option<&str>,
        key: &str,
        v: Value,
    ) {
        let old = std::mem::take(map);
        if after.is_none() {
            map.insert(key.into(), v.clone());
        }
        for (k, value) in old {
            let hit = Some(k.as_str()) == after;
            map.insert(k, value);
            if hit {
                map.insert(key.into(), v.clone());
            }
        }
    }
    let Some(top) = response.as_object_mut() else {
        return;
    };
    insert_after(top, Some("ExecutedVersion"), "LogResult", json!(log));
    let Some(meta) = top
        .get_mut("SdkHttpMetadata")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if let Some(all) = meta
        .get_mut("AllHttpHeaders")
        .and_then(Value::as_object_mut)
    {
        insert_after(all, None, "X-Amz-Log-Result", json!([log]));
    }
    if let Some(one) = meta.get_mut("HttpHeaders").and_then(Value::as_object_mut) {
        insert_after(
            one,
            Some("X-Amz-Executed-Version"),
            "X-Amz-Log-Result",
            json!(log),
        );
    }
}

impl TaskDispatcher for LambdaDispatcher {
    fn invoke(
        &self,
        request: asl::TaskRequest,
    ) -> Pin<Box<dyn Future<Output = TaskResult> + Send>> {
        match form_of(&request.resource) {
            Some(form) => Box::pin(Self::run(self.registry.clone(), form, request.parameters)),
            None => self.fallback.invoke(request),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert!(matches!(
            form_of("arn:aws:lambda:us-east-1:123456789012:function:f"),
            Some(Form::Direct(_))
        ));
        assert!(matches!(
            form_of("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"),
            Some(Form::Direct(_))
        ));
        assert!(matches!(
            form_of("arn:aws:states:::lambda:invoke"),
            Some(Form::Invoke)
        ));
        assert!(matches!(
            form_of("arn:aws:states:::lambda:invoke.waitForTaskToken"),
            Some(Form::Invoke)
        ));
        assert!(form_of("arn:aws:states:::sns:publish").is_none());
        assert!(form_of("arn:aws:states:us-east-1:1:activity:a").is_none());
    }
}
