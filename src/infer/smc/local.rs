//! Which steps of a plan each latent noise reaches: a move that changes one particle's score
//! need recompute only those steps ([`crate::infer::sampling::Sampler::resample_steps`]).
//!
//! In a hierarchical model most noises reach few steps (a candidate's talent reaches only
//! its own hiring decision), so a sweep that moves every coordinate in turn
//! (Metropolis-within-Gibbs, [`super::population`]) costs a few full evaluations instead of
//! one per coordinate. The reach is found by one forward pass over the steps per coordinate:
//! a step is reached when it draws the coordinate's noise or reads (in any world, through
//! any expression of its computations or of its evidence's distributions) a value an earlier
//! reached step wrote. What each computation reads is the plan's ([`Plan::reads`]).

use super::noise_slots;
use crate::query::Plan;

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
/// more than `max_work` (coordinates × reads).
pub fn reach(plan: &Plan, latent: &[usize], max_work: usize) -> Option<Reach> {
    let n = plan.n_vars;
    let mut uses = Vec::with_capacity(plan.steps.len());
    for step in &plan.steps {
        let mut u = StepUse {
            reads: Vec::new(),
            writes: Vec::new(),
            noise: Vec::new(),
        };
        // An observation's distribution is the mechanism of the slot it observes.
        for clamp in &step.clamps {
            for (world, _, _) in &clamp.observations {
                u.reads
                    .extend_from_slice(plan.reads.of(world * n + step.var));
            }
        }
        for comp in &step.comps {
            let slot = comp.world * n + step.var;
            u.reads.extend_from_slice(plan.reads.of(slot));
            noise_slots(&comp.mech, &mut u.noise);
            u.writes.push(slot);
            u.writes
                .extend(comp.copies.iter().map(|c| c * n + step.var));
        }
        u.reads.sort_unstable();
        u.reads.dedup();
        uses.push(u);
    }
    let reads: usize = uses.iter().map(|u| u.reads.len() + u.noise.len() + 1).sum();
    if reads.saturating_mul(latent.len()) > max_work {
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
