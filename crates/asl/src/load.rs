//! From definition text to a runnable [`Machine`]: validate with AWS's rules
//! (all diagnostics at once), then compile.

use asl_validate::{Diagnostic, DiagnosticCode, ExprSyntax};
use serde_json::Value;

use crate::model::Machine;

/// The JSONPath-mode syntax checks of `asl-path`, for the validator.
pub struct AslSyntax;

impl ExprSyntax for AslSyntax {
    fn check_path(&self, s: &str) -> Result<(), String> {
        asl_path::check_path(s)
    }

    fn check_reference_path(&self, s: &str) -> Result<(), String> {
        asl_path::check_reference_path(s)
    }

    fn check_payload_value(&self, s: &str) -> Result<(), String> {
        asl_path::check_payload_value(s)
    }

    fn check_jsonata(&self, s: &str) -> Result<(), String> {
        baton_jsonata::check_step_functions_restrictions(s)
    }

    fn jsonata_states_members(&self, s: &str) -> Vec<String> {
        baton_jsonata::Expression::parse(s)
            .map(|e| e.states_members().map(str::to_string).collect())
            .unwrap_or_default()
    }
}

/// Validates a definition given as JSON text.
pub fn validate_str(text: &str) -> Vec<Diagnostic> {
    asl_validate::validate_str(text, &AslSyntax)
}

/// Validates a parsed definition.
pub fn validate(definition: &Value) -> Vec<Diagnostic> {
    asl_validate::validate(definition, &AslSyntax)
}

/// Validates and compiles. Warnings do not stop a definition from loading.
pub fn load(text: &str) -> Result<Machine, Vec<Diagnostic>> {
    let diagnostics = validate_str(text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        vec![Diagnostic::error(
            DiagnosticCode::InvalidJsonDescription,
            e.to_string(),
            "",
        )]
    })?;
    load_value(value)
}

/// Compiles an already-validated definition.
pub fn load_value(value: Value) -> Result<Machine, Vec<Diagnostic>> {
    Machine::compile(value).map_err(|e| {
        vec![Diagnostic::error(
            DiagnosticCode::SchemaValidationFailed,
            e.message,
            e.location,
        )]
    })
}
