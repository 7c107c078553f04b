//! Likelihood weighting over a [`Plan`], in parallel chunks with per-chunk seeds.
//!
//! Samples are split into fixed-size chunks; chunk `i` draws from a generator seeded by
//! `(seed, stream, i)` alone. Chunk results merge in chunk order into blocks of [`BLOCK`]
//! chunks, and blocks in block order into the total, so one seed gives the same numbers at any
//! thread count and any sharding into block ranges. Chunks run in bounded windows, so memory
//! stays flat.
//!
//! **Invariant:** no allocation per sample; a parameter out of range or a non-finite value is
//! an E006 error naming the variable, never a NaN in a result.

use super::estimate::{Accumulators, Histogram, TargetAcc};
use super::plan_code::{LeafCode, MechCode, PlanCode, TreeCode};
use crate::diagnostics::{Code, Diagnostic};
use crate::query::{Clamp, Comp, Plan, TargetKind};
use crate::scm::Model;
use crate::scm::dist::open01;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rayon::prelude::*;

/// Samples per chunk: the unit of parallelism and of seeding.
pub const CHUNK: u64 = 1 << 14;

/// How much sampling to do.
#[derive(Clone, Copy, Debug)]
pub struct Budget<'a> {
    pub samples: u64,
    pub seed: u64,
    /// Distinguishes independent sampling problems under one seed.
    pub stream: u64,
    /// The call's cancellation flag, checked at every chunk window.
    pub cancel: &'a crate::cancel::CancelToken,
}

/// SplitMix64: a well-mixed 64-bit value from any input.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The generator of chunk `chunk`: seeded by `(seed, stream, chunk)` alone.
pub fn chunk_rng(budget: &Budget, chunk: u64) -> SmallRng {
    SmallRng::seed_from_u64(mix(mix(mix(budget.seed) ^ budget.stream) ^ chunk))
}

/// Runs the plan with `compiled` (built from this plan) or, without it, the interpreter;
/// returns merged accumulators.
///
/// Real targets are binned on edges a pilot run chose. Where the pilot saw too little (rare
/// evidence: no pilot sample met it) and more than 1% of the weight fell outside the edges, the
/// same samples are drawn again on edges spanning what the first pass saw, so quantiles are
/// never read off an empty histogram.
///
/// Under a sharded replay ([`super::shard`]) this call is one phase: it returns the phase's
/// merged total, reports the phase (its blocks and the pilot's edges), or runs the blocks the
/// replay asks for and hands them over unmerged.
pub fn run(
    plan: &Plan,
    model: &Model,
    budget: Budget,
    compiled: Option<&super::compiled::Compiled>,
) -> Result<Accumulators, Diagnostic> {
    use super::shard::{self, Merged, Phase, PhaseKind, Step, Units};
    match shard::step() {
        Step::Whole => {}
        Step::Merged(Merged::Sampled(total)) => return Ok(total),
        Step::Merged(Merged::Runs(_)) => return Err(shard::mismatched()),
        Step::Discover => {
            let edges = pilot_histograms(plan, model, budget)?;
            shard::needs(Phase {
                kind: PhaseKind::Sampled { edges, pass: 0 },
                units: block_count(budget.samples),
            });
            return Err(shard::stop());
        }
        Step::Run { units, phase } => {
            let PhaseKind::Sampled { edges, .. } = phase.kind else {
                return Err(shard::mismatched());
            };
            if units.end > block_count(budget.samples) {
                return Err(shard::mismatched());
            }
            let mut blocks = Vec::new();
            run_blocks(plan, model, budget, compiled, &edges, units, &mut |b| {
                blocks.push(b)
            })?;
            shard::ran(Units::Blocks(blocks));
            return Err(shard::stop());
        }
        Step::Stopped => return Err(shard::stop()),
    }
    let histograms = pilot_histograms(plan, model, budget)?;
    let acc = run_binned(plan, model, budget, compiled, &histograms)?;
    match widened(&acc, &histograms) {
        None => Ok(acc),
        Some(widened) => run_binned(plan, model, budget, compiled, &widened),
    }
}

