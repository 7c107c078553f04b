//! The library's side of fitting (LANGUAGE.md §12): [`Data`] (a CSV file or columns in
//! memory), [`Model::fit`], and the bookkeeping that lets a fitted model answer questions
//! added later (`ask`) without refitting.

use super::{Error, Model};
use crate::diagnostics::{Code, Diagnostic};
use crate::fit::{FitError, Fitted};
use crate::results::{Body, FitSummary};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Observations to fit a model's `?` parameters to: a CSV file with a header row, or named
/// columns of cell texts in memory (parsed exactly as CSV cells are: `true`/`false`/`1`/`0`,
/// numbers, labels as written; empty or `NA` is missing).
///
/// ```
/// use whatif::{Data, Model, Options};
/// let model = Model::parse("coin ~ Bernoulli(?p)\nquery P(coin)")?;
/// let data = Data::from_columns([("coin", ["true", "false", "true", "true"])]);
/// let fitted = model.fit(&data)?;
/// assert_eq!(fitted.fit_summary().unwrap().parameters[0].value, 0.75);
/// # Ok::<(), whatif::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Data {
    source: Source,
}

#[derive(Clone, Debug)]
enum Source {
    /// The file, and its name as the user wrote it (for messages).
    Path(PathBuf, String),
    Columns(Vec<(String, Vec<String>)>),
}

impl Data {
    /// A CSV file, streamed when the model is fitted.
    pub fn from_path(path: impl AsRef<Path>) -> Data {
        let path = path.as_ref();
        Data::file(path, &path.display().to_string())
    }

    /// The CSV file at `path`, named `shown` in messages.
    fn file(path: &Path, shown: &str) -> Data {
        Data {
            source: Source::Path(path.to_path_buf(), shown.to_string()),
        }
    }

    /// Named columns of cell texts, all of the same length.
    pub fn from_columns<N, C, S>(columns: impl IntoIterator<Item = (N, C)>) -> Data
    where
        N: Into<String>,
        C: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Data {
            source: Source::Columns(
                columns
                    .into_iter()
                    .map(|(n, c)| (n.into(), c.into_iter().map(Into::into).collect()))
                    .collect(),
            ),
        }
    }
}

/// What loading a model reads: everything (the data, then the fit), the data only (a question
/// added to a fitted model whose nonparametric variables take their types from the data), or
/// nothing (a question added to a model whose fit carries over).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reading {
    Everything,
    DataOnly,
    Nothing,
}

/// A model's fit: the model with its `?`s (for refits and for writing the fitted model), the
/// estimates, the data they came from, and the bootstrap refits once asked for.
#[derive(Debug)]
pub(crate) struct FitState {
    /// The checked model before fitting, `?`s and all.
    pub template: crate::scm::Model,
    /// The estimates.
    pub fitted: Fitted,
    /// The rows the model was fitted to (read again by [`Model::bootstrap`]).
    pub data: Data,
    /// Each bootstrap refit's estimates ([`Model::bootstrap`]); empty until then.
    pub refits: Vec<Vec<f64>>,
    /// Resamples that could not be refitted (a table cell left without rows, say).
    pub failed_refits: usize,
}

/// E013 for a fit that failed, at the parameter concerned or else at `fallback`.
pub(crate) fn fit_diagnostic(e: FitError, fallback: crate::ast::Span) -> Diagnostic {
    let mut d = Diagnostic::error(Code::E013, e.span.unwrap_or(fallback), e.message);
    if let Some(help) = e.help {
        d = d.with_help(help);
    }
    d
}

/// Calls `f` with the rows of `data`, bound to `model`'s variables.
fn with_rows<T>(
    model: &crate::scm::Model,
    data: &Data,
    f: impl FnOnce(&dyn crate::fit::rows::Rows) -> Result<T, FitError>,
) -> Result<T, FitError> {
    match &data.source {
        Source::Path(path, shown) => f(&crate::data::rows::CsvRows::open(path, shown, model)?),
        Source::Columns(columns) => f(&crate::fit::rows::Table::from_text(model, columns)?),
    }
}

impl Model {
    /// This model with its `?` parameters fitted to `data` by maximum likelihood (replacing
    /// any earlier fit): the returned model answers with the estimates, and
    /// [`fit_summary`](Model::fit_summary) tells what was fitted. A model without `?`s is
    /// returned as it is.
    pub fn fit(&self, data: &Data) -> Result<Model, Error> {
        let template = match &self.fit {
            Some(state) => state.template.clone(),
            None => self.program.model.clone(),
        };
        if !template.has_parameters() {
            return Ok(self.clone());
        }
        let prior = self.program.prior.unwrap_or(0.0);
        let fitted = with_rows(&template, data, |rows| {
            crate::fit::fit(&template, prior, rows)
        })
        .map_err(|e| self.fit_failure(e, template.parameters[0].span))?;
        let mut out = self.clone();
        out.program.model = fitted.model(&template);
        out.fit = Some(Arc::new(FitState {
            template,
            fitted,
            data: data.clone(),
            refits: Vec::new(),
            failed_refits: 0,
        }));
        Ok(out)
    }

