//! `baton-conformance`: runs the recorded AWS executions in
//! `shared/conformance/sfn/` through Baton's engine and compares status,
//! output, error, cause and history with what AWS recorded.
//!
//! Ends with the line `N passed, N failed, N skipped`; with `--floor N` it
//! exits non-zero when fewer than N cases pass, so CI notices a regression.

mod compare;
mod http;
mod lambdas;
mod remote;
mod tasks;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use asl::{ExecutionInfo, Status};
use clap::Parser;
use engine::{Clock, Runner};
use serde_json::{Value, json};

use compare::{Wildcards, short};

#[derive(Parser)]
#[command(about = "Run the AWS-recorded Step Functions conformance corpus")]
struct Args {
    /// The corpus folder (default: ../shared/conformance/sfn beside the checkout).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Fail unless at least this many cases pass.
    #[arg(long)]
    floor: Option<usize>,
    /// Read the floor from this file (one number).
    #[arg(long)]
    floor_file: Option<PathBuf>,
    /// Only run cases whose id contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Print every failure's details (default: the first 40).
    #[arg(long)]
    all_failures: bool,
    /// Run the cases through a running `baton serve` at this URL
    /// (`http://127.0.0.1:4566`) instead of in process. Start it with
    /// `--account 111111111111` (the corpus's account) and a large
    /// `--time-scale` (e.g. 1000) so real-time Waits pass quickly.
    #[arg(long)]
    endpoint: Option<String>,
    /// In process: how much faster than real time a task's running time
    /// counts against its TimeoutSeconds (see `tasks`).
    #[arg(long, default_value_t = 100.0)]
    time_scale: f64,
}

