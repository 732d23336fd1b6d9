//! Task tokens: activity workers polling for work, and anyone completing a
//! callback (`.waitForTaskToken`) or activity task. All through the engine.

use serde_json::{Value, json};

use super::activities::does_not_exist;
use super::{arn, store};
use crate::AppState;
use crate::error::ApiError;
use crate::protocol::{Params, Str, shapes};

/// `GetActivityTask`: long-polls up to `ApiConfig::activity_poll` (AWS: 60 s).
/// An empty object means "no task": SDKs then return no `taskToken`.
/// If the client goes away, hyper drops this future and with it the
/// engine's wait.
pub async fn get_activity_task(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("activityArn", shapes::ARN);
    let worker = p.string(
        "workerName",
        Str {
            required: false,
            ..shapes::NAME
        },
    );
    p.finish()?;
    let arn = arn.unwrap_or_default();
    arn::parse_activity(&arn)?;
    if store(state).get_activity(&arn)?.is_none() {
        return Err(does_not_exist(&arn));
    }
    let task = activity_task(state, &arn, worker).await?;
    Ok(match task {
        Some((token, input)) => json!({"taskToken": token, "input": input}),
        None => json!({}),
    })
}

/// `SendTaskSuccess`.
pub async fn send_success(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let token = p.string("taskToken", shapes::TASK_TOKEN);
    let output = p.string(
        "output",
        Str {
            required: true,
            ..shapes::DATA
        },
    );
    p.finish()?;
    state
        .engine
        .send_task_success(&token.unwrap_or_default(), &output.unwrap_or_default())
        .await?;
    Ok(json!({}))
}

/// `SendTaskFailure`.
pub async fn send_failure(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let token = p.string("taskToken", shapes::TASK_TOKEN);
    let error = p.string("error", shapes::ERROR);
    let cause = p.string("cause", shapes::CAUSE);
    p.finish()?;
    state
        .engine
        .send_task_failure(&token.unwrap_or_default(), error, cause)
        .await?;
    Ok(json!({}))
}

/// `SendTaskHeartbeat`.
pub async fn send_heartbeat(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let token = p.string("taskToken", shapes::TASK_TOKEN);
    p.finish()?;
    state
        .engine
        .send_task_heartbeat(&token.unwrap_or_default())
        .await?;
    Ok(json!({}))
}

/// The engine's long poll, bounded by the configured poll time (60 s, as AWS).
async fn activity_task(
    state: &AppState,
    arn: &str,
    worker: Option<String>,
) -> Result<Option<(String, String)>, ApiError> {
    Ok(state
        .engine
        .get_activity_task(arn, worker, state.config.activity_poll)
        .await?)
}
