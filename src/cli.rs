//! The command line (clap): `run`, `check`, `graph`, `repl`.
//!
//! Exit codes: 0 success, 1 an error in the model or a query, 2 command-line misuse (a file
//! that cannot be read, a bad option), 70 an internal error (a bug: one line asks for a report),
//! 74 output that cannot be written (a full disk). A closed pipe (`whatif graph F | head -1`)
//! ends the command quietly with 0, as Unix filters do. A model that does not check prints
//! nothing on stdout; once it checks, every question answers or reports its own error (exit
//! code 1 then), and stdout gets one whole document at the end.
//!
//! Files are written whole or not at all: into a new temporary file beside the target, then
//! renamed over it. `-o` onto a symbolic link writes through the link to its target (the link
//! stays), as shell redirection does; the output may never be the input.

use crate::diagnostics::{Diagnostic, render};
use crate::facade::{Model, Options};
use crate::infer::MethodChoice;
use crate::program::StatementKind;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

mod shard;

/// Exit code of an internal error (a panic): sysexits' `EX_SOFTWARE`.
pub const EXIT_INTERNAL: i32 = 70;

/// Exit code when the output cannot be written (a full disk): sysexits' `EX_IOERR`.
pub const EXIT_WRITE: i32 = 74;

#[derive(Parser, Debug)]
#[command(
    name = "whatif",
    version,
    about = "A probabilistic programming language for causal reasoning"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How `run` and `merge` print their answers, and the threads they sample on.
