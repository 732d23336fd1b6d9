//! The diagram's geometry: every scope laid out on its own, containers measured bottom-up
//! (a Parallel's branches side by side, a Map's iterator, under a header) and then treated by
//! their parent as one big box; finally everything is placed top-down in absolute
//! coordinates.

use crate::layered::{self, Placed};
use crate::model::{EdgeKind, Retry, Scope, State};
use crate::route::Side;
use crate::text;

/// Font size of state names.
pub const NAME_SIZE: f64 = 13.0;
/// Names are drawn semi-bold: measure them a little wider.
const NAME_MEASURE: f64 = NAME_SIZE * 1.08;
/// Font size of captions (type · resource) and edge labels.
pub const SMALL_SIZE: f64 = 11.0;
/// Line height of state names.
pub const NAME_LINE: f64 = 16.0;
/// Line height of captions.
pub const SMALL_LINE: f64 = 14.0;
const PAD_X: f64 = 14.0;
const PAD_Y: f64 = 9.0;
const MIN_WIDTH: f64 = 130.0;
const MAX_TEXT: f64 = 190.0;
/// Captions (function names) may widen a box a little more than names do.
const MAX_CAPTION: f64 = 230.0;
const MARKER_WIDTH: f64 = 62.0;
const MARKER_HEIGHT: f64 = 26.0;
/// Padding inside a container and between its branches.
const CONTAINER_PAD: f64 = 14.0;
const LANE_PAD: f64 = 12.0;
const LANE_GAP: f64 = 16.0;
/// Offset of the cards stacked behind a Map's frame.
pub const MAP_STACK: f64 = 6.0;
/// Margin around the whole drawing.
pub const MARGIN: f64 = 16.0;

/// A placed box: a state (plain or container) or a start/end marker.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeBox {
    /// State name, or `__start__` / `__end__`.
    pub name: String,
    /// `Type` of the state; `Start` / `End` for markers.
    pub kind: String,
    pub marker: bool,
    /// Top-left corner and size.
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// The name, wrapped.
    pub lines: Vec<String>,
    /// `Task · lambda:Fn`, fitted to the box.
    pub caption: Option<String>,
    pub retry: Option<Retry>,
    /// Index into `Geometry::containers` of the container holding this box, and the branch.
    pub parent: Option<(usize, usize)>,
    /// Index into `Geometry::containers` if this state is a Parallel/Map drawn as a container.
    pub container: Option<usize>,
    /// JSON-Pointer location in the definition (empty for markers).
    pub location: String,
}

/// A routed edge.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeLine {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    pub label: Option<String>,
    pub detail: Option<String>,
    pub points: Vec<(f64, f64)>,
    pub start_side: Side,
    pub end_side: Side,
    /// Centre and size of the label box.
    pub label_at: Option<(f64, f64)>,
    pub label_size: Option<(f64, f64)>,
    pub back: bool,
    pub self_loop: bool,
    /// Same as `NodeBox::parent`.
    pub parent: Option<(usize, usize)>,
}

/// A Parallel or Map state drawn as a container of its branches / iterator.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerBox {
    /// Index of the state's `NodeBox`.
    pub node: usize,
    /// Height of the header (name and caption) at the top of the box.
    pub header_height: f64,
    /// Lanes (one per branch), top-left and size.
    pub lanes: Vec<(f64, f64, f64, f64)>,
    /// Room kept right and below the frame for the "stack of cards" drawn behind a Map; the
    /// frame is the box less this much in each direction.
    pub stack: f64,
}

/// Everything placed, in absolute coordinates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Geometry {
    pub width: f64,
    pub height: f64,
    /// In document order: a scope's boxes in flow order, then the contents of each of its
    /// containers (recursively).
    pub nodes: Vec<NodeBox>,
    pub edges: Vec<EdgeLine>,
    pub containers: Vec<ContainerBox>,
}

/// Names and sizes of a box before placement.
struct Measure {
    lines: Vec<String>,
    caption: Option<String>,
    width: f64,
    height: f64,
}

/// A scope laid out in its own coordinates.
struct Measured<'a> {
    /// Real nodes of the layered layout: `(name, state)` where markers have no state.
    items: Vec<Item<'a>>,
    edges: Vec<EdgeSpec>,
    layout: layered::Layout,
}

enum Item<'a> {
    Marker {
        name: &'static str,
        kind: &'static str,
    },
    State {
        state: &'a State,
        measure: Measure,
        inner: Option<Inner<'a>>,
    },
}

/// A container's insides: its lanes, each with a laid-out scope, relative to the box.
struct Inner<'a> {
    stack: f64,
    header_height: f64,
    lanes: Vec<(f64, f64, f64, f64)>,
    branches: Vec<Measured<'a>>,
}

