//! Compiled samplers: the hot loop of likelihood weighting without interpretation.
//!
//! Most queries have one world and one group. For those, the plan is compiled once more,
//! into one of two specialised forms, and sampled with no expression walking, no parameter
//! validation and no allocation per sample:
//!
//! - **tables**, where every needed variable has a finite domain (the sprinkler, ALARM, any
//!   imported network): each variable is a row of cumulative probabilities per parent
//!   configuration, values are small integers, a draw is one uniform and a short scan, a clamp
//!   is one table lookup of its log-probability, and evidence and targets are lookups too;
//! - **linear**, where every needed variable is `Normal` with a mean affine in its parents and
//!   a constant sd, or an affine function (the Gaussian chain): each draw is a dot product and
//!   one standard normal, a clamp one log-density.
//!
//! Anything else — several worlds, mixtures of continuous laws, non-linear means — takes the
//! general interpreter in `sampling`. Both forms keep `sampling`'s contract: the same seeded
//! chunks, the same accumulators, identical output at any thread count.
//!
//! **Invariant:** the compiled form answers exactly the plan it was built from; only speed
//! differs from the interpreter (and which random numbers are drawn).

mod linear;
mod tables;

pub use linear::LinearSampler;
pub use tables::TableSampler;

use super::engine::Reason;
use crate::ast::Span;
use crate::diagnostics::{Code, Diagnostic};
use crate::query::Plan;
use crate::scm::Model;
use rand::rngs::SmallRng;

/// A plan compiled for speed.
pub enum Compiled {
    Tables(TableSampler),
    Linear(LinearSampler),
}

impl Compiled {
    /// The linear-Gaussian form of a one-group plan, if every computation it needs is one.
    pub fn linear(plan: &Plan) -> Option<Compiled> {
        if plan.groups.len() != 1 {
            return None;
        }
        LinearSampler::new(plan).map(Compiled::Linear)
    }

    /// The conditional-table form of a one-group plan, or why it has none: a variable
    /// without a finite domain, or tables too big to build (sizes by checked arithmetic,
    /// [`crate::config::table_size`]; then the interpreter samples instead).
    pub fn tables(plan: &Plan, model: &Model) -> Result<Compiled, Reason> {
        if plan.groups.len() != 1 {
            return Err(Reason::Shape("the compiled samplers take one group"));
        }
        TableSampler::build(plan, model).map(Compiled::Tables)
    }

    /// Draws `n` samples, passing each one's log weight and target values to `sink`.
    pub fn run(
        &self,
        rng: &mut SmallRng,
        n: u64,
        sink: &mut impl FnMut(&[f64], &[Vec<f64>], u64),
    ) -> Result<(), Diagnostic> {
        match self {
            Compiled::Tables(t) => t.run(rng, n, sink),
            Compiled::Linear(l) => l.run(rng, n, sink),
        }
    }
}

/// Samples processed together, column by column.
pub(super) const BATCH: usize = 256;

/// Passes one sample to `sink`: its log weight (minus infinity when evidence fails) and its
/// target values, which must be finite.
#[inline]
pub(super) fn pass(
    lw: f64,
    possible: bool,
    targets: impl Iterator<Item = f64>,
    values: &mut [Vec<f64>],
    sink: &mut impl FnMut(&[f64], &[Vec<f64>], u64),
) -> Result<(), Diagnostic> {
    if !possible || lw == f64::NEG_INFINITY {
        sink(&[f64::NEG_INFINITY], values, 1);
        return Ok(());
    }
    for (slot, v) in values[0].iter_mut().zip(targets) {
        if !v.is_finite() {
            return Err(not_finite(v));
        }
        *slot = v;
    }
    sink(&[lw], values, 1);
    Ok(())
}

/// E006 for a target value that is not finite in some sample.
pub(super) fn not_finite(v: f64) -> Diagnostic {
    Diagnostic::error(
        Code::E006,
        Span::default(),
        format!("the quantity asked for is {v} in some samples"),
    )
    .with_help("check divisions by zero and logarithms of non-positive values in the query")
}
