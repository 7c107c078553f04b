//! One replicate of sequential Monte Carlo: a particle population carried from the prior to
//! the posterior by tempering the evidence's likelihood.
//!
//! Stage by stage: the next inverse temperature is chosen by bisection so that the
//! reweighted population keeps an effective sample size of half its particles (or the
//! posterior, `β = 1`, when that is reached first); the log evidence gains the log mean
//! incremental weight; then *waste-free* rejuvenation (Dau & Chopin, 2022): `M` ancestors
//! are drawn by systematic resampling and each is moved `P − 1` times by the random-walk
//! kernel ([`super::kernel`]) at the new temperature, and all `M·P` states visited form the
//! next population (equally weighted). At `β = 1` the population is resampled once more and
//! its chains run on at the posterior to `Layout::final_length` states each, every move
//! recorded: those equally weighted states are the answer.

use super::kernel::Proposal;
use super::local::{Discrete, Reach};
use super::{Layout, Problem};
use crate::diagnostics::{Code, Diagnostic};
use crate::infer::sampling::Sampler;
use crate::query::TargetKind;
use crate::scm::dist::{open01, std_normal_cdf, std_normal_quantile};
use rand::rngs::SmallRng;
use rand_distr::{Distribution as _, StandardNormal};
use std::collections::BTreeMap;

/// The share of the particles the reweighted population keeps as effective sample size.
pub const ESS_FRACTION: f64 = 0.5;

/// What one replicate returns: the final population's target values and weights.
pub struct Outcome {
    /// Log of the estimate of the evidence's marginal likelihood (`-∞` when no particle met
    /// the evidence).
    pub log_z: f64,
    /// Tempering stages run.
    pub stages: usize,
    /// Target values, `targets` per particle.
    pub values: Vec<f64>,
    /// Per particle, its values plus the control variate of the move that reached it (see
    /// [`Moves::controlled_targets`]; the values themselves where there is none): unbiased
    /// stand-ins whose mean over the population is the more precise estimate of a mean.
    pub controlled: Vec<f64>,
    /// Normalised weights, one per particle.
    pub weights: Vec<f64>,
    /// The Gibbs moves' sums for the tables ([`TargetKind::Discrete`]), keyed by (target,
    /// value's bits): what the population's weighted share of value `v` gains, the moves'
    /// values weighted by their conditional probabilities less the values drawn, over the
    /// particles (summing to 0 per target).
    pub table_sums: BTreeMap<(usize, u64), f64>,
    /// Per target, whether Gibbs moves' sums entered it (a mean's control variates, or
    /// [`Outcome::table_sums`]).
    pub summed: Vec<bool>,
    /// The lowest share of moves accepted in any stage (1 when no move was needed).
    pub min_acceptance: f64,
    /// Distinct states among the final particles of positive weight: moves that are never
    /// accepted leave copies of a few resampled ancestors, which count once each.
    pub distinct: usize,
    /// The least distance, in squared posterior sds per coordinate, the chains travelled in
    /// any stage (the moves aim at [`TRAVEL`]; infinite when no move was needed).
    pub min_travel: f64,
}

/// What one replicate needs besides its problem.
pub struct Context<'a> {
    pub max_stages: usize,
    /// Most model evaluations this replicate may make.
    pub max_evaluations: u64,
    pub cancel: &'a crate::cancel::CancelToken,
    pub span: crate::ast::Span,
}

/// A particle's evaluation: its noise scores in, its log likelihood and target values out.
struct Evaluator<'a> {
    sampler: Sampler<'a>,
    latent: &'a [usize],
}

impl Evaluator<'_> {
    fn eval(
        &mut self,
        z: &[f64],
        rng: &mut SmallRng,
        values: &mut [f64],
    ) -> Result<f64, Diagnostic> {
        for (&slot, &score) in self.latent.iter().zip(z) {
            self.sampler.preset(slot, score);
        }
        self.sampler.sample(rng)?;
        let ll = self.sampler.log_weights()[0];
        if ll > f64::NEG_INFINITY {
            values.copy_from_slice(&self.sampler.values()[0]);
        }
        Ok(ll)
    }
}

/// The effective sample size of the weights `exp(delta · ll)`.
fn ess(ll: &[f64], delta: f64) -> f64 {
    let max = ll
        .iter()
        .filter(|l| **l > f64::NEG_INFINITY)
        .map(|l| delta * l)
        .fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return 0.0;
    }
    let (mut s, mut s2) = (0.0, 0.0);
    for &l in ll {
        if l > f64::NEG_INFINITY {
            let w = (delta * l - max).exp();
            s += w;
            s2 += w * w;
        }
    }
    s * s / s2
}

