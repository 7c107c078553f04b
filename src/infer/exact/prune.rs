//! Relevance pruning before elimination: evidence absorbed into the factors, then only the
//! part of the network connected to the question kept.
//!
//! - **Evidence absorption.** A factor over one slot that is nonzero at exactly one value (a
//!   clamp `x = v`, or an indicator the evidence has narrowed to one value) fixes that slot:
//!   every factor reading it is restricted to that value and the slot leaves their scopes.
//!   Restricting can fix further slots (a deterministic child of an observed parent), so this
//!   runs as a worklist until nothing changes.
//! - **Before building** ([`relevant`]): the same cut on the factors' scopes alone, with the
//!   variables the plan clamps as the observed ones, decides which factors to build at all.
//! - **Irrelevant parts.** After absorption, two slots share a connected part of the factor
//!   graph exactly when they are d-connected given the evidence in the ancestral network the
//!   plan built. Barren slots (neither a target nor evidence, nor an ancestor of one) are
//!   left out first ([`drop_barren`]): the plan leaves them out of a question's plan, but one
//!   marginal of `P(*)` is answered from the plan of all of them. Parts that hold no target multiply the answer and its
//!   normaliser by the same number, so they are dropped unsummed — as pyAgrum's relevant-
//!   potential finder does. Evidence impossible only within such a part is not looked for
//!   (a built factor that is zero everywhere still gives E007).
//!
//! Counterfactual plans (joint factors over the worlds sharing a noise) and interventional
//! ones are pruned by the same rules, since they are factors like any other.
//!
//! **Invariant:** pruning never changes a target's conditional distribution.

use super::factor::Factor;

/// The factors that matter for the targets, after the evidence is absorbed.
pub(super) struct Reduced {
    /// Factors with a nonempty scope, in the parts of the graph that reach a target.
    pub factors: Vec<Factor>,
    /// Slots fixed by evidence: (slot, index of its value).
    pub observed: Vec<(usize, usize)>,
    /// The product of every factor absorption left without a scope (0 when evidence is
    /// impossible in a part this pruning can see).
    pub constant: f64,
}

/// Connected parts of the slots, by union-find.
struct Parts(Vec<usize>);

impl Parts {
    fn root(&mut self, mut s: usize) -> usize {
        while self.0[s] != s {
            self.0[s] = self.0[self.0[s]];
            s = self.0[s];
        }
        s
    }

    /// Joins the slots of `scope` that `skip` does not hold.
    fn join(&mut self, scope: &[usize], skip: &dyn Fn(usize) -> bool) {
        let mut first = None;
        for &s in scope.iter().filter(|&&s| !skip(s)) {
            let r = self.root(s);
            match first {
                None => first = Some(r),
                Some(f) if f != r => self.0[r] = f,
                Some(_) => {}
            }
        }
    }
}

/// Empties the scopes of the barren units: a unit (the factor of one mechanism, whose
/// `outputs` are the slots it computes, `scopes` holding its parents and outputs) is barren
/// when none of its outputs is a target or evidence or an ancestor of one. A barren unit sums
/// to one over its outputs whatever its parents, so leaving it out changes no answer, and it
/// must be left out before connectivity is judged: an unobserved common child links its
/// parents in the factor graph although it does not d-connect them. Units come in the plan's
/// order (parents first); the closure is repeated until it is stable all the same.
pub(super) fn drop_barren(
    scopes: &mut [Vec<usize>],
    outputs: &[Vec<usize>],
    targets: &[usize],
    evidence: &[usize],
    n_slots: usize,
) {
    let mut needed = vec![false; n_slots];
    for &s in targets.iter().chain(evidence) {
        needed[s] = true;
    }
    let mut unit_needed = vec![false; scopes.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for k in (0..scopes.len()).rev() {
            if unit_needed[k] || !outputs[k].iter().any(|&s| needed[s]) {
                continue;
            }
            unit_needed[k] = true;
            changed = true;
            for &s in &scopes[k] {
                needed[s] = true;
            }
        }
    }
    for (scope, needed) in scopes.iter_mut().zip(unit_needed) {
        if !needed {
            scope.clear();
        }
    }
}

/// Which of `scopes` (the factors to be, before their values are computed) lie in a part of
/// the graph that reaches a target, once the `observed` slots are cut out. A scope with no
/// unobserved slot is a constant of the evidence alone, not needed for the targets.
pub(super) fn relevant(
    scopes: &[Vec<usize>],
    observed: &dyn Fn(usize) -> bool,
    targets: &[usize],
    n_slots: usize,
) -> Vec<bool> {
    let mut parts = Parts((0..n_slots).collect());
    for scope in scopes {
        parts.join(scope, observed);
    }
    let mut reaches = vec![false; n_slots];
    for &t in targets.iter().filter(|&&t| !observed(t)) {
        let r = parts.root(t);
        reaches[r] = true;
    }
    scopes
        .iter()
        .map(|scope| {
            scope
                .iter()
                .find(|&&s| !observed(s))
                .is_some_and(|&s| reaches[parts.root(s)])
        })
        .collect()
}

