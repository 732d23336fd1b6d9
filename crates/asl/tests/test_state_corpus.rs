//! Replays the TestState cases recorded against real AWS
//! (`shared/conformance/sfn/cases_test_state`) through
//! `asl::test_state::test_state` and compares status, output, error, cause,
//! nextState and inspectionData with the README's normalisation rules:
//! JSON text is parsed on both sides, objects compare without regard to key
//! order, and placeholders (`<...>`, `date`, `timestamp`) are wildcards.
//!
//! Skips (and passes) when the shared corpus is absent.

use std::path::{Path, PathBuf};

use asl::test_state::{
    InspectionLevel, MockError, MockInput, StateConfiguration, TestStateRequest, test_state,
};
use serde_json::Value;

/// Cases that must pass (raise it when more do).
const FLOOR: usize = 123;

fn corpus_dir() -> Option<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var("BATON_SHARED").ok().map(PathBuf::from),
        Some(PathBuf::from("/work/shared")),
        Some(here.join("../../../shared")),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(|p| p.join("conformance/sfn/cases_test_state"))
        .find(|p| p.is_dir())
}

/// JSON text of a request member the recording may have parsed.
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn request_of(case: &Value) -> TestStateRequest {
    let r = &case["request"];
    let s = |k: &str| r.get(k).filter(|v| !v.is_null()).map(as_text);
    let input = match (r.get("input_string"), r.get("input")) {
        (Some(Value::String(s)), _) => Some(s.clone()),
        (_, Some(v)) if !v.is_null() => Some(v.to_string()),
        _ => None,
    };
    let mock = r.get("mock").map(|m| MockInput {
        result: m.get("result").map(as_text),
        error_output: m.get("errorOutput").map(|e| MockError {
            error: e.get("error").and_then(Value::as_str).map(str::to_string),
            cause: e.get("cause").and_then(Value::as_str).map(str::to_string),
        }),
        field_validation_mode: m
            .get("fieldValidationMode")
            .and_then(Value::as_str)
            .map(str::to_string),
    });
    let state_configuration = r.get("stateConfiguration").map(|c| StateConfiguration {
        retrier_retry_count: c.get("retrierRetryCount").and_then(Value::as_u64),
        error_caused_by_state: c
            .get("errorCausedByState")
            .and_then(Value::as_str)
            .map(str::to_string),
        map_iteration_failure_count: c.get("mapIterationFailureCount").and_then(Value::as_u64),
        map_item_reader_data: c.get("mapItemReaderData").map(as_text),
    });
    // The recordings dropped `roleArn`; the tests passed one with every mock
    // (their Context objects show a role) and none otherwise (`RoleArn: null`).
    let role_arn = mock
        .is_some()
        .then(|| "arn:aws:iam::111111111111:role/snf_role_arn".to_string());
    TestStateRequest {
        definition: s("definition").unwrap_or_default(),
        role_arn,
        input,
        inspection_level: r
            .get("inspectionLevel")
            .and_then(Value::as_str)
            .and_then(InspectionLevel::parse)
            .unwrap_or_default(),
        reveal_secrets: r
            .get("revealSecrets")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        variables: s("variables"),
        state_name: s("stateName"),
        mock,
        context: s("context"),
        state_configuration,
        region: "us-east-1".into(),
        account: "111111111111".into(),
    }
}

/// Whether `actual` matches `pattern`, where `<...>` segments match any text
/// and a whole `date`/`timestamp` matches anything.
fn wildcard_match(pattern: &str, actual: &str) -> bool {
    if pattern == "date" || pattern == "timestamp" {
        return true;
    }
    // Split into literal parts around `<...>` placeholders.
    let mut parts = Vec::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('<') {
        match rest[start..].find('>') {
            Some(end) => {
                parts.push(&rest[..start]);
                rest = &rest[start + end + 1..];
            }
            None => break,
        }
    }
    parts.push(rest);
    if parts.len() == 1 {
        return pattern == actual;
    }
    // `arn:aws:` was normalised to `arn:<partition>:`, handled by the split.
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !actual.starts_with(part) {
                return false;
            }
            pos = part.len();
        } else if i == parts.len() - 1 {
            return actual.len() >= pos + part.len() && actual[pos..].ends_with(part);
        } else {
            match actual[pos..].find(part) {
                Some(at) => pos += at + part.len(),
                None => return false,
            }
        }
    }
    true
}

