//! Baton's Lambda Runtime API driven by AWS's own Rust runtime client: a
//! `provided.al2023` function whose `bootstrap` is built on `lambda_runtime`.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::{Value, json};

fn registry() -> functions::Registry {
    functions::Registry::open(functions::Settings {
        data_dir: None,
        region: "us-east-1".into(),
        account: "123456789012".into(),
        endpoint_url: "http://127.0.0.1:9".into(),
        python: None,
    })
    .expect("registry opens")
}

/// A folder holding the built binary as `bootstrap`, as a deployment
/// package would.
fn package() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = dir.path().join("bootstrap");
    std::fs::copy(env!("CARGO_BIN_EXE_rust-lambda-greeter"), &bootstrap).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_on_the_rust_runtime_client_answers_and_fails_like_on_aws() {
    let code = package();
    let registry = registry();
    registry
        .create(functions::CreateSpec {
            name: "greeter".into(),
            runtime: "provided.al2023".into(),
            role: "arn:aws:iam::123456789012:role/r".into(),
            handler: "bootstrap".into(),
            description: String::new(),
            timeout: Some(10),
            memory_size: None,
            environment: BTreeMap::new(),
            code: functions::Code::Folder(code.path().to_path_buf()),
        })
        .expect("created");

    // Twice: the second call reuses the warm environment.
    for name in ["Ada", "Grace"] {
        let out = registry
            .invoke(
                "greeter",
                Bytes::from(json!({"name": name}).to_string()),
                None,
                true,
            )
            .await
            .expect("invoked");
        assert!(!out.function_error);
        let body: Value = serde_json::from_slice(&out.payload).unwrap();
        assert_eq!(body["greeting"], json!(format!("Hello, {name}!")));
        assert_eq!(
            body["requestId"],
            json!(out.request_id),
            "the Runtime API's request id"
        );
        assert_eq!(body["function"], json!("greeter"));
        assert!(out.log.contains(&format!("greeting {name}")), "{}", out.log);
        assert!(out.log.contains("REPORT RequestId:"), "{}", out.log);
    }

    // An Err from the handler is an invocation error with the client's
    // errorType and errorMessage.
    let out = registry
        .invoke(
            "greeter",
            Bytes::from_static(br#"{"fail": true}"#),
            None,
            false,
        )
        .await
        .expect("invoked");
    assert!(out.function_error);
    let error: Value = serde_json::from_slice(&out.payload).unwrap();
    assert_eq!(
        error["errorMessage"],
        json!("the caller asked for a failure")
    );
    assert!(
        error["errorType"].as_str().is_some_and(|t| !t.is_empty()),
        "{error}"
    );
}