struct EdgeSpec {
    from: usize,
    to: usize,
    kind: EdgeKind,
    label: Option<String>,
    detail: Option<String>,
}

/// Lays out the whole machine.
pub fn geometry(scope: &Scope) -> Geometry {
    let measured = measure_scope(scope, true);
    let mut g = Geometry {
        width: measured.layout.width + 2.0 * MARGIN,
        height: measured.layout.height + 2.0 * MARGIN,
        ..Geometry::default()
    };
    emit(&measured, MARGIN, MARGIN, None, &mut g);
    g
}

fn measure_scope(scope: &Scope, top: bool) -> Measured<'_> {
    let mut items: Vec<Item> = Vec::new();
    let mut edges: Vec<EdgeSpec> = Vec::new();
    let offset = usize::from(top);
    if top {
        items.push(Item::Marker {
            name: "__start__",
            kind: "Start",
        });
        edges.push(EdgeSpec {
            from: 0,
            to: 1,
            kind: EdgeKind::Start,
            label: None,
            detail: None,
        });
    }
    for state in &scope.states {
        items.push(measure_state(state));
    }
    for t in &scope.transitions {
        edges.push(EdgeSpec {
            from: t.from + offset,
            to: t.to + offset,
            kind: t.kind,
            label: t.label.clone(),
            detail: t.detail.clone(),
        });
    }
    if top && scope.states.iter().any(|s| s.terminal) {
        let end = items.len();
        items.push(Item::Marker {
            name: "__end__",
            kind: "End",
        });
        for (i, s) in scope.states.iter().enumerate() {
            if s.terminal {
                edges.push(EdgeSpec {
                    from: i + offset,
                    to: end,
                    kind: EdgeKind::End,
                    label: None,
                    detail: None,
                });
            }
        }
    }
    let nodes: Vec<layered::Node> = items
        .iter()
        .map(|item| match item {
            Item::Marker { .. } => layered::Node {
                width: MARKER_WIDTH,
                height: MARKER_HEIGHT,
            },
            Item::State { measure, .. } => layered::Node {
                width: measure.width,
                height: measure.height,
            },
        })
        .collect();
    let lay_edges: Vec<layered::Edge> = edges
        .iter()
        .map(|e| layered::Edge {
            from: e.from,
            to: e.to,
            label: e.label.as_ref().map(|l| label_size(l)),
            weight: match e.kind {
                // The main flow should read as a straight line; error exits may bend.
                EdgeKind::Start | EdgeKind::Next => 4.0,
                EdgeKind::Choice | EdgeKind::Default => 1.0,
                EdgeKind::End => 0.5,
                EdgeKind::Catch => 0.05,
            },
        })
        .collect();
    let end_marker = items.iter().position(|i| {
        matches!(
            i,
            Item::Marker {
                name: "__end__",
                ..
            }
        )
    });
    let layout = layered::layout(&nodes, &lay_edges, end_marker);
    Measured {
        items,
        edges,
        layout,
    }
}

/// Size of an edge label box.
pub fn label_size(label: &str) -> (f64, f64) {
    (
        text::width(label, SMALL_SIZE) * 1.05 + 14.0,
        SMALL_LINE + 2.0,
    )
}

fn measure_state(state: &State) -> Item<'_> {
    let lines = text::wrap(&state.name, NAME_MEASURE, MAX_TEXT, 3);
    let name_width = lines
        .iter()
        .map(|l| text::width(l, NAME_MEASURE))
        .fold(0.0, f64::max);
    let raw_caption = caption(state);
    let caption_width = text::width(&raw_caption, SMALL_SIZE).min(MAX_CAPTION);
    let width = (name_width.max(caption_width) + 2.0 * PAD_X).max(MIN_WIDTH);
    let caption = text::fit(&raw_caption, SMALL_SIZE, width - 2.0 * PAD_X);
    let header_height = 2.0 * PAD_Y + lines.len() as f64 * NAME_LINE + SMALL_LINE;
    if state.children.is_empty() {
        return Item::State {
            state,
            measure: Measure {
                lines,
                caption: Some(caption),
                width,
                height: header_height,
            },
            inner: None,
        };
    }
    // A container: lay out each branch, then pack the lanes side by side under the header.
    let branches: Vec<Measured> = state
        .children
        .iter()
        .map(|s| measure_scope(s, false))
        .collect();
    let lanes_width: f64 = branches
        .iter()
        .map(|b| b.layout.width + 2.0 * LANE_PAD)
        .sum::<f64>()
        + LANE_GAP * (branches.len().saturating_sub(1)) as f64;
    let lanes_height = branches
        .iter()
        .map(|b| b.layout.height + 2.0 * LANE_PAD)
        .fold(0.0, f64::max);
    let header_width = width.max(text::width(&raw_caption, SMALL_SIZE) + 2.0 * PAD_X);
    let box_width = header_width.max(lanes_width + 2.0 * CONTAINER_PAD);
    let stack = if state.kind == "Map" { MAP_STACK } else { 0.0 };
    let box_height = header_height + lanes_height + CONTAINER_PAD;
    let mut lanes = Vec::new();
    let mut x = (box_width - lanes_width) / 2.0;
    for b in &branches {
        let w = b.layout.width + 2.0 * LANE_PAD;
        lanes.push((x, header_height, w, lanes_height));
        x += w + LANE_GAP;
    }
    let caption = text::fit(&raw_caption, SMALL_SIZE, box_width - 2.0 * PAD_X);
    // The header spans the whole box: wrap the name to that width (it only gets shorter, so
    // the header height measured above still holds).
    let lines = text::wrap(&state.name, NAME_MEASURE, box_width - 2.0 * PAD_X, 3);
    Item::State {
        state,
        measure: Measure {
            lines,
            caption: Some(caption),
            width: box_width + stack,
            height: box_height + stack,
        },
        inner: Some(Inner {
            stack,
            header_height,
            lanes,
            branches,
        }),
    }
}

