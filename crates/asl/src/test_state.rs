//! The `TestState` API: one state evaluated in isolation, with AWS's data
//! flow and the `inspectionData` AWS reports for it.
//!
//! The state is compiled through the crate's model: a single state is wrapped
//! into `{"StartAt": "StateName", "States": {"StateName": state, …}}` (with a
//! stub for every state it names as `Next`), a whole machine is compiled as
//! given and the state is looked up by `stateName` in any block. Tasks, Map
//! and Parallel states never call out: their result (or error) comes from the
//! request's `mock`. Retry and Catch are evaluated once: a matching retrier
//! with attempts left (given `stateConfiguration.retrierRetryCount`) answers
//! `RETRIABLE`, a matching catcher `CAUGHT_ERROR`.
//!
//! Rules taken from the AWS recordings (`shared/conformance/sfn/cases_test_state`):
//! - `inspectionData` is absent at `INFO`; `DEBUG` and `TRACE` carry the same
//!   data-flow fields (TRACE adds HTTP details only for HTTP Tasks).
//! - JSONata states report only `input` (plus `afterArguments` for a Task,
//!   and the Map numbers); JSONPath states report each step they ran.
//! - A Pass with `Result` reports `result` but neither `afterInputPath` nor
//!   `afterParameters`; a Parallel reports neither either; a Map reports
//!   `afterItemsPath` (when `ItemsPath` is set), `maxConcurrency` (0 by
//!   default) and the tolerated-failure settings it has, but no `result`.
//! - Payload fields are JSON text; runtime causes carry no "entered at the
//!   event id" prefix (there are no events).
//! - The generated Context object names the state `StateName`; a `context`
//!   in the request replaces it entirely.
//! - A Map fails with `States.ExceedToleratedFailureThreshold` only when it
//!   declares a tolerated failure count/percentage that
//!   `mapIterationFailureCount` exceeds.

use asl_path::PathExpr;
use serde_json::{Map, Value, json};

use crate::choice;
use crate::error::{Failure, names};
use crate::execution::{Rng, apply_result_path};
use crate::expr::{self, Env, ExprFailure};
use crate::history::{Millis, to_json_text};
use crate::model::{
    BlockId, Catcher, Condition, ErrorText, Machine, Number, QueryLanguage, Retrier, State,
    StateKind, Transition, Wait,
};
use crate::template::Template;
use crate::time::format_millis;

/// The name a single-state definition gets inside its wrapper machine (AWS
/// also reports it as `$$.State.Name`).
pub const WRAPPED_STATE_NAME: &str = "StateName";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InspectionLevel {
    #[default]
    Info,
    Debug,
    Trace,
}

impl InspectionLevel {
    pub fn parse(s: &str) -> Option<InspectionLevel> {
        match s {
            "INFO" => Some(InspectionLevel::Info),
            "DEBUG" => Some(InspectionLevel::Debug),
            "TRACE" => Some(InspectionLevel::Trace),
            _ => None,
        }
    }
}

/// `mock.errorOutput`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MockError {
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// `mock`: exactly one of `result` (JSON text) and `error_output`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MockInput {
    pub result: Option<String>,
    pub error_output: Option<MockError>,
    /// STRICT (default), PRESENT or NONE. Baton does not check mocked results
    /// against service models, so every mode accepts any JSON.
    pub field_validation_mode: Option<String>,
}

/// `stateConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateConfiguration {
    pub retrier_retry_count: Option<u64>,
    pub error_caused_by_state: Option<String>,
    pub map_iteration_failure_count: Option<u64>,
    pub map_item_reader_data: Option<String>,
}

/// A `TestState` request (AWS member names in the comments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestStateRequest {
    /// `definition`: one state, or a whole machine when `state_name` is set.
    pub definition: String,
    /// `roleArn`, shown as `$$.Execution.RoleArn`.
    pub role_arn: Option<String>,
    /// `input` (JSON text; `{}` when absent).
    pub input: Option<String>,
    /// `inspectionLevel`.
    pub inspection_level: InspectionLevel,
    /// `revealSecrets` (not allowed with a mock).
    pub reveal_secrets: bool,
    /// `variables`: a JSON object's text.
    pub variables: Option<String>,
    /// `stateName`.
    pub state_name: Option<String>,
    pub mock: Option<MockInput>,
    /// `context`: the Context object's JSON text (only with a mock).
    pub context: Option<String>,
    pub state_configuration: Option<StateConfiguration>,
    /// Where the generated Context object says the test ran.
    pub region: String,
    pub account: String,
}

impl Default for TestStateRequest {
    fn default() -> Self {
        TestStateRequest {
            definition: String::new(),
            role_arn: None,
            input: None,
            inspection_level: InspectionLevel::Info,
            reveal_secrets: false,
            variables: None,
            state_name: None,
            mock: None,
            context: None,
            state_configuration: None,
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStatus {
    Succeeded,
    Failed,
    Retriable,
    CaughtError,
}

impl TestStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            TestStatus::Succeeded => "SUCCEEDED",
            TestStatus::Failed => "FAILED",
            TestStatus::Retriable => "RETRIABLE",
            TestStatus::CaughtError => "CAUGHT_ERROR",
        }
    }
}

/// `inspectionData.errorDetails`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetails {
    pub catch_index: Option<u64>,
    pub retry_index: Option<u64>,
    pub retry_backoff_interval_seconds: Option<u64>,
}

/// `inspectionData`. Payload fields hold JSON text, as AWS sends them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InspectionData {
    pub input: Option<String>,
    pub after_input_path: Option<String>,
    pub after_parameters: Option<String>,
    pub after_arguments: Option<String>,
    pub result: Option<String>,
    pub after_result_selector: Option<String>,
    pub after_result_path: Option<String>,
    pub variables: Option<String>,
    pub error_details: Option<ErrorDetails>,
    pub after_items_path: Option<String>,
    pub after_item_selector: Option<String>,
    pub tolerated_failure_count: Option<u64>,
    pub tolerated_failure_percentage: Option<f64>,
    pub max_concurrency: Option<u64>,
}

