//! Decisions: actions ranked by *interventional* expected utility, policies and sequential
//! decisions by backward induction.
//!
//! Every full action vector (one value per decision of every stage) becomes a group of one
//! sampling pass, so all actions are scored on common noise. Each group estimates
//! `E[U | do(a)]` and, for every value `x` of the observed context, `E[U·1{X=x} | do(a)]`.
//! Backward induction runs on those tables: the last stage picks, for each history, the action
//! with the largest mass; earlier stages sum over what later stages observe. The optimal policy
//! is then re-estimated in a pass of its own, as a policy intervention, for an honest value and
//! standard error.
//!
//! **Invariant:** does no I/O.

pub mod bandit;
pub(crate) mod problem;

use crate::diagnostics::Diagnostic;
use crate::infer::engine::Solved;
use crate::infer::sampling::Budget;
use crate::infer::{Settings, impossible};
use crate::program::{
    Conditions, Decide, Estimand, Evidence, Intervention, InterventionValue, Statement,
};
use crate::query::{self, Covariances, GroupSpec, TargetKind};
use crate::results::{
    ActionValue, Answer, Assignment, Body, DecisionAnswer, MethodUsed, PolicyRow,
};
use crate::scm::expr::MatchEx;
use crate::scm::{BinOp, Ex, Model, VarId, VarKind};
use problem::DecisionProblem;

/// Up to this many actions a decision tracks the covariance of every pair of actions in one
/// run (496 cross sums); past it, two runs track each action against the best only.
const ALL_PAIRS_UP_TO: usize = 32;

/// The objective's value expression and conditions.
fn objective(d: &Decide) -> (Ex, &Conditions) {
    match &d.objective {
        Estimand::Expectation {
            value, conditions, ..
        } => (value.clone(), conditions),
        Estimand::Probability {
            event, conditions, ..
        } => (event.clone(), conditions),
        _ => (Ex::Const(f64::NAN), &EMPTY_CONDITIONS),
    }
}

static EMPTY_CONDITIONS: Conditions = Conditions {
    interventions: Vec::new(),
    evidence: Vec::new(),
};

fn set(var: VarId, value: Ex) -> Intervention {
    Intervention {
        var,
        value: InterventionValue::Set(value),
        span: Default::default(),
    }
}

fn indicator(vars: &[VarId], values: &[f64]) -> Ex {
    vars.iter().zip(values).fold(Ex::Const(1.0), |acc, (v, x)| {
        let eq = Ex::Binary(BinOp::Eq, Box::new(Ex::Var(*v)), Box::new(Ex::Const(*x)));
        Ex::Binary(BinOp::And, Box::new(acc), Box::new(eq))
    })
}

/// An action as its decisions' names and values.
pub(crate) fn action_map(model: &Model, vars: &[VarId], values: &[f64]) -> Assignment {
    vars.iter()
        .zip(values)
        .map(|(v, x)| {
            (
                model.vars[*v].name.clone(),
                model.result_value(model.vars[*v].ty, *x),
            )
        })
        .collect()
}

