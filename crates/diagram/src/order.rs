//! Step 2: the proper layered graph (long edges split by dummy nodes) and the order of the
//! nodes within each layer, chosen to reduce edge crossings.
//!
//! The initial order comes from a depth-first walk from the start in flow order, so siblings
//! appear left to right in the order the definition lists them (Choice rules before Default,
//! Next before Catch). Then alternating down/up sweeps sort each layer by the barycentre
//! (mean position) of its neighbours in the layer just fixed, keeping the best order seen.

/// A node of the layered graph: a real node or a dummy on a long edge.
#[derive(Debug, Clone)]
pub struct LNode {
    pub width: f64,
    pub height: f64,
    /// Extra room on the right (for a self-loop and its label).
    pub right_pad: f64,
    pub layer: usize,
    /// Index of the real node, `None` for dummies.
    pub real: Option<usize>,
}

/// The layered graph: every edge joins adjacent layers.
#[derive(Debug, Clone, Default)]
pub struct Layered {
    pub nodes: Vec<LNode>,
    /// Edges to the layer below, with a weight (how much straightness matters).
    pub down: Vec<Vec<(usize, f64)>>,
    /// Edges to the layer above.
    pub up: Vec<Vec<(usize, f64)>>,
    pub layer_count: usize,
}

impl Layered {
    pub fn add_node(&mut self, node: LNode) -> usize {
        self.layer_count = self.layer_count.max(node.layer + 1);
        self.nodes.push(node);
        self.down.push(Vec::new());
        self.up.push(Vec::new());
        self.nodes.len() - 1
    }

    /// Links two nodes of adjacent layers. `importance` scales how hard the positioning tries
    /// to keep this edge straight (the main flow more than a Catch).
    pub fn add_edge(&mut self, upper: usize, lower: usize, importance: f64) {
        // Straight long edges matter most, then edges touching one dummy (as in Gansner et
        // al.'s Ω factors: 1, 2, 8).
        let weight = importance
            * match (self.nodes[upper].real, self.nodes[lower].real) {
                (Some(_), Some(_)) => 1.0,
                (None, None) => 8.0,
                _ => 2.0,
            };
        self.down[upper].push((lower, weight));
        self.up[lower].push((upper, weight));
    }
}

/// Orders each layer; returns the layers, top to bottom, each left to right.
pub fn order(graph: &Layered, max_sweeps: usize) -> Vec<Vec<usize>> {
    improve(graph, initial_order(graph), max_sweeps)
}

