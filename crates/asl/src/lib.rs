//! The Amazon States Language: the typed definition model, data flow, Choice
//! rules, and a deterministic interpreter that turns signals into history
//! events and effects.
//!
//! Pure: no I/O, no async, no clock, no randomness of its own. Time arrives
//! as a parameter ([`history::Millis`]) and randomness as a seed, so every rule
//! is testable without sleeping and a replay reproduces the same history.

pub mod choice;
pub mod error;
pub mod execution;
pub mod expr;
pub mod history;
pub mod model;
pub mod resource;
pub mod template;
pub mod test_state;
pub mod time;

pub use error::Failure;
pub use execution::{
    Effect, Execution, ExecutionInfo, Signal, Status, TaskId, TaskRequest, TimerId,
};
pub use history::{EventType, HistoryEvent, Millis};
pub use map_run::{ChildExecution, ChildStatus, MapRun, MapRunCounts, MapRunStatus, MapRunUpdate};
pub use model::{CompileError, Machine};
pub mod load;
pub mod map_run;

pub use asl_validate::{Diagnostic, DiagnosticCode, Severity};
pub use load::{load, load_value, validate, validate_str};
