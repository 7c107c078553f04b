//! Sharded sampling: one query's blocks run in several places, their accumulators merged in
//! block order, the answer finished from the merged sums.
//!
//! A sampled answer is a fold of chunk accumulators in chunk order, grouped into blocks of
//! [`sampling::BLOCK`] chunks (src/infer/sampling.rs). [`run_query`] answers a query for a
//! range of blocks: it returns the exact answer when an exact engine answers (there is nothing
//! to shard), or the range's block accumulators, unmerged, with the histogram edges of its real
//! targets. [`finish_query`] folds every block in order — the same additions a run in one
//! process makes — and answers, or asks for a second pass on wider edges where a real target's
//! weight fell outside them (the pass one process makes on its own).
//!
//! The request travels to `sampling::run` in a thread-local, so the engines and the engine
//! choice need not know about shards. **Invariant:** does no I/O.

use super::estimate::{Accumulators, Histogram};
use super::sampling::{self, Budget};
use super::{Settings, engine};
use crate::diagnostics::Diagnostic;
use crate::program::{Estimand, Statement};
use crate::query;
use crate::results::Answer;
use crate::scm::Model;
use std::cell::RefCell;
use std::ops::Range;

/// Histogram edges per group and target (`None` for targets that are not real).
pub type Edges = Vec<Vec<Option<Histogram>>>;

/// What the running shard asks `sampling::run` for.
#[derive(Clone)]
pub struct Request {
    /// The blocks to run.
    pub blocks: Range<u64>,
    /// The edges of real targets; `None`: the pilot run's.
    pub edges: Option<Edges>,
}

thread_local! {
    static CURRENT: RefCell<Option<(Request, Option<(Vec<Accumulators>, Edges)>)>> =
        const { RefCell::new(None) };
}

/// The running shard's request, if a shard is running on this thread.
pub fn requested() -> Option<Request> {
    CURRENT.with(|c| c.borrow().as_ref().map(|(r, _)| r.clone()))
}

/// Hands the requested blocks' accumulators and the edges they used to the running shard.
pub fn deliver(blocks: Vec<Accumulators>, edges: Edges) {
    CURRENT.with(|c| {
        if let Some((_, out)) = c.borrow_mut().as_mut() {
            *out = Some((blocks, edges));
        }
    });
}

/// A shard's result.
pub enum Outcome {
    /// An exact engine or SMC answered (neither shards): the whole answer.
    Exact(Answer),
    /// A sampler ran the requested blocks: their accumulators in order, and the edges.
    Sampled {
        blocks: Vec<Accumulators>,
        edges: Edges,
    },
}

/// The plan of a query statement, as `answer_query` makes it.
fn plan_of(
    model: &Model,
    statement: &Statement,
    estimand: &Estimand,
) -> Result<query::Plan, Diagnostic> {
    let specs = super::specs_of(model, estimand)?;
    query::plan(model, &specs, statement.span)
}

/// Answers a query for `blocks` only (see the module's documentation).
pub fn run_query(
    model: &Model,
    statement: &Statement,
    name: Option<&str>,
    estimand: &Estimand,
    settings: Settings,
    request: Request,
) -> Result<Outcome, Diagnostic> {
    let plan = plan_of(model, statement, estimand)?;
    let budget = Budget {
        samples: settings.samples,
        seed: settings.seed,
        stream: statement.line as u64,
        cancel: settings.cancel,
    };
    let previous = CURRENT.with(|c| c.replace(Some((request, None))));
    let solved = engine::solve(&plan, model, &settings, budget, statement.span);
    let delivered = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), previous));
    let solved = solved?;
    match (&solved.solution, delivered) {
        (engine::Solution::Sampled(_), Some((_, Some((blocks, edges))))) => {
            Ok(Outcome::Sampled { blocks, edges })
        }
        // An exact engine, or SMC (its replicates run where the query is asked: SMC does not
        // shard), answered the whole query.
        _ => super::answer_solved(model, statement, name, estimand, settings, &plan, &solved)
            .map(Outcome::Exact),
    }
}

/// The answer from every block's accumulators in block order, or `Err` with the edges to run
/// every block again on (see [`sampling::widened`]).
pub fn finish_query(
    model: &Model,
    statement: &Statement,
    name: Option<&str>,
    estimand: &Estimand,
    settings: Settings,
    blocks: Vec<Accumulators>,
    edges: &Edges,
) -> Result<Result<Answer, Edges>, Diagnostic> {
    let plan = plan_of(model, statement, estimand)?;
    let Some(total) = sampling::fold_blocks(blocks) else {
        return Err(super::impossible(
            &plan.groups[0].evidence_text,
            settings.samples,
            statement.span,
        ));
    };
    if let Some(wider) = sampling::widened(&total, edges) {
        return Ok(Err(wider));
    }
    let budget = Budget {
        samples: settings.samples,
        seed: settings.seed,
        stream: statement.line as u64,
        cancel: settings.cancel,
    };
    let reason = engine::kept_likelihood_weighting(&plan, model, &settings, &budget)?;
    let mut answer =
        super::answer_sampled(model, statement, name, estimand, settings, &plan, &total)?;
    answer.details.method_reason = reason;
    Ok(Ok(answer))
}
