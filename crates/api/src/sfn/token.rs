//! Pagination tokens. A token is opaque to clients: base64 of a small JSON
//! object holding the cursor and the *scope* it belongs to (which operation,
//! which execution or state machine, which filter), so a token replayed on
//! another request is `InvalidToken` instead of silently paging something
//! else.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::error::ApiError;

/// Encodes `cursor` for `scope`.
pub fn encode(scope: &str, cursor: Value) -> String {
    STANDARD.encode(json!({"s": scope, "c": cursor}).to_string())
}

/// Decodes a token issued for `scope`, or `InvalidToken`.
pub fn decode(token: &str, scope: &str) -> Result<Value, ApiError> {
    let bad = || ApiError::invalid_token(token);
    let bytes = STANDARD.decode(token).map_err(|_| bad())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if value.get("s").and_then(Value::as_str) != Some(scope) {
        return Err(bad());
    }
    value.get("c").cloned().ok_or_else(bad)
}

/// Decodes a string cursor.
pub fn decode_str(token: &str, scope: &str) -> Result<String, ApiError> {
    match decode(token, scope)? {
        Value::String(s) => Ok(s),
        _ => Err(ApiError::invalid_token(token)),
    }
}

/// Decodes an integer cursor.
pub fn decode_u64(token: &str, scope: &str) -> Result<u64, ApiError> {
    decode(token, scope)?
        .as_u64()
        .ok_or_else(|| ApiError::invalid_token(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_checks_scope() {
        let t = encode("ListStateMachines", json!("arn:x"));
        assert_eq!(decode_str(&t, "ListStateMachines").unwrap(), "arn:x");
        assert_eq!(
            decode(&t, "ListActivities").unwrap_err().code,
            "InvalidToken"
        );
        assert_eq!(
            decode("!!!", "ListActivities").unwrap_err().code,
            "InvalidToken"
        );
    }
}
