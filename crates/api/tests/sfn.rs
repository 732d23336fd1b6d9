//! Handler-level tests: requests through the router (no sockets) over an
//! in-memory store, checking AWS's wire shapes and error wording.

use std::sync::Arc;
use std::time::Duration;

use api::{ApiConfig, AppState, router};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use engine::durable::{Engine, EngineConfig, NoIntegrations};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const ROLE: &str = "arn:aws:iam::123456789012:role/r";
const PASS: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
const WAIT: &str = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1000,"End":true}}}"#;

async fn app() -> Router {
    let store: Arc<dyn store::Store> = Arc::new(store::MemoryStore::new());
    let engine = Engine::open(store, EngineConfig::default(), Arc::new(NoIntegrations))
        .await
        .unwrap();
    let mut config = ApiConfig::for_engine(&engine);
    config.activity_poll = Duration::from_millis(200);
    router(AppState::new(engine, config))
}

/// Sends raw bytes with a target; returns status and JSON body.
async fn raw(app: &Router, target: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
    let mut req = Request::post("/").header("content-type", "application/x-amz-json-1.0");
    if let Some(t) = target {
        req = req.header("x-amz-target", t);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    assert!(
        resp.headers().contains_key("x-amzn-requestid"),
        "no request id"
    );
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, value)
}

async fn call(app: &Router, op: &str, body: Value) -> (StatusCode, Value) {
    raw(
        app,
        Some(&format!("AWSStepFunctions.{op}")),
        body.to_string().into_bytes(),
    )
    .await
}

/// Calls an operation that must succeed.
async fn ok(app: &Router, op: &str, body: Value) -> Value {
    let (status, v) = call(app, op, body).await;
    assert_eq!(status, StatusCode::OK, "{op}: {v}");
    v
}

