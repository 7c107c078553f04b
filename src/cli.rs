//! The command line (clap): `run`, `check`, `graph`, `repl`.
//!
//! Exit codes: 0 success, 1 an error in the model or a query, 2 command-line misuse.
//! Nothing is printed to stdout unless the whole run succeeds, so a failed run leaves no
//! half-written JSON behind.

use crate::diagnostics::{Diagnostic, render};
use crate::infer::{DEFAULT_SAMPLES, MethodChoice, Settings};
use crate::program::{Program, StatementKind};
use crate::scm::VarKind;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write as _;
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
        Command::Check { file } => with_program(&file, |name, source, program| {
            let _ = (name, source);
            let m = &program.model;
            let count = |f: fn(&StatementKind) -> bool| {
                program.statements.iter().filter(|s| f(&s.kind)).count()
            };
            println!(
                "ok: {} variables, {} queries, {} decisions, {} bandits",
                m.vars.len(),
                count(|k| matches!(k, StatementKind::Query { .. })),
                count(|k| matches!(k, StatementKind::Decide(_))),
                count(|k| matches!(k, StatementKind::Bandit(_)))
            );
            0
        }),
        Command::Graph { file } => with_program(&file, |_, _, program| {
            print!("{}", graph(program));
            0
        }),
        Command::Repl { .. } => {
            eprintln!("whatif: `repl` is not implemented yet");
            2
        }
        Command::Run {
            file,
            samples,
            seed,
            method,
            json,
            threads,
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
            pool.install(|| {
                with_program(&file, |name, source, program| {
                    run_program(name, source, program, samples, seed, method, json)
                })
            })
        }
    }
}

/// Reads, parses and checks `file`, then calls `f`; reports errors and returns the exit code.
fn with_program(file: &PathBuf, f: impl FnOnce(&str, &str, &Program) -> i32) -> i32 {
    let name = file.display().to_string();
    let source = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("whatif: cannot read {name}: {e}");
            return 2;
        }
    };
    match crate::compile(&source) {
        Ok(program) => f(&name, &source, &program),
        Err(diagnostics) => {
            eprint!("{}", render(&name, &source, &diagnostics));
            1
        }
    }
}

fn run_program(
    name: &str,
    source: &str,
    program: &Program,
    samples: Option<u64>,
    seed: Option<u64>,
    method: MethodChoice,
    json: bool,
) -> i32 {
    let mut answers = Vec::new();
    let mut text = String::new();
    let mut warnings = String::new();
    let first_seed = seed
        .or_else(|| program.statements.first().and_then(|s| s.seed))
        .unwrap_or(DEFAULT_SEED);
    for (index, statement) in program.statements.iter().enumerate() {
        let settings = Settings {
            samples: samples.or(statement.samples).unwrap_or(DEFAULT_SAMPLES),
            seed: seed.or(statement.seed).unwrap_or(DEFAULT_SEED),
            method,
        };
        let started = Instant::now();
        match crate::answer(program, index, settings) {
            Ok(answer) => {
                for w in &answer.warnings {
                    let d = Diagnostic::warning(statement.span, w.clone());
                    warnings.push_str(&render(name, source, &[d]));
                }
                text.push_str(&crate::report::render(
                    &answer,
                    started.elapsed().as_secs_f64(),
                ));
                text.push('\n');
                answers.push(answer);
            }
            Err(mut d) => {
                if d.span == Some((0, 0)) {
                    d.span = Some((statement.span.start, statement.span.end));
                }
                eprint!("{warnings}{}", render(name, source, &[d]));
                return 1;
            }
        }
    }
    eprint!("{warnings}");
    let mut out = std::io::stdout().lock();
    let written = if json {
        let doc = serde_json::json!({ "results": answers });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        )
    } else {
        write!(out, "# {name}: seed {first_seed}\n\n{text}")
    };
    if written.is_err() {
        return 1;
    }
    0
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
