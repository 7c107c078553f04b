//! Bandits played against the model as an environment (docs/language.md, "Bandits").
//!
//! Each round draws fresh noise; the agent sees its *intuition* (the arm variable's natural
//! value), picks an arm, and receives the reward in the world `do(arm = choice)` on that same
//! noise. All potential outcomes of a round come from one sample of a multi-world plan, so
//! policies are compared on common noise (run `r` of every policy sees the same rounds).
//!
//! Regret is pseudo-regret against the best intuition-aware policy: each round costs
//! `max_a μ(i, a) − μ(i, chosen)` with `μ(i, a) = E[reward[do(arm = a)] | arm = i]`, estimated
//! by a large sampled run before play.
//!
//! An arm declared with `decision` has no natural value: the agent has no intuition (every
//! round counts as the first intuition) and the bandit is a plain multi-armed one.
//!
//! **Invariant:** does no I/O; one seed fixes every number at any thread count.

use crate::diagnostics::Diagnostic;
use crate::infer::Settings;
use crate::infer::sampling::{Budget, Sampler, mix};
use crate::program::{Bandit, Conditions, Intervention, InterventionValue, PolicyKind, Statement};
use crate::query::{self, GroupSpec, Plan, TargetKind};
use crate::results::{
    Answer, BanditAnswer, Body, Checkpoint, MethodUsed, OracleKind, PolicyPerformance,
};
use crate::scm::{BinOp, Ex, Model, Type, VarKind};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use rand_distr::Distribution;

/// Samples used to estimate μ(i, a) for the regret baseline.
const ORACLE_SAMPLES: u64 = 400_000;

/// What the agent sees before it chooses: the arm variable's natural value, or, for a
/// `decision` (which has none), always the first arm.
fn intuition(model: &Model, b: &Bandit) -> Ex {
    match model.vars[b.arm].kind {
        VarKind::Decision(_) => Ex::Const(b.domain[0]),
        _ => Ex::Var(b.arm),
    }
}

/// The plan whose one sample is a round: targets are the intuition, then each arm's reward.
fn round_plan(model: &Model, b: &Bandit, statement: &Statement) -> Result<Plan, Diagnostic> {
    let mut targets = vec![(TargetKind::Scalar, intuition(model, b))];
    for &a in &b.domain {
        let intervention = Intervention {
            var: b.arm,
            value: InterventionValue::Set(Ex::Const(a)),
            span: Default::default(),
        };
        let reward = b.reward.map(&mut |node| match node {
            Ex::Var(v) => Some(Ex::Counterfactual(*v, vec![intervention.clone()])),
            _ => None,
        });
        targets.push((TargetKind::Scalar, reward));
    }
    query::plan(
        model,
        &[GroupSpec {
            conditions: Conditions::default(),
            targets,
        }],
        statement.span,
    )
}

