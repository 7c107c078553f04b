//! The one engine choice: which engine answers a plan, and why the others do not.
//!
//! Six engines answer plans: two exact ones (variable elimination over finite domains, Gaussian
//! algebra for linear-Gaussian models), three likelihood-weighting samplers (the compiled table
//! sampler, the compiled linear sampler, and the general interpreter, which answers every
//! plan) and sequential Monte Carlo (src/infer/smc/, for evidence that likelihood weighting
//! cannot absorb). Queries, decisions and the bandit oracle all go through [`solve`]:
//!
//! 1. each engine the options allow *assesses* the plan — `Ok(Cost)` or
//!    `Err(Unsupported { reason })`, a typed reason — without running it ([`assess`]); the
//!    exact engines first, and the samplers only when the exact verdicts leave the choice open
//!    ([`Assessing::for_choice`]: an exact engine that accepts with little work answers whatever
//!    sampling would cost);
//! 2. [`choose`], a pure function of those verdicts and the options, picks the engine: only
//!    the engines the method allows (`--method exact` the exact ones, `--method is` the
//!    likelihood-weighting samplers, `--method smc` SMC, or the one a test forces); exact
//!    before likelihood weighting before SMC, the cheapest acceptable one of each kind; under
//!    `auto` an exact engine is acceptable when its work is no more than sampling's (or small
//!    anyway);
//! 3. the chosen engine runs. An engine that finds out only while running that it cannot
//!    answer (variable elimination, whose table sizes are known only as it eliminates)
//!    declines with a reason too; its verdict is replaced and the choice is made again.
//!    Likewise under `auto`, before likelihood weighting answers a plan with evidence, a pilot
//!    run of [`PILOT_SAMPLES`] measures its effective sample size and the Pareto shape of its
//!    weights' tail: below [`AUTO_PILOT_ESS_SHARE`] of the pilot (the share at which an
//!    answer would carry the low-ESS warning), or with a tail heavier than
//!    [`AUTO_PILOT_PARETO_K`], the likelihood-weighting engines decline ([`Reason::LowEss`])
//!    and SMC answers.
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
    /// Sequential Monte Carlo: tempering, resampling and moves over the noise.
    Smc,
}

impl Engine {
    /// Every engine, in order of preference among equals.
    pub const ALL: [Engine; 6] = [
        Engine::VariableElimination,
        Engine::Gaussian,
        Engine::LinearSampler,
        Engine::TableSampler,
        Engine::Interpreter,
        Engine::Smc,
    ];

    /// Whether the engine's answers are exact (standard error 0).
    pub fn is_exact(self) -> bool {
        matches!(self, Engine::VariableElimination | Engine::Gaussian)
    }

    /// Whether the engine is one of the likelihood-weighting samplers.
    pub fn is_likelihood_weighting(self) -> bool {
        matches!(
            self,
            Engine::TableSampler | Engine::LinearSampler | Engine::Interpreter
        )
    }

    /// The method an answer from this engine reports.
    pub fn method(self) -> crate::results::MethodUsed {
        match self {
            Engine::Smc => crate::results::MethodUsed::Smc,
            e if e.is_exact() => crate::results::MethodUsed::Exact,
            _ => crate::results::MethodUsed::Is,
        }
    }

    /// The engine's name in answers' JSON (`"engine"`).
    pub fn id(self) -> &'static str {
        match self {
            Engine::VariableElimination => "variable_elimination",
            Engine::Gaussian => "gaussian",
            Engine::TableSampler => "table_sampler",
            Engine::LinearSampler => "linear_sampler",
            Engine::Interpreter => "interpreter",
            Engine::Smc => "smc",
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
            Engine::Smc => "sequential Monte Carlo",
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
    /// Under `auto`: likelihood weighting's pilot run kept an effective sample size of `ess`
    /// out of `samples`, or its weights' tail had Pareto shape `pareto_k` above
    /// [`AUTO_PILOT_PARETO_K`]: too few, or too unreliable, for the evidence to be absorbed by
    /// weighting.
    LowEss {
        ess: f64,
        samples: u64,
        pareto_k: Option<f64>,
    },
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
            Reason::LowEss { .. } => (span, self.explain()),
        };
        if self.engine == Engine::Smc {
            return Diagnostic::error(Code::E010, span, message).with_help(
                "ask with fewer particles (`--samples`), or use `--method is` (importance sampling)",
            );
        }
        Diagnostic::error(Code::E010, span, message)
            .with_help("use `--method is` (importance sampling), which answers every query")
    }
}

