//! Any JSON gives a drawing or an error, never a panic: the console draws whatever a user
//! pastes into the editor's preview.

use diagram::Diagram;
use proptest::prelude::*;
use serde_json::{Map, Value};

const KEYS: &[&str] = &[
    "StartAt",
    "States",
    "Type",
    "Next",
    "End",
    "Choices",
    "Default",
    "Catch",
    "Retry",
    "Branches",
    "ItemProcessor",
    "Iterator",
    "ErrorEquals",
    "MaxAttempts",
    "Variable",
    "NumericEquals",
    "Condition",
    "And",
    "Not",
    "Resource",
    "A",
    "B",
    "C",
];
const STRINGS: &[&str] = &[
    "A",
    "B",
    "C",
    "Task",
    "Choice",
    "Parallel",
    "Map",
    "Pass",
    "Fail",
    "Succeed",
    "Wait",
    "States.ALL",
    "$.x",
    "{% $x %}",
    "arn:aws:states:::sns:publish",
    "",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..5).prop_map(Value::from),
        proptest::sample::select(STRINGS).prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..6).prop_map(
                |pairs| {
                    Value::Object(
                        pairs
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect::<Map<String, Value>>(),
                    )
                }
            ),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics(value in json()) {
        if let Ok(d) = Diagram::from_definition(&value) {
            let _ = (d.to_svg(), d.to_dot(), d.to_mermaid(), d.to_json());
        }
    }

    #[test]
    fn near_valid_machines_never_panic(
        start in proptest::sample::select(&["A", "B", "C"][..]),
        states in proptest::collection::vec((proptest::sample::select(&["A", "B", "C"][..]), json()), 0..4)
    ) {
        let states: Map<String, Value> = states.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let def = serde_json::json!({"StartAt": start, "States": states});
        if let Ok(d) = Diagram::from_definition(&def) {
            let _ = (d.to_svg(), d.to_dot(), d.to_mermaid(), d.to_json());
        }
    }
}