#[derive(clap::Args, Debug)]
struct OutputArgs {
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Write SVG pictures of decisions and bandits into this directory.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Answer every query, decision and bandit of a model.
    Run {
        /// The model, a `.scm` file.
        file: PathBuf,
        /// Samples per query (overrides `set samples`); `1e6` is accepted, as in the language.
        #[arg(long, value_parser = whole_number)]
        samples: Option<u64>,
        /// Random seed (overrides `set seed`); the same seed gives the same numbers.
        #[arg(long)]
        seed: Option<u64>,
        /// Inference method (overrides `set method`; default auto).
        #[arg(long, value_enum)]
        method: Option<MethodArg>,
        #[command(flatten)]
        output: OutputArgs,
        /// The data file (CSV with a header), instead of the model's `data "FILE"`.
        #[arg(long, value_name = "FILE")]
        data: Option<PathBuf>,
        /// Refit the `?` parameters on B bootstrap resamples of the data: every answer also
        /// reports its spread across the refits (param_sd, param_interval).
        #[arg(long, value_name = "B")]
        bootstrap: Option<usize>,
        /// Run only shard I of N of the samples (1 <= I <= N) and write its partial to
        /// `--partial`; `whatif merge` puts the N partials together into this run's answers.
        #[arg(long, value_name = "I/N", value_parser = shard::shard_arg, requires = "partial")]
        shard: Option<shard::ShardArg>,
        /// Where `--shard` writes its partial (written whole or not at all).
        #[arg(long, value_name = "OUT", requires = "shard")]
        partial: Option<PathBuf>,
    },
    /// Put the partials of a sharded run (`run --shard I/N --partial OUT`, for I = 1..N)
    /// together: the answers the unsharded run prints, bit for bit.
    Merge {
        /// The partial files, in any order.
        #[arg(required = true)]
        partials: Vec<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Parse, resolve and type-check a model without sampling.
    Check {
        /// The model, a `.scm` file.
        file: PathBuf,
    },
    /// Print the causal graph as Graphviz DOT.
    Graph {
        /// The model, a `.scm` file.
        file: PathBuf,
    },
    /// Convert a Bayesian network in BIF format to a whatif model.
    Import {
        /// The network, a `.bif` file.
        file: PathBuf,
        /// Where to write the model (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Fit a model's `?` parameters to data and write the model with the estimates in.
    Fit {
        /// The model, a `.scm` file.
        file: PathBuf,
        /// The data file (CSV with a header), instead of the model's `data "FILE"`.
        #[arg(long, value_name = "FILE")]
        data: Option<PathBuf>,
        /// Where to write the fitted model (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Interactive session.
    Repl {
        /// A model to load first.
        file: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum MethodArg {
    Auto,
    Is,
    Exact,
    Smc,
}

/// A count written as an integer or as a whole real such as `1e6` (as `set samples = 1e6`).
fn whole_number(text: &str) -> Result<u64, String> {
    if let Ok(n) = text.parse::<u64>() {
        return Ok(n);
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 1.8e19 => Ok(x as u64),
        _ => Err(format!("`{text}` is not a whole number")),
    }
}

/// Runs the command line; returns the process exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match cli.command {
        Command::Check { file } => with_program(&file, None, |model| {
            let program = model.program();
            let m = &program.model;
            let count = |f: fn(&StatementKind) -> bool| {
                program.statements.iter().filter(|s| f(&s.kind)).count()
            };
            let plural = |n: usize, one: &str, many: &str| {
                format!("{n} {}", if n == 1 { one } else { many })
            };
            let summary = format!(
                "ok: {}, {}, {}, {}\n",
                plural(m.vars.len(), "variable", "variables"),
                plural(
                    count(|k| matches!(k, StatementKind::Query { .. })),
                    "query",
                    "queries"
                ),
                plural(
                    count(|k| matches!(k, StatementKind::Decide(_))),
                    "decision",
                    "decisions"
                ),
                plural(
                    count(|k| matches!(k, StatementKind::Bandit(_))),
                    "bandit",
                    "bandits"
                )
            );
            exit_code(write_stdout(&summary))
        }),
        Command::Graph { file } => draw_graph(&file),
        Command::Import { file, output } => import(&file, output.as_deref()),
        Command::Fit { file, data, output } => fit(&file, data.as_deref(), output.as_deref()),
        Command::Repl { file } => crate::repl::frontend::run(file),
        Command::Merge {
            partials,
            output:
                OutputArgs {
                    json,
                    threads,
                    plot,
                },
        } => {
            if let Some(dir) = plot.as_deref()
                && let Err(e) = crate::plot::prepare_dir(dir)
            {
                to_stderr(&format!("whatif: {e}\n"));
                return 2;
            }
            match worker_pool(threads) {
                Ok(pool) => {
                    pool.install(|| shard::merge(&partials, json, plot.as_deref(), &Options::new()))
                }
                Err(code) => code,
            }
        }
        Command::Run {
            file,
            samples,
            seed,
            method,
            output:
                OutputArgs {
                    json,
                    threads,
                    plot,
                },
            data,
            bootstrap,
            shard,
            partial,
        } => {
            let method = method.map(|m| match m {
                MethodArg::Auto => MethodChoice::Auto,
                MethodArg::Is => MethodChoice::Is,
                MethodArg::Exact => MethodChoice::Exact,
                MethodArg::Smc => MethodChoice::Smc,
            });
            if samples == Some(0) {
                to_stderr("whatif: --samples must be at least 1\n");
                return 2;
            }
            let max_refits = crate::Config::default().max_bootstrap;
            match bootstrap {
                Some(0) => {
                    to_stderr("whatif: --bootstrap must be at least 1\n");
                    return 2;
                }
                Some(b) if b > max_refits => {
                    to_stderr(&format!(
                        "whatif: --bootstrap {b} is more than the limit of {max_refits}\n"
                    ));
                    return 2;
                }
                _ => {}
            }
            if shard.is_some() && (bootstrap.is_some() || plot.is_some() || json) {
                to_stderr(
                    "whatif: --shard writes a partial only: give --plot and --json to `whatif merge` instead; --bootstrap is not sharded on the command line (whatif.dask shards its refits: docs/scaling.md)\n",
                );
                return 2;
            }
            let pool = match worker_pool(threads) {
                Ok(pool) => pool,
                Err(code) => return code,
            };
            let mut options = Options::new().for_command_line();
            if let Some(m) = method {
                options = options.method(m);
            }
            if let Some(n) = samples {
                options = options.samples(n);
            }
            if let Some(s) = seed {
                options = options.seed(s);
            }
            if let (Some(shard), Some(out)) = (shard, partial.as_deref()) {
                let run = shard::ShardRun {
                    file: &file,
                    data: data.as_deref(),
                    samples,
                    seed,
                    method,
                    shard,
                    out,
                };
                return pool.install(|| {
                    with_program(&file, data.as_deref(), |model| {
                        shard::run_shard(model, &options, &run)
                    })
                });
            }
            pool.install(|| {
                with_program(&file, data.as_deref(), |model| match bootstrap {
                    None => run_program(model, &options, json, plot.as_deref()),
                    Some(b) => match if progress_wanted(false) {
                        with_progress(Counted::Bytes, || model.bootstrap(b, model.seed(&options)))
                    } else {
                        model.bootstrap(b, model.seed(&options))
                    } {
                        Ok(refitted) => run_program(&refitted, &options, json, plot.as_deref()),
                        Err(e) => {
                            to_stderr(&e.to_string());
                            1
                        }
                    },
                })
            })
        }
    }
}

/// The worker threads `--threads` asks for (all cores when `None`), or the exit code after
/// saying why not.
fn worker_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, i32> {
    let max_threads = crate::Config::default().max_threads;
    match threads {
        Some(0) => {
            to_stderr("whatif: --threads must be at least 1\n");
            return Err(2);
        }
        Some(n) if n > max_threads => {
            to_stderr(&format!(
                "whatif: --threads {n} is more than the limit of {max_threads}\n"
            ));
            return Err(2);
        }
        _ => {}
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| {
            to_stderr(&format!("whatif: cannot start worker threads: {e}\n"));
            2
        })
}

/// `whatif import`: BIF to a checked whatif model, written whole or not at all.
fn import(file: &Path, output: Option<&Path>) -> i32 {
    let name = file.display().to_string();
    if let Some(path) = output
        && same_file(file, path)
    {
        to_stderr(&format!(
            "whatif: the output {} is the input network; choose another `-o` (nothing written)\n",
            path.display()
        ));
        return 2;
    }
    let text = match read_source(file) {
        Ok((_, text)) => text,
        Err(code) => return code,
    };
    let model = match crate::bif::import(&name, &text) {
        Ok(imported) => {
            to_stderr(&render(&name, &text, &imported.warnings));
            imported.text
        }
        Err(d) => {
            to_stderr(&render(&name, &text, &[d]));
            return 1;
        }
    };
    // The model must check before anything is written.
    if let Err(error) = Model::parse_named(&format!("{name} (imported)"), &model) {
        to_stderr(&error.to_string());
        return 1;
    }
    match output {
        None => exit_code(write_stdout(&model)),
        Some(path) => match write_whole(path, model.as_bytes()) {
            Ok(()) => 0,
            Err(e) => {
                to_stderr(&format!("whatif: cannot write {}: {e}\n", path.display()));
                EXIT_WRITE
            }
        },
    }
}

/// `whatif fit`: the model with its estimates written in, to standard output or a file; what
/// was fitted goes to standard error.
fn fit(file: &Path, data: Option<&Path>, output: Option<&Path>) -> i32 {
    if let Some(path) = output
        && same_file(file, path)
    {
        to_stderr(&format!(
            "whatif: the output {} is the input model; choose another `-o` (nothing written)\n",
            path.display()
        ));
        return 2;
    }
    with_program(file, data, |model| {
        let (Some(text), Some(summary)) = (model.fitted_source(), model.fit_summary()) else {
            return match crate::fit::unfitted(&model.program().model) {
                Some(d) => {
                    to_stderr(&model.render(&[d]));
                    1
                }
                None => {
                    to_stderr(&format!(
                        "whatif: {} has no `?` parameters; nothing to fit\n",
                        model.name()
                    ));
                    1
                }
            };
        };
        to_stderr(&crate::report::fit_summary(summary));
        match output {
            None => exit_code(write_stdout(&text)),
            Some(path) => match write_whole(path, text.as_bytes()) {
                Ok(()) => 0,
                Err(e) => {
                    to_stderr(&format!("whatif: cannot write {}: {e}\n", path.display()));
                    EXIT_WRITE
                }
            },
        }
    })
}

/// Whether two paths name the same existing file (through links, `..`, or hard links).
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        x.dev() == y.dev() && x.ino() == y.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (x, y);
        matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(p), Ok(q)) if p == q
        )
    }
}

