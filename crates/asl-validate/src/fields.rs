//! Reusable field checks (presence, type, range, path syntax) that emit diagnostics
//! in AWS's wording.

use serde_json::{Map, Value};

use crate::context::{Ctx, Ql, StatesScope};
use crate::diagnostic::DiagnosticCode as C;
use crate::pointer::Ptr;
use crate::values::{as_int, jsonata_body, type_name};

/// Reports every key of `obj` not accepted by `accepts`, at the object's location
/// (AWS: `Field 'X' is not supported at /States/A`).
pub(crate) fn unsupported(
    ctx: &mut Ctx,
    obj: &Map<String, Value>,
    at: &Ptr,
    accepts: impl Fn(&str) -> bool,
) {
    for k in obj.keys() {
        if !accepts(k) {
            ctx.err(
                C::UnsupportedField,
                format!("Field '{k}' is not supported"),
                at,
            );
        }
    }
}

/// Reports the missing ones among `names` in a single diagnostic, like AWS's
/// `These fields are required: [States, StartAt]`.
pub(crate) fn required(ctx: &mut Ctx, obj: &Map<String, Value>, names: &[&str], at: &Ptr) {
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !obj.contains_key(*n))
        .collect();
    if !missing.is_empty() {
        ctx.err(
            C::MissingRequiredField,
            format!("These fields are required: [{}]", missing.join(", ")),
            at,
        );
    }
}

/// Reports a type mismatch for `field`.
pub(crate) fn wrong_type(ctx: &mut Ctx, field: &str, expected: &str, v: &Value, at: &Ptr) {
    ctx.err(
        C::SchemaValidationFailed,
        format!(
            "The field '{field}' must be of type {expected} but was {}",
            type_name(v)
        ),
        at,
    );
}

/// `obj[field]` as an object, reporting a type error otherwise.
pub(crate) fn object<'v>(
    ctx: &mut Ctx,
    obj: &'v Map<String, Value>,
    field: &str,
    at: &Ptr,
) -> Option<&'v Map<String, Value>> {
    let v = obj.get(field)?;
    match v {
        Value::Object(m) => Some(m),
        _ => {
            wrong_type(ctx, field, "OBJECT", v, &at.key(field));
            None
        }
    }
}

/// `obj[field]` as a string, reporting a type error otherwise.
pub(crate) fn string<'v>(
    ctx: &mut Ctx,
    obj: &'v Map<String, Value>,
    field: &str,
    at: &Ptr,
) -> Option<&'v str> {
    let v = obj.get(field)?;
    match v {
        Value::String(s) => Some(s),
        _ => {
            wrong_type(ctx, field, "STRING", v, &at.key(field));
            None
        }
    }
}

/// Reports `a` and `b` both present.
pub(crate) fn exclusive(ctx: &mut Ctx, obj: &Map<String, Value>, a: &str, b: &str, at: &Ptr) {
    if obj.contains_key(a) && obj.contains_key(b) {
        ctx.err(
            C::SchemaValidationFailed,
            format!("Fields '{a}' and '{b}' are mutually exclusive"),
            at,
        );
    }
}

/// Checks a JSONata `{% … %}` string through the expression checker. Returns whether
/// `s` was a JSONata string at all.
pub(crate) fn jsonata_string(ctx: &mut Ctx, field: &str, s: &str, at: &Ptr) -> bool {
    let Some(body) = jsonata_body(s) else {
        return false;
    };
    if let Err(reason) = ctx.syntax.check_jsonata(body) {
        ctx.err(
            C::InvalidJsonata,
            format!(
                "The value for the field '{field}' must be a valid JSONata expression: {reason}"
            ),
            at,
        );
        return true;
    }
    for member in ctx.syntax.jsonata_states_members(body) {
        let available = match member.as_str() {
            "result" => ctx.states_scope == StatesScope::Result,
            "errorOutput" => ctx.states_scope == StatesScope::ErrorOutput,
            _ => true,
        };
        if !available {
            let where_ = if member == "result" {
                "the Output and Assign fields of Task, Parallel and Map states"
            } else {
                "the Output and Assign fields of a Catcher"
            };
            ctx.err(
                C::InvalidJsonata,
                format!(
                    "The JSONata expression for the field '{field}' references $states.{member}, which is only available in {where_}"
                ),
                at,
            );
        }
    }
    true
}