/// The next temperature step, at most `remaining`: the largest whose ESS stays at `target`
/// (by bisection), and always positive.
fn next_step(ll: &[f64], remaining: f64, target: f64) -> f64 {
    if ess(ll, remaining) >= target {
        return remaining;
    }
    let (mut lo, mut hi) = (0.0, remaining);
    for _ in 0..64 {
        let mid = 0.5 * (lo + hi);
        if ess(ll, mid) >= target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    if lo > 0.0 { lo } else { hi }
}

/// `weights` scaled to sum to 1 (all zero if they sum to 0).
fn renormalised(weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    if total > 0.0 {
        weights.iter().map(|w| w / total).collect()
    } else {
        vec![0.0; weights.len()]
    }
}

/// `m` ancestors drawn by systematic resampling from normalised `weights`.
fn systematic(weights: &[f64], m: usize, rng: &mut SmallRng) -> Vec<usize> {
    let u0 = open01(rng) / m as f64;
    let mut out = Vec::with_capacity(m);
    let mut cumulative = 0.0;
    let mut i = 0;
    for j in 0..m {
        let u = u0 + j as f64 / m as f64;
        while i + 1 < weights.len() && cumulative + weights[i] < u {
            cumulative += weights[i];
            i += 1;
        }
        out.push(i);
    }
    out
}

/// `-|z|²/2`, the log prior of a score vector up to a constant.
fn log_prior(z: &[f64]) -> f64 {
    -0.5 * z.iter().map(|x| x * x).sum::<f64>()
}

/// How far, in squared posterior sds per coordinate, each chain should travel in a stage.
pub const TRAVEL: f64 = 3.0;

/// Below this share of independence steps accepted in a stage, sweeps go on alone.
const MIN_INDEPENDENCE_ACCEPTANCE: f64 = 0.05;

/// Most Metropolis–Hastings steps between two recorded states of a chain.
const MAX_SUBSTEPS: usize = 64;

/// The Metropolis–Hastings steps of one stage, with their tallies.
struct Moves<'p> {
    proposal: &'p Proposal,
    beta: f64,
    accepted: u64,
    tried: u64,
    /// Squared whitened jumps per coordinate, summed over steps.
    travelled: f64,
    /// One-coordinate moves of the sweeps: accepted, tried.
    coordinate_accepted: u64,
    coordinate_tried: u64,
    /// A coordinate's random-walk step, in units of its population sd.
    coordinate_scale: f64,
    /// Sweeps made.
    sweeps: u64,
    /// Gibbs moves of the sweeps' discrete coordinates that changed the value (the others
    /// only move the score within its value's cell: the state stays the same for the
    /// distinct-state count).
    gibbs_changes: u64,
    /// Per target, whether a Gibbs move's sum entered its control variate (a mean's) or its
    /// table's terms.
    summed: Vec<bool>,
    /// At the posterior, the targets' kinds. The means ([`TargetKind::Scalar`]) get
    /// the control variate `Σ (α − A) (f(y) − f(x))` over the last move's proposals `y` from
    /// `x` (a sweep's proposals on the question's coordinates; a whole-vector step's one
    /// proposal), accepted (`A = 1`) with probability `α`. Given the chain so far and `y`,
    /// `A`'s mean is `α`, so each term's mean is 0 and the recorded value stays unbiased,
    /// while it takes out noise that the accept-or-reject coin adds ("waste recycling",
    /// Frenkel 2004; Delmas & Jourdain 2009 show that it need not always reduce the
    /// variance). Only at the posterior, where the states are never reweighted: a weight that
    /// depends on `A` would correlate with the terms. The means and the tables
    /// ([`TargetKind::Discrete`]) get the Gibbs moves' sums ([`Moves::gibbs`]).
    controlled_targets: Option<&'p [TargetKind]>,
    /// The last move's control variate, per target.
    correction: Vec<f64>,
    /// The last move's terms for the tables: (target, value, weight).
    table_terms: Vec<(usize, f64, f64)>,
    /// Scratch: the targets at the chain's current state and at a proposal.
    current: Vec<f64>,
    proposed: Vec<f64>,
    /// Scratch for a Gibbs move: its coordinate's noise cells, and per cell the log
    /// likelihood and (when the move's control variate is wanted) the targets.
    cells: Vec<(f64, f64)>,
    cell_ll: Vec<f64>,
    cell_values: Vec<f64>,
    /// Scratch: each value's probability, unnormalised.
    cell_p: Vec<f64>,
}

/// How far inside a noise cell, in `Φ(z)`, a Gibbs draw puts its score: nearer an edge,
/// rounding in `Φ` or in the quantile could give the neighbouring value. A score counts as
/// in a cell half as far inside (so every draw's score is recognised, whatever the rounding).
const CELL_EDGE: f64 = 1e-12;

/// Whether `u` is inside `cell`, half [`CELL_EDGE`] from its edges.
fn inside(u: f64, (a, b): (f64, f64)) -> bool {
    u > a + 0.5 * CELL_EDGE && u < b - 0.5 * CELL_EDGE
}

/// The score at the point `v` (in `[0, 1]`) of `cell`'s interior: [`CELL_EDGE`] from its
/// edges (its midpoint when it is narrower than that allows), and never `Φ(z)` = 0 or 1.
fn score_in((a, b): (f64, f64), v: f64) -> f64 {
    let u = if b - a > 4.0 * CELL_EDGE {
        a + CELL_EDGE + (b - a - 2.0 * CELL_EDGE) * v
    } else {
        0.5 * (a + b)
    };
    std_normal_quantile(u.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0))
}

impl<'p> Moves<'p> {
    fn new(
        proposal: &'p Proposal,
        beta: f64,
        coordinate_scale: f64,
        (k, controlled_targets): (usize, Option<&'p [TargetKind]>),
    ) -> Moves<'p> {
        Moves {
            controlled_targets,
            correction: vec![0.0; k],
            table_terms: Vec::new(),
            current: vec![0.0; k],
            proposed: vec![0.0; k],
            proposal,
            beta,
            accepted: 0,
            tried: 0,
            travelled: 0.0,
            coordinate_accepted: 0,
            coordinate_tried: 0,
            coordinate_scale,
            sweeps: 0,
            gibbs_changes: 0,
            summed: vec![false; k],
            cells: Vec::new(),
            cell_p: Vec::new(),
            cell_ll: Vec::new(),
            cell_values: Vec::new(),
        }
    }

