//! `baton-loadbench`: drives a separately started `baton serve` through the
//! Step Functions API (AWS JSON 1.0 over HTTP/1.1, pooled keep-alive
//! connections) and reports throughput and latency.
//!
//! Scenarios:
//! - `standard`: StartExecution of a STANDARD 10-state Pass chain, then
//!   DescribeExecution until SUCCEEDED; executions/s and the latency of
//!   StartExecution→SUCCEEDED.
//! - `sync`: StartSyncExecution of an EXPRESS 10-state Pass chain.
//! - `loop`: one STANDARD execution of a Pass→Choice loop; state
//!   transitions/s inside that one execution.
//!
//! - `ddb-get` / `ddb-put`: DynamoDB GetItem / PutItem (AWS JSON 1.0,
//!   `X-Amz-Target: DynamoDB_20120810.*`) on a table the bench creates and
//!   fills (`--items`); operations/s and per-request latency
//!   (see [`ddb`]).
//! - `lambda-invoke`: Lambda Invoke of a trivial Python function through
//!   the Lambda API (see [`lambda`]).
//!
//! Prints a table and then one JSON line (prefixed `JSON `) for scripts.

mod ddb;
mod lambda;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use clap::{Parser, ValueEnum};
use http_body_util::{BodyExt, Full};
use hyper::header::CONTENT_TYPE;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Scenario {
    Standard,
    Sync,
    Loop,
    /// One Distributed Map over `--items` items (a Pass per child).
    Map,
    DdbGet,
    DdbPut,
    LambdaInvoke,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Standard => "standard",
            Scenario::Sync => "sync",
            Scenario::Loop => "loop",
            Scenario::Map => "map",
            Scenario::DdbGet => "ddb-get",
            Scenario::DdbPut => "ddb-put",
            Scenario::LambdaInvoke => "lambda-invoke",
        }
    }
}

#[derive(Parser, Debug)]
#[command(about = "Load benchmark against a running `baton serve`")]
pub(crate) struct Args {
    /// Where `baton serve` listens.
    #[arg(long, default_value = "http://127.0.0.1:4566")]
    endpoint: String,
    #[arg(long, value_enum, default_value = "standard")]
    scenario: Scenario,
    /// Concurrent workers (each with its own keep-alive connection).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Measured seconds (ignored with --count).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Measure exactly this many executions instead of a duration
    /// (`loop`: this many sequential loop executions; default 1).
    #[arg(long)]
    count: Option<u64>,
    /// Seconds of unmeasured load before measuring (`loop`: one unmeasured
    /// execution when > 0).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Pass states in the `standard`/`sync` chain.
    #[arg(long, default_value_t = 10)]
    states: usize,
    /// Loop iterations of the `loop` scenario. Each iteration adds four
    /// history events (Pass and Choice entered/exited), so 6,000 stays under
    /// the 25,000-event history cap.
    #[arg(long, default_value_t = 6000)]
    iterations: u64,
    /// `ddb-get`/`ddb-put`: distinct items (keys) the requests spread over;
    /// `ddb-get` writes them first.
    #[arg(long, default_value_t = 10_000)]
    items: u64,
    /// `ddb-get`/`ddb-put`: bytes of the `payload` string attribute per item.
    #[arg(long, default_value_t = 100)]
    item_bytes: usize,
    /// `lambda-invoke`: the Python runtime name of the bench function.
    #[arg(long, default_value = "python3.12")]
    runtime: String,
    /// `lambda-invoke`: cold starts to measure before the warm phase.
    #[arg(long, default_value_t = 5)]
    cold: u64,
}

/// A Step Functions client over a pooled hyper connection set.
#[derive(Clone)]
pub(crate) struct Api {
    client: Client<HttpConnector, Full<Bytes>>,
    uri: hyper::Uri,
}

