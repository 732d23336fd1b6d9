//! Workflow variables (`Assign`): name rules and scoping.
//!
//! Each Parallel branch and inline Map iteration is a nested scope. It may read outer
//! variables, but AWS rejects a definition where a nested scope *assigns* a name that
//! an enclosing scope assigns, because the write could never reach the outer variable.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::context::{Ctx, Ql};
use crate::diagnostic::DiagnosticCode as C;
use crate::fields::{PathKind, jsonata_string, path_string, wrong_type};
use crate::pointer::Ptr;
use crate::template::{check_stripped_duplicates, walk_jsonata, walk_jsonpath};

/// Longest variable name AWS accepts.
const MAX_NAME: usize = 80;

/// Names assigned by enclosing scopes.
pub(crate) type Scope = BTreeSet<String>;

/// Validates one `Assign` object.
pub(crate) fn assign(ctx: &mut Ctx, v: &Value, ql: Ql, outer: &Scope, at: &Ptr) {
    let Value::Object(m) = v else {
        wrong_type(ctx, "Assign", "OBJECT", v, at);
        return;
    };
    if ql == Ql::JsonPath {
        check_stripped_duplicates(ctx, m, at);
    }
    for (k, val) in m {
        let here = at.key(k);
        let dynamic = ql == Ql::JsonPath && k.ends_with(".$");
        let name = if dynamic {
            &k[..k.len() - 2]
        } else {
            k.as_str()
        };
        check_name(ctx, name, &here);
        if outer.contains(name) {
            ctx.err(
                C::VariableScopeConflict,
                format!(
                    "Variable '{name}' is assigned in an outer scope and cannot be assigned in a nested scope"
                ),
                &here,
            );
        }
        match ql {
            Ql::JsonPath if dynamic => match val {
                Value::String(s) => path_string(ctx, k, s, PathKind::Payload, &here),
                _ => ctx.err(
                    C::InvalidIntrinsic,
                    format!(
                        "The value for the field '{k}' must be a valid JSONPath or a valid intrinsic function call"
                    ),
                    &here,
                ),
            },
            Ql::JsonPath => walk_jsonpath(ctx, val, &here, 1),
            Ql::Jsonata => match val {
                Value::String(s) => {
                    jsonata_string(ctx, k, s, &here);
                }
                _ => walk_jsonata(ctx, k, val, &here, 1),
            },
        }
    }
}

/// A variable name: an identifier (Unicode letters/digits/underscore, not starting
/// with a digit), at most 80 characters, and not the reserved `states`.
fn check_name(ctx: &mut Ctx, name: &str, at: &Ptr) {
    let mut chars = name.chars();
    let valid = match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => chars.all(|c| c.is_alphanumeric() || c == '_'),
        _ => false,
    };
    if !valid {
        ctx.err(
            C::InvalidVariableName,
            format!("The variable name '{name}' is not a valid identifier"),
            at,
        );
    } else if name.chars().count() > MAX_NAME {
        ctx.err(
            C::InvalidVariableName,
            format!(
                "The variable name '{name}' exceeds the maximum length of {MAX_NAME} characters"
            ),
            at,
        );
    } else if name == "states" {
        ctx.err(
            C::InvalidVariableName,
            "The variable name 'states' is reserved",
            at,
        );
    }
}

/// Names a state assigns (state `Assign`, Choice rule `Assign`s, catcher `Assign`s),
/// gathered before the scope is validated so nested scopes can be checked against
/// every assignment of their enclosing scope, wherever it appears.
pub(crate) fn assigned_names(state: &Map<String, Value>, into: &mut Scope) {
    fn add(v: Option<&Value>, into: &mut Scope) {
        if let Some(Value::Object(m)) = v {
            for k in m.keys() {
                into.insert(k.strip_suffix(".$").unwrap_or(k).to_string());
            }
        }
    }
    add(state.get("Assign"), into);
    for list in ["Choices", "Catch"] {
        if let Some(Value::Array(items)) = state.get(list) {
            for item in items {
                if let Value::Object(o) = item {
                    add(o.get("Assign"), into);
                }
            }
        }
    }
}
