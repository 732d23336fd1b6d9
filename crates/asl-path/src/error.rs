//! Error types shared by every module of the crate.

use thiserror::Error;

/// A syntax error found while parsing a path, reference path or intrinsic
/// function call. Parse errors are definition-time problems: the validator
/// turns them into `SCHEMA_VALIDATION_FAILED`-style messages.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message} (at character {position} of '{input}')")]
pub struct ParseError {
    /// Human readable description of what is wrong.
    pub message: String,
    /// Character offset (0-based) where the problem was noticed.
    pub position: usize,
    /// The text that was being parsed.
    pub input: String,
}

impl ParseError {
    pub(crate) fn new(input: &str, position: usize, message: impl Into<String>) -> Self {
        ParseError {
            message: message.into(),
            position,
            input: input.to_string(),
        }
    }
}

/// A run-time evaluation failure.
///
/// The variants are split by *what the caller must report*: AWS reports path
/// misses as `States.Runtime` with a message naming the path and field, while
/// intrinsic failures are `States.IntrinsicFailure`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EvalError {
    /// The path matched nothing (definite path), or walked through a value of
    /// the wrong type. `detail` is Jayway JsonPath's own message, e.g.
    /// `No results for path: $['a']` or `Missing property in path $['no']`.
    /// `Display` renders AWS's InputPath/OutputPath text:
    /// `Invalid path '$.a' : No results for path: $['a']`.
    #[error("Invalid path '{path}' : {detail}")]
    PathNotFound {
        /// The path as written in the definition.
        path: String,
        /// Jayway's message.
        detail: String,
    },
    /// A path function (`.length()`, `.avg()`, ...) could not be applied to
    /// the selected value.
    #[error("Invalid path '{path}' : {detail}")]
    BadType {
        /// The path as written in the definition.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// `$name` referenced a workflow variable that is not in scope.
    #[error("The variable '${name}' was not found")]
    VariableNotFound {
        /// Variable name without the `$`.
        name: String,
    },
    /// An intrinsic function rejected its arguments
    /// (`States.IntrinsicFailure`).
    #[error("{message}")]
    Intrinsic {
        /// Full function name, e.g. `States.ArrayGetItem`.
        function: String,
        /// AWS-style message.
        message: String,
    },
}

impl EvalError {
    /// True when the failure means "the path selects nothing": callers build
    /// `The JSONPath '$.x' specified for the field 'f.$' could not be found in
    /// the input '<json>'` from it, and Choice `IsPresent` treats it as false.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            EvalError::PathNotFound { .. } | EvalError::VariableNotFound { .. }
        )
    }

    /// The ASL error name AWS uses for this failure.
    pub fn error_name(&self) -> &'static str {
        match self {
            EvalError::Intrinsic { .. } => "States.IntrinsicFailure",
            _ => "States.Runtime",
        }
    }

    /// The path text as written, for path errors.
    pub fn path(&self) -> Option<&str> {
        match self {
            EvalError::PathNotFound { path, .. } | EvalError::BadType { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// Why a [`crate::ReferencePath::set`] failed (AWS: `States.ResultPathMatchFailure`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("Unable to apply ReferencePath {path} to input {input}")]
pub struct SetError {
    /// The reference path as written.
    pub path: String,
    /// Compact JSON of the document the path was applied to.
    pub input: String,
    /// Which step could not be applied, in Jayway form (e.g. `['x']`).
    pub step: String,
}
