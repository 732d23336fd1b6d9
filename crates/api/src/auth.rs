//! Request authentication: AWS Signature Version 4 in the `Authorization`
//! header, verified by recomputing the signature from the request.
//!
//! Off unless [`ApiConfig::credentials`] is set (`baton serve --auth FILE`):
//! then every request must be signed with one of the configured access keys,
//! with any region and one of the services Baton speaks ([`SERVICES`]), and
//! a timestamp within 15 minutes of the server's clock, as AWS allows.
//! Presigned (query-string) requests are not supported.
//!
//! Failures are the errors AWS's request framework returns for the JSON
//! protocols, in the `com.amazon.coral.service` namespace, HTTP 400 (what
//! Step Functions and DynamoDB answer; see crates/api/README.md).

use axum::http::{HeaderMap, StatusCode, Uri};
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ApiConfig;
use crate::error::{ApiError, CORAL_SERVICE};

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm AWS's SigV4 header form names.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far a request's timestamp may be from the server's clock (AWS: 15 min).
pub const MAX_SKEW_SECS: i64 = 15 * 60;
/// Signing names (the credential scope's service) Baton accepts.
pub const SERVICES: &[&str] = &["states", "dynamodb", "sns", "lambda"];
/// HTTP status of authentication failures. Step Functions (awsJson1_0)
/// answers 400 for these, not 403 (403 is restJson services like Lambda).
const AUTH_STATUS: StatusCode = StatusCode::BAD_REQUEST;

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the \
     signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
     service documentation for details.";
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";
const ISO_BASIC: &str = "%Y%m%dT%H%M%SZ";

/// An access key clients may sign with (`AWS_ACCESS_KEY_ID` /
/// `AWS_SECRET_ACCESS_KEY`, and `AWS_SESSION_TOKEN` when `session_token`
/// is set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// When set, requests with this key must carry it in
    /// `X-Amz-Security-Token`; when not, they must not carry one.
    pub session_token: Option<String>,
}

impl Credentials {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }

    /// Reads the `--auth` file: a JSON array of
    /// `{"accessKeyId": "…", "secretAccessKey": "…", "sessionToken": "…"}`
    /// (`sessionToken` optional). Access key ids must be unique and the list
    /// must not be empty.
    pub fn parse_list(text: &str) -> Result<Vec<Credentials>, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        let Value::Array(items) = value else {
            return Err("expected a JSON array of access keys".into());
        };
        let mut out: Vec<Credentials> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let field = |name: &str, required: bool| -> Result<Option<String>, String> {
                match item.get(name) {
                    Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
                    None | Some(Value::Null) if !required => Ok(None),
                    _ => Err(format!("entry {i}: \"{name}\" must be a non-empty string")),
                }
            };
            if !item.is_object() {
                return Err(format!("entry {i}: expected an object"));
            }
            let c = Credentials {
                access_key_id: field("accessKeyId", true)?.unwrap_or_default(),
                secret_access_key: field("secretAccessKey", true)?.unwrap_or_default(),
                session_token: field("sessionToken", false)?,
            };
            if out.iter().any(|o| o.access_key_id == c.access_key_id) {
                return Err(format!(
                    "entry {i}: access key id {} is listed twice",
                    c.access_key_id
                ));
            }
            out.push(c);
        }
        if out.is_empty() {
            return Err("the list has no access keys (every request would be refused)".into());
        }
        Ok(out)
    }
}

/// Checks a request's signature against the configured keys; accepts
/// everything when none are configured. `body` is the raw body as received.
pub fn verify(
    config: &ApiConfig,
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    let Some(keys) = &config.credentials else {
        return Ok(());
    };
    verify_at(keys, method, uri, headers, body, Utc::now().timestamp())
}

fn auth_error(code: &str, message: impl Into<String>) -> ApiError {
    ApiError {
        status: AUTH_STATUS,
        namespace: CORAL_SERVICE,
        code: code.to_string(),
        message: Some(message.into()),
        extra: Vec::new(),
    }
}

fn incomplete(message: impl Into<String>) -> ApiError {
    auth_error("IncompleteSignatureException", message)
}

