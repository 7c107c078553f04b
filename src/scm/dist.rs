//! The distributions of docs/language.md ("Distributions"): parameters, sampling, inverse CDF (the noise
//! coupling counterfactuals need), mass/density and the CDF intervals abduction needs.
//!
//! Parameters arrive as a slice of `f64` evaluated per sample; [`DistKind::validate`] checks
//! them before any use, so no sampler here sees an invalid parameter.

use super::Type;
use super::VarId;
use super::expr::{Ex, MatchEx};
use crate::ast::Span;
use rand::{Rng, RngExt};
use rand_distr::Distribution;
use statrs::distribution::{Continuous, ContinuousCDF, Discrete, DiscreteCDF};

/// A family of distributions.
#[derive(Clone, Debug, PartialEq)]
pub enum DistKind {
    Bernoulli,
    /// Unlabelled (values 0..k) when `labels` is empty, else the label ids in listed order.
    Categorical {
        labels: Vec<f64>,
    },
    Binomial,
    Poisson,
    Geometric,
    DiscreteUniform,
    Normal,
    LogNormal,
    Uniform,
    Exponential,
    Gamma,
    Beta,
    StudentT,
    Laplace,
}

/// Every distribution name, for suggestions and completion.
pub const DIST_NAMES: &[&str] = &[
    "Bernoulli",
    "Categorical",
    "Binomial",
    "Poisson",
    "Geometric",
    "DiscreteUniform",
    "Normal",
    "LogNormal",
    "Uniform",
    "Exponential",
    "Gamma",
    "Beta",
    "StudentT",
    "Laplace",
];

/// A parameter out of its range: which, its value, and the range it should be in.
#[derive(Clone, Debug, PartialEq)]
pub struct BadParameter {
    pub name: &'static str,
    pub value: f64,
    pub range: &'static str,
}

impl DistKind {
    /// The family called `name`, without its Categorical labels.
    pub fn lookup(name: &str) -> Option<DistKind> {
        Some(match name {
            "Bernoulli" => DistKind::Bernoulli,
            "Categorical" => DistKind::Categorical { labels: Vec::new() },
            "Binomial" => DistKind::Binomial,
            "Poisson" => DistKind::Poisson,
            "Geometric" => DistKind::Geometric,
            "DiscreteUniform" => DistKind::DiscreteUniform,
            "Normal" => DistKind::Normal,
            "LogNormal" => DistKind::LogNormal,
            "Uniform" => DistKind::Uniform,
            "Exponential" => DistKind::Exponential,
            "Gamma" => DistKind::Gamma,
            "Beta" => DistKind::Beta,
            "StudentT" => DistKind::StudentT,
            "Laplace" => DistKind::Laplace,
            _ => return None,
        })
    }