/// Calls an operation that must fail; returns (error name, message).
async fn err(app: &Router, op: &str, body: Value) -> (String, String) {
    let (status, v) = call(app, op, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{op}: {v}");
    let t = v["__type"].as_str().unwrap();
    let name = t.rsplit('#').next().unwrap().to_string();
    (name, v["message"].as_str().unwrap_or_default().to_string())
}

async fn create(app: &Router, name: &str, definition: &str) -> String {
    let v = ok(
        app,
        "CreateStateMachine",
        json!({"name": name, "definition": definition, "roleArn": ROLE}),
    )
    .await;
    v["stateMachineArn"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn malformed_json_is_a_serialization_exception() {
    let app = app().await;
    let (status, v) = raw(
        &app,
        Some("AWSStepFunctions.ListStateMachines"),
        b"{not json".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["__type"],
        "com.amazon.coral.service#SerializationException"
    );
    let (status, v) = raw(
        &app,
        Some("AWSStepFunctions.ListStateMachines"),
        b"[1]".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["__type"],
        "com.amazon.coral.service#SerializationException"
    );
    // An empty body reads as `{}`.
    let (status, _) = raw(&app, Some("AWSStepFunctions.ListStateMachines"), Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_targets_are_unknown_operations() {
    let app = app().await;
    for target in [
        Some("AWSStepFunctions.Frobnicate"),
        Some("Other.ListThings"),
        None,
    ] {
        let (status, v) = raw(&app, target, b"{}".to_vec()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            v["__type"],
            "com.amazon.coral.service#UnknownOperationException"
        );
    }
}

/// DescribeMapRun, ListMapRuns, ListExecutions(mapRunArn) and UpdateMapRun
/// on a Distributed Map that has finished, and their errors.
#[tokio::test]
async fn map_runs_are_described_listed_and_guarded() {
    let app = app().await;
    let sm = create(
        &app,
        "fan",
        r#"{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Each","End":true,"ToleratedFailurePercentage":10,
            "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
              "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}"#,
    )
    .await;
    let started = ok(
        &app,
        "StartExecution",
        json!({"stateMachineArn": sm, "input": "[1,2,3]"}),
    )
    .await;
    let exec = started["executionArn"].as_str().unwrap();
    wait_closed(&app, exec).await;
    let runs = ok(&app, "ListMapRuns", json!({"executionArn": exec})).await;
    assert_eq!(runs["mapRuns"].as_array().unwrap().len(), 1);
    let run = &runs["mapRuns"][0];
    let run_arn = run["mapRunArn"].as_str().unwrap();
    assert!(run_arn.contains(":mapRun:fan/Each:"), "{run_arn}");
    assert_eq!(run["stateMachineArn"], format!("{sm}/Each"));
    let d = ok(&app, "DescribeMapRun", json!({"mapRunArn": run_arn})).await;
    assert_eq!(d["executionArn"], exec);
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["toleratedFailurePercentage"], 10.0);
    assert_eq!(d["maxConcurrency"], 0);
    assert_eq!(d["itemCounts"]["total"], 3);
    assert_eq!(d["itemCounts"]["succeeded"], 3);
    assert_eq!(d["executionCounts"]["succeeded"], 3);
    assert!(d["stopDate"].is_number());
    let children = ok(
        &app,
        "ListExecutions",
        json!({"mapRunArn": run_arn, "maxResults": 2}),
    )
    .await;
    let page = children["executions"].as_array().unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["mapRunArn"], run_arn);
    assert_eq!(page[0]["status"], "SUCCEEDED");
    assert!(
        page[0]["executionArn"]
            .as_str()
            .unwrap()
            .contains(":execution:fan/Each:")
    );
    let rest = ok(
        &app,
        "ListExecutions",
        json!({"mapRunArn": run_arn, "nextToken": children["nextToken"]}),
    )
    .await;
    assert_eq!(rest["executions"].as_array().unwrap().len(), 1);
    assert!(rest.get("nextToken").is_none());

    // Each child is an execution of its own: described, with a history,
    // run by the Map's ItemProcessor, redriven only through its parent.
    let child = page[0]["executionArn"].as_str().unwrap();
    let d = ok(&app, "DescribeExecution", json!({"executionArn": child})).await;
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["mapRunArn"], run_arn);
    assert_eq!(d["stateMachineArn"], format!("{sm}/Each"));
    assert_eq!(d["input"], d["output"], "a Pass child returns its item");
    let history = ok(&app, "GetExecutionHistory", json!({"executionArn": child})).await;
    let types: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let parent_history = ok(&app, "GetExecutionHistory", json!({"executionArn": exec})).await;
    assert!(
        parent_history["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"] != "PassStateEntered"),
        "child events stay out of the parent's history"
    );
    // mapRunArn and label "are returned only if the executionArn is a child
    // workflow execution that was started by a Distributed Map state"
    // (DescribeStateMachineForExecution API reference).
    let def = ok(
        &app,
        "DescribeStateMachineForExecution",
        json!({"executionArn": child}),
    )
    .await;
    assert_eq!(def["mapRunArn"], run_arn);
    assert_eq!(def["label"], "Each");
    let processor: Value = serde_json::from_str(def["definition"].as_str().unwrap()).unwrap();
    assert_eq!(processor["StartAt"], "P");
    let (name, _) = err(&app, "RedriveExecution", json!({"executionArn": child})).await;
    assert_eq!(name, "ExecutionNotRedrivable");
    let parents = ok(&app, "ListExecutions", json!({"stateMachineArn": sm})).await;
    assert_eq!(parents["executions"].as_array().unwrap().len(), 1);
    let failed = ok(
        &app,
        "ListExecutions",
        json!({"mapRunArn": run_arn, "statusFilter": "FAILED"}),
    )
    .await;
    assert!(failed["executions"].as_array().unwrap().is_empty());

    let (name, _) = err(
        &app,
        "UpdateMapRun",
        json!({"mapRunArn": run_arn, "maxConcurrency": 3}),
    )
    .await;
    assert_eq!(name, "ValidationException");
    let (status, v) = call(&app, "UpdateMapRun", json!({"mapRunArn": run_arn})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["reason"], "MISSING_REQUIRED_PARAMETER");
    let (status, v) = call(
        &app,
        "UpdateMapRun",
        json!({"mapRunArn": run_arn, "toleratedFailureCount": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["reason"], "CANNOT_UPDATE_COMPLETED_MAP_RUN");
    let (name, _) = err(
        &app,
        "UpdateMapRun",
        json!({"mapRunArn": run_arn, "toleratedFailurePercentage": 100.5}),
    )
    .await;
    assert_eq!(name, "ValidationException");
    // Flip the last character so the ARN is well-formed but surely unknown
    // (the run's id is random; appending a fixed character could collide).
    let last = if run_arn.ends_with('0') { '1' } else { '0' };
    let unknown = format!("{}{last}", &run_arn[..run_arn.len() - 1]);
    let (status, v) = call(&app, "DescribeMapRun", json!({"mapRunArn": unknown})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        v["__type"].as_str().unwrap().ends_with("#ResourceNotFound"),
        "{v}"
    );
    assert_eq!(v["resourceName"], unknown);
    let (name, _) = err(&app, "DescribeMapRun", json!({"mapRunArn": exec})).await;
    assert_eq!(name, "InvalidArn");
    let (name, _) = err(
        &app,
        "ListMapRuns",
        json!({"executionArn": format!("{exec}-nope")}),
    )
    .await;
    assert_eq!(name, "ExecutionDoesNotExist");
    let (name, _) = err(&app, "ListExecutions", json!({"mapRunArn": unknown})).await;
    assert_eq!(name, "ResourceNotFound");
    // "You can specify either a mapRunArn or a stateMachineArn, but not
    // both" (ListExecutions API reference).
    let (name, _) = err(
        &app,
        "ListExecutions",
        json!({"mapRunArn": run_arn, "stateMachineArn": sm}),
    )
    .await;
    assert_eq!(name, "ValidationException");
}

/// With an ItemBatcher each child carries several items: ListExecutions
/// reports each child's itemCount and DescribeMapRun counts items and
/// children apart.
#[tokio::test]
async fn batched_map_run_children_report_their_item_counts() {
    let app = app().await;
    let sm = create(
        &app,
        "batched",
        r#"{"StartAt":"M","States":{"M":{"Type":"Map","Label":"B","End":true,"ItemBatcher":{"MaxItemsPerBatch":4},
            "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
              "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}"#,
    )
    .await;
    let items: Vec<u32> = (0..10).collect();
    let started = ok(
        &app,
        "StartExecution",
        json!({"stateMachineArn": sm, "input": serde_json::to_string(&items).unwrap()}),
    )
    .await;
    let exec = started["executionArn"].as_str().unwrap();
    wait_closed(&app, exec).await;
    let runs = ok(&app, "ListMapRuns", json!({"executionArn": exec})).await;
    let run_arn = runs["mapRuns"][0]["mapRunArn"].as_str().unwrap();
    let d = ok(&app, "DescribeMapRun", json!({"mapRunArn": run_arn})).await;
    assert_eq!(d["itemCounts"]["succeeded"], 10);
    assert_eq!(d["executionCounts"]["succeeded"], 3);
    let children = ok(&app, "ListExecutions", json!({"mapRunArn": run_arn})).await;
    let mut counts: Vec<u64> = children["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["itemCount"].as_u64().unwrap())
        .collect();
    counts.sort();
    assert_eq!(counts, [2, 4, 4]);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = app().await;
    let body = json!({"name": "x", "definition": "a".repeat(1_100_000), "roleArn": ROLE});
    let (status, v) = call(&app, "CreateStateMachine", body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        v["__type"]
            .as_str()
            .unwrap()
            .ends_with("#RequestEntityTooLargeException")
    );
}

#[tokio::test]
async fn member_constraints_are_validation_exceptions() {
    let app = app().await;
    let (name, msg) = err(&app, "ListStateMachines", json!({"maxResults": 1001})).await;
    assert_eq!(name, "ValidationException");
    assert_eq!(
        msg,
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: \
         Member must have value less than or equal to 1000"
    );
    let (name, msg) = err(
        &app,
        "CreateStateMachine",
        json!({"name": "a", "definition": PASS}),
    )
    .await;
    assert_eq!(name, "ValidationException");
    assert!(
        msg.contains(
            "Value null at 'roleArn' failed to satisfy constraint: Member must not be null"
        ),
        "{msg}"
    );
    let (_, msg) = err(&app, "ListExecutions", json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:x", "statusFilter": "DONE"})).await;
    assert!(msg.ends_with("Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]"), "{msg}");
    let (name, _) = err(&app, "ListStateMachines", json!({"maxResults": "10"})).await;
    assert_eq!(name, "SerializationException");
}

#[tokio::test]
async fn names_and_arns_are_checked() {
    let app = app().await;
    let (name, msg) = err(
        &app,
        "CreateStateMachine",
        json!({"name": "bad name", "definition": PASS, "roleArn": ROLE}),
    )
    .await;
    assert_eq!(
        (name.as_str(), msg.as_str()),
        ("InvalidName", "Invalid Name: 'bad name'")
    );
    let (name, msg) = err(
        &app,
        "DescribeStateMachine",
        json!({"stateMachineArn": "abc"}),
    )
    .await;
    assert_eq!(
        (name.as_str(), msg.as_str()),
        ("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: abc'")
    );
    let missing = "arn:aws:states:us-east-1:123456789012:stateMachine:nope";
    let (name, msg) = err(
        &app,
        "DescribeStateMachine",
        json!({"stateMachineArn": missing}),
    )
    .await;
    assert_eq!(name, "StateMachineDoesNotExist");
    assert_eq!(msg, format!("State Machine Does Not Exist: '{missing}'"));
    let (name, msg) = err(
        &app,
        "DescribeExecution",
        json!({"executionArn": "arn:aws:states:us-east-1:123456789012:express:sm:n:u"}),
    )
    .await;
    assert_eq!(name, "InvalidArn");
    assert_eq!(
        msg,
        "Invalid Arn: 'Resource type not valid in this context: express'"
    );
}

#[tokio::test]
async fn invalid_definitions_carry_aws_message() {
    let app = app().await;
    let definition = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}"#;
    let (name, msg) = err(
        &app,
        "CreateStateMachine",
        json!({"name": "m", "definition": definition, "roleArn": ROLE}),
    )
    .await;
    assert_eq!(name, "InvalidDefinition");
    assert_eq!(
        msg,
        asl_validate::aws_invalid_definition_message(&asl::validate_str(definition))
    );
    assert!(
        msg.starts_with("Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET"),
        "{msg}"
    );

    let v = ok(
        &app,
        "ValidateStateMachineDefinition",
        json!({"definition": definition}),
    )
    .await;
    assert_eq!(v["result"], "FAIL");
    assert_eq!(v["diagnostics"][0]["code"], "MISSING_TRANSITION_TARGET");
    assert_eq!(v["truncated"], false);
    let v = ok(
        &app,
        "ValidateStateMachineDefinition",
        json!({"definition": PASS}),
    )
    .await;
    assert_eq!(
        v,
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );

    // Express machines cannot use callback or job-run integrations.
    let cb = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"q","MessageBody":{"t.$":"$$.Task.Token"}},"End":true}}}"#;
    let (name, msg) = err(
        &app,
        "CreateStateMachine",
        json!({"name": "e", "definition": cb, "roleArn": ROLE, "type": "EXPRESS"}),
    )
    .await;
    assert_eq!(name, "InvalidDefinition");
    assert!(msg.contains("Express state machine does not support '.waitForTaskToken' service integration at /States/T/Resource"), "{msg}");
}

