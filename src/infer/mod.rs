//! Answering queries: planning, sampling, estimates with standard errors.
//!
//! `answer_query` turns one checked query into a plan (src/query.rs), samples it and reports
//! each estimand with its standard error and effective sample size. Arithmetic over estimands
//! (`query ate = E[..] - E[..]`) samples all its parts on common noise in one pass and
//! propagates the error by the delta method with their covariance.
//!
//! **Invariant:** does no I/O.

mod affine;
pub mod compiled;
pub mod engine;
pub mod estimate;
pub mod exact;
pub mod gaussian;
pub mod plan_code;
pub mod sampling;
pub mod shard;
pub mod smc;

use crate::ast::Span;
use crate::diagnostics::{Code, Diagnostic};
use crate::program::{Conditions, Estimand, Statement};
use crate::query::{self, GroupSpec, TargetKind};
use crate::results::{
    Answer, Body, Distribution, Estimate, MethodUsed, Quantile, ValueProbability,
};
use crate::scm::{BinOp, Model, Type};
use estimate::{Accumulators, TargetAcc};
use sampling::Budget;

/// Samples drawn and planned so far by the running statement, for a progress display.
static PROGRESS: [std::sync::atomic::AtomicU64; 2] = [
    std::sync::atomic::AtomicU64::new(0),
    std::sync::atomic::AtomicU64::new(0),
];

/// (samples drawn, samples planned) by the running statement.
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // Read by the command line's progress bar.
pub fn progress() -> (u64, u64) {
    use std::sync::atomic::Ordering::Relaxed;
    (PROGRESS[0].load(Relaxed), PROGRESS[1].load(Relaxed))
}

/// Zeroes the progress counters before a statement starts.
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // Called by the command line's progress bar.
pub fn reset_progress() {
    PROGRESS[0].store(0, std::sync::atomic::Ordering::Relaxed);
    PROGRESS[1].store(0, std::sync::atomic::Ordering::Relaxed);
}

pub(crate) fn plan_progress(samples: u64) {
    PROGRESS[1].fetch_add(samples, std::sync::atomic::Ordering::Relaxed);
}

pub(crate) fn add_progress(samples: u64) {
    PROGRESS[0].fetch_add(samples, std::sync::atomic::Ordering::Relaxed);
}

/// An error if the call running on this thread was cancelled: for the exact engine's loops,
/// which do not receive the call's token as an argument yet (the samplers read
/// `Budget::cancel`).
pub fn check_cancel() -> Result<(), Diagnostic> {
    crate::cancel::check_current()
}

/// Default number of samples per query (docs/language.md, "Inference").
pub const DEFAULT_SAMPLES: u64 = 100_000;

/// Which inference method to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum MethodChoice {
    /// Exact where possible and cheap, sampling otherwise.
    #[default]
    Auto,
    /// Importance sampling always.
    Is,
    /// Exact inference, or an error saying why not.
    Exact,
    /// Sequential Monte Carlo: tempering, resampling and moves over the noise.
    Smc,
}

/// Inference settings for one statement.
#[derive(Clone, Copy, Debug)]
pub struct Settings<'a> {
    pub samples: u64,
    pub seed: u64,
    pub method: MethodChoice,
    /// The one engine to use, overriding `method` (tests compare engines this way).
    pub forced: Option<engine::Engine>,
    /// Most covariance entries Gaussian algebra may hold (`Config::max_gaussian_entries`).
    pub max_gaussian_entries: usize,
    /// Most entries one exact-inference table may hold (`Config::max_factor_size`).
    pub max_factor_size: usize,
    /// Sequential Monte Carlo's limits (`Config::max_smc_stages`, `max_smc_values`,
    /// `max_smc_evaluations`).
    pub smc: smc::Limits,
    /// The call's cancellation flag, checked between chunks.
    pub cancel: &'a crate::cancel::CancelToken,
    /// Most coalitions an attribution may evaluate (`Config::max_attribution_coalitions`).
    pub max_coalitions: usize,
    /// Most work an attribution may expect (`Config::max_attribution_work`).
    pub max_attribution_work: f64,
    /// Permutations an attribution past 12 players draws, overriding its `set permutations`
    /// (`Options::permutations`, the REPL's setting).
    pub permutations: Option<u64>,
    /// The model's cache of calibrated marginals, shared by its questions (`exact::cache`).
    pub marginals: Option<&'a exact::MarginalCache>,
}

