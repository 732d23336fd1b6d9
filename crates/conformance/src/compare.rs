//! Comparing Baton's result with a recorded AWS result, by the corpus's rules
//! (`shared/conformance/sfn/README.md`): placeholders are wildcards, object
//! key order is ignored, a `cause` recorded as an object is compared parsed.

use regex::Regex;
use serde_json::Value;

/// Wildcards of one case: the corpus's normalisation placeholders plus the
/// replacement literals of the case's test transformers.
pub struct Wildcards {
    literals: Vec<String>,
}

impl Wildcards {
    pub fn new(transformers: &[Value]) -> Wildcards {
        let mut literals = Vec::new();
        for t in transformers {
            if let Some(r) = t.pointer("/kwargs/replacement").and_then(Value::as_str) {
                literals.push(r.to_string());
            }
            if let Some(args) = t.get("args").and_then(Value::as_array)
                && args.len() >= 2
                && let Some(r) = args[1].as_str()
            {
                literals.push(r.to_string());
            }
        }
        Wildcards { literals }
    }

    /// Whether an expected string (possibly containing placeholders) matches.
    pub fn string_matches(&self, expected: &str, actual: &str) -> bool {
        if expected == actual || self.literals.iter().any(|l| l == expected) {
            return true;
        }
        if !expected.contains('<') && !expected.contains("date") && !expected.contains("timestamp")
        {
            return false;
        }
        // Build a regex: placeholders become lazy wildcards.
        let mut pattern = String::from("(?s)^");
        let token = Regex::new(r"<[^<>\s]+>|\bdate\b|\btimestamp\b").expect("static regex");
        let mut last = 0;
        for m in token.find_iter(expected) {
            pattern.push_str(&regex::escape(&expected[last..m.start()]));
            pattern.push_str(".*?");
            last = m.end();
        }
        pattern.push_str(&regex::escape(&expected[last..]));
        pattern.push('$');
        Regex::new(&pattern).is_ok_and(|r| r.is_match(actual))
    }

    /// Deep JSON comparison with wildcards; returns the first difference.
    pub fn value_diff(&self, expected: &Value, actual: &Value, at: &str) -> Option<String> {
        match (expected, actual) {
            (Value::String(e), Value::String(a)) => {
                (!self.string_matches(e, a)).then(|| format!("{at}: expected {e:?}, got {a:?}"))
            }
            (Value::String(e), other) if self.literals.iter().any(|l| l == e) => {
                let _ = other;
                None
            }
            (Value::Object(e), Value::Object(a)) => {
                for (k, ev) in e {
                    match a.get(k) {
                        Some(av) => {
                            if let Some(d) = self.value_diff(ev, av, &format!("{at}.{k}")) {
                                return Some(d);
                            }
                        }
                        None => return Some(format!("{at}: missing key {k:?}")),
                    }
                }
                a.keys()
                    .find(|k| !e.contains_key(*k))
                    .map(|k| format!("{at}: unexpected key {k:?}"))
            }
            (Value::Array(e), Value::Array(a)) => {
                if e.len() != a.len() {
                    return Some(format!("{at}: expected {} items, got {}", e.len(), a.len()));
                }
                e.iter()
                    .zip(a)
                    .enumerate()
                    .find_map(|(i, (ev, av))| self.value_diff(ev, av, &format!("{at}[{i}]")))
            }
            (Value::Number(e), Value::Number(a)) => {
                let same = e == a || e.as_f64().zip(a.as_f64()).is_some_and(|(x, y)| x == y);
                (!same).then(|| format!("{at}: expected {e}, got {a}"))
            }
            (e, a) if e == a => None,
            (e, a) => Some(format!("{at}: expected {}, got {}", short(e), short(a))),
        }
    }

    /// The recorded `cause`: a string (wildcards apply) or, when AWS's cause
    /// was a JSON object, that object parsed.
    pub fn cause_diff(&self, expected: &Value, actual: Option<&str>) -> Option<String> {
        match (expected, actual) {
            (Value::Null, None) => None,
            (Value::Null, Some(a)) => Some(format!("cause: expected none, got {a:?}")),
            (e, None) => Some(format!("cause: expected {}, got none", short(e))),
            (Value::String(e), Some(a)) => {
                (!self.string_matches(e, a)).then(|| format!("cause: expected {e:?}, got {a:?}"))
            }
            (e, Some(a)) => match serde_json::from_str::<Value>(a) {
                Ok(parsed) => self.value_diff(e, &parsed, "cause"),
                Err(_) => Some(format!("cause: expected {}, got {a:?}", short(e))),
            },
        }
    }
}

pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 160 {
        format!("{}…", &s[..s.floor_char_boundary(160)])
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_match_any_text() {
        let w = Wildcards::new(&[]);
        assert!(w.string_matches(
            "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:x",
            "arn:aws:states:us-east-1:111111111111:execution:m:x"
        ));
        assert!(!w.string_matches("abc", "abd"));
        assert!(w.string_matches("at date.", "at 2024-01-01T00:00:00.000Z."));
    }

    #[test]
    fn objects_compare_without_key_order_and_report_where() {
        let w = Wildcards::new(&[]);
        assert_eq!(
            w.value_diff(&json!({"a":1,"b":2}), &json!({"b":2,"a":1}), "$"),
            None
        );
        assert_eq!(
            w.value_diff(&json!({"a":[1,2]}), &json!({"a":[1,3]}), "$"),
            Some("$.a[1]: expected 2, got 3".into())
        );
    }

    #[test]
    fn transformer_replacements_are_wildcards() {
        let w = Wildcards::new(&[
            json!({"type":"JsonpathTransformer","args":[],"kwargs":{"jsonpath":"$..StartTime","replacement":"start-time"}}),
        ]);
        assert_eq!(
            w.value_diff(&json!({"t":"start-time"}), &json!({"t":"2024"}), "$"),
            None
        );
    }
}