impl InspectionData {
    /// The wire shape, with AWS's member names.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let mut text = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                m.insert(k.into(), json!(v));
            }
        };
        text("input", &self.input);
        text("afterInputPath", &self.after_input_path);
        text("afterParameters", &self.after_parameters);
        text("afterArguments", &self.after_arguments);
        text("result", &self.result);
        text("afterResultSelector", &self.after_result_selector);
        text("afterResultPath", &self.after_result_path);
        text("variables", &self.variables);
        text("afterItemsPath", &self.after_items_path);
        text("afterItemSelector", &self.after_item_selector);
        if let Some(d) = &self.error_details {
            let mut e = Map::new();
            if let Some(i) = d.catch_index {
                e.insert("catchIndex".into(), json!(i));
            }
            if let Some(i) = d.retry_index {
                e.insert("retryIndex".into(), json!(i));
            }
            if let Some(s) = d.retry_backoff_interval_seconds {
                e.insert("retryBackoffIntervalSeconds".into(), json!(s));
            }
            m.insert("errorDetails".into(), Value::Object(e));
        }
        if let Some(n) = self.tolerated_failure_count {
            m.insert("toleratedFailureCount".into(), json!(n));
        }
        if let Some(p) = self.tolerated_failure_percentage {
            m.insert("toleratedFailurePercentage".into(), json!(p));
        }
        if let Some(n) = self.max_concurrency {
            m.insert("maxConcurrency".into(), json!(n));
        }
        Value::Object(m)
    }
}

/// A `TestState` answer.
#[derive(Debug, Clone, PartialEq)]
pub struct TestStateResponse {
    /// JSON text.
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub inspection_data: Option<InspectionData>,
    pub next_state: Option<String>,
    pub status: TestStatus,
}

impl TestStateResponse {
    /// The wire shape (`TestStateOutput`), with AWS's member names.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(o) = &self.output {
            m.insert("output".into(), json!(o));
        }
        if let Some(e) = &self.error {
            m.insert("error".into(), json!(e));
        }
        if let Some(c) = &self.cause {
            m.insert("cause".into(), json!(c));
        }
        if let Some(d) = &self.inspection_data {
            m.insert("inspectionData".into(), d.to_json());
        }
        if let Some(n) = &self.next_state {
            m.insert("nextState".into(), json!(n));
        }
        m.insert("status".into(), json!(self.status.as_str()));
        Value::Object(m)
    }
}

/// Why a request cannot be tested (the API's error names).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TestStateError {
    #[error("InvalidDefinition: {0}")]
    InvalidDefinition(String),
    #[error("InvalidExecutionInput: {0}")]
    InvalidExecutionInput(String),
    #[error("ValidationException: {0}")]
    Validation(String),
}

/// Evaluates the state of `request` once. `now` is the test's clock (Context
/// object times, JSONata `$now()`), `seed` its randomness (generated names,
/// task tokens, `States.UUID`).
pub fn test_state(
    request: &TestStateRequest,
    now: Millis,
    seed: u64,
) -> Result<TestStateResponse, TestStateError> {
    let definition: Value = serde_json::from_str(&request.definition).map_err(|e| {
        TestStateError::InvalidDefinition(format!(
            "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: {e}'"
        ))
    })?;
    let (machine_json, state_name) = match &request.state_name {
        Some(name) => (definition, name.clone()),
        None => (wrap_state(&definition), WRAPPED_STATE_NAME.to_string()),
    };
    let diags = crate::validate(&machine_json);
    if diags.iter().any(crate::Diagnostic::is_error) {
        return Err(TestStateError::InvalidDefinition(
            asl_validate::aws_invalid_definition_message(&diags),
        ));
    }
    let machine = Machine::compile(machine_json).map_err(|e| {
        TestStateError::InvalidDefinition(format!(
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: {} at {}'",
            e.message, e.location
        ))
    })?;
    let (block, state) = find_state(&machine, &state_name).ok_or_else(|| {
        TestStateError::Validation(format!(
            "State '{state_name}' does not exist in the definition"
        ))
    })?;

    let input_text = request.input.as_deref().unwrap_or("{}");
    let input: Value = serde_json::from_str(input_text).map_err(|e| {
        TestStateError::InvalidExecutionInput(format!(
            "Invalid State Machine Execution Input: 'INVALID_JSON_DESCRIPTION: {e}'"
        ))
    })?;
    let vars = match request.variables.as_deref() {
        None => Map::new(),
        Some(t) => match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(m)) => m,
            _ => {
                return Err(TestStateError::Validation(
                    "The variables must be a JSON object".into(),
                ));
            }
        },
    };
    check_mock(request, &state.kind)?;
    let config = request.state_configuration.clone().unwrap_or_default();
    let mut rng = Rng::new(seed);
    let context = match request.context.as_deref() {
        Some(t) => serde_json::from_str::<Value>(t).map_err(|e| {
            TestStateError::Validation(format!("The context must be JSON text: {e}"))
        })?,
        None => generated_context(request, state, &input, &config, now, &mut rng),
    };
    let mut run = Run {
        state,
        raw: input,
        context,
        vars,
        rng,
        now,
        mock: request.mock.as_ref(),
        config,
        insp: InspectionData::default(),
    };
    let outcome = run.run();
    let debug = request.inspection_level != InspectionLevel::Info;
    let mut insp = std::mem::take(&mut run.insp);
    if !run.vars.is_empty() {
        insp.variables = Some(to_json_text(&Value::Object(run.vars.clone())));
    }
    let next_name = |id: usize| machine.block(block).states[id].name.to_string();
    let mut response = TestStateResponse {
        output: None,
        error: None,
        cause: None,
        inspection_data: debug.then_some(insp),
        next_state: None,
        status: TestStatus::Succeeded,
    };
    match outcome {
        Outcome::Done { output, next } => {
            response.output = Some(to_json_text(&output));
            response.next_state = next.map(next_name);
        }
        Outcome::Failed(f) => {
            response.status = TestStatus::Failed;
            response.error = f.error;
            response.cause = f.cause;
        }
        Outcome::Retriable(f) => {
            response.status = TestStatus::Retriable;
            response.error = f.error;
            response.cause = f.cause;
        }
        Outcome::Caught {
            failure,
            output,
            next,
        } => {
            response.status = TestStatus::CaughtError;
            response.error = failure.error;
            response.cause = failure.cause;
            response.output = Some(to_json_text(&output));
            response.next_state = Some(next_name(next));
        }
    }
    Ok(response)
}