impl<'a> Settings<'a> {
    /// The sampling budget of one problem: these settings' samples, seed and cancellation,
    /// with `stream` telling the problem apart from others under the same seed.
    pub fn budget(&self, stream: u64) -> Budget<'a> {
        Budget {
            samples: self.samples,
            seed: self.seed,
            stream,
            cancel: self.cancel,
        }
    }
}

/// The groups a query's estimand asks for, one per leaf (left to right). `P(*)` is one group
/// whose target number `v` is variable `v`; it needs every variable's mechanism (E014 for a
/// variable known only by its edges).
pub fn specs_of(model: &Model, estimand: &Estimand) -> Result<Vec<GroupSpec>, Diagnostic> {
    if let Estimand::Marginals { span, .. } = estimand
        && let Some(var) = model
            .vars
            .iter()
            .find(|v| matches!(v.kind, crate::scm::VarKind::Nonparametric))
    {
        return Err(Diagnostic::error(
            Code::E014,
            *span,
            format!(
                "`P(*)` needs every variable's mechanism, and `{}` has none (only edges)",
                var.name
            ),
        )
        .with_help("give it a mechanism (`whatif fit` learns one from data), or ask about the variables one by one"));
    }
    Ok(estimand
        .leaves()
        .iter()
        .filter_map(|l| group_of(model, l))
        .collect())
}

/// How a distribution of a variable of type `ty` is accumulated.
fn distribution_kind(ty: Type) -> TargetKind {
    if ty == Type::Real {
        TargetKind::Real
    } else {
        TargetKind::Discrete
    }
}

/// The group a probability, expectation, distribution or `P(*)` leaf samples.
pub fn group_of(model: &Model, leaf: &Estimand) -> Option<GroupSpec> {
    let (conditions, targets): (&Conditions, Vec<(TargetKind, crate::scm::Ex)>) = match leaf {
        Estimand::Probability {
            event, conditions, ..
        } => (conditions, vec![(TargetKind::Scalar, event.clone())]),
        Estimand::Expectation {
            value, conditions, ..
        } => (conditions, vec![(TargetKind::Scalar, value.clone())]),
        Estimand::Distribution {
            target,
            ty,
            conditions,
            ..
        } => (conditions, vec![(distribution_kind(*ty), target.clone())]),
        Estimand::Marginals { conditions, .. } => (
            conditions,
            (0..model.vars.len())
                .map(|v| (distribution_kind(model.vars[v].ty), crate::scm::Ex::Var(v)))
                .collect(),
        ),
        _ => return None,
    };
    Some(GroupSpec {
        conditions: conditions.clone(),
        targets,
    })
}

/// E007 for a group no sample satisfied, naming its evidence.
pub fn impossible(evidence: &[String], samples: u64, span: Span) -> Diagnostic {
    let list = evidence.join(", ");
    Diagnostic::error(
        Code::E007,
        span,
        format!("the evidence `{list}` has probability zero (0 of {samples} samples)"),
    )
    .with_help(
        "check that the evidence can hold together, or ask with more samples if it is merely rare",
    )
}

/// The low-ESS warning, or none.
pub fn ess_warning(ess: f64, samples: u64, evidence: &[String]) -> Option<String> {
    if ess >= 0.01 * samples as f64 || evidence.is_empty() {
        return None;
    }
    Some(format!(
        "low effective sample size: ESS {ess:.0} is {:.2}% of {samples} samples; the evidence `{}` is unlikely under the prior, so this estimate and its standard error are unreliable (raise --samples, or rephrase the evidence)",
        100.0 * ess / samples as f64,
        evidence.join(", ")
    ))
}

/// Answers one query statement with the engine `engine::choose` picks for its plan.
pub fn answer_query(
    model: &Model,
    statement: &Statement,
    name: Option<&str>,
    estimand: &Estimand,
    settings: Settings,
) -> Result<Answer, Diagnostic> {
    let specs = specs_of(model, estimand)?;
    let plan = query::plan(model, &specs, statement.span)?;
    let budget = settings.budget(statement.line as u64);
    let solved = engine::solve(&plan, model, &settings, budget, statement.span)?;
    answer_solved(model, statement, name, estimand, settings, &plan, &solved)
}

/// The answer to a query from its plan's solution, whichever engine gave it.
pub(crate) fn answer_solved(
    model: &Model,
    statement: &Statement,
    name: Option<&str>,
    estimand: &Estimand,
    settings: Settings,
    plan: &query::Plan,
    solved: &engine::Solved,
) -> Result<Answer, Diagnostic> {
    let mut answer = match &solved.solution {
        engine::Solution::Sampled(acc) => {
            answer_sampled(model, statement, name, estimand, settings, plan, acc)?
        }
        engine::Solution::Smc(smc) => {
            let mut answer = answer_smc(model, statement, estimand, plan, smc)?;
            answer.name = name.map(str::to_string);
            answer
        }
        _ => exact_answer(model, statement, name, estimand, plan, solved)?,
    };
    answer.details.method_reason = solved.reason();
    answer.details.engine = Some(solved.engine.id().to_string());
    Ok(answer)
}

