//! Conversions between `serde_json::Value` and jsonata-core's `JValue`.
//!
//! JSONata numbers are JavaScript doubles. On the way out, whole numbers are
//! written as JSON integers (`1`, not `1.0`), because that is what
//! `JSON.stringify` (and therefore AWS) produces and what downstream
//! consumers (Lambda payloads, `States.*` comparisons) expect.

use indexmap::IndexMap;
use jsonata_core::value::{JArray, JValue};
use serde_json::{Map, Number, Value};

use crate::error::{ErrorKind, JsonataError};

/// Converts a JSON value into the engine's value type.
pub(crate) fn to_jvalue(value: &Value) -> JValue {
    match value {
        Value::Null => JValue::Null,
        Value::Bool(b) => JValue::Bool(*b),
        // Integers beyond 2^53 lose precision, exactly as in JavaScript.
        Value::Number(n) => JValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => JValue::string(s.as_str()),
        Value::Array(items) => {
            let flat = !items.iter().any(Value::is_array);
            JValue::Array(JArray::new_flat(
                items.iter().map(to_jvalue).collect(),
                flat,
            ))
        }
        Value::Object(map) => {
            let mut out = IndexMap::with_capacity(map.len());
            for (k, v) in map {
                out.insert(k.clone(), to_jvalue(v));
            }
            JValue::object(out)
        }
    }
}

/// Converts an engine value to JSON with `JSON.stringify` semantics:
/// `undefined` and functions vanish from objects, become `null` in arrays,
/// and make the whole result `None` at the top level.
pub(crate) fn from_jvalue(value: &JValue) -> Result<Option<Value>, JsonataError> {
    Ok(match value {
        JValue::Undefined | JValue::Lambda(_) | JValue::Builtin { .. } | JValue::Regex { .. } => {
            None
        }
        JValue::Null => Some(Value::Null),
        JValue::Bool(b) => Some(Value::Bool(*b)),
        JValue::Number(n) => Some(Value::Number(number(*n)?)),
        JValue::String(s) => Some(Value::String(s.to_string())),
        JValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                out.push(from_jvalue(item)?.unwrap_or(Value::Null));
            }
            Some(Value::Array(out))
        }
        JValue::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map.iter() {
                if let Some(v) = from_jvalue(v)? {
                    out.insert(k.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
    })
}

/// 2^63 as an f64 (exact).
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
/// 2^64 as an f64 (exact).
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

/// A JSON number for a JavaScript double: whole values that fit a 64-bit
/// integer are written as integers (the conversions are exact there).
pub(crate) fn number(n: f64) -> Result<Number, JsonataError> {
    if !n.is_finite() {
        // jsonata-js refuses to produce these (D1001 "Number out of range").
        return Err(JsonataError::new(
            ErrorKind::Evaluation,
            "D1001",
            format!("Number out of range: {n}"),
        ));
    }
    if n.fract() == 0.0 {
        if (-TWO_POW_63..TWO_POW_63).contains(&n) {
            return Ok(Number::from(n as i64));
        }
        if (0.0..TWO_POW_64).contains(&n) {
            return Ok(Number::from(n as u64));
        }
    }
    Number::from_f64(n).ok_or_else(|| {
        JsonataError::new(
            ErrorKind::Evaluation,
            "D1001",
            format!("Number out of range: {n}"),
        )
    })
}
