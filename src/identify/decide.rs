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
//! A decision whose effect is not identifiable is E014 with the hedge. Policies (`given`) and
//! sequential decisions (`then`) over such models are E014: their values need
//! `P(context | do(earlier decisions))` and per-context identification, not built yet.
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
use crate::results::{ActionValue, Answer, Body, DecisionAnswer, MethodUsed};
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
    if d.stages.len() > 1 || d.stages.iter().any(|s| !s.given.is_empty()) {
        return Err(Diagnostic::error(
            Code::E014,
            span,
            "policies (`given`) and sequential decisions (`then`) over variables without mechanisms are not supported yet",
        )
        .with_help("decide without `given`/`then` (the best single action is identified from the data), or write the mechanisms"));
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
    let all: Vec<Estimand> = interventional.into_iter().chain(evidential).collect();
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
    let (evidential, evidential_disagrees) =
        evidential_ranking(model, decided, &problem.actions, &estimated, n, best, sign);
    let mut warnings = estimated.warnings.clone();
    if evidential_disagrees {
        warnings.push("the evidential ranking E[U | d = a] recommends a different action than the interventional one: the data are confounded; follow the interventional answer".to_string());
    }
    let best_action = action_map(model, decided, &problem.actions[best]);
    Ok(Answer {
        query: statement.text.clone(),
        line: statement.line,
        method: MethodUsed::Identified,
        name: None,
        body: Body::Decision(DecisionAnswer {
            value: value(best),
            stderr: actions[best].stderr,
            best: Some(best_action.clone()),
            best_unconditional: best_action,
            value_unconditional: value(best),
            actions,
            policy: Vec::new(),
            value_of_information: None,
            evidential,
            evidential_disagrees,
            samples: estimated.rows,
        }),
        warnings,
    })
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

/// The evidential values `E[U | d = a]` (estimands `n..2n`), and whether their best action
/// differs from the interventional `best`.
fn evidential_ranking(
    model: &Model,
    decided: &[VarId],
    actions: &[Vec<f64>],
    estimated: &Estimated,
    n: usize,
    best: usize,
    sign: f64,
) -> (Vec<ActionValue>, bool) {
    if estimated.point.len() < 2 * n {
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