/// The answer of an exact engine (variable elimination or Gaussian algebra).
fn exact_answer(
    model: &Model,
    statement: &Statement,
    name: Option<&str>,
    estimand: &Estimand,
    plan: &query::Plan,
    solved: &engine::Solved,
) -> Result<Answer, Diagnostic> {
    let body = exact_body(model, estimand, plan, solved, statement.span)?;
    Ok(Answer {
        query: statement.text.clone(),
        line: statement.line,
        method: solved.engine.method(),
        name: name.map(str::to_string),
        body,
        warnings: Vec::new(),
        details: Default::default(),
        bootstrap: None,
    })
}

/// The body of an exact answer (variable elimination or Gaussian algebra).
fn exact_body(
    model: &Model,
    estimand: &Estimand,
    plan: &query::Plan,
    solved: &engine::Solved,
    span: Span,
) -> Result<Body, Diagnostic> {
    for g in 0..plan.groups.len() {
        if !solved.possible(g) {
            return Err(Diagnostic::error(
                Code::E007,
                span,
                format!(
                    "the evidence `{}` has probability zero (exactly)",
                    plan.groups[g].evidence_text.join(", ")
                ),
            )
            .with_help("the pieces of evidence cannot hold together under the model (or one cannot hold at all); drop or relax one"));
        }
    }
    let exact_estimate = |value: f64| Estimate {
        value,
        stderr: Some(0.0),
        ess: None,
        samples: None,
    };
    Ok(match estimand {
        Estimand::Probability { .. } => Body::Probability(exact_estimate(solved.scalar(0, 0).0)),
        Estimand::Expectation { .. } => Body::Expectation(exact_estimate(solved.scalar(0, 0).0)),
        Estimand::Distribution { ty, target, .. } => {
            Body::Distribution(exact_distribution(model, solved, 0, target, *ty, span)?)
        }
        Estimand::Marginals { .. } => {
            let mut variables = Vec::with_capacity(model.vars.len());
            for (v, var) in model.vars.iter().enumerate() {
                let target = crate::scm::Ex::Var(v);
                let distribution = exact_distribution(model, solved, v, &target, var.ty, span)?;
                variables.push((var.name.clone(), distribution));
            }
            Body::Marginals(crate::results::Marginals { variables })
        }
        _ => {
            let values: Vec<f64> = (0..plan.groups.len())
                .map(|g| solved.scalar(g, 0).0)
                .collect();
            Body::Expectation(exact_estimate(arithmetic(estimand, &values, &mut 0)))
        }
    })
}

/// The distribution of target `k` of an exact solution's first group (`target`, of type `ty`),
/// as answers give it.
fn exact_distribution(
    model: &Model,
    solved: &engine::Solved,
    k: usize,
    target: &crate::scm::Ex,
    ty: Type,
    span: Span,
) -> Result<Distribution, Diagnostic> {
    Ok(match &solved.solution {
        engine::Solution::Finite(sums) => {
            let s = &sums[0];
            let rows = s.table[k]
                .iter()
                .map(|(x, m)| (*x, m / s.mass, 0.0))
                .collect();
            Distribution::Discrete {
                values: domain_rows(model, target, ty, rows, 0.0),
                ess: None,
                samples: None,
            }
        }
        engine::Solution::Gaussian(groups) => match &groups[0][k] {
            gaussian::Exact::Distribution(n) => normal_distribution(*n),
            gaussian::Exact::Value(_) => {
                return Err(Diagnostic::error(
                    Code::E010,
                    span,
                    "this is a bug in whatif: a distribution was answered by a number",
                ));
            }
        },
        engine::Solution::Sampled(_) | engine::Solution::Smc(_) => {
            unreachable!("an exact solution")
        }
    })
}

