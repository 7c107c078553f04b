//! Fitting `?` parameters to data (LANGUAGE.md §12): rows → sufficient statistics → estimates
//! with standard errors → a model whose `?`s are numbers.
//!
//! The stage reads rows from a [`rows::Rows`] source (the facade opens files; this module
//! never does), groups the mechanisms with parameters into units ([`plan`]: mechanisms sharing
//! a named parameter are fitted together), streams the rows once into each unit's sufficient
//! statistics ([`stats`]), and estimates: proportions and least squares in closed form
//! ([`closed`]), anything else by numerical maximum likelihood ([`numeric`], L-BFGS with
//! gradients from forward-mode [`dual`] numbers). [`Fitted::model`] writes the estimates into
//! the model.

pub mod closed;
pub mod dual;
pub mod likelihood;
pub mod numeric;
pub mod plan;
pub mod rows;
pub mod spread;
pub mod stats;
pub mod write;

use crate::ast::Span;
use crate::results::{FitSummary, FittedMechanism, FittedParameter};
use crate::scm::{Model, VarId};
use plan::Method;
use rows::Rows;
use stats::{Accumulator, Prepared, Stat};

/// Why the data cannot serve (E013): what, how to fix it, and where in the model.
#[derive(Clone, Debug, PartialEq)]
pub struct FitError {
    /// The message.
    pub message: String,
    /// A hint.
    pub help: Option<String>,
    /// The `?` or mechanism concerned, when there is one.
    pub span: Option<Span>,
}

impl FitError {
    /// An error with a message only.
    pub fn new(message: String) -> FitError {
        FitError {
            message,
            help: None,
            span: None,
        }
    }

    /// With a hint.
    pub fn with_help(mut self, help: &str) -> FitError {
        self.help = Some(help.to_string());
        self
    }

    /// At a place in the model.
    pub fn at(mut self, span: Span) -> FitError {
        self.span = Some(span);
        self
    }
}

/// One parameter's estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// The parameter (index into `Model::parameters`).
    pub id: usize,
    /// The estimate.
    pub value: f64,
    /// Its standard error, where the data give one.
    pub stderr: Option<f64>,
}

/// The outcome of a fit.
#[derive(Clone, Debug)]
pub struct Fitted {
    /// Per parameter, its estimate.
    pub values: Vec<f64>,
    /// Per parameter, its standard error.
    pub stderr: Vec<Option<f64>>,
    /// What was fitted, for reports and `--json`.
    pub summary: FitSummary,
}

impl Fitted {
    /// `model` with the estimates written in.
    pub fn model(&self, model: &Model) -> Model {
        model.with_estimates(&self.values)
    }
}

/// Fits every parameter of `model` to `rows`, with `prior` pseudo-observations per table cell
/// and value.
pub fn fit(model: &Model, prior: f64, rows: &dyn Rows) -> Result<Fitted, FitError> {
    let started = std::time::Instant::now();
    let units = plan::plan(model);
    let observed = rows.observed();
    for unit in &units {
        for v in &unit.vars {
            check_observed(model, *v, observed)?;
        }
    }
    let prepared: Vec<Prepared> = units.iter().map(|u| Prepared::new(model, u)).collect();
    let fresh = || -> Vec<Accumulator> { prepared.iter().map(Prepared::accumulator).collect() };
    let mut accumulators = fresh();
    let n_rows = rows::fold(
        rows,
        &fresh,
        &|block: &mut Vec<Accumulator>, _, row| {
            for a in block {
                a.add(row, 1.0);
            }
        },
        &mut |block| {
            for (a, b) in accumulators.iter_mut().zip(block) {
                a.merge(b);
            }
        },
    )?;
    let mut values = vec![f64::NAN; model.parameters.len()];
    let mut stderr = vec![None; model.parameters.len()];
    let mut mechanisms = Vec::new();
    for (unit, acc) in units.iter().zip(&accumulators) {
        let estimates = estimate(model, unit, acc, prior)?;
        for e in estimates {
            values[e.id] = e.value;
            stderr[e.id] = e.stderr;
        }
        for (v, used) in unit.vars.iter().zip(&acc.rows) {
            mechanisms.push(FittedMechanism {
                variable: model.vars[*v].name.clone(),
                rows: *used,
                method: match unit.method {
                    Method::Counts(_) => "counts",
                    Method::LeastSquares(_) => "least squares",
                    Method::Numerical => "maximum likelihood",
                }
                .to_string(),
            });
        }
    }
    let parameters = model
        .parameters
        .iter()
        .enumerate()
        .map(|(id, p)| FittedParameter {
            name: p.name.clone(),
            variable: model.vars[p.variable].name.clone(),
            index: (!p.cell.is_empty()).then(|| {
                p.cell
                    .iter()
                    .map(|(v, x)| {
                        let var = &model.vars[*v];
                        (var.name.clone(), model.result_value(var.ty, *x))
                    })
                    .collect()
            }),
            value: values[id],
            stderr: stderr[id],
        })
        .collect();
    Ok(Fitted {
        values,
        stderr,
        summary: FitSummary {
            rows: n_rows,
            parameters,
            mechanisms,
            seconds: started.elapsed().as_secs_f64(),
        },
    })
}

