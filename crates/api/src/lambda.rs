//! The Lambda API (`restJson1` under `/2015-03-31/functions`) over
//! [`functions::Registry`]: the operations boto3 and the aws CLI send to
//! manage and invoke functions, with Lambda's error shape (status, header
//! `x-amzn-ErrorType`, body `{"Type": "User", "message": …}`).

use std::collections::BTreeMap;

use axum::body::{Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use functions::{Code, ConfigUpdate, CreateSpec, FnError, Registry};
use serde_json::{Map, Value, json};

use crate::AppState;

/// CreateFunction with a 50 MB zip, base64-encoded, fits.
const MAX_REQUEST: usize = 70 * 1024 * 1024;
/// Synchronous invocation payload limit.
const MAX_PAYLOAD: usize = 6 * 1024 * 1024;
const PREFIX: &str = "/2015-03-31/functions";

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let key = if code == "ResourceNotFoundException" {
        "Message"
    } else {
        "message"
    };
    let mut body = Map::new();
    body.insert("Type".into(), Value::from("User"));
    body.insert(key.into(), Value::from(message));
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        Value::Object(body).to_string(),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(code) {
        response.headers_mut().insert("x-amzn-ErrorType", v);
    }
    response
}

/// A Lambda API error not yet rendered (small, unlike a `Response`).
struct Fail(StatusCode, &'static str, String);

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        error(self.0, self.1, &self.2)
    }
}

impl From<FnError> for Fail {
    fn from(e: FnError) -> Fail {
        match e {
            FnError::NotFound(m) => Fail(StatusCode::NOT_FOUND, "ResourceNotFoundException", m),
            FnError::Conflict(m) => Fail(StatusCode::CONFLICT, "ResourceConflictException", m),
            FnError::InvalidParameter(m) => {
                Fail(StatusCode::BAD_REQUEST, "InvalidParameterValueException", m)
            }
            FnError::Service(m) => Fail(StatusCode::INTERNAL_SERVER_ERROR, "ServiceException", m),
            FnError::Io(e) => Fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ServiceException",
                e.to_string(),
            ),
        }
    }
}

fn fn_error(e: FnError) -> Response {
    Fail::from(e).into_response()
}

fn invalid(message: &str) -> Fail {
    Fail(
        StatusCode::BAD_REQUEST,
        "InvalidParameterValueException",
        message.to_string(),
    )
}

fn serialization(message: String) -> Fail {
    Fail(StatusCode::BAD_REQUEST, "SerializationException", message)
}

fn json_ok(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// Every request under `/2015-03-31/functions`.
pub async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_REQUEST).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLargeException",
                "Request must be smaller than 70167211 bytes for the CreateFunction operation",
            );
        }
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
    let Some(registry) = state.functions.clone() else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            "Lambda functions are not enabled on this server",
        );
    };
    let path = parts.uri.path();
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    let segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let query = parse_query(parts.uri.query().unwrap_or(""));
    let m = &parts.method;
    match (segments.as_slice(), m) {
        ([], &Method::GET) => list(&registry, &query),
        ([], &Method::POST) => create(&registry, &bytes),
        ([name], &Method::GET) => get_function(&registry, &qualified(name, &query)),
        ([name], &Method::DELETE) => match Registry::parse_name(&qualified(name, &query)) {
            (n, Some(q)) if q != "$LATEST" => match registry.delete_version(&n, &q) {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => fn_error(e),
            },
            _ => match registry.delete(name) {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => fn_error(e),
            },
        },
        ([name, op], &Method::GET) if op == "configuration" => {
            match registry.get_qualified(&qualified(name, &query)) {
                Ok(c) => json_ok(StatusCode::OK, &registry.configuration_json(&c)),
                Err(e) => fn_error(e),
            }
        }
        ([name, op], &Method::PUT) if op == "configuration" => {
            update_configuration(&registry, name, &bytes)
        }
        ([name, op], &Method::PUT) if op == "code" => update_code(&registry, name, &bytes),
        ([name, op], &Method::POST) if op == "invocations" => {
            invoke(&registry, &qualified(name, &query), &parts.headers, bytes).await
        }
        ([name, op], &Method::POST) if op == "versions" => publish_version(&registry, name, &bytes),
        ([name, op], &Method::GET) if op == "versions" => list_versions(&registry, name),
        ([name, op], &Method::POST) if op == "aliases" => create_alias(&registry, name, &bytes),
        ([name, op], &Method::GET) if op == "aliases" => list_aliases(&registry, name),
        ([name, op, alias], &Method::GET) if op == "aliases" => {
            match registry.get_alias(name, alias) {
                Ok(a) => json_ok(StatusCode::OK, &registry.alias_json(name, &a)),
                Err(e) => fn_error(e),
            }
        }
        ([name, op, alias], &Method::PUT) if op == "aliases" => {
            update_alias(&registry, name, alias, &bytes)
        }
        ([name, op, alias], &Method::DELETE) if op == "aliases" => {
            match registry.delete_alias(name, alias) {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => fn_error(e),
            }
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            &format!("Baton does not implement {} {path}", parts.method),
        ),
    }
}

