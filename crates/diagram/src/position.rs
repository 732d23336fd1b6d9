//! Step 3: coordinates. Rows (y) come from the layers; columns (x) from repeated sweeps in
//! which each node wants to sit at the weighted mean of its neighbours in the layer just
//! placed, subject to keeping its order and a minimum gap to its left neighbour.
//!
//! With the order fixed, "closest to the wanted positions, gaps respected" is an isotonic
//! regression: shifting node `i` by the sum of the gaps before it turns the gap constraints
//! into "non-decreasing", which pool-adjacent-violators solves exactly in linear time. Long
//! edges, whose dummy-to-dummy links weigh most, come out straight.

use crate::order::Layered;

/// Horizontal gap between two real nodes.
pub const NODE_GAP: f64 = 36.0;
/// Gap between a node and an edge passing by, or between two edges.
pub const EDGE_GAP: f64 = 14.0;
/// Vertical gap between layers.
pub const LAYER_GAP: f64 = 18.0;

/// Centre x of every node, leftmost box edge at 0.
pub fn x_positions(graph: &Layered, layers: &[Vec<usize>], iterations: usize) -> Vec<f64> {
    let mut x = vec![0.0; graph.nodes.len()];
    // Start packed to the left.
    for layer in layers {
        let mut right = 0.0;
        for (i, &v) in layer.iter().enumerate() {
            let gap = if i == 0 {
                0.0
            } else {
                gap(graph, layer[i - 1], v)
            };
            x[v] = right + gap + graph.nodes[v].width / 2.0;
            right = x[v] + graph.nodes[v].width / 2.0 + graph.nodes[v].right_pad;
        }
    }
    for it in 0..iterations {
        let down = it % 2 == 0;
        let order: Vec<usize> = if down {
            (1..layers.len()).collect()
        } else {
            (0..layers.len().saturating_sub(1)).rev().collect()
        };
        for l in order {
            let neighbours = if down { &graph.up } else { &graph.down };
            place_layer(graph, &layers[l], &mut x, |v| neighbours[v].as_slice());
        }
    }
    // Settle each layer against both neighbours.
    for layer in layers {
        let both: Vec<Vec<(usize, f64)>> = layer
            .iter()
            .map(|&v| graph.up[v].iter().chain(&graph.down[v]).copied().collect())
            .collect();
        let index: std::collections::HashMap<usize, usize> =
            layer.iter().enumerate().map(|(i, &v)| (v, i)).collect();
        place_layer(graph, layer, &mut x, |v| both[index[&v]].as_slice());
    }
    let left = graph
        .nodes
        .iter()
        .zip(&x)
        .map(|(n, &cx)| cx - n.width / 2.0)
        .fold(f64::INFINITY, f64::min);
    if left.is_finite() {
        for cx in &mut x {
            *cx -= left;
        }
    }
    x
}

/// Minimum distance between the centres of `a` and its right neighbour `b`.
pub fn separation(graph: &Layered, a: usize, b: usize) -> f64 {
    graph.nodes[a].width / 2.0
        + graph.nodes[a].right_pad
        + gap(graph, a, b)
        + graph.nodes[b].width / 2.0
}

fn gap(graph: &Layered, a: usize, b: usize) -> f64 {
    match (graph.nodes[a].real, graph.nodes[b].real) {
        (Some(_), Some(_)) => NODE_GAP,
        _ => EDGE_GAP,
    }
}

/// Moves the nodes of one layer as close as the gaps allow to the weighted mean of their
/// `neighbours`; a node without neighbours wants to stay where it is.
fn place_layer<'a>(
    graph: &Layered,
    layer: &[usize],
    x: &mut [f64],
    neighbours: impl Fn(usize) -> &'a [(usize, f64)],
) {
    if layer.is_empty() {
        return;
    }
    let mut wanted = Vec::with_capacity(layer.len());
    let mut weights = Vec::with_capacity(layer.len());
    for &v in layer {
        let ns = neighbours(v);
        let total: f64 = ns.iter().map(|&(_, w)| w).sum();
        if total > 0.0 {
            wanted.push(ns.iter().map(|&(u, w)| x[u] * w).sum::<f64>() / total);
            weights.push(total);
        } else {
            wanted.push(x[v]);
            weights.push(0.1);
        }
    }
    let mut offsets = Vec::with_capacity(layer.len());
    let mut offset = 0.0;
    for (i, &v) in layer.iter().enumerate() {
        if i > 0 {
            offset += separation(graph, layer[i - 1], v);
        }
        offsets.push(offset);
    }
    let targets: Vec<f64> = wanted.iter().zip(&offsets).map(|(w, o)| w - o).collect();
    let fitted = isotonic(&targets, &weights);
    for (i, &v) in layer.iter().enumerate() {
        x[v] = fitted[i] + offsets[i];
    }
}

/// Weighted least-squares non-decreasing fit (pool adjacent violators).
pub fn isotonic(values: &[f64], weights: &[f64]) -> Vec<f64> {
    // Blocks of (mean, weight, count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(values.len());
    for (&v, &w) in values.iter().zip(weights) {
        blocks.push((v, w, 1));
        while blocks.len() >= 2 {
            let (m2, w2, c2) = blocks[blocks.len() - 1];
            let (m1, w1, c1) = blocks[blocks.len() - 2];
            if m1 <= m2 {
                break;
            }
            blocks.pop();
            let merged_w = w1 + w2;
            *blocks.last_mut().expect("two blocks") =
                ((m1 * w1 + m2 * w2) / merged_w, merged_w, c1 + c2);
        }
    }
    blocks
        .into_iter()
        .flat_map(|(m, _, c)| std::iter::repeat_n(m, c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::LNode;

    #[test]
    fn isotonic_pools_violators_to_their_weighted_mean() {
        assert_eq!(isotonic(&[1.0, 2.0, 3.0], &[1.0; 3]), [1.0, 2.0, 3.0]);
        assert_eq!(isotonic(&[3.0, 1.0], &[1.0, 1.0]), [2.0, 2.0]);
        assert_eq!(isotonic(&[3.0, 0.0], &[1.0, 2.0]), [1.0, 1.0]);
    }

    fn graph(widths: &[(usize, f64)]) -> Layered {
        let mut g = Layered::default();
        for &(layer, width) in widths {
            g.add_node(LNode {
                width,
                height: 20.0,
                right_pad: 0.0,
                layer,
                real: Some(0),
            });
        }
        g
    }

    #[test]
    fn a_single_child_centres_under_its_parent() {
        let mut g = graph(&[(0, 100.0), (0, 100.0), (1, 40.0)]);
        g.add_edge(1, 2, 1.0);
        let x = x_positions(&g, &[vec![0, 1], vec![2]], 6);
        assert!((x[2] - x[1]).abs() < 1e-6, "{x:?}");
    }

    #[test]
    fn nodes_of_a_layer_keep_their_gap() {
        let mut g = graph(&[(0, 50.0), (1, 80.0), (1, 80.0), (1, 80.0)]);
        for c in 1..4 {
            g.add_edge(0, c, 1.0);
        }
        let x = x_positions(&g, &[vec![0], vec![1, 2, 3]], 6);
        for (a, b) in [(1, 2), (2, 3)] {
            assert!(x[b] - x[a] >= 80.0 + NODE_GAP - 1e-6, "{x:?}");
        }
        // The parent sits over the middle child.
        assert!((x[0] - x[2]).abs() < 1e-6, "{x:?}");
    }
}
