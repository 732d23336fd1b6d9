//! Definition-time syntax checks for the validator.

use crate::expr::PathExpr;
use crate::refpath::ReferencePath;

/// Checks a Path (InputPath, OutputPath, Choice `Variable`, `...Path`
/// comparison operands): `$...`, `$$...` or `$var...`, no intrinsic calls.
pub fn check_path(text: &str) -> Result<(), String> {
    PathExpr::parse_path(text)
        .map(|_| ())
        .map_err(|e| format!("The value for the field must be a valid JSONPath: {e}"))
}

/// Checks a Reference Path rooted at `$`, `$$` or a variable. Fields that
/// forbid the context object or variables (ResultPath) must additionally
/// check the root with [`ReferencePath::parse_rooted`].
pub fn check_reference_path(text: &str) -> Result<(), String> {
    ReferencePath::parse_rooted(text)
        .map(|_| ())
        .map_err(|e| format!("The value for the field must be a valid Reference Path: {e}"))
}

/// Checks the value of a `.$` key: a path or an intrinsic function call
/// whose functions are all known and have a valid number of arguments.
pub fn check_payload_value(text: &str) -> Result<(), String> {
    let expr = PathExpr::parse(text).map_err(|e| {
        format!("The value for the field must be a valid JSONPath or a valid intrinsic function call: {e}")
    })?;
    match expr.as_intrinsic() {
        Some(i) => i.check(),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks() {
        assert!(check_path("$.a[?(@.b)]").is_ok());
        assert!(check_path("$$.Execution.Id").is_ok());
        assert!(check_path("$var.x[0]").is_ok());
        assert!(check_path("$").is_ok());
        assert!(check_path("States.Array()").is_err());
        assert!(check_path("$.a b").is_err());
        assert!(check_reference_path("$.a[0]['b']").is_ok());
        assert!(check_reference_path("$$.Execution.Input").is_ok());
        assert!(check_reference_path("$.a[*]").is_err());
        assert!(check_payload_value("States.Format('{}', $.x)").is_ok());
        assert!(check_payload_value("$.x").is_ok());
        assert!(check_payload_value("States.Nope()").is_err());
        assert!(check_payload_value("not a path").is_err());
        assert!(check_payload_value("States.ArrayLength()").is_err());
    }
}
