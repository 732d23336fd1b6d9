//! `GET /_baton/console/machines`: the state machines page in one call.
//! `ListStateMachines` has no counts; asking `ListExecutions` per machine
//! and status from the browser would be dozens of requests per refresh.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use store::{ExecutionFilter, ExecutionRecord, StateMachineRecord};

use crate::{Console, ConsoleError};

const PAGE: usize = 1000;

pub async fn machines(State(console): State<Console>) -> Response {
    match summarise(&console) {
        Ok(v) => crate::error::json_ok(&v),
        Err(e) => e.into_response(),
    }
}

fn summarise(console: &Console) -> Result<Value, ConsoleError> {
    let store = console.engine.store();
    let mut machines = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.list_state_machines(after.as_deref(), PAGE)?;
        let full = page.len() == PAGE;
        after = page.last().map(|m| m.arn.clone());
        for m in &page {
            machines.push(machine(console, m)?);
        }
        if !full {
            break;
        }
    }
    Ok(json!({ "stateMachines": machines }))
}

/// One machine: its type, counts of its executions by status, and its
/// latest execution (executions are listed newest first).
fn machine(console: &Console, m: &StateMachineRecord) -> Result<Value, ConsoleError> {
    let store = console.engine.store();
    let filter = ExecutionFilter {
        state_machine_arn: Some(m.arn.clone()),
        ..Default::default()
    };
    let mut counts: Map<String, Value> = Map::new();
    let mut last: Option<Value> = None;
    let mut after: Option<String> = None;
    loop {
        let page = store.list_executions(&filter, after.as_deref(), PAGE)?;
        if last.is_none() {
            last = page.first().map(last_run);
        }
        for e in &page {
            let n = counts.entry(e.status.as_str()).or_insert(Value::from(0u64));
            *n = Value::from(n.as_u64().unwrap_or(0) + 1);
        }
        if page.len() < PAGE {
            break;
        }
        after = page.last().map(|e| e.arn.clone());
    }
    Ok(json!({
        "stateMachineArn": m.arn,
        "name": m.name,
        "type": m.machine_type.as_str(),
        "creationDate": m.created as f64 / 1000.0,
        "counts": counts,
        "lastExecution": last,
    }))
}

fn last_run(e: &ExecutionRecord) -> Value {
    json!({
        "executionArn": e.arn,
        "name": e.name,
        "status": e.status.as_str(),
        "startDate": e.start_date as f64 / 1000.0,
        "stopDate": e.stop_date.map(|d| d as f64 / 1000.0),
    })
}
