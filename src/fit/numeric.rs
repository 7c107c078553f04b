//! Numerical maximum likelihood: L-BFGS (the argmin crate) on the negative log-likelihood of a
//! unit's mechanisms over their distinct rows, each parameter mapped to its range (logit for a
//! probability, log for a positive parameter), exact gradients from first-order jets, and
//! standard errors from the observed information (the Hessian from second-order jets at the
//! optimum, in the parameters' own scale).

use super::dual::Jet;
use super::likelihood::Point;
use super::plan::Unit;
use super::{Estimate, FitError};
use crate::scm::dist::DistKind;
use crate::scm::{DistTree, Ex, Model, VarId, VarKind};
use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::BacktrackingLineSearch;
use argmin::solver::linesearch::condition::ArmijoCondition;
use argmin::solver::quasinewton::LBFGS;
use std::collections::HashMap;

/// Most L-BFGS iterations before a fit is declared not to converge.
const MAX_ITERATIONS: u64 = 1000;

/// Where a parameter lives, and the map from the optimizer's unconstrained coordinate to it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Range {
    /// Any real: identity.
    Real,
    /// (0, ∞): `exp`.
    Positive,
    /// (0, 1): the logistic function.
    Unit,
}

impl Range {
    /// θ = g(u), with g′ and g″.
    fn map(self, u: f64) -> (f64, f64, f64) {
        match self {
            Range::Real => (u, 1.0, 0.0),
            Range::Positive => {
                let e = u.exp();
                (e, e, e)
            }
            Range::Unit => {
                let s = 1.0 / (1.0 + (-u).exp());
                (s, s * (1.0 - s), s * (1.0 - s) * (1.0 - 2.0 * s))
            }
        }
    }

    fn start(self) -> f64 {
        0.0
    }
}

/// The range of argument `i` of a family, for a parameter that is that whole argument.
fn argument_range(kind: &DistKind, i: usize) -> Range {
    match (kind, i) {
        (DistKind::Bernoulli | DistKind::Geometric, 0) | (DistKind::Binomial, 1) => Range::Unit,
        (DistKind::Categorical { .. }, _) => Range::Positive,
        (DistKind::Poisson | DistKind::Exponential, 0)
        | (DistKind::Normal | DistKind::LogNormal | DistKind::Laplace, 1)
        | (DistKind::Gamma | DistKind::Beta, _)
        | (DistKind::StudentT, 0 | 2) => Range::Positive,
        _ => Range::Real,
    }
}

/// The parameters that are the whole of `arg` in some case: `arg` itself, a table cell (a
/// match arm), a branch of an `if`.
fn whole_params(arg: &Ex) -> Vec<usize> {
    let mut out = Vec::new();
    let mut stack = vec![arg];
    while let Some(e) = stack.pop() {
        match e {
            Ex::Param(p) => out.push(*p),
            Ex::Match(m) => stack.extend(m.arms.iter().map(|(_, body)| body)),
            Ex::If(branches) => stack.extend([&branches.1, &branches.2]),
            _ => {}
        }
    }
    out
}

/// Each parameter's range: that of the distribution argument it is the whole of (directly,
/// as a table cell or as a branch), else the reals.
fn ranges(model: &Model, unit: &Unit, local: &[usize]) -> Vec<Range> {
    let mut out: Vec<Option<Range>> = vec![None; unit.params.len()];
    let mut loose = vec![false; unit.params.len()];
    for v in &unit.vars {
        let VarKind::Stochastic(tree) = &model.vars[*v].kind else {
            continue;
        };
        for leaf in tree.leaves() {
            for (i, arg) in leaf.params.iter().enumerate() {
                let whole = whole_params(arg);
                arg.visit_params(&mut |p| {
                    let l = local[p];
                    if whole.contains(&p) {
                        let r = argument_range(&leaf.kind, i);
                        if out[l].is_some_and(|old| old != r) {
                            loose[l] = true;
                        }
                        out[l] = Some(r);
                    } else {
                        loose[l] = true;
                    }
                });
            }
        }
    }
    out.iter()
        .zip(&loose)
        .map(|(r, loose)| {
            if *loose {
                Range::Real
            } else {
                r.unwrap_or(Range::Real)
            }
        })
        .collect()
}

/// A unit's distinct rows, ready to evaluate.
struct Problem<'a> {
    model: &'a Model,
    /// Per variable: its mechanism, and its distinct rows as full-width value rows with weights.
    parts: Vec<(&'a DistTree, VarId, Vec<(Vec<f64>, f64)>)>,
    local: Vec<usize>,
    ranges: Vec<Range>,
    /// The total weight of the rows (their number, unless bootstrapped).
    weight: f64,
}