    /// The family's name.
    pub fn name(&self) -> &'static str {
        match self {
            DistKind::Bernoulli => "Bernoulli",
            DistKind::Categorical { .. } => "Categorical",
            DistKind::Binomial => "Binomial",
            DistKind::Poisson => "Poisson",
            DistKind::Geometric => "Geometric",
            DistKind::DiscreteUniform => "DiscreteUniform",
            DistKind::Normal => "Normal",
            DistKind::LogNormal => "LogNormal",
            DistKind::Uniform => "Uniform",
            DistKind::Exponential => "Exponential",
            DistKind::Gamma => "Gamma",
            DistKind::Beta => "Beta",
            DistKind::StudentT => "StudentT",
            DistKind::Laplace => "Laplace",
        }
    }

    /// Parameter names; empty for Categorical, which takes any number of weights.
    pub fn parameter_names(&self) -> &'static [&'static str] {
        match self {
            DistKind::Bernoulli => &["p"],
            DistKind::Categorical { .. } => &[],
            DistKind::Binomial => &["n", "p"],
            DistKind::Poisson => &["rate"],
            DistKind::Geometric => &["p"],
            DistKind::DiscreteUniform => &["a", "b"],
            DistKind::Normal => &["mean", "sd"],
            DistKind::LogNormal => &["mu", "sigma"],
            DistKind::Uniform => &["a", "b"],
            DistKind::Exponential => &["rate"],
            DistKind::Gamma => &["shape", "rate"],
            DistKind::Beta => &["a", "b"],
            DistKind::StudentT => &["df", "loc", "scale"],
            DistKind::Laplace => &["loc", "scale"],
        }
    }

    /// The type of the values drawn.
    pub fn value_type(&self) -> Type {
        match self {
            DistKind::Bernoulli => Type::Bool,
            DistKind::Categorical { labels } if !labels.is_empty() => Type::Label,
            DistKind::Categorical { .. }
            | DistKind::Binomial
            | DistKind::Poisson
            | DistKind::Geometric
            | DistKind::DiscreteUniform => Type::Int,
            _ => Type::Real,
        }
    }

    /// Checks parameters; the error names the first one out of range.
    pub fn validate(&self, p: &[f64]) -> Result<(), BadParameter> {
        let bad = |name, value, range| Err(BadParameter { name, value, range });
        let finite = |i: usize, name| {
            if p[i].is_finite() {
                Ok(())
            } else {
                bad(name, p[i], "the finite reals")
            }
        };
        match self {
            DistKind::Bernoulli => {
                if !(0.0..=1.0).contains(&p[0]) {
                    return bad("p", p[0], "[0, 1]");
                }
            }
            DistKind::Categorical { .. } => {
                let mut total = 0.0;
                for &w in p {
                    if !(w >= 0.0 && w.is_finite()) {
                        return bad("weight", w, "[0, ∞)");
                    }
                    total += w;
                }
                if !(total > 0.0 && total.is_finite()) {
                    return bad("total weight", total, "(0, ∞)");
                }
            }
            DistKind::Binomial => {
                if !(p[0] >= 0.0 && p[0].fract() == 0.0 && p[0] < 1e15) {
                    return bad("n", p[0], "the integers 0, 1, 2, ...");
                }
                if !(0.0..=1.0).contains(&p[1]) {
                    return bad("p", p[1], "[0, 1]");
                }
            }
            DistKind::Poisson => {
                if !(p[0] > 0.0 && p[0] < 1e12) {
                    return bad("rate", p[0], "(0, 1e12)");
                }
            }
            DistKind::Geometric => {
                if !(p[0] > 0.0 && p[0] <= 1.0) {
                    return bad("p", p[0], "(0, 1]");
                }
            }
            DistKind::DiscreteUniform => {
                for (i, name) in [(0, "a"), (1, "b")] {
                    if !(p[i].fract() == 0.0 && p[i].abs() < 1e15) {
                        return bad(name, p[i], "the integers");
                    }
                }
                if p[0] > p[1] {
                    return bad("b", p[1], "[a, ∞)");
                }
            }
            DistKind::Normal | DistKind::LogNormal | DistKind::Laplace => {
                finite(0, self.parameter_names()[0])?;
                let scale = self.parameter_names()[1];
                if !(p[1] > 0.0 && p[1].is_finite()) {
                    return bad(scale, p[1], "(0, ∞)");
                }
            }
            DistKind::Uniform => {
                finite(0, "a")?;
                finite(1, "b")?;
                if !(p[0] < p[1]) {
                    return bad("b", p[1], "(a, ∞)");
                }
            }
            DistKind::Exponential => {
                if !(p[0] > 0.0 && p[0].is_finite()) {
                    return bad("rate", p[0], "(0, ∞)");
                }
            }
            DistKind::Gamma | DistKind::Beta => {
                for (i, name) in self.parameter_names().iter().enumerate() {
                    if !(p[i] > 0.0 && p[i].is_finite()) {
                        return bad(name, p[i], "(0, ∞)");
                    }
                }
            }
            DistKind::StudentT => {
                if !(p[0] > 0.0 && p[0].is_finite()) {
                    return bad("df", p[0], "(0, ∞)");
                }
                finite(1, "loc")?;
                if !(p[2] > 0.0 && p[2].is_finite()) {
                    return bad("scale", p[2], "(0, ∞)");
                }
            }
        }
        Ok(())
    }

    /// The value for noise `u` in (0, 1): the inverse CDF, the monotone coupling of
    /// docs/language.md ("The noise behind every draw"). Parameters must be valid.
    pub fn quantile(&self, p: &[f64], u: f64) -> f64 {
        match self {
            DistKind::Bernoulli => flag(u > 1.0 - p[0]),
            DistKind::Categorical { labels } => {
                let total: f64 = p.iter().sum();
                let target = u * total;
                let mut cumulative = 0.0;
                let mut index = p.len() - 1;
                for (i, w) in p.iter().enumerate() {
                    cumulative += w;
                    if target <= cumulative && *w > 0.0 {
                        index = i;
                        break;
                    }
                }
                if labels.is_empty() {
                    index as f64
                } else {
                    labels[index]
                }
            }
            // statrs' generic discrete inverse CDF can fail its bisection and panic; ours
            // searches our own CDF, so quantile and CDF break points always agree.
            DistKind::Binomial => discrete_quantile(u, p[0], |x| self.cdf(p, x)),
            DistKind::Poisson => discrete_quantile(u, f64::INFINITY, |x| self.cdf(p, x)),
            DistKind::Geometric => {
                if p[0] >= 1.0 {
                    0.0
                } else {
                    // ln_1p: `1 − p` is 1 in floating point for p below 1e-16.
                    ((-u).ln_1p() / (-p[0]).ln_1p() - 1.0).ceil().max(0.0)
                }
            }
            DistKind::DiscreteUniform => (p[0] + (u * (p[1] - p[0] + 1.0)).floor()).min(p[1]),
            DistKind::Normal => p[0] + p[1] * std_normal_quantile(u),
            DistKind::LogNormal => (p[0] + p[1] * std_normal_quantile(u)).exp(),
            DistKind::Uniform => p[0] + u * (p[1] - p[0]),
            DistKind::Exponential => -(1.0 - u).ln() / p[0],
            DistKind::Gamma => match statrs::distribution::Gamma::new(p[0], p[1]) {
                Ok(d) => d.inverse_cdf(u),
                Err(_) => f64::NAN,
            },
            DistKind::Beta => match statrs::distribution::Beta::new(p[0], p[1]) {
                Ok(d) => d.inverse_cdf(u),
                Err(_) => f64::NAN,
            },
            DistKind::StudentT => match statrs::distribution::StudentsT::new(p[1], p[2], p[0]) {
                Ok(d) => d.inverse_cdf(u),
                Err(_) => f64::NAN,
            },
            DistKind::Laplace => {
                if u < 0.5 {
                    p[0] + p[1] * (2.0 * u).ln()
                } else {
                    p[0] - p[1] * (2.0 * (1.0 - u)).ln()
                }
            }
        }
    }

    /// The value for the standard-normal score `z`: `F⁻¹(Φ(z))`, the same coupling as
    /// [`DistKind::quantile`] with `u = Φ(z)`, computed without the round trip (and its loss
    /// of precision in the tails) for the normal and log-normal. `Φ(z)` is kept inside (0, 1).
    #[inline]
    pub fn quantile_of_score(&self, p: &[f64], z: f64) -> f64 {
        match self {
            DistKind::Normal => p[0] + p[1] * z,
            DistKind::LogNormal => (p[0] + p[1] * z).exp(),
            _ => self.quantile(
                p,
                std_normal_cdf(z).clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0),
            ),
        }
    }

    /// A draw, by the fastest exact sampler (not coupled to any noise).
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, p: &[f64], rng: &mut R) -> f64 {
        match self {
            DistKind::Bernoulli => flag(rng.random::<f64>() < p[0]),
            DistKind::Normal => p[0] + p[1] * rng.sample::<f64, _>(rand_distr::StandardNormal),
            DistKind::Uniform => p[0] + rng.random::<f64>() * (p[1] - p[0]),
            DistKind::Exponential => rng.sample::<f64, _>(rand_distr::Exp1) / p[0],
            DistKind::LogNormal => {
                (p[0] + p[1] * rng.sample::<f64, _>(rand_distr::StandardNormal)).exp()
            }
            DistKind::Poisson => match rand_distr::Poisson::new(p[0]) {
                Ok(d) => d.sample(rng),
                Err(_) => f64::NAN,
            },
            DistKind::Binomial => match rand_distr::Binomial::new(p[0] as u64, p[1]) {
                Ok(d) => d.sample(rng) as f64,
                Err(_) => f64::NAN,
            },
            DistKind::Gamma => match rand_distr::Gamma::new(p[0], 1.0 / p[1]) {
                Ok(d) => d.sample(rng),
                Err(_) => f64::NAN,
            },
            DistKind::Beta => match rand_distr::Beta::new(p[0], p[1]) {
                Ok(d) => {
                    let x: f64 = d.sample(rng);
                    if x.is_nan() {
                        self.quantile(p, open01(rng))
                    } else {
                        x
                    }
                }
                Err(_) => f64::NAN,
            },
            DistKind::StudentT => match rand_distr::StudentT::new(p[0]) {
                Ok(d) => p[1] + p[2] * d.sample(rng),
                Err(_) => f64::NAN,
            },
            _ => self.quantile(p, open01(rng)),
        }
    }

    /// Log mass (discrete) or log density (continuous) of `x`.
    pub fn log_density(&self, p: &[f64], x: f64) -> f64 {
        match self {
            DistKind::Bernoulli => {
                if x != 0.0 {
                    p[0].ln()
                } else {
                    (1.0 - p[0]).ln()
                }
            }
            DistKind::Categorical { labels } => {
                let total: f64 = p.iter().sum();
                match category_index(labels, p.len(), x) {
                    Some(i) => (p[i] / total).ln(),
                    None => f64::NEG_INFINITY,
                }
            }
            DistKind::Binomial => {
                if x.fract() != 0.0 || x < 0.0 || x > p[0] {
                    return f64::NEG_INFINITY;
                }
                statrs::distribution::Binomial::new(p[1], p[0] as u64)
                    .map_or(f64::NAN, |d| d.ln_pmf(x as u64))
            }
            DistKind::Poisson => {
                if x.fract() != 0.0 || x < 0.0 {
                    return f64::NEG_INFINITY;
                }
                statrs::distribution::Poisson::new(p[0]).map_or(f64::NAN, |d| d.ln_pmf(x as u64))
            }
            DistKind::Geometric => {
                if x.fract() != 0.0 || x < 0.0 {
                    return f64::NEG_INFINITY;
                }
                if p[0] >= 1.0 {
                    return if x == 0.0 { 0.0 } else { f64::NEG_INFINITY };
                }
                x * (-p[0]).ln_1p() + p[0].ln()
            }
            DistKind::DiscreteUniform => {
                if x.fract() != 0.0 || x < p[0] || x > p[1] {
                    f64::NEG_INFINITY
                } else {
                    -(p[1] - p[0] + 1.0).ln()
                }
            }
            DistKind::Normal => {
                let z = (x - p[0]) / p[1];
                -0.5 * z * z - p[1].ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
            }
            DistKind::LogNormal => {
                if x <= 0.0 {
                    return f64::NEG_INFINITY;
                }
                let z = (x.ln() - p[0]) / p[1];
                -0.5 * z * z - p[1].ln() - x.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
            }
            DistKind::Uniform => {
                if x < p[0] || x > p[1] {
                    f64::NEG_INFINITY
                } else {
                    -(p[1] - p[0]).ln()
                }
            }
            DistKind::Exponential => {
                if x < 0.0 {
                    f64::NEG_INFINITY
                } else {
                    p[0].ln() - p[0] * x
                }
            }
            DistKind::Gamma => {
                statrs::distribution::Gamma::new(p[0], p[1]).map_or(f64::NAN, |d| d.ln_pdf(x))
            }
            DistKind::Beta => {
                if !(0.0..=1.0).contains(&x) {
                    return f64::NEG_INFINITY;
                }
                statrs::distribution::Beta::new(p[0], p[1]).map_or(f64::NAN, |d| d.ln_pdf(x))
            }
            DistKind::StudentT => statrs::distribution::StudentsT::new(p[1], p[2], p[0])
                .map_or(f64::NAN, |d| d.ln_pdf(x)),
            DistKind::Laplace => -(x - p[0]).abs() / p[1] - (2.0 * p[1]).ln(),
        }
    }

    /// For a discrete family: the noise interval `(F(x⁻), F(x)]` that yields `x`.
    /// For a continuous one: the point `(F(x), F(x))`.
    pub fn noise_interval(&self, p: &[f64], x: f64) -> (f64, f64) {
        match self {
            DistKind::Bernoulli => {
                if x != 0.0 {
                    (1.0 - p[0], 1.0)
                } else {
                    (0.0, 1.0 - p[0])
                }
            }
            DistKind::Categorical { labels } => {
                let total: f64 = p.iter().sum();
                match category_index(labels, p.len(), x) {
                    Some(i) => {
                        let below: f64 = p[..i].iter().sum();
                        (below / total, (below + p[i]) / total)
                    }
                    None => (0.0, 0.0),
                }
            }
            DistKind::Binomial
            | DistKind::Poisson
            | DistKind::Geometric
            | DistKind::DiscreteUniform => {
                if x.fract() != 0.0 {
                    return (0.0, 0.0);
                }
                (self.cdf(p, x - 1.0), self.cdf(p, x))
            }
            _ => {
                let u = self.cdf(p, x);
                (u, u)
            }
        }
    }

    /// The CDF at `x`.
    pub fn cdf(&self, p: &[f64], x: f64) -> f64 {
        match self {
            DistKind::Binomial => {
                if x < 0.0 {
                    0.0
                } else {
                    statrs::distribution::Binomial::new(p[1], p[0] as u64)
                        .map_or(f64::NAN, |d| d.cdf(x as u64))
                }
            }
            DistKind::Poisson => {
                if x < 0.0 {
                    0.0
                } else {
                    statrs::distribution::Poisson::new(p[0]).map_or(f64::NAN, |d| d.cdf(x as u64))
                }
            }
            DistKind::Geometric => {
                if x < 0.0 {
                    0.0
                } else {
                    -((x.floor() + 1.0) * (-p[0]).ln_1p()).exp_m1()
                }
            }
            DistKind::DiscreteUniform => {
                ((x.floor() - p[0] + 1.0) / (p[1] - p[0] + 1.0)).clamp(0.0, 1.0)
            }
            DistKind::Normal => std_normal_cdf((x - p[0]) / p[1]),
            DistKind::LogNormal => {
                if x <= 0.0 {
                    0.0
                } else {
                    std_normal_cdf((x.ln() - p[0]) / p[1])
                }
            }
            DistKind::Uniform => ((x - p[0]) / (p[1] - p[0])).clamp(0.0, 1.0),
            DistKind::Exponential => {
                if x < 0.0 {
                    0.0
                } else {
                    1.0 - (-p[0] * x).exp()
                }
            }
            DistKind::Gamma => {
                statrs::distribution::Gamma::new(p[0], p[1]).map_or(f64::NAN, |d| d.cdf(x))
            }
            DistKind::Beta => statrs::distribution::Beta::new(p[0], p[1])
                .map_or(f64::NAN, |d| d.cdf(x.clamp(0.0, 1.0))),
            DistKind::StudentT => statrs::distribution::StudentsT::new(p[1], p[2], p[0])
                .map_or(f64::NAN, |d| d.cdf(x)),
            DistKind::Laplace => {
                let z = (x - p[0]) / p[1];
                if z < 0.0 {
                    0.5 * z.exp()
                } else {
                    1.0 - 0.5 * (-z).exp()
                }
            }
            DistKind::Bernoulli | DistKind::Categorical { .. } => self.noise_interval(p, x).1,
        }
    }

    /// How many values [`DistKind::support`] lists, without listing them (`None` where it
    /// lists none).
    pub fn support_len(&self, p: &[f64]) -> Option<usize> {
        match self {
            DistKind::Bernoulli => Some(2),
            DistKind::Categorical { labels } => Some(if labels.is_empty() {
                p.len()
            } else {
                labels.len()
            }),
            DistKind::Binomial if p[0] <= 1e6 => Some(p[0] as usize + 1),
            DistKind::DiscreteUniform if p[1] - p[0] <= 1e6 => {
                Some((p[1] as i64 - p[0] as i64 + 1).max(0) as usize)
            }
            _ => None,
        }
    }

    /// The `i`th value [`DistKind::support`] lists (`i` below [`DistKind::support_len`]).
    pub fn support_value(&self, p: &[f64], i: usize) -> f64 {
        match self {
            DistKind::Categorical { labels } if !labels.is_empty() => labels[i],
            DistKind::DiscreteUniform => (p[0] as i64 + i as i64) as f64,
            _ => i as f64,
        }
    }

    /// Every value with positive mass, where the support is finite and small.
    pub fn support(&self, p: &[f64]) -> Option<Vec<f64>> {
        let n = self.support_len(p)?;
        Some((0..n).map(|i| self.support_value(p, i)).collect())
    }
}

