//! The linear sampler: likelihood weighting for linear-Gaussian plans, each draw a dot
//! product and one standard normal; counterfactual worlds share each variable's noise, and
//! evidence on one world fixes it (abduction). Mechanisms are read as linear-Gaussian by the
//! code Gaussian algebra uses too (`infer::affine`).

use super::{BATCH, pass};
use crate::diagnostics::Diagnostic;
use crate::infer::affine::{Affine, affine, linear_mechanism};
use crate::query::{Mech, Plan};
use crate::scm::Ex;
use rand::rngs::SmallRng;
use rand_distr::{Distribution as _, StandardNormal};

/// One computation of the linear-Gaussian sampler: `constant + Σ coefficient·slot + noise·ε`.
struct LinearOut {
    slot: usize,
    constant: f64,
    terms: Vec<(usize, f64)>,
    /// The coefficient of the shared standard-normal noise (0 for an affine function).
    noise: f64,
    /// Slots of other worlds that share this computation.
    followers: Vec<usize>,
}

/// The computations that share one noise (one variable across counterfactual worlds), and
/// the one that evidence observes, if any: `(output, value, −ln|noise| − ½ln 2π)`.
struct LinearRow {
    outputs: Vec<LinearOut>,
    clamp: Option<(usize, f64, f64)>,
}

/// Likelihood weighting for linear-Gaussian plans, counterfactual worlds included: worlds
/// share each variable's standard-normal noise; evidence on one world fixes it (abduction).
pub struct LinearSampler {
    rows: Vec<LinearRow>,
    indicators: Vec<Ex>,
    targets: Vec<Ex>,
    n_slots: usize,
}

impl LinearSampler {
    /// The linear-Gaussian form of a plan, if every computation it needs is one (see
    /// [`linear_mechanism`]).
    pub(super) fn new(plan: &Plan) -> Option<LinearSampler> {
        let n = plan.n_vars;
        let mut alias: Vec<usize> = (0..n * plan.n_worlds).collect();
        let mut rows = Vec::new();
        for step in &plan.steps {
            let mut by_noise: Vec<(usize, LinearRow)> = Vec::new();
            for comp in &step.comps {
                let slot = comp.world * n + step.var;
                let base = comp.world * n;
                let followers: Vec<usize> = comp.copies.iter().map(|w| w * n + step.var).collect();
                let read = |e: &Ex, own: Option<&Affine>| {
                    let lookup = |s: usize| match own {
                        Some(natural) if s == slot => Some(natural.clone()),
                        _ => alias.get(s).map(|a| Affine::node(*a)),
                    };
                    affine(e, &lookup, base)
                };
                let linear = linear_mechanism(&comp.mech, &read)?;
                // The sampler takes shifts only of a stochastic variable's value, and only
                // shifts that keep its noise.
                if let Mech::Shift { natural, .. } = &comp.mech
                    && (!matches!(**natural, Mech::Stoch { .. })
                        || linear.noise.is_some_and(|(sd, _)| sd == 0.0))
                {
                    return None;
                }
                let (noise, noise_slot) = linear.noise.map_or((0.0, None), |(sd, s)| (sd, Some(s)));
                for &f in &followers {
                    alias[f] = slot;
                }
                let out = LinearOut {
                    slot,
                    constant: linear.form.constant,
                    terms: linear.form.terms,
                    noise,
                    followers,
                };
                let key = noise_slot.unwrap_or(usize::MAX - rows.len() - by_noise.len());
                let position = match by_noise.iter().position(|(k, _)| *k == key) {
                    Some(p) => p,
                    None => {
                        by_noise.push((
                            key,
                            LinearRow {
                                outputs: Vec::new(),
                                clamp: None,
                            },
                        ));
                        by_noise.len() - 1
                    }
                };
                let row = &mut by_noise[position].1;
                if let Some(x) = comp.clamp {
                    if noise == 0.0 || row.clamp.is_some() {
                        return None;
                    }
                    let log_norm = -noise.abs().ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
                    row.clamp = Some((row.outputs.len(), x, log_norm));
                }
                row.outputs.push(out);
            }
            rows.extend(by_noise.into_iter().map(|(_, r)| r));
        }
        let group = &plan.groups[0];
        Some(LinearSampler {
            rows,
            indicators: group.indicators.clone(),
            targets: group.targets.iter().map(|t| t.expr.clone()).collect(),
            n_slots: plan.n_vars * plan.n_worlds,
        })
    }

