//! JSON text the way AWS's Java runtime (Jackson) writes it.
//!
//! Rust and Java print doubles differently (`1e10` is `10000000000.0` in
//! serde_json but `1.0E10` in Java), and `States.Format` uses Java's
//! `toString()` for objects (`{a=1, b=[]}`), so both are reproduced here.

use serde_json::{Number, Value};

/// Java `Double.toString` (JDK 19+, shortest round-trip digits).
pub(crate) fn java_double(d: f64) -> String {
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    if !d.is_finite() {
        return if d.is_nan() {
            "NaN".into()
        } else if d > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let a = d.abs();
    if (1e-3..1e7).contains(&a) {
        let s = format!("{d}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{d:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        if mant.contains('.') {
            format!("{mant}E{exp}")
        } else {
            format!("{mant}.0E{exp}")
        }
    }
}

/// A JSON number as Jackson prints it: integers verbatim, doubles as Java does.
pub(crate) fn java_number(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        n.to_string()
    } else {
        n.as_f64().map(java_double).unwrap_or_else(|| n.to_string())
    }
}

/// Compact JSON (no whitespace, key order preserved, Java number format).
pub(crate) fn compact(v: &Value) -> String {
    let mut out = String::new();
    write_compact(v, &mut out);
    out
}

fn write_compact(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&java_number(n)),
        Value::String(s) => write_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(e, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, e)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_compact(e, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    // serde_json's escaping matches Jackson's defaults (short escapes for
    // \n \t \r \b \f, \u00XX for other controls, non-ASCII left as is).
    match serde_json::to_string(s) {
        Ok(t) => out.push_str(&t),
        Err(_) => out.push_str("\"\""),
    }
}

/// Java `Object.toString()` of the Jackson-converted value, as used by
/// `States.Format` for its arguments: strings unquoted, maps as
/// `{k=v, k2=v2}`, lists as `[a, b]`.
pub(crate) fn java_to_string(v: &Value) -> String {
    let mut out = String::new();
    write_java(v, &mut out);
    out
}

fn write_java(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&java_number(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_java(e, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, e)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                write_java(e, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn java_doubles() {
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(1.1), "1.1");
        assert_eq!(java_double(1e10), "1.0E10");
        assert_eq!(java_double(1.5e-5), "1.5E-5");
        assert_eq!(java_double(1234567.5), "1234567.5");
        assert_eq!(java_double(-0.001), "-0.001");
        assert_eq!(java_double(0.0), "0.0");
    }

    #[test]
    fn compact_and_java_forms() {
        let v = json!({"Arg1": 1, "Arg2": [], "f": 1.0, "s": "a\"b"});
        assert_eq!(compact(&v), r#"{"Arg1":1,"Arg2":[],"f":1.0,"s":"a\"b"}"#);
        assert_eq!(java_to_string(&v), r#"{Arg1=1, Arg2=[], f=1.0, s=a"b}"#);
        assert_eq!(java_to_string(&json!([1, "x", null])), "[1, x, null]");
    }
}