/// Answers a `decide` statement.
pub fn decide(
    model: &Model,
    statement: &Statement,
    d: &Decide,
    settings: Settings,
) -> Result<Answer, Diagnostic> {
    let (utility, conditions) = objective(d);
    let sign = if d.maximize { 1.0 } else { -1.0 };
    // Decisions and contexts, stage by stage, enumerated (their sizes were checked).
    let DecisionProblem {
        decision_vars,
        context_vars,
        stage_context_len,
        actions,
        contexts,
    } = DecisionProblem::new(model, d, statement.span)?;
    // One group per full action vector: E[U], then E[U·1{X=x}] and P(X=x) per context value.
    let specs: Vec<GroupSpec> = actions
        .iter()
        .map(|a| {
            let mut c = conditions.clone();
            for (v, x) in decision_vars.iter().zip(a) {
                c.interventions.retain(|i| i.var != *v);
                c.interventions.push(set(*v, Ex::Const(*x)));
            }
            let mut targets = vec![(TargetKind::Scalar, utility.clone())];
            if !context_vars.is_empty() {
                for x in &contexts {
                    let ind = indicator(&context_vars, x);
                    targets.push((
                        TargetKind::Scalar,
                        Ex::Binary(BinOp::Mul, Box::new(ind.clone()), Box::new(utility.clone())),
                    ));
                    targets.push((TargetKind::Scalar, ind));
                }
            }
            GroupSpec {
                conditions: c,
                targets,
            }
        })
        .collect();
    // Each action's difference from the best needs their covariance. With a few actions every
    // pair is tracked in one run; with many, a first run finds the best and a second run with
    // the same seed (the same samples, so the same values) tracks each action against it only:
    // groups, not groups², cross sums.
    let two_runs = actions.len() > ALL_PAIRS_UP_TO;
    let mut plan = query::plan(model, &specs, statement.span)?;
    if two_runs {
        plan.covariances = Covariances::None;
    }
    let budget = settings.budget(statement.line as u64);
    let mut acc = run(&plan, model, settings, budget, statement.span)?;
    for g in 0..plan.groups.len() {
        if !acc.possible(g) {
            return Err(impossible(
                &plan.groups[g].evidence_text,
                settings.samples,
                statement.span,
            ));
        }
    }
    let values: Vec<(f64, f64)> = (0..plan.groups.len()).map(|g| acc.scalar(g, 0)).collect();
    let best = (0..actions.len())
        .max_by(|&i, &j| (sign * values[i].0).total_cmp(&(sign * values[j].0)))
        .unwrap_or(0);
    if two_runs && !acc.is_exact() {
        plan.covariances = Covariances::With(best);
        acc = run(&plan, model, settings, budget, statement.span)?;
        debug_assert!(
            (0..actions.len()).all(|g| acc.scalar(g, 0).0.to_bits() == values[g].0.to_bits()),
            "the second run draws the same samples"
        );
    }
    let action_values: Vec<ActionValue> = actions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let diff_var =
                acc.covariance(i, i) + acc.covariance(best, best) - 2.0 * acc.covariance(i, best);
            ActionValue {
                action: action_map(model, &decision_vars, a),
                value: values[i].0,
                stderr: values[i].1,
                diff_stderr: if i == best {
                    0.0
                } else {
                    crate::infer::estimate::nonnegative(diff_var).sqrt()
                },
            }
        })
        .collect();
    let best_unconditional = action_map(model, &decision_vars, &actions[best]);
    let mut best_map = Some(best_unconditional.clone());
    let (mut value, mut stderr) = values[best];
    let mut policy = Vec::new();
    let mut value_of_information = None;
    let mut all_exact = acc.is_exact();
    if !context_vars.is_empty() || d.stages.len() > 1 {
        let rules = backward_induction(d, &acc, &actions, &contexts, &stage_context_len, sign);
        policy = policy_rows(
            model,
            d,
            &rules,
            &context_vars,
            &stage_context_len,
            &acc,
            &actions,
            &contexts,
        );
        // The optimal policy, re-estimated as one policy intervention.
        let (v, se, policy_exact) = evaluate_policy(
            model,
            statement,
            d,
            &rules,
            &context_vars,
            &stage_context_len,
            &contexts,
            &utility,
            conditions,
            settings,
        )?;
        value = v;
        stderr = se;
        all_exact &= policy_exact;
        // What the policy recommends before anything is observed: its first stage's action,
        // when that stage observes nothing (LANGUAGE.md section 10).
        best_map = (stage_context_len[0] == 0).then(|| {
            let first: Vec<VarId> = d.stages[0].choices.iter().map(|c| c.var).collect();
            action_map(
                model,
                &first,
                rules[0].first().map_or(&[][..], Vec::as_slice),
            )
        });
        if !context_vars.is_empty() {
            value_of_information = Some(v - values[best].0);
        }
    }
    let (evidential, evidential_disagrees) = evidential_ranking(
        model,
        statement,
        d,
        &utility,
        conditions,
        &decision_vars,
        &actions,
        best,
        sign,
        settings,
    )?;
    let mut warnings = Vec::new();
    for g in 0..plan.groups.len() {
        let Some(ess) = acc.ess(g) else { break };
        if let Some(w) =
            crate::infer::ess_warning(ess, settings.samples, &plan.groups[g].evidence_text)
        {
            warnings.push(w);
            break;
        }
    }
    if evidential_disagrees {
        warnings.push("the evidential ranking E[U | d = a] recommends a different action than the interventional one: the data are confounded; follow the interventional answer".to_string());
    }
    Ok(Answer {
        query: statement.text.clone(),
        line: statement.line,
        method: if all_exact {
            MethodUsed::Exact
        } else {
            MethodUsed::Is
        },
        name: None,
        body: Body::Decision(DecisionAnswer {
            value,
            stderr,
            best: best_map,
            best_unconditional,
            value_unconditional: values[best].0,
            actions: action_values,
            policy,
            value_of_information,
            evidential,
            evidential_disagrees,
            samples: if all_exact { 0 } else { settings.samples },
        }),
        warnings,
        details: Default::default(),
        bootstrap: None,
    })
}

