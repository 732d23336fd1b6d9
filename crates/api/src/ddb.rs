//! DynamoDB (`X-Amz-Target: DynamoDB_20120810.<Operation>`): the wire glue
//! around [`tables::Tables`], which does the work. Adds DynamoDB's error
//! namespaces and the `x-amz-crc32` header botocore checks.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;
use crate::protocol::AMZ_JSON_1_0;

/// Namespace of DynamoDB's modeled errors.
pub const DDB_NAMESPACE: &str = "com.amazonaws.dynamodb.v20120810";

/// Handles one DynamoDB request body.
pub async fn handle(state: &AppState, operation: &str, body: &[u8]) -> Response {
    let input: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                return error_response(&tables::DdbError::new(
                    "SerializationException",
                    format!("Malformed JSON: {e}"),
                ));
            }
        }
    };
    let service = state.tables.clone();
    let operation = operation.to_string();
    let result = tokio::task::spawn_blocking(move || service.handle(&operation, &input)).await;
    match result {
        Ok(Ok(v)) => response(StatusCode::OK, &v),
        Ok(Err(e)) => error_response(&e),
        Err(_) => error_response(&tables::DdbError::new(
            "InternalServerError",
            "Internal server error",
        )),
    }
}

fn error_response(e: &tables::DdbError) -> Response {
    let namespace = match e.code {
        "ValidationException" => crate::error::CORAL_VALIDATE,
        "SerializationException" | "UnknownOperationException" => crate::error::CORAL_SERVICE,
        _ => DDB_NAMESPACE,
    };
    let mut body = json!({"__type": format!("{namespace}#{}", e.code)});
    if !e.message.is_empty() {
        body["message"] = json!(e.message);
    }
    for (k, v) in &e.extra {
        body[*k] = v.clone();
    }
    let status = if e.is_server() {
        tracing::error!(code = %e.code, message = %e.message, "DynamoDB request failed");
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::BAD_REQUEST
    };
    response(status, &body)
}

/// A JSON 1.0 response with `x-amz-crc32` over the exact body bytes.
fn response(status: StatusCode, value: &Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let crc = crc32fast::hash(&body);
    let mut r = (status, [(header::CONTENT_TYPE, AMZ_JSON_1_0)], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&crc.to_string()) {
        r.headers_mut().insert("x-amz-crc32", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_header_matches_body() {
        let r = response(StatusCode::OK, &json!({"TableNames": []}));
        let crc = r.headers()["x-amz-crc32"].to_str().unwrap().to_string();
        assert_eq!(crc, crc32fast::hash(br#"{"TableNames":[]}"#).to_string());
    }

    #[test]
    fn errors_carry_dynamodb_namespaces() {
        let r = error_response(&tables::DdbError::new(
            "ResourceNotFoundException",
            "Requested resource not found",
        ));
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = error_response(&tables::DdbError::validation("x"));
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
}