impl Unsupported {
    /// One sentence saying why the engine did not answer (for an answer's `method_reason`).
    pub fn explain(&self) -> String {
        match &self.reason {
            Reason::LowEss {
                ess,
                samples,
                pareto_k,
            } if pilot_ess_is_low(*ess) => format!(
                "likelihood weighting's pilot run kept an effective sample size of {ess:.1} of {samples} samples ({:.3}%, below {}%){}",
                100.0 * ess / *samples as f64,
                100.0 * AUTO_PILOT_ESS_SHARE,
                pareto_k.map_or(String::new(), |k| format!("; its weights' Pareto k̂ {k:.2}"))
            ),
            Reason::LowEss {
                ess,
                samples,
                pareto_k,
            } => format!(
                "likelihood weighting's pilot run's weights have a heavy tail (Pareto k̂ {:.2}, above {AUTO_PILOT_PARETO_K}), so its effective sample size of {ess:.1} of {samples} samples ({:.2}%) overstates what weighting would achieve",
                pareto_k.unwrap_or(f64::NAN),
                100.0 * ess / *samples as f64,
            ),
            Reason::TooBig { what, size, limit } => format!(
                "{} would need {what} of {size:.3e}, more than the limit of {limit:.3e}",
                self.engine.name()
            ),
            Reason::Question(why) | Reason::Shape(why) => {
                format!("{}: {why}", self.engine.name())
            }
            Reason::NotLinearGaussian { .. } => {
                format!("{}: the model is not linear-Gaussian", self.engine.name())
            }
            Reason::Engine(d) => format!("{}: {}", self.engine.name(), d.message),
        }
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

/// Samples in `auto`'s pilot run of likelihood weighting.
pub const PILOT_SAMPLES: u64 = 4096;

/// Under `auto`, likelihood weighting answers a plan with evidence only if its pilot run keeps
/// at least this share of its samples as effective sample size (the share below which its
/// answers carry the low-ESS warning) and its weights' tail is not too heavy
/// ([`AUTO_PILOT_PARETO_K`]); otherwise SMC answers.
pub const AUTO_PILOT_ESS_SHARE: f64 = 0.01;

/// Under `auto`, likelihood weighting answers a plan with evidence only if the Pareto shape
/// `k̂` of its pilot run's largest weights ([`super::estimate::pareto_k`]) is at most this:
/// PSIS's threshold (Vehtari et al. 2024: `min(1 − 1/log₁₀ S, 0.7)`, 0.72 for S = 4,096),
/// above which the weights' variance is so large that the ESS of a few thousand samples
/// overstates what weighting achieves at any practical sample size.
pub const AUTO_PILOT_PARETO_K: f64 = 0.7;

/// What likelihood weighting's pilot run found on the plan's groups with evidence: the
/// smallest effective sample size and the largest Pareto `k̂` of the weights' tail.
#[derive(Clone, Copy, Debug)]
pub struct Pilot {
    /// Kish's effective sample size, of [`PILOT_SAMPLES`].
    pub ess: f64,
    /// The Pareto shape of the weights' tail (`None` when too few weights to fit it).
    pub pareto_k: Option<f64>,
}

impl Pilot {
    /// Why `auto` kept likelihood weighting after this pilot, if it did and the pilot met the
    /// evidence.
    fn kept(self) -> Option<String> {
        if self.ess <= 0.0 || self.declines().is_some() {
            return None;
        }
        let tail = self.pareto_k.map_or(String::new(), |k| {
            format!(", and its weights' Pareto k̂ is {k:.2}, at most {AUTO_PILOT_PARETO_K}")
        });
        Some(format!(
            "auto kept likelihood weighting: its pilot run kept an effective sample size of {:.0} of {PILOT_SAMPLES} samples ({:.1}%, at least {}%){tail}",
            self.ess,
            100.0 * self.ess / PILOT_SAMPLES as f64,
            100.0 * AUTO_PILOT_ESS_SHARE
        ))
    }

    /// The reason likelihood weighting declines after this pilot, if it does. A pilot that met
    /// the evidence in no sample leaves the answer to likelihood weighting, whose own run says
    /// whether the evidence was ever met.
    fn declines(self) -> Option<Reason> {
        let heavy = self.pareto_k.is_some_and(|k| k > AUTO_PILOT_PARETO_K);
        (self.ess > 0.0 && (pilot_ess_is_low(self.ess) || heavy)).then_some(Reason::LowEss {
            ess: self.ess,
            samples: PILOT_SAMPLES,
            pareto_k: self.pareto_k,
        })
    }
}

/// The engine choice: a pure function of the options and each engine's verdict on the plan.
///
/// Only the engines `method` allows take part (all of them for `Auto`, the exact ones for
/// `Exact`, the likelihood-weighting samplers for `Is`, SMC for `Smc`; only `forced` when a
/// test forces one). An exact engine that can answer wins over every sampler; under `Auto`
/// only while its work is at most [`AUTO_EXACT_WORK`] or the cheapest sampler's. Likelihood
/// weighting wins over SMC (under `auto`, [`solve`] makes it decline when its pilot run says
/// the evidence is too informative). Among acceptable engines of one kind the cheapest wins,
/// ties going to the earlier in [`Engine::ALL`]. `Err` carries every reason when no engine
/// may answer.
pub fn choose(
    method: MethodChoice,
    forced: Option<Engine>,
    verdicts: &[(Engine, Result<Cost, Unsupported>)],
) -> Result<Choice, Vec<Unsupported>> {
    let allowed = |e: Engine| allows(method, forced, e);
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
        .filter(|(e, _)| e.is_likelihood_weighting())
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
    let cheapest = |kind: fn(Engine) -> bool| {
        acceptable
            .iter()
            .filter(|(e, _)| kind(*e))
            .min_by(|a, b| a.1.rank().total_cmp(&b.1.rank()))
            .map(|(e, _)| *e)
    };
    match cheapest(Engine::is_exact)
        .or_else(|| cheapest(Engine::is_likelihood_weighting))
        .or_else(|| cheapest(|e| e == Engine::Smc))
    {
        Some(engine) => Ok(Choice { engine, declined }),
        None => Err(declined),
    }
}

/// Whether `method` (or the engine a test forces) lets engine `e` answer.
fn allows(method: MethodChoice, forced: Option<Engine>, e: Engine) -> bool {
    match (forced, method) {
        (Some(f), _) => e == f,
        (None, MethodChoice::Auto) => true,
        (None, MethodChoice::Is) => e.is_likelihood_weighting(),
        (None, MethodChoice::Exact) => e.is_exact(),
        (None, MethodChoice::Smc) => e == Engine::Smc,
    }
}

/// Whether the exact engines' verdicts decide [`choose`] whatever the other engines' are: an
/// exact engine accepts, and none that accepts expects more work than [`AUTO_EXACT_WORK`]
/// (under `auto` an exact engine is passed over only when its work exceeds both that and
/// sampling's, so the cheapest accepting exact engine answers). The other engines' verdicts
/// would then only be listed as declined, which no exact answer reports.
fn exact_decides<T>(verdicts: &[(Engine, Result<(Cost, T), Unsupported>)]) -> bool {
    let mut accepting = verdicts
        .iter()
        .filter(|(e, _)| e.is_exact())
        .filter_map(|(_, v)| v.as_ref().ok())
        .peekable();
    accepting.peek().is_some() && accepting.all(|(cost, _)| cost.rank() <= AUTO_EXACT_WORK)
}

/// The engines the options let answer: the method's (or only the one a test forces), in
/// [`Engine::ALL`]'s order.
fn allowed_engines(settings: &Settings) -> impl Iterator<Item = Engine> + use<> {
    let (method, forced) = (settings.method, settings.forced);
    Engine::ALL
        .into_iter()
        .filter(move |&e| allows(method, forced, e))
}

/// One plan being assessed for the engine choice: what every engine's verdict reads.
struct Assessing<'a, 's> {
    plan: &'a Plan,
    model: &'a Model,
    settings: &'s Settings<'s>,
    budget: &'s Budget<'s>,
    span: Span,
}

impl<'a> Assessing<'a, '_> {
    /// The verdicts [`choose`] needs: those of the engines the options allow, the exact ones
    /// first and the others only when the exact ones' leave the choice open
    /// ([`exact_decides`]), so that a plan variable elimination or Gaussian algebra answers
    /// cheaply is not also compiled for the samplers. [`Assessing::complete`] adds the rest
    /// when an exact engine declines while running.
    fn for_choice(&self) -> Vec<Assessed<'a>> {
        let (exact, others): (Vec<Engine>, Vec<Engine>) =
            allowed_engines(self.settings).partition(|e| e.is_exact());
        let mut assessed = self.assess(&exact);
        if !exact_decides(&assessed) {
            assessed.extend(self.assess(&others));
        }
        assessed
    }

