//! Execution history events, shaped exactly like `GetExecutionHistory`'s
//! `HistoryEvent` (botocore `stepfunctions` model).
//!
//! The interpreter appends events; the runtime persists them before acting on
//! the interpreter's effects. Payloads (`input`, `output`, `parameters`) are
//! kept as the JSON text AWS reports, serialised once when the event is made.

use std::sync::Arc;

use serde_json::{Map, Value, json};

/// Milliseconds since the Unix epoch. The only notion of time the pure crate has;
/// the caller supplies it.
pub type Millis = i64;

macro_rules! event_types {
    ($($name:ident),* $(,)?) => {
        /// Every `HistoryEventType` in the Step Functions API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventType { $($name),* }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$name),*];

            /// The wire name, e.g. `"TaskStateEntered"`.
            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$name => stringify!($name)),* }
            }

            pub fn parse(s: &str) -> Option<EventType> {
                match s { $(stringify!($name) => Some(EventType::$name),)* _ => None }
            }
        }
    };
}

event_types!(
    ActivityFailed,
    ActivityScheduled,
    ActivityScheduleFailed,
    ActivityStarted,
    ActivitySucceeded,
    ActivityTimedOut,
    ChoiceStateEntered,
    ChoiceStateExited,
    ExecutionAborted,
    ExecutionFailed,
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionTimedOut,
    FailStateEntered,
    LambdaFunctionFailed,
    LambdaFunctionScheduled,
    LambdaFunctionScheduleFailed,
    LambdaFunctionStarted,
    LambdaFunctionStartFailed,
    LambdaFunctionSucceeded,
    LambdaFunctionTimedOut,
    MapIterationAborted,
    MapIterationFailed,
    MapIterationStarted,
    MapIterationSucceeded,
    MapStateAborted,
    MapStateEntered,
    MapStateExited,
    MapStateFailed,
    MapStateStarted,
    MapStateSucceeded,
    ParallelStateAborted,
    ParallelStateEntered,
    ParallelStateExited,
    ParallelStateFailed,
    ParallelStateStarted,
    ParallelStateSucceeded,
    PassStateEntered,
    PassStateExited,
    SucceedStateEntered,
    SucceedStateExited,
    TaskFailed,
    TaskScheduled,
    TaskStarted,
    TaskStartFailed,
    TaskStateAborted,
    TaskStateEntered,
    TaskStateExited,
    TaskSubmitFailed,
    TaskSubmitted,
    TaskSucceeded,
    TaskTimedOut,
    WaitStateAborted,
    WaitStateEntered,
    WaitStateExited,
    MapRunAborted,
    MapRunFailed,
    MapRunStarted,
    MapRunSucceeded,
    ExecutionRedriven,
    MapRunRedriven,
    EvaluationFailed,
);

impl EventType {
    /// The name of the `…EventDetails` member that carries this type's details.
    ///
    /// All `*StateEntered`/`*StateExited` types share `stateEnteredEventDetails` /
    /// `stateExitedEventDetails`; every other type uses its own camel-cased name.
    pub fn details_member(self) -> String {
        let name = self.as_str();
        if name.ends_with("StateEntered") {
            return "stateEnteredEventDetails".into();
        }
        if name.ends_with("StateExited") {
            return "stateExitedEventDetails".into();
        }
        let mut s = String::with_capacity(name.len() + 12);
        let mut chars = name.chars();
        if let Some(c) = chars.next() {
            s.push(c.to_ascii_lowercase());
        }
        s.extend(chars);
        s.push_str("EventDetails");
        s
    }
}

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp: Millis,
    pub event_type: EventType,
    pub details: Details,
}

/// The members of an event's details shape (without the `…EventDetails`
/// wrapper).
///
/// The two shapes of almost every event, state entered and exited, are kept
/// typed: the interpreter records two of them per transition, and building a
/// JSON map for each was most of a transition's cost. The AWS JSON form is
/// rendered only when someone asks ([`Details::to_map`],
/// [`HistoryEvent::to_aws_json`], [`Details::to_json`]).
#[derive(Debug, Clone)]
pub enum Details {
    None,
    StateEntered {
        name: Arc<str>,
        /// JSON text.
        input: String,
    },
    StateExited {
        name: Arc<str>,
        /// JSON text.
        output: String,
        /// Variable name → JSON text of its new value.
        assigned: Option<Box<Vec<(String, String)>>>,
    },
    Other(Map<String, Value>),
}

impl PartialEq for Details {
    /// Equal when they render the same members (a typed form and the map
    /// read back from storage compare equal).
    fn eq(&self, other: &Details) -> bool {
        self.to_map() == other.to_map()
    }
}

impl From<Option<Map<String, Value>>> for Details {
    fn from(m: Option<Map<String, Value>>) -> Details {
        match m {
            Some(m) => Details::Other(m),
            None => Details::None,
        }
    }
}

fn truncated() -> Value {
    json!({"truncated": false})
}

