//! Validation must never panic, whatever JSON it is given.

mod common;

use asl_validate::{validate, validate_str};
use common::TestSyntax;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Keys biased towards ASL field names so the generator reaches deep into the
/// validator instead of stopping at "unsupported field".
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "StartAt", "States", "Type", "Next", "End", "Choices", "Default", "Variable",
            "And", "Or", "Not", "StringEquals", "NumericEqualsPath", "Branches", "ItemProcessor",
            "Iterator", "ProcessorConfig", "Mode", "Retry", "Catch", "ErrorEquals", "Parameters",
            "Assign", "Output", "Arguments", "QueryLanguage", "Seconds", "Timestamp", "Label",
            "ItemReader", "ReaderConfig", "ItemBatcher", "ResultWriter", "x.$", "A", "B",
            "Resource", "TimeoutSeconds", "HeartbeatSeconds", "Credentials", "Error", "ErrorPath",
        ]).prop_map(str::to_string),
        1 => "[a-zA-Z.$/~ ]{0,6}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(vec![
            "Pass",
            "Task",
            "Choice",
            "Wait",
            "Succeed",
            "Fail",
            "Parallel",
            "Map",
            "A",
            "B",
            "JSONata",
            "JSONPath",
            "$",
            "$.x",
            "{% $x %}",
            "States.ALL",
            "DISTRIBUTED",
            "arn:aws:states:::lambda:invoke",
            "2016-03-14T01:59:00Z",
        ])
        .prop_map(Value::from),
        ".{0,8}".prop_map(Value::String),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics(v in json()) {
        let _ = validate(&v, &TestSyntax);
        let _ = validate_str(&v.to_string(), &TestSyntax);
    }

    #[test]
    fn never_panics_on_machine_shaped_values(states in prop::collection::vec((key(), json()), 0..5), start in key()) {
        let states: Map<String, Value> = states.into_iter().collect();
        let def = serde_json::json!({"StartAt": start, "States": states});
        let _ = validate(&def, &TestSyntax);
    }

    #[test]
    fn never_panics_on_text(s in ".{0,64}") {
        let _ = validate_str(&s, &TestSyntax);
    }
}

#[test]
fn deep_nesting_is_reported_not_overflowed() {
    let mut v = serde_json::json!({"Type": "Succeed"});
    for i in 0..200 {
        v = serde_json::json!({"StartAt": format!("s{i}"), "States": {format!("s{i}"): {
            "Type": "Parallel", "End": true, "Branches": [v]}}});
    }
    let diags = validate(&v, &TestSyntax);
    assert!(
        diags
            .iter()
            .any(|d| d.code.aws_code() == "TOO_DEEPLY_NESTED")
    );
}
