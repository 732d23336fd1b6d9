//! Arbitrary text as a JSONata expression: parse, check the Step Functions
//! restrictions and evaluate with a small `$states` binding and a short time
//! budget. Must never panic (uncaught), hang or overflow the stack.
#![no_main]

use std::sync::LazyLock;

use baton_jsonata::{Bindings, EvalOptions, Expression, FixedHost, Limits};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

static STATES: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "input": {"a": 1, "b": "x", "c": [1, 2, 3], "o": {"p": {"q": true}}, "s": "hello"},
        "context": {"Execution": {"Id": "arn:aws:states:::execution:m:e"}, "State": {"Name": "S"}},
        "result": [{"k": 1}, {"k": 2}],
        "errorOutput": {"Error": "E", "Cause": "c"}
    })
});

static VARS: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let mut m = Map::new();
    m.insert("states".into(), json!("shadowed"));
    m.insert("v".into(), json!([1, 2, 3]));
    m
});

fuzz_target!(|text: &str| {
    let Ok(expr) = Expression::parse(text) else {
        return;
    };
    let _ = expr.check_step_functions_restrictions();
    let _ = expr.referenced_names().count();
    let mut host = FixedHost::new(1_700_000_000_000, 7);
    let bindings = Bindings {
        states: &STATES,
        variables: &*VARS,
    };
    let options = EvalOptions {
        input: None,
        allow_eval: false,
        limits: Limits {
            time_budget_ms: Some(200),
            max_depth: Some(1_000),
            max_sequence_length: Some(100_000),
        },
    };
    // `evaluate_with` looks variables up by name; bind `$states` the way
    // `evaluate` does by putting it first.
    struct Lookup<'a>(&'a Bindings<'a>);
    impl baton_jsonata::VariableLookup for Lookup<'_> {
        fn lookup(&self, name: &str) -> Option<&Value> {
            if name == "states" {
                Some(self.0.states)
            } else {
                self.0.variables.lookup(name)
            }
        }
    }
    let _ = expr.evaluate_with(&Lookup(&bindings), &mut host, &options);
});
