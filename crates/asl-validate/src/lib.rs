//! Static validation of Amazon States Language definitions, the way AWS
//! `CreateStateMachine` / `ValidateStateMachineDefinition` do it.
//!
//! Validation runs on the raw JSON rather than a typed model because it is the one
//! place that knows exactly which fields each state type accepts; the runtime's typed
//! deserialisation can then assume a validated document. Every problem is reported
//! (not just the first), each with an AWS-style code, message and location.
//!
//! Path / intrinsic / JSONata syntax is checked through [`ExprSyntax`] so this crate
//! stays independent of the expression crates.

mod choice;
mod context;
mod diagnostic;
mod fields;
mod map;
mod pointer;
mod retry;
mod schema;
mod states;
mod template;
mod transitions;
mod values;
mod variables;

pub use diagnostic::{Diagnostic, DiagnosticCode, Severity, aws_invalid_definition_message};

use serde_json::Value;

/// Syntax checks for the embedded expression languages, supplied by the caller.
///
/// Each method returns `Err(reason)` when the string is not acceptable; the reason is
/// informational (the diagnostic message follows AWS's wording).
pub trait ExprSyntax {
    /// A Path: `InputPath`, `OutputPath`, Choice `Variable` and `…Path` operands
    /// (`$…`, `$$…`, `$var…`).
    fn check_path(&self, s: &str) -> Result<(), String>;
    /// A Reference Path: `ResultPath`, `ItemsPath`, `SecondsPath`, `TimestampPath`, …
    fn check_reference_path(&self, s: &str) -> Result<(), String>;
    /// The value of a `.$` key, or Fail `ErrorPath`/`CausePath`: a path or an intrinsic call.
    fn check_payload_value(&self, s: &str) -> Result<(), String>;
    /// The body of a `{% … %}` string (without the delimiters).
    fn check_jsonata(&self, s: &str) -> Result<(), String>;
    /// The members of `$states` a (valid) JSONata body reads as
    /// `$states.<member>`; `result` and `errorOutput` are only available in
    /// some fields. A checker that cannot tell returns none.
    fn jsonata_states_members(&self, _s: &str) -> Vec<String> {
        Vec::new()
    }
}

/// Validates a parsed definition, returning every problem found (empty = valid).
///
/// Never panics, whatever the JSON value.
pub fn validate(definition: &Value, syntax: &dyn ExprSyntax) -> Vec<Diagnostic> {
    let mut ctx = context::Ctx::new(syntax);
    states::validate_machine(&mut ctx, definition);
    ctx.finish()
}

/// Parses `text` as JSON and validates it. A parse failure is reported as a single
/// `INVALID_JSON_DESCRIPTION` diagnostic; empty input as `MISSING_DESCRIPTION`.
pub fn validate_str(text: &str, syntax: &dyn ExprSyntax) -> Vec<Diagnostic> {
    if text.trim().is_empty() {
        return vec![Diagnostic::error(
            DiagnosticCode::MissingDescription,
            "Received a null or empty workflow input",
            "",
        )];
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v) => validate(&v, syntax),
        Err(e) => vec![Diagnostic::error(
            DiagnosticCode::InvalidJsonDescription,
            e.to_string(),
            "",
        )],
    }
}
