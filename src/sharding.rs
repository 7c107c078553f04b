//! Sharding one question over processes or machines: the mergeable core that scale-out (Dask,
//! a batch system) needs. [`Model::shard`] prepares a question; [`Model::partial`] runs a range
//! of its blocks anywhere and returns a [`Partial`]; [`Partial::merge`] joins adjacent ranges;
//! [`Model::finish`] answers from the merged partial.
//!
//! A sampled answer adds chunk accumulators in chunk order, chunks grouped into blocks of
//! 64 chunks of 16,384 samples (1,048,576 samples); chunk `i` is seeded from `(seed,
//! statement, i)` alone. A partial keeps its blocks' accumulators unmerged, and finishing folds
//! every block in order: the very additions one process makes, so **a sharded answer is
//! bit-identical to [`Model::ask`]'s** with the same seed and samples, however the blocks were
//! split. A question an exact engine answers has no blocks: [`Model::shard`] answers it.
//!
//! Where a real target's weight fell outside the histogram edges the pilot run chose (rare
//! evidence), one process draws the samples again on wider edges; a sharded run does the same:
//! [`Model::finish`] returns [`Finish::Again`] with a new [`Sharding`] to run every block of.
//!
//! Decisions, bandits, `identify` and queries answered from data by an identified estimand do
//! not shard yet: [`Model::shard`] refuses them.
//!
//! [`Sharding`] and [`Partial`] travel as bytes ([`Sharding::to_bytes`], [`Partial::to_bytes`]);
//! each partial carries a fingerprint of its sharding, so partials of different questions,
//! seeds or passes do not merge.

use crate::facade::{Error, Model, Options};
use crate::infer::estimate::Accumulators;
use crate::infer::shard::{self, Edges, Outcome, Request};
use crate::infer::{MethodChoice, sampling};
use crate::program::StatementKind;
use crate::results::Answer;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::sync::Arc;

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
    /// 0 for the first pass, 1 for the pass on widened edges.
    pass: u32,
    blocks: u64,
    edges: Option<Edges>,
    /// The answer's JSON when an exact engine answered (there are no blocks then).
    exact: Option<String>,
}

/// The accumulators of a range of blocks of one [`Sharding`], unmerged.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Partial {
    fingerprint: u64,
    first: u64,
    blocks: Vec<Accumulators>,
}

/// What [`Model::finish`] gives.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Finish {
    /// The answer: the same as [`Model::ask`]'s with the same options.
    Answer(Answer),
    /// Run every block again under this sharding (a second pass on wider histogram edges), then
    /// finish that.
    Again(Sharding),
}

const SHARDING_MAGIC: &[u8] = b"whatif-sharding-2\0";
const PARTIAL_MAGIC: &[u8] = b"whatif-partial-1\0";