/// The summary of a normal distribution, in the shape sampled real distributions have.
fn normal_distribution(n: gaussian::Normal) -> Distribution {
    let quantile = |q: f64| n.mean + n.sd * crate::scm::dist::std_normal_quantile(q);
    let quantiles = [0.05, 0.25, 0.5, 0.75, 0.95]
        .iter()
        .map(|&q| Quantile {
            q,
            value: quantile(q),
        })
        .collect();
    let (lo, hi) = (quantile(0.005), quantile(0.995));
    let bins = 16;
    let width = (hi - lo) / bins as f64;
    let cdf = |x: f64| crate::scm::dist::std_normal_cdf((x - n.mean) / n.sd);
    let histogram = if width > 0.0 {
        (0..bins)
            .map(|i| {
                let a = lo + width * i as f64;
                (a, cdf(a + width) - cdf(a))
            })
            .collect()
    } else {
        Vec::new()
    };
    Distribution::Real {
        mean: n.mean,
        mean_stderr: 0.0,
        sd: n.sd,
        quantiles,
        histogram,
        ess: None,
        samples: None,
    }
}

/// Estimand arithmetic over known leaf values, left to right.
fn arithmetic(e: &Estimand, values: &[f64], next: &mut usize) -> f64 {
    match e {
        Estimand::Number(x) => *x,
        Estimand::Neg(inner) => -arithmetic(inner, values, next),
        Estimand::Binary(op, a, b) => {
            let (x, y) = (arithmetic(a, values, next), arithmetic(b, values, next));
            match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                _ => x / y,
            }
        }
        _ => {
            *next += 1;
            values[*next - 1]
        }
    }
}

/// A sampled answer from the plan's merged accumulators.
fn answer_sampled(
    model: &Model,
    statement: &Statement,
    name: Option<&str>,
    estimand: &Estimand,
    settings: Settings,
    plan: &query::Plan,
    acc: &Accumulators,
) -> Result<Answer, Diagnostic> {
    for (g, group) in acc.groups.iter().enumerate() {
        if group.n_nonzero == 0 || group.sw <= 0.0 {
            return Err(impossible(
                &plan.groups[g].evidence_text,
                settings.samples,
                statement.span,
            ));
        }
    }
    let mut warnings = Vec::new();
    for (g, group) in acc.groups.iter().enumerate() {
        if let Some(w) = ess_warning(group.ess(), settings.samples, &plan.groups[g].evidence_text) {
            warnings.push(w);
        }
    }
    let body = match estimand {
        Estimand::Probability { .. } => {
            let (value, stderr) = acc.groups[0].scalar(0);
            let ess = acc.groups[0].ess();
            warnings.extend(rare_warning(&[(None, value * ess)]));
            Body::Probability(Estimate {
                value,
                stderr: Some(estimate::probability_stderr(value, stderr, ess)),
                ess: Some(ess),
                samples: Some(settings.samples),
            })
        }
        Estimand::Expectation { .. } => {
            let (value, stderr) = acc.groups[0].scalar(0);
            let ess = acc.groups[0].ess();
            Body::Expectation(Estimate {
                value,
                stderr: error_estimate(stderr, ess, &mut warnings),
                ess: Some(ess),
                samples: Some(settings.samples),
            })
        }
        Estimand::Distribution { ty, target, .. } => {
            if let TargetAcc::Discrete(rows) = &acc.groups[0].targets[0] {
                let hits: Vec<(Option<String>, f64)> = rows
                    .iter()
                    .filter(|(_, _, sw2)| *sw2 > 0.0)
                    .map(|(v, sw, sw2)| {
                        let shown = model.format_value(*ty, *v);
                        (Some(shown), sw * sw / sw2)
                    })
                    .collect();
                warnings.extend(rare_warning(&hits));
            }
            Body::Distribution(distribution(
                model,
                target,
                *ty,
                &acc.groups[0],
                0,
                settings.samples,
            ))
        }
        Estimand::Marginals { .. } => {
            let group = &acc.groups[0];
            let mut hits: Vec<(Option<String>, f64)> = Vec::new();
            let mut variables = Vec::with_capacity(model.vars.len());
            for (v, var) in model.vars.iter().enumerate() {
                if let TargetAcc::Discrete(rows) = &group.targets[v] {
                    hits.extend(rows.iter().filter(|(_, _, sw2)| *sw2 > 0.0).map(
                        |(x, sw, sw2)| {
                            let shown =
                                format!("{} = {}", var.name, model.format_value(var.ty, *x));
                            (Some(shown), sw * sw / sw2)
                        },
                    ));
                }
                let target = crate::scm::Ex::Var(v);
                variables.push((
                    var.name.clone(),
                    distribution(model, &target, var.ty, group, v, settings.samples),
                ));
            }
            warnings.extend(rare_warning(&hits));
            Body::Marginals(crate::results::Marginals { variables })
        }
        _ => {
            let (value, gradient) = combine(
                estimand,
                acc.groups.len(),
                &|g| acc.groups[g].scalar(0).0,
                &mut 0,
            );
            let mut variance = 0.0;
            for a in 0..gradient.len() {
                for b in 0..gradient.len() {
                    variance += gradient[a] * gradient[b] * acc.covariance(a, b);
                }
            }
            let ess = acc
                .groups
                .iter()
                .map(|g| g.ess())
                .fold(f64::INFINITY, f64::min);
            let ess = if ess.is_finite() { ess } else { 0.0 };
            let e = Estimate {
                value,
                stderr: error_estimate(estimate::nonnegative(variance).sqrt(), ess, &mut warnings),
                ess: Some(ess),
                samples: Some(settings.samples),
            };
            Body::Expectation(e)
        }
    };
    finite_estimate(&body, statement.span)?;
    Ok(Answer {
        query: statement.text.clone(),
        line: statement.line,
        method: MethodUsed::Is,
        name: name.map(str::to_string),
        body,
        warnings,
        details: Default::default(),
        bootstrap: None,
    })
}

