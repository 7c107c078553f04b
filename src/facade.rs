//! The public library API: [`Model`], [`Options`], [`Query`], [`Error`].
//!
//! A thin layer over the pipeline (parse → check → plan → infer) that owns the source text, so
//! every error it returns can render itself with file, line and caret. The command line and
//! the REPL go through the same functions.
//!
//! A model keeps its texts ([`Sources`]): its file, and each question passed to [`Model::ask`]
//! as a text of its own, so errors in a question are located in it (`<question>:1:3`); messages that name a command-line flag are rewritten
//! for whoever asked (the library's option, the REPL's command).
//!
//! **Invariant:** the only I/O here is reading a model file in [`Model::from_file`]; nothing
//! here knows the command line.

use crate::ast::SourceId;
use crate::cancel::CancelToken;
use crate::diagnostics::{self, Code, Source, Sources};
use crate::infer::{DEFAULT_SAMPLES, Settings};
use crate::program::{Program, StatementKind};
use crate::results::Answer;
use std::fmt::Display;
use std::path::Path;
use std::sync::{Arc, Mutex};

pub use crate::infer::MethodChoice as Method;
#[doc(hidden)]
pub use crate::infer::engine::Engine;

/// Seed used when neither [`Options::seed`] nor the model's `set seed` gives one.
pub(crate) const DEFAULT_SEED: u64 = 0;

/// A parsed and checked model, with the questions its file asks.
#[derive(Clone, Debug)]
pub struct Model {
    /// The model's text ([`SourceId::MODEL`]), then those of the questions added to it.
    sources: Sources,
    program: Program,
    config: crate::Config,
    /// The model's data (`data "FILE"` or `--data`), counted.
    data: Option<Arc<crate::data::Dataset>>,
    /// Where `data "FILE"` is read from (the model file's directory), and a `--data` file that
    /// replaces it: kept so that a question added by `ask` reads the same data.
    data_location: (Option<std::path::PathBuf>, Option<std::path::PathBuf>),
    /// The fit of the model's `?` parameters, if it has any and was given data.
    fit: Option<Arc<fit::FitState>>,
    /// The data file's counts, kept for the models this one is extended into (`ask` checks the
    /// model again with the question, and reads the data again where nonparametric variables
    /// take their types from it) and, in the REPL, for the session's next model.
    counts: Arc<Mutex<crate::data::CountCache>>,
    /// The marginals of the junction trees its questions calibrated (`P(* | ...)`), read by
    /// later questions under the same evidence and interventions; shared by the models this
    /// one is extended into with questions only, replaced when declarations are added.
    marginals: crate::infer::exact::MarginalCache,
}

