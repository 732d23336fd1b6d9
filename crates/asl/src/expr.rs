//! The seam between the interpreter and the expression languages: JSONPath
//! paths and intrinsics (`asl-path`) today, JSONata alongside them.
//!
//! Everything here turns an expression failure into the error name and
//! message AWS reports; callers add the "An error occurred while executing
//! the state …" prefix.

use asl_path::{EvalError, PathExpr, Variables};
use baton_jsonata::{Bindings, Expression, Host, VariableLookup};
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
    /// JSONata's `$states` (`{input, context, result?, errorOutput?}`);
    /// `null` in JSONPath states.
    pub states: &'a Value,
    /// The execution's clock, for JSONata's `$now()`/`$millis()`.
    pub now: crate::history::Millis,
}

/// An expression failed: AWS's error name and the message after the state prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprFailure {
    pub error: String,
    pub message: String,
    /// For JSONata failures: the field (`Output/a`), recorded in an
    /// `EvaluationFailed` event.
    pub location: Option<String>,
}

impl ExprFailure {
    pub fn runtime(message: impl Into<String>) -> ExprFailure {
        ExprFailure {
            error: names::RUNTIME.into(),
            message: message.into(),
            location: None,
        }
    }

    /// A `States.QueryEvaluationError` in JSONata field `field`.
    pub fn query(field: &str, message: impl Into<String>) -> ExprFailure {
        ExprFailure {
            error: names::QUERY_EVALUATION_ERROR.into(),
            message: message.into(),
            location: Some(field.to_string()),
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
            location: None,
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
            location: None,
        },
    })
}

/// Whether evaluating `p` may read the Context object.
pub fn uses_context(p: &PathExpr) -> bool {
    matches!(p, PathExpr::Context(_) | PathExpr::Intrinsic(_))
}

/// Workflow variables as the JSONata layer looks them up.
struct JsonataVars<'a>(&'a dyn Variables);

impl VariableLookup for JsonataVars<'_> {
    fn lookup(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}

/// Time and randomness for JSONata from the execution (deterministic on replay).
struct JsonataHost<'a, 'b> {
    now: crate::history::Millis,
    random: &'a mut (dyn FnMut() -> u64 + 'b),
}

impl Host for JsonataHost<'_, '_> {
    fn now_millis(&self) -> i64 {
        self.now
    }

    fn random_u64(&mut self) -> u64 {
        (self.random)()
    }
}

/// Evaluates a JSONata expression of field `field`; the result must be defined.
pub fn eval_jsonata(
    expr: &Expression,
    field: &str,
    env: &mut Env<'_>,
) -> Result<Value, ExprFailure> {
    let vars = JsonataVars(env.vars);
    let bindings = Bindings {
        states: env.states,
        variables: &vars,
    };
    let mut host = JsonataHost {
        now: env.now,
        random: &mut *env.random,
    };
    let src = expr.source().trim();
    expr.evaluate_defined(&bindings, &mut host).map_err(|e| {
        if e.kind == baton_jsonata::ErrorKind::UnsupportedResult {
            ExprFailure::query(
                field,
                format!("The JSONata expression '{src}' specified for the field '{field}' returned an unsupported result type."),
            )
        } else if e.is_undefined_result() {
            ExprFailure::query(
                field,
                format!("The JSONata expression '{src}' specified for the field '{field}' returned nothing (undefined)."),
            )
        } else {
            ExprFailure::query(
                field,
                format!(
                    "The JSONata expression '{src}' specified for the field '{field}' threw an error during evaluation. {}: {}",
                    e.code, e.message
                ),
            )
        }
    })
}

/// JSONata's name for a value's type, as AWS words type errors.
pub fn jsonata_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
