//! Choice rules in JSONPath mode: every data-test operator, `And`/`Or`/`Not`.
//!
//! AWS semantics: a type mismatch makes a comparison false (no coercion);
//! strings compare by UTF-16 code units (Java's `String.compareTo`);
//! `IsPresent` is the only test that tolerates a missing `Variable`.

use serde_json::Value;

use crate::expr::{self, Env, ExprFailure};
use crate::model::{Comparison, Condition, Operand};
use crate::time::parse_timestamp_nanos;

pub fn evaluate(cond: &Condition, env: &mut Env<'_>) -> Result<bool, ExprFailure> {
    match cond {
        Condition::And(rules) => {
            for r in rules {
                if !evaluate(r, env)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Condition::Or(rules) => {
            for r in rules {
                if evaluate(r, env)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Condition::Not(r) => Ok(!evaluate(r, env)?),
        Condition::Test {
            variable,
            variable_text,
            op,
            operand,
        } => {
            let value = match expr::eval_path(variable, env) {
                Ok(v) => Some(v),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e.into_runtime_failure()),
            };
            let expected = match operand {
                Operand::Literal(v) => v.clone(),
                Operand::Path(p) => {
                    expr::eval_path(p, env).map_err(|e| e.into_runtime_failure())?
                }
            };
            match value {
                None if *op == Comparison::IsPresent => Ok(expected == Value::Bool(false)),
                None if is_type_test(*op) => Ok(false),
                None => Err(ExprFailure::runtime(format!(
                    "Invalid path '{variable_text}': The choice state's condition path references an invalid value."
                ))),
                Some(v) => Ok(compare(*op, &v, &expected)),
            }
        }
        Condition::Jsonata(_) => Err(ExprFailure::runtime(
            "JSONata conditions are evaluated by the JSONata layer",
        )),
    }
}

fn is_type_test(op: Comparison) -> bool {
    use Comparison::*;
    matches!(op, IsNull | IsNumeric | IsString | IsBoolean | IsTimestamp)
}

/// Applies one operator to a present value.
pub fn compare(op: Comparison, v: &Value, expected: &Value) -> bool {
    use Comparison::*;
    let flag = |actual: bool| expected.as_bool().map(|e| e == actual).unwrap_or(false);
    match op {
        IsPresent => flag(true),
        IsNull => flag(v.is_null()),
        IsNumeric => flag(v.is_number()),
        IsString => flag(v.is_string()),
        IsBoolean => flag(v.is_boolean()),
        IsTimestamp => flag(v.as_str().and_then(parse_timestamp_nanos).is_some()),
        BooleanEquals => matches!((v, expected), (Value::Bool(a), Value::Bool(b)) if a == b),
        StringMatches => match (v.as_str(), expected.as_str()) {
            (Some(s), Some(p)) => string_matches(s, p),
            _ => false,
        },
        StringEquals
        | StringLessThan
        | StringGreaterThan
        | StringLessThanEquals
        | StringGreaterThanEquals => match (v.as_str(), expected.as_str()) {
            (Some(a), Some(b)) => {
                let ord = a.encode_utf16().cmp(b.encode_utf16());
                ordering_holds(op, ord)
            }
            _ => false,
        },
        NumericEquals
        | NumericLessThan
        | NumericGreaterThan
        | NumericLessThanEquals
        | NumericGreaterThanEquals => match (v.as_f64(), expected.as_f64()) {
            (Some(a), Some(b)) if v.is_number() && expected.is_number() => {
                a.partial_cmp(&b).is_some_and(|ord| ordering_holds(op, ord))
            }
            _ => false,
        },
        TimestampEquals
        | TimestampLessThan
        | TimestampGreaterThan
        | TimestampLessThanEquals
        | TimestampGreaterThanEquals => {
            match (
                v.as_str().and_then(parse_timestamp_nanos),
                expected.as_str().and_then(parse_timestamp_nanos),
            ) {
                (Some(a), Some(b)) => ordering_holds(op, a.cmp(&b)),
                _ => false,
            }
        }
    }
}

fn ordering_holds(op: Comparison, ord: std::cmp::Ordering) -> bool {
    use Comparison::*;
    use std::cmp::Ordering::*;
    match op {
        StringEquals | NumericEquals | TimestampEquals => ord == Equal,
        StringLessThan | NumericLessThan | TimestampLessThan => ord == Less,
        StringGreaterThan | NumericGreaterThan | TimestampGreaterThan => ord == Greater,
        StringLessThanEquals | NumericLessThanEquals | TimestampLessThanEquals => ord != Greater,
        StringGreaterThanEquals | NumericGreaterThanEquals | TimestampGreaterThanEquals => {
            ord != Less
        }
        _ => false,
    }
}

/// `StringMatches`: `*` matches any run of characters; `\*` is a literal star
/// and `\\` a literal backslash.
pub fn string_matches(s: &str, pattern: &str) -> bool {
    #[derive(PartialEq)]
    enum Tok {
        Star,
        Char(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => toks.push(Tok::Char(n)),
                None => toks.push(Tok::Char('\\')),
            },
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Char(c)),
        }
    }
    let text: Vec<char> = s.chars().collect();
    // Classic wildcard matching with backtracking to the last star.
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < text.len() {
        match toks.get(pi) {
            Some(Tok::Char(c)) if *c == text[ti] => {
                ti += 1;
                pi += 1;
            }
            Some(Tok::Star) => {
                star = Some((pi, ti));
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[pi..].iter().all(|t| *t == Tok::Star)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Comparison::*;
    use serde_json::json;

    #[test]
    fn type_mismatch_is_false_not_an_error() {
        assert!(!compare(NumericEquals, &json!("1"), &json!(1)));
        assert!(!compare(StringEquals, &json!(1), &json!("1")));
        assert!(compare(NumericEquals, &json!(1), &json!(1.0)));
    }

    #[test]
    fn string_order_is_utf16_code_units() {
        // U+FF21 (BMP, high) sorts after U+1F600's surrogate pair in UTF-16.
        assert!(compare(
            StringGreaterThan,
            &json!("\u{FF21}"),
            &json!("\u{1F600}")
        ));
        assert!(compare(StringLessThanEquals, &json!("a"), &json!("a")));
    }

    #[test]
    fn timestamps_compare_as_instants() {
        assert!(compare(
            TimestampEquals,
            &json!("2016-03-14T01:59:00Z"),
            &json!("2016-03-14T02:59:00+01:00")
        ));
        assert!(!compare(
            TimestampEquals,
            &json!("not a date"),
            &json!("2016-03-14T01:59:00Z")
        ));
        assert!(compare(
            IsTimestamp,
            &json!("2016-03-14T01:59:00Z"),
            &json!(true)
        ));
    }

    #[test]
    fn wildcards() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("a*b", "a\\*b"));
        assert!(!string_matches("axb", "a\\*b"));
        assert!(string_matches("", "*"));
        assert!(string_matches("abcabc", "*abc"));
        assert!(!string_matches("abc", "abcd*x"));
    }
}