/// The parameters refitted on `replicates` bootstrap resamples of the rows: the Poisson
/// bootstrap, where row `r` enters replicate `b` with multiplicity Poisson(1) drawn from
/// `(seed, b, r)` alone (so the resamples do not depend on threads, and one pass over the rows
/// feeds every replicate). Returns each replicate's estimates, and how many replicates could
/// not be fitted (a resample that leaves a table cell empty, say) and were left out.
pub fn bootstrap(
    model: &Model,
    prior: f64,
    rows: &dyn Rows,
    replicates: usize,
    seed: u64,
) -> Result<(Vec<Vec<f64>>, usize), FitError> {
    use rayon::prelude::*;
    let units = plan::plan(model);
    let prepared: Vec<Prepared> = units.iter().map(|u| Prepared::new(model, u)).collect();
    let fresh = || -> Vec<Vec<Accumulator>> {
        (0..replicates)
            .map(|_| prepared.iter().map(Prepared::accumulator).collect())
            .collect()
    };
    let mut accumulators = fresh();
    rows::fold(
        rows,
        &fresh,
        &|block: &mut Vec<Vec<Accumulator>>, index, row| {
            for (b, replicate) in block.iter_mut().enumerate() {
                let w = poisson_one(mix(seed, b as u64, index));
                if w > 0.0 {
                    for a in replicate.iter_mut() {
                        a.add(row, w);
                    }
                }
            }
        },
        &mut |block| {
            for (replicate, more) in accumulators.iter_mut().zip(block) {
                for (a, b) in replicate.iter_mut().zip(more) {
                    a.merge(b);
                }
            }
        },
    )?;
    let fits: Vec<Option<Vec<f64>>> = accumulators
        .par_iter()
        .map(|replicate| {
            let mut values = vec![f64::NAN; model.parameters.len()];
            for (unit, acc) in units.iter().zip(replicate) {
                for e in estimate(model, unit, acc, prior).ok()? {
                    values[e.id] = e.value;
                }
            }
            Some(values)
        })
        .collect();
    let failed = fits.iter().filter(|f| f.is_none()).count();
    Ok((fits.into_iter().flatten().collect(), failed))
}

/// A well-mixed 64-bit hash of three numbers (SplitMix64 finalisers).
fn mix(seed: u64, b: u64, r: u64) -> u64 {
    let mut z =
        seed ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ r.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    for _ in 0..2 {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
    }
    z
}

/// A Poisson(1) draw from 64 random bits, by its inverse CDF.
fn poisson_one(bits: u64) -> f64 {
    let u = (bits >> 11) as f64 / (1u64 << 53) as f64;
    let mut k = 0u32;
    let mut term = (-1.0f64).exp();
    let mut cdf = term;
    while u >= cdf && k < 20 {
        k += 1;
        term /= f64::from(k);
        cdf += term;
    }
    f64::from(k)
}

