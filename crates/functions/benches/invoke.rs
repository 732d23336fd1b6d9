//! In-process invoke latency of [`functions::Registry`]: no Lambda API, no
//! client HTTP; each call still goes through the function's execution
//! environment and the Lambda Runtime API (the Python runtime client,
//! `awslambdaric`, long-polls `/next` and posts `/response` over loopback
//! HTTP), which is the overhead Baton adds to a handler.
//!
//! Measures, for a trivial Python handler (`return event`):
//! - cold starts after the Python installation exists: a configuration
//!   change retires the warm environment, the next invoke starts a new
//!   runtime process (`--cold N`, default 10);
//! - warm invokes, one caller (`--warm N`, default 2000, after 100 unmeasured);
//! - `--concurrent N` (default 50) simultaneous invokes, repeated `--rounds`
//!   (default 5) times: all must succeed.
//!
//! Needs `BATON_PYTHON` (a Python with `awslambdaric`), like the tests.
//! Run: `cargo bench -p functions --bench invoke` (extra flags after `--`).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use functions::{Code, ConfigUpdate, CreateSpec, Registry, Settings};

const HANDLER: &str = "def handler(event, context):\n    return event\n";

fn package() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("app.py", zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    zip.write_all(HANDLER.as_bytes()).expect("zip write");
    zip.finish().expect("zip finish").into_inner()
}

fn flag(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile of sorted durations, in ms.
fn pct(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    ms(sorted[rank - 1])
}

fn summary(name: &str, mut v: Vec<Duration>) {
    v.sort_unstable();
    println!(
        "{name:<22} n {:>6}  p50 {:>8.3} ms  p90 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms",
        v.len(),
        pct(&v, 0.5),
        pct(&v, 0.9),
        pct(&v, 0.99),
        ms(*v.last().expect("samples"))
    );
}

async fn invoke_checked(registry: &Registry, payload: String) {
    let result = registry
        .invoke("bench-echo", Bytes::from(payload.clone()), None, false)
        .await
        .expect("invoke");
    assert!(
        !result.function_error,
        "function error: {:?}",
        result.payload
    );
    let echoed: serde_json::Value = serde_json::from_slice(&result.payload).expect("JSON answer");
    let sent: serde_json::Value = serde_json::from_str(&payload).expect("JSON payload");
    assert_eq!(echoed, sent, "echo");
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --benches` runs bench targets with no BATON_PYTHON too.
    if std::env::var_os("BATON_PYTHON").is_none() {
        eprintln!("BATON_PYTHON not set (a Python with awslambdaric); skipping");
        return;
    }
    if args.iter().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let (cold_n, warm_n) = (flag(&args, "--cold", 10), flag(&args, "--warm", 2000));
    let (concurrent, rounds) = (flag(&args, "--concurrent", 50), flag(&args, "--rounds", 5));
    let dir = tempfile::tempdir().expect("temp dir");
    let registry = Registry::open(Settings {
        data_dir: Some(dir.path().to_path_buf()),
        region: "us-east-1".into(),
        account: "123456789012".into(),
        endpoint_url: "http://127.0.0.1:1".into(),
        python: None,
    })
    .expect("registry");
    registry
        .create(CreateSpec {
            name: "bench-echo".into(),
            runtime: "python3.12".into(),
            role: "arn:aws:iam::123456789012:role/bench".into(),
            handler: "app.handler".into(),
            description: String::new(),
            timeout: Some(30),
            memory_size: None,
            environment: BTreeMap::new(),
            code: Code::Zip(package()),
        })
        .expect("create");
    // The first invoke also finds the Python installation; not measured.
    invoke_checked(&registry, r#"{"first":true}"#.into()).await;

    let mut cold = Vec::new();
    for j in 0..cold_n {
        let update = ConfigUpdate {
            environment: Some(BTreeMap::from([("REV".to_string(), j.to_string())])),
            ..ConfigUpdate::default()
        };
        registry
            .update_config("bench-echo", update)
            .expect("update");
        let t0 = Instant::now();
        invoke_checked(&registry, format!(r#"{{"cold":{j}}}"#)).await;
        cold.push(t0.elapsed());
    }

    for i in 0..100 {
        invoke_checked(&registry, format!(r#"{{"warmup":{i}}}"#)).await;
    }
    let mut warm = Vec::with_capacity(warm_n);
    for i in 0..warm_n {
        let t0 = Instant::now();
        invoke_checked(&registry, format!(r#"{{"i":{i}}}"#)).await;
        warm.push(t0.elapsed());
    }

    let mut burst = Vec::new();
    for round in 0..rounds {
        let tasks: Vec<_> = (0..concurrent)
            .map(|k| {
                let registry = registry.clone();
                tokio::spawn(async move {
                    let t0 = Instant::now();
                    invoke_checked(&registry, format!(r#"{{"round":{round},"k":{k}}}"#)).await;
                    t0.elapsed()
                })
            })
            .collect();
        for t in tasks {
            burst.push(t.await.expect("a concurrent invoke failed"));
        }
    }

    println!("functions::Registry::invoke, python3.12 `return event`, in process");
    summary("cold start", cold);
    summary("warm, 1 caller", warm);
    summary(&format!("{concurrent} concurrent"), burst);
    println!("errors 0 (every answer checked)");
}