/// A plan's group estimates, from whichever engine `infer::engine` chooses.
type Run = Solved;

/// Runs a plan with the engine the one engine choice picks (as queries and bandits do).
fn run(
    plan: &query::Plan,
    model: &Model,
    settings: Settings,
    budget: Budget,
    span: crate::ast::Span,
) -> Result<Run, Diagnostic> {
    crate::infer::engine::solve(plan, model, &settings, budget, span)
}

/// For each stage, the chosen stage action index (into the stage's own action product) for
/// each (full action prefix index, context index) history, as a table over full actions and
/// contexts: `rules[k][(a, x)]` is the value of stage k's decisions.
type Rules = Vec<Vec<Vec<f64>>>;

fn stage_ranges(d: &Decide) -> Vec<(usize, usize)> {
    let mut start = 0;
    d.stages
        .iter()
        .map(|s| {
            let r = (start, start + s.choices.len());
            start += s.choices.len();
            r
        })
        .collect()
}

/// Backward induction over the tables `M(a, x) = E[U·1{X=x} | do(a)]`.
/// Returns, per stage, per (action vector, context) the stage's chosen values.
fn backward_induction(
    d: &Decide,
    acc: &Run,
    actions: &[Vec<f64>],
    contexts: &[Vec<f64>],
    stage_context_len: &[usize],
    sign: f64,
) -> Rules {
    let ranges = stage_ranges(d);
    let n_ctx_vars = stage_context_len.last().copied().unwrap_or(0);
    // mass[a][x]: the value-to-go mass under the policy chosen so far for later stages.
    let mass: Vec<Vec<f64>> = (0..actions.len())
        .map(|a| {
            (0..contexts.len())
                .map(|x| {
                    if n_ctx_vars == 0 {
                        acc.scalar(a, 0).0
                    } else {
                        acc.scalar(a, 1 + 2 * x).0
                    }
                })
                .collect()
        })
        .collect();
    let mut rules: Rules = vec![Vec::new(); d.stages.len()];
    for k in (0..d.stages.len()).rev() {
        let (lo, hi) = ranges[k];
        let observed = stage_context_len[k];
        // A history: earlier decisions' values and the contexts observed by stage k.
        let history = |a: &Vec<f64>, x: &Vec<f64>| -> (Vec<u64>, Vec<u64>) {
            (
                a[..lo].iter().map(|v| v.to_bits()).collect(),
                x[..observed].iter().map(|v| v.to_bits()).collect(),
            )
        };
        // Total mass per (history, stage action), summed over contexts observed later.
        let mut totals: std::collections::HashMap<((Vec<u64>, Vec<u64>), Vec<u64>), f64> =
            std::collections::HashMap::new();
        for (ai, a) in actions.iter().enumerate() {
            for (xi, x) in contexts.iter().enumerate() {
                // Later stages act by their rules; other action vectors are never played.
                if !follows_later(&rules, k, ai, xi, contexts.len(), a, &ranges) {
                    continue;
                }
                let key = (
                    history(a, x),
                    a[lo..hi].iter().map(|v| v.to_bits()).collect(),
                );
                *totals.entry(key).or_insert(0.0) += mass[ai][xi];
            }
        }
        let mut best: std::collections::HashMap<(Vec<u64>, Vec<u64>), (f64, Vec<u64>)> =
            std::collections::HashMap::new();
        let mut keys: Vec<_> = totals.into_iter().collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        for ((h, act), m) in keys {
            let entry = best.entry(h).or_insert((f64::NEG_INFINITY, act.clone()));
            if sign * m > entry.0 {
                *entry = (sign * m, act);
            }
        }
        rules[k] = actions
            .iter()
            .flat_map(|a| contexts.iter().map(move |x| (a, x)))
            .map(|(a, x)| {
                best.get(&history(a, x))
                    .map(|(_, act)| act.iter().map(|b| f64::from_bits(*b)).collect())
                    .unwrap_or_default()
            })
            .collect();
    }
    rules
}

