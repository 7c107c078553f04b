//! A checked program: the model plus its questions (queries, decisions, bandits), resolved.
//!
//! **Invariant:** every expression here has been type-checked against the model; evidence is
//! boolean; decision domains are finite and non-empty; a decision's table (full action
//! vectors × context values) fits `Config::max_decision_table`.

use crate::ast::Span;
use crate::infer::MethodChoice;
pub use crate::scm::expr::{Intervention, InterventionValue};
use crate::scm::{BinOp, Ex, Model, Type, VarId};

/// A checked program.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub model: Model,
    pub statements: Vec<Statement>,
    /// `set samples` in force at the end of the file (the REPL's setting).
    pub samples: Option<u64>,
    /// `set seed` in force at the end of the file.
    pub seed: Option<u64>,
    /// `set permutations` in force at the end of the file.
    pub permutations: Option<u64>,
    /// The declared `<->` edges (unobserved common causes), each pair once.
    pub bidirected: Vec<(VarId, VarId)>,
    /// `set method` in force at the end of the file.
    pub method: Option<MethodChoice>,
    /// What checking knew beyond the above (constants), kept to extend the program by more
    /// text without checking it again (`check/extend.rs`, the REPL).
    pub scope: crate::check::Scope,
    /// `set prior = k` in force at the end of the file: pseudo-observations of every value in
    /// every cell of a fitted table (LANGUAGE.md §12).
    pub prior: Option<f64>,
}

/// A question, in file order.
#[derive(Clone, Debug)]
pub struct Statement {
    pub kind: StatementKind,
    pub span: Span,
    /// 1-based line of the statement's start.
    pub line: usize,
    /// The statement's source text.
    pub text: String,
    /// `set samples` in force at this statement.
    pub samples: Option<u64>,
    /// `set seed` in force at this statement.
    pub seed: Option<u64>,
    /// `set method` in force at this statement.
    pub method: Option<MethodChoice>,
}

/// What a statement asks.
#[derive(Clone, Debug)]
pub enum StatementKind {
    Query {
        name: Option<String>,
        estimand: Estimand,
    },
    Decide(Decide),
    Bandit(Bandit),
    Identify(Identify),
    Attribute(Attribute),
}

/// `identify P(y | do(x), z)`: outcome, treatment and conditioning variables.
#[derive(Clone, Debug)]
pub struct Identify {
    pub outcomes: Vec<VarId>,
    pub treatments: Vec<VarId>,
    pub given: Vec<VarId>,
}

/// An estimand: arithmetic over probabilities, expectations and distributions.
#[derive(Clone, Debug)]
#[allow(dead_code)] // The leaves' spans: no message cites them yet.
pub enum Estimand {
    /// `P(event | ...)`.
    Probability {
        event: Ex,
        conditions: Conditions,
        span: Span,
    },
    /// `E[value | ...]`.
    Expectation {
        value: Ex,
        conditions: Conditions,
        span: Span,
    },
    /// `P(var | ...)` for a variable that is not a bool: its whole distribution.
    Distribution {
        target: Ex,
        ty: Type,
        conditions: Conditions,
        span: Span,
    },
    /// `P(* | ...)`: every variable's distribution under the same conditions.
    Marginals {
        conditions: Conditions,
        span: Span,
    },
    Number(f64),
    Neg(Box<Estimand>),
    Binary(BinOp, Box<Estimand>, Box<Estimand>),
}

impl Estimand {
    /// The probabilities and expectations this estimand combines, left to right.
    pub fn leaves(&self) -> Vec<&Estimand> {
        match self {
            Estimand::Number(_) => Vec::new(),
            Estimand::Neg(inner) => inner.leaves(),
            Estimand::Binary(_, a, b) => {
                let mut out = a.leaves();
                out.extend(b.leaves());
                out
            }
            leaf => vec![leaf],
        }
    }
}

/// The conditions of a query: interventions, then evidence in the intervened world.
#[derive(Clone, Debug, Default)]
pub struct Conditions {
    pub interventions: Vec<Intervention>,
    pub evidence: Vec<Evidence>,
}

/// A piece of evidence: a boolean expression observed to be true.
#[derive(Clone, Debug)]
pub struct Evidence {
    pub expr: Ex,
    pub span: Span,
    pub text: String,
}

/// A `decide` statement.
#[derive(Clone, Debug)]
pub struct Decide {
    pub stages: Vec<Stage>,
    pub maximize: bool,
    /// The expected utility, always an expectation or a probability.
    pub objective: Estimand,
}

