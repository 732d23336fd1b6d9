//! Shared validation state: collected diagnostics, machine-wide registries
//! (state names, Map labels) and the machine's query language.

use std::collections::HashMap;

use crate::ExprSyntax;
use crate::diagnostic::{Diagnostic, DiagnosticCode};
use crate::pointer::Ptr;

/// Query language in force for a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ql {
    JsonPath,
    Jsonata,
}

/// Deepest nesting of states/templates we walk; beyond this we report
/// `TOO_DEEPLY_NESTED` instead of risking the stack.
pub(crate) const MAX_DEPTH: usize = 64;

pub(crate) struct Ctx<'a> {
    pub(crate) syntax: &'a dyn ExprSyntax,
    diags: Vec<Diagnostic>,
    /// The machine-level query language (a nested state defaults to this, not to its
    /// enclosing Map/Parallel's language).
    pub(crate) top_ql: Ql,
    /// State name → location of its first definition (names are machine-wide unique).
    pub(crate) state_names: HashMap<String, Ptr>,
    /// Map `Label` → first location (labels are machine-wide unique).
    pub(crate) labels: HashMap<String, Ptr>,
    /// Which of `$states.result` / `$states.errorOutput` the field being
    /// checked may read.
    pub(crate) states_scope: StatesScope,
}

/// What `$states` holds in a field beyond `input` and `context`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum StatesScope {
    #[default]
    Plain,
    /// A Task, Parallel or Map state's own `Output` and `Assign`.
    Result,
    /// A Catcher's `Output` and `Assign`.
    ErrorOutput,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(syntax: &'a dyn ExprSyntax) -> Self {
        Ctx {
            syntax,
            diags: Vec::new(),
            top_ql: Ql::JsonPath,
            state_names: HashMap::new(),
            labels: HashMap::new(),
            states_scope: StatesScope::Plain,
        }
    }

    /// Records an error-severity diagnostic.
    pub(crate) fn err(&mut self, code: DiagnosticCode, message: impl Into<String>, at: &Ptr) {
        self.diags
            .push(Diagnostic::error(code, message, at.render()));
    }

    /// Records a diagnostic with an explicit raw location string.
    pub(crate) fn err_raw(&mut self, code: DiagnosticCode, message: impl Into<String>, at: &str) {
        self.diags.push(Diagnostic::error(code, message, at));
    }

    pub(crate) fn finish(self) -> Vec<Diagnostic> {
        self.diags
    }
}