/// An integer field with an inclusive range. In JSONata states the field may instead
/// hold a `{% … %}` expression, evaluated at run time.
pub(crate) fn int_in_range(
    ctx: &mut Ctx,
    obj: &Map<String, Value>,
    field: &str,
    ql: Ql,
    min: i64,
    max: Option<i64>,
    at: &Ptr,
) -> Option<i64> {
    let v = obj.get(field)?;
    let here = at.key(field);
    if let (Ql::Jsonata, Value::String(s)) = (ql, v)
        && jsonata_string(ctx, field, s, &here)
    {
        return None;
    }
    let Some(i) = as_int(v) else {
        let what = match min {
            1 => "a positive integer",
            0 => "a non-negative integer",
            _ => "an integer",
        };
        ctx.err(
            C::SchemaValidationFailed,
            format!("The value for the field '{field}' must be {what}"),
            &here,
        );
        return None;
    };
    if i < min {
        ctx.err(
            C::SchemaValidationFailed,
            format!("The value for the field '{field}' must be greater than or equal to {min}"),
            &here,
        );
    } else if let Some(max) = max
        && i > max
    {
        ctx.err(
            C::SchemaValidationFailed,
            format!("The value for the field '{field}' must be less than or equal to {max}"),
            &here,
        );
    }
    Some(i)
}

/// A string field restricted to an enumeration.
pub(crate) fn one_of(
    ctx: &mut Ctx,
    obj: &Map<String, Value>,
    field: &str,
    allowed: &[&str],
    at: &Ptr,
) -> Option<String> {
    let v = obj.get(field)?;
    match v {
        Value::String(s) if allowed.contains(&s.as_str()) => Some(s.clone()),
        _ => {
            ctx.err(
                C::SchemaValidationFailed,
                format!(
                    "The field '{field}' should have one of these values: [{}]",
                    allowed.join(", ")
                ),
                &at.key(field),
            );
            None
        }
    }
}

/// Which syntax a path-valued field takes.
#[derive(Clone, Copy)]
pub(crate) enum PathKind {
    /// `InputPath`, `OutputPath`, Choice `Variable` and `…Path` operands.
    Path,
    /// `ResultPath`, `ItemsPath`, `SecondsPath`, …
    Reference,
    /// `.$` values and Fail `ErrorPath`/`CausePath`: path or intrinsic.
    Payload,
}

/// Checks one path string of the given kind.
pub(crate) fn path_string(ctx: &mut Ctx, field: &str, s: &str, kind: PathKind, at: &Ptr) {
    let (res, code, what) = match kind {
        PathKind::Path => (
            ctx.syntax.check_path(s),
            C::InvalidJsonPath,
            "a valid JSONPath",
        ),
        PathKind::Reference => (
            ctx.syntax.check_reference_path(s),
            C::InvalidReferencePath,
            "a valid Reference Path",
        ),
        PathKind::Payload => (
            ctx.syntax.check_payload_value(s),
            C::InvalidIntrinsic,
            "a valid JSONPath or a valid intrinsic function call",
        ),
    };
    if res.is_err() {
        ctx.err(
            code,
            format!("The value for the field '{field}' must be {what}"),
            at,
        );
    }
}

/// A path-valued field. `nullable` fields (`InputPath`, `OutputPath`, `ResultPath`)
/// accept JSON `null`, which has its own data-flow meaning.
pub(crate) fn path_field(
    ctx: &mut Ctx,
    obj: &Map<String, Value>,
    field: &str,
    kind: PathKind,
    nullable: bool,
    at: &Ptr,
) {
    let Some(v) = obj.get(field) else { return };
    let here = at.key(field);
    match v {
        Value::Null if nullable => {}
        Value::String(s) => path_string(ctx, field, s, kind, &here),
        _ => wrong_type(ctx, field, "STRING", v, &here),
    }
}

/// `ResultPath` (state or catcher): a Reference Path that may be `null`, but may not
/// address the Context object or a variable — results can only be placed into the
/// state's input.
pub(crate) fn result_path(ctx: &mut Ctx, obj: &Map<String, Value>, at: &Ptr) {
    if let Some(Value::String(s)) = obj.get("ResultPath") {
        let after = s.strip_prefix('$').unwrap_or("");
        let bad = after.starts_with('$')
            || after
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if bad {
            ctx.err(
                C::InvalidReferencePath,
                "The value for the field 'ResultPath' must be a valid Reference Path",
                &at.key("ResultPath"),
            );
            return;
        }
    }
    path_field(ctx, obj, "ResultPath", PathKind::Reference, true, at);
}