    /// A Gibbs move on the discrete coordinate `j` ([`Discrete`]) of `state`, whose
    /// evaluation the sampler holds, with log likelihood `ll`. Given the other coordinates,
    /// the tempered target of its score is the prior restricted to each value's noise cell
    /// times that value's likelihood to the power `β`: the move computes each other value's
    /// likelihood (recomputing the steps `steps` it reaches, then undoing them), draws a value
    /// with probability ∝ cell mass · `L^β`, and the score uniformly (in `Φ(z)`) within its
    /// cell. At the posterior, on a question coordinate, the move's control variate is the
    /// targets' mean over the values, so weighted, less their value at the one drawn: the sum
    /// stands in for the draw (Rao–Blackwellisation), and the term's mean given the chain so
    /// far is 0. Returns the new log likelihood and the squared jump in population sds, with
    /// the sampler holding the new state's evaluation; `None` (nothing changed) when the
    /// computation has more values here than a Gibbs move takes, or none of its values is
    /// possible (the random walk then tries instead).
    fn gibbs(
        &mut self,
        evaluator: &mut Evaluator,
        (j, steps, discrete, question): (usize, &[usize], Discrete, bool),
        (state, ll): (&mut [f64], f64),
        rng: &mut SmallRng,
    ) -> Result<Option<(f64, f64)>, Diagnostic> {
        evaluator
            .sampler
            .noise_cells(discrete.comp, discrete.most_values, &mut self.cells)?;
        if self.cells.is_empty() {
            return Ok(None);
        }
        let slot = evaluator.latent[j];
        let old = state[j];
        let u = std_normal_cdf(old);
        // The cell the score is in: its value's likelihood and targets are the state's. (Near
        // an edge, none: then every value is computed.)
        let current = self.cells.iter().position(|&cell| inside(u, cell));
        let control = question && self.controlled_targets.is_some();
        let k = self.current.len();
        self.cell_ll.clear();
        self.cell_values.clear();
        if control {
            self.cell_values.resize(self.cells.len() * k, 0.0);
        }
        for (c, &(a, b)) in self.cells.iter().enumerate() {
            if Some(c) == current {
                self.cell_ll.push(ll);
                if control {
                    self.cell_values[c * k..(c + 1) * k].copy_from_slice(&self.current);
                }
                continue;
            }
            evaluator.sampler.set_score(slot, score_in((a, b), 0.5));
            evaluator.sampler.resample_steps(steps, rng)?;
            let cell_ll = evaluator.sampler.log_weights()[0];
            if control && cell_ll > f64::NEG_INFINITY {
                evaluator.sampler.targets()?;
                self.cell_values[c * k..(c + 1) * k]
                    .copy_from_slice(&evaluator.sampler.values()[0]);
            }
            self.cell_ll.push(cell_ll);
            evaluator.sampler.undo();
        }
        evaluator.sampler.set_score(slot, old);
        // Each value's probability, unnormalised, relative to the likeliest (a likelihood
        // that is NaN counts as impossible).
        let log_p = |(&(a, b), &l): (&(f64, f64), &f64)| {
            if l.is_nan() {
                f64::NEG_INFINITY
            } else {
                (b - a).ln() + self.beta * l
            }
        };
        let max = self
            .cells
            .iter()
            .zip(&self.cell_ll)
            .map(log_p)
            .fold(f64::NEG_INFINITY, f64::max);
        if !max.is_finite() {
            return Ok(None);
        }
        let mut p = std::mem::take(&mut self.cell_p);
        p.clear();
        p.extend(
            self.cells
                .iter()
                .zip(&self.cell_ll)
                .map(|cell| (log_p(cell) - max).exp()),
        );
        let total: f64 = p.iter().sum();
        let mut pick = open01(rng) * total;
        let mut chosen = p.len() - 1;
        for (c, &pc) in p.iter().enumerate() {
            if pick < pc {
                chosen = c;
                break;
            }
            pick -= pc;
        }
        if p[chosen] == 0.0 {
            // Rounding carried the pick past the last likely value.
            chosen = p.iter().rposition(|&pc| pc > 0.0).unwrap_or(chosen);
        }
        let new = score_in(self.cells[chosen], open01(rng));
        evaluator.sampler.set_score(slot, new);
        let new_ll = if Some(chosen) == current {
            // The same value: nothing the score feeds changes.
            ll
        } else {
            evaluator.sampler.resample_steps(steps, rng)?;
            evaluator.sampler.log_weights()[0]
        };
        if let (true, Some(kinds)) = (control, self.controlled_targets) {
            let drawn = &self.cell_values[chosen * k..(chosen + 1) * k];
            for (t, kind) in kinds.iter().enumerate() {
                let of = |c: usize| self.cell_values[c * k + t];
                match kind {
                    TargetKind::Scalar => {
                        let mean: f64 =
                            p.iter().enumerate().map(|(c, pc)| pc * of(c)).sum::<f64>() / total;
                        self.correction[t] += mean - drawn[t];
                        self.summed[t] = true;
                    }
                    TargetKind::Discrete => {
                        if p.iter()
                            .enumerate()
                            .all(|(c, pc)| *pc == 0.0 || of(c).to_bits() == drawn[t].to_bits())
                        {
                            // Every likely value gives this target the value drawn.
                            continue;
                        }
                        self.summed[t] = true;
                        let terms = p
                            .iter()
                            .enumerate()
                            .filter(|(_, pc)| **pc > 0.0)
                            .map(|(c, pc)| (of(c), pc / total))
                            .chain(std::iter::once((drawn[t], -1.0)));
                        for (value, weight) in terms {
                            match self
                                .table_terms
                                .iter_mut()
                                .find(|(u, v, _)| *u == t && v.to_bits() == value.to_bits())
                            {
                                Some(term) => term.2 += weight,
                                None => self.table_terms.push((t, value, weight)),
                            }
                        }
                    }
                    TargetKind::Real => {}
                }
            }
            self.current.copy_from_slice(drawn);
        }
        if Some(chosen) != current {
            self.gibbs_changes += 1;
        }
        self.cell_p = p;
        state[j] = new;
        let sd = self.proposal.sd()[j];
        Ok(Some((new_ll, ((new - old) / sd).powi(2))))
    }

