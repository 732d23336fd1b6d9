//! Task results from a mock file in Step Functions Local's `MockConfigFile`
//! format, selected as `file#TestCase`.
//!
//! ```json
//! {"StateMachines": {"<machine>": {"TestCases": {"<case>": {"<TaskState>": "<response>"}}}},
//!  "MockedResponses": {"<response>": {"0": {"Return": …}, "1-2": {"Throw": {"Error": "…", "Cause": "…"}}}}}
//! ```
//! Invocations are counted per state name, 0-based; retries count. A Task not
//! named by the test case has no handler here and fails the execution with a
//! message saying so.

use std::collections::HashMap;

use asl::{Millis, TaskRequest};
use serde_json::Value;

use crate::local::{TaskHandler, TaskResult};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MockError {
    #[error("the mock file is not valid JSON: {0}")]
    Json(String),
    #[error("the mock file has no test case '{case}' (known: {known})")]
    NoSuchCase { case: String, known: String },
    #[error("mocked response '{name}' {problem}")]
    BadResponse { name: String, problem: String },
}

/// One step of a mocked response.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Return(Value),
    Throw {
        error: Option<String>,
        cause: Option<String>,
    },
}

/// A mocked response: answers by invocation number (inclusive ranges).
#[derive(Debug, Clone, PartialEq)]
struct Response {
    ranges: Vec<(u64, u64, Answer)>,
}

/// One test case of a mock file: state name → its mocked response.
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfig {
    by_state: HashMap<String, (String, Response)>,
}

impl MockConfig {
    /// Reads test case `case` from a mock file's text. The case is looked up
    /// under every state machine in the file (the CLI runs a definition file,
    /// which has no machine name); the first match wins.
    pub fn parse(text: &str, case: &str) -> Result<MockConfig, MockError> {
        let doc: Value = serde_json::from_str(text).map_err(|e| MockError::Json(e.to_string()))?;
        let mut known = Vec::new();
        let mut mapping = None;
        if let Some(machines) = doc.get("StateMachines").and_then(Value::as_object) {
            for (machine, m) in machines {
                if let Some(cases) = m.get("TestCases").and_then(Value::as_object) {
                    for (name, states) in cases {
                        known.push(format!("{machine}#{name}"));
                        if name == case && mapping.is_none() {
                            mapping = states.as_object().cloned();
                        }
                    }
                }
            }
        }
        let mapping = mapping.ok_or_else(|| MockError::NoSuchCase {
            case: case.to_string(),
            known: if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
        })?;
        let responses = doc.get("MockedResponses").and_then(Value::as_object);
        let mut by_state = HashMap::new();
        for (state, response_name) in mapping {
            let name = response_name.as_str().unwrap_or_default().to_string();
            let raw =
                responses
                    .and_then(|r| r.get(&name))
                    .ok_or_else(|| MockError::BadResponse {
                        name: name.clone(),
                        problem: "is not defined under MockedResponses".into(),
                    })?;
            by_state.insert(state, (name.clone(), parse_response(&name, raw)?));
        }
        Ok(MockConfig { by_state })
    }
}

fn parse_response(name: &str, raw: &Value) -> Result<Response, MockError> {
    let bad = |problem: String| MockError::BadResponse {
        name: name.to_string(),
        problem,
    };
    let obj = raw
        .as_object()
        .ok_or_else(|| bad("must be an object keyed by invocation numbers".into()))?;
    let mut ranges = Vec::new();
    for (key, step) in obj {
        let (lo, hi) = match key.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u64>(), b.trim().parse::<u64>()),
            None => (key.trim().parse::<u64>(), key.trim().parse::<u64>()),
        };
        let (Ok(lo), Ok(hi)) = (lo, hi) else {
            return Err(bad(format!("has a key '{key}' that is not N or N-M")));
        };
        let answer = if let Some(v) = step.get("Return") {
            Answer::Return(v.clone())
        } else if let Some(t) = step.get("Throw") {
            Answer::Throw {
                error: t.get("Error").and_then(Value::as_str).map(str::to_string),
                cause: t.get("Cause").and_then(Value::as_str).map(str::to_string),
            }
        } else {
            return Err(bad(format!("entry '{key}' needs 'Return' or 'Throw'")));
        };
        ranges.push((lo, hi, answer));
    }
    Ok(Response { ranges })
}

/// Answers Task states from a [`MockConfig`].
pub struct MockHandler {
    config: MockConfig,
    invocations: HashMap<String, u64>,
}

impl MockHandler {
    pub fn new(config: MockConfig) -> Self {
        MockHandler {
            config,
            invocations: HashMap::new(),
        }
    }
}

impl TaskHandler for MockHandler {
    fn handle(&mut self, request: &TaskRequest, _now: Millis) -> TaskResult {
        let Some((name, response)) = self.config.by_state.get(&request.state_name) else {
            return TaskResult::Failed {
                error: Some("States.TaskFailed".into()),
                cause: Some(format!(
                    "Task state '{}' has no mocked response in this test case, and Baton has no handler for resource '{}'.",
                    request.state_name, request.resource
                )),
            };
        };
        let n = self
            .invocations
            .entry(request.state_name.clone())
            .or_insert(0);
        let index = *n;
        *n += 1;
        match response
            .ranges
            .iter()
            .find(|(lo, hi, _)| (*lo..=*hi).contains(&index))
        {
            Some((_, _, Answer::Return(v))) => TaskResult::Succeeded(v.clone()),
            Some((_, _, Answer::Throw { error, cause })) => TaskResult::Failed {
                error: error.clone(),
                cause: cause.clone(),
            },
            None => TaskResult::Failed {
                error: Some("States.TaskFailed".into()),
                cause: Some(format!(
                    "Mocked response '{name}' has no entry for invocation {index} of state '{}'.",
                    request.state_name
                )),
            },
        }
    }
}