/// Plays a bandit statement.
pub fn play(
    model: &Model,
    statement: &Statement,
    b: &Bandit,
    settings: Settings,
) -> Result<Answer, Diagnostic> {
    let plan = round_plan(model, b, statement)?;
    let k = b.domain.len();
    let intuitions = &b.domain;
    // μ(i, a) and P(i): the oracle, from a large sampled run.
    let mut oracle_targets = Vec::new();
    for &i in intuitions {
        let is_i = Ex::Binary(
            BinOp::Eq,
            Box::new(intuition(model, b)),
            Box::new(Ex::Const(i)),
        );
        oracle_targets.push((TargetKind::Scalar, is_i));
    }
    let oracle_plan = {
        let mut spec_targets = Vec::new();
        for (ii, _) in intuitions.iter().enumerate() {
            spec_targets.push(oracle_targets[ii].clone());
            for (ai, _) in b.domain.iter().enumerate() {
                let reward = match &plan.groups[0].targets[1 + ai].expr {
                    e => e.clone(),
                };
                spec_targets.push((
                    TargetKind::Scalar,
                    Ex::Binary(
                        BinOp::Mul,
                        Box::new(slot_indicator(&oracle_targets[ii].1, &plan)),
                        Box::new(reward),
                    ),
                ));
            }
        }
        let mut p = plan.clone();
        p.groups[0].targets = spec_targets
            .into_iter()
            .map(|(kind, expr)| query::Target {
                kind,
                expr: slot_indicator(&expr, &plan),
            })
            .collect();
        p
    };
    // By the engine the one engine choice picks under the statement's method (exact where
    // the model allows, else a large sampled run); the answer says which.
    // Every shard of a sharded bandit computes the oracle for itself (src/infer/shard.rs).
    let oracle = crate::infer::shard::whole(|| {
        crate::infer::engine::solve(
            &oracle_plan,
            model,
            &settings,
            Budget {
                samples: ORACLE_SAMPLES,
                ..settings.budget(statement.line as u64 ^ 0x0_AC1E)
            },
            statement.span,
        )
    })?;
    if !oracle.possible(0) {
        return Err(crate::infer::impossible(
            &oracle_plan.groups[0].evidence_text,
            ORACLE_SAMPLES,
            statement.span,
        ));
    }
    let oracle_values: Vec<f64> = (0..oracle_plan.groups[0].targets.len())
        .map(|t| oracle.scalar(0, t).0)
        .collect();
    let oracle_kind = if oracle.is_exact() {
        OracleKind::Exact
    } else {
        OracleKind::Sampled
    };
    let mut mu = vec![vec![0.0; k]; k];
    let mut p_intuition = vec![0.0; k];
    for ii in 0..k {
        let p = oracle_values[ii * (k + 1)];
        p_intuition[ii] = p;
        for ai in 0..k {
            mu[ii][ai] = if p > 0.0 {
                oracle_values[ii * (k + 1) + 1 + ai] / p
            } else {
                0.0
            };
        }
    }
    let best_value: Vec<f64> = mu
        .iter()
        .map(|row| row.iter().copied().fold(f64::NEG_INFINITY, f64::max))
        .collect();
    let oracle_value: f64 = (0..k).map(|i| p_intuition[i] * best_value[i]).sum();
    let binary = b.reward_type == Type::Bool;

    let checkpoints: Vec<u64> = {
        // The fractions the text reports, and 20 evenly spaced rounds for regret curves.
        let mut c: Vec<u64> = crate::results::CHECKPOINT_FRACTIONS
            .iter()
            .copied()
            .chain((1..=20).map(|k| k as f64 / 20.0))
            .map(|f| ((b.rounds as f64 * f).round() as u64).max(1))
            .collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    // One run plays every policy against the same draws of the environment (common random
    // numbers); runs are seeded by their index alone, so they split over shards.
    let records = crate::infer::shard::runs(b.runs, |run| {
        settings.cancel.check()?;
        b.policies
            .iter()
            .enumerate()
            .map(|(pi, &(policy, parameter))| {
                let mut env =
                    SmallRng::seed_from_u64(mix(mix(settings.seed ^ statement.line as u64) ^ run));
                let mut agent = SmallRng::seed_from_u64(mix(
                    mix(settings.seed) ^ mix(run ^ ((pi as u64 + 1) << 40))
                ));
                let mut sampler = Sampler::new(&plan, model);
                let mut state = AgentState::new(k, policy, parameter, binary);
                if policy == PolicyKind::CausalThompson
                    && !matches!(model.vars[b.arm].kind, VarKind::Decision(_))
                {
                    state.seed_observational(
                        &mut sampler,
                        &mut env,
                        intuitions,
                        b.rounds.min(1000),
                    )?;
                }
                let mut regret = 0.0;
                let mut optimal = 0u64;
                let mut regret_at = Vec::new();
                let mut optimal_at = Vec::new();
                let mut next = 0;
                for round in 1..=b.rounds {
                    sampler.sample(&mut env)?;
                    let values = sampler_values(&sampler);
                    let intuition = intuitions.iter().position(|x| *x == values[0]).unwrap_or(0);
                    let arm = state.choose(intuition, round, &mut agent);
                    let reward = values[1 + arm];
                    state.update(intuition, arm, reward);
                    regret += best_value[intuition] - mu[intuition][arm];
                    if mu[intuition][arm] >= best_value[intuition] - 1e-12 {
                        optimal += 1;
                    }
                    if next < checkpoints.len() && round == checkpoints[next] {
                        regret_at.push(regret);
                        optimal_at.push(optimal);
                        next += 1;
                    }
                }
                Ok((regret_at, optimal_at))
            })
            .collect()
    })?;
    let mut performances = Vec::new();
    for (pi, &(policy, _)) in b.policies.iter().enumerate() {
        let mut regrets = vec![Vec::new(); checkpoints.len()];
        let mut optimals = vec![0u64; checkpoints.len()];
        for record in &records {
            let (ra, oa) = &record[pi];
            for c in 0..checkpoints.len() {
                regrets[c].push(ra[c]);
                optimals[c] += oa[c];
            }
        }
        let points: Vec<Checkpoint> = checkpoints
            .iter()
            .enumerate()
            .map(|(c, &round)| {
                let (mean, se) = mean_se(&regrets[c]);
                Checkpoint {
                    round,
                    regret: mean,
                    regret_stderr: se,
                    optimal_fraction: optimals[c] as f64 / (round * b.runs) as f64,
                }
            })
            .collect();
        let last = points.last().cloned().unwrap_or(Checkpoint {
            round: 0,
            regret: 0.0,
            regret_stderr: 0.0,
            optimal_fraction: 0.0,
        });
        performances.push(PolicyPerformance {
            name: policy.name().to_string(),
            regret: last.regret,
            regret_stderr: last.regret_stderr,
            optimal_fraction: last.optimal_fraction,
            checkpoints: points,
        });
    }
    Ok(Answer {
        query: statement.text.clone(),
        line: statement.line,
        method: MethodUsed::Is,
        name: None,
        body: Body::Bandit(BanditAnswer {
            policies: performances,
            oracle: oracle_kind,
            oracle_value,
            rounds: b.rounds,
            runs: b.runs,
        }),
        warnings: Vec::new(),
        details: Default::default(),
        bootstrap: None,
    })
}

/// Rewrites an expression over the round plan's factual variables into its slots.
fn slot_indicator(e: &Ex, _plan: &Plan) -> Ex {
    e.map(&mut |node| match node {
        Ex::Var(v) => Some(Ex::Slot(*v)),
        _ => None,
    })
}

fn sampler_values(sampler: &Sampler<'_>) -> Vec<f64> {
    sampler.values()[0].clone()
}

fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if n == 0.0 {
        return (0.0, 0.0);
    }
    let mean = xs.iter().sum::<f64>() / n;
    let var = if n > 1.0 {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, (var / n).sqrt())
}

