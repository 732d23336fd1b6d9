//! Mermaid flowchart. Parallel/Map states become subgraphs (one nested subgraph per branch);
//! edges to and from a container point at the subgraph itself, which Mermaid supports.
//! Node ids are `s<n>`, the same numbering as the SVG's `state-<n>`.

use std::fmt::Write;

use crate::Diagram;
use crate::layout::{Geometry, NodeBox};
use crate::model::EdgeKind;

/// Mermaid text is in double quotes; `"` and the few characters Mermaid reads as markup
/// become entity codes.
fn text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders the diagram as a top-down flowchart.
pub fn render(diagram: &Diagram) -> String {
    let g = diagram.geometry();
    let mut out = String::new();
    if let Some(comment) = diagram.comment() {
        let _ = writeln!(out, "---\ntitle: \"{}\"\n---", text(comment));
    }
    out.push_str("flowchart TD\n");
    scope(&mut out, g, None, 1);
    for e in &g.edges {
        let from = id(g, &e.from);
        let to = id(g, &e.to);
        let arrow = match e.kind {
            EdgeKind::Catch | EdgeKind::Default => "-.->",
            _ => "-->",
        };
        match &e.label {
            Some(label) => {
                let _ = writeln!(out, "  {from} {arrow}|\"{}\"| {to}", text(label));
            }
            None => {
                let _ = writeln!(out, "  {from} {arrow} {to}");
            }
        }
    }
    out.push_str("  classDef marker fill:#eaeef2,stroke:#818b98,color:#59636e\n");
    out.push_str("  classDef choice fill:#fff8c5,stroke:#bf8700\n");
    out.push_str("  classDef fail fill:#ffebe9,stroke:#cf222e\n");
    out.push_str("  classDef succeed fill:#dafbe1,stroke:#1a7f37\n");
    for (class, pick) in [
        ("marker", (|n: &NodeBox| n.marker) as fn(&NodeBox) -> bool),
        ("choice", |n| n.kind == "Choice"),
        ("fail", |n| n.kind == "Fail"),
        ("succeed", |n| n.kind == "Succeed"),
    ] {
        let ids: Vec<String> = g
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| pick(n))
            .map(|(i, _)| format!("s{i}"))
            .collect();
        if !ids.is_empty() {
            let _ = writeln!(out, "  class {} {class}", ids.join(","));
        }
    }
    out
}

fn id(g: &Geometry, name: &str) -> String {
    g.nodes
        .iter()
        .position(|n| n.name == name)
        .map(|i| format!("s{i}"))
        .unwrap_or_else(|| "missing".into())
}

fn scope(out: &mut String, g: &Geometry, parent: Option<(usize, usize)>, depth: usize) {
    let pad = "  ".repeat(depth);
    for (i, n) in g
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.parent == parent)
    {
        if let Some(c) = n.container {
            let _ = writeln!(
                out,
                "{pad}subgraph s{i} [\"{}<br/><small>{}</small>\"]",
                text(&n.name),
                text(n.caption.as_deref().unwrap_or(&n.kind))
            );
            let _ = writeln!(out, "{pad}  direction TB");
            let lanes = g.containers[c].lanes.len();
            for b in 0..lanes {
                if lanes > 1 {
                    let _ = writeln!(out, "{pad}  subgraph s{i}b{b} [\"Branch {}\"]", b + 1);
                    let _ = writeln!(out, "{pad}    direction TB");
                    scope(out, g, Some((c, b)), depth + 2);
                    let _ = writeln!(out, "{pad}  end");
                } else {
                    scope(out, g, Some((c, b)), depth + 1);
                }
            }
            let _ = writeln!(out, "{pad}end");
        } else {
            let _ = writeln!(out, "{pad}s{i}{}", shape(n));
        }
    }
}

fn shape(n: &NodeBox) -> String {
    if n.marker {
        return format!("([\"{}\"])", n.kind);
    }
    let mut label = text(&n.name);
    if let Some(retry) = &n.retry {
        let _ = write!(label, " ↻{}", retry.max_attempts);
    }
    match n.kind.as_str() {
        "Choice" => format!("{{\"{label}\"}}"),
        "Fail" | "Succeed" => format!("([\"{label}\"])"),
        _ => format!("[\"{label}\"]"),
    }
}
