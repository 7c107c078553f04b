//! Streaming accumulators for self-normalised importance sampling.
//!
//! Weights arrive as logs. Each group keeps a running maximum `m` and stores its sums scaled by
//! `exp(-m)` (sums of `w`) or `exp(-2m)` (sums of `w²`), rescaling when `m` grows, so weights
//! spanning hundreds of orders of magnitude neither overflow nor vanish. Sums of values are
//! kept relative to a shift `c` (the first value seen) so variances do not cancel
//! catastrophically when the mean is large. Memory is constant in the number of samples.
//!
//! The standard error of a mean is the usual self-normalised estimate
//! `sqrt(Σ w²(f − μ)²) / Σ w`; the effective sample size is `(Σw)² / Σw²`. A probability's
//! standard error is never below the Agresti–Coull score interval's ([`score_stderr`]).

/// The standard error of a sampled probability `p` by the Agresti–Coull score interval with
/// `n` (the effective sample size) as the count: `sqrt(p̃(1 − p̃)/ñ)` with `ñ = n + z²`,
/// `p̃ = (n·p + z²/2)/ñ`, z = 1.96. Never 0, so ten effective samples that all agree do not
/// claim certainty (LANGUAGE.md section 9).
pub fn score_stderr(p: f64, n: f64) -> f64 {
    const Z2: f64 = 1.96 * 1.96;
    let n_tilde = n.max(0.0) + Z2;
    let p_tilde = (n.max(0.0) * p + Z2 / 2.0) / n_tilde;
    (p_tilde * (1.0 - p_tilde) / n_tilde).sqrt()
}

/// A sampled probability's standard error: the self-normalised one, but never below the score
/// interval's (which matters where the weighted samples all agree, or nearly).
pub fn probability_stderr(p: f64, stderr: f64, ess: f64) -> f64 {
    stderr.max(score_stderr(p, ess))
}

/// The Pareto shape `k̂` of the upper tail of importance weights given as logs (Vehtari,
/// Simpson, Gelman, Yao and Gabry, "Pareto smoothed importance sampling", JMLR 2024): a
/// generalized Pareto distribution is fitted to the excesses of the largest
/// `min(n/5, 3√n)` weights over the next one, by Zhang and Stephens' (2009) profile estimate
/// with the paper's weak prior pulling `k̂` toward 0.5. With `k̂ > 0.7` the weights' tail is so
/// heavy that the self-normalised estimate and its standard error are unreliable at any
/// practical sample size, however large the ESS looks. `None` with fewer than 20 finite weights.
pub fn pareto_k(log_weights: &[f64]) -> Option<f64> {
    let mut lw: Vec<f64> = log_weights
        .iter()
        .copied()
        .filter(|w| w.is_finite())
        .collect();
    if lw.len() < 20 {
        return None;
    }
    lw.sort_by(f64::total_cmp);
    let n = lw.len() as f64;
    let tail = ((0.2 * n).min(3.0 * n.sqrt())).ceil() as usize;
    let top = lw[lw.len() - 1];
    let cutoff = (lw[lw.len() - tail - 1] - top).exp();
    let x: Vec<f64> = lw[lw.len() - tail..]
        .iter()
        .map(|w| (w - top).exp() - cutoff)
        .collect();
    gpd_shape(&x)
}

/// Zhang and Stephens' estimate of a generalized Pareto shape from sorted excesses `x`
/// (arviz's `_gpdfit`, with its weak prior: 10 pseudo-observations at k = 0.5).
fn gpd_shape(x: &[f64]) -> Option<f64> {
    let n = x.len();
    let largest = x[n - 1];
    let quartile = x[((n as f64) / 4.0 + 0.5) as usize - 1];
    if largest <= 0.0 || quartile <= 0.0 {
        return None;
    }
    let grid = 30 + (n as f64).sqrt() as usize;
    let profile_k = |b: f64| x.iter().map(|v| (-b * v).ln_1p()).sum::<f64>() / n as f64;
    let thetas: Vec<f64> = (1..=grid)
        .map(|j| 1.0 / largest + (1.0 - (grid as f64 / (j as f64 - 0.5)).sqrt()) / 3.0 / quartile)
        .collect();
    let log_likelihoods: Vec<f64> = thetas
        .iter()
        .map(|&b| {
            let k = profile_k(b);
            n as f64 * ((-b / k).ln() - k - 1.0)
        })
        .collect();
    let weights: Vec<f64> = log_likelihoods
        .iter()
        .map(|l| 1.0 / log_likelihoods.iter().map(|m| (m - l).exp()).sum::<f64>())
        .collect();
    let total: f64 = weights.iter().sum();
    let theta = thetas.iter().zip(&weights).map(|(b, w)| b * w).sum::<f64>() / total;
    let k = profile_k(theta);
    let k = (n as f64 * k + 10.0 * 0.5) / (n as f64 + 10.0);
    k.is_finite().then_some(k)
}

