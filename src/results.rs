//! Typed answers: what every engine returns and what `--json` prints (docs/language.md, "The JSON format").
//!
//! Values of the model (a decision's action, a row of a distribution) are [`Value`]s; maps from
//! decision or variable names to values are [`Assignment`]s. Every type here serialises to the
//! JSON of `whatif run --json`. Enums and structs are `#[non_exhaustive]`: later versions add
//! kinds of answer and fields, so match with a `_` arm and read fields by name.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::{self, Display, Formatter};

/// The method that answered (the one chosen is [`crate::Method`]; `Auto` picks one of these).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum MethodUsed {
    /// Importance sampling (likelihood weighting).
    Is,
    /// Exact inference.
    Exact,
    /// Identification: an identified estimand evaluated on the data (LANGUAGE.md §13).
    Identified,
    /// Sequential Monte Carlo (tempering, resampling and moves).
    Smc,
}

/// The answer to one statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Answer {
    /// The statement's source text.
    pub query: String,
    /// 1-based line of the statement.
    pub line: usize,
    /// Which method answered.
    pub method: MethodUsed,
    /// The name of a named estimand (`query ate = ...`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// The numbers.
    #[serde(flatten)]
    pub body: Body,
    /// Warnings about this answer (low effective sample size).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
    /// What sequential Monte Carlo adds: the log evidence; and why `auto` chose the sampler
    /// after its pilot run (each field printed only when present).
    #[serde(flatten, default)]
    pub details: Details,
    /// With `--bootstrap B` ([`crate::Model::bootstrap`]): how the answer varies when the `?`
    /// parameters are refitted on bootstrap resamples of the data (LANGUAGE.md §12).
    #[serde(flatten, skip_serializing_if = "Option::is_none", default)]
    pub bootstrap: Option<ParameterSpread>,
}

/// What an answer from sequential Monte Carlo adds to the numbers (and, for a sampled answer
/// `auto` chose after a pilot run, why).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Details {
    /// `log p(evidence)`: the log marginal likelihood (mass or density) of the question's
    /// evidence under the model, for comparing models on the same evidence.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub log_evidence: Option<f64>,
    /// The standard error of `log_evidence`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub log_evidence_stderr: Option<f64>,
    /// The most tempering stages one of sequential Monte Carlo's replicates took.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stages: Option<usize>,
    /// Why `--method auto` chose the engine that answered: an exact engine's largest table
    /// (or covariance) against auto's limit; for a sampler, why the exact engines did not
    /// answer and, with evidence, what likelihood weighting's pilot run found (it kept
    /// likelihood weighting, or chose sequential Monte Carlo). Absent for a method named
    /// with `--method`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub method_reason: Option<String>,
    /// The engine that answered a query: `variable_elimination`, `gaussian` (exact),
    /// `table_sampler`, `linear_sampler`, `interpreter` (likelihood weighting) or `smc`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub engine: Option<String>,
}

/// How an answer varies across refits of the model's `?` parameters on bootstrap resamples of
/// its data (every refit answered with the same seed, so this is the parameters' uncertainty,
/// not Monte Carlo noise, which `stderr` reports).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ParameterSpread {
    /// Refits that answered (a resample that cannot be fitted, or whose model cannot answer,
    /// is left out and said in the answer's warnings).
    pub refits: usize,
    /// The standard deviation across the refits of the answer's number: the value of a
    /// probability, expectation or decision, the mean of a real distribution; absent for a
    /// discrete distribution (see `param_values`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub param_sd: Option<f64>,
    /// Its 2.5% and 97.5% percentiles across the refits.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub param_interval: Option<[f64; 2]>,
    /// For a discrete distribution: each value's probability's spread, in the answer's order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub param_values: Vec<ValueSpread>,
    /// For a decision: the share of refits that recommend this answer's action (`best`, or
    /// `best_unconditional` when the best action depends on what is observed).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub best_share: Option<f64>,
}

/// One value's probability across refits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ValueSpread {
    /// The value.
    pub value: Value,
    /// Standard deviation of its probability across the refits.
    pub param_sd: f64,
    /// 2.5% and 97.5% percentiles of its probability.
    pub param_interval: [f64; 2],
}

/// What kind of answer, with its numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Body {
    /// `P(event)`.
    Probability(Estimate),
    /// `E[value]`.
    Expectation(Estimate),
    /// `P(var)` for a non-bool variable.
    Distribution(Distribution),
    /// `P(*)`: every variable's distribution under the same conditions.
    Marginals(Marginals),
    /// `decide`.
    Decision(DecisionAnswer),
    /// `bandit`.
    Bandit(BanditAnswer),
    /// `identify`.
    Identification(IdentificationAnswer),
    /// `attribute`.
    Attribution(AttributionAnswer),
}

