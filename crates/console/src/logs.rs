//! `GET /_baton/console/logs?function=<name|ARN>[&from=ms][&to=ms][&requestId=…]`:
//! a function's kept log lines grouped by invocation, newest last.
//!
//! The Lambda API has no log read (AWS keeps logs in CloudWatch); the step
//! panel needs "the lines of the invocation behind this attempt", which it
//! finds by request id when the task's output carries one, else by the
//! attempt's time window (`from`..`to`, the history's epoch milliseconds,
//! converted to the wall clock under `--time-scale`; an invocation's lines
//! are stamped when it ends).

use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use functions::LogLine;
use serde_json::{Value, json};

use crate::query::Query;
use crate::{Console, ConsoleError};

/// Slack around the window: the lines are stamped by the function host's
/// clock a moment before the engine records the task's end.
const SLACK_MS: i64 = 1_000;

pub async fn invocations(State(console): State<Console>, uri: Uri) -> Response {
    match read(&console, &Query::of(&uri)) {
        Ok(v) => crate::error::json_ok(&v),
        Err(e) => e.into_response(),
    }
}

fn read(console: &Console, q: &Query) -> Result<Value, ConsoleError> {
    let reference = q.required("function")?;
    let from = q
        .number("from")?
        .map(|v| wall_clock(console, v as i64) - SLACK_MS);
    let to = q
        .number("to")?
        .map(|v| wall_clock(console, v as i64) + SLACK_MS);
    let request_id = q.get("requestId").filter(|s| !s.is_empty());
    let registry = console
        .functions
        .as_ref()
        .ok_or(ConsoleError::NoFunctions)?;
    let lines = registry
        .logs(reference)
        .map_err(|_| ConsoleError::FunctionNotFound(reference.to_string()))?;
    let (name, _) = functions::Registry::parse_name(reference);
    let picked: Vec<Value> = group(&lines)
        .into_iter()
        .filter(|inv| from.is_none_or(|f| inv.timestamp >= f))
        .filter(|inv| to.is_none_or(|t| inv.timestamp <= t))
        .filter(|inv| request_id.is_none_or(|r| inv.request_id == r))
        .map(|inv| {
            json!({
                "requestId": inv.request_id,
                "timestamp": inv.timestamp,
                "lines": inv.lines,
            })
        })
        .collect();
    Ok(json!({"functionName": name, "invocations": picked}))
}

/// The wall-clock time of an engine timestamp. History events carry the
/// engine's clock, which `--time-scale` speeds up; log lines carry the wall
/// clock. (A `--clock virtual` engine jumps, so its times are taken as they
/// are: there, request ids are what find an attempt's lines.)
fn wall_clock(console: &Console, engine_ms: i64) -> i64 {
    let config = console.engine.config();
    if config.virtual_clock || config.time_scale <= 0.0 || config.time_scale == 1.0 {
        return engine_ms;
    }
    let wall_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let behind = console.engine.now() - engine_ms;
    wall_now - (behind as f64 / config.time_scale) as i64
}

/// One invocation's lines, `START RequestId: …` to `REPORT RequestId: …`.
#[derive(Debug, PartialEq)]
struct Invocation<'a> {
    request_id: &'a str,
    timestamp: i64,
    lines: Vec<&'a str>,
}

/// Splits the ring into invocations. Lines before the first START (the ring
/// dropped that START) form an invocation with an empty request id.
fn group(lines: &[LogLine]) -> Vec<Invocation<'_>> {
    let mut out: Vec<Invocation> = Vec::new();
    let mut open = false;
    for line in lines {
        let msg = line.message.as_str();
        if let Some(rest) = msg.strip_prefix("START RequestId: ") {
            let id = rest.split_whitespace().next().unwrap_or("");
            out.push(Invocation {
                request_id: id,
                timestamp: line.timestamp,
                lines: vec![msg],
            });
            open = true;
            continue;
        }
        if !open {
            out.push(Invocation {
                request_id: "",
                timestamp: line.timestamp,
                lines: Vec::new(),
            });
            open = true;
        }
        if let Some(inv) = out.last_mut() {
            inv.lines.push(msg);
            inv.timestamp = inv.timestamp.max(line.timestamp);
        }
        if msg.starts_with("REPORT RequestId: ") {
            open = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(ts: i64, m: &str) -> LogLine {
        LogLine {
            timestamp: ts,
            message: m.to_string(),
        }
    }

    /// Under `--time-scale 60` a minute of history is a second of wall clock.
    #[tokio::test]
    async fn history_times_map_to_the_wall_clock() {
        let store: std::sync::Arc<dyn store::Store> =
            std::sync::Arc::new(store::MemoryStore::new());
        let config = engine::durable::EngineConfig {
            time_scale: 60.0,
            ..Default::default()
        };
        let engine = engine::durable::Engine::open(
            store,
            config,
            std::sync::Arc::new(engine::durable::NoIntegrations),
        )
        .await
        .unwrap();
        let console = Console::new(engine.clone(), None);
        let wall_now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let a_minute_ago = engine.now() - 60_000;
        let mapped = wall_clock(&console, a_minute_ago);
        assert!(
            (mapped - (wall_now - 1_000)).abs() < 250,
            "{mapped} vs {}",
            wall_now - 1_000
        );
    }

    #[test]
    fn groups_lines_by_invocation() {
        let lines = vec![
            line(5, "tail of an older one"),
            line(5, "REPORT RequestId: old\tDuration: 1 ms"),
            line(10, "START RequestId: a Version: $LATEST"),
            line(10, "hello from a"),
            line(10, "END RequestId: a"),
            line(10, "REPORT RequestId: a\tDuration: 1 ms"),
            line(20, "START RequestId: b Version: $LATEST"),
            line(20, "[ERROR] CustomError: An error occurred!!"),
            line(20, "END RequestId: b"),
            line(20, "REPORT RequestId: b\tDuration: 2 ms"),
        ];
        let groups = group(&lines);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].request_id, "");
        assert_eq!(groups[1].request_id, "a");
        assert_eq!(groups[1].lines[1], "hello from a");
        assert_eq!(groups[2].request_id, "b");
        assert_eq!(groups[2].timestamp, 20);
        assert_eq!(groups[2].lines.len(), 4);
    }
}
