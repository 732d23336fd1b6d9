//! Payload templates: `Parameters`, `ResultSelector`, `ItemSelector`,
//! `Assign`, `Credentials` (JSONPath `.$` keys) and JSONata `{% … %}` values.
//!
//! A template is compiled once; parts without any expression collapse into a
//! literal, so evaluating a constant `Parameters` block is a clone.

use std::sync::Arc;

use asl_path::PathExpr;
use baton_jsonata::Expression;
use serde_json::{Map, Value};

use crate::expr::{self, Env, ExprFailure};
use crate::model::{CompileError, QueryLanguage};

#[derive(Debug)]
pub enum Template {
    Literal(Value),
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
    /// A `"key.$": "<path or intrinsic>"` entry. `field` is the key as written
    /// (with `.$`), for error messages.
    Expr {
        expr: PathExpr,
        text: String,
        field: String,
    },
    /// A JSONata `{% … %}` string, parsed. `field` names where it sits the
    /// way AWS reports it (`Output/a/b`, `Arguments/Items[0]`).
    Jsonata {
        expr: Arc<Expression>,
        field: String,
    },
}

impl Template {
    /// Compiles the value of field `field` (AWS's name for it in JSONata
    /// error messages, e.g. `Output` or `Choices[0]/Assign`) found at `at`.
    pub fn compile(
        v: &Value,
        ql: QueryLanguage,
        at: &str,
        field: &str,
    ) -> Result<Template, CompileError> {
        let t = match v {
            Value::Object(obj) => {
                let mut entries = Vec::with_capacity(obj.len());
                for (k, child) in obj {
                    let loc = format!("{at}/{k}");
                    match (ql, k.strip_suffix(".$"), child) {
                        (QueryLanguage::JsonPath, Some(name), Value::String(text)) => {
                            let expr = PathExpr::parse(text).map_err(|e| CompileError {
                                message: e.to_string(),
                                location: loc.clone(),
                            })?;
                            entries.push((
                                name.to_string(),
                                Template::Expr {
                                    expr,
                                    text: text.clone(),
                                    field: k.clone(),
                                },
                            ));
                        }
                        _ => entries.push((
                            k.clone(),
                            Template::compile(child, ql, &loc, &format!("{field}/{k}"))?,
                        )),
                    }
                }
                Template::Object(entries)
            }
            Value::Array(items) => Template::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        Template::compile(item, ql, &format!("{at}/{i}"), &format!("{field}[{i}]"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Value::String(s) if ql == QueryLanguage::Jsonata => match jsonata_body(s) {
                Some(body) => {
                    let expr = Expression::parse(body).map_err(|e| CompileError {
                        message: format!("The JSONata expression '{body}' is invalid: {e}"),
                        location: at.to_string(),
                    })?;
                    Template::Jsonata {
                        expr: Arc::new(expr),
                        field: field.to_string(),
                    }
                }
                None => Template::Literal(v.clone()),
            },
            other => Template::Literal(other.clone()),
        };
        Ok(t.collapse())
    }

    /// Folds expression-free subtrees into literals.
    fn collapse(self) -> Template {
        match self {
            Template::Object(entries) if entries.iter().all(|(_, t)| t.is_literal()) => {
                let mut m = Map::with_capacity(entries.len());
                for (k, t) in entries {
                    if let Template::Literal(v) = t {
                        m.insert(k, v);
                    }
                }
                Template::Literal(Value::Object(m))
            }
            Template::Array(items) if items.iter().all(Template::is_literal) => {
                Template::Literal(Value::Array(
                    items
                        .into_iter()
                        .filter_map(|t| match t {
                            Template::Literal(v) => Some(v),
                            _ => None,
                        })
                        .collect(),
                ))
            }
            other => other,
        }
    }

    fn is_literal(&self) -> bool {
        matches!(self, Template::Literal(_))
    }

    /// Whether evaluation may read the Context object (`$$`), so callers only
    /// build it when needed.
    pub fn uses_context(&self) -> bool {
        match self {
            Template::Literal(_) => false,
            Template::Object(e) => e.iter().any(|(_, t)| t.uses_context()),
            Template::Array(a) => a.iter().any(Template::uses_context),
            Template::Expr { text, .. } => text.contains("$$"),
            Template::Jsonata { expr, .. } => expr.source().contains("$states.context"),
        }
    }

    /// Evaluates the template (JSONPath mode).
    pub fn eval(&self, env: &mut Env<'_>) -> Result<Value, ExprFailure> {
        match self {
            Template::Literal(v) => Ok(v.clone()),
            Template::Object(entries) => {
                let mut m = Map::with_capacity(entries.len());
                for (k, t) in entries {
                    m.insert(k.clone(), t.eval(env)?);
                }
                Ok(Value::Object(m))
            }
            Template::Array(items) => Ok(Value::Array(
                items
                    .iter()
                    .map(|t| t.eval(env))
                    .collect::<Result<_, _>>()?,
            )),
            Template::Expr { expr, text, field } => expr::eval_field(expr, text, field, env),
            Template::Jsonata { expr, field } => expr::eval_jsonata(expr, field, env),
        }
    }

    /// Top-level entries of an `Assign` block, evaluated all against the same
    /// environment (AWS: every expression sees the values as of state entry).
    pub fn eval_assign(&self, env: &mut Env<'_>) -> Result<Map<String, Value>, ExprFailure> {
        match self.eval(env)? {
            Value::Object(m) => Ok(m),
            _ => Ok(Map::new()),
        }
    }
}

/// A JSONata state's `Output` (or `default` without one) and `Assign`, both
/// evaluated against the same environment: AWS evaluates them "in parallel",
/// so assigning never changes what `Output` sees.
pub fn eval_output_and_assign(
    output: Option<&Template>,
    assign: Option<&Template>,
    default: Value,
    env: &mut Env<'_>,
) -> Result<(Value, Option<Map<String, Value>>), ExprFailure> {
    let assigned = match assign {
        Some(t) => Some(t.eval_assign(env)?),
        None => None,
    };
    let output = match output {
        Some(t) => t.eval(env)?,
        None => default,
    };
    Ok((output, assigned))
}

/// `{% expr %}` → `expr`. AWS requires the delimiters at the very ends.
pub fn jsonata_body(s: &str) -> Option<&str> {
    s.strip_prefix("{%")?.strip_suffix("%}")
}
