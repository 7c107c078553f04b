//! Exact answers for linear-Gaussian models by Gaussian algebra (nalgebra), counterfactual
//! worlds included.
//!
//! A plan qualifies when every computation it needs is `Normal(mean, sd)` with a mean affine
//! in its parents and a constant sd, or deterministic and affine (hard interventions,
//! shifts, affine policies, `do(x ~ Normal(..))` included). Then every slot is an affine
//! function `c + aᵀε` of the standard-normal noise vector ε — one coordinate per noise slot,
//! which is exactly the sampler's coupling `x = μ + σ·Φ⁻¹(U)` — and evidence `x = v` is a
//! linear constraint `aᵀε = v − c`. Conditioning ε ~ N(0, I) on `Aε = b` gives mean
//! `Aᵀ(AAᵀ)⁻¹b` and covariance `I − Aᵀ(AAᵀ)⁻¹A`; a target `t = c + aᵀε` then has a normal
//! posterior. Expectations of affine targets, probabilities of one linear inequality and
//! whole distributions of affine quantities are answered; anything else is E010 (and
//! `--method auto` samples instead).
//!
//! **Invariant:** does no I/O; answers carry a standard error of 0.

use crate::ast::Span;
use crate::diagnostics::{Code, Diagnostic};
use crate::query::{Mech, Plan, TargetKind};
use crate::scm::dist::DistKind;
use crate::scm::{BinOp, DistTree, Ex, Model, UnOp};
use nalgebra::{DMatrix, DVector};

/// `constant + Σ coefficients[k]·ε_k`, with ε indexed by noise slot.
#[derive(Clone, Debug)]
struct Affine {
    constant: f64,
    coefficients: Vec<f64>,
}

impl Affine {
    fn constant(c: f64, dim: usize) -> Affine {
        Affine {
            constant: c,
            coefficients: vec![0.0; dim],
        }
    }

    fn is_constant(&self) -> bool {
        self.coefficients.iter().all(|a| *a == 0.0)
    }

    fn scale(mut self, k: f64) -> Affine {
        self.constant *= k;
        self.coefficients.iter_mut().for_each(|a| *a *= k);
        self
    }

    fn add(mut self, other: &Affine, sign: f64) -> Affine {
        self.constant += sign * other.constant;
        for (a, b) in self.coefficients.iter_mut().zip(&other.coefficients) {
            *a += sign * b;
        }
        self
    }
}

/// A target's posterior: normal with this mean and standard deviation.
#[derive(Clone, Copy, Debug)]
pub struct Normal {
    pub mean: f64,
    pub sd: f64,
}

/// What one group's target is, exactly.
#[derive(Clone, Debug)]
pub enum Exact {
    /// An expectation or a probability.
    Value(f64),
    /// The distribution of an affine quantity.
    Distribution(Normal),
}

/// The reason given when a variable that blocks Gaussian algebra is not real: then the finite
/// engine's reason (which names the real variable) is the one to show.
pub const NOT_REAL: &str = "is not real";

fn cannot(span: Span, why: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::E010, span, why.into())
        .with_help("use `--method is` (importance sampling), which answers every query")
}

/// Solves every group of the plan by Gaussian algebra, or says why it cannot.
pub fn solve(plan: &Plan, model: &Model, span: Span) -> Result<Vec<Vec<Exact>>, Diagnostic> {
    (0..plan.groups.len())
        .map(|g| solve_group(plan, model, g, span))
        .collect()
}

fn solve_group(
    plan: &Plan,
    model: &Model,
    group: usize,
    span: Span,
) -> Result<Vec<Exact>, Diagnostic> {
    let n = plan.n_vars;
    let dim = plan.n_slots;
    let not_linear = |var: usize| {
        let v = &model.vars[var];
        let why = if v.ty == crate::scm::Type::Real {
            "is real but not linear-Gaussian (a Normal whose mean is affine in its parents and whose sd is constant, or an affine function of them)"
        } else {
            NOT_REAL
        };
        cannot(
            v.span,
            format!(
                "`--method exact` needs finite domains or a linear-Gaussian model; `{}` {why}",
                v.name
            ),
        )
    };
    let mut slots: Vec<Option<Affine>> = vec![None; n * plan.n_worlds];
    let mut constraints: Vec<(Affine, f64)> = Vec::new();
    for step in &plan.steps {
        for comp in step.comps.iter().filter(|c| c.group == group) {
            let slot = comp.world * n + step.var;
            let base = comp.world * n;
            let value = mechanism(&comp.mech, base, slot, &slots, dim)
                .ok_or_else(|| not_linear(step.var))?;
            if let Some(x) = comp.clamp {
                constraints.push((value.clone(), x));
            }
            for &w in &comp.copies {
                slots[w * n + step.var] = Some(value.clone());
            }
            slots[slot] = Some(value);
        }
    }
    let g = &plan.groups[group];
    if !g.indicators.is_empty() {
        return Err(cannot(
            span,
            "exact Gaussian answers take evidence of the form `x = value` on stochastic variables only",
        ));
    }
    let posterior = condition(&constraints, dim, span)?;
    g.targets
        .iter()
        .map(|t| {
            let normal = |e: &Ex| -> Option<Normal> {
                let a = affine(e, 0, &slots, dim)?;
                Some(posterior.of(&a))
            };
            match t.kind {
                TargetKind::Real => normal(&t.expr)
                    .map(Exact::Distribution)
                    .ok_or_else(|| cannot(span, "the quantity is not affine in the model's variables")),
                TargetKind::Scalar => scalar(&t.expr, &normal)
                    .map(Exact::Value)
                    .ok_or_else(|| cannot(span, "exact Gaussian answers cover expectations of affine quantities and probabilities of one linear inequality")),
                TargetKind::Discrete => Err(cannot(span, "a discrete distribution of a continuous model")),
            }
        })
        .collect()
}

