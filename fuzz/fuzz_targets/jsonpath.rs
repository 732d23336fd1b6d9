//! Arbitrary text as a JSONPath-mode path, Reference Path and ResultPath:
//! parse, evaluate against a fixed document and write into it. Must never
//! panic.
#![no_main]

use std::sync::LazyLock;

use asl_path::{Env, PathExpr, ReferencePath};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

static DOC: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "a": 1,
        "b": "x",
        "c": [1, 2.5, "three", null, true, {"d": [10, 20, {"e": "deep"}]}],
        "o": {"p": {"q": [], "r": {}}, "n": -0.0, "big": 1e300},
        "list": [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}, {"k": 3}],
        "weird key": {"with.dot": 1, "[x]": 2, "'q'": 3},
        "ü": "unicode"
    })
});

static CONTEXT: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "Execution": {"Id": "arn:aws:states:::execution:m:e", "Input": {"a": 1}},
        "State": {"Name": "S", "EnteredTime": "2024-01-01T00:00:00Z"},
        "Map": {"Item": {"Index": 0, "Value": {"a": 1}}}
    })
});

static VARS: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let mut m = Map::new();
    m.insert("v".into(), json!({"a": [1, 2, 3]}));
    m.insert("s".into(), json!("str"));
    m
});

fuzz_target!(|text: &str| {
    let env = Env::new(&DOC, &CONTEXT).with_variables(&*VARS);
    let mut n = 0u64;
    let mut entropy = move || {
        n = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
        n
    };
    if let Ok(expr) = PathExpr::parse(text) {
        let _ = expr.eval(&env, &mut entropy);
    }
    if let Ok(expr) = PathExpr::parse_path(text) {
        let _ = expr.eval(&env, &mut entropy);
    }
    let _ = asl_path::check_path(text);
    let _ = asl_path::check_reference_path(text);
    let _ = asl_path::check_payload_value(text);
    if let Ok(q) = asl_path::Query::parse(text) {
        let _ = q.eval(&DOC);
        let _ = q.to_string();
    }
    if let Ok(path) = ReferencePath::parse(text) {
        let _ = path.get(&DOC);
        let _ = path.eval(&DOC);
        let _ = path.set(DOC.clone(), json!({"new": true}));
        let _ = path.set(json!(null), json!(1));
        let _ = path.set(json!([]), json!(1));
        let _ = path.to_string();
    }
    let _ = ReferencePath::parse_rooted(text);
});
