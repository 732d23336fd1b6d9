//! SVG: one `<g class="state …">` per state, one `<g class="edge …">` per transition,
//! containers nested. No colour is written on an element: everything comes from the
//! stylesheet below through CSS variables, with a light and a dark palette (the OS
//! preference, or a `dark`/`light` class or `data-theme` on an ancestor), so the console can
//! theme it and colour states by status (`status-running`, `status-succeeded`,
//! `status-failed`, `status-caught`, `status-retrying`, `status-aborted`,
//! `status-timed-out`, `status-not-started`).

use std::fmt::Write;

use super::{num, xml};
use crate::layout::{EdgeLine, Geometry, NAME_LINE, NodeBox, SMALL_LINE, SMALL_SIZE};
use crate::model::EdgeKind;
use crate::{Diagram, text};

/// Light palette: (variable, value).
const LIGHT: &[(&str, &str)] = &[
    ("bg", "#ffffff"),
    ("fg", "#1f2328"),
    ("muted", "#59636e"),
    ("node-bg", "#ffffff"),
    ("node-border", "#818b98"),
    ("container-bg", "#f6f8fa"),
    ("lane-border", "#d1d9e0"),
    ("edge", "#59636e"),
    ("choice", "#0969da"),
    ("default", "#8250df"),
    ("catch", "#cf222e"),
    ("choice-bg", "#fff8c5"),
    ("choice-border", "#bf8700"),
    ("flow-bg", "#f6f8fa"),
    ("fail-bg", "#ffebe9"),
    ("fail-border", "#cf222e"),
    ("succeed-bg", "#dafbe1"),
    ("succeed-border", "#1a7f37"),
    ("marker-bg", "#eaeef2"),
    ("badge-bg", "#ddf4ff"),
    ("badge-fg", "#0550ae"),
    ("label-bg", "#ffffff"),
    ("focus", "#0969da"),
    ("running", "#0969da"),
    ("running-bg", "#ddf4ff"),
    ("succeeded", "#1a7f37"),
    ("succeeded-bg", "#aceebb"),
    ("failed", "#cf222e"),
    ("failed-bg", "#ffcecb"),
    ("caught", "#bc4c00"),
    ("caught-bg", "#ffd8b5"),
    ("aborted", "#59636e"),
    ("aborted-bg", "#d1d9e0"),
];

/// Dark palette, same variables.
const DARK: &[(&str, &str)] = &[
    ("bg", "#0d1117"),
    ("fg", "#e6edf3"),
    ("muted", "#9198a1"),
    ("node-bg", "#161b22"),
    ("node-border", "#656c76"),
    ("container-bg", "#0f141a"),
    ("lane-border", "#30363d"),
    ("edge", "#9198a1"),
    ("choice", "#4493f8"),
    ("default", "#ab7df8"),
    ("catch", "#f85149"),
    ("choice-bg", "#272115"),
    ("choice-border", "#d29922"),
    ("flow-bg", "#1c2128"),
    ("fail-bg", "#2d1618"),
    ("fail-border", "#f85149"),
    ("succeed-bg", "#12261e"),
    ("succeed-border", "#3fb950"),
    ("marker-bg", "#21262d"),
    ("badge-bg", "#0c2d6b"),
    ("badge-fg", "#a5d6ff"),
    ("label-bg", "#0d1117"),
    ("focus", "#4493f8"),
    ("running", "#4493f8"),
    ("running-bg", "#0c2d6b"),
    ("succeeded", "#3fb950"),
    ("succeeded-bg", "#1b4721"),
    ("failed", "#f85149"),
    ("failed-bg", "#67060c"),
    ("caught", "#db6d28"),
    ("caught-bg", "#5a1e02"),
    ("aborted", "#9198a1"),
    ("aborted-bg", "#30363d"),
];