mod error;
mod fit;
mod question;
pub use error::{Diagnostic, Error};
pub use fit::Data;
use fit::Reading;
pub use question::{Attribution, Query};

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
        Model::load(name, source, config, None, None)
    }

    /// Parses and checks a model; its `data "FILE"` is read relative to `base` (the model
    /// file's directory; the working directory when `None`), or `data` replaces it.
    pub(crate) fn load(
        name: &str,
        source: &str,
        config: &crate::Config,
        base: Option<&Path>,
        data_file: Option<&Path>,
    ) -> Result<Model, Error> {
        Model::load_cached(name, source, config, base, data_file, &Arc::default())
    }

    /// [`Model::load`], counting the data file through `counts`, which the model keeps.
    pub(crate) fn load_cached(
        name: &str,
        source: &str,
        config: &crate::Config,
        base: Option<&Path>,
        data_file: Option<&Path>,
        counts: &Arc<Mutex<crate::data::CountCache>>,
    ) -> Result<Model, Error> {
        let sources = Sources::single(Source::new(name, source));
        Model::load_sources(sources, config, base, data_file, counts)
    }

    /// [`Model::load_cached`] of several texts (a REPL entry after the declarations typed
    /// before it): their statements in order, each span in its own text.
    pub(crate) fn load_sources(
        sources: Sources,
        config: &crate::Config,
        base: Option<&Path>,
        data_file: Option<&Path>,
        counts: &Arc<Mutex<crate::data::CountCache>>,
    ) -> Result<Model, Error> {
        // Parsing and checking recurse up to the configured depth: a stack of their own.
        crate::check::on_large_stack(|| {
            Model::load_here(
                sources,
                config,
                (base, data_file),
                Reading::Everything,
                counts,
            )
        })
    }

    /// [`Model::load`], reading the data and fitting the `?` parameters as `reading` says.
    fn load_here(
        sources: Sources,
        config: &crate::Config,
        (base, data_file): (Option<&Path>, Option<&Path>),
        reading: Reading,
        count_cache: &Arc<Mutex<crate::data::CountCache>>,
    ) -> Result<Model, Error> {
        let fail = |diagnostics| Error::new(&sources, diagnostics);
        let ast = parse_all(&sources, config).map_err(fail)?;
        let data_statement = ast.statements.iter().find_map(|s| match &s.kind {
            crate::ast::StatementKind::Data { path, span } => Some((path.clone(), *span)),
            _ => None,
        });
        let (file, span) = match (data_file, &data_statement) {
            (Some(path), _) => (
                Some((path.to_path_buf(), path.display().to_string())),
                data_statement
                    .as_ref()
                    .map_or(crate::ast::Span::default(), |d| d.1),
            ),
            (None, Some((path, span))) => {
                let full = base.map_or_else(|| Path::new(path).to_path_buf(), |b| b.join(path));
                (Some((full, path.clone())), *span)
            }
            (None, None) => (None, crate::ast::Span::default()),
        };
        let file = file.filter(|_| reading != Reading::Nothing);
        let data_error = |e: crate::data::DataError| {
            let mut d = diagnostics::Diagnostic::error(Code::E013, span, e.message);
            if let Some(mut help) = e.help {
                if data_file.is_some() && help == crate::data::NOT_FOUND_HELP {
                    help = "a file named by `--data` (or the REPL's `:data`) is read relative to the working directory".to_string();
                }
                d = d.with_help(help);
            }
            if data_statement.is_none() {
                // `--data FILE` (or the REPL's `:data`) with no `data` statement: nothing in
                // the source to point at.
                d.span = None;
            }
            d
        };
        let mut types = std::collections::HashMap::new();
        // A model without edges or `identify` uses its data only to fit its `?`s: the fit
        // streams the file alone, and the joint counts identification keeps (which grow with
        // the rows) are never built.
        let fitted_only = match &file {
            Some(_) if !reads_graph(&ast) => {
                let program =
                    crate::check::compile_ast(&sources, &ast, config, &types).map_err(fail)?;
                program.model.has_parameters().then_some(program)
            }
            _ => None,
        };
        let counts = match &file {
            Some(_) if fitted_only.is_some() => None,
            Some((path, shown)) => {
                let wanted = declared_names(&ast);
                let mut cache = count_cache
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let counts = cache
                    .count(path, shown, &wanted)
                    .map_err(|e| fail(vec![data_error(e)]))?;
                for (column, dictionary) in counts.columns.iter().zip(&counts.dictionaries) {
                    types.insert(column.clone(), crate::data::infer_type(dictionary));
                }
                Some(counts)
            }
            None => None,
        };
        let program = match fitted_only {
            Some(program) => program,
            None => crate::check::compile_ast(&sources, &ast, config, &types).map_err(fail)?,
        };
        let data = match counts {
            Some(counts) => Some(Arc::new(
                crate::data::bind(counts, &program.model).map_err(|e| fail(vec![data_error(e)]))?,
            )),
            None => None,
        };
        let model = Model {
            sources,
            program,
            config: config.clone(),
            data,
            data_location: (
                base.map(Path::to_path_buf),
                data_file.map(Path::to_path_buf),
            ),
            fit: None,
            counts: count_cache.clone(),
            marginals: Default::default(),
        };
        match file {
            Some((path, shown))
                if reading == Reading::Everything && model.program.model.has_parameters() =>
            {
                model.fit_file(&path, &shown, span)
            }
            _ => Ok(model),
        }
    }

    /// Reads, parses and checks a `.scm` file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Model, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let config = crate::Config::default();
        match read_source(path, &name, &config) {
            Ok(Ok(source)) => Model::load(&name, &source, &config, path.parent(), None),
            Ok(Err(error)) => Err(error),
            Err(e) => Err(Error::in_text(
                &name,
                "",
                vec![diagnostics::Diagnostic::plain(format!(
                    "cannot read {name}: {e}"
                ))],
            )),
        }
    }

    /// Converts a Bayesian network in the BIF format (bnlearn's repository, pyAgrum, Hugin
    /// exports) to a model, as `whatif import` does: one labelled `Categorical` per variable, a
    /// `match` over the parents for each table. Returns the model (its [`source`](Model::source)
    /// is the whatif text) and the conversion's warnings, located in the BIF text: renamed
    /// names, rows that did not sum to 1 and were normalised.
    ///
    /// ```
    /// let bif = "variable rain { type discrete [ 2 ] { yes, no }; }
    ///            probability ( rain ) { table 0.2, 0.8; }";
    /// let (model, warnings) = whatif::Model::from_bif("weather.bif", bif)?;
    /// assert!(warnings.is_empty());
    /// let answer = model.ask(r#"P(rain = "yes")"#, &whatif::Options::new())?;
    /// let whatif::results::Body::Probability(p) = answer.body else { unreachable!() };
    /// assert!((p.value - 0.2).abs() < 1e-12);
    /// # Ok::<(), whatif::Error>(())
    /// ```
    pub fn from_bif(name: &str, bif: &str) -> Result<(Model, Vec<Diagnostic>), Error> {
        let imported =
            crate::bif::import(name, bif).map_err(|d| Error::in_text(name, bif, vec![d]))?;
        let model = Model::parse_named(&format!("{name} (imported)"), &imported.text)?;
        let warnings = Error::in_text(name, bif, imported.warnings)
            .diagnostics()
            .to_vec();
        Ok((model, warnings))
    }

    /// What diagnostics call this model: its file name, or `<model>`.
    pub fn name(&self) -> &str {
        self.model_text().name.as_str()
    }

    /// The model's source text.
    pub fn source(&self) -> &str {
        &self.model_text().text
    }

    /// The model's own text (not a question's).
    fn model_text(&self) -> &Source {
        match self.sources.get(SourceId::MODEL) {
            Some(source) => source,
            None => unreachable!("a model is built from at least its own text"),
        }
    }

    /// `diagnostics` rendered as the command line shows them, each against the text it
    /// points into (the command line's: warnings printed beside answers).
    #[cfg(feature = "cli")]
    pub(crate) fn render(&self, diagnostics: &[diagnostics::Diagnostic]) -> String {
        self.sources.render(diagnostics)
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
        crate::dot::graph(&self.program)
    }

    /// Answers every question of the file, in order, each on its own (as `whatif run` does):
    /// a question that fails (evidence of probability zero, a limit, a cancelled call) has its
    /// error in its place, and the questions after it are still answered.
    ///
    /// ```
    /// let model = whatif::Model::parse(
    ///     "x ~ Bernoulli(0.3)\nquery P(x | x, not x)\nquery P(x)\n",
    /// )?;
    /// let results = model.run(&whatif::Options::new());
    /// assert_eq!(results[0].as_ref().err().and_then(|e| e.code()), Some(whatif::Code::E007));
    /// assert!(results[1].is_ok());
    /// # Ok::<(), whatif::Error>(())
    /// ```
    pub fn run(&self, options: &Options) -> Vec<Result<Answer, Error>> {
        let n = self.program.statements.len();
        let answered = options.install(|| {
            Ok((0..n)
                .map(|index| self.answer_statement(index, options))
                .collect::<Vec<_>>())
        });
        // Without worker threads no question can be answered: each gets that error.
        answered.unwrap_or_else(|error| vec![Err(error); n])
    }

    /// Answers one question about this model, given as text (`P(rain | wet)`,
    /// `query ate = E[..] - E[..]`, `decide ...`, `bandit ...`, `attribute ...`), as a
    /// [`Query`] or as an [`Attribution`].
    pub fn ask(
        &self,
        question: &(impl Display + ?Sized),
        options: &Options,
    ) -> Result<Answer, Error> {
        let extended = self.with_question(&question.to_string())?;
        let index = extended.program.statements.len() - 1;
        options.install(|| extended.answer_statement(index, options))
    }

    /// Forgets the marginals kept from earlier `P(* | ...)` questions, which later questions
    /// under the same evidence and interventions read instead of computing (docs/inference.md):
    /// from now on they are computed afresh. For timing a computation rather than a lookup,
    /// or to free the memory the marginals hold.
    pub fn forget_marginals(&self) {
        self.marginals.clear();
    }

    /// This model with one more question appended as a text of its own (`<question>`),
    /// checked.
    pub(crate) fn with_question(&self, question: &str) -> Result<Model, Error> {
        let question = question.trim();
        let keyword = if starts_with_word(
            question,
            &["query", "decide", "bandit", "identify", "attribute"],
        ) {
            ""
        } else {
            "query "
        };
        let mut sources = self.sources.clone();
        // The question's line (which seeds it) is the one it would have after the model's
        // text and a newline in one file.
        sources.add(Source {
            supplied: keyword.len(),
            lines_before: self.source().matches('\n').count() + 1,
            ..Source::new("<question>", format!("{keyword}{question}"))
        });
        if let Some(extended) = self.with_question_checked_alone(&sources) {
            return extended;
        }
        let before = self.program.statements.len();
        let extended = self.with_questions(sources)?;
        if extended.program.statements.len() != before + 1 {
            return Err(not_one_question(&extended.sources));
        }
        Ok(extended)
    }

    /// [`Model::with_question`] by the REPL's incremental check (`check/extend.rs`): the
    /// question checked alone against this model's checked program (a copy of it), so asking
    /// costs work in proportion to the question, not to the model. `None` where only a whole
    /// check gives the same program: a model with data or `?` parameters, or a question the
    /// extension does not take (see `check/extend.rs`). The question's statement takes the
    /// file's `set` values in force at its end, as a whole check of the appended text gives it.
    fn with_question_checked_alone(&self, sources: &Sources) -> Option<Result<Model, Error>> {
        if self.data.is_some() || self.fit.is_some() || self.program.model.has_parameters() {
            return None;
        }
        let mut extended = self.clone();
        match extended.extend(sources.clone()) {
            Extended::Unsupported => None,
            Extended::Failed(error) => Some(Err(error)),
            Extended::Checked { .. } if extended.program.statements.len() != 1 => {
                Some(Err(not_one_question(&extended.sources)))
            }
            Extended::Checked { .. } => {
                let file = &self.program;
                for statement in &mut extended.program.statements {
                    statement.samples = statement.samples.or(file.samples);
                    statement.seed = statement.seed.or(file.seed);
                    statement.method = statement.method.or(file.method);
                    if let StatementKind::Attribute(a) = &mut statement.kind {
                        a.permutations = a.permutations.or(file.permutations);
                    }
                }
                Some(Ok(extended))
            }
        }
    }

    /// This model checked again from `sources`: its own text, then texts of questions (and
    /// `set`s) that add no declaration. The questions change no mechanism, so the fit carries over instead
    /// of being redone, and the data is read again only where nonparametric variables take
    /// their types from it (from the kept counts while the file is unchanged).
    pub(crate) fn with_questions(&self, sources: Sources) -> Result<Model, Error> {
        let reading = if self.reads_data_types() {
            Reading::DataOnly
        } else {
            Reading::Nothing
        };
        crate::check::on_large_stack(|| {
            Model::load_here(
                sources,
                &self.config,
                (
                    self.data_location.0.as_deref(),
                    self.data_location.1.as_deref(),
                ),
                reading,
                &self.counts,
            )
        })
        .map(|extended| {
            let mut extended = self.carry_fit(extended);
            // The same declarations: the marginals calibrated so far still hold.
            extended.marginals = self.marginals.clone();
            extended
        })
    }

    /// The REPL's incremental check (`check/extend.rs`): the last of `sources` (the model's
    /// texts and one more, the entry) checked against this model and added to it; the
    /// program's questions are then the entry's, and the model's texts are `sources`. A model
    /// with data is never extended (its data is bound to the variables).
    pub(crate) fn extend(&mut self, sources: Sources) -> Extended {
        if self.data.is_some() {
            return Extended::Unsupported;
        }
        let config = &self.config;
        let program = &mut self.program;
        let declared = program.model.vars.len();
        let entry = sources.last();
        let text = sources.get(entry).map_or("", |s| &*s.text);
        // Parsing and checking recurse up to the configured depth: a stack of their own.
        let extension = crate::check::on_large_stack(|| {
            match crate::syntax::parse_source(text, entry, config) {
                Ok(ast) => crate::check::extend(program, &sources, &ast, config),
                Err(diagnostics) => crate::check::Extension::Failed(diagnostics),
            }
        });
        match extension {
            crate::check::Extension::Checked { labels } => {
                self.sources = sources;
                if self.program.model.vars.len() != declared {
                    // New declarations: the marginals calibrated so far are of another model.
                    self.marginals = Default::default();
                }
                Extended::Checked { labels }
            }
            crate::check::Extension::Failed(diagnostics) => {
                Extended::Failed(Error::new(&sources, diagnostics))
            }
            crate::check::Extension::Unsupported => Extended::Unsupported,
        }
    }

    /// After an [`Extended::Checked`]'s questions are answered: back to the declarations only.
    pub(crate) fn keep_declarations(&mut self, labels: usize) {
        self.program.keep_declarations(labels);
    }

    /// The texts of the model and the questions added to it; the REPL adds its entries.
    pub(crate) fn sources(&self) -> &Sources {
        &self.sources
    }

    /// After an extension: its text renamed and numbered among the program's lines (a REPL
    /// entry kept among the declarations, shown as `<model>` from then on), or dropped when
    /// it left nothing in the model.
    pub(crate) fn settle_last_source(&mut self, kept: Option<&str>) {
        let last = self.sources.last();
        match kept {
            Some(name) => {
                if let Some(source) = self.sources.get_mut(last) {
                    source.name = name.to_string();
                    source.numbered_in_program = true;
                }
            }
            None if last != SourceId::MODEL => self.sources.pop(),
            None => {}
        }
    }

    /// The model's data, in a line: rows and the columns read (the observed variables).
    pub(crate) fn data_summary(&self) -> Option<String> {
        self.data
            .as_ref()
            .map(|d| format!("{} rows; columns {}", d.counts.rows, d.columns().join(", ")))
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
        if let Some(d) = crate::fit::unfitted(&self.program.model) {
            return Err(Error::new(&self.sources, vec![d]));
        }
        let settings = self.settings(index, options)?;
        let program = &self.program;
        let result = crate::cancel::with_current(&options.cancel, || {
            match &statement.kind {
            StatementKind::Identify(question) => crate::identify::answer_identify(
                program,
                statement,
                question,
                self.data
                    .as_ref()
                    .map(|d| (d.columns(), d.counts.file.as_str())),
            ),
            // Engine choice, identified branch: a query that needs a mechanism the model
            // does not write is answered from the data by its identified estimand.
            StatementKind::Query { name, estimand }
                if crate::identify::estimate::needs_identification(program, estimand) =>
            {
                crate::identify::estimate::answer_query(
                    program,
                    statement,
                    name.as_deref(),
                    estimand,
                    self.data.as_deref(),
                    settings.seed,
                )
            }
            StatementKind::Decide(d)
                if crate::identify::estimate::needs_identification(program, &d.objective) =>
            {
                crate::identify::decide::answer_decide(
                    program,
                    statement,
                    d,
                    self.data.as_deref(),
                    settings.seed,
                )
            }
            StatementKind::Bandit(b) => match bandit_without_mechanism(program, b) {
                Some(v) => Err(diagnostics::Diagnostic::error(
                    Code::E014,
                    statement.span,
                    format!(
                        "a bandit plays the model as a simulator, and `{}` has no mechanism to simulate",
                        program.model.vars[v].name
                    ),
                )
                .with_help("write its mechanism (`~` or `:=`), or use `decide`, which estimates each action's value from the data")),
                None => crate::decide::bandit::play(&self.program.model, statement, b, settings),
            },
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
            StatementKind::Attribute(a) => {
                crate::attribute::attribute(&self.program.model, statement, a, settings)
            }
        }
        });
        self.conclude(index, options, result)
    }

    /// The inference settings of statement `index`: the file's `set` values unless `options`
    /// override them; more samples than the limit is an error.
    pub(crate) fn settings<'o>(
        &'o self,
        index: usize,
        options: &'o Options,
    ) -> Result<Settings<'o>, Error> {
        let statement = &self.program.statements[index];
        let settings = Settings {
            samples: options
                .samples
                .or(statement.samples)
                .unwrap_or(DEFAULT_SAMPLES),
            seed: options.seed.or(statement.seed).unwrap_or(DEFAULT_SEED),
            method: options.method.or(statement.method).unwrap_or(Method::Auto),
            forced: options.engine,
            max_gaussian_entries: self.config.max_gaussian_entries,
            max_factor_size: self.config.max_factor_size,
            smc: crate::infer::smc::Limits {
                max_stages: self.config.max_smc_stages,
                max_values: self.config.max_smc_values,
                max_evaluations: self.config.max_smc_evaluations,
            },
            cancel: &options.cancel,
            max_coalitions: self.config.max_attribution_coalitions,
            max_attribution_work: self.config.max_attribution_work as f64,
            permutations: options.permutations,
            marginals: Some(&self.marginals),
        };
        if settings.samples > self.config.max_samples {
            let message = format!(
                "{} samples is more than the limit of {}",
                settings.samples, self.config.max_samples
            );
            return Err(Error::new(
                &self.sources,
                vec![diagnostics::Diagnostic::plain(message)],
            ));
        }
        Ok(settings)
    }

    /// An engine's answer to statement `index` as the library returns it: no NaN or infinity
    /// in it (E006 instead), messages phrased for `options`' audience, errors located.
    pub(crate) fn conclude(
        &self,
        index: usize,
        options: &Options,
        result: Result<Answer, diagnostics::Diagnostic>,
    ) -> Result<Answer, Error> {
        let statement = &self.program.statements[index];
        let result = result.and_then(|answer| match answer.body.first_non_finite() {
            None => Ok(answer),
            Some(x) => Err(diagnostics::Diagnostic::error(
                Code::E006,
                statement.span,
                format!("the answer is {x}, not a finite number: a quantity in this question overflows"),
            )
            .with_help("rescale the model (e.g. thousands instead of units), or check exp, ^ and divisions")),
        });
        let audience = options.audience;
        result
            .map(|mut answer| {
                for warning in &mut answer.warnings {
                    *warning = audience.rephrase(warning);
                }
                self.with_refits(answer, index, options)
            })
            .map_err(|mut d| {
                // A located problem the engine could not place is the statement's; a plain
                // one (cancelled, out of memory) belongs to the whole run and stays unlocated.
                if d.code.is_some() && d.span.is_none_or(|s| s.is_nowhere()) {
                    d.span = Some(statement.span);
                }
                d.message = audience.rephrase(&d.message);
                d.help = d.help.map(|h| audience.rephrase(&h));
                Error::new(&self.sources, vec![d])
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

/// The error for a text given to [`Model::ask`] that holds no question or several.
fn not_one_question(sources: &Sources) -> Error {
    let message = "expected one question: a query, `decide`, `bandit`, `identify` or `attribute`";
    Error::new(
        sources,
        vec![diagnostics::Diagnostic::plain(message.to_string())],
    )
}

/// Every text of `sources` parsed, their statements in order.
fn parse_all(
    sources: &Sources,
    config: &crate::Config,
) -> Result<crate::ast::Program, Vec<diagnostics::Diagnostic>> {
    let mut program = crate::ast::Program::default();
    for (id, source) in sources.iter() {
        let part = crate::syntax::parse_source(&source.text, id, config)?;
        program.statements.extend(part.statements);
    }
    Ok(program)
}

/// What [`Model::extend`] did.
pub(crate) enum Extended {
    /// The entry is in the model; its questions are the program's. `labels`: see
    /// [`Model::keep_declarations`].
    Checked { labels: usize },
    /// The entry is wrong; the model is unchanged.
    Failed(Error),
    /// The entry needs the whole model checked again; the model is unchanged.
    Unsupported,
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
        return Ok(Err(Error::in_text(name, &text, vec![d])));
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let byte = e.as_bytes()[at];
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let d = diagnostics::Diagnostic::error(
                crate::Code::E001,
                crate::ast::Span::new(SourceId::MODEL, at, at + 1),
                format!("the file is not UTF-8 text: byte 0x{byte:02x} here"),
            )
            .with_help("save the model as UTF-8");
            Err(Error::in_text(name, &text, vec![d]))
        }
    })
}

