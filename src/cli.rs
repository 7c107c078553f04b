//! The command line (clap): `run`, `check`, `graph`, `repl`.
//!
//! Exit codes: 0 success, 1 an error in the model or a query, 2 command-line misuse.
//! Nothing is printed to stdout unless the whole run succeeds, so a failed run leaves no
//! half-written JSON behind.

use crate::diagnostics::{Diagnostic, render};
use crate::facade::{Model, Options};
use crate::infer::MethodChoice;
use crate::program::{Program, StatementKind};
use crate::scm::VarKind;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::Instant;

/// Seed used when neither `--seed` nor `set seed` gives one.
pub const DEFAULT_SEED: u64 = 0;

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

#[derive(Subcommand, Debug)]
enum Command {
    /// Answer every query, decision and bandit of a model.
    Run {
        /// The model, a `.scm` file.
        file: PathBuf,
        /// Samples per query (overrides `set samples`).
        #[arg(long)]
        samples: Option<u64>,
        /// Random seed (overrides `set seed`); the same seed gives the same numbers.
        #[arg(long)]
        seed: Option<u64>,
        /// Inference method.
        #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
        method: MethodArg,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        /// Worker threads (default: all cores); results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Write SVG pictures of decisions and bandits into this directory.
        #[arg(long, value_name = "DIR")]
        plot: Option<PathBuf>,
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
        Command::Check { file } => with_program(&file, |model| {
            let program = model.program();
            let m = &program.model;
            let count = |f: fn(&StatementKind) -> bool| {
                program.statements.iter().filter(|s| f(&s.kind)).count()
            };
            let plural = |n: usize, one: &str, many: &str| {
                format!("{n} {}", if n == 1 { one } else { many })
            };
            println!(
                "ok: {}, {}, {}, {}",
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
            0
        }),
        Command::Graph { file } => with_program(&file, |model| {
            print!("{}", model.graph());
            0
        }),
        Command::Import { file, output } => import(&file, output.as_deref()),
        Command::Repl { file } => crate::repl::frontend::run(file),
        Command::Run {
            file,
            samples,
            seed,
            method,
            json,
            threads,
            plot,
        } => {
            let method = match method {
                MethodArg::Auto => MethodChoice::Auto,
                MethodArg::Is => MethodChoice::Is,
                MethodArg::Exact => MethodChoice::Exact,
            };
            if samples == Some(0) {
                eprintln!("whatif: --samples must be at least 1");
                return 2;
            }
            if threads == Some(0) {
                eprintln!("whatif: --threads must be at least 1");
                return 2;
            }
            let pool = match rayon::ThreadPoolBuilder::new()
                .num_threads(threads.unwrap_or(0))
                .build()
            {
                Ok(pool) => pool,
                Err(e) => {
                    eprintln!("whatif: cannot start worker threads: {e}");
                    return 2;
                }
            };
            let mut options = Options::new().method(method);
            if let Some(n) = samples {
                options = options.samples(n);
            }
            if let Some(s) = seed {
                options = options.seed(s);
            }
            pool.install(|| {
                with_program(&file, |model| {
                    run_program(model, &options, json, plot.as_deref())
                })
            })
        }
    }
}

/// `whatif import`: BIF to a checked whatif model, written whole or not at all.
fn import(file: &std::path::Path, output: Option<&std::path::Path>) -> i32 {
    let name = file.display().to_string();
    let text = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("whatif: cannot read {name}: {e}");
            return 2;
        }
    };
    let model = match crate::bif::import(&name, &text) {
        Ok(model) => model,
        Err(d) => {
            eprint!("{}", render(&name, &text, &[d]));
            return 1;
        }
    };
    // The model must check before anything is written.
    if let Err(error) = Model::parse_named(&format!("{name} (imported)"), &model) {
        eprint!("{error}");
        return 1;
    }
    match output {
        None => {
            print!("{model}");
            0
        }
        Some(path) => {
            let temporary = path.with_extension("scm.partial");
            let written =
                std::fs::write(&temporary, &model).and_then(|()| std::fs::rename(&temporary, path));
            if let Err(e) = written {
                let _ = std::fs::remove_file(&temporary);
                eprintln!("whatif: cannot write {}: {e}", path.display());
                return 2;
            }
            0
        }
    }
}