    /// Adds the verdicts [`Assessing::for_choice`] left out, if any are missing and the exact
    /// engines' verdicts no longer decide the choice.
    fn complete(&self, assessed: &mut Vec<Assessed<'a>>) {
        if exact_decides(assessed) {
            return;
        }
        let missing: Vec<Engine> = allowed_engines(self.settings)
            .filter(|e| !assessed.iter().any(|(a, _)| a == e))
            .collect();
        assessed.extend(self.assess(&missing));
    }

    /// The verdicts of `engines` on the plan, with what each prepared.
    fn assess(&self, engines: &[Engine]) -> Vec<Assessed<'a>> {
        let Assessing {
            plan,
            model,
            settings,
            budget,
            span,
        } = *self;
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
        engines
            .iter()
            .map(|&engine| {
                let verdict = match engine {
                    // The exact cost of its elimination order (`exact::prepare`, which keeps the
                    // factors and orders for running); an error that is not E010 belongs to the
                    // question and shows when it runs.
                    Engine::VariableElimination => {
                        match exact::prepare(
                            plan,
                            model,
                            settings.max_factor_size as u64,
                            span,
                            settings.marginals,
                        ) {
                            Ok(ready) => Ok((Cost::Work(ready.cost.work), Prepared::Exact(ready))),
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
                    Engine::Interpreter => {
                        Ok((Cost::Work(10.0 * samples * steps), Prepared::Nothing))
                    }
                    // Its memory is known before it runs; its stages are bounded while it runs.
                    Engine::Smc => {
                        let values = super::smc::values_needed(plan, model, budget.samples);
                        let limit = settings.smc.max_values as f64;
                        if values > limit {
                            Err(Unsupported {
                                engine,
                                reason: Reason::TooBig {
                                    what: "particles × latent noise values",
                                    size: values,
                                    limit,
                                },
                            })
                        } else {
                            Ok((Cost::Work(100.0 * samples * steps), Prepared::Nothing))
                        }
                    }
                };
                (engine, verdict)
            })
            .collect()
    }
}

/// An engine's verdict on a plan, with what it prepared.
type Assessed<'a> = (Engine, Result<(Cost, Prepared<'a>), Unsupported>);

