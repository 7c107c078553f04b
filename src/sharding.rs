//! Sharding one question over processes or machines: the mergeable core that scale-out (Dask,
//! a batch system) needs. [`Model::shard`] prepares a question; [`Model::partial`] runs a range
//! of its units anywhere and returns a [`Partial`]; [`Partial::merge`] joins adjacent ranges;
//! [`Model::finish`] answers from the merged partial, or hands back the next phase to run.
//!
//! A question's sampled work comes in phases (src/infer/shard.rs): a query has one, a sampled
//! run; a decision one per run it makes (each action's value, then the best action tracked
//! against the others or the policy's value, the evidential ranking); a bandit one, its runs
//! (its oracle every shard computes for itself). A sampled phase's units are blocks of 64
//! chunks of 16,384 samples (1,048,576 samples), chunk `i` seeded from `(seed, statement, i)`
//! alone; a bandit's units are its runs, run `i` seeded from `(seed, statement, i)`. A partial
//! keeps its units' results unmerged, and finishing folds them in order: the very additions
//! one process makes, so **a sharded answer is bit-identical to [`Model::ask`]'s** with the
//! same seed and samples, however the units were split. Finishing a phase replays the
//! question with every merged phase's result: it answers, or returns [`Finish::Again`] with
//! the next phase to run every unit of — the next run a decision makes, or a sampled phase's
//! second pass on wider histogram edges (where a real target's weight fell outside the edges
//! the pilot run chose), which one process makes too. A question with no sampled phase (an
//! exact answer, SMC, `identify`, an estimate from data) is answered by [`Model::shard`].
//!
//! `attribute` does not shard ([`Model::shard`] answers it whole).
//!
//! [`Sharding`] and [`Partial`] travel as bytes ([`Sharding::to_bytes`], [`Partial::to_bytes`]);
//! each partial carries a fingerprint of its sharding, so partials of different questions,
//! seeds, phases or passes do not merge.

use crate::facade::{Error, Model, Options};
use crate::infer::MethodChoice;
use crate::infer::sampling;
use crate::infer::shard::{self, Merged, Mode, Phase, PhaseKind, Replayed, Units};
use crate::program::StatementKind;
use crate::results::Answer;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A question prepared for sharding: what every shard needs besides the model. Made by
/// [`Model::shard`] (or [`Finish::Again`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sharding {
    question: String,
    /// The model's own question it shards, by its place among the model's statements (made by
    /// [`Model::shard_statement`]): seeded by its line in the file, as `run` answers it. `None`
    /// for a question added by [`Model::shard`].
    statement: Option<usize>,
    samples: u64,
    seed: u64,
    method: MethodChoice,
    /// The merged results of the phases before this one, in order.
    merged: Vec<Merged>,
    /// The phase to run; `None` when the question was answered whole.
    phase: Option<Phase>,
    /// The answer's JSON when the question was answered whole.
    answer: Option<String>,
}

/// The results of a range of units of one [`Sharding`]'s phase, unmerged.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Partial {
    fingerprint: u64,
    first: u64,
    units: Units,
}

/// What a sharding's units are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unit {
    /// Blocks of 1,048,576 samples (the last one fewer).
    Blocks,
    /// A bandit's runs.
    Runs,
}

/// What [`Model::finish`] gives.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Finish {
    /// The answer: the same as [`Model::ask`]'s with the same options.
    Answer(Answer),
    /// Run every unit of this sharding's phase (the question's next phase, or a second pass on
    /// wider histogram edges), then finish that.
    Again(Sharding),
}

const SHARDING_MAGIC: &[u8] = b"whatif-sharding-3\0";
const PARTIAL_MAGIC: &[u8] = b"whatif-partial-2\0";

impl Sharding {
    /// The number of units of the phase to run: blocks of samples (each 1,048,576 samples, the
    /// last one fewer) or a bandit's runs; 0 when the question was answered whole.
    pub fn blocks(&self) -> u64 {
        self.phase.as_ref().map_or(0, |p| p.units)
    }