/// Rules that use the palette. Scoped under `.baton-diagram` so the sheet can be inlined in a
/// page without touching anything else.
const RULES: &str = r#"
:root.baton-diagram { background: var(--bd-bg); }
.baton-diagram { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
.baton-diagram text { fill: var(--bd-fg); font-size: 13px; }
.baton-diagram .node-name { font-weight: 600; }
.baton-diagram .node-caption, .baton-diagram .edge-label text, .baton-diagram .badge text { font-size: 11px; }
.baton-diagram .node-caption { fill: var(--bd-muted); }
.baton-diagram .node-box { fill: var(--bd-node-bg); stroke: var(--bd-node-border); stroke-width: 1.2px; }
.baton-diagram .state { cursor: pointer; outline: none; }
.baton-diagram .state:hover > .node-box { stroke-width: 2px; }
.baton-diagram .state:focus-visible > .node-box { stroke: var(--bd-focus); stroke-width: 3px; }
.baton-diagram .state-choice > .node-box { fill: var(--bd-choice-bg); stroke: var(--bd-choice-border); }
.baton-diagram .state-pass > .node-box, .baton-diagram .state-wait > .node-box { fill: var(--bd-flow-bg); }
.baton-diagram .state-fail > .node-box { fill: var(--bd-fail-bg); stroke: var(--bd-fail-border); stroke-width: 1.6px; }
.baton-diagram .state-succeed > .node-box { fill: var(--bd-succeed-bg); stroke: var(--bd-succeed-border); stroke-width: 1.6px; }
.baton-diagram .container > .state > .node-box { fill: var(--bd-container-bg); stroke-dasharray: 6 3; }
.baton-diagram .map-stack { fill: var(--bd-container-bg); stroke: var(--bd-node-border); stroke-dasharray: 6 3; }
.baton-diagram .lane { fill: none; stroke: var(--bd-lane-border); stroke-dasharray: 3 3; }
.baton-diagram .marker > .node-box { fill: var(--bd-marker-bg); stroke: var(--bd-node-border); }
.baton-diagram .marker text { font-size: 12px; fill: var(--bd-muted); font-weight: 600; }
.baton-diagram .badge rect { fill: var(--bd-badge-bg); stroke: var(--bd-badge-fg); stroke-width: 1px; }
.baton-diagram .badge text { fill: var(--bd-badge-fg); font-weight: 600; }
.baton-diagram .edge-path { fill: none; stroke: var(--bd-edge); stroke-width: 1.5px; }
.baton-diagram .edge-choice .edge-path { stroke: var(--bd-choice); }
.baton-diagram .edge-default .edge-path { stroke: var(--bd-default); stroke-dasharray: 7 3; }
.baton-diagram .edge-catch .edge-path { stroke: var(--bd-catch); stroke-dasharray: 4 3; }
.baton-diagram .edge[data-back] .edge-path { stroke-width: 1.8px; }
.baton-diagram .edge-label rect { fill: var(--bd-label-bg); stroke: none; opacity: 0.92; }
.baton-diagram .edge-choice .edge-label text { fill: var(--bd-choice); }
.baton-diagram .edge-default .edge-label text { fill: var(--bd-default); }
.baton-diagram .edge-catch .edge-label text { fill: var(--bd-catch); }
.baton-diagram .arrow path { fill: var(--bd-edge); }
.baton-diagram .arrow-choice path { fill: var(--bd-choice); }
.baton-diagram .arrow-default path { fill: var(--bd-default); }
.baton-diagram .arrow-catch path { fill: var(--bd-catch); }
.baton-diagram .state.status-running > .node-box { fill: var(--bd-running-bg); stroke: var(--bd-running); stroke-width: 2.5px; }
.baton-diagram .state.status-succeeded > .node-box { fill: var(--bd-succeeded-bg); stroke: var(--bd-succeeded); stroke-width: 2px; }
.baton-diagram .state.status-failed > .node-box { fill: var(--bd-failed-bg); stroke: var(--bd-failed); stroke-width: 2.5px; }
.baton-diagram .state.status-caught > .node-box { fill: var(--bd-caught-bg); stroke: var(--bd-caught); stroke-width: 2px; }
.baton-diagram .state.status-retrying > .node-box { fill: var(--bd-running-bg); stroke: var(--bd-caught); stroke-width: 2.5px; stroke-dasharray: 6 3; }
.baton-diagram .state:is(.status-aborted, .status-cancelled, .status-timed-out, .status-timed_out) > .node-box { fill: var(--bd-aborted-bg); stroke: var(--bd-aborted); stroke-width: 2px; }
.baton-diagram .state.status-not-started > .node-box { stroke-dasharray: 5 3; }
.baton-diagram .container > .state[class*="status-"] > .node-box { fill-opacity: 0.35; }
"#;

fn palette(out: &mut String, selector: &str, colours: &[(&str, &str)]) {
    out.push_str(selector);
    out.push_str(" {");
    for (name, value) in colours {
        let _ = write!(out, " --bd-{name}: {value};");
    }
    out.push_str(" }\n");
}

/// The stylesheet embedded in every SVG.
pub fn stylesheet() -> String {
    let mut css = String::new();
    palette(&mut css, ".baton-diagram", LIGHT);
    css.push_str("@media (prefers-color-scheme: dark) {\n");
    palette(&mut css, ".baton-diagram", DARK);
    css.push_str("}\n");
    palette(
        &mut css,
        ".dark .baton-diagram, [data-theme=\"dark\"] .baton-diagram, .baton-diagram.dark",
        DARK,
    );
    palette(
        &mut css,
        ".light .baton-diagram, [data-theme=\"light\"] .baton-diagram, .baton-diagram.light",
        LIGHT,
    );
    css.push_str(RULES.trim_start());
    css
}

const KINDS: [EdgeKind; 6] = [
    EdgeKind::Start,
    EdgeKind::Next,
    EdgeKind::Choice,
    EdgeKind::Default,
    EdgeKind::Catch,
    EdgeKind::End,
];

/// Renders the diagram.
pub fn render(diagram: &Diagram) -> String {
    let g = diagram.geometry();
    let mut out = String::with_capacity(4096 + g.nodes.len() * 600);
    let title = diagram.comment().unwrap_or("State machine");
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="baton-diagram" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="group" aria-label="{label}">"#,
        w = num(g.width),
        h = num(g.height),
        label = xml(&format!("State machine diagram: {title}")),
    );
    out.push('\n');
    let _ = writeln!(out, "<title>{}</title>", xml(title));
    let _ = writeln!(out, "<style>\n{}</style>", stylesheet());
    out.push_str("<defs>\n");
    for kind in KINDS {
        let _ = writeln!(
            out,
            r#"<marker id="baton-arrow-{k}" class="arrow arrow-{k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0.5 L10,5 L0,9.5 Z"/></marker>"#,
            k = kind.as_str()
        );
    }
    out.push_str("</defs>\n");
    scope(&mut out, g, None);
    out.push_str("</svg>\n");
    out
}

