//! Broken definitions: each must produce exactly the expected diagnostics.

mod common;

use asl_validate::{
    Diagnostic, DiagnosticCode as C, Severity, aws_invalid_definition_message, validate,
    validate_str,
};
use common::TestSyntax;
use serde_json::{Value, json};

/// Expected diagnostic: code, exact location, message substring.
type Expected<'a> = (C, &'a str, &'a str);
/// A named broken definition and everything it must report.
type Case<'a> = (&'a str, Value, Vec<Expected<'a>>);

fn run(def: Value) -> Vec<Diagnostic> {
    validate(&def, &TestSyntax)
}

/// A one-state machine wrapping `state` as state "A".
fn one(state: Value) -> Value {
    json!({"StartAt": "A", "States": {"A": state}})
}

/// Asserts the diagnostics are exactly `expected` (code, location, message substring),
/// in any order.
#[track_caller]
fn expect(diags: &[Diagnostic], expected: &[Expected]) {
    let render = || {
        diags
            .iter()
            .map(|d| format!("{:?} @ {} : {}", d.code, d.location, d.message))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(diags.len(), expected.len(), "got:\n{}", render());
    for (code, loc, msg) in expected {
        assert!(
            diags
                .iter()
                .any(|d| d.code == *code && d.location == *loc && d.message.contains(msg)),
            "missing {code:?} @ {loc} ~ {msg:?}; got:\n{}",
            render()
        );
    }
}

#[test]
fn table() {
    let long = "x".repeat(81);
    let long_loc = format!("/States/{long}");
    let cases: Vec<Case> = vec![
        (
            "missing StartAt and States",
            json!({}),
            vec![(
                C::MissingRequiredField,
                "/",
                "These fields are required: [States, StartAt]",
            )],
        ),
        (
            "unknown top-level field",
            json!({"StartAt": "A", "Foo": 1, "States": {"A": {"Type": "Succeed"}}}),
            vec![(C::UnsupportedField, "/", "Field 'Foo' is not supported")],
        ),
        (
            "bad version",
            json!({"Version": "2.0", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}),
            vec![(C::SchemaValidationFailed, "/Version", "[1.0]")],
        ),
        (
            "zero machine timeout",
            json!({"TimeoutSeconds": 0, "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}),
            vec![(
                C::SchemaValidationFailed,
                "/TimeoutSeconds",
                "greater than or equal to 1",
            )],
        ),
        (
            "StartAt names nothing",
            json!({"StartAt": "B", "States": {"A": {"Type": "Succeed"}}}),
            vec![(
                C::MissingTransitionTarget,
                "/StartAt",
                "Missing 'Next' target: B",
            )],
        ),
        (
            "unknown state type",
            one(json!({"Type": "Nope"})),
            vec![(
                C::InvalidStateType,
                "/States/A/Type",
                "[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]",
            )],
        ),
        (
            "unknown state field (name with space and slash)",
            json!({"StartAt": "Validate Winners/x", "States": {"Validate Winners/x": {"Type": "Pass", "End": true, "Foo": 1}}}),
            vec![(
                C::UnsupportedField,
                "/States/Validate Winners~1x",
                "Field 'Foo' is not supported",
            )],
        ),
        (
            "missing Next target",
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "X"}, "B": {"Type": "Succeed"}}}),
            vec![
                (
                    C::MissingTransitionTarget,
                    "/States/A/Next",
                    "Missing 'Next' target: X",
                ),
                (
                    C::UnreachableState,
                    "/States/B",
                    "State \"B\" is not reachable.",
                ),
            ],
        ),
        (
            "Next and End together",
            one(json!({"Type": "Pass", "Next": "A", "End": true})),
            vec![(C::SchemaValidationFailed, "/States/A", "mutually exclusive")],
        ),
        (
            "neither Next nor End, and no terminal state",
            one(json!({"Type": "Pass"})),
            vec![
                (
                    C::MissingRequiredField,
                    "/States/A",
                    "'Next' or 'End: true'",
                ),
                (C::MissingEndState, "", "Workflow has no terminal state"),
            ],
        ),
        (
            "End on Succeed",
            one(json!({"Type": "Succeed", "End": true})),
            vec![(
                C::UnsupportedField,
                "/States/A",
                "Field 'End' is not supported",
            )],
        ),
        (
            "JSONata field in JSONPath state",
            one(json!({"Type": "Pass", "Output": {}, "End": true})),
            vec![(
                C::UnsupportedField,
                "/States/A",
                "Field 'Output' is not supported",
            )],
        ),
        (
            "JSONPath field in JSONata state",
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$", "End": true}}}),
            vec![(
                C::UnsupportedField,
                "/States/A",
                "Field 'InputPath' is not supported",
            )],
        ),
        (
            "JSONPath state in JSONata machine",
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}}),
            vec![(
                C::InvalidQueryLanguage,
                "/States/A",
                "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
            )],
        ),
        (
            "bad InputPath",
            one(json!({"Type": "Pass", "InputPath": "foo", "End": true})),
            vec![(
                C::InvalidJsonPath,
                "/States/A/InputPath",
                "must be a valid JSONPath",
            )],
        ),
        (
            "ResultPath into the context object",
            one(json!({"Type": "Pass", "ResultPath": "$$.Execution", "End": true})),
            vec![(
                C::InvalidReferencePath,
                "/States/A/ResultPath",
                "Reference Path",
            )],
        ),
        (
            "bad .$ value, nested",
            one(json!({"Type": "Pass", "Parameters": {"a": {"b.$": "nope"}}, "End": true})),
            vec![(
                C::InvalidIntrinsic,
                "/States/A/Parameters/a/b.$",
                "The value for the field 'b.$' must be a valid JSONPath or a valid intrinsic function call",
            )],
        ),
        (
            "duplicate key after stripping .$",
            one(json!({"Type": "Pass", "Parameters": {"a": 1, "a.$": "$.x"}, "End": true})),
            vec![(
                C::SchemaValidationFailed,
                "/States/A/Parameters",
                "'a' is defined more than once",
            )],
        ),
        (
            "bad JSONata",
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": {"x": ["{% (1 %}"]}, "End": true}}}),
            vec![(C::InvalidJsonata, "/States/A/Output/x/0", "valid JSONata")],
        ),
        (
            "task without resource, heartbeat >= timeout",
            one(json!({"Type": "Task", "TimeoutSeconds": 10, "HeartbeatSeconds": 10, "End": true})),
            vec![
                (C::MissingRequiredField, "/States/A", "[Resource]"),
                (
                    C::SchemaValidationFailed,
                    "/States/A/HeartbeatSeconds",
                    "smaller than 'TimeoutSeconds'",
                ),
            ],
        ),
        (
            "task resource not an ARN",
            one(json!({"Type": "Task", "Resource": "lambda", "End": true})),
            vec![(
                C::InvalidResource,
                "/States/A/Resource",
                "is not recognized",
            )],
        ),
        (
            "timeout and timeout path",
            one(
                json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t", "End": true}),
            ),
            vec![(
                C::SchemaValidationFailed,
                "/States/A",
                "'TimeoutSeconds' and 'TimeoutSecondsPath' are mutually exclusive",
            )],
        ),
        (
            "retry problems",
            one(
                json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true, "Retry": [
                    {"ErrorEquals": ["States.ALL", "X"], "IntervalSeconds": 0},
                    {"ErrorEquals": [], "BackoffRate": 0.5, "JitterStrategy": "SOME", "MaxDelaySeconds": 31622401},
                    {"ErrorEquals": ["States.Bogus"], "MaxAttempts": -1}
                ]}),
            ),
            vec![
                (
                    C::InvalidErrorName,
                    "/States/A/Retry/0/ErrorEquals",
                    "must appear alone",
                ),
                (
                    C::InvalidErrorName,
                    "/States/A/Retry/0/ErrorEquals",
                    "must be the last",
                ),
                (
                    C::SchemaValidationFailed,
                    "/States/A/Retry/0/IntervalSeconds",
                    "greater than or equal to 1",
                ),
                (
                    C::SchemaValidationFailed,
                    "/States/A/Retry/1/ErrorEquals",
                    "non-empty",
                ),
                (
                    C::SchemaValidationFailed,
                    "/States/A/Retry/1/BackoffRate",
                    "1.0",
                ),
                (
                    C::SchemaValidationFailed,
                    "/States/A/Retry/1/JitterStrategy",
                    "[FULL, NONE]",
                ),
                (
                    C::SchemaValidationFailed,
                    "/States/A/Retry/1/MaxDelaySeconds",
                    "31622400",
                ),
                (
                    C::InvalidErrorName,
                    "/States/A/Retry/2/ErrorEquals/0",
                    "States.Bogus",
                ),
                (
                    C::SchemaValidationFailed,
                    "/States/A/Retry/2/MaxAttempts",
                    "greater than or equal to 0",
                ),
            ],
        ),
        (
            "catch problems",
            json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true, "Catch": [
                {"ErrorEquals": ["States.ALL"], "Next": "Nowhere", "_comment": 1},
                {"ErrorEquals": ["E"]}
            ]}}}),
            vec![
                (
                    C::UnsupportedField,
                    "/States/A/Catch/0",
                    "Field '_comment' is not supported",
                ),
                (
                    C::InvalidErrorName,
                    "/States/A/Catch/0/ErrorEquals",
                    "must be the last",
                ),
                (
                    C::MissingTransitionTarget,
                    "/States/A/Catch/0/Next",
                    "Missing 'Next' target: Nowhere",
                ),
                (C::MissingRequiredField, "/States/A/Catch/1", "[Next]"),
            ],
        ),
        (
            "wait with two sources and a bad timestamp",
            one(json!({"Type": "Wait", "Seconds": 1, "Timestamp": "yesterday", "End": true})),
            vec![
                (
                    C::SchemaValidationFailed,
                    "/States/A",
                    "[Seconds, Timestamp] are mutually exclusive",
                ),
                (C::SchemaValidationFailed, "/States/A/Timestamp", "ISO-8601"),
            ],
        ),
        (
            "wait negative seconds",
            one(json!({"Type": "Wait", "Seconds": -1, "End": true})),
            vec![(
                C::SchemaValidationFailed,
                "/States/A/Seconds",
                "greater than or equal to 0",
            )],
        ),
        (
            "wait with nothing",
            one(json!({"Type": "Wait", "End": true})),
            vec![(
                C::MissingRequiredField,
                "/States/A",
                "Exactly one of the fields",
            )],
        ),
        (
            "fail with Error and ErrorPath",
            one(json!({"Type": "Fail", "Error": "E", "ErrorPath": "$.e", "CausePath": "nope"})),
            vec![
                (
                    C::SchemaValidationFailed,
                    "/States/A",
                    "'Error' and 'ErrorPath' are mutually exclusive",
                ),
                (C::InvalidIntrinsic, "/States/A/CausePath", "'CausePath'"),
            ],
        ),
        (
            "choice problems",
            json!({"StartAt": "C", "States": {
                "C": {"Type": "Choice", "Default": "Gone", "Choices": [
                    {"Variable": "$.x", "StringEquals": 1, "Next": "D"},
                    {"And": [{"Variable": "$.x", "IsNull": true, "Next": "D"}], "Next": "D"},
                    {"Variable": "$.t", "TimestampEquals": "not-a-time", "Next": "D"},
                    {"Variable": "$.x", "NumericEquals": 1, "NumericLessThan": 2, "Next": "D"},
                    {"Not": {"Variable": "x", "BooleanEquals": true}}
                ]},
                "D": {"Type": "Succeed"}
            }}),
            vec![
                (
                    C::MissingTransitionTarget,
                    "/States/C/Default",
                    "Missing 'Next' target: Gone",
                ),
                (
                    C::SchemaValidationFailed,
                    "/States/C/Choices/0/StringEquals",
                    "STRING",
                ),
                (
                    C::UnsupportedField,
                    "/States/C/Choices/1/And/0",
                    "Field 'Next' is not supported",
                ),
                (
                    C::SchemaValidationFailed,
                    "/States/C/Choices/2/TimestampEquals",
                    "timestamp",
                ),
                (
                    C::SchemaValidationFailed,
                    "/States/C/Choices/3",
                    "exactly one comparison operator",
                ),
                (C::MissingRequiredField, "/States/C/Choices/4", "[Next]"),
                (
                    C::InvalidJsonPath,
                    "/States/C/Choices/4/Not/Variable",
                    "valid JSONPath",
                ),
            ],
        ),
        (
            "empty choices",
            one(json!({"Type": "Choice", "Choices": []})),
            vec![
                (C::SchemaValidationFailed, "/States/A/Choices", "non-empty"),
                (C::MissingEndState, "", "no terminal state"),
            ],
        ),
        (
            "jsonata choice rule without condition",
            json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
                "C": {"Type": "Choice", "Choices": [{"Next": "D", "Variable": "$.x"}], "Default": "D"},
                "D": {"Type": "Succeed"}}}),
            vec![
                (
                    C::UnsupportedField,
                    "/States/C/Choices/0",
                    "Field 'Variable' is not supported",
                ),
                (
                    C::MissingRequiredField,
                    "/States/C/Choices/0",
                    "[Condition]",
                ),
            ],
        ),
        (
            "parallel branch jumps out; duplicate name across scopes",
            json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Next": "P"}, "Done": {"Type": "Succeed"}}},
                {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
            ]}}}),
            vec![
                (
                    C::MissingTransitionTarget,
                    "/States/P/Branches/0/States/B1/Next",
                    "Missing 'Next' target: P",
                ),
                (
                    C::UnreachableState,
                    "/States/P/Branches/0/States/Done",
                    "not reachable",
                ),
                (
                    C::DuplicateStateName,
                    "/States/P/Branches/1/States/Done",
                    "Duplicate State name: Done",
                ),
            ],
        ),
        (
            "empty branches",
            one(json!({"Type": "Parallel", "Branches": [], "End": true})),
            vec![(C::SchemaValidationFailed, "/States/A/Branches", "non-empty")],
        ),
        (
            "map problems",
            one(
                json!({"Type": "Map", "End": true, "MaxConcurrency": -1, "ToleratedFailurePercentage": 101,
                "Label": "has space", "ItemsPath": "$..x",
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}),
            ),
            vec![
                (
                    C::SchemaValidationFailed,
                    "/States/A/MaxConcurrency",
                    "greater than or equal to 0",
                ),
                (
                    C::SchemaValidationFailed,
                    "/States/A/ToleratedFailurePercentage",
                    "between 0 and 100",
                ),
                (C::InvalidLabelName, "/States/A/Label", "has space"),
                (
                    C::InvalidReferencePath,
                    "/States/A/ItemsPath",
                    "Reference Path",
                ),
                (
                    C::MissingRequiredField,
                    "/States/A/ItemProcessor/ProcessorConfig",
                    "[ExecutionType]",
                ),
            ],
        ),
        (
            "map without processor",
            one(json!({"Type": "Map", "End": true})),
            vec![(C::MissingRequiredField, "/States/A", "[ItemProcessor]")],
        ),
        (
            "map reader / writer / batcher shapes",
            one(json!({"Type": "Map", "End": true,
                "ItemReader": {"ReaderConfig": {"InputType": "XML"}},
                "ItemBatcher": {"MaxItemsPerBatch": "x"},
                "ResultWriter": {"WriterConfig": {"OutputType": "CSV"}},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}})),
            vec![
                (
                    C::MissingRequiredField,
                    "/States/A/ItemReader",
                    "[Resource]",
                ),
                (
                    C::SchemaValidationFailed,
                    "/States/A/ItemReader/ReaderConfig/InputType",
                    "CSV, JSON",
                ),
                (
                    C::SchemaValidationFailed,
                    "/States/A/ItemBatcher/MaxItemsPerBatch",
                    "non-negative integer",
                ),
                (
                    C::SchemaValidationFailed,
                    "/States/A/ResultWriter/WriterConfig/OutputType",
                    "[JSON, JSONL]",
                ),
            ],
        ),
        (
            "duplicate map labels",
            json!({"StartAt": "M1", "States": {
                "M1": {"Type": "Map", "Label": "L", "Next": "M2", "ItemProcessor": {"StartAt": "I1", "States": {"I1": {"Type": "Succeed"}}}},
                "M2": {"Type": "Map", "Label": "L", "End": true, "ItemProcessor": {"StartAt": "I2", "States": {"I2": {"Type": "Succeed"}}}}}}),
            vec![(
                C::DuplicateLabelName,
                "/States/M2/Label",
                "Duplicate label name: L",
            )],
        ),
        (
            "state name too long",
            json!({"StartAt": long, "States": {long.clone(): {"Type": "Succeed"}}}),
            vec![(C::InvalidStateName, &long_loc, "maximum length of 80")],
        ),
        (
            "assign names",
            one(
                json!({"Type": "Pass", "End": true, "Assign": {"1x": 1, "states": 2, "ok.$": "nope", "fine": 3}}),
            ),
            vec![
                (
                    C::InvalidVariableName,
                    "/States/A/Assign/1x",
                    "not a valid identifier",
                ),
                (
                    C::InvalidVariableName,
                    "/States/A/Assign/states",
                    "reserved",
                ),
                (C::InvalidIntrinsic, "/States/A/Assign/ok.$", "'ok.$'"),
            ],
        ),
        (
            "inner scope reassigns an outer variable",
            json!({"StartAt": "Set", "States": {
                "Set": {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
                "P": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "In", "States": {"In": {"Type": "Pass", "Assign": {"x": 2, "y": 3}, "End": true}}}]}}}),
            vec![(
                C::VariableScopeConflict,
                "/States/P/Branches/0/States/In/Assign/x",
                "outer scope",
            )],
        ),
        (
            "credentials without RoleArn",
            one(
                json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Credentials": {"Role": "r"}, "End": true}),
            ),
            vec![
                (
                    C::UnsupportedField,
                    "/States/A/Credentials",
                    "Field 'Role' is not supported",
                ),
                (
                    C::MissingRequiredField,
                    "/States/A/Credentials",
                    "[RoleArn]",
                ),
            ],
        ),
        (
            "state is not an object; definition still graph-checked",
            json!({"StartAt": "A", "States": {"A": 5}}),
            vec![(C::SchemaValidationFailed, "/States/A", "OBJECT")],
        ),
        (
            "not an object at all",
            json!([1, 2]),
            vec![(C::InvalidJsonDescription, "", "JSON object")],
        ),
    ];
    for (name, def, expected) in cases {
        eprintln!("case: {name}");
        expect(&run(def), &expected);
    }
}

