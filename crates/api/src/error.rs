//! AWS-shaped errors. AWS JSON 1.0 errors are an HTTP status plus a body
//! `{"__type": "<namespace>#<Name>", "message": "…"}`; SDKs keep only the
//! part after `#`, so the namespace is for fidelity, not for clients.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// Step Functions' own modeled exceptions (seen in AWS's SDK deserialisers).
pub const SFN_NAMESPACE: &str = "com.amazonaws.swf.service.v2.model";
/// Errors raised by AWS's request framework before the service runs
/// (unknown operation, unparseable body, internal failure).
pub const CORAL_SERVICE: &str = "com.amazon.coral.service";
/// Constraint violations on request members (required, length, range, enum).
pub const CORAL_VALIDATE: &str = "com.amazon.coral.validate";

/// One error response.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub namespace: &'static str,
    /// The error name (`InvalidArn`, `ValidationException`, …).
    pub code: String,
    pub message: Option<String>,
    /// Extra members some errors carry (`resourceName`, `reason`). A list,
    /// not a map, to keep `Result<_, ApiError>` small.
    pub extra: Vec<(&'static str, Value)>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        namespace: &'static str,
        code: &str,
        message: Option<String>,
    ) -> Self {
        ApiError {
            status,
            namespace,
            code: code.to_string(),
            message,
            extra: Vec::new(),
        }
    }

    /// A Step Functions error (HTTP 400).
    pub fn sfn(code: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            SFN_NAMESPACE,
            code,
            Some(message.into()),
        )
    }

    /// Adds an extra member to the body (e.g. `resourceName`).
    pub fn with(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.extra.push((key, value.into()));
        self
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The body could not be read as the operation's input structure.
    pub fn serialization(message: Option<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            CORAL_SERVICE,
            "SerializationException",
            message,
        )
    }

    /// The `X-Amz-Target` names no operation we know. AWS sends no message.
    pub fn unknown_operation() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            CORAL_SERVICE,
            "UnknownOperationException",
            None,
        )
    }

    /// Member constraint violations, worded as AWS's request validator does.
    pub fn validation(violations: &[String]) -> Self {
        let n = violations.len();
        let message = format!(
            "{n} validation error{} detected: {}",
            if n == 1 { "" } else { "s" },
            violations.join("; ")
        );
        Self::new(
            StatusCode::BAD_REQUEST,
            CORAL_VALIDATE,
            "ValidationException",
            Some(message),
        )
    }

    /// A `ValidationException` raised by the service itself (not a member
    /// constraint), e.g. "Version description can only be set when publish is true".
    pub fn service_validation(message: impl Into<String>) -> Self {
        Self::sfn("ValidationException", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            CORAL_SERVICE,
            "InternalFailure",
            Some(message.into()),
        )
    }

    pub fn invalid_arn(reason: impl std::fmt::Display) -> Self {
        Self::sfn("InvalidArn", format!("Invalid Arn: '{reason}'"))
    }

    pub fn invalid_name(name: &str) -> Self {
        Self::sfn("InvalidName", format!("Invalid Name: '{name}'"))
    }

    pub fn invalid_token(token: &str) -> Self {
        Self::sfn("InvalidToken", format!("Invalid Token: '{token}'"))
    }

    /// The JSON body of the response.
    pub fn body(&self) -> Value {
        let mut obj = Map::new();
        obj.insert(
            "__type".into(),
            json!(format!("{}#{}", self.namespace, self.code)),
        );
        if let Some(m) = &self.message {
            obj.insert("message".into(), json!(m));
        }
        for (k, v) in &self.extra {
            obj.insert((*k).to_string(), v.clone());
        }
        Value::Object(obj)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = %self.code, message = ?self.message, "request failed");
        }
        crate::protocol::json_response(self.status, &self.body())
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        ApiError::internal(e.to_string())
    }
}

impl From<engine::durable::EngineError> for ApiError {
    fn from(e: engine::durable::EngineError) -> Self {
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = e.aws_code();
        let namespace = if status.is_server_error() {
            CORAL_SERVICE
        } else {
            SFN_NAMESPACE
        };
        ApiError::new(status, namespace, code, Some(e.to_string()))
    }
}