/// The answer to an `identify` statement (LANGUAGE.md §13).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IdentificationAnswer {
    /// Whether the effect is identifiable from the observed variables' distribution.
    pub identifiable: bool,
    /// The estimand as text (`Σ_z P(y | x, z) P(z)`), or `null`.
    pub estimand: Option<String>,
    /// The estimand in LaTeX, or `null`.
    pub estimand_latex: Option<String>,
    /// A minimal back-door adjustment set, or `null` when none exists.
    pub adjustment_set: Option<Vec<String>>,
    /// When not identifiable: the hedge, as its two variable sets `[F, F']`.
    pub hedge: Option<Vec<Vec<String>>>,
    /// The observed variables the graph was projected onto.
    pub observed: Vec<String>,
}

impl Body {
    /// The first number of the answer that is NaN or infinite, if any: every engine's result
    /// passes this check before it is shown, so no answer ever prints a NaN.
    pub(crate) fn first_non_finite(&self) -> Option<f64> {
        let mut numbers: Vec<f64> = Vec::new();
        let estimate = |e: &Estimate, n: &mut Vec<f64>| {
            n.push(e.value);
            n.extend(e.stderr);
            n.extend(e.ess);
        };
        match self {
            Body::Probability(e) | Body::Expectation(e) => estimate(e, &mut numbers),
            Body::Distribution(d) => d.numbers(&mut numbers),
            Body::Marginals(m) => m
                .variables
                .iter()
                .for_each(|(_, d)| d.numbers(&mut numbers)),
            Body::Decision(d) => {
                numbers.extend([d.value, d.stderr]);
                numbers.extend(
                    d.actions
                        .iter()
                        .flat_map(|a| [a.value, a.stderr, a.diff_stderr]),
                );
                numbers.extend(d.evidential.iter().flat_map(|a| [a.value, a.stderr]));
                numbers.extend(d.policy.iter().map(|p| p.value));
                numbers.extend(d.value_of_information);
            }
            Body::Identification(_) => {}
            Body::Attribution(a) => {
                numbers.extend([a.baseline, a.value]);
                numbers.extend(a.baseline_stderr);
                numbers.extend(a.value_stderr);
                numbers.extend(a.contributions.iter().map(|c| c.value));
                numbers.extend(a.contributions.iter().filter_map(|c| c.stderr));
            }
            Body::Bandit(b) => {
                numbers.push(b.oracle_value);
                numbers.extend(b.policies.iter().flat_map(|p| [p.regret, p.regret_stderr]));
            }
        }
        numbers.into_iter().find(|x| !x.is_finite())
    }
}

/// A number with its Monte Carlo error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Standard error: 0 for exact answers; never 0 for a sampled probability (the score
    /// interval's where the samples agree); `None` for a sampled expectation whose effective
    /// sample size is below 2, which has no error estimate.
    pub stderr: Option<f64>,
    /// Effective sample size `(Σw)²/Σw²`; `None` for exact answers.
    pub ess: Option<f64>,
    /// Samples drawn; `None` for exact answers.
    pub samples: Option<u64>,
}

/// A distribution: a table for discrete quantities, a summary for real ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Distribution {
    /// A table of values with their probabilities.
    #[non_exhaustive]
    Discrete {
        /// Every value of the domain with its probability, in declared order (labels as
        /// listed, numbers ascending, `false` before `true`), zero-probability values included.
        values: Vec<ValueProbability>,
        /// Effective sample size; `None` for exact answers.
        ess: Option<f64>,
        /// Samples drawn; `None` for exact answers.
        samples: Option<u64>,
    },
    /// A summary of a real quantity.
    #[non_exhaustive]
    Real {
        /// The mean.
        mean: f64,
        /// Standard error of the mean.
        mean_stderr: f64,
        /// The standard deviation.
        sd: f64,
        /// 5%, 25%, 50%, 75% and 95% quantiles.
        quantiles: Vec<Quantile>,
        /// Bin edges' lower ends with their probabilities, for a terminal histogram.
        histogram: Vec<(f64, f64)>,
        /// Effective sample size; `None` for exact answers.
        ess: Option<f64>,
        /// Samples drawn; `None` for exact answers.
        samples: Option<u64>,
    },
}

impl Distribution {
    /// Every number of the distribution, pushed onto `numbers`.
    fn numbers(&self, numbers: &mut Vec<f64>) {
        match self {
            Distribution::Discrete { values, ess, .. } => {
                numbers.extend(*ess);
                numbers.extend(values.iter().flat_map(|v| [v.p, v.stderr]));
            }
            Distribution::Real {
                mean,
                mean_stderr,
                sd,
                quantiles,
                histogram,
                ess,
                ..
            } => {
                numbers.extend([*mean, *mean_stderr, *sd]);
                numbers.extend(*ess);
                numbers.extend(quantiles.iter().map(|q| q.value));
                numbers.extend(histogram.iter().flat_map(|(a, b)| [*a, *b]));
            }
        }
    }
}