/// `{"StartAt": "StateName", "States": {"StateName": state, <stubs>}}`: every
/// state the tested one transitions to becomes a stub `Succeed`, so the
/// wrapper validates and compiles.
pub fn wrap_state(state: &Value) -> Value {
    let mut targets: Vec<String> = Vec::new();
    let mut push = |v: Option<&Value>| {
        if let Some(s) = v.and_then(Value::as_str)
            && s != WRAPPED_STATE_NAME
            && !targets.iter().any(|t| t == s)
        {
            targets.push(s.to_string());
        }
    };
    push(state.get("Next"));
    push(state.get("Default"));
    for key in ["Choices", "Catch"] {
        if let Some(arr) = state.get(key).and_then(Value::as_array) {
            for item in arr {
                push(item.get("Next"));
            }
        }
    }
    let mut states = Map::new();
    states.insert(WRAPPED_STATE_NAME.into(), state.clone());
    for t in targets {
        states.insert(t, json!({"Type": "Succeed"}));
    }
    json!({"StartAt": WRAPPED_STATE_NAME, "States": states})
}

fn find_state<'m>(machine: &'m Machine, name: &str) -> Option<(BlockId, &'m State)> {
    // The top block first, so a top-level state wins over a nested namesake.
    let order = std::iter::once(machine.root)
        .chain((0..machine.blocks.len()).filter(|&b| b != machine.root));
    for b in order {
        let block = machine.block(b);
        if let Some(&id) = block.by_name.get(name) {
            return Some((b, &block.states[id]));
        }
    }
    None
}

fn needs_token(resource: &str) -> bool {
    resource.ends_with(".waitForTaskToken")
}

