//! The rejuvenation move: a preconditioned random-walk Metropolis–Hastings step on the
//! particles' noise scores.
//!
//! Every particle is a vector `z` of standard-normal scores, one per latent noise slot (its
//! value is `F⁻¹(Φ(z))`, so discrete noise moves through the same space: its value changes
//! when the score crosses a break point). The tempered target at inverse temperature `β` is
//! `N(z; 0, I) · L(z)^β`. A move proposes `z' = z + s · C ε` with `ε ~ N(0, I)`, where `C`
//! is the Cholesky factor of the current population's weighted covariance (its diagonal only
//! when the population is too small to estimate the full matrix, or the dimension is large),
//! and accepts with the Metropolis ratio. The proposal is symmetric and fixed within a stage,
//! so each step leaves that stage's target invariant; the scale `s` adapts between stages
//! towards a target acceptance rate.

use nalgebra::{DMatrix, DVector};
use rand::rngs::SmallRng;
use rand_distr::{Distribution as _, StandardNormal};

/// Largest dimension for which the full covariance is estimated and factored.
pub const MAX_FULL_DIMENSION: usize = 256;

/// The acceptance rate the scale adapts towards (0.44 is optimal in one dimension, 0.234 as
/// the dimension grows, for Gaussian-like targets).
fn target_acceptance(dimension: usize) -> f64 {
    if dimension == 1 { 0.44 } else { 0.25 }
}

/// The proposal's shape: a lower-triangular factor, or a diagonal of standard deviations.
#[derive(Clone, Debug)]
enum Shape {
    Full(DMatrix<f64>),
    Diagonal(Vec<f64>),
}

/// A random-walk proposal with a population-estimated shape and an adapted scale, and an
/// independence proposal: the population's Gaussian fit itself.
#[derive(Clone, Debug)]
pub struct Proposal {
    shape: Shape,
    mean: Vec<f64>,
    /// Each coordinate's population sd.
    sd: Vec<f64>,
    /// Multiplies the shape; starts at `2.38/√d`.
    pub scale: f64,
    dimension: usize,
}

impl Proposal {
    /// The proposal for a population of `n` particles of dimension `d` (rows of `z`) with
    /// normalised `weights`, keeping the scale `scale`.
    pub fn fit(z: &[f64], weights: &[f64], d: usize, scale: f64) -> Proposal {
        let n = weights.len();
        let mut mean = vec![0.0; d];
        for (i, &w) in weights.iter().enumerate() {
            if w > 0.0 {
                for (m, x) in mean.iter_mut().zip(&z[i * d..(i + 1) * d]) {
                    *m += w * x;
                }
            }
        }
        let ess = 1.0
            / weights
                .iter()
                .map(|w| w * w)
                .sum::<f64>()
                .max(f64::MIN_POSITIVE);
        let full = d > 1 && d <= MAX_FULL_DIMENSION && ess >= 2.0 * (d as f64 + 1.0);
        let shape = if full {
            let mut cov = DMatrix::<f64>::zeros(d, d);
            let mut centred = DVector::<f64>::zeros(d);
            for (i, &w) in weights.iter().enumerate().take(n) {
                if w <= 0.0 {
                    continue;
                }
                for k in 0..d {
                    centred[k] = z[i * d + k] - mean[k];
                }
                cov.ger(w, &centred, &centred, 1.0);
            }
            // A small ridge, relative to each variance, keeps the factor defined.
            for k in 0..d {
                cov[(k, k)] = cov[(k, k)].max(1e-12) * (1.0 + 1e-9) + 1e-12;
            }
            match cov.cholesky() {
                Some(c) => Shape::Full(c.l()),
                None => Shape::Diagonal(diagonal(z, weights, &mean, d)),
            }
        } else {
            Shape::Diagonal(diagonal(z, weights, &mean, d))
        };
        let sd = diagonal(z, weights, &mean, d);
        Proposal {
            shape,
            mean,
            sd,
            scale,
            dimension: d,
        }
    }