/// The edges to draw the samples again on, where a real target's first pass put more than 1%
/// of its weight outside `histograms`' edges: spanning what that pass saw. `None` when every
/// real target fitted.
pub fn widened(
    acc: &Accumulators,
    histograms: &[Vec<Option<Histogram>>],
) -> Option<Vec<Vec<Option<Histogram>>>> {
    let mut widened = histograms.to_vec();
    let mut wider = false;
    for (g, group) in acc.groups.iter().enumerate() {
        for (t, target) in group.targets.iter().enumerate() {
            if let TargetAcc::Real(_, h) = target {
                let inside: f64 = h.bins.iter().sum();
                let outside = h.below + h.above;
                if outside > 0.01 * (inside + outside) && h.min <= h.max {
                    widened[g][t] = Some(Histogram::spanning(h.min, h.max));
                    wider = true;
                }
            }
        }
    }
    wider.then_some(widened)
}

/// Chunks per block. Chunks fold into their block in chunk order, and blocks into the total
/// in block order: the unit a shard runs ([`super::shard`]), so a sharded run and a run in one
/// process add the same numbers in the same order.
pub const BLOCK: u64 = 64;

/// Blocks `samples` samples make.
pub fn block_count(samples: u64) -> u64 {
    samples.div_ceil(CHUNK).div_ceil(BLOCK)
}

/// The accumulators of several blocks merged in order (the first block as it is, then each
/// next one merged in), or `None` for no block.
pub fn fold_blocks(blocks: impl IntoIterator<Item = Accumulators>) -> Option<Accumulators> {
    let mut blocks = blocks.into_iter();
    let mut total = blocks.next()?;
    for block in blocks {
        total.merge(block);
    }
    Some(total)
}

/// Empty accumulators for the plan's targets, with `histograms`' edges.
fn empty_accumulators(plan: &Plan, histograms: &[Vec<Option<Histogram>>]) -> Accumulators {
    let kinds: Vec<Vec<TargetKind>> = plan
        .groups
        .iter()
        .map(|g| g.targets.iter().map(|t| t.kind).collect())
        .collect();
    let scalar_first = plan.groups.iter().all(|g| {
        g.targets
            .first()
            .is_some_and(|t| t.kind == TargetKind::Scalar)
    });
    let pairs = if scalar_first {
        plan.covariances.pairs(plan.groups.len())
    } else {
        Vec::new()
    };
    Accumulators::new(&kinds, histograms, &pairs)
}

fn run_binned(
    plan: &Plan,
    model: &Model,
    budget: Budget,
    compiled: Option<&super::compiled::Compiled>,
    histograms: &[Vec<Option<Histogram>>],
) -> Result<Accumulators, Diagnostic> {
    let mut total: Option<Accumulators> = None;
    let blocks = 0..block_count(budget.samples);
    run_blocks(
        plan,
        model,
        budget,
        compiled,
        histograms,
        blocks,
        &mut |block| match &mut total {
            None => total = Some(block),
            Some(t) => t.merge(block),
        },
    )?;
    Ok(total.unwrap_or_else(|| empty_accumulators(plan, histograms)))
}

/// Runs the chunks of `blocks` in windows of parallel chunks, folds each block's chunks in
/// order, and passes each block's accumulators to `sink` in block order.
fn run_blocks(
    plan: &Plan,
    model: &Model,
    budget: Budget,
    compiled: Option<&super::compiled::Compiled>,
    histograms: &[Vec<Option<Histogram>>],
    blocks: std::ops::Range<u64>,
    sink: &mut impl FnMut(Accumulators),
) -> Result<(), Diagnostic> {
    let empty = empty_accumulators(plan, histograms);
    let n_chunks = budget.samples.div_ceil(CHUNK);
    let first = (blocks.start * BLOCK).min(n_chunks);
    let last = (blocks.end.saturating_mul(BLOCK)).min(n_chunks);
    let samples_in = |chunks: std::ops::Range<u64>| {
        (chunks.end * CHUNK).min(budget.samples) - (chunks.start * CHUNK).min(budget.samples)
    };
    super::plan_progress(samples_in(first..last));
    let window = (rayon::current_num_threads() as u64 * 4).max(1);
    let mut block = empty.clone();
    let mut start = first;
    while start < last {
        budget.cancel.check()?;
        let end = (start + window).min(last);
        let results: Vec<Result<Accumulators, Diagnostic>> = (start..end)
            .into_par_iter()
            .map(|chunk| {
                let n = CHUNK.min(budget.samples - chunk * CHUNK);
                let mut acc = empty.clone();
                let mut rng = chunk_rng(&budget, chunk);
                match compiled {
                    Some(c) => c.run(&mut rng, n, &mut |lw, values, count| {
                        acc.add_many(lw, values, count)
                    })?,
                    None => Sampler::new(plan, model)
                        .run(&mut rng, n, &mut |lw, values| acc.add(lw, values))?,
                }
                Ok(acc)
            })
            .collect();
        for (chunk, r) in (start..end).zip(results) {
            block.merge(r?);
            if (chunk + 1) % BLOCK == 0 || chunk + 1 == last {
                sink(std::mem::replace(&mut block, empty.clone()));
            }
        }
        super::add_progress(samples_in(start..end));
        start = end;
    }
    Ok(())
}

