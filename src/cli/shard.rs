//! `whatif run MODEL --shard I/N --partial OUT` and `whatif merge PARTIAL...` (LANGUAGE.md
//! section 10): one run's samples split over N processes of any batch system, and the answers
//! the unsharded run prints, put together from their partials.
//!
//! Every query, decision and bandit is prepared the same way in every shard
//! ([`Model::shard_statement`]: the engine choice and, for real targets, the pilot run —
//! deterministic, so each shard repeats it rather than reading it from a first job), and shard
//! `I` runs its share of the units (blocks of 1,048,576 samples, or a bandit's runs, split as
//! evenly as they go: `[B·(I−1)/N, B·I/N)`). One with nothing to sample (an exact answer, an
//! estimate from data) is answered in the preparing; `identify` and `attribute` are answered
//! whole by shard 1; an error by whichever shard meets it first (every shard meets the same
//! one). `merge` checks that the partials are the N
//! shards of one run, loads the model from the text the partials carry, folds each question's
//! units in order and finishes it: the very additions one process makes, so the answers
//! (and `--json`) are bit-identical to `whatif run`'s with the same seed and samples.
//!
//! Shards run each question's first sampled phase (src/sharding.rs): a query's samples, a
//! decision's first run (every action's value), a bandit's runs. What depends on a merged
//! phase — a decision's later runs, a second pass on wider histogram edges where a real
//! target's weights fell outside the pilot's — `merge` runs itself, as one process would.
//!
//! A partial file is the magic line `whatif-run-partial-1`, then a postcard record; it is
//! written whole or not at all.

use super::{Outcome, print_outcomes, to_stderr, write_whole};
use crate::facade::{Error, Model, Options};
use crate::infer::MethodChoice;
use crate::sharding::{Finish, Partial, Sharding, Unit};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"whatif-run-partial-1\n";

/// `--shard I/N`: shard `index` (1-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ShardArg {
    pub(super) index: u64,
    pub(super) count: u64,
}

/// Parses `I/N` with 1 ≤ I ≤ N.
pub(super) fn shard_arg(text: &str) -> Result<ShardArg, String> {
    let usage = || format!("`{text}` is not I/N (shard I of N, 1 <= I <= N, e.g. 2/8)");
    let (i, n) = text.split_once('/').ok_or_else(usage)?;
    let (index, count) = match (i.trim().parse::<u64>(), n.trim().parse::<u64>()) {
        (Ok(i), Ok(n)) => (i, n),
        _ => return Err(usage()),
    };
    if count == 0 || index == 0 || index > count {
        return Err(format!(
            "shard {index}/{count} does not exist: shards are numbered 1/{count} to {count}/{count}",
            count = count.max(1)
        ));
    }
    Ok(ShardArg { index, count })
}

/// What a shard writes: the model it ran (so `merge` needs nothing else), the run's options,
/// and each question's share.
#[derive(Debug, Serialize, Deserialize)]
struct ShardFile {
    /// The model's name (its file, as given to `run`), text, and where its data is read from:
    /// the model file's directory and the `--data` file, made absolute.
    name: String,
    source: String,
    base: Option<PathBuf>,
    data: Option<PathBuf>,
    /// The command line's `--samples`, `--seed` and `--method`.
    samples: Option<u64>,
    seed: Option<u64>,
    method: Option<MethodChoice>,
    shard: u64,
    shards: u64,
    questions: Vec<Share>,
}

/// One question's part of a shard.
#[derive(Debug, Serialize, Deserialize)]
enum Share {
    /// A sampled query: its sharding (the same bytes in every shard) and this shard's blocks.
    Sampled { sharding: Vec<u8>, partial: Vec<u8> },
    /// Answered whole here (shard 1): the answer as JSON.
    Answered(String),
    /// Failed here: the error as `run` prints it, text, JSON object and stderr.
    Failed {
        text: String,
        json: String,
        stderr: String,
    },
    /// Answered or failed in shard 1.
    InFirstShard,
}

/// What `run` was given besides the model, for a shard.
pub(super) struct ShardRun<'a> {
    pub(super) file: &'a Path,
    pub(super) data: Option<&'a Path>,
    pub(super) samples: Option<u64>,
    pub(super) seed: Option<u64>,
    pub(super) method: Option<MethodChoice>,
    pub(super) shard: ShardArg,
    pub(super) out: &'a Path,
}

