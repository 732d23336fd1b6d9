//! JSONata for Baton, in the dialect AWS Step Functions uses.
//!
//! Step Functions evaluates `{% ... %}` strings as JSONata 2.0.6 with a few
//! changes: extra functions (`$partition`, `$range`, `$hash`, `$random(seed)`,
//! `$uuid`, `$parse`), no `$eval`, and no implicit input document (`$`, `$$`
//! and bare field names are forbidden at the top level; data comes from
//! `$states` and workflow variables).
//!
//! The JSONata engine is the `jsonata-core` crate (pinned), chosen because it
//! is pure Rust, accepts closures as host functions (needed for the extras
//! and for deterministic time/randomness), and passes nearly all of the
//! jsonata-js reference suite. It is wrapped so that nothing of it appears in
//! this crate's public API: the engine can be swapped (e.g. for jsonata.js in
//! an embedded JS runtime) without touching Baton's engine.
//!
//! Determinism: Baton replays executions, so `$now()`, `$millis()`,
//! `$random()`, `$uuid()` and `$shuffle()` take time and randomness from the
//! caller's [`Host`], never from the system (see [`Expression::evaluate`]).

mod analysis;
mod convert;
mod error;
mod functions;

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorOptions};
use jsonata_core::value::JValue;
use serde_json::Value;

pub use error::{
    ErrorKind, JsonataError, LIMIT_CODE, RESTRICTION_CODE, UNDEFINED_RESULT_CODE,
    UNSUPPORTED_RESULT_CODE,
};

use analysis::{Analysis, RANDOM_FUNCTIONS, TIME_FUNCTIONS};
use functions::SplitMix64;

/// Time and randomness for one evaluation, supplied by the caller so that a
/// replayed execution sees exactly the values the original run saw.
///
/// Per [`Expression::evaluate`] call the host is asked for the time at most
/// once and for one random `u64` at most once, and only when the expression
/// mentions a function that needs them (`$now`/`$millis`; `$random`,
/// `$uuid`, `$shuffle`). So the sequence of host calls is a pure function of
/// the expressions evaluated.
pub trait Host {
    /// Current time in milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;
    /// A fresh random value; seeds the evaluation's random stream.
    fn random_u64(&mut self) -> u64;
}

/// A [`Host`] with a fixed clock and a seeded SplitMix64 generator: the same
/// construction gives the same values. Useful for tests and for replay when
/// the engine records `(now, seed)` per state.
#[derive(Debug, Clone)]
pub struct FixedHost {
    /// Value returned by [`Host::now_millis`].
    pub now_millis: i64,
    rng: SplitMix64,
}

impl FixedHost {
    /// A host whose clock reads `now_millis` and whose randomness derives
    /// from `seed`.
    pub fn new(now_millis: i64, seed: u64) -> Self {
        FixedHost {
            now_millis,
            rng: SplitMix64(seed),
        }
    }
}