/// Draws one scope: its edges first (under the boxes), then its boxes.
fn scope(out: &mut String, g: &Geometry, parent: Option<(usize, usize)>) {
    for e in g.edges.iter().filter(|e| e.parent == parent) {
        edge(out, e);
    }
    for (i, n) in g.nodes.iter().enumerate() {
        if n.parent == parent {
            node(out, g, i, n);
        }
    }
}

fn node(out: &mut String, g: &Geometry, index: usize, n: &NodeBox) {
    if let Some(c) = n.container {
        let container = &g.containers[c];
        let _ = writeln!(
            out,
            r#"<g class="container" data-state="{}" data-type="{}">"#,
            xml(&n.name),
            n.kind.to_lowercase()
        );
        let stack = container.stack;
        // A Map is a stack of cards behind its frame: many iterations of the same steps.
        for offset in [stack, stack / 2.0].into_iter().filter(|o| *o > 0.0) {
            let _ = writeln!(
                out,
                r#"<rect class="map-stack" x="{}" y="{}" width="{}" height="{}" rx="8"/>"#,
                num(n.x + offset),
                num(n.y + offset),
                num(n.width - stack),
                num(n.height - stack)
            );
        }
        let frame = NodeBox {
            width: n.width - stack,
            height: n.height - stack,
            ..n.clone()
        };
        state_box(out, index, &frame, Some(container.header_height));
        for (b, &(x, y, w, h)) in container.lanes.iter().enumerate() {
            let _ = writeln!(
                out,
                r#"<rect class="lane" data-branch="{b}" x="{}" y="{}" width="{}" height="{}" rx="8"/>"#,
                num(x),
                num(y),
                num(w),
                num(h)
            );
            let _ = writeln!(out, r#"<g class="branch" data-branch="{b}">"#);
            scope(out, g, Some((c, b)));
            out.push_str("</g>\n");
        }
        out.push_str("</g>\n");
    } else {
        state_box(out, index, n, None);
    }
}

fn state_box(out: &mut String, index: usize, n: &NodeBox, header: Option<f64>) {
    let class = if n.marker {
        format!("marker marker-{}", n.kind.to_lowercase())
    } else {
        format!("state state-{}", n.kind.to_lowercase())
    };
    let aria = if n.marker {
        format!("{} of the state machine", n.kind)
    } else {
        format!("{}, {} state", n.name, n.kind)
    };
    // States are focusable buttons (the console opens their details); markers are not.
    let interactive = if n.marker {
        r#"role="img""#
    } else {
        r#"tabindex="0" role="button""#
    };
    let _ = write!(
        out,
        r#"<g class="{class}" data-state="{}" id="state-{index}" {interactive} aria-label="{}">"#,
        xml(&n.name),
        xml(&aria)
    );
    let tooltip = match &n.caption {
        Some(c) if !n.marker => format!("{}\n{}", n.name, c),
        _ => n.name.clone(),
    };
    let _ = write!(out, "<title>{}</title>", xml(&tooltip));
    let rx = if n.marker { n.height / 2.0 } else { 8.0 };
    let _ = write!(
        out,
        r#"<rect class="node-box" x="{}" y="{}" width="{}" height="{}" rx="{}"/>"#,
        num(n.x),
        num(n.y),
        num(n.width),
        num(n.height),
        num(rx)
    );
    let cx = n.x + n.width / 2.0;
    if n.marker {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" dominant-baseline="central">{}</text>"#,
            num(cx),
            num(n.y + n.height / 2.0),
            xml(&n.lines[0])
        );
    } else {
        // Text block (name lines + caption) centred in the box, or in the header.
        let area = header.unwrap_or(n.height);
        let block = n.lines.len() as f64 * NAME_LINE + SMALL_LINE;
        let mut y = n.y + (area - block) / 2.0;
        for line in &n.lines {
            let _ = write!(
                out,
                r#"<text class="node-name" x="{}" y="{}" text-anchor="middle" dominant-baseline="central">{}</text>"#,
                num(cx),
                num(y + NAME_LINE / 2.0),
                xml(line)
            );
            y += NAME_LINE;
        }
        if let Some(caption) = &n.caption {
            let _ = write!(
                out,
                r#"<text class="node-caption" x="{}" y="{}" text-anchor="middle" dominant-baseline="central">{}</text>"#,
                num(cx),
                num(y + SMALL_LINE / 2.0),
                xml(caption)
            );
        }
    }
    if let Some(retry) = &n.retry {
        // The most retries any retrier allows; the tooltip lists them all.
        let label = format!("↻ {}", retry.max_attempts);
        let w = text::width(&label, SMALL_SIZE) + 10.0;
        let h = 16.0;
        let x = n.x + n.width - w - 6.0;
        let y = n.y - h / 2.0;
        let _ = write!(
            out,
            r#"<g class="badge badge-retry"><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" rx="8"/><text x="{}" y="{}" text-anchor="middle" dominant-baseline="central">{}</text></g>"#,
            xml(&retry.summary),
            num(x),
            num(y),
            num(w),
            num(h),
            num(x + w / 2.0),
            num(y + h / 2.0),
            xml(&label)
        );
    }
    out.push_str("</g>\n");
}

