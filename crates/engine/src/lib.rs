//! The runtime around the pure interpreter: it carries out the interpreter's
//! effects (dispatching tasks, keeping timers) and feeds the results back as
//! signals.
//!
//! This crate holds the in-memory runner used by `baton run`, the tests and
//! the conformance runner. Its clock is either *virtual* (time jumps to the
//! next due timer whenever nothing else can happen, so a one-hour Wait takes
//! no time) or real.

pub mod durable;
pub mod local;
pub mod mock;

pub use local::{Clock, RunOutcome, Runner, TaskHandler, TaskResult};
pub use mock::{MockConfig, MockError, MockHandler};