#[tokio::test]
async fn create_state_machine_is_idempotent() {
    let app = app().await;
    let body = json!({"name": "m", "definition": PASS, "roleArn": ROLE});
    let first = ok(&app, "CreateStateMachine", body.clone()).await;
    let again = ok(&app, "CreateStateMachine", body).await;
    assert_eq!(first, again);
    assert_eq!(
        first["stateMachineArn"],
        "arn:aws:states:us-east-1:123456789012:stateMachine:m"
    );
    assert!(first["creationDate"].is_f64());
    let (name, msg) = err(
        &app,
        "CreateStateMachine",
        json!({"name": "m", "definition": WAIT, "roleArn": ROLE}),
    )
    .await;
    assert_eq!(name, "StateMachineAlreadyExists");
    assert_eq!(
        msg,
        format!(
            "State Machine Already Exists: '{}'",
            first["stateMachineArn"].as_str().unwrap()
        )
    );

    let d = ok(
        &app,
        "DescribeStateMachine",
        json!({"stateMachineArn": first["stateMachineArn"]}),
    )
    .await;
    assert_eq!(d["definition"], PASS);
    assert_eq!(d["type"], "STANDARD");
    assert_eq!(d["status"], "ACTIVE");
    assert_eq!(
        d["loggingConfiguration"],
        json!({"level": "OFF", "includeExecutionData": false})
    );
    assert!(d["revisionId"].is_string());
}

