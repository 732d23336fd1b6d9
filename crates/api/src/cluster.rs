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
use std::time::Duration;

use axum::http::{HeaderName, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::AppState;
use crate::error::ApiError;
use crate::protocol::{Params, json_response};
use serde_json::json;

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
    // A store only this process uses: everything is answered here.
    state.engine.store().cluster()?;
    if operation == "GetActivityTask" {
        return activity_task(state, params, parts, body).await;
    }
    if parts.headers.contains_key(FORWARDED) {
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
            Ok(answer) => {
                let unknown_there = answer
                    .error_type()
                    .is_some_and(|t| try_next_on.iter().any(|n| t.ends_with(n)));
                if !unknown_there {
                    return Some(answer.into_response());
                }
            }
            // The node died since its last heartbeat: until it is taken
            // over, this node answers as best it can.
            Err(e) => tracing::warn!(node = %url, error = %e, "cannot forward a request"),
        }
    }
    None
}

/// Another node's answer, read whole.
struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The error's `__type` (e.g. `com.amazonaws.swf.base.model#TaskTimedOut`).
    fn error_type(&self) -> Option<String> {
        if self.status.is_success() {
            return None;
        }
        self.json()?.get("__type")?.as_str().map(str::to_owned)
    }

    fn into_response(self) -> Response {
        (self.status, self.headers, self.body).into_response()
    }
}

/// Sends the request to the node at `base`.
async fn send(state: &AppState, base: &str, parts: &Parts, body: &Bytes) -> Result<Answer, String> {
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
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok(Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// How often a waiting GetActivityTask asks the other nodes for a task.
const PEER_POLL: Duration = Duration::from_millis(250);

/// GetActivityTask on a shared store: activity tasks wait on the node that
/// runs their execution, and a worker may poll any node. So a poll waits
/// for a task here and, every [`PEER_POLL`], takes one from another node if
/// it has one (asking it not to wait). A forwarded poll only looks here.
async fn activity_task(
    state: &AppState,
    params: &Params,
    parts: &Parts,
    body: &Bytes,
) -> Option<Response> {
    let arn = params.peek_str("activityArn")?;
    // Unknown activities and malformed requests: the handler's errors.
    state.engine.store().get_activity(arn).ok()??;
    let worker = params.peek_str("workerName").map(str::to_owned);
    let respond = |task: Option<(String, String)>| {
        let value = match task {
            Some((token, input)) => json!({"taskToken": token, "input": input}),
            None => json!({}),
        };
        json_response(StatusCode::OK, &value)
    };
    if parts.headers.contains_key(FORWARDED) {
        let task = state
            .engine
            .get_activity_task(arn, worker, Duration::ZERO)
            .await;
        return Some(match task {
            Ok(task) => respond(task),
            Err(e) => ApiError::from(e).into_response(),
        });
    }
    let deadline = tokio::time::Instant::now() + state.config.activity_poll;
    loop {
        let wait = deadline
            .saturating_duration_since(tokio::time::Instant::now())
            .min(PEER_POLL);
        match state
            .engine
            .get_activity_task(arn, worker.clone(), wait)
            .await
        {
            Ok(Some(task)) => return Some(respond(Some(task))),
            Ok(None) => {}
            Err(e) => return Some(ApiError::from(e).into_response()),
        }
        for url in state.engine.peer_urls().await.unwrap_or_default() {
            match send(state, &url, parts, body).await {
                Ok(answer)
                    if answer.status.is_success()
                        && answer.json().is_some_and(|v| v.get("taskToken").is_some()) =>
                {
                    return Some(answer.into_response());
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(node = %url, error = %e, "activity poll failed"),
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Some(respond(None));
        }
    }
}
