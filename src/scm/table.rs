//! Conditional probability tables read straight from a mechanism.
//!
//! A stochastic mechanism that is a `match` over some of its parents' values, each arm a
//! distribution with constant parameters and a finite support — what `whatif import` writes
//! for a BIF table — or such a distribution alone, is a table `P(x | parents)`. It is
//! recognised once per checked model and cached on the variable ([`TableCache`]), so that the
//! exact engine's factors and the compiled sampler's tables copy rows instead of selecting an
//! arm and evaluating its distribution for every row of every query.
//!
//! The table keeps the `match`'s semantics exactly: the first arm whose patterns match wins, a
//! wildcard matches any value (a value no pattern names falls in an "other" position), and a
//! row no arm covers is recorded as such (the engines report it as they would for the `match`).
//! Probabilities are computed as the engines compute them from the distribution
//! (`log_density(x).exp()` over the support), so answers do not change by a bit.

use super::VarId;
use super::dist::{DistTree, Leaf};
use super::expr::Ex;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Most rows a recognised table may have (larger `match`es are evaluated as they are).
const MAX_ROWS: usize = 1 << 24;

/// `P(x | parents)` as a dense table over the parents' positions.
#[derive(Debug)]
pub struct CondTable {
    /// The variables matched on, in the `match`'s order, without repeats.
    pub parents: Vec<VarId>,
    /// Per parent: a named value's key ([`value_key`]) → its position.
    named: Vec<HashMap<u64, usize>>,
    /// Per parent: whether some arm has a wildcard there (position `named.len()` then holds
    /// every value no pattern names).
    other: Vec<bool>,
    /// Per parent: its number of positions, the row strides' radices.
    pub sizes: Vec<usize>,
    /// The values drawn, one column each, in the order the supports list them.
    pub values: Vec<f64>,
    /// Per row (mixed radix over `sizes`, last parent fastest): the arm that covers it, or
    /// `u32::MAX` where none does.
    rows: Vec<u32>,
    /// Per arm: the probability of each column.
    arms: Vec<Vec<f64>>,
}

/// The key under which a value is looked up (`-0.0` and `0.0` agree, as `==` has them).
pub fn value_key(x: f64) -> u64 {
    if x == 0.0 { 0 } else { x.to_bits() }
}

impl CondTable {
    /// The position of `value` among parent `k`'s, or `None` when no arm can match it.
    pub fn position(&self, k: usize, value: f64) -> Option<usize> {
        match self.named[k].get(&value_key(value)) {
            Some(&p) => Some(p),
            None => self.other[k].then_some(self.named[k].len()),
        }
    }

    /// The probabilities of the columns in table row `row`; `None` where no arm covers it.
    pub fn row(&self, row: usize) -> Option<&[f64]> {
        let arm = *self.rows.get(row)?;
        self.arms.get(arm as usize).map(Vec::as_slice)
    }

    /// Reads `tree` as a table, or `None` when it is not one (a scrutinee that is not a plain
    /// variable, a nested `if`/`match`, a parameter that is not a constant, an invalid or
    /// infinite distribution, too many rows).
    pub fn recognise(tree: &DistTree) -> Option<CondTable> {
        let (scrutinees, arms): (&[Ex], Vec<(&[Option<f64>], &Leaf)>) = match tree {
            DistTree::Leaf(leaf) => (&[], vec![(&[][..], leaf)]),
            DistTree::Match(m) => {
                let mut arms = Vec::with_capacity(m.arms.len());
                for (patterns, body) in &m.arms {
                    let DistTree::Leaf(leaf) = body else {
                        return None;
                    };
                    arms.push((patterns.as_slice(), leaf));
                }
                (&m.scrutinees, arms)
            }
            DistTree::If(_) => return None,
        };
        let mut parents = Vec::with_capacity(scrutinees.len());
        for s in scrutinees {
            match s {
                Ex::Var(v) if !parents.contains(v) => parents.push(*v),
                _ => return None,
            }
        }
        let n = parents.len();
        let mut named: Vec<HashMap<u64, usize>> = vec![HashMap::new(); n];
        let mut other = vec![false; n];
        for (patterns, _) in &arms {
            if patterns.len() != n {
                return None;
            }
            for (k, pattern) in patterns.iter().enumerate() {
                match pattern {
                    Some(x) => {
                        let next = named[k].len();
                        named[k].entry(value_key(*x)).or_insert(next);
                    }
                    None => other[k] = true,
                }
            }
        }
        let sizes: Vec<usize> = (0..n).map(|k| named[k].len() + other[k] as usize).collect();
        let n_rows = crate::config::table_size(sizes.iter().copied()).filter(|&r| r <= MAX_ROWS)?;
        // Each arm's distribution, over the union of the supports.
        let mut values: Vec<f64> = Vec::new();
        let mut column: HashMap<u64, usize> = HashMap::new();
        let mut outcomes: Vec<Vec<(usize, f64)>> = Vec::with_capacity(arms.len());
        let mut params = Vec::new();
        for (_, leaf) in &arms {
            params.clear();
            for e in &leaf.params {
                let Ex::Const(c) = e else { return None };
                params.push(*c);
            }
            leaf.kind.validate(&params).ok()?;
            let support = leaf.kind.support(&params)?;
            let mut arm = Vec::with_capacity(support.len());
            for x in support {
                let next = values.len();
                let c = *column.entry(value_key(x)).or_insert(next);
                if c == next {
                    values.push(x);
                }
                arm.push((c, leaf.kind.log_density(&params, x).exp()));
            }
            outcomes.push(arm);
        }
        let arms_p: Vec<Vec<f64>> = outcomes
            .into_iter()
            .map(|arm| {
                let mut p = vec![0.0; values.len()];
                for (c, x) in arm {
                    p[c] += x;
                }
                p
            })
            .collect();
        // Rows: the first arm covering each, as `MatchEx::select` picks it.
        let mut rows = vec![u32::MAX; n_rows];
        let mut budget = n_rows.saturating_mul(4).max(1 << 16);
        let mut choice: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (a, (patterns, _)) in arms.iter().enumerate() {
            for (k, pattern) in patterns.iter().enumerate() {
                choice[k] = match pattern {
                    Some(x) => vec![named[k][&value_key(*x)]],
                    None => (0..sizes[k]).collect(),
                };
            }
            let covered = crate::config::table_size(choice.iter().map(Vec::len))?;
            budget = budget.checked_sub(covered)?;
            let mut at = vec![0usize; n];
            for _ in 0..covered {
                let row = (0..n).fold(0, |r, k| r * sizes[k] + choice[k][at[k]]);
                if rows[row] == u32::MAX {
                    rows[row] = u32::try_from(a).ok()?;
                }
                for k in (0..n).rev() {
                    at[k] += 1;
                    if at[k] < choice[k].len() {
                        break;
                    }
                    at[k] = 0;
                }
            }
        }
        Some(CondTable {
            parents,
            named,
            other,
            sizes,
            values,
            rows,
            arms: arms_p,
        })
    }
}