fn caption(state: &State) -> String {
    match (state.kind.as_str(), &state.resource) {
        ("Parallel", _) => {
            let n = state.children.len();
            format!("Parallel · {n} branch{}", if n == 1 { "" } else { "es" })
        }
        ("Map", _) => match &state.map {
            Some(map) => map.clone(),
            None => "Map".to_string(),
        },
        // A resource means a Task: the resource says more than the type.
        (_, Some(resource)) => resource.clone(),
        (kind, None) => kind.to_string(),
    }
}

/// Places a measured scope at (`dx`, `dy`), appending to `g` in document order.
fn emit(m: &Measured, dx: f64, dy: f64, parent: Option<(usize, usize)>, g: &mut Geometry) {
    let mut names: Vec<String> = Vec::with_capacity(m.items.len());
    let mut pending: Vec<(usize, &Inner, Placed)> = Vec::new();
    for (item, placed) in m.items.iter().zip(&m.layout.nodes) {
        let (x, y) = (dx + placed.left(), dy + placed.top());
        let node = match item {
            Item::Marker { name, kind } => NodeBox {
                name: (*name).to_string(),
                kind: (*kind).to_string(),
                marker: true,
                x,
                y,
                width: placed.width,
                height: placed.height,
                lines: vec![(*kind).to_string()],
                caption: None,
                retry: None,
                parent,
                container: None,
                location: String::new(),
            },
            Item::State {
                state,
                measure,
                inner,
            } => {
                if let Some(inner) = inner {
                    pending.push((g.nodes.len(), inner, *placed));
                }
                NodeBox {
                    name: state.name.clone(),
                    kind: state.kind.clone(),
                    marker: false,
                    x,
                    y,
                    width: measure.width,
                    height: measure.height,
                    lines: measure.lines.clone(),
                    caption: measure.caption.clone(),
                    retry: state.retry.clone(),
                    parent,
                    container: None,
                    location: state.location.clone(),
                }
            }
        };
        names.push(node.name.clone());
        g.nodes.push(node);
    }
    for (spec, route) in m.edges.iter().zip(&m.layout.routes) {
        let shift = |p: (f64, f64)| (p.0 + dx, p.1 + dy);
        g.edges.push(EdgeLine {
            from: names[spec.from].clone(),
            to: names[spec.to].clone(),
            kind: spec.kind,
            label: spec.label.clone(),
            detail: spec.detail.clone(),
            points: route.points.iter().copied().map(shift).collect(),
            start_side: route.start_side,
            end_side: route.end_side,
            label_at: route.label.map(shift),
            label_size: route.label_size,
            back: route.back,
            self_loop: route.self_loop,
            parent,
        });
    }
    for (node_index, inner, placed) in pending {
        let container = g.containers.len();
        let (bx, by) = (dx + placed.left(), dy + placed.top());
        g.nodes[node_index].container = Some(container);
        g.containers.push(ContainerBox {
            node: node_index,
            header_height: inner.header_height,
            stack: inner.stack,
            lanes: inner
                .lanes
                .iter()
                .map(|&(x, y, w, h)| (bx + x, by + y, w, h))
                .collect(),
        });
        for (b, (branch, &(lx, ly, _, _))) in inner.branches.iter().zip(&inner.lanes).enumerate() {
            emit(
                branch,
                bx + lx + LANE_PAD,
                by + ly + LANE_PAD,
                Some((container, b)),
                g,
            );
        }
    }
}
