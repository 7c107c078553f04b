//! Exact answers for linear-Gaussian models by Gaussian algebra, counterfactual worlds
//! included, in memory that grows with the plan's *width*, not its length.
//!
//! A plan qualifies when every computation it needs is `Normal(mean, sd)` with a mean affine
//! in its parents and a constant sd, or deterministic and affine (hard interventions,
//! shifts, affine policies, `do(x ~ Normal(..))` included). Then every slot is jointly
//! normal with the noise, which is exactly the sampler's coupling `x = μ + σ·Φ⁻¹(U)`.
//!
//! The engine works like a Kalman filter over the plan's steps. It keeps the mean and
//! covariance of the *live* quantities only: a computed slot lives until the last step (or
//! target) that reads it, a noise shared by several worlds until its last world is computed.
//! Each computation adds one quantity (its covariance row is an affine combination of the rows
//! it reads, plus its own noise variance); evidence `x = v` on a stochastic variable is a
//! rank-one update (conditioning on one linear constraint); a quantity nobody reads again is
//! dropped. A 100,000-variable chain keeps two or three quantities live at a time, so it
//! answers in linear time and constant memory, where writing every slot over the whole noise
//! vector took n² memory.
//!
//! [`prepare`] compiles a group into that sequence of operations and measures its width and
//! work *before* anything is allocated, so the engine choice (`infer::engine`) can decline by
//! cost (and `--method exact` can refuse with the limit) instead of running out of memory.
//!
//! Expectations of affine targets, probabilities of one linear inequality and whole
//! distributions of affine quantities are answered; anything else declines with a typed reason.
//!
//! **Invariant:** does no I/O; answers carry a standard error of 0.

use super::affine::{Affine, affine, linear_mechanism};
use super::engine::{Reason, Unsupported};
use crate::ast::Span;
use crate::diagnostics::{Code, Diagnostic};
use crate::query::{Mech, Plan, TargetKind};
use crate::scm::{BinOp, Ex, Model};

/// A target's posterior: normal with this mean and standard deviation.
#[derive(Clone, Copy, Debug)]
pub struct Normal {
    pub mean: f64,
    pub sd: f64,
}

/// What one group's target is, exactly.
#[derive(Clone, Debug)]
pub enum Exact {
    /// An expectation or a probability.
    Value(f64),
    /// The distribution of an affine quantity.
    Distribution(Normal),
}

/// One operation of a compiled group.
#[derive(Clone, Debug)]
enum Op {
    /// A new quantity `node = form + sd·ε` with ε fresh standard-normal noise, then
    /// conditioned on `clamp` when evidence observes it.
    Add {
        node: usize,
        form: Affine,
        sd: f64,
        clamp: Option<f64>,
    },
    /// Quantities no later operation or target reads.
    Drop(Vec<usize>),
}

/// One target: what to compute from the final state.
#[derive(Clone, Debug)]
enum TargetForm {
    /// The normal distribution (or the mean) of an affine quantity.
    Affine(Affine),
    /// `P(form op 0)` for a comparison `op`.
    Inequality { form: Affine, op: BinOp },
}

/// One group compiled: operations in order, targets over the final live quantities.
#[derive(Clone, Debug)]
struct GroupProgram {
    ops: Vec<Op>,
    targets: Vec<(TargetKind, TargetForm)>,
    n_nodes: usize,
    /// Per node: whether it is a standard-normal noise several worlds share.
    is_noise: Vec<bool>,
    /// Most quantities live at once: the covariance is `width × width`.
    width: usize,
}

/// A plan compiled for Gaussian algebra, with its measured size.
#[derive(Clone, Debug)]
pub struct Prepared {
    groups: Vec<GroupProgram>,
    /// Most quantities live at once over all groups.
    pub width: usize,
    /// Multiply-adds the whole run takes, roughly.
    pub work: f64,
}