/// A variable's table, recognised on first use and kept for the life of the model (clones of
/// the model share what was found).
#[derive(Clone, Debug, Default)]
pub struct TableCache(OnceLock<Option<Arc<CondTable>>>);

impl TableCache {
    /// The table of `tree` (the variable's own mechanism), recognised once.
    pub fn get(&self, tree: &DistTree) -> Option<&Arc<CondTable>> {
        self.0
            .get_or_init(|| CondTable::recognise(tree).map(Arc::new))
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scm::dist::DistKind;
    use crate::scm::expr::MatchEx;

    fn categorical(p: &[f64]) -> DistTree {
        DistTree::Leaf(Leaf {
            kind: DistKind::Categorical { labels: vec![] },
            params: p.iter().map(|&x| Ex::Const(x)).collect(),
            span: Default::default(),
        })
    }

    #[test]
    fn the_first_matching_arm_wins_and_wildcards_cover_unnamed_values() {
        // match (a, b) { (1, _) => C(1, 0), (_, 2) => C(0, 1), (0, 0) => C(.5, .5) }
        let tree = DistTree::Match(Box::new(MatchEx {
            scrutinees: vec![Ex::Var(0), Ex::Var(1)],
            arms: vec![
                (vec![Some(1.0), None], categorical(&[1.0, 0.0])),
                (vec![None, Some(2.0)], categorical(&[0.0, 1.0])),
                (vec![Some(0.0), Some(0.0)], categorical(&[0.5, 0.5])),
            ],
        }));
        let t = CondTable::recognise(&tree).expect("a table");
        assert_eq!(t.parents, vec![0, 1]);
        let row = |a: f64, b: f64| {
            let (pa, pb) = (t.position(0, a)?, t.position(1, b)?);
            t.row(pa * t.sizes[1] + pb)
        };
        assert_eq!(row(1.0, 2.0), Some(&[1.0, 0.0][..]));
        assert_eq!(row(7.0, 2.0), Some(&[0.0, 1.0][..]));
        assert_eq!(row(0.0, 0.0), Some(&[0.5, 0.5][..]));
        assert_eq!(row(-0.0, 0.0), Some(&[0.5, 0.5][..]));
        // (0, 5): no arm covers it.
        assert_eq!(row(0.0, 5.0), None);
    }

    #[test]
    fn mechanisms_that_are_not_tables_are_left_alone() {
        let computed = DistTree::Leaf(Leaf {
            kind: DistKind::Bernoulli,
            params: vec![Ex::Var(0)],
            span: Default::default(),
        });
        assert!(CondTable::recognise(&computed).is_none());
        let on_expression = DistTree::Match(Box::new(MatchEx {
            scrutinees: vec![Ex::Binary(
                crate::scm::BinOp::Add,
                Box::new(Ex::Var(0)),
                Box::new(Ex::Const(1.0)),
            )],
            arms: vec![(vec![None], categorical(&[1.0]))],
        }));
        assert!(CondTable::recognise(&on_expression).is_none());
    }
}
