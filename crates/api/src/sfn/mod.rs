//! Step Functions (`AWSStepFunctions.*`). One module per resource family;
//! this file only maps operation names to handlers.

mod activities;
mod aliases;
mod arn;
mod executions;
mod machines;
mod map_runs;
mod tags;
mod tasks;
mod test_state;
mod token;
mod validate;

use serde_json::Value;

use crate::AppState;
use crate::error::ApiError;
use crate::protocol::Params;

/// Runs one operation. Unknown names are `UnknownOperationException`, as AWS
/// answers them.
pub async fn handle(state: &AppState, operation: &str, p: Params) -> Result<Value, ApiError> {
    match operation {
        "CreateStateMachine" => machines::create(state, p),
        "DescribeStateMachine" => machines::describe(state, p),
        "UpdateStateMachine" => machines::update(state, p),
        "DeleteStateMachine" => machines::delete(state, p),
        "ListStateMachines" => machines::list(state, p),
        "PublishStateMachineVersion" => machines::publish_version(state, p),
        "ListStateMachineVersions" => machines::list_versions(state, p),
        "DeleteStateMachineVersion" => machines::delete_version(state, p),
        "CreateStateMachineAlias" => aliases::create(state, p),
        "DescribeStateMachineAlias" => aliases::describe(state, p),
        "UpdateStateMachineAlias" => aliases::update(state, p),
        "DeleteStateMachineAlias" => aliases::delete(state, p),
        "ListStateMachineAliases" => aliases::list(state, p),
        "ValidateStateMachineDefinition" => validate::validate_definition(p),
        "CreateActivity" => activities::create(state, p),
        "DescribeActivity" => activities::describe(state, p),
        "DeleteActivity" => activities::delete(state, p),
        "ListActivities" => activities::list(state, p),
        "TagResource" => tags::tag(state, p),
        "UntagResource" => tags::untag(state, p),
        "ListTagsForResource" => tags::list(state, p),
        "StartExecution" => executions::start(state, p).await,
        "StartSyncExecution" => executions::start_sync(state, p).await,
        "DescribeExecution" => executions::describe(state, p),
        "StopExecution" => executions::stop(state, p).await,
        "RedriveExecution" => executions::redrive(state, p).await,
        "ListExecutions" => executions::list(state, p),
        "DescribeMapRun" => map_runs::describe(state, p).await,
        "ListMapRuns" => map_runs::list(state, p).await,
        "UpdateMapRun" => map_runs::update(state, p).await,
        "GetExecutionHistory" => executions::history(state, p),
        "DescribeStateMachineForExecution" => executions::describe_state_machine(state, p),
        "GetActivityTask" => tasks::get_activity_task(state, p).await,
        "SendTaskSuccess" => tasks::send_success(state, p).await,
        "SendTaskFailure" => tasks::send_failure(state, p).await,
        "SendTaskHeartbeat" => tasks::send_heartbeat(state, p).await,
        "TestState" => test_state::test_state(state, p),
        _ => Err(ApiError::unknown_operation()),
    }
}

/// The store behind the engine.
fn store(state: &AppState) -> &std::sync::Arc<dyn store::Store> {
    state.engine.store()
}

/// ARNs for this server's region and account.
fn arns(state: &AppState) -> arn::Arns<'_> {
    arn::Arns {
        region: &state.config.region,
        account: &state.config.account,
    }
}
