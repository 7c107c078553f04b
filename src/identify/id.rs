//! The complete identification algorithms of Shpitser & Pearl (2006): ID for `P(y | do(x))`
//! and IDC for `P(y | do(x), z)`, over an [`Admg`], returning an estimand ([`Term`]) or the
//! hedge that proves non-identifiability; and a minimal back-door adjustment set.
//!
//! The distribution argument of ID is carried symbolically ([`Dist`]): the observed joint, or
//! the product of conditionals built by line 7 (a *chain*: each factor a conditional given
//! everything before it, so its margins over a prefix are products of factors), or any
//! expression over the current nodes. Conditionals of it are exact rewrites; a general one is
//! a quotient of two margins. The recursion depth is at most twice the number of nodes (each
//! call shrinks the graph or grows the intervention set), which the caller bounds.

use super::admg::{Admg, NodeSet};
use super::estimand::Term;

/// Why an effect is not identifiable: the hedge `(F, F')` of Shpitser & Pearl — two
/// c-forests, `F' ⊂ F`, `F` meeting the intervention and `F'` the outcome's ancestors.
#[derive(Clone, Debug, PartialEq)]
pub struct Hedge {
    pub forest: NodeSet,
    pub sub_forest: NodeSet,
}

/// The distribution ID recurses with: a term over `scope` (the current graph's nodes).
#[derive(Clone, Debug)]
struct Dist {
    term: Term,
    scope: NodeSet,
    /// When the term is a chain product: its factors in topological order.
    chain: Option<Vec<(usize, Term)>>,
}

impl Dist {
    /// The margin over `keep ∩ scope`.
    fn marginal(&self, g: &Admg, keep: &NodeSet) -> Dist {
        let scope = self.scope.intersect(keep);
        if scope == self.scope {
            return self.clone();
        }
        if let Some(chain) = &self.chain {
            let mut factors = chain.clone();
            while factors.last().is_some_and(|(v, _)| !keep.contains(*v)) {
                factors.pop();
            }
            let vars: Vec<usize> = factors.iter().map(|(v, _)| *v).collect();
            let product = Term::Product(factors.iter().map(|(_, t)| t.clone()).collect());
            if vars.iter().all(|v| keep.contains(*v)) {
                return Dist {
                    term: product.simplify(),
                    scope,
                    chain: Some(factors),
                };
            }
            let over = vars.into_iter().filter(|v| !keep.contains(*v)).collect();
            return Dist {
                term: Term::Sum {
                    over,
                    body: Box::new(product),
                }
                .simplify(),
                scope,
                chain: None,
            };
        }
        let over: Vec<usize> = self.scope.minus(keep).iter().collect();
        let _ = g;
        Dist {
            term: Term::Sum {
                over,
                body: Box::new(self.term.clone()),
            }
            .simplify(),
            scope,
            chain: None,
        }
    }

    /// `P(v | pre)` under this distribution, `pre ⊆ scope`.
    fn conditional(&self, g: &Admg, v: usize, pre: &NodeSet) -> Term {
        if let Term::Prob { vars, given } = &self.term
            && NodeSet::of(g.len(), vars.iter().copied()) == self.scope
        {
            let mut cond: Vec<usize> = pre.iter().collect();
            cond.extend(given.iter().copied().filter(|c| !pre.contains(*c)));
            return Term::Prob {
                vars: vec![v],
                given: cond,
            };
        }
        if let Some(chain) = &self.chain {
            let before: Vec<usize> = chain
                .iter()
                .map(|(u, _)| *u)
                .take_while(|u| *u != v)
                .collect();
            if NodeSet::of(g.len(), before) == *pre
                && let Some((_, factor)) = chain.iter().find(|(u, _)| *u == v)
            {
                return factor.clone();
            }
        }
        let mut with = pre.clone();
        with.insert(v);
        let numerator = self.marginal(g, &with).term;
        if pre.is_empty() {
            return numerator;
        }
        let denominator = self.marginal(g, pre).term;
        Term::Quotient(Box::new(numerator), Box::new(denominator)).simplify()
    }
}

/// `P(y | do(x))` by ID: the estimand, or the hedge.
pub fn id(g: &Admg, y: &NodeSet, x: &NodeSet) -> Result<Term, Hedge> {
    let all = g.all();
    let joint = Dist {
        term: Term::Prob {
            vars: all.iter().collect(),
            given: Vec::new(),
        },
        scope: all.clone(),
        chain: None,
    };
    Ok(id_rec(g, y, x, &joint, &all)?.simplify())
}