impl Decide {
    /// Every decision of every stage, in order: the axes of the action table.
    pub fn choices(&self) -> impl Iterator<Item = &Choice> {
        self.stages.iter().flat_map(|stage| &stage.choices)
    }

    /// The variables some stage observes, in the order first observed, and for each stage how
    /// many of them it has observed (a stage sees what earlier stages saw).
    pub fn contexts(&self) -> (Vec<VarId>, Vec<usize>) {
        let mut vars: Vec<VarId> = Vec::new();
        let mut observed = Vec::with_capacity(self.stages.len());
        for stage in &self.stages {
            for &v in &stage.given {
                if !vars.contains(&v) {
                    vars.push(v);
                }
            }
            observed.push(vars.len());
        }
        (vars, observed)
    }

    /// The axes of this decision's tables: each decision's domain size (the action table),
    /// and each observed variable's domain size (the context table).
    pub fn table_axes(&self, model: &Model) -> (Vec<usize>, Vec<usize>) {
        let actions = self.choices().map(|c| c.domain.len()).collect();
        let contexts = self
            .contexts()
            .0
            .iter()
            .map(|v| model.vars[*v].domain.as_ref().map_or(0, Vec::len))
            .collect();
        (actions, contexts)
    }

    /// How many full action vectors and how many context values this decision tabulates,
    /// computed with [`table_size`](crate::config::table_size) (`None`: more than a `usize`
    /// holds). Nothing is enumerated.
    pub fn table_sizes(&self, model: &Model) -> (Option<usize>, Option<usize>) {
        let (actions, contexts) = self.table_axes(model);
        (
            crate::config::table_size(actions),
            crate::config::table_size(contexts),
        )
    }
}

/// One stage of decisions and what they observe.
#[derive(Clone, Debug)]
pub struct Stage {
    pub choices: Vec<Choice>,
    pub given: Vec<VarId>,
}

/// A decision variable and the actions it may take.
#[derive(Clone, Debug)]
pub struct Choice {
    pub var: VarId,
    pub domain: Vec<f64>,
}

/// An `attribute` statement (LANGUAGE.md section 14).
///
/// **Invariant:** there is at least one player and no more than
/// `Config::max_attribution_players`; intervention players set distinct variables.
#[derive(Clone, Debug)]
pub struct Attribute {
    /// What is attributed: `EXPR` (noise players) or the expectation's value.
    pub target: Ex,
    /// The evidence (and, for intervention players, the `do(...)` every coalition shares).
    pub conditions: Conditions,
    pub players: Players,
    /// `set permutations = K` in force at this statement (past 12 players).
    pub permutations: Option<u64>,
}

/// Who shares the credit.
#[derive(Clone, Debug)]
pub enum Players {
    /// `attribute EXPR given ...`: the noise of each of these stochastic variables (EXPR's
    /// stochastic ancestors, itself included, in the model's order).
    Noise(Vec<VarId>),
    /// `attribute E[...] to do(...)`: each intervention, named by its text as written.
    Interventions(Vec<(String, Intervention)>),
}

impl Players {
    /// How many players there are.
    pub fn len(&self) -> usize {
        match self {
            Players::Noise(v) => v.len(),
            Players::Interventions(i) => i.len(),
        }
    }
}

/// A `bandit` statement.
#[derive(Clone, Debug)]
pub struct Bandit {
    pub arm: VarId,
    pub domain: Vec<f64>,
    pub reward: Ex,
    pub reward_type: Type,
    pub rounds: u64,
    pub runs: u64,
    pub policies: Vec<(PolicyKind, Option<f64>)>,
}

/// A bandit policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    Random,
    Greedy,
    EpsilonGreedy,
    Ucb1,
    Thompson,
    CausalThompson,
}

impl PolicyKind {
    /// Every policy with its name.
    pub const ALL: &'static [(&'static str, PolicyKind)] = &[
        ("random", PolicyKind::Random),
        ("greedy", PolicyKind::Greedy),
        ("epsilon_greedy", PolicyKind::EpsilonGreedy),
        ("ucb1", PolicyKind::Ucb1),
        ("thompson", PolicyKind::Thompson),
        ("causal_thompson", PolicyKind::CausalThompson),
    ];

    /// The policy's name.
    pub fn name(self) -> &'static str {
        PolicyKind::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |(n, _)| n)
    }
}
