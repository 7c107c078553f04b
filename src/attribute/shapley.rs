//! Shapley arithmetic over coalition values: the exact formula over every coalition, the
//! permutation estimator, and batch means for standard errors. Pure functions of numbers; no
//! model, no sampling.

use rand::RngExt;

/// A coalition as a bit set over the players (player `i` is bit `i % 64` of word `i / 64`).
pub type Coalition = Vec<u64>;

/// The empty coalition of `n` players.
pub fn empty(n: usize) -> Coalition {
    vec![0; n.div_ceil(64).max(1)]
}

/// Whether player `i` is in `c`.
pub fn contains(c: &Coalition, i: usize) -> bool {
    c[i / 64] >> (i % 64) & 1 == 1
}

/// Adds player `i` to `c`.
pub fn insert(c: &mut Coalition, i: usize) {
    c[i / 64] |= 1 << (i % 64);
}

/// The coalition of the players whose bits are set in `mask` (`n ≤ 63`).
pub fn from_mask(mask: usize, n: usize) -> Coalition {
    let mut c = empty(n);
    c[0] = mask as u64;
    c
}

/// The Shapley weight of a coalition of `size` players joined by one more, out of `n`:
/// `size! (n − size − 1)! / n!`, computed as a product of ratios (no factorial overflows).
pub fn weight(size: usize, n: usize) -> f64 {
    // size!(n-size-1)!/n! = 1 / (n * C(n-1, size)).
    let mut binomial = 1.0f64;
    for k in 0..size {
        binomial *= (n - 1 - k) as f64 / (k + 1) as f64;
    }
    1.0 / (n as f64 * binomial)
}

/// Exact Shapley values from the values of all `2^n` coalitions, indexed by bit mask.
pub fn exact(values: &[f64], n: usize) -> Vec<f64> {
    let weights: Vec<f64> = (0..n).map(|s| weight(s, n)).collect();
    let mut phi = vec![0.0; n];
    for (mask, &v) in values.iter().enumerate() {
        for (i, p) in phi.iter_mut().enumerate() {
            if mask >> i & 1 == 0 {
                let size = mask.count_ones() as usize;
                *p += weights[size] * (values[mask | 1 << i] - v);
            }
        }
    }
    phi
}

/// A uniformly random permutation of `0..n` (Fisher–Yates).
pub fn permutation(n: usize, rng: &mut impl RngExt) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        p.swap(i, j);
    }
    p
}

/// The coalitions a permutation walks through: the empty one, then each prefix.
pub fn prefixes(order: &[usize], n: usize) -> Vec<Coalition> {
    let mut out = Vec::with_capacity(order.len() + 1);
    let mut c = empty(n);
    out.push(c.clone());
    for &i in order {
        insert(&mut c, i);
        out.push(c.clone());
    }
    out
}

/// Each player's marginal contribution along one permutation, from the values of its
/// prefixes (`values[k]` is the value of the first `k` players of `order`).
pub fn marginals(order: &[usize], values: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; order.len()];
    for (k, &i) in order.iter().enumerate() {
        out[i] = values[k + 1] - values[k];
    }
    out
}

/// The mean of batch estimates of sizes `sizes` and its standard error by batch means:
/// `Σ k_b x_b / K` and `sqrt(Σ k_b (x_b − x̄)² / ((B − 1) K))`, which is the usual standard
/// error of a mean where every batch has one member. `None` for the error with fewer than two
/// batches.
pub fn batch_mean(estimates: &[f64], sizes: &[f64]) -> (f64, Option<f64>) {
    let total: f64 = sizes.iter().sum();
    let mean = estimates.iter().zip(sizes).map(|(x, k)| x * k).sum::<f64>() / total;
    if estimates.len() < 2 {
        return (mean, None);
    }
    let spread: f64 = estimates
        .iter()
        .zip(sizes)
        .map(|(x, k)| k * (x - mean) * (x - mean))
        .sum();
    let b = estimates.len() as f64;
    (mean, Some((spread / ((b - 1.0) * total)).sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_one_over_the_coalitions_a_player_joins() {
        for n in 1..20 {
            // Σ_s C(n-1, s) w(s) = 1.
            let mut total = 0.0;
            let mut binomial = 1.0;
            for s in 0..n {
                total += binomial * weight(s, n);
                binomial *= (n - 1 - s) as f64 / (s + 1) as f64;
            }
            assert!((total - 1.0).abs() < 1e-12, "n = {n}: {total}");
        }
        // 1!·1!/3! = 1/6.
        assert!((weight(1, 3) - 1.0 / 6.0).abs() < 1e-15);
    }

    #[test]
    fn batch_means_of_single_members_is_the_standard_error_of_the_mean() {
        let xs = [1.0, 2.0, 4.0, 7.0];
        let (mean, se) = batch_mean(&xs, &[1.0; 4]);
        assert_eq!(mean, 3.5);
        // Sample variance 7, over 4.
        assert!((se.unwrap() - (7.0f64 / 4.0).sqrt()).abs() < 1e-12);
    }
}
