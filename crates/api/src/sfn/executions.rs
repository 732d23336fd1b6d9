//! Executions. Starting and stopping go through the engine (it journals
//! every change before it is visible); describing, listing and history are
//! reads of what the engine stored.

use engine::durable::StartRequest;
use serde_json::{Value, json};
use store::{ExecutionFilter, ExecutionRecord, ExecutionStatus, MachineType};

use super::arn::{self, MachineRef};
use super::machines::{does_not_exist, get_machine};
use super::{store, token};
use crate::AppState;
use crate::error::ApiError;
use crate::protocol::{Params, Str, shapes, timestamp};

/// `ExecutionStatus` in the order AWS lists it in validation messages
/// (recorded; it is not the model's order).
const STATUS_VALUES: &[&str] = &[
    "SUCCEEDED",
    "TIMED_OUT",
    "PENDING_REDRIVE",
    "ABORTED",
    "FAILED",
    "RUNNING",
];
const INCLUDED_DATA: &[&str] = &["ALL_DATA", "METADATA_ONLY"];

pub fn execution_does_not_exist(arn: &str) -> ApiError {
    ApiError::sfn(
        "ExecutionDoesNotExist",
        format!("Execution Does Not Exist: '{arn}'"),
    )
}

fn type_not_supported() -> ApiError {
    ApiError::sfn(
        "StateMachineTypeNotSupported",
        "This operation is not supported by this type of state machine",
    )
}

/// Reads the members shared by StartExecution and StartSyncExecution and
/// checks the name and the state machine ARN.
fn start_request(p: &mut Params) -> Result<StartRequest, ApiError> {
    let arn = p.string("stateMachineArn", shapes::ARN);
    let name = p.string(
        "name",
        Str {
            required: false,
            ..shapes::NAME
        },
    );
    let input = p.string("input", shapes::DATA);
    let trace_header = p.string("traceHeader", shapes::TRACE_HEADER);
    let bad_trace = trace_header.as_deref().is_some_and(|t| !t.is_ascii());
    let arn = arn.unwrap_or_default();
    if let Some(n) = &name {
        arn::check_name(n)?;
    }
    match arn::parse_machine(&arn)? {
        // The engine routes an alias to one of its versions.
        MachineRef::Machine { .. } | MachineRef::Version { .. } | MachineRef::Alias { .. } => {}
        MachineRef::Labelled { .. } => return Err(arn::labelled_arn()),
    }
    if bad_trace {
        return Err(ApiError::validation(&[
            "Value at 'traceHeader' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: \\p{ASCII}*"
                .to_string(),
        ]));
    }
    Ok(StartRequest {
        state_machine_arn: arn,
        name,
        input,
        trace_header,
    })
}

/// `StartExecution`.
pub async fn start(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let req = start_request(&mut p);
    p.finish()?;
    let started = state.engine.start_execution(req?).await?;
    Ok(json!({"executionArn": started.execution_arn, "startDate": timestamp(started.start_date)}))
}

