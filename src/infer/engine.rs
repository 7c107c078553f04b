//! The one engine choice: which engine answers a plan, and why the others do not.
//!
//! Five engines answer plans: two exact ones (variable elimination over finite domains, Gaussian
//! algebra for linear-Gaussian models) and three importance samplers (the compiled table
//! sampler, the compiled linear sampler, and the general interpreter, which answers every
//! plan). Queries, decisions and the bandit oracle all go through [`solve`]:
//!
//! 1. each engine *assesses* the plan — `Ok(Cost)` or `Err(Unsupported { reason })`, a typed
//!    reason — without running it ([`assess`]);
//! 2. [`choose`], a pure function of those verdicts and the options, picks the engine: only
//!    the engines the method allows (`--method exact` the exact ones, `--method is` the
//!    samplers, or the one a test forces); exact before sampling, the cheapest acceptable one
//!    of each kind; under `auto` an exact engine is acceptable when its work is no more than
//!    sampling's (or small anyway);
//! 3. the chosen engine runs. An engine that finds out only while running that it cannot
//!    answer (variable elimination, whose table sizes are known only as it eliminates)
//!    declines with a reason too; its verdict is replaced and the choice is made again.
//!
//! This module is the only place that falls back from one engine to another. Every answer
//! says which engine answered ([`Solved::engine`]) and why the preferred ones did not
//! ([`Solved::declined`]). A new engine is one more [`Engine`] variant, one arm in [`assess`]
//! and one in [`run`]; the callers do not change.
//!
//! **Invariant:** does no I/O.

use super::compiled::Compiled;
use super::estimate::Accumulators;
use super::sampling::{self, Budget};
use super::{MethodChoice, Settings, exact, gaussian};
use crate::ast::Span;
use crate::diagnostics::{Code, Diagnostic};
use crate::query::Plan;
use crate::scm::{Model, VarId};

/// An engine that answers plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// Variable elimination over finite domains (exact; twin networks for counterfactuals).
    VariableElimination,
    /// Gaussian algebra for linear-Gaussian models (exact).
    Gaussian,
    /// Likelihood weighting over conditional tables (finite domains, one group).
    TableSampler,
    /// Likelihood weighting over linear-Gaussian rows (one group).
    LinearSampler,
    /// The general likelihood-weighting interpreter: answers every plan.
    Interpreter,
}

impl Engine {
    /// Every engine, in order of preference among equals.
    pub const ALL: [Engine; 5] = [
        Engine::VariableElimination,
        Engine::Gaussian,
        Engine::LinearSampler,
        Engine::TableSampler,
        Engine::Interpreter,
    ];

    /// Whether the engine's answers are exact (standard error 0).
    pub fn is_exact(self) -> bool {
        matches!(self, Engine::VariableElimination | Engine::Gaussian)
    }

    /// The method an answer from this engine reports.
    pub fn method(self) -> crate::results::MethodUsed {
        if self.is_exact() {
            crate::results::MethodUsed::Exact
        } else {
            crate::results::MethodUsed::Is
        }
    }

    /// The engine's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Engine::VariableElimination => "variable elimination",
            Engine::Gaussian => "Gaussian algebra",
            Engine::TableSampler => "the table sampler",
            Engine::LinearSampler => "the linear sampler",
            Engine::Interpreter => "the sampling interpreter",
        }
    }
}

/// What an engine expects a plan to cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cost {
    /// Not known before running (the engine enforces its own limits and declines if needed).
    Unknown,
    /// Roughly this many multiply-adds (or sample-steps, weighted by the sampler's speed).
    Work(f64),
}

impl Cost {
    /// The cost for ranking: an unknown cost ranks as free (the engine bounds itself).
    fn rank(self) -> f64 {
        match self {
            Cost::Unknown => 0.0,
            Cost::Work(w) => w,
        }
    }
}

