//! The value of a `.$` key (or any JSONPath-accepting field): a path on the
//! input, on the Context object (`$$`), on a workflow variable (`$name`), or
//! an intrinsic function call.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::error::{EvalError, ParseError};
use crate::intrinsic::Intrinsic;
use crate::query::Query;

/// Source of randomness for `States.UUID()` and unseeded
/// `States.MathRandom`. The crate never reads a clock or the OS RNG itself,
/// so the engine can make runs reproducible (tests, replays) by passing a
/// seeded generator.
pub trait Entropy {
    /// The next 64 uniformly distributed random bits.
    fn next_u64(&mut self) -> u64;
}

impl<F: FnMut() -> u64> Entropy for F {
    fn next_u64(&mut self) -> u64 {
        self()
    }
}

/// Lookup of workflow variables by name (without the `$`).
///
/// A trait rather than a closure so that implementations can hand out
/// borrowed values (no clone per lookup) and so that [`NoVariables`] can be a
/// `'static` constant.
pub trait Variables {
    /// The current value of variable `name`, if it is in scope.
    fn get(&self, name: &str) -> Option<&Value>;
}

/// No variables in scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoVariables;

impl Variables for NoVariables {
    fn get(&self, _name: &str) -> Option<&Value> {
        None
    }
}

impl Variables for Map<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        Map::get(self, name)
    }
}

impl<S: std::hash::BuildHasher> Variables for HashMap<String, Value, S> {
    fn get(&self, name: &str) -> Option<&Value> {
        HashMap::get(self, name)
    }
}

/// Everything a path or intrinsic can read. All fields are shared borrows,
/// so an `Env` is `Copy` and one can be reused for every `.$` key of a
/// payload template. Randomness is passed separately to `eval` because it is
/// the only thing that mutates, and keeping it out of `Env` means a result
/// that borrows from the input does not also keep the RNG borrowed.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// The document `$` refers to (state input, effective input, result, ...).
    pub input: &'a Value,
    /// The Context object `$$` refers to.
    pub context: &'a Value,
    /// Workflow variables `$name` refers to.
    pub variables: &'a dyn Variables,
}

impl<'a> Env<'a> {
    /// An environment without variables.
    pub fn new(input: &'a Value, context: &'a Value) -> Self {
        Env {
            input,
            context,
            variables: &NoVariables,
        }
    }

    /// Same environment with variables in scope.
    pub fn with_variables(self, variables: &'a dyn Variables) -> Self {
        Env { variables, ..self }
    }
}

/// A parsed JSONPath-mode expression.
#[derive(Debug, Clone)]
pub enum PathExpr {
    /// `$`, `$.a`, `$[0]`...: a query on the input.
    Input(Query),
    /// `$$`, `$$.Execution.Id`: a query on the Context object.
    Context(Query),
    /// `$name`, `$name.a[0]`: a query on a workflow variable's value.
    Variable {
        /// Variable name without the `$`.
        name: String,
        /// Query applied to the variable's value (`$` alone for `$name`).
        query: Query,
    },
    /// `States.Xxx(...)`.
    Intrinsic(Intrinsic),
}

/// If `text` starts with a variable reference `$name`, returns `name`.
/// Names follow Unicode identifier rules (ID_Start or `_`, then
/// ID_Continue) as AWS documents for variables.
pub(crate) fn variable_name(text: &str) -> Option<&str> {
    let rest = text.strip_prefix('$')?;
    let mut end = 0;
    for (i, c) in rest.char_indices() {
        let ok = if i == 0 {
            unicode_ident::is_xid_start(c) || c == '_'
        } else {
            unicode_ident::is_xid_continue(c)
        };
        if !ok {
            break;
        }
        end = i + c.len_utf8();
    }
    (end > 0).then(|| &rest[..end])
}

impl PathExpr {
    /// Parses the value of a `.$` key: a path (`$...`, `$$...`, `$var...`)
    /// or an intrinsic function call.
    pub fn parse(text: &str) -> Result<PathExpr, ParseError> {
        if text.trim_start().starts_with('$') {
            Self::parse_path(text)
        } else {
            Intrinsic::parse(text).map(PathExpr::Intrinsic)
        }
    }

    /// Parses a Path (InputPath, OutputPath, Choice `Variable`): like
    /// [`parse`](Self::parse) but intrinsic calls are rejected.
    pub fn parse_path(text: &str) -> Result<PathExpr, ParseError> {
        let t = text.trim();
        if let Some(rest) = t.strip_prefix("$$") {
            let q = Query::parse_labeled(&format!("${rest}"), text)?;
            return Ok(PathExpr::Context(q));
        }
        if let Some(name) = variable_name(t) {
            let rest = &t[1 + name.len()..];
            let q = Query::parse_labeled(&format!("${rest}"), text)?;
            return Ok(PathExpr::Variable {
                name: name.to_string(),
                query: q,
            });
        }
        if !t.starts_with('$') {
            return Err(ParseError::new(text, 0, "A path must start with '$'"));
        }
        Query::parse_labeled(t, text).map(PathExpr::Input)
    }

    /// The intrinsic call, if this is one (validators use it to check the
    /// function names).
    pub fn as_intrinsic(&self) -> Option<&Intrinsic> {
        match self {
            PathExpr::Intrinsic(i) => Some(i),
            _ => None,
        }
    }

    /// Evaluates the expression. Paths on the input/context/variables borrow
    /// from `env` when they are definite; `entropy` is only consulted by
    /// `States.UUID` and unseeded `States.MathRandom`.
    pub fn eval<'a>(
        &self,
        env: &Env<'a>,
        entropy: &mut dyn Entropy,
    ) -> Result<Cow<'a, Value>, EvalError> {
        match self {
            PathExpr::Input(q) => q.eval(env.input),
            PathExpr::Context(q) => q.eval(env.context),
            PathExpr::Variable { name, query } => match env.variables.get(name) {
                Some(v) => query.eval(v),
                None => Err(EvalError::VariableNotFound { name: name.clone() }),
            },
            PathExpr::Intrinsic(i) => i.eval(env, entropy).map(Cow::Owned),
        }
    }
}
