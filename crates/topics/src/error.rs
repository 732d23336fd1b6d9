//! SNS's errors: an awsQuery `Code`, the HTTP status AWS answers with, and
//! AWS's message. The API layer renders them as `<ErrorResponse>` XML; the
//! Step Functions integration turns them into `SNS.<Exception>` failures.

/// One SNS error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SnsError {
    /// The awsQuery error code (`NotFound`, `InvalidParameter`, …).
    pub code: &'static str,
    pub message: String,
}

impl SnsError {
    pub fn new(code: &'static str, message: impl Into<String>) -> SnsError {
        SnsError {
            code,
            message: message.into(),
        }
    }

    /// `InvalidParameter` with AWS's "Invalid parameter: …" prefix.
    pub fn invalid(what: impl std::fmt::Display) -> SnsError {
        SnsError::new("InvalidParameter", format!("Invalid parameter: {what}"))
    }

    /// `ParameterValueInvalid` (boto3's `InvalidParameterValueException`).
    pub fn invalid_value(message: impl Into<String>) -> SnsError {
        SnsError::new("ParameterValueInvalid", message)
    }

    pub fn topic_not_found() -> SnsError {
        SnsError::new("NotFound", "Topic does not exist")
    }

    pub fn subscription_not_found() -> SnsError {
        SnsError::new("NotFound", "Subscription does not exist")
    }

    pub fn resource_not_found() -> SnsError {
        SnsError::new("ResourceNotFound", "Resource does not exist")
    }

    pub fn internal(message: impl Into<String>) -> SnsError {
        SnsError::new("InternalError", message)
    }

    /// A required member was absent (AWS's request validator wording).
    pub fn missing(member: &str) -> SnsError {
        SnsError::new(
            "ValidationError",
            format!(
                "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
            ),
        )
    }

    /// The HTTP status AWS answers this error with.
    pub fn status(&self) -> u16 {
        match self.code {
            "NotFound" | "ResourceNotFound" => 404,
            "AuthorizationError"
            | "TopicLimitExceeded"
            | "SubscriptionLimitExceeded"
            | "InvalidSecurity" => 403,
            "InternalError" => 500,
            _ => 400,
        }
    }

    /// `Sender` for client errors, `Receiver` for server errors.
    pub fn fault(&self) -> &'static str {
        if self.status() >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }

    /// The exception name SDKs raise for this code (and Step Functions
    /// prefixes with `SNS.`).
    pub fn exception(&self) -> String {
        let name = match self.code {
            "InvalidParameter" => "InvalidParameterException",
            "ParameterValueInvalid" => "InvalidParameterValueException",
            "NotFound" => "NotFoundException",
            "ResourceNotFound" => "ResourceNotFoundException",
            "InternalError" => "InternalErrorException",
            "AuthorizationError" => "AuthorizationErrorException",
            "ValidationError" => "ValidationException",
            other if other.ends_with("Exception") => other,
            other => return format!("{other}Exception"),
        };
        name.to_string()
    }
}

impl From<rusqlite::Error> for SnsError {
    fn from(e: rusqlite::Error) -> SnsError {
        SnsError::internal(format!("topics store: {e}"))
    }
}

impl From<serde_json::Error> for SnsError {
    fn from(e: serde_json::Error) -> SnsError {
        SnsError::internal(format!("topics store record: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_exception_names_follow_aws() {
        let e = SnsError::topic_not_found();
        assert_eq!(
            (e.status(), e.exception().as_str()),
            (404, "NotFoundException")
        );
        let e = SnsError::invalid("Topic Name");
        assert_eq!(e.message, "Invalid parameter: Topic Name");
        assert_eq!((e.status(), e.fault()), (400, "Sender"));
        assert_eq!(
            SnsError::new("TooManyEntriesInBatchRequest", "x").exception(),
            "TooManyEntriesInBatchRequestException"
        );
        assert_eq!(SnsError::internal("x").fault(), "Receiver");
    }
}
