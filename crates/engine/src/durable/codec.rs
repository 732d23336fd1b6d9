//! The journal's format for interpreter signals: small JSON objects, stable
//! across versions (a store written by one Baton is replayed by the next).

use asl::Signal;
use serde_json::{Value, json};

pub fn encode(signal: &Signal) -> String {
    let v = match signal {
        Signal::TaskStarted { task, worker } => {
            json!({"t": "started", "task": task, "worker": worker})
        }
        Signal::TaskSubmitted { task, output } => {
            json!({"t": "submitted", "task": task, "output": output})
        }
        Signal::TaskHeartbeat { task } => json!({"t": "heartbeat", "task": task}),
        Signal::TaskSucceeded { task, output } => {
            json!({"t": "succeeded", "task": task, "output": output})
        }
        Signal::TaskFailed { task, error, cause } => {
            json!({"t": "failed", "task": task, "error": error, "cause": cause})
        }
        Signal::TimerFired(id) => json!({"t": "timer", "id": id}),
        Signal::Stop { error, cause } => json!({"t": "stop", "error": error, "cause": cause}),
        Signal::Redrive => json!({"t": "redrive"}),
        Signal::UpdateMapRun {
            map_run_arn,
            update,
        } => json!({
            "t": "update_map_run",
            "arn": map_run_arn,
            "maxConcurrency": update.max_concurrency,
            "toleratedFailurePercentage": update.tolerated_failure_percentage,
            "toleratedFailureCount": update.tolerated_failure_count,
        }),
        Signal::StopChild {
            execution_arn,
            error,
            cause,
        } => json!({"t": "stop_child", "arn": execution_arn, "error": error, "cause": cause}),
    };
    v.to_string()
}

pub fn decode(text: &str) -> Option<Signal> {
    let v: Value = serde_json::from_str(text).ok()?;
    let task = || v.get("task").and_then(Value::as_u64);
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    Some(match v.get("t")?.as_str()? {
        "started" => Signal::TaskStarted {
            task: task()?,
            worker: s("worker").unwrap_or_default(),
        },
        "submitted" => Signal::TaskSubmitted {
            task: task()?,
            output: v.get("output").cloned().unwrap_or(Value::Null),
        },
        "heartbeat" => Signal::TaskHeartbeat { task: task()? },
        "succeeded" => Signal::TaskSucceeded {
            task: task()?,
            output: v.get("output").cloned().unwrap_or(Value::Null),
        },
        "failed" => Signal::TaskFailed {
            task: task()?,
            error: s("error"),
            cause: s("cause"),
        },
        "timer" => Signal::TimerFired(v.get("id")?.as_u64()?),
        "stop" => Signal::Stop {
            error: s("error"),
            cause: s("cause"),
        },
        "redrive" => Signal::Redrive,
        "update_map_run" => Signal::UpdateMapRun {
            map_run_arn: s("arn")?,
            update: asl::MapRunUpdate {
                max_concurrency: v.get("maxConcurrency").and_then(Value::as_u64),
                tolerated_failure_percentage: v
                    .get("toleratedFailurePercentage")
                    .and_then(Value::as_f64),
                tolerated_failure_count: v.get("toleratedFailureCount").and_then(Value::as_u64),
            },
        },
        "stop_child" => Signal::StopChild {
            execution_arn: s("arn")?,
            error: s("error"),
            cause: s("cause"),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signal_round_trips() {
        let all = [
            Signal::TaskStarted {
                task: 1,
                worker: "w".into(),
            },
            Signal::TaskSubmitted {
                task: 2,
                output: json!({"a": [1]}),
            },
            Signal::TaskHeartbeat { task: 3 },
            Signal::Redrive,
            Signal::UpdateMapRun {
                map_run_arn: "arn:aws:states:us-east-1:1:mapRun:sm/L:u".into(),
                update: asl::MapRunUpdate {
                    max_concurrency: Some(4),
                    tolerated_failure_percentage: Some(12.5),
                    tolerated_failure_count: None,
                },
            },
            Signal::StopChild {
                execution_arn: "arn:aws:states:us-east-1:1:execution:sm/L:c".into(),
                error: Some("E".into()),
                cause: None,
            },
            Signal::TaskSucceeded {
                task: 4,
                output: json!("x"),
            },
            Signal::TaskFailed {
                task: 5,
                error: Some("E".into()),
                cause: None,
            },
            Signal::TimerFired(6),
            Signal::Stop {
                error: None,
                cause: Some("c".into()),
            },
        ];
        for s in all {
            assert_eq!(decode(&encode(&s)), Some(s));
        }
        assert_eq!(decode("{\"t\":\"nope\"}"), None);
        assert_eq!(decode("not json"), None);
    }
}
