//! Acyclic directed mixed graphs (ADMGs): directed edges for direct causes, bidirected edges
//! for unobserved common causes, and the graph operations identification needs — induced
//! subgraphs, ancestors, c-components (districts), topological order, m-separation — plus the
//! latent projection of a DAG with unobserved nodes onto its observed ones.
//!
//! Nodes are `0..n`; sets of nodes are [`NodeSet`]s (bit sets), so every operation is linear
//! in the number of edges and no recursion is used.

/// A set of nodes of one graph, as a bit set.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub struct NodeSet {
    words: Vec<u64>,
}

impl NodeSet {
    /// The empty set over `n` nodes.
    pub fn empty(n: usize) -> NodeSet {
        NodeSet {
            words: vec![0; n.div_ceil(64)],
        }
    }

    /// Every node `0..n`.
    pub fn full(n: usize) -> NodeSet {
        let mut s = NodeSet::empty(n);
        for v in 0..n {
            s.insert(v);
        }
        s
    }

    /// The set of the given nodes.
    pub fn of(n: usize, nodes: impl IntoIterator<Item = usize>) -> NodeSet {
        let mut s = NodeSet::empty(n);
        for v in nodes {
            s.insert(v);
        }
        s
    }

    /// Adds `v`.
    pub fn insert(&mut self, v: usize) {
        self.words[v / 64] |= 1 << (v % 64);
    }

    /// Removes `v`.
    pub fn remove(&mut self, v: usize) {
        self.words[v / 64] &= !(1 << (v % 64));
    }

    /// Whether `v` is in the set.
    pub fn contains(&self, v: usize) -> bool {
        self.words
            .get(v / 64)
            .is_some_and(|w| w & (1 << (v % 64)) != 0)
    }

    /// The members, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let bit = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(i * 64 + bit)
            })
        })
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// `self ∪ other`.
    pub fn union(&self, other: &NodeSet) -> NodeSet {
        NodeSet {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| a | b)
                .collect(),
        }
    }

    /// `self ∩ other`.
    pub fn intersect(&self, other: &NodeSet) -> NodeSet {
        NodeSet {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| a & b)
                .collect(),
        }
    }

    /// `self \ other`.
    pub fn minus(&self, other: &NodeSet) -> NodeSet {
        NodeSet {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| a & !b)
                .collect(),
        }
    }

    /// Whether every member of `self` is in `other`.
    pub fn is_subset(&self, other: &NodeSet) -> bool {
        self.words
            .iter()
            .zip(&other.words)
            .all(|(a, b)| a & !b == 0)
    }
}

/// An ADMG over named nodes.
#[derive(Clone, Debug)]
pub struct Admg {
    /// Node names (observed variables).
    pub names: Vec<String>,
    /// Directed parents of each node.
    pub parents: Vec<Vec<usize>>,
    /// Bidirected neighbours of each node (symmetric, no self-loops).
    pub siblings: Vec<Vec<usize>>,
    /// A topological order of the directed part.
    pub order: Vec<usize>,
}

impl Admg {
    /// Builds a graph from directed edges `(parent, child)` and bidirected pairs. Returns the
    /// nodes of a directed cycle when there is one.
    pub fn new(
        names: Vec<String>,
        directed: &[(usize, usize)],
        bidirected: &[(usize, usize)],
    ) -> Result<Admg, Vec<usize>> {
        let n = names.len();
        let mut parents = vec![Vec::new(); n];
        for &(p, c) in directed {
            if !parents[c].contains(&p) {
                parents[c].push(p);
            }
        }
        let mut siblings = vec![Vec::new(); n];
        for &(a, b) in bidirected {
            if a != b && !siblings[a].contains(&b) {
                siblings[a].push(b);
                siblings[b].push(a);
            }
        }
        for list in parents.iter_mut().chain(siblings.iter_mut()) {
            list.sort_unstable();
        }
        let order = topological_order(&parents)?;
        Ok(Admg {
            names,
            parents,
            siblings,
            order,
        })
    }

    /// How many nodes.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Every node.
    pub fn all(&self) -> NodeSet {
        NodeSet::full(self.len())
    }

    /// The empty set of this graph.
    pub fn none(&self) -> NodeSet {
        NodeSet::empty(self.len())
    }