#[tokio::test]
async fn state_machine_pagination() {
    let app = app().await;
    for i in 0..5 {
        create(&app, &format!("m{i}"), PASS).await;
    }
    let mut names = Vec::new();
    let mut token: Option<Value> = None;
    loop {
        let mut body = json!({"maxResults": 2});
        if let Some(t) = &token {
            body["nextToken"] = t.clone();
        }
        let v = ok(&app, "ListStateMachines", body).await;
        let page = v["stateMachines"].as_array().unwrap();
        assert!(page.len() <= 2);
        names.extend(page.iter().map(|m| m["name"].as_str().unwrap().to_string()));
        match v.get("nextToken") {
            Some(t) => token = Some(t.clone()),
            None => break,
        }
    }
    assert_eq!(names, ["m0", "m1", "m2", "m3", "m4"]);

    let (name, _) = err(&app, "ListStateMachines", json!({"nextToken": "garbage"})).await;
    assert_eq!(name, "InvalidToken");
    // A token from one operation is not valid for another.
    let v = ok(&app, "ListStateMachines", json!({"maxResults": 1})).await;
    let (name, _) = err(&app, "ListActivities", json!({"nextToken": v["nextToken"]})).await;
    assert_eq!(name, "InvalidToken");
}

#[tokio::test]
async fn versions_are_published_and_listed() {
    let app = app().await;
    let v = ok(&app, "CreateStateMachine", json!({"name": "v", "definition": PASS, "roleArn": ROLE, "publish": true, "versionDescription": "first"})).await;
    let arn = v["stateMachineArn"].as_str().unwrap().to_string();
    assert_eq!(v["stateMachineVersionArn"], format!("{arn}:1"));
    let d = ok(
        &app,
        "DescribeStateMachine",
        json!({"stateMachineArn": format!("{arn}:1")}),
    )
    .await;
    assert_eq!(d["description"], "first");
    assert_eq!(d["stateMachineArn"], format!("{arn}:1"));

    // Publishing an unchanged revision returns the existing version.
    let p = ok(
        &app,
        "PublishStateMachineVersion",
        json!({"stateMachineArn": arn}),
    )
    .await;
    assert_eq!(p["stateMachineVersionArn"], format!("{arn}:1"));

    let (name, _) = err(&app, "UpdateStateMachine", json!({"stateMachineArn": arn})).await;
    assert_eq!(name, "MissingRequiredParameter");
    let (name, msg) = err(
        &app,
        "UpdateStateMachine",
        json!({"stateMachineArn": arn, "definition": WAIT, "versionDescription": "x"}),
    )
    .await;
    assert_eq!(
        (name.as_str(), msg.as_str()),
        (
            "ValidationException",
            "Version description can only be set when publish is true"
        )
    );
    let u = ok(
        &app,
        "UpdateStateMachine",
        json!({"stateMachineArn": arn, "definition": WAIT, "publish": true}),
    )
    .await;
    assert_eq!(u["stateMachineVersionArn"], format!("{arn}:2"));
    let (name, _) = err(
        &app,
        "PublishStateMachineVersion",
        json!({"stateMachineArn": arn, "revisionId": "stale"}),
    )
    .await;
    assert_eq!(name, "ConflictException");

    let l = ok(
        &app,
        "ListStateMachineVersions",
        json!({"stateMachineArn": arn, "maxResults": 1}),
    )
    .await;
    assert_eq!(
        l["stateMachineVersions"][0]["stateMachineVersionArn"],
        format!("{arn}:2")
    );
    let l = ok(
        &app,
        "ListStateMachineVersions",
        json!({"stateMachineArn": arn, "nextToken": l["nextToken"]}),
    )
    .await;
    assert_eq!(
        l["stateMachineVersions"][0]["stateMachineVersionArn"],
        format!("{arn}:1")
    );
    assert!(l.get("nextToken").is_none());

    ok(
        &app,
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": format!("{arn}:1")}),
    )
    .await;
    let l = ok(
        &app,
        "ListStateMachineVersions",
        json!({"stateMachineArn": arn}),
    )
    .await;
    assert_eq!(l["stateMachineVersions"].as_array().unwrap().len(), 1);
    // Only machines (not versions) are listed.
    let l = ok(&app, "ListStateMachines", json!({})).await;
    assert_eq!(l["stateMachines"].as_array().unwrap().len(), 1);
}

