//! In-process, single-threaded interpreter throughput: state transitions per
//! second for the shapes that dominate real workloads (a long Pass chain, a
//! Choice loop, an inline Map). Each iteration starts a fresh `Execution` of
//! an already-loaded `Machine` and drains its events; none of these machines
//! need effects, so the execution finishes inside `Execution::start`.
//!
//! Run: `cargo bench -p asl -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::sync::Arc;

use asl::{Execution, ExecutionInfo, Machine, Status};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

const N: usize = 1_000;

fn info() -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:bench:run".into(),
        name: "run".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:bench".into(),
        state_machine_name: "bench".into(),
        role_arn: "arn:aws:iam::123456789012:role/bench".into(),
        region: "us-east-1".into(),
        start_time: 1_700_000_000_000,
        redrive_count: Some(0),
        child_executions: false,
    }
}

fn load(definition: &Value) -> Arc<Machine> {
    let text = definition.to_string();
    match asl::load(&text) {
        Ok(m) => Arc::new(m),
        Err(d) => panic!("benchmark definition does not load: {d:?}"),
    }
}

/// `Pass0 → Pass1 → … → Pass{n-1}` (the last one ends), each with `extra`
/// fields (e.g. a JSONata `Output`).
fn pass_chain(n: usize, query_language: Option<&str>, extra: &[(&str, Value)]) -> Value {
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let mut s = serde_json::Map::new();
        s.insert("Type".into(), json!("Pass"));
        for (k, v) in extra {
            s.insert((*k).into(), v.clone());
        }
        if i + 1 < n {
            s.insert("Next".into(), json!(format!("Pass{}", i + 1)));
        } else {
            s.insert("End".into(), json!(true));
        }
        states.insert(format!("Pass{i}"), Value::Object(s));
    }
    let mut def = json!({ "StartAt": "Pass0", "States": states });
    if let Some(ql) = query_language {
        def["QueryLanguage"] = json!(ql);
    }
    def
}

/// `Inc` (Pass, `States.MathAdd`) → `Loop?` (Choice) → back to `Inc` while
/// `$.i < n`, else `Done` (Succeed).
fn choice_loop(n: usize) -> Value {
    json!({
        "StartAt": "Inc",
        "States": {
            "Inc": {
                "Type": "Pass",
                "Parameters": { "i.$": "States.MathAdd($.i, 1)" },
                "Next": "Loop?"
            },
            "Loop?": {
                "Type": "Choice",
                "Choices": [
                    { "Variable": "$.i", "NumericLessThan": n, "Next": "Inc" }
                ],
                "Default": "Done"
            },
            "Done": { "Type": "Succeed" }
        }
    })
}

/// An inline Map over `$.items` with a single Pass in its item processor.
fn inline_map() -> Value {
    json!({
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": { "Mode": "INLINE" },
                    "StartAt": "Item",
                    "States": { "Item": { "Type": "Pass", "End": true } }
                },
                "End": true
            }
        }
    })
}

/// Runs one execution to its end and returns the number of events it
/// recorded (so the work cannot be optimised away).
fn run(machine: &Arc<Machine>, input: &Value) -> usize {
    let mut exec = Execution::start(machine.clone(), info(), input.clone(), 7);
    let events = exec.take_events();
    debug_assert!(exec.take_effects().is_empty());
    match exec.status() {
        Status::Succeeded { .. } => {}
        other => panic!("benchmark execution did not succeed: {other:?}"),
    }
    events.len()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("interpreter");

    let small = json!({ "a": 1, "b": "x" });

    // 1,000 Pass transitions per execution.
    let chain = load(&pass_chain(N, None, &[]));
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("pass_chain_1000", |b| {
        b.iter(|| black_box(run(&chain, black_box(&small))))
    });

    // 1,000 × (Pass + Choice) + the final Succeed = 2,001 transitions.
    let looped = load(&choice_loop(N));
    let start = json!({ "i": 0 });
    group.throughput(Throughput::Elements(2 * N as u64 + 1));
    group.bench_function("choice_loop_1000", |b| {
        b.iter(|| black_box(run(&looped, black_box(&start))))
    });

    // The Map state itself plus one Pass per item = 1,001 transitions.
    let map = load(&inline_map());
    let items = json!({ "items": (0..N).map(|i| json!({ "a": i, "b": "x" })).collect::<Vec<_>>() });
    group.throughput(Throughput::Elements(N as u64 + 1));
    group.bench_function("inline_map_1000", |b| {
        b.iter(|| black_box(run(&map, black_box(&items))))
    });

    // The same Pass chain with `QueryLanguage: JSONata`: without `Output`
    // (the JSONata data flow, no expression evaluated) ...
    let jsonata_chain = load(&pass_chain(N, Some("JSONata"), &[]));
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("pass_chain_1000_jsonata", |b| {
        b.iter(|| black_box(run(&jsonata_chain, black_box(&small))))
    });

    // ... and with an `Output` expression evaluated in every state.
    let output = [(
        "Output",
        json!("{% {'a': $states.input.a + 1, 'b': $states.input.b} %}"),
    )];
    let jsonata_output = load(&pass_chain(N, Some("JSONata"), &output));
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("pass_chain_1000_jsonata_output", |b| {
        b.iter(|| black_box(run(&jsonata_output, black_box(&small))))
    });

    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
