//! Small conversions every database-backed store shares.

use crate::StoreError;

pub(crate) fn to_i64(n: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Conflict(format!("{what} {n} is out of range")))
}

/// Tags as stored: a JSON array of `[key, value]` pairs.
pub(crate) fn tags_json(tags: &[(String, String)]) -> String {
    serde_json::Value::Array(
        tags.iter()
            .map(|(k, v)| serde_json::json!([k, v]))
            .collect(),
    )
    .to_string()
}

pub(crate) fn missing(arn: &str) -> StoreError {
    StoreError::Conflict(format!("execution does not exist: {arn}"))
}
