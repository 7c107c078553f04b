//! Marginals kept across questions (a cache): the calibrated junction tree of `P(* | e)` answers every
//! later question about one variable under the same evidence and interventions — `P(x | e)`,
//! `P(x = v | e)`, `E[x | e]`, `P(* | e)` again — without another elimination, as pyAgrum's
//! LazyPropagation answers every posterior of an inference it has made.
//!
//! A model's questions share one [`MarginalCache`] (the library's `Model`, `ask`, and the REPL's session
//! while its declarations are unchanged; `whatif run` asks a file's questions of one model).
//! An entry is keyed by what fixes the distribution the tree was calibrated for ([`Key`]): the
//! number of variables, every variable the plan computes otherwise than by its own mechanism
//! (an intervention, with its text), the observed values and the evidence that is not an
//! observation. A later plan whose key is equal conditions on the same evidence under the
//! same interventions, so its variables' marginals are the kept ones: a plan leaves out only
//! variables that cannot change its targets' distribution, and those are by their own
//! mechanisms in both. Counterfactual plans (several worlds) are not kept.
//!
//! An answer read from the kept tree may differ from a fresh single-variable elimination in
//! its last bits (the sums are done in another order); both are exact to machine precision.
//!
//! **Invariant:** an entry is only ever read by a plan of the model it was stored from.

use super::Sums;
use crate::query::{Mech, Plan, TargetKind};
use crate::scm::{Ex, Model, VarKind};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most entries kept; the oldest goes first.
const MAX_ENTRIES: usize = 16;

/// The marginals of calibrated junction trees, per evidence and interventions, shared by a
/// model's questions (clones share them).
#[derive(Clone, Debug, Default)]
pub struct MarginalCache(Arc<Mutex<Entries>>);

/// The kept marginals with their keys, oldest first.
type Entries = Vec<(Key, Arc<Marginals>)>;

/// What fixes the distribution a tree was calibrated for (see the module's documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Key {
    n_vars: usize,
    /// Variables computed otherwise than by their own mechanism: (variable, mechanism's text).
    interventions: Vec<(usize, String)>,
    /// Observed variables and their values' bits.
    observed: Vec<(usize, u64)>,
    /// Evidence that is not an observation of a variable, as text.
    indicators: Vec<String>,
}

/// Per variable, its marginal as (value, probability) rows.
#[derive(Debug)]
pub(super) struct Marginals(HashMap<usize, Vec<(f64, f64)>>);

impl MarginalCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.entries().clear();
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    /// The marginals kept under `key`.
    pub(super) fn get(&self, key: &Key) -> Option<Arc<Marginals>> {
        self.entries()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, m)| m.clone())
    }

    /// Keeps the marginals of a group whose targets are single variables (`P(*)`), read from
    /// its `sums`.
    pub(super) fn store(&self, key: Key, plan: &Plan, group: usize, sums: &Sums) {
        if sums.mass <= 0.0 {
            return;
        }
        let mut by_var = HashMap::new();
        for (target, rows) in plan.groups[group].targets.iter().zip(&sums.table) {
            if let (TargetKind::Discrete, Ex::Slot(s)) = (target.kind, &target.expr)
                && *s < plan.n_vars
            {
                by_var.insert(*s, rows.clone());
            }
        }
        let mut entries = self.entries();
        entries.retain(|(k, _)| *k != key);
        if entries.len() >= MAX_ENTRIES {
            entries.remove(0);
        }
        entries.push((key, Arc::new(Marginals(by_var))));
    }
}

/// The key of `group` of a single-world plan; `None` for counterfactual (several worlds).
pub(super) fn key(plan: &Plan, model: &Model, group: usize) -> Option<Key> {
    if plan.n_worlds != 1 {
        return None;
    }
    let mut key = Key {
        n_vars: plan.n_vars,
        interventions: Vec::new(),
        observed: Vec::new(),
        indicators: plan.groups[group]
            .indicators
            .iter()
            .map(|e| format!("{e:?}"))
            .collect(),
    };
    for step in &plan.steps {
        let var = step.var;
        for comp in step.comps.iter().filter(|c| c.group == group) {
            if !own_mechanism(model, var, &comp.mech) {
                key.interventions.push((var, format!("{:?}", comp.mech)));
            }
            if let Some(x) = comp.clamp {
                key.observed.push((var, x.to_bits()));
            }
        }
        for clamp in step.clamps.iter().filter(|c| c.group == group) {
            for (_, _, x) in &clamp.observations {
                key.observed.push((var, x.to_bits()));
            }
        }
    }
    key.observed.sort_unstable();
    key.observed.dedup();
    Some(key)
}

/// Whether `mech` is variable `var`'s own mechanism (not an intervention's).
fn own_mechanism(model: &Model, var: usize, mech: &Mech) -> bool {
    match (&model.vars[var].kind, mech) {
        (VarKind::Stochastic(own), Mech::Stoch { tree, .. }) => Arc::ptr_eq(own, tree),
        (VarKind::Deterministic(own), Mech::Det(e)) => format!("{own:?}") == format!("{e:?}"),
        _ => false,
    }
}

/// The group's sums read from `kept`, when each of its targets is one variable's distribution
/// or a function of one variable that `kept` holds.
pub(super) fn answer(plan: &Plan, group: usize, kept: &Marginals) -> Option<Sums> {
    let targets = &plan.groups[group].targets;
    let mut sums = Sums {
        mass: 1.0,
        scalar: vec![0.0; targets.len()],
        table: vec![Vec::new(); targets.len()],
    };
    let mut vals = vec![0.0; plan.n_vars * plan.n_worlds];
    for (t, target) in targets.iter().enumerate() {
        let mut read = Vec::new();
        super::factor::slots_of(&target.expr, &mut |s| {
            if !read.contains(&s) {
                read.push(s);
            }
        });
        let rows: &[(f64, f64)] = match read[..] {
            [s] => kept.0.get(&s)?,
            // A constant target (no variable read) is worth its value whatever the tree.
            [] => &[(0.0, 1.0)],
            _ => return None,
        };
        match (target.kind, &target.expr) {
            (TargetKind::Discrete, Ex::Slot(_)) => sums.table[t] = rows.to_vec(),
            (TargetKind::Real, _) => return None,
            (kind, e) => {
                for &(x, p) in rows {
                    if let [s] = read[..] {
                        vals[s] = x;
                    }
                    let f = e.eval(&vals, 0);
                    match kind {
                        TargetKind::Scalar => sums.scalar[t] += p * f,
                        _ => match sums.table[t].iter_mut().find(|r| r.0 == f) {
                            Some(row) => row.1 += p,
                            None => sums.table[t].push((f, p)),
                        },
                    }
                }
            }
        }
    }
    Some(sums)
}