/// Compiles every group of the plan, or says why Gaussian algebra cannot answer it.
/// Allocates nothing of the size of the covariance; `width` and `work` say what running takes.
pub fn prepare(plan: &Plan, model: &Model) -> Result<Prepared, Unsupported> {
    let mut groups = Vec::with_capacity(plan.groups.len());
    let (mut width, mut work) = (0usize, 0.0f64);
    for g in 0..plan.groups.len() {
        let program = compile_group(plan, model, g)?;
        width = width.max(program.width);
        work += program_work(&program);
        groups.push(program);
    }
    Ok(Prepared {
        groups,
        width,
        work,
    })
}

fn decline(reason: Reason) -> Unsupported {
    Unsupported {
        engine: super::engine::Engine::Gaussian,
        reason,
    }
}

/// Compiles one group: a node per computation (and per noise several worlds share), the
/// evidence as clamps, the targets as forms; then liveness decides when each node drops.
fn compile_group(plan: &Plan, model: &Model, group: usize) -> Result<GroupProgram, Unsupported> {
    let n = plan.n_vars;
    let not_linear = |var: usize| {
        decline(Reason::NotLinearGaussian {
            var,
            real: model.vars[var].ty == crate::scm::Type::Real,
        })
    };
    // How many computations draw on each noise slot: a noise used once is folded into its
    // computation's own variance; a shared one (counterfactual worlds) becomes a node.
    let mut noise_uses: std::collections::HashMap<usize, usize> = Default::default();
    for step in &plan.steps {
        for comp in step.comps.iter().filter(|c| c.group == group) {
            if let Some(slot) = noise_slot(&comp.mech) {
                *noise_uses.entry(slot).or_insert(0) += 1;
            }
        }
    }
    let mut slot_node: Vec<Option<usize>> = vec![None; n * plan.n_worlds];
    let mut noise_node: std::collections::HashMap<usize, usize> = Default::default();
    let mut ops: Vec<Op> = Vec::new();
    let mut n_nodes = 0usize;
    let mut is_noise: Vec<bool> = Vec::new();
    for step in &plan.steps {
        for comp in step.comps.iter().filter(|c| c.group == group) {
            let slot = comp.world * n + step.var;
            let base = comp.world * n;
            let read = |e: &Ex, own: Option<&Affine>| {
                affine(
                    e,
                    &|s: usize| {
                        if s == slot
                            && let Some(natural) = own
                        {
                            return Some(natural.clone());
                        }
                        slot_node.get(s).copied().flatten().map(Affine::node)
                    },
                    base,
                )
            };
            let value = linear_mechanism(&comp.mech, &read).map(|linear| {
                // A shift that ignores the natural value keeps none of its noise.
                let noise = linear.noise.filter(|(sd, _)| *sd != 0.0);
                (linear.form, noise)
            });
            let Some((mut form, noise)) = value else {
                return Err(not_linear(step.var));
            };
            let mut sd = 0.0;
            if let Some((scale, noise)) = noise {
                if noise_uses.get(&noise).copied().unwrap_or(0) > 1 {
                    let node = *noise_node.entry(noise).or_insert_with(|| {
                        is_noise.push(true);
                        ops.push(Op::Add {
                            node: n_nodes,
                            form: Affine::constant(0.0),
                            sd: 1.0,
                            clamp: None,
                        });
                        n_nodes += 1;
                        n_nodes - 1
                    });
                    form.terms.push((node, scale));
                } else {
                    sd = scale.abs();
                }
            }
            let node = n_nodes;
            n_nodes += 1;
            is_noise.push(false);
            ops.push(Op::Add {
                node,
                form: form.normalised(),
                sd,
                clamp: comp.clamp,
            });
            slot_node[slot] = Some(node);
            for &w in &comp.copies {
                slot_node[w * n + step.var] = Some(node);
            }
        }
    }
    let g = &plan.groups[group];
    if !g.indicators.is_empty() {
        return Err(decline(Reason::Question(
            "exact Gaussian answers take evidence of the form `x = value` on stochastic variables only",
        )));
    }
    let lookup = |s: usize| slot_node.get(s).copied().flatten().map(Affine::node);
    let mut targets = Vec::new();
    for t in &g.targets {
        let form = match t.kind {
            TargetKind::Real => affine(&t.expr, &lookup, 0)
                .map(|f| TargetForm::Affine(f.normalised()))
                .ok_or(Reason::Question(
                    "the quantity is not affine in the model's variables",
                )),
            TargetKind::Scalar => scalar_form(&t.expr, &lookup).ok_or(Reason::Question(
                "exact Gaussian answers cover expectations of affine quantities and probabilities of one linear inequality",
            )),
            TargetKind::Discrete => Err(Reason::Question(
                "a discrete distribution of a continuous model",
            )),
        };
        targets.push((t.kind, form.map_err(decline)?));
    }
    let width = schedule_drops(&mut ops, &targets, n_nodes);
    Ok(GroupProgram {
        ops,
        targets,
        n_nodes,
        is_noise,
        width,
    })
}