    /// Moves that changed the state: accepted steps and one-coordinate steps, and Gibbs draws
    /// that changed the value.
    fn changes(&self) -> u64 {
        self.accepted + self.coordinate_accepted + self.gibbs_changes
    }

    /// Adds a proposal's term to the control variate: its targets `proposed`, from a state
    /// whose targets are `current`, accepted with probability `exp(min(0, log_ratio))` (0
    /// when the ratio is NaN: `ln U < NaN` never holds).
    fn add_control(&mut self, log_ratio: f64, accepted: bool) {
        let Some(kinds) = self.controlled_targets else {
            return;
        };
        let alpha = if log_ratio.is_nan() {
            0.0
        } else {
            log_ratio.min(0.0).exp()
        };
        let coin = if accepted { 1.0 } else { 0.0 };
        for (t, kind) in kinds.iter().enumerate() {
            if *kind == TargetKind::Scalar {
                self.correction[t] += (alpha - coin) * (self.proposed[t] - self.current[t]);
            }
        }
    }

    /// One sweep from `state`, whose evaluation the sampler holds: every coordinate in turn
    /// gets a random-walk Metropolis–Hastings step on its conditional at this temperature, or
    /// a Gibbs draw when it is discrete with few values ([`Moves::gibbs`]), recomputing only
    /// the steps its noise reaches. Each one-coordinate move leaves the tempered target
    /// invariant, so the sweep does. Returns the new log likelihood; the
    /// sampler then holds the new state's evaluation.
    fn sweep(
        &mut self,
        evaluator: &mut Evaluator,
        reach: &Reach,
        (state, state_values, state_ll): (&mut [f64], &mut [f64], f64),
        rng: &mut SmallRng,
    ) -> Result<f64, Diagnostic> {
        let mut ll = state_ll;
        let mut jump = 0.0;
        let sd = self.proposal.sd();
        if self.controlled_targets.is_some() {
            self.correction.iter_mut().for_each(|c| *c = 0.0);
            self.table_terms.clear();
            self.current.copy_from_slice(state_values);
        }
        let tries = reach.steps.iter().enumerate().flat_map(|(j, s)| {
            let t = reach.tries(j);
            (0..t).map(move |n| (j, s, n, t))
        });
        // A coordinate tried several times travels from where its first try started.
        let mut start = 0.0;
        for (j, steps, n, t) in tries {
            if n == 0 {
                start = state[j];
            }
            if let Some(discrete) = reach.discrete[j] {
                let question = reach.question[j];
                let coordinate = (j, steps.as_slice(), discrete, question);
                if let Some((new_ll, jumped)) =
                    self.gibbs(evaluator, coordinate, (&mut *state, ll), rng)?
                {
                    ll = new_ll;
                    jump += jumped;
                    continue;
                }
            }
            let slot = evaluator.latent[j];
            let old = state[j];
            let e: f64 = StandardNormal.sample(rng);
            let new = old + self.coordinate_scale * sd[j] * e;
            evaluator.sampler.set_score(slot, new);
            evaluator.sampler.resample_steps(steps, rng)?;
            let new_ll = evaluator.sampler.log_weights()[0];
            let log_ratio = -0.5 * (new * new - old * old) + self.beta * (new_ll - ll);
            self.coordinate_tried += 1;
            // A proposal the evidence rules out is never accepted (α = 0): no term.
            let control = self.controlled_targets.is_some()
                && reach.question[j]
                && new_ll > f64::NEG_INFINITY;
            if control {
                evaluator.sampler.targets()?;
                self.proposed
                    .copy_from_slice(&evaluator.sampler.values()[0]);
            }
            let accepted = new_ll > f64::NEG_INFINITY && open01(rng).ln() < log_ratio;
            if control {
                self.add_control(log_ratio, accepted);
                if accepted {
                    self.current.copy_from_slice(&self.proposed);
                }
            }
            if accepted {
                self.coordinate_accepted += 1;
                state[j] = new;
                ll = new_ll;
                if t == 1 {
                    jump += (e * self.coordinate_scale).powi(2);
                }
            } else {
                evaluator.sampler.undo();
                evaluator.sampler.set_score(slot, old);
            }
            if t > 1 && n == t - 1 {
                jump += ((state[j] - start) / sd[j]).powi(2);
            }
        }
        evaluator.sampler.targets()?;
        state_values.copy_from_slice(&evaluator.sampler.values()[0]);
        #[cfg(debug_assertions)]
        {
            // What the sweep recomputed agrees with a whole evaluation of the new state (by a
            // sampler of its own, on a copy of the random stream: nothing the sweep uses
            // changes, so debug and release builds print the same numbers).
            let mut check = Evaluator {
                sampler: Sampler::with_scores(evaluator.sampler.plan(), evaluator.sampler.model()),
                latent: evaluator.latent,
            };
            let mut values = state_values.to_vec();
            let whole = check.eval(state, &mut rng.clone(), &mut values)?;
            debug_assert!(
                (whole - ll).abs() <= 1e-7 * (1.0 + ll.abs()),
                "a sweep's log likelihood {ll} differs from the whole evaluation's {whole}"
            );
        }
        self.sweeps += 1;
        self.travelled += jump / reach.steps.len().max(1) as f64;
        Ok(ll)
    }