impl Host for FixedHost {
    fn now_millis(&self) -> i64 {
        self.now_millis
    }
    fn random_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

/// Read access to workflow variables, by name without the `$`.
///
/// A trait rather than a concrete map so that the engine can chain scopes
/// (a Map iteration reads its own variables, then the outer ones) without
/// copying them. Only the names an expression mentions are looked up.
pub trait VariableLookup {
    /// The value of variable `name`, if it is defined.
    fn lookup(&self, name: &str) -> Option<&Value>;
}

impl VariableLookup for serde_json::Map<String, Value> {
    fn lookup(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

impl<S: BuildHasher> VariableLookup for HashMap<String, Value, S> {
    fn lookup(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

impl VariableLookup for BTreeMap<String, Value> {
    fn lookup(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

/// No variables at all.
impl VariableLookup for () {
    fn lookup(&self, _name: &str) -> Option<&Value> {
        None
    }
}

/// What a Step Functions expression can see.
#[derive(Clone, Copy)]
pub struct Bindings<'a> {
    /// Bound as `$states`: `{input, context, result?, errorOutput?}`.
    pub states: &'a Value,
    /// Workflow variables (`$name`). `$states` is reserved and always wins.
    pub variables: &'a dyn VariableLookup,
}

impl<'a> Bindings<'a> {
    /// `$states` only, no workflow variables.
    pub fn new(states: &'a Value) -> Self {
        Bindings {
            states,
            variables: &(),
        }
    }
}

/// Guards against runaway expressions.
///
/// Expressions come from state machine definitions, i.e. from users, so an
/// infinite loop or unbounded recursion must end in an error, not a hung
/// worker or a crashed process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget for one evaluation, in milliseconds. (Checked by the
    /// engine between evaluation steps, so a single huge builtin call can
    /// overrun it.) Whether the budget trips is the one non-deterministic
    /// outcome of an evaluation; it only affects expressions that are
    /// broken anyway.
    pub time_budget_ms: Option<u64>,
    /// Maximum evaluation depth (nested evaluation steps; a non-tail
    /// recursive call costs about three). Deep levels run on heap-allocated
    /// stack segments, so this bounds memory, not the native stack.
    pub max_depth: Option<usize>,
    /// Maximum length of a sequence built by a path, filter, map, range...
    pub max_sequence_length: Option<usize>,
}

impl Default for Limits {
    /// 10 s, depth 10,000 (about 3,000 nested non-tail calls, far above any
    /// sane workflow expression) and no sequence limit beyond JSONata's own
    /// 10^7 cap on `[a..b]` (the reference suite needs 10^7 items).
    fn default() -> Self {
        Limits {
            time_budget_ms: Some(10_000),
            max_depth: Some(10_000),
            max_sequence_length: None,
        }
    }
}

/// Options for [`Expression::evaluate_with`], the general entry point.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvalOptions<'a> {
    /// The input document (`$` at the top level); `None` is `undefined`,
    /// which is what Step Functions mode uses.
    pub input: Option<&'a Value>,
    /// Keep JSONata's `$eval` (plain JSONata). Step Functions has no `$eval`.
    pub allow_eval: bool,
    /// Runaway guards.
    pub limits: Limits,
}

/// A parsed JSONata expression. Parse once per definition and reuse: parsing
/// costs more than evaluating a typical Step Functions expression.
///
/// `Send + Sync`, so one parsed definition can be shared across workers;
/// each evaluation builds its own short-lived evaluator.
#[derive(Debug)]
pub struct Expression {
    source: String,
    ast: AstNode,
    analysis: Analysis,
}

impl Expression {
    /// Parses `src` (the text between `{%` and `%}`).
    ///
    /// Does not apply the Step Functions restrictions (so the same type can
    /// run the plain-JSONata conformance suite); call
    /// [`Expression::check_step_functions_restrictions`] when validating a
    /// definition.
    pub fn parse(src: &str) -> Result<Self, JsonataError> {
        let ast = guarded(|| jsonata_core::parser::parse(src))?
            .map_err(|e| JsonataError::from_parser(&e))?;
        let analysis = analysis::analyse(&ast);
        Ok(Expression {
            source: src.to_string(),
            ast,
            analysis,
        })
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Checks the Step Functions restrictions on this expression: no `$`,
    /// bare field names, `*`, `**` or `%` at the top level (there is no
    /// implicit input document), no `$$` anywhere, no `$eval`, and no
    /// JSONata 2.1 operators (`??`, `?:`; AWS implements 2.0.6).
    pub fn check_step_functions_restrictions(&self) -> Result<(), JsonataError> {
        match &self.analysis.violation {
            None => Ok(()),
            Some(msg) => Err(JsonataError::new(
                ErrorKind::Restriction,
                RESTRICTION_CODE,
                msg.clone(),
            )),
        }
    }

    /// The members of `$states` the expression reads as `$states.<member>`.
    pub fn states_members(&self) -> impl Iterator<Item = &str> {
        self.analysis.states_members.iter().map(String::as_str)
    }

    /// The `$names` the expression mentions (variables and called
    /// functions, without the `$`), e.g. for `variableReferences`.
    pub fn referenced_names(&self) -> impl Iterator<Item = &str> {
        self.analysis.names.iter().map(String::as_str)
    }

    /// Evaluates in Step Functions mode: no input document, `$states` and
    /// workflow variables bound, `$eval` disabled, default [`Limits`].
    /// `Ok(None)` means the result is `undefined` (which Step Functions
    /// reports as an error; see [`Expression::evaluate_defined`]).
    pub fn evaluate(
        &self,
        bindings: &Bindings<'_>,
        host: &mut dyn Host,
    ) -> Result<Option<Value>, JsonataError> {
        let vars = WithStates(bindings);
        self.evaluate_with(&vars, host, &EvalOptions::default())
    }

    /// Like [`Expression::evaluate`], but an `undefined` result is an error
    /// of kind [`ErrorKind::UndefinedResult`], as every Step Functions field
    /// requires a value.
    pub fn evaluate_defined(
        &self,
        bindings: &Bindings<'_>,
        host: &mut dyn Host,
    ) -> Result<Value, JsonataError> {
        self.evaluate(bindings, host)?.ok_or_else(|| {
            JsonataError::new(
                ErrorKind::UndefinedResult,
                UNDEFINED_RESULT_CODE,
                format!(
                    "The JSONata expression '{}' returned nothing (undefined).",
                    self.source
                ),
            )
        })
    }

    /// The general entry point: any input document, any variables (looked up
    /// by the names the expression mentions), chosen options.
    pub fn evaluate_with(
        &self,
        variables: &dyn VariableLookup,
        host: &mut dyn Host,
        options: &EvalOptions<'_>,
    ) -> Result<Option<Value>, JsonataError> {
        let now = self
            .analysis
            .mentions_any(TIME_FUNCTIONS)
            .then(|| host.now_millis());
        let seed = self
            .analysis
            .mentions_any(RANDOM_FUNCTIONS)
            .then(|| host.random_u64());

        let mut context = Context::new();
        for name in &self.analysis.names {
            if let Some(value) = variables.lookup(name) {
                context.bind(name.clone(), convert::to_jvalue(value));
            }
        }
        let input = options.input.map_or(JValue::Undefined, convert::to_jvalue);
        let engine_options = EvaluatorOptions {
            timeout_ms: options.limits.time_budget_ms,
            max_stack_depth: options.limits.max_depth,
            max_sequence_length: options.limits.max_sequence_length,
            ..EvaluatorOptions::default()
        };

        // `guarded` turns a panic into an error; the inner `?`s produce the
        // evaluation's own errors.
        guarded(|| {
            let mut ev = Evaluator::with_options(context, engine_options);
            let rng = seed.map(|s| Rc::new(Cell::new(SplitMix64(s))));
            functions::register(&mut ev, now, rng, options.allow_eval)
                .map_err(|e| JsonataError::from_evaluator(&e))?;
            let value = ev
                .evaluate(&self.ast, &input)
                .map_err(|e| JsonataError::from_evaluator(&e))?;
            if matches!(
                value,
                JValue::Lambda(_) | JValue::Builtin { .. } | JValue::Regex { .. }
            ) {
                return Err(JsonataError::new(
                    ErrorKind::UnsupportedResult,
                    UNSUPPORTED_RESULT_CODE,
                    "The expression returned a function, which has no JSON value.",
                ));
            }
            convert::from_jvalue(&value)
        })?
    }
}

/// Parses `src` and checks the Step Functions restrictions; the `Err` is a
/// message suitable for a definition validation error.
pub fn check_step_functions_restrictions(src: &str) -> Result<(), String> {
    Expression::parse(src)
        .and_then(|e| e.check_step_functions_restrictions())
        .map_err(|e| e.message)
}

/// `$states` plus the workflow variables.
struct WithStates<'a, 'b>(&'a Bindings<'b>);

impl VariableLookup for WithStates<'_, '_> {
    fn lookup(&self, name: &str) -> Option<&Value> {
        if name == "states" {
            Some(self.0.states)
        } else {
            self.0.variables.lookup(name)
        }
    }
}

/// Runs `f`, turning a panic inside the JSONata engine into an error.
///
/// jsonata-core is large and young; a panic on some odd input must not take
/// a worker thread (or, with `panic = "abort"`, the process) down. Nothing
/// outlives a caught panic: each evaluation owns its evaluator and values.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, JsonataError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        JsonataError::new(
            ErrorKind::Evaluation,
            "D1000",
            format!("internal error in the JSONata engine: {detail}"),
        )
    })
}

#[cfg(test)]
mod tests;