    /// The ancestors of `of` (themselves included) in the subgraph induced by `within`, with
    /// the edges into `cut` removed.
    pub fn ancestors(&self, of: &NodeSet, within: &NodeSet, cut: &NodeSet) -> NodeSet {
        let mut seen = self.none();
        let mut stack: Vec<usize> = of.intersect(within).iter().collect();
        while let Some(v) = stack.pop() {
            if seen.contains(v) {
                continue;
            }
            seen.insert(v);
            if cut.contains(v) {
                continue;
            }
            for &p in &self.parents[v] {
                if within.contains(p) && !seen.contains(p) {
                    stack.push(p);
                }
            }
        }
        seen
    }

    /// The descendants of `of` (themselves included) in the whole graph.
    pub fn descendants(&self, of: &NodeSet) -> NodeSet {
        let mut seen = of.clone();
        for &v in &self.order {
            if self.parents[v].iter().any(|p| seen.contains(*p)) {
                seen.insert(v);
            }
        }
        seen
    }

    /// The c-components (districts) of the subgraph induced by `within`: the classes of nodes
    /// joined by bidirected paths inside it, each listed once, ordered by their first node.
    pub fn districts(&self, within: &NodeSet) -> Vec<NodeSet> {
        let mut assigned = self.none();
        let mut out = Vec::new();
        for start in within.iter() {
            if assigned.contains(start) {
                continue;
            }
            let mut class = self.none();
            let mut stack = vec![start];
            assigned.insert(start);
            while let Some(v) = stack.pop() {
                class.insert(v);
                for &s in &self.siblings[v] {
                    if within.contains(s) && !assigned.contains(s) {
                        assigned.insert(s);
                        stack.push(s);
                    }
                }
            }
            out.push(class);
        }
        out
    }

    /// The members of `set` in topological order.
    pub fn in_order(&self, set: &NodeSet) -> Vec<usize> {
        self.order
            .iter()
            .copied()
            .filter(|v| set.contains(*v))
            .collect()
    }

    /// Whether `x` and `y` are m-separated given `z` in the graph with the edges into `cut_in`
    /// and the directed edges out of `cut_out` removed. Works on the canonical DAG (one latent
    /// node per bidirected edge): the ancestral moral graph criterion.
    pub fn separated(
        &self,
        x: &NodeSet,
        y: &NodeSet,
        z: &NodeSet,
        cut_in: &NodeSet,
        cut_out: &NodeSet,
    ) -> bool {
        let n = self.len();
        // Canonical DAG: observed nodes 0..n, a latent node per kept bidirected edge.
        let mut parents: Vec<Vec<usize>> = (0..n)
            .map(|v| {
                if cut_in.contains(v) {
                    Vec::new()
                } else {
                    self.parents[v]
                        .iter()
                        .copied()
                        .filter(|p| !cut_out.contains(*p))
                        .collect()
                }
            })
            .collect();
        for a in 0..n {
            for &b in &self.siblings[a] {
                if a < b && !cut_in.contains(a) && !cut_in.contains(b) {
                    let latent = parents.len();
                    parents.push(Vec::new());
                    parents[a].push(latent);
                    parents[b].push(latent);
                }
            }
        }
        let total = parents.len();
        // Ancestors of x ∪ y ∪ z.
        let mut relevant = vec![false; total];
        let mut stack: Vec<usize> = x.union(y).union(z).iter().collect();
        while let Some(v) = stack.pop() {
            if std::mem::replace(&mut relevant[v], true) {
                continue;
            }
            stack.extend(parents[v].iter().copied().filter(|p| !relevant[*p]));
        }
        // Moral graph of the ancestral set.
        let mut adjacent = vec![Vec::new(); total];
        for v in 0..total {
            if !relevant[v] {
                continue;
            }
            let ps = &parents[v];
            for (i, &p) in ps.iter().enumerate() {
                adjacent[v].push(p);
                adjacent[p].push(v);
                for &q in &ps[i + 1..] {
                    adjacent[p].push(q);
                    adjacent[q].push(p);
                }
            }
        }
        // Is y reachable from x avoiding z?
        let mut seen = vec![false; total];
        let mut stack: Vec<usize> = x.iter().filter(|v| !z.contains(*v)).collect();
        while let Some(v) = stack.pop() {
            if std::mem::replace(&mut seen[v], true) {
                continue;
            }
            if v < n && y.contains(v) {
                return false;
            }
            for &w in &adjacent[v] {
                if !seen[w] && !(w < n && z.contains(w)) {
                    stack.push(w);
                }
            }
        }
        true
    }