    pub(super) fn run(
        &self,
        rng: &mut SmallRng,
        n: u64,
        sink: &mut impl FnMut(&[f64], &[Vec<f64>], u64),
    ) -> Result<(), Diagnostic> {
        let mut cols = vec![0.0f64; self.n_slots * BATCH];
        let mut lw = vec![0.0f64; BATCH];
        let mut noise = vec![0.0f64; BATCH];
        let mut column = vec![0.0f64; BATCH];
        let mut scratch = vec![0.0f64; self.n_slots];
        let mut read: Vec<usize> = Vec::new();
        for e in self.indicators.iter().chain(&self.targets) {
            let _ = e.map(&mut |node| {
                if let Ex::Var(v) | Ex::Slot(v) = node {
                    if !read.contains(v) {
                        read.push(*v);
                    }
                }
                None
            });
        }
        let mut values = vec![vec![0.0; self.targets.len()]];
        let mut done = 0;
        while done < n {
            let m = (n - done).min(BATCH as u64) as usize;
            lw[..m].fill(0.0);
            for row in &self.rows {
                let noisy = row.outputs.iter().any(|o| o.noise != 0.0);
                // The shared noise: abducted from the observed world, or drawn.
                match row.clamp {
                    Some((o, x, log_norm)) => {
                        let out = &row.outputs[o];
                        self.mean(out, &cols, m, &mut noise);
                        let inverse = 1.0 / out.noise;
                        for (w, e) in lw[..m].iter_mut().zip(noise[..m].iter_mut()) {
                            let z = (x - *e) * inverse;
                            *w += log_norm - 0.5 * z * z;
                            *e = z;
                        }
                    }
                    None if noisy => {
                        for e in &mut noise[..m] {
                            *e = StandardNormal.sample(rng);
                        }
                    }
                    None => {}
                }
                for (o, out) in row.outputs.iter().enumerate() {
                    let column = &mut column[..m];
                    self.mean(out, &cols, m, column);
                    if out.noise != 0.0 {
                        for (v, e) in column.iter_mut().zip(&noise[..m]) {
                            *v += out.noise * e;
                        }
                    }
                    if let Some((observed, x, _)) = row.clamp {
                        if observed == o {
                            column.fill(x);
                        }
                    }
                    cols[out.slot * BATCH..out.slot * BATCH + m].copy_from_slice(column);
                    for &f in &out.followers {
                        cols[f * BATCH..f * BATCH + m].copy_from_slice(column);
                    }
                }
            }
            for i in 0..m {
                for &v in &read {
                    scratch[v] = cols[v * BATCH + i];
                }
                let possible = self.indicators.iter().all(|e| e.eval(&scratch, 0) != 0.0);
                let targets = self.targets.iter().map(|e| e.eval(&scratch, 0));
                pass(lw[i], possible, targets, &mut values, sink)?;
            }
            done += m as u64;
        }
        Ok(())
    }

    /// `out`'s mean for each sample of the batch, into `into[..m]`.
    #[inline]
    fn mean(&self, out: &LinearOut, cols: &[f64], m: usize, into: &mut [f64]) {
        let into = &mut into[..m];
        into.fill(out.constant);
        for &(p, a) in &out.terms {
            let col = &cols[p * BATCH..p * BATCH + m];
            for (x, v) in into.iter_mut().zip(col) {
                *x += a * v;
            }
        }
    }
}
