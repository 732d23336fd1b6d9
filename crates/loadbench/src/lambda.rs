//! `lambda-invoke`: Lambda Invoke (RequestResponse) of a trivial Python
//! function (`return event`) through Baton's Lambda API
//! (`POST /2015-03-31/functions/<name>/invocations`), so each call crosses
//! the API, the function's execution environment and the Lambda Runtime API
//! the Python runtime client (`awslambdaric`) polls.
//!
//! The function's code is a deployment package (`Code.ZipFile`), not a
//! `hot-reload` folder: Baton restarts a folder function's process on every
//! invoke so edits show up, which would make every invoke a cold start.
//! Before the warm phase the bench measures
//! `--cold` cold starts: each changes the function's environment variables
//! (UpdateFunctionConfiguration, which retires the warm environments, as on
//! AWS) and invokes once, so that invoke starts a new Python process; the
//! Python installation itself (the "environment") already exists.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::{Api, Args, Stop, measured_stop, percentile, phase_ops, report_ops};

const FUNCTION: &str = "baton-loadbench-echo";
const HANDLER: &str = "def handler(event, context):\n    return event\n";

impl Api {
    /// A Lambda API request; a non-2xx answer is an error with its body.
    async fn lambda(&self, method: hyper::Method, path: &str, body: &Value) -> Result<Bytes> {
        let uri = format!("{}{path}", self.uri.to_string().trim_end_matches('/'));
        let request = hyper::Request::builder()
            .method(method)
            .uri(uri)
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(serde_json::to_vec(body)?)))?;
        self.send(request, path).await
    }

    /// Invoke with `payload`; checks the echo and the absence of a
    /// function error.
    async fn invoke_echo(&self, payload: &Value) -> Result<()> {
        let uri = format!(
            "{}/2015-03-31/functions/{FUNCTION}/invocations",
            self.uri.to_string().trim_end_matches('/')
        );
        let request = hyper::Request::post(uri)
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(serde_json::to_vec(payload)?)))?;
        let response = self
            .client
            .request(request)
            .await
            .context("Invoke: request failed")?;
        let status = response.status();
        let error = response.headers().get("x-amz-function-error").cloned();
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .context("Invoke: reading the response")?
            .to_bytes();
        if !status.is_success() || error.is_some() {
            bail!(
                "Invoke: HTTP {status}, X-Amz-Function-Error {error:?}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let echoed: Value = serde_json::from_slice(&body).context("Invoke: answer not JSON")?;
        if &echoed != payload {
            bail!("Invoke answered {echoed}, not the payload {payload}");
        }
        Ok(())
    }
}

/// A deployment package holding `app.py`.
fn package() -> Result<String> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("app.py", zip::write::SimpleFileOptions::default())?;
    zip.write_all(HANDLER.as_bytes())?;
    let bytes = zip.finish()?.into_inner();
    Ok(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        bytes,
    ))
}

/// (Re)creates the bench function.
async fn create_function(api: &Api, runtime: &str) -> Result<()> {
    let path = format!("/2015-03-31/functions/{FUNCTION}");
    // A leftover from an earlier (interrupted) run.
    let _ = api.lambda(hyper::Method::DELETE, &path, &json!({})).await;
    api.lambda(
        hyper::Method::POST,
        "/2015-03-31/functions",
        &json!({
            "FunctionName": FUNCTION,
            "Runtime": runtime,
            "Role": "arn:aws:iam::123456789012:role/baton-loadbench",
            "Handler": "app.handler",
            "Code": {"ZipFile": package()?},
            "Timeout": 30,
        }),
    )
    .await
    .context("CreateFunction")?;
    Ok(())
}

/// `count` cold starts: a configuration change, then one timed Invoke.
async fn cold_starts(api: &Api, count: u64) -> Result<Vec<Duration>> {
    let path = format!("/2015-03-31/functions/{FUNCTION}/configuration");
    let mut out = Vec::new();
    for j in 0..count {
        api.lambda(
            hyper::Method::PUT,
            &path,
            &json!({"Environment": {"Variables": {"BENCH_REVISION": j.to_string()}}}),
        )
        .await
        .context("UpdateFunctionConfiguration")?;
        let t0 = Instant::now();
        api.invoke_echo(&json!({"cold": j})).await?;
        out.push(t0.elapsed());
    }
    out.sort_unstable();
    Ok(out)
}

pub(crate) async fn run(api: &Api, args: &Args) -> Result<Value> {
    create_function(api, &args.runtime).await?;
    let result = measure(api, args).await;
    let _ = api
        .lambda(
            hyper::Method::DELETE,
            &format!("/2015-03-31/functions/{FUNCTION}"),
            &json!({}),
        )
        .await;
    result
}

async fn measure(api: &Api, args: &Args) -> Result<Value> {
    let cold = cold_starts(api, args.cold).await?;
    let cold_p50 = percentile(&cold, 0.5);
    let cold_max = cold.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    println!(
        "cold starts: {}  p50 {cold_p50:.3} ms  max {cold_max:.3} ms  (all: {:?})",
        cold.len(),
        cold.iter()
            .map(|d| (d.as_secs_f64() * 1e4).round() / 10.0)
            .collect::<Vec<_>>()
    );
    let op = |api: Api| {
        move |w: usize, i: u64| {
            let api = api.clone();
            async move { api.invoke_echo(&json!({"w": w, "i": i})).await }
        }
    };
    if args.warmup > 0.0 {
        let stop = Stop::At(Instant::now() + Duration::from_secs_f64(args.warmup));
        let w = phase_ops(args.concurrency, stop, op(api.clone())).await;
        if let Some(e) = w.first_error
            && w.latencies.is_empty()
        {
            bail!("warm-up failed: {e}");
        }
    }
    let r = phase_ops(args.concurrency, measured_stop(args), op(api.clone())).await;
    Ok(report_ops(
        "invokes",
        args,
        r,
        json!({
            "runtime": args.runtime,
            "cold_starts": cold.len(),
            "cold_p50_ms": crate::round3(cold_p50),
            "cold_max_ms": crate::round3(cold_max),
        }),
    ))
}