/// `name` with the request's `Qualifier` query parameter, if any.
fn qualified(name: &str, query: &BTreeMap<String, String>) -> String {
    match query.get("Qualifier") {
        Some(q) if !q.is_empty() && !name.contains(':') => format!("{name}:{q}"),
        _ => name.to_string(),
    }
}

/// PublishVersion.
fn publish_version(registry: &Registry, name: &str, bytes: &[u8]) -> Response {
    let run = || -> Result<Response, Fail> {
        let body = parse_body(bytes)?;
        let config = registry.publish_version(name, str_field(&body, "Description")?)?;
        Ok(json_ok(
            StatusCode::CREATED,
            &registry.configuration_json(&config),
        ))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

/// ListVersionsByFunction (one page).
fn list_versions(registry: &Registry, name: &str) -> Response {
    match registry.list_versions(name) {
        Ok(all) => {
            let versions: Vec<Value> = all.iter().map(|c| registry.configuration_json(c)).collect();
            json_ok(StatusCode::OK, &json!({ "Versions": versions }))
        }
        Err(e) => fn_error(e),
    }
}

/// CreateAlias (weighted routing is not supported).
fn create_alias(registry: &Registry, name: &str, bytes: &[u8]) -> Response {
    let run = || -> Result<Response, Fail> {
        let body = parse_body(bytes)?;
        if body.get("RoutingConfig").is_some_and(|v| !v.is_null()) {
            return Err(invalid(
                "Baton does not support weighted alias routing (RoutingConfig) yet",
            ));
        }
        let alias = str_field(&body, "Name")?.ok_or_else(|| invalid("Name is required"))?;
        let version = str_field(&body, "FunctionVersion")?
            .ok_or_else(|| invalid("FunctionVersion is required"))?;
        let description = str_field(&body, "Description")?.unwrap_or_default();
        let a = registry.create_alias(name, &alias, &version, description)?;
        let (function, _) = Registry::parse_name(name);
        Ok(json_ok(
            StatusCode::CREATED,
            &registry.alias_json(&function, &a),
        ))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

/// ListAliases (one page).
fn list_aliases(registry: &Registry, name: &str) -> Response {
    let (function, _) = Registry::parse_name(name);
    match registry.list_aliases(name) {
        Ok(all) => {
            let aliases: Vec<Value> = all
                .iter()
                .map(|a| registry.alias_json(&function, a))
                .collect();
            json_ok(StatusCode::OK, &json!({ "Aliases": aliases }))
        }
        Err(e) => fn_error(e),
    }
}

/// UpdateAlias.
fn update_alias(registry: &Registry, name: &str, alias: &str, bytes: &[u8]) -> Response {
    let run = || -> Result<Response, Fail> {
        let body = parse_body(bytes)?;
        if body.get("RoutingConfig").is_some_and(|v| !v.is_null()) {
            return Err(invalid(
                "Baton does not support weighted alias routing (RoutingConfig) yet",
            ));
        }
        let a = registry.update_alias(
            name,
            alias,
            str_field(&body, "FunctionVersion")?,
            str_field(&body, "Description")?,
        )?;
        let (function, _) = Registry::parse_name(name);
        Ok(json_ok(StatusCode::OK, &registry.alias_json(&function, &a)))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

fn parse_query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let d = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (d(k), d(v))
        })
        .collect()
}

fn parse_body(bytes: &[u8]) -> Result<Map<String, Value>, Fail> {
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(serialization(
            "The request body is not a JSON object".into(),
        )),
    }
}

fn str_field(body: &Map<String, Value>, key: &str) -> Result<Option<String>, Fail> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(serialization(format!("{key} must be a string"))),
    }
}