/// A variance with rounding below zero cut off; a NaN or an infinity (sums that overflowed)
/// stays what it is, so it is reported rather than shown as 0 (`NaN.max(0.0)` is 0).
pub fn nonnegative(variance: f64) -> f64 {
    if variance < 0.0 { 0.0 } else { variance }
}

/// Sums for one scalar quantity, relative to the shift `c`.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Moments {
    pub c: Option<f64>,
    pub swg: f64,
    pub swg2: f64,
    pub sw2g: f64,
    pub sw2g2: f64,
}

impl Moments {
    #[inline]
    /// Adds `count` samples of weight `w` and value `f`.
    fn add(&mut self, w: f64, f: f64, count: f64) {
        let c = *self.c.get_or_insert(f);
        let g = f - c;
        let wg = w * g;
        self.swg += count * wg;
        self.swg2 += count * wg * g;
        self.sw2g += count * w * wg;
        self.sw2g2 += count * wg * wg;
    }

    fn scale(&mut self, r: f64) {
        self.swg *= r;
        self.swg2 *= r;
        self.sw2g *= r * r;
        self.sw2g2 *= r * r;
    }

    /// Re-expresses the sums relative to shift `c` (`sw`, `sw2` are the group's sums).
    fn reshift(&mut self, c: f64, sw: f64, sw2: f64) {
        if let Some(old) = self.c {
            let d = old - c;
            self.swg2 += 2.0 * d * self.swg + d * d * sw;
            self.swg += d * sw;
            self.sw2g2 += 2.0 * d * self.sw2g + d * d * sw2;
            self.sw2g += d * sw2;
        }
        self.c = Some(c);
    }

    fn merge(&mut self, mut other: Moments, other_sw: f64, other_sw2: f64) {
        match (self.c, other.c) {
            (_, None) => {}
            (None, Some(_)) => *self = other,
            (Some(c), Some(_)) => {
                other.reshift(c, other_sw, other_sw2);
                self.swg += other.swg;
                self.swg2 += other.swg2;
                self.sw2g += other.sw2g;
                self.sw2g2 += other.sw2g2;
            }
        }
    }

    /// Mean, standard error of the mean, and the weighted standard deviation of the values.
    pub fn summary(&self, sw: f64, sw2: f64) -> (f64, f64, f64) {
        let c = self.c.unwrap_or(0.0);
        let g = self.swg / sw;
        let variance_of_mean =
            nonnegative((self.sw2g2 - 2.0 * g * self.sw2g + g * g * sw2) / (sw * sw));
        let spread = nonnegative(self.swg2 / sw - g * g);
        (c + g, variance_of_mean.sqrt(), spread.sqrt())
    }
}

/// A fixed-edge weighted histogram, for quantiles of real quantities.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Histogram {
    pub lo: f64,
    pub hi: f64,
    pub bins: Vec<f64>,
    pub below: f64,
    pub above: f64,
    pub min: f64,
    pub max: f64,
}