/// An answer from sequential Monte Carlo: the replicates' estimates and standard errors, the
/// summed ESS, and (for one group) the log evidence.
fn answer_smc(
    model: &Model,
    statement: &Statement,
    estimand: &Estimand,
    plan: &query::Plan,
    smc: &smc::Answer,
) -> Result<Answer, Diagnostic> {
    let samples = smc.particles;
    let mut warnings = Vec::new();
    for (g, group) in smc.groups.iter().enumerate() {
        let evidence = &plan.groups[g].evidence_text;
        if group.ess >= 0.01 * samples as f64 || evidence.is_empty() {
            if group.min_acceptance < 0.01 {
                warnings.push(format!(
                    "sequential Monte Carlo's moves accepted {:.2}% of proposals in one stage: the particles barely moved there, so this answer may miss part of the posterior",
                    100.0 * group.min_acceptance
                ));
            }
        } else if group.min_acceptance < 0.01 {
            warnings.push(format!(
                "sequential Monte Carlo's particles collapsed: ESS {:.0} of {samples} particles ({} distinct states; the moves accepted {:.2}% of proposals in the worst stage): the evidence `{}` confines the noise to regions the moves cannot travel between, so this estimate rests on few states and its standard error is unreliable (for a finite model try --method exact)",
                group.ess,
                group.distinct,
                100.0 * group.min_acceptance,
                evidence.join(", ")
            ));
        } else {
            warnings.push(format!(
                "low effective sample size: ESS {:.0} is {:.2}% of {samples} particles: sequential Monte Carlo's moves left the particles strongly correlated, so this standard error is unreliable (raise --samples)",
                group.ess,
                100.0 * group.ess / samples as f64
            ));
        }
    }
    for group in &smc.groups {
        if group.min_travel < smc::MIN_TRAVEL {
            warnings.push(format!(
                "sequential Monte Carlo's moves did not mix: in one stage the particles travelled {:.2} posterior sds per coordinate (they aim at {:.1}), so the particles may still remember an earlier stage and this answer may be biased beyond its standard error",
                group.min_travel.sqrt(),
                smc::TRAVEL.sqrt()
            ));
        }
    }
    let scalar = |g: usize| match &smc.groups[g].targets[0] {
        smc::TargetAnswer::Scalar { value, stderr } => (*value, *stderr),
        smc::TargetAnswer::Real { mean, stderr, .. } => (*mean, *stderr),
        smc::TargetAnswer::Discrete(_) => (f64::NAN, f64::NAN),
    };
    let ess = smc
        .groups
        .iter()
        .map(|g| g.ess)
        .fold(f64::INFINITY, f64::min);
    let body = match estimand {
        Estimand::Probability { .. } => {
            let (value, stderr) = scalar(0);
            warnings.extend(rare_warning(&[(None, value * ess)]));
            let count = smc_floor_count(value, ess, smc.groups[0].equivalent_draws);
            Body::Probability(Estimate {
                value,
                stderr: Some(estimate::probability_stderr(value, stderr, count)),
                ess: Some(ess),
                samples: Some(samples),
            })
        }
        Estimand::Expectation { .. } => {
            let (value, stderr) = scalar(0);
            Body::Expectation(Estimate {
                value,
                stderr: error_estimate(stderr, ess, &mut warnings),
                ess: Some(ess),
                samples: Some(samples),
            })
        }
        Estimand::Distribution { ty, target, .. } => {
            let answer = &smc.groups[0].targets[0];
            warnings.extend(rare_warning(&smc_hits(answer, ess, &|v| {
                model.format_value(*ty, v)
            })));
            Body::Distribution(smc_distribution(model, target, *ty, answer, ess, samples))
        }
        Estimand::Marginals { .. } => {
            let mut hits = Vec::new();
            let variables = model
                .vars
                .iter()
                .enumerate()
                .map(|(v, var)| {
                    let target = crate::scm::Ex::Var(v);
                    let answer = &smc.groups[0].targets[v];
                    hits.extend(smc_hits(answer, ess, &|x| {
                        format!("{} = {}", var.name, model.format_value(var.ty, x))
                    }));
                    let d = smc_distribution(model, &target, var.ty, answer, ess, samples);
                    (var.name.clone(), d)
                })
                .collect();
            warnings.extend(rare_warning(&hits));
            Body::Marginals(crate::results::Marginals { variables })
        }
        _ => {
            let n = smc.groups.len();
            let (value, gradient) = combine(estimand, n, &|g| scalar(g).0, &mut 0);
            // Groups are independent runs: the delta method without covariances.
            let variance: f64 = (0..n).map(|g| (gradient[g] * scalar(g).1).powi(2)).sum();
            Body::Expectation(Estimate {
                value,
                stderr: error_estimate(estimate::nonnegative(variance).sqrt(), ess, &mut warnings),
                ess: Some(ess),
                samples: Some(samples),
            })
        }
    };
    finite_estimate(&body, statement.span)?;
    let mut details = crate::results::Details::default();
    if let [group] = smc.groups.as_slice()
        && !plan.groups[0].evidence_text.is_empty()
    {
        details.log_evidence = Some(group.log_evidence.0);
        details.log_evidence_stderr = Some(group.log_evidence.1);
        details.stages = Some(group.stages);
    }
    Ok(Answer {
        query: statement.text.clone(),
        line: statement.line,
        method: MethodUsed::Smc,
        name: None,
        body,
        warnings,
        details,
        bootstrap: None,
    })
}