/// Whether `a` takes, at every stage after `k`, the action those stages' rules choose at `x`.
fn follows_later(
    rules: &Rules,
    k: usize,
    ai: usize,
    xi: usize,
    n_contexts: usize,
    a: &[f64],
    ranges: &[(usize, usize)],
) -> bool {
    (k + 1..rules.len()).all(|later| {
        let (lo, hi) = ranges[later];
        rules[later][ai * n_contexts + xi].as_slice() == &a[lo..hi]
    })
}

#[allow(clippy::too_many_arguments)]
fn policy_rows(
    model: &Model,
    d: &Decide,
    rules: &Rules,
    context_vars: &[VarId],
    stage_context_len: &[usize],
    acc: &Run,
    actions: &[Vec<f64>],
    contexts: &[Vec<f64>],
) -> Vec<PolicyRow> {
    let ranges = stage_ranges(d);
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (xi, x) in contexts.iter().enumerate() {
        let played = followed(rules, &ranges, actions, contexts.len(), xi);
        for ((k, stage), act) in d.stages.iter().enumerate().zip(played) {
            let observed = stage_context_len[k];
            let key = (
                k,
                x[..observed]
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>(),
            );
            if seen.insert(key) {
                let ctx_map = action_map(model, &context_vars[..observed], &x[..observed]);
                let vars: Vec<VarId> = stage.choices.iter().map(|c| c.var).collect();
                // The policy's conditional value given what this stage observed: over every
                // full context extending it, the action vector the whole policy plays there.
                let (mut m, mut p) = (0.0, 0.0);
                for (xj, y) in contexts.iter().enumerate() {
                    if y[..observed] != x[..observed] {
                        continue;
                    }
                    let ai = followed_action(rules, &ranges, actions, contexts.len(), xj);
                    if context_vars.is_empty() {
                        (m, p) = (acc.scalar(ai, 0).0, 1.0);
                    } else {
                        m += acc.scalar(ai, 1 + 2 * xj).0;
                        p += acc.scalar(ai, 2 + 2 * xj).0;
                    }
                }
                let decision = vars
                    .iter()
                    .map(|v| model.vars[*v].name.clone())
                    .collect::<Vec<_>>()
                    .join(", ");
                rows.push(PolicyRow {
                    decision,
                    context: ctx_map,
                    action: action_map(model, &vars, act),
                    value: if p > 0.0 { m / p } else { f64::NAN },
                });
            }
        }
    }
    rows.retain(|r| r.value.is_finite());
    rows
}

/// What each stage plays at context `xi` when the policy is followed from stage 0: each
/// stage's rule read at the actions the earlier stages played.
fn followed<'r>(
    rules: &'r Rules,
    ranges: &[(usize, usize)],
    actions: &[Vec<f64>],
    n_contexts: usize,
    xi: usize,
) -> Vec<&'r [f64]> {
    let mut chosen: Vec<f64> = Vec::new();
    let mut played = Vec::with_capacity(rules.len());
    for (k, rule) in rules.iter().enumerate() {
        let prefix = actions
            .iter()
            .position(|a| a[..ranges[k].0] == chosen[..])
            .unwrap_or(0);
        let act = rule[prefix * n_contexts + xi].as_slice();
        chosen.extend_from_slice(act);
        played.push(act);
    }
    played
}

/// The full action vector the policy plays at context `xi`.
fn followed_action(
    rules: &Rules,
    ranges: &[(usize, usize)],
    actions: &[Vec<f64>],
    n_contexts: usize,
    xi: usize,
) -> usize {
    let chosen = followed(rules, ranges, actions, n_contexts, xi).concat();
    actions.iter().position(|a| *a == chosen).unwrap_or(0)
}

