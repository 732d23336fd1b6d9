//! Runs the jsonata-js reference test suite (JSON case files) against
//! `baton-jsonata` and prints failures, a per-group table and the line
//! `N passed, N failed, N skipped`.
//!
//! Usage: `jsonata-suite [--suite DIR] [--floor N] [--verbose]`
//!
//! The suite lives outside the repository (`shared/conformance/jsonata`
//! beside the checkout); when it cannot be found the run is skipped with
//! exit code 0, so builds without it still pass. `--floor N` fails the run
//! (exit 1) when fewer than N cases pass, to catch regressions when the
//! engine dependency is upgraded.
//!
//! Comparison rules (as in the reference runner): `result` must be deeply
//! equal (numbers compared as doubles, object key order ignored);
//! `undefinedResult` needs an undefined result; `code` (or `error.code`)
//! needs an error with that code (tokens, positions and messages are not
//! compared: the engine reports neither tokens nor positions). Cases the
//! harness cannot represent (JSON with lone UTF-16 surrogates, which Rust
//! strings cannot hold) are counted as skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use baton_jsonata::{EvalOptions, Expression, FixedHost, Limits};
use serde_json::Value;

/// Native stack for the evaluation thread. The engine grows its own stack
/// for deep evaluation; this only covers parsing and value conversion.
const STACK_BYTES: usize = 256 * 1024 * 1024;
const MAX_FAILURES_SHOWN: usize = 50;

#[derive(Default, Clone, Copy)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
}

enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

