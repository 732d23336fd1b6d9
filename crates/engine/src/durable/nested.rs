//! The `arn:aws:states:::states:startExecution` integration: a Task that
//! starts another state machine's execution, and with `.sync`/`.sync:2`
//! waits for it, as Step Functions' optimized integration does.
//!
//! Re-dispatching the task after a restart must not start a second child, so
//! a child without an explicit `Name` gets one derived from the parent
//! execution and the task: starting it again finds the same execution.

use asl::{Millis, TaskRequest};
use serde_json::{Map, Value, json};
use store::{ExecutionRecord, ExecutionStatus};

use super::{Engine, EngineError, StartRequest};
use crate::local::TaskResult;

/// How the integration waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pattern {
    /// Returns as soon as the child started.
    RequestResponse,
    /// `.sync`: waits; `Input`/`Output` as JSON text.
    Sync,
    /// `.sync:2`: waits; `Input`/`Output` parsed.
    Sync2,
}

impl Pattern {
    /// The pattern of a `states:startExecution…` resource; `None` for any
    /// other resource. `.waitForTaskToken` starts like request-response.
    pub(super) fn of(resource: &str) -> Option<Pattern> {
        let api = resource.strip_prefix("arn:aws:states:::states:startExecution")?;
        match api {
            "" | ".waitForTaskToken" => Some(Pattern::RequestResponse),
            ".sync" => Some(Pattern::Sync),
            ".sync:2" => Some(Pattern::Sync2),
            _ => None,
        }
    }
}

fn sdk_metadata() -> (Value, Value) {
    (
        json!({
            "AllHttpHeaders": {"Content-Type": ["application/x-amz-json-1.0"]},
            "HttpHeaders": {"Content-Type": "application/x-amz-json-1.0"},
            "HttpStatusCode": 200
        }),
        json!({"RequestId": uuid::Uuid::new_v4().to_string()}),
    )
}

/// AWS's Java-SDK-style failure of an optimized integration.
fn service_error(e: &EngineError) -> TaskResult {
    let code = e.aws_code();
    TaskResult::Failed {
        error: Some(format!("StepFunctions.{code}Exception")),
        cause: Some(format!(
            "{e} (Service: AWSStepFunctions; Status Code: {}; Error Code: {code}; Request ID: {}; Proxy: null)",
            e.http_status(),
            uuid::Uuid::new_v4()
        )),
    }
}

