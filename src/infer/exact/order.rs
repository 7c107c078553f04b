//! The elimination order: greedy weighted min-fill over the interaction graph of the factors,
//! and the exact cost of eliminating in that order.
//!
//! The interaction graph links every two slots that share a factor. Eliminating a slot joins
//! its neighbours into a clique (the table the elimination builds covers the slot and its
//! neighbours). Weighted min-fill eliminates next the slot whose fill-in edges weigh least,
//! an edge `a–b` weighing `|a|·|b|` (the domain sizes); ties go to the smaller table. State
//! counts matter: a slot with two 100-valued neighbours is far dearer than one with two
//! binary ones, which plain min-fill (counting edges) cannot see.
//!
//! Each step costs `O(d²)` in the eliminated slot's degree `d`, and after it only the scores
//! of its neighbours and of the common neighbours of new edges are recomputed, through a
//! heap with lazy deletion: a chain of 100,000 slots orders in well under a second. Slots of
//! very high degree are scored as unbounded without looking at their pairs (their table would
//! exceed any cap) until eliminations bring their degree down.
//!
//! Greedy rules are fragile on large networks: on link with 30 observed variables, all
//! marginals need a table of 1.3e8 entries by weighted min-fill alone (over the 2²⁴ cap)
//! and 2.1e6 by the best of the orders below. So when weighted min-fill's largest table is
//! over 65,536 entries, min-weight (the smallest table first) is tried too, and when the
//! better of the two is still over 2²⁰ entries, up to 24 randomised greedy orders (each
//! rule's measure scaled per slot by a factor in [1, 1.25), ties broken at random); the
//! best is kept: within the cap, the least work. The randomness is a fixed hash of the
//! round and the slot, so an order depends on nothing but the graph. [`restricted`] follows
//! an order of a larger graph on a subgraph (no table grows).
//!
//! **Invariant:** knows only slot numbers, domain sizes and factor scopes.

use crate::diagnostics::Diagnostic;
use std::cmp::Reverse;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::hash::BuildHasherDefault;

/// A set of graph vertices hashed with fixed keys: its iteration order — the order of each
/// table's slots (so of the floating-point sums elimination does) and of the log-sizes summed
/// to score a slot — then depends only on what was inserted. With the standard randomly keyed
/// sets it differed from one run of the program to the next, so an answer's last bits could
/// too, against "one seed determines every printed number".
type Set = HashSet<u32, BuildHasherDefault<DefaultHasher>>;

/// Above this degree a slot's fill is not enumerated (its pairs would number over 20,000).
const DEGREE_SCORED: usize = 200;

/// An elimination order and what it costs.
#[derive(Clone, Debug, Default)]
pub(super) struct Order {
    /// The slots to sum out, in order.
    pub sequence: Vec<usize>,
    /// For each slot of `sequence`, its neighbours when it is eliminated (the scope of the
    /// table its elimination leaves).
    pub separators: Vec<Vec<usize>>,
    /// Entries of every table elimination builds, summed, plus the final joint table.
    pub work: f64,
    /// Entries of the largest table elimination builds (the final joint table included).
    pub largest: f64,
}

/// A score, smaller first: (the heuristic's primary and secondary measure, a tie-break key,
/// slot).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Score(f64, f64, u64, u32);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Score) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Score) -> std::cmp::Ordering {
        self.0
            .total_cmp(&other.0)
            .then(self.1.total_cmp(&other.1))
            .then(self.2.cmp(&other.2))
            .then(self.3.cmp(&other.3))
    }
}

/// What the greedy ordering minimises first at each step.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Heuristic {
    /// The weight of the fill-in edges, ties to the smaller table.
    WeightedMinFill,
    /// The size of the table the elimination builds (weighted min-degree), ties to the lighter
    /// fill.
    MinWeight,
}

/// The interaction graph during ordering.
#[derive(Clone)]
struct Graph {
    adjacent: Vec<Set>,
    card: Vec<f64>,
    eliminated: Vec<bool>,
    heuristic: Heuristic,
    /// 0 for the plain heuristic; otherwise the seed of a randomised one, whose primary
    /// measure is scaled by a factor in [1, 1.25) and whose ties are broken by a key, both
    /// drawn per slot from the seed.
    round: u64,
}

