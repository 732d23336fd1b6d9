//! The layered (Sugiyama-style) layout of one flat graph of boxes: rank → order → position →
//! route. Knows nothing about ASL; `layout` feeds it one scope at a time, with containers
//! already measured as big boxes.

use crate::order::{self, LNode, Layered};
use crate::position::{self, LAYER_GAP};
use crate::rank;
use crate::route::{self, Route};

/// A box to place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    pub width: f64,
    pub height: f64,
}

/// An edge between two boxes, with the size of its label if it has one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub label: Option<(f64, f64)>,
    /// How much keeping this edge straight matters (1 = normal).
    pub weight: f64,
}

/// A placed box: centre and size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Placed {
    pub fn left(&self) -> f64 {
        self.x - self.width / 2.0
    }
    pub fn right(&self) -> f64 {
        self.x + self.width / 2.0
    }
    pub fn top(&self) -> f64 {
        self.y - self.height / 2.0
    }
    pub fn bottom(&self) -> f64 {
        self.y + self.height / 2.0
    }
}

/// The result: boxes and edge routes in the input's order, and the overall size.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub nodes: Vec<Placed>,
    pub routes: Vec<Route>,
    pub width: f64,
    pub height: f64,
}

/// Room to the right of a node for a self-loop arc (plus its label).
pub const SELF_LOOP_ROOM: f64 = 26.0;