/// What an engine prepared while assessing, kept for running.
enum Prepared<'a> {
    Nothing,
    /// Variable elimination's factors and orders, built while weighing its cost.
    Exact(exact::Ready<'a>),
    Gaussian(gaussian::Prepared),
    Linear(Compiled),
}

/// A plan's answer, as the engine that answered gives it.
pub enum Solution {
    /// Variable elimination: per group, the evidence mass and the target sums.
    Finite(Vec<exact::Sums>),
    /// Gaussian algebra: per group, per target.
    Gaussian(Vec<Vec<gaussian::Exact>>),
    /// A sampler: merged accumulators.
    Sampled(Accumulators),
    /// Sequential Monte Carlo: per group, estimates with replicate standard errors.
    Smc(super::smc::Answer),
}

/// A solved plan: the solution, the engine that answered, and why preferred engines did not.
pub struct Solved {
    pub solution: Solution,
    pub engine: Engine,
    /// Why each engine preferred over `engine` did not answer (an answer from SMC chosen by
    /// `auto` shows the likelihood-weighting engines' reason, [`Solved::reason`]).
    pub declined: Vec<Unsupported>,
    /// What `auto`'s pilot run found when it kept likelihood weighting (`None` when no pilot
    /// ran).
    pub pilot: Option<Pilot>,
    /// The chosen engine's size when it is exact: what [`Solved::reason`] quotes.
    pub size: Option<Size>,
    /// Whether `auto` chose (not a method the user named, nor a test's forced engine).
    pub auto: bool,
}

