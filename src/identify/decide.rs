//! Decisions over models with variables without mechanisms: each action's expected utility
//! `E[U | do(d = a)]` is its identified estimand evaluated on the data (as an identified
//! `query` is), all actions on the same bootstrap resamples, so the differences between
//! actions get standard errors of their own.
//!
//! Where the decided variables are observed in the data with a behaviour of their own
//! (nonparametric, not declared `decision`), the evidential ranking `E[U | d = a]` is
//! estimated alongside, and the answer flags when it disagrees with the interventional one
//! (confounding), as for models with mechanisms (LANGUAGE.md §7).
//!
//! With `given C` (single stage; the checker has made sure no context is a descendant of a
//! decision), the policy picks, per context value `c`, the action maximising
//! `E[U | do(d = a), C = c]` (identified by IDC), and its value is
//! `Σ_c P(C = c) · E[U | do(d = a*(c)), C = c]`, estimated on the same resamples.
//!
//! A decision whose effect is not identifiable is E014 with the hedge. Sequential decisions
//! (`then`) over such models are E014: their values need `P(context | do(earlier decisions))`
//! per stage, not built yet.
//!
//! **Invariant:** does no I/O; every number comes from [`estimate_all`].

use super::estimate::{Estimated, estimate_all};
use crate::data::Dataset;
use crate::decide::action_map;
use crate::decide::problem::DecisionProblem;
use crate::diagnostics::{Code, Diagnostic};
use crate::program::{
    Conditions, Decide, Estimand, Evidence, Intervention, InterventionValue, Program, Statement,
};
use crate::results::{ActionValue, Answer, Body, DecisionAnswer, MethodUsed, PolicyRow};
use crate::scm::{BinOp, Ex, Model, VarId, VarKind};

