//! The library's side of fitting (LANGUAGE.md §12): [`Data`] (a CSV file or columns in
//! memory), [`Model::fit`], and the bookkeeping that lets a fitted model answer questions
//! added later (`ask`) without refitting.

use super::{Error, Model};
use crate::diagnostics::{Code, Diagnostic};
use crate::fit::{FitError, Fitted};
use crate::results::FitSummary;
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
    Path(PathBuf),
    Columns(Vec<(String, Vec<String>)>),
}

impl Data {
    /// A CSV file, streamed when the model is fitted.
    pub fn from_path(path: impl AsRef<Path>) -> Data {
        Data {
            source: Source::Path(path.as_ref().to_path_buf()),
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

/// A model's fit: the model with its `?`s (for refits and for writing the fitted model) and
/// the estimates.
#[derive(Debug)]
pub(crate) struct FitState {
    /// The checked model before fitting, `?`s and all.
    pub template: crate::scm::Model,
    /// The estimates.
    pub fitted: Fitted,
}

/// E013 for a fit that failed, at the parameter concerned or else at `fallback`.
pub(crate) fn fit_diagnostic(e: FitError, fallback: crate::ast::Span) -> Diagnostic {
    let mut d = Diagnostic::error(Code::E013, e.span.unwrap_or(fallback), e.message);
    if let Some(help) = e.help {
        d = d.with_help(help);
    }
    d
}

/// Fits `model`'s parameters to the rows of `data`.
pub(crate) fn fit_program(
    model: &crate::scm::Model,
    prior: f64,
    data: &Data,
) -> Result<Fitted, FitError> {
    match &data.source {
        Source::Path(path) => {
            let shown = path.display().to_string();
            let rows = crate::data::rows::CsvRows::open(path, &shown, model)?;
            crate::fit::fit(model, prior, &rows)
        }
        Source::Columns(columns) => {
            let rows = crate::fit::rows::Table::from_text(model, columns)?;
            crate::fit::fit(model, prior, &rows)
        }
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
        let fitted = fit_program(&template, prior, data).map_err(|e| {
            let first = template.parameters[0].span;
            Error::new(
                &self.name,
                self.source.clone(),
                vec![fit_diagnostic(e, first)],
            )
        })?;
        let mut out = self.clone();
        out.program.model = fitted.model(&template);
        out.fit = Some(Arc::new(FitState { template, fitted }));
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
        let rows = crate::data::rows::CsvRows::open(path, shown, &template)
            .and_then(|rows| crate::fit::fit(&template, prior, &rows))
            .map_err(|e| {
                Error::new(
                    &self.name,
                    self.source.clone(),
                    vec![fit_diagnostic(e, fallback)],
                )
            })?;
        let mut out = self;
        out.program.model = rows.model(&template);
        out.fit = Some(Arc::new(FitState {
            template,
            fitted: rows,
        }));
        Ok(out)
    }

    /// What the fit did (rows, estimates, standard errors), for a fitted model.
    pub fn fit_summary(&self) -> Option<&FitSummary> {
        self.fit.as_ref().map(|f| &f.fitted.summary)
    }

    /// The model's text with every `?` replaced by its estimate (what `whatif fit` writes), for
    /// a fitted model.
    pub fn fitted_source(&self) -> Option<String> {
        let state = self.fit.as_ref()?;
        let ast = crate::syntax::parse(&self.source, &self.config).ok()?;
        Some(crate::fit::write::fitted_source(
            &self.source,
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
