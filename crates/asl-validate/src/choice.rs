//! Choice state rules.

use serde_json::{Map, Value};

use crate::context::{Ctx, MAX_DEPTH, Ql};
use crate::diagnostic::DiagnosticCode as C;
use crate::fields::{
    self, PathKind, jsonata_string, path_string, required, unsupported, wrong_type,
};
use crate::pointer::Ptr;
use crate::template;
use crate::values::is_timestamp;
use crate::variables::{self, Scope};

/// What a comparison operator's operand must be.
#[derive(Clone, Copy)]
enum Operand {
    String,
    Number,
    Boolean,
    Timestamp,
    Path,
}

/// Every JSONPath data-test operator and its operand kind.
fn operator(name: &str) -> Option<Operand> {
    use Operand::*;
    Some(match name {
        "StringEquals"
        | "StringLessThan"
        | "StringGreaterThan"
        | "StringLessThanEquals"
        | "StringGreaterThanEquals"
        | "StringMatches" => String,
        "NumericEquals"
        | "NumericLessThan"
        | "NumericGreaterThan"
        | "NumericLessThanEquals"
        | "NumericGreaterThanEquals" => Number,
        "BooleanEquals" | "IsNull" | "IsPresent" | "IsNumeric" | "IsString" | "IsBoolean"
        | "IsTimestamp" => Boolean,
        "TimestampEquals"
        | "TimestampLessThan"
        | "TimestampGreaterThan"
        | "TimestampLessThanEquals"
        | "TimestampGreaterThanEquals" => Timestamp,
        "StringEqualsPath"
        | "StringLessThanPath"
        | "StringGreaterThanPath"
        | "StringLessThanEqualsPath"
        | "StringGreaterThanEqualsPath"
        | "NumericEqualsPath"
        | "NumericLessThanPath"
        | "NumericGreaterThanPath"
        | "NumericLessThanEqualsPath"
        | "NumericGreaterThanEqualsPath"
        | "BooleanEqualsPath"
        | "TimestampEqualsPath"
        | "TimestampLessThanPath"
        | "TimestampGreaterThanPath"
        | "TimestampLessThanEqualsPath"
        | "TimestampGreaterThanEqualsPath" => Path,
        _ => return None,
    })
}

/// Validates `Choices` and `Default`; returns every transition target.
pub(crate) fn choice(
    ctx: &mut Ctx,
    state: &Map<String, Value>,
    ql: Ql,
    outer: &Scope,
    at: &Ptr,
) -> Vec<(String, Ptr)> {
    let mut targets = Vec::new();
    if let Some(d) = fields::string(ctx, state, "Default", at) {
        targets.push((d.to_string(), at.key("Default")));
    }
    let Some(v) = state.get("Choices") else {
        return targets;
    };
    let here = at.key("Choices");
    let Value::Array(rules) = v else {
        wrong_type(ctx, "Choices", "ARRAY", v, &here);
        return targets;
    };
    if rules.is_empty() {
        ctx.err(
            C::SchemaValidationFailed,
            "The field 'Choices' should be non-empty",
            &here,
        );
    }
    for (i, rule) in rules.iter().enumerate() {
        let rloc = here.idx(i);
        let Value::Object(r) = rule else {
            wrong_type(ctx, "Choices", "OBJECT", rule, &rloc);
            continue;
        };
        if let Some(n) = fields::string(ctx, r, "Next", &rloc) {
            targets.push((n.to_string(), rloc.key("Next")));
        }
        if let Some(a) = r.get("Assign") {
            variables::assign(ctx, a, ql, outer, &rloc.key("Assign"));
        }
        fields::string(ctx, r, "Comment", &rloc);
        match ql {
            Ql::Jsonata => jsonata_rule(ctx, r, &rloc),
            Ql::JsonPath => jsonpath_rule(ctx, r, true, &rloc, 0),
        }
    }
    targets
}

/// JSONata rule: `{Condition, Next, Assign?, Output?, Comment?}`.
fn jsonata_rule(ctx: &mut Ctx, r: &Map<String, Value>, at: &Ptr) {
    unsupported(ctx, r, at, |k| {
        matches!(k, "Condition" | "Next" | "Assign" | "Output" | "Comment")
    });
    required(ctx, r, &["Condition", "Next"], at);
    match r.get("Condition") {
        None | Some(Value::Bool(_)) => {}
        Some(Value::String(s)) => {
            if !jsonata_string(ctx, "Condition", s, &at.key("Condition")) {
                ctx.err(
                    C::SchemaValidationFailed,
                    "The value for the field 'Condition' must be a boolean or a JSONata expression",
                    &at.key("Condition"),
                );
            }
        }
        Some(other) => wrong_type(ctx, "Condition", "BOOLEAN", other, &at.key("Condition")),
    }
    if let Some(o) = r.get("Output") {
        template::walk(ctx, "Output", o, Ql::Jsonata, &at.key("Output"));
    }
}