/// Reads, parses and checks `file`, then calls `f`; reports errors and returns the exit code.
fn with_program(file: &PathBuf, f: impl FnOnce(&Model) -> i32) -> i32 {
    let name = file.display().to_string();
    let source = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("whatif: cannot read {name}: {e}");
            return 2;
        }
    };
    match Model::parse_named(&name, &source) {
        Ok(model) => f(&model),
        Err(error) => {
            eprint!("{error}");
            1
        }
    }
}

/// Answers every question; prints all the answers, or nothing but the first error.
fn run_program(
    model: &Model,
    options: &Options,
    json: bool,
    plot: Option<&std::path::Path>,
) -> i32 {
    let mut answers = Vec::new();
    let mut text = String::new();
    let mut warnings = String::new();
    let program = model.program();
    let show_progress =
        !json && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    for (index, statement) in program.statements.iter().enumerate() {
        let started = Instant::now();
        let result = if show_progress {
            with_progress(|| model.answer_statement(index, options))
        } else {
            model.answer_statement(index, options)
        };
        match result {
            Ok(answer) => {
                for w in &answer.warnings {
                    let d = Diagnostic::warning(statement.span, w.clone());
                    warnings.push_str(&render(model.name(), model.source(), &[d]));
                }
                let seconds = Some(started.elapsed().as_secs_f64());
                text.push_str(&crate::report::render(&answer, seconds));
                text.push('\n');
                answers.push(answer);
            }
            Err(error) => {
                eprint!("{warnings}{error}");
                return 1;
            }
        }
    }
    eprint!("{warnings}");
    if let Some(dir) = plot {
        match crate::plot::write_plots(dir, &answers) {
            Ok(files) => {
                for f in files {
                    eprintln!("wrote {}", f.display());
                }
            }
            Err(e) => {
                eprintln!("whatif: {e}");
                return 1;
            }
        }
    }
    let mut out = std::io::stdout().lock();
    let written = if json {
        let doc = serde_json::json!({ "results": answers });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        )
    } else {
        write!(
            out,
            "# {}: seed {}\n\n{text}",
            model.name(),
            model.seed(options)
        )
    };
    if written.is_err() {
        return 1;
    }
    0
}

/// Runs `f`, drawing a progress bar on stderr once it has taken more than a second
/// (`WHATIF_PROGRESS_AFTER_MS` changes the delay; the tests set it to 0).
fn with_progress<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    crate::infer::reset_progress();
    let delay = std::env::var("WHATIF_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(1000.0)
        / 1000.0;
    let finished = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let started = Instant::now();
            let mut bar: Option<indicatif::ProgressBar> = None;
            while !finished.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(50));
                let (done, total) = crate::infer::progress();
                if bar.is_none() && started.elapsed().as_secs_f64() > delay && total > 0 {
                    let b = indicatif::ProgressBar::new(total);
                    b.set_style(
                        indicatif::ProgressStyle::with_template(
                            "{bar:40} {human_pos}/{human_len} samples  {msg}",
                        )
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
                    b.set_message(format!("{rate:.2e}/s, {left:.0} s left"));
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

/// The causal graph as Graphviz DOT: exogenous variables dashed, decisions as boxes,
/// deterministic variables double-bordered.
pub fn graph(program: &Program) -> String {
    let mut out = String::from("digraph whatif {\n  rankdir=TB;\n");
    for var in &program.model.vars {
        let mut attributes = Vec::new();
        match var.kind {
            VarKind::Decision(_) => attributes.push("shape=box"),
            VarKind::Deterministic(_) => attributes.push("shape=ellipse, peripheries=2"),
            VarKind::Stochastic(_) => attributes.push("shape=ellipse"),
        }
        if var.exogenous {
            attributes.push("style=dashed");
        }
        out.push_str(&format!(
            "  \"{}\" [{}];\n",
            var.name,
            attributes.join(", ")
        ));
    }
    for (v, var) in program.model.vars.iter().enumerate() {
        let _ = v;
        for &p in &var.parents {
            out.push_str(&format!(
                "  \"{}\" -> \"{}\";\n",
                program.model.vars[p].name, var.name
            ));
        }
    }
    out.push_str("}\n");
    out
}