/// Why an engine cannot (or may not) answer a plan.
#[derive(Clone, Debug)]
pub enum Reason {
    /// A needed variable's mechanism is not linear-Gaussian (`real`: whether the variable is
    /// real at all; if not, the finite engine's reason says more).
    NotLinearGaussian { var: VarId, real: bool },
    /// The question (its targets or evidence) is outside what the engine answers.
    Question(&'static str),
    /// The plan's shape is outside what the engine takes (several groups, for instance).
    Shape(&'static str),
    /// Running would take more than a limit allows: `what` measures `size`, over `limit`.
    TooBig {
        what: &'static str,
        size: f64,
        limit: f64,
    },
    /// The engine's own explanation, as its E010 diagnostic.
    Engine(Diagnostic),
}

/// An engine declining a plan, with its reason.
#[derive(Clone, Debug)]
pub struct Unsupported {
    pub engine: Engine,
    pub reason: Reason,
}

impl Unsupported {
    /// The E010 diagnostic that explains this to the user.
    pub fn diagnostic(&self, model: &Model, span: Span) -> Diagnostic {
        let (span, message) = match &self.reason {
            Reason::Engine(d) => return d.clone(),
            Reason::NotLinearGaussian { var, real } => {
                let v = &model.vars[*var];
                let why = if *real {
                    "is real but not linear-Gaussian (a Normal whose mean is affine in its parents and whose sd is constant, or an affine function of them)"
                } else {
                    "is not real"
                };
                (
                    v.span,
                    format!(
                        "`--method exact` needs finite domains or a linear-Gaussian model; `{}` {why}",
                        v.name
                    ),
                )
            }
            Reason::Question(why) | Reason::Shape(why) => (span, why.to_string()),
            Reason::TooBig { what, size, limit } => (
                span,
                format!(
                    "{} would need {what} of {size:.3e}, more than the limit of {limit:.3e}",
                    self.engine.name()
                ),
            ),
        };
        Diagnostic::error(Code::E010, span, message)
            .with_help("use `--method is` (importance sampling), which answers every query")
    }
}

/// The engine that answers, and why the ones preferred over it do not.
#[derive(Clone, Debug)]
pub struct Choice {
    pub engine: Engine,
    pub declined: Vec<Unsupported>,
}

/// Below this much work an exact engine always beats sampling under `auto`.
pub const AUTO_EXACT_WORK: f64 = 1e8;

/// The engine choice: a pure function of the options and each engine's verdict on the plan.
///
/// Only the engines `method` allows take part (all of them for `Auto`, the exact ones for
/// `Exact`, the samplers for `Is`; only `forced` when a test forces one). An exact engine
/// that can answer wins over every sampler; under `Auto` only while its work is at most
/// [`AUTO_EXACT_WORK`] or the cheapest sampler's. Among acceptable engines of one kind the
/// cheapest wins, ties going to the earlier in [`Engine::ALL`]. `Err` carries every reason
/// when no engine may answer.
pub fn choose(
    method: MethodChoice,
    forced: Option<Engine>,
    verdicts: &[(Engine, Result<Cost, Unsupported>)],
) -> Result<Choice, Vec<Unsupported>> {
    let allowed = |e: Engine| match (forced, method) {
        (Some(f), _) => e == f,
        (None, MethodChoice::Auto) => true,
        (None, MethodChoice::Is) => !e.is_exact(),
        (None, MethodChoice::Exact) => e.is_exact(),
    };
    let mut declined = Vec::new();
    let mut candidates: Vec<(Engine, Cost)> = Vec::new();
    for e in Engine::ALL {
        let Some((_, verdict)) = verdicts.iter().find(|(v, _)| *v == e) else {
            continue;
        };
        if !allowed(e) {
            continue;
        }
        match verdict {
            Ok(cost) => candidates.push((e, *cost)),
            Err(u) => declined.push(u.clone()),
        }
    }
    let sampling_work = candidates
        .iter()
        .filter(|(e, _)| !e.is_exact())
        .map(|(_, c)| c.rank())
        .fold(f64::INFINITY, f64::min);
    let exact_limit = AUTO_EXACT_WORK.max(sampling_work);
    let mut acceptable = Vec::new();
    for (e, cost) in candidates {
        match cost {
            Cost::Work(w)
                if e.is_exact()
                    && forced.is_none()
                    && method == MethodChoice::Auto
                    && w > exact_limit =>
            {
                declined.push(Unsupported {
                    engine: e,
                    reason: Reason::TooBig {
                        what: "work",
                        size: w,
                        limit: exact_limit,
                    },
                });
            }
            _ => acceptable.push((e, cost)),
        }
    }
    let cheapest = |exact: bool| {
        acceptable
            .iter()
            .filter(|(e, _)| e.is_exact() == exact)
            .min_by(|a, b| a.1.rank().total_cmp(&b.1.rank()))
            .map(|(e, _)| *e)
    };
    match cheapest(true).or_else(|| cheapest(false)) {
        Some(engine) => Ok(Choice { engine, declined }),
        None => Err(declined),
    }
}

/// What an engine prepared while assessing, kept for running.
enum Prepared {
    Nothing,
    Gaussian(gaussian::Prepared),
    Linear(Compiled),
}

/// Each engine's verdict on the plan, with what it prepared.
fn assess(
    plan: &Plan,
    model: &Model,
    settings: &Settings,
    budget: &Budget,
    span: Span,
) -> Vec<(Engine, Result<(Cost, Prepared), Unsupported>)> {
    let samples = budget.samples as f64;
    let steps = plan
        .steps
        .iter()
        .map(|s| s.comps.len())
        .sum::<usize>()
        .max(1) as f64;
    let one_group = |engine: Engine| {
        if plan.groups.len() == 1 {
            Ok(())
        } else {
            Err(Unsupported {
                engine,
                reason: Reason::Shape("the compiled samplers take one group"),
            })
        }
    };
    Engine::ALL
        .iter()
        .map(|&engine| {
            let verdict = match engine {
                // The exact cost of its elimination order (`exact::estimate`); an error that
                // is not E010 belongs to the question and shows when it runs.
                Engine::VariableElimination => {
                    match exact::estimate(plan, model, settings.max_factor_size as u64, span) {
                        Ok(cost) => Ok((Cost::Work(cost.work), Prepared::Nothing)),
                        Err(d) if d.code == Some(Code::E010) => Err(Unsupported {
                            engine,
                            reason: Reason::Engine(d),
                        }),
                        Err(_) => Ok((Cost::Unknown, Prepared::Nothing)),
                    }
                }
                Engine::Gaussian => gaussian::prepare(plan, model).and_then(|p| {
                    let entries = (p.width as f64) * (p.width as f64);
                    let limit = settings.max_gaussian_entries as f64;
                    if entries > limit {
                        Err(Unsupported {
                            engine,
                            reason: Reason::TooBig {
                                what: "a covariance matrix with a number of entries",
                                size: entries,
                                limit,
                            },
                        })
                    } else {
                        Ok((Cost::Work(p.work), Prepared::Gaussian(p)))
                    }
                }),
                Engine::LinearSampler => one_group(engine).and_then(|()| {
                    Compiled::linear(plan)
                        .map(|c| (Cost::Work(samples * steps), Prepared::Linear(c)))
                        .ok_or(Unsupported {
                            engine,
                            reason: Reason::Shape(
                                "the linear sampler takes linear-Gaussian plans of one world",
                            ),
                        })
                }),
                // Its tables are built when it runs (it may decline then).
                Engine::TableSampler => one_group(engine)
                    .map(|()| (Cost::Work(2.0 * samples * steps), Prepared::Nothing)),
                Engine::Interpreter => Ok((Cost::Work(10.0 * samples * steps), Prepared::Nothing)),
            };
            (engine, verdict)
        })
        .collect()
}

/// A plan's answer, as the engine that answered gives it.
pub enum Solution {
    /// Variable elimination: per group, the evidence mass and the target sums.
    Finite(Vec<exact::Sums>),
    /// Gaussian algebra: per group, per target.
    Gaussian(Vec<Vec<gaussian::Exact>>),
    /// A sampler: merged accumulators.
    Sampled(Accumulators),
}

/// A solved plan: the solution, the engine that answered, and why preferred engines did not.
pub struct Solved {
    pub solution: Solution,
    pub engine: Engine,
    /// Why each engine preferred over `engine` did not answer (for output; the answer types'
    /// split of "chosen" and "answering" method is where this will be shown).
    #[allow(dead_code)]
    pub declined: Vec<Unsupported>,
}

impl Solved {
    /// Whether group `g`'s evidence is possible (some sample met it, or its mass is positive).
    pub fn possible(&self, g: usize) -> bool {
        match &self.solution {
            Solution::Finite(sums) => sums[g].mass > 0.0,
            Solution::Gaussian(_) => true,
            Solution::Sampled(acc) => acc.groups[g].n_nonzero > 0 && acc.groups[g].sw > 0.0,
        }
    }

    /// (value, standard error) of scalar target `t` of group `g` (a distribution's mean for
    /// a Gaussian distribution target).
    pub fn scalar(&self, g: usize, t: usize) -> (f64, f64) {
        match &self.solution {
            Solution::Finite(sums) => (sums[g].scalar[t] / sums[g].mass, 0.0),
            Solution::Gaussian(groups) => match &groups[g][t] {
                gaussian::Exact::Value(v) => (*v, 0.0),
                gaussian::Exact::Distribution(n) => (n.mean, 0.0),
            },
            Solution::Sampled(acc) => acc.groups[g].scalar(t),
        }
    }

    /// Covariance of the first targets of groups `a` and `b` (0 when exact).
    pub fn covariance(&self, a: usize, b: usize) -> f64 {
        match &self.solution {
            Solution::Sampled(acc) => acc.covariance(a, b),
            _ => 0.0,
        }
    }

    /// Group `g`'s effective sample size, when sampled.
    pub fn ess(&self, g: usize) -> Option<f64> {
        match &self.solution {
            Solution::Sampled(acc) => Some(acc.groups[g].ess()),
            _ => None,
        }
    }

    /// Whether the answer is exact.
    pub fn is_exact(&self) -> bool {
        self.engine.is_exact()
    }
}

/// Answers a plan with the engine [`choose`] picks; `budget` is what a sampler would draw.
pub fn solve(
    plan: &Plan,
    model: &Model,
    settings: &Settings,
    budget: Budget,
    span: Span,
) -> Result<Solved, Diagnostic> {
    let mut assessed = assess(plan, model, settings, &budget, span);
    loop {
        let verdicts: Vec<(Engine, Result<Cost, Unsupported>)> = assessed
            .iter()
            .map(|(e, v)| (*e, v.as_ref().map(|(c, _)| *c).map_err(Clone::clone)))
            .collect();
        let choice = match choose(settings.method, settings.forced, &verdicts) {
            Ok(choice) => choice,
            Err(declined) => return Err(no_engine(&declined, model, span)),
        };
        let index = assessed
            .iter()
            .position(|(e, _)| *e == choice.engine)
            .expect("the chosen engine was assessed");
        let prepared = match &assessed[index].1 {
            Ok((_, p)) => p,
            Err(_) => unreachable!("the choice takes only engines that accepted"),
        };
        match run(choice.engine, prepared, plan, model, settings, budget, span)? {
            Ok(solution) => {
                return Ok(Solved {
                    solution,
                    engine: choice.engine,
                    declined: choice.declined,
                });
            }
            Err(unsupported) => assessed[index].1 = Err(unsupported),
        }
    }
}

/// The E010 for a plan no allowed engine answers: the most telling reason. For `--method
/// exact` on a model with a non-real variable that blocks Gaussian algebra, variable
/// elimination's reason (which names the real variable) says more than Gaussian algebra's.
fn no_engine(declined: &[Unsupported], model: &Model, span: Span) -> Diagnostic {
    let gaussian_says_less = |u: &Unsupported| {
        u.engine == Engine::Gaussian
            && matches!(u.reason, Reason::NotLinearGaussian { real: false, .. })
    };
    let telling = declined
        .iter()
        .find(|u| u.engine == Engine::Gaussian && !gaussian_says_less(u))
        .or_else(|| {
            declined
                .iter()
                .find(|u| u.engine == Engine::VariableElimination)
        })
        .or(declined.first());
    match telling {
        Some(u) => u.diagnostic(model, span),
        None => Diagnostic::error(Code::E010, span, "no inference method may answer this"),
    }
}

/// Runs one engine: its solution, `Ok(Err(..))` when it declines on a closer look, or an
/// error of the question itself (E006, E007, E011, cancellation).
fn run(
    engine: Engine,
    prepared: &Prepared,
    plan: &Plan,
    model: &Model,
    settings: &Settings,
    budget: Budget,
    span: Span,
) -> Result<Result<Solution, Unsupported>, Diagnostic> {
    let declined = |d: Diagnostic| -> Result<Result<Solution, Unsupported>, Diagnostic> {
        if d.code == Some(Code::E010) {
            Ok(Err(Unsupported {
                engine,
                reason: Reason::Engine(d),
            }))
        } else {
            Err(d)
        }
    };
    match (engine, prepared) {
        (Engine::VariableElimination, _) => {
            let cap = settings.max_factor_size as u64;
            match exact::solve(plan, model, cap, span) {
                Ok(sums) => Ok(Ok(Solution::Finite(sums))),
                Err(d) => declined(d),
            }
        }
        (Engine::Gaussian, Prepared::Gaussian(p)) => {
            gaussian::solve(p, span, &|| settings.cancel.check()).map(|g| Ok(Solution::Gaussian(g)))
        }
        (Engine::LinearSampler, Prepared::Linear(c)) => {
            sampling::run(plan, model, budget, Some(c)).map(|a| Ok(Solution::Sampled(a)))
        }
        (Engine::TableSampler, _) => match Compiled::tables(plan, model) {
            Ok(c) => sampling::run(plan, model, budget, Some(&c)).map(|a| Ok(Solution::Sampled(a))),
            Err(reason) => Ok(Err(Unsupported { engine, reason })),
        },
        (Engine::Interpreter, _) => {
            sampling::run(plan, model, budget, None).map(|a| Ok(Solution::Sampled(a)))
        }
        (engine, _) => Ok(Err(Unsupported {
            engine,
            reason: Reason::Shape("this is a bug in whatif: the engine was not prepared"),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(e: Engine, w: Option<f64>) -> (Engine, Result<Cost, Unsupported>) {
        (e, Ok(w.map_or(Cost::Unknown, Cost::Work)))
    }

    fn no(e: Engine) -> (Engine, Result<Cost, Unsupported>) {
        (
            e,
            Err(Unsupported {
                engine: e,
                reason: Reason::Question("no"),
            }),
        )
    }

    #[test]
    fn exact_beats_sampling_while_cheaper() {
        let verdicts = [
            no(Engine::VariableElimination),
            ok(Engine::Gaussian, Some(5e9)),
            ok(Engine::LinearSampler, Some(1e10)),
            ok(Engine::Interpreter, Some(1e11)),
        ];
        let c = choose(MethodChoice::Auto, None, &verdicts).expect("a choice");
        assert_eq!(c.engine, Engine::Gaussian);
        assert_eq!(c.declined.len(), 1);
        // Dearer than sampling: auto samples, and says why Gaussian algebra did not answer.
        let verdicts = [
            ok(Engine::Gaussian, Some(5e10)),
            ok(Engine::LinearSampler, Some(1e10)),
            ok(Engine::Interpreter, Some(1e11)),
        ];
        let c = choose(MethodChoice::Auto, None, &verdicts).expect("a choice");
        assert_eq!(c.engine, Engine::LinearSampler);
        assert!(matches!(
            c.declined[0].reason,
            Reason::TooBig { what: "work", .. }
        ));
        // `--method exact` takes it whatever the cost.
        let c = choose(MethodChoice::Exact, None, &verdicts).expect("a choice");
        assert_eq!(c.engine, Engine::Gaussian);
    }

    #[test]
    fn the_method_and_a_forced_engine_limit_the_candidates() {
        let verdicts = [
            ok(Engine::VariableElimination, None),
            no(Engine::Gaussian),
            no(Engine::LinearSampler),
            ok(Engine::TableSampler, Some(2.0)),
            ok(Engine::Interpreter, Some(10.0)),
        ];
        let pick = |m, f| choose(m, f, &verdicts).map(|c| c.engine);
        assert_eq!(
            pick(MethodChoice::Auto, None).ok(),
            Some(Engine::VariableElimination)
        );
        assert_eq!(
            pick(MethodChoice::Is, None).ok(),
            Some(Engine::TableSampler)
        );
        assert_eq!(
            pick(MethodChoice::Exact, Some(Engine::Interpreter)).ok(),
            Some(Engine::Interpreter)
        );
        let reasons = pick(MethodChoice::Auto, Some(Engine::Gaussian)).expect_err("declined");
        assert_eq!(reasons.len(), 1);
        assert_eq!(reasons[0].engine, Engine::Gaussian);
        let verdicts = [no(Engine::VariableElimination), no(Engine::Gaussian)];
        assert_eq!(
            choose(MethodChoice::Exact, None, &verdicts)
                .expect_err("no exact engine")
                .len(),
            2
        );
    }
}