/// The noise slot a mechanism draws from, if it is stochastic.
fn noise_slot(mech: &Mech) -> Option<usize> {
    match mech {
        Mech::Det(_) => None,
        Mech::Stoch { slot, .. } => Some(*slot),
        Mech::Shift { natural, .. } => noise_slot(natural),
    }
}

/// A scalar target: an expectation of an affine quantity, or the probability of one linear
/// inequality.
fn scalar_form(e: &Ex, lookup: &impl Fn(usize) -> Option<Affine>) -> Option<TargetForm> {
    if let Ex::Binary(op @ (BinOp::Gt | BinOp::Ge | BinOp::Lt | BinOp::Le), a, b) = e {
        let difference = affine(a, lookup, 0)?.add(affine(b, lookup, 0)?, -1.0);
        return Some(TargetForm::Inequality {
            form: difference.normalised(),
            op: *op,
        });
    }
    affine(e, lookup, 0).map(|f| TargetForm::Affine(f.normalised()))
}

/// Inserts a drop after the last operation that reads each node (targets read at the end),
/// and returns the most nodes live at once.
fn schedule_drops(
    ops: &mut Vec<Op>,
    targets: &[(TargetKind, TargetForm)],
    n_nodes: usize,
) -> usize {
    const AT_END: usize = usize::MAX;
    let mut last_use = vec![0usize; n_nodes];
    for (i, op) in ops.iter().enumerate() {
        if let Op::Add { node, form, .. } = op {
            last_use[*node] = last_use[*node].max(i);
            for &(read, _) in &form.terms {
                last_use[read] = last_use[read].max(i);
            }
        }
    }
    for (_, t) in targets {
        let (TargetForm::Affine(form) | TargetForm::Inequality { form, .. }) = t;
        for &(read, _) in &form.terms {
            last_use[read] = AT_END;
        }
    }
    let mut dies_after: Vec<Vec<usize>> = vec![Vec::new(); ops.len()];
    for (node, &at) in last_use.iter().enumerate() {
        if at != AT_END {
            dies_after[at].push(node);
        }
    }
    let (mut live, mut width) = (0usize, 0usize);
    let mut scheduled = Vec::with_capacity(ops.len() * 2);
    for (op, dying) in std::mem::take(ops).into_iter().zip(dies_after) {
        live += 1;
        width = width.max(live);
        scheduled.push(op);
        if !dying.is_empty() {
            live -= dying.len();
            scheduled.push(Op::Drop(dying));
        }
    }
    *ops = scheduled;
    width
}

/// Multiply-adds of a program: each new node's covariance row reads its terms' rows; each
/// clamp updates the whole live covariance.
fn program_work(p: &GroupProgram) -> f64 {
    let (mut live, mut work) = (0.0f64, 0.0f64);
    for op in &p.ops {
        match op {
            Op::Add { form, clamp, .. } => {
                live += 1.0;
                work += live * (form.terms.len() as f64 + 1.0);
                if clamp.is_some() {
                    work += live * live;
                }
            }
            Op::Drop(nodes) => live -= nodes.len() as f64,
        }
    }
    work + p.targets.len() as f64 * live * live
}

/// Runs the prepared plan: one answer per target per group. `check` is called now and then
/// (cancellation).
pub fn solve(
    prepared: &Prepared,
    span: Span,
    check: &dyn Fn() -> Result<(), Diagnostic>,
) -> Result<Vec<Vec<Exact>>, Diagnostic> {
    prepared
        .groups
        .iter()
        .map(|g| solve_group(g, span, check))
        .collect()
}