/// Histogram edges for real targets, from a small pilot run on a separate stream.
fn pilot_histograms(
    plan: &Plan,
    model: &Model,
    budget: Budget,
) -> Result<Vec<Vec<Option<Histogram>>>, Diagnostic> {
    let wants = plan
        .groups
        .iter()
        .any(|g| g.targets.iter().any(|t| t.kind == TargetKind::Real));
    let mut out: Vec<Vec<Option<Histogram>>> = plan
        .groups
        .iter()
        .map(|g| vec![None; g.targets.len()])
        .collect();
    if !wants {
        return Ok(out);
    }
    let mut samples: Vec<Vec<Vec<(f64, f64)>>> = plan
        .groups
        .iter()
        .map(|g| vec![Vec::new(); g.targets.len()])
        .collect();
    let mut rng = chunk_rng(
        &Budget {
            stream: budget.stream ^ 0x5EED_F00D,
            ..budget
        },
        u64::MAX,
    );
    Sampler::new(plan, model).run(&mut rng, 4096, &mut |lw, values| {
        for (g, &l) in lw.iter().enumerate() {
            if l > f64::NEG_INFINITY {
                for (t, v) in values[g].iter().enumerate() {
                    samples[g][t].push((l, *v));
                }
            }
        }
    })?;
    for (g, group) in plan.groups.iter().enumerate() {
        for (t, target) in group.targets.iter().enumerate() {
            if target.kind != TargetKind::Real {
                continue;
            }
            let xs = &mut samples[g][t];
            xs.sort_by(|a, b| a.1.total_cmp(&b.1));
            let (lo, hi) = match (xs.first(), xs.last()) {
                (Some(a), Some(b)) => (a.1, b.1),
                _ => (0.0, 1.0),
            };
            out[g][t] = Some(Histogram::spanning(lo, hi));
        }
    }
    Ok(out)
}

/// The per-chunk sampling loop: the plan's compiled expressions and the scratch space they
/// evaluate in (two fields, so that a step's code can be read while the scratch space
/// changes).
pub struct Sampler<'a> {
    /// The plan's expressions, compiled.
    code: PlanCode<'a>,
    work: Workspace<'a>,
}

/// A sampler's scratch space: one sample's values, noise and weights.
struct Workspace<'a> {
    plan: &'a Plan,
    model: &'a Model,
    /// The stack the compiled expressions evaluate on.
    stack: Vec<f64>,
    vals: Vec<f64>,
    params: Vec<f64>,
    shared: Vec<f64>,
    /// The sample (by [`Workspace::drawn`]) each shared noise was drawn for.
    shared_at: Vec<u64>,
    /// Samples drawn so far, counting from 1: tells a slot's noise from the last sample's.
    drawn: u64,
    local: Vec<(usize, usize, f64)>,
    log_weights: Vec<f64>,
    values: Vec<Vec<f64>>,
    /// Whether shared noise is held as standard-normal scores `z` (value `F⁻¹(Φ(z))`) rather
    /// than uniforms: what sequential Monte Carlo moves (src/infer/smc/) work on.
    scores: bool,
    /// Under scores: each step's contribution to each group's log weight in the last sample
    /// (`step · groups + group`), so that [`Sampler::resample_steps`] can redo a few steps.
    step_weights: Vec<f64>,
    /// What [`Sampler::undo`] restores: values overwritten by the last
    /// [`Sampler::resample_steps`] (index, old value), old step weights and old log weights.
    undo_vals: Vec<(usize, f64)>,
    undo_step_weights: Vec<(usize, f64)>,
    undo_log_weights: Vec<f64>,
}

