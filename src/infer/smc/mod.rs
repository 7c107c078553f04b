//! Sequential Monte Carlo (`--method smc`): importance sampling that survives informative
//! evidence, by tempering the evidence's likelihood from the prior to the posterior.
//!
//! A particle is a full assignment of the model's latent noise, held as standard-normal
//! scores (one per noise slot the plan draws; evidence on a stochastic variable fixes that
//! variable's own noise by abduction, as in likelihood weighting). So the same particles
//! answer observational, interventional and counterfactual questions: every world of the plan
//! is computed from one particle's noise, and the posterior over noise is the abduction.
//!
//! Each group of the plan (one estimand) is answered on its own, by [`REPLICATES`]
//! independent replicates ([`population`]), each seeded from `(seed, stream, group,
//! replicate)` alone, run in parallel and combined in replicate order: one seed fixes every
//! number at any thread count. A replicate tempers a population a [`FINAL_GROWTH`]th of its
//! share of the samples, then runs its chains on at the posterior until they hold that share
//! ([`Layout`]). The estimate is the replicates' estimates weighted by their evidence
//! estimates `Ẑ_r`, and its standard error comes from their spread (`pooled`), which
//! accounts for everything resampling and the moves correlate within a replicate; it is
//! scaled by `t_ν(0.975) / 1.96` for the replicates' few effective degrees of freedom `ν`,
//! so that ±1.96 standard errors are a 95% interval. The log evidence is
//! `log mean_r Ẑ_r` (each `Ẑ_r` is unbiased for the marginal likelihood), its standard error by
//! the delta method. The ESS reported is the sum of the replicates' final Kish ESS, each
//! capped by its number of distinct states (copies made by resampling count once), and capped
//! again by the first target's posterior variance over its squared standard error before
//! that factor (what the replicates' spread says the particles were worth).
//!
//! **Invariant:** no I/O; a particle's evaluation is the sampling interpreter's (one code path
//! for every kind of question).

mod kernel;
mod local;
mod population;

use super::estimate::Histogram;
use super::sampling::{Budget, mix};
use crate::ast::Span;
use crate::diagnostics::{Code, Diagnostic};
use crate::query::{Mech, Plan, TargetKind};
use crate::scm::Model;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rayon::prelude::*;

/// Independent replicates per group: their spread is the standard error (at most 31 degrees
/// of freedom, for which the reported error is scaled; see `small_sample_factor`).
pub const REPLICATES: usize = 32;

/// How far, in squared posterior sds per coordinate, the chains aim to travel in a stage.
pub const TRAVEL: f64 = population::TRAVEL;

/// Below this travel (squared posterior sds per coordinate) in any stage, an answer warns
/// that the moves did not mix.
pub const MIN_TRAVEL: f64 = 1.0;

/// Fewest particles one replicate runs with.
pub const MIN_PARTICLES: usize = 64;

/// The limits SMC runs under (`Config::max_smc_stages`, `Config::max_smc_values`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most tempering stages one replicate may take.
    pub max_stages: usize,
    /// Most particles × latent noise values one group's replicates may hold together.
    pub max_values: u64,
    /// Most model evaluations one group's replicates may make together.
    pub max_evaluations: u64,
}

/// States each resampled ancestor contributes to the next population (itself and `3` moved
/// states): short chains keep many distinct ancestors, which the measured bias on
/// high-dimensional posteriors (40 latent noises) showed to matter more than long chains.
pub const CHAIN_LENGTH: usize = 4;

/// How many times more states the final population holds than the tempering one: the
/// chains grow longer at the posterior, where every state they visit is a draw worth keeping,
/// so precision is bought by moves at the posterior alone rather than by more particles at
/// every stage.
pub const FINAL_GROWTH: usize = 16;

/// How one replicate's particles are laid out: `chains` ancestors moved `length − 1` times
/// each at every tempering stage (waste-free SMC), then `final_length − 1` times each at the
/// posterior.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub chains: usize,
    pub length: usize,
    pub final_length: usize,
}