impl Histogram {
    /// An empty histogram over `[lo, hi)` with `n` bins.
    pub fn new(lo: f64, hi: f64, n: usize) -> Histogram {
        Histogram {
            lo,
            hi,
            bins: vec![0.0; n],
            below: 0.0,
            above: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// 4096 bins over `[lo, hi]` with half its width again on either side (the width of `lo`
    /// itself, or 1, where the range is a point).
    pub fn spanning(lo: f64, hi: f64) -> Histogram {
        let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
        Histogram::new(lo - 0.5 * span, hi + 0.5 * span, 4096)
    }

    /// Adds value `x` with weight `w`.
    #[inline]
    pub(crate) fn add(&mut self, w: f64, x: f64) {
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        if x < self.lo {
            self.below += w;
        } else if x >= self.hi {
            self.above += w;
        } else {
            let i = ((x - self.lo) / (self.hi - self.lo) * self.bins.len() as f64) as usize;
            let last = self.bins.len() - 1;
            self.bins[i.min(last)] += w;
        }
    }

    fn scale(&mut self, r: f64) {
        self.bins.iter_mut().for_each(|b| *b *= r);
        self.below *= r;
        self.above *= r;
    }

    fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.bins.iter_mut().zip(&other.bins) {
            *a += b;
        }
        self.below += other.below;
        self.above += other.above;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The `q` quantile, interpolated within a bin.
    pub fn quantile(&self, q: f64) -> f64 {
        let total: f64 = self.bins.iter().sum::<f64>() + self.below + self.above;
        let target = q * total;
        if target <= self.below {
            return self.lo.max(self.min);
        }
        let width = (self.hi - self.lo) / self.bins.len() as f64;
        let mut cumulative = self.below;
        for (i, b) in self.bins.iter().enumerate() {
            if cumulative + b >= target && *b > 0.0 {
                let x = self.lo + width * (i as f64 + (target - cumulative) / b);
                return x.clamp(self.min, self.max);
            }
            cumulative += b;
        }
        self.hi.min(self.max)
    }
}

/// What one target accumulates.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum TargetAcc {
    Scalar(Moments),
    /// (value, Σw, Σw²) per distinct value, in order of first appearance.
    Discrete(Vec<(f64, f64, f64)>),
    Real(Moments, Histogram),
}

/// One group's weight sums and targets.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct GroupAcc {
    /// The largest log weight seen; sums are scaled by `exp(-m)`.
    pub m: f64,
    pub sw: f64,
    pub sw2: f64,
    /// Samples with non-zero weight.
    pub n_nonzero: u64,
    pub targets: Vec<TargetAcc>,
}

impl GroupAcc {
    fn rescale(&mut self, r: f64) {
        self.sw *= r;
        self.sw2 *= r * r;
        for t in &mut self.targets {
            match t {
                TargetAcc::Scalar(m) => m.scale(r),
                TargetAcc::Discrete(rows) => rows.iter_mut().for_each(|row| {
                    row.1 *= r;
                    row.2 *= r * r;
                }),
                TargetAcc::Real(m, h) => {
                    m.scale(r);
                    h.scale(r);
                }
            }
        }
    }

    /// The self-normalised mean of target `t` (scalar), its standard error, and the ESS.
    pub fn scalar(&self, t: usize) -> (f64, f64) {
        match &self.targets[t] {
            TargetAcc::Scalar(m) | TargetAcc::Real(m, _) => {
                let (mean, se, _) = m.summary(self.sw, self.sw2);
                (mean, se)
            }
            TargetAcc::Discrete(_) => (f64::NAN, f64::NAN),
        }
    }

    /// The effective sample size `(Σw)²/Σw²`.
    pub fn ess(&self) -> f64 {
        if self.sw2 > 0.0 {
            self.sw * self.sw / self.sw2
        } else {
            0.0
        }
    }
}

/// Cross sums between the first (scalar) targets of two groups, for covariances.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Cross {
    pub a: usize,
    pub b: usize,
    pub s11: f64,
    pub sa: f64,
    pub sb: f64,
    pub sab: f64,
}

/// All accumulators of one plan.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Accumulators {
    pub groups: Vec<GroupAcc>,
    pub cross: Vec<Cross>,
    pub n_samples: u64,
}

