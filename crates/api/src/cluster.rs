//! Nodes sharing one database answer for each other: a request about an
//! execution another node runs (stopping it, completing its task, updating
//! its Map Run) is forwarded to that node, unchanged, and its answer is
//! returned as is. Reads need no forwarding: every node reads the database.
//!
//! A forwarded request carries [`FORWARDED`] and is never forwarded again,
//! so ownership moving mid-request cannot bounce a request between nodes.
//! The original headers go along (the `Host` one included), so a SigV4
//! signature verifies on the receiving node exactly as it did here.

use axum::body::Bytes;
use axum::http::request::Parts;
use axum::http::{HeaderName, Request, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::AppState;
use crate::protocol::Params;

/// Marks a request one node forwarded to another.
pub const FORWARDED: &str = "x-baton-forwarded";

/// The HTTP client nodes forward with (pooled, one per server).
pub type Forwarder = Client<HttpConnector, Full<Bytes>>;

pub fn forwarder() -> Forwarder {
    Client::builder(TokioExecutor::new()).build_http()
}

/// Answers `operation` on the node that runs its execution, if that is
/// another node; `None` means: answer it here.
pub async fn forward_if_elsewhere(
    state: &AppState,
    operation: &str,
    params: &Params,
    parts: &Parts,
    body: &Bytes,
) -> Option<Response> {
    if parts.headers.contains_key(FORWARDED) || state.engine.store().cluster().is_none() {
        return None;
    }
    let engine = &state.engine;
    let (targets, try_next_on): (Vec<String>, &[&str]) = match operation {
        "StopExecution" => {
            let arn = params.peek_str("executionArn")?;
            // A Map Run child runs inside its parent, wherever that runs.
            let owner_of = match engine.store().get_execution(arn).ok()?? {
                record if record.map_run_arn.is_some() => {
                    let run = record.map_run_arn.as_deref()?;
                    engine.store().map_run_execution(run).ok()??
                }
                record => record.arn,
            };
            (
                engine
                    .owner_url(&owner_of)
                    .await
                    .ok()?
                    .into_iter()
                    .collect(),
                &[],
            )
        }
        "UpdateMapRun" => {
            let run = params.peek_str("mapRunArn")?;
            let parent = engine.store().map_run_execution(run).ok()??;
            (
                engine.owner_url(&parent).await.ok()?.into_iter().collect(),
                &[],
            )
        }
        // A token says nothing of its execution: ask each node in turn
        // until one knows it.
        "SendTaskSuccess" | "SendTaskFailure" | "SendTaskHeartbeat" => {
            let token = params.peek_str("taskToken")?;
            if engine.knows_token(token) {
                return None;
            }
            (
                engine.peer_urls().await.ok()?,
                &["TaskTimedOut", "InvalidToken"],
            )
        }
        _ => return None,
    };
    for url in targets {
        match send(state, &url, parts, body).await {
            Ok((response, error_type)) => {
                let unknown_there = error_type
                    .as_deref()
                    .is_some_and(|t| try_next_on.iter().any(|n| t.ends_with(n)));
                if !unknown_there {
                    return Some(response);
                }
            }
            // The node died since its last heartbeat: until it is taken
            // over, this node answers as best it can.
            Err(e) => tracing::warn!(node = %url, error = %e, "cannot forward a request"),
        }
    }
    None
}

/// Sends the request to `base` and returns its response with the error
/// `__type` it carries, if any.
async fn send(
    state: &AppState,
    base: &str,
    parts: &Parts,
    body: &Bytes,
) -> Result<(Response, Option<String>), String> {
    let uri = format!("{}{}", base.trim_end_matches('/'), parts.uri);
    let mut request = Request::builder().method(parts.method.clone()).uri(uri);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH && name != header::CONNECTION {
            request = request.header(name, value);
        }
    }
    let request = request
        .header(HeaderName::from_static(FORWARDED), "1")
        .body(Full::new(body.clone()))
        .map_err(|e| e.to_string())?;
    let response = state
        .forwarder
        .request(request)
        .await
        .map_err(|e| e.to_string())?;
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    let error_type = (!parts.status.is_success())
        .then(|| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .flatten()
        .and_then(|v| v.get("__type")?.as_str().map(str::to_owned));
    Ok((
        (parts.status, parts.headers, bytes).into_response(),
        error_type,
    ))
}
