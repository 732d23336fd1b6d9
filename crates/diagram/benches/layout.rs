//! Layout time of a generated 200-state machine (Choices with loops, Parallels, Maps, Catch
//! and Retry): `cargo bench -p diagram --bench layout`. The budget is 300 ms.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use diagram::Diagram;

/// A generated machine with at least `n` states (nested ones included).
fn at_least(n: usize) -> serde_json::Value {
    let mut size = n;
    loop {
        let def = common::machine(n as u64, size);
        if common::count_states(&def) >= n {
            return def;
        }
        size += 1;
    }
}

fn layout(c: &mut Criterion) {
    let def = at_least(200);
    let states = common::count_states(&def);
    let mut group = c.benchmark_group("layout");
    group.sample_size(20);
    group.bench_function(format!("from_definition_{states}_states"), |b| {
        b.iter(|| Diagram::from_definition(std::hint::black_box(&def)).unwrap())
    });
    let d = Diagram::from_definition(&def).unwrap();
    group.bench_function(format!("to_svg_{states}_states"), |b| b.iter(|| d.to_svg()));
    // Headroom: five times the budgeted size.
    let big = at_least(1000);
    let big_states = common::count_states(&big);
    group.sample_size(10);
    group.bench_function(format!("from_definition_{big_states}_states"), |b| {
        b.iter(|| Diagram::from_definition(std::hint::black_box(&big)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, layout);
criterion_main!(benches);
