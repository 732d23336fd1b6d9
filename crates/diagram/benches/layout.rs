//! Layout time of a generated 200-state machine (Choices with loops, Parallels, Maps, Catch
//! and Retry): `cargo bench -p diagram --bench layout`. The budget is 300 ms.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use diagram::Diagram;

fn layout(c: &mut Criterion) {
    let def = common::machine(200, 200);
    let states = common::count_states(&def);
    let mut group = c.benchmark_group("layout");
    group.sample_size(20);
    group.bench_function(format!("from_definition_{states}_states"), |b| {
        b.iter(|| Diagram::from_definition(std::hint::black_box(&def)).unwrap())
    });
    let d = Diagram::from_definition(&def).unwrap();
    group.bench_function(format!("to_svg_{states}_states"), |b| b.iter(|| d.to_svg()));
    group.finish();
}

criterion_group!(benches, layout);
criterion_main!(benches);