/// SplitMix64's output function: a well-mixed 64-bit hash.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Graph {
    fn score(&self, v: u32) -> Score {
        let plain = self.score_plain(v);
        if self.round == 0 {
            return plain;
        }
        let key = mix(self.round.wrapping_mul(0x1_0000_0001) ^ u64::from(v));
        let scale = 1.0 + 0.25 * (key >> 11) as f64 / (1u64 << 53) as f64;
        Score(plain.0 * scale, plain.1, key, v)
    }

    fn score_plain(&self, v: u32) -> Score {
        let neighbours = &self.adjacent[v as usize];
        if neighbours.len() > DEGREE_SCORED {
            return Score(f64::INFINITY, f64::INFINITY, 0, v);
        }
        let list: Vec<u32> = neighbours.iter().copied().collect();
        let log_size = list
            .iter()
            .map(|&a| self.card[a as usize].log2())
            .sum::<f64>()
            + self.card[v as usize].log2();
        if self.heuristic == Heuristic::MinWeight {
            return Score(log_size, 0.0, 0, v);
        }
        let mut fill = 0.0;
        for (i, &a) in list.iter().enumerate() {
            for &b in &list[i + 1..] {
                if !self.adjacent[a as usize].contains(&b) {
                    fill += self.card[a as usize] * self.card[b as usize];
                }
            }
        }
        Score(fill, log_size, 0, v)
    }

    /// Removes `v`, joining its neighbours; returns them and the slots whose score changed.
    fn eliminate(&mut self, v: u32) -> (Vec<u32>, Vec<u32>) {
        self.eliminated[v as usize] = true;
        let neighbours: Vec<u32> = std::mem::take(&mut self.adjacent[v as usize])
            .into_iter()
            .collect();
        for &a in &neighbours {
            self.adjacent[a as usize].remove(&v);
        }
        let mut touched: Set = neighbours.iter().copied().collect();
        for (i, &a) in neighbours.iter().enumerate() {
            for &b in &neighbours[i + 1..] {
                if self.adjacent[a as usize].insert(b) {
                    self.adjacent[b as usize].insert(a);
                    // A new edge lowers the fill of every common neighbour of its ends.
                    let (small, large) =
                        if self.adjacent[a as usize].len() < self.adjacent[b as usize].len() {
                            (a, b)
                        } else {
                            (b, a)
                        };
                    if self.adjacent[small as usize].len() <= DEGREE_SCORED {
                        for &c in &self.adjacent[small as usize] {
                            if c != large && self.adjacent[large as usize].contains(&c) {
                                touched.insert(c);
                            }
                        }
                    }
                }
            }
        }
        (neighbours, touched.into_iter().collect())
    }
}

/// Above this many entries in its largest table, an order by weighted min-fill is compared
/// with one by min-weight, and the better kept ([`Order::better_than`]). Neither greedy rule
/// is best everywhere: on link with 30 observed variables, one question's largest table is
/// 1.3e8 entries by weighted min-fill and 8.4e6 by min-weight.
const SECOND_OPINION: f64 = 65_536.0;

/// Above this many entries in its largest table, the orders are compared with up to
/// [`RESTARTS`] randomised ones (a table of 2²⁰ entries is 8 MiB; beyond that a better order
/// is worth a few more milliseconds of ordering).
const RESTART_ABOVE: f64 = 1_048_576.0;

/// Randomised greedy orders tried when the plain ones build a table over [`RESTART_ABOVE`].
const RESTARTS: u64 = 24;

/// Orders the slots of `scopes` that `keep` does not hold, by weighted min-fill (and, when
/// that order builds a table over [`SECOND_OPINION`] entries, by min-weight too, keeping the
/// better). `card` gives each slot's domain size. Slots in `keep` stay to the end (they form
/// the final joint table).
pub(super) fn weighted_min_fill(
    scopes: &[&[usize]],
    card: impl Fn(usize) -> usize,
    keep: impl Fn(usize) -> bool,
    cap: f64,
) -> Result<Order, Diagnostic> {
    let (mut graph, slots, _) = interaction_graph(scopes, card);
    let eliminable: Vec<bool> = slots.iter().map(|&s| !keep(s)).collect();
    let first = greedy(graph.clone(), &slots, &eliminable)?;
    if first.largest <= SECOND_OPINION {
        return Ok(first);
    }
    graph.heuristic = Heuristic::MinWeight;
    let second = greedy(graph.clone(), &slots, &eliminable)?;
    let mut best = if second.better_than(&first, cap) {
        second
    } else {
        first
    };
    for round in 1..=RESTARTS {
        if best.largest <= RESTART_ABOVE {
            break;
        }
        graph.round = round;
        graph.heuristic = if round % 2 == 1 {
            Heuristic::WeightedMinFill
        } else {
            Heuristic::MinWeight
        };
        let other = greedy(graph.clone(), &slots, &eliminable)?;
        if other.better_than(&best, cap) {
            best = other;
        }
    }
    Ok(best)
}

