//! Task `Resource` kinds and the history events each produces.
//!
//! A bare Lambda ARN records `LambdaFunction*` events, an activity ARN
//! `Activity*` events, and a service integration (`arn:aws:states:::svc:api`)
//! `Task*` events with `resourceType`/`resource` split from the ARN.

use serde_json::{Map, Value, json};

use crate::history::{EventType, to_json_text};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskKind {
    Lambda,
    Activity,
    Service {
        resource_type: String,
        resource: String,
    },
}

impl TaskKind {
    pub fn of(arn: &str) -> TaskKind {
        let parts: Vec<&str> = arn.splitn(8, ':').collect();
        match parts.as_slice() {
            ["arn", _, "lambda", _, _, "function", ..] => TaskKind::Lambda,
            ["arn", _, "states", _, _, "activity", ..] => TaskKind::Activity,
            ["arn", _, "states", "", "", "aws-sdk", service, rest @ ..] => TaskKind::Service {
                resource_type: format!("aws-sdk:{service}"),
                resource: rest.join(":"),
            },
            ["arn", _, "states", "", "", service, rest @ ..] => TaskKind::Service {
                resource_type: service.to_string(),
                resource: rest.join(":"),
            },
            _ => {
                // Anything else is reported like an integration named by its
                // last two segments, so the history stays well-formed.
                let mut it = arn.rsplitn(2, ':');
                let resource = it.next().unwrap_or(arn).to_string();
                let resource_type = it
                    .next()
                    .and_then(|s| s.rsplit(':').next())
                    .unwrap_or("")
                    .to_string();
                TaskKind::Service {
                    resource_type,
                    resource,
                }
            }
        }
    }

    /// Callback tasks and activities carry a task token.
    pub fn needs_token(&self) -> bool {
        match self {
            TaskKind::Activity => true,
            TaskKind::Service { resource, .. } => resource.ends_with(".waitForTaskToken"),
            TaskKind::Lambda => false,
        }
    }

    /// Activities start only when a worker polls for them.
    pub fn waits_for_worker(&self) -> bool {
        matches!(self, TaskKind::Activity)
    }

    pub fn scheduled_event(&self) -> EventType {
        match self {
            TaskKind::Lambda => EventType::LambdaFunctionScheduled,
            TaskKind::Activity => EventType::ActivityScheduled,
            TaskKind::Service { .. } => EventType::TaskScheduled,
        }
    }

    pub fn started_event(&self) -> EventType {
        match self {
            TaskKind::Lambda => EventType::LambdaFunctionStarted,
            TaskKind::Activity => EventType::ActivityStarted,
            TaskKind::Service { .. } => EventType::TaskStarted,
        }
    }

    pub fn succeeded_event(&self) -> EventType {
        match self {
            TaskKind::Lambda => EventType::LambdaFunctionSucceeded,
            TaskKind::Activity => EventType::ActivitySucceeded,
            TaskKind::Service { .. } => EventType::TaskSucceeded,
        }
    }

    pub fn failed_event(&self) -> EventType {
        match self {
            TaskKind::Lambda => EventType::LambdaFunctionFailed,
            TaskKind::Activity => EventType::ActivityFailed,
            TaskKind::Service { .. } => EventType::TaskFailed,
        }
    }

    pub fn timed_out_event(&self) -> EventType {
        match self {
            TaskKind::Lambda => EventType::LambdaFunctionTimedOut,
            TaskKind::Activity => EventType::ActivityTimedOut,
            TaskKind::Service { .. } => EventType::TaskTimedOut,
        }
    }

    /// `resourceType`/`resource` for integration events; nothing otherwise.
    pub fn resource_members(&self, _arn: &str) -> Map<String, Value> {
        let mut m = Map::new();
        if let TaskKind::Service {
            resource_type,
            resource,
        } = self
        {
            m.insert("resourceType".into(), json!(resource_type));
            m.insert("resource".into(), json!(resource));
        }
        m
    }

    pub fn scheduled_details(
        &self,
        arn: &str,
        region: &str,
        parameters: &Value,
        timeout: Option<u64>,
        heartbeat: Option<u64>,
    ) -> Map<String, Value> {
        let mut m = Map::new();
        match self {
            TaskKind::Service { .. } => {
                m.extend(self.resource_members(arn));
                m.insert("region".into(), json!(region));
                m.insert("parameters".into(), json!(to_json_text(parameters)));
            }
            TaskKind::Lambda | TaskKind::Activity => {
                m.insert("resource".into(), json!(arn));
                m.insert("input".into(), json!(to_json_text(parameters)));
                m.insert("inputDetails".into(), json!({"truncated": false}));
            }
        }
        if let Some(t) = timeout {
            m.insert("timeoutInSeconds".into(), json!(t));
        }
        if let (Some(h), false) = (heartbeat, matches!(self, TaskKind::Lambda)) {
            m.insert("heartbeatInSeconds".into(), json!(h));
        }
        m
    }

    pub fn started_details(&self, arn: &str, worker: Option<&str>) -> Option<Map<String, Value>> {
        match self {
            TaskKind::Lambda => None,
            TaskKind::Activity => {
                let mut m = Map::new();
                if let Some(w) = worker {
                    m.insert("workerName".into(), json!(w));
                }
                Some(m)
            }
            TaskKind::Service { .. } => Some(self.resource_members(arn)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_resources() {
        assert_eq!(
            TaskKind::of("arn:aws:lambda:us-east-1:111111111111:function:f"),
            TaskKind::Lambda
        );
        assert_eq!(
            TaskKind::of("arn:aws:states:us-east-1:111111111111:activity:a"),
            TaskKind::Activity
        );
        assert_eq!(
            TaskKind::of("arn:aws:states:::states:startExecution.sync:2"),
            TaskKind::Service {
                resource_type: "states".into(),
                resource: "startExecution.sync:2".into()
            }
        );
        assert_eq!(
            TaskKind::of("arn:aws:states:::aws-sdk:dynamodb:getItem"),
            TaskKind::Service {
                resource_type: "aws-sdk:dynamodb".into(),
                resource: "getItem".into()
            }
        );
        assert!(TaskKind::of("arn:aws:states:::sqs:sendMessage.waitForTaskToken").needs_token());
    }
}