impl<'a> Sampler<'a> {
    /// Scratch space for `plan`, with the plan's expressions compiled ([`PlanCode`]).
    pub fn new(plan: &'a Plan, model: &'a Model) -> Sampler<'a> {
        let code = PlanCode::compile(plan);
        Sampler {
            work: Workspace {
                plan,
                model,
                stack: Vec::with_capacity(code.depth + 1),
                vals: vec![0.0; plan.n_worlds * plan.n_vars],
                params: Vec::with_capacity(16),
                shared: vec![0.0; plan.n_slots],
                shared_at: vec![0; plan.n_slots],
                drawn: 0,
                local: Vec::new(),
                log_weights: vec![0.0; plan.groups.len()],
                values: plan
                    .groups
                    .iter()
                    .map(|g| vec![0.0; g.targets.len()])
                    .collect(),
                scores: false,
                step_weights: Vec::new(),
                undo_vals: Vec::new(),
                undo_step_weights: Vec::new(),
                undo_log_weights: Vec::new(),
            },
            code,
        }
    }

    /// Scratch space for `plan` whose shared noise is given as standard-normal scores, set
    /// per sample by [`Sampler::preset`] (a slot not preset draws a fresh score). The plan
    /// must be coupled, so every stochastic value is read through its noise.
    pub fn with_scores(plan: &'a Plan, model: &'a Model) -> Sampler<'a> {
        let mut sampler = Sampler::new(plan, model);
        sampler.work.scores = true;
        sampler.work.step_weights = vec![0.0; plan.steps.len() * plan.groups.len()];
        sampler
    }

    /// The plan it samples.
    #[cfg(debug_assertions)]
    pub fn plan(&self) -> &'a Plan {
        self.work.plan
    }

    /// The model it samples.
    #[cfg(debug_assertions)]
    pub fn model(&self) -> &'a Model {
        self.work.model
    }

    /// Under [`Sampler::with_scores`]: changes the score of `slot` in the last sample, to be
    /// followed by [`Sampler::resample_steps`] over the steps that read it.
    #[inline]
    pub fn set_score(&mut self, slot: usize, score: f64) {
        self.work.shared_at[slot] = self.work.drawn;
        self.work.shared[slot] = score;
    }

    /// Under [`Sampler::with_scores`], after a full [`Sampler::sample`] whose log weights are
    /// finite: recomputes only `steps` (indices into the plan's steps, increasing) of the last
    /// sample, keeping every other value, then the evidence indicators — but not the targets:
    /// [`Sampler::targets`] computes those when they are wanted. The steps must include every
    /// step that reads a changed score, directly or through the values of earlier recomputed
    /// steps (src/infer/smc/local.rs finds them). The log weights change by the recomputed
    /// steps' contributions. [`Sampler::undo`] goes back.
    pub fn resample_steps(
        &mut self,
        steps: &[usize],
        rng: &mut SmallRng,
    ) -> Result<(), Diagnostic> {
        let Sampler { code, work } = self;
        let plan = work.plan;
        let index = work.drawn;
        let n = plan.n_vars;
        let groups = plan.groups.len();
        work.undo_vals.clear();
        work.undo_step_weights.clear();
        work.undo_log_weights.clone_from(&work.log_weights);
        for &s in steps {
            let step = &plan.steps[s];
            for g in 0..groups {
                let old = work.step_weights[s * groups + g];
                work.undo_step_weights.push((s * groups + g, old));
                work.log_weights[g] -= old;
                // The log weight before the step, until the step's contribution replaces it.
                work.step_weights[s * groups + g] = work.log_weights[g];
            }
            let step_code = &code.steps[s];
            work.local.clear();
            for (clamp, trees) in step.clamps.iter().zip(&step_code.observations) {
                work.abduct(clamp, trees, step.var, rng)?;
            }
            for (comp, mech) in step.comps.iter().zip(&step_code.comps) {
                if work.log_weights[comp.group] == f64::NEG_INFINITY {
                    continue;
                }
                let at = comp.world * n + step.var;
                work.undo_vals.push((at, work.vals[at]));
                for &c in &comp.copies {
                    work.undo_vals
                        .push((c * n + step.var, work.vals[c * n + step.var]));
                }
                let value = work.compute(comp, mech, step.var, rng, index)?;
                work.vals[at] = value;
                for &c in &comp.copies {
                    work.vals[c * n + step.var] = value;
                }
            }
            for g in 0..groups {
                work.step_weights[s * groups + g] =
                    work.log_weights[g] - work.step_weights[s * groups + g];
            }
        }
        work.check_indicators(code);
        Ok(())
    }

    /// Restores the sample as it was before the last [`Sampler::resample_steps`] (the caller
    /// restores the scores it changed with [`Sampler::set_score`]).
    pub fn undo(&mut self) {
        let work = &mut self.work;
        for &(at, old) in work.undo_vals.iter().rev() {
            work.vals[at] = old;
        }
        for &(at, old) in work.undo_step_weights.iter().rev() {
            work.step_weights[at] = old;
        }
        std::mem::swap(&mut work.log_weights, &mut work.undo_log_weights);
    }

    /// Under [`Sampler::with_scores`], after a full [`Sampler::sample`]: the noise cells
    /// `(F(x⁻), F(x)]` of the values that computation `comp` of step `step` can take given the
    /// sample's other values, into `out` — when its distribution there is discrete with at
    /// most `max` values (else `out` is left empty). Scores whose `Φ(z)` share a cell give
    /// the computation the same value; cells of no mass are left out.
    pub fn noise_cells(
        &mut self,
        (step, comp): (usize, usize),
        max: usize,
        out: &mut Vec<(f64, f64)>,
    ) -> Result<(), Diagnostic> {
        out.clear();
        let Sampler { code, work } = self;
        let plan_step = &work.plan.steps[step];
        let world = plan_step.comps[comp].world;
        let mut mech = &code.steps[step].comps[comp];
        while let MechCode::Shift(natural, _) = mech {
            mech = natural;
        }
        let MechCode::Stoch { tree, .. } = mech else {
            return Ok(());
        };
        let kind = &work.leaf(tree, world, plan_step.var)?.leaf.kind;
        let Some(n) = kind.support_len(&work.params).filter(|&n| n <= max) else {
            return Ok(());
        };
        for i in 0..n {
            let x = kind.support_value(&work.params, i);
            let (a, b) = kind.noise_interval(&work.params, x);
            if b > a {
                out.push((a, b));
            }
        }
        Ok(())
    }

    /// Fixes the noise of `slot` for the next sample (a score under [`Sampler::with_scores`]).
    #[inline]
    pub fn preset(&mut self, slot: usize, noise: f64) {
        self.work.shared_at[slot] = self.work.drawn + 1;
        self.work.shared[slot] = noise;
    }

    /// The log weights of the last sample, per group: under [`Sampler::with_scores`], the log
    /// likelihood of each group's evidence given the noise.
    pub fn log_weights(&self) -> &[f64] {
        &self.work.log_weights
    }

    /// The target values of the last [`Sampler::sample`] or [`Sampler::targets`], per group.
    pub fn values(&self) -> &[Vec<f64>] {
        &self.work.values
    }

    /// Draws `n` samples, passing each sample's log weights and target values to `sink`.
    pub fn run(
        &mut self,
        rng: &mut SmallRng,
        n: u64,
        sink: &mut impl FnMut(&[f64], &[Vec<f64>]),
    ) -> Result<(), Diagnostic> {
        for _ in 0..n {
            self.sample(rng)?;
            sink(&self.work.log_weights, &self.work.values);
        }
        Ok(())
    }

    /// One sample into `vals`, `log_weights` and `values`; fresh noise in every slot.
    #[inline]
    pub fn sample(&mut self, rng: &mut SmallRng) -> Result<(), Diagnostic> {
        let Sampler { code, work } = self;
        let plan = work.plan;
        work.drawn += 1;
        let index = work.drawn;
        let n = plan.n_vars;
        work.log_weights.iter_mut().for_each(|w| *w = 0.0);
        let groups = plan.groups.len();
        for ((s, step), step_code) in plan.steps.iter().enumerate().zip(&code.steps) {
            if work.scores {
                work.step_weights[s * groups..(s + 1) * groups].copy_from_slice(&work.log_weights);
            }
            if plan.coupled {
                work.local.clear();
                for (clamp, trees) in step.clamps.iter().zip(&step_code.observations) {
                    work.abduct(clamp, trees, step.var, rng)?;
                }
            }
            for (comp, mech) in step.comps.iter().zip(&step_code.comps) {
                if work.log_weights[comp.group] == f64::NEG_INFINITY {
                    continue;
                }
                let value = work.compute(comp, mech, step.var, rng, index)?;
                work.vals[comp.world * n + step.var] = value;
                for &c in &comp.copies {
                    work.vals[c * n + step.var] = value;
                }
            }
            if work.scores {
                for g in 0..groups {
                    // The step's contribution (NaN once the group is impossible: unused then).
                    work.step_weights[s * groups + g] =
                        work.log_weights[g] - work.step_weights[s * groups + g];
                }
            }
        }
        work.check_indicators(code);
        work.targets(code)
    }

    /// The targets of the sample in `vals` (after [`Sampler::resample_steps`], which leaves
    /// them out), into [`Sampler::values`].
    #[inline]
    pub fn targets(&mut self) -> Result<(), Diagnostic> {
        self.work.targets(&self.code)
    }
}