    /// What the phase's units are.
    pub fn unit(&self) -> Unit {
        match self.phase.as_ref().map(|p| &p.kind) {
            Some(PhaseKind::Runs) => Unit::Runs,
            _ => Unit::Blocks,
        }
    }

    /// The question, as given to [`Model::shard`].
    pub fn question(&self) -> &str {
        &self.question
    }

    /// The sharding as bytes, for another process.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = SHARDING_MAGIC.to_vec();
        out.extend(postcard::to_allocvec(self).expect("a sharding serialises"));
        out
    }

    /// A sharding from [`to_bytes`](Sharding::to_bytes)' bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Sharding, Error> {
        bytes
            .strip_prefix(SHARDING_MAGIC)
            .and_then(|b| postcard::from_bytes(b).ok())
            .ok_or_else(|| plain_error("these bytes are not a whatif sharding (of this version)"))
    }

    /// The fingerprint partials of this sharding carry (FNV-1a of its bytes).
    fn fingerprint(&self) -> u64 {
        self.to_bytes().iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}

/// Two shardings are equal when their bytes are.
impl PartialEq for Sharding {
    fn eq(&self, other: &Sharding) -> bool {
        self.to_bytes() == other.to_bytes()
    }
}

impl Partial {
    /// The units (blocks or runs) this partial holds.
    pub fn blocks(&self) -> Range<u64> {
        self.first..self.first + self.units.len() as u64
    }

    /// This partial followed by `next`, whose blocks must start where these end.
    pub fn merge(mut self, next: Partial) -> Result<Partial, Error> {
        if next.fingerprint != self.fingerprint {
            return Err(plain_error(
                "these partials belong to different shardings (question, samples, seed, method, phase or pass)",
            ));
        }
        if next.first != self.blocks().end {
            return Err(plain_error(&format!(
                "partials merge in block order: blocks {:?} cannot follow blocks {:?}",
                next.blocks(),
                self.blocks()
            )));
        }
        if !self.units.append(next.units) {
            return Err(plain_error("these partials hold different kinds of units"));
        }
        Ok(self)
    }

    /// The partial as bytes, for another process.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = PARTIAL_MAGIC.to_vec();
        out.extend(postcard::to_allocvec(self).expect("a partial serialises"));
        out
    }

    /// A partial from [`to_bytes`](Partial::to_bytes)' bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Partial, Error> {
        bytes
            .strip_prefix(PARTIAL_MAGIC)
            .and_then(|b| postcard::from_bytes(b).ok())
            .ok_or_else(|| plain_error("these bytes are not a whatif partial (of this version)"))
    }
}

impl Model {
    /// Prepares `question` for sharding under `options` (samples, seed, method; the file's
    /// `set` values where `options` leave them): replays it up to its first sampled phase
    /// (the engine choice and, for real targets, the pilot run that places the histogram
    /// edges). A question with no sampled phase is answered here.
    pub fn shard(&self, question: &str, options: &Options) -> Result<Sharding, Error> {
        self.shard_target(question, None, options)
    }

    /// [`Model::shard`] for the model's own question `index` (its place among the file's
    /// questions, in order: [`Model::questions`]), seeded by its line as `run` answers it, so
    /// the finished answer is the one `whatif run` prints. `whatif run --shard` uses it.
    pub fn shard_statement(&self, index: usize, options: &Options) -> Result<Sharding, Error> {
        let Some(statement) = self.program().statements.get(index) else {
            return Err(plain_error(&format!(
                "the model has {} questions; there is no question {index}",
                self.program().statements.len()
            )));
        };
        self.shard_target(&statement.text, Some(index), options)
    }