/// Whether `ast` declares edges or asks `identify` anywhere (loop bodies included): then the
/// data's columns type variables without mechanisms or say what is observed.
fn reads_graph(ast: &crate::ast::Program) -> bool {
    use crate::ast::StatementKind;
    let mut stack: Vec<&crate::ast::Statement> = ast.statements.iter().collect();
    while let Some(statement) = stack.pop() {
        match &statement.kind {
            StatementKind::Edges(_) | StatementKind::Identify { .. } => return true,
            StatementKind::For { body, .. } => stack.extend(body),
            _ => {}
        }
    }
    false
}

/// Every name a statement declares or mentions in an edge: the columns worth counting.
fn declared_names(ast: &crate::ast::Program) -> Vec<String> {
    use crate::ast::StatementKind as S;
    let mut names = Vec::new();
    for statement in &ast.statements {
        match &statement.kind {
            S::Variable { name, .. } | S::Decision { name, .. } => names.push(name.name.clone()),
            S::Edges(edges) => names.extend(edges.ends.iter().flatten().map(|n| n.name.clone())),
            _ => {}
        }
    }
    names.sort();
    names.dedup();
    names
}

fn starts_with_word(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        text.strip_prefix(w)
            .is_some_and(|rest| rest.starts_with(|c: char| !(c.is_alphanumeric() || c == '_')))
    })
}