/// What an exact engine's run measured before it started, for explaining `auto`'s choice.
#[derive(Clone, Copy, Debug)]
pub enum Size {
    /// Variable elimination: entries of its largest table, and of every table it builds.
    Tables { largest: f64, work: f64 },
    /// Gaussian algebra: the most quantities it keeps at once, and its multiply-adds.
    Covariance { width: usize, work: f64 },
    /// Variable elimination, read from the marginals an earlier question calibrated.
    Cached,
}

impl Size {
    /// What an exact engine's preparation measured.
    fn of(prepared: &Prepared) -> Option<Size> {
        match prepared {
            Prepared::Exact(ready) if ready.all_cached() => Some(Size::Cached),
            Prepared::Exact(ready) => Some(Size::Tables {
                largest: ready.cost.largest,
                work: ready.cost.work,
            }),
            Prepared::Gaussian(p) => Some(Size::Covariance {
                width: p.width,
                work: p.work,
            }),
            Prepared::Nothing | Prepared::Linear(_) => None,
        }
    }

    /// The work [`choose`] weighed.
    fn work(self) -> f64 {
        match self {
            Size::Tables { work, .. } | Size::Covariance { work, .. } => work,
            Size::Cached => 0.0,
        }
    }

    /// The size in words, with how it compares to `auto`'s limit.
    fn describe(self) -> String {
        let within = if self.work() <= AUTO_EXACT_WORK {
            format!("within auto's {}", count(AUTO_EXACT_WORK))
        } else {
            "less than sampling's".to_string()
        };
        match self {
            Size::Tables { largest, work } => format!(
                "its largest table has {} entries, {} in all ({within})",
                count(largest),
                count(work)
            ),
            Size::Covariance { width, work } => format!(
                "the question is linear-Gaussian: a covariance of {width} × {width}, about {} multiply-adds ({within})",
                count(work)
            ),
            Size::Cached => "its marginals are read from the junction tree an earlier `P(* | ...)` calibrated under the same evidence and interventions".to_string(),
        }
    }
}

/// A count for messages: whole below 10,000, else two significant digits (`5.6e6`).
fn count(x: f64) -> String {
    if x < 1e4 {
        format!("{x:.0}")
    } else {
        format!("{x:.1e}").replace(".0e", "e")
    }
}

