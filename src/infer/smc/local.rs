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
//!
//! The coordinates whose steps write a value the question reads (its *question coordinates*:
//! the hyperparameter `bias` in `E[bias | hired1, …]`; for a counterfactual target, those
//! reaching the slots it reads) are tried [`QUESTION_TRIES`] times per sweep, when that at
//! most doubles the sweep's cost. The answer's precision is the autocorrelation of what it
//! reads, and a one-coordinate random walk at 44% acceptance explores its coordinate's
//! conditional only partly per try. What it buys is measured in docs/inference.md (on
//! hiring200 the further tries add two thirds to a sweep's cost and pay for it).
//!
//! A coordinate whose noise one discrete computation draws, with at most [`MAX_CELLS`]
//! values (a latent class, a Bernoulli cause), is not random-walked: the sweep sums over its
//! values and draws it from its exact conditional (a Gibbs move, [`Discrete`]).

use super::noise_slots;
use crate::query::{Mech, Plan};
use crate::scm::dist::{DistKind, DistTree};

/// Per latent coordinate, the steps (indices into the plan's steps, increasing) its noise
/// reaches.
pub struct Reach {
    pub steps: Vec<Vec<usize>>,
    /// Per latent coordinate, whether its steps write a value the question reads.
    pub question: Vec<bool>,
    /// How many one-coordinate moves a sweep makes on each question coordinate that is not
    /// drawn by Gibbs (those are drawn once, exactly): 1 or [`QUESTION_TRIES`].
    pub question_tries: usize,
    /// What one sweep costs, in full evaluations of the model.
    pub sweep_cost: f64,
    /// What moving every coordinate once costs, in full evaluations of the model.
    pub once_cost: f64,
    /// Per latent coordinate, the discrete computation that draws it, when it is the only
    /// one and has at most [`MAX_CELLS`] values: the sweep draws it by Gibbs.
    pub discrete: Vec<Option<Discrete>>,
}

/// A latent coordinate drawn by one discrete computation of few values.
#[derive(Clone, Copy, Debug)]
pub struct Discrete {
    /// The computation: its step (an index into the plan's steps) and its index there.
    pub comp: (usize, usize),
    /// The most values it can take, whatever its parents.
    pub most_values: usize,
}

/// The most values a discrete coordinate may have for a sweep to draw it by Gibbs: each
/// costs an evaluation of the steps it reaches.
pub const MAX_CELLS: usize = 16;

/// The values one step reads and writes, and the noise slots it draws.
struct StepUse {
    reads: Vec<usize>,
    writes: Vec<usize>,
    noise: Vec<usize>,
}

/// How many moves a sweep makes on each question coordinate.
pub const QUESTION_TRIES: usize = 3;

/// The reach of every slot of `latent` in `plan`, or `None` when the analysis would cost
/// more than `max_work` (coordinates × reads).
pub fn reach(plan: &Plan, latent: &[usize], max_work: usize) -> Option<Reach> {
    let n = plan.n_vars;
    let mut uses = Vec::with_capacity(plan.steps.len());
    // Which computations draw each latent slot (its index in `latent`).
    let mut drawers: Vec<Vec<(usize, usize, &Mech)>> = vec![Vec::new(); latent.len()];
    let mut drawn = Vec::new();
    for (s, step) in plan.steps.iter().enumerate() {
        for (c, comp) in step.comps.iter().enumerate() {
            drawn.clear();
            noise_slots(&comp.mech, &mut drawn);
            for slot in &drawn {
                if let Ok(j) = latent.binary_search(slot) {
                    drawers[j].push((s, c, &comp.mech));
                }
            }
        }
    }
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
    // What the question reads: its targets' values (world 0's variables, and the absolute
    // slots of counterfactual terms).
    let mut asked = vec![false; plan.n_worlds * n];
    for target in plan.groups.iter().flat_map(|g| &g.targets) {
        let mut mark = |slot: usize| {
            if let Some(flag) = asked.get_mut(slot) {
                *flag = true;
            }
        };
        target.expr.visit_vars(&mut |v| mark(v));
        target.expr.visit_slots(&mut mark);
    }
    let mut reached = vec![false; plan.n_worlds * n];
    let mut marked = Vec::new();
    let mut steps = Vec::with_capacity(latent.len());
    let mut question = Vec::with_capacity(latent.len());
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
        question.push(marked.iter().any(|&w| asked[w]));
        for w in marked.drain(..) {
            reached[w] = false;
        }
        steps.push(mine);
    }
    let discrete: Vec<Option<Discrete>> = drawers
        .iter()
        .map(|d| match d.as_slice() {
            [(s, c, mech)] => {
                most_values(mech)
                    .filter(|&most| most <= MAX_CELLS)
                    .map(|most_values| Discrete {
                        comp: (*s, *c),
                        most_values,
                    })
            }
            _ => None,
        })
        .collect();
    let total: usize = steps.iter().map(Vec::len).sum();
    // A discrete coordinate is drawn once per sweep, exactly: its further values cost an
    // evaluation of its steps each, the value drawn one more when it changes, and its own
    // value one more when its score is too near a cell's edge to tell it.
    let asked_cost: usize = (0..steps.len())
        .filter(|&j| question[j] && discrete[j].is_none())
        .map(|j| steps[j].len())
        .sum();
    let discrete_cost: usize = (0..steps.len())
        .filter_map(|j| discrete[j].map(|d| d.most_values * steps[j].len()))
        .sum();
    let question_tries = if (QUESTION_TRIES - 1) * asked_cost <= total {
        QUESTION_TRIES
    } else {
        1
    };
    let cost = total + discrete_cost + (question_tries - 1) * asked_cost;
    Some(Reach {
        steps,
        question,
        question_tries,
        sweep_cost: cost as f64 / plan.steps.len().max(1) as f64,
        once_cost: total as f64 / plan.steps.len().max(1) as f64,
        discrete,
    })
}

/// The most values a stochastic mechanism can take, when it is discrete and that is known
/// before sampling (Bernoulli, Categorical, Binomial with a constant number of trials, and
/// DiscreteUniform with constant bounds, in every branch of its tree).
fn most_values(mech: &Mech) -> Option<usize> {
    let tree: &DistTree = match mech {
        Mech::Stoch { tree, .. } => tree,
        Mech::Shift { natural, .. } => return most_values(natural),
        Mech::Det(_) => return None,
    };
    tree.leaves()
        .iter()
        .map(|leaf| match &leaf.kind {
            DistKind::Bernoulli | DistKind::Categorical { .. } => {
                leaf.kind.support_len(&vec![0.0; leaf.params.len()])
            }
            // A Binomial's count of values is its number of trials alone.
            DistKind::Binomial => leaf.params[0]
                .constant()
                .and_then(|n| leaf.kind.support_len(&[n, 0.5])),
            DistKind::DiscreteUniform => leaf
                .params
                .iter()
                .map(|p| p.constant())
                .collect::<Option<Vec<f64>>>()
                .and_then(|p| leaf.kind.support_len(&p)),
            _ => None,
        })
        .try_fold(0, |most, n| n.map(|n| most.max(n)))
}

impl Reach {
    /// How many moves a sweep makes on coordinate `j`.
    pub fn tries(&self, j: usize) -> usize {
        if self.question[j] && self.discrete[j].is_none() {
            self.question_tries
        } else {
            1
        }
    }

    /// Whether every coordinate is drawn by Gibbs (and there is one): then the sweeps need no
    /// independence steps beside them.
    pub fn all_discrete(&self) -> bool {
        !self.discrete.is_empty() && self.discrete.iter().all(Option::is_some)
    }
}