impl<'a> Workspace<'a> {
    /// Makes a group impossible when one of its evidence indicators fails in `vals`.
    #[inline]
    fn check_indicators(&mut self, code: &PlanCode<'a>) {
        for (g, group) in code.groups.iter().enumerate() {
            if self.log_weights[g] == f64::NEG_INFINITY {
                continue;
            }
            if group
                .indicators
                .iter()
                .any(|e| e.eval(&self.vals, 0, &mut self.stack) == 0.0)
            {
                self.log_weights[g] = f64::NEG_INFINITY;
            }
        }
    }

    /// The targets of every possible group in `vals`.
    #[inline]
    fn targets(&mut self, code: &PlanCode<'a>) -> Result<(), Diagnostic> {
        for (g, group) in code.groups.iter().enumerate() {
            if self.log_weights[g] == f64::NEG_INFINITY {
                continue;
            }
            for (t, target) in group.targets.iter().enumerate() {
                let v = target.eval(&self.vals, 0, &mut self.stack);
                if !v.is_finite() {
                    return Err(Diagnostic::error(Code::E006, crate::ast::Span::default(), format!("the quantity asked for is {v} in some samples")).with_help("check divisions by zero and logarithms of non-positive values in the query"));
                }
                self.values[g][t] = v;
            }
        }
        Ok(())
    }