/// Absorbs the evidence of `factors` — the slots already `observed` (slot, value index) and
/// those factors fix — and keeps the parts that reach one of `targets` (slots below
/// `n_slots`).
pub(super) fn reduce(
    factors: Vec<Factor>,
    observed: &[(usize, usize)],
    targets: &[usize],
    n_slots: usize,
) -> Reduced {
    let mut factors = factors;
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n_slots];
    for (f, factor) in factors.iter().enumerate() {
        for &s in &factor.slots {
            readers[s].push(f);
        }
    }
    let mut fixed_at: Vec<Option<usize>> = vec![None; n_slots];
    let mut fixed = Vec::new();
    let mut work: Vec<usize> = (0..factors.len())
        .filter(|&f| factors[f].slots.len() == 1)
        .collect();
    let mut fix = |slot: usize,
                   index: usize,
                   factors: &mut Vec<Factor>,
                   work: &mut Vec<usize>,
                   fixed: &mut Vec<(usize, usize)>| {
        if fixed_at[slot].is_some() {
            return;
        }
        fixed_at[slot] = Some(index);
        fixed.push((slot, index));
        for &g in &readers[slot] {
            if factors[g].slots.contains(&slot) {
                factors[g] = factors[g].restrict(slot, index);
                if factors[g].slots.len() == 1 {
                    work.push(g);
                }
            }
        }
    };
    for &(slot, index) in observed {
        fix(slot, index, &mut factors, &mut work, &mut fixed);
    }
    while let Some(f) = work.pop() {
        let Some(index) = factors[f].single_value() else {
            continue;
        };
        let slot = factors[f].slots[0];
        fix(slot, index, &mut factors, &mut work, &mut fixed);
    }
    let observed = fixed_at;
    let mut constant = 1.0;
    let mut rest = Vec::with_capacity(factors.len());
    for factor in factors {
        if factor.slots.is_empty() {
            constant *= factor.values[0];
        } else {
            rest.push(factor);
        }
    }
    let mut parts = Parts((0..n_slots).collect());
    for factor in &rest {
        parts.join(&factor.slots, &|_| false);
    }
    let mut reaches = vec![false; n_slots];
    for &t in targets.iter().filter(|&&t| observed[t].is_none()) {
        let r = parts.root(t);
        reaches[r] = true;
    }
    let mut kept = Vec::with_capacity(rest.len());
    for factor in rest {
        if reaches[parts.root(factor.slots[0])] {
            kept.push(factor);
        } else if factor.values.iter().all(|&x| x == 0.0) {
            constant = 0.0;
        }
    }
    Reduced {
        factors: kept,
        observed: fixed,
        constant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factor(slots: &[usize], cards: &[usize], values: &[f64]) -> Factor {
        Factor::from_slices(slots, cards, values)
    }

    #[test]
    fn an_observed_only_parent_cuts_the_target_off_from_its_ancestors() {
        // 0 → 1 → 2, with 1 observed = 1; the target is 2.
        let factors = vec![
            factor(&[0], &[2], &[0.3, 0.7]),
            factor(&[0, 1], &[2, 2], &[0.9, 0.1, 0.2, 0.8]),
            factor(&[1, 2], &[2, 2], &[0.5, 0.5, 0.4, 0.6]),
            factor(&[1], &[2], &[0.0, 1.0]),
        ];
        let reduced = reduce(factors, &[], &[2], 3);
        assert_eq!(reduced.observed, vec![(1, 1)]);
        assert_eq!(reduced.factors.len(), 1);
        assert_eq!(reduced.factors[0].slots, vec![2]);
        assert_eq!(reduced.factors[0].values, vec![0.4, 0.6]);
        assert_eq!(reduced.constant, 1.0);
    }

    #[test]
    fn deterministic_children_of_observed_slots_are_fixed_in_turn() {
        // 1 := not 0, with 0 observed = 0: 1 is fixed to 1 and the target 2 reads only it.
        let factors = vec![
            factor(&[0], &[2], &[1.0, 0.0]),
            factor(&[0, 1], &[2, 2], &[0.0, 1.0, 1.0, 0.0]),
            factor(&[1, 2], &[2, 2], &[0.5, 0.5, 0.25, 0.75]),
        ];
        let reduced = reduce(factors, &[], &[2], 3);
        assert_eq!(reduced.observed, vec![(0, 0), (1, 1)]);
        assert_eq!(reduced.factors[0].values, vec![0.25, 0.75]);
        assert_eq!(reduced.constant, 1.0);
    }

    #[test]
    fn an_unobserved_common_child_is_barren_and_links_nothing() {
        // 0 → 2 ← 1, 1 → 3: units in plan order, each with its parents and output.
        let mut scopes = vec![vec![0], vec![1], vec![0, 1, 2], vec![1, 3]];
        let outputs = vec![vec![0], vec![1], vec![2], vec![3]];
        // The target 0, evidence on 3: 2 is barren, 1 and 3 are evidence's ancestors.
        drop_barren(&mut scopes, &outputs, &[0], &[3], 4);
        assert_eq!(scopes, vec![vec![0], vec![1], vec![], vec![1, 3]]);
        let keep = relevant(&scopes, &|s| s == 3, &[0], 4);
        assert_eq!(keep, vec![true, false, false, false]);
        // Observed, the child is evidence: it and both its parents stay, and link 0 with 1.
        let mut scopes = vec![vec![0], vec![1], vec![0, 1, 2], vec![1, 3]];
        drop_barren(&mut scopes, &outputs, &[0], &[2], 4);
        assert_eq!(scopes[2], vec![0, 1, 2]);
        assert!(scopes[3].is_empty());
    }
}