/// How to answer: samples, seed, threads, method, cancellation. Unset values fall back to the
/// model's `set samples` / `set seed` / `set method` and then to the defaults (100,000 samples, seed 0, all
/// cores, [`Method::Auto`], never cancelled).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Options {
    samples: Option<u64>,
    seed: Option<u64>,
    threads: Option<usize>,
    method: Option<Method>,
    permutations: Option<u64>,
    engine: Option<Engine>,
    cancel: CancelToken,
    audience: Audience,
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

    /// The inference method to choose: [`Method::Auto`], [`Method::Is`], [`Method::Exact`] or
    /// [`Method::Smc`]
    /// (each answer's [`method`](crate::Answer::method) says which one answered).
    pub fn method(mut self, method: Method) -> Options {
        self.method = Some(method);
        self
    }

    /// Random orders of the players an `attribute` statement past 12 players averages over
    /// (at least 1), as `set permutations = K` says in a file.
    pub fn permutations(mut self, k: u64) -> Options {
        self.permutations = Some(k.max(1));
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

    /// A token that stops the calls made with these options: [`CancelToken::cancel`] from
    /// another thread makes them fail with "cancelled" at their next chunk boundary. Calls with
    /// other tokens (another model's query, say) keep running.
    pub fn cancel_token(mut self, token: CancelToken) -> Options {
        self.cancel = token;
        self
    }

    /// Messages name the command line's flags (`--method is`), as `whatif run` prints them.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub(crate) fn for_command_line(mut self) -> Options {
        self.audience = Audience::CommandLine;
        self
    }

    /// Messages name the REPL's commands (`:method is`).
    pub(crate) fn for_repl(mut self) -> Options {
        self.audience = Audience::Repl;
        self
    }

    /// Runs `f` on a thread pool of the requested size, or on the current pool.
    pub(crate) fn install<T: Send>(
        &self,
        f: impl FnOnce() -> Result<T, Error> + Send,
    ) -> Result<T, Error> {
        let Some(n) = self.threads else {
            return f();
        };
        match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => pool.install(f),
            Err(e) => Err(Error::in_text(
                "<options>",
                "",
                vec![diagnostics::Diagnostic::plain(format!(
                    "cannot start worker threads: {e}"
                ))],
            )),
        }
    }
}

