//! The causal graph, given by each variable's parents: children, descendants, ancestors, and a
//! topological order that finds every cycle.
//!
//! Pure graph work, without diagnostics: the checker (src/check/) reports what it finds.
//! Every walk is iterative (an explicit stack), so a deep graph cannot exhaust the stack.

use super::{Model, VarId};

impl Model {
    /// Children lists, derived from parents.
    pub fn children(&self) -> Vec<Vec<VarId>> {
        let mut children = vec![Vec::new(); self.vars.len()];
        for (v, var) in self.vars.iter().enumerate() {
            for &p in &var.parents {
                children[p].push(v);
            }
        }
        children
    }

    /// Every variable reachable from `start` along edges (itself included).
    pub fn descendants(&self, start: &[VarId]) -> Vec<bool> {
        let children = self.children();
        let mut seen = vec![false; self.vars.len()];
        let mut stack: Vec<VarId> = start.to_vec();
        while let Some(v) = stack.pop() {
            if !std::mem::replace(&mut seen[v], true) {
                stack.extend(&children[v]);
            }
        }
        seen
    }

    /// Every variable from which one of `start` is reachable (themselves included).
    pub fn ancestors(&self, start: &[VarId]) -> Vec<bool> {
        let mut seen = vec![false; self.vars.len()];
        let mut stack: Vec<VarId> = start.to_vec();
        while let Some(v) = stack.pop() {
            if !std::mem::replace(&mut seen[v], true) {
                stack.extend(&self.vars[v].parents);
            }
        }
        seen
    }
}

/// A topological order of a graph given by parent lists, and its cycles.
pub(crate) struct Ordering {
    /// Every variable once; parents before children wherever no cycle is involved (a
    /// depth-first post-order along parent edges).
    pub order: Vec<VarId>,
    /// The variables on a cycle or downstream of one.
    pub cyclic: Vec<bool>,
    /// Each cycle found, as a path along parent edges: each member is a child of the next,
    /// and the last's parent is the first. A cycle through a variable already found on one
    /// is marked in `cyclic` but not listed again.
    pub cycles: Vec<Vec<VarId>>,
}

/// A topological order of the variables `first..n` of the graph in which variable `v` has the
/// parents `parents(v)`, with every cycle found; parents before `first` are ordered already
/// (`first` is 0 for a whole model, and the variables an extension adds otherwise:
/// `check/extend.rs`). The order holds variable ids; `cyclic` is indexed from `first`.
/// Because the walk starts from each variable in id order, the order of all `n` variables is
/// the order of the first `first` followed by the order of the rest.
pub(crate) fn topological_order_from<'g>(
    first: VarId,
    n: usize,
    parents: impl Fn(VarId) -> &'g [VarId],
) -> Ordering {
    let count = n.saturating_sub(first);
    // 0 = unvisited, 1 = on the stack, 2 = done; indexed from `first`.
    let mut state = vec![0u8; count];
    let mut order = Vec::with_capacity(count);
    let mut cyclic = vec![false; count];
    let mut cycles = Vec::new();
    for root in first..n {
        if state[root - first] != 0 {
            continue;
        }
        let mut stack: Vec<(VarId, usize)> = vec![(root, 0)];
        state[root - first] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&p) = parents(v).get(*next) {
                *next += 1;
                if p < first {
                    continue;
                }
                match state[p - first] {
                    0 => {
                        state[p - first] = 1;
                        stack.push((p, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(u, _)| *u == p).unwrap_or(0);
                        let members: Vec<VarId> = stack[from..].iter().map(|(u, _)| *u).collect();
                        if members.iter().all(|m| !cyclic[*m - first]) {
                            cycles.push(members.clone());
                        }
                        for m in members {
                            cyclic[m - first] = true;
                        }
                    }
                    _ => {}
                }
            } else {
                state[v - first] = 2;
                order.push(v);
                stack.pop();
            }
        }
    }
    // Anything downstream of a cycle is marked too.
    for &v in &order {
        if parents(v).iter().any(|p| *p >= first && cyclic[*p - first]) {
            cyclic[v - first] = true;
        }
    }
    Ordering {
        order,
        cyclic,
        cycles,
    }
}

#[cfg(test)]
mod tests {
    use super::topological_order_from;

    #[test]
    fn parents_come_before_children() {
        // 0 <- 1 <- 2, and 3 <- 0.
        let parents = [vec![1], vec![2], vec![], vec![0]];
        let ordering = topological_order_from(0, 4, |v| &parents[v]);
        let position = |v| ordering.order.iter().position(|u| *u == v).unwrap();
        assert!(position(2) < position(1) && position(1) < position(0));
        assert!(position(0) < position(3));
        assert!(ordering.cycles.is_empty());
        assert_eq!(ordering.cyclic, vec![false; 4]);
    }

    #[test]
    fn a_cycle_is_found_once_and_marks_what_it_reaches() {
        // 0 <- 1 <- 0 is a cycle; 2 reads 0, 3 stands apart.
        let parents = [vec![1], vec![0], vec![0], vec![]];
        let ordering = topological_order_from(0, 4, |v| &parents[v]);
        assert_eq!(ordering.cycles, vec![vec![0, 1]]);
        assert_eq!(ordering.cyclic, vec![true, true, true, false]);
        assert_eq!(ordering.order.len(), 4);
    }

    #[test]
    fn the_order_of_an_extension_is_the_rest_of_the_whole_order() {
        // 0 <- 1, 2 <- 0; then 3 <- 2, 4 <- 5, 5 <- 1, and a cycle 6 <- 7 <- 6.
        let parents = [
            vec![1],
            vec![],
            vec![0],
            vec![2],
            vec![5],
            vec![1],
            vec![7],
            vec![6],
        ];
        let whole = topological_order_from(0, 8, |v| &parents[v]);
        let first = topological_order_from(0, 3, |v| &parents[v]);
        let rest = topological_order_from(3, 8, |v| &parents[v]);
        let joined: Vec<usize> = first.order.iter().chain(&rest.order).copied().collect();
        assert_eq!(joined, whole.order);
        assert_eq!(rest.cycles, whole.cycles);
        assert_eq!(rest.cyclic, whole.cyclic[3..].to_vec());
    }
}