/// Polls DescribeExecution until the execution is no longer RUNNING.
async fn wait_closed(app: &Router, arn: &str) -> Value {
    for _ in 0..200 {
        let d = ok(app, "DescribeExecution", json!({"executionArn": arn})).await;
        if d["status"] != "RUNNING" {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("execution {arn} did not finish");
}

#[tokio::test]
async fn execution_history_pages_both_ways() {
    let app = app().await;
    let sm = create(&app, "h", r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true}}}"#).await;
    let s = ok(
        &app,
        "StartExecution",
        json!({"stateMachineArn": sm, "name": "e1", "input": "{\"x\":1}"}),
    )
    .await;
    let arn = s["executionArn"].as_str().unwrap().to_string();
    assert_eq!(arn, "arn:aws:states:us-east-1:123456789012:execution:h:e1");
    let d = wait_closed(&app, &arn).await;
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["input"], "{\"x\":1}");
    assert_eq!(d["output"], "{\"x\":1}");

    let all = ok(&app, "GetExecutionHistory", json!({"executionArn": arn})).await;
    let ids: Vec<u64> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert!(ids.len() >= 4, "{all}");
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    assert_eq!(all["events"][0]["type"], "ExecutionStarted");
    assert!(all["events"][0]["timestamp"].is_f64());

    for reverse in [false, true] {
        let mut seen = Vec::new();
        let mut token: Option<Value> = None;
        loop {
            let mut body = json!({"executionArn": arn, "maxResults": 2, "reverseOrder": reverse});
            if let Some(t) = &token {
                body["nextToken"] = t.clone();
            }
            let v = ok(&app, "GetExecutionHistory", body).await;
            seen.extend(
                v["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["id"].as_u64().unwrap()),
            );
            match v.get("nextToken") {
                Some(t) => token = Some(t.clone()),
                None => break,
            }
        }
        let mut expected = ids.clone();
        if reverse {
            expected.reverse();
        }
        assert_eq!(seen, expected, "reverse={reverse}");
    }
    // A forward token is not valid for a reverse listing.
    let v = ok(
        &app,
        "GetExecutionHistory",
        json!({"executionArn": arn, "maxResults": 1}),
    )
    .await;
    let (name, _) = err(
        &app,
        "GetExecutionHistory",
        json!({"executionArn": arn, "reverseOrder": true, "nextToken": v["nextToken"]}),
    )
    .await;
    assert_eq!(name, "InvalidToken");
    // includeExecutionData=false drops input/output.
    let v = ok(
        &app,
        "GetExecutionHistory",
        json!({"executionArn": arn, "includeExecutionData": false}),
    )
    .await;
    assert!(
        v["events"][0]["executionStartedEventDetails"]
            .get("input")
            .is_none(),
        "{v}"
    );

    let f = ok(
        &app,
        "DescribeStateMachineForExecution",
        json!({"executionArn": arn}),
    )
    .await;
    assert_eq!(f["name"], "h");
    assert!(f["revisionId"].is_string());
}

