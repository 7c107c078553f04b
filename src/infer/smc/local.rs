//! Which steps of a plan each latent noise reaches: a move that changes one particle's score
//! need recompute only those steps ([`crate::infer::sampling::Sampler::resample_steps`]).
//!
//! In a hierarchical model most noises reach few steps (a candidate's talent reaches only
//! its own hiring decision), so a sweep that moves every coordinate in turn
//! (Metropolis-within-Gibbs, [`super::population`]) costs a few full evaluations instead of
//! one per coordinate. The reach is found by one forward pass over the steps per coordinate:
//! a step is reached when it draws the coordinate's noise or reads (in any world, through
//! any expression of its computations or of its evidence's distributions) a value an earlier
//! reached step wrote.

use crate::query::{Mech, Plan};
use crate::scm::DistTree;
use crate::scm::Ex;

/// Per latent coordinate, the steps (indices into the plan's steps, increasing) its noise
/// reaches.
pub struct Reach {
    pub steps: Vec<Vec<usize>>,
    /// What one sweep over every coordinate costs, in full evaluations of the model.
    pub sweep_cost: f64,
}

/// The values one step reads and writes, and the noise slots it draws.
struct StepUse {
    reads: Vec<usize>,
    writes: Vec<usize>,
    noise: Vec<usize>,
}

/// The reach of every slot of `latent` in `plan`, or `None` when the analysis would cost
/// more than `max_work` (coordinates × reads) or an expression reads what it cannot place (a
/// counterfactual term not assigned to a world).
pub fn reach(plan: &Plan, latent: &[usize], max_work: usize) -> Option<Reach> {
    let n = plan.n_vars;
    let mut uses = Vec::with_capacity(plan.steps.len());
    let mut opaque = false;
    for step in &plan.steps {
        let mut u = StepUse {
            reads: Vec::new(),
            writes: Vec::new(),
            noise: Vec::new(),
        };
        for clamp in &step.clamps {
            for (world, tree, _) in &clamp.observations {
                opaque |= tree_reads(tree, world * n, &mut u.reads);
            }
        }
        for comp in &step.comps {
            opaque |= mech_reads(&comp.mech, comp.world * n, &mut u.reads, &mut u.noise);
            u.writes.push(comp.world * n + step.var);
            u.writes
                .extend(comp.copies.iter().map(|c| c * n + step.var));
        }
        u.reads.sort_unstable();
        u.reads.dedup();
        uses.push(u);
    }
    let reads: usize = uses.iter().map(|u| u.reads.len() + u.noise.len() + 1).sum();
    if opaque || reads.saturating_mul(latent.len()) > max_work {
        return None;
    }
    let mut reached = vec![false; plan.n_worlds * n];
    let mut marked = Vec::new();
    let mut steps = Vec::with_capacity(latent.len());
    let mut total = 0usize;
    for &slot in latent {
        let mut mine = Vec::new();
        for (s, u) in uses.iter().enumerate() {
            if u.noise.contains(&slot) || u.reads.iter().any(|&r| reached.get(r) == Some(&true)) {
                mine.push(s);
                for &w in &u.writes {
                    if let Some(flag) = reached.get_mut(w) {
                        *flag = true;
                        marked.push(w);
                    }
                }
            }
        }
        for w in marked.drain(..) {
            reached[w] = false;
        }
        total += mine.len();
        steps.push(mine);
    }
    Some(Reach {
        steps,
        sweep_cost: total as f64 / plan.steps.len().max(1) as f64,
    })
}

/// Adds the values `e` reads, evaluated at world offset `base`; true if it reads one it
/// cannot place.
fn expr_reads(e: &Ex, base: usize, out: &mut Vec<usize>) -> bool {
    e.visit_vars(&mut |v| out.push(base + v));
    e.visit_slots(&mut |s| out.push(s));
    e.has_counterfactual()
}

/// Adds the values a distribution tree reads (conditions and parameters).
fn tree_reads(tree: &DistTree, base: usize, out: &mut Vec<usize>) -> bool {
    let mut opaque = false;
    let _ = tree.map_exprs(&mut |e| {
        opaque |= expr_reads(e, base, out);
        e.clone()
    });
    opaque
}

/// Adds the values and noise slots a mechanism reads.
fn mech_reads(mech: &Mech, base: usize, out: &mut Vec<usize>, noise: &mut Vec<usize>) -> bool {
    match mech {
        Mech::Det(e) => expr_reads(e, base, out),
        Mech::Stoch { tree, slot } => {
            noise.push(*slot);
            tree_reads(tree, base, out)
        }
        Mech::Shift { natural, shift } => {
            // `shift` reads the natural value, which the step itself wrote.
            let a = mech_reads(natural, base, out, noise);
            a | expr_reads(shift, base, out)
        }
    }
}