impl Solved {
    /// Whether group `g`'s evidence is possible (some sample met it, or its mass is positive).
    pub fn possible(&self, g: usize) -> bool {
        match &self.solution {
            Solution::Finite(sums) => sums[g].mass > 0.0,
            Solution::Gaussian(_) => true,
            Solution::Sampled(acc) => acc.groups[g].n_nonzero > 0 && acc.groups[g].sw > 0.0,
            Solution::Smc(_) => true,
        }
    }

    /// Why `auto` chose the engine that answered (`None` for a method the user named): an
    /// exact engine's size against `auto`'s limit; for a sampler, why the exact engines did
    /// not answer and what likelihood weighting's pilot run found.
    pub fn reason(&self) -> Option<String> {
        if !self.auto {
            return None;
        }
        let exact_declined = self
            .declined
            .iter()
            .filter(|u| u.engine.is_exact())
            .map(|u| u.explain().replace("`--method exact` needs", "needs"))
            .collect::<Vec<_>>()
            .join("; ");
        let name = self.engine.name();
        if self.engine.is_exact() {
            let size = self
                .size
                .map_or(String::new(), |s| format!(": {}", s.describe()));
            return Some(format!("auto chose {name} (exact){size}"));
        }
        let kind = if self.engine.is_likelihood_weighting() {
            " (likelihood weighting)"
        } else {
            ""
        };
        let pilot = if self.engine.is_likelihood_weighting() {
            self.pilot.and_then(Pilot::kept)
        } else {
            self.declined
                .iter()
                .find(|u| matches!(u.reason, Reason::LowEss { .. }))
                .map(|u| format!("auto chose sequential Monte Carlo: {}", u.explain()))
        };
        Some(match (pilot, exact_declined.is_empty()) {
            (Some(pilot), true) => pilot,
            (Some(pilot), false) => format!("{pilot}; not exact: {exact_declined}"),
            (None, true) => format!("auto chose {name}{kind}"),
            (None, false) => format!("auto chose {name}{kind}; not exact: {exact_declined}"),
        })
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
            Solution::Smc(answer) => match &answer.groups[g].targets[t] {
                super::smc::TargetAnswer::Scalar { value, stderr }
                | super::smc::TargetAnswer::Real {
                    mean: value,
                    stderr,
                    ..
                } => (*value, *stderr),
                super::smc::TargetAnswer::Discrete(_) => (f64::NAN, f64::NAN),
            },
        }
    }

    /// Covariance of the first targets of groups `a` and `b` (0 when exact).
    pub fn covariance(&self, a: usize, b: usize) -> f64 {
        match &self.solution {
            Solution::Sampled(acc) => acc.covariance(a, b),
            // Groups are answered by independent runs: no covariance between them.
            Solution::Smc(_) if a == b => self.scalar(a, 0).1.powi(2),
            _ => 0.0,
        }
    }

    /// Group `g`'s effective sample size, when sampled.
    pub fn ess(&self, g: usize) -> Option<f64> {
        match &self.solution {
            Solution::Sampled(acc) => Some(acc.groups[g].ess()),
            Solution::Smc(answer) => Some(answer.groups[g].ess),
            _ => None,
        }
    }

    /// Whether the answer is exact.
    pub fn is_exact(&self) -> bool {
        self.engine.is_exact()
    }
}

