//! Map Runs: `DescribeMapRun`, `ListMapRuns` and `UpdateMapRun`. The engine
//! keeps Map Runs inside their parent execution (see `engine::durable`
//! map_runs); this module shapes them as AWS does. Their child executions
//! are execution records of their own, listed by `ListExecutions(mapRunArn)`.

use asl::{MapRun, MapRunCounts, MapRunUpdate};
use engine::durable::EngineError;
use serde_json::{Value, json};

use super::{arn, token};
use crate::AppState;
use crate::error::ApiError;
use crate::protocol::{Params, shapes, timestamp};

pub(super) fn resource_not_found(arn: &str) -> ApiError {
    ApiError::sfn("ResourceNotFound", format!("Resource not found: '{arn}'"))
        .with("resourceName", arn)
}

/// Engine errors about Map Runs in AWS's words; others as they are.
fn map_run_error(e: EngineError) -> ApiError {
    match e {
        EngineError::MapRunDoesNotExist(arn) => resource_not_found(&arn),
        EngineError::MapRunCompleted(arn) => ApiError::service_validation(format!(
            "Map Run is not running and cannot be updated: '{arn}'"
        ))
        .with("reason", "CANNOT_UPDATE_COMPLETED_MAP_RUN"),
        other => other.into(),
    }
}

fn map_run_arn(p: &mut Params) -> Option<String> {
    p.string("mapRunArn", shapes::LONG_ARN)
}

async fn describe_run(state: &AppState, arn: &str) -> Result<(String, MapRun), ApiError> {
    arn::parse_map_run(arn)?;
    state
        .engine
        .describe_map_run(arn)
        .await
        .map_err(map_run_error)
}

fn counts(c: MapRunCounts) -> Value {
    json!({
        "pending": c.pending,
        "running": c.running,
        "succeeded": c.succeeded,
        "failed": c.failed,
        "timedOut": c.timed_out,
        "aborted": c.aborted,
        "total": c.total,
        "resultsWritten": c.results_written,
        "failuresNotRedrivable": c.failures_not_redrivable,
        "pendingRedrive": c.pending_redrive,
    })
}

/// `DescribeMapRun`.
pub async fn describe(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = map_run_arn(&mut p);
    p.finish()?;
    let (execution_arn, run) = describe_run(state, &arn.unwrap_or_default()).await?;
    let mut out = json!({
        "mapRunArn": run.arn,
        "executionArn": execution_arn,
        "status": run.status.as_str(),
        "startDate": timestamp(run.start_date),
        "maxConcurrency": run.max_concurrency,
        "toleratedFailurePercentage": run.tolerated_failure_percentage,
        "toleratedFailureCount": run.tolerated_failure_count,
        "itemCounts": counts(run.item_counts()),
        "executionCounts": counts(run.execution_counts()),
        "redriveCount": run.redrive_count,
    });
    if let Some(d) = run.stop_date {
        out["stopDate"] = timestamp(d);
    }
    if let Some(d) = run.redrive_date {
        out["redriveDate"] = timestamp(d);
    }
    Ok(out)
}

/// `ListMapRuns`: an execution's Map Runs, oldest first.
pub async fn list(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("executionArn", shapes::ARN);
    let limit = p.page_size("maxResults", 1000, 100);
    let next = p.string("nextToken", shapes::PAGE_TOKEN);
    p.finish()?;
    let arn = arn.unwrap_or_default();
    arn::parse_execution(&arn)?;
    let runs = state.engine.list_map_runs(&arn).await?;
    let scope = format!("ListMapRuns {arn}");
    let skip = match &next {
        Some(t) => token::decode_u64(t, &scope)? as usize,
        None => 0,
    };
    let items: Vec<Value> = runs
        .iter()
        .skip(skip)
        .take(limit)
        .map(|r| {
            let mut item = json!({
                "executionArn": arn,
                "mapRunArn": r.arn,
                "stateMachineArn": r.state_machine_arn,
                "startDate": timestamp(r.start_date),
            });
            if let Some(d) = r.stop_date {
                item["stopDate"] = timestamp(d);
            }
            item
        })
        .collect();
    let mut out = json!({"mapRuns": items});
    if skip + limit < runs.len() {
        out["nextToken"] = json!(token::encode(&scope, json!(skip + limit)));
    }
    Ok(out)
}

/// `UpdateMapRun`.
pub async fn update(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = map_run_arn(&mut p);
    let max_concurrency = p.int("maxConcurrency", 0, i64::from(i32::MAX));
    let percentage = p.float("toleratedFailurePercentage", 0.0, 100.0);
    let count = p.int("toleratedFailureCount", 0, i64::MAX);
    p.finish()?;
    let arn = arn.unwrap_or_default();
    arn::parse_map_run(&arn)?;
    let update = MapRunUpdate {
        max_concurrency: max_concurrency.map(|c| c as u64),
        tolerated_failure_percentage: percentage,
        tolerated_failure_count: count.map(|c| c as u64),
    };
    if update == MapRunUpdate::default() {
        return Err(ApiError::service_validation(
            "At least one of maxConcurrency, toleratedFailurePercentage or toleratedFailureCount must be specified",
        )
        .with("reason", "MISSING_REQUIRED_PARAMETER"));
    }
    state
        .engine
        .update_map_run(&arn, update)
        .await
        .map_err(map_run_error)?;
    Ok(json!({}))
}