/// E013 unless `v` and all its parents have columns, and `v` is not exogenous.
fn check_observed(model: &Model, v: VarId, observed: &[bool]) -> Result<(), FitError> {
    let var = &model.vars[v];
    let first = model.parameters_of(v)[0];
    let span = model.parameters[first].span;
    let way = "identification (`identify`) or a fully written mechanism is the way";
    if var.exogenous {
        return Err(FitError::new(format!(
            "cannot learn the parameters of `{}`: it is exogenous, never observed",
            var.name
        ))
        .with_help(&format!("an exogenous variable has no rows; {way}"))
        .at(span));
    }
    for w in std::iter::once(v).chain(var.parents.iter().copied()) {
        if !observed.get(w).copied().unwrap_or(false) {
            let whose = if w == v {
                "it".to_string()
            } else {
                format!("its parent `{}`", model.vars[w].name)
            };
            return Err(FitError::new(format!(
                "cannot learn the parameters of `{}`: the data has no column `{}`, so {whose} is never observed",
                var.name, model.vars[w].name
            ))
            .with_help(&format!("add the column to the data; for a latent variable, {way}"))
            .at(span));
        }
    }
    Ok(())
}

fn estimate(
    model: &Model,
    unit: &plan::Unit,
    acc: &Accumulator,
    prior: f64,
) -> Result<Vec<Estimate>, FitError> {
    match (&unit.method, &acc.stat) {
        (Method::Counts(table), Stat::Counts { counts, categories }) => {
            closed::proportions(model, unit.vars[0], table, counts, *categories, prior)
        }
        (Method::LeastSquares(linear), Stat::Gram { xtx, xty, yty, n }) => {
            closed::least_squares(model, unit.vars[0], linear, xtx, xty, *yty, *n)
        }
        (Method::Numerical, Stat::Tuples(tables)) => {
            if let Some(k) = acc.rows.iter().position(|r| *r == 0) {
                let var = &model.vars[unit.vars[k]];
                return Err(FitError::new(format!(
                    "cannot learn the parameters of `{}`: no row has `{}` and all its parents",
                    var.name, var.name
                ))
                .at(var.span));
            }
            numeric::maximize(model, unit, acc.layout(), tables)
        }
        _ => Err(FitError::new(
            "internal: statistics of the wrong kind".to_string(),
        )),
    }
}

/// `a = 1, b = "x"`: a table cell as users write it.
pub fn cell_text(model: &Model, cell: &[(VarId, f64)]) -> String {
    cell.iter()
        .map(|(v, x)| {
            let var = &model.vars[*v];
            format!("{} = {}", var.name, model.format_value(var.ty, *x))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A parameter as users see it: `?name`, with its cell (`?p[rain = true]`), or an anonymous
/// one by its place (`wet.?1[rain = true]`).
pub fn parameter_text(model: &Model, id: usize) -> String {
    let p = &model.parameters[id];
    let name = if p.named {
        format!("?{}", p.name)
    } else {
        p.name.clone()
    };
    if p.cell.is_empty() {
        name
    } else {
        format!("{name}[{}]", cell_text(model, &p.cell))
    }
}

/// E013 for a question about a model whose `?`s were never fitted (no data was given).
pub fn unfitted(model: &Model) -> Option<crate::diagnostics::Diagnostic> {
    let first = model.parameters.first()?;
    Some(
        crate::diagnostics::Diagnostic::error(
            crate::diagnostics::Code::E013,
            first.span,
            format!(
                "the model has {} `?` parameter{} and no data to learn {} from",
                model.parameters.len(),
                if model.parameters.len() == 1 { "" } else { "s" },
                if model.parameters.len() == 1 {
                    "it"
                } else {
                    "them"
                }
            ),
        )
        .with_help("name a CSV file with `data \"FILE\"` (or `--data FILE`), or write the numbers"),
    )
}

#[cfg(test)]
mod tests;
