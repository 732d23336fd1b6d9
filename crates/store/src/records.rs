//! The rows Baton stores. Plain data; JSON payloads are kept as the text AWS
//! returns them in (execution input and output are exactly what the API
//! hands back).

use asl::{EventType, HistoryEvent, Millis};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineType {
    Standard,
    Express,
}

impl MachineType {
    pub fn as_str(self) -> &'static str {
        match self {
            MachineType::Standard => "STANDARD",
            MachineType::Express => "EXPRESS",
        }
    }

    pub fn parse(s: &str) -> Option<MachineType> {
        match s {
            "STANDARD" => Some(MachineType::Standard),
            "EXPRESS" => Some(MachineType::Express),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StateMachineRecord {
    /// `…:stateMachine:<name>` or, for a published version, `…:<name>:<n>`.
    pub arn: String,
    pub name: String,
    pub definition: String,
    pub role_arn: String,
    pub machine_type: MachineType,
    pub created: Millis,
    pub updated: Millis,
    pub revision_id: String,
    /// For a version: its number and description; `None` for the machine itself.
    pub version: Option<u64>,
    pub description: Option<String>,
    /// `loggingConfiguration`, `tracingConfiguration`, `encryptionConfiguration`
    /// as given (stored, echoed; no behaviour locally).
    pub logging_configuration: Option<Value>,
    pub tracing_configuration: Option<Value>,
    pub encryption_configuration: Option<Value>,
    pub tags: Vec<(String, String)>,
}

/// A state machine alias: a name routing executions to one or two versions
/// by weight.
#[derive(Debug, Clone, PartialEq)]
pub struct AliasRecord {
    /// `…:stateMachine:<name>:<aliasName>`.
    pub arn: String,
    pub name: String,
    /// The unqualified state machine ARN.
    pub state_machine_arn: String,
    pub description: Option<String>,
    /// (version ARN, weight 0..=100); weights sum to 100.
    pub routing: Vec<(String, u32)>,
    pub created: Millis,
    pub updated: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRecord {
    pub arn: String,
    pub name: String,
    pub created: Millis,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
        }
    }

    pub fn parse(s: &str) -> Option<ExecutionStatus> {
        Some(match s {
            "RUNNING" => ExecutionStatus::Running,
            "SUCCEEDED" => ExecutionStatus::Succeeded,
            "FAILED" => ExecutionStatus::Failed,
            "TIMED_OUT" => ExecutionStatus::TimedOut,
            "ABORTED" => ExecutionStatus::Aborted,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionRecord {
    pub arn: String,
    pub name: String,
    /// The unqualified state machine ARN.
    pub state_machine_arn: String,
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
    /// The definition this execution runs (a snapshot: updates to the machine
    /// do not affect it, and replay needs it).
    pub definition: String,
    pub machine_type: MachineType,
    pub role_arn: String,
    pub status: ExecutionStatus,
    /// JSON text.
    pub input: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub start_date: Millis,
    pub stop_date: Option<Millis>,
    /// Seed of the interpreter's generator (task tokens, UUIDs): replay needs it.
    pub seed: u64,
    pub redrive_count: u32,
    /// When the last `RedriveExecution` was accepted.
    pub redrive_date: Option<Millis>,
    pub trace_header: Option<String>,
    /// Set for a Distributed Map child: the Map Run that started it. A child
    /// runs inside its parent's interpreter, so it has no journal of its own
    /// and is never resumed by itself.
    pub map_run_arn: Option<String>,
    /// A Map Run child: how many items it processes (its `itemCount`).
    pub item_count: Option<u64>,
}

/// Which executions to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutionFilter {
    pub state_machine_arn: Option<String>,
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
    pub status: Option<ExecutionStatus>,
    /// A Map Run's child executions.
    pub map_run_arn: Option<String>,
}

/// One signal fed to an execution's interpreter, serialised by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// 1, 2, 3… per execution.
    pub seq: u64,
    /// The interpreter's clock when the signal was applied.
    pub at: Millis,
    /// The signal as JSON text (the engine's format).
    pub signal: String,
}

/// A running execution to resume.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenExecution {
    pub record: ExecutionRecord,
    pub journal: Vec<JournalEntry>,
    /// Number of history events stored (a replay must reproduce exactly these).
    pub event_count: u64,
}

/// One change inside a [`Batch`].
// Most writes in a batch are event appends, but a batch holds a handful of
// writes and is moved, not copied, so the size of `CreateExecution` costs
// little; boxing it would only make every caller write `Box::new`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// A new execution (status RUNNING or, for one that finished within its
    /// first step, already closed).
    CreateExecution(ExecutionRecord),
    AppendEvents {
        execution_arn: String,
        events: Vec<HistoryEvent>,
    },
    AppendJournal {
        execution_arn: String,
        entry: JournalEntry,
    },
    CloseExecution {
        execution_arn: String,
        status: ExecutionStatus,
        output: Option<String>,
        error: Option<String>,
        cause: Option<String>,
        stop_date: Millis,
    },
    /// `RedriveExecution`: a closed execution runs again (RUNNING, no stop
    /// date, output, error or cause), with its redrive count and date.
    ReopenExecution {
        execution_arn: String,
        redrive_count: u32,
        redrive_date: Millis,
    },
}

/// Writes applied atomically, in order.
pub type Batch = Vec<Write>;

/// The ARN of the Map Run a `MapRunStarted` event starts: what both stores
/// index so `DescribeMapRun` finds the execution that owns a Map Run.
pub fn started_map_run(event: &HistoryEvent) -> Option<String> {
    if event.event_type != EventType::MapRunStarted {
        return None;
    }
    event
        .details
        .to_map()?
        .get("mapRunArn")?
        .as_str()
        .map(str::to_owned)
}