#[tokio::test]
async fn start_execution_is_idempotent_while_running() {
    let app = app().await;
    let sm = create(&app, "w", WAIT).await;
    let body = json!({"stateMachineArn": sm, "name": "once", "input": "{}"});
    let a = ok(&app, "StartExecution", body.clone()).await;
    let b = ok(&app, "StartExecution", body).await;
    assert_eq!(a, b);
    let (name, msg) = err(
        &app,
        "StartExecution",
        json!({"stateMachineArn": sm, "name": "once", "input": "{\"other\":1}"}),
    )
    .await;
    assert_eq!(name, "ExecutionAlreadyExists");
    assert_eq!(
        msg,
        format!(
            "Execution Already Exists: '{}'",
            a["executionArn"].as_str().unwrap()
        )
    );
    let (name, _) = err(
        &app,
        "StartExecution",
        json!({"stateMachineArn": sm, "name": "a:b"}),
    )
    .await;
    assert_eq!(name, "InvalidName");

    let l = ok(
        &app,
        "ListExecutions",
        json!({"stateMachineArn": sm, "statusFilter": "RUNNING"}),
    )
    .await;
    assert_eq!(l["executions"].as_array().unwrap().len(), 1);
    let stop = ok(
        &app,
        "StopExecution",
        json!({"executionArn": a["executionArn"], "error": "E", "cause": "C"}),
    )
    .await;
    assert!(stop["stopDate"].is_f64());
    let d = ok(
        &app,
        "DescribeExecution",
        json!({"executionArn": a["executionArn"]}),
    )
    .await;
    assert_eq!(
        (d["status"].as_str(), d["error"].as_str()),
        (Some("ABORTED"), Some("E"))
    );
    let l = ok(
        &app,
        "ListExecutions",
        json!({"stateMachineArn": sm, "statusFilter": "RUNNING"}),
    )
    .await;
    assert_eq!(l["executions"], json!([]));
}