    /// Whether the model's question `index` has sampled work to split: a query, a decision or
    /// a bandit (`identify` and `attribute` are answered whole, as are questions an exact
    /// engine or an estimate from data answers: [`Model::shard`] tells those apart).
    pub fn is_shardable(&self, index: usize) -> bool {
        matches!(
            self.program().statements.get(index).map(|s| &s.kind),
            Some(StatementKind::Query { .. } | StatementKind::Decide(_) | StatementKind::Bandit(_))
        )
    }

    /// [`Model::is_shardable`]'s earlier name.
    #[deprecated(since = "0.2.0", note = "renamed to `is_shardable`")]
    pub fn shards(&self, index: usize) -> bool {
        self.is_shardable(index)
    }

    fn shard_target(
        &self,
        question: &str,
        statement: Option<usize>,
        options: &Options,
    ) -> Result<Sharding, Error> {
        self.on_target(question, statement, |extended, index| {
            let settings = extended.settings(index, options)?;
            let mut sharding = Sharding {
                question: question.to_string(),
                statement,
                samples: settings.samples,
                seed: settings.seed,
                method: settings.method,
                merged: Vec::new(),
                phase: None,
                answer: None,
            };
            let whole = !extended.is_shardable(index);
            match extended.replay(index, options, &sharding, Vec::new(), Mode::Discover, whole)? {
                Replayed::Finished(answer) => sharding.answer = Some(answer_json(&answer)?),
                Replayed::Needs(phase) => sharding.phase = Some(phase),
                Replayed::Ran(_) => unreachable!("discovering runs no units"),
            }
            Ok(sharding)
        })
    }

    /// Runs units `blocks` (blocks of samples, or runs) of a sharded question's phase. Of
    /// `options`, only the threads and the cancel token count: samples, seed and method are
    /// the sharding's.
    pub fn partial(
        &self,
        sharding: &Sharding,
        blocks: Range<u64>,
        options: &Options,
    ) -> Result<Partial, Error> {
        if blocks.start > blocks.end || blocks.end > sharding.blocks() {
            return Err(plain_error(&format!(
                "blocks {blocks:?} are outside the sharding's 0..{}",
                sharding.blocks()
            )));
        }
        let first = blocks.start;
        let units = match &sharding.phase {
            Some(phase) if !blocks.is_empty() => {
                self.on_target(&sharding.question, sharding.statement, |extended, index| {
                    let mode = Mode::Run {
                        units: blocks,
                        phase: phase.clone(),
                    };
                    match extended.replay(
                        index,
                        options,
                        sharding,
                        sharding.merged.clone(),
                        mode,
                        false,
                    )? {
                        Replayed::Ran(units) => Ok(units),
                        _ => Err(plain_error(
                            "this sharding's phase did not come where it was made: shard and run with the same version of whatif",
                        )),
                    }
                })?
            }
            Some(Phase {
                kind: PhaseKind::Runs,
                ..
            }) => Units::Runs(Vec::new()),
            _ => Units::Blocks(Vec::new()),
        };
        Ok(Partial {
            fingerprint: sharding.fingerprint(),
            first,
            units,
        })
    }

    /// Answers a sharded question from the partial of all its phase's units, merged in order,
    /// or gives the next phase to run.
    pub fn finish(&self, sharding: &Sharding, partial: Partial) -> Result<Finish, Error> {
        self.finish_for(sharding, partial, &Options::new())
    }

