//! What went wrong: [`Error`], the diagnostics of a failed call with the texts they point
//! into, rendered as the command line renders them.

use crate::diagnostics::{self, Code, Severity, Source, Sources};
use std::fmt::{self, Display, Formatter};

/// What went wrong: one or more diagnostics with codes and locations.
///
/// `Display` (and `Debug`, which is what `fn main() -> Result<(), whatif::Error>` prints) render
/// them as the command line does: `file:line:col: error[CODE]: message`, the line, a caret, a
/// hint. [`code`](Error::code), [`message`](Error::message), [`line`](Error::line) and
/// [`column`](Error::column) describe the first one; [`diagnostics`](Error::diagnostics) lists
/// them all.
#[derive(Clone)]
pub struct Error {
    /// The texts the diagnostics point into.
    sources: Sources,
    diagnostics: Vec<diagnostics::Diagnostic>,
    public: Vec<Diagnostic>,
}

/// One problem as the library reports it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stable code (docs/language.md, "Error codes"); `None` for problems outside the language (a
    /// file that cannot be read, a cancelled call).
    pub code: Option<Code>,
    /// What is wrong: lowercase, no trailing period.
    pub message: String,
    /// The file name, `<model>`, or `<question>` for a question given to [`Model::ask`](super::Model::ask).
    pub file: String,
    /// 1-based line in that text, where there is a location.
    pub line: Option<usize>,
    /// 1-based column (in characters), where there is a location.
    pub column: Option<usize>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Error {
    /// Diagnostics with the texts they point into.
    pub(crate) fn new(sources: &Sources, diagnostics: Vec<diagnostics::Diagnostic>) -> Error {
        let home = sources.get(sources.last()).map_or("", |s| s.name.as_str());
        let public = diagnostics
            .iter()
            .map(|d| {
                let place = d.span.and_then(|span| sources.locate(span));
                Diagnostic {
                    severity: d.severity,
                    code: d.code,
                    message: d.message.clone(),
                    file: place.map_or(home, |p| p.0).to_string(),
                    line: place.map(|p| p.1),
                    column: place.map(|p| p.2),
                    help: d.help.clone(),
                }
            })
            .collect();
        Error {
            sources: sources.clone(),
            diagnostics,
            public,
        }
    }

    /// Diagnostics in one text, named `name`.
    pub(crate) fn in_text(
        name: &str,
        text: &str,
        diagnostics: Vec<diagnostics::Diagnostic>,
    ) -> Error {
        Error::new(&Sources::single(Source::new(name, text)), diagnostics)
    }

    /// Every diagnostic, first error first.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.public
    }

    /// The first diagnostic's code (`None` for a problem outside the language).
    pub fn code(&self) -> Option<Code> {
        self.public.first().and_then(|d| d.code)
    }

    /// The first diagnostic's message.
    pub fn message(&self) -> &str {
        self.public.first().map_or("", |d| d.message.as_str())
    }

    /// The first diagnostic's 1-based line, where it has a location.
    pub fn line(&self) -> Option<usize> {
        self.public.first().and_then(|d| d.line)
    }

    /// The first diagnostic's 1-based column, where it has a location.
    pub fn column(&self) -> Option<usize> {
        self.public.first().and_then(|d| d.column)
    }

    /// The object that takes a failed statement's place in `--json` (and the REPL's `:json`):
    /// `{"kind": "error", "code", "message", "line", "query"}` (LANGUAGE.md section 10).
    pub(crate) fn json_in_place_of(&self, line: usize, query: &str) -> serde_json::Value {
        let first = self.public.first();
        serde_json::json!({
            "kind": "error",
            "code": first.and_then(|d| d.code).map(|c| c.to_string()),
            "message": first.map_or("", |d| d.message.as_str()),
            "line": line,
            "query": query,
        })
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sources.render(&self.diagnostics))
    }
}

/// The rendered diagnostics, as `Display` shows them: what `fn main() -> Result<(), Error>`
/// prints after `Error: `.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}