/// The answer to `P(* | ...)`: every variable's distribution (LANGUAGE.md section 6), each as
/// a distribution answer gives it. In JSON, `"variables"` is an object from each variable's
/// name to its distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Marginals {
    /// `(variable, distribution)` for every variable of the model, in declaration order.
    #[serde(with = "named_map")]
    pub variables: Vec<(String, Distribution)>,
}

/// `Vec<(String, T)>` as a JSON object: keys in the vector's order when written (a reader
/// that collects objects into a sorted map, as `serde_json::Value` does, sorts them).
mod named_map {
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use serde::ser::{Serialize, SerializeMap, Serializer};
    use std::fmt;
    use std::marker::PhantomData;

    pub fn serialize<S: Serializer, T: Serialize>(
        entries: &[(String, T)],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (name, value) in entries {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Vec<(String, T)>, D::Error> {
        struct Entries<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Entries<T> {
            type Value = Vec<(String, T)>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object from names to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(Entries(PhantomData))
    }
}

/// One row of a discrete distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ValueProbability {
    /// The value (bool, number or label).
    pub value: Value,
    /// Its probability.
    pub p: f64,
    /// The probability's standard error (0 for exact answers, never 0 when sampled).
    pub stderr: f64,
}

/// One quantile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Quantile {
    /// The level, in (0, 1).
    pub q: f64,
    /// The quantile.
    pub value: f64,
}

/// The answer to an `attribute` statement (LANGUAGE.md section 14): Shapley values of the
/// players, which sum to `value - baseline`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AttributionAnswer {
    /// `v(∅)`: the expectation when no player keeps its part (`E[EXPR]`, or `E[EXPR | ...]`
    /// under none of the interventions).
    pub baseline: f64,
    /// `baseline`'s standard error: 0 when exact, `None` when it could not be estimated.
    pub baseline_stderr: Option<f64>,
    /// `v(all)`: the expectation when every player keeps its part (`E[EXPR | EVIDENCE]`, or
    /// the expectation under every intervention).
    pub value: f64,
    /// `value`'s standard error.
    pub value_stderr: Option<f64>,
    /// One entry per player, largest `|value|` first.
    pub contributions: Vec<Contribution>,
    /// How many coalitions were evaluated.
    pub coalitions: u64,
    /// What the players are: `"noise"` (each variable's noise) or `"interventions"`.
    pub players: String,
    /// Random permutations the Shapley values were estimated from; `None` when every
    /// coalition was evaluated (up to 12 players).
    pub permutations: Option<u64>,
    /// Samples drawn in all, over the independent batches the standard errors come from (with
    /// permutations, each batch evaluates its own coalitions); `None` when every coalition
    /// value is exact.
    pub samples: Option<u64>,
    /// The effective sample size of those samples (per batch, the smallest over its
    /// coalitions; summed over the batches); `None` when exact.
    pub ess: Option<f64>,
}

/// One player's Shapley value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Contribution {
    /// The player: a variable's name (noise), or an intervention as written (`"price = 9"`).
    pub name: String,
    /// Its Shapley value.
    pub value: f64,
    /// Its standard error: 0 when exact, `None` when it could not be estimated.
    pub stderr: Option<f64>,
}

/// The answer to a `decide` statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DecisionAnswer {
    /// The maximum (or minimum) expected utility of what the answer recommends: the best
    /// action, or with `given` or `then` the best policy.
    pub value: f64,
    /// Its standard error.
    pub stderr: f64,
    /// The recommended action (decision name → value): for a policy, its first stage's
    /// action when that stage observes nothing, else `None` (the action depends on what is
    /// observed; see `policy`).
    pub best: Option<Assignment>,
    /// The best single action taken without observing anything.
    pub best_unconditional: Assignment,
    /// Its expected utility.
    pub value_unconditional: f64,
    /// Every action (or combination) with its expected utility.
    pub actions: Vec<ActionValue>,
    /// With `given` or `then`: the best action per context.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub policy: Vec<PolicyRow>,
    /// With `given`: the policy's value minus the best single action's.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value_of_information: Option<f64>,
    /// Where the decision has a mechanism: `E[U | d = a]` per action, for contrast.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub evidential: Vec<ActionValue>,
    /// Whether the evidential ranking recommends another action than the causal one.
    #[serde(default)]
    pub evidential_disagrees: bool,
    /// Samples drawn per action.
    pub samples: u64,
}

/// One action's expected utility.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActionValue {
    /// Decision name → value.
    pub action: Assignment,
    /// Expected utility under the intervention that takes this action.
    pub value: f64,
    /// Its standard error.
    pub stderr: f64,
    /// Standard error of (this action's value − the best action's), on common noise.
    #[serde(default)]
    pub diff_stderr: f64,
}

