//! Step 4: edge routes. An edge runs from a port on its source box, through its dummy nodes,
//! to a port on its target box.
//!
//! Forward edges leave at the bottom and enter at the top; when several share a side, their
//! ports are spread along it in the order of where they go, so they don't start on top of
//! each other. A back edge (a loop) leaves its source on the side where its dummies run and
//! enters its target on that side too, so it reads as a loop drawn round the states in
//! between. A self-loop is a small arc on the right.

use std::collections::BTreeMap;

use crate::layered::{Edge, Placed, SELF_LOOP_ROOM};

/// Rows taller than this are crossed in a straight line.
const TALL_ROW: f64 = 72.0;

/// An edge end on a side of a box: (where along the side it heads, edge index, is start).
type PortUser = (f64, usize, bool);

/// A direction a route leaves or enters a box by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Top,
    Bottom,
    Left,
    Right,
}

impl Side {
    /// Unit vector pointing out of the box.
    pub fn outward(self) -> (f64, f64) {
        match self {
            Side::Top => (0.0, -1.0),
            Side::Bottom => (0.0, 1.0),
            Side::Left => (-1.0, 0.0),
            Side::Right => (1.0, 0.0),
        }
    }
}

/// One routed edge, in its own direction (source first).
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Port on the source, the dummies' centres, port on the target.
    pub points: Vec<(f64, f64)>,
    pub start_side: Side,
    pub end_side: Side,
    /// Centre of the label, if the edge has one.
    pub label: Option<(f64, f64)>,
    pub label_size: Option<(f64, f64)>,
    /// A back edge (drawn against the flow).
    pub back: bool,
    /// An edge from a state to itself.
    pub self_loop: bool,
}

/// Routes every edge. `placed` holds real nodes first (`real_count` of them), then dummies;
/// `chains` lists each edge's nodes from upper to lower end (empty for self-loops).
///
/// `row_heights[d]` is the height of the row dummy `d` sits in: an edge passing a tall row
/// (a container beside it) runs straight down the whole row, so it never cuts a corner of
/// the box beside it; it only bends in the gaps between rows.
pub fn routes(
    edges: &[Edge],
    back: &[bool],
    chains: &[Vec<usize>],
    placed: &[Placed],
    row_heights: &[f64],
    real_count: usize,
) -> Vec<Route> {
    // First pass: sides and middle points, in drawing direction.
    let mut drafts: Vec<Route> = Vec::with_capacity(edges.len());
    for (i, edge) in edges.iter().enumerate() {
        if edge.from == edge.to {
            drafts.push(self_loop(edge, &placed[edge.from]));
            continue;
        }
        let mut chain = chains[i].clone();
        if back[i] {
            chain.reverse();
        }
        let direction = if back[i] { -1.0 } else { 1.0 };
        let mut middle: Vec<(f64, f64)> = Vec::with_capacity(chain.len());
        for &d in &chain[1..chain.len() - 1] {
            let (x, y) = (placed[d].x, placed[d].y);
            let half = row_heights[d] / 2.0;
            // Ordinary rows get one smooth bend; only rows much taller than a state (a
            // container beside the edge) are run straight through.
            if row_heights[d] > TALL_ROW {
                middle.push((x, y - direction * half));
                middle.push((x, y + direction * half));
            } else {
                middle.push((x, y));
            }
        }
        let label_node = chain[1..chain.len() - 1]
            .iter()
            .find(|&&d| placed[d].width > 0.0 && d >= real_count);
        let (src, dst) = (&placed[edge.from], &placed[edge.to]);
        let first = middle.first().copied().unwrap_or((dst.x, dst.y));
        let last = middle.last().copied().unwrap_or((src.x, src.y));
        let (start_side, end_side) = if back[i] {
            // A loop leaves and re-enters on the side its dummies run along.
            (side_of(src, first.0), side_of(dst, last.0))
        } else {
            (Side::Bottom, Side::Top)
        };
        drafts.push(Route {
            points: middle,
            start_side,
            end_side,
            label: label_node.map(|&d| (placed[d].x, placed[d].y)),
            label_size: label_node.map(|&d| (placed[d].width, placed[d].height)),
            back: back[i],
            self_loop: false,
        });
    }

    // Second pass: spread the ports that share a side of a box.
    // (box, side) → edges using it: (position along the side they head for, edge, is start).
    let mut ports: BTreeMap<(usize, Side), Vec<PortUser>> = BTreeMap::new();
    for (i, (edge, draft)) in edges.iter().zip(&drafts).enumerate() {
        if draft.self_loop {
            continue;
        }
        let toward_from_src = draft
            .points
            .first()
            .copied()
            .unwrap_or((placed[edge.to].x, placed[edge.to].y));
        let toward_from_dst = draft
            .points
            .last()
            .copied()
            .unwrap_or((placed[edge.from].x, placed[edge.from].y));
        let along = |side: Side, p: (f64, f64)| match side {
            Side::Top | Side::Bottom => p.0,
            Side::Left | Side::Right => p.1,
        };
        ports
            .entry((edge.from, draft.start_side))
            .or_default()
            .push((along(draft.start_side, toward_from_src), i, true));
        ports.entry((edge.to, draft.end_side)).or_default().push((
            along(draft.end_side, toward_from_dst),
            i,
            false,
        ));
    }
    for (key, mut users) in ports {
        users.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let (node, side) = key;
        let b = &placed[node];
        let span = match side {
            Side::Top | Side::Bottom => b.width * 0.6,
            Side::Left | Side::Right => b.height * 0.6,
        };
        let k = users.len();
        let step = if k > 1 {
            (span / (k - 1) as f64).min(16.0)
        } else {
            0.0
        };
        for (j, &(_, edge, is_start)) in users.iter().enumerate() {
            let offset = (j as f64 - (k - 1) as f64 / 2.0) * step;
            let point = match side {
                Side::Top => (b.x + offset, b.top()),
                Side::Bottom => (b.x + offset, b.bottom()),
                Side::Left => (b.left(), b.y + offset),
                Side::Right => (b.right(), b.y + offset),
            };
            let points = &mut drafts[edge].points;
            if is_start {
                points.insert(0, point);
            } else {
                points.push(point);
            }
        }
    }
    drafts
}

