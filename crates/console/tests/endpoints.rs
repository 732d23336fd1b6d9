//! The console's own endpoints, through its router, over a real engine and
//! an in-memory store.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use engine::durable::{Engine, EngineConfig, NoIntegrations, StartRequest};
use http_body_util::BodyExt;
use serde_json::Value;
use store::{MachineType, StateMachineRecord, Store};
use tower::ServiceExt;

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Hello";

async fn setup() -> (Router, Engine) {
    let store: Arc<dyn Store> = Arc::new(store::MemoryStore::new());
    let engine = Engine::open(store, EngineConfig::default(), Arc::new(NoIntegrations))
        .await
        .unwrap();
    let definition = r#"{"StartAt":"One","States":{
        "One":{"Type":"Pass","Result":{"n":1},"Next":"Two"},
        "Two":{"Type":"Pass","End":true}}}"#;
    engine
        .store()
        .put_state_machine(&StateMachineRecord {
            arn: MACHINE.into(),
            name: "Hello".into(),
            definition: definition.into(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            machine_type: MachineType::Standard,
            created: 0,
            updated: 0,
            revision_id: "1".into(),
            version: None,
            description: None,
            logging_configuration: None,
            tracing_configuration: None,
            encryption_configuration: None,
            tags: vec![],
        })
        .unwrap();
    let app = console::router(console::Console::new(engine.clone(), None));
    (app, engine)
}

