//! Baton through the AWS SDK for Rust (`aws-sdk-sfn`), unchanged but for the
//! endpoint: a real server on a loopback port, the SDK's own serializers,
//! signing, retries and typed errors.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sfn::Client;
use aws_sdk_sfn::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use engine::durable::{Engine, EngineConfig, NoIntegrations};

const ROLE: &str = "arn:aws:iam::123456789012:role/r";

/// Serves Baton on an ephemeral port; returns an SDK client pointed at it.
async fn serve() -> Client {
    let store: Arc<dyn store::Store> = Arc::new(store::MemoryStore::new());
    let engine = Engine::open(store, EngineConfig::default(), Arc::new(NoIntegrations))
        .await
        .expect("engine opens");
    let mut config = api::ApiConfig::for_engine(&engine);
    config.activity_poll = Duration::from_secs(2);
    let state = api::AppState::new(engine, config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(api::serve(listener, state, std::future::pending()));
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let conf = aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "test"))
        .endpoint_url(format!("http://{addr}"))
        .http_client(http)
        .build();
    Client::from_conf(conf)
}

async fn wait_closed(
    sfn: &Client,
    arn: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    for _ in 0..200 {
        let d = sfn
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .unwrap();
        if d.status != ExecutionStatus::Running {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{arn} did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_machine_runs_and_its_history_pages() {
    let sfn = serve().await;
    let definition = r#"{"StartAt":"P","States":{
        "P":{"Type":"Pass","Parameters":{"n.$":"$.n"},"Next":"C"},
        "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"Big"}],"Default":"Small"},
        "Big":{"Type":"Pass","Result":"big","End":true},
        "Small":{"Type":"Pass","Result":"small","End":true}}}"#;
    let created = sfn
        .create_state_machine()
        .name("sdk")
        .definition(definition)
        .role_arn(ROLE)
        .send()
        .await
        .unwrap();
    let arn = created.state_machine_arn;
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:123456789012:stateMachine:sdk"
    );
    let run = sfn
        .start_execution()
        .state_machine_arn(&arn)
        .name("one")
        .input(r#"{"n": 5}"#)
        .send()
        .await
        .unwrap();
    let done = wait_closed(&sfn, &run.execution_arn).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.output.as_deref(), Some(r#""big""#));

    // The SDK's paginator walks nextToken pages of two.
    let events: Vec<_> = sfn
        .get_execution_history()
        .execution_arn(&run.execution_arn)
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let types: Vec<HistoryEventType> = events.iter().map(|e| e.r#type.clone()).collect();
    assert_eq!(
        types,
        [
            HistoryEventType::ExecutionStarted,
            HistoryEventType::PassStateEntered,
            HistoryEventType::PassStateExited,
            HistoryEventType::ChoiceStateEntered,
            HistoryEventType::ChoiceStateExited,
            HistoryEventType::PassStateEntered,
            HistoryEventType::PassStateExited,
            HistoryEventType::ExecutionSucceeded,
        ]
    );
    let started = events[0].execution_started_event_details.as_ref().unwrap();
    assert_eq!(started.input.as_deref(), Some(r#"{"n":5}"#));
    let listed = sfn
        .list_executions()
        .state_machine_arn(&arn)
        .status_filter(ExecutionStatus::Succeeded)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.executions.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_arrive_as_the_sdks_typed_errors() {
    let sfn = serve().await;
    let err = sfn
        .describe_execution()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:none:x")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_execution_does_not_exist(), "{err:?}");
    let err = sfn
        .create_state_machine()
        .name("bad")
        .definition(r#"{"StartAt":"Nope","States":{}}"#)
        .role_arn(ROLE)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_definition(), "{err:?}");
    let message = err.meta().message().unwrap_or_default();
    assert!(
        message.starts_with("Invalid State Machine Definition: ")
            && message.contains("SCHEMA_VALIDATION_FAILED"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_activity_worker_fails_then_a_redrive_succeeds() {
    let sfn = serve().await;
    let activity = sfn
        .create_activity()
        .name("sdk-work")
        .send()
        .await
        .unwrap()
        .activity_arn;
    let definition = format!(
        r#"{{"StartAt":"T","States":{{"T":{{"Type":"Task","Resource":"{activity}","End":true}}}}}}"#
    );
    let arn = sfn
        .create_state_machine()
        .name("worker")
        .definition(definition)
        .role_arn(ROLE)
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    let run = sfn
        .start_execution()
        .state_machine_arn(&arn)
        .input(r#"{"job":1}"#)
        .send()
        .await
        .unwrap()
        .execution_arn;
    let task = sfn
        .get_activity_task()
        .activity_arn(&activity)
        .worker_name("rust")
        .send()
        .await
        .unwrap();
    assert_eq!(task.input.as_deref(), Some(r#"{"job":1}"#));
    sfn.send_task_failure()
        .task_token(task.task_token.unwrap())
        .error("Flaky")
        .send()
        .await
        .unwrap();
    let failed = wait_closed(&sfn, &run).await;
    assert_eq!(failed.status, ExecutionStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some("Flaky"));

    sfn.redrive_execution()
        .execution_arn(&run)
        .send()
        .await
        .unwrap();
    let task = sfn
        .get_activity_task()
        .activity_arn(&activity)
        .send()
        .await
        .unwrap();
    sfn.send_task_success()
        .task_token(task.task_token.unwrap())
        .output(r#"{"ok":true}"#)
        .send()
        .await
        .unwrap();
    let done = wait_closed(&sfn, &run).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.redrive_count, Some(1));
    assert!(done.redrive_date.is_some());
}
