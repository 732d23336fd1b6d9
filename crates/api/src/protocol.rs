//! The AWS JSON 1.0 protocol: reading requests, routing them on
//! `X-Amz-Target`, writing responses, and checking input members the way
//! AWS's request validator does before any service code runs.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::AppState;
use crate::error::ApiError;

/// AWS caps API requests at 1 MB (definitions may be up to 1,048,576 chars).
pub const MAX_BODY: usize = 1024 * 1024;

/// JSON 1.0 content type, used for every response body (errors included).
pub const AMZ_JSON_1_0: &str = "application/x-amz-json-1.0";

/// Target prefix of Step Functions (`AWSStepFunctions.StartExecution`).
const SFN_PREFIX: &str = "AWSStepFunctions.";

/// Target prefix of DynamoDB (`DynamoDB_20120810.PutItem`).
const DDB_PREFIX: &str = "DynamoDB_20120810.";

/// Adds a fresh `x-amzn-RequestId` to every response (SDKs surface it in
/// errors and `ResponseMetadata`), including 404s and 405s.
pub async fn request_id(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    // Services that put the id in their body (SNS's XML) set it themselves.
    if response.headers().contains_key("x-amzn-RequestId") {
        return response;
    }
    let id = uuid::Uuid::new_v4().to_string();
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-amzn-RequestId", v);
    }
    response
}

/// Anything that is not `POST /`: no AWS service we speak lives there.
pub async fn not_found() -> Response {
    ApiError::unknown_operation()
        .with_status(StatusCode::NOT_FOUND)
        .into_response()
}

/// `POST /`: picks the service from `X-Amz-Target` and hands it the body.
///
/// Future services plug in here: DynamoDB by its target prefix, SNS by a
/// form-encoded body without a target (awsQuery).
pub async fn dispatch(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match read_body(body).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = crate::auth::verify(
        &state.config,
        parts.method.as_str(),
        &parts.uri,
        &parts.headers,
        &bytes,
    ) {
        return e.into_response();
    }
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(operation) = target.strip_prefix(DDB_PREFIX) {
        return crate::ddb::handle(&state, operation, &bytes).await;
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if target.is_empty() && crate::sns::is_query(content_type, &bytes) {
        return crate::sns::handle(&state, crate::sns::parse_form(&bytes)).await;
    }
    let result = match target.strip_prefix(SFN_PREFIX) {
        Some(operation) => match Params::parse(&bytes) {
            Ok(params) => {
                if let Some(response) =
                    crate::cluster::forward_if_elsewhere(&state, operation, &params, &parts, &bytes)
                        .await
                {
                    return response;
                }
                crate::sfn::handle(&state, operation, params).await
            }
            Err(e) => Err(e),
        },
        None => Err(ApiError::unknown_operation()),
    };
    match result {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(e) => e.into_response(),
    }
}

/// Reads the whole body, refusing more than [`MAX_BODY`] bytes with 413.
async fn read_body(body: Body) -> Result<axum::body::Bytes, ApiError> {
    to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::sfn(
            "RequestEntityTooLargeException",
            format!("Request size exceeds the limit of {MAX_BODY} bytes"),
        )
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
    })
}

/// A JSON 1.0 response.
pub fn json_response(status: StatusCode, value: &Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    (status, [(header::CONTENT_TYPE, AMZ_JSON_1_0)], body).into_response()
}

/// Epoch milliseconds as the protocol's timestamp: epoch seconds, fractional.
pub fn timestamp(millis: asl::Millis) -> Value {
    Value::from(millis as f64 / 1000.0)
}

/// Length and content constraints of a string member (botocore's model).
#[derive(Debug, Clone, Copy)]
pub struct Str {
    pub required: bool,
    pub min: usize,
    pub max: usize,
    /// Sensitive members are never echoed in validation messages.
    pub sensitive: bool,
}

impl Str {
    pub const fn req(min: usize, max: usize) -> Str {
        Str {
            required: true,
            min,
            max,
            sensitive: false,
        }
    }
    pub const fn opt(min: usize, max: usize) -> Str {
        Str {
            required: false,
            min,
            max,
            sensitive: false,
        }
    }
    pub const fn sensitive(self) -> Str {
        Str {
            sensitive: true,
            ..self
        }
    }
}

/// Shared string constraints from the Step Functions model.
pub mod shapes {
    use super::Str;
    pub const NAME: Str = Str::req(1, 80);
    pub const ARN: Str = Str::req(1, 256);
    pub const LONG_ARN: Str = Str::req(1, 2000);
    pub const PAGE_TOKEN: Str = Str::opt(1, 1024);
    pub const DEFINITION: Str = Str::req(1, 1_048_576).sensitive();
    pub const DATA: Str = Str::opt(0, 262_144).sensitive();
    pub const ERROR: Str = Str::opt(0, 256).sensitive();
    pub const CAUSE: Str = Str::opt(0, 32_768).sensitive();
    pub const TASK_TOKEN: Str = Str::req(1, 2048).sensitive();
    pub const VERSION_DESCRIPTION: Str = Str::opt(0, 256).sensitive();
    pub const TRACE_HEADER: Str = Str::opt(0, 256);
    pub const TAG_KEY: Str = Str::req(1, 128);
    pub const TAG_VALUE: Str = Str::req(0, 256);
}