async fn run(engine: &Engine, name: &str) -> String {
    let started = engine
        .start_execution(StartRequest {
            state_machine_arn: MACHINE.into(),
            name: Some(name.into()),
            input: Some(r#"{"hello":"world"}"#.into()),
            trace_header: None,
        })
        .await
        .unwrap();
    for _ in 0..200 {
        let e = engine
            .store()
            .get_execution(&started.execution_arn)
            .unwrap()
            .unwrap();
        if e.status != store::ExecutionStatus::Running {
            return started.execution_arn;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the execution did not finish");
}

async fn get(app: &Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = tokio::time::timeout(Duration::from_secs(10), resp.into_body().collect())
        .await
        .expect("the response ended")
        .unwrap()
        .to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn enc(s: &str) -> String {
    s.replace(':', "%3A")
}

#[tokio::test]
async fn assets_are_embedded_with_types_and_etags() {
    let (app, _) = setup().await;
    let (status, headers, body) = get(&app, "/console/js/main.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(body.contains("export function go"));
    let etag = headers[header::ETAG].to_str().unwrap().to_string();
    let resp = app
        .clone()
        .oneshot(
            Request::get("/console/app.css")
                .header(header::IF_NONE_MATCH, &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    let (status, _, _) = get(&app, "/console/../Cargo.toml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let page = console::app_page();
    let bytes = page.into_body().collect().await.unwrap().to_bytes();
    let html = String::from_utf8_lossy(&bytes);
    assert!(html.contains(r#"<script type="module" src="/console/js/main.js">"#));
    assert!(!html.contains("{{css}}"), "the stylesheet is inlined");
    assert!(html.contains("--accent"));
}

#[tokio::test]
async fn live_stream_sends_the_history_then_the_outcome() {
    let (app, engine) = setup().await;
    let arn = run(&engine, "first").await;
    let (status, headers, body) =
        get(&app, &format!("/_baton/console/live?arn={}", enc(&arn))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/event-stream");
    let history_at = body.find("event: history").expect("a history message");
    let end_at = body.find("event: end").expect("an end message");
    assert!(history_at < end_at);
    for t in [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ] {
        assert!(body.contains(t), "{t} in {body}");
    }
    let end: Value = serde_json::from_str(
        body[end_at..]
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(end["status"], "SUCCEEDED");
    assert_eq!(end["output"], r#"{"n":1}"#);

    // Resuming after event 5 sends only the later events.
    let (_, _, rest) = get(
        &app,
        &format!("/_baton/console/live?arn={}&after=5", enc(&arn)),
    )
    .await;
    assert!(!rest.contains("ExecutionStarted"));
    assert!(rest.contains("ExecutionSucceeded"));

    // A reconnecting EventSource resumes from its Last-Event-ID.
    let resp = app
        .clone()
        .oneshot(
            Request::get(format!("/_baton/console/live?arn={}", enc(&arn)))
                .header("last-event-id", "5")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let resumed = String::from_utf8_lossy(&bytes);
    assert!(!resumed.contains("ExecutionStarted"));
    assert!(resumed.contains("ExecutionSucceeded"));
}

#[tokio::test]
async fn live_stream_of_an_unknown_execution_is_a_404() {
    let (app, _) = setup().await;
    let (status, _, body) = get(&app, "/_baton/console/live?arn=arn%3Anope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["__type"], "ExecutionDoesNotExist");
    let (status, _, _) = get(&app, "/_baton/console/live").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = get(&app, "/_baton/console/live?arn=x&after=soon").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn machines_summary_counts_executions_by_status() {
    let (app, engine) = setup().await;
    run(&engine, "a").await;
    // Listed newest first: make the second start a later millisecond.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let last = run(&engine, "b").await;
    let (status, _, body) = get(&app, "/_baton/console/machines").await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    let m = &v["stateMachines"][0];
    assert_eq!(m["name"], "Hello");
    assert_eq!(m["type"], "STANDARD");
    assert_eq!(m["counts"]["SUCCEEDED"], 2);
    assert_eq!(m["lastExecution"]["executionArn"], last.as_str());
}

#[tokio::test]
async fn logs_need_a_function_registry() {
    let (app, _) = setup().await;
    let (status, _, body) = get(&app, "/_baton/console/logs?function=f").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("no local Lambda functions"));
}

#[tokio::test]
async fn diagrams_of_machines_and_executions() {
    let (app, engine) = setup().await;
    let (status, headers, svg) = get(
        &app,
        &format!("/_baton/console/diagram.svg?arn={}", enc(MACHINE)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/svg+xml");
    assert!(svg.contains(r#"data-state="One""#) && svg.contains(r#"data-state="Two""#));
    let arn = run(&engine, "drawn").await;
    let (status, _, svg) = get(
        &app,
        &format!("/_baton/console/diagram.svg?arn={}", enc(&arn)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(svg.contains(r#"data-from="One" data-to="Two""#));
    let (status, _, body) = get(
        &app,
        "/_baton/console/diagram.svg?arn=arn%3Aaws%3Astates%3A%3A%3AstateMachine%3Anone",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("StateMachineDoesNotExist"));
    // The editor's preview: a definition that cannot be drawn says why.
    let resp = app
        .clone()
        .oneshot(
            Request::post("/_baton/console/diagram.svg")
                .body(Body::from(
                    r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}"#,
                ))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("'B'"));
}

#[tokio::test]
async fn closing_ends_the_live_stream_of_a_running_execution() {
    let (_, engine) = setup().await;
    let definition =
        r#"{"StartAt":"Nap","States":{"Nap":{"Type":"Wait","Seconds":3600,"End":true}}}"#;
    let mut sm = engine.store().get_state_machine(MACHINE).unwrap().unwrap();
    sm.definition = definition.into();
    engine.store().put_state_machine(&sm).unwrap();
    let closing = console::Closing::new();
    let app =
        console::router(console::Console::new(engine.clone(), None).with_closing(closing.clone()));
    let started = engine
        .start_execution(StartRequest {
            state_machine_arn: MACHINE.into(),
            name: Some("napping".into()),
            input: None,
            trace_header: None,
        })
        .await
        .unwrap();
    let resp = app
        .oneshot(
            Request::get(format!(
                "/_baton/console/live?arn={}",
                enc(&started.execution_arn)
            ))
            .body(Body::empty())
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let reading = tokio::spawn(async move { resp.into_body().collect().await.unwrap().to_bytes() });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !reading.is_finished(),
        "the stream stays open while the execution runs"
    );
    closing.close();
    let body = tokio::time::timeout(Duration::from_secs(5), reading)
        .await
        .expect("closing ends the stream")
        .unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("WaitStateEntered"));
    assert!(!text.contains("event: end"));
}