#[tokio::test]
async fn list_executions_newest_first_with_pages() {
    let app = app().await;
    let sm = create(&app, "l", PASS).await;
    for i in 0..3 {
        let s = ok(
            &app,
            "StartExecution",
            json!({"stateMachineArn": sm, "name": format!("e{i}")}),
        )
        .await;
        wait_closed(&app, s["executionArn"].as_str().unwrap()).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let first = ok(
        &app,
        "ListExecutions",
        json!({"stateMachineArn": sm, "maxResults": 2}),
    )
    .await;
    let second = ok(
        &app,
        "ListExecutions",
        json!({"stateMachineArn": sm, "maxResults": 2, "nextToken": first["nextToken"]}),
    )
    .await;
    let names: Vec<&str> = first["executions"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["executions"].as_array().unwrap())
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["e2", "e1", "e0"]);
    assert!(second.get("nextToken").is_none());
}

#[tokio::test]
async fn activities_and_tags() {
    let app = app().await;
    let a = ok(
        &app,
        "CreateActivity",
        json!({"name": "act", "tags": [{"key": "k", "value": "v"}]}),
    )
    .await;
    let again = ok(&app, "CreateActivity", json!({"name": "act"})).await;
    assert_eq!(a, again);
    let arn = a["activityArn"].as_str().unwrap().to_string();
    assert_eq!(arn, "arn:aws:states:us-east-1:123456789012:activity:act");
    let d = ok(&app, "DescribeActivity", json!({"activityArn": arn})).await;
    assert_eq!(d["name"], "act");

    ok(&app, "TagResource", json!({"resourceArn": arn, "tags": [{"key": "k", "value": "v2"}, {"key": "x", "value": ""}]})).await;
    ok(
        &app,
        "UntagResource",
        json!({"resourceArn": arn, "tagKeys": ["x"]}),
    )
    .await;
    let t = ok(&app, "ListTagsForResource", json!({"resourceArn": arn})).await;
    assert_eq!(t, json!({"tags": [{"key": "k", "value": "v2"}]}));

    let l = ok(&app, "ListActivities", json!({})).await;
    assert_eq!(l["activities"][0]["activityArn"], arn);
    ok(&app, "DeleteActivity", json!({"activityArn": arn})).await;
    let (name, msg) = err(&app, "DescribeActivity", json!({"activityArn": arn})).await;
    assert_eq!(name, "ActivityDoesNotExist");
    assert_eq!(msg, format!("Activity Does Not Exist: '{arn}'"));
    let (name, _) = err(&app, "ListTagsForResource", json!({"resourceArn": arn})).await;
    assert_eq!(name, "ResourceNotFound");
}

