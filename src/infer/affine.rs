//! Affine forms, `constant + Σ coefficient·node`, and the linear-Gaussian reading of
//! expressions and mechanisms, shared by the engines that work with them: Gaussian algebra
//! (`gaussian.rs`, nodes are its quantities) and the linear sampler (`compiled/linear.rs`,
//! nodes are slots).
//!
//! A form keeps its terms in the order they were first met, each node once (adding merges
//! coefficients in place), so evaluating it sums in a fixed order; [`Affine::normalised`]
//! sorts by node and drops zero coefficients where an engine wants a canonical form.

use crate::query::Mech;
use crate::scm::dist::DistKind;
use crate::scm::{BinOp, DistTree, Ex, UnOp};

/// `constant + Σ coefficient·node`.
#[derive(Clone, Debug, Default)]
pub(super) struct Affine {
    pub constant: f64,
    /// `(node, coefficient)`, each node at most once (until a caller pushes directly; then
    /// [`Affine::normalised`] merges).
    pub terms: Vec<(usize, f64)>,
}

impl Affine {
    /// A constant.
    pub fn constant(c: f64) -> Affine {
        Affine {
            constant: c,
            terms: Vec::new(),
        }
    }

    /// One node, with coefficient 1.
    pub fn node(node: usize) -> Affine {
        Affine {
            constant: 0.0,
            terms: vec![(node, 1.0)],
        }
    }

    /// Terms sorted by node, repeated nodes merged, zero coefficients dropped.
    pub fn normalised(mut self) -> Affine {
        self.terms.sort_by_key(|t| t.0);
        let mut merged: Vec<(usize, f64)> = Vec::with_capacity(self.terms.len());
        for (node, a) in self.terms {
            match merged.last_mut() {
                Some(last) if last.0 == node => last.1 += a,
                _ => merged.push((node, a)),
            }
        }
        merged.retain(|t| t.1 != 0.0);
        self.terms = merged;
        self
    }

    /// The constant, when every coefficient is zero.
    pub fn as_constant(&self) -> Option<f64> {
        self.terms
            .iter()
            .all(|t| t.1 == 0.0)
            .then_some(self.constant)
    }

    /// The form times `k`.
    pub fn scale(mut self, k: f64) -> Affine {
        self.constant *= k;
        self.terms.iter_mut().for_each(|t| t.1 *= k);
        self
    }

    /// The form plus `sign` times `other`; a node already present has its coefficient added
    /// to, in place.
    pub fn add(mut self, other: Affine, sign: f64) -> Affine {
        self.constant += sign * other.constant;
        for (node, a) in other.terms {
            match self.terms.iter_mut().find(|t| t.0 == node) {
                Some(t) => t.1 += sign * a,
                None => self.terms.push((node, sign * a)),
            }
        }
        self
    }
}

/// An expression as an affine form, if it is affine in the slots. `lookup` gives a slot's
/// form (`Ex::Var(v)` reads slot `base + v`, `Ex::Slot(s)` slot `s`).
pub(super) fn affine(
    e: &Ex,
    lookup: &impl Fn(usize) -> Option<Affine>,
    base: usize,
) -> Option<Affine> {
    match e {
        Ex::Const(c) => Some(Affine::constant(*c)),
        Ex::Var(v) => lookup(base + v),
        Ex::Slot(s) => lookup(*s),
        Ex::Unary(UnOp::Neg, a) => Some(affine(a, lookup, base)?.scale(-1.0)),
        Ex::Binary(op, a, b) => {
            let (a, b) = (affine(a, lookup, base)?, affine(b, lookup, base)?);
            match op {
                BinOp::Add => Some(a.add(b, 1.0)),
                BinOp::Sub => Some(a.add(b, -1.0)),
                BinOp::Mul => match (a.as_constant(), b.as_constant()) {
                    (Some(x), Some(y)) => Some(Affine::constant(x * y)),
                    (Some(k), None) => Some(b.scale(k)),
                    (None, Some(k)) => Some(a.scale(k)),
                    (None, None) => None,
                },
                BinOp::Div => match b.as_constant() {
                    Some(k) if k != 0.0 => Some(a.scale(1.0 / k)),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// A mechanism read as linear-Gaussian: `form + sd·ε` with `ε` the standard-normal noise of
/// `noise` (the mechanism's noise slot), where `read(e, own)` reads an expression as a form
/// (`own`, when given, standing for the variable's natural value inside a shift).
pub(super) struct LinearMechanism {
    /// The mean: affine in what `read` reads.
    pub form: Affine,
    /// `(sd, noise slot)` for a stochastic mechanism (`sd` may be negative or zero after a
    /// shift); `None` for a deterministic one.
    pub noise: Option<(f64, usize)>,
}

/// The mechanism as `form + sd·ε`, if it is `Normal(mean, sd)` with an affine mean and a
/// constant positive sd, deterministic and affine, or an affine shift of either.
pub(super) fn linear_mechanism(
    mech: &Mech,
    read: &impl Fn(&Ex, Option<&Affine>) -> Option<Affine>,
) -> Option<LinearMechanism> {
    // The natural mechanism as `form + sd·ε_slot`.
    let normal = |mech: &Mech| -> Option<(Affine, f64, usize)> {
        let Mech::Stoch { tree, slot } = mech else {
            return None;
        };
        let DistTree::Leaf(leaf) = &**tree else {
            return None;
        };
        if leaf.kind != DistKind::Normal {
            return None;
        }
        let sd = read(&leaf.params[1], None)?.as_constant()?;
        if !(sd > 0.0 && sd.is_finite()) {
            return None;
        }
        Some((read(&leaf.params[0], None)?, sd, *slot))
    };
    match mech {
        Mech::Det(e) => Some(LinearMechanism {
            form: read(e, None)?,
            noise: None,
        }),
        stochastic @ Mech::Stoch { .. } => {
            let (form, sd, slot) = normal(stochastic)?;
            Some(LinearMechanism {
                form,
                noise: Some((sd, slot)),
            })
        }
        Mech::Shift { natural, shift } => match &**natural {
            Mech::Det(e) => {
                let natural = read(e, None)?;
                Some(LinearMechanism {
                    form: read(shift, Some(&natural))?,
                    noise: None,
                })
            }
            stochastic => {
                let (mean, sd, noise) = normal(stochastic)?;
                // The natural value is `mean + sd·ε`: substitute it into the shift through a
                // placeholder node, then expand the placeholder.
                let placeholder = usize::MAX;
                let shifted = read(shift, Some(&Affine::node(placeholder)))?;
                let own = shifted
                    .terms
                    .iter()
                    .find(|t| t.0 == placeholder)
                    .map_or(0.0, |t| t.1);
                let form = Affine {
                    constant: shifted.constant,
                    terms: shifted
                        .terms
                        .into_iter()
                        .filter(|t| t.0 != placeholder)
                        .collect(),
                };
                Some(LinearMechanism {
                    form: form.add(mean.scale(own), 1.0),
                    noise: Some((own * sd, noise)),
                })
            }
        },
    }
}
