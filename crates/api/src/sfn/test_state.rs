//! `TestState`: one state evaluated in isolation by `asl::test_state` (pure;
//! Tasks, Map and Parallel answer from the request's `mock`).

use asl::test_state::{
    InspectionLevel, MockError, MockInput, StateConfiguration, TestStateError, TestStateRequest,
};
use serde_json::Value;

use crate::AppState;
use crate::error::ApiError;
use crate::protocol::{Params, Str, shapes};

const INSPECTION_LEVELS: &[&str] = &["INFO", "DEBUG", "TRACE"];
const FIELD_VALIDATION_MODES: &[&str] = &["STRICT", "PRESENT", "NONE"];

/// `TestState`.
pub fn test_state(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let definition = p.string("definition", shapes::DEFINITION);
    let role_arn = p.string(
        "roleArn",
        Str {
            required: false,
            ..shapes::ARN
        },
    );
    let input = p.string("input", shapes::DATA);
    let level = p.enumeration("inspectionLevel", false, INSPECTION_LEVELS);
    let reveal_secrets = p.boolean("revealSecrets").unwrap_or(false);
    let variables = p.string("variables", shapes::DATA);
    let state_name = p.string(
        "stateName",
        Str {
            required: false,
            ..shapes::NAME
        },
    );
    let mock = p.object("mock");
    let context = p.string("context", shapes::DATA);
    let configuration = p.object("stateConfiguration");
    p.finish()?;

    if let Some(role) = &role_arn
        && !role.starts_with("arn:")
    {
        return Err(ApiError::invalid_arn(role));
    }
    let mock = mock.map(|m| mock_input(&m)).transpose()?;
    let state_configuration = configuration.map(|c| state_configuration(&c)).transpose()?;
    let request = TestStateRequest {
        definition: definition.unwrap_or_default(),
        role_arn,
        input,
        inspection_level: level
            .as_deref()
            .and_then(InspectionLevel::parse)
            .unwrap_or_default(),
        reveal_secrets,
        variables,
        state_name,
        mock,
        context,
        state_configuration,
        region: state.config.region.clone(),
        account: state.config.account.clone(),
    };
    let seed = uuid::Uuid::new_v4().as_u64_pair().0;
    match asl::test_state::test_state(&request, state.engine.now(), seed) {
        Ok(response) => Ok(response.to_json()),
        Err(TestStateError::InvalidDefinition(m)) => Err(ApiError::sfn("InvalidDefinition", m)),
        Err(TestStateError::InvalidExecutionInput(m)) => {
            Err(ApiError::sfn("InvalidExecutionInput", m))
        }
        Err(TestStateError::Validation(m)) => Err(ApiError::service_validation(m)),
    }
}

/// `MockInput` (`result` | `errorOutput{error, cause}`, `fieldValidationMode`).
fn mock_input(v: &Value) -> Result<MockInput, ApiError> {
    let Value::Object(map) = v else {
        return Err(ApiError::serialization(Some(
            "Expected a structure for member 'mock'".into(),
        )));
    };
    let mut p = Params::from_map(map.clone());
    let result = p.string("result", shapes::DATA);
    let error_output = p.object("errorOutput");
    let mode = p.enumeration("fieldValidationMode", false, FIELD_VALIDATION_MODES);
    p.finish()?;
    let error_output = match error_output {
        Some(Value::Object(e)) => {
            let mut ep = Params::from_map(e);
            let error = ep.string("error", shapes::ERROR);
            let cause = ep.string("cause", shapes::CAUSE);
            ep.finish()?;
            Some(MockError { error, cause })
        }
        _ => None,
    };
    Ok(MockInput {
        result,
        error_output,
        field_validation_mode: mode,
    })
}

/// `TestStateConfiguration`.
fn state_configuration(v: &Value) -> Result<StateConfiguration, ApiError> {
    let Value::Object(map) = v else {
        return Err(ApiError::serialization(Some(
            "Expected a structure for member 'stateConfiguration'".into(),
        )));
    };
    let mut p = Params::from_map(map.clone());
    let retries = p.int("retrierRetryCount", 0, i64::from(i32::MAX));
    let caused_by = p.string(
        "errorCausedByState",
        Str {
            required: false,
            ..shapes::NAME
        },
    );
    let failures = p.int("mapIterationFailureCount", 0, i64::from(i32::MAX));
    let reader = p.string("mapItemReaderData", shapes::DATA);
    p.finish()?;
    Ok(StateConfiguration {
        retrier_retry_count: retries.map(|n| n as u64),
        error_caused_by_state: caused_by,
        map_iteration_failure_count: failures.map(|n| n as u64),
        map_item_reader_data: reader,
    })
}