/// Lays out `nodes` and `edges`. Node 0 is the entry (the start marker or `StartAt`); edges are
/// in flow order, which decides which edges of a cycle point back. `bottom`, if given, is put
/// on a row of its own below everything else (the end marker).
pub fn layout(nodes: &[Node], edges: &[Edge], bottom: Option<usize>) -> Layout {
    let pairs: Vec<(usize, usize)> = edges.iter().map(|e| (e.from, e.to)).collect();
    let back = rank::back_edges(nodes.len(), &pairs);
    let oriented: Vec<(usize, usize)> = pairs
        .iter()
        .zip(&back)
        .map(|(&(a, b), &r)| if r { (b, a) } else { (a, b) })
        .collect();
    let mut ranks = rank::longest_path(nodes.len(), &oriented, 2);
    if let Some(b) = bottom {
        let others = (0..nodes.len()).filter(|&v| v != b).map(|v| ranks[v]).max();
        ranks[b] = others.map_or(0, |r| r + 2);
    }

    // The proper layered graph: real nodes first (same indices), then dummies.
    let mut graph = Layered::default();
    for (i, n) in nodes.iter().enumerate() {
        let loop_label = edges
            .iter()
            .filter(|e| e.from == i && e.to == i)
            .map(|e| e.label.map_or(0.0, |(w, _)| w + 6.0))
            .fold(None, |acc: Option<f64>, w| Some(acc.unwrap_or(0.0).max(w)));
        graph.add_node(LNode {
            width: n.width,
            height: n.height,
            right_pad: loop_label.map_or(0.0, |w| SELF_LOOP_ROOM + w),
            layer: ranks[i],
            real: Some(i),
        });
    }
    // For each edge, its chain of layered nodes from the upper end to the lower end.
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(edges.len());
    for (i, &(upper, lower)) in oriented.iter().enumerate() {
        if upper == lower {
            chains.push(Vec::new());
            continue;
        }
        let mut chain = vec![upper];
        // The label sits next to the edge's source: first row for a forward edge, last
        // row for a back edge (whose source is the lower end).
        let label_layer = if back[i] {
            ranks[lower] - 1
        } else {
            ranks[upper] + 1
        };
        for layer in ranks[upper] + 1..ranks[lower] {
            let (width, height) = match edges[i].label {
                Some(size) if layer == label_layer => size,
                _ => (0.0, 0.0),
            };
            let dummy = graph.add_node(LNode {
                width,
                height,
                right_pad: 0.0,
                layer,
                real: None,
            });
            chain.push(dummy);
        }
        chain.push(lower);
        for w in chain.windows(2) {
            // A loop goes round the side: it should not pull the flow off its column.
            let weight = if back[i] {
                edges[i].weight * 0.25
            } else {
                edges[i].weight
            };
            graph.add_edge(w[0], w[1], weight);
        }
        chains.push(chain);
    }

    let layers = order::order(&graph, 24);
    let xs = position::x_positions(&graph, &layers, 8);

    // Rows: each as tall as its tallest member, centred.
    let mut layer_y = Vec::with_capacity(layers.len());
    let mut layer_height = Vec::with_capacity(layers.len());
    let mut top = 0.0;
    for layer in &layers {
        let h = layer
            .iter()
            .map(|&v| graph.nodes[v].height)
            .fold(0.0, f64::max);
        layer_height.push(h);
        layer_y.push(top + h / 2.0);
        top += h + LAYER_GAP;
    }
    let height = (top - LAYER_GAP).max(0.0);
    let placed_all: Vec<Placed> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(v, n)| Placed {
            x: xs[v],
            y: layer_y[n.layer],
            width: n.width,
            height: n.height,
        })
        .collect();
    let width = graph
        .nodes
        .iter()
        .zip(&placed_all)
        .map(|(n, p)| p.right() + n.right_pad)
        .fold(0.0, f64::max);

    let placed: Vec<Placed> = placed_all[..nodes.len()].to_vec();
    let row_heights: Vec<f64> = graph.nodes.iter().map(|n| layer_height[n.layer]).collect();
    let routes = route::routes(
        edges,
        &back,
        &chains,
        &placed_all,
        &row_heights,
        nodes.len(),
    );
    Layout {
        nodes: placed,
        routes,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxes(n: usize) -> Vec<Node> {
        vec![
            Node {
                width: 100.0,
                height: 40.0
            };
            n
        ]
    }

    fn overlaps(a: &Placed, b: &Placed) -> bool {
        a.left() < b.right() && b.left() < a.right() && a.top() < b.bottom() && b.top() < a.bottom()
    }

    #[test]
    fn a_chain_is_a_straight_column_top_to_bottom() {
        let edges: Vec<Edge> = (0..3)
            .map(|i| Edge {
                from: i,
                to: i + 1,
                label: None,
                weight: 1.0,
            })
            .collect();
        let l = layout(&boxes(4), &edges, None);
        for w in l.nodes.windows(2) {
            assert!(w[0].y < w[1].y);
            assert!((w[0].x - w[1].x).abs() < 1e-6);
        }
    }

    #[test]
    fn a_loop_keeps_the_flow_downward_and_its_back_edge_points_up() {
        // 0 → 1 → 2 → 3, 3 → 1 (loop)
        let mut edges: Vec<Edge> = (0..3)
            .map(|i| Edge {
                from: i,
                to: i + 1,
                label: None,
                weight: 1.0,
            })
            .collect();
        edges.push(Edge {
            from: 3,
            to: 1,
            label: Some((60.0, 16.0)),
            weight: 1.0,
        });
        let l = layout(&boxes(4), &edges, None);
        assert!(l.nodes[1].y < l.nodes[2].y && l.nodes[2].y < l.nodes[3].y);
        let r = &l.routes[3];
        assert!(r.back);
        assert!(r.points.first().unwrap().1 > r.points.last().unwrap().1);
        // The loop goes round the side, not through node 2.
        let label = r.label.unwrap();
        assert!((label.0 - l.nodes[2].x).abs() > 50.0, "{label:?}");
    }

    #[test]
    fn the_bottom_node_gets_the_last_row() {
        // 0 → 1 → 2 → 3, and 0 → 3 (3 would sit right under 2 anyway), 0 → 4: 4 goes last.
        let edges: Vec<Edge> = [(0, 1), (1, 2), (2, 3), (0, 4)]
            .iter()
            .map(|&(from, to)| Edge {
                from,
                to,
                label: None,
                weight: 1.0,
            })
            .collect();
        let l = layout(&boxes(5), &edges, Some(4));
        assert!(l.nodes[4].y > l.nodes[3].y);
    }

    #[test]
    fn nodes_and_labels_never_overlap() {
        // A fan-out with labels, plus a long edge.
        let mut edges = Vec::new();
        for to in 1..5 {
            edges.push(Edge {
                from: 0,
                to,
                label: Some((80.0, 16.0)),
                weight: 1.0,
            });
            edges.push(Edge {
                from: to,
                to: 5,
                label: None,
                weight: 1.0,
            });
        }
        edges.push(Edge {
            from: 0,
            to: 5,
            label: Some((50.0, 16.0)),
            weight: 1.0,
        });
        let l = layout(&boxes(6), &edges, None);
        let mut rects = l.nodes.clone();
        for r in &l.routes {
            if let (Some((x, y)), Some((w, h))) = (r.label, r.label_size) {
                rects.push(Placed {
                    x,
                    y,
                    width: w,
                    height: h,
                });
            }
        }
        for i in 0..rects.len() {
            for j in i + 1..rects.len() {
                assert!(!overlaps(&rects[i], &rects[j]), "{i} {j} {rects:?}");
            }
        }
    }
}
