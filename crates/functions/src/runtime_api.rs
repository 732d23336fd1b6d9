//! The Lambda Runtime API (`/2018-06-01/runtime/...`) one execution
//! environment's runtime process talks to, on its own loopback port.
//!
//! Traps (see `shared/reference/services.md` §1): `/next` must long-poll with
//! no timeout and answer `Content-Type: application/json` byte for byte (else
//! awslambdaric hands the handler raw bytes or crashes); the error type comes
//! from the body's `errorType`, never from the header (absent for Python,
//! `unhandled` for Rust).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::mpsc;

/// Synchronous responses may be up to 6 MB; leave room for the envelope.
const MAX_RESPONSE: usize = 7 * 1024 * 1024;

/// An event handed to the runtime on `/next`.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub payload: Bytes,
    pub deadline_ms: u64,
    pub function_arn: String,
    pub trace_id: String,
    pub client_context: Option<String>,
}

/// What the runtime reported.
#[derive(Debug, Clone, PartialEq)]
pub enum RuntimeEvent {
    Response {
        request_id: String,
        body: Bytes,
    },
    Error {
        request_id: String,
        body: Bytes,
        error_type_header: Option<String>,
    },
    InitError {
        body: Bytes,
        error_type_header: Option<String>,
    },
}

struct Shared {
    next: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    /// The invocation handed out by `/next` and not yet answered.
    current: Mutex<Option<String>>,
    events: mpsc::UnboundedSender<RuntimeEvent>,
}

/// The environment's side of the Runtime API: feed invocations in, read
/// the runtime's reports out.
pub struct RuntimeApi {
    pub invocations: mpsc::Sender<Invocation>,
    pub events: mpsc::UnboundedReceiver<RuntimeEvent>,
    pub addr: std::net::SocketAddr,
    server: tokio::task::AbortHandle,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    /// Binds an ephemeral loopback port and starts serving.
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let (inv_tx, inv_rx) = mpsc::channel(1);
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            next: tokio::sync::Mutex::new(inv_rx),
            current: Mutex::new(None),
            events: ev_tx,
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let app = router(shared);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        })
        .abort_handle();
        Ok(RuntimeApi {
            invocations: inv_tx,
            events: ev_rx,
            addr,
            server,
        })
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .layer(DefaultBodyLimit::max(MAX_RESPONSE))
        .with_state(shared)
}

fn status_ok() -> Response {
    (
        StatusCode::ACCEPTED,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"OK"}"#,
    )
        .into_response()
}

fn rie_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    let body = serde_json::json!({"errorMessage": message, "errorType": error_type});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    let invocation = {
        let mut rx = shared.next.lock().await;
        rx.recv().await
    };
    let Some(inv) = invocation else {
        return rie_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Runtime.Shutdown",
            "environment is shutting down",
        );
    };
    *shared.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(inv.request_id.clone());
    let mut headers = HeaderMap::new();
    // Exactly this value: anything else makes awslambdaric pass raw bytes.
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    put("Lambda-Runtime-Aws-Request-Id", &inv.request_id);
    put("Lambda-Runtime-Deadline-Ms", &inv.deadline_ms.to_string());
    put("Lambda-Runtime-Invoked-Function-Arn", &inv.function_arn);
    put("Lambda-Runtime-Trace-Id", &inv.trace_id);
    if let Some(cc) = &inv.client_context {
        put("Lambda-Runtime-Client-Context", cc);
    }
    (StatusCode::OK, headers, inv.payload).into_response()
}

/// Takes the answered invocation out of `current` if `id` is the one handed out.
fn answer(shared: &Shared, id: &str) -> bool {
    let mut current = shared.current.lock().unwrap_or_else(|p| p.into_inner());
    if current.as_deref() == Some(id) {
        *current = None;
        true
    } else {
        false
    }
}

fn invalid_id(id: &str) -> Response {
    rie_error(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        &format!("Invalid request ID: {id}"),
    )
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if !answer(&shared, &id) {
        return invalid_id(&id);
    }
    let _ = shared.events.send(RuntimeEvent::Response {
        request_id: id,
        body,
    });
    status_ok()
}

fn error_type_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !answer(&shared, &id) {
        return invalid_id(&id);
    }
    let _ = shared.events.send(RuntimeEvent::Error {
        request_id: id,
        body,
        error_type_header: error_type_header(&headers),
    });
    status_ok()
}

async fn init_error(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let _ = shared.events.send(RuntimeEvent::InitError {
        body,
        error_type_header: error_type_header(&headers),
    });
    status_ok()
}