impl Accumulators {
    /// Empty accumulators; `histograms[g][t]` gives the edges for real targets; `pairs` (each
    /// `(a, b)` with `a < b`, in increasing order) the groups whose covariance is tracked.
    pub fn new(
        target_kinds: &[Vec<crate::query::TargetKind>],
        histograms: &[Vec<Option<Histogram>>],
        pairs: &[(usize, usize)],
    ) -> Accumulators {
        use crate::query::TargetKind;
        let groups: Vec<GroupAcc> = target_kinds
            .iter()
            .enumerate()
            .map(|(g, kinds)| GroupAcc {
                m: f64::NEG_INFINITY,
                sw: 0.0,
                sw2: 0.0,
                n_nonzero: 0,
                targets: kinds
                    .iter()
                    .enumerate()
                    .map(|(t, k)| match k {
                        TargetKind::Scalar => TargetAcc::Scalar(Moments::default()),
                        TargetKind::Discrete => TargetAcc::Discrete(Vec::new()),
                        TargetKind::Real => TargetAcc::Real(
                            Moments::default(),
                            histograms
                                .get(g)
                                .and_then(|h| h.get(t))
                                .cloned()
                                .flatten()
                                .unwrap_or_else(|| Histogram::new(0.0, 1.0, 1)),
                        ),
                    })
                    .collect(),
            })
            .collect();
        debug_assert!(pairs.windows(2).all(|w| w[0] < w[1]) && pairs.iter().all(|p| p.0 < p.1));
        Accumulators {
            groups,
            cross: pairs
                .iter()
                .map(|&(a, b)| Cross {
                    a,
                    b,
                    ..Cross::default()
                })
                .collect(),
            n_samples: 0,
        }
    }

    /// Adds one sample: per group its log weight and target values.
    #[inline]
    pub fn add(&mut self, log_weights: &[f64], values: &[Vec<f64>]) {
        self.add_many(log_weights, values, 1);
    }

    /// Adds `count` identical samples (the compiled table sampler counts them per cell).
    pub fn add_many(&mut self, log_weights: &[f64], values: &[Vec<f64>], count: u64) {
        let n = count as f64;
        self.n_samples += count;
        for (g, &lw) in log_weights.iter().enumerate() {
            if lw == f64::NEG_INFINITY {
                continue;
            }
            if lw > self.groups[g].m {
                let old = self.groups[g].m;
                let r = if old == f64::NEG_INFINITY {
                    0.0
                } else {
                    (old - lw).exp()
                };
                self.groups[g].rescale(r);
                for c in &mut self.cross {
                    if c.a == g || c.b == g {
                        c.s11 *= r;
                        c.sa *= r;
                        c.sb *= r;
                        c.sab *= r;
                    }
                }
                self.groups[g].m = lw;
            }
            let group = &mut self.groups[g];
            let w = (lw - group.m).exp();
            group.sw += n * w;
            group.sw2 += n * w * w;
            group.n_nonzero += count;
            for (t, f) in group.targets.iter_mut().zip(&values[g]) {
                match t {
                    TargetAcc::Scalar(m) => m.add(w, *f, n),
                    TargetAcc::Discrete(rows) => match rows.iter_mut().find(|r| r.0 == *f) {
                        Some(row) => {
                            row.1 += n * w;
                            row.2 += n * w * w;
                        }
                        None => rows.push((*f, n * w, n * w * w)),
                    },
                    TargetAcc::Real(m, h) => {
                        m.add(w, *f, n);
                        h.add(n * w, *f);
                    }
                }
            }
        }
        for c in &mut self.cross {
            let (la, lb) = (log_weights[c.a], log_weights[c.b]);
            if la == f64::NEG_INFINITY || lb == f64::NEG_INFINITY {
                continue;
            }
            let wa = (la - self.groups[c.a].m).exp();
            let wb = (lb - self.groups[c.b].m).exp();
            let ga = values[c.a][0] - first_shift(&self.groups[c.a]);
            let gb = values[c.b][0] - first_shift(&self.groups[c.b]);
            let w = n * wa * wb;
            c.s11 += w;
            c.sa += w * ga;
            c.sb += w * gb;
            c.sab += w * ga * gb;
        }
    }

