//! Sharded sampling: a statement's sampled work run in several places, merged in order, and
//! the statement finished from the merged sums.
//!
//! A statement (a query, a decision, a bandit) answers by calling the engines, and its sampled
//! work happens in *phases*: each call of [`sampling::run`] (a plan's samples, folded chunk by
//! chunk into blocks of [`sampling::BLOCK`] chunks) and each call of [`runs`] (a bandit's
//! independent runs) is one. A later phase may depend on an earlier one's result (a decision's
//! second run tracks the best action the first found), so a sharded statement is answered by
//! *replaying* it: [`replay`] runs the statement's own code with the results of the phases
//! already merged handed back in order, and at the first phase without a result either
//!
//! - **discovers** it ([`Mode::Discover`]): records what it is — its number of units (blocks or
//!   runs) and, for samples, the histogram edges its pilot run chose — and stops; or
//! - **runs** a range of its units ([`Mode::Run`]), delivers their unmerged results, and stops.
//!
//! A statement that reaches its end needs no (more) sampled phases: its answer is the answer.
//! Folding a phase's blocks in block order (and a bandit's runs in run order) performs the very
//! additions one process makes, so the replayed answer is bit-identical to the unsharded one.
//! Where a real target's weight fell outside the pilot's edges, the phase is run again on wider
//! edges (its second pass), as [`sampling::run`] does in one process.
//!
//! The replay travels in a thread-local, so the engines and the statements need not know about
//! shards; work inside [`whole`] (a bandit's oracle, which every shard computes for itself) is
//! run unsharded. **Invariant:** does no I/O.

use super::estimate::{Accumulators, Histogram};
use crate::diagnostics::Diagnostic;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::ops::Range;

/// Histogram edges per group and target (`None` for targets that are not real).
pub type Edges = Vec<Vec<Option<Histogram>>>;

/// One bandit run: for each policy, its cumulative regret and its count of optimal choices at
/// each checkpoint.
pub type RunRecord = Vec<(Vec<f64>, Vec<u64>)>;

/// A phase's units, unmerged, in order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Units {
    /// A sampled run's block accumulators.
    Blocks(Vec<Accumulators>),
    /// Independent runs' records.
    Runs(Vec<RunRecord>),
}

impl Units {
    /// How many units these are.
    pub fn len(&self) -> usize {
        match self {
            Units::Blocks(b) => b.len(),
            Units::Runs(r) => r.len(),
        }
    }

    /// These units followed by `next`'s, if they are of the same kind.
    pub fn append(&mut self, next: Units) -> bool {
        match (self, next) {
            (Units::Blocks(a), Units::Blocks(b)) => a.extend(b),
            (Units::Runs(a), Units::Runs(b)) => a.extend(b),
            _ => return false,
        }
        true
    }
}

/// A merged phase: what the call that made the phase returns to the statement.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Merged {
    /// A sampled run's total.
    Sampled(Accumulators),
    /// Every run's record, in run order.
    Runs(Vec<RunRecord>),
}

/// What kind of phase the statement needs next.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum PhaseKind {
    /// A sampled run on these edges; `pass` 1 is the second pass on wider edges.
    Sampled { edges: Edges, pass: u32 },
    /// Independent runs.
    Runs,
}

/// A phase to run: its kind and its number of units (blocks of samples, or runs).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Phase {
    /// What the phase is.
    pub kind: PhaseKind,
    /// How many units it has.
    pub units: u64,
}

/// What a replay does at the first phase that has no result.
#[derive(Clone, Debug)]
pub enum Mode {
    /// Record the phase and stop.
    Discover,
    /// Run these units of the phase and stop.
    Run { units: Range<u64>, phase: Phase },
}

/// What a replay ended with.
pub enum Replayed<T> {
    /// The statement ran to its end: no phase was missing.
    Finished(T),
    /// It needs this phase next ([`Mode::Discover`]).
    Needs(Phase),
    /// The requested units' results ([`Mode::Run`]).
    Ran(Units),
}

struct Replay {
    merged: Vec<Merged>,
    calls: usize,
    mode: Mode,
    stopped: Option<Stop>,
}

enum Stop {
    Needs(Phase),
    Ran(Units),
}

thread_local! {
    static CURRENT: RefCell<Option<Replay>> = const { RefCell::new(None) };
}