impl Layout {
    /// The layout for `samples` final states in all, split over the replicates.
    pub fn for_samples(samples: u64) -> Layout {
        let per = ((samples / REPLICATES as u64) as usize).max(MIN_PARTICLES);
        let tempering = per.div_ceil(FINAL_GROWTH).max(MIN_PARTICLES);
        let length = CHAIN_LENGTH;
        // An even number of chains, so the two halves of cross-fitting are whole chains.
        let chains = tempering.div_ceil(length).next_multiple_of(2);
        Layout {
            chains,
            length,
            final_length: per.div_ceil(chains).max(length),
        }
    }

    /// Particles per replicate while tempering.
    pub fn particles(self) -> usize {
        self.chains * self.length
    }

    /// Final states per replicate.
    pub fn final_particles(self) -> usize {
        self.chains * self.final_length
    }

    /// Final states over all replicates: the `samples` an answer reports.
    pub fn total(self) -> u64 {
        (self.final_particles() * REPLICATES) as u64
    }
}

/// One group's sampling problem: the plan cut down to that group, its noise read as scores.
pub struct Problem<'a> {
    pub plan: Plan,
    pub model: &'a Model,
    /// The noise slots a particle holds (those the group draws and no evidence abducts).
    pub latent: Vec<usize>,
    /// Which steps each latent coordinate reaches, when sweeps of one-coordinate moves are
    /// cheaper than random-walk steps of the whole vector (see [`local`]).
    pub reach: Option<local::Reach>,
}

/// Most coordinates × step reads the reach analysis of one group may inspect.
const MAX_REACH_WORK: usize = 50_000_000;

/// Most coordinates a model whose moves would cost a whole evaluation per coordinate may
/// have for a discrete one among them to get its sweeps (and their Gibbs draws) anyway.
const MAX_GIBBS_SWEPT: usize = 4;