/// The engine [`solve`] would answer a plan with and the work it expects (in [`Cost`] units),
/// without running it: what a statement that answers many plans checks against its limit
/// before it starts. Under `auto`, it runs likelihood weighting's pilot as [`solve`] does, so
/// a plan the pilot hands to sequential Monte Carlo counts SMC's work. The pilot runs only
/// when `within` accepts the work chosen before it: handing a plan away from likelihood
/// weighting never lowers its work (an exact engine auto passed over costs more, SMC costs
/// more per sample), so past the caller's limit the pilot could not bring it back, and the
/// estimate stays cheap however large the plan. `None` when no engine may answer (solving
/// says why) or the engine cannot tell before running.
pub fn expected_work(
    plan: &Plan,
    model: &Model,
    settings: &Settings,
    budget: &Budget,
    span: Span,
    within: impl Fn(f64) -> bool,
) -> Option<(Engine, f64)> {
    let assessing = Assessing {
        plan,
        model,
        settings,
        budget,
        span,
    };
    let mut verdicts: Vec<(Engine, Result<Cost, Unsupported>)> = assessing
        .for_choice()
        .into_iter()
        .map(|(e, v)| (e, v.map(|(c, _)| c)))
        .collect();
    let mut choice = choose(settings.method, settings.forced, &verdicts).ok()?;
    let unpiloted = match verdicts.iter().find(|(e, _)| *e == choice.engine) {
        Some((_, Ok(Cost::Work(w)))) => Some(*w),
        _ => None,
    };
    if pilots(choice.engine, settings)
        && unpiloted.is_none_or(&within)
        && let Some(reason) = low_pilot_ess(plan, model, budget).ok()?
    {
        decline_likelihood_weighting(&mut verdicts, reason);
        choice = choose(settings.method, settings.forced, &verdicts).ok()?;
    }
    match verdicts.iter().find(|(e, _)| *e == choice.engine) {
        Some((_, Ok(Cost::Work(w)))) => Some((choice.engine, *w)),
        _ => None,
    }
}

/// Whether [`solve`] runs likelihood weighting's pilot before `engine` answers: under `auto`,
/// when a likelihood-weighting engine is chosen.
fn pilots(engine: Engine, settings: &Settings) -> bool {
    engine.is_likelihood_weighting()
        && settings.method == MethodChoice::Auto
        && settings.forced.is_none()
}

/// The reason likelihood weighting declines when its pilot run keeps too small an effective
/// sample size ([`AUTO_PILOT_ESS_SHARE`]), or `None` when it may answer.
fn low_pilot_ess(
    plan: &Plan,
    model: &Model,
    budget: &Budget,
) -> Result<Option<Reason>, Diagnostic> {
    Ok(pilot_run(plan, model, budget)?.and_then(Pilot::declines))
}

/// Whether a pilot's effective sample size is below [`AUTO_PILOT_ESS_SHARE`] of its samples.
fn pilot_ess_is_low(ess: f64) -> bool {
    ess < AUTO_PILOT_ESS_SHARE * PILOT_SAMPLES as f64
}

