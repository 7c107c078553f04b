//! The public library API: [`Model`], [`Options`], [`Query`], [`Error`].
//!
//! A thin layer over the pipeline (parse → check → plan → infer) that owns the source text, so
//! every error it returns can render itself with file, line and caret. The command line and
//! the REPL go through the same functions.
//!
//! **Invariant:** the only I/O here is reading a model file in [`Model::from_file`].

use crate::cli::DEFAULT_SEED;
use crate::diagnostics::{Diagnostic, render};
use crate::infer::{DEFAULT_SAMPLES, Settings};
use crate::program::{Program, StatementKind};
use crate::results::Answer;
use std::fmt::{self, Display, Formatter};
use std::path::Path;
use std::sync::Arc;

pub use crate::infer::MethodChoice as Method;
#[doc(hidden)]
pub use crate::infer::engine::Engine;

/// A parsed and checked model, with the questions its file asks.
#[derive(Clone, Debug)]
pub struct Model {
    name: String,
    source: Arc<str>,
    program: Program,
    config: crate::Config,
}

impl Model {
    /// Parses and checks a model given as text. Its diagnostics name it `<model>`.
    pub fn parse(source: &str) -> Result<Model, Error> {
        Model::parse_named("<model>", source)
    }

    /// Parses and checks a model given as text; `name` is what its diagnostics call it.
    pub fn parse_named(name: &str, source: &str) -> Result<Model, Error> {
        Model::parse_with(name, source, &crate::Config::default())
    }

    /// Parses and checks a model under explicit limits (nesting depth, model size).
    pub fn parse_with(name: &str, source: &str, config: &crate::Config) -> Result<Model, Error> {
        let source: Arc<str> = Arc::from(source);
        match crate::check::compile(&source, config) {
            Ok(program) => Ok(Model {
                name: name.to_string(),
                source,
                program,
                config: config.clone(),
            }),
            Err(diagnostics) => Err(Error::new(name, source, diagnostics)),
        }
    }