impl<'a> Problem<'a> {
    /// Group `g` of `plan` alone, coupled (every value read through its noise).
    pub fn new(plan: &Plan, g: usize, model: &'a Model) -> Problem<'a> {
        let mut sub = plan.clone();
        sub.coupled = true;
        sub.groups = vec![plan.groups[g].clone()];
        let mut latent = Vec::new();
        let mut abducted = Vec::new();
        for step in &mut sub.steps {
            step.clamps.retain(|c| c.group == g);
            step.clamps.iter_mut().for_each(|c| c.group = 0);
            abducted.extend(step.clamps.iter().map(|c| c.slot));
            step.comps.retain(|c| c.group == g);
            for comp in &mut step.comps {
                comp.group = 0;
                if comp.clamp.is_none() {
                    noise_slots(&comp.mech, &mut latent);
                }
            }
        }
        sub.steps
            .retain(|s| !s.comps.is_empty() || !s.clamps.is_empty());
        latent.sort_unstable();
        latent.dedup();
        latent.retain(|s| !abducted.contains(s));
        // A sweep moves every coordinate about as far as `d` random-walk steps do; it is
        // worth it when moving each coordinate once costs at most half of those (a model
        // whose noises each reach a small part of it; the question's further tries at most
        // double that). One- and two-coordinate problems keep the random walk, unless one
        // of at most [`MAX_GIBBS_SWEPT`] coordinates is discrete with few values: a sweep then
        // draws it exactly from its conditional (Gibbs), which a random walk over its score's
        // break points cannot match. (A larger model whose every noise reaches most of it
        // keeps the random walk, discrete coordinates included: not measured.)
        let d = latent.len();
        let reach = local::reach(&sub, &latent, MAX_REACH_WORK).filter(|r| {
            r.once_cost <= d as f64 / 2.0
                || (d <= MAX_GIBBS_SWEPT && r.discrete.iter().any(Option::is_some))
        });
        Problem {
            plan: sub,
            model,
            latent,
            reach,
        }
    }
}

/// The noise slots a mechanism reads.
fn noise_slots(mech: &Mech, out: &mut Vec<usize>) {
    match mech {
        Mech::Det(_) => {}
        Mech::Stoch { slot, .. } => out.push(*slot),
        Mech::Shift { natural, .. } => noise_slots(natural, out),
    }
}

/// Particles × latent values the largest group of `plan` would hold with `samples`.
///
/// One pass over the plan counts every group's latent slots as [`Problem::new`] finds them
/// (the slots the group's unclamped computations draw, less those its evidence abducts),
/// without cutting the plan down per group: the engine choice asks this of every plan, and
/// an attribution's plans have thousands of groups.
pub fn values_needed(plan: &Plan, model: &Model, samples: u64) -> f64 {
    let layout = Layout::for_samples(samples);
    let groups = plan.groups.len();
    let mut latent: Vec<Vec<usize>> = vec![Vec::new(); groups];
    let mut abducted: Vec<Vec<usize>> = vec![Vec::new(); groups];
    for step in &plan.steps {
        for clamp in &step.clamps {
            abducted[clamp.group].push(clamp.slot);
        }
        for comp in step.comps.iter().filter(|c| c.clamp.is_none()) {
            noise_slots(&comp.mech, &mut latent[comp.group]);
        }
    }
    let Some(largest) = latent
        .iter_mut()
        .zip(&mut abducted)
        .map(|(latent, abducted)| {
            latent.sort_unstable();
            latent.dedup();
            abducted.sort_unstable();
            latent
                .iter()
                .filter(|s| abducted.binary_search(s).is_err())
                .count()
        })
        .max()
    else {
        return 0.0;
    };
    debug_assert_eq!(
        Some(largest),
        (0..groups)
            .map(|g| Problem::new(plan, g, model).latent.len())
            .max(),
        "one pass counts what cutting the plan per group counts"
    );
    largest.max(1) as f64 * layout.total() as f64
}

/// One target's answer.
#[derive(Clone, Debug)]
pub enum TargetAnswer {
    /// A mean (probability or expectation).
    Scalar { value: f64, stderr: f64 },
    /// One row per value seen.
    Discrete(Vec<TableRow>),
    /// A real quantity's mean, its standard error, its sd, and the pooled histogram.
    Real {
        mean: f64,
        stderr: f64,
        sd: f64,
        histogram: Histogram,
    },
}

/// One value of a table.
#[derive(Clone, Copy, Debug)]
pub struct TableRow {
    pub value: f64,
    pub p: f64,
    pub stderr: f64,
    /// How many independent draws `p` is as precise as, when Gibbs moves' sums made it (0
    /// otherwise; see [`GroupAnswer::equivalent_draws`]).
    pub equivalent_draws: f64,
}

/// One group's answer.
#[derive(Clone, Debug)]
pub struct GroupAnswer {
    pub targets: Vec<TargetAnswer>,
    /// The replicates' final Kish ESS, summed (and capped: see [`combine`]).
    pub ess: f64,
    /// When Gibbs moves' sums entered the first target's estimate, how many independent
    /// draws it is as precise as: its posterior variance over its squared standard error
    /// (before the small-sample factor), which may exceed the particles; 0 otherwise (and
    /// when the particles all agree). A probability's score-interval floor may count these
    /// rather than the ESS (`crate::infer::smc_floor_count`).
    pub equivalent_draws: f64,
    /// `log p(evidence)` and its standard error.
    pub log_evidence: (f64, f64),
    /// The most tempering stages a replicate took.
    pub stages: usize,
    /// The lowest share of moves accepted in any stage of any replicate.
    pub min_acceptance: f64,
    /// Distinct states among the final particles, summed over the replicates.
    pub distinct: usize,
    /// The least distance the chains of any replicate travelled in a stage, in squared
    /// posterior sds per coordinate (the moves aim at 3).
    pub min_travel: f64,
}

/// A plan's SMC answer.
#[derive(Clone, Debug)]
pub struct Answer {
    pub groups: Vec<GroupAnswer>,
    /// Particles per group, over all replicates.
    pub particles: u64,
}

/// Answers every group of `plan` by SMC with `budget.samples` particles per group.
pub fn solve(
    plan: &Plan,
    model: &Model,
    budget: Budget,
    limits: Limits,
    span: Span,
) -> Result<Answer, Diagnostic> {
    let layout = Layout::for_samples(budget.samples);
    super::plan_progress(layout.total() * plan.groups.len() as u64);
    let mut groups = Vec::with_capacity(plan.groups.len());
    for g in 0..plan.groups.len() {
        let problem = Problem::new(plan, g, model);
        let cx = population::Context {
            max_stages: limits.max_stages,
            max_evaluations: limits.max_evaluations / REPLICATES as u64,
            cancel: budget.cancel,
            span,
        };
        let outcomes: Vec<Result<population::Outcome, Diagnostic>> = (0..REPLICATES)
            .into_par_iter()
            .map(|r| {
                let seed = mix(mix(mix(budget.seed) ^ budget.stream) ^ mix(0x534D_4300 + g as u64))
                    ^ r as u64;
                let mut rng = SmallRng::seed_from_u64(mix(seed));
                let outcome = population::run(&problem, layout, &mut rng, &cx);
                super::add_progress(layout.final_particles() as u64);
                outcome
            })
            .collect();
        let outcomes = outcomes.into_iter().collect::<Result<Vec<_>, _>>()?;
        if outcomes.iter().all(|o| o.log_z == f64::NEG_INFINITY) {
            return Err(super::impossible(
                &problem.plan.groups[0].evidence_text,
                layout.total(),
                span,
            ));
        }
        if outcomes
            .iter()
            .all(|o| o.log_z == f64::NEG_INFINITY || o.distinct <= 1)
        {
            return Err(Diagnostic::error(
                Code::E010,
                span,
                format!(
                    "sequential Monte Carlo's particles collapsed onto one state in every replicate and no move could leave it: the evidence `{}` confines the noise to a region the moves cannot explore",
                    problem.plan.groups[0].evidence_text.join(", ")
                ),
            )
            .with_help("ask with more particles (`--samples`), or with `--method is`; evidence that pins a discrete variable's combination of parents exactly may need `--method exact`"));
        }
        let kinds: Vec<TargetKind> = plan.groups[g].targets.iter().map(|t| t.kind).collect();
        groups.push(combine(&outcomes, &kinds));
    }
    Ok(Answer {
        groups,
        particles: layout.total(),
    })
}

/// Mean and standard error (sd over √R) of replicate values.
fn mean_and_stderr(xs: &[f64]) -> (f64, f64) {
    let r = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / r;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (r - 1.0).max(1.0);
    (mean, (var / r).sqrt())
}

/// The replicates' estimates `xs` combined with weights `omega` (each replicate's evidence
/// estimate `Ẑ_r`, normalised): `Σ ω_r x_r`, a ratio of two unbiased sums whose bias is that
/// of one population of all the particles, not of one replicate's; its standard error by the
/// delta method, `√(R/(R−1) · Σ ω_r² (x_r − x̄)²)`, times [`small_sample_factor`].
fn pooled(xs: &[f64], omega: &[f64]) -> (f64, f64) {
    let r = xs.len() as f64;
    let mean: f64 = xs.iter().zip(omega).map(|(x, w)| w * x).sum();
    let var: f64 = xs
        .iter()
        .zip(omega)
        .map(|(x, w)| (w * (x - mean)).powi(2))
        .sum::<f64>()
        * r
        / (r - 1.0).max(1.0);
    (mean, var.sqrt() * small_sample_factor(omega))
}

/// The normal 97.5% quantile: a 95% interval is ±`Z_975` standard errors.
const Z_975: f64 = 1.959_963_984_540_054;

/// How much wider than the delta-method standard error a 95% interval must be, given that
/// the error is estimated from few replicates: `t_ν(0.975) / z(0.975)`, with `ν` the
/// replicates' effective degrees of freedom (Satterthwaite's, for a variance summed with
/// weights `ω_r²`: `(Σ ω_r²)² / Σ ω_r⁴ − 1`; `R − 1` when the weights are equal, fewer when
/// a few replicates' evidence estimates dominate). The reported standard error is scaled by
/// it, so that ±1.96 reported standard errors — the interval a user forms — cover the
/// truth 95% of the time rather than the 94% (31 degrees of freedom) to 90% (a handful)
/// they would otherwise. The calibration test's three concentrated-evidence cases (400
/// seeds each) covered 92.8 / 93.2 / 93.0% without it, 96.0 / 96.5 / 94.0% with it;
/// Kish's effective number of replicates, `1 / Σ ω_r²`, instead of Satterthwaite's gave
/// 93.5 / 94.8 / 94.0%.
fn small_sample_factor(omega: &[f64]) -> f64 {
    let squares: f64 = omega.iter().map(|w| w * w).sum();
    let fourths: f64 = omega.iter().map(|w| w.powi(4)).sum();
    if fourths <= 0.0 {
        return 1.0;
    }
    let dof = (squares * squares / fourths - 1.0).max(1.0);
    match statrs::distribution::StudentsT::new(0.0, 1.0, dof) {
        Ok(t) => statrs::distribution::ContinuousCDF::inverse_cdf(&t, 0.975) / Z_975,
        Err(_) => 1.0,
    }
}

/// The Gibbs sums for target `t` in one replicate's outcome: (value, its gain).
fn table_sums(o: &population::Outcome, t: usize) -> impl Iterator<Item = (f64, f64)> + '_ {
    o.table_sums
        .range((t, 0)..=(t, u64::MAX))
        .map(|(&(_, bits), &gain)| (f64::from_bits(bits), gain))
}

