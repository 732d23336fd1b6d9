//! Per-object field tables: which keys each ASL object accepts, by query language.
//!
//! Field sets come from the ASL spec's per-state tables and the Step Functions
//! Developer Guide. JSONPath-only fields (`InputPath`, `Parameters`, `*Path`, …) and
//! JSONata-only fields (`Arguments`, `Output`, `Items`, …) are simply absent from the
//! other language's table, so using them is reported as an unsupported field.

use crate::context::Ql;

/// The eight state types, in the order AWS lists them in its error message.
pub(crate) const STATE_TYPES: &[&str] = &[
    "Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map",
];

/// Fields every state accepts.
const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

/// Top-level machine fields.
pub(crate) const TOP_LEVEL: &[&str] = &[
    "Comment",
    "StartAt",
    "States",
    "Version",
    "TimeoutSeconds",
    "QueryLanguage",
];

/// Parallel branch / Map processor body fields (beyond `ProcessorConfig`).
pub(crate) const BRANCH: &[&str] = &["StartAt", "States", "Comment"];
pub(crate) const PROCESSOR: &[&str] = &["StartAt", "States", "Comment", "ProcessorConfig"];

fn jsonpath_fields(ty: &str) -> &'static [&'static str] {
    match ty {
        "Pass" => &[
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultPath",
            "Result",
            "Assign",
            "Next",
            "End",
        ],
        "Task" => &[
            "Resource",
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Assign",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
            "Next",
            "End",
        ],
        "Choice" => &["Choices", "Default", "InputPath", "OutputPath", "Assign"],
        "Wait" => &[
            "Seconds",
            "Timestamp",
            "SecondsPath",
            "TimestampPath",
            "InputPath",
            "OutputPath",
            "Assign",
            "Next",
            "End",
        ],
        "Succeed" => &["InputPath", "OutputPath"],
        "Fail" => &["Error", "ErrorPath", "Cause", "CausePath"],
        "Parallel" => &[
            "Branches",
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Assign",
            "Retry",
            "Catch",
            "Next",
            "End",
        ],
        "Map" => &[
            "ItemProcessor",
            "Iterator",
            "ItemsPath",
            "ItemReader",
            "ItemSelector",
            "Parameters",
            "ItemBatcher",
            "ResultWriter",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "Label",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "ResultSelector",
            "Assign",
            "Retry",
            "Catch",
            "Next",
            "End",
        ],
        _ => &[],
    }
}

fn jsonata_fields(ty: &str) -> &'static [&'static str] {
    match ty {
        "Pass" => &["Output", "Assign", "Next", "End"],
        "Task" => &[
            "Resource",
            "Arguments",
            "Output",
            "Assign",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "HeartbeatSeconds",
            "Credentials",
            "Next",
            "End",
        ],
        "Choice" => &["Choices", "Default", "Output", "Assign"],
        "Wait" => &["Seconds", "Timestamp", "Output", "Assign", "Next", "End"],
        "Succeed" => &["Output"],
        "Fail" => &["Error", "Cause"],
        "Parallel" => &[
            "Branches",
            "Arguments",
            "Output",
            "Assign",
            "Retry",
            "Catch",
            "Next",
            "End",
        ],
        "Map" => &[
            "ItemProcessor",
            "Iterator",
            "Items",
            "ItemReader",
            "ItemSelector",
            "ItemBatcher",
            "ResultWriter",
            "MaxConcurrency",
            "ToleratedFailurePercentage",
            "ToleratedFailureCount",
            "Label",
            "Output",
            "Assign",
            "Retry",
            "Catch",
            "Next",
            "End",
        ],
        _ => &[],
    }
}

/// Whether state type `ty` accepts `field` under query language `ql`.
pub(crate) fn state_accepts(ty: &str, ql: Ql, field: &str) -> bool {
    COMMON.contains(&field)
        || match ql {
            Ql::JsonPath => jsonpath_fields(ty).contains(&field),
            Ql::Jsonata => jsonata_fields(ty).contains(&field),
        }
}

/// Retrier fields (same in both languages).
pub(crate) const RETRIER: &[&str] = &[
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
];

/// Catcher fields by language.
pub(crate) fn catcher(ql: Ql) -> &'static [&'static str] {
    match ql {
        Ql::JsonPath => &["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"],
        Ql::Jsonata => &["ErrorEquals", "Next", "Output", "Assign", "Comment"],
    }
}

/// Map `ItemReader` fields by language.
pub(crate) fn item_reader(ql: Ql) -> &'static [&'static str] {
    match ql {
        Ql::JsonPath => &["Resource", "Parameters", "ReaderConfig"],
        Ql::Jsonata => &["Resource", "Arguments", "ReaderConfig"],
    }
}

/// `ItemReader.ReaderConfig` fields by language.
pub(crate) fn reader_config(ql: Ql) -> &'static [&'static str] {
    match ql {
        Ql::JsonPath => &[
            "InputType",
            "CSVHeaderLocation",
            "CSVHeaders",
            "CSVDelimiter",
            "MaxItems",
            "MaxItemsPath",
            "ManifestType",
            "Transformation",
            "ItemsPointer",
        ],
        Ql::Jsonata => &[
            "InputType",
            "CSVHeaderLocation",
            "CSVHeaders",
            "CSVDelimiter",
            "MaxItems",
            "ManifestType",
            "Transformation",
            "ItemsPointer",
        ],
    }
}

/// Map `ItemBatcher` fields by language.
pub(crate) fn item_batcher(ql: Ql) -> &'static [&'static str] {
    match ql {
        Ql::JsonPath => &[
            "MaxItemsPerBatch",
            "MaxItemsPerBatchPath",
            "MaxInputBytesPerBatch",
            "MaxInputBytesPerBatchPath",
            "BatchInput",
        ],
        Ql::Jsonata => &["MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"],
    }
}

/// Map `ResultWriter` fields by language.
pub(crate) fn result_writer(ql: Ql) -> &'static [&'static str] {
    match ql {
        Ql::JsonPath => &["Resource", "Parameters", "WriterConfig"],
        Ql::Jsonata => &["Resource", "Arguments", "WriterConfig"],
    }
}

/// Predefined error names a retrier/catcher may match. Other `States.`-prefixed names
/// are reserved and rejected; `States.Http.*` families are matched by prefix.
pub(crate) const PREDEFINED_ERRORS: &[&str] = &[
    "States.ALL",
    "States.DataLimitExceeded",
    "States.ExceedToleratedFailureThreshold",
    "States.HeartbeatTimeout",
    "States.Http.Socket",
    "States.IntrinsicFailure",
    "States.ItemReaderFailed",
    "States.NoChoiceMatched",
    "States.ParameterPathFailure",
    "States.Permissions",
    "States.QueryEvaluationError",
    "States.ResultPathMatchFailure",
    "States.ResultWriterFailed",
    "States.Runtime",
    "States.TaskFailed",
    "States.Timeout",
    "States.BranchFailed",
];
