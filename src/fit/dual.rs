//! Forward-mode automatic differentiation to second order: a [`Jet`] carries a value with its
//! gradient and (optionally) its Hessian with respect to the parameters of one fit, so the
//! log-likelihood of a mechanism evaluated on jets gives the exact gradient the optimizer
//! needs and, at the optimum, the observed information (no finite differences).
//!
//! Every operation is the chain rule: for `y = f(x)`, `∇y = f'(x) ∇x` and
//! `∇²y = f'(x) ∇²x + f''(x) ∇x ∇xᵀ`; products and quotients add the cross terms.

/// A value with its first (and optionally second) derivatives with respect to `n` parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Jet {
    /// The value.
    pub value: f64,
    /// `∂value/∂θᵢ`, one per parameter.
    pub grad: Vec<f64>,
    /// `∂²value/∂θᵢ∂θⱼ`, row-major `n × n`; empty when only gradients are carried.
    pub hess: Vec<f64>,
}

impl Jet {
    /// A constant: every derivative zero.
    pub fn constant(value: f64, n: usize, second: bool) -> Jet {
        Jet {
            value,
            grad: vec![0.0; n],
            hess: if second { vec![0.0; n * n] } else { Vec::new() },
        }
    }

    /// Parameter `i` of `n` at `value`: gradient the i-th unit vector.
    pub fn variable(value: f64, i: usize, n: usize, second: bool) -> Jet {
        let mut jet = Jet::constant(value, n, second);
        jet.grad[i] = 1.0;
        jet
    }

    fn n(&self) -> usize {
        self.grad.len()
    }

    fn second(&self) -> bool {
        !self.hess.is_empty()
    }

    /// Whether every derivative is zero (the value does not depend on the parameters).
    pub fn is_constant(&self) -> bool {
        self.grad.iter().all(|g| *g == 0.0) && self.hess.iter().all(|h| *h == 0.0)
    }

    /// `f(self)` given `f(x)`, `f'(x)` and `f''(x)`.
    pub fn chain(&self, f: f64, df: f64, d2f: f64) -> Jet {
        let n = self.n();
        let grad: Vec<f64> = self.grad.iter().map(|g| df * g).collect();
        let hess = if self.second() {
            let mut h = Vec::with_capacity(n * n);
            for i in 0..n {
                for j in 0..n {
                    h.push(df * self.hess[i * n + j] + d2f * self.grad[i] * self.grad[j]);
                }
            }
            h
        } else {
            Vec::new()
        };
        Jet {
            value: f,
            grad,
            hess,
        }
    }

    /// `self + other`.
    pub fn add(&self, other: &Jet) -> Jet {
        self.combine(other, 1.0, 1.0, self.value + other.value, 0.0)
    }

    /// `self - other`.
    pub fn sub(&self, other: &Jet) -> Jet {
        self.combine(other, 1.0, -1.0, self.value - other.value, 0.0)
    }

    /// `self * other`.
    pub fn mul(&self, other: &Jet) -> Jet {
        self.combine(
            other,
            other.value,
            self.value,
            self.value * other.value,
            1.0,
        )
    }

    /// `self / other`.
    pub fn div(&self, other: &Jet) -> Jet {
        let b = other.value;
        self.mul(&other.chain(1.0 / b, -1.0 / (b * b), 2.0 / (b * b * b)))
    }

    /// `value = v`, `∇ = a ∇self + b ∇other`, `∇² = a ∇²self + b ∇²other + cross (∇self ∇otherᵀ
    /// + ∇other ∇selfᵀ)`.
    fn combine(&self, other: &Jet, a: f64, b: f64, v: f64, cross: f64) -> Jet {
        let n = self.n();
        let grad = self
            .grad
            .iter()
            .zip(&other.grad)
            .map(|(x, y)| a * x + b * y)
            .collect();
        let hess = if self.second() && other.second() {
            let mut h = Vec::with_capacity(n * n);
            for i in 0..n {
                for j in 0..n {
                    let k = i * n + j;
                    h.push(
                        a * self.hess[k]
                            + b * other.hess[k]
                            + cross * (self.grad[i] * other.grad[j] + other.grad[i] * self.grad[j]),
                    );
                }
            }
            h
        } else {
            Vec::new()
        };
        Jet {
            value: v,
            grad,
            hess,
        }
    }

    /// `-self`.
    pub fn neg(&self) -> Jet {
        self.chain(-self.value, -1.0, 0.0)
    }

    /// `self + c`.
    pub fn add_const(&self, c: f64) -> Jet {
        self.chain(self.value + c, 1.0, 0.0)
    }

    /// `c * self`.
    pub fn scale(&self, c: f64) -> Jet {
        self.chain(c * self.value, c, 0.0)
    }

    /// `exp(self)`.
    pub fn exp(&self) -> Jet {
        let e = self.value.exp();
        self.chain(e, e, e)
    }