fn invalid_signature(message: impl Into<String>) -> ApiError {
    auth_error("InvalidSignatureException", message)
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, PartialEq)]
struct AuthHeader<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// Parses the header, naming every missing part in one message as AWS does.
fn parse_authorization<'a>(header: &'a str, has_date: bool) -> Result<AuthHeader<'a>, ApiError> {
    let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    // Another scheme (`AWS AKID:sig`, SigV2) is reported as missing every
    // SigV4 part, as AWS does; SigV4's parts are split on commas and spaces.
    let parts = if algorithm == ALGORITHM { rest } else { "" };
    for part in parts
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let Some((k, v)) = part.split_once('=') else {
            return Err(incomplete(format!(
                "'{part}' not a valid key=value pair (missing equal-sign) in Authorization \
                 header: '{header}'."
            )));
        };
        match k.trim() {
            "Credential" => credential = Some(v.trim()),
            "SignedHeaders" => signed_headers = Some(v.trim()),
            "Signature" => signature = Some(v.trim()),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    for (name, part) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if part.is_none() {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    if !has_date {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .to_string(),
        );
    }
    if !missing.is_empty() {
        return Err(incomplete(format!(
            "{} Authorization={header}",
            missing.join(" ")
        )));
    }
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'"
        )));
    }
    Ok(AuthHeader {
        credential: credential.unwrap_or_default(),
        signed_headers: signed_headers.unwrap_or_default(),
        signature: signature.unwrap_or_default(),
    })
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The request time from `X-Amz-Date` (ISO 8601 basic) or else `Date`
/// (RFC 1123), as (epoch seconds, ISO basic text for the string to sign).
fn request_time(headers: &HeaderMap) -> Result<Option<(i64, String)>, ApiError> {
    if let Some(v) = header_str(headers, "x-amz-date") {
        return match NaiveDateTime::parse_from_str(v, ISO_BASIC) {
            Ok(t) => Ok(Some((t.and_utc().timestamp(), v.to_string()))),
            Err(_) => Err(incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{v}'. See \
                 http://en.wikipedia.org/wiki/ISO_8601"
            ))),
        };
    }
    if let Some(v) = header_str(headers, "date") {
        return match DateTime::parse_from_rfc2822(v) {
            Ok(t) => Ok(Some((t.timestamp(), iso_basic(t.timestamp())))),
            Err(_) => Err(incomplete(format!(
                "Date must be in RFC 1123 format. Got '{v}'."
            ))),
        };
    }
    Ok(None)
}

fn iso_basic(epoch: i64) -> String {
    DateTime::<Utc>::from_timestamp(epoch, 0)
        .map(|t| t.format(ISO_BASIC).to_string())
        .unwrap_or_default()
}

/// [`verify`] with the server's clock as a parameter (epoch seconds).
fn verify_at(
    keys: &[Credentials],
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), ApiError> {
    let Some(authorization) = header_str(headers, "authorization") else {
        return Err(auth_error(
            "MissingAuthenticationTokenException",
            "Request is missing Authentication Token",
        ));
    };
    let time = request_time(headers)?;
    let auth = parse_authorization(authorization, time.is_some())?;
    let Some((when, amz_date)) = time else {
        unreachable!("parse_authorization reports a missing date")
    };

    let scope: Vec<&str> = auth.credential.split('/').collect();
    let [key_id, date, region, service, terminator] = scope[..] else {
        return Err(incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. \
             keyid/date/region/service/term, got '{}'",
            auth.credential
        )));
    };

    let Some(key) = keys.iter().find(|k| k.access_key_id == key_id) else {
        return Err(auth_error("UnrecognizedClientException", INVALID_TOKEN));
    };
    if header_str(headers, "x-amz-security-token") != key.session_token.as_deref() {
        return Err(auth_error("UnrecognizedClientException", INVALID_TOKEN));
    }

    if when < now - MAX_SKEW_SECS {
        return Err(invalid_signature(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            iso_basic(now - MAX_SKEW_SECS),
            iso_basic(now)
        )));
    }
    if when > now + MAX_SKEW_SECS {
        return Err(invalid_signature(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            iso_basic(now + MAX_SKEW_SECS),
            iso_basic(now)
        )));
    }

    if date != &amz_date[..8.min(amz_date.len())] {
        return Err(invalid_signature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '{date}' != '{}', from '{amz_date}'.",
            &amz_date[..8.min(amz_date.len())]
        )));
    }
    if region.is_empty() {
        return Err(invalid_signature(
            "Credential should be scoped to a valid region. ",
        ));
    }
    if !SERVICES.contains(&service) {
        return Err(invalid_signature(format!(
            "Credential should be scoped to correct service: '{}'. ",
            expected_service(headers)
        )));
    }
    if terminator != "aws4_request" {
        return Err(invalid_signature(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not \
             '{terminator}'. "
        )));
    }
    let signed: Vec<String> = auth
        .signed_headers
        .split(';')
        .map(str::to_ascii_lowercase)
        .collect();
    if !signed.iter().any(|h| h == "host" || h == ":authority") {
        return Err(incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }

    let canonical = canonical_request(method, uri, headers, &signed, body);
    let string_to_sign = string_to_sign(&amz_date, date, region, service, &canonical);
    let provided = hex::decode(auth.signature).unwrap_or_default();
    let mut mac = signing_mac(&key.secret_access_key, date, region, service);
    mac.update(string_to_sign.as_bytes());
    // Constant-time comparison (hmac's `verify_slice` uses `subtle`).
    if mac.verify_slice(&provided).is_err() {
        tracing::debug!(%canonical, %string_to_sign, "SigV4 signature mismatch");
        return Err(invalid_signature(SIGNATURE_MISMATCH));
    }
    Ok(())
}

