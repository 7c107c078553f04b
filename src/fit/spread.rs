//! An answer's spread across bootstrap refits (`--bootstrap B`, LANGUAGE.md §12): the standard
//! deviation and the 2.5% / 97.5% percentiles of its number across the refitted models'
//! answers, and for a decision the share of refits that recommend the same action.

use crate::results::{Body, Distribution, ParameterSpread, ValueSpread};

/// The spread of `answer`'s numbers across `refits` (the same statement answered by each
/// refitted model; answers of another kind or shape are left out).
pub fn spread(answer: &Body, refits: &[Body]) -> ParameterSpread {
    let mut out = ParameterSpread {
        refits: refits.len(),
        param_sd: None,
        param_interval: None,
        param_values: Vec::new(),
        best_share: None,
    };
    match answer {
        Body::Probability(_) | Body::Expectation(_) => {
            let values: Vec<f64> = refits
                .iter()
                .filter_map(|b| match b {
                    Body::Probability(e) | Body::Expectation(e) => Some(e.value),
                    _ => None,
                })
                .collect();
            out.set(&values);
        }
        Body::Distribution(Distribution::Real { .. }) => {
            let means: Vec<f64> = refits
                .iter()
                .filter_map(|b| match b {
                    Body::Distribution(Distribution::Real { mean, .. }) => Some(*mean),
                    _ => None,
                })
                .collect();
            out.set(&means);
        }
        Body::Distribution(Distribution::Discrete { values, .. }) => {
            out.param_values = values
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    let ps: Vec<f64> = refits
                        .iter()
                        .filter_map(|b| match b {
                            Body::Distribution(Distribution::Discrete { values: v, .. }) => {
                                v.get(i).filter(|r| r.value == row.value).map(|r| r.p)
                            }
                            _ => None,
                        })
                        .collect();
                    ValueSpread {
                        value: row.value.clone(),
                        param_sd: sd(&ps),
                        param_interval: interval(&ps),
                    }
                })
                .collect();
        }
        Body::Decision(d) => {
            let chosen = d.best.as_ref().unwrap_or(&d.best_unconditional);
            let decisions: Vec<_> = refits
                .iter()
                .filter_map(|b| match b {
                    Body::Decision(r) => Some(r),
                    _ => None,
                })
                .collect();
            let values: Vec<f64> = decisions.iter().map(|r| r.value).collect();
            out.set(&values);
            let agree = decisions
                .iter()
                .filter(|r| r.best.as_ref().unwrap_or(&r.best_unconditional) == chosen)
                .count();
            out.best_share = (!decisions.is_empty()).then(|| agree as f64 / decisions.len() as f64);
        }
        // `P(*)` under `--bootstrap`: no spread per variable yet.
        Body::Bandit(_) | Body::Identification(_) | Body::Attribution(_) | Body::Marginals(_) => {}
    }
    out
}

impl ParameterSpread {
    fn set(&mut self, values: &[f64]) {
        if !values.is_empty() {
            self.param_sd = Some(sd(values));
            self.param_interval = Some(interval(values));
        }
    }
}

/// The sample standard deviation (0 for fewer than two values).
pub fn sd(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    if values.len() < 2 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// The 2.5% and 97.5% percentiles, interpolated between order statistics (R's type 7);
/// `[NaN, NaN]` for no values.
pub fn interval(values: &[f64]) -> [f64; 2] {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    [percentile(&sorted, 0.025), percentile(&sorted, 0.975)]
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let at = q * last as f64;
    let below = at.floor() as usize;
    let above = (below + 1).min(last);
    let t = at - below as f64;
    sorted[below] + t * (sorted[above] - sorted[below])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_order_statistics() {
        let values: Vec<f64> = (0..=40).map(f64::from).collect();
        // 2.5% of 40 is 1; 97.5% is 39.
        assert_eq!(interval(&values), [1.0, 39.0]);
        assert_eq!(interval(&[3.0, 1.0]), [1.05, 2.95]);
        assert!((sd(&[1.0, 2.0, 3.0, 4.0]) - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
    }
}
