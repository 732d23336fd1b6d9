//! Quick timing of a typical Step Functions expression:
//! `cargo run --release -p baton-jsonata --example bench`.

use baton_jsonata::{Bindings, Expression, FixedHost};
use serde_json::json;
use std::time::Instant;

fn main() {
    let items: Vec<_> = (0..20)
        .map(|i| json!({"name": format!("item{i}"), "price": i as f64 * 1.5, "qty": i % 4}))
        .collect();
    let states = json!({"input": {"orderId": "o-1", "items": items}, "context": {}});
    let cases = [
        ("simple field", "$states.input.orderId"),
        (
            "order summary",
            "{'total': $sum($states.input.items.(price * qty)), \
             'names': $states.input.items[price > 5].name, \
             'count': $count($states.input.items), 'id': $states.input.orderId & '-x'}",
        ),
    ];
    let mut host = FixedHost::new(0, 0);
    for (label, src) in cases {
        let n = 20_000;
        let t0 = Instant::now();
        for _ in 0..n {
            std::hint::black_box(Expression::parse(src).unwrap());
        }
        let parse = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
        let expr = Expression::parse(src).unwrap();
        let b = Bindings::new(&states);
        let t0 = Instant::now();
        for _ in 0..n {
            std::hint::black_box(expr.evaluate(&b, &mut host).unwrap());
        }
        let eval = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
        println!("{label:<15} parse {parse:8.2} µs   evaluate {eval:8.2} µs");
    }
}