/// The count a probability's score-interval floor uses under SMC: the ESS, or the draws the
/// estimate is as precise as (`equivalent_draws`: more than the ESS when Gibbs moves' sums
/// took out noise) — but the latter only for a probability that is not rare (at
/// least [`RARE_HITS`] effective hits on both sides): a rare value's sum may rest on regions
/// of the noise the chains never visited, which their spread cannot show. (On
/// `k ~ Binomial(4, sigmoid(x))` behind `y = 4.5`, the chains summed `P(k = 1)` to
/// 2.7e-8 ± 1.6e-8 against a truth of 4.0e-6: the probability sits in `x`'s far tail.)
fn smc_floor_count(p: f64, ess: f64, equivalent_draws: f64) -> f64 {
    if p.min(1.0 - p) * ess >= RARE_HITS {
        ess.max(equivalent_draws)
    } else {
        ess
    }
}

/// `(value shown, effective hits)` per value of a discrete SMC target, for [`rare_warning`]:
/// a value of probability `p` among particles worth `ess` independent draws rests on `p · ess`
/// of them (after resampling the particles are equally weighted, and `p · ESS` is then the
/// number of particles showing the value, capped as the ESS is).
fn smc_hits(
    answer: &smc::TargetAnswer,
    ess: f64,
    shown: &dyn Fn(f64) -> String,
) -> Vec<(Option<String>, f64)> {
    match answer {
        smc::TargetAnswer::Discrete(rows) => rows
            .iter()
            .map(|row| (Some(shown(row.value)), row.p * ess))
            .collect(),
        _ => Vec::new(),
    }
}

/// The distribution of `target` (of type `ty`) from sequential Monte Carlo's answer for it.
fn smc_distribution(
    model: &Model,
    target: &crate::scm::Ex,
    ty: Type,
    answer: &smc::TargetAnswer,
    ess: f64,
    samples: u64,
) -> Distribution {
    match answer {
        smc::TargetAnswer::Discrete(rows) => Distribution::Discrete {
            values: domain_rows(
                model,
                target,
                ty,
                rows.iter()
                    .map(|row| {
                        let count = smc_floor_count(row.p, ess, row.equivalent_draws);
                        let stderr = estimate::probability_stderr(row.p, row.stderr, count);
                        (row.value, row.p, stderr)
                    })
                    .collect(),
                estimate::score_stderr(0.0, ess),
            ),
            ess: Some(ess),
            samples: Some(samples),
        },
        smc::TargetAnswer::Real {
            mean,
            stderr,
            sd,
            histogram,
        } => {
            let (quantiles, histogram) = histogram_summary(histogram);
            Distribution::Real {
                mean: *mean,
                mean_stderr: *stderr,
                sd: *sd,
                quantiles,
                histogram,
                ess: Some(ess),
                samples: Some(samples),
            }
        }
        smc::TargetAnswer::Scalar { .. } => Distribution::Discrete {
            values: Vec::new(),
            ess: Some(ess),
            samples: Some(samples),
        },
    }
}