/// Parses JSON text (the engine's, or an expected value kept as text).
fn parsed(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
        other => other.clone(),
    }
}

/// Structural comparison with wildcards; `Err` names the first difference.
fn same(expected: &Value, actual: &Value, at: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::String(e), Value::String(a)) if wildcard_match(e, a) => Ok(()),
        (Value::String(e), _) if e == "date" || e == "timestamp" => Ok(()),
        (Value::String(e), other) if e.starts_with('<') && e.ends_with('>') && !other.is_null() => {
            Ok(())
        }
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => Ok(()),
        (Value::Object(e), Value::Object(a)) => {
            for k in e.keys() {
                if !a.contains_key(k) {
                    return Err(format!("{at}/{k}: missing"));
                }
            }
            for k in a.keys() {
                if !e.contains_key(k) {
                    return Err(format!("{at}/{k}: unexpected {}", a[k]));
                }
            }
            for (k, ev) in e {
                same(ev, &a[k], &format!("{at}/{k}"))?;
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                same(ev, av, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{at}: expected {e}, got {a}")),
    }
}

fn compare(expected: &Value, actual: &Value) -> Result<(), String> {
    let field = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    same(
        &field(expected, "status"),
        &field(actual, "status"),
        "status",
    )?;
    for k in ["error", "nextState"] {
        same(&field(expected, k), &field(actual, k), k)?;
    }
    // `cause` was parsed only when it was a JSON object's text.
    let cause = field(actual, "cause");
    let cause = match &cause {
        Value::String(s) if s.starts_with('{') => parsed(&cause),
        _ => cause,
    };
    same(&field(expected, "cause"), &cause, "cause")?;
    same(
        &parsed(&field(expected, "output")),
        &parsed(&field(actual, "output")),
        "output",
    )?;
    let ei = field(expected, "inspectionData");
    let ai = field(actual, "inspectionData");
    match (&ei, &ai) {
        (Value::Null, Value::Null) => Ok(()),
        (Value::Object(e), Value::Object(a)) => {
            let norm = |m: &serde_json::Map<String, Value>| -> Value {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), parsed(v))).collect())
            };
            same(&norm(e), &norm(a), "inspectionData")
        }
        (e, a) => Err(format!("inspectionData: expected {e}, got {a}")),
    }
}

#[test]
fn recorded_test_state_cases() {
    let Some(dir) = corpus_dir() else {
        println!("shared/conformance/sfn/cases_test_state not found: skipping");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read case");
        let Ok(case) = serde_json::from_str::<Value>(&text) else {
            skipped += 1;
            continue;
        };
        if case["api"] != "TestState" {
            skipped += 1;
            continue;
        }
        let id = case["id"].as_str().unwrap_or("?").to_string();
        let request = request_of(&case);
        let result = match test_state(&request, 1_736_937_000_000, 7) {
            Ok(r) => compare(&case["expected_response"], &r.to_json()),
            Err(e) => Err(format!("request refused: {e}")),
        };
        match result {
            Ok(()) => passed += 1,
            Err(why) => {
                failed += 1;
                println!("FAIL {id}: {why}");
            }
        }
    }
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    assert!(
        passed >= FLOOR,
        "{passed} TestState cases passed, below the floor of {FLOOR}"
    );
}

#[test]
fn the_comparison_is_strict_outside_placeholders() {
    let expected = serde_json::json!({"status": "SUCCEEDED", "output": {"a": 1},
        "inspectionData": {"input": {"a": 1}}});
    let good = serde_json::json!({"status": "SUCCEEDED", "output": "{\"a\":1}",
        "inspectionData": {"input": "{\"a\":1}"}});
    assert!(compare(&expected, &good).is_ok());
    let extra_key = serde_json::json!({"status": "SUCCEEDED", "output": "{\"a\":1}",
        "inspectionData": {"input": "{\"a\":1}", "afterInputPath": "{}"}});
    assert!(compare(&expected, &extra_key).is_err());
    let wrong_output = serde_json::json!({"status": "SUCCEEDED", "output": "{\"a\":2}",
        "inspectionData": {"input": "{\"a\":1}"}});
    assert!(compare(&expected, &wrong_output).is_err());
    assert!(wildcard_match(
        "arn:<partition>:states:<region>:1:x",
        "arn:aws:states:us-east-1:1:x"
    ));
    assert!(!wildcard_match(
        "arn:<partition>:states:<region>:1:x",
        "arn:aws:states:us-east-1:2:x"
    ));
}