    /// Reads, parses and checks a `.scm` file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Model, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let config = crate::Config::default();
        match read_source(path, &name, &config) {
            Ok(Ok(source)) => Model::parse_with(&name, &source, &config),
            Ok(Err(error)) => Err(error),
            Err(e) => Err(Error::new(
                &name,
                Arc::from(""),
                vec![Diagnostic::plain(format!("cannot read {name}: {e}"))],
            )),
        }
    }

    /// What diagnostics call this model: its file name, or `<model>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model's source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The variables, in declaration order.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.program.model.vars.iter().map(|v| v.name.as_str())
    }

    /// The source text of each question (query, `decide`, `bandit`) in the file, in order.
    pub fn questions(&self) -> impl Iterator<Item = &str> {
        self.program.statements.iter().map(|s| s.text.as_str())
    }

    /// The causal graph as Graphviz DOT.
    pub fn graph(&self) -> String {
        crate::cli::graph(&self.program)
    }

    /// Answers every question of the file, in order. Stops at the first that fails.
    pub fn run(&self, options: &Options) -> Result<Vec<Answer>, Error> {
        options.install(|| {
            (0..self.program.statements.len())
                .map(|index| self.answer_statement(index, options))
                .collect()
        })
    }

    /// Answers one question about this model, given as text (`P(rain | wet)`,
    /// `query ate = E[..] - E[..]`, `decide ...`, `bandit ...`) or as a [`Query`].
    pub fn ask(
        &self,
        question: &(impl Display + ?Sized),
        options: &Options,
    ) -> Result<Answer, Error> {
        let extended = self.with_question(&question.to_string())?;
        let index = extended.program.statements.len() - 1;
        options.install(|| extended.answer_statement(index, options))
    }

    /// This model with one more question appended, checked.
    pub(crate) fn with_question(&self, question: &str) -> Result<Model, Error> {
        let question = question.trim();
        let statement = if starts_with_word(question, &["query", "decide", "bandit"]) {
            question.to_string()
        } else {
            format!("query {question}")
        };
        let before = self.program.statements.len();
        let extended = Model::parse_with(
            &self.name,
            &format!("{}\n{statement}\n", self.source),
            &self.config,
        )?;
        if extended.program.statements.len() != before + 1 {
            return Err(Error::new(
                &self.name,
                extended.source.clone(),
                vec![Diagnostic::plain(
                    "expected one question: a query, `decide` or `bandit`".to_string(),
                )],
            ));
        }
        Ok(extended)
    }

    pub(crate) fn program(&self) -> &Program {
        &self.program
    }

    /// Answers statement `index` with the file's `set` values unless `options` override them.
    pub(crate) fn answer_statement(
        &self,
        index: usize,
        options: &Options,
    ) -> Result<Answer, Error> {
        let statement = &self.program.statements[index];
        let settings = Settings {
            samples: options
                .samples
                .or(statement.samples)
                .unwrap_or(DEFAULT_SAMPLES),
            seed: options.seed.or(statement.seed).unwrap_or(DEFAULT_SEED),
            method: options.method,
            forced: options.engine,
            max_gaussian_entries: self.config.max_gaussian_entries,
            max_factor_size: self.config.max_factor_size,
        };
        if settings.samples > self.config.max_samples {
            let message = format!(
                "{} samples is more than the limit of {}",
                settings.samples, self.config.max_samples
            );
            return Err(Error::new(
                &self.name,
                self.source.clone(),
                vec![Diagnostic::plain(message)],
            ));
        }
        let result = match &statement.kind {
            StatementKind::Query { name, estimand } => crate::infer::answer_query(
                &self.program.model,
                statement,
                name.as_deref(),
                estimand,
                settings,
            ),
            StatementKind::Decide(d) => {
                crate::decide::decide(&self.program.model, statement, d, settings)
            }
            StatementKind::Bandit(b) => {
                crate::decide::bandit::play(&self.program.model, statement, b, settings)
            }
        };
        let result = result.and_then(|answer| match answer.body.first_non_finite() {
            None => Ok(answer),
            Some(x) => Err(crate::diagnostics::Diagnostic::error(
                crate::diagnostics::Code::E006,
                statement.span,
                format!("the answer is {x}, not a finite number: a quantity in this question overflows"),
            )
            .with_help("rescale the model (e.g. thousands instead of units), or check exp, ^ and divisions")),
        });
        result.map_err(|mut d| {
            // A located problem the engine could not place is the statement's; a plain one
            // (cancelled, out of memory) belongs to the whole run and stays unlocated.
            if d.code.is_some() && d.span.is_none_or(|s| s == (0, 0)) {
                d.span = Some((statement.span.start, statement.span.end));
            }
            Error::new(&self.name, self.source.clone(), vec![d])
        })
    }

    /// The seed the first question runs with under `options` (what the command line prints).
    pub fn seed(&self, options: &Options) -> u64 {
        options
            .seed
            .or_else(|| self.program.statements.first().and_then(|s| s.seed))
            .unwrap_or(DEFAULT_SEED)
    }
}

/// Reads a model file: at most `config.max_source_bytes` bytes (so `/dev/zero` is refused, not
/// read forever), and only UTF-8 (a stray byte is an E001 at its line and column). The outer
/// error is the file system's; the inner one a diagnostic about the text.
pub(crate) fn read_source(
    path: &Path,
    name: &str,
    config: &crate::Config,
) -> std::io::Result<Result<String, Error>> {
    use std::io::Read as _;
    let limit = config.max_source_bytes;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        bytes.truncate(limit);
        let text = String::from_utf8_lossy(&bytes);
        let d = crate::syntax::too_long(limit);
        return Ok(Err(Error::new(name, Arc::from(text.as_ref()), vec![d])));
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let byte = e.as_bytes()[at];
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let d = Diagnostic::error(
                crate::Code::E001,
                crate::ast::Span::new(at, at + 1),
                format!("the file is not UTF-8 text: byte 0x{byte:02x} here"),
            )
            .with_help("save the model as UTF-8");
            Err(Error::new(name, Arc::from(text), vec![d]))
        }
    })
}

fn starts_with_word(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        text.strip_prefix(w)
            .is_some_and(|rest| rest.starts_with(|c: char| !(c.is_alphanumeric() || c == '_')))
    })
}

/// How to answer: samples, seed, threads, method. Unset values fall back to the model's
/// `set samples` / `set seed` and then to the defaults (100,000 samples, seed 0, all cores,
/// [`Method::Auto`]).
#[derive(Clone, Debug, Default)]
pub struct Options {
    samples: Option<u64>,
    seed: Option<u64>,
    threads: Option<usize>,
    method: Method,
    engine: Option<Engine>,
}

