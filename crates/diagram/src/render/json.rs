//! The layout as JSON, for clients that draw it themselves: `nodes`, `edges` and
//! `containers`, coordinates in pixels, origin top-left.

use serde_json::{Value, json};

use crate::Diagram;
use crate::layout::Geometry;

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn parent(g: &Geometry, p: Option<(usize, usize)>) -> Value {
    match p {
        Some((c, b)) => json!({"state": g.nodes[g.containers[c].node].name, "branch": b}),
        None => Value::Null,
    }
}

/// Renders the geometry.
pub fn render(diagram: &Diagram) -> Value {
    let g = diagram.geometry();
    let nodes: Vec<Value> = g
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({
                "id": format!("state-{i}"),
                "name": n.name,
                "type": n.kind,
                "marker": n.marker,
                "x": round(n.x), "y": round(n.y),
                "width": round(n.width), "height": round(n.height),
                "lines": n.lines,
                "caption": n.caption,
                "retry": n.retry.as_ref().map(|r| json!({
                    "rules": r.rules, "maxAttempts": r.max_attempts, "summary": r.summary
                })),
                "parent": parent(g, n.parent),
                "container": n.container.is_some(),
                "location": n.location,
            })
        })
        .collect();
    let edges: Vec<Value> = g
        .edges
        .iter()
        .map(|e| {
            json!({
                "from": e.from,
                "to": e.to,
                "kind": e.kind.as_str(),
                "label": e.label,
                "detail": e.detail,
                "points": e.points.iter().map(|&(x, y)| json!([round(x), round(y)])).collect::<Vec<_>>(),
                "labelBox": match (e.label_at, e.label_size) {
                    (Some((x, y)), Some((w, h))) => json!({
                        "x": round(x - w / 2.0), "y": round(y - h / 2.0),
                        "width": round(w), "height": round(h)
                    }),
                    _ => Value::Null,
                },
                "back": e.back,
                "selfLoop": e.self_loop,
                "path": crate::render::svg::path(e),
                "parent": parent(g, e.parent),
            })
        })
        .collect();
    let containers: Vec<Value> = g
        .containers
        .iter()
        .map(|c| {
            let n = &g.nodes[c.node];
            json!({
                "state": n.name,
                "type": n.kind,
                "x": round(n.x), "y": round(n.y),
                "width": round(n.width), "height": round(n.height),
                "headerHeight": round(c.header_height),
                // A Map's frame is the box less `stack` right and below (cards behind it).
                "stack": round(c.stack),
                "branches": c.lanes.iter().map(|&(x, y, w, h)| json!({
                    "x": round(x), "y": round(y), "width": round(w), "height": round(h)
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "width": round(g.width),
        "height": round(g.height),
        "nodes": nodes,
        "edges": edges,
        "containers": containers,
    })
}