fn int_field(body: &Map<String, Value>, key: &str) -> Result<Option<u64>, Fail> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| serialization(format!("{key} must be a non-negative integer"))),
    }
}

fn environment(body: &Map<String, Value>) -> Result<Option<BTreeMap<String, String>>, Fail> {
    let Some(env) = body.get("Environment") else {
        return Ok(None);
    };
    let mut out = BTreeMap::new();
    if let Some(Value::Object(vars)) = env.get("Variables") {
        for (k, v) in vars {
            let Some(s) = v.as_str() else {
                return Err(invalid(&format!(
                    "Environment variable {k} must be a string"
                )));
            };
            out.insert(k.clone(), s.to_string());
        }
    }
    Ok(Some(out))
}

/// `Code` of CreateFunction, or the body of UpdateFunctionCode: a base64
/// `ZipFile`, or (as LocalStack does) the magic bucket `hot-reload` with an
/// absolute folder as `S3Key`, run in place.
fn code_of(code: &Map<String, Value>) -> Result<Code, Fail> {
    if let Some(b64) = code.get("ZipFile").and_then(Value::as_str) {
        return base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map(Code::Zip)
            .map_err(|_| {
                invalid(
                    "Could not unzip uploaded file. Please check your file, then try to upload again.",
                )
            });
    }
    match (
        code.get("S3Bucket").and_then(Value::as_str),
        code.get("S3Key").and_then(Value::as_str),
    ) {
        (Some("hot-reload"), Some(folder)) => Ok(Code::Folder(folder.into())),
        (Some(_), _) => Err(invalid(
            "Baton runs functions from a ZipFile or a local folder (S3Bucket \"hot-reload\", S3Key = the folder); other S3 code is not supported",
        )),
        _ if code.contains_key("ImageUri") => Err(invalid(
            "Baton runs functions from a ZipFile; container images are not supported",
        )),
        _ => Err(invalid("Please provide a source for function code.")),
    }
}

