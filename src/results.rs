//! Typed answers: what every engine returns and what `--json` prints (LANGUAGE.md section 10).

use serde::{Deserialize, Serialize};

/// Which method produced an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Importance sampling (likelihood weighting).
    Is,
    /// Exact inference.
    Exact,
}

/// The answer to one statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The statement's source text.
    pub query: String,
    /// 1-based line of the statement.
    pub line: usize,
    pub method: Method,
    /// The name of a named estimand (`query ate = ...`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    #[serde(flatten)]
    pub body: Body,
    /// Warnings about this answer (low effective sample size).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
}

/// What kind of answer, with its numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Body {
    Probability(Estimate),
    Expectation(Estimate),
    Distribution(Distribution),
    Decision(DecisionAnswer),
    Bandit(BanditAnswer),
}

/// A number with its Monte Carlo error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f64,
    /// Standard error (0 for exact answers).
    pub stderr: f64,
    /// Effective sample size `(Σw)²/Σw²`.
    pub ess: f64,
    /// Samples drawn.
    pub samples: u64,
}

/// A distribution: a table for discrete quantities, a summary for real ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Distribution {
    Discrete {
        values: Vec<ValueProbability>,
        ess: f64,
        samples: u64,
    },
    Real {
        mean: f64,
        /// Standard error of the mean.
        mean_stderr: f64,
        sd: f64,
        /// 5%, 25%, 50%, 75% and 95% quantiles.
        quantiles: Vec<Quantile>,
        /// Bin edges' lower ends with their probabilities, for a terminal histogram.
        histogram: Vec<(f64, f64)>,
        ess: f64,
        samples: u64,
    },
}

/// One row of a discrete distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValueProbability {
    pub value: serde_json::Value,
    pub p: f64,
    pub stderr: f64,
}

/// One quantile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quantile {
    pub q: f64,
    pub value: f64,
}

/// The answer to a `decide` statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionAnswer {
    /// The maximum (or minimum) expected utility.
    pub value: f64,
    pub stderr: f64,
    /// The best action: decision name → value.
    pub best: serde_json::Map<String, serde_json::Value>,
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
    pub samples: u64,
}

/// One action's expected utility.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionValue {
    pub action: serde_json::Map<String, serde_json::Value>,
    pub value: f64,
    pub stderr: f64,
    /// Standard error of (this action's value − the best action's), on common noise.
    #[serde(default)]
    pub diff_stderr: f64,
}

/// One entry of a policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyRow {
    pub decision: String,
    pub context: serde_json::Map<String, serde_json::Value>,
    pub action: serde_json::Map<String, serde_json::Value>,
    pub value: f64,
}

/// The answer to a `bandit` statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BanditAnswer {
    pub policies: Vec<PolicyPerformance>,
    /// How the best intuition-aware policy's value was obtained: `"exact"` or `"sampled"`.
    pub oracle: String,
    /// The best intuition-aware policy's expected reward per round.
    pub oracle_value: f64,
    pub rounds: u64,
    pub runs: u64,
}

/// One bandit policy's record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyPerformance {
    pub name: String,
    /// Mean cumulative regret at the last round.
    pub regret: f64,
    pub regret_stderr: f64,
    /// Fraction of rounds (over all runs) in which the optimal arm was chosen.
    pub optimal_fraction: f64,
    /// (round, mean cumulative regret, its standard error, optimal fraction so far).
    pub checkpoints: Vec<Checkpoint>,
}

/// A bandit policy's state at one round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub round: u64,
    pub regret: f64,
    pub regret_stderr: f64,
    pub optimal_fraction: f64,
}