    /// The set's names, in node order, for messages.
    pub fn names_of(&self, set: &NodeSet) -> Vec<String> {
        set.iter().map(|v| self.names[v].clone()).collect()
    }
}

/// A topological order of the graph given by `parents`, or the nodes of a cycle.
pub fn topological_order(parents: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    let n = parents.len();
    let mut children = vec![Vec::new(); n];
    let mut pending: Vec<usize> = parents.iter().map(Vec::len).collect();
    for (c, ps) in parents.iter().enumerate() {
        for &p in ps {
            children[p].push(c);
        }
    }
    let mut ready: Vec<usize> = (0..n).rev().filter(|v| pending[*v] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(v) = ready.pop() {
        order.push(v);
        for &c in children[v].iter().rev() {
            pending[c] -= 1;
            if pending[c] == 0 {
                ready.push(c);
            }
        }
    }
    if order.len() == n {
        Ok(order)
    } else {
        Err((0..n).filter(|v| pending[*v] > 0).collect())
    }
}

/// The latent projection of a DAG (`parents`, nodes `0..n`) onto the nodes with `observed`
/// set: `a -> b` when a directed path runs from `a` to `b` through unobserved nodes only,
/// `a <-> b` when an unobserved node reaches both along such paths. Extra bidirected pairs
/// (declared `<->`) are treated as a latent common parent. Returns the ADMG over the observed
/// nodes and, per ADMG node, its index in the DAG. The DAG must be acyclic.
pub fn latent_projection(
    names: &[String],
    parents: &[Vec<usize>],
    bidirected: &[(usize, usize)],
    observed: &[bool],
) -> Result<(Admg, Vec<usize>), Vec<usize>> {
    let n = names.len();
    // Extend with a latent node per declared bidirected pair.
    let mut parents: Vec<Vec<usize>> = parents.to_vec();
    let mut observed = observed.to_vec();
    for &(a, b) in bidirected {
        let latent = parents.len();
        parents.push(Vec::new());
        observed.push(false);
        parents[a].push(latent);
        parents[b].push(latent);
    }
    let total = parents.len();
    let order = topological_order(&parents)?;
    let mut children = vec![Vec::new(); total];
    for (c, ps) in parents.iter().enumerate() {
        for &p in ps {
            children[p].push(c);
        }
    }
    let kept: Vec<usize> = (0..n).filter(|v| observed[*v]).collect();
    let mut index = vec![usize::MAX; total];
    for (i, &v) in kept.iter().enumerate() {
        index[v] = i;
    }
    // For every node, the observed nodes it reaches through unobserved intermediates.
    let reach = |from: usize| -> Vec<usize> {
        let mut seen = vec![false; total];
        let mut out = Vec::new();
        let mut stack: Vec<usize> = children[from].clone();
        while let Some(v) = stack.pop() {
            if std::mem::replace(&mut seen[v], true) {
                continue;
            }
            if observed[v] {
                out.push(index[v]);
            } else {
                stack.extend(children[v].iter().copied().filter(|c| !seen[*c]));
            }
        }
        out
    };
    let mut directed = Vec::new();
    let mut sibling_pairs = Vec::new();
    for &v in &order {
        let targets = reach(v);
        if observed[v] {
            directed.extend(targets.into_iter().map(|t| (index[v], t)));
        } else {
            for (i, &a) in targets.iter().enumerate() {
                for &b in &targets[i + 1..] {
                    sibling_pairs.push((a.min(b), a.max(b)));
                }
            }
        }
    }
    sibling_pairs.sort_unstable();
    sibling_pairs.dedup();
    let admg = Admg::new(
        kept.iter().map(|v| names[*v].clone()).collect(),
        &directed,
        &sibling_pairs,
    )
    .map_err(|cycle| cycle.into_iter().map(|i| kept[i]).collect::<Vec<_>>())?;
    Ok((admg, kept))
}