#[tokio::test]
async fn test_state_evaluates_one_state() {
    let app = app().await;
    let pass = json!({"Type": "Pass", "InputPath": "$.a", "Next": "After"}).to_string();
    let v = ok(
        &app,
        "TestState",
        json!({"definition": pass, "input": "{\"a\": {\"b\": 1}}", "inspectionLevel": "DEBUG"}),
    )
    .await;
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(v["output"], "{\"b\":1}");
    assert_eq!(v["nextState"], "After");
    assert_eq!(v["inspectionData"]["afterInputPath"], "{\"b\":1}");

    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 2}], "End": true})
    .to_string();
    let mock = json!({"errorOutput": {"error": "Boom", "cause": "c"}});
    let v = ok(
        &app,
        "TestState",
        json!({"definition": task, "mock": mock, "inspectionLevel": "DEBUG"}),
    )
    .await;
    assert_eq!(v["status"], "RETRIABLE");
    assert_eq!(
        v["inspectionData"]["errorDetails"]["retryBackoffIntervalSeconds"],
        1
    );
}

#[tokio::test]
async fn test_state_rejects_bad_requests() {
    let app = app().await;
    let (name, _) = err(
        &app,
        "TestState",
        json!({"definition": "{\"Type\": \"Nope\"}"}),
    )
    .await;
    assert_eq!(name, "InvalidDefinition");
    let pass = json!({"Type": "Pass", "End": true}).to_string();
    let (name, _) = err(&app, "TestState", json!({"definition": pass, "input": "{"})).await;
    assert_eq!(name, "InvalidExecutionInput");
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true})
        .to_string();
    let (name, msg) = err(
        &app,
        "TestState",
        json!({"definition": task, "revealSecrets": true, "mock": {"result": "{}"}}),
    )
    .await;
    assert_eq!(name, "ValidationException", "{msg}");
    let (name, _) = err(
        &app,
        "TestState",
        json!({"definition": pass, "inspectionLevel": "LOUD"}),
    )
    .await;
    assert_eq!(name, "ValidationException");
    let (name, _) = err(&app, "TestState", json!({"input": "{}"})).await;
    assert_eq!(name, "ValidationException");
}
