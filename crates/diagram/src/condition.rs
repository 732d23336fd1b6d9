//! Short, human-readable renderings of Choice rules, for edge labels.
//!
//! A Choice edge is labelled with its condition (`$.status == 1`, or the JSONata
//! `Condition` without its `{% %}`), so the reader sees *why* the flow goes that way without
//! opening the definition. Long conditions are truncated on the label; the full text goes in
//! the edge's tooltip.

use serde_json::Value;

/// Longest label drawn on a Choice edge, in characters (the rest becomes `…`).
pub const MAX_LABEL_CHARS: usize = 30;

/// The comparison operators of JSONPath Choice rules, with how each is written.
const COMPARATORS: &[(&str, &str)] = &[
    ("StringEquals", "=="),
    ("StringLessThan", "<"),
    ("StringGreaterThan", ">"),
    ("StringLessThanEquals", "<="),
    ("StringGreaterThanEquals", ">="),
    ("StringMatches", "like"),
    ("NumericEquals", "=="),
    ("NumericLessThan", "<"),
    ("NumericGreaterThan", ">"),
    ("NumericLessThanEquals", "<="),
    ("NumericGreaterThanEquals", ">="),
    ("BooleanEquals", "=="),
    ("TimestampEquals", "=="),
    ("TimestampLessThan", "<"),
    ("TimestampGreaterThan", ">"),
    ("TimestampLessThanEquals", "<="),
    ("TimestampGreaterThanEquals", ">="),
];

/// Type tests (`IsNull: true` → `$.x is null`).
const TYPE_TESTS: &[(&str, &str)] = &[
    ("IsNull", "null"),
    ("IsNumeric", "numeric"),
    ("IsString", "string"),
    ("IsBoolean", "boolean"),
    ("IsTimestamp", "timestamp"),
];

/// The full text of a Choice rule's condition.
pub fn render(rule: &Value) -> String {
    if let Some(condition) = rule.get("Condition") {
        return match condition {
            Value::String(s) => strip_jsonata(s).to_string(),
            other => other.to_string(),
        };
    }
    render_jsonpath(rule, false)
}

/// `{% $x > 1 %}` → `$x > 1`.
fn strip_jsonata(s: &str) -> &str {
    let t = s.trim();
    t.strip_prefix("{%")
        .and_then(|t| t.strip_suffix("%}"))
        .map(str::trim)
        .unwrap_or(t)
}

fn render_jsonpath(rule: &Value, nested: bool) -> String {
    let wrap = |s: String| if nested { format!("({s})") } else { s };
    if let Some(Value::Array(items)) = rule.get("And") {
        return wrap(join(items, " && "));
    }
    if let Some(Value::Array(items)) = rule.get("Or") {
        return wrap(join(items, " || "));
    }
    if let Some(inner) = rule.get("Not") {
        return format!("!({})", render_jsonpath(inner, false));
    }
    let variable = rule.get("Variable").and_then(Value::as_str).unwrap_or("?");
    for (name, op) in COMPARATORS {
        if let Some(value) = rule.get(*name) {
            return format!("{variable} {op} {}", literal(value));
        }
        if let Some(Value::String(path)) = rule.get(format!("{name}Path").as_str()) {
            return format!("{variable} {op} {path}");
        }
    }
    for (name, what) in TYPE_TESTS {
        if let Some(Value::Bool(b)) = rule.get(*name) {
            let not = if *b { "" } else { "not " };
            return format!("{variable} is {not}{what}");
        }
    }
    if let Some(Value::Bool(b)) = rule.get("IsPresent") {
        return format!("{variable} {}", if *b { "present" } else { "absent" });
    }
    variable.to_string()
}

fn join(items: &[Value], sep: &str) -> String {
    items
        .iter()
        .map(|r| render_jsonpath(r, true))
        .collect::<Vec<_>>()
        .join(sep)
}

fn literal(value: &Value) -> String {
    value.to_string()
}

/// Cuts `text` to at most `max` characters, ending in `…` when something was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_equals_reads_as_comparison() {
        let rule = json!({"Variable": "$.status", "NumericEquals": 1, "Next": "X"});
        assert_eq!(render(&rule), "$.status == 1");
    }

    #[test]
    fn strings_are_quoted_and_paths_are_not() {
        assert_eq!(
            render(&json!({"Variable": "$.a", "StringEquals": "go"})),
            "$.a == \"go\""
        );
        assert_eq!(
            render(&json!({"Variable": "$.a", "NumericLessThanPath": "$.b"})),
            "$.a < $.b"
        );
    }

    #[test]
    fn boolean_combinators_nest_with_parentheses() {
        let rule = json!({"And": [
            {"Variable": "$.a", "IsPresent": true},
            {"Not": {"Variable": "$.b", "BooleanEquals": true}}
        ]});
        assert_eq!(render(&rule), "$.a present && !($.b == true)");
        let or = json!({"Or": [
            {"Variable": "$.a", "IsNull": false},
            {"Variable": "$.t", "TimestampGreaterThan": "2020-01-01T00:00:00Z"}
        ]});
        assert_eq!(
            render(&or),
            "$.a is not null || $.t > \"2020-01-01T00:00:00Z\""
        );
    }

    #[test]
    fn jsonata_condition_loses_its_delimiters() {
        let rule = json!({"Condition": "{% $states.input.n > 3 %}", "Next": "X"});
        assert_eq!(render(&rule), "$states.input.n > 3");
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