/// Answers a `decide` whose objective needs a mechanism the model does not write.
pub fn answer_decide(
    program: &Program,
    statement: &Statement,
    d: &Decide,
    data: Option<&Dataset>,
    seed: u64,
) -> Result<Answer, Diagnostic> {
    let model = &program.model;
    let span = statement.span;
    if d.stages.len() > 1 {
        return Err(Diagnostic::error(
            Code::E014,
            span,
            "sequential decisions (`then`) over variables without mechanisms are not supported yet",
        )
        .with_help("decide one stage at a time (with `given` for what it observes), or write the mechanisms"));
    }
    let problem = DecisionProblem::new(model, d, span)?;
    let decided = &problem.decision_vars;
    let interventional: Vec<Estimand> = problem
        .actions
        .iter()
        .map(|a| {
            with_conditions(&d.objective, |c| {
                for (v, x) in decided.iter().zip(a) {
                    c.interventions.retain(|i| i.var != *v);
                    c.interventions.push(Intervention {
                        var: *v,
                        value: InterventionValue::Set(Ex::Const(*x)),
                        span,
                    });
                }
            })
        })
        .collect();
    // The evidential ranking, where the decided variables behave on their own in the data.
    let evidential: Vec<Estimand> = if decided
        .iter()
        .all(|v| matches!(model.vars[*v].kind, VarKind::Nonparametric))
    {
        problem
            .actions
            .iter()
            .map(|a| {
                with_conditions(&d.objective, |c| {
                    c.interventions.retain(|i| !decided.contains(&i.var));
                    for (v, x) in decided.iter().zip(a) {
                        c.evidence.push(Evidence {
                            expr: Ex::Binary(
                                BinOp::Eq,
                                Box::new(Ex::Var(*v)),
                                Box::new(Ex::Const(*x)),
                            ),
                            span,
                            text: format!(
                                "{} = {}",
                                model.vars[*v].name,
                                model.format_value(model.vars[*v].ty, *x)
                            ),
                        });
                    }
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let n = interventional.len();
    let has_evidential = !evidential.is_empty();
    // With `given`: per context value, its probability, then each action's value there.
    let contexts = &problem.contexts;
    let context_vars = &problem.context_vars;
    let mut per_context: Vec<Estimand> = Vec::new();
    if !context_vars.is_empty() {
        for c in contexts {
            let observed = conjunction(context_vars, c);
            per_context.push(Estimand::Probability {
                event: observed.clone(),
                conditions: Conditions::default(),
                span,
            });
            for a in &interventional {
                per_context.push(with_conditions(a, |conditions| {
                    conditions.evidence.push(Evidence {
                        expr: observed.clone(),
                        span,
                        text: describe(model, context_vars, c),
                    })
                }));
            }
        }
    }
    let all: Vec<Estimand> = interventional
        .into_iter()
        .chain(evidential)
        .chain(per_context)
        .collect();
    let estimated = estimate_all(program, statement, &all, data, seed)?;
    let sign = if d.maximize { 1.0 } else { -1.0 };
    let value = |i: usize| estimated.point[i][0];
    let best = best_of(0..n, &value, sign);
    let actions: Vec<ActionValue> = (0..n)
        .map(|i| ActionValue {
            action: action_map(model, decided, &problem.actions[i]),
            value: value(i),
            stderr: estimated.stderr(|r| r[i][0]),
            diff_stderr: if i == best {
                0.0
            } else {
                estimated.stderr(|r| r[i][0] - r[best][0])
            },
        })
        .collect();
    let (evidential, evidential_disagrees) = evidential_ranking(
        has_evidential,
        model,
        decided,
        &problem.actions,
        &estimated,
        n,
        best,
        sign,
    );
    let mut warnings = estimated.warnings.clone();
    if evidential_disagrees {
        warnings.push("the evidential ranking E[U | d = a] recommends a different action than the interventional one: the data are confounded; follow the interventional answer".to_string());
    }
    let best_action = action_map(model, decided, &problem.actions[best]);
    let (mut value_best, mut stderr_best) = (value(best), actions[best].stderr);
    let mut policy = Vec::new();
    let mut value_of_information = None;
    if !context_vars.is_empty() {
        // Estimand indices: P(C = c) at `first + c·(n + 1)`, action `a` there one further on.
        let first = if has_evidential { 2 * n } else { n };
        let p_at = |c: usize| first + c * (n + 1);
        let v_at = |c: usize, a: usize| p_at(c) + 1 + a;
        let rules: Vec<usize> = (0..contexts.len())
            .map(|c| best_of(0..n, &|a| estimated.point[v_at(c, a)][0], sign))
            .collect();
        let policy_value = |r: &[Vec<f64>]| -> f64 {
            rules
                .iter()
                .enumerate()
                .map(|(c, &a)| r[p_at(c)][0] * r[v_at(c, a)][0])
                .sum()
        };
        value_best = policy_value(&estimated.point);
        stderr_best = estimated.stderr(policy_value);
        value_of_information = Some(value_best - value(best));
        let decision = decided
            .iter()
            .map(|v| model.vars[*v].name.clone())
            .collect::<Vec<_>>()
            .join(", ");
        policy = rules
            .iter()
            .enumerate()
            .map(|(c, &a)| PolicyRow {
                decision: decision.clone(),
                context: action_map(model, context_vars, &contexts[c]),
                action: action_map(model, decided, &problem.actions[a]),
                value: estimated.point[v_at(c, a)][0],
            })
            .collect();
    }
    Ok(Answer {
        query: statement.text.clone(),
        line: statement.line,
        method: MethodUsed::Identified,
        name: None,
        body: Body::Decision(DecisionAnswer {
            value: value_best,
            stderr: stderr_best,
            // A policy's action depends on what it observes (LANGUAGE.md §10).
            best: context_vars.is_empty().then(|| best_action.clone()),
            best_unconditional: best_action,
            value_unconditional: value(best),
            actions,
            policy,
            value_of_information,
            evidential,
            evidential_disagrees,
            samples: estimated.rows,
        }),
        warnings,
        details: Default::default(),
        bootstrap: None,
    })
}

/// `vars[0] == values[0] and ...`: the event that the variables take these values.
fn conjunction(vars: &[VarId], values: &[f64]) -> Ex {
    let equal =
        |v: &VarId, x: &f64| Ex::Binary(BinOp::Eq, Box::new(Ex::Var(*v)), Box::new(Ex::Const(*x)));
    let mut terms = vars.iter().zip(values).map(|(v, x)| equal(v, x));
    let first = terms.next().unwrap_or(Ex::Const(1.0));
    terms.fold(first, |acc, t| {
        Ex::Binary(BinOp::And, Box::new(acc), Box::new(t))
    })
}

/// `a = 1, b = "x"`: the values as users write them.
fn describe(model: &Model, vars: &[VarId], values: &[f64]) -> String {
    vars.iter()
        .zip(values)
        .map(|(v, x)| {
            let var = &model.vars[*v];
            format!("{} = {}", var.name, model.format_value(var.ty, *x))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `objective` with its conditions changed by `change`.
fn with_conditions(objective: &Estimand, change: impl FnOnce(&mut Conditions)) -> Estimand {
    let mut out = objective.clone();
    if let Estimand::Probability { conditions, .. } | Estimand::Expectation { conditions, .. } =
        &mut out
    {
        change(conditions);
    }
    out
}

/// The index in `range` whose value, times `sign`, is largest (the last on ties, as
/// `decide::decide` picks).
fn best_of(range: std::ops::Range<usize>, value: &impl Fn(usize) -> f64, sign: f64) -> usize {
    let start = range.start;
    range
        .max_by(|&i, &j| (sign * value(i)).total_cmp(&(sign * value(j))))
        .unwrap_or(start)
}

/// The evidential values `E[U | d = a]` (estimands `n..2n`, when `present`), and whether
/// their best action differs from the interventional `best`.
#[allow(clippy::too_many_arguments)]
fn evidential_ranking(
    present: bool,
    model: &Model,
    decided: &[VarId],
    actions: &[Vec<f64>],
    estimated: &Estimated,
    n: usize,
    best: usize,
    sign: f64,
) -> (Vec<ActionValue>, bool) {
    if !present {
        return (Vec::new(), false);
    }
    let value = |i: usize| estimated.point[n + i][0];
    let evidential_best = best_of(0..n, &value, sign);
    let rows = (0..n)
        .map(|i| ActionValue {
            action: action_map(model, decided, &actions[i]),
            value: value(i),
            stderr: estimated.stderr(|r| r[n + i][0]),
            diff_stderr: if i == evidential_best {
                0.0
            } else {
                estimated.stderr(|r| r[n + i][0] - r[n + evidential_best][0])
            },
        })
        .collect();
    (rows, evidential_best != best)
}