impl Api {
    fn new(endpoint: &str, pool: usize) -> Result<Api> {
        let uri: hyper::Uri = endpoint
            .parse()
            .with_context(|| format!("--endpoint {endpoint} is not a URL"))?;
        if uri.scheme_str() != Some("http") {
            bail!("--endpoint must be an http:// URL");
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool)
            .build(connector);
        Ok(Api { client, uri })
    }

    /// One Step Functions call; a non-2xx answer is an error carrying AWS's
    /// error body.
    async fn call(&self, operation: &str, body: &Value) -> Result<Value> {
        let bytes = self
            .post_json(
                &format!("AWSStepFunctions.{operation}"),
                Bytes::from(serde_json::to_vec(body)?),
            )
            .await?;
        serde_json::from_slice(&bytes).with_context(|| format!("{operation}: response not JSON"))
    }

    /// POSTs an AWS JSON 1.0 body with `X-Amz-Target: target` to `/` and
    /// returns the 2xx answer's body; otherwise an error with AWS's body.
    async fn post_json(&self, target: &str, body: Bytes) -> Result<Bytes> {
        let request = hyper::Request::post(self.uri.clone())
            .header(CONTENT_TYPE, "application/x-amz-json-1.0")
            .header("x-amz-target", target)
            .body(Full::new(body))?;
        self.send(request, target).await
    }

    /// Sends a request; a non-2xx answer is an error carrying its body.
    async fn send(&self, request: hyper::Request<Full<Bytes>>, what: &str) -> Result<Bytes> {
        let response = self
            .client
            .request(request)
            .await
            .with_context(|| format!("{what}: request failed"))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .with_context(|| format!("{what}: reading the response"))?
            .to_bytes();
        if !status.is_success() {
            bail!("{what}: HTTP {status}: {}", String::from_utf8_lossy(&bytes));
        }
        Ok(bytes)
    }

    /// CreateStateMachine, idempotent for an identical definition.
    async fn create_machine(&self, name: &str, kind: &str, definition: &Value) -> Result<String> {
        let out = self
            .call(
                "CreateStateMachine",
                &json!({
                    "name": name,
                    "type": kind,
                    "definition": definition.to_string(),
                    "roleArn": "arn:aws:iam::123456789012:role/baton-loadbench",
                }),
            )
            .await?;
        out["stateMachineArn"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("CreateStateMachine: no stateMachineArn in {out}"))
    }
}

fn pass_chain(states: usize) -> Value {
    let mut map = serde_json::Map::new();
    for i in 1..=states {
        let mut state = json!({"Type": "Pass"});
        if i == states {
            state["End"] = json!(true);
        } else {
            state["Next"] = json!(format!("S{}", i + 1));
        }
        map.insert(format!("S{i}"), state);
    }
    json!({"Comment": "baton-loadbench Pass chain", "StartAt": "S1", "States": map})
}

fn choice_loop(iterations: u64) -> Value {
    json!({
        "Comment": "baton-loadbench Choice loop",
        "StartAt": "Inc",
        "States": {
            "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.i", "NumericLessThan": iterations, "Next": "Inc"}],
                "Default": "Done"
            },
            "Done": {"Type": "Succeed"}
        }
    })
}

/// When a phase of workers stops.
#[derive(Clone)]
pub(crate) enum Stop {
    At(Instant),
    Count(Arc<AtomicU64>, u64),
}

impl Stop {
    /// Whether a worker may start one more execution.
    fn claim(&self) -> bool {
        match self {
            Stop::At(t) => Instant::now() < *t,
            Stop::Count(n, max) => n.fetch_add(1, Ordering::Relaxed) < *max,
        }
    }
}

#[derive(Default)]
pub(crate) struct PhaseResult {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
    describes: u64,
    elapsed: Duration,
}