impl Details {
    /// The members as a JSON object; `None` for types without details.
    pub fn to_map(&self) -> Option<Map<String, Value>> {
        match self {
            Details::None => None,
            Details::StateEntered { name, input } => {
                let mut m = Map::new();
                m.insert("name".into(), json!(&**name));
                m.insert("input".into(), Value::String(input.clone()));
                m.insert("inputDetails".into(), truncated());
                Some(m)
            }
            Details::StateExited {
                name,
                output,
                assigned,
            } => {
                let mut m = Map::new();
                m.insert("name".into(), json!(&**name));
                m.insert("output".into(), Value::String(output.clone()));
                m.insert("outputDetails".into(), truncated());
                if let Some(vars) = assigned {
                    let vars: Map<String, Value> = vars
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect();
                    m.insert("assignedVariables".into(), Value::Object(vars));
                    m.insert("assignedVariablesDetails".into(), truncated());
                }
                Some(m)
            }
            Details::Other(m) => Some(m.clone()),
        }
    }

    /// Compact JSON text of [`Details::to_map`] (`null` for none), for storage.
    pub fn to_json(&self) -> String {
        match self.to_map() {
            Some(m) => serde_json::to_string(&m).unwrap_or_else(|_| "{}".into()),
            None => "null".into(),
        }
    }

    /// A string member (`name`, `input`, `output`, `error`, `cause`, …).
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match (self, key) {
            (Details::StateEntered { name, .. } | Details::StateExited { name, .. }, "name") => {
                Some(name)
            }
            (Details::StateEntered { input, .. }, "input") => Some(input),
            (Details::StateExited { output, .. }, "output") => Some(output),
            (Details::Other(m), k) => m.get(k)?.as_str(),
            _ => None,
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Details::None)
    }
}

impl HistoryEvent {
    /// The event as `GetExecutionHistory` returns it (timestamp in epoch seconds).
    /// With `include_data = false`, `input`/`output`/`parameters` are dropped, as
    /// AWS does for `includeExecutionData: false`.
    pub fn to_aws_json(&self, include_data: bool) -> Value {
        let mut obj = Map::new();
        obj.insert("timestamp".into(), json!(self.timestamp as f64 / 1000.0));
        obj.insert("type".into(), json!(self.event_type.as_str()));
        obj.insert("id".into(), json!(self.id));
        obj.insert("previousEventId".into(), json!(self.previous_event_id));
        if let Some(mut d) = self.details.to_map() {
            if !include_data {
                for k in ["input", "output", "parameters"] {
                    d.remove(k);
                }
            }
            obj.insert(self.event_type.details_member(), Value::Object(d));
        }
        Value::Object(obj)
    }

    /// A string member of the details, e.g. `name`, `error`, `cause`.
    pub fn detail_str(&self, key: &str) -> Option<&str> {
        self.details.get_str(key)
    }
}

/// Builders for the detail shapes, so the interpreter never spells member
/// names twice.
pub(crate) mod details {
    use std::sync::Arc;

    use serde_json::{Map, Value, json};

    use super::{Details, truncated};

    pub fn state_entered(name: &Arc<str>, input: &Value) -> Details {
        Details::StateEntered {
            name: Arc::clone(name),
            input: super::to_json_text(input),
        }
    }

    pub fn state_exited(
        name: &Arc<str>,
        output: &Value,
        assigned: Option<&Map<String, Value>>,
    ) -> Details {
        Details::StateExited {
            name: Arc::clone(name),
            output: super::to_json_text(output),
            assigned: assigned.map(|vars| {
                Box::new(
                    vars.iter()
                        .map(|(k, v)| (k.clone(), super::to_json_text(v)))
                        .collect(),
                )
            }),
        }
    }

    pub fn execution_started(input: &Value, role_arn: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("input".into(), Value::String(super::to_json_text(input)));
        m.insert("inputDetails".into(), truncated());
        m.insert("roleArn".into(), json!(role_arn));
        m
    }

    pub fn output(output: &Value) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("output".into(), Value::String(super::to_json_text(output)));
        m.insert("outputDetails".into(), truncated());
        m
    }

    /// `{error, cause}`; AWS omits a member that is absent.
    pub fn error(error: Option<&str>, cause: Option<&str>) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(e) = error {
            m.insert("error".into(), json!(e));
        }
        if let Some(c) = cause {
            m.insert("cause".into(), json!(c));
        }
        m
    }

    pub fn map_iteration(name: &str, index: usize) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        m.insert("index".into(), json!(index));
        m
    }
}

/// Compact JSON text, as AWS writes payloads into history and outputs.
pub fn to_json_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_member_names_follow_the_botocore_model() {
        assert_eq!(
            EventType::PassStateEntered.details_member(),
            "stateEnteredEventDetails"
        );
        assert_eq!(
            EventType::MapIterationStarted.details_member(),
            "mapIterationStartedEventDetails"
        );
        assert_eq!(
            EventType::ExecutionFailed.details_member(),
            "executionFailedEventDetails"
        );
        assert_eq!(EventType::ALL.len(), 62);
    }

    #[test]
    fn excluding_data_drops_payloads_but_keeps_names() {
        let e = HistoryEvent {
            id: 2,
            previous_event_id: 0,
            timestamp: 1500,
            event_type: EventType::PassStateEntered,
            details: details::state_entered(&Arc::from("A"), &json!({"x": 1})),
        };
        let full = e.to_aws_json(true);
        assert_eq!(
            full["stateEnteredEventDetails"]["input"],
            json!("{\"x\":1}")
        );
        let slim = e.to_aws_json(false);
        assert!(slim["stateEnteredEventDetails"].get("input").is_none());
        assert_eq!(slim["stateEnteredEventDetails"]["name"], json!("A"));
        assert_eq!(slim["timestamp"], json!(1.5));
    }
}
