//! Closed-form estimates from sufficient statistics: proportions per cell (with `set prior = k`
//! pseudo-observations) and the normal equations of a linear mean.

use super::plan::{CountTable, Linear, Sd};
use super::{Estimate, FitError};
use crate::scm::{Model, VarId};
use nalgebra::{DMatrix, DVector};

/// Proportions per cell: `(n_j + k) / (n + J k)`, with standard error `√(n p (1 − p)) / (n + J k)`
/// (the sampling sd of the estimator; `√(p (1 − p) / n)` when k = 0).
pub fn proportions(
    model: &Model,
    var: VarId,
    table: &CountTable,
    counts: &[f64],
    categories: usize,
    prior: f64,
) -> Result<Vec<Estimate>, FitError> {
    let mut out = Vec::new();
    for (c, ids) in table.cells.iter().enumerate() {
        let row = &counts[c * categories..(c + 1) * categories];
        let n: f64 = row.iter().sum();
        let total = n + categories as f64 * prior;
        if total <= 0.0 {
            let p = &model.parameters[ids[0]];
            let cell = super::cell_text(model, &p.cell);
            return Err(FitError::new(format!(
                "cannot learn `{}` of `{}`: no row has {cell}",
                super::parameter_text(model, ids[0]),
                model.vars[var].name
            ))
            .with_help("add `set prior = 1` (one pseudo-observation of every value in every cell), or data with such rows")
            .at(p.span));
        }
        // A Bernoulli's parameter is P(true): the second category.
        let shown: Vec<(usize, f64)> = if table.bernoulli {
            vec![(ids[0], row[1])]
        } else {
            ids.iter().copied().zip(row.iter().copied()).collect()
        };
        for (id, count) in shown {
            let value = (count + prior) / total;
            let stderr = (n > 0.0).then(|| (n * value * (1.0 - value)).sqrt() / total);
            out.push(Estimate { id, value, stderr });
        }
    }
    Ok(out)
}

/// Least squares from `XᵀX`, `Xᵀy`, `yᵀy`, `n`: the coefficients, their standard errors
/// `σ √((XᵀX)⁻¹)ᵢᵢ`, and the sd as the residual root mean square (standard error `σ / √(2n)`).
#[allow(clippy::too_many_arguments)]
pub fn least_squares(
    model: &Model,
    var: VarId,
    linear: &Linear,
    xtx: &[f64],
    xty: &[f64],
    yty: f64,
    n: f64,
) -> Result<Vec<Estimate>, FitError> {
    let p = linear.betas.len();
    let name = &model.vars[var].name;
    let span_of = |id: usize| model.parameters[id].span;
    if n < 1.0 {
        return Err(FitError::new(format!(
            "cannot learn the parameters of `{name}`: no row has `{name}` and all its parents"
        ))
        .at(model.vars[var].span));
    }
    let a = DMatrix::from_row_slice(p, p, xtx);
    // Collinearity: the correlation form of XᵀX must be well conditioned.
    let diag: Vec<f64> = (0..p).map(|i| a[(i, i)]).collect();
    if let Some(i) = diag.iter().position(|d| *d <= 0.0) {
        return Err(FitError::new(format!(
            "cannot learn `{}` of `{name}`: what it multiplies is 0 in every row",
            super::parameter_text(model, linear.betas[i])
        ))
        .with_help("the data cannot determine a coefficient of a column that never varies from 0; drop the term")
        .at(span_of(linear.betas[i])));
    }
    if p > 0 {
        let scale: Vec<f64> = diag.iter().map(|d| 1.0 / d.sqrt()).collect();
        let corr = DMatrix::from_fn(p, p, |i, j| a[(i, j)] * scale[i] * scale[j]);
        let eigen = corr.symmetric_eigen();
        let (k, smallest) =
            eigen
                .eigenvalues
                .iter()
                .enumerate()
                .fold(
                    (0, f64::INFINITY),
                    |best, (k, v)| if *v < best.1 { (k, *v) } else { best },
                );
        if smallest < 1e-10 * p as f64 {
            let v = eigen.eigenvectors.column(k);
            let involved: Vec<String> = (0..p)
                .filter(|i| v[*i].abs() > 0.1)
                .map(|i| format!("`{}`", super::parameter_text(model, linear.betas[i])))
                .collect();
            return Err(FitError::new(format!(
                "cannot learn the mean of `{name}`: its terms are collinear in the data ({} move together)",
                involved.join(", ")
            ))
            .with_help("a constant column, or one that is a combination of others, leaves the coefficients undetermined; drop a term")
            .at(span_of(linear.betas[0])));
        }
    }
    let Some(cholesky) = a.clone().cholesky() else {
        return Err(FitError::new(format!(
            "cannot learn the mean of `{name}`: the normal equations are singular"
        ))
        .at(model.vars[var].span));
    };
    let beta = cholesky.solve(&DVector::from_column_slice(xty));
    let inverse = cholesky.inverse();
    let rss = (yty - beta.dot(&DVector::from_column_slice(xty))).max(0.0);
    let sigma = match linear.sd {
        Sd::Param(_) => (rss / n).sqrt(),
        Sd::Known(s) => s,
    };
    if let Sd::Param(id) = linear.sd
        && !(sigma > 1e-300 * (1.0 + yty.abs()))
    {
        return Err(FitError::new(format!(
            "cannot learn `{}` of `{name}`: the mean fits every row exactly, so the sd would be 0",
            super::parameter_text(model, id)
        ))
        .with_help("a Normal needs noise; write `:=` for a deterministic mechanism")
        .at(span_of(id)));
    }
    let mut out: Vec<Estimate> = (0..p)
        .map(|i| Estimate {
            id: linear.betas[i],
            value: beta[i],
            stderr: Some(sigma * inverse[(i, i)].sqrt()),
        })
        .collect();
    if let Sd::Param(id) = linear.sd {
        out.push(Estimate {
            id,
            value: sigma,
            stderr: Some(sigma / (2.0 * n).sqrt()),
        });
    }
    Ok(out)
}
