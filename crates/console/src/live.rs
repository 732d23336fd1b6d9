//! `GET /_baton/console/live?arn=<execution>&after=<event id>`: an
//! execution's history as server-sent events, while it is written.
//!
//! The engine commits events to the store before it acts on them, so the
//! store is the truth a page must show; reading it by event-id cursor is an
//! indexed range scan, cheap enough to repeat every [`POLL`] per open page.
//! Events go out in batches (`event: history`, data `{"events":[…]}` in
//! `GetExecutionHistory`'s shape); once the execution is closed and every
//! event was sent, one `event: end` carries its final status and the stream
//! ends (the page closes its `EventSource` on `end`; one that reconnects
//! after a dropped connection resumes from its `Last-Event-ID`).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use serde_json::{Value, json};
use store::{ExecutionRecord, ExecutionStatus};

use crate::query::Query;
use crate::{Console, ConsoleError};

/// How often an idle stream looks for new events.
const POLL: Duration = Duration::from_millis(150);
/// Events per message: big enough to catch up on a 25,000-event history in
/// a few dozen messages, small enough to keep each one quick to parse.
const BATCH: usize = 500;

pub async fn stream(State(console): State<Console>, uri: Uri, headers: HeaderMap) -> Response {
    let q = Query::of(&uri);
    // A reconnecting EventSource sends the id of the last message it got.
    let resumed = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let opened = (|| {
        let arn = q.required("arn")?.to_string();
        let after = q.number("after")?.unwrap_or(0).max(resumed.unwrap_or(0));
        record(&console, &arn)?;
        Ok::<_, ConsoleError>((arn, after))
    })();
    match opened {
        Ok((arn, after)) => Sse::new(events(console, arn, after))
            .keep_alive(KeepAlive::default())
            .into_response(),
        Err(e) => e.into_response(),
    }
}

fn record(console: &Console, arn: &str) -> Result<ExecutionRecord, ConsoleError> {
    console
        .engine
        .store()
        .get_execution(arn)?
        .ok_or_else(|| ConsoleError::ExecutionDoesNotExist(arn.to_string()))
}

struct Cursor {
    console: Console,
    arn: String,
    after: u64,
    done: bool,
    closing: tokio::sync::watch::Receiver<bool>,
}

fn events(
    console: Console,
    arn: String,
    after: u64,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let closing = console.closing.watch();
    let cursor = Cursor {
        console,
        arn,
        after,
        done: false,
        closing,
    };
    stream::unfold(cursor, |mut c| async move {
        if c.done || *c.closing.borrow() {
            return None;
        }
        loop {
            match next_message(&mut c) {
                Ok(Some(event)) => return Some((Ok(event), c)),
                Ok(None) => {
                    tokio::select! {
                        _ = tokio::time::sleep(POLL) => {}
                        _ = c.closing.changed() => return None,
                    }
                }
                Err(e) => {
                    c.done = true;
                    let data = json!({"message": e.to_string()}).to_string();
                    return Some((Ok(Event::default().event("error").data(data)), c));
                }
            }
        }
    })
}

/// The next message to send, or `None` when there is nothing new yet.
fn next_message(c: &mut Cursor) -> Result<Option<Event>, ConsoleError> {
    let store = c.console.engine.store();
    // Read the status first: events written after this read are picked up
    // by the history read below or by the next round, never skipped.
    let execution = record(&c.console, &c.arn)?;
    let events = store.history(&c.arn, c.after, BATCH, false)?;
    if let Some(last) = events.last() {
        c.after = last.id;
        let items: Vec<Value> = events.iter().map(|e| e.to_aws_json(true)).collect();
        let data = json!({"events": items}).to_string();
        return Ok(Some(
            Event::default()
                .event("history")
                .id(c.after.to_string())
                .data(data),
        ));
    }
    if execution.status != ExecutionStatus::Running {
        c.done = true;
        return Ok(Some(
            Event::default()
                .event("end")
                .data(summary(&execution).to_string()),
        ));
    }
    Ok(None)
}

/// The closed execution's outcome, in `DescribeExecution`'s member names.
fn summary(e: &ExecutionRecord) -> Value {
    json!({
        "executionArn": e.arn,
        "status": e.status.as_str(),
        "stopDate": e.stop_date.map(|d| d as f64 / 1000.0),
        "output": e.output,
        "error": e.error,
        "cause": e.cause,
    })
}
