//! Diagnostics produced by validation, and their mapping onto AWS's wire vocabulary.
//!
//! AWS's `ValidateStateMachineDefinition` reports only a handful of coarse codes
//! (most problems are `SCHEMA_VALIDATION_FAILED`). Internally we keep finer codes so
//! tests and callers can tell *which* rule fired, and map them to the AWS string with
//! [`DiagnosticCode::aws_code`] when talking to clients.

use std::fmt;

/// How bad a diagnostic is. `Error` prevents creating the state machine; `Warning`
/// mirrors AWS's advisory codes (`NO_DOLLAR`, …) that do not block creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The definition would be rejected by `CreateStateMachine`.
    Error,
    /// Advisory only; the definition is still accepted.
    Warning,
}

impl Severity {
    /// The AWS enum value (`ERROR` / `WARNING`).
    pub fn as_aws_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        }
    }
}

/// Which rule a diagnostic comes from. Several variants share one AWS code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiagnosticCode {
    /// The text is not JSON (or not a JSON object).
    InvalidJsonDescription,
    /// The definition is empty / null.
    MissingDescription,
    /// Generic schema problem (wrong type, out of range, bad combination, …).
    SchemaValidationFailed,
    /// A field the object does not accept (AWS: `Field 'X' is not supported`).
    UnsupportedField,
    /// A required field is absent.
    MissingRequiredField,
    /// `Type` is not one of the eight state types.
    InvalidStateType,
    /// A `QueryLanguage` value or combination is not allowed.
    InvalidQueryLanguage,
    /// A Path field (InputPath, OutputPath, Choice `Variable`, `…Path` operators) is invalid.
    InvalidJsonPath,
    /// A Reference Path field (ResultPath, ItemsPath, SecondsPath, …) is invalid.
    InvalidReferencePath,
    /// A `.$` value (or Fail ErrorPath/CausePath) is neither a valid path nor a valid intrinsic.
    InvalidIntrinsic,
    /// A `{% … %}` JSONata expression does not parse.
    InvalidJsonata,
    /// An `ErrorEquals` entry is invalid (unknown `States.*` name, misplaced `States.ALL`).
    InvalidErrorName,
    /// A variable name in `Assign` is not a valid identifier (or is reserved).
    InvalidVariableName,
    /// A nested scope assigns a variable that an enclosing scope also assigns.
    VariableScopeConflict,
    /// Task `Resource` is not a usable ARN.
    InvalidResource,
    /// A scope has no terminal state.
    MissingEndState,
    /// Two states share a name anywhere in the machine.
    DuplicateStateName,
    /// A state name breaks the naming rules (length).
    InvalidStateName,
    /// Two Map states share a `Label`.
    DuplicateLabelName,
    /// A Map `Label` breaks the naming rules.
    InvalidLabelName,
    /// `Next`/`Default`/`StartAt` names a state that does not exist in the scope.
    MissingTransitionTarget,
    /// A state cannot be reached from its scope's `StartAt` (AWS reports this as
    /// `MISSING_TRANSITION_TARGET` too).
    UnreachableState,
    /// The document nests deeper than we are willing to walk.
    TooDeeplyNested,
}

impl DiagnosticCode {
    /// The code string AWS puts in `ValidateStateMachineDefinitionDiagnostic.code`
    /// and at the front of each `InvalidDefinition` message fragment.
    pub fn aws_code(self) -> &'static str {
        use DiagnosticCode::*;
        match self {
            InvalidJsonDescription => "INVALID_JSON_DESCRIPTION",
            MissingDescription => "MISSING_DESCRIPTION",
            SchemaValidationFailed
            | UnsupportedField
            | MissingRequiredField
            | InvalidStateType
            | InvalidQueryLanguage
            | InvalidJsonPath
            | InvalidReferencePath
            | InvalidIntrinsic
            | InvalidJsonata
            | InvalidErrorName
            | InvalidVariableName
            | VariableScopeConflict => "SCHEMA_VALIDATION_FAILED",
            InvalidResource => "INVALID_RESOURCE",
            MissingEndState => "MISSING_END_STATE",
            DuplicateStateName => "DUPLICATE_STATE_NAME",
            InvalidStateName => "INVALID_STATE_NAME",
            DuplicateLabelName => "DUPLICATE_LABEL_NAME",
            InvalidLabelName => "INVALID_LABEL_NAME",
            MissingTransitionTarget | UnreachableState => "MISSING_TRANSITION_TARGET",
            TooDeeplyNested => "TOO_DEEPLY_NESTED",
        }
    }

    /// Default severity of the code. Every rule we implement blocks creation.
    pub fn severity(self) -> Severity {
        Severity::Error
    }
}

impl fmt::Display for DiagnosticCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.aws_code())
    }
}

/// One problem found in a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Which rule fired.
    pub code: DiagnosticCode,
    /// Error or warning.
    pub severity: Severity,
    /// Human-readable text in AWS's wording (without the code prefix or location).
    pub message: String,
    /// JSON-Pointer-like location (`/States/My State/Retry/0`), `/` for the document
    /// root; empty when AWS reports no location (it prints `null`).
    pub location: String,
}

impl Diagnostic {
    /// Builds an error-severity diagnostic.
    pub fn error(
        code: DiagnosticCode,
        message: impl Into<String>,
        location: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            location: location.into(),
        }
    }

    /// Whether this diagnostic prevents creating the state machine.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// One fragment of AWS's `InvalidDefinition` message: `CODE: message at location`.
    pub fn aws_fragment(&self) -> String {
        let loc = if self.location.is_empty() {
            "null"
        } else {
            &self.location
        };
        format!("{}: {} at {}", self.code.aws_code(), self.message, loc)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.aws_fragment())
    }
}

/// The `message` of AWS's `InvalidDefinition` error for a rejected definition, e.g.
/// `Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /States/A/Next, …'`.
///
/// AWS joins every error fragment with `", "` inside one pair of single quotes
/// (recorded from CreateStateMachine). Warnings are not part of the message.
pub fn aws_invalid_definition_message(diagnostics: &[Diagnostic]) -> String {
    let parts: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(Diagnostic::aws_fragment)
        .collect();
    format!("Invalid State Machine Definition: '{}'", parts.join(", "))
}