/// The replicates' outcomes combined into one group's answer.
fn combine(outcomes: &[population::Outcome], kinds: &[TargetKind]) -> GroupAnswer {
    let k = kinds.len();
    let max_log_z = outcomes
        .iter()
        .map(|o| o.log_z)
        .fold(f64::NEG_INFINITY, f64::max);
    let scaled: Vec<f64> = outcomes
        .iter()
        .map(|o| (o.log_z - max_log_z).exp())
        .collect();
    let total: f64 = scaled.iter().sum();
    let omega: Vec<f64> = scaled.iter().map(|z| z / total).collect();
    let weighted_in = |o: &population::Outcome, of: &[f64], t: usize, f: &dyn Fn(f64) -> f64| {
        o.weights
            .iter()
            .enumerate()
            .map(|(i, w)| w * f(of[i * k + t]))
            .sum::<f64>()
    };
    let weighted = |o: &population::Outcome, t: usize, f: &dyn Fn(f64) -> f64| -> f64 {
        weighted_in(o, &o.values, t, f)
    };
    // The spread's own precision, not the interval's width: the standard error before the
    // small-sample factor.
    let factor = small_sample_factor(&omega);
    let targets: Vec<TargetAnswer> = kinds
        .iter()
        .enumerate()
        .map(|(t, kind)| match kind {
            TargetKind::Scalar => {
                // With the control variates of the moves at the posterior.
                let means: Vec<f64> = outcomes
                    .iter()
                    .map(|o| weighted_in(o, &o.controlled, t, &|x| x))
                    .collect();
                let (value, stderr) = pooled(&means, &omega);
                TargetAnswer::Scalar { value, stderr }
            }
            TargetKind::Discrete => {
                let mut seen: Vec<f64> = Vec::new();
                let sums = |o| table_sums(o, t);
                for o in outcomes {
                    // A value only the sums give (a gain of either sign) is listed too: the
                    // listed probabilities must add up to 1.
                    let summed = sums(o).map(|(x, gain)| (gain.abs(), x));
                    for (w, x) in o
                        .weights
                        .iter()
                        .enumerate()
                        .map(|(i, w)| (*w, o.values[i * k + t]))
                        .chain(summed)
                    {
                        if w > 0.0 && !seen.iter().any(|s| s.to_bits() == x.to_bits()) {
                            seen.push(x);
                        }
                    }
                }
                // Summed out, a probability can be more precise than as many draws: its
                // floor counts the draws it is as precise as.
                let summed = outcomes.iter().any(|o| o.summed[t]);
                let rows = seen
                    .iter()
                    .map(|&v| {
                        let ps: Vec<f64> = outcomes
                            .iter()
                            .map(|o| {
                                weighted(o, t, &|x| if x == v { 1.0 } else { 0.0 })
                                    + o.table_sums.get(&(t, v.to_bits())).unwrap_or(&0.0)
                            })
                            .collect();
                        let (p, stderr) = pooled(&ps, &omega);
                        let equivalent_draws = if summed && stderr > 0.0 {
                            p * (1.0 - p) / (stderr / factor).powi(2)
                        } else {
                            0.0
                        };
                        TableRow {
                            value: v,
                            p,
                            stderr,
                            equivalent_draws,
                        }
                    })
                    .collect();
                TargetAnswer::Discrete(rows)
            }
            TargetKind::Real => {
                let means: Vec<f64> = outcomes.iter().map(|o| weighted(o, t, &|x| x)).collect();
                let (mean, stderr) = pooled(&means, &omega);
                let second: f64 = outcomes
                    .iter()
                    .zip(&omega)
                    .map(|(o, w)| w * weighted(o, t, &|x| (x - mean) * (x - mean)))
                    .sum();
                let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
                for o in outcomes {
                    for (i, w) in o.weights.iter().enumerate() {
                        if *w > 0.0 {
                            lo = lo.min(o.values[i * k + t]);
                            hi = hi.max(o.values[i * k + t]);
                        }
                    }
                }
                let mut histogram = Histogram::spanning(lo, hi);
                for (o, omega) in outcomes.iter().zip(&omega) {
                    for (i, w) in o.weights.iter().enumerate() {
                        if *w > 0.0 {
                            histogram.add(omega * w, o.values[i * k + t]);
                        }
                    }
                }
                TargetAnswer::Real {
                    mean,
                    stderr,
                    sd: second.max(0.0).sqrt(),
                    histogram,
                }
            }
        })
        .collect();
    // Kish's ESS counts copies of one state as if they were independent: no replicate's ESS
    // may exceed its number of distinct states. Nor may the ESS exceed what the replicates'
    // spread says: the number of independent draws whose mean would be as precise as the
    // first target's estimate, its posterior variance over its squared standard error.
    let kish: f64 = outcomes
        .iter()
        .map(|o| (1.0 / o.weights.iter().map(|w| w * w).sum::<f64>()).min(o.distinct as f64))
        .sum();
    let by_variance = match targets.first() {
        Some(TargetAnswer::Scalar { value, stderr }) if *stderr > 0.0 => {
            let variance: f64 = outcomes
                .iter()
                .zip(&omega)
                .map(|(o, w)| w * weighted(o, 0, &|x| (x - value) * (x - value)))
                .sum();
            variance / (stderr / factor).powi(2)
        }
        Some(TargetAnswer::Real { sd, stderr, .. }) if *stderr > 0.0 => {
            (sd * factor / stderr).powi(2)
        }
        _ => f64::INFINITY,
    };
    let ess = kish.min(by_variance).max(1.0);
    let (z, z_stderr) = mean_and_stderr(&scaled);
    GroupAnswer {
        targets,
        ess,
        equivalent_draws: if by_variance.is_finite() && outcomes.iter().any(|o| o.summed[0]) {
            by_variance
        } else {
            0.0
        },
        log_evidence: (max_log_z + z.ln(), z_stderr / z),
        stages: outcomes.iter().map(|o| o.stages).max().unwrap_or(0),
        min_acceptance: outcomes
            .iter()
            .map(|o| o.min_acceptance)
            .fold(1.0, f64::min),
        distinct: outcomes.iter().map(|o| o.distinct).sum(),
        min_travel: outcomes
            .iter()
            .map(|o| o.min_travel)
            .fold(f64::INFINITY, f64::min),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_replicates_widen_the_standard_error_by_the_t_quantile() {
        // Equal weights over 32 replicates: 31 degrees of freedom, t₃₁(0.975) = 2.0395.
        let equal = vec![1.0 / 32.0; 32];
        assert!((small_sample_factor(&equal) - 2.039_513 / Z_975).abs() < 1e-5);
        // Two replicates carrying all the weight: one degree of freedom, t₁(0.975) = 12.706.
        let mut two = vec![0.0; 32];
        two[3] = 0.5;
        two[7] = 0.5;
        assert!((small_sample_factor(&two) - 12.706_205 / Z_975).abs() < 1e-4);
    }

    #[test]
    fn the_final_states_are_the_samples_and_tempering_runs_with_a_sixteenth() {
        let layout = Layout::for_samples(65_536);
        // 2,048 final states per replicate, from 128 tempering particles in 32 chains.
        assert_eq!(layout.particles(), 128);
        assert_eq!(layout.final_particles(), 2_048);
        assert_eq!(layout.total(), 65_536);
        // Few samples: tempering keeps its floor, and the chains still move once at the end.
        let small = Layout::for_samples(2_000);
        assert_eq!(small.particles(), MIN_PARTICLES);
        assert_eq!(small.final_length, CHAIN_LENGTH);
        assert_eq!(small.chains % 2, 0);
    }
}