pub(crate) enum Verdict {
    Pass,
    Fail(String),
    Skip(&'static str),
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn default_corpus() -> Option<PathBuf> {
    let mut dir = std::env::current_dir().ok()?;
    loop {
        let candidate = dir.join("shared/conformance/sfn");
        if candidate.join("index.json").exists() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

fn real_main() -> Result<ExitCode> {
    let args = Args::parse();
    let Some(corpus) = args.corpus.clone().or_else(default_corpus) else {
        println!("conformance corpus not found (shared/conformance/sfn): skipping");
        return Ok(ExitCode::SUCCESS);
    };
    let floor = match (&args.floor, &args.floor_file) {
        (Some(n), _) => Some(*n),
        (None, Some(f)) => Some(
            std::fs::read_to_string(f)
                .with_context(|| format!("reading {}", f.display()))?
                .trim()
                .parse()
                .context("the floor file must hold one number")?,
        ),
        _ => None,
    };
    let index: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(corpus.join("index.json")).context("reading index.json")?,
    )?;
    let mut by_feature: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut skip_reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let (mut definitions, mut accepted_definitions) = (0, 0);
    let mut rejected_definitions: Vec<(String, String)> = Vec::new();
    let mut server = match &args.endpoint {
        Some(url) => Some(remote::Server::new(url)?),
        None => None,
    };
    let mut local = match &server {
        Some(_) => None,
        None => Some(tasks::LocalTasks::new(args.time_scale)?),
    };
    for row in &index {
        let id = row["id"].as_str().unwrap_or_default();
        if let Some(f) = &args.filter
            && !id.contains(f.as_str())
        {
            continue;
        }
        let file = corpus.join(row["file"].as_str().unwrap_or_default());
        let verdict = match load_case(&file) {
            Ok(case) => {
                // Every recorded definition was accepted by AWS, so Baton's
                // validator must accept it too, runnable here or not.
                definitions += 1;
                match rejected(&case) {
                    Some(why) => {
                        rejected_definitions.push((id.to_string(), why));
                    }
                    None => accepted_definitions += 1,
                }
                match (&mut server, &mut local) {
                    (Some(server), _) => server.run_case(id, &case),
                    (None, Some(local)) => run_case(&case, local),
                    (None, None) => unreachable!("one of the two is set above"),
                }
            }
            Err(e) => Verdict::Fail(format!("cannot read case: {e:#}")),
        };
        let slot = match &verdict {
            Verdict::Pass => {
                passed += 1;
                0
            }
            Verdict::Fail(reason) => {
                failed += 1;
                failures.push((id.to_string(), reason.clone()));
                1
            }
            Verdict::Skip(why) => {
                skipped += 1;
                *skip_reasons.entry(why).or_default() += 1;
                2
            }
        };
        for f in row["features"].as_array().into_iter().flatten() {
            if let Some(f) = f.as_str() {
                by_feature.entry(f.to_string()).or_default()[slot] += 1;
            }
        }
    }
    println!(
        "{:<40} {:>6} {:>6} {:>6}",
        "feature", "pass", "fail", "skip"
    );
    for (feature, [p, f, s]) in &by_feature {
        println!("{feature:<40} {p:>6} {f:>6} {s:>6}");
    }
    println!();
    for (why, n) in &skip_reasons {
        println!("skipped {n:>4}: {why}");
    }
    let shown = if args.all_failures {
        failures.len()
    } else {
        40
    };
    for (id, reason) in failures.iter().take(shown) {
        println!("FAIL {id}\n     {reason}");
    }
    if failures.len() > shown {
        println!(
            "… and {} more failures (--all-failures)",
            failures.len() - shown
        );
    }
    println!("definitions accepted by `baton validate`: {accepted_definitions} of {definitions}");
    for (id, why) in &rejected_definitions {
        println!("REJECTED {id}\n     {why}");
    }
    let ran = passed + failed;
    if ran > 0 {
        println!(
            "pass rate of runnable cases: {:.1}%",
            passed as f64 * 100.0 / ran as f64
        );
    }
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    if let Some(floor) = floor
        && passed < floor
    {
        println!("below the committed floor of {floor} passing cases");
        return Ok(ExitCode::from(1));
    }
    if !rejected_definitions.is_empty() {
        println!(
            "{} AWS-accepted definitions were rejected",
            rejected_definitions.len()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn load_case(path: &Path) -> Result<Value> {
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

/// Whether the case calls Lambda functions (the fixtures of
/// `conformance/functions`).
pub(crate) fn uses_lambda(case: &Value) -> bool {
    case["category"] == "lambda_simple"
}

/// Lambda placeholders in the recorded templates, filled with plausible ARNs.
fn with_placeholders_filled(template: &Value) -> Value {
    let text = template.to_string();
    let re = regex::Regex::new(r"\$\{LAMBDA_(\d+)_(ARN|NAME)\}").expect("static regex");
    let filled = re.replace_all(&text, |c: &regex::Captures| match &c[2] {
        "ARN" => format!("arn:aws:lambda:us-east-1:111111111111:function:f{}", &c[1]),
        _ => format!("f{}", &c[1]),
    });
    serde_json::from_str(&filled).unwrap_or_else(|_| template.clone())
}

/// Why `baton validate` rejects a case's definition, if it does.
fn rejected(case: &Value) -> Option<String> {
    let errors: Vec<String> = asl::validate(&with_placeholders_filled(&case["template"]))
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    (!errors.is_empty()).then(|| errors.join("; "))
}

fn run_case(case: &Value, local: &mut tasks::LocalTasks) -> Verdict {
    let filled;
    let case = if uses_lambda(case) {
        if std::env::var_os("BATON_PYTHON").is_none_or(|v| v.is_empty()) {
            return Verdict::Skip(
                "needs BATON_PYTHON (a Python 3 with awslambdaric) to run Lambda fixtures",
            );
        }
        let functions = match lambdas::functions_of(case) {
            Ok(f) => f,
            Err(e) => return Verdict::Fail(format!("{e:#}")),
        };
        if let Err(e) = local.deploy(&functions) {
            return Verdict::Fail(format!("{e:#}"));
        }
        filled = lambdas::filled_case(case, &functions, &|name| local.arn(name));
        &filled
    } else {
        case
    };
    let definition = case["template"].clone();
    let diagnostics = asl::validate(&definition);
    if diagnostics.iter().any(|d| d.is_error()) {
        return Verdict::Fail(format!(
            "definition rejected: {}",
            diagnostics
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    let machine = match asl::load_value(definition) {
        Ok(m) => Arc::new(m),
        Err(d) => return Verdict::Fail(format!("definition did not compile: {}", d[0])),
    };
    let input: Value = case["input_string"]
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_else(|| case["input"].clone());
    let kind = if case["state_machine_type"] == "EXPRESS" {
        "express"
    } else {
        "execution"
    };
    let info = ExecutionInfo {
        execution_arn: if kind == "express" {
            "arn:aws:states:us-east-1:111111111111:express:machine:execution:5c3b2a1e-0000-4000-8000-000000000001".into()
        } else {
            "arn:aws:states:us-east-1:111111111111:execution:machine:execution".into()
        },
        name: "execution".into(),
        state_machine_arn: "arn:aws:states:us-east-1:111111111111:stateMachine:machine".into(),
        state_machine_name: "machine".into(),
        role_arn: "arn:aws:iam::111111111111:role/baton-conformance".into(),
        region: "us-east-1".into(),
        start_time: 1_700_000_000_000,
        redrive_count: (kind != "express").then_some(0),
        child_executions: false,
    };
    let mut runner = Runner::new(local, Clock::Virtual);
    let outcome = runner.run(machine, info, input, 42, &mut |_| {});
    let (status, output, error, cause) = match &outcome.status {
        Status::Succeeded { output } => ("SUCCEEDED", Some(output.clone()), None, None),
        Status::Running => ("RUNNING", None, None, None),
        Status::Failed(f) | Status::TimedOut(f) | Status::Aborted(f) => (
            outcome.status.name(),
            None,
            f.error.clone(),
            f.cause.clone(),
        ),
    };
    let history: Vec<Event> = outcome
        .history
        .iter()
        .map(|e| Event {
            kind: e.event_type.as_str().to_string(),
            id: e.id,
            previous: e.previous_event_id,
        })
        .collect();
    judge(
        case,
        &Observed {
            status: status.to_string(),
            output,
            error,
            cause,
            history: Some(history),
        },
    )
}

/// What an execution ended with, however it was run.
pub(crate) struct Observed {
    pub status: String,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// `None` when there is no history to compare (Express executions).
    pub history: Option<Vec<Event>>,
}

/// One history event, as far as the comparison looks at it.
pub(crate) struct Event {
    pub kind: String,
    pub id: u64,
    pub previous: u64,
}

/// Compares an observed result with the case's recording.
pub(crate) fn judge(case: &Value, observed: &Observed) -> Verdict {
    let mut transformers: Vec<Value> = case["test_transformers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    transformers.push(json!({"args": ["", "snf_role_arn"]}));
    transformers.push(json!({"args": ["", "sfn_role_arn"]}));
    // LocalStack's default snapshot transformers for Step Functions mask
    // these values of the lambda:invoke envelope under these names.
    for literal in ["x-amzn-RequestId", "X-Amzn-Trace-Id", "RequestId", "date"] {
        transformers.push(json!({"args": ["", literal]}));
    }
    let w = Wildcards::new(&transformers);
    let expected = &case["expected"];
    let status = observed.status.as_str();
    let (output, error, cause) = (
        observed.output.as_ref(),
        observed.error.as_deref(),
        observed.cause.as_deref(),
    );
    if expected["status"] != status {
        return Verdict::Fail(format!(
            "status: expected {}, got {status} (error {:?}, cause {:?})",
            expected["status"], error, cause
        ));
    }
    if let Some(out) = output
        && let Some(d) = w.value_diff(&expected["output"], out, "output")
    {
        return Verdict::Fail(d);
    }
    if status != "SUCCEEDED" {
        let exp_error = &expected["error"];
        let ok = match (exp_error, error) {
            (Value::Null, None) => true,
            (Value::String(e), Some(a)) => w.string_matches(e, a),
            _ => false,
        };
        if !ok {
            return Verdict::Fail(format!(
                "error: expected {}, got {error:?}",
                short(exp_error)
            ));
        }
        if let Some(d) = w.cause_diff(&expected["cause"], cause) {
            return Verdict::Fail(d);
        }
    }
    if let Some(history) = &observed.history
        && let Some(reason) = history_diff(case, history)
    {
        return Verdict::Fail(reason);
    }
    Verdict::Pass
}

fn history_diff(case: &Value, history: &[Event]) -> Option<String> {
    let expected: Vec<&str> = case["expected"]["history_event_types"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let concurrent = case["caveats"].as_array().is_some_and(|c| {
        c.iter()
            .any(|v| v == "history_order_may_vary_with_concurrency")
    });
    // LocalStack's snapshot normaliser drops ParallelStateSucceeded.
    let keep_parallel_succeeded = expected.contains(&"ParallelStateSucceeded");
    let actual: Vec<&Event> = history
        .iter()
        .filter(|e| keep_parallel_succeeded || e.kind != "ParallelStateSucceeded")
        .collect();
    let mut a_types: Vec<&str> = actual.iter().map(|e| e.kind.as_str()).collect();
    let mut e_types = expected.clone();
    if concurrent {
        a_types.sort_unstable();
        e_types.sort_unstable();
    }
    // LocalStack's SfnNoneRecursiveParallelTransformer also drops the events
    // that close nested Parallel states; allow exactly those to be extra.
    let nested_parallel_dropped = case["test_transformers"].as_array().is_some_and(|t| {
        t.iter()
            .any(|t| t["type"] == "SfnNoneRecursiveParallelTransformer")
    });
    if nested_parallel_dropped && a_types != e_types {
        let mut remaining = a_types.clone();
        for e in &e_types {
            match remaining.iter().position(|a| a == e) {
                Some(i) => {
                    remaining.remove(i);
                }
                None => return Some(format!("history: expected a {e} event that is missing")),
            }
        }
        if remaining
            .iter()
            .all(|t| matches!(*t, "ParallelStateSucceeded" | "ParallelStateExited"))
        {
            return None;
        }
    }
    if a_types != e_types {
        let at = a_types
            .iter()
            .zip(&e_types)
            .position(|(a, e)| a != e)
            .unwrap_or(a_types.len().min(e_types.len()));
        return Some(format!(
            "history: first difference at event {}: expected {:?}, got {:?} ({} vs {} events)",
            at + 1,
            e_types.get(at),
            a_types.get(at),
            e_types.len(),
            a_types.len()
        ));
    }
    if concurrent || !keep_parallel_succeeded && history.len() != actual.len() {
        return None;
    }
    // Same types in the same order: check ids and previousEventId links.
    let recorded = case["expected_history"].as_array()?;
    for (e, a) in recorded.iter().zip(&actual) {
        let (Some(id), Some(prev)) = (e["id"].as_u64(), e["previousEventId"].as_u64()) else {
            continue;
        };
        if a.id != id || a.previous != prev {
            return Some(format!(
                "history: event {} ({}) expected id {id} prev {prev}, got id {} prev {}",
                a.id, a.kind, a.id, a.previous
            ));
        }
    }
    None
}