/// The request-level rules on `mock`, `revealSecrets` and `context`.
fn check_mock(request: &TestStateRequest, kind: &StateKind) -> Result<(), TestStateError> {
    let v = |m: &str| Err(TestStateError::Validation(m.to_string()));
    let mockable = matches!(
        kind,
        StateKind::Task(_) | StateKind::Map(_) | StateKind::Parallel(_)
    );
    match &request.mock {
        Some(mock) => {
            if request.reveal_secrets {
                return v("revealSecrets cannot be used together with a mock");
            }
            if !mockable {
                return v("A mock can only be provided for Task, Map and Parallel states");
            }
            match (&mock.result, &mock.error_output) {
                (Some(_), Some(_)) | (None, None) => {
                    return v("A mock must have exactly one of result and errorOutput");
                }
                (Some(r), None) if serde_json::from_str::<Value>(r).is_err() => {
                    return v("The mock result must be valid JSON");
                }
                _ => {}
            }
            if let Some(m) = &mock.field_validation_mode
                && !matches!(m.as_str(), "STRICT" | "PRESENT" | "NONE")
            {
                return v("fieldValidationMode must be one of STRICT, PRESENT, NONE");
            }
        }
        None => {
            if request.context.is_some() {
                return v("A context can only be provided together with a mock");
            }
            match kind {
                StateKind::Map(_) | StateKind::Parallel(_) => {
                    return v(
                        "A mock is required to test a Map or Parallel state (mock.result or mock.errorOutput)",
                    );
                }
                StateKind::Task(_) => {
                    return v(
                        "Baton's TestState does not call services: a Task state needs a mock (mock.result or mock.errorOutput)",
                    );
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The Context object AWS builds for a test: an Express-style execution of a
/// throw-away state machine, the state named `StateName`.
fn generated_context(
    request: &TestStateRequest,
    state: &State,
    input: &Value,
    config: &StateConfiguration,
    now: Millis,
    rng: &mut Rng,
) -> Value {
    let machine_name = format!("TestStateMachine-{}", rng.uuid());
    let exec_name = rng.uuid();
    let (region, account) = (&request.region, &request.account);
    let started = format_millis(now);
    let mut ctx = json!({
        "Execution": {
            "Id": format!("arn:aws:states:{region}:{account}:express:{machine_name}:{exec_name}"),
            "Input": input,
            "Name": exec_name,
            "RoleArn": request.role_arn,
            "StartTime": started,
        },
        "StateMachine": {
            "Id": format!("arn:aws:states:{region}:{account}:stateMachine:{machine_name}"),
            "Name": machine_name,
        },
        "State": {
            "Name": WRAPPED_STATE_NAME,
            "EnteredTime": started,
        },
    });
    if matches!(
        state.kind,
        StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
    ) {
        ctx["State"]["RetryCount"] = json!(config.retrier_retry_count.unwrap_or(0));
    }
    if let StateKind::Task(t) = &state.kind
        && needs_token(&t.resource)
    {
        let token = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
        ctx["Task"] = json!({ "Token": token });
    }
    ctx
}

/// How the state ended.
enum Outcome {
    Done {
        output: Value,
        next: Option<usize>,
    },
    Failed(Failure),
    Retriable(Failure),
    Caught {
        failure: Failure,
        output: Value,
        next: usize,
    },
}

struct MapVars<'a>(&'a Map<String, Value>);

impl asl_path::Variables for MapVars<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}

fn failure_of(e: ExprFailure) -> Failure {
    Failure::new(e.error, e.message)
}

fn text(v: &Value) -> Option<String> {
    Some(to_json_text(v))
}

/// One evaluation of one state.
struct Run<'a> {
    state: &'a State,
    /// The state's raw input.
    raw: Value,
    context: Value,
    vars: Map<String, Value>,
    rng: Rng,
    now: Millis,
    mock: Option<&'a MockInput>,
    config: StateConfiguration,
    insp: InspectionData,
}

type Step<T> = Result<T, Failure>;

impl Run<'_> {
    fn jsonata(&self) -> bool {
        self.state.query_language == QueryLanguage::Jsonata
    }

    fn next(&self) -> Option<usize> {
        match self.state.transition {
            Transition::Next(n) => Some(n),
            _ => None,
        }
    }

    /// Runs `f` with an environment whose `$` is `input` (JSONPath) and whose
    /// `$states` is `states` (JSONata).
    fn with_env<T>(
        &mut self,
        input: &Value,
        context: Option<&Value>,
        states: &Value,
        f: impl FnOnce(&mut Env<'_>) -> T,
    ) -> T {
        let mut rng = self.rng;
        let vars = MapVars(&self.vars);
        let mut random = || rng.next_u64();
        let mut env = Env {
            input,
            context: context.unwrap_or(&self.context),
            vars: &vars,
            random: &mut random,
            states,
            now: self.now,
        };
        let out = f(&mut env);
        self.rng = rng;
        out
    }

    /// `$states` = `{input, context, <extra>}`.
    fn states(&self, extra: Option<(&str, &Value)>) -> Value {
        let mut m = Map::new();
        m.insert("input".into(), self.raw.clone());
        m.insert("context".into(), self.context.clone());
        if let Some((k, v)) = extra {
            m.insert(k.into(), v.clone());
        }
        Value::Object(m)
    }

    fn eval_jsonpath(&mut self, t: &Template, input: &Value) -> Step<Value> {
        self.with_env(input, None, &Value::Null, |env| t.eval(env))
            .map_err(failure_of)
    }

    fn eval_jsonata(&mut self, t: &Template, extra: Option<(&str, &Value)>) -> Step<Value> {
        let states = self.states(extra);
        self.with_env(&Value::Null, None, &states, |env| t.eval(env))
            .map_err(failure_of)
    }

    fn path(&mut self, p: &PathExpr, input: &Value) -> Step<Value> {
        self.with_env(input, None, &Value::Null, |env| expr::eval_path(p, env))
            .map_err(|e| failure_of(e.into_runtime_failure()))
    }

    /// InputPath/OutputPath: absent → the value, `null` → `{}`.
    fn apply_path(&mut self, p: Option<&Option<PathExpr>>, v: Value) -> Step<Value> {
        match p {
            None => Ok(v),
            Some(None) => Ok(json!({})),
            Some(Some(p)) => self.path(p, &v),
        }
    }

    fn assign_jsonpath(&mut self, t: Option<&Template>, input: &Value) -> Step<()> {
        if let Some(t) = t {
            let m = self
                .with_env(input, None, &Value::Null, |env| t.eval_assign(env))
                .map_err(failure_of)?;
            self.vars.extend(m);
        }
        Ok(())
    }

    /// JSONata `Assign` and `Output` over the same `$states`; without
    /// `Output` the state passes on `default`.
    fn exit_jsonata(
        &mut self,
        output: Option<&Template>,
        assign: Option<&Template>,
        extra: Option<(&str, &Value)>,
        default: Value,
    ) -> Step<Value> {
        let states = self.states(extra);
        let (out, assigned) = self
            .with_env(&Value::Null, None, &states, |env| {
                crate::template::eval_output_and_assign(output, assign, default, env)
            })
            .map_err(failure_of)?;
        if let Some(m) = assigned {
            self.vars.extend(m);
        }
        Ok(out)
    }

    fn run(&mut self) -> Outcome {
        self.insp.input = text(&self.raw);
        let state = self.state;
        let r = match &state.kind {
            StateKind::Pass(_) | StateKind::Succeed | StateKind::Wait(_) | StateKind::Choice(_) => {
                self.flow_simple()
                    .map(|(output, next)| Outcome::Done { output, next })
            }
            StateKind::Fail(f) => Err(self.fail_state(f.error.as_ref(), f.cause.as_ref())),
            StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => {
                return match self.flow_work() {
                    Ok((output, next)) => Outcome::Done { output, next },
                    Err(f) => self.handle_failure(f),
                };
            }
        };
        r.unwrap_or_else(Outcome::Failed)
    }

    /// Pass, Succeed, Wait and Choice.
    fn flow_simple(&mut self) -> Step<(Value, Option<usize>)> {
        let state = self.state;
        if self.jsonata() {
            return self.flow_simple_jsonata();
        }
        let raw = self.raw.clone();
        match &state.kind {
            StateKind::Pass(pass) => {
                let result = match &pass.result {
                    Some(r) => {
                        self.insp.result = text(r);
                        r.clone()
                    }
                    None => {
                        let eff = self.apply_path(state.input_path.as_ref(), raw.clone())?;
                        self.insp.after_input_path = text(&eff);
                        let r = match &pass.parameters {
                            Some(t) => self.eval_jsonpath(t, &eff)?,
                            None => eff,
                        };
                        self.insp.after_parameters = text(&r);
                        r
                    }
                };
                self.insp.after_result_selector = text(&result);
                self.assign_jsonpath(state.assign.as_ref(), &result)?;
                let combined = apply_result_path(&pass.result_path, &raw, result)
                    .map_err(|m| Failure::new(names::RESULT_PATH_MATCH_FAILURE, m))?;
                self.insp.after_result_path = text(&combined);
                let out = self.apply_path(state.output_path.as_ref(), combined)?;
                Ok((out, self.next()))
            }
            StateKind::Choice(c) => {
                let eff = self.apply_path(state.input_path.as_ref(), raw)?;
                self.insp.after_input_path = text(&eff);
                let mut chosen = None;
                for rule in &c.choices {
                    let hit = self
                        .with_env(&eff, None, &Value::Null, |env| {
                            choice::evaluate(&rule.condition, env)
                        })
                        .map_err(failure_of)?;
                    if hit {
                        chosen = Some((rule.next, rule.assign.as_ref()));
                        break;
                    }
                }
                let (next, assign) = match (chosen, c.default) {
                    (Some(c), _) => c,
                    (None, Some(d)) => (d, state.assign.as_ref()),
                    (None, None) => {
                        return Err(Failure::new(names::NO_CHOICE_MATCHED, "No Matches!"));
                    }
                };
                self.assign_jsonpath(assign, &eff)?;
                let out = self.apply_path(state.output_path.as_ref(), eff)?;
                Ok((out, Some(next)))
            }
            StateKind::Wait(w) => {
                let eff = self.apply_path(state.input_path.as_ref(), raw)?;
                self.insp.after_input_path = text(&eff);
                self.check_wait(w, &eff)?;
                self.assign_jsonpath(state.assign.as_ref(), &eff)?;
                let out = self.apply_path(state.output_path.as_ref(), eff)?;
                Ok((out, self.next()))
            }
            _ => {
                // Succeed.
                let eff = self.apply_path(state.input_path.as_ref(), raw)?;
                self.insp.after_input_path = text(&eff);
                let out = self.apply_path(state.output_path.as_ref(), eff)?;
                Ok((out, None))
            }
        }
    }

    fn flow_simple_jsonata(&mut self) -> Step<(Value, Option<usize>)> {
        let state = self.state;
        let raw = self.raw.clone();
        match &state.kind {
            StateKind::Choice(c) => {
                for rule in &c.choices {
                    let Condition::Jsonata(cond) = &rule.condition else {
                        continue;
                    };
                    let v = self.eval_jsonata(cond, None)?;
                    let hit = match v {
                        Value::Bool(b) => b,
                        other => {
                            let field = match cond {
                                Template::Jsonata { field, .. } => field.clone(),
                                _ => "Condition".into(),
                            };
                            return Err(Failure::new(
                                names::QUERY_EVALUATION_ERROR,
                                format!(
                                    "The JSONata expression specified for the field '{field}' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {}",
                                    expr::jsonata_type_name(&other),
                                    to_json_text(&other)
                                ),
                            ));
                        }
                    };
                    if hit {
                        let out = self.exit_jsonata(
                            rule.output.as_ref(),
                            rule.assign.as_ref(),
                            None,
                            raw,
                        )?;
                        return Ok((out, Some(rule.next)));
                    }
                }
                match c.default {
                    Some(d) => {
                        let out = self.exit_jsonata(
                            state.output.as_ref(),
                            state.assign.as_ref(),
                            None,
                            raw,
                        )?;
                        Ok((out, Some(d)))
                    }
                    None => Err(Failure::new(names::NO_CHOICE_MATCHED, "No Matches!")),
                }
            }
            StateKind::Wait(w) => {
                self.check_wait(w, &raw)?;
                let out =
                    self.exit_jsonata(state.output.as_ref(), state.assign.as_ref(), None, raw)?;
                Ok((out, self.next()))
            }
            StateKind::Succeed => {
                let out =
                    self.exit_jsonata(state.output.as_ref(), state.assign.as_ref(), None, raw)?;
                Ok((out, None))
            }
            _ => {
                let out =
                    self.exit_jsonata(state.output.as_ref(), state.assign.as_ref(), None, raw)?;
                Ok((out, self.next()))
            }
        }
    }

    /// A Wait does not wait here, but its duration must still evaluate.
    fn check_wait(&mut self, w: &Wait, eff: &Value) -> Step<()> {
        let positive = |v: &Value| v.as_u64().is_some() || v.as_f64().is_some_and(|f| f >= 0.0);
        match w {
            Wait::Seconds(_) | Wait::Timestamp(_) => Ok(()),
            Wait::SecondsPath(p, t) => {
                let v = self.path(p, eff)?;
                if positive(&v) {
                    Ok(())
                } else {
                    Err(Failure::new(
                        names::RUNTIME,
                        format!(
                            "The SecondsPath parameter does not reference a positive integer: {t}"
                        ),
                    ))
                }
            }
            Wait::TimestampPath(p, t) => {
                let v = self.path(p, eff)?;
                match v.as_str().and_then(crate::time::parse_timestamp_nanos) {
                    Some(_) => Ok(()),
                    None => Err(Failure::new(
                        names::RUNTIME,
                        format!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {t}"
                        ),
                    )),
                }
            }
            Wait::JsonataSeconds(t) => {
                let v = self.eval_jsonata(t, None)?;
                if positive(&v) {
                    Ok(())
                } else {
                    Err(Failure::new(
                        names::QUERY_EVALUATION_ERROR,
                        format!(
                            "The Seconds field must be a positive integer but was: {}",
                            to_json_text(&v)
                        ),
                    ))
                }
            }
            Wait::JsonataTimestamp(t) => {
                let v = self.eval_jsonata(t, None)?;
                match v.as_str().and_then(crate::time::parse_timestamp_nanos) {
                    Some(_) => Ok(()),
                    None => Err(Failure::new(
                        names::QUERY_EVALUATION_ERROR,
                        format!(
                            "The Timestamp field must be a valid ISO-8601 timestamp but was: {}",
                            to_json_text(&v)
                        ),
                    )),
                }
            }
        }
    }

    fn fail_state(&mut self, error: Option<&ErrorText>, cause: Option<&ErrorText>) -> Failure {
        let raw = self.raw.clone();
        if !self.jsonata() {
            self.insp.after_input_path = text(&raw);
        }
        let mut one = |t: Option<&ErrorText>, field: &str| -> Step<Option<String>> {
            Ok(match t {
                None => None,
                Some(ErrorText::Literal(s)) => Some(s.clone()),
                Some(ErrorText::Path(p, ptext)) => match self.path(p, &raw) {
                    Ok(Value::String(s)) => Some(s),
                    Ok(other) => Some(to_json_text(&other)),
                    Err(_) => {
                        return Err(Failure::new(
                            names::RUNTIME,
                            format!(
                                "The JSONPath '{ptext}' specified for the field '{field}' could not be found in the input '{}'",
                                to_json_text(&raw)
                            ),
                        ));
                    }
                },
                Some(ErrorText::Jsonata(t)) => match self.eval_jsonata(t, None)? {
                    Value::String(s) => Some(s),
                    other => Some(to_json_text(&other)),
                },
            })
        };
        let error = match one(error, "ErrorPath") {
            Ok(e) => e,
            Err(f) => return f,
        };
        let cause = match one(cause, "CausePath") {
            Ok(c) => c,
            Err(f) => return f,
        };
        Failure { error, cause }
    }

    /// The mocked outcome: the result (parsed) or the mocked error.
    fn mocked(&self) -> Step<Value> {
        let Some(mock) = self.mock else {
            return Err(Failure::new(names::RUNTIME, "No mock was provided"));
        };
        if let Some(e) = &mock.error_output {
            return Err(Failure {
                error: e.error.clone(),
                cause: e.cause.clone(),
            });
        }
        let text = mock.result.as_deref().unwrap_or("null");
        serde_json::from_str(text).map_err(|e| Failure::new(names::RUNTIME, e.to_string()))
    }

    /// Task, Parallel and Map up to their result's exit; a failure goes to
    /// [`Self::handle_failure`].
    fn flow_work(&mut self) -> Step<(Value, Option<usize>)> {
        let state = self.state;
        let jsonata = self.jsonata();
        let raw = self.raw.clone();
        let (result, selector, result_path) = match &state.kind {
            StateKind::Task(task) => {
                if jsonata {
                    if let Some(t) = &task.parameters {
                        let args = self.eval_jsonata(t, None)?;
                        self.insp.after_arguments = text(&args);
                    }
                } else {
                    let eff = self.apply_path(state.input_path.as_ref(), raw.clone())?;
                    self.insp.after_input_path = text(&eff);
                    let params = match &task.parameters {
                        Some(t) => self.eval_jsonpath(t, &eff)?,
                        None => eff,
                    };
                    self.insp.after_parameters = text(&params);
                }
                let result = self.mocked()?;
                self.insp.result = text(&result);
                (result, task.result_selector.as_ref(), &task.result_path)
            }
            StateKind::Parallel(p) => {
                if jsonata {
                    if let Some(t) = &p.parameters {
                        self.eval_jsonata(t, None)?;
                    }
                } else {
                    let eff = self.apply_path(state.input_path.as_ref(), raw.clone())?;
                    if let Some(t) = &p.parameters {
                        self.eval_jsonpath(t, &eff)?;
                    }
                }
                let result = self.mocked()?;
                (result, p.result_selector.as_ref(), &p.result_path)
            }
            StateKind::Map(m) => {
                let items = self.map_items(m)?;
                let result = self.mocked()?;
                self.check_tolerance(items.len())?;
                (result, m.result_selector.as_ref(), &m.result_path)
            }
            _ => unreachable!("flow_work runs Task, Parallel and Map only"),
        };
        if jsonata {
            let out = self.exit_jsonata(
                state.output.as_ref(),
                state.assign.as_ref(),
                Some(("result", &result)),
                result.clone(),
            )?;
            return Ok((out, self.next()));
        }
        let selected = match selector {
            Some(t) => self.eval_jsonpath(t, &result)?,
            None => result.clone(),
        };
        self.insp.after_result_selector = text(&selected);
        self.assign_jsonpath(state.assign.as_ref(), &result)?;
        let combined = apply_result_path(result_path, &raw, selected)
            .map_err(|m| Failure::new(names::RESULT_PATH_MATCH_FAILURE, m))?;
        self.insp.after_result_path = text(&combined);
        let out = self.apply_path(state.output_path.as_ref(), combined)?;
        Ok((out, self.next()))
    }

    /// A Map's items, item selector and numbers (reported as inspection data).
    fn map_items(&mut self, m: &crate::model::MapState) -> Step<Vec<Value>> {
        let state = self.state;
        let jsonata = self.jsonata();
        let raw = self.raw.clone();
        let (items, eff) = if jsonata {
            let v = match &m.items {
                Some(t) => self.eval_jsonata(t, None)?,
                None => raw.clone(),
            };
            match v {
                Value::Array(a) => (a, raw),
                other => {
                    let src = match &m.items {
                        Some(Template::Jsonata { expr, .. }) => expr.source().trim().to_string(),
                        _ => to_json_text(&other),
                    };
                    return Err(Failure::new(
                        names::QUERY_EVALUATION_ERROR,
                        format!(
                            "The JSONata expression '{src}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{}' for value: {}",
                            expr::jsonata_type_name(&other),
                            to_json_text(&other)
                        ),
                    ));
                }
            }
        } else {
            let eff = self.apply_path(state.input_path.as_ref(), raw)?;
            self.insp.after_input_path = text(&eff);
            let (v, path_text) = match &m.items_path {
                Some((p, t)) => (self.path(p, &eff)?, Some(t.as_str())),
                None => (eff.clone(), None),
            };
            match v {
                Value::Array(a) => {
                    if path_text.is_some() {
                        self.insp.after_items_path = text(&Value::Array(a.clone()));
                    }
                    (a, eff)
                }
                _ => {
                    let shown = path_text.unwrap_or("$");
                    let shown = shown
                        .strip_prefix('$')
                        .filter(|s| s.starts_with('$'))
                        .unwrap_or(shown);
                    return Err(Failure::new(
                        names::RUNTIME,
                        format!("Reference path \"{shown}\" must point to array."),
                    ));
                }
            }
        };
        if let Some(t) = &m.item_selector {
            let mut selected = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let mut ctx = self.context.clone();
                if let Value::Object(o) = &mut ctx {
                    o.insert("Map".into(), json!({"Item": {"Index": i, "Value": item}}));
                }
                let v = if jsonata {
                    let mut states = self.states(None);
                    states["context"] = ctx;
                    self.with_env(&Value::Null, None, &states, |env| t.eval(env))
                } else {
                    self.with_env(&eff, Some(&ctx), &Value::Null, |env| t.eval(env))
                }
                .map_err(failure_of)?;
                selected.push(v);
            }
            if !jsonata {
                self.insp.after_item_selector = text(&Value::Array(selected));
            }
        }
        let max = self.map_number(m.max_concurrency.as_ref(), "MaxConcurrency", &eff)?;
        self.insp.max_concurrency = Some(max.map(|v| v.max(0.0) as u64).unwrap_or(0));
        if let Some(c) = self.map_number(
            m.tolerated_failure_count.as_ref(),
            "ToleratedFailureCount",
            &eff,
        )? {
            self.insp.tolerated_failure_count = Some(c.max(0.0) as u64);
        }
        if let Some(p) = self.map_number(
            m.tolerated_failure_percentage.as_ref(),
            "ToleratedFailurePercentage",
            &eff,
        )? {
            self.insp.tolerated_failure_percentage = Some(p);
        }
        Ok(items)
    }

    fn map_number(&mut self, n: Option<&Number>, field: &str, eff: &Value) -> Step<Option<f64>> {
        match n {
            None => Ok(None),
            Some(Number::Literal(v)) => Ok(Some(*v)),
            Some(Number::Path(p, t)) => {
                let v = self.path(p, eff)?;
                v.as_f64().map(Some).ok_or_else(|| {
                    Failure::new(
                        names::RUNTIME,
                        format!(
                            "The {field}Path field refers to value \"{}\" which is not a valid number: {t}",
                            to_json_text(&v)
                        ),
                    )
                })
            }
            Some(Number::Jsonata(t)) => {
                let v = self.eval_jsonata(t, None)?;
                v.as_f64().map(Some).ok_or_else(|| {
                    Failure::new(
                        names::QUERY_EVALUATION_ERROR,
                        format!(
                            "The {field} field must be a number but was: {}",
                            to_json_text(&v)
                        ),
                    )
                })
            }
        }
    }

    /// `mapIterationFailureCount` against the declared tolerance.
    fn check_tolerance(&self, items: usize) -> Step<()> {
        let failed = self.config.map_iteration_failure_count.unwrap_or(0);
        let over_count = self
            .insp
            .tolerated_failure_count
            .is_some_and(|c| failed > c);
        let over_pct = self
            .insp
            .tolerated_failure_percentage
            .is_some_and(|p| items > 0 && (failed as f64) * 100.0 / (items as f64) > p);
        if over_count || over_pct {
            return Err(Failure::new(
                names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                "The specified tolerated failure threshold was exceeded",
            ));
        }
        Ok(())
    }

    /// Retry (once, with `retrierRetryCount` attempts already used), then
    /// Catch, then fail.
    fn handle_failure(&mut self, failure: Failure) -> Outcome {
        let state = self.state;
        let (retriers, catchers): (&[Retrier], &[Catcher]) = match &state.kind {
            StateKind::Task(t) => (&t.retry, &t.catch),
            StateKind::Parallel(p) => (&p.retry, &p.catch),
            StateKind::Map(m) => (&m.retry, &m.catch),
            _ => (&[], &[]),
        };
        if let Some(i) = retriers
            .iter()
            .position(|r| failure.matches(&r.error_equals))
        {
            let r = &retriers[i];
            let details = self.insp.error_details.get_or_insert_with(Default::default);
            details.retry_index = Some(i as u64);
            let used = self.config.retrier_retry_count.unwrap_or(0);
            if used < r.max_attempts {
                let mut delay = r.interval_seconds * r.backoff_rate.powi(used as i32);
                if let Some(max) = r.max_delay_seconds {
                    delay = delay.min(max);
                }
                details.retry_backoff_interval_seconds = Some(delay.round().max(0.0) as u64);
                return Outcome::Retriable(failure);
            }
        }
        let Some(j) = catchers
            .iter()
            .position(|c| failure.matches(&c.error_equals))
        else {
            return Outcome::Failed(failure);
        };
        let catcher = &catchers[j];
        self.insp
            .error_details
            .get_or_insert_with(Default::default)
            .catch_index = Some(j as u64);
        let error_output = failure.error_output();
        let output = if self.jsonata() {
            self.exit_jsonata(
                catcher.output.as_ref(),
                catcher.assign.as_ref(),
                Some(("errorOutput", &error_output)),
                error_output.clone(),
            )
        } else {
            self.assign_jsonpath(catcher.assign.as_ref(), &error_output)
                .and_then(|()| {
                    apply_result_path(&catcher.result_path, &self.raw, error_output)
                        .map_err(|m| Failure::new(names::RESULT_PATH_MATCH_FAILURE, m))
                })
        };
        match output {
            Ok(output) => Outcome::Caught {
                failure,
                output,
                next: catcher.next,
            },
            Err(f) => Outcome::Failed(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(state: Value, input: Value, mock: Option<Value>) -> TestStateResponse {
        run_with(state, input, mock, |_| {})
    }

    fn run_with(
        state: Value,
        input: Value,
        mock: Option<Value>,
        tweak: impl FnOnce(&mut TestStateRequest),
    ) -> TestStateResponse {
        let mut req = TestStateRequest {
            definition: state.to_string(),
            input: Some(input.to_string()),
            inspection_level: InspectionLevel::Debug,
            mock: mock.map(|m| MockInput {
                result: m.get("result").map(|r| r.to_string()),
                error_output: m.get("errorOutput").map(|e| MockError {
                    error: e["error"].as_str().map(str::to_string),
                    cause: e["cause"].as_str().map(str::to_string),
                }),
                field_validation_mode: None,
            }),
            ..TestStateRequest::default()
        };
        tweak(&mut req);
        test_state(&req, 1_700_000_000_000, 1).expect("request accepted")
    }

    fn out(r: &TestStateResponse) -> Value {
        serde_json::from_str(r.output.as_deref().expect("output")).unwrap()
    }

    fn insp(r: &TestStateResponse) -> Value {
        r.inspection_data
            .as_ref()
            .expect("inspection data")
            .to_json()
    }

    #[test]
    fn pass_runs_the_jsonpath_data_flow() {
        let r = run(
            json!({"Type": "Pass", "InputPath": "$.a", "Parameters": {"x.$": "$.b"},
                   "ResultPath": "$.r", "OutputPath": "$.r", "Next": "N"}),
            json!({"a": {"b": 1}}),
            None,
        );
        assert_eq!(r.status, TestStatus::Succeeded);
        assert_eq!(out(&r), json!({"x": 1}));
        assert_eq!(r.next_state.as_deref(), Some("N"));
        let i = insp(&r);
        assert_eq!(i["afterInputPath"], "{\"b\":1}");
        assert_eq!(i["afterParameters"], "{\"x\":1}");
        assert_eq!(i["afterResultPath"], "{\"a\":{\"b\":1},\"r\":{\"x\":1}}");
    }

    #[test]
    fn pass_with_result_reports_the_result_only() {
        let r = run(
            json!({"Type": "Pass", "Result": 5, "End": true}),
            json!({}),
            None,
        );
        let i = insp(&r);
        assert_eq!(i["result"], "5");
        assert!(i.get("afterInputPath").is_none());
        assert!(r.next_state.is_none());
    }

    #[test]
    fn info_level_has_no_inspection_data() {
        let r = run_with(json!({"Type": "Succeed"}), json!({"a": 1}), None, |q| {
            q.inspection_level = InspectionLevel::Info
        });
        assert!(r.inspection_data.is_none());
        assert_eq!(out(&r), json!({"a": 1}));
    }

    #[test]
    fn choice_picks_the_next_state_or_fails() {
        let choice = json!({"Type": "Choice", "Choices": [
            {"Variable": "$.v", "NumericGreaterThan": 1, "Next": "Big"}]});
        let r = run(choice.clone(), json!({"v": 2}), None);
        assert_eq!(r.next_state.as_deref(), Some("Big"));
        let r = run(choice, json!({"v": 0}), None);
        assert_eq!(r.status, TestStatus::Failed);
        assert_eq!(r.error.as_deref(), Some("States.NoChoiceMatched"));
    }

    #[test]
    fn wait_does_not_wait() {
        let r = run(
            json!({"Type": "Wait", "Seconds": 100, "Next": "W2"}),
            json!({"a": 1}),
            None,
        );
        assert_eq!(r.status, TestStatus::Succeeded);
        assert_eq!(r.next_state.as_deref(), Some("W2"));
        let r = run(
            json!({"Type": "Wait", "SecondsPath": "$.s", "End": true}),
            json!({}),
            None,
        );
        assert_eq!(r.status, TestStatus::Failed);
        assert_eq!(r.error.as_deref(), Some("States.Runtime"));
    }

    #[test]
    fn fail_reports_its_error_and_cause() {
        let r = run(
            json!({"Type": "Fail", "Error": "E", "CausePath": "$.c"}),
            json!({"c": "why"}),
            None,
        );
        assert_eq!(r.status, TestStatus::Failed);
        assert_eq!(
            (r.error.as_deref(), r.cause.as_deref()),
            (Some("E"), Some("why"))
        );
        assert!(r.output.is_none());
    }

    #[test]
    fn task_uses_the_mocked_result() {
        let r = run(
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "ResultSelector": {"p.$": "$.Payload"}, "ResultPath": "$.out", "End": true}),
            json!({"in": 1}),
            Some(json!({"result": {"Payload": 7}})),
        );
        assert_eq!(out(&r), json!({"in": 1, "out": {"p": 7}}));
        assert_eq!(insp(&r)["result"], "{\"Payload\":7}");
    }

    #[test]
    fn task_errors_are_retriable_while_attempts_remain() {
        let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Retry": [{"ErrorEquals": ["Other"]}, {"ErrorEquals": ["Boom"], "MaxAttempts": 3,
                       "IntervalSeconds": 2, "BackoffRate": 3.0}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "H"}],
            "End": true});
        let mock = json!({"errorOutput": {"error": "Boom", "cause": "c"}});
        let r = run_with(task.clone(), json!({}), Some(mock.clone()), |q| {
            q.state_configuration = Some(StateConfiguration {
                retrier_retry_count: Some(2),
                ..Default::default()
            })
        });
        assert_eq!(r.status, TestStatus::Retriable);
        assert_eq!(
            insp(&r)["errorDetails"],
            json!({"retryIndex": 1, "retryBackoffIntervalSeconds": 18})
        );
        // Attempts used up: the catcher takes it.
        let r = run_with(task, json!({"k": 1}), Some(mock), |q| {
            q.state_configuration = Some(StateConfiguration {
                retrier_retry_count: Some(3),
                ..Default::default()
            })
        });
        assert_eq!(r.status, TestStatus::CaughtError);
        assert_eq!(r.next_state.as_deref(), Some("H"));
        assert_eq!(
            out(&r),
            json!({"k": 1, "err": {"Error": "Boom", "Cause": "c"}})
        );
        assert_eq!(
            insp(&r)["errorDetails"],
            json!({"catchIndex": 0, "retryIndex": 1})
        );
    }

    #[test]
    fn uncaught_task_errors_fail() {
        let r = run(
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}),
            json!({}),
            Some(json!({"errorOutput": {"error": "Boom", "cause": "c"}})),
        );
        assert_eq!(r.status, TestStatus::Failed);
        assert_eq!(r.error.as_deref(), Some("Boom"));
    }

    #[test]
    fn jsonata_task_reports_arguments_and_outputs() {
        let r = run(
            json!({"QueryLanguage": "JSONata", "Type": "Task",
                   "Resource": "arn:aws:states:::lambda:invoke",
                   "Arguments": {"x": "{% $states.input.a %}"},
                   "Output": "{% $states.result.v + 1 %}", "End": true}),
            json!({"a": 3}),
            Some(json!({"result": {"v": 1}})),
        );
        assert_eq!(out(&r), json!(2));
        assert_eq!(insp(&r)["afterArguments"], "{\"x\":3}");
    }

    #[test]
    fn parallel_uses_the_mock() {
        let r = run(
            json!({"Type": "Parallel", "ResultPath": "$.r", "End": true, "Branches": [
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]}),
            json!({"a": 1}),
            Some(json!({"result": [1]})),
        );
        assert_eq!(out(&r), json!({"a": 1, "r": [1]}));
        assert!(insp(&r).get("afterInputPath").is_none());
    }

    #[test]
    fn map_checks_items_and_tolerance() {
        let map = json!({"Type": "Map", "ItemsPath": "$.xs", "ToleratedFailureCount": 1,
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
            "End": true});
        let r = run(
            map.clone(),
            json!({"xs": [1, 2, 3]}),
            Some(json!({"result": [1, 2, 3]})),
        );
        assert_eq!(r.status, TestStatus::Succeeded);
        let i = insp(&r);
        assert_eq!(i["afterItemsPath"], "[1,2,3]");
        assert_eq!(i["maxConcurrency"], 0);
        assert_eq!(i["toleratedFailureCount"], 1);
        let r = run_with(
            map.clone(),
            json!({"xs": [1, 2, 3]}),
            Some(json!({"result": []})),
            |q| {
                q.state_configuration = Some(StateConfiguration {
                    map_iteration_failure_count: Some(2),
                    ..Default::default()
                })
            },
        );
        assert_eq!(r.status, TestStatus::Failed);
        assert_eq!(
            r.error.as_deref(),
            Some("States.ExceedToleratedFailureThreshold")
        );
        let r = run(map, json!({"xs": 1}), Some(json!({"result": []})));
        assert_eq!(
            r.cause.as_deref(),
            Some("Reference path \"$.xs\" must point to array.")
        );
    }

    #[test]
    fn state_name_picks_a_state_of_a_machine() {
        let machine = json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Result": 1, "Next": "B"},
            "B": {"Type": "Pass", "Assign": {"v.$": "$.x"}, "End": true}}});
        let r = run_with(machine, json!({"x": 9}), None, |q| {
            q.state_name = Some("B".into());
            q.variables = Some("{\"w\": 1}".into());
        });
        assert_eq!(out(&r), json!({"x": 9}));
        assert_eq!(insp(&r)["variables"], "{\"w\":1,\"v\":9}");
    }

    #[test]
    fn bad_requests_are_refused() {
        let req = |def: Value| TestStateRequest {
            definition: def.to_string(),
            ..TestStateRequest::default()
        };
        let task =
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true});
        assert!(matches!(
            test_state(&req(json!({"Type": "Nope"})), 0, 0),
            Err(TestStateError::InvalidDefinition(_))
        ));
        assert!(matches!(
            test_state(&req(task.clone()), 0, 0),
            Err(TestStateError::Validation(_))
        ));
        let mut with_mock = req(task);
        with_mock.mock = Some(MockInput {
            result: Some("{}".into()),
            ..Default::default()
        });
        with_mock.reveal_secrets = true;
        assert!(matches!(
            test_state(&with_mock, 0, 0),
            Err(TestStateError::Validation(_))
        ));
        let mut bad_input = req(json!({"Type": "Succeed"}));
        bad_input.input = Some("{".into());
        assert!(matches!(
            test_state(&bad_input, 0, 0),
            Err(TestStateError::InvalidExecutionInput(_))
        ));
    }
}