/// `run --shard I/N --partial OUT`: runs this shard's share of every question and writes it.
pub(super) fn run_shard(model: &Model, options: &Options, run: &ShardRun<'_>) -> i32 {
    let ShardArg { index, count } = run.shard;
    let mut questions = Vec::new();
    let (mut blocks_run, mut runs_run) = (0, 0);
    for statement in 0..model.program().statements.len() {
        let share = if model.is_shardable(statement) {
            match model.shard_statement(statement, options) {
                Ok(sharding) => {
                    let blocks = sharding.blocks();
                    let mine = blocks * (index - 1) / count..blocks * index / count;
                    match sharding.unit() {
                        Unit::Runs => runs_run += mine.end - mine.start,
                        _ => blocks_run += mine.end - mine.start,
                    }
                    match model.partial(&sharding, mine, options) {
                        Ok(partial) => Share::Sampled {
                            sharding: sharding.to_bytes(),
                            partial: partial.to_bytes(),
                        },
                        Err(error) => failed(model, statement, error),
                    }
                }
                Err(error) => failed(model, statement, error),
            }
        } else if index == 1 {
            match model.answer_statement(statement, options) {
                Ok(answer) => match serde_json::to_string(&answer) {
                    Ok(json) => Share::Answered(json),
                    Err(e) => {
                        to_stderr(&format!("whatif: cannot write an answer: {e}\n"));
                        return super::EXIT_INTERNAL;
                    }
                },
                Err(error) => failed(model, statement, error),
            }
        } else {
            Share::InFirstShard
        };
        if let Share::Failed { stderr, .. } = &share {
            to_stderr(stderr);
        }
        questions.push(share);
    }
    let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let file = ShardFile {
        name: model.name().to_string(),
        source: model.source().to_string(),
        base: run
            .file
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .map(absolute),
        data: run.data.map(absolute),
        samples: run.samples,
        seed: run.seed,
        method: run.method,
        shard: index,
        shards: count,
        questions,
    };
    let mut bytes = MAGIC.to_vec();
    match postcard::to_allocvec(&file) {
        Ok(record) => bytes.extend(record),
        Err(e) => {
            to_stderr(&format!("whatif: cannot write the partial: {e}\n"));
            return super::EXIT_INTERNAL;
        }
    }
    if let Err(e) = write_whole(run.out, &bytes) {
        to_stderr(&format!(
            "whatif: cannot write {}: {e} (nothing written)\n",
            run.out.display()
        ));
        return super::EXIT_WRITE;
    }
    let failed = file
        .questions
        .iter()
        .any(|q| matches!(q, Share::Failed { .. }));
    let summary = format!(
        "shard {index}/{count} of {}: {} questions, {blocks_run} blocks of samples, {runs_run} bandit runs; wrote {}\n",
        model.name(),
        file.questions.len(),
        run.out.display()
    );
    match super::write_stdout(&summary) {
        Ok(()) if failed => 1,
        written => super::exit_code(written),
    }
}

/// A question's error, as `run` would print it.
fn failed(model: &Model, statement: usize, error: Error) -> Share {
    let outcome = Outcome::of(model, statement, Err(error), None);
    Share::Failed {
        text: outcome.text,
        json: outcome.json.to_string(),
        stderr: outcome.stderr,
    }
}

/// `merge PARTIAL...`: the answers of the run the partials are the shards of.
pub(super) fn merge(paths: &[PathBuf], json: bool, plot: Option<&Path>, options: &Options) -> i32 {
    let mut files = Vec::new();
    for path in paths {
        match read(path) {
            Ok(file) => files.push((path, file)),
            Err(message) => {
                to_stderr(&format!("whatif: {}: {message}\n", path.display()));
                return 2;
            }
        }
    }
    if let Err(message) = complete(&files) {
        to_stderr(&format!("whatif: {message}\n"));
        return 2;
    }
    files.sort_by_key(|(_, f)| f.shard);
    let first = &files[0].1;
    let model = match Model::load(
        &first.name,
        &first.source,
        &crate::Config::default(),
        first.base.as_deref(),
        first.data.as_deref(),
    ) {
        Ok(model) => model,
        Err(error) => {
            to_stderr(&error.to_string());
            return 1;
        }
    };
    if model.program().statements.len() != first.questions.len() {
        to_stderr(
            "whatif: the partials' model does not have the questions they answer: merge with the same version of whatif that ran them\n",
        );
        return 2;
    }
    let mut options = options.clone().for_command_line();
    if let Some(n) = first.samples {
        options = options.samples(n);
    }
    if let Some(s) = first.seed {
        options = options.seed(s);
    }
    if let Some(m) = first.method {
        options = options.method(m);
    }
    let mut outcomes = Vec::new();
    for statement in 0..first.questions.len() {
        let shares: Vec<&Share> = files.iter().map(|(_, f)| &f.questions[statement]).collect();
        let outcome = match finish(&model, statement, &shares, &options) {
            Ok(outcome) => outcome,
            Err(message) => {
                to_stderr(&format!("whatif: {message}\n"));
                return 2;
            }
        };
        to_stderr(&outcome.stderr);
        outcomes.push(outcome);
    }
    print_outcomes(&model, &options, outcomes, json, plot)
}

