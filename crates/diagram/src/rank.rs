//! Step 1 of the layered layout: break cycles, then give every node a rank (its row).
//!
//! Cycles are broken by reversing **back edges**: edges to a node that is still on the stack
//! of a depth-first walk from node 0 (the start) that visits successors in the order the
//! edges are given (flow order). The walk is the same whatever the input's key order, so a
//! loop such as "Choice → back to an earlier Task" is always the edge that points up, and is
//! drawn as a loop — never the forward flow.
//!
//! Ranks are longest-path ranks over the resulting DAG with a minimum edge length of 2: every
//! edge gets at least one row in between, where its label (if any) sits as a dummy node. Real
//! nodes therefore sit on even rows and labels on odd rows.

/// Which edges are back edges (`true` = reverse it for ranking). Self-loops are never
/// reversed; callers handle them apart.
pub fn back_edges(node_count: usize, edges: &[(usize, usize)]) -> Vec<bool> {
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); node_count];
    for (i, &(from, to)) in edges.iter().enumerate() {
        if from != to {
            out_edges[from].push(i);
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    let mut mark = vec![Mark::New; node_count];
    let mut back = vec![false; edges.len()];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..node_count {
        if mark[root] != Mark::New {
            continue;
        }
        mark[root] = Mark::OnStack;
        stack.push((root, 0));
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            if *next >= out_edges[node].len() {
                mark[node] = Mark::Done;
                stack.pop();
                continue;
            }
            let edge = out_edges[node][*next];
            *next += 1;
            let to = edges[edge].1;
            match mark[to] {
                Mark::OnStack => back[edge] = true,
                Mark::New => {
                    mark[to] = Mark::OnStack;
                    stack.push((to, 0));
                }
                Mark::Done => {}
            }
        }
    }
    back
}

/// Longest-path ranks of a DAG (edges already oriented), with `min_len` rows per edge.
/// Nodes without predecessors get rank 0. Self-loops are ignored.
pub fn longest_path(node_count: usize, dag: &[(usize, usize)], min_len: usize) -> Vec<usize> {
    let mut indegree = vec![0usize; node_count];
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); node_count];
    for &(from, to) in dag {
        if from != to {
            indegree[to] += 1;
            out_edges[from].push(to);
        }
    }
    let mut rank = vec![0usize; node_count];
    // Kahn's algorithm; a FIFO in index order keeps it deterministic.
    let mut queue: std::collections::VecDeque<usize> =
        (0..node_count).filter(|&v| indegree[v] == 0).collect();
    while let Some(v) = queue.pop_front() {
        for &w in &out_edges[v] {
            rank[w] = rank[w].max(rank[v] + min_len);
            indegree[w] -= 1;
            if indegree[w] == 0 {
                queue.push_back(w);
            }
        }
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edge_closing_a_loop_is_the_back_edge() {
        // 0 → 1 → 2 → 3 → 1 (loop), 3 → 4
        let edges = [(0, 1), (1, 2), (2, 3), (3, 1), (3, 4)];
        assert_eq!(back_edges(5, &edges), [false, false, false, true, false]);
    }

    #[test]
    fn cross_and_forward_edges_are_not_reversed() {
        // Diamond plus a forward skip: no cycle at all.
        let edges = [(0, 1), (0, 2), (1, 3), (2, 3), (0, 3)];
        assert!(back_edges(4, &edges).iter().all(|b| !b));
    }

    #[test]
    fn self_loops_are_left_alone() {
        assert_eq!(back_edges(2, &[(0, 0), (0, 1)]), [false, false]);
    }

    #[test]
    fn ranks_are_longest_paths_with_minimum_length() {
        let dag = [(0, 1), (1, 2), (0, 2), (2, 3)];
        assert_eq!(longest_path(4, &dag, 2), [0, 2, 4, 6]);
    }

    #[test]
    fn after_reversal_every_edge_points_down() {
        let edges = [(0, 1), (1, 2), (2, 0), (2, 3), (3, 1)];
        let back = back_edges(4, &edges);
        let dag: Vec<(usize, usize)> = edges
            .iter()
            .zip(&back)
            .map(|(&(a, b), &r)| if r { (b, a) } else { (a, b) })
            .collect();
        let rank = longest_path(4, &dag, 2);
        for &(a, b) in &dag {
            assert!(rank[a] < rank[b], "{a}->{b} {rank:?}");
        }
    }
}
