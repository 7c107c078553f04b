//! Diagnostics as data, rendered in one place.
//!
//! Every stage reports problems as [`Diagnostic`] values with a stable [`Code`]; only
//! [`render`] turns them into text: `file:line:col: error[CODE]: message`, the source line, a
//! caret under the span, then secondary labels and a hint. Messages are lowercase with no
//! trailing period.
//!
//! The first line's shape is the contract of docs/language.md ("Error codes"), which no diagnostics crate
//! prints as is; the renderer is small enough to own.

use crate::ast::Span;
use serde::{Deserialize, Serialize};
use std::fmt::{self, Display, Formatter, Write as _};

/// The stable error codes; docs/language.md ("Error codes") explains each with an example
/// that triggers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Code {
    /// Syntax: `y ~ Normal(x, * 1)`.
    E001,
    /// Unknown name: `P(rian)`.
    E002,
    /// Duplicate declaration: `x ~ Normal(0, 1)` twice.
    E003,
    /// Cycle: `a := b` with `b := a`.
    E004,
    /// Type mismatch: `Bernoulli("yes")`.
    E005,
    /// A parameter out of range, or a NaN/infinity, at run time: `Bernoulli(1.3)`.
    E006,
    /// Evidence that no sample satisfies: `P(x | x, not x)`.
    E007,
    /// Invalid intervention: `do(u = 1)` with `u` exogenous.
    E008,
    /// Invalid decision: a context that the decision influences.
    E009,
    /// The method cannot answer: `--method exact` on a real variable.
    E010,
    /// Zero-measure evidence: `y = 1` with `y := 2 * x` real.
    E011,
    /// A decision variable a query leaves unset.
    E012,
}

impl Display for Code {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    /// The program cannot be answered.
    Error,
    /// An answer may mislead (low effective sample size).
    Warning,
}

/// One problem found in a program, with where it is and how to fix it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stable code (docs/language.md, "Error codes"); `None` for problems outside the language.
    pub code: Option<Code>,
    /// What is wrong: lowercase, no trailing period.
    pub message: String,
    /// The primary location; `None` for problems of the whole run (a command-line flag).
    pub span: Option<(usize, usize)>,
    /// Secondary locations with what each shows.
    pub labels: Vec<((usize, usize), String)>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with a code at a span.
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code: Some(code),
            message: message.into(),
            span: Some((span.start, span.end)),
            labels: Vec::new(),
            help: None,
        }
    }

    /// An error of the whole run, with no code or location: a file that cannot be read.
    pub fn plain(message: String) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code: None,
            message,
            span: None,
            labels: Vec::new(),
            help: None,
        }
    }

    /// A warning at a span.
    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            code: None,
            message: message.into(),
            span: Some((span.start, span.end)),
            labels: Vec::new(),
            help: None,
        }
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary location.
    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(((span.start, span.end), text.into()));
        self
    }

    /// Whether this stops the program.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(source: &str, mut offset: usize) -> usize {
    while offset > 0 && !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Renders diagnostics for a file, rustc style.
pub fn render(file: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        render_one(&mut out, file, source, diagnostic);
    }
    out
}

fn render_one(out: &mut String, file: &str, source: &str, d: &Diagnostic) {
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let code = d.code.map(|c| format!("[{c}]")).unwrap_or_default();
    match d.span {
        Some((start, end)) => {
            let (line, col) = line_col(source, start);
            let _ = writeln!(out, "{file}:{line}:{col}: {severity}{code}: {}", d.message);
            write_snippet(out, source, start, end, "");
            for ((s, e), text) in &d.labels {
                let (l, c) = line_col(source, *s);
                let _ = writeln!(out, "  --> {file}:{l}:{c}");
                write_snippet(out, source, *s, *e, text);
            }
        }
        None => {
            let _ = writeln!(out, "{file}: {severity}{code}: {}", d.message);
        }
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "  = help: {help}");
    }
}

/// The source line of `start` with carets under `start..end` (clipped to that line).
fn write_snippet(out: &mut String, source: &str, start: usize, end: usize, label: &str) {
    let start = floor_char_boundary(source, start.min(source.len()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let text = &source[line_start..line_end];
    let (line, _) = line_col(source, start);
    let gutter = line.to_string().len();
    let pad = " ".repeat(gutter);
    let lead: String = source[line_start..start]
        .chars()
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let end = floor_char_boundary(source, end.clamp(start, line_end));
    let width = source[start..end].chars().count().max(1);
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{line} | {text}");
    let label = if label.is_empty() {
        String::new()
    } else {
        format!(" {label}")
    };
    let _ = writeln!(out, "{pad} | {lead}{}{label}", "^".repeat(width));
}

/// Edit distance with adjacent transpositions (optimal string alignment), for "did you mean":
/// `rian` is one edit from `rain`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for j in 0..=b.len() {
        d[0][j] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// The closest of `candidates` to `name`, if close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (edit_distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}