/// The function error type of an error body: its `errorType`, else the
/// header when it names a Lambda error family, else `Lambda.Unknown`... the
/// caller decides; here `None`.
pub fn error_type_of(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("errorType")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A raw HTTP/1.1 request (no client crate needed), returning the response text.
    async fn http(addr: std::net::SocketAddr, request: String) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    fn post_req(path: &str, extra: &str, body: &str) -> String {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n{extra}\r\n{body}",
            body.len()
        )
    }

    fn inv(id: &str) -> Invocation {
        Invocation {
            request_id: id.into(),
            payload: Bytes::from_static(br#"{"a": 1}"#),
            deadline_ms: 1_700_000_000_000,
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            trace_id: "Root=1-0-0;Parent=0;Sampled=0".into(),
            client_context: None,
        }
    }

    #[tokio::test]
    async fn next_long_polls_then_serves_headers() {
        let mut api = RuntimeApi::start().await.unwrap();
        let addr = api.addr;
        let poll = tokio::spawn(async move {
            http(
                addr,
                "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .into(),
            )
            .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(!poll.is_finished(), "next must wait for an invocation");
        api.invocations.send(inv("req-1")).await.unwrap();
        let text = poll.await.unwrap().to_lowercase();
        assert!(text.starts_with("http/1.1 200"), "{text}");
        assert!(
            text.contains("content-type: application/json\r\n"),
            "{text}"
        );
        assert!(text.contains("lambda-runtime-aws-request-id: req-1"));
        assert!(text.contains("lambda-runtime-deadline-ms: 1700000000000"));
        assert!(text.contains("lambda-runtime-invoked-function-arn: arn:aws:lambda:"));
        assert!(text.contains("lambda-runtime-trace-id: root=1-0-0"));
        assert!(text.ends_with(r#"{"a": 1}"#));

        // Unknown id → 400 InvalidRequestID; the right one → 202.
        let bad = http(
            addr,
            post_req("/2018-06-01/runtime/invocation/nope/response", "", "{}"),
        )
        .await;
        assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
        assert!(bad.contains("InvalidRequestID"));
        let ok = http(
            addr,
            post_req(
                "/2018-06-01/runtime/invocation/req-1/response",
                "",
                r#"{"r":2}"#,
            ),
        )
        .await;
        assert!(ok.starts_with("HTTP/1.1 202"), "{ok}");
        assert_eq!(
            api.events.recv().await.unwrap(),
            RuntimeEvent::Response {
                request_id: "req-1".into(),
                body: Bytes::from_static(br#"{"r":2}"#)
            }
        );
    }

    #[tokio::test]
    async fn errors_with_and_without_type_header() {
        let mut api = RuntimeApi::start().await.unwrap();
        let addr = api.addr;
        for (id, header) in [
            ("a", ""),
            ("b", "Lambda-Runtime-Function-Error-Type: unhandled\r\n"),
        ] {
            api.invocations.send(inv(id)).await.unwrap();
            let got = http(
                addr,
                "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .into(),
            )
            .await;
            assert!(got.starts_with("HTTP/1.1 200"));
            let body = r#"{"errorMessage": "boom", "errorType": "CustomError"}"#;
            let r = http(
                addr,
                post_req(
                    &format!("/2018-06-01/runtime/invocation/{id}/error"),
                    header,
                    body,
                ),
            )
            .await;
            assert!(r.starts_with("HTTP/1.1 202"), "{r}");
            match api.events.recv().await.unwrap() {
                RuntimeEvent::Error {
                    request_id,
                    body: b,
                    error_type_header,
                } => {
                    assert_eq!(request_id, id);
                    assert_eq!(error_type_of(&b).as_deref(), Some("CustomError"));
                    assert_eq!(error_type_header.is_some(), !header.is_empty());
                }
                other => panic!("{other:?}"),
            }
        }
        let r = http(
            addr,
            post_req(
                "/2018-06-01/runtime/init/error",
                "Lambda-Runtime-Function-Error-Type: Runtime.ImportModuleError\r\n",
                r#"{"errorMessage": "x", "errorType": "Runtime.ImportModuleError"}"#,
            ),
        )
        .await;
        assert!(r.starts_with("HTTP/1.1 202"));
        assert!(matches!(
            api.events.recv().await.unwrap(),
            RuntimeEvent::InitError { error_type_header: Some(t), .. } if t == "Runtime.ImportModuleError"
        ));
    }
}
