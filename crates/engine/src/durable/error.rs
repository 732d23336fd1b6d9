//! Failures of engine operations, named after the AWS errors they become.

/// Each variant maps to the Step Functions API error of the same name.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum EngineError {
    #[error("Execution Already Exists: '{0}'")]
    ExecutionAlreadyExists(String),
    #[error("Execution Does Not Exist: '{0}'")]
    ExecutionDoesNotExist(String),
    #[error("State Machine Does Not Exist: '{0}'")]
    StateMachineDoesNotExist(String),
    #[error("This operation is not supported by this type of state machine")]
    StateMachineTypeNotSupported,
    #[error("Invalid State Machine Execution Input: '{0}'")]
    InvalidExecutionInput(String),
    #[error("Invalid Name: '{0}'")]
    InvalidName(String),
    #[error("Invalid Arn: '{0}'")]
    InvalidArn(String),
    #[error("Invalid Token: '{0}'")]
    InvalidToken(String),
    #[error("Task Does Not Exist: '{0}'")]
    TaskDoesNotExist(String),
    #[error(
        "The task token has either expired or the task associated with the token has already been closed."
    )]
    TaskTimedOut,
    #[error("Invalid Output: '{0}'")]
    InvalidOutput(String),
    #[error("Activity Does Not Exist: '{0}'")]
    ActivityDoesNotExist(String),
    /// RedriveExecution on an execution that cannot be redriven; the text
    /// says why.
    #[error("{0}")]
    ExecutionNotRedrivable(String),
    #[error("{0}")]
    Validation(String),
    #[error("Map Run Does Not Exist: '{0}'")]
    MapRunDoesNotExist(String),
    /// UpdateMapRun on a Map Run that has closed.
    #[error("Map Run is not running and cannot be updated: '{0}'")]
    MapRunCompleted(String),
    #[error("{0}")]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    Internal(String),
}

impl EngineError {
    /// The AWS error code (`__type` without its namespace).
    pub fn aws_code(&self) -> &'static str {
        match self {
            EngineError::ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            EngineError::ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            EngineError::StateMachineDoesNotExist(_) => "StateMachineDoesNotExist",
            EngineError::StateMachineTypeNotSupported => "StateMachineTypeNotSupported",
            EngineError::InvalidExecutionInput(_) => "InvalidExecutionInput",
            EngineError::InvalidName(_) => "InvalidName",
            EngineError::InvalidArn(_) => "InvalidArn",
            EngineError::InvalidToken(_) => "InvalidToken",
            EngineError::TaskDoesNotExist(_) => "TaskDoesNotExist",
            EngineError::TaskTimedOut => "TaskTimedOut",
            EngineError::InvalidOutput(_) => "InvalidOutput",
            EngineError::ActivityDoesNotExist(_) => "ActivityDoesNotExist",
            EngineError::ExecutionNotRedrivable(_) => "ExecutionNotRedrivable",
            EngineError::Validation(_) | EngineError::MapRunCompleted(_) => "ValidationException",
            EngineError::MapRunDoesNotExist(_) => "ResourceNotFound",
            EngineError::Store(_) | EngineError::Internal(_) => "InternalFailure",
        }
    }

    pub fn http_status(&self) -> u16 {
        match self {
            EngineError::Store(_) | EngineError::Internal(_) => 500,
            _ => 400,
        }
    }
}