fn edge(out: &mut String, e: &EdgeLine) {
    let kind = e.kind.as_str();
    // Loops are marked with an attribute, keeping the class list to the contract's.
    let back = if e.back { r#" data-back="true""# } else { "" };
    let _ = write!(
        out,
        r#"<g class="edge edge-{kind}" data-from="{}" data-to="{}"{back}>"#,
        xml(&e.from),
        xml(&e.to)
    );
    let tip = match (&e.detail, &e.label) {
        (Some(d), _) => format!("{} → {}: {}", e.from, e.to, d),
        (None, Some(l)) => format!("{} → {}: {}", e.from, e.to, l),
        _ => format!("{} → {}", e.from, e.to),
    };
    let _ = write!(out, "<title>{}</title>", xml(&tip));
    let _ = write!(
        out,
        r#"<path class="edge-path" d="{}" marker-end="url(#baton-arrow-{kind})"/>"#,
        path(e)
    );
    if let (Some(label), Some((x, y)), Some((w, h))) = (&e.label, e.label_at, e.label_size) {
        let _ = write!(
            out,
            r#"<g class="edge-label"><rect x="{}" y="{}" width="{}" height="{}" rx="3"/><text x="{}" y="{}" text-anchor="middle" dominant-baseline="central">{}</text></g>"#,
            num(x - w / 2.0),
            num(y - h / 2.0),
            num(w),
            num(h),
            num(x),
            num(y),
            xml(label)
        );
    }
    out.push_str("</g>\n");
}

/// A smooth path through the route's points: cubic segments whose tangents are vertical at
/// the dummies and perpendicular to the box side at the ends.
pub fn path(e: &EdgeLine) -> String {
    let pts = &e.points;
    if pts.is_empty() {
        return String::new();
    }
    let mut d = format!("M{},{}", num(pts[0].0), num(pts[0].1));
    if e.self_loop && pts.len() == 2 {
        let (a, b) = (pts[0], pts[1]);
        let bulge = 28.0;
        let _ = write!(
            d,
            " C{},{} {},{} {},{}",
            num(a.0 + bulge),
            num(a.1 - 10.0),
            num(b.0 + bulge),
            num(b.1 + 10.0),
            num(b.0),
            num(b.1)
        );
        return d;
    }
    let n = pts.len();
    let tangent = |i: usize| -> (f64, f64) {
        if i == 0 {
            e.start_side.outward()
        } else if i == n - 1 {
            let (x, y) = e.end_side.outward();
            (-x, -y)
        } else {
            let dy = pts[i + 1].1 - pts[i - 1].1;
            (0.0, if dy < 0.0 { -1.0 } else { 1.0 })
        }
    };
    for i in 0..n - 1 {
        let (p, q) = (pts[i], pts[i + 1]);
        let (tp, tq) = (tangent(i), tangent(i + 1));
        let (dx, dy) = ((q.0 - p.0).abs(), (q.1 - p.1).abs());
        let reach = |t: (f64, f64)| {
            if t.0 == 0.0 {
                (dy * 0.5).max(6.0)
            } else {
                (dx * 0.5).max(14.0)
            }
        };
        let (kp, kq) = (reach(tp), reach(tq));
        let _ = write!(
            d,
            " C{},{} {},{} {},{}",
            num(p.0 + tp.0 * kp),
            num(p.1 + tp.1 * kp),
            num(q.0 - tq.0 * kq),
            num(q.1 - tq.1 * kq),
            num(q.0),
            num(q.1)
        );
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::Side;

    fn line(points: Vec<(f64, f64)>, start: Side, end: Side) -> EdgeLine {
        EdgeLine {
            from: "a".into(),
            to: "b".into(),
            kind: EdgeKind::Next,
            label: None,
            detail: None,
            points,
            start_side: start,
            end_side: end,
            label_at: None,
            label_size: None,
            back: false,
            self_loop: false,
            parent: None,
        }
    }

    #[test]
    fn a_vertical_edge_is_a_straight_curve() {
        let d = path(&line(
            vec![(10.0, 0.0), (10.0, 40.0)],
            Side::Bottom,
            Side::Top,
        ));
        assert_eq!(d, "M10,0 C10,20 10,20 10,40");
    }

    #[test]
    fn a_side_port_leaves_horizontally() {
        let d = path(&line(
            vec![(100.0, 50.0), (150.0, 0.0)],
            Side::Right,
            Side::Top,
        ));
        assert!(d.starts_with("M100,50 C125,50"), "{d}");
    }

    #[test]
    fn stylesheet_has_both_palettes_for_every_variable() {
        let css = stylesheet();
        assert_eq!(LIGHT.len(), DARK.len());
        for (name, _) in LIGHT {
            assert!(
                DARK.iter().any(|(n, _)| n == name),
                "{name} has no dark value"
            );
            assert!(
                RULES.contains(&format!("var(--bd-{name})")),
                "--bd-{name} is unused"
            );
        }
        assert!(css.contains("prefers-color-scheme: dark"));
    }
}