/// The smallest integer `x` in `0..=max` with `cdf(x) >= u`: an exponential search for an
/// upper bound, then bisection. At most about 2 · 1100 CDF evaluations.
fn discrete_quantile(u: f64, max: f64, cdf: impl Fn(f64) -> f64) -> f64 {
    let mut upper = 0.0f64;
    let mut step = 1.0f64;
    while upper < max && cdf(upper) < u && step.is_finite() {
        upper = step.min(max);
        step *= 2.0;
    }
    let (mut lo, mut hi) = (0.0f64, upper);
    while lo < hi {
        let mid = ((lo + hi) / 2.0).floor();
        if cdf(mid) >= u {
            hi = mid;
        } else {
            lo = mid + 1.0;
        }
    }
    lo
}

pub(crate) fn category_index(labels: &[f64], n: usize, x: f64) -> Option<usize> {
    if labels.is_empty() {
        (x.fract() == 0.0 && x >= 0.0 && (x as usize) < n).then_some(x as usize)
    } else {
        labels.iter().position(|l| *l == x)
    }
}

#[inline]
fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// A uniform draw in the open interval (0, 1).
#[inline]
pub fn open01<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// Φ⁻¹(u).
pub fn std_normal_quantile(u: f64) -> f64 {
    -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * u)
}

