//! The console shares the API's port: `GET /` is the page unless the query
//! names an `Action` (AWS's query-API GET form), and `POST /` stays the API.

use std::sync::Arc;

use api::{ApiConfig, AppState, router};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use engine::durable::{Engine, EngineConfig, NoIntegrations};
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn app() -> axum::Router {
    let store: Arc<dyn store::Store> = Arc::new(store::MemoryStore::new());
    let engine = Engine::open(store, EngineConfig::default(), Arc::new(NoIntegrations))
        .await
        .unwrap();
    let config = ApiConfig::for_engine(&engine);
    router(AppState::new(engine, config))
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String, String) {
    let resp = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ty = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ty, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn get_root_is_the_console_unless_an_action_is_named() {
    let app = app().await;
    let (status, ty, body) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ty.starts_with("text/html"));
    assert!(body.contains("/console/js/main.js"));
    let (_, ty, _) = get(&app, "/?foo=bar").await;
    assert!(ty.starts_with("text/html"));
    let (status, ty, body) = get(&app, "/?Action=ConfirmSubscription&Token=x").await;
    assert_ne!(status, StatusCode::OK);
    assert!(!ty.starts_with("text/html"), "{body}");
    let (status, ty, _) = get(&app, "/console/app.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ty.starts_with("text/css"));
    let (status, _, body) = get(&app, "/_baton/console/machines").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"stateMachines":[]}"#);
}

#[tokio::test]
async fn post_root_is_still_the_api() {
    let app = app().await;
    let resp = app
        .oneshot(
            Request::post("/")
                .header("x-amz-target", "AWSStepFunctions.ListStateMachines")
                .header("content-type", "application/x-amz-json-1.0")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"stateMachines":[]}"#);
}
