//! JSONPath-mode expressions of the Amazon States Language: Jayway-style
//! JSONPath queries, Reference Paths (which can also be written to), and
//! intrinsic functions (`States.Format(...)` and friends).
//!
//! Pure: no I/O, no clock, no randomness of its own (callers pass an
//! [`Entropy`] source for `States.UUID` / `States.MathRandom`).
//!
//! Typical use: parse every path of a definition once ([`PathExpr::parse`],
//! [`ReferencePath::parse`]), keep the parsed form next to the state, and
//! evaluate it on every transition.

mod check;
mod error;
mod expr;
mod intrinsic;
mod json;
mod query;
mod refpath;

pub use check::{check_path, check_payload_value, check_reference_path};
pub use error::{EvalError, ParseError, SetError};
pub use expr::{Entropy, Env, NoVariables, PathExpr, Variables};
pub use intrinsic::{Arg, Function, Intrinsic};
pub use query::Query;
pub use refpath::{PathRoot, RefStep, ReferencePath};

/// Compact JSON text as AWS's Java runtime writes it (e.g. `1.0E10` for a
/// double of that value), for callers that embed JSON in messages.
pub fn to_java_json(v: &serde_json::Value) -> String {
    json::compact(v)
}