/// One execution of `standard` (Start + Describe until SUCCEEDED) or `sync`.
/// Returns how many DescribeExecution calls it took.
async fn one_execution(api: &Api, scenario: Scenario, machine: &str, name: &str) -> Result<u64> {
    let body = json!({"stateMachineArn": machine, "name": name, "input": "{\"a\":1,\"b\":\"x\"}"});
    if scenario == Scenario::Sync {
        let out = api.call("StartSyncExecution", &body).await?;
        if out["status"] != "SUCCEEDED" {
            bail!("StartSyncExecution ended {}: {out}", out["status"]);
        }
        return Ok(0);
    }
    let started = api.call("StartExecution", &body).await?;
    let arn = started["executionArn"]
        .as_str()
        .ok_or_else(|| anyhow!("StartExecution: no executionArn in {started}"))?;
    let describe = json!({"executionArn": arn});
    let mut polls = 0;
    loop {
        let out = api.call("DescribeExecution", &describe).await?;
        polls += 1;
        match out["status"].as_str() {
            Some("SUCCEEDED") => return Ok(polls),
            Some("RUNNING") => tokio::time::sleep(Duration::from_micros(200)).await,
            _ => bail!("execution {arn} ended {}: {out}", out["status"]),
        }
    }
}

async fn phase(
    api: &Api,
    scenario: Scenario,
    machine: &str,
    concurrency: usize,
    stop: Stop,
    tag: &str,
) -> PhaseResult {
    let began = Instant::now();
    let abort = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let api = api.clone();
        let machine = machine.to_string();
        let stop = stop.clone();
        let tag = tag.to_string();
        let abort = Arc::clone(&abort);
        workers.push(tokio::spawn(async move {
            let mut r = PhaseResult::default();
            let mut i = 0u64;
            while !abort.load(Ordering::Relaxed) && stop.claim() {
                i += 1;
                let name = format!("{tag}-{w}-{i}");
                let t0 = Instant::now();
                match one_execution(&api, scenario, &machine, &name).await {
                    Ok(polls) => {
                        r.latencies.push(t0.elapsed());
                        r.describes += polls;
                    }
                    Err(e) => {
                        r.errors += 1;
                        r.first_error.get_or_insert_with(|| format!("{e:#}"));
                        if r.latencies.is_empty() && r.errors >= 20 {
                            abort.store(true, Ordering::Relaxed);
                        }
                    }
                }
            }
            r
        }));
    }
    let mut total = PhaseResult::default();
    for w in workers {
        match w.await {
            Ok(r) => {
                total.latencies.extend(r.latencies);
                total.errors += r.errors;
                total.describes += r.describes;
                if total.first_error.is_none() {
                    total.first_error = r.first_error;
                }
            }
            Err(e) => {
                total.errors += 1;
                total.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    total.elapsed = began.elapsed();
    total
}

/// Runs `concurrency` workers, each calling `op(worker, i)` for i = 0, 1, …
/// until `stop`; every `Ok` is one measured latency. Stops early when the
/// first 20 calls of a worker all fail (a broken setup, not load).
pub(crate) async fn phase_ops<F, Fut>(concurrency: usize, stop: Stop, op: F) -> PhaseResult
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send + 'static,
{
    let began = Instant::now();
    let abort = Arc::new(AtomicBool::new(false));
    let op = Arc::new(op);
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let stop = stop.clone();
        let abort = Arc::clone(&abort);
        let op = Arc::clone(&op);
        workers.push(tokio::spawn(async move {
            let mut r = PhaseResult::default();
            let mut i = 0u64;
            while !abort.load(Ordering::Relaxed) && stop.claim() {
                let t0 = Instant::now();
                match op(w, i).await {
                    Ok(()) => r.latencies.push(t0.elapsed()),
                    Err(e) => {
                        r.errors += 1;
                        r.first_error.get_or_insert_with(|| format!("{e:#}"));
                        if r.latencies.is_empty() && r.errors >= 20 {
                            abort.store(true, Ordering::Relaxed);
                        }
                    }
                }
                i += 1;
            }
            r
        }));
    }
    let mut total = PhaseResult::default();
    for w in workers {
        match w.await {
            Ok(r) => {
                total.latencies.extend(r.latencies);
                total.errors += r.errors;
                if total.first_error.is_none() {
                    total.first_error = r.first_error;
                }
            }
            Err(e) => {
                total.errors += 1;
                total.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    total.elapsed = began.elapsed();
    total
}

/// Prints and returns the summary of a `phase_ops` run (operations/s and
/// latency percentiles in ms).
pub(crate) fn report_ops(label: &str, args: &Args, mut r: PhaseResult, extra: Value) -> Value {
    r.latencies.sort_unstable();
    let n = r.latencies.len() as u64;
    let secs = r.elapsed.as_secs_f64();
    let rate = n as f64 / secs;
    let (p50, p90, p99) = (
        percentile(&r.latencies, 0.50),
        percentile(&r.latencies, 0.90),
        percentile(&r.latencies, 0.99),
    );
    let max = r
        .latencies
        .last()
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    let mean = if n > 0 {
        r.latencies.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / n as f64
    } else {
        f64::NAN
    };
    println!(
        "scenario {}  concurrency {}  measured {:.2} s  endpoint {}",
        args.scenario.name(),
        args.concurrency,
        secs,
        args.endpoint
    );
    println!(
        "{:>10} {:>7} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9}",
        label, "errors", "ops/s", "mean ms", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
    println!(
        "{n:>10} {:>7} {rate:>12.1} {mean:>9.3} {p50:>9.3} {p90:>9.3} {p99:>9.3} {max:>9.3}",
        r.errors
    );
    if let Some(e) = &r.first_error {
        println!("first error: {e}");
    }
    let mut out = json!({
        "scenario": args.scenario.name(),
        "concurrency": args.concurrency,
        "seconds": round3(secs),
        "operations": n,
        "errors": r.errors,
        "ops_per_s": round3(rate),
        "mean_ms": round3(mean),
        "p50_ms": round3(p50),
        "p90_ms": round3(p90),
        "p99_ms": round3(p99),
        "max_ms": round3(max),
    });
    if let (Value::Object(o), Value::Object(e)) = (&mut out, extra) {
        o.extend(e);
    }
    out
}

/// The stop condition of a measured phase (`--count` or `--duration`).
pub(crate) fn measured_stop(args: &Args) -> Stop {
    match args.count {
        Some(n) => Stop::Count(Arc::new(AtomicU64::new(0)), n),
        None => Stop::At(Instant::now() + Duration::from_secs_f64(args.duration)),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

/// A short unique prefix for execution names of this process.
fn run_tag() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    format!("lb{}-{}", std::process::id(), millis % 100_000_000)
}

async fn run_executions(api: &Api, args: &Args) -> Result<Value> {
    let (name, kind) = match args.scenario {
        Scenario::Sync => (
            format!("baton-loadbench-express-{}", args.states),
            "EXPRESS",
        ),
        _ => (
            format!("baton-loadbench-standard-{}", args.states),
            "STANDARD",
        ),
    };
    let machine = api
        .create_machine(&name, kind, &pass_chain(args.states))
        .await?;
    let tag = run_tag();
    if args.warmup > 0.0 {
        let stop = Stop::At(Instant::now() + Duration::from_secs_f64(args.warmup));
        let w = phase(
            api,
            args.scenario,
            &machine,
            args.concurrency,
            stop,
            &format!("{tag}w"),
        )
        .await;
        if let Some(e) = w.first_error
            && w.latencies.is_empty()
        {
            bail!("warm-up failed: {e}");
        }
    }
    let stop = match args.count {
        Some(n) => Stop::Count(Arc::new(AtomicU64::new(0)), n),
        None => Stop::At(Instant::now() + Duration::from_secs_f64(args.duration)),
    };
    let mut r = phase(api, args.scenario, &machine, args.concurrency, stop, &tag).await;
    r.latencies.sort_unstable();
    let n = r.latencies.len() as u64;
    let secs = r.elapsed.as_secs_f64();
    let rate = n as f64 / secs;
    let (p50, p90, p99) = (
        percentile(&r.latencies, 0.50),
        percentile(&r.latencies, 0.90),
        percentile(&r.latencies, 0.99),
    );
    let max = r
        .latencies
        .last()
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    let mean = if n > 0 {
        r.latencies.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / n as f64
    } else {
        f64::NAN
    };
    println!(
        "scenario {}  concurrency {}  states {}  measured {:.2} s  endpoint {}",
        args.scenario.name(),
        args.concurrency,
        args.states,
        secs,
        args.endpoint
    );
    println!(
        "{:>10} {:>7} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "executions",
        "errors",
        "exec/s",
        "mean ms",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "describes"
    );
    println!(
        "{n:>10} {:>7} {rate:>12.1} {mean:>9.3} {p50:>9.3} {p90:>9.3} {p99:>9.3} {max:>9.3} {:>10.2}",
        r.errors,
        if n > 0 {
            r.describes as f64 / n as f64
        } else {
            0.0
        }
    );
    if let Some(e) = &r.first_error {
        println!("first error: {e}");
    }
    Ok(json!({
        "scenario": args.scenario.name(),
        "concurrency": args.concurrency,
        "states": args.states,
        "seconds": round3(secs),
        "executions": n,
        "errors": r.errors,
        "executions_per_s": round3(rate),
        "mean_ms": round3(mean),
        "p50_ms": round3(p50),
        "p90_ms": round3(p90),
        "p99_ms": round3(p99),
        "max_ms": round3(max),
        "describes_per_execution": if n > 0 { round3(r.describes as f64 / n as f64) } else { 0.0 },
    }))
}

pub(crate) fn round3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        -1.0
    }
}

/// One loop execution: (client-side seconds, server-side seconds).
async fn one_loop(api: &Api, machine: &str, name: &str) -> Result<(f64, f64)> {
    one_run(api, machine, name, "{\"i\":0}").await
}

/// Starts one execution and polls it every millisecond until it succeeds:
/// (client seconds, server seconds from its dates).
async fn one_run(api: &Api, machine: &str, name: &str, input: &str) -> Result<(f64, f64)> {
    let t0 = Instant::now();
    let started = api
        .call(
            "StartExecution",
            &json!({"stateMachineArn": machine, "name": name, "input": input}),
        )
        .await?;
    let arn = started["executionArn"]
        .as_str()
        .ok_or_else(|| anyhow!("StartExecution: no executionArn in {started}"))?;
    let describe = json!({"executionArn": arn});
    loop {
        let out = api.call("DescribeExecution", &describe).await?;
        match out["status"].as_str() {
            Some("SUCCEEDED") => {
                let client = t0.elapsed().as_secs_f64();
                let server = out["stopDate"].as_f64().unwrap_or(f64::NAN)
                    - out["startDate"].as_f64().unwrap_or(f64::NAN);
                return Ok((client, server));
            }
            Some("RUNNING") => tokio::time::sleep(Duration::from_millis(1)).await,
            _ => bail!(
                "execution {arn} ended {}: {} {}",
                out["status"],
                out["error"],
                out["cause"]
            ),
        }
    }
}

async fn run_loop(api: &Api, args: &Args) -> Result<Value> {
    let name = format!("baton-loadbench-loop-{}", args.iterations);
    let machine = api
        .create_machine(&name, "STANDARD", &choice_loop(args.iterations))
        .await?;
    // Pass N times, Choice N times, then Succeed.
    let transitions = 2 * args.iterations + 1;
    let tag = run_tag();
    if args.warmup > 0.0 {
        one_loop(api, &machine, &format!("{tag}-warmup")).await?;
    }
    let runs = args.count.unwrap_or(1).max(1);
    let mut client = Vec::new();
    let mut server = Vec::new();
    for i in 0..runs {
        let (c, s) = one_loop(api, &machine, &format!("{tag}-{i}")).await?;
        client.push(c);
        server.push(s);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (c, s) = (median(&mut client), median(&mut server));
    let rate = transitions as f64 / c;
    println!(
        "scenario loop  iterations {}  transitions {transitions}  runs {runs}  endpoint {}",
        args.iterations, args.endpoint
    );
    println!(
        "{:>14} {:>16} {:>14} {:>16}",
        "client s", "transitions/s", "server s", "server trans/s"
    );
    println!(
        "{c:>14.3} {rate:>16.0} {s:>14.3} {:>16.0}",
        transitions as f64 / s
    );
    Ok(json!({
        "scenario": "loop",
        "iterations": args.iterations,
        "transitions": transitions,
        "runs": runs,
        "seconds": round3(c),
        "transitions_per_s": rate.round(),
        "server_seconds": round3(s),
        // The API's dates have millisecond resolution, and a loop that
        // finishes inside StartExecution has startDate == stopDate.
        "server_transitions_per_s": if s > 0.0 { (transitions as f64 / s).round() } else { -1.0 },
    }))
}

/// A Distributed Map whose children each run one Pass state.
fn distributed_map() -> Value {
    json!({
        "Comment": "baton-loadbench Distributed Map",
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "Label": "Items",
                "End": true,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Touch",
                    "States": {"Touch": {"Type": "Pass", "Parameters": {"n.$": "$"}, "End": true}}
                }
            }
        }
    })
}

/// `map`: items/s through one Distributed Map, each item a child execution
/// with its own record and history.
async fn run_map(api: &Api, args: &Args) -> Result<Value> {
    let machine = api
        .create_machine("baton-loadbench-map", "STANDARD", &distributed_map())
        .await?;
    let input = serde_json::to_string(&(0..args.items).collect::<Vec<u64>>())?;
    let tag = run_tag();
    if args.warmup > 0.0 {
        one_run(api, &machine, &format!("{tag}-warmup"), &input).await?;
    }
    let runs = args.count.unwrap_or(1).max(1);
    let mut client = Vec::new();
    for i in 0..runs {
        let (c, _) = one_run(api, &machine, &format!("{tag}-{i}"), &input).await?;
        client.push(c);
    }
    client.sort_by(f64::total_cmp);
    let c = client[client.len() / 2];
    let rate = args.items as f64 / c;
    println!(
        "scenario map  items {}  runs {runs}  endpoint {}",
        args.items, args.endpoint
    );
    println!("{:>14} {:>16}", "client s", "items/s");
    println!("{c:>14.3} {rate:>16.0}");
    Ok(json!({
        "scenario": "map",
        "items": args.items,
        "runs": runs,
        "seconds": round3(c),
        "items_per_s": rate.round(),
    }))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.concurrency == 0 || args.states == 0 || args.iterations == 0 {
        bail!("--concurrency, --states and --iterations must be at least 1");
    }
    let api = Api::new(&args.endpoint, args.concurrency.max(1))?;
    let summary = match args.scenario {
        Scenario::Loop => run_loop(&api, &args).await?,
        Scenario::Map => run_map(&api, &args).await?,
        Scenario::DdbGet | Scenario::DdbPut => ddb::run(&api, &args).await?,
        Scenario::LambdaInvoke => lambda::run(&api, &args).await?,
        Scenario::Standard | Scenario::Sync => run_executions(&api, &args).await?,
    };
    println!("JSON {summary}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 0.50), 50.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&v[..1], 0.99), 1.0);
    }

    #[test]
    fn definitions_have_the_requested_shape() {
        let chain = pass_chain(10);
        assert_eq!(chain["States"].as_object().unwrap().len(), 10);
        assert_eq!(chain["States"]["S10"]["End"], true);
        assert_eq!(chain["States"]["S1"]["Next"], "S2");
        let lp = choice_loop(5);
        assert_eq!(lp["States"]["Check"]["Choices"][0]["NumericLessThan"], 5);
    }
}