impl Options {
    /// The defaults.
    pub fn new() -> Options {
        Options::default()
    }

    /// Samples per query (at least 1).
    pub fn samples(mut self, n_samples: u64) -> Options {
        self.samples = Some(n_samples.max(1));
        self
    }

    /// The random seed: the same seed gives the same numbers at any thread count.
    pub fn seed(mut self, seed: u64) -> Options {
        self.seed = Some(seed);
        self
    }

    /// Worker threads (at least 1); by default all cores. Answers do not depend on it.
    pub fn threads(mut self, n_threads: usize) -> Options {
        self.threads = Some(n_threads.max(1));
        self
    }

    /// The inference method.
    pub fn method(mut self, method: Method) -> Options {
        self.method = method;
        self
    }

    /// Forces one inference engine, whatever the method: for tests that compare engines with
    /// each other. An engine that cannot answer a question gives E010. Not a user-facing
    /// option: the method (`auto`, `is`, `exact`) is.
    #[doc(hidden)]
    pub fn engine(mut self, engine: Engine) -> Options {
        self.engine = Some(engine);
        self
    }

    /// Runs `f` on a thread pool of the requested size, or on the global pool.
    fn install<T: Send>(&self, f: impl FnOnce() -> Result<T, Error> + Send) -> Result<T, Error> {
        let Some(n) = self.threads else {
            return f();
        };
        match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => pool.install(f),
            Err(e) => Err(Error::new(
                "<options>",
                Arc::from(""),
                vec![Diagnostic::plain(format!(
                    "cannot start worker threads: {e}"
                ))],
            )),
        }
    }
}

/// A question built in Rust; its `Display` is the whatif syntax it stands for.
///
/// Names and values are written as given, so they may be any expression the language accepts:
/// `Query::probability("y[do(x = 0)] = 1").given("x = 1")`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    expectation: bool,
    target: String,
    interventions: Vec<String>,
    evidence: Vec<String>,
}

impl Query {
    /// `P(event)`: a probability, or the whole distribution of a non-bool variable.
    pub fn probability(event: impl Into<String>) -> Query {
        Query {
            expectation: false,
            target: event.into(),
            interventions: Vec::new(),
            evidence: Vec::new(),
        }
    }

    /// `E[value]`: an expectation.
    pub fn expectation(value: impl Into<String>) -> Query {
        Query {
            expectation: true,
            ..Query::probability(value)
        }
    }

    /// Adds evidence: a bool expression that holds (`"wet"`, `"y > 2"`).
    pub fn given(mut self, evidence: impl Into<String>) -> Query {
        self.evidence.push(evidence.into());
        self
    }

    /// Adds a hard intervention `do(variable = value)`.
    pub fn intervene(mut self, variable: &str, value: impl Display) -> Query {
        self.interventions.push(format!("{variable} = {value}"));
        self
    }

    /// Adds a stochastic intervention `do(variable ~ distribution)`.
    pub fn intervene_random(mut self, variable: &str, distribution: impl Display) -> Query {
        self.interventions
            .push(format!("{variable} ~ {distribution}"));
        self
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (open, close) = if self.expectation {
            ("E[", "]")
        } else {
            ("P(", ")")
        };
        write!(f, "{open}{}", self.target)?;
        let mut conditions = Vec::new();
        if !self.interventions.is_empty() {
            conditions.push(format!("do({})", self.interventions.join(", ")));
        }
        conditions.extend(self.evidence.iter().cloned());
        if !conditions.is_empty() {
            write!(f, " | {}", conditions.join(", "))?;
        }
        write!(f, "{close}")
    }
}

/// Everything that can go wrong, as diagnostics with codes and locations. `Display` renders
/// them as the command line does: `file:line:col: error[CODE]: message`, the line, a caret.
#[derive(Clone, Debug)]
pub struct Error {
    name: String,
    source: Arc<str>,
    diagnostics: Vec<Diagnostic>,
}

impl Error {
    pub(crate) fn new(name: &str, source: Arc<str>, diagnostics: Vec<Diagnostic>) -> Error {
        Error {
            name: name.to_string(),
            source,
            diagnostics,
        }
    }

    /// The diagnostics, first error first.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The source text the diagnostics' spans point into.
    pub fn source_text(&self) -> &str {
        &self.source
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&render(&self.name, &self.source, &self.diagnostics))
    }
}

impl std::error::Error for Error {}