impl Problem<'_> {
    /// The negative log-likelihood at `theta` (jets over the parameters).
    fn negative_log_likelihood(&self, theta: &[Jet], second: bool) -> Result<Jet, VarId> {
        let n = theta.len();
        let point = Point {
            theta,
            local: &self.local,
            n,
            second,
        };
        let mut total = Jet::constant(0.0, n, second);
        for (tree, var, rows) in &self.parts {
            for (row, w) in rows {
                let Some(ll) = point.log_likelihood(tree, row, row[*var]) else {
                    return Err(*var);
                };
                total = total.sub(&ll.scale(*w));
            }
        }
        Ok(total)
    }

    /// Jets for the parameters at unconstrained `u` (derivatives with respect to `u`).
    fn theta_at(&self, u: &[f64]) -> Vec<Jet> {
        let n = u.len();
        u.iter()
            .zip(&self.ranges)
            .enumerate()
            .map(|(i, (u, r))| {
                let (t, d1, d2) = r.map(*u);
                Jet::variable(*u, i, n, false).chain(t, d1, d2)
            })
            .collect()
    }

    /// The mean negative log-likelihood per row and its gradient at `u` (per row, so that the
    /// optimizer's tolerances do not depend on how many rows there are).
    fn cost_and_gradient(&self, u: &[f64]) -> (f64, Vec<f64>) {
        match self.negative_log_likelihood(&self.theta_at(u), false) {
            Ok(j) if j.value.is_finite() && j.grad.iter().all(|g| g.is_finite()) => (
                j.value / self.weight,
                j.grad.iter().map(|g| g / self.weight).collect(),
            ),
            _ => (f64::INFINITY, vec![0.0; u.len()]),
        }
    }
}

/// The problem as argmin sees it: the cost and its gradient in the unconstrained coordinates.
struct Objective<'p, 'm>(&'p Problem<'m>);

impl CostFunction for Objective<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, u: &Self::Param) -> Result<f64, argmin::core::Error> {
        // A direction made of NaNs (after a step of zero length) would keep the line search
        // halving its step for ever: stop instead.
        if !u.iter().all(|x| x.is_finite()) {
            return Err(argmin::core::Error::msg(
                "the search left the finite numbers",
            ));
        }
        Ok(self.0.cost_and_gradient(u).0)
    }
}

impl Gradient for Objective<'_, '_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, u: &Self::Param) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.0.cost_and_gradient(u).1)
    }
}