    /// [`Model::finish`], its messages worded for `options`' audience (`whatif merge` names
    /// the command line's flags, as `run` does).
    pub(crate) fn finish_for(
        &self,
        sharding: &Sharding,
        partial: Partial,
        options: &Options,
    ) -> Result<Finish, Error> {
        if partial.fingerprint != sharding.fingerprint() {
            return Err(plain_error("this partial belongs to another sharding"));
        }
        if partial.blocks() != (0..sharding.blocks()) {
            return Err(plain_error(&format!(
                "finishing needs every block, 0..{}; the partial holds {:?}",
                sharding.blocks(),
                partial.blocks()
            )));
        }
        let Some(phase) = &sharding.phase else {
            let json = sharding.answer.as_deref().unwrap_or_default();
            return serde_json::from_str(json)
                .map(Finish::Answer)
                .map_err(|e| plain_error(&format!("cannot read the answer: {e}")));
        };
        let merged = match (&phase.kind, partial.units) {
            (PhaseKind::Sampled { edges, pass }, Units::Blocks(blocks)) => {
                let Some(total) = sampling::fold_blocks(blocks) else {
                    return Err(plain_error("a sampled phase has at least one block"));
                };
                match sampling::widened(&total, edges) {
                    Some(wider) if *pass == 0 => {
                        return Ok(Finish::Again(Sharding {
                            phase: Some(Phase {
                                kind: PhaseKind::Sampled {
                                    edges: wider,
                                    pass: 1,
                                },
                                units: phase.units,
                            }),
                            ..sharding.clone()
                        }));
                    }
                    _ => Merged::Sampled(total),
                }
            }
            (PhaseKind::Runs, Units::Runs(records)) => Merged::Runs(records),
            _ => return Err(plain_error("this partial's units do not fit its phase")),
        };
        let mut all = sharding.merged.clone();
        all.push(merged);
        self.on_target(&sharding.question, sharding.statement, |extended, index| {
            let replayed =
                extended.replay(index, options, sharding, all.clone(), Mode::Discover, false)?;
            Ok(match replayed {
                Replayed::Finished(answer) => Finish::Answer(answer),
                Replayed::Needs(next) => Finish::Again(Sharding {
                    merged: all,
                    phase: Some(next),
                    ..sharding.clone()
                }),
                Replayed::Ran(_) => unreachable!("discovering runs no units"),
            })
        })
    }

    /// Runs `f` on the model's own statement `statement` (which must read `question`), or on
    /// this model extended with `question`, its errors located in the question.
    fn on_target<T>(
        &self,
        question: &str,
        statement: Option<usize>,
        f: impl FnOnce(&Model, usize) -> Result<T, Error>,
    ) -> Result<T, Error> {
        if let Some(index) = statement {
            return match self.program().statements.get(index) {
                Some(s) if s.text == question => f(self, index),
                _ => Err(plain_error(
                    "this sharding was made for another model: shard and finish with the same model",
                )),
            };
        }
        let extended = self.with_question(question)?;
        let index = extended.program().statements.len() - 1;
        f(&extended, index)
    }

    /// `options` with the sharding's samples, seed and method.
    fn sharded_options(&self, sharding: &Sharding, options: &Options) -> Options {
        options
            .clone()
            .samples(sharding.samples)
            .seed(sharding.seed)
            .method(sharding.method)
    }

    /// Answers statement `index` under the sharding, replaying its phases (`whole`: as one
    /// process would, no replay). A statement's own error ends the replay as that error.
    fn replay(
        &self,
        index: usize,
        options: &Options,
        sharding: &Sharding,
        merged: Vec<Merged>,
        mode: Mode,
        whole: bool,
    ) -> Result<Replayed<Answer>, Error> {
        let options = self.sharded_options(sharding, options);
        let answer = || self.answer_statement(index, &options);
        let replayed = options.install(|| {
            Ok(if whole {
                Replayed::Finished(answer())
            } else {
                shard::replay(merged, mode, answer)
            })
        })?;
        match replayed {
            Replayed::Finished(answer) => answer.map(Replayed::Finished),
            Replayed::Needs(phase) => Ok(Replayed::Needs(phase)),
            Replayed::Ran(units) => Ok(Replayed::Ran(units)),
        }
    }
}

fn answer_json(answer: &Answer) -> Result<String, Error> {
    serde_json::to_string(answer).map_err(|e| plain_error(&format!("cannot write the answer: {e}")))
}

fn plain_error(message: &str) -> Error {
    Error::in_text(
        "<sharding>",
        "",
        vec![crate::diagnostics::Diagnostic::plain(message.to_string())],
    )
}