    /// This model fitted to the CSV file at `path` (`shown` as the user named it); a failure
    /// without a place of its own is reported at `fallback` (the `data` statement).
    pub(crate) fn fit_file(
        self,
        path: &Path,
        shown: &str,
        fallback: crate::ast::Span,
    ) -> Result<Model, Error> {
        let template = self.program.model.clone();
        let prior = self.program.prior.unwrap_or(0.0);
        let data = Data::file(path, shown);
        let fitted = with_rows(&template, &data, |rows| {
            crate::fit::fit(&template, prior, rows)
        })
        .map_err(|e| self.fit_failure(e, fallback))?;
        let mut out = self;
        out.program.model = fitted.model(&template);
        out.fit = Some(Arc::new(FitState {
            template,
            fitted,
            data,
            refits: Vec::new(),
            failed_refits: 0,
        }));
        Ok(out)
    }

    /// This fitted model with its parameters also refitted on `replicates` bootstrap resamples
    /// of its data (the Poisson bootstrap, seeded by `seed` alone, whatever the thread
    /// count): every answer it gives then carries
    /// [`bootstrap`](crate::Answer::bootstrap), the answer's spread across the refits
    /// (`--bootstrap B`, LANGUAGE.md §12). A model without a fit is returned as it is.
    pub fn bootstrap(&self, replicates: usize, seed: u64) -> Result<Model, Error> {
        let Some(state) = &self.fit else {
            return Ok(self.clone());
        };
        if replicates > self.config.max_bootstrap {
            let message = format!(
                "{replicates} bootstrap refits is more than the limit of {}",
                self.config.max_bootstrap
            );
            let d = Diagnostic::plain(message);
            return Err(Error::new(&self.sources, vec![d]));
        }
        let prior = self.program.prior.unwrap_or(0.0);
        let template = &state.template;
        let (refits, failed_refits) = with_rows(template, &state.data, |rows| {
            crate::fit::bootstrap(template, prior, rows, replicates, seed)
        })
        .map_err(|e| {
            let first = template.parameters.first();
            self.fit_failure(e, first.map_or_else(Default::default, |p| p.span))
        })?;
        let mut out = self.clone();
        out.fit = Some(Arc::new(FitState {
            template: template.clone(),
            fitted: state.fitted.clone(),
            data: state.data.clone(),
            refits,
            failed_refits,
        }));
        Ok(out)
    }

    /// `answer` with its spread across the bootstrap refits, when there are any: statement
    /// `index` answered again by the model refitted on each resample, with the same options
    /// (the same seed, so the spread is the parameters' and not the sampler's).
    pub(crate) fn with_refits(
        &self,
        mut answer: crate::Answer,
        index: usize,
        options: &super::Options,
    ) -> crate::Answer {
        let Some(state) = self.fit.as_ref().filter(|s| !s.refits.is_empty()) else {
            return answer;
        };
        if matches!(
            answer.body,
            Body::Bandit(_) | Body::Identification(_) | Body::Attribution(_) | Body::Marginals(_)
        ) {
            return answer;
        }
        let mut answers = Vec::with_capacity(state.refits.len());
        let mut unanswered = 0;
        for values in &state.refits {
            let mut refitted = self.clone();
            refitted.program.model = state.template.with_estimates(values);
            refitted.fit = None;
            match refitted.answer_statement(index, options) {
                Ok(a) => answers.push(a.body),
                Err(_) => unanswered += 1,
            }
        }
        let left_out = state.failed_refits + unanswered;
        if left_out > 0 {
            answer.warnings.push(format!(
                "{left_out} of {} bootstrap refits could not be fitted or answered and were left out of param_sd",
                state.refits.len() + state.failed_refits
            ));
        }
        answer.bootstrap = Some(crate::fit::spread::spread(&answer.body, &answers));
        answer
    }

    /// E013 for a failed fit, at the parameter concerned, else at `fallback`.
    fn fit_failure(&self, e: FitError, fallback: crate::ast::Span) -> Error {
        Error::new(&self.sources, vec![fit_diagnostic(e, fallback)])
    }

    /// What the fit did (rows, estimates, standard errors), for a fitted model.
    pub fn fit_summary(&self) -> Option<&FitSummary> {
        self.fit.as_ref().map(|f| &f.fitted.summary)
    }

    /// The model's text with every `?` replaced by its estimate (what `whatif fit` writes), for
    /// a fitted model.
    pub fn fitted_source(&self) -> Option<String> {
        let state = self.fit.as_ref()?;
        let ast = crate::syntax::parse(self.source(), &self.config).ok()?;
        Some(crate::fit::write::fitted_source(
            self.source(),
            &ast,
            &state.template,
            &state.fitted,
        ))
    }

    /// Whether the model's nonparametric variables take their types from the data.
    pub(crate) fn reads_data_types(&self) -> bool {
        self.program
            .model
            .vars
            .iter()
            .any(|v| matches!(v.kind, crate::scm::VarKind::Nonparametric))
    }

    /// Carries this model's fit over to `extended` (the same model with a question added).
    pub(crate) fn carry_fit(&self, mut extended: Model) -> Model {
        if let Some(state) = &self.fit {
            extended.program.model = state.fitted.model(&extended.program.model);
            extended.fit = Some(state.clone());
        }
        if extended.data.is_none() {
            extended.data = self.data.clone();
        }
        extended
    }
}