/// Φ(z).
pub fn std_normal_cdf(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-z / std::f64::consts::SQRT_2)
}

/// One distribution with its parameter expressions.
#[derive(Clone, Debug)]
pub struct Leaf {
    pub kind: DistKind,
    pub params: Vec<Ex>,
    pub span: Span,
}

impl Leaf {
    /// Evaluates the parameters into `out`.
    #[inline]
    pub fn eval_params(&self, vals: &[f64], base: usize, out: &mut Vec<f64>) {
        out.clear();
        out.extend(self.params.iter().map(|e| e.eval(vals, base)));
    }
}

/// A distribution, possibly chosen by `if`/`match` on other variables (a mixture mechanism).
#[derive(Clone, Debug)]
pub enum DistTree {
    Leaf(Leaf),
    If(Box<(Ex, DistTree, DistTree)>),
    Match(Box<MatchEx<DistTree>>),
}

impl DistTree {
    /// The leaf the current values select; `None` when no match arm applies.
    #[inline]
    pub fn select(&self, vals: &[f64], base: usize) -> Option<&Leaf> {
        match self {
            DistTree::Leaf(leaf) => Some(leaf),
            DistTree::If(parts) => {
                if parts.0.eval(vals, base) != 0.0 {
                    parts.1.select(vals, base)
                } else {
                    parts.2.select(vals, base)
                }
            }
            DistTree::Match(m) => m.select(vals, base).and_then(|t| t.select(vals, base)),
        }
    }