/// The mean and covariance of the live nodes, in a `width × width` matrix whose positions are
/// reused as nodes drop.
struct State {
    width: usize,
    /// Position of each node, while it lives.
    position: Vec<Option<usize>>,
    free: Vec<usize>,
    /// Positions handed out so far (never more than `width`).
    next: usize,
    /// Per position, a bound on the node's prior standard deviation (the sum of its terms'
    /// bounds and its own noise), against which a conditional variance counts as zero.
    scale: Vec<f64>,
    /// Live positions.
    live: Vec<usize>,
    mean: Vec<f64>,
    covariance: Vec<f64>,
    /// Scratch: one covariance row.
    row: Vec<f64>,
}

impl State {
    fn cov(&self, a: usize, b: usize) -> f64 {
        self.covariance[a * self.width + b]
    }

    fn set_cov(&mut self, a: usize, b: usize, x: f64) {
        self.covariance[a * self.width + b] = x;
        self.covariance[b * self.width + a] = x;
    }

    /// Adds `node = form + sd·ε`; returns its position.
    fn add(&mut self, node: usize, form: &Affine, sd: f64) -> usize {
        let p = self.free.pop().unwrap_or_else(|| {
            self.next += 1;
            self.next - 1
        });
        let positions: Vec<(usize, f64)> = form
            .terms
            .iter()
            .map(|&(n, a)| (self.position[n].expect("a node read after it dropped"), a))
            .collect();
        let mean = form.constant
            + positions
                .iter()
                .map(|&(q, a)| a * self.mean[q])
                .sum::<f64>();
        for &q in &self.live {
            self.row[q] = positions.iter().map(|&(r, a)| a * self.cov(r, q)).sum();
        }
        let own = positions.iter().map(|&(r, a)| a * self.row[r]).sum::<f64>() + sd * sd;
        for i in 0..self.live.len() {
            let q = self.live[i];
            self.set_cov(p, q, self.row[q]);
        }
        self.set_cov(p, p, own);
        self.mean[p] = mean;
        self.scale[p] = positions
            .iter()
            .map(|&(r, a)| a.abs() * self.scale[r])
            .sum::<f64>()
            + sd;
        self.live.push(p);
        self.position[node] = Some(p);
        p
    }

    /// Conditions every live node on the node at `p` taking `value` (one rank-one update).
    fn condition(&mut self, p: usize, value: f64, span: Span) -> Result<(), Diagnostic> {
        let s = self.cov(p, p);
        // Zero, relative to what the node's variance could be before any evidence: the
        // evidence fixes a combination of the noise that earlier evidence already fixed.
        if !(s > 0.0 && s.sqrt() > 1e-6 * self.scale[p]) {
            return Err(Diagnostic::error(
                Code::E011,
                span,
                "the evidence fixes one combination of the noise twice (degenerate evidence), which has probability zero",
            )
            .with_help("observe each continuous quantity once"));
        }
        let residual = value - self.mean[p];
        for &q in &self.live {
            self.row[q] = self.cov(p, q);
        }
        for &q in &self.live {
            // The gain first: a variance of 1e300 must not square to infinity.
            let gain = self.row[q] / s;
            self.mean[q] += gain * residual;
            for &r in &self.live {
                let x = self.cov(q, r) - gain * self.row[r];
                self.covariance[q * self.width + r] = x;
            }
        }
        self.mean[p] = value;
        Ok(())
    }

    fn drop_node(&mut self, node: usize) {
        if let Some(p) = self.position[node].take() {
            if let Some(i) = self.live.iter().position(|&q| q == p) {
                self.live.swap_remove(i);
            }
            self.free.push(p);
        }
    }