/// ID on the subgraph induced by `v` with distribution `p` (whose scope is `v`).
fn id_rec(g: &Admg, y: &NodeSet, x: &NodeSet, p: &Dist, v: &NodeSet) -> Result<Term, Hedge> {
    let none = g.none();
    // Line 1: no intervention.
    if x.is_empty() {
        return Ok(p.marginal(g, y).term);
    }
    // Line 2: only the ancestors of y matter.
    let ancestors = g.ancestors(y, v, &none);
    if ancestors != *v {
        let p = p.marginal(g, &ancestors);
        return id_rec(g, y, &x.intersect(&ancestors), &p, &ancestors);
    }
    // Line 3: intervene also on what cannot reach y once x is cut.
    let reach = g.ancestors(y, v, x);
    let w = v.minus(x).minus(&reach);
    if !w.is_empty() {
        return id_rec(g, y, &x.union(&w), p, v);
    }
    let rest = v.minus(x);
    let districts = g.districts(&rest);
    // Line 4: factorise over the districts of G \ X.
    if districts.len() > 1 {
        let mut factors = Vec::with_capacity(districts.len());
        for s in &districts {
            factors.push(id_rec(g, s, &v.minus(s), p, v)?);
        }
        let over = rest.minus(y).iter().collect();
        return Ok(Term::Sum {
            over,
            body: Box::new(Term::Product(factors)),
        }
        .simplify());
    }
    let Some(s) = districts.into_iter().next() else {
        // y ⊆ x: the effect of x on itself is fixed.
        return Ok(Term::one());
    };
    let whole = g.districts(v);
    // Line 5: G is one district: the hedge.
    if whole.len() == 1 {
        return Err(Hedge {
            forest: v.clone(),
            sub_forest: s,
        });
    }
    let order = g.in_order(v);
    let predecessors = |node: usize| -> NodeSet {
        NodeSet::of(g.len(), order.iter().copied().take_while(|u| *u != node))
    };
    // Line 6: S is a district of G.
    if whole.contains(&s) {
        let factors = g
            .in_order(&s)
            .into_iter()
            .map(|node| p.conditional(g, node, &predecessors(node)))
            .collect();
        return Ok(Term::Sum {
            over: s.minus(y).iter().collect(),
            body: Box::new(Term::Product(factors)),
        }
        .simplify());
    }
    // Line 7: S lies inside a larger district S' of G.
    let Some(bigger) = whole.into_iter().find(|d| s.is_subset(d)) else {
        unreachable!("a district of G \\ X lies inside a district of G");
    };
    let chain: Vec<(usize, Term)> = g
        .in_order(&bigger)
        .into_iter()
        .map(|node| (node, p.conditional(g, node, &predecessors(node))))
        .collect();
    let next = Dist {
        term: Term::Product(chain.iter().map(|(_, t)| t.clone()).collect()).simplify(),
        scope: bigger.clone(),
        chain: Some(chain),
    };
    id_rec(g, y, &x.intersect(&bigger), &next, &bigger)
}

/// `P(y | do(x), z)` by IDC: conditioning variables that rule 2 of do-calculus turns into
/// interventions move to `x`; the rest is `P'(y, z) / Σ_y P'(y, z)` with `P' = ID(y ∪ z, x)`.
pub fn idc(g: &Admg, y: &NodeSet, x: &NodeSet, z: &NodeSet) -> Result<Term, Hedge> {
    let (mut x, mut z) = (x.clone(), z.clone());
    'moved: loop {
        for candidate in z.iter().collect::<Vec<_>>() {
            let single = NodeSet::of(g.len(), [candidate]);
            let others = z.minus(&single);
            if g.separated(y, &single, &x.union(&others), &x, &single) {
                x.insert(candidate);
                z = others;
                continue 'moved;
            }
        }
        break;
    }
    if z.is_empty() {
        return id(g, y, &x);
    }
    let joint = id(g, &y.union(&z), &x)?;
    let denominator = Term::Sum {
        over: y.minus(&z).iter().collect(),
        body: Box::new(joint.clone()),
    };
    Ok(Term::Quotient(Box::new(joint), Box::new(denominator)).simplify())
}

/// A minimal (no member can be dropped) back-door adjustment set for the effect of `x` on
/// `y`: no descendant of `x`, and blocking every path from `x` to `y` that starts with an
/// edge into `x`. `None` when no set of observed variables does.
pub fn backdoor_set(g: &Admg, y: &NodeSet, x: &NodeSet) -> Option<Vec<usize>> {
    let none = g.none();
    let descendants = g.descendants(x);
    if !y.intersect(&descendants).is_subset(&descendants) || !y.intersect(x).is_empty() {
        return None;
    }
    let valid = |z: &NodeSet| g.separated(x, y, z, &none, x);
    let relevant = g.ancestors(&x.union(y), &g.all(), &none);
    let mut z = relevant.minus(&descendants).minus(y);
    if !valid(&z) {
        return None;
    }
    for candidate in z.clone().iter().collect::<Vec<_>>().into_iter().rev() {
        let mut smaller = z.clone();
        smaller.remove(candidate);
        if valid(&smaller) {
            z = smaller;
        }
    }
    Some(z.iter().collect())
}

/// The textbook adjustment formula `Σ_z P(y | x, z) P(z)` for a back-door set `z`.
pub fn adjustment_formula(y: &NodeSet, x: &NodeSet, z: &[usize]) -> Term {
    let mut given: Vec<usize> = x.iter().collect();
    given.extend(z);
    Term::Sum {
        over: z.to_vec(),
        body: Box::new(Term::Product(vec![
            Term::Prob {
                vars: y.iter().collect(),
                given,
            },
            Term::Prob {
                vars: z.to_vec(),
                given: Vec::new(),
            },
        ])),
    }
    .simplify()
}