/// The order `sequence` (an order of a larger graph: the slots of `scopes` it does not hold
/// are skipped) followed on the graph of `scopes`, and its cost. Slots that `keep` holds stay
/// to the end; eliminable slots `sequence` misses are eliminated greedily after it. Eliminating
/// in the same order on a subgraph builds tables no larger than on the whole graph: this is
/// how an order found before evidence was absorbed bounds the order after.
pub(super) fn restricted(
    scopes: &[&[usize]],
    card: impl Fn(usize) -> usize,
    keep: impl Fn(usize) -> bool,
    sequence: &[usize],
) -> Result<Order, Diagnostic> {
    let (mut graph, slots, local) = interaction_graph(scopes, card);
    let mut eliminable: Vec<bool> = slots.iter().map(|&s| !keep(s)).collect();
    let mut order = Order::default();
    for (step, s) in sequence.iter().enumerate() {
        if step % 1024 == 1023 {
            crate::infer::check_cancel()?;
        }
        let Some(&v) = local.get(s) else { continue };
        if !eliminable[v as usize] || graph.eliminated[v as usize] {
            continue;
        }
        let (neighbours, _) = graph.eliminate(v);
        order.record(&graph, v, &neighbours, &slots);
        eliminable[v as usize] = false;
    }
    let rest = greedy(graph, &slots, &eliminable)?;
    order.sequence.extend(rest.sequence);
    order.separators.extend(rest.separators);
    order.work += rest.work;
    order.largest = order.largest.max(rest.largest);
    Ok(order)
}

impl Order {
    /// Whether this order is better than `other` for tables of at most `cap` entries: the one
    /// within the cap, else (both within) the one with less work, else (neither) the one whose
    /// largest table is smaller.
    pub(super) fn better_than(&self, other: &Order, cap: f64) -> bool {
        match (self.largest <= cap, other.largest <= cap) {
            (true, false) => true,
            (false, true) => false,
            (true, true) => (self.work, self.largest) < (other.work, other.largest),
            (false, false) => (self.largest, self.work) < (other.largest, other.work),
        }
    }

    /// Counts the elimination of `v`, whose neighbours were `neighbours`.
    fn record(&mut self, graph: &Graph, v: u32, neighbours: &[u32], slots: &[usize]) {
        let size = neighbours
            .iter()
            .map(|&a| graph.card[a as usize])
            .product::<f64>()
            * graph.card[v as usize];
        self.work += size;
        self.largest = self.largest.max(size);
        self.sequence.push(slots[v as usize]);
        self.separators
            .push(neighbours.iter().map(|&a| slots[a as usize]).collect());
    }
}

/// The interaction graph of `scopes`, its slots (graph vertex `v` is `slots[v]`) and the
/// vertex of each slot.
fn interaction_graph(
    scopes: &[&[usize]],
    card: impl Fn(usize) -> usize,
) -> (Graph, Vec<usize>, HashMap<usize, u32>) {
    let mut local: HashMap<usize, u32> = HashMap::new();
    let mut slots: Vec<usize> = Vec::new();
    for scope in scopes {
        for &s in *scope {
            local.entry(s).or_insert_with(|| {
                slots.push(s);
                (slots.len() - 1) as u32
            });
        }
    }
    let m = slots.len();
    let mut graph = Graph {
        adjacent: vec![Set::default(); m],
        card: slots.iter().map(|&s| card(s).max(1) as f64).collect(),
        eliminated: vec![false; m],
        heuristic: Heuristic::WeightedMinFill,
        round: 0,
    };
    for scope in scopes {
        let ids: Vec<u32> = scope.iter().map(|s| local[s]).collect();
        for (i, &a) in ids.iter().enumerate() {
            for &b in &ids[i + 1..] {
                if a != b {
                    graph.adjacent[a as usize].insert(b);
                    graph.adjacent[b as usize].insert(a);
                }
            }
        }
    }
    (graph, slots, local)
}