    /// Folds `other` (a later chunk) into `self`.
    pub fn merge(&mut self, mut other: Accumulators) {
        self.n_samples += other.n_samples;
        let mut ratios = Vec::new();
        for (g, (a, b)) in self
            .groups
            .iter_mut()
            .zip(other.groups.iter_mut())
            .enumerate()
        {
            let m = a.m.max(b.m);
            if m == f64::NEG_INFINITY {
                ratios.push((g, 1.0, 1.0, 0.0, 0.0));
                continue;
            }
            let ra = if a.m == f64::NEG_INFINITY {
                0.0
            } else {
                (a.m - m).exp()
            };
            let rb = if b.m == f64::NEG_INFINITY {
                0.0
            } else {
                (b.m - m).exp()
            };
            a.rescale(ra);
            b.rescale(rb);
            a.m = m;
            // Shift of b's first target relative to a's, for the cross sums.
            let (ca, cb) = (first_shift(a), first_shift(b));
            let delta = if first_shift_known(b) && first_shift_known(a) {
                cb - ca
            } else {
                0.0
            };
            ratios.push((g, ra, rb, delta, cb));
            let (bsw, bsw2) = (b.sw, b.sw2);
            a.sw += b.sw;
            a.sw2 += b.sw2;
            a.n_nonzero += b.n_nonzero;
            for (ta, tb) in a.targets.iter_mut().zip(std::mem::take(&mut b.targets)) {
                match (ta, tb) {
                    (TargetAcc::Scalar(ma), TargetAcc::Scalar(mb)) => ma.merge(mb, bsw, bsw2),
                    (TargetAcc::Discrete(ra_rows), TargetAcc::Discrete(rb_rows)) => {
                        for row in rb_rows {
                            match ra_rows.iter_mut().find(|r| r.0 == row.0) {
                                Some(r) => {
                                    r.1 += row.1;
                                    r.2 += row.2;
                                }
                                None => ra_rows.push(row),
                            }
                        }
                    }
                    (TargetAcc::Real(ma, ha), TargetAcc::Real(mb, hb)) => {
                        ma.merge(mb, bsw, bsw2);
                        ha.merge(&hb);
                    }
                    _ => {}
                }
            }
        }
        for (ca, cb) in self.cross.iter_mut().zip(other.cross) {
            let (_, ra_a, rb_a, da, _) = ratios[ca.a];
            let (_, ra_b, rb_b, db, _) = ratios[ca.b];
            let (r_self, r_other) = (ra_a * ra_b, rb_a * rb_b);
            ca.s11 *= r_self;
            ca.sa *= r_self;
            ca.sb *= r_self;
            ca.sab *= r_self;
            let (s11, sa, sb, sab) = (
                cb.s11 * r_other,
                cb.sa * r_other,
                cb.sb * r_other,
                cb.sab * r_other,
            );
            // Re-express other's sums relative to self's shifts: g' = g + delta.
            ca.s11 += s11;
            ca.sa += sa + da * s11;
            ca.sb += sb + db * s11;
            ca.sab += sab + da * sb + db * sa + da * db * s11;
        }
    }

    /// Covariance of the scalar estimates of groups `a` and `b`.
    pub fn covariance(&self, a: usize, b: usize) -> f64 {
        if a == b {
            let (_, se) = self.groups[a].scalar(0);
            return se * se;
        }
        let (lo, hi) = (a.min(b), a.max(b));
        let Ok(i) = self.cross.binary_search_by(|c| (c.a, c.b).cmp(&(lo, hi))) else {
            return 0.0;
        };
        let c = &self.cross[i];
        let (ga, gb) = (&self.groups[lo], &self.groups[hi]);
        let mean_g = |g: &GroupAcc| match &g.targets[0] {
            TargetAcc::Scalar(m) | TargetAcc::Real(m, _) => m.swg / g.sw,
            _ => 0.0,
        };
        let (ma, mb) = (mean_g(ga), mean_g(gb));
        (c.sab - mb * c.sa - ma * c.sb + ma * mb * c.s11) / (ga.sw * gb.sw)
    }
}

fn first_shift(g: &GroupAcc) -> f64 {
    match g.targets.first() {
        Some(TargetAcc::Scalar(m)) | Some(TargetAcc::Real(m, _)) => m.c.unwrap_or(0.0),
        _ => 0.0,
    }
}

fn first_shift_known(g: &GroupAcc) -> bool {
    matches!(
        g.targets.first(),
        Some(TargetAcc::Scalar(Moments { c: Some(_), .. }))
            | Some(TargetAcc::Real(Moments { c: Some(_), .. }, _))
    )
}

#[cfg(test)]
mod tests {
    //! The accumulators against the textbook formulas computed directly from stored samples.