    /// Calls `f` on every variable read by conditions and parameters.
    pub fn visit_vars(&self, f: &mut impl FnMut(VarId)) {
        self.visit_exprs(&mut |e| e.visit_vars(f));
    }

    /// Calls `f` on every expression of the tree: conditions, scrutinees and parameters.
    pub fn visit_exprs(&self, f: &mut impl FnMut(&Ex)) {
        match self {
            DistTree::Leaf(leaf) => leaf.params.iter().for_each(|p| f(p)),
            DistTree::If(parts) => {
                f(&parts.0);
                parts.1.visit_exprs(f);
                parts.2.visit_exprs(f);
            }
            DistTree::Match(m) => {
                m.scrutinees.iter().for_each(|s| f(s));
                m.arms.iter().for_each(|(_, t)| t.visit_exprs(f));
            }
        }
    }

    /// Every leaf.
    pub fn leaves(&self) -> Vec<&Leaf> {
        let mut out = Vec::new();
        self.collect_leaves(&mut out);
        out
    }

    fn collect_leaves<'a>(&'a self, out: &mut Vec<&'a Leaf>) {
        match self {
            DistTree::Leaf(leaf) => out.push(leaf),
            DistTree::If(parts) => {
                parts.1.collect_leaves(out);
                parts.2.collect_leaves(out);
            }
            DistTree::Match(m) => m.arms.iter().for_each(|(_, t)| t.collect_leaves(out)),
        }
    }

    /// A copy with every expression passed through `f`.
    pub fn map_exprs(&self, f: &mut impl FnMut(&Ex) -> Ex) -> DistTree {
        match self {
            DistTree::Leaf(leaf) => DistTree::Leaf(Leaf {
                kind: leaf.kind.clone(),
                params: leaf.params.iter().map(&mut *f).collect(),
                span: leaf.span,
            }),
            DistTree::If(parts) => DistTree::If(Box::new((
                f(&parts.0),
                parts.1.map_exprs(f),
                parts.2.map_exprs(f),
            ))),
            DistTree::Match(m) => DistTree::Match(Box::new(MatchEx {
                scrutinees: m.scrutinees.iter().map(&mut *f).collect(),
                arms: m
                    .arms
                    .iter()
                    .map(|(p, t)| (p.clone(), t.map_exprs(f)))
                    .collect(),
            })),
        }
    }
}