    /// One step from `state` (its scores, target values and log likelihood), in place;
    /// returns the new log likelihood. Independence steps propose from the population's
    /// Gaussian fit (long jumps where the fit is good), the others a random walk (local moves
    /// where it is not); each leaves the tempered target invariant.
    fn step(
        &mut self,
        evaluator: &mut Evaluator,
        independent: bool,
        (state, state_values, state_ll): (&mut [f64], &mut [f64], f64),
        (candidate, candidate_values, noise): (&mut [f64], &mut [f64], &mut [f64]),
        rng: &mut SmallRng,
    ) -> Result<f64, Diagnostic> {
        let correction = if independent {
            let log_q_candidate = self.proposal.draw_fit(candidate, noise, rng);
            self.proposal.log_fit(state, noise) - log_q_candidate
        } else {
            self.proposal.propose(state, candidate, noise, rng);
            0.0
        };
        let candidate_ll = evaluator.eval(candidate, rng, candidate_values)?;
        let log_ratio = log_prior(candidate) + self.beta * candidate_ll
            - log_prior(state)
            - self.beta * state_ll
            + correction;
        self.tried += 1;
        let accepted = candidate_ll > f64::NEG_INFINITY && open01(rng).ln() < log_ratio;
        if self.controlled_targets.is_some() {
            self.correction.iter_mut().for_each(|c| *c = 0.0);
            self.table_terms.clear();
        }
        if self.controlled_targets.is_some() && candidate_ll > f64::NEG_INFINITY {
            self.current.copy_from_slice(state_values);
            self.proposed.copy_from_slice(candidate_values);
            self.add_control(log_ratio, accepted);
        }
        if accepted {
            self.accepted += 1;
            self.travelled += self.proposal.whitened_jump(state, candidate);
            state.copy_from_slice(candidate);
            state_values.copy_from_slice(candidate_values);
            return Ok(candidate_ll);
        }
        Ok(state_ll)
    }
}

/// A population: per particle its scores (`d` each), log likelihood, target values (`k`
/// each, and their stand-ins with control variates) and identity (new at every accepted
/// move, so that copies made by resampling can be told from distinct states).
struct Population {
    z: Vec<f64>,
    ll: Vec<f64>,
    values: Vec<f64>,
    /// At the posterior, the values with their control variates ([`Outcome::controlled`]).
    controlled: Vec<f64>,
    /// At the posterior, the tables' sums over the particles ([`Outcome::table_sums`], not
    /// yet divided by the particles).
    table_sums: BTreeMap<(usize, u64), f64>,
    /// At the posterior, per target, whether Gibbs sums entered it ([`Outcome::summed`]).
    summed: Vec<bool>,
    ids: Vec<u64>,
}

impl Population {
    fn zeros(n: usize, d: usize, k: usize) -> Population {
        Population {
            z: vec![0.0; n * d],
            ll: vec![0.0; n],
            values: vec![0.0; n * k],
            controlled: vec![0.0; n * k],
            table_sums: BTreeMap::new(),
            summed: vec![false; k],
            ids: vec![0; n],
        }
    }
}

/// What the moves adapt from stage to stage.
struct Tuning {
    /// The random walk's scale (of the population's shape).
    scale: f64,
    /// A sweep's one-coordinate step, in units of the coordinate's population sd.
    coordinate_scale: f64,
    /// Whether sweeps still alternate with independence steps: dropped for the rest of the
    /// run once a stage accepts fewer than `MIN_INDEPENDENCE_ACCEPTANCE` of them (a Gaussian
    /// fit of many coordinates from a few hundred particles is rarely accepted, and each
    /// rejected step costs a whole evaluation and another to return to the state). Off from
    /// the start when every coordinate is drawn by Gibbs.
    independence: bool,
    /// Metropolis–Hastings steps (or sweeps) between two recorded states of a chain.
    substeps: usize,
}

/// What one stage's moves did.
struct Tallies {
    /// Whole-vector steps accepted, tried.
    accepted: u64,
    tried: u64,
    /// One-coordinate steps of the sweeps accepted, tried.
    coordinate_accepted: u64,
    coordinate_tried: u64,
    /// Squared whitened jumps per coordinate, summed over the moves made.
    travelled: f64,
    /// Steps and sweeps made.
    moves: u64,
}