/// Marks every likelihood-weighting engine as declining for `reason`.
fn decline_likelihood_weighting<T>(
    verdicts: &mut [(Engine, Result<T, Unsupported>)],
    reason: Reason,
) {
    for (engine, verdict) in verdicts {
        if engine.is_likelihood_weighting() {
            *verdict = Err(Unsupported {
                engine: *engine,
                reason: reason.clone(),
            });
        }
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
    let assessing = Assessing {
        plan,
        model,
        settings,
        budget: &budget,
        span,
    };
    let mut assessed = assessing.for_choice();
    let mut piloted = false;
    let mut kept_pilot = None;
    loop {
        assessing.complete(&mut assessed);
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
        if pilots(choice.engine, settings) && !piloted {
            piloted = true;
            let pilot = pilot_run(plan, model, &budget)?;
            if let Some(reason) = pilot.and_then(Pilot::declines) {
                decline_likelihood_weighting(&mut assessed, reason);
                continue;
            }
            kept_pilot = pilot;
        }
        // Taken out to run (an engine runs at most once: a decline replaces its verdict).
        let prepared = match std::mem::replace(
            &mut assessed[index].1,
            Ok((Cost::Unknown, Prepared::Nothing)),
        ) {
            Ok((_, p)) => p,
            Err(_) => unreachable!("the choice takes only engines that accepted"),
        };
        let size = Size::of(&prepared);
        match run(choice.engine, prepared, plan, model, settings, budget, span)? {
            Ok(solution) => {
                return Ok(Solved {
                    solution,
                    engine: choice.engine,
                    declined: choice.declined,
                    pilot: kept_pilot,
                    size,
                    auto: settings.method == MethodChoice::Auto && settings.forced.is_none(),
                });
            }
            Err(unsupported) => assessed[index].1 = Err(unsupported),
        }
    }
}

/// A pilot run of likelihood weighting ([`PILOT_SAMPLES`] samples of the interpreter, on a
/// stream of its own): the smallest effective sample size and the largest Pareto `k̂` over the
/// plan's groups with evidence, or `None` when no group has evidence (nothing to weight).
fn pilot_run(plan: &Plan, model: &Model, budget: &Budget) -> Result<Option<Pilot>, Diagnostic> {
    let has_evidence = |g: usize| {
        !plan.groups[g].indicators.is_empty()
            || plan
                .steps
                .iter()
                .any(|s| s.clamps.iter().any(|c| c.group == g))
    };
    if !(0..plan.groups.len()).any(has_evidence) {
        return Ok(None);
    }
    let pilot = Budget {
        samples: PILOT_SAMPLES,
        stream: budget.stream ^ 0x9170_7E55,
        ..*budget
    };
    let kinds: Vec<Vec<crate::query::TargetKind>> = plan
        .groups
        .iter()
        .map(|g| {
            g.targets
                .iter()
                .map(|_| crate::query::TargetKind::Scalar)
                .collect()
        })
        .collect();
    let histograms: Vec<Vec<Option<super::estimate::Histogram>>> =
        kinds.iter().map(|k| vec![None; k.len()]).collect();
    let mut acc = Accumulators::new(&kinds, &histograms, &[]);
    let mut rng = sampling::chunk_rng(&pilot, 0);
    let mut log_weights = vec![Vec::with_capacity(PILOT_SAMPLES as usize); plan.groups.len()];
    sampling::Sampler::new(plan, model).run(&mut rng, PILOT_SAMPLES, &mut |lw, values| {
        for (kept, w) in log_weights.iter_mut().zip(lw) {
            kept.push(*w);
        }
        acc.add(lw, values)
    })?;
    let with_evidence = || (0..plan.groups.len()).filter(|&g| has_evidence(g));
    Ok(Some(Pilot {
        ess: with_evidence()
            .map(|g| acc.groups[g].ess())
            .fold(f64::INFINITY, f64::min),
        pareto_k: with_evidence()
            .filter_map(|g| super::estimate::pareto_k(&log_weights[g]))
            .reduce(f64::max),
    }))
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
    prepared: Prepared,
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
        (Engine::VariableElimination, prepared) => {
            let solved = match prepared {
                Prepared::Exact(ready) => ready.solve(),
                _ => exact::solve(plan, model, settings.max_factor_size as u64, span),
            };
            match solved {
                Ok(sums) => Ok(Ok(Solution::Finite(sums))),
                Err(d) => declined(d),
            }
        }
        (Engine::Gaussian, Prepared::Gaussian(p)) => {
            gaussian::solve(&p, span, &|| settings.cancel.check())
                .map(|g| Ok(Solution::Gaussian(g)))
        }
        (Engine::LinearSampler, Prepared::Linear(c)) => {
            sampling::run(plan, model, budget, Some(&c)).map(|a| Ok(Solution::Sampled(a)))
        }
        (Engine::TableSampler, _) => match Compiled::tables(plan, model) {
            Ok(c) => sampling::run(plan, model, budget, Some(&c)).map(|a| Ok(Solution::Sampled(a))),
            Err(reason) => Ok(Err(Unsupported { engine, reason })),
        },
        (Engine::Interpreter, _) => {
            sampling::run(plan, model, budget, None).map(|a| Ok(Solution::Sampled(a)))
        }
        (Engine::Smc, _) => {
            super::smc::solve(plan, model, budget, settings.smc, span).map(|a| Ok(Solution::Smc(a)))
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