/// Fewer effective samples than this behind a sampled probability earn it a warning.
const RARE_HITS: f64 = 10.0;

/// The warning for sampled probabilities that rest on fewer than [`RARE_HITS`] effective
/// samples — `(value shown, effective hits)` per probability (`None` for an event's; likelihood
/// weighting counts the hits' own Kish ESS, sequential Monte Carlo the probability times its
/// ESS): their
/// standard errors come from too few samples to be trusted. A probability of exactly 0 (never
/// sampled) is not one of them: its score-interval standard error already says how little is
/// known.
fn rare_warning(hits: &[(Option<String>, f64)]) -> Option<String> {
    let rare: Vec<&(Option<String>, f64)> = hits
        .iter()
        .filter(|(_, h)| *h > 0.0 && *h < RARE_HITS)
        .collect();
    let first = rare.first()?;
    let what = match &first.0 {
        None => format!("this probability rests on {:.1} effective samples", first.1),
        Some(_) => {
            let listed: Vec<String> = rare
                .iter()
                .take(5)
                .map(|(v, h)| format!("{} ({h:.1})", v.as_deref().unwrap_or("")))
                .collect();
            let more = if rare.len() > 5 {
                format!(" and {} more", rare.len() - 5)
            } else {
                String::new()
            };
            format!(
                "the probabilities of {}{more} rest on fewer than {RARE_HITS} effective samples each",
                listed.join(", ")
            )
        }
    };
    Some(format!(
        "rare outcome: {what}, so the estimate and its standard error are unreliable (use --method exact where the model is finite, or raise --samples)"
    ))
}

/// A sampled expectation's standard error, or none (with a warning saying so) where fewer than
/// two effective samples leave nothing to estimate it from (LANGUAGE.md section 9) or the
/// samples' spread overflows.
fn error_estimate(stderr: f64, ess: f64, warnings: &mut Vec<String>) -> Option<f64> {
    if !stderr.is_finite() {
        warnings.push("the samples' spread overflows a 64-bit float: this estimate has no error estimate (rescale the model)".to_string());
        return None;
    }
    if ess >= 2.0 {
        return Some(stderr);
    }
    warnings.push(format!(
        "ESS {ess:.1} is below 2: this estimate has no error estimate (raise --samples)"
    ));
    None
}

/// The values a distribution of `target` lists before any is seen ([`crate::scm::Var::listed_values`]).
fn declared_values(model: &Model, target: &crate::scm::Ex) -> Vec<f64> {
    match target {
        crate::scm::Ex::Var(v) | crate::scm::Ex::Counterfactual(v, _) => {
            model.vars[*v].listed_values().to_vec()
        }
        _ => Vec::new(),
    }
}

/// A discrete distribution's rows `(value, p, stderr)` over the target's whole domain in
/// declared order, zero-probability values included (LANGUAGE.md section 6); a value never
/// seen gets `unseen_stderr`. Values outside the domain (a shifted variable) keep their place
/// among numbers, or follow the labels.
fn domain_rows(
    model: &Model,
    target: &crate::scm::Ex,
    ty: Type,
    seen: Vec<(f64, f64, f64)>,
    unseen_stderr: f64,
) -> Vec<ValueProbability> {
    let mut order = declared_values(model, target);
    let known: std::collections::HashSet<u64> = order.iter().map(|x| x.to_bits()).collect();
    let mut extra: Vec<f64> = seen
        .iter()
        .map(|r| r.0)
        .filter(|x| !known.contains(&x.to_bits()))
        .collect();
    extra.sort_by(f64::total_cmp);
    order.extend(extra);
    if ty != Type::Label {
        order.sort_by(f64::total_cmp);
    }
    let by_value: std::collections::HashMap<u64, (f64, f64)> =
        seen.iter().map(|r| (r.0.to_bits(), (r.1, r.2))).collect();
    order
        .iter()
        .map(|x| {
            let (p, stderr) = by_value
                .get(&x.to_bits())
                .copied()
                .unwrap_or((0.0, unseen_stderr));
            ValueProbability {
                value: model.result_value(ty, *x),
                p,
                stderr,
            }
        })
        .collect()
}