/// One rejuvenation stage at inverse temperature `beta` (waste-free): `chains` ancestors drawn
/// from `pop` weighted by `weights`, each moved `length − 1` times (each move `substeps`
/// Metropolis–Hastings steps or sweeps); the `chains · length` states visited, ancestors
/// included, are the next population, equally weighted.
///
/// Cross-fitting: the population's two halves (whole chains each) are resampled separately,
/// and each half moves with the proposal fitted on the *other* half. A proposal fitted on the
/// particles it moves is not exactly invariant for them (each particle pulls the fit towards
/// itself); measured on a 21-dimensional posterior, that biased the answer by several
/// standard errors.
#[allow(clippy::too_many_arguments)]
fn rejuvenate(
    problem: &Problem,
    evaluator: &mut Evaluator,
    pop: &Population,
    weights: &[f64],
    beta: f64,
    (chains, length, substeps): (usize, usize, usize),
    tuning: &Tuning,
    controlled_targets: Option<&[TargetKind]>,
    fresh_id: &mut u64,
    rng: &mut SmallRng,
) -> Result<(Population, Tallies, Proposal), Diagnostic> {
    let d = problem.latent.len();
    let k = problem.plan.groups[0].targets.len();
    let n = pop.ll.len();
    let half = n / 2;
    let halves = [(0, half), (half, n)];
    let fits: Vec<Proposal> = halves
        .iter()
        .map(|&(a, b)| {
            let w = renormalised(&weights[a..b]);
            Proposal::fit(&pop.z[a * d..b * d], &w, d, tuning.scale)
        })
        .collect();
    let mut ancestors = Vec::with_capacity(chains);
    for (h, &(a, b)) in halves.iter().enumerate() {
        let count = if h == 0 {
            chains / 2
        } else {
            chains - chains / 2
        };
        let mut w = renormalised(&weights[a..b]);
        let mut offset = a;
        if w.iter().all(|x| *x == 0.0) {
            // No weight in this half: draw from the whole population.
            w = weights.to_vec();
            offset = 0;
        }
        ancestors.extend(systematic(&w, count, rng).into_iter().map(|i| i + offset));
    }
    // Each half moves with the other half's fit.
    let mut moves = [&fits[1], &fits[0]]
        .map(|fit| Moves::new(fit, beta, tuning.coordinate_scale, (k, controlled_targets)));
    let mut next = Population::zeros(chains * length, d, k);
    let (mut candidate, mut candidate_values, mut noise) =
        (vec![0.0; d], vec![0.0; k], vec![0.0; d]);
    let mut state = vec![0.0; d];
    let mut state_values = vec![0.0; k];
    for (j, &a) in ancestors.iter().enumerate() {
        let moves = &mut moves[usize::from(j >= chains / 2)];
        let start = j * length;
        state.copy_from_slice(&pop.z[a * d..(a + 1) * d]);
        let mut state_ll = pop.ll[a];
        let mut state_id = pop.ids[a];
        state_values.copy_from_slice(&pop.values[a * k..(a + 1) * k]);
        // Whether the sampler holds the evaluation of `state` (what a sweep starts from).
        let mut synced = false;
        for i in start..start + length {
            if i > start {
                for sub in 0..substeps {
                    let independent = (problem.reach.is_none() || tuning.independence)
                        && (i - start + sub) % 2 == 1;
                    let changes = moves.changes();
                    match (&problem.reach, independent) {
                        (Some(reach), false) => {
                            if !synced {
                                // The same state: its log likelihood again (up to the
                                // rounding that a sweep's running sum carries).
                                state_ll = evaluator.eval(&state, rng, &mut state_values)?;
                            }
                            state_ll = moves.sweep(
                                evaluator,
                                reach,
                                (&mut state, &mut state_values, state_ll),
                                rng,
                            )?;
                            synced = true;
                        }
                        _ => {
                            let before = moves.accepted;
                            state_ll = moves.step(
                                evaluator,
                                independent,
                                (&mut state, &mut state_values, state_ll),
                                (&mut candidate, &mut candidate_values, &mut noise),
                                rng,
                            )?;
                            // The sampler holds the candidate's evaluation.
                            synced = moves.accepted > before;
                        }
                    }
                    if moves.changes() > changes {
                        state_id = *fresh_id;
                        *fresh_id += 1;
                    }
                }
            }
            next.ids[i] = state_id;
            next.z[i * d..(i + 1) * d].copy_from_slice(&state);
            next.ll[i] = state_ll;
            next.values[i * k..(i + 1) * k].copy_from_slice(&state_values);
            let controlled = &mut next.controlled[i * k..(i + 1) * k];
            controlled.copy_from_slice(&state_values);
            if i > start && controlled_targets.is_some() {
                // One move (`substeps` is 1 at the posterior) reached this state.
                debug_assert_eq!(substeps, 1);
                for (x, c) in controlled.iter_mut().zip(&moves.correction) {
                    *x += c;
                }
                for &(target, value, weight) in &moves.table_terms {
                    *next
                        .table_sums
                        .entry((target, value.to_bits()))
                        .or_insert(0.0) += weight;
                }
            }
        }
    }
    for (t, summed) in next.summed.iter_mut().enumerate() {
        *summed = moves[0].summed[t] || moves[1].summed[t];
    }
    let tallies = Tallies {
        accepted: moves[0].accepted + moves[1].accepted,
        tried: moves[0].tried + moves[1].tried,
        coordinate_accepted: moves[0].coordinate_accepted + moves[1].coordinate_accepted,
        coordinate_tried: moves[0].coordinate_tried + moves[1].coordinate_tried,
        travelled: moves[0].travelled + moves[1].travelled,
        moves: moves[0].tried + moves[0].sweeps + moves[1].tried + moves[1].sweeps,
    };
    let [first, _] = fits
        .try_into()
        .unwrap_or_else(|_| unreachable!("two halves"));
    Ok((next, tallies, first))
}

/// Model evaluations one stage of `chains` chains of `length` states, `substeps` moves
/// apart, costs at most.
fn stage_cost(problem: &Problem, chains: usize, length: usize, substeps: usize) -> u64 {
    // A sweep costs its share of full evaluations, and one more to bring the sampler back to
    // the state after an independence step it rejected.
    let step_cost = problem
        .reach
        .as_ref()
        .map_or(1, |r| r.sweep_cost.ceil() as usize + 1);
    (chains * (length - 1) * substeps * step_cost) as u64
}