/// Who reads the messages: the engines phrase hints with the command line's flags, and the
/// facade rewrites them for a library user or a REPL user.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Audience {
    #[default]
    Library,
    CommandLine,
    Repl,
}

impl Audience {
    /// `text` with each command-line flag replaced by this audience's way of saying it.
    fn rephrase(self, text: &str) -> String {
        // (flag, the library's option, the REPL's command)
        const FLAGS: [(&str, &str, &str); 5] = [
            ("--method smc", "Method::Smc", ":method smc"),
            ("--method is", "Method::Is", ":method is"),
            ("--method exact", "Method::Exact", ":method exact"),
            ("--method auto", "Method::Auto", ":method auto"),
            ("--samples", "`Options::samples`", "`:samples`"),
        ];
        let mut out = text.to_string();
        for (flag, library, repl) in FLAGS {
            let replacement = match self {
                Audience::CommandLine => return out,
                Audience::Library => library,
                Audience::Repl => repl,
            };
            out = out.replace(flag, replacement);
        }
        out
    }
}

/// A variable without a mechanism that a bandit's reward or arm depends on.
fn bandit_without_mechanism(program: &Program, b: &crate::program::Bandit) -> Option<usize> {
    let mut vars = vec![b.arm];
    b.reward.visit_vars(&mut |v| vars.push(v));
    crate::identify::estimate::without_mechanism(&program.model, &vars)
}

#[cfg(test)]
mod tests;