#[test]
fn reports_every_problem_at_once() {
    let def = json!({
        "StartAt": "A",
        "Bogus": true,
        "States": {
            "A": {"Type": "Pass", "Next": "Missing", "InputPath": "bad"},
            "B": {"Type": "Wait", "Seconds": 1.5, "End": true},
            "C": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                  "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}]}
        }
    });
    let diags = run(def);
    expect(
        &diags,
        &[
            (C::UnsupportedField, "/", "Field 'Bogus' is not supported"),
            (C::InvalidJsonPath, "/States/A/InputPath", "valid JSONPath"),
            (
                C::MissingTransitionTarget,
                "/States/A/Next",
                "Missing 'Next' target: Missing",
            ),
            (
                C::SchemaValidationFailed,
                "/States/B/Seconds",
                "non-negative integer",
            ),
            (
                C::UnreachableState,
                "/States/B",
                "State \"B\" is not reachable.",
            ),
            (
                C::UnreachableState,
                "/States/C",
                "State \"C\" is not reachable.",
            ),
            (
                C::InvalidErrorName,
                "/States/C/Retry/0/ErrorEquals",
                "must be the last",
            ),
        ],
    );
    assert!(diags.iter().all(|d| d.severity == Severity::Error));
}

#[test]
fn aws_message_format() {
    let diags = run(json!({"StartAt": "pass1", "States": {
        "pass1": {"Type": "Pass", "Next": "pass3"},
        "pass2": {"Type": "Pass", "End": true}}}));
    assert_eq!(
        aws_invalid_definition_message(&diags),
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State \"pass2\" is not reachable. at /States/pass2'"
    );
    let diags = run(json!({}));
    assert_eq!(
        aws_invalid_definition_message(&diags),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States, StartAt] at /'"
    );
    let diags = run(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}}));
    assert_eq!(
        aws_invalid_definition_message(&diags),
        "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state at null'"
    );
}

