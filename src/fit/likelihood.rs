//! A mechanism's log-likelihood as a function of its `?` parameters, on [`Jet`]s: the
//! mechanism's expressions evaluated with each parameter a jet variable, then the log mass or
//! density of the selected distribution at the observed value.

use super::dual::Jet;
use crate::scm::dist::{DistKind, Leaf, category_index};
use crate::scm::{BinOp, DistTree, Ex, Func, UnOp, expr};

/// How one evaluation sees the parameters: `theta[local[id]]` is parameter `id` as a jet.
pub struct Point<'a> {
    /// The parameters of the fit, as jets.
    pub theta: &'a [Jet],
    /// Global parameter id → index into `theta` (`usize::MAX` for one not in this fit).
    pub local: &'a [usize],
    /// How many derivatives the jets carry.
    pub n: usize,
    /// Whether jets carry Hessians.
    pub second: bool,
}

impl Point<'_> {
    fn constant(&self, value: f64) -> Jet {
        Jet::constant(value, self.n, self.second)
    }

    /// The expression at `row` (values by variable, NaN where missing).
    pub fn eval(&self, ex: &Ex, row: &[f64]) -> Jet {
        match ex {
            Ex::Param(p) => match self.local.get(*p).and_then(|i| self.theta.get(*i)) {
                Some(jet) => jet.clone(),
                None => self.constant(f64::NAN),
            },
            Ex::Const(_) | Ex::Var(_) | Ex::Slot(_) | Ex::Counterfactual(..) => {
                self.constant(ex.eval(row, 0))
            }
            Ex::Unary(UnOp::Neg, a) => self.eval(a, row).neg(),
            Ex::Unary(UnOp::Not, a) => self.constant(f64::from(self.eval(a, row).value == 0.0)),
            Ex::Binary(op, a, b) => {
                let (a, b) = (self.eval(a, row), self.eval(b, row));
                let (x, y) = (a.value, b.value);
                match op {
                    BinOp::Add => a.add(&b),
                    BinOp::Sub => a.sub(&b),
                    BinOp::Mul => a.mul(&b),
                    BinOp::Div => a.div(&b),
                    BinOp::Pow => a.pow(&b),
                    BinOp::Rem => a.step(x % y),
                    // Logic and comparisons: a flag, constant in the parameters.
                    BinOp::And
                    | BinOp::Or
                    | BinOp::Xor
                    | BinOp::Eq
                    | BinOp::Ne
                    | BinOp::Lt
                    | BinOp::Le
                    | BinOp::Gt
                    | BinOp::Ge => self.constant(expr::binary(*op, x, y)),
                }
            }
            Ex::If(parts) => {
                if self.eval(&parts.0, row).value != 0.0 {
                    self.eval(&parts.1, row)
                } else {
                    self.eval(&parts.2, row)
                }
            }
            Ex::Match(m) => {
                let keys: Vec<f64> = m
                    .scrutinees
                    .iter()
                    .map(|s| self.eval(s, row).value)
                    .collect();
                let arm = m.arms.iter().find(|(patterns, _)| {
                    patterns
                        .iter()
                        .zip(&keys)
                        .all(|(p, k)| p.is_none_or(|p| p == *k))
                });
                match arm {
                    Some((_, body)) => self.eval(body, row),
                    None => self.constant(f64::NAN),
                }
            }
            Ex::Call(func, args) => {
                let jets: Vec<Jet> = args.iter().map(|a| self.eval(a, row)).collect();
                let Some(x) = jets.first() else {
                    return self.constant(f64::NAN);
                };
                let v = x.value;
                match func {
                    Func::Abs => x.abs(),
                    Func::Exp => x.exp(),
                    Func::Log => x.ln(),
                    Func::Sqrt => x.sqrt(),
                    Func::Pow => jets.get(1).map_or(self.constant(f64::NAN), |y| x.pow(y)),
                    Func::Min | Func::Max => match jets.get(1) {
                        Some(y) if v.is_nan() || y.value.is_nan() => self.constant(f64::NAN),
                        Some(y) => {
                            let first = if *func == Func::Min {
                                v <= y.value
                            } else {
                                v >= y.value
                            };
                            if first { x.clone() } else { y.clone() }
                        }
                        None => self.constant(f64::NAN),
                    },
                    Func::Sigmoid => x.sigmoid(),
                    Func::Logit => x.logit(),
                    Func::Floor => x.step(v.floor()),
                    Func::Ceil => x.step(v.ceil()),
                    Func::Round => x.step(v.round()),
                    Func::Clamp => match (jets.get(1), jets.get(2)) {
                        (Some(lo), Some(hi)) if lo.value <= hi.value => {
                            if v < lo.value {
                                lo.clone()
                            } else if v > hi.value {
                                hi.clone()
                            } else {
                                x.clone()
                            }
                        }
                        _ => self.constant(f64::NAN),
                    },
                }
            }
        }
    }

    /// The leaf of `tree` this row selects (conditions read data, not parameters).
    pub fn select<'t>(&self, tree: &'t DistTree, row: &[f64]) -> Option<&'t Leaf> {
        let mut node = tree;
        loop {
            match node {
                DistTree::Leaf(leaf) => return Some(leaf),
                DistTree::If(parts) => {
                    node = if self.eval(&parts.0, row).value != 0.0 {
                        &parts.1
                    } else {
                        &parts.2
                    };
                }
                DistTree::Match(m) => {
                    let keys: Vec<f64> = m
                        .scrutinees
                        .iter()
                        .map(|s| self.eval(s, row).value)
                        .collect();
                    node = &m
                        .arms
                        .iter()
                        .find(|(patterns, _)| {
                            patterns
                                .iter()
                                .zip(&keys)
                                .all(|(p, k)| p.is_none_or(|p| p == *k))
                        })?
                        .1;
                }
            }
        }
    }

    /// `log p(x | row)` under the mechanism `tree`; `None` when the family cannot be fitted
    /// by likelihood (its support depends on the parameters).
    pub fn log_likelihood(&self, tree: &DistTree, row: &[f64], x: f64) -> Option<Jet> {
        let leaf = self.select(tree, row)?;
        let params: Vec<Jet> = leaf.params.iter().map(|p| self.eval(p, row)).collect();
        log_density(&leaf.kind, &params, x, self.n, self.second)
    }
}

