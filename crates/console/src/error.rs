//! Errors of the console's own endpoints, answered as JSON in AWS's error
//! shape (`__type` + `message`) so the page shows them like API errors.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("missing query parameter '{0}'")]
    MissingParameter(&'static str),
    #[error("query parameter '{name}' is not a number: '{value}'")]
    NotANumber { name: &'static str, value: String },
    #[error("Execution Does Not Exist: '{0}'")]
    ExecutionDoesNotExist(String),
    #[error("State Machine Does Not Exist: '{0}'")]
    StateMachineDoesNotExist(String),
    #[error("Function not found: {0}")]
    FunctionNotFound(String),
    #[error("this server runs no local Lambda functions")]
    NoFunctions,
    #[error("the definition cannot be drawn: {0}")]
    Diagram(String),
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
}

impl ConsoleError {
    fn code(&self) -> (&'static str, StatusCode) {
        match self {
            ConsoleError::MissingParameter(_) | ConsoleError::NotANumber { .. } => {
                ("ValidationException", StatusCode::BAD_REQUEST)
            }
            ConsoleError::ExecutionDoesNotExist(_) => {
                ("ExecutionDoesNotExist", StatusCode::NOT_FOUND)
            }
            ConsoleError::StateMachineDoesNotExist(_) => {
                ("StateMachineDoesNotExist", StatusCode::NOT_FOUND)
            }
            ConsoleError::FunctionNotFound(_) | ConsoleError::NoFunctions => {
                ("ResourceNotFoundException", StatusCode::NOT_FOUND)
            }
            ConsoleError::Diagram(_) => ("InvalidDefinition", StatusCode::BAD_REQUEST),
            ConsoleError::Store(_) => ("InternalFailure", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (code, status) = self.code();
        let body = json!({"__type": code, "message": self.to_string()});
        (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// A JSON body with status 200.
pub fn json_ok(value: &serde_json::Value) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}
