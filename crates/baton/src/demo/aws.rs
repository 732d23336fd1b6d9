//! The few AWS wire protocols the demo speaks, as a client of Baton's own
//! port: AWS JSON 1.0 (Step Functions, DynamoDB), Lambda's REST JSON, SNS's
//! awsQuery (form POST, XML answers) and plain GETs (mailbox, links).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

/// An error answer of an AWS API, or a failure to reach it.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("{operation}: {code}: {message} (HTTP {status})")]
    Service {
        operation: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("{operation}: cannot reach Baton: {source}")]
    Transport {
        operation: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{operation}: unreadable answer: {detail}")]
    Unreadable { operation: String, detail: String },
}

impl AwsError {
    /// The AWS error code (`ResourceInUseException`…), if the service answered.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Service { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Characters awsQuery and URLs leave unescaped (RFC 3986 unreserved).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY).to_string()
}

#[derive(Clone)]
pub struct Client {
    /// `http://127.0.0.1:4566`, no trailing slash.
    pub endpoint: String,
    http: HyperClient<HttpConnector, Full<Bytes>>,
}

impl Client {
    pub fn new(endpoint: impl Into<String>) -> Client {
        Client {
            endpoint: endpoint.into(),
            http: HyperClient::builder(TokioExecutor::new()).build_http(),
        }
    }

    async fn send(
        &self,
        operation: &str,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Option<String>, Bytes), AwsError> {
        let transport = |e: Box<dyn std::error::Error + Send + Sync>| AwsError::Transport {
            operation: operation.to_string(),
            source: e,
        };
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| transport(e.into()))?;
        let status = response.status();
        // REST-JSON services (Lambda) name the error in a header.
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(':').next().unwrap_or(v).to_string());
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| transport(e.into()))?
            .to_bytes();
        Ok((status, error_type, body))
    }

    fn request(
        method: Method,
        url: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Request<Full<Bytes>> {
        Request::builder()
            .method(method)
            .uri(url)
            .header(CONTENT_TYPE, content_type)
            .body(Full::new(Bytes::from(body)))
            .expect("a request from valid parts")
    }

    /// An AWS JSON 1.0 call: `target` is `AWSStepFunctions.StartExecution`,
    /// `DynamoDB_20120810.Scan`….
    pub async fn json(&self, target: &str, body: Value) -> Result<Value, AwsError> {
        let mut request = Self::request(
            Method::POST,
            &format!("{}/", self.endpoint),
            "application/x-amz-json-1.0",
            body.to_string().into_bytes(),
        );
        request.headers_mut().insert(
            "x-amz-target",
            target.parse().expect("targets are ASCII constants"),
        );
        let (status, error_type, bytes) = self.send(target, request).await?;
        json_answer(target, status, error_type, &bytes)
    }

    /// A Lambda REST call (`/2015-03-31/functions/...`).
    pub async fn rest(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, AwsError> {
        let request = Self::request(
            method,
            &format!("{}{path}", self.endpoint),
            "application/json",
            body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        );
        let (status, error_type, bytes) = self.send(operation, request).await?;
        json_answer(operation, status, error_type, &bytes)
    }

    /// An awsQuery call (SNS): returns the XML answer.
    pub async fn query(&self, action: &str, params: &[(&str, &str)]) -> Result<String, AwsError> {
        let mut form = format!("Action={action}&Version=2010-03-31");
        for (k, v) in params {
            form.push_str(&format!("&{}={}", encode(k), encode(v)));
        }
        let request = Self::request(
            Method::POST,
            &format!("{}/", self.endpoint),
            "application/x-www-form-urlencoded; charset=utf-8",
            form.into_bytes(),
        );
        let (status, _, bytes) = self.send(action, request).await?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if status.is_success() {
            return Ok(text);
        }
        Err(AwsError::Service {
            operation: action.to_string(),
            status: status.as_u16(),
            code: xml_text(&text, "Code").unwrap_or_else(|| "Unknown".into()),
            message: xml_text(&text, "Message").unwrap_or(text),
        })
    }

    /// A plain GET of a URL on Baton (a path, or a full link from a mail).
    pub async fn get(&self, what: &str, url_or_path: &str) -> Result<(u16, String), AwsError> {
        let url = if url_or_path.starts_with("http") {
            url_or_path.to_string()
        } else {
            format!("{}{url_or_path}", self.endpoint)
        };
        let request = Request::builder()
            .method(Method::GET)
            .uri(&url)
            .body(Full::new(Bytes::new()))
            .map_err(|e| AwsError::Unreadable {
                operation: what.to_string(),
                detail: format!("bad URL {url}: {e}"),
            })?;
        let (status, _, bytes) = self.send(what, request).await?;
        Ok((
            status.as_u16(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ))
    }
}

fn json_answer(
    operation: &str,
    status: StatusCode,
    error_type: Option<String>,
    bytes: &[u8],
) -> Result<Value, AwsError> {
    let value: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(bytes).map_err(|e| AwsError::Unreadable {
            operation: operation.to_string(),
            detail: format!("{e}: {}", String::from_utf8_lossy(bytes)),
        })?
    };
    if status.is_success() {
        return Ok(value);
    }
    // `__type` is `com.amazonaws...#Code` or `Code`.
    let code = error_type
        .or_else(|| {
            value
                .get("__type")
                .and_then(Value::as_str)
                .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
        })
        .unwrap_or_else(|| "Unknown".into());
    let message = value
        .get("message")
        .or_else(|| value.get("Message"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    Err(AwsError::Service {
        operation: operation.to_string(),
        status: status.as_u16(),
        code,
        message,
    })
}

/// The text of the first `<tag>…</tag>` in an XML answer, entities decoded.
/// awsQuery answers are flat enough that this is all the demo needs.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    xml_all(xml, tag).into_iter().next()
}

/// The texts of every `<tag>…</tag>`, in order.
pub fn xml_all(xml: &str, tag: &str) -> Vec<String> {
    xml_blocks(xml, tag).into_iter().map(unescape).collect()
}

/// The raw inner XML of every `<tag>…</tag>` (for list members), in order.
pub fn xml_blocks<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_members_are_found_in_order_and_unescaped() {
        let xml = "<R><member><TopicArn>a&amp;b</TopicArn></member><member><TopicArn>c</TopicArn></member></R>";
        assert_eq!(xml_all(xml, "TopicArn"), vec!["a&b", "c"]);
        assert_eq!(xml_text(xml, "Missing"), None);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            encode("Lottery-Notification_1.x~"),
            "Lottery-Notification_1.x~"
        );
    }
}