    /// Writes a draw from the population's Gaussian fit `N(mean, C Cᵀ)` into `to` and returns
    /// its log density up to a constant.
    pub fn draw_fit(&self, to: &mut [f64], noise: &mut [f64], rng: &mut SmallRng) -> f64 {
        for e in noise.iter_mut() {
            *e = StandardNormal.sample(rng);
        }
        let zeros = vec![0.0; self.dimension];
        self.step(&zeros, to, noise, 1.0);
        for (x, m) in to.iter_mut().zip(&self.mean) {
            *x += m;
        }
        -0.5 * noise.iter().map(|e| e * e).sum::<f64>()
    }

    /// The log density of the Gaussian fit at `z`, up to the constant of [`Proposal::draw_fit`].
    pub fn log_fit(&self, z: &[f64], work: &mut [f64]) -> f64 {
        for k in 0..self.dimension {
            work[k] = z[k] - self.mean[k];
        }
        match &self.shape {
            Shape::Diagonal(sd) => {
                for k in 0..self.dimension {
                    work[k] /= sd[k];
                }
            }
            Shape::Full(l) => {
                for k in 0..self.dimension {
                    let mut x = work[k];
                    for j in 0..k {
                        x -= l[(k, j)] * work[j];
                    }
                    work[k] = x / l[(k, k)];
                }
            }
        }
        -0.5 * work.iter().map(|e| e * e).sum::<f64>()
    }

    /// `to = from + scale · C noise`.
    fn step(&self, from: &[f64], to: &mut [f64], noise: &[f64], scale: f64) {
        match &self.shape {
            Shape::Diagonal(sd) => {
                for k in 0..self.dimension {
                    to[k] = from[k] + scale * sd[k] * noise[k];
                }
            }
            Shape::Full(l) => {
                for k in 0..self.dimension {
                    let mut step = 0.0;
                    for (j, e) in noise.iter().enumerate().take(k + 1) {
                        step += l[(k, j)] * e;
                    }
                    to[k] = from[k] + scale * step;
                }
            }
        }
    }

    /// Each coordinate's population sd.
    pub fn sd(&self) -> &[f64] {
        &self.sd
    }

    /// The starting scale for dimension `d`.
    pub fn initial_scale(d: usize) -> f64 {
        2.38 / (d.max(1) as f64).sqrt()
    }

    /// Writes a proposal from `from` into `to`.
    pub fn propose(&self, from: &[f64], to: &mut [f64], noise: &mut [f64], rng: &mut SmallRng) {
        for e in noise.iter_mut() {
            *e = StandardNormal.sample(rng);
        }
        self.step(from, to, noise, self.scale);
    }

    /// The mean over coordinates of the squared jump from `a` to `b`, each coordinate in
    /// units of its population sd.
    pub fn whitened_jump(&self, a: &[f64], b: &[f64]) -> f64 {
        let d = self.dimension.max(1);
        (0..self.dimension)
            .map(|k| ((b[k] - a[k]) / self.sd[k]).powi(2))
            .sum::<f64>()
            / d as f64
    }

    /// The scale for the next stage, after a stage that accepted a share `rate` of moves.
    pub fn adapted_scale(&self, rate: f64) -> f64 {
        let factor = (2.0 * (rate - target_acceptance(self.dimension))).exp();
        (self.scale * factor).clamp(1e-4, 20.0)
    }
}

/// Weighted standard deviations per coordinate; a coordinate with no spread gets 0.1 so that
/// a collapsed population can still move.
fn diagonal(z: &[f64], weights: &[f64], mean: &[f64], d: usize) -> Vec<f64> {
    let mut var = vec![0.0; d];
    for (i, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            for k in 0..d {
                let c = z[i * d + k] - mean[k];
                var[k] += w * c * c;
            }
        }
    }
    var.iter()
        .map(|v| if *v > 1e-24 { v.sqrt() } else { 0.1 })
        .collect()
}