/// The side of `b` facing a route that continues at horizontal position `x`.
fn side_of(b: &Placed, x: f64) -> Side {
    if x >= b.x { Side::Right } else { Side::Left }
}

fn self_loop(edge: &Edge, b: &Placed) -> Route {
    let r = (b.height / 4.0).min(12.0);
    Route {
        points: vec![(b.right(), b.y - r), (b.right(), b.y + r)],
        start_side: Side::Right,
        end_side: Side::Right,
        label: edge
            .label
            .map(|(w, _)| (b.right() + SELF_LOOP_ROOM - 4.0 + w / 2.0 + 6.0, b.y)),
        label_size: edge.label,
        back: false,
        self_loop: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: f64, y: f64) -> Placed {
        Placed {
            x,
            y,
            width: 100.0,
            height: 40.0,
        }
    }

    #[test]
    fn forward_edge_runs_bottom_to_top_through_its_dummies() {
        let placed = [at(50.0, 20.0), at(50.0, 120.0), at(50.0, 70.0)];
        let edges = [Edge {
            from: 0,
            to: 1,
            label: None,
            weight: 1.0,
        }];
        let r = &routes(
            &edges,
            &[false],
            &[vec![0, 2, 1]],
            &placed,
            &[40.0, 40.0, 0.0],
            2,
        )[0];
        assert_eq!(r.points, [(50.0, 40.0), (50.0, 70.0), (50.0, 100.0)]);
        assert_eq!((r.start_side, r.end_side), (Side::Bottom, Side::Top));
    }

    #[test]
    fn back_edge_with_dummies_on_the_right_uses_right_sides() {
        // Target 0 above, source 1 below, dummy 2 to the right.
        let placed = [
            at(50.0, 20.0),
            at(50.0, 220.0),
            Placed {
                x: 200.0,
                y: 120.0,
                width: 0.0,
                height: 0.0,
            },
        ];
        let edges = [Edge {
            from: 1,
            to: 0,
            label: None,
            weight: 1.0,
        }];
        let r = &routes(
            &edges,
            &[true],
            &[vec![0, 2, 1]],
            &placed,
            &[40.0, 40.0, 0.0],
            2,
        )[0];
        assert_eq!((r.start_side, r.end_side), (Side::Right, Side::Right));
        assert_eq!(r.points.first(), Some(&(100.0, 220.0)));
        assert_eq!(r.points.last(), Some(&(100.0, 20.0)));
    }

    #[test]
    fn a_dummy_in_a_tall_row_runs_straight_down_the_row() {
        let placed = [
            at(50.0, 20.0),
            at(50.0, 320.0),
            Placed {
                x: 200.0,
                y: 170.0,
                width: 0.0,
                height: 0.0,
            },
        ];
        let edges = [Edge {
            from: 0,
            to: 1,
            label: None,
            weight: 1.0,
        }];
        let r = &routes(
            &edges,
            &[false],
            &[vec![0, 2, 1]],
            &placed,
            &[40.0, 40.0, 200.0],
            2,
        )[0];
        assert_eq!(r.points[1], (200.0, 70.0));
        assert_eq!(r.points[2], (200.0, 270.0));
    }

    #[test]
    fn ports_sharing_a_side_are_spread_in_target_order() {
        let placed = [at(150.0, 20.0), at(0.0, 120.0), at(300.0, 120.0)];
        let edges = [
            Edge {
                from: 0,
                to: 2,
                label: None,
                weight: 1.0,
            },
            Edge {
                from: 0,
                to: 1,
                label: None,
                weight: 1.0,
            },
        ];
        let rs = routes(
            &edges,
            &[false, false],
            &[vec![0, 2], vec![0, 1]],
            &placed,
            &[40.0; 3],
            3,
        );
        assert!(rs[0].points[0].0 > rs[1].points[0].0);
    }
}