/// Reads a partial file.
fn read(path: &Path) -> Result<ShardFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    bytes
        .strip_prefix(MAGIC)
        .and_then(|record| postcard::from_bytes(record).ok())
        .ok_or_else(|| "not a partial written by this version of `whatif run --shard`".to_string())
}

/// Whether the files are the N shards of one run, each once.
fn complete(files: &[(&PathBuf, ShardFile)]) -> Result<(), String> {
    let (first_path, first) = &files[0];
    for (path, file) in &files[1..] {
        let same_run = file.name == first.name
            && file.source == first.source
            && file.base == first.base
            && file.data == first.data
            && file.samples == first.samples
            && file.seed == first.seed
            && file.method == first.method
            && file.shards == first.shards;
        if !same_run {
            return Err(format!(
                "{} and {} are partials of different runs (model, data, --samples, --seed, --method or the number of shards differ)",
                first_path.display(),
                path.display()
            ));
        }
    }
    let mut seen = vec![None; first.shards as usize];
    for (path, file) in files {
        let slot = &mut seen[(file.shard - 1) as usize];
        if let Some(earlier) = slot {
            return Err(format!(
                "{} and {} are both shard {}/{}",
                earlier,
                path.display(),
                file.shard,
                file.shards
            ));
        }
        *slot = Some(path.display().to_string());
    }
    let missing: Vec<String> = (1..=first.shards)
        .filter(|i| seen[(*i - 1) as usize].is_none())
        .map(|i| format!("{i}/{}", first.shards))
        .collect();
    if !missing.is_empty() {
        let (noun, verb) = if missing.len() == 1 {
            ("shard", "is")
        } else {
            ("shards", "are")
        };
        return Err(format!(
            "{noun} {} {verb} missing: merge needs all {} partials of the run",
            missing.join(", "),
            first.shards
        ));
    }
    Ok(())
}

/// Question `statement`'s outcome from its shares, in shard order.
fn finish(
    model: &Model,
    statement: usize,
    shares: &[&Share],
    options: &Options,
) -> Result<Outcome, String> {
    let from_error = |error: Error| Outcome::of(model, statement, Err(error), None);
    let stored = |text: &str, json: &str, stderr: &str| -> Result<Outcome, String> {
        Ok(Outcome {
            answer: None,
            text: text.to_string(),
            json: serde_json::from_str(json).map_err(|e| e.to_string())?,
            stderr: stderr.to_string(),
        })
    };
    // An error met by any shard is the question's (each meets the same one); shard 1's first.
    for share in shares {
        if let Share::Failed { text, json, stderr } = share {
            return stored(text, json, stderr);
        }
    }
    match shares[0] {
        Share::Answered(json) => {
            let answer = serde_json::from_str(json).map_err(|e| e.to_string())?;
            Ok(Outcome::of(model, statement, Ok(answer), None))
        }
        Share::Sampled { sharding, .. } => {
            let sharding = Sharding::from_bytes(sharding).map_err(|e| e.to_string())?;
            let mut merged: Option<Partial> = None;
            for share in shares {
                let Share::Sampled { partial, .. } = share else {
                    return Err("the partials disagree on which questions were sampled".into());
                };
                let partial = Partial::from_bytes(partial).map_err(|e| e.to_string())?;
                merged = Some(match merged {
                    None => partial,
                    Some(m) => m.merge(partial).map_err(|e| e.to_string())?,
                });
            }
            let Some(merged) = merged else {
                return Err("no partial holds this question".into());
            };
            // The question's later phases (a decision's next runs, a second pass on wider
            // histogram edges) depend on the merged ones: merge runs them here.
            let mut finished = model.finish_for(&sharding, merged, options);
            while let Ok(Finish::Again(next)) = finished {
                finished = model
                    .partial(&next, 0..next.blocks(), options)
                    .and_then(|partial| model.finish_for(&next, partial, options));
            }
            Ok(match finished {
                Ok(Finish::Answer(answer)) => Outcome::of(model, statement, Ok(answer), None),
                Ok(_) => return Err("an unknown kind of finish: this is a bug in whatif".into()),
                Err(error) => from_error(error),
            })
        }
        Share::InFirstShard | Share::Failed { .. } => {
            Err("shard 1 does not hold the answer it should".into())
        }
    }
}