/// The signing name the request's target belongs to, for error messages.
fn expected_service(headers: &HeaderMap) -> &'static str {
    match header_str(headers, "x-amz-target") {
        Some(t) if t.starts_with("DynamoDB_") => "dynamodb",
        _ => "states",
    }
}

/// URI encoding as SigV4 wants it: everything but `A-Za-z0-9-_.~`.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// The same, keeping `/` (for paths).
const PATH: &AsciiSet = &STRICT.remove(b'/');

/// The canonical URI: the path as sent, dot segments removed, URI-encoded
/// once more (services other than S3 sign the encoded path encoded again).
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = format!("/{}", segments.join("/"));
    if path.ends_with('/') && normalized != "/" {
        normalized.push('/');
    }
    utf8_percent_encode(&normalized, PATH).to_string()
}

/// The canonical query string: names and values decoded, re-encoded
/// strictly, sorted by name then value.
fn canonical_query(query: Option<&str>) -> String {
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let mut pairs: Vec<(String, String)> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                utf8_percent_encode(&decode(k), STRICT).to_string(),
                utf8_percent_encode(&decode(v), STRICT).to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A header's canonical value: every occurrence trimmed, inner runs of
/// spaces collapsed, joined with commas. `host` falls back to the URI's
/// authority (HTTP/2 carries it there).
fn canonical_header_value(name: &str, uri: &Uri, headers: &HeaderMap) -> String {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    if values.is_empty() && (name == "host" || name == ":authority") {
        return uri.authority().map(|a| a.to_string()).unwrap_or_default();
    }
    values.join(",")
}

fn canonical_request(
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    signed: &[String],
    body: &[u8],
) -> String {
    let mut out = format!(
        "{method}\n{}\n{}\n",
        canonical_uri(uri.path()),
        canonical_query(uri.query())
    );
    for name in signed {
        out.push_str(name);
        out.push(':');
        out.push_str(&canonical_header_value(name, uri, headers));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed.join(";"));
    out.push('\n');
    out.push_str(&hex::encode(Sha256::digest(body)));
    out
}

fn string_to_sign(
    amz_date: &str,
    date: &str,
    region: &str,
    service: &str,
    canonical: &str,
) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{date}/{region}/{service}/aws4_request\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// An HMAC keyed with the derived signing key
/// (`kSecret → kDate → kRegion → kService → kSigning`).
fn signing_mac(secret: &str, date: &str, region: &str, service: &str) -> HmacSha256 {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    HmacSha256::new_from_slice(&k_signing).expect("HMAC takes keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn sign(secret: &str, amz_date: &str, scope: &str, canonical: &str) -> String {
        let parts: Vec<&str> = scope.split('/').collect();
        let sts = string_to_sign(amz_date, parts[0], parts[1], parts[2], canonical);
        let mut mac = signing_mac(secret, parts[0], parts[1], parts[2]);
        mac.update(sts.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    /// AWS's published SigV4 test suite (`get-vanilla`,
    /// `get-vanilla-query-order-key-case`, `post-vanilla`): service
    /// `service`, 2015-08-30T12:36:00Z.
    #[test]
    fn matches_the_aws_test_suite() {
        let h = headers(&[
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
        ]);
        let signed = vec!["host".to_string(), "x-amz-date".to_string()];
        for (method, uri, expected) in [
            (
                "GET",
                "/",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                "GET",
                "/?Param2=value2&Param1=value1",
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            ),
        ] {
            let uri: Uri = uri.parse().unwrap();
            let canonical = canonical_request(method, &uri, &h, &signed, b"");
            assert_eq!(
                sign(
                    SECRET,
                    "20150830T123600Z",
                    "20150830/us-east-1/service",
                    &canonical
                ),
                expected,
                "{canonical}"
            );
        }
    }

    /// A Step Functions request signed by botocore 1.44 (`SigV4Auth`, the
    /// signer boto3 and the aws CLI use) at 2024-05-01T12:00:00Z.
    fn botocore_request() -> (Uri, HeaderMap, &'static [u8]) {
        let body: &[u8] = br#"{"maxResults": 10}"#;
        let h = headers(&[
            ("host", "127.0.0.1:4566"),
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "AWSStepFunctions.ListStateMachines"),
            ("x-amz-date", "20240501T120000Z"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/states/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
                 Signature=1b65ad8686342630cd1d0b6ea01362483f4c9b7359747f2041a0eb3a1265ede6",
            ),
        ]);
        ("/".parse().unwrap(), h, body)
    }

    const BOTOCORE_NOW: i64 = 1_714_564_800; // 2024-05-01T12:00:00Z

    fn keys() -> Vec<Credentials> {
        vec![Credentials::new(AKID, SECRET)]
    }

    fn code(r: Result<(), ApiError>) -> (String, String) {
        let e = r.unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.namespace, CORAL_SERVICE);
        (e.code, e.message.unwrap_or_default())
    }

    #[test]
    fn accepts_a_botocore_signature() {
        let (uri, h, body) = botocore_request();
        verify_at(&keys(), "POST", &uri, &h, body, BOTOCORE_NOW).unwrap();
        // 14 minutes either way is still within AWS's 15-minute window.
        verify_at(&keys(), "POST", &uri, &h, body, BOTOCORE_NOW + 14 * 60).unwrap();
        verify_at(&keys(), "POST", &uri, &h, body, BOTOCORE_NOW - 14 * 60).unwrap();
    }

    #[test]
    fn rejects_a_tampered_body_or_header() {
        let (uri, mut h, _) = botocore_request();
        let (c, m) = code(verify_at(
            &keys(),
            "POST",
            &uri,
            &h,
            br#"{"maxResults": 11}"#,
            BOTOCORE_NOW,
        ));
        assert_eq!(c, "InvalidSignatureException");
        assert_eq!(m, SIGNATURE_MISMATCH);
        h.insert(
            "x-amz-target",
            HeaderValue::from_static("AWSStepFunctions.DeleteStateMachine"),
        );
        let (c, _) = code(verify_at(
            &keys(),
            "POST",
            &uri,
            &h,
            br#"{"maxResults": 10}"#,
            BOTOCORE_NOW,
        ));
        assert_eq!(c, "InvalidSignatureException");
    }

    #[test]
    fn rejects_a_wrong_secret_and_an_unknown_key() {
        let (uri, h, body) = botocore_request();
        let wrong = vec![Credentials::new(AKID, "not-the-secret")];
        let (c, _) = code(verify_at(&wrong, "POST", &uri, &h, body, BOTOCORE_NOW));
        assert_eq!(c, "InvalidSignatureException");
        let other = vec![Credentials::new("AKIDOTHER", SECRET)];
        let (c, m) = code(verify_at(&other, "POST", &uri, &h, body, BOTOCORE_NOW));
        assert_eq!(c, "UnrecognizedClientException");
        assert_eq!(m, INVALID_TOKEN);
    }

    #[test]
    fn session_tokens_must_match() {
        let (uri, mut h, body) = botocore_request();
        let with_token = vec![Credentials {
            session_token: Some("tok".into()),
            ..Credentials::new(AKID, SECRET)
        }];
        let (c, _) = code(verify_at(&with_token, "POST", &uri, &h, body, BOTOCORE_NOW));
        assert_eq!(c, "UnrecognizedClientException");
        h.insert("x-amz-security-token", HeaderValue::from_static("nope"));
        let (c, _) = code(verify_at(&keys(), "POST", &uri, &h, body, BOTOCORE_NOW));
        assert_eq!(c, "UnrecognizedClientException");
    }

    #[test]
    fn enforces_the_fifteen_minute_window() {
        let (uri, h, body) = botocore_request();
        let now = BOTOCORE_NOW + 20 * 60;
        let (c, m) = code(verify_at(&keys(), "POST", &uri, &h, body, now));
        assert_eq!(c, "InvalidSignatureException");
        assert_eq!(
            m,
            "Signature expired: 20240501T120000Z is now earlier than 20240501T120500Z \
             (20240501T122000Z - 15 min.)"
        );
        let now = BOTOCORE_NOW - 20 * 60;
        let (c, m) = code(verify_at(&keys(), "POST", &uri, &h, body, now));
        assert_eq!(c, "InvalidSignatureException");
        assert_eq!(
            m,
            "Signature not yet current: 20240501T120000Z is still later than 20240501T115500Z \
             (20240501T114000Z + 15 min.)"
        );
    }

    #[test]
    fn malformed_headers_are_incomplete_signatures() {
        let (uri, mut h, body) = botocore_request();
        h.remove("authorization");
        let (c, _) = code(verify_at(&keys(), "POST", &uri, &h, body, BOTOCORE_NOW));
        assert_eq!(c, "MissingAuthenticationTokenException");
        h.insert("authorization", HeaderValue::from_static("AWS abc:def"));
        h.remove("x-amz-date");
        let (c, m) = code(verify_at(&keys(), "POST", &uri, &h, body, BOTOCORE_NOW));
        assert_eq!(c, "IncompleteSignatureException");
        assert_eq!(
            m,
            "Authorization header requires 'Credential' parameter. Authorization header \
             requires 'Signature' parameter. Authorization header requires 'SignedHeaders' \
             parameter. Authorization header requires existence of either a 'X-Amz-Date' or \
             a 'Date' header. Authorization=AWS abc:def"
        );
    }

    #[test]
    fn scope_must_name_a_known_service_and_the_request_date() {
        let (uri, mut h, body) = botocore_request();
        let auth = header_str(&h, "authorization").unwrap().to_string();
        h.insert(
            "authorization",
            HeaderValue::from_str(&auth.replace("/states/", "/s3/")).unwrap(),
        );
        let (c, m) = code(verify_at(&keys(), "POST", &uri, &h, body, BOTOCORE_NOW));
        assert_eq!(c, "InvalidSignatureException");
        assert!(m.contains("correct service: 'states'"), "{m}");
        h.insert(
            "authorization",
            HeaderValue::from_str(&auth.replace("20240501/", "20240430/")).unwrap(),
        );
        let (c, _) = code(verify_at(&keys(), "POST", &uri, &h, body, BOTOCORE_NOW));
        assert_eq!(c, "InvalidSignatureException");
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/a/./b/../c/"), "/a/c/");
        assert_eq!(canonical_uri("/f%20n"), "/f%2520n");
        assert_eq!(
            canonical_query(Some("b=2&a=x%2Fy&a=1&c")),
            "a=1&a=x%2Fy&b=2&c="
        );
        let h = headers(&[("x-a", "  one   two "), ("x-a", "three")]);
        let uri: Uri = "/".parse().unwrap();
        assert_eq!(canonical_header_value("x-a", &uri, &h), "one two,three");
    }

    #[test]
    fn parses_the_auth_file() {
        let keys = Credentials::parse_list(
            r#"[{"accessKeyId": "A", "secretAccessKey": "S"},
                {"accessKeyId": "B", "secretAccessKey": "T", "sessionToken": "X"}]"#,
        )
        .unwrap();
        assert_eq!(keys[0], Credentials::new("A", "S"));
        assert_eq!(keys[1].session_token.as_deref(), Some("X"));
        assert!(Credentials::parse_list(r#"[{"accessKeyId": "A"}]"#).is_err());
        assert!(Credentials::parse_list(r#"{"accessKeyId": "A"}"#).is_err());
        assert!(Credentials::parse_list("[]").is_err());
        assert!(
            Credentials::parse_list(
                r#"[{"accessKeyId": "A", "secretAccessKey": "S"},
                    {"accessKeyId": "A", "secretAccessKey": "T"}]"#
            )
            .is_err()
        );
    }
}
