//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`, `BatchInput`,
//! reader/writer `Parameters`, `Credentials`) and JSONata-bearing values
//! (`Arguments`, `Output`, JSONata `ItemSelector`, …).

use serde_json::{Map, Value};

use crate::context::{Ctx, MAX_DEPTH, Ql};
use crate::diagnostic::DiagnosticCode as C;
use crate::fields::{PathKind, jsonata_string, path_string};
use crate::pointer::Ptr;

/// Walks a value in the state's query language: JSONPath templates get their `.$`
/// keys checked; JSONata values get every `{% … %}` string checked.
pub(crate) fn walk(ctx: &mut Ctx, field: &str, v: &Value, ql: Ql, at: &Ptr) {
    match ql {
        Ql::JsonPath => walk_jsonpath(ctx, v, at, 0),
        Ql::Jsonata => walk_jsonata(ctx, field, v, at, 0),
    }
}

fn too_deep(ctx: &mut Ctx, at: &Ptr) {
    ctx.err(C::TooDeeplyNested, "The value is too deeply nested", at);
}

/// JSONPath payload template: any key ending in `.$` must hold a path or intrinsic;
/// two keys that collide once `.$` is stripped are ambiguous and rejected.
pub(crate) fn walk_jsonpath(ctx: &mut Ctx, v: &Value, at: &Ptr, depth: usize) {
    if depth > MAX_DEPTH {
        too_deep(ctx, at);
        return;
    }
    match v {
        Value::Object(m) => {
            check_stripped_duplicates(ctx, m, at);
            for (k, val) in m {
                let here = at.key(k);
                if k.ends_with(".$") {
                    match val {
                        Value::String(s) => path_string(ctx, k, s, PathKind::Payload, &here),
                        _ => ctx.err(
                            C::InvalidIntrinsic,
                            format!(
                                "The value for the field '{k}' must be a valid JSONPath or a valid intrinsic function call"
                            ),
                            &here,
                        ),
                    }
                } else {
                    walk_jsonpath(ctx, val, &here, depth + 1);
                }
            }
        }
        Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                walk_jsonpath(ctx, item, &at.idx(i), depth + 1);
            }
        }
        _ => {}
    }
}

/// Reports keys such as `"a"` and `"a.$"` side by side in one object.
pub(crate) fn check_stripped_duplicates(ctx: &mut Ctx, m: &Map<String, Value>, at: &Ptr) {
    for k in m.keys() {
        if let Some(base) = k.strip_suffix(".$")
            && m.contains_key(base)
        {
            ctx.err(
                C::SchemaValidationFailed,
                format!("The field '{base}' is defined more than once (as '{base}' and '{k}')"),
                at,
            );
        }
    }
}

/// JSONata value: every string that is a `{% … %}` expression must parse.
pub(crate) fn walk_jsonata(ctx: &mut Ctx, field: &str, v: &Value, at: &Ptr, depth: usize) {
    if depth > MAX_DEPTH {
        too_deep(ctx, at);
        return;
    }
    match v {
        Value::String(s) => {
            jsonata_string(ctx, field, s, at);
        }
        Value::Object(m) => {
            for (k, val) in m {
                walk_jsonata(ctx, k, val, &at.key(k), depth + 1);
            }
        }
        Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                walk_jsonata(ctx, field, item, &at.idx(i), depth + 1);
            }
        }
        _ => {}
    }
}