    /// The normal of an affine form of live nodes.
    fn normal(&self, form: &Affine) -> Normal {
        let terms: Vec<(usize, f64)> = form
            .terms
            .iter()
            .map(|&(n, a)| (self.position[n].expect("a target node lives"), a))
            .collect();
        let mean = form.constant + terms.iter().map(|&(p, a)| a * self.mean[p]).sum::<f64>();
        // Scale before squaring, so a sd of 1e300 does not overflow to an infinite variance.
        let scale = terms.iter().map(|t| t.1.abs()).fold(0.0, f64::max);
        if scale == 0.0 {
            return Normal { mean, sd: 0.0 };
        }
        let mut variance = 0.0;
        for &(p, a) in &terms {
            for &(q, b) in &terms {
                variance += (a / scale) * (b / scale) * self.cov(p, q);
            }
        }
        Normal {
            mean,
            sd: scale * variance.max(0.0).sqrt(),
        }
    }
}

fn solve_group(
    program: &GroupProgram,
    span: Span,
    check: &dyn Fn() -> Result<(), Diagnostic>,
) -> Result<Vec<Exact>, Diagnostic> {
    let width = program.width.max(1);
    let mut state = State {
        width,
        position: vec![None; program.n_nodes],
        free: Vec::new(),
        next: 0,
        scale: vec![0.0; width],
        live: Vec::with_capacity(width),
        mean: vec![0.0; width],
        covariance: vec![0.0; width * width],
        row: vec![0.0; width],
    };
    // Every value in units of a power of two near the largest noise scale, so that a sd of
    // 1e300 (or 1e-300) squares to a finite, non-zero variance; probabilities do not change
    // and means and sds are scaled back at the end. Shared noises stay standard normal: the
    // coefficients that scale them are divided instead.
    let noise = |node: usize| program.is_noise[node];
    let largest = program
        .ops
        .iter()
        .flat_map(|op| match op {
            Op::Add { node, form, sd, .. } if !noise(*node) => form
                .terms
                .iter()
                .filter(|t| noise(t.0))
                .map(|t| t.1.abs())
                .chain([*sd])
                .collect::<Vec<f64>>(),
            _ => Vec::new(),
        })
        .filter(|x| *x > 0.0 && x.is_finite())
        .fold(0.0f64, f64::max);
    let unit = if largest > 0.0 {
        2f64.powi(largest.log2().round() as i32)
    } else {
        1.0
    };
    let scaled = |form: &Affine| Affine {
        constant: form.constant / unit,
        terms: form
            .terms
            .iter()
            .map(|&(n, a)| (n, if noise(n) { a / unit } else { a }))
            .collect(),
    };
    for (i, op) in program.ops.iter().enumerate() {
        if i % 4096 == 0 {
            check()?;
        }
        match op {
            Op::Add {
                node,
                form,
                sd,
                clamp,
            } => {
                let sd = if noise(*node) { *sd } else { sd / unit };
                let p = state.add(*node, &scaled(form), sd);
                if let Some(x) = clamp {
                    state.condition(p, x / unit, span)?;
                }
            }
            Op::Drop(nodes) => nodes.iter().for_each(|&n| state.drop_node(n)),
        }
    }
    Ok(program
        .targets
        .iter()
        .map(|(kind, target)| match target {
            TargetForm::Affine(form) => {
                let n = state.normal(&scaled(form));
                let n = Normal {
                    mean: n.mean * unit,
                    sd: n.sd * unit,
                };
                match kind {
                    TargetKind::Real => Exact::Distribution(n),
                    _ => Exact::Value(n.mean),
                }
            }
            TargetForm::Inequality { form, op } => {
                let d = state.normal(&scaled(form));
                let below = matches!(op, BinOp::Lt | BinOp::Le);
                Exact::Value(if d.sd == 0.0 {
                    // A constant difference: the inequality simply holds or not.
                    let holds = match op {
                        BinOp::Gt => d.mean > 0.0,
                        BinOp::Ge => d.mean >= 0.0,
                        BinOp::Lt => d.mean < 0.0,
                        _ => d.mean <= 0.0,
                    };
                    f64::from(u8::from(holds))
                } else {
                    let below_zero = crate::scm::dist::std_normal_cdf(-d.mean / d.sd);
                    if below { below_zero } else { 1.0 - below_zero }
                })
            }
        })
        .collect())
}