/// `log p(x)` of a family whose parameters are jets. `None` for a family whose support
/// moves with its parameters (Uniform, DiscreteUniform, a Binomial's `n`).
pub fn log_density(kind: &DistKind, p: &[Jet], x: f64, n: usize, second: bool) -> Option<Jet> {
    let c = |v: f64| Jet::constant(v, n, second);
    let minus_inf = || c(f64::NEG_INFINITY);
    let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
    Some(match kind {
        DistKind::Bernoulli => {
            if x != 0.0 {
                p[0].ln()
            } else {
                p[0].ln_1m()
            }
        }
        DistKind::Categorical { labels } => match category_index(labels, p.len(), x) {
            Some(i) => {
                let mut total = p[0].clone();
                for w in &p[1..] {
                    total = total.add(w);
                }
                p[i].ln().sub(&total.ln())
            }
            None => minus_inf(),
        },
        DistKind::Binomial => {
            if !p[0].is_constant() {
                return None;
            }
            let trials = p[0].value;
            if x.fract() != 0.0 || x < 0.0 || x > trials {
                return Some(minus_inf());
            }
            let ln_choose = statrs::function::factorial::ln_binomial(trials as u64, x as u64);
            p[1].ln()
                .scale(x)
                .add(&p[1].ln_1m().scale(trials - x))
                .add_const(ln_choose)
        }
        DistKind::Poisson => {
            if x.fract() != 0.0 || x < 0.0 {
                return Some(minus_inf());
            }
            let ln_fact = statrs::function::factorial::ln_factorial(x as u64);
            p[0].ln().scale(x).sub(&p[0]).add_const(-ln_fact)
        }
        DistKind::Geometric => {
            if x.fract() != 0.0 || x < 0.0 {
                return Some(minus_inf());
            }
            p[0].ln_1m().scale(x).add(&p[0].ln())
        }
        DistKind::Normal => {
            let z = p[0].neg().add_const(x).div(&p[1]);
            z.mul(&z)
                .scale(-0.5)
                .sub(&p[1].ln())
                .add_const(-half_ln_2pi)
        }
        DistKind::LogNormal => {
            if x <= 0.0 {
                return Some(minus_inf());
            }
            let z = p[0].neg().add_const(x.ln()).div(&p[1]);
            z.mul(&z)
                .scale(-0.5)
                .sub(&p[1].ln())
                .add_const(-half_ln_2pi - x.ln())
        }
        DistKind::Exponential => {
            if x < 0.0 {
                return Some(minus_inf());
            }
            p[0].ln().sub(&p[0].scale(x))
        }
        DistKind::Laplace => {
            let d = p[0].neg().add_const(x).abs();
            d.div(&p[1])
                .neg()
                .sub(&p[1].ln())
                .add_const(-std::f64::consts::LN_2)
        }
        DistKind::Gamma => {
            if x <= 0.0 {
                return Some(minus_inf());
            }
            let (shape, rate) = (&p[0], &p[1]);
            shape
                .mul(&rate.ln())
                .sub(&shape.ln_gamma())
                .add(&shape.add_const(-1.0).scale(x.ln()))
                .sub(&rate.scale(x))
        }
        DistKind::Beta => {
            if !(x > 0.0 && x < 1.0) {
                return Some(minus_inf());
            }
            let (a, b) = (&p[0], &p[1]);
            a.add(b)
                .ln_gamma()
                .sub(&a.ln_gamma())
                .sub(&b.ln_gamma())
                .add(&a.add_const(-1.0).scale(x.ln()))
                .add(&b.add_const(-1.0).scale((-x).ln_1p()))
        }
        DistKind::StudentT => {
            let (df, loc, scale) = (&p[0], &p[1], &p[2]);
            let z = loc.neg().add_const(x).div(scale);
            let half_df1 = df.add_const(1.0).scale(0.5);
            half_df1
                .ln_gamma()
                .sub(&df.scale(0.5).ln_gamma())
                .sub(&df.scale(std::f64::consts::PI).ln().scale(0.5))
                .sub(&scale.ln())
                .sub(&half_df1.mul(&z.mul(&z).div(df).add_const(1.0).ln()))
        }
        DistKind::Uniform | DistKind::DiscreteUniform => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every family's jet log-density equals `DistKind::log_density` at the same point.
    #[test]
    fn jet_log_densities_match_the_model_ones() {
        let cases: Vec<(DistKind, Vec<f64>, f64)> = vec![
            (DistKind::Bernoulli, vec![0.3], 1.0),
            (DistKind::Bernoulli, vec![0.3], 0.0),
            (
                DistKind::Categorical { labels: vec![] },
                vec![1.0, 2.0, 5.0],
                2.0,
            ),
            (DistKind::Binomial, vec![10.0, 0.4], 3.0),
            (DistKind::Poisson, vec![2.5], 4.0),
            (DistKind::Geometric, vec![0.2], 3.0),
            (DistKind::Normal, vec![1.0, 2.0], -0.5),
            (DistKind::LogNormal, vec![0.2, 0.7], 1.9),
            (DistKind::Exponential, vec![1.5], 0.8),
            (DistKind::Laplace, vec![0.5, 1.5], 2.0),
            (DistKind::Gamma, vec![2.5, 1.5], 1.2),
            (DistKind::Beta, vec![2.0, 3.5], 0.3),
            (DistKind::StudentT, vec![4.0, 1.0, 2.0], 0.2),
        ];
        for (kind, params, x) in cases {
            let jets: Vec<Jet> = params.iter().map(|v| Jet::constant(*v, 1, false)).collect();
            let got = log_density(&kind, &jets, x, 1, false).unwrap().value;
            let want = kind.log_density(&params, x);
            assert!((got - want).abs() < 1e-10, "{kind:?}: {got} against {want}");
        }
    }
}