/// `StartSyncExecution` (clients send it to `sync-<host>`; any Host works here).
pub async fn start_sync(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let req = start_request(&mut p);
    let included = p.enumeration("includedData", false, INCLUDED_DATA);
    p.finish()?;
    let req = req?;
    let trace_header = req.trace_header.clone();
    let o = state.engine.start_sync_execution(req).await?;
    let with_data = included.as_deref() != Some("METADATA_ONLY");
    // AWS bills Express in 100 ms steps and 64 MB memory units.
    let duration = (o.stop_date - o.start_date).max(0);
    let billed = (duration + 99) / 100 * 100;
    let mut out = json!({
        "executionArn": o.execution_arn,
        "stateMachineArn": o.state_machine_arn,
        "name": o.name,
        "startDate": timestamp(o.start_date),
        "stopDate": timestamp(o.stop_date),
        "status": o.status,
        "inputDetails": {"included": with_data},
        "billingDetails": {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": billed.max(100)},
    });
    if with_data {
        out["input"] = json!(o.input);
    }
    if let Some(output) = o.output {
        out["outputDetails"] = json!({"included": with_data});
        if with_data {
            out["output"] = json!(output);
        }
    }
    if let Some(e) = o.error {
        out["error"] = json!(e);
    }
    if let Some(c) = o.cause {
        out["cause"] = json!(c);
    }
    if let Some(t) = trace_header {
        out["traceHeader"] = json!(t);
    }
    Ok(out)
}

/// Reads an execution by ARN, or `ExecutionDoesNotExist`.
fn get_execution(state: &AppState, arn: &str) -> Result<ExecutionRecord, ApiError> {
    arn::parse_execution(arn)?;
    store(state)
        .get_execution(arn)?
        .ok_or_else(|| execution_does_not_exist(arn))
}

/// `redriveStatus` and its reason as AWS reports them. A Map Run's child
/// is redriven through its parent.
fn redrive_status(e: &ExecutionRecord) -> (&'static str, Option<String>) {
    let status = e.status;
    match status {
        ExecutionStatus::Running | ExecutionStatus::Succeeded => (
            "NOT_REDRIVABLE",
            Some(format!(
                "Execution is {} and cannot be redriven",
                status.as_str()
            )),
        ),
        _ if e.map_run_arn.is_some() => ("REDRIVABLE_BY_MAP_RUN", None),
        _ => ("REDRIVABLE", None),
    }
}

/// `DescribeExecution`.
pub fn describe(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("executionArn", shapes::ARN);
    let included = p.enumeration("includedData", false, INCLUDED_DATA);
    p.finish()?;
    let e = get_execution(state, &arn.unwrap_or_default())?;
    let with_data = included.as_deref() != Some("METADATA_ONLY");
    let mut out = json!({
        "executionArn": e.arn,
        "stateMachineArn": e.state_machine_arn,
        "name": e.name,
        "status": e.status.as_str(),
        "startDate": timestamp(e.start_date),
        "inputDetails": {"included": with_data},
        "redriveCount": e.redrive_count,
    });
    if with_data {
        out["input"] = json!(e.input);
    }
    if let Some(d) = e.stop_date {
        out["stopDate"] = timestamp(d);
    }
    if let Some(o) = &e.output {
        out["outputDetails"] = json!({"included": with_data});
        if with_data {
            out["output"] = json!(o);
        }
    }
    for (key, v) in [
        ("error", &e.error),
        ("cause", &e.cause),
        ("traceHeader", &e.trace_header),
        ("stateMachineVersionArn", &e.version_arn),
        ("stateMachineAliasArn", &e.alias_arn),
        ("mapRunArn", &e.map_run_arn),
    ] {
        if let Some(v) = v {
            out[key] = json!(v);
        }
    }
    if let Some(d) = e.redrive_date {
        out["redriveDate"] = timestamp(d);
    }
    let (redrive, reason) = redrive_status(&e);
    out["redriveStatus"] = json!(redrive);
    if let Some(r) = reason {
        out["redriveStatusReason"] = json!(r);
    }
    Ok(out)
}

/// `StopExecution`.
pub async fn stop(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("executionArn", shapes::ARN);
    let error = p.string("error", shapes::ERROR);
    let cause = p.string("cause", shapes::CAUSE);
    p.finish()?;
    let arn = arn.unwrap_or_default();
    arn::parse_execution(&arn)?;
    let stop_date = state.engine.stop_execution(&arn, error, cause).await?;
    Ok(json!({"stopDate": timestamp(stop_date)}))
}

/// `RedriveExecution`.
pub async fn redrive(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("executionArn", shapes::ARN);
    let token = p.string("clientToken", Str::opt(1, 64));
    p.finish()?;
    let arn = arn.unwrap_or_default();
    arn::parse_execution(&arn)?;
    if let Some(t) = &token
        && !t.chars().all(|c| ('!'..='~').contains(&c))
    {
        return Err(ApiError::service_validation(
            "1 validation error detected: Value at 'clientToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [!-~]+",
        ));
    }
    let date = state
        .engine
        .redrive_execution(&arn, token.as_deref())
        .await?;
    Ok(json!({"redriveDate": timestamp(date)}))
}

/// `ListExecutions`: one state machine's (or version's) executions, or one
/// Map Run's child executions, newest first.
pub fn list(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string(
        "stateMachineArn",
        Str {
            required: false,
            ..shapes::ARN
        },
    );
    let status = p.enumeration("statusFilter", false, STATUS_VALUES);
    let limit = p.page_size("maxResults", 1000, 100);
    let next = p.string("nextToken", Str::opt(1, 3096));
    let map_run = p.string(
        "mapRunArn",
        Str {
            required: false,
            ..shapes::LONG_ARN
        },
    );
    let redrive = p.enumeration("redriveFilter", false, &["REDRIVEN", "NOT_REDRIVEN"]);
    p.finish()?;
    let mut filter = ExecutionFilter::default();
    let arn = match (arn, map_run) {
        (Some(_), Some(_)) => {
            return Err(ApiError::service_validation(
                "Only one of StateMachine ARN or MapRun ARN may be provided",
            ));
        }
        (None, None) => {
            return Err(ApiError::service_validation(
                "Must provide a StateMachine ARN or a MapRun ARN",
            ));
        }
        (None, Some(map_run)) => {
            arn::parse_map_run(&map_run)?;
            if store(state).map_run_execution(&map_run)?.is_none() {
                return Err(super::map_runs::resource_not_found(&map_run));
            }
            filter.map_run_arn = Some(map_run.clone());
            map_run
        }
        (Some(arn), None) => {
            set_machine_filter(state, &arn, &mut filter)?;
            arn
        }
    };
    let status_str = status.clone().unwrap_or_default();
    let redrive_str = redrive.clone().unwrap_or_default();
    match status.as_deref().map(ExecutionStatus::parse) {
        // PENDING_REDRIVE: nothing is ever pending a redrive here.
        Some(None) => return Ok(json!({"executions": []})),
        Some(Some(s)) => filter.status = Some(s),
        None => {}
    }
    let scope = format!("ListExecutions {arn} {status_str} {redrive_str}");
    let after = next
        .as_deref()
        .map(|t| token::decode_str(t, &scope))
        .transpose()?;
    let mut page = store(state).list_executions(&filter, after.as_deref(), limit + 1)?;
    let more = page.len() > limit;
    page.truncate(limit);
    let cursor = page.last().map(|e| e.arn.clone());
    let items: Vec<Value> = page
        .iter()
        .filter(|e| match redrive.as_deref() {
            Some("REDRIVEN") => e.redrive_count > 0,
            Some("NOT_REDRIVEN") => e.redrive_count == 0,
            _ => true,
        })
        .map(list_item)
        .collect();
    let mut out = json!({"executions": items});
    if more && let Some(last) = cursor {
        out["nextToken"] = json!(token::encode(&scope, json!(last)));
    }
    Ok(out)
}

/// Narrows a listing to one state machine (or version); AWS lists neither
/// Express machines nor aliases here.
fn set_machine_filter(
    state: &AppState,
    arn: &str,
    filter: &mut ExecutionFilter,
) -> Result<(), ApiError> {
    let machine = match arn::parse_machine(arn)? {
        MachineRef::Machine { arn } => get_machine(state, &arn)?,
        MachineRef::Version {
            machine_arn, arn, ..
        } => {
            store(state)
                .get_state_machine(&arn)?
                .ok_or_else(|| does_not_exist(&arn))?;
            filter.version_arn = Some(arn);
            get_machine(state, &machine_arn)?
        }
        MachineRef::Alias { arn, .. } | MachineRef::Labelled { arn } => {
            return Err(does_not_exist(&arn));
        }
    };
    if machine.machine_type == MachineType::Express {
        return Err(type_not_supported());
    }
    filter.state_machine_arn = Some(machine.arn);
    Ok(())
}

fn list_item(e: &ExecutionRecord) -> Value {
    let mut item = json!({
        "executionArn": e.arn,
        "stateMachineArn": e.state_machine_arn,
        "name": e.name,
        "status": e.status.as_str(),
        "startDate": timestamp(e.start_date),
    });
    if let Some(d) = e.stop_date {
        item["stopDate"] = timestamp(d);
    }
    if let Some(v) = &e.version_arn {
        item["stateMachineVersionArn"] = json!(v);
    }
    if let Some(a) = &e.alias_arn {
        item["stateMachineAliasArn"] = json!(a);
    }
    if e.redrive_count > 0 {
        item["redriveCount"] = json!(e.redrive_count);
    }
    if let Some(d) = e.redrive_date {
        item["redriveDate"] = timestamp(d);
    }
    if let Some(run) = &e.map_run_arn {
        item["mapRunArn"] = json!(run);
        item["itemCount"] = json!(e.item_count.unwrap_or(1));
    }
    item
}

/// `GetExecutionHistory`: ascending by event id, or descending with
/// `reverseOrder`; the token remembers the direction.
pub fn history(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("executionArn", shapes::ARN);
    let limit = p.page_size("maxResults", 1000, 100);
    let reverse = p.boolean("reverseOrder").unwrap_or(false);
    let next = p.string("nextToken", shapes::PAGE_TOKEN);
    let include_data = p.boolean("includeExecutionData").unwrap_or(true);
    p.finish()?;
    let e = get_execution(state, &arn.unwrap_or_default())?;
    let scope = format!("GetExecutionHistory {} {reverse}", e.arn);
    let cursor = match &next {
        Some(t) => token::decode_u64(t, &scope)?,
        None if reverse => u64::MAX,
        None => 0,
    };
    let mut events = store(state).history(&e.arn, cursor, limit + 1, reverse)?;
    let more = events.len() > limit;
    events.truncate(limit);
    let items: Vec<Value> = events
        .iter()
        .map(|ev| ev.to_aws_json(include_data))
        .collect();
    let mut out = json!({"events": items});
    if more && let Some(last) = events.last() {
        out["nextToken"] = json!(token::encode(&scope, json!(last.id)));
    }
    Ok(out)
}

/// `DescribeStateMachineForExecution`: the definition the execution runs
/// (its snapshot), with the machine's current settings when the machine
/// still has that definition.
pub fn describe_state_machine(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("executionArn", shapes::ARN);
    p.enumeration("includedData", false, INCLUDED_DATA);
    p.finish()?;
    let e = get_execution(state, &arn.unwrap_or_default())?;
    let machine = store(state).get_state_machine(&e.state_machine_arn)?;
    let name = e
        .state_machine_arn
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_string();
    let mut out = json!({
        "stateMachineArn": e.state_machine_arn,
        "name": name,
        "definition": e.definition,
        "roleArn": e.role_arn,
        "updateDate": timestamp(e.start_date),
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
        "tracingConfiguration": {"enabled": false},
    });
    if let Some(run) = &e.map_run_arn {
        out["mapRunArn"] = json!(run);
        if let Some((_, label)) = name.split_once('/') {
            out["label"] = json!(label);
        }
    }
    if let Some(sm) = machine.filter(|sm| sm.definition == e.definition) {
        let described = super::machines::describe_record(&sm);
        out["updateDate"] = timestamp(sm.updated);
        for key in [
            "revisionId",
            "loggingConfiguration",
            "tracingConfiguration",
            "encryptionConfiguration",
        ] {
            if let Some(v) = described.get(key) {
                out[key] = v.clone();
            }
        }
    }
    Ok(out)
}
