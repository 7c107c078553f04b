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

/// A topological order of the graph of `n` variables in which variable `v` has the parents
/// `parents(v)`, with every cycle found.
pub(crate) fn topological_order<'g>(n: usize, parents: impl Fn(VarId) -> &'g [VarId]) -> Ordering {
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; n];
    let mut order = Vec::with_capacity(n);
    let mut cyclic = vec![false; n];
    let mut cycles = Vec::new();
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(VarId, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&p) = parents(v).get(*next) {
                *next += 1;
                match state[p] {
                    0 => {
                        state[p] = 1;
                        stack.push((p, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(u, _)| *u == p).unwrap_or(0);
                        let members: Vec<VarId> = stack[from..].iter().map(|(u, _)| *u).collect();
                        if members.iter().all(|m| !cyclic[*m]) {
                            cycles.push(members.clone());
                        }
                        for m in members {
                            cyclic[m] = true;
                        }
                    }
                    _ => {}
                }
            } else {
                state[v] = 2;
                order.push(v);
                stack.pop();
            }
        }
    }
    // Anything downstream of a cycle is marked too.
    for &v in &order {
        if parents(v).iter().any(|p| cyclic[*p]) {
            cyclic[v] = true;
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
    use super::topological_order;

    #[test]
    fn parents_come_before_children() {
        // 0 <- 1 <- 2, and 3 <- 0.
        let parents = [vec![1], vec![2], vec![], vec![0]];
        let ordering = topological_order(4, |v| &parents[v]);
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
        let ordering = topological_order(4, |v| &parents[v]);
        assert_eq!(ordering.cycles, vec![vec![0, 1]]);
        assert_eq!(ordering.cyclic, vec![true, true, true, false]);
        assert_eq!(ordering.order.len(), 4);
    }
}
