//! Group-commit throughput, measured rather than asserted (machines vary).
//! Run with: `cargo bench -p store --bench group_commit`

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::mpsc;
use std::time::Instant;

use common::*;
use store::*;

const BATCHES: usize = 10_000;
const THREADS: usize = 8;
const EVENTS: u64 = 22;

fn batch(t: usize, i: usize) -> Batch {
    let name = format!("tp-{t}-{i}");
    let arn = exec_arn(SM, &name);
    vec![
        Write::CreateExecution(execution(SM, &name, i as i64)),
        events(&arn, 1..=EVENTS),
        close(&arn, ExecutionStatus::Succeeded, i as i64 + 1),
    ]
}

/// Each thread keeps up to `window` batches in flight (1 = commit, wait,
/// commit: the latency-bound case).
/// Batches are built before the clock starts: on a small machine the
/// producers' JSON building would otherwise compete with the writer for CPU.
fn run(store: &dyn Store, label: &str, batches: usize, threads: usize, window: usize) {
    let mut prebuilt: Vec<Vec<Batch>> = (0..threads)
        .map(|t| (0..batches / threads).map(|i| batch(t, i)).collect())
        .collect();
    let started = Instant::now();
    std::thread::scope(|s| {
        for batches in prebuilt.drain(..) {
            s.spawn(move || {
                let mut in_flight = std::collections::VecDeque::new();
                for batch in batches {
                    if in_flight.len() == window {
                        let rx: mpsc::Receiver<Result<(), StoreError>> =
                            in_flight.pop_front().unwrap();
                        rx.recv().unwrap().unwrap();
                    }
                    in_flight.push_back(commit_async(store, batch));
                }
                for rx in in_flight {
                    rx.recv().unwrap().unwrap();
                }
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let per_sec = batches as f64 / secs;
    println!(
        "{label}: {batches} batches (CreateExecution + {EVENTS} events + CloseExecution) \
         from {threads} threads, window {window}: {secs:.2}s, {per_sec:.0} batches/s, \
         {:.0} events/s",
        per_sec * EVENTS as f64
    );
}

fn main() {
    // One thread waiting for each commit cannot be grouped: that is the
    // disk's fsync rate, the baseline grouping is measured against.
    for (batches, threads, window, sync) in [
        (BATCHES / 10, 1, 1, true),
        (BATCHES, THREADS, 1, true),
        (BATCHES, THREADS, 64, true),
        (BATCHES, THREADS, 64, false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteOptions {
            synchronous_full: sync,
            ..Default::default()
        };
        let store = SqliteStore::open(&dir.path().join("tp.db"), options).unwrap();
        let label = if sync {
            "sqlite synchronous=FULL"
        } else {
            "sqlite synchronous=NORMAL"
        };
        run(&store, label, batches, threads, window);
    }
    run(&MemoryStore::new(), "memory", BATCHES, THREADS, 64);
}
