//! Errors as Step Functions reports them: an error name and an optional cause,
//! plus the matching rules of `Retry`/`Catch`.

use serde_json::{Map, Value, json};

/// Error names the service itself raises.
pub mod names {
    pub const ALL: &str = "States.ALL";
    pub const RUNTIME: &str = "States.Runtime";
    pub const TIMEOUT: &str = "States.Timeout";
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    pub const TASK_FAILED: &str = "States.TaskFailed";
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
}

/// A failed state, branch or execution: `{Error, Cause}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl Failure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Failure {
        Failure {
            error: Some(error.into()),
            cause: Some(cause.into()),
        }
    }

    /// A `States.Runtime` (or other service) error raised while executing a
    /// state, with AWS's cause prefix naming the state and its entered event.
    pub fn in_state(
        error: &str,
        state: &str,
        entered_event: u64,
        message: impl std::fmt::Display,
    ) -> Failure {
        Failure::new(
            error,
            format!(
                "An error occurred while executing the state '{state}' (entered at the event id #{entered_event}). {message}"
            ),
        )
    }

    pub fn error_name(&self) -> &str {
        self.error.as_deref().unwrap_or("")
    }

    /// `States.Runtime` and `States.DataLimitExceeded` end the execution: no
    /// retrier or catcher sees them, not even one naming them explicitly.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.error_name(),
            names::RUNTIME | names::DATA_LIMIT_EXCEEDED
        )
    }

    /// Whether a retrier/catcher with this `ErrorEquals` handles the failure.
    ///
    /// `States.ALL` matches anything catchable; `States.TaskFailed` matches
    /// anything but `States.Timeout`; otherwise names match exactly.
    pub fn matches(&self, error_equals: &[String]) -> bool {
        if self.is_terminal() {
            return false;
        }
        let name = self.error_name();
        error_equals.iter().any(|e| match e.as_str() {
            names::ALL => true,
            names::TASK_FAILED => name != names::TIMEOUT && name != names::HEARTBEAT_TIMEOUT,
            other => other == name,
        })
    }

    /// The Error Output a catcher receives: `{"Error": …, "Cause": …}`.
    ///
    /// A task's `States.Timeout` has no cause in its `TaskTimedOut` event,
    /// but AWS hands the catcher `"Cause": ""` (recorded:
    /// `test_task_service_lambda.test_invoke_timeout`).
    pub fn error_output(&self) -> Value {
        let mut m = Map::new();
        m.insert("Error".into(), json!(self.error));
        match &self.cause {
            Some(c) => {
                m.insert("Cause".into(), json!(c));
            }
            None if self.error_name() == names::TIMEOUT => {
                m.insert("Cause".into(), json!(""));
            }
            None => {}
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_caught_timeout_has_an_empty_cause() {
        let f = Failure {
            error: Some(names::TIMEOUT.into()),
            cause: None,
        };
        assert_eq!(
            f.error_output(),
            json!({"Error": "States.Timeout", "Cause": ""})
        );
        let f = Failure {
            error: Some("E".into()),
            cause: None,
        };
        assert_eq!(f.error_output(), json!({"Error": "E"}));
    }

    #[test]
    fn runtime_errors_are_never_caught() {
        let f = Failure::new("States.Runtime", "x");
        assert!(!f.matches(&v(&["States.ALL"])));
        assert!(!f.matches(&v(&["States.Runtime"])));
    }

    #[test]
    fn task_failed_does_not_match_timeouts() {
        assert!(!Failure::new("States.Timeout", "").matches(&v(&["States.TaskFailed"])));
        assert!(Failure::new("CustomError", "").matches(&v(&["States.TaskFailed"])));
        assert!(Failure::new("States.Timeout", "").matches(&v(&["States.ALL"])));
    }

    #[test]
    fn names_match_exactly_and_case_sensitively() {
        let f = Failure::new("CustomError", "");
        assert!(f.matches(&v(&["Other", "CustomError"])));
        assert!(!f.matches(&v(&["customerror"])));
    }
}