fn create(registry: &Registry, bytes: &[u8]) -> Response {
    let run = || -> Result<Response, Fail> {
        let body = parse_body(bytes)?;
        let name = str_field(&body, "FunctionName")?.ok_or_else(|| {
            invalid("1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null")
        })?;
        let runtime = str_field(&body, "Runtime")?
            .ok_or_else(|| invalid("Runtime and Handler are mandatory parameters for functions created with deployment packages."))?;
        let handler = str_field(&body, "Handler")?
            .ok_or_else(|| invalid("Runtime and Handler are mandatory parameters for functions created with deployment packages."))?;
        let code = match body.get("Code") {
            Some(Value::Object(c)) => c,
            _ => {
                return Err(invalid(
                    "1 validation error detected: Value null at 'code' failed to satisfy constraint: Member must not be null",
                ));
            }
        };
        let code = code_of(code)?;
        let spec = CreateSpec {
            name,
            runtime,
            role: str_field(&body, "Role")?.unwrap_or_default(),
            handler,
            description: str_field(&body, "Description")?.unwrap_or_default(),
            timeout: int_field(&body, "Timeout")?,
            memory_size: int_field(&body, "MemorySize")?,
            environment: environment(&body)?.unwrap_or_default(),
            code,
        };
        let config = registry.create(spec)?;
        Ok(json_ok(
            StatusCode::CREATED,
            &registry.configuration_json(&config),
        ))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

fn get_function(registry: &Registry, name: &str) -> Response {
    match registry.get_qualified(name) {
        Ok(c) => {
            let location = format!(
                "{}/baton/functions/{}/code.zip",
                registry.settings().endpoint_url,
                c.function_name
            );
            json_ok(
                StatusCode::OK,
                &json!({
                    "Configuration": registry.configuration_json(&c),
                    "Code": {"RepositoryType": "S3", "Location": location},
                    "Tags": {},
                }),
            )
        }
        Err(e) => fn_error(e),
    }
}

fn list(registry: &Registry, query: &BTreeMap<String, String>) -> Response {
    let max = query
        .get("MaxItems")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(1, 10_000);
    let all = registry.list();
    let start = match query.get("Marker") {
        Some(marker) => all
            .iter()
            .position(|c| &c.function_name > marker)
            .unwrap_or(all.len()),
        None => 0,
    };
    let page: Vec<Value> = all[start..]
        .iter()
        .take(max)
        .map(|c| registry.configuration_json(c))
        .collect();
    let mut out = json!({ "Functions": page });
    if start + max < all.len() {
        out["NextMarker"] = Value::from(all[start + max - 1].function_name.clone());
    }
    json_ok(StatusCode::OK, &out)
}

fn update_code(registry: &Registry, name: &str, bytes: &[u8]) -> Response {
    let run = || -> Result<Response, Fail> {
        let body = parse_body(bytes)?;
        let code = code_of(&body)?;
        let config = registry.update_code(name, code)?;
        Ok(json_ok(
            StatusCode::OK,
            &registry.configuration_json(&config),
        ))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

fn update_configuration(registry: &Registry, name: &str, bytes: &[u8]) -> Response {
    let run = || -> Result<Response, Fail> {
        let body = parse_body(bytes)?;
        let update = ConfigUpdate {
            runtime: str_field(&body, "Runtime")?,
            role: str_field(&body, "Role")?,
            handler: str_field(&body, "Handler")?,
            description: str_field(&body, "Description")?,
            timeout: int_field(&body, "Timeout")?,
            memory_size: int_field(&body, "MemorySize")?,
            environment: environment(&body)?,
        };
        let config = registry.update_config(name, update)?;
        Ok(json_ok(
            StatusCode::OK,
            &registry.configuration_json(&config),
        ))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

async fn invoke(registry: &Registry, name: &str, headers: &HeaderMap, payload: Bytes) -> Response {
    let header = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
    let invocation_type = match header("x-amz-invocation-type") {
        "" => "RequestResponse",
        t => t,
    };
    let tail = header("x-amz-log-type") == "Tail";
    let executed = match registry.get_qualified(name) {
        Ok(c) => c.version_name(),
        Err(e) => {
            let (n, q) = Registry::parse_name(name);
            return match e {
                FnError::NotFound(_) => error(
                    StatusCode::NOT_FOUND,
                    "ResourceNotFoundException",
                    &format!(
                        "Function not found: {}:{}",
                        registry.arn(&n),
                        q.as_deref().unwrap_or("$LATEST")
                    ),
                ),
                other => fn_error(other),
            };
        }
    };
    if payload.len() > MAX_PAYLOAD {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestTooLargeException",
            &format!(
                "Request must be smaller than {MAX_PAYLOAD} bytes for the InvokeFunction operation"
            ),
        );
    }
    let payload = if payload.iter().all(u8::is_ascii_whitespace) {
        Bytes::from_static(b"{}")
    } else {
        payload
    };
    if let Err(e) = serde_json::from_slice::<Value>(&payload) {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            &format!("Could not parse request body into json: {e}"),
        );
    }
    let client_context = match header("x-amz-client-context") {
        "" => None,
        b64 => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .and_then(|b| String::from_utf8(b).ok()),
    };
    let executed = [("X-Amz-Executed-Version", executed)];
    match invocation_type {
        "DryRun" => (StatusCode::NO_CONTENT, executed).into_response(),
        "Event" => match registry.invoke_async(name, payload) {
            Ok(()) => (StatusCode::ACCEPTED, executed).into_response(),
            Err(e) => fn_error(e),
        },
        "RequestResponse" => match registry.invoke(name, payload, client_context, tail).await {
            Ok(result) => {
                let mut response = (
                    StatusCode::OK,
                    [
                        (header::CONTENT_TYPE, "application/json"),
                        (
                            header::HeaderName::from_static("x-amz-executed-version"),
                            result.executed_version.as_str(),
                        ),
                    ],
                    result.payload.clone(),
                )
                    .into_response();
                let h = response.headers_mut();
                if result.function_error {
                    h.insert(
                        "X-Amz-Function-Error",
                        HeaderValue::from_static("Unhandled"),
                    );
                }
                if tail && let Ok(v) = HeaderValue::from_str(&result.log_tail_base64()) {
                    h.insert("X-Amz-Log-Result", v);
                }
                response
            }
            Err(e) => fn_error(e),
        },
        other => invalid(&format!(
            "1 validation error detected: Value '{other}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
        ))
        .into_response(),
    }
}