#[test]
fn validate_str_reports_parse_errors() {
    let d = validate_str("{\"StartAt\": ", &TestSyntax);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, C::InvalidJsonDescription);
    assert_eq!(d[0].code.aws_code(), "INVALID_JSON_DESCRIPTION");
    let d = validate_str("   ", &TestSyntax);
    assert_eq!(d[0].code.aws_code(), "MISSING_DESCRIPTION");
    let ok = validate_str(
        r#"{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}"#,
        &TestSyntax,
    );
    assert!(ok.is_empty(), "{ok:?}");
}

#[test]
fn valid_definitions_pass() {
    let defs = [
        json!({"Comment": "c", "Version": "1.0", "TimeoutSeconds": 60, "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Result": {"x.$": "static"}, "ResultPath": "$.r", "Next": "W"},
            "W": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [
                {"Not": {"Variable": "$.x", "IsPresent": true}, "Next": "T"},
                {"Or": [{"Variable": "$.n", "NumericGreaterThanPath": "$.m"}, {"Variable": "$$.Execution.Id", "StringMatches": "*x"}], "Next": "F"}
            ], "Default": "M"},
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                  "TimeoutSeconds": 10, "HeartbeatSeconds": 5, "Retry": [{"ErrorEquals": ["States.Timeout"], "BackoffRate": 1.5}, {"ErrorEquals": ["States.ALL"]}],
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": null}], "End": true},
            "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0, "ItemSelector": {"v.$": "$$.Map.Item.Value"},
                  "Iterator": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "Next": "S"},
            "S": {"Type": "Succeed"},
            "F": {"Type": "Fail", "ErrorPath": "States.Format('{}', $.e)", "Cause": "c"}
        }}),
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
                  "TimeoutSeconds": "{% $t %}", "Assign": {"x": "{% $states.result %}"}, "Output": "{% $states.result.Payload %}", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% $x > 1 %}", "Next": "M", "Assign": {"y": 1}}], "Default": "M"},
            "M": {"Type": "Map", "Items": "{% $states.input.items %}", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                  "StartAt": "I", "States": {"I": {"Type": "Pass", "Assign": {"x": 1}, "End": true}}}, "Label": "lbl", "End": true}
        }}),
    ];
    for d in defs {
        let diags = run(d);
        assert!(diags.is_empty(), "{diags:#?}");
    }
}