/// What a policy knows: per (intuition, arm) counts and sums.
struct AgentState {
    k: usize,
    policy: PolicyKind,
    parameter: Option<f64>,
    binary: bool,
    /// Per intuition (causal_thompson) or pooled in row 0 (others).
    n: Vec<Vec<f64>>,
    sum: Vec<Vec<f64>>,
    sum_sq: Vec<Vec<f64>>,
}

impl AgentState {
    fn new(k: usize, policy: PolicyKind, parameter: Option<f64>, binary: bool) -> AgentState {
        AgentState {
            k,
            policy,
            parameter,
            binary,
            n: vec![vec![0.0; k]; k],
            sum: vec![vec![0.0; k]; k],
            sum_sq: vec![vec![0.0; k]; k],
        }
    }

    fn row(&self, intuition: usize) -> usize {
        if self.policy == PolicyKind::CausalThompson {
            intuition
        } else {
            0
        }
    }

    /// Seeds each intuition's own arm with observational rounds drawn before play: by
    /// consistency `E[y | x = i] = E[y[do(x = i)] | x = i]`.
    fn seed_observational(
        &mut self,
        sampler: &mut Sampler<'_>,
        env: &mut SmallRng,
        intuitions: &[f64],
        rounds: u64,
    ) -> Result<(), Diagnostic> {
        for _ in 0..rounds {
            sampler.sample(env)?;
            let values = sampler.values()[0].clone();
            let i = intuitions.iter().position(|x| *x == values[0]).unwrap_or(0);
            self.update(i, i, values[1 + i]);
        }
        Ok(())
    }

    fn update(&mut self, intuition: usize, arm: usize, reward: f64) {
        let r = self.row(intuition);
        self.n[r][arm] += 1.0;
        self.sum[r][arm] += reward;
        self.sum_sq[r][arm] += reward * reward;
    }

    fn mean(&self, r: usize, a: usize) -> f64 {
        if self.n[r][a] > 0.0 {
            self.sum[r][a] / self.n[r][a]
        } else {
            0.0
        }
    }

    fn choose(&self, intuition: usize, round: u64, rng: &mut SmallRng) -> usize {
        let r = self.row(intuition);
        let k = self.k;
        let argmax = |score: &dyn Fn(usize) -> f64| {
            (0..k)
                .max_by(|&a, &b| score(a).total_cmp(&score(b)))
                .unwrap_or(0)
        };
        match self.policy {
            PolicyKind::Random => rng.random_range(0..k),
            PolicyKind::Greedy | PolicyKind::EpsilonGreedy | PolicyKind::Ucb1 => {
                if let Some(untried) = (0..k).find(|&a| self.n[r][a] == 0.0) {
                    return untried;
                }
                match self.policy {
                    PolicyKind::EpsilonGreedy
                        if rng.random::<f64>() < self.parameter.unwrap_or(0.1) =>
                    {
                        rng.random_range(0..k)
                    }
                    PolicyKind::Ucb1 => {
                        let t = round as f64;
                        argmax(&|a| self.mean(r, a) + (2.0 * t.ln() / self.n[r][a]).sqrt())
                    }
                    _ => argmax(&|a| self.mean(r, a)),
                }
            }
            PolicyKind::Thompson | PolicyKind::CausalThompson => {
                let draws: Vec<f64> = (0..k)
                    .map(|a| {
                        if self.binary {
                            let successes = self.sum[r][a];
                            let failures = self.n[r][a] - successes;
                            rand_distr::Beta::new(1.0 + successes, 1.0 + failures)
                                .map_or(0.5, |d| d.sample(rng))
                        } else {
                            let n = self.n[r][a];
                            let mean = self.mean(r, a);
                            let var = if n > 1.0 {
                                (self.sum_sq[r][a] / n - mean * mean).max(1e-12)
                            } else {
                                1.0
                            };
                            let z: f64 = rng.sample(rand_distr::StandardNormal);
                            mean + z * (var / (n + 1.0)).sqrt()
                        }
                    })
                    .collect();
                argmax(&|a| draws[a])
            }
        }
    }
}