/// Eliminates the `eliminable` slots of `graph` greedily by its heuristic (slot `v` of the
/// graph is `slots[v]`); what is left is the kept slots' joint table.
fn greedy(mut graph: Graph, slots: &[usize], eliminable: &[bool]) -> Result<Order, Diagnostic> {
    let m = slots.len();
    let mut current: Vec<Score> = Vec::with_capacity(m);
    let mut heap = BinaryHeap::new();
    for v in 0..m as u32 {
        let score = graph.score(v);
        current.push(score);
        if eliminable[v as usize] {
            heap.push(Reverse(score));
        }
    }
    let mut order = Order::default();
    let mut steps = 0usize;
    while let Some(Reverse(score)) = heap.pop() {
        let v = score.3;
        if graph.eliminated[v as usize] || current[v as usize] != score {
            continue;
        }
        steps += 1;
        if steps % 1024 == 0 {
            crate::infer::check_cancel()?;
        }
        let (neighbours, touched) = graph.eliminate(v);
        order.record(&graph, v, &neighbours, &slots);
        for u in touched {
            if graph.eliminated[u as usize] {
                continue;
            }
            let score = graph.score(u);
            current[u as usize] = score;
            if eliminable[u as usize] {
                heap.push(Reverse(score));
            }
        }
    }
    // What remains is the kept slots: their joint table, one per connected part multiplied.
    let joint: f64 = (0..m)
        .filter(|&v| !graph.eliminated[v])
        .map(|v| graph.card[v])
        .product();
    order.work += joint;
    order.largest = order.largest.max(joint);
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_of_100_000_is_ordered_with_tables_of_two_slots() {
        let scopes: Vec<Vec<usize>> = (0..100_000).map(|i| vec![i, i + 1]).collect();
        let refs: Vec<&[usize]> = scopes.iter().map(Vec::as_slice).collect();
        let order = weighted_min_fill(&refs, |_| 3, |s| s == 50_000, 1e9).unwrap();
        assert_eq!(order.sequence.len(), 100_000);
        assert_eq!(order.largest, 9.0);
        assert!(!order.sequence.contains(&50_000));
    }

    #[test]
    fn state_counts_decide_which_slot_goes_first() {
        // b has two neighbours of 100 states (fill weight 10,000); c has two binary ones.
        let scopes: Vec<&[usize]> = vec![&[0, 1], &[1, 2], &[3, 4], &[4, 5]];
        let cards = [100, 2, 100, 2, 2, 2];
        let order = weighted_min_fill(&scopes, |s| cards[s], |s| s == 0 || s == 2, 1e9).unwrap();
        assert_eq!(order.sequence.len(), 4);
        // Eliminating 1 (between the two kept 100-state slots) builds 100·2·100 entries;
        // nothing cheaper exists for it, but the binary part is summed out with tables of 4.
        assert_eq!(order.largest, 100.0 * 2.0 * 100.0);
        assert_eq!(*order.sequence.last().unwrap(), 1);
    }

    /// A grid of `n × n` slots of `card` states, each linked to its right and lower neighbour.
    fn grid(n: usize) -> Vec<Vec<usize>> {
        let mut scopes = Vec::new();
        for r in 0..n {
            for c in 0..n {
                if c + 1 < n {
                    scopes.push(vec![r * n + c, r * n + c + 1]);
                }
                if r + 1 < n {
                    scopes.push(vec![r * n + c, (r + 1) * n + c]);
                }
            }
        }
        scopes
    }

    #[test]
    fn an_order_followed_on_a_subgraph_builds_no_larger_tables() {
        let scopes = grid(12);
        let refs: Vec<&[usize]> = scopes.iter().map(Vec::as_slice).collect();
        let whole = weighted_min_fill(&refs, |_| 3, |_| false, 1e9).unwrap();
        // Observing every third slot removes it and its links.
        let sub: Vec<&[usize]> = refs
            .iter()
            .copied()
            .filter(|s| s.iter().all(|x| x % 3 != 0))
            .collect();
        let followed = restricted(&sub, |_| 3, |_| false, &whole.sequence).unwrap();
        assert!(followed.largest <= whole.largest);
        let mut eliminated = followed.sequence.clone();
        eliminated.sort_unstable();
        let mut present: Vec<usize> = sub.iter().flat_map(|s| s.iter().copied()).collect();
        present.sort_unstable();
        present.dedup();
        assert_eq!(eliminated, present);
    }

    #[test]
    fn the_randomised_restarts_are_the_same_on_every_run() {
        // A 12 × 12 grid of 3-state slots needs tables over 2²⁰ entries (its treewidth is 12),
        // so the restarts run; the order must not depend on anything but the graph.
        let scopes = grid(12);
        let refs: Vec<&[usize]> = scopes.iter().map(Vec::as_slice).collect();
        let a = weighted_min_fill(&refs, |_| 3, |_| false, 1e9).unwrap();
        let b = weighted_min_fill(&refs, |_| 3, |_| false, 1e9).unwrap();
        assert!(a.largest > RESTART_ABOVE);
        assert_eq!(a.sequence, b.sequence);
        // Each table's slots in the same order too (with randomly keyed hash sets, each
        // graph's sets iterated in an order of their own).
        assert_eq!(a.separators, b.separators);
        assert_eq!(a.largest, b.largest);
    }
}