fn main() -> ExitCode {
    let mut suite: Option<PathBuf> = std::env::var_os("JSONATA_SUITE_DIR").map(PathBuf::from);
    let mut floor: Option<usize> = None;
    let mut verbose = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--suite" => suite = args.next().map(PathBuf::from),
            "--floor" => {
                let Some(n) = args.next().and_then(|s| s.trim().parse().ok()) else {
                    eprintln!("--floor needs a number");
                    return ExitCode::from(2);
                };
                floor = Some(n);
            }
            "--verbose" | "-v" => verbose = true,
            other => {
                eprintln!("unknown argument {other}");
                eprintln!("usage: jsonata-suite [--suite DIR] [--floor N] [--verbose]");
                return ExitCode::from(2);
            }
        }
    }
    let suite = suite.unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/jsonata")
    });
    if !suite.join("groups").is_dir() {
        println!(
            "JSONata suite not found at {}: skipping (0 passed, 0 failed, 0 skipped)",
            suite.display()
        );
        return ExitCode::SUCCESS;
    }

    // Run on a thread with a large stack; see STACK_BYTES.
    let worker = std::thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn(move || run(&suite, verbose))
        .expect("spawn suite thread");
    let total = match worker.join() {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            eprintln!("suite error: {e}");
            return ExitCode::from(2);
        }
        Err(_) => {
            eprintln!("suite runner panicked");
            return ExitCode::from(2);
        }
    };
    println!(
        "{} passed, {} failed, {} skipped",
        total.passed, total.failed, total.skipped
    );
    if let Some(floor) = floor
        && total.passed < floor
    {
        eprintln!(
            "FAIL: {} passed is below the floor of {floor}",
            total.passed
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(suite: &Path, verbose: bool) -> Result<Tally, String> {
    let datasets = load_datasets(&suite.join("datasets"))?;
    let mut groups: Vec<PathBuf> = read_dir_sorted(&suite.join("groups"))?
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    groups.sort();

    let mut per_group: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let mut total = Tally::default();
    let started = Instant::now();

    for group in &groups {
        let name = group
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tally = per_group.entry(name.clone()).or_default();
        for file in read_dir_sorted(group)? {
            if file.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let label = format!(
                "{name}/{}",
                file.file_name().unwrap_or_default().to_string_lossy()
            );
            let cases = match load_cases(&file) {
                Ok(cases) => cases,
                Err(reason) => {
                    // One unreadable file: count it as one skipped case.
                    tally.skipped += 1;
                    total.skipped += 1;
                    if verbose {
                        println!("SKIP {label}: {reason}");
                    }
                    continue;
                }
            };
            let many = cases.len() > 1;
            for (i, case) in cases.iter().enumerate() {
                let label = if many {
                    format!("{label}[{i}]")
                } else {
                    label.clone()
                };
                let t0 = Instant::now();
                let outcome = run_case(case, group, &datasets);
                let ms = t0.elapsed().as_millis();
                match outcome {
                    Outcome::Pass => {
                        tally.passed += 1;
                        total.passed += 1;
                    }
                    Outcome::Fail(reason) => {
                        tally.failed += 1;
                        total.failed += 1;
                        let expr = case_expr(case, group).unwrap_or_default();
                        failures.push(format!("{label}: {reason}\n    expr: {}", oneline(&expr)));
                    }
                    Outcome::Skip(reason) => {
                        tally.skipped += 1;
                        total.skipped += 1;
                        if verbose {
                            println!("SKIP {label}: {reason}");
                        }
                    }
                }
                if verbose && ms > 500 {
                    println!("SLOW {label}: {ms} ms");
                }
            }
        }
    }

    if !failures.is_empty() {
        println!(
            "Failures ({} total, first {} shown):",
            failures.len(),
            failures.len().min(MAX_FAILURES_SHOWN)
        );
        for f in failures.iter().take(MAX_FAILURES_SHOWN) {
            println!("  FAIL {f}");
        }
        println!();
    }
    println!(
        "{:<40} {:>7} {:>7} {:>7}",
        "group", "passed", "failed", "skipped"
    );
    for (name, t) in &per_group {
        println!(
            "{:<40} {:>7} {:>7} {:>7}",
            name, t.passed, t.failed, t.skipped
        );
    }
    println!(
        "{:<40} {:>7} {:>7} {:>7}",
        "TOTAL", total.passed, total.failed, total.skipped
    );
    println!("elapsed: {:.1} s", started.elapsed().as_secs_f64());
    Ok(total)
}

fn run_case(case: &Value, group: &Path, datasets: &BTreeMap<String, Value>) -> Outcome {
    let expr_src = match case_expr(case, group) {
        Ok(s) => s,
        Err(e) => return Outcome::Skip(e),
    };
    let input: Option<Value> = if let Some(data) = case.get("data") {
        Some(data.clone())
    } else {
        match case.get("dataset") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => match datasets.get(name) {
                Some(v) => Some(v.clone()),
                None => return Outcome::Skip(format!("unknown dataset {name}")),
            },
            Some(other) => return Outcome::Skip(format!("bad dataset field {other}")),
        }
    };
    let bindings = match case.get("bindings") {
        Some(Value::Object(map)) => map.clone(),
        _ => serde_json::Map::new(),
    };
    let mut limits = Limits::default();
    if let Some(ms) = case.get("timelimit").and_then(Value::as_u64) {
        limits.time_budget_ms = Some(ms);
    }
    if let Some(depth) = case.get("depth").and_then(Value::as_u64) {
        limits.max_depth = Some(depth as usize);
    }
    let options = EvalOptions {
        input: input.as_ref(),
        allow_eval: true,
        limits,
    };
    // 2017-07-13T05:20:00.000Z: any fixed instant will do.
    let mut host = FixedHost::new(1_499_923_200_000, 42);
    let result =
        Expression::parse(&expr_src).and_then(|e| e.evaluate_with(&bindings, &mut host, &options));

    let expected_code = case.get("code").and_then(Value::as_str).or_else(|| {
        case.get("error")
            .and_then(|e| e.get("code"))
            .and_then(Value::as_str)
    });
    if let Some(code) = expected_code {
        return match result {
            Err(e) if e.code == code => Outcome::Pass,
            Err(e) => Outcome::Fail(format!("expected error {code}, got error {e}")),
            Ok(v) => Outcome::Fail(format!("expected error {code}, got {}", show(v.as_ref()))),
        };
    }
    if case.get("undefinedResult").is_some() {
        return match result {
            Ok(None) => Outcome::Pass,
            Ok(Some(v)) => Outcome::Fail(format!("expected undefined, got {}", show(Some(&v)))),
            Err(e) => Outcome::Fail(format!("expected undefined, got error {e}")),
        };
    }
    if let Some(expected) = case.get("result") {
        return match result {
            Ok(Some(v)) if json_eq(&v, expected) => Outcome::Pass,
            Ok(v) => Outcome::Fail(format!(
                "expected {}, got {}",
                show(Some(expected)),
                show(v.as_ref())
            )),
            Err(e) => Outcome::Fail(format!("expected {}, got error {e}", show(Some(expected)))),
        };
    }
    Outcome::Skip("case has no expected outcome".to_string())
}

fn case_expr(case: &Value, group: &Path) -> Result<String, String> {
    if let Some(expr) = case.get("expr").and_then(Value::as_str) {
        return Ok(expr.to_string());
    }
    if let Some(file) = case.get("expr-file").and_then(Value::as_str) {
        return std::fs::read_to_string(group.join(file)).map_err(|e| format!("{file}: {e}"));
    }
    Err("case has neither expr nor expr-file".to_string())
}

/// Deep equality with JavaScript number semantics (1e7 == 10000000).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "undefined".to_string(),
        Some(v) => {
            let s = v.to_string();
            if s.len() > 200 {
                format!("{}…", &s[..s.floor_char_boundary(200)])
            } else {
                s
            }
        }
    }
}

fn oneline(s: &str) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.len() > 160 {
        format!("{}…", &s[..s.floor_char_boundary(160)])
    } else {
        s
    }
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    out.sort();
    Ok(out)
}

fn load_cases(file: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    match serde_json::from_str::<Value>(&text).map_err(|e| {
        if text.contains("\\uD8") || text.contains("\\uDC") || text.contains("\\ud8") {
            format!("not representable in Rust strings (lone UTF-16 surrogate): {e}")
        } else {
            e.to_string()
        }
    })? {
        Value::Array(cases) => Ok(cases),
        case @ Value::Object(_) => Ok(vec![case]),
        _ => Err("case file is neither an object nor an array".to_string()),
    }
}

fn load_datasets(dir: &Path) -> Result<BTreeMap<String, Value>, String> {
    let mut out = BTreeMap::new();
    for file in read_dir_sorted(dir)? {
        if file.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
        let value = serde_json::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
        out.insert(name, value);
    }
    Ok(out)
}