    /// `ln(self)`.
    pub fn ln(&self) -> Jet {
        let x = self.value;
        self.chain(x.ln(), 1.0 / x, -1.0 / (x * x))
    }

    /// `ln(1 - self)`.
    pub fn ln_1m(&self) -> Jet {
        let x = self.value;
        let d = 1.0 - x;
        self.chain((-x).ln_1p(), -1.0 / d, -1.0 / (d * d))
    }

    /// `sqrt(self)`.
    pub fn sqrt(&self) -> Jet {
        let s = self.value.sqrt();
        self.chain(s, 0.5 / s, -0.25 / (s * self.value))
    }

    /// `self ^ c` for a constant exponent.
    pub fn powf(&self, c: f64) -> Jet {
        let x = self.value;
        self.chain(
            x.powf(c),
            c * x.powf(c - 1.0),
            c * (c - 1.0) * x.powf(c - 2.0),
        )
    }

    /// `self ^ other`, both possibly depending on the parameters.
    pub fn pow(&self, other: &Jet) -> Jet {
        if other.is_constant() {
            return self.powf(other.value);
        }
        self.ln().mul(other).exp()
    }

    /// `|self|`.
    pub fn abs(&self) -> Jet {
        if self.value < 0.0 {
            self.neg()
        } else {
            self.clone()
        }
    }

    /// `1 / (1 + exp(-self))`.
    pub fn sigmoid(&self) -> Jet {
        let s = if self.value >= 0.0 {
            1.0 / (1.0 + (-self.value).exp())
        } else {
            let e = self.value.exp();
            e / (1.0 + e)
        };
        self.chain(s, s * (1.0 - s), s * (1.0 - s) * (1.0 - 2.0 * s))
    }

    /// `ln(self / (1 - self))`.
    pub fn logit(&self) -> Jet {
        let x = self.value;
        let d = x * (1.0 - x);
        self.chain((x / (1.0 - x)).ln(), 1.0 / d, (2.0 * x - 1.0) / (d * d))
    }

    /// `ln Γ(self)`.
    pub fn ln_gamma(&self) -> Jet {
        let x = self.value;
        self.chain(
            statrs::function::gamma::ln_gamma(x),
            statrs::function::gamma::digamma(x),
            trigamma(x),
        )
    }

    /// A function without derivative almost everywhere (floor, round, …): the value only.
    pub fn step(&self, value: f64) -> Jet {
        self.chain(value, 0.0, 0.0)
    }
}

/// ψ′(x), the trigamma function: recurrence up to x ≥ 20, then the asymptotic series.
pub fn trigamma(mut x: f64) -> f64 {
    if !(x > 0.0) {
        return f64::NAN;
    }
    let mut acc = 0.0;
    while x < 20.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    acc + 1.0 / x
        + x2 / 2.0
        + (1.0 / x) * x2 * (1.0 / 6.0 - x2 * (1.0 / 30.0 - x2 * (1.0 / 42.0 - x2 / 30.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f(a, b) = exp(a·b) / (1 + a²) + ln(b): derivatives against the hand-derived ones.
    #[test]
    fn gradient_and_hessian_match_the_hand_derivation() {
        let (a0, b0) = (0.3, 1.7);
        let a = Jet::variable(a0, 0, 2, true);
        let b = Jet::variable(b0, 1, 2, true);
        let one = Jet::constant(1.0, 2, true);
        let f = a.mul(&b).exp().div(&one.add(&a.mul(&a))).add(&b.ln());
        let e = (a0 * b0).exp();
        let d = 1.0 + a0 * a0;
        let value = e / d + b0.ln();
        let fa = b0 * e / d - 2.0 * a0 * e / (d * d);
        let fb = a0 * e / d + 1.0 / b0;
        let fbb = a0 * a0 * e / d - 1.0 / (b0 * b0);
        // ∂/∂b of fa = (e + a b e)/d − 2 a² e / d²
        let fab = (e + a0 * b0 * e) / d - 2.0 * a0 * a0 * e / (d * d);
        // ∂/∂a of fa: b² e/d − 2ab e/d² − (2e + 2ab e)/d² + 8a² e/d³
        let faa =
            b0 * b0 * e / d - 2.0 * a0 * b0 * e / (d * d) - (2.0 * e + 2.0 * a0 * b0 * e) / (d * d)
                + 8.0 * a0 * a0 * e / (d * d * d);
        let close = |x: f64, y: f64| (x - y).abs() < 1e-12 * (1.0 + y.abs());
        assert!(close(f.value, value));
        assert!(close(f.grad[0], fa) && close(f.grad[1], fb), "{:?}", f.grad);
        assert!(close(f.hess[0], faa), "{} {faa}", f.hess[0]);
        assert!(close(f.hess[1], fab) && close(f.hess[2], fab));
        assert!(close(f.hess[3], fbb));
    }

    #[test]
    fn trigamma_matches_known_values() {
        // ψ′(1) = π²/6, ψ′(1/2) = π²/2.
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-12);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-12);
    }
}