/// Runs one replicate with `layout`'s particles: tempering with `layout.particles()`, then,
/// at the posterior, chains of `layout.final_length` states from as many ancestors.
pub fn run(
    problem: &Problem,
    layout: Layout,
    rng: &mut SmallRng,
    cx: &Context,
) -> Result<Outcome, Diagnostic> {
    let d = problem.latent.len();
    let k = problem.plan.groups[0].targets.len();
    let n = layout.particles();
    let mut evaluator = Evaluator {
        sampler: Sampler::with_scores(&problem.plan, problem.model),
        latent: &problem.latent,
    };
    let mut pop = Population::zeros(n, d, k);
    for i in 0..n {
        for x in &mut pop.z[i * d..(i + 1) * d] {
            *x = StandardNormal.sample(rng);
        }
        pop.ll[i] = evaluator.eval(
            &pop.z[i * d..(i + 1) * d],
            rng,
            &mut pop.values[i * k..(i + 1) * k],
        )?;
        pop.ids[i] = i as u64;
    }
    if pop.ll.iter().all(|l| *l == f64::NEG_INFINITY) {
        // No particle meets the evidence: this replicate's evidence estimate is 0, and it
        // takes no part in the pooled answer (`super::combine` weighs replicates by it).
        return Ok(Outcome {
            log_z: f64::NEG_INFINITY,
            stages: 0,
            controlled: pop.values.clone(),
            values: pop.values,
            weights: vec![0.0; n],
            table_sums: BTreeMap::new(),
            summed: vec![false; k],
            min_acceptance: 1.0,
            distinct: 0,
            min_travel: f64::INFINITY,
        });
    }
    // The means and tables among the targets: what the posterior's control variates and
    // Gibbs sums serve.
    let kinds: Vec<TargetKind> = problem.plan.groups[0]
        .targets
        .iter()
        .map(|t| t.kind)
        .collect();
    let controlled_targets =
        Some(kinds.as_slice()).filter(|kinds| kinds.iter().any(|k| *k != TargetKind::Real));
    let mut fresh_id = n as u64;
    let mut evaluations = n as u64;
    let mut beta = 0.0;
    let mut log_z = 0.0;
    let mut tuning = Tuning {
        scale: Proposal::initial_scale(d),
        coordinate_scale: 1.0,
        // Sweeps of exact Gibbs draws alone move better than a Gaussian fit to discrete
        // coordinates' scores could.
        independence: !problem.reach.as_ref().is_some_and(Reach::all_discrete),
        // Sweeps start with enough sub-steps for the travel aimed at (a coordinate's step at
        // 44% acceptance moves it about half an sd); random-walk steps start with one.
        substeps: if problem.reach.is_some() { 3 } else { 1 },
    };
    let mut min_acceptance: f64 = 1.0;
    let mut min_travel = f64::INFINITY;
    let mut stages = 0;
    loop {
        cx.cancel.check()?;
        stages += 1;
        if stages > cx.max_stages {
            return Err(Diagnostic::error(
                Code::E010,
                cx.span,
                format!(
                    "sequential Monte Carlo did not reach the posterior within {} tempering stages (temperature {beta:.3e} of 1)",
                    cx.max_stages
                ),
            )
            .with_help("the evidence is too informative for this many stages: raise the limit (`Config::max_smc_stages`), or ask with `--method is`"));
        }
        let remaining = 1.0 - beta;
        let delta = if d == 0 {
            remaining
        } else {
            next_step(&pop.ll, remaining, ESS_FRACTION * n as f64)
        };
        let log_w: Vec<f64> = pop
            .ll
            .iter()
            .map(|&l| if l == f64::NEG_INFINITY { l } else { delta * l })
            .collect();
        let max = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = log_w.iter().map(|w| (w - max).exp()).sum();
        log_z += max + (sum / n as f64).ln();
        let weights: Vec<f64> = log_w.iter().map(|w| (w - max).exp() / sum).collect();
        let last = delta >= remaining;
        if last && (d == 0 || layout.final_length <= layout.length) {
            // Nothing to move, or no more states to gain by moving: the weighted population
            // is the answer. (Resampling it into a quarter as many chains of four states, the
            // calibration test's tail case covered 89.8% instead of 92.8%.)
            let mut kept: Vec<u64> = pop
                .ids
                .iter()
                .zip(&weights)
                .filter(|(_, w)| **w > 0.0)
                .map(|(id, _)| *id)
                .collect();
            kept.sort_unstable();
            kept.dedup();
            let distinct = kept.len();
            return Ok(Outcome {
                log_z,
                stages,
                controlled: pop.values.clone(),
                values: pop.values,
                weights,
                table_sums: BTreeMap::new(),
                summed: vec![false; k],
                min_acceptance,
                distinct,
                min_travel,
            });
        }
        // At the posterior, the chains grow to the final population's length, one state per
        // move: every state a chain visits at the posterior is a draw worth keeping.
        let (length, substeps) = if last {
            (layout.final_length, 1)
        } else {
            (layout.length, tuning.substeps)
        };
        let stage_evaluations = stage_cost(problem, layout.chains, length, substeps);
        if evaluations + stage_evaluations > cx.max_evaluations {
            return Err(Diagnostic::error(
                Code::E010,
                cx.span,
                format!(
                    "sequential Monte Carlo would evaluate the model more than {} times for this question (temperature {:.3e} of 1 after {} stages)",
                    cx.max_evaluations.saturating_mul(super::REPLICATES as u64),
                    beta + delta,
                    stages
                ),
            )
            .with_help("ask with fewer particles (`--samples`), or with `--method is`; the limit is `Config::max_smc_evaluations`"));
        }
        evaluations += stage_evaluations;
        beta = if last { 1.0 } else { beta + delta };
        let (next, tallies, fit) = rejuvenate(
            problem,
            &mut evaluator,
            &pop,
            &weights,
            beta,
            (layout.chains, length, substeps),
            &tuning,
            controlled_targets.filter(|_| last),
            &mut fresh_id,
            rng,
        )?;
        pop = next;
        let rate = tallies.accepted as f64 / tallies.tried.max(1) as f64;
        // Of the Metropolis–Hastings moves (a Gibbs draw is never rejected, and a model whose
        // every coordinate is drawn by Gibbs makes none).
        let tried = tallies.tried + tallies.coordinate_tried;
        if tried > 0 {
            min_acceptance = min_acceptance
                .min((tallies.accepted + tallies.coordinate_accepted) as f64 / tried as f64);
        }
        // How far each chain travelled, in squared posterior sds per coordinate (in the
        // tempering stages: the final chains start at the posterior, and their correlation is
        // in the replicates' spread).
        let per_step = tallies.travelled / tallies.moves.max(1) as f64;
        let steps = (length - 1).max(1) as f64;
        if !last {
            min_travel = min_travel.min(per_step * steps * substeps as f64);
        }
        if last {
            let mut kept = pop.ids.clone();
            kept.sort_unstable();
            kept.dedup();
            let m = pop.ll.len();
            return Ok(Outcome {
                log_z,
                stages,
                controlled: pop.controlled,
                // The final states are equally weighted.
                table_sums: pop
                    .table_sums
                    .into_iter()
                    .map(|(key, sum)| (key, sum / m as f64))
                    .collect(),
                summed: pop.summed,
                values: pop.values,
                weights: vec![1.0 / m as f64; m],
                min_acceptance,
                distinct: kept.len(),
                min_travel,
            });
        }
        if tallies.coordinate_tried > 0 {
            // Towards 44% acceptance, optimal for one-dimensional random walks.
            let coordinate_rate =
                tallies.coordinate_accepted as f64 / tallies.coordinate_tried as f64;
            tuning.coordinate_scale = (tuning.coordinate_scale
                * (2.0 * (coordinate_rate - 0.44)).exp())
            .clamp(1e-3, 10.0);
        }
        // Enough sub-steps that each chain travels about `TRAVEL` posterior sds per
        // coordinate (its squared whitened jumps summed) over its length.
        tuning.substeps = if per_step > 0.0 {
            ((TRAVEL / (per_step * steps)).ceil() as usize).clamp(1, MAX_SUBSTEPS)
        } else {
            MAX_SUBSTEPS
        };
        if problem.reach.is_some() && tallies.tried > 0 && rate < MIN_INDEPENDENCE_ACCEPTANCE {
            tuning.independence = false;
        }
        if tallies.tried > 0 {
            tuning.scale = fit.adapted_scale(rate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_step_keeps_half_the_ess() {
        let ll: Vec<f64> = (0..1000).map(|i| -(i as f64) / 10.0).collect();
        let step = next_step(&ll, 1.0, 500.0);
        assert!(step > 0.0 && step < 1.0);
        assert!((ess(&ll, step) - 500.0).abs() < 1.0);
        // Flat likelihood: straight to the posterior.
        assert_eq!(next_step(&[0.0; 10], 0.7, 5.0), 0.7);
        // Impossible particles fall away at any positive step.
        let ll = [0.0, f64::NEG_INFINITY, f64::NEG_INFINITY, 0.0];
        assert!(next_step(&ll, 1.0, 3.0) > 0.0);
    }

    #[test]
    fn systematic_resampling_follows_the_weights() {
        let mut rng = SmallRng::seed_from_u64(1);
        let picks = systematic(&[0.5, 0.0, 0.25, 0.25], 8, &mut rng);
        let count = |i| picks.iter().filter(|&&p| p == i).count();
        assert_eq!((count(0), count(1), count(2), count(3)), (4, 0, 2, 2));
    }

    #[test]
    fn a_score_drawn_in_a_cell_is_recognised_in_it_even_at_the_edges() {
        // A Bernoulli's cells, a narrow cell at the top (a likely value's complement), one at
        // the bottom, and the whole line: the score is finite, and `Φ` of it is inside.
        for cell in [
            (0.0, 0.3),
            (0.3, 1.0),
            (1.0 - 1e-9, 1.0),
            (0.0, 1e-9),
            (0.0, 1.0),
        ] {
            for v in [0.0, 1e-17, 0.5, 1.0 - 1e-17, 1.0] {
                let z = score_in(cell, v);
                assert!(z.is_finite(), "{cell:?} at {v}: {z}");
                assert!(inside(std_normal_cdf(z), cell), "{cell:?} at {v}: Φ({z})");
            }
        }
        // Too narrow to keep `CELL_EDGE` from both edges: its midpoint, for any point asked.
        let narrow = (0.4, 0.4 + 2.0 * CELL_EDGE);
        let u = std_normal_cdf(score_in(narrow, 0.9));
        assert!((u - 0.4 - CELL_EDGE).abs() < 1e-15 && inside(u, narrow));
        // Nearer an edge than half `CELL_EDGE`: in no cell (every value is then computed).
        assert!(!inside(0.3 + 0.25 * CELL_EDGE, (0.3, 1.0)));
    }
}