/// JSONPath rule: a Boolean combination (`And`/`Or`/`Not`) or a data test
/// (`Variable` + exactly one comparison operator). Only top-level rules carry
/// `Next`/`Assign`.
fn jsonpath_rule(ctx: &mut Ctx, r: &Map<String, Value>, top: bool, at: &Ptr, depth: usize) {
    if depth > MAX_DEPTH {
        ctx.err(
            C::TooDeeplyNested,
            "The choice rule is too deeply nested",
            at,
        );
        return;
    }
    unsupported(ctx, r, at, |k| {
        matches!(k, "Variable" | "Comment" | "And" | "Or" | "Not")
            || operator(k).is_some()
            || (top && matches!(k, "Next" | "Assign"))
    });
    if top {
        required(ctx, r, &["Next"], at);
    }
    let ops: Vec<&str> = r
        .keys()
        .map(String::as_str)
        .filter(|k| matches!(*k, "And" | "Or" | "Not") || operator(k).is_some())
        .collect();
    if ops.len() != 1 {
        ctx.err(
            C::SchemaValidationFailed,
            if ops.is_empty() {
                "A choice rule must contain exactly one comparison operator or one of [And, Or, Not]".to_string()
            } else {
                format!(
                    "A choice rule must contain exactly one comparison operator, but found: [{}]",
                    ops.join(", ")
                )
            },
            at,
        );
    }
    let boolean = ops.iter().any(|k| matches!(*k, "And" | "Or" | "Not"));
    if boolean {
        if r.contains_key("Variable") {
            ctx.err(C::UnsupportedField, "Field 'Variable' is not supported", at);
        }
    } else if !ops.is_empty() {
        required(ctx, r, &["Variable"], at);
    }
    if r.contains_key("Variable") || !boolean {
        fields::path_field(ctx, r, "Variable", PathKind::Path, false, at);
    }
    for op in ops {
        let v = &r[op];
        let here = at.key(op);
        match op {
            "And" | "Or" => match v {
                Value::Array(list) if !list.is_empty() => {
                    for (i, sub) in list.iter().enumerate() {
                        match sub {
                            Value::Object(s) => {
                                jsonpath_rule(ctx, s, false, &here.idx(i), depth + 1)
                            }
                            _ => wrong_type(ctx, op, "OBJECT", sub, &here.idx(i)),
                        }
                    }
                }
                Value::Array(_) => ctx.err(
                    C::SchemaValidationFailed,
                    format!("The field '{op}' should be non-empty"),
                    &here,
                ),
                _ => wrong_type(ctx, op, "ARRAY", v, &here),
            },
            "Not" => match v {
                Value::Object(s) => jsonpath_rule(ctx, s, false, &here, depth + 1),
                _ => wrong_type(ctx, op, "OBJECT", v, &here),
            },
            _ => operand(ctx, op, v, &here),
        }
    }
}

fn operand(ctx: &mut Ctx, op: &str, v: &Value, at: &Ptr) {
    match operator(op) {
        Some(Operand::String) if !v.is_string() => wrong_type(ctx, op, "STRING", v, at),
        Some(Operand::Number) if !v.is_number() => wrong_type(ctx, op, "NUMBER", v, at),
        Some(Operand::Boolean) if !v.is_boolean() => wrong_type(ctx, op, "BOOLEAN", v, at),
        Some(Operand::Timestamp) => match v {
            Value::String(s) if is_timestamp(s) => {}
            Value::String(_) => ctx.err(
                C::SchemaValidationFailed,
                format!("The value for the field '{op}' must be a valid ISO-8601 timestamp"),
                at,
            ),
            _ => wrong_type(ctx, op, "STRING", v, at),
        },
        Some(Operand::Path) => match v {
            Value::String(s) => path_string(ctx, op, s, PathKind::Path, at),
            _ => wrong_type(ctx, op, "STRING", v, at),
        },
        _ => {}
    }
}
