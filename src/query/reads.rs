//! What each computation of a plan reads: the per-slot fact the planner and every engine
//! share, found once per plan.
//!
//! A slot's *reads* are the slots its mechanism in that world needs before it can be
//! computed: the variables it mentions, in its own world, and, for an intervention's
//! mechanism, the slots of other worlds that nested counterfactuals in its value name. A
//! shift (`do(x = x + 1)`) reads its own natural value, which is not an input. The planner
//! walks them for relevance, the order of the variables and the versions of a computation;
//! the exact engine builds its factors' scopes from them and SMC the reach of each latent
//! noise. Before this fact was kept, each of these walked the mechanisms again (an imported
//! table's tree is large; a long sum's expression is long).
//!
//! A variable's own mechanism reads the parents the check found ([`crate::scm::Var::parents`],
//! without repeats) and no other world; an intervention's mechanism is walked once here.
//! Reads keep the order they are met and may repeat (a consumer that needs a set dedups).

use super::Mech;
use crate::scm::{Model, VarId, VarKind};
use std::sync::Arc;

/// Per slot (`world * n + var`), the slots its mechanism reads; empty for a slot without a
/// mechanism (a decision no intervention sets).
#[derive(Clone, Debug, Default)]
pub struct SlotReads {
    /// Where each slot's reads start in `slots`; one more entry than there are slots.
    starts: Vec<usize>,
    slots: Vec<usize>,
}

impl SlotReads {
    /// The reads of every slot of `mechs` (per slot: its mechanism and whether it is the
    /// variable's own), `n` variables to a world.
    pub(super) fn build<'m>(
        model: &Model,
        n: usize,
        mechs: impl ExactSizeIterator<Item = (Option<&'m Mech>, bool)>,
    ) -> SlotReads {
        let mut reads = SlotReads {
            starts: Vec::with_capacity(mechs.len() + 1),
            slots: Vec::new(),
        };
        reads.starts.push(0);
        for (s, (mech, natural)) in mechs.enumerate() {
            if let Some(m) = mech {
                let (w, v) = (s / n, s % n);
                mech_parents(model, m, v, &mut |p| reads.slots.push(w * n + p));
                if !natural {
                    mech_other_worlds(model, m, v, &mut |o| reads.slots.push(o));
                }
            }
            reads.starts.push(reads.slots.len());
        }
        reads
    }

    /// The slots `slot`'s mechanism reads.
    pub fn of(&self, slot: usize) -> &[usize] {
        match (self.starts.get(slot), self.starts.get(slot + 1)) {
            (Some(&a), Some(&b)) => &self.slots[a..b],
            _ => &[],
        }
    }
}

/// Whether `m` is variable `v`'s own stochastic mechanism (the tree the check lowered), whose
/// parents the check has already found.
fn is_own_tree(model: &Model, v: VarId, tree: &Arc<crate::scm::DistTree>) -> bool {
    matches!(&model.vars[v].kind, VarKind::Stochastic(own) if Arc::ptr_eq(own, tree))
}

/// The variables a mechanism reads in its world (a variable's own stochastic mechanism: its
/// parents as the check found them, found without walking its tree).
fn mech_parents(model: &Model, m: &Mech, v: VarId, f: &mut impl FnMut(VarId)) {
    match m {
        Mech::Det(e) => e.visit_vars(f),
        Mech::Stoch { tree, .. } if is_own_tree(model, v, tree) => {
            model.vars[v].parents.iter().for_each(|&p| f(p))
        }
        Mech::Stoch { tree, .. } => tree.visit_vars(f),
        Mech::Shift { natural, shift } => {
            mech_parents(model, natural, v, f);
            shift.visit_vars(&mut |p| {
                if p != v {
                    f(p)
                }
            });
        }
    }
}

/// The slots of other worlds a mechanism reads (nested counterfactuals in its world's
/// interventions). A variable's own mechanism reads none.
fn mech_other_worlds(model: &Model, m: &Mech, v: VarId, f: &mut impl FnMut(usize)) {
    match m {
        Mech::Det(e) => e.visit_slots(f),
        Mech::Stoch { tree, .. } if is_own_tree(model, v, tree) => {}
        Mech::Stoch { tree, .. } => tree.visit_exprs(&mut |e| e.visit_slots(f)),
        Mech::Shift { natural, shift } => {
            mech_other_worlds(model, natural, v, f);
            shift.visit_slots(f);
        }
    }
}