/// Barycentre sweeps from a given order; returns the best order seen.
fn improve(graph: &Layered, mut layers: Vec<Vec<usize>>, max_sweeps: usize) -> Vec<Vec<usize>> {
    let mut pos = positions(graph, &layers);
    let mut best = layers.clone();
    let mut best_crossings = crossings(graph, &layers, &pos);
    let mut since_better = 0;
    for sweep in 0..max_sweeps {
        if best_crossings == 0 {
            break;
        }
        let downward = sweep % 2 == 0;
        let range: Box<dyn Iterator<Item = usize>> = if downward {
            Box::new(1..graph.layer_count)
        } else {
            Box::new((0..graph.layer_count.saturating_sub(1)).rev())
        };
        for l in range {
            let fixed = if downward { &graph.up } else { &graph.down };
            let mut keyed: Vec<(f64, usize)> = layers[l]
                .iter()
                .map(|&v| {
                    let neighbours = &fixed[v];
                    let key = if neighbours.is_empty() {
                        pos[v] as f64
                    } else {
                        neighbours.iter().map(|&(u, _)| pos[u] as f64).sum::<f64>()
                            / neighbours.len() as f64
                    };
                    (key, v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            layers[l] = keyed.into_iter().map(|(_, v)| v).collect();
            for (i, &v) in layers[l].iter().enumerate() {
                pos[v] = i;
            }
        }
        let c = crossings(graph, &layers, &pos);
        if c < best_crossings {
            best_crossings = c;
            best = layers.clone();
            since_better = 0;
        } else {
            since_better += 1;
            if since_better >= 4 {
                break;
            }
        }
    }
    // Local swaps on the best order: each only ever removes crossings.
    let mut pos = positions(graph, &best);
    transpose(graph, &mut best, &mut pos);
    best
}

/// Swaps neighbours within a layer while that removes crossings (Gansner et al.'s
/// "transpose"): catches what barycentres miss, e.g. ties.
fn transpose(graph: &Layered, layers: &mut [Vec<usize>], pos: &mut [usize]) {
    // Crossings among the edges of `v` and `w` (v left of w) with one neighbouring layer.
    let pair = |pos: &[usize], v: usize, w: usize| -> usize {
        let mut c = 0;
        for adjacency in [&graph.up, &graph.down] {
            for &(a, _) in &adjacency[v] {
                for &(b, _) in &adjacency[w] {
                    if pos[a] > pos[b] {
                        c += 1;
                    }
                }
            }
        }
        c
    };
    for _ in 0..4 {
        let mut improved = false;
        for layer in layers.iter_mut() {
            for i in 1..layer.len() {
                let (v, w) = (layer[i - 1], layer[i]);
                if pair(pos, w, v) < pair(pos, v, w) {
                    layer.swap(i - 1, i);
                    pos[v] = i;
                    pos[w] = i - 1;
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
}

/// Depth-first from node 0 (then any node not reached), appending nodes to their layer.
fn initial_order(graph: &Layered) -> Vec<Vec<usize>> {
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); graph.layer_count];
    let mut seen = vec![false; graph.nodes.len()];
    for root in 0..graph.nodes.len() {
        if seen[root] {
            continue;
        }
        let mut stack = vec![root];
        while let Some(v) = stack.pop() {
            if seen[v] {
                continue;
            }
            seen[v] = true;
            layers[graph.nodes[v].layer].push(v);
            // Reverse so the first successor is visited first.
            for &(w, _) in graph.down[v].iter().rev() {
                if !seen[w] {
                    stack.push(w);
                }
            }
        }
    }
    layers
}

fn positions(graph: &Layered, layers: &[Vec<usize>]) -> Vec<usize> {
    let mut pos = vec![0; graph.nodes.len()];
    for layer in layers {
        for (i, &v) in layer.iter().enumerate() {
            pos[v] = i;
        }
    }
    pos
}

/// Number of edge crossings between all pairs of adjacent layers.
pub fn crossings(graph: &Layered, layers: &[Vec<usize>], pos: &[usize]) -> usize {
    let mut total = 0;
    for layer in layers.iter().take(layers.len().saturating_sub(1)) {
        let mut pairs: Vec<(usize, usize)> = layer
            .iter()
            .flat_map(|&u| graph.down[u].iter().map(move |&(w, _)| (pos[u], pos[w])))
            .collect();
        pairs.sort_unstable();
        total += inversions(pairs.into_iter().map(|(_, b)| b).collect());
    }
    total
}

/// Inversions of a sequence (pairs i < j with a[i] > a[j]), by merge sort.
fn inversions(mut a: Vec<usize>) -> usize {
    fn sort(a: &mut [usize], buf: &mut Vec<usize>) -> usize {
        let n = a.len();
        if n < 2 {
            return 0;
        }
        let mid = n / 2;
        let mut count = sort(&mut a[..mid], buf) + sort(&mut a[mid..], buf);
        buf.clear();
        let (mut i, mut j) = (0, mid);
        while i < mid && j < n {
            if a[i] <= a[j] {
                buf.push(a[i]);
                i += 1;
            } else {
                buf.push(a[j]);
                count += mid - i;
                j += 1;
            }
        }
        buf.extend_from_slice(&a[i..mid]);
        buf.extend_from_slice(&a[j..n]);
        a.copy_from_slice(buf);
        count
    }
    let mut buf = Vec::with_capacity(a.len());
    sort(&mut a, &mut buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(layer: usize, real: Option<usize>) -> LNode {
        LNode {
            width: 10.0,
            height: 10.0,
            right_pad: 0.0,
            layer,
            real,
        }
    }

    #[test]
    fn inversions_counts_pairs_out_of_order() {
        assert_eq!(inversions(vec![0, 1, 2]), 0);
        assert_eq!(inversions(vec![2, 1, 0]), 3);
        assert_eq!(inversions(vec![1, 0, 1, 0]), 3);
    }

    #[test]
    fn barycentre_sweeps_remove_an_avoidable_crossing() {
        // a → c, b → d, starting from the crossing order [a, b] / [d, c].
        let mut g = Layered::default();
        let a = g.add_node(node(0, Some(0)));
        let b = g.add_node(node(0, Some(1)));
        let c = g.add_node(node(1, Some(2)));
        let d = g.add_node(node(1, Some(3)));
        g.add_edge(a, c, 1.0);
        g.add_edge(b, d, 1.0);
        let bad = vec![vec![a, b], vec![d, c]];
        assert_eq!(crossings(&g, &bad, &positions(&g, &bad)), 1);
        let layers = improve(&g, bad, 8);
        assert_eq!(crossings(&g, &layers, &positions(&g, &layers)), 0);
        assert_eq!(layers[1], [c, d]);
    }

    #[test]
    fn transpose_swaps_a_crossing_pair_and_never_adds_crossings() {
        let mut g = Layered::default();
        let a = g.add_node(node(0, Some(0)));
        let b = g.add_node(node(0, Some(1)));
        let c = g.add_node(node(1, Some(2)));
        let d = g.add_node(node(1, Some(3)));
        g.add_edge(a, c, 1.0);
        g.add_edge(b, d, 1.0);
        let mut layers = vec![vec![a, b], vec![d, c]];
        let mut pos = positions(&g, &layers);
        transpose(&g, &mut layers, &mut pos);
        assert_eq!(crossings(&g, &layers, &pos), 0);
        // Already optimal: unchanged.
        let before = layers.clone();
        transpose(&g, &mut layers, &mut pos);
        assert_eq!(layers, before);
    }

    #[test]
    fn initial_order_follows_the_first_successor_first() {
        let mut g = Layered::default();
        let r = g.add_node(node(0, Some(0)));
        let x = g.add_node(node(1, Some(1)));
        let y = g.add_node(node(1, Some(2)));
        g.add_edge(r, y, 1.0);
        g.add_edge(r, x, 1.0);
        assert_eq!(initial_order(&g), [vec![r], vec![y, x]]);
    }
}