/// Value and gradient (over the `n` leaves, left to right, leaf `i` worth `leaf(i)`) of
/// estimand arithmetic.
fn combine(
    e: &Estimand,
    n: usize,
    leaf: &dyn Fn(usize) -> f64,
    next: &mut usize,
) -> (f64, Vec<f64>) {
    match e {
        Estimand::Number(x) => (*x, vec![0.0; n]),
        Estimand::Neg(inner) => {
            let (v, g) = combine(inner, n, leaf, next);
            (-v, g.iter().map(|x| -x).collect())
        }
        Estimand::Binary(op, a, b) => {
            let (va, ga) = combine(a, n, leaf, next);
            let (vb, gb) = combine(b, n, leaf, next);
            let (value, da, db) = match op {
                BinOp::Add => (va + vb, 1.0, 1.0),
                BinOp::Sub => (va - vb, 1.0, -1.0),
                BinOp::Mul => (va * vb, vb, va),
                _ => (va / vb, 1.0 / vb, -va / (vb * vb)),
            };
            (
                value,
                ga.iter().zip(&gb).map(|(x, y)| da * x + db * y).collect(),
            )
        }
        _ => {
            let i = *next;
            *next += 1;
            let mut g = vec![0.0; n];
            g[i] = 1.0;
            (leaf(i), g)
        }
    }
}

/// A real distribution's quantiles and its 16-bin histogram over the central 99%, read off
/// the fine histogram `h`.
fn histogram_summary(h: &estimate::Histogram) -> (Vec<Quantile>, Vec<(f64, f64)>) {
    let quantiles = [0.05, 0.25, 0.5, 0.75, 0.95]
        .iter()
        .map(|&q| Quantile {
            q,
            value: h.quantile(q),
        })
        .collect();
    let (lo, hi) = (h.quantile(0.005), h.quantile(0.995));
    let bins = 16;
    let width = (hi - lo) / bins as f64;
    let mut histogram = Vec::new();
    if width > 0.0 {
        let total: f64 = h.bins.iter().sum::<f64>() + h.below + h.above;
        let bin_width = (h.hi - h.lo) / h.bins.len() as f64;
        let mut counts = vec![0.0; bins];
        for (i, b) in h.bins.iter().enumerate() {
            let x = h.lo + bin_width * (i as f64 + 0.5);
            if x >= lo && x < hi {
                counts[(((x - lo) / width) as usize).min(bins - 1)] += b;
            }
        }
        histogram = counts
            .iter()
            .enumerate()
            .map(|(i, c)| (lo + width * i as f64, c / total))
            .collect();
    }
    (quantiles, histogram)
}

/// The sampled distribution of target `t` of `group`, a distribution of `target` (of type
/// `ty`).
fn distribution(
    model: &Model,
    target: &crate::scm::Ex,
    ty: Type,
    group: &estimate::GroupAcc,
    t: usize,
    samples: u64,
) -> Distribution {
    let ess = group.ess();
    match &group.targets[t] {
        TargetAcc::Discrete(rows) => {
            let rows = rows
                .iter()
                .map(|(v, sw, sw2)| {
                    let p = sw / group.sw;
                    let var = ((1.0 - 2.0 * p) * sw2 + p * p * group.sw2) / (group.sw * group.sw);
                    let stderr =
                        estimate::probability_stderr(p, estimate::nonnegative(var).sqrt(), ess);
                    (*v, p, stderr)
                })
                .collect();
            Distribution::Discrete {
                values: domain_rows(model, target, ty, rows, estimate::score_stderr(0.0, ess)),
                ess: Some(ess),
                samples: Some(samples),
            }
        }
        TargetAcc::Real(m, h) => {
            let (mean, mean_stderr, sd) = m.summary(group.sw, group.sw2);
            let (quantiles, histogram) = histogram_summary(h);
            Distribution::Real {
                mean,
                mean_stderr,
                sd,
                quantiles,
                histogram,
                ess: Some(ess),
                samples: Some(samples),
            }
        }
        TargetAcc::Scalar(_) => Distribution::Discrete {
            values: Vec::new(),
            ess: Some(ess),
            samples: Some(samples),
        },
    }
}

/// E006 where a sampled probability or expectation is not a finite number (likelihood
/// weighting and SMC answer alike).
fn finite_estimate(body: &Body, span: crate::ast::Span) -> Result<(), Diagnostic> {
    match body {
        Body::Probability(e) | Body::Expectation(e) if !e.value.is_finite() => Err(
            Diagnostic::error(Code::E006, span, format!("the estimate is {}", e.value))
                .with_help("a division by an estimate near zero, or a value that overflows"),
        ),
        _ => Ok(()),
    }
}