/// An operation's input object, read member by member.
///
/// Getters never fail: a wrong JSON type is remembered as a
/// `SerializationException` (AWS fails deserialisation before validating),
/// and constraint violations are collected so [`Params::finish`] can report
/// all of them in one `ValidationException`, as AWS does. Unknown members
/// are ignored and `null` counts as absent, like AWS.
#[derive(Debug)]
pub struct Params {
    map: Map<String, Value>,
    violations: Vec<String>,
    type_error: Option<ApiError>,
}

impl Params {
    /// Parses a body. An empty body is `{}` (some clients send nothing for
    /// operations without required members).
    pub fn parse(bytes: &[u8]) -> Result<Params, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Params::from_map(Map::new()));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Params::from_map(map)),
            Ok(_) => Err(ApiError::serialization(Some(
                "Start of structure or map expected".to_string(),
            ))),
            Err(e) => Err(ApiError::serialization(Some(format!(
                "Malformed JSON: {e}"
            )))),
        }
    }

    pub fn from_map(map: Map<String, Value>) -> Params {
        Params {
            map,
            violations: Vec::new(),
            type_error: None,
        }
    }

    fn value(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn wrong_type(&mut self, name: &str, expected: &str) {
        if self.type_error.is_none() {
            self.type_error = Some(ApiError::serialization(Some(format!(
                "Expected {expected} for member '{name}'"
            ))));
        }
    }

    fn violation(&mut self, name: &str, shown: Option<String>, constraint: &str) {
        let value = match shown {
            Some(v) => format!("Value '{v}' at"),
            None => "Value at".to_string(),
        };
        self.violations.push(format!(
            "{value} '{name}' failed to satisfy constraint: {constraint}"
        ));
    }

    fn missing(&mut self, name: &str) {
        self.violations.push(format!(
            "Value null at '{name}' failed to satisfy constraint: Member must not be null"
        ));
    }

    /// Checks a string's length against `c` (counted in characters).
    fn check_str(&mut self, name: &str, s: &str, c: Str) {
        let len = s.chars().count();
        let shown = (!c.sensitive).then(|| s.to_string());
        if len < c.min {
            self.violation(
                name,
                shown,
                &format!("Member must have length greater than or equal to {}", c.min),
            );
        } else if len > c.max {
            self.violation(
                name,
                shown,
                &format!("Member must have length less than or equal to {}", c.max),
            );
        }
    }

    /// A string member. Returns `None` when absent or invalid.
    /// A string member as sent, unchecked (for routing before the handler
    /// validates the request).
    pub fn peek_str(&self, name: &str) -> Option<&str> {
        self.map.get(name)?.as_str()
    }

    pub fn string(&mut self, name: &str, c: Str) -> Option<String> {
        match self.value(name).cloned() {
            None => {
                if c.required {
                    self.missing(name);
                }
                None
            }
            Some(Value::String(s)) => {
                let before = self.violations.len();
                self.check_str(name, &s, c);
                (self.violations.len() == before).then_some(s)
            }
            Some(_) => {
                self.wrong_type(name, "a string");
                None
            }
        }
    }

    /// An integer member within `min..=max`.
    pub fn int(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        match self.value(name).cloned() {
            None => None,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) if i < min => {
                    self.violation(
                        name,
                        Some(i.to_string()),
                        &format!("Member must have value greater than or equal to {min}"),
                    );
                    None
                }
                Some(i) if i > max => {
                    self.violation(
                        name,
                        Some(i.to_string()),
                        &format!("Member must have value less than or equal to {max}"),
                    );
                    None
                }
                Some(i) => Some(i),
                None => {
                    self.wrong_type(name, "an integer");
                    None
                }
            },
            Some(_) => {
                self.wrong_type(name, "an integer");
                None
            }
        }
    }

    /// A floating-point member within `min..=max`.
    pub fn float(&mut self, name: &str, min: f64, max: f64) -> Option<f64> {
        match self.value(name).cloned() {
            None => None,
            Some(Value::Number(n)) => match n.as_f64() {
                Some(f) if f < min => {
                    self.violation(
                        name,
                        Some(f.to_string()),
                        &format!("Member must have value greater than or equal to {min}"),
                    );
                    None
                }
                Some(f) if f > max => {
                    self.violation(
                        name,
                        Some(f.to_string()),
                        &format!("Member must have value less than or equal to {max}"),
                    );
                    None
                }
                other => other,
            },
            Some(_) => {
                self.wrong_type(name, "a number");
                None
            }
        }
    }

    /// A page size (`maxResults`, 0..=`max`); 0 or absent means `default`.
    pub fn page_size(&mut self, name: &str, max: i64, default: usize) -> usize {
        match self.int(name, 0, max) {
            None | Some(0) => default,
            Some(n) => n as usize,
        }
    }

    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.value(name).cloned() {
            None => None,
            Some(Value::Bool(b)) => Some(b),
            Some(_) => {
                self.wrong_type(name, "a boolean");
                None
            }
        }
    }

    /// An enum member; `listed` is the value set in the order AWS prints it.
    pub fn enumeration(&mut self, name: &str, required: bool, listed: &[&str]) -> Option<String> {
        let s = self.string(
            name,
            Str {
                required,
                min: 0,
                max: usize::MAX,
                sensitive: false,
            },
        )?;
        if listed.contains(&s.as_str()) {
            Some(s)
        } else {
            self.violation(
                name,
                Some(s),
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    listed.join(", ")
                ),
            );
            None
        }
    }

    /// A structure member, kept as JSON (stored and echoed, not interpreted).
    pub fn object(&mut self, name: &str) -> Option<Value> {
        match self.value(name).cloned() {
            None => None,
            Some(v @ Value::Object(_)) => Some(v),
            Some(_) => {
                self.wrong_type(name, "a structure");
                None
            }
        }
    }

    /// A list member kept as JSON (its items are checked by the caller).
    pub fn list(&mut self, name: &str) -> Option<Value> {
        match self.value(name).cloned() {
            None => None,
            Some(v @ Value::Array(_)) => Some(v),
            Some(_) => {
                self.wrong_type(name, "a list");
                None
            }
        }
    }

    /// A list of strings, each checked against `item`.
    pub fn string_list(&mut self, name: &str, required: bool, item: Str) -> Option<Vec<String>> {
        let list = match self.value(name).cloned() {
            None => {
                if required {
                    self.missing(name);
                }
                return None;
            }
            Some(Value::Array(list)) => list,
            Some(_) => {
                self.wrong_type(name, "a list");
                return None;
            }
        };
        let mut out = Vec::new();
        for (i, v) in list.iter().enumerate() {
            let at = format!("{name}.{}.member", i + 1);
            match v {
                Value::String(s) => {
                    self.check_str(&at, s, item);
                    out.push(s.clone());
                }
                _ => self.wrong_type(&at, "a string"),
            }
        }
        Some(out)
    }

    /// A `TagList` (`[{key, value}]`).
    pub fn tags(&mut self, name: &str, required: bool) -> Option<Vec<(String, String)>> {
        let list = match self.value(name).cloned() {
            None => {
                if required {
                    self.missing(name);
                }
                return None;
            }
            Some(Value::Array(list)) => list,
            Some(_) => {
                self.wrong_type(name, "a list");
                return None;
            }
        };
        let mut out = Vec::new();
        for (i, v) in list.iter().enumerate() {
            let at = format!("{name}.{}.member", i + 1);
            let Value::Object(tag) = v else {
                self.wrong_type(&at, "a structure");
                continue;
            };
            let mut item = Params::from_map(tag.clone());
            let key = item.string("key", shapes::TAG_KEY);
            let value = item.string("value", shapes::TAG_VALUE);
            for violation in item.violations {
                self.violations.push(
                    violation
                        .replacen("'key'", &format!("'{at}.key'"), 1)
                        .replacen("'value'", &format!("'{at}.value'"), 1),
                );
            }
            if let Some(e) = item.type_error {
                self.type_error.get_or_insert(e);
            }
            if let (Some(k), Some(v)) = (key, value) {
                out.push((k, v));
            }
        }
        Some(out)
    }

    /// Ends reading: the first type error, else every constraint violation.
    pub fn finish(self) -> Result<(), ApiError> {
        if let Some(e) = self.type_error {
            return Err(e);
        }
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(&self.violations))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Params {
        Params::parse(v.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn collects_violations_in_aws_wording() {
        let mut p = params(json!({"maxResults": 1001, "name": ""}));
        p.page_size("maxResults", 1000, 100);
        p.string("name", shapes::NAME);
        p.string("stateMachineArn", shapes::ARN);
        let e = p.finish().unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert_eq!(
            e.message.unwrap(),
            "3 validation errors detected: Value '1001' at 'maxResults' failed to satisfy constraint: \
             Member must have value less than or equal to 1000; Value '' at 'name' failed to satisfy \
             constraint: Member must have length greater than or equal to 1; Value null at \
             'stateMachineArn' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn sensitive_values_are_not_echoed() {
        let mut p = params(json!({"input": "x".repeat(262_145)}));
        p.string("input", shapes::DATA);
        assert_eq!(
            p.finish().unwrap_err().message.unwrap(),
            "1 validation error detected: Value at 'input' failed to satisfy constraint: \
             Member must have length less than or equal to 262144"
        );
    }

    #[test]
    fn wrong_type_is_a_serialization_error() {
        let mut p = params(json!({"maxResults": "ten"}));
        p.page_size("maxResults", 1000, 100);
        assert_eq!(p.finish().unwrap_err().code, "SerializationException");
    }

    #[test]
    fn tag_violations_name_the_member_path() {
        let mut p = params(json!({"tags": [{"key": "", "value": "v"}]}));
        p.tags("tags", false);
        let msg = p.finish().unwrap_err().message.unwrap();
        assert!(msg.contains("at 'tags.1.member.key'"), "{msg}");
    }
}