/// One entry of a policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PolicyRow {
    /// The decision this row sets.
    pub decision: String,
    /// What the decision observed: variable → value.
    pub context: Assignment,
    /// The best action in that context.
    pub action: Assignment,
    /// The expected utility of following the policy from here, in that context.
    pub value: f64,
}

/// The answer to a `bandit` statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BanditAnswer {
    /// Each policy's record.
    pub policies: Vec<PolicyPerformance>,
    /// How the best intuition-aware policy's value was obtained.
    pub oracle: OracleKind,
    /// The best intuition-aware policy's expected reward per round.
    pub oracle_value: f64,
    /// Rounds per run.
    pub rounds: u64,
    /// Independent runs.
    pub runs: u64,
}

/// One bandit policy's record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PolicyPerformance {
    /// The policy (`ucb1`, `causal_thompson`, ...).
    pub name: String,
    /// Mean cumulative regret at the last round.
    pub regret: f64,
    /// Its standard error over runs.
    pub regret_stderr: f64,
    /// Fraction of rounds (over all runs) in which the optimal arm was chosen.
    pub optimal_fraction: f64,
    /// (round, mean cumulative regret, its standard error, optimal fraction so far).
    pub checkpoints: Vec<Checkpoint>,
}

/// The fractions of a bandit's rounds at which the text output reports each policy (the JSON
/// has more checkpoints, for regret curves).
pub const CHECKPOINT_FRACTIONS: [f64; 6] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0];

/// A bandit policy's state at one round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Checkpoint {
    /// The round (1-based).
    pub round: u64,
    /// Mean cumulative regret up to this round.
    pub regret: f64,
    /// Its standard error over runs.
    pub regret_stderr: f64,
    /// Fraction of optimal choices up to this round.
    pub optimal_fraction: f64,
}

/// How a bandit's oracle (the best intuition-aware policy's value) was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum OracleKind {
    /// By exact inference.
    Exact,
    /// By importance sampling (with many samples).
    Sampled,
}

impl Display for OracleKind {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OracleKind::Exact => "exact",
            OracleKind::Sampled => "sampled",
        })
    }
}

/// Names (of decisions or variables) to their values: an action, a context. Ordered by name,
/// as the JSON prints them.
pub type Assignment = BTreeMap<String, Value>;

/// A value of the model: what a variable, a decision or a distribution's row takes.
///
/// Its JSON is the plain value (`true`, `3`, `2.5`, `"sunny"`). Its `Display` is the language's
/// syntax (`true`, `3`, `2.5`, `"sunny"`), which is how [`crate::Query`] writes it; so
/// `.intervene("treatment", "A")` means the label `"A"`, `.intervene("x", 1.5)` the real 1.5.
/// Labels cannot contain `"` or a line break (the language has no escapes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Value {
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Real(f64),
    /// A label: `"sunny"`.
    Label(String),
}

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Real(x) => f.write_str(&crate::ast::format_real(*x)),
            Value::Label(s) => write!(f, "\"{s}\""),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i.into())
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Real(x)
    }
}

impl From<&str> for Value {
    fn from(label: &str) -> Value {
        Value::Label(label.to_string())
    }
}

impl From<String> for Value {
    fn from(label: String) -> Value {
        Value::Label(label)
    }
}

/// What `whatif run` fitted before answering (`"fit"` in `--json`, LANGUAGE.md §12).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FitSummary {
    /// Data rows read.
    pub rows: u64,
    /// Every `?` parameter with its estimate.
    pub parameters: Vec<FittedParameter>,
    /// Every fitted mechanism: the rows it used and how it was fitted.
    pub mechanisms: Vec<FittedMechanism>,
    /// Wall-clock seconds the fit took (in the text output; left out of `--json`, which is
    /// the same on every run).
    #[serde(skip_serializing, default)]
    pub seconds: f64,
}

/// One fitted parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FittedParameter {
    /// `p_rain` for `?p_rain`; `wet.?1` for the first anonymous `?` of `wet`'s mechanism.
    pub name: String,
    /// The variable whose mechanism declared it.
    pub variable: String,
    /// The table cell (index variable → value), or `null` for a scalar parameter.
    pub index: Option<BTreeMap<String, Value>>,
    /// The estimate.
    pub value: f64,
    /// Its standard error (`null` where the data give none, e.g. a cell filled by the prior).
    pub stderr: Option<f64>,
}

/// One fitted mechanism.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FittedMechanism {
    /// The variable.
    pub variable: String,
    /// Rows where it and all its parents were observed.
    pub rows: u64,
    /// `"counts"`, `"least squares"` or `"maximum likelihood"`.
    pub method: String,
}