/// The message of the error that stops a replayed statement at its missing phase (never
/// shown: [`replay`] reports the phase instead).
const STOPPED: &str = "stopped at a sharded phase";

/// Runs `statement` with the `merged` phases' results handed back in order, doing `mode` at the
/// first phase without one (see the module's documentation).
pub fn replay<T>(merged: Vec<Merged>, mode: Mode, statement: impl FnOnce() -> T) -> Replayed<T> {
    let replay = Replay {
        merged,
        calls: 0,
        mode,
        stopped: None,
    };
    let previous = CURRENT.with(|c| c.replace(Some(replay)));
    let out = statement();
    let replay = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), previous));
    match replay.and_then(|r| r.stopped) {
        Some(Stop::Needs(phase)) => Replayed::Needs(phase),
        Some(Stop::Ran(units)) => Replayed::Ran(units),
        None => Replayed::Finished(out),
    }
}

/// Runs `f` unsharded: every shard computes its result for itself (deterministic work every
/// shard needs whole, such as a bandit's oracle).
pub fn whole<T>(f: impl FnOnce() -> T) -> T {
    let previous = CURRENT.with(|c| c.borrow_mut().take());
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = previous);
    out
}

/// What the phase a call makes is to do.
pub enum Step {
    /// No replay: run it whole.
    Whole,
    /// Its merged result.
    Merged(Merged),
    /// Discover it: report it with [`needs`], then return [`stop`]'s error.
    Discover,
    /// Run these units of it, hand them to [`ran`], then return [`stop`]'s error.
    Run { units: Range<u64>, phase: Phase },
    /// The replay stopped already: return [`stop`]'s error.
    Stopped,
}

/// The step for the next phase of the replay on this thread (if any).
pub fn step() -> Step {
    CURRENT.with(|c| {
        let mut c = c.borrow_mut();
        let Some(replay) = c.as_mut() else {
            return Step::Whole;
        };
        if replay.stopped.is_some() {
            return Step::Stopped;
        }
        let call = replay.calls;
        replay.calls += 1;
        if let Some(merged) = replay.merged.get(call) {
            return Step::Merged(merged.clone());
        }
        match &replay.mode {
            Mode::Discover => Step::Discover,
            Mode::Run { units, phase } => Step::Run {
                units: units.clone(),
                phase: phase.clone(),
            },
        }
    })
}

/// Records the phase a [`Step::Discover`] found.
pub fn needs(phase: Phase) {
    stop_with(Stop::Needs(phase));
}

/// Hands the units a [`Step::Run`] ran to the replay.
pub fn ran(units: Units) {
    stop_with(Stop::Ran(units));
}

fn stop_with(stop: Stop) {
    CURRENT.with(|c| {
        if let Some(replay) = c.borrow_mut().as_mut() {
            replay.stopped = Some(stop);
        }
    });
}

/// The error a call returns once its replay stopped (the statement unwinds with it; the
/// replay reports what it stopped for).
pub fn stop() -> Diagnostic {
    Diagnostic::plain(STOPPED.to_string())
}

/// A phase's merged result of the wrong kind: the sharding was made by another version.
pub fn mismatched() -> Diagnostic {
    Diagnostic::plain(
        "a sharded phase's result does not fit the call that made it: shard and finish with the same version of whatif"
            .to_string(),
    )
}

/// `count` independent runs, `run(i)` for run `i` (seeded by `i` alone), in run order, in
/// parallel: one phase of a sharded statement.
pub fn runs(
    count: u64,
    run: impl Fn(u64) -> Result<RunRecord, Diagnostic> + Sync,
) -> Result<Vec<RunRecord>, Diagnostic> {
    use rayon::prelude::*;
    let all = |range: Range<u64>| -> Result<Vec<RunRecord>, Diagnostic> {
        range.into_par_iter().map(&run).collect()
    };
    match step() {
        Step::Whole => all(0..count),
        Step::Merged(Merged::Runs(records)) => Ok(records),
        Step::Merged(Merged::Sampled(_)) => Err(mismatched()),
        Step::Discover => {
            needs(Phase {
                kind: PhaseKind::Runs,
                units: count,
            });
            Err(stop())
        }
        Step::Run { units, phase } => {
            if !matches!(phase.kind, PhaseKind::Runs) || units.end > count {
                return Err(mismatched());
            }
            ran(Units::Runs(all(units)?));
            Err(stop())
        }
        Step::Stopped => Err(stop()),
    }
}
