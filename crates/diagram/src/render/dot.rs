//! Graphviz DOT. Parallel/Map states become clusters (one sub-cluster per branch) with an
//! invisible entry and exit point, so edges can end on and leave from the whole container
//! (`compound=true`, `lhead`/`ltail`). Back edges are written reversed with `dir=back`, so
//! Graphviz ranks the flow the way Baton's own layout does instead of guessing from the
//! input order.

use std::fmt::Write;

use crate::Diagram;
use crate::layout::{Geometry, NodeBox};
use crate::model::EdgeKind;

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn entry(name: &str) -> String {
    quote(&format!("{name}::entry"))
}

fn exit(name: &str) -> String {
    quote(&format!("{name}::exit"))
}

fn cluster(name: &str) -> String {
    quote(&format!("cluster_{name}"))
}

/// Renders the diagram as a `digraph`.
pub fn render(diagram: &Diagram) -> String {
    let g = diagram.geometry();
    let mut out = String::new();
    out.push_str("digraph state_machine {\n");
    if let Some(comment) = diagram.comment() {
        let _ = writeln!(out, "  label={};", quote(comment));
        out.push_str("  labelloc=t;\n");
    }
    out.push_str(
        "  graph [rankdir=TB, compound=true, nodesep=0.4, ranksep=0.4, fontname=\"Helvetica\"];\n",
    );
    out.push_str("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#59636e\"];\n");
    scope(&mut out, g, None, 1);
    for e in &g.edges {
        let (from_node, to_node) = (by_name(g, &e.from), by_name(g, &e.to));
        let mut attrs: Vec<String> = Vec::new();
        let from = match from_node.filter(|n| n.container.is_some()) {
            Some(_) => {
                attrs.push(format!("ltail={}", cluster(&e.from)));
                exit(&e.from)
            }
            None => quote(&e.from),
        };
        let to = match to_node.filter(|n| n.container.is_some()) {
            Some(_) => {
                attrs.push(format!("lhead={}", cluster(&e.to)));
                entry(&e.to)
            }
            None => quote(&e.to),
        };
        if let Some(label) = &e.label {
            attrs.push(format!("label={}", quote(label)));
        }
        match e.kind {
            EdgeKind::Catch => {
                attrs.push("style=dashed, color=\"#cf222e\", fontcolor=\"#cf222e\"".into())
            }
            EdgeKind::Choice => attrs.push("color=\"#0969da\", fontcolor=\"#0969da\"".into()),
            EdgeKind::Default => {
                attrs.push("style=dashed, color=\"#8250df\", fontcolor=\"#8250df\"".into())
            }
            _ => {}
        }
        let line = if e.back && !e.self_loop {
            attrs.push("dir=back".into());
            // The tail/head clipping swaps with the ends.
            let attrs: Vec<String> = attrs
                .into_iter()
                .map(|a| {
                    if let Some(rest) = a.strip_prefix("ltail=") {
                        format!("lhead={rest}")
                    } else if let Some(rest) = a.strip_prefix("lhead=") {
                        format!("ltail={rest}")
                    } else {
                        a
                    }
                })
                .collect();
            format!("  {to} -> {from} [{}];", attrs.join(", "))
        } else {
            format!("  {from} -> {to}{};", bracket(&attrs))
        };
        let _ = writeln!(out, "{line} // {}", e.kind.as_str());
    }
    out.push_str("}\n");
    out
}

fn bracket(attrs: &[String]) -> String {
    if attrs.is_empty() {
        String::new()
    } else {
        format!(" [{}]", attrs.join(", "))
    }
}

fn by_name<'a>(g: &'a Geometry, name: &str) -> Option<&'a NodeBox> {
    g.nodes.iter().find(|n| n.name == name)
}

fn scope(out: &mut String, g: &Geometry, parent: Option<(usize, usize)>, depth: usize) {
    let pad = "  ".repeat(depth);
    for n in g.nodes.iter().filter(|n| n.parent == parent) {
        if let Some(c) = n.container {
            let _ = writeln!(out, "{pad}subgraph {} {{", cluster(&n.name));
            let _ = writeln!(
                out,
                "{pad}  label={}; style=\"rounded,dashed\"; color=\"#818b98\";",
                quote(&format!(
                    "{}\n{}",
                    n.name,
                    n.caption.as_deref().unwrap_or(&n.kind)
                ))
            );
            let _ = writeln!(out, "{pad}  {} [shape=point, style=invis];", entry(&n.name));
            let lanes = g.containers[c].lanes.len();
            for b in 0..lanes {
                if lanes > 1 {
                    let _ = writeln!(
                        out,
                        "{pad}  subgraph {} {{",
                        cluster(&format!("{}::{b}", n.name))
                    );
                    let _ = writeln!(
                        out,
                        "{pad}    label={}; style=dotted;",
                        quote(&format!("Branch {}", b + 1))
                    );
                    scope(out, g, Some((c, b)), depth + 2);
                    let _ = writeln!(out, "{pad}  }}");
                } else {
                    scope(out, g, Some((c, b)), depth + 1);
                }
            }
            let _ = writeln!(out, "{pad}  {} [shape=point, style=invis];", exit(&n.name));
            // Keep the entry above and the exit below every branch.
            for inner in g
                .nodes
                .iter()
                .filter(|m| matches!(m.parent, Some((pc, _)) if pc == c))
            {
                let _ = writeln!(
                    out,
                    "{pad}  {} -> {} [style=invis]; {} -> {} [style=invis];",
                    entry(&n.name),
                    inner_ref(inner),
                    inner_ref(inner),
                    exit(&n.name)
                );
            }
            let _ = writeln!(out, "{pad}}}");
        } else {
            let _ = writeln!(out, "{pad}{}{};", quote(&n.name), bracket(&node_attrs(n)));
        }
    }
}

/// How to point at a box from inside its container: a nested container by its entry point.
fn inner_ref(n: &NodeBox) -> String {
    if n.container.is_some() {
        entry(&n.name)
    } else {
        quote(&n.name)
    }
}

fn node_attrs(n: &NodeBox) -> Vec<String> {
    let mut attrs = Vec::new();
    if n.marker {
        attrs.push(format!("label={}", quote(&n.kind)));
        attrs.push("shape=oval, fillcolor=\"#eaeef2\"".into());
        return attrs;
    }
    let mut label = n.name.clone();
    if let Some(caption) = &n.caption {
        label.push('\n');
        label.push_str(caption);
    }
    if let Some(retry) = &n.retry {
        label.push_str(&format!("\n↻ retry ×{}", retry.max_attempts));
    }
    attrs.push(format!("label={}", quote(&label)));
    match n.kind.as_str() {
        "Choice" => attrs.push("fillcolor=\"#fff8c5\", color=\"#bf8700\"".into()),
        "Fail" => attrs.push("fillcolor=\"#ffebe9\", color=\"#cf222e\"".into()),
        "Succeed" => attrs.push("fillcolor=\"#dafbe1\", color=\"#1a7f37\"".into()),
        "Pass" | "Wait" => attrs.push("fillcolor=\"#f6f8fa\"".into()),
        _ => {}
    }
    attrs
}