    /// The leaf a tree selects in `world`, with its parameters evaluated and checked.
    #[inline]
    fn leaf<'t>(
        &mut self,
        tree: &'t TreeCode<'a>,
        world: usize,
        var: usize,
    ) -> Result<&'t LeafCode<'a>, Diagnostic> {
        let base = world * self.plan.n_vars;
        let Some(code) = tree.select(&self.vals, base, &mut self.stack) else {
            return Err(self.no_arm(var));
        };
        self.params.clear();
        if let Some(constants) = &code.constants {
            self.params.extend_from_slice(constants);
            return Ok(code);
        }
        for p in &code.params {
            let value = p.eval(&self.vals, base, &mut self.stack);
            self.params.push(value);
        }
        if code.check.passes(&self.params) {
            return Ok(code);
        }
        let leaf = code.leaf;
        if let Err(bad) = leaf.kind.validate(&self.params) {
            let name = &self.model.vars[var].name;
            return Err(Diagnostic::error(
                Code::E006,
                leaf.span,
                format!(
                    "`{name} ~ {}(...)`: {} = {} is outside {}",
                    leaf.kind.name(),
                    bad.name,
                    bad.value,
                    bad.range
                ),
            )
            .with_help(format!(
                "the parameters of `{name}` must stay in range for every value of its parents"
            )));
        }
        Ok(code)
    }

    fn no_arm(&self, var: usize) -> Diagnostic {
        let v = &self.model.vars[var];
        Diagnostic::error(
            Code::E006,
            v.span,
            format!(
                "no match arm covers the values of `{}`'s parents in some sample",
                v.name
            ),
        )
        .with_help("add a catch-all arm `_ => ...`")
    }

    /// Confines a group's noise for one slot to what its evidence allows; weights the group.
    fn abduct(
        &mut self,
        clamp: &Clamp,
        trees: &[TreeCode<'a>],
        var: usize,
        rng: &mut SmallRng,
    ) -> Result<(), Diagnostic> {
        if self.log_weights[clamp.group] == f64::NEG_INFINITY {
            return Ok(());
        }
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        let mut log_density = 0.0;
        let mut point: Option<(f64, f64)> = None;
        for ((world, _, value), tree) in clamp.observations.iter().zip(trees) {
            let leaf = self.leaf(tree, *world, var)?.leaf;
            if clamp.discrete {
                let (a, b) = leaf.kind.noise_interval(&self.params, *value);
                lo = lo.max(a);
                hi = hi.min(b);
            } else {
                let u = leaf.kind.cdf(&self.params, *value);
                match point {
                    Some((_, x)) if x != *value => log_density = f64::NEG_INFINITY,
                    Some(_) => {}
                    None => {
                        log_density = leaf.kind.log_density(&self.params, *value);
                        point = Some((u, *value));
                    }
                }
            }
        }
        let u = if clamp.discrete {
            if hi <= lo {
                self.log_weights[clamp.group] = f64::NEG_INFINITY;
                return Ok(());
            }
            self.log_weights[clamp.group] += (hi - lo).ln();
            lo + (hi - lo) * open01(rng)
        } else {
            self.log_weights[clamp.group] += log_density;
            point
                .map_or(0.5, |p| p.0)
                .clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0)
        };
        self.local.push((clamp.group, clamp.slot, u));
        Ok(())
    }

    /// Whether `slot`'s noise for `group` was abducted from evidence in this sample (a
    /// uniform, whatever the shared noise's form).
    #[inline]
    fn is_local(&self, group: usize, slot: usize) -> bool {
        self.local.iter().any(|(g, s, _)| *g == group && *s == slot)
    }

    /// The noise of `slot` for `group` in this sample.
    #[inline]
    fn noise(&mut self, group: usize, slot: usize, rng: &mut SmallRng, index: u64) -> f64 {
        if let Some(&(_, _, u)) = self
            .local
            .iter()
            .find(|(g, s, _)| *g == group && *s == slot)
        {
            return u;
        }
        if self.shared_at[slot] != index {
            self.shared_at[slot] = index;
            let u = open01(rng);
            self.shared[slot] = if self.scores {
                crate::scm::dist::std_normal_quantile(u)
            } else {
                u
            };
        }
        self.shared[slot]
    }

    #[inline]
    fn compute(
        &mut self,
        comp: &Comp,
        code: &MechCode<'a>,
        var: usize,
        rng: &mut SmallRng,
        index: u64,
    ) -> Result<f64, Diagnostic> {
        let value = self.compute_mech(code, comp, var, rng, index)?;
        if !value.is_finite() {
            let v = &self.model.vars[var];
            return Err(Diagnostic::error(Code::E006, v.span, format!("`{}` is {value} in some samples", v.name)).with_help("check divisions by zero, logarithms of non-positive values and overflow in its mechanism"));
        }
        Ok(value)
    }

    #[inline]
    fn compute_mech(
        &mut self,
        code: &MechCode<'a>,
        comp: &Comp,
        var: usize,
        rng: &mut SmallRng,
        index: u64,
    ) -> Result<f64, Diagnostic> {
        let base = comp.world * self.plan.n_vars;
        match code {
            MechCode::Det(e) => Ok(e.eval(&self.vals, base, &mut self.stack)),
            MechCode::Stoch {
                tree,
                slot,
                abducted,
            } => {
                if *abducted && let Some(x) = comp.clamp {
                    // The step's abduction selected and checked this distribution already.
                    return Ok(x);
                }
                let leaf = self.leaf(tree, comp.world, var)?.leaf;
                if !self.plan.coupled {
                    return Ok(match comp.clamp {
                        Some(x) => {
                            self.log_weights[comp.group] += leaf.kind.log_density(&self.params, x);
                            x
                        }
                        None => leaf.kind.sample(&self.params, rng),
                    });
                }
                if let Some(x) = comp.clamp {
                    return Ok(x);
                }
                let kind = &leaf.kind;
                if self.scores && !self.is_local(comp.group, *slot) {
                    let z = self.noise(comp.group, *slot, rng, index);
                    return Ok(kind.quantile_of_score(&self.params, z));
                }
                let u = self.noise(comp.group, *slot, rng, index);
                Ok(kind.quantile(&self.params, u))
            }
            MechCode::Shift(natural, shift) => {
                let value = self.compute_mech(natural, comp, var, rng, index)?;
                self.vals[base + var] = value;
                Ok(shift.eval(&self.vals, base, &mut self.stack))
            }
        }
    }
}