/// The policy as interventions `d := match (context) {...}`, sampled on its own.
#[allow(clippy::too_many_arguments)]
fn evaluate_policy(
    model: &Model,
    statement: &Statement,
    d: &Decide,
    rules: &Rules,
    context_vars: &[VarId],
    stage_context_len: &[usize],
    contexts: &[Vec<f64>],
    utility: &Ex,
    conditions: &Conditions,
    settings: Settings,
) -> Result<(f64, f64, bool), Diagnostic> {
    let ranges = stage_ranges(d);
    let actions_all: Vec<Vec<f64>> = {
        let domains: Vec<&[f64]> = d
            .stages
            .iter()
            .flat_map(|s| s.choices.iter().map(|c| c.domain.as_slice()))
            .collect();
        problem::checked_product(&domains)
    };
    // What each stage plays at each context, following the policy.
    let played: Vec<Vec<&[f64]>> = (0..contexts.len())
        .map(|xi| followed(rules, &ranges, &actions_all, contexts.len(), xi))
        .collect();
    let mut c = conditions.clone();
    for (k, stage) in d.stages.iter().enumerate() {
        let observed = stage_context_len[k];
        for (j, choice) in stage.choices.iter().enumerate() {
            let mut arms = Vec::new();
            for (x, played) in contexts.iter().zip(&played) {
                let act = played[k];
                arms.push((
                    x[..observed].to_vec(),
                    Ex::Const(act.get(j).copied().unwrap_or(choice.domain[0])),
                ));
            }
            // A stage's rule reads only what that stage has observed.
            let value = if observed == 0 {
                arms.first()
                    .map_or(Ex::Const(choice.domain[0]), |a| a.1.clone())
            } else {
                let arms = arms
                    .into_iter()
                    .map(|(x, body)| (x.into_iter().map(Some).collect(), body))
                    .collect();
                Ex::Match(Box::new(MatchEx {
                    scrutinees: context_vars[..observed]
                        .iter()
                        .map(|v| Ex::Var(*v))
                        .collect(),
                    arms,
                }))
            };
            c.interventions.retain(|i| i.var != choice.var);
            c.interventions.push(Intervention {
                var: choice.var,
                value: InterventionValue::Set(value),
                span: Default::default(),
            });
        }
    }
    let spec = GroupSpec {
        conditions: c,
        targets: vec![(TargetKind::Scalar, utility.clone())],
    };
    let plan = query::plan(model, &[spec], statement.span)?;
    let budget = settings.budget(statement.line as u64 ^ 0xD0_1C1E);
    let acc = run(&plan, model, settings, budget, statement.span)?;
    if !acc.possible(0) {
        return Err(impossible(
            &plan.groups[0].evidence_text,
            settings.samples,
            statement.span,
        ));
    }
    Ok((acc.scalar(0, 0).0, acc.scalar(0, 0).1, acc.is_exact()))
}

/// `E[U | d = a]` for a single decision with a mechanism of its own.
#[allow(clippy::too_many_arguments)]
fn evidential_ranking(
    model: &Model,
    statement: &Statement,
    d: &Decide,
    utility: &Ex,
    conditions: &Conditions,
    decision_vars: &[VarId],
    actions: &[Vec<f64>],
    best: usize,
    sign: f64,
    settings: Settings,
) -> Result<(Vec<ActionValue>, bool), Diagnostic> {
    if d.stages.len() != 1
        || decision_vars.len() != 1
        || matches!(model.vars[decision_vars[0]].kind, VarKind::Decision(_))
    {
        return Ok((Vec::new(), false));
    }
    let v = decision_vars[0];
    let specs: Vec<GroupSpec> = actions
        .iter()
        .map(|a| {
            let mut c = conditions.clone();
            c.evidence.push(Evidence {
                expr: Ex::Binary(BinOp::Eq, Box::new(Ex::Var(v)), Box::new(Ex::Const(a[0]))),
                span: statement.span,
                text: format!(
                    "{} = {}",
                    model.vars[v].name,
                    model.format_value(model.vars[v].ty, a[0])
                ),
            });
            GroupSpec {
                conditions: c,
                targets: vec![(TargetKind::Scalar, utility.clone())],
            }
        })
        .collect();
    let mut plan = query::plan(model, &specs, statement.span)?;
    plan.covariances = Covariances::None;
    let budget = settings.budget(statement.line as u64 ^ 0xE71D);
    let acc = run(&plan, model, settings, budget, statement.span)?;
    let mut rows = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        if !acc.possible(i) {
            continue;
        }
        let (value, stderr) = acc.scalar(i, 0);
        rows.push((
            i,
            ActionValue {
                action: action_map(model, decision_vars, a),
                value,
                stderr,
                diff_stderr: 0.0,
            },
        ));
    }
    let evidential_best = rows
        .iter()
        .max_by(|a, b| (sign * a.1.value).total_cmp(&(sign * b.1.value)))
        .map(|r| r.0);
    let disagrees = evidential_best.is_some_and(|b| b != best);
    Ok((rows.into_iter().map(|r| r.1).collect(), disagrees))
}
