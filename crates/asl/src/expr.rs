//! The seam between the interpreter and the expression languages: JSONPath
//! paths and intrinsics (`asl-path`) today, JSONata alongside them.
//!
//! Everything here turns an expression failure into the error name and
//! message AWS reports; callers add the "An error occurred while executing
//! the state …" prefix.

use asl_path::{EvalError, PathExpr, Variables};
use serde_json::Value;

use crate::error::names;
use crate::history::to_json_text;

/// What an expression may read, plus the execution's deterministic randomness.
pub struct Env<'a> {
    /// The document `$` refers to.
    pub input: &'a Value,
    /// The Context object (`$$`); `null` when the caller knew it is not needed.
    pub context: &'a Value,
    pub vars: &'a dyn Variables,
    pub random: &'a mut dyn FnMut() -> u64,
}

/// An expression failed: AWS's error name and the message after the state prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprFailure {
    pub error: String,
    pub message: String,
}

impl ExprFailure {
    pub fn runtime(message: impl Into<String>) -> ExprFailure {
        ExprFailure {
            error: names::RUNTIME.into(),
            message: message.into(),
        }
    }
}

/// A path evaluation failure, before the caller decides how to word it.
#[derive(Debug)]
pub struct PathFailure(EvalError);

impl PathFailure {
    pub fn is_not_found(&self) -> bool {
        self.0.is_not_found()
    }

    /// As AWS reports a miss in InputPath/OutputPath/ItemsPath:
    /// `Invalid path '$.x' : No results for path: $['x']`.
    pub fn into_runtime_failure(self) -> ExprFailure {
        ExprFailure {
            error: self.0.error_name().into(),
            message: self.0.to_string(),
        }
    }
}

/// Evaluates a path or intrinsic to an owned value.
pub fn eval_path(p: &PathExpr, env: &mut Env<'_>) -> Result<Value, PathFailure> {
    let penv = asl_path::Env {
        input: env.input,
        context: env.context,
        variables: env.vars,
    };
    let mut entropy = || (env.random)();
    p.eval(&penv, &mut entropy)
        .map(|v| v.into_owned())
        .map_err(PathFailure)
}

/// Evaluates a payload-template entry `"field.$": "text"`.
pub fn eval_field(
    p: &PathExpr,
    text: &str,
    field: &str,
    env: &mut Env<'_>,
) -> Result<Value, ExprFailure> {
    eval_path(p, env).map_err(|PathFailure(e)| match e {
        e if e.is_not_found() => ExprFailure::runtime(format!(
            "The JSONPath '{text}' specified for the field '{field}' could not be found in the input '{}'",
            to_json_text(env.input)
        )),
        e => ExprFailure {
            error: e.error_name().into(),
            message: e.to_string(),
        },
    })
}

/// Whether evaluating `p` may read the Context object.
pub fn uses_context(p: &PathExpr) -> bool {
    matches!(p, PathExpr::Context(_) | PathExpr::Intrinsic(_))
}

/// Evaluates a JSONata `{% … %}` body.
pub fn eval_jsonata(src: &str, _env: &mut Env<'_>) -> Result<Value, ExprFailure> {
    Err(ExprFailure {
        error: names::QUERY_EVALUATION_ERROR.into(),
        message: format!(
            "The JSONata expression '{src}' could not be evaluated: JSONata is not enabled in this build."
        ),
    })
}