impl Sharding {
    /// The number of blocks to run (each is 1,048,576 samples, the last one fewer); 0 when an
    /// exact engine answered.
    pub fn blocks(&self) -> u64 {
        self.blocks
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
    /// The blocks this partial holds.
    pub fn blocks(&self) -> Range<u64> {
        self.first..self.first + self.blocks.len() as u64
    }

    /// This partial followed by `next`, whose blocks must start where these end.
    pub fn merge(mut self, next: Partial) -> Result<Partial, Error> {
        if next.fingerprint != self.fingerprint {
            return Err(plain_error(
                "these partials belong to different shardings (question, samples, seed, method or pass)",
            ));
        }
        if next.first != self.blocks().end {
            return Err(plain_error(&format!(
                "partials merge in block order: blocks {:?} cannot follow blocks {:?}",
                next.blocks(),
                self.blocks()
            )));
        }
        self.blocks.extend(next.blocks);
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
    /// `set` values where `options` leave them). Runs the engine choice and, for a sampled
    /// answer with real targets, the pilot run that places the histogram edges; an exact
    /// engine answers here. Decisions and bandits are refused (they do not shard yet).
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

    /// Whether the model's question `index` shards: a query not answered from data by an
    /// identified estimand (decisions, bandits and `identify` run in one process).
    pub fn shards(&self, index: usize) -> bool {
        match self.program().statements.get(index).map(|s| &s.kind) {
            Some(StatementKind::Query { estimand, .. }) => {
                !crate::identify::estimate::needs_identification(self.program(), estimand)
            }
            _ => false,
        }
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
                pass: 0,
                blocks: sampling::block_count(settings.samples),
                edges: None,
                exact: None,
            };
            match extended.run_blocks(index, options, &sharding, 0..0)? {
                Outcome::Exact(answer) => {
                    sharding.blocks = 0;
                    sharding.exact = Some(serde_json::to_string(&answer).map_err(|e| {
                        plain_error(&format!("cannot write the exact answer: {e}"))
                    })?);
                }
                Outcome::Sampled { edges, .. } => sharding.edges = Some(edges),
            }
            Ok(sharding)
        })
    }

    /// Runs blocks `blocks` of a sharded question. Of `options`, only the threads and the
    /// cancel token count: samples, seed and method are the sharding's.
    pub fn partial(
        &self,
        sharding: &Sharding,
        blocks: Range<u64>,
        options: &Options,
    ) -> Result<Partial, Error> {
        if blocks.start > blocks.end || blocks.end > sharding.blocks {
            return Err(plain_error(&format!(
                "blocks {blocks:?} are outside the sharding's 0..{}",
                sharding.blocks
            )));
        }
        let first = blocks.start;
        let accumulators = if blocks.is_empty() {
            Vec::new()
        } else {
            self.on_target(&sharding.question, sharding.statement, |extended, index| {
                match extended.run_blocks(index, options, sharding, blocks)? {
                    Outcome::Sampled { blocks, .. } => Ok(blocks),
                    Outcome::Exact(_) => Err(plain_error(
                        "this sharding was made for sampling, but an exact engine answered here: shard and run with the same version of whatif",
                    )),
                }
            })?
        };
        Ok(Partial {
            fingerprint: sharding.fingerprint(),
            first,
            blocks: accumulators,
        })
    }

    /// Answers a sharded question from the partial of all its blocks, merged in order.
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
        if partial.blocks() != (0..sharding.blocks) {
            return Err(plain_error(&format!(
                "finishing needs every block, 0..{}; the partial holds {:?}",
                sharding.blocks,
                partial.blocks()
            )));
        }
        if let Some(json) = &sharding.exact {
            return serde_json::from_str(json)
                .map(Finish::Answer)
                .map_err(|e| plain_error(&format!("cannot read the exact answer: {e}")));
        }
        let edges = sharding.edges.clone().unwrap_or_default();
        self.on_target(&sharding.question, sharding.statement, |extended, index| {
            let options = extended.sharded_options(sharding, options);
            let settings = extended.settings(index, &options)?;
            let statement = &extended.program().statements[index];
            let StatementKind::Query { name, estimand } = &statement.kind else {
                return Err(plain_error("only queries shard"));
            };
            let finished = shard::finish_query(
                &extended.program().model,
                statement,
                name.as_deref(),
                estimand,
                settings,
                partial.blocks,
                &edges,
            );
            match finished {
                Ok(Err(wider)) if sharding.pass == 0 => Ok(Finish::Again(Sharding {
                    pass: 1,
                    edges: Some(wider),
                    ..sharding.clone()
                })),
                Ok(Err(_)) => Err(plain_error("a second pass cannot widen its edges again")),
                Ok(Ok(answer)) => extended
                    .conclude(index, &options, Ok(answer))
                    .map(Finish::Answer),
                Err(d) => extended
                    .conclude(index, &options, Err(d))
                    .map(Finish::Answer),
            }
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
        let (extended, at) = self
            .with_question(question)
            .map_err(|(e, at)| e.relocate(at, "<question>", question.trim()))?;
        let index = extended.program().statements.len() - 1;
        f(&extended, index).map_err(|e| e.relocate(at, "<question>", question.trim()))
    }

    /// `options` with the sharding's samples, seed and method.
    fn sharded_options(&self, sharding: &Sharding, options: &Options) -> Options {
        options
            .clone()
            .samples(sharding.samples)
            .seed(sharding.seed)
            .method(sharding.method)
    }

    /// Runs blocks `blocks` of statement `index` (a query) under the sharding.
    fn run_blocks(
        &self,
        index: usize,
        options: &Options,
        sharding: &Sharding,
        blocks: Range<u64>,
    ) -> Result<Outcome, Error> {
        let statement = &self.program().statements[index];
        let StatementKind::Query { name, estimand } = &statement.kind else {
            return Err(plain_error(
                "only queries shard: decisions, bandits and `identify` run in one process (Model::ask)",
            ));
        };
        if !self.shards(index) {
            return Err(plain_error(
                "a query answered from data by its identified estimand does not shard: ask it in one process (Model::ask)",
            ));
        }
        let options = self.sharded_options(sharding, options);
        let settings = self.settings(index, &options)?;
        let request = Request {
            blocks,
            edges: sharding.edges.clone(),
        };
        let cancel = options.cancel_token_ref();
        options.install(|| {
            crate::cancel::with_current(cancel, || {
                shard::run_query(
                    &self.program().model,
                    statement,
                    name.as_deref(),
                    estimand,
                    settings,
                    request,
                )
            })
            .map_err(|d| match self.conclude(index, &options, Err(d)) {
                Err(e) => e,
                Ok(_) => unreachable!("an error concludes as an error"),
            })
        })
    }
}

fn plain_error(message: &str) -> Error {
    Error::new(
        "<sharding>",
        Arc::from(""),
        vec![crate::diagnostics::Diagnostic::plain(message.to_string())],
    )
}