/// Maximum likelihood for `unit` from its distinct rows (`tables[k]` for `unit.vars[k]`, keyed
/// by the bits of the variable's value then its parents').
pub fn maximize(
    model: &Model,
    unit: &Unit,
    layout: &[Vec<VarId>],
    tables: &[HashMap<Vec<u64>, f64>],
) -> Result<Vec<Estimate>, FitError> {
    let mut local = vec![usize::MAX; model.parameters.len()];
    for (i, p) in unit.params.iter().enumerate() {
        local[*p] = i;
    }
    let width = model.vars.len();
    let mut parts = Vec::new();
    for ((v, vars), table) in unit.vars.iter().zip(layout).zip(tables) {
        let VarKind::Stochastic(tree) = &model.vars[*v].kind else {
            continue;
        };
        let mut rows: Vec<(Vec<f64>, f64)> = table
            .iter()
            .map(|(key, w)| {
                let mut row = vec![f64::NAN; width];
                for (var, bits) in vars.iter().zip(key) {
                    row[*var] = f64::from_bits(*bits);
                }
                (row, *w)
            })
            .collect();
        // A fixed order, so that sums (and so estimates) do not depend on hashing.
        rows.sort_by(|a, b| {
            vars.iter()
                .map(|v| a.0[*v].total_cmp(&b.0[*v]))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        parts.push((&**tree, *v, rows));
    }
    let ranges = ranges(model, unit, &local);
    let weight: f64 = parts
        .iter()
        .flat_map(|(_, _, rows)| rows.iter().map(|(_, w)| *w))
        .sum();
    let problem = Problem {
        model,
        parts,
        local,
        ranges,
        weight: weight.max(f64::MIN_POSITIVE),
    };
    let names: Vec<String> = unit
        .vars
        .iter()
        .map(|v| format!("`{}`", model.vars[*v].name))
        .collect();
    let first_span = model.parameters[unit.params[0]].span;
    let start: Vec<f64> = problem.ranges.iter().map(|r| r.start()).collect();
    let (cost0, _) = problem.cost_and_gradient(&start);
    if let Err(var) = problem.negative_log_likelihood(&problem.theta_at(&start), false) {
        return Err(FitError::new(format!(
            "cannot fit the mechanism of `{}` by likelihood: its support moves with its parameters",
            model.vars[var].name
        ))
        .with_help("Uniform and DiscreteUniform bounds, and a Binomial's n, cannot be `?`s; write them as numbers")
        .at(first_span));
    }
    if !cost0.is_finite() {
        return Err(FitError::new(format!(
            "cannot fit {}: the likelihood is zero or undefined at the starting point (some rows lie outside the distribution's support)",
            names.join(", ")
        ))
        .with_help("check that every value in the data can be drawn from the mechanism")
        .at(first_span));
    }
    // Backtracking (Armijo) rather than More–Thuente: a trial step that overflows the
    // likelihood (an infinite cost) is simply shortened.
    let linesearch = ArmijoCondition::new(1e-4)
        .and_then(|c| BacktrackingLineSearch::new(c).rho(0.5))
        .map_err(|e| FitError::new(format!("internal: optimizer setup: {e}")))?;
    // Stop once a step no longer changes the mean cost (a step of zero length would otherwise
    // poison the curvature pairs); whether that point is an optimum is checked below.
    let solver = LBFGS::new(linesearch, 10)
        .with_tolerance_grad(1e-10)
        .and_then(|s| s.with_tolerance_cost(f64::EPSILON))
        .map_err(|e| FitError::new(format!("internal: optimizer setup: {e}")))?;
    let result = Executor::new(Objective(&problem), solver)
        .configure(|state| state.param(start).max_iters(MAX_ITERATIONS))
        .run();
    let not_converged = |why: String| {
        FitError::new(format!(
            "the likelihood of {} did not converge: {why}",
            names.join(", ")
        ))
        .with_help("the data may not determine these parameters (too few rows, or a parameter that runs to infinity); give them a simpler form or fix some as numbers")
        .at(first_span)
    };
    let result = result.map_err(|e| not_converged(e.to_string()))?;
    let state = result.state();
    if let TerminationStatus::Terminated(TerminationReason::MaxItersReached) =
        state.get_termination_status()
    {
        return Err(not_converged(format!(
            "{MAX_ITERATIONS} iterations were not enough"
        )));
    }
    let Some(u) = state.get_best_param().map(|p| p.to_vec()) else {
        return Err(not_converged("no estimate".to_string()));
    };
    let (cost, gradient) = problem.cost_and_gradient(&u);
    let gnorm = gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
    if !cost.is_finite() || gnorm > 1e-5 * (1.0 + cost.abs()) {
        return Err(not_converged(format!(
            "the gradient is still {gnorm:.3e} at the best point"
        )));
    }
    // The observed information, in the parameters' own scale.
    let n = u.len();
    let theta: Vec<f64> = u
        .iter()
        .zip(&problem.ranges)
        .map(|(u, r)| r.map(*u).0)
        .collect();
    let jets: Vec<Jet> = theta
        .iter()
        .enumerate()
        .map(|(i, t)| Jet::variable(*t, i, n, true))
        .collect();
    let info = problem
        .negative_log_likelihood(&jets, true)
        .map_err(|_| not_converged("no information".to_string()))?;
    let h = nalgebra::DMatrix::from_row_slice(n, n, &info.hess);
    let inverse = h.clone().cholesky().map(|c| c.inverse());
    if inverse.is_none() {
        let eigen = h.symmetric_eigen();
        let k = eigen
            .eigenvalues
            .iter()
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |b, (k, v)| if *v < b.1 { (k, *v) } else { b },
            )
            .0;
        let v = eigen.eigenvectors.column(k);
        let involved: Vec<String> = (0..n)
            .filter(|i| v[*i].abs() > 0.1)
            .map(|i| format!("`{}`", super::parameter_text(model, unit.params[i])))
            .collect();
        return Err(FitError::new(format!(
            "the data cannot determine {} of {}: the likelihood is flat along them (collinear or unidentified)",
            involved.join(", "),
            names.join(", ")
        ))
        .with_help("drop a term, fix a parameter as a number, or bring data where they vary")
        .at(first_span));
    }
    let _ = problem.model;
    let estimates: Vec<Estimate> = unit
        .params
        .iter()
        .enumerate()
        .map(|(i, id)| Estimate {
            id: *id,
            value: theta[i],
            stderr: inverse
                .as_ref()
                .map(|inv| inv[(i, i)])
                .filter(|v| *v >= 0.0)
                .map(f64::sqrt),
        })
        .collect();
    // A likelihood that still rises towards infinity (outcomes the data separate perfectly, a
    // rate driven to 0) stops where its slope is too small to measure: the estimate is then
    // arbitrary, and its standard error dwarfs it.
    if let Some(runaway) = estimates
        .iter()
        .find(|e| e.stderr.is_none_or(|s| s > RUNAWAY * (1.0 + e.value.abs())))
    {
        return Err(not_converged(format!(
            "the likelihood keeps rising as `{}` runs off ({} with a standard error of {}); \
             the data may separate the outcome perfectly",
            super::parameter_text(model, runaway.id),
            runaway.value,
            runaway
                .stderr
                .map_or("no finite value".to_string(), |s| format!("{s:.3e}"))
        )));
    }
    Ok(estimates)
}

/// A standard error this many times (1 + |estimate|) or more means the maximum is at infinity.
const RUNAWAY: f64 = 1e3;