/// An expectation of an affine quantity, or the probability of one linear inequality.
fn scalar(e: &Ex, normal: &impl Fn(&Ex) -> Option<Normal>) -> Option<f64> {
    if let Ex::Binary(op @ (BinOp::Gt | BinOp::Ge | BinOp::Lt | BinOp::Le), a, b) = e {
        let difference = Ex::Binary(BinOp::Sub, a.clone(), b.clone());
        let d = normal(&difference)?;
        if d.sd == 0.0 {
            return None;
        }
        let below = crate::scm::dist::std_normal_cdf(-d.mean / d.sd); // P(a − b < 0)
        return Some(match op {
            BinOp::Gt | BinOp::Ge => 1.0 - below,
            _ => below,
        });
    }
    normal(e).map(|n| n.mean)
}

/// The posterior of ε given the constraints.
struct Posterior {
    mean: DVector<f64>,
    covariance: DMatrix<f64>,
}

impl Posterior {
    fn of(&self, a: &Affine) -> Normal {
        let v = DVector::from_column_slice(&a.coefficients);
        let mean = a.constant + v.dot(&self.mean);
        // Scale before squaring, so a sd of 1e300 does not overflow to an infinite variance.
        let scale = v.amax();
        if scale == 0.0 {
            return Normal { mean, sd: 0.0 };
        }
        let u = &v / scale;
        let variance = (u.transpose() * &self.covariance * &u)[(0, 0)].max(0.0);
        Normal {
            mean,
            sd: scale * variance.sqrt(),
        }
    }
}

fn condition(
    constraints: &[(Affine, f64)],
    dim: usize,
    span: Span,
) -> Result<Posterior, Diagnostic> {
    if constraints.is_empty() {
        return Ok(Posterior {
            mean: DVector::zeros(dim),
            covariance: DMatrix::identity(dim, dim),
        });
    }
    let m = constraints.len();
    let a = DMatrix::from_fn(m, dim, |i, j| constraints[i].0.coefficients[j]);
    let b = DVector::from_fn(m, |i, _| constraints[i].1 - constraints[i].0.constant);
    let gram = &a * a.transpose();
    let Some(cholesky) = gram.cholesky() else {
        return Err(Diagnostic::error(
            Code::E011,
            span,
            "the evidence fixes one combination of the noise twice (degenerate evidence), which has probability zero",
        )
        .with_help("observe each continuous quantity once"));
    };
    let mean = a.transpose() * cholesky.solve(&b);
    let covariance = DMatrix::identity(dim, dim) - a.transpose() * cholesky.solve(&a);
    Ok(Posterior { mean, covariance })
}

/// A mechanism as an affine function of the noise, if it is linear-Gaussian.
fn mechanism(
    mech: &Mech,
    base: usize,
    own: usize,
    slots: &[Option<Affine>],
    dim: usize,
) -> Option<Affine> {
    match mech {
        Mech::Det(e) => affine(e, base, slots, dim),
        Mech::Stoch { tree, slot } => {
            let DistTree::Leaf(leaf) = tree else {
                return None;
            };
            if leaf.kind != DistKind::Normal {
                return None;
            }
            let mean = affine(&leaf.params[0], base, slots, dim)?;
            let sd = affine(&leaf.params[1], base, slots, dim)?;
            if !sd.is_constant() || !(sd.constant > 0.0 && sd.constant.is_finite()) {
                return None;
            }
            let mut out = mean;
            out.coefficients[*slot] += sd.constant;
            Some(out)
        }
        Mech::Shift { natural, shift } => {
            let natural = mechanism(natural, base, own, slots, dim)?;
            let mut with_natural = slots.to_vec();
            with_natural[own] = Some(natural);
            affine(shift, base, &with_natural, dim)
        }
    }
}

/// An expression as an affine function of the noise, if it is affine in the slots.
fn affine(e: &Ex, base: usize, slots: &[Option<Affine>], dim: usize) -> Option<Affine> {
    match e {
        Ex::Const(c) => Some(Affine::constant(*c, dim)),
        Ex::Var(v) => slots.get(base + v)?.clone(),
        Ex::Slot(s) => slots.get(*s)?.clone(),
        Ex::Unary(UnOp::Neg, a) => Some(affine(a, base, slots, dim)?.scale(-1.0)),
        Ex::Binary(op, a, b) => {
            let (a, b) = (affine(a, base, slots, dim)?, affine(b, base, slots, dim)?);
            match op {
                BinOp::Add => Some(a.add(&b, 1.0)),
                BinOp::Sub => Some(a.add(&b, -1.0)),
                BinOp::Mul if a.is_constant() => Some(b.scale(a.constant)),
                BinOp::Mul if b.is_constant() => Some(a.scale(b.constant)),
                BinOp::Div if b.is_constant() && b.constant != 0.0 => {
                    Some(a.scale(1.0 / b.constant))
                }
                _ => None,
            }
        }
        _ => None,
    }
}