    use super::*;
    use crate::query::TargetKind;
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};

    /// (log weights of two groups, values of their first targets), with weights spanning
    /// hundreds of orders of magnitude and values far from zero, some samples weighing nothing.
    fn samples(n: usize, seed: u64) -> Vec<([f64; 2], [f64; 2])> {
        let mut rng = SmallRng::seed_from_u64(seed);
        (0..n)
            .map(|i| {
                let lw = |rng: &mut SmallRng| {
                    if i % 7 == 3 {
                        f64::NEG_INFINITY
                    } else {
                        rng.random_range(-300.0..300.0)
                    }
                };
                let (la, lb) = (lw(&mut rng), lw(&mut rng));
                let fa = 1e6 + rng.random_range(0.0..10.0);
                let fb = fa * 0.5 + rng.random_range(-3.0..3.0);
                ([la, lb], [fa, fb])
            })
            .collect()
    }

    /// Weights drawn from a Pareto distribution of known shape `k` (`w = U^(-k)`): `k̂` finds
    /// it within 3 of its standard errors, `(1 + k)/√M` for the `M = 192` tail weights of
    /// 4,096 (the weak prior's pull toward 0.5 is far smaller than that).
    #[test]
    fn pareto_k_finds_the_shape_of_pareto_weights() {
        for (seed, k) in [(1, 0.2), (2, 0.5), (3, 1.0)] {
            let mut rng = SmallRng::seed_from_u64(seed);
            let log_weights: Vec<f64> = (0..4096)
                .map(|_| -k * (1.0 - rng.random::<f64>()).ln())
                .collect();
            let k_hat = pareto_k(&log_weights).expect("a tail to fit");
            let stderr = (1.0 + k) / 192f64.sqrt();
            assert!((k_hat - k).abs() < 3.0 * stderr, "k = {k}: k̂ = {k_hat}");
        }
        // Equal weights have no tail; too few weights are not fitted.
        assert_eq!(pareto_k(&[0.0; 4096]), None);
        assert_eq!(pareto_k(&[0.0, 1.0, 2.0]), None);
    }

    fn accumulate(data: &[([f64; 2], [f64; 2])]) -> Accumulators {
        let kinds = vec![vec![TargetKind::Scalar], vec![TargetKind::Scalar]];
        let mut acc = Accumulators::new(&kinds, &[vec![None], vec![None]], &[(0, 1)]);
        for (lw, f) in data {
            acc.add(lw, &[vec![f[0]], vec![f[1]]]);
        }
        acc
    }

    /// Weights relative to the largest, as the formulas use them (any common factor cancels).
    fn weights(data: &[([f64; 2], [f64; 2])], g: usize) -> Vec<f64> {
        let m = data
            .iter()
            .map(|d| d.0[g])
            .fold(f64::NEG_INFINITY, f64::max);
        data.iter().map(|d| (d.0[g] - m).exp()).collect()
    }

    fn mean(w: &[f64], f: &[f64]) -> f64 {
        w.iter().zip(f).map(|(w, f)| w * f).sum::<f64>() / w.iter().sum::<f64>()
    }

    fn close(a: f64, b: f64, what: &str) {
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1e-300),
            "{what}: {a} against {b}"
        );
    }

    #[test]
    fn mean_stderr_ess_and_covariance_match_the_direct_formulas() {
        let data = samples(2_000, 1);
        let acc = accumulate(&data);
        let w: Vec<Vec<f64>> = (0..2).map(|g| weights(&data, g)).collect();
        let f: Vec<Vec<f64>> = (0..2)
            .map(|g| data.iter().map(|d| d.1[g]).collect())
            .collect();
        let mu: Vec<f64> = (0..2).map(|g| mean(&w[g], &f[g])).collect();
        for g in 0..2 {
            let sw: f64 = w[g].iter().sum();
            let sw2: f64 = w[g].iter().map(|x| x * x).sum();
            // sqrt(Σ w²(f − μ)²) / Σw and (Σw)²/Σw².
            let se = w[g]
                .iter()
                .zip(&f[g])
                .map(|(w, f)| (w * (f - mu[g])).powi(2))
                .sum::<f64>()
                .sqrt()
                / sw;
            let (value, stderr) = acc.groups[g].scalar(0);
            close(value, mu[g], "mean");
            close(stderr, se, "standard error");
            close(acc.groups[g].ess(), sw * sw / sw2, "ESS");
        }
        // Σ wa wb (fa − μa)(fb − μb) / (Σwa Σwb): the delta-method covariance of two means.
        let cross: f64 = (0..data.len())
            .map(|i| w[0][i] * w[1][i] * (f[0][i] - mu[0]) * (f[1][i] - mu[1]))
            .sum();
        let expected = cross / (w[0].iter().sum::<f64>() * w[1].iter().sum::<f64>());
        close(acc.covariance(0, 1), expected, "covariance");
        close(acc.covariance(1, 0), expected, "covariance (symmetric)");
    }

    #[test]
    fn merged_chunks_equal_one_pass_over_the_same_samples() {
        let data = samples(3_000, 2);
        let whole = accumulate(&data);
        // Chunks of uneven sizes, the first empty, merged in order as the sampler does.
        let mut merged = accumulate(&[]);
        for range in [0..0, 0..1, 1..700, 700..701, 701..2_400, 2_400..3_000] {
            merged.merge(accumulate(&data[range]));
        }
        assert_eq!(merged.n_samples, whole.n_samples);
        for g in 0..2 {
            let (a, b) = (&merged.groups[g], &whole.groups[g]);
            assert_eq!(a.n_nonzero, b.n_nonzero);
            close(a.scalar(0).0, b.scalar(0).0, "merged mean");
            close(a.scalar(0).1, b.scalar(0).1, "merged standard error");
            close(a.ess(), b.ess(), "merged ESS");
        }
        close(
            merged.covariance(0, 1),
            whole.covariance(0, 1),
            "merged covariance",
        );
    }

    #[test]
    fn a_discrete_table_merges_per_value() {
        let kinds = vec![vec![TargetKind::Discrete]];
        let table = |values: &[(f64, f64)]| {
            let mut acc = Accumulators::new(&kinds, &[vec![None]], &[]);
            for (lw, v) in values {
                acc.add(&[*lw], &[vec![*v]]);
            }
            acc
        };
        let rows = [
            (0.0, 1.0),
            (2.0f64.ln(), 2.0),
            (0.0, 1.0),
            (3.0f64.ln(), 3.0),
        ];
        let mut merged = table(&rows[..1]);
        merged.merge(table(&rows[1..]));
        let TargetAcc::Discrete(cells) = &merged.groups[0].targets[0] else {
            panic!("not a table")
        };
        // Weights 1, 2, 1, 3 relative to the largest (3): value 1 has 2/7, 2 has 2/7, 3 has 3/7.
        let g = &merged.groups[0];
        let p = |v: f64| cells.iter().find(|c| c.0 == v).map_or(0.0, |c| c.1) / g.sw;
        close(p(1.0), 2.0 / 7.0, "P(1)");
        close(p(2.0), 2.0 / 7.0, "P(2)");
        close(p(3.0), 3.0 / 7.0, "P(3)");
    }

    #[test]
    fn the_score_interval_error_is_the_agresti_coull_one() {
        // By hand: ñ = 10 + 1.96² = 13.8416, p̃ = 1.9208 / 13.8416 = 0.13877,
        // sqrt(p̃(1 − p̃)/ñ) = 0.0929211.
        assert!((score_stderr(0.0, 10.0) - 0.0929211).abs() < 1e-7);
        assert_eq!(score_stderr(0.0, 10.0), score_stderr(1.0, 10.0));
        assert!(score_stderr(0.5, 1e6) < (0.25f64 / 1e6).sqrt());
        // The usual error where it is larger, the score one where the samples agree.
        assert_eq!(probability_stderr(0.5, 0.01, 1e4), 0.01);
        assert_eq!(probability_stderr(1.0, 0.0, 10.0), score_stderr(1.0, 10.0));
    }

    #[test]
    fn an_overflowing_variance_is_not_shown_as_zero() {
        assert!(nonnegative(f64::NAN).is_nan());
        assert_eq!(nonnegative(f64::INFINITY), f64::INFINITY);
        assert_eq!(nonnegative(-1e-18), 0.0);
    }
}