impl Engine {
    pub(super) async fn start_nested(
        &self,
        parent_arn: &str,
        req: &TaskRequest,
        pattern: Pattern,
    ) -> TaskResult {
        let params = req.parameters.as_object().cloned().unwrap_or_default();
        let Some(machine) = params.get("StateMachineArn").and_then(Value::as_str) else {
            return TaskResult::Failed {
                error: Some("States.Runtime".into()),
                cause: Some(
                    "The field 'StateMachineArn' is required by states:startExecution".into(),
                ),
            };
        };
        // Optimized integration: an object Input is serialised.
        let input = match params.get("Input") {
            None | Some(Value::Null) => "{}".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let name = match params.get("Name").and_then(Value::as_str) {
            Some(n) => n.to_string(),
            None => derived_name(parent_arn, req),
        };
        let start = StartRequest {
            state_machine_arn: machine.to_string(),
            name: Some(name),
            input: Some(input),
            trace_header: None,
        };
        let started = match self.start_execution(start).await {
            Ok(s) => s,
            // After a restart the child may already exist (and have ended).
            Err(EngineError::ExecutionAlreadyExists(arn)) => super::Started {
                start_date: 0,
                execution_arn: arn,
            },
            Err(e) => return service_error(&e),
        };
        if pattern == Pattern::RequestResponse {
            let (http, meta) = sdk_metadata();
            let start_date = match self.inner.store.get_execution(&started.execution_arn) {
                Ok(Some(r)) => r.start_date,
                _ => started.start_date,
            };
            return TaskResult::Succeeded(json!({
                "ExecutionArn": started.execution_arn,
                "StartDate": start_date,
                "SdkHttpMetadata": http,
                "SdkResponseMetadata": meta,
            }));
        }
        let record = match self.wait_closed(&started.execution_arn).await {
            Ok(r) => r,
            Err(e) => return service_error(&e),
        };
        let described = describe(&record, pattern == Pattern::Sync2);
        if record.status == ExecutionStatus::Succeeded {
            TaskResult::Succeeded(described)
        } else {
            TaskResult::Failed {
                error: Some("States.TaskFailed".into()),
                cause: Some(described.to_string()),
            }
        }
    }

    /// Waits until an execution has closed and returns its record.
    ///
    /// Waits on the execution in memory while it is here; while it is not
    /// (being reloaded after a failed commit, or run by another node), looks
    /// at the store again every [`POLL_ELSEWHERE`].
    async fn wait_closed(&self, arn: &str) -> Result<ExecutionRecord, EngineError> {
        const POLL_ELSEWHERE: std::time::Duration = std::time::Duration::from_millis(100);
        loop {
            let live = super::lock(&self.inner.live).get(arn).cloned();
            if let Some(live) = live {
                let rx = {
                    let mut guard = live.lock().await;
                    if guard.closed {
                        None
                    } else {
                        let (tx, rx) = tokio::sync::oneshot::channel();
                        guard.waiters.push(tx);
                        Some(rx)
                    }
                };
                if let Some(rx) = rx {
                    let _ = rx.await;
                }
            }
            let record = self
                .inner
                .store
                .get_execution(arn)?
                .ok_or_else(|| EngineError::ExecutionDoesNotExist(arn.to_string()))?;
            if record.status != ExecutionStatus::Running {
                return Ok(record);
            }
            if !super::lock(&self.inner.live).contains_key(arn) {
                tokio::time::sleep(POLL_ELSEWHERE).await;
            }
        }
    }
}

/// A child name stable across re-dispatches of the same task attempt.
fn derived_name(parent_arn: &str, req: &TaskRequest) -> String {
    let key = format!("{parent_arn}#{}#{}", req.id, req.attempt);
    let a = fnv(key.as_bytes(), 0xcbf2_9ce4_8422_2325);
    let b = fnv(key.as_bytes(), 0x8422_2325_cbf2_9ce4);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn fnv(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(seed, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// DescribeExecution in the PascalCase the `.sync` integrations return.
fn describe(r: &ExecutionRecord, parsed: bool) -> Value {
    let payload = |text: &str| -> Value {
        if parsed {
            serde_json::from_str(text).unwrap_or(Value::String(text.to_string()))
        } else {
            Value::String(text.to_string())
        }
    };
    let mut m = Map::new();
    m.insert("ExecutionArn".into(), json!(r.arn));
    m.insert("Input".into(), payload(&r.input));
    m.insert("InputDetails".into(), json!({"Included": true}));
    m.insert("Name".into(), json!(r.name));
    if let Some(out) = &r.output {
        m.insert("Output".into(), payload(out));
        m.insert("OutputDetails".into(), json!({"Included": true}));
    }
    if let Some(e) = &r.error {
        m.insert("Error".into(), json!(e));
    }
    if let Some(c) = &r.cause {
        m.insert("Cause".into(), json!(c));
    }
    m.insert("RedriveCount".into(), json!(r.redrive_count));
    m.insert(
        "RedriveStatus".into(),
        json!(if r.status == ExecutionStatus::Succeeded {
            "NOT_REDRIVABLE"
        } else {
            "REDRIVABLE"
        }),
    );
    if r.status == ExecutionStatus::Succeeded {
        m.insert(
            "RedriveStatusReason".into(),
            json!("Execution is SUCCEEDED and cannot be redriven"),
        );
    }
    m.insert("StartDate".into(), json!(r.start_date));
    m.insert("StateMachineArn".into(), json!(r.state_machine_arn));
    m.insert("Status".into(), json!(r.status.as_str()));
    m.insert(
        "StopDate".into(),
        json!(r.stop_date.unwrap_or(r.start_date as Millis)),
    );
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert_eq!(
            Pattern::of("arn:aws:states:::states:startExecution"),
            Some(Pattern::RequestResponse)
        );
        assert_eq!(
            Pattern::of("arn:aws:states:::states:startExecution.sync:2"),
            Some(Pattern::Sync2)
        );
        assert_eq!(Pattern::of("arn:aws:states:::sqs:sendMessage"), None);
    }
}
