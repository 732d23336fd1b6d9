//! Definition checks shared by Create/UpdateStateMachine and
//! `ValidateStateMachineDefinition`: `asl-validate`'s rules plus the checks
//! that depend on the machine type, which the validator does not know.

use asl::{Diagnostic, DiagnosticCode};
use serde_json::{Value, json};
use store::MachineType;

use crate::error::ApiError;
use crate::protocol::{Params, shapes};

/// Every diagnostic for `definition` as a machine of type `machine_type`.
pub fn diagnostics(definition: &str, machine_type: MachineType) -> Vec<Diagnostic> {
    let mut diags = asl::validate_str(definition);
    if machine_type == MachineType::Express
        && !diags.iter().any(Diagnostic::is_error)
        && let Ok(value) = serde_json::from_str::<Value>(definition)
    {
        express_checks(&value, "", &mut diags);
    }
    diags
}

/// `InvalidDefinition` with AWS's message when `definition` has errors.
pub fn check_definition(definition: &str, machine_type: MachineType) -> Result<(), ApiError> {
    let diags = diagnostics(definition, machine_type);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(ApiError::sfn(
            "InvalidDefinition",
            asl_validate::aws_invalid_definition_message(&diags),
        ));
    }
    Ok(())
}

/// Express machines cannot wait on a job (`.sync`) or a callback
/// (`.waitForTaskToken`). AWS's wording for `.sync` is recorded; the
/// `.waitForTaskToken` one is assumed to follow the same pattern.
/// Walks nested Parallel branches and Map processors.
fn express_checks(machine: &Value, at: &str, out: &mut Vec<Diagnostic>) {
    let Some(states) = machine.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, state) in states {
        let here = format!("{at}/States/{name}");
        if let Some(resource) = state.get("Resource").and_then(Value::as_str) {
            for suffix in [".sync", ".waitForTaskToken"] {
                let integration = resource.starts_with("arn:aws:states:::");
                if integration
                    && (resource.ends_with(suffix) || resource.ends_with(&format!("{suffix}:2")))
                {
                    out.push(Diagnostic::error(
                        DiagnosticCode::SchemaValidationFailed,
                        format!(
                            "Express state machine does not support '{suffix}' service integration"
                        ),
                        format!("{here}/Resource"),
                    ));
                }
            }
        }
        if let Some(branches) = state.get("Branches").and_then(Value::as_array) {
            for (i, branch) in branches.iter().enumerate() {
                express_checks(branch, &format!("{here}/Branches/{i}"), out);
            }
        }
        for key in ["ItemProcessor", "Iterator"] {
            if let Some(inner) = state.get(key) {
                express_checks(inner, &format!("{here}/{key}"), out);
            }
        }
    }
}

/// `ValidateStateMachineDefinition`.
pub fn validate_definition(mut p: Params) -> Result<Value, ApiError> {
    let definition = p.string("definition", shapes::DEFINITION);
    let machine_type = p.enumeration("type", false, &["STANDARD", "EXPRESS"]);
    let severity = p.enumeration("severity", false, &["ERROR", "WARNING"]);
    let max = p.page_size("maxResults", 100, 100);
    p.finish()?;
    let definition = definition.unwrap_or_default();
    let machine_type = machine_type
        .as_deref()
        .and_then(MachineType::parse)
        .unwrap_or(MachineType::Standard);
    let with_warnings = severity.as_deref() == Some("WARNING");

    let all = diagnostics(&definition, machine_type);
    let failed = all.iter().any(Diagnostic::is_error);
    let shown: Vec<&Diagnostic> = all
        .iter()
        .filter(|d| with_warnings || d.is_error())
        .collect();
    let truncated = shown.len() > max;
    let diagnostics: Vec<Value> = shown
        .iter()
        .take(max)
        .map(|d| {
            let mut v = json!({
                "severity": d.severity.as_aws_str(),
                "code": d.code.aws_code(),
                "message": d.message,
            });
            if !d.location.is_empty() {
                v["location"] = json!(d.location);
            }
            v
        })
        .collect();
    Ok(json!({
        "result": if failed { "FAIL" } else { "OK" },
        "diagnostics": diagnostics,
        "truncated": truncated,
    }))
}