/// Writes `text` to `path` whole or not at all: into a temporary file of its own beside the
/// target (never one that already exists), then renamed over the target, keeping the target's
/// permissions. A symbolic link is followed: its target is replaced and the link stays.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = follow_links(path)?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let Some(file_name) = target.file_name() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a file name",
        ));
    };
    let (mut file, temporary) = create_temporary(dir, &file_name.to_string_lossy())?;
    let written = (|| {
        file.write_all(bytes)?;
        if let Ok(existing) = std::fs::metadata(&target) {
            file.set_permissions(existing.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&temporary, &target)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// `path` with every symbolic link along its last component followed (a dangling link gives
/// the path it points to).
fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&path)?;
                path = match path.parent() {
                    Some(parent) => parent.join(target),
                    None => target,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// A new, empty file `.NAME.PID-N.partial` in `dir` that did not exist before.
fn create_temporary(dir: &Path, name: &str) -> std::io::Result<(std::fs::File, PathBuf)> {
    let mut attempt = 0;
    loop {
        let path = dir.join(format!(".{name}.{}-{attempt}.partial", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 1000 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Writes `text` to standard output and flushes it. `Err` carries the exit code: 0 when the
/// reader has gone (a closed pipe ends quietly), [`EXIT_WRITE`] after a one-line message when the
/// output cannot be written (a full disk).
pub(crate) fn write_stdout(text: &str) -> Result<(), i32> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| write_failure(&e))
}

/// The exit code for a failed write to standard output, after saying why (unless the reader
/// simply closed the pipe).
pub(crate) fn write_failure(error: &std::io::Error) -> i32 {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        return 0;
    }
    to_stderr(&format!("whatif: cannot write the output: {error}\n"));
    EXIT_WRITE
}

/// 0 after a successful write, else the write's exit code.
fn exit_code(written: Result<(), i32>) -> i32 {
    written.err().unwrap_or(0)
}

/// Writes to standard error; a failure there has nowhere to be reported, so it is ignored
/// (where `eprint!` would panic).
pub fn to_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Installs the panic hook of the binary: a panic (a bug) prints one line asking for a report,
/// not a backtrace (set `RUST_BACKTRACE=1` for the usual report). The exit code stays
/// [`EXIT_INTERNAL`].
pub fn install_panic_hook() {
    let default_hook = std::panic::take_hook();
    let reported = std::sync::atomic::AtomicBool::new(false);
    std::panic::set_hook(Box::new(move |info| {
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            default_hook(info);
            return;
        }
        // Several worker threads may panic at once; one line is enough.
        if reported.swap(true, std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic");
        let message = message.lines().next().unwrap_or_default();
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        to_stderr(&format!(
            "whatif: internal error ({message}{place}); this is a bug in whatif, please report \
             it with the command and the model that caused it\n"
        ));
    }));
}

/// `whatif graph`: the graph needs only the declarations, so it is drawn even when a question
/// does not check; the questions' errors then go to stderr and the exit code is still 0.
fn draw_graph(file: &Path) -> i32 {
    let (name, source) = match read_source(file) {
        Ok(read) => read,
        Err(code) => return code,
    };
    let config = crate::Config::default();
    let error = match Model::load(&name, &source, &config, file.parent(), None) {
        Ok(model) => return exit_code(write_stdout(&model.graph())),
        Err(error) => error,
    };
    let declarations = crate::syntax::parse(&source, &config)
        .ok()
        .and_then(|mut ast| {
            ast.statements.retain(|s| {
                matches!(
                    s.kind,
                    crate::ast::StatementKind::Let { .. }
                        | crate::ast::StatementKind::Variable { .. }
                        | crate::ast::StatementKind::Decision { .. }
                        | crate::ast::StatementKind::Edges(_)
                        | crate::ast::StatementKind::For { .. }
                )
            });
            let sources = crate::diagnostics::Sources::single(crate::diagnostics::Source::new(
                &name,
                source.as_str(),
            ));
            crate::check::check_with_data(&sources, &ast, &config, &Default::default()).ok()
        });
    to_stderr(&error.to_string());
    match declarations {
        Some(program) => {
            to_stderr(&format!(
                "whatif: the declarations check, so the graph is drawn; the questions above do not \
                 (see `whatif check {name}`)\n"
            ));
            exit_code(write_stdout(&crate::dot::graph(&program)))
        }
        None => 1,
    }
}

/// The file's name as diagnostics show it and its text; `Err` is the exit code after a message.
fn read_source(file: &Path) -> Result<(String, String), i32> {
    let name = file.display().to_string();
    match crate::facade::read_source(file, &name, &crate::Config::default()) {
        Ok(Ok(source)) => Ok((name, source)),
        // Too long, or not UTF-8: a diagnostic with its position.
        Ok(Err(error)) => {
            to_stderr(&error.to_string());
            Err(1)
        }
        Err(e) => {
            to_stderr(&format!("whatif: cannot read {name}: {e}\n"));
            Err(2)
        }
    }
}

/// Reads, parses and checks `file`, then calls `f`; reports errors and returns the exit code.
fn with_program(file: &Path, data: Option<&Path>, f: impl FnOnce(&Model) -> i32) -> i32 {
    let (name, source) = match read_source(file) {
        Ok(read) => read,
        Err(code) => return code,
    };
    let config = crate::Config::default();
    // Fitting `?` parameters reads the data file: a large one shows how far it has got.
    let load = || Model::load(&name, &source, &config, file.parent(), data);
    let loaded = if progress_wanted(false) {
        with_progress(Counted::Bytes, load)
    } else {
        load()
    };
    match loaded {
        Ok(model) => f(&model),
        Err(error) => {
            to_stderr(&error.to_string());
            1
        }
    }
}

/// Answers every question, each on its own (LANGUAGE.md section 10): one that fails reports
/// its diagnostic on stderr and takes its answer's place in `--json` as an error object; the
/// questions after it still run, and the exit code is then 1.
fn run_program(model: &Model, options: &Options, json: bool, plot: Option<&Path>) -> i32 {
    // A directory the pictures cannot go into is found before any sampling.
    if let Some(dir) = plot
        && let Err(e) = crate::plot::prepare_dir(dir)
    {
        to_stderr(&format!("whatif: {e}\n"));
        return 2;
    }
    let show_progress = progress_wanted(json);
    let outcomes = (0..model.program().statements.len())
        .map(|index| {
            let started = Instant::now();
            let result = if show_progress {
                with_progress(Counted::Samples, || model.answer_statement(index, options))
            } else {
                model.answer_statement(index, options)
            };
            let outcome = Outcome::of(model, index, result, Some(started.elapsed()));
            to_stderr(&outcome.stderr);
            outcome
        })
        .collect();
    print_outcomes(model, options, outcomes, json, plot)
}

/// One question's answer or error, as `run` prints it.
struct Outcome {
    /// The answer (for the pictures), if there is one.
    answer: Option<crate::results::Answer>,
    /// Its block of the text output.
    text: String,
    /// Its object of the JSON output.
    json: serde_json::Value,
    /// What it says on stderr: the answer's warnings, or the error.
    stderr: String,
}

impl Outcome {
    /// Statement `index`'s result, as printed; `took`, when given, is shown in the text.
    fn of(
        model: &Model,
        index: usize,
        result: Result<crate::results::Answer, crate::facade::Error>,
        took: Option<std::time::Duration>,
    ) -> Outcome {
        let statement = &model.program().statements[index];
        match result {
            Ok(answer) => {
                let warnings: Vec<Diagnostic> = answer
                    .warnings
                    .iter()
                    .map(|w| Diagnostic::warning(statement.span, w.clone()))
                    .collect();
                let stderr = warnings
                    .iter()
                    .map(|d| model.render(std::slice::from_ref(d)))
                    .collect();
                let mut text = crate::report::render(&answer, took.map(|t| t.as_secs_f64()));
                text.push('\n');
                Outcome {
                    json: serde_json::to_value(&answer).unwrap_or_default(),
                    answer: Some(answer),
                    text,
                    stderr,
                }
            }
            Err(error) => {
                let first = error.diagnostics().first();
                let code = first
                    .and_then(|d| d.code)
                    .map_or(String::new(), |c| format!("[{c}]"));
                Outcome {
                    answer: None,
                    text: format!(
                        "{}\n  error{code}: {} (line {})\n\n",
                        statement.text.trim_start_matches("query").trim(),
                        first.map_or("", |d| d.message.as_str()),
                        statement.line
                    ),
                    json: error.json_in_place_of(statement.line, &statement.text),
                    stderr: error.to_string(),
                }
            }
        }
    }
}

/// Prints the outcomes of every question of `model` as `run` does (text or `--json`), after
/// writing the pictures of its decisions and bandits into `plot`; returns the exit code.
fn print_outcomes(
    model: &Model,
    options: &Options,
    outcomes: Vec<Outcome>,
    json: bool,
    plot: Option<&Path>,
) -> i32 {
    let failed = outcomes.iter().any(|o| o.answer.is_none());
    let mut answers = Vec::new();
    let mut results = Vec::new();
    let mut text = String::new();
    for outcome in outcomes {
        text.push_str(&outcome.text);
        results.push(outcome.json);
        answers.extend(outcome.answer);
    }
    if let Some(dir) = plot {
        // Pictures are named after the model, so two models can share a directory.
        let stem = Path::new(model.name())
            .file_stem()
            .map_or("model".into(), |s| s.to_string_lossy());
        match crate::plot::write_plots(dir, &stem, &answers) {
            Ok(files) => {
                for f in files {
                    to_stderr(&format!("wrote {}\n", f.display()));
                }
            }
            Err(e) => {
                to_stderr(&format!("whatif: {e}\n"));
                return EXIT_WRITE;
            }
        }
    }
    let output = if json {
        let mut doc = serde_json::json!({ "results": results });
        if let Some(fit) = model.fit_summary() {
            doc["fit"] = serde_json::to_value(fit).unwrap_or_default();
        }
        format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        )
    } else {
        let fitted = model.fit_summary().map_or(String::new(), |f| {
            format!("{}\n", crate::report::fit_summary(f))
        });
        format!(
            "# {}: seed {}\n\n{fitted}{text}",
            model.name(),
            model.seed(options)
        )
    };
    match write_stdout(&output) {
        Ok(()) if failed => 1,
        written => exit_code(written),
    }
}

/// What a progress bar counts.
#[derive(Clone, Copy)]
enum Counted {
    /// Samples drawn by the running question (`crate::infer::progress`).
    Samples,
    /// Bytes of the data file read by a fit (`crate::data::rows::read_progress`).
    Bytes,
}

/// Whether to draw progress bars: on a terminal, outside CI, and not under `--json`.
fn progress_wanted(json: bool) -> bool {
    !json && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// Runs `f`, drawing a progress bar of what it counts on stderr once it has taken more than a
/// second (`WHATIF_PROGRESS_AFTER_MS` changes the delay; the tests set it to 0).
fn with_progress<T: Send>(counted: Counted, f: impl FnOnce() -> T + Send) -> T {
    crate::infer::reset_progress();
    let delay = std::env::var("WHATIF_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(1000.0)
        / 1000.0;
    let (count, template): (fn() -> (u64, u64), &str) = match counted {
        Counted::Samples => (
            crate::infer::progress,
            "{bar:40} {human_pos}/{human_len} samples  {msg}",
        ),
        Counted::Bytes => (
            crate::data::rows::read_progress,
            "{bar:40} {bytes}/{total_bytes} of data read  {msg}",
        ),
    };
    let finished = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let started = Instant::now();
            let mut bar: Option<indicatif::ProgressBar> = None;
            while !finished.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(50));
                let (done, total) = count();
                if bar.is_none() && started.elapsed().as_secs_f64() > delay && total > 0 {
                    let b = indicatif::ProgressBar::new(total);
                    b.set_style(
                        indicatif::ProgressStyle::with_template(template)
                            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                    );
                    bar = Some(b);
                }
                if let Some(b) = &bar {
                    let seconds = started.elapsed().as_secs_f64();
                    let rate = done as f64 / seconds;
                    let left = total.saturating_sub(done) as f64 / rate.max(1.0);
                    b.set_length(total.max(1));
                    b.set_position(done);
                    b.set_message(match counted {
                        Counted::Samples => format!("{rate:.2e}/s, {left:.0} s left"),
                        Counted::Bytes => format!("{:.0} MB/s, {left:.0} s left", rate / 1e6),
                    });
                }
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        let out = f();
        finished.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = watcher.join();
        out
    })
}
