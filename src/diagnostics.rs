//! Diagnostics as data, rendered in one place.
//!
//! Every stage reports problems as [`Diagnostic`] values with a stable [`Code`]; only
//! [`render`] turns them into text: `file:line:col: error[CODE]: message`, the source line, a
//! caret under the span, then secondary labels and a hint. Messages are lowercase with no
//! trailing period.
//!
//! The first line's shape is the contract of docs/language.md ("Error codes"), which no diagnostics crate
//! prints as is; the renderer is small enough to own.

use crate::ast::{SourceId, Span};
use serde::{Deserialize, Serialize};
use std::fmt::{self, Display, Formatter, Write as _};
use std::sync::Arc;

/// The stable error codes; docs/language.md ("Error codes") explains each with an example
/// that triggers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
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
    /// Data that cannot serve: a missing file, a cell of the wrong type, an empty cell.
    E013,
    /// Not identifiable, or an edge that contradicts a mechanism.
    E014,
}

impl Display for Code {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Severity {
    /// The program cannot be answered.
    Error,
    /// An answer may mislead (low effective sample size).
    Warning,
}

/// One problem found in a program, with where it is and how to fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stable code (docs/language.md, "Error codes"); `None` for problems outside the language.
    pub code: Option<Code>,
    /// What is wrong: lowercase, no trailing period.
    pub message: String,
    /// The primary location, with the text it is in; `None` for problems of the whole run
    /// (a command-line flag, a cancelled call). An engine that cannot place what it found
    /// gives [`Span::NOWHERE`], and the statement that asked is located instead.
    pub span: Option<Span>,
    /// Secondary locations with what each shows.
    pub labels: Vec<(Span, String)>,
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
            span: Some(span),
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
            span: Some(span),
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
        self.labels.push((span, text.into()));
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

/// Most diagnostics rendered at once; the rest are counted ("and 19980 more errors"), so a
/// file with thousands of mistakes gives a screenful, not gigabytes.
pub const MAX_RENDERED: usize = 20;

/// Longest source line shown whole in a snippet; a longer one is cut to a window around the
/// span, with `…` where it was cut.
const MAX_SNIPPET_CHARS: usize = 120;

/// One text that spans point into: a model's file, a question given to `Model::ask`, a REPL
/// entry.
#[derive(Clone, Debug)]
pub struct Source {
    /// How diagnostics name it: the file's name, `<model>`, `<question>`, `<repl>`.
    pub name: String,
    /// The text parsed.
    pub text: Arc<str>,
    /// Bytes at the start of `text` that whatif supplied rather than its author wrote (the
    /// `query ` before a bare `P(x)`): diagnostics show the text after them, and a span within
    /// them covers that text whole.
    pub supplied: usize,
    /// Lines of the program before this text: a statement's line (which seeds its random
    /// numbers) counts on from them, as if the text followed them in one file.
    pub lines_before: usize,
    /// Whether diagnostics count [`lines_before`](Source::lines_before) too: a REPL entry
    /// kept among the declarations is shown as part of the model; a question, or the entry
    /// being answered, is shown alone.
    pub numbered_in_program: bool,
}

impl Source {
    /// A text named `name`, all of it its author's.
    pub fn new(name: &str, text: impl Into<Arc<str>>) -> Source {
        Source {
            name: name.to_string(),
            text: text.into(),
            supplied: 0,
            lines_before: 0,
            numbered_in_program: false,
        }
    }

    /// What its author wrote: the text after the [`supplied`](Source::supplied) bytes.
    pub fn shown(&self) -> &str {
        self.text.get(self.supplied..).unwrap_or("")
    }

    /// Lines diagnostics count before this text.
    fn shown_lines_before(&self) -> usize {
        if self.numbered_in_program {
            self.lines_before
        } else {
            0
        }
    }

    /// The 1-based line and column of byte `at` of the text, as diagnostics show them.
    pub fn line_col(&self, at: usize) -> (usize, usize) {
        let (line, column) = line_col(self.shown(), at.saturating_sub(self.supplied));
        (self.shown_lines_before() + line, column)
    }

    /// The 1-based line of byte `at` in the program (what a statement's line is).
    pub fn program_line(&self, at: usize) -> usize {
        self.lines_before + line_col(&self.text, at).0
    }

    /// A span of this text as offsets into [`shown`](Source::shown): one within the supplied
    /// bytes covers the shown text whole.
    fn shown_range(&self, span: Span) -> (usize, usize) {
        let shown = self.text.len() - self.supplied.min(self.text.len());
        if span.start < self.supplied {
            (0, shown)
        } else {
            (
                span.start - self.supplied,
                (span.end - self.supplied).min(shown),
            )
        }
    }
}

/// The texts of a model and of the questions asked of it, indexed by [`SourceId`]: every
/// span names its text, so each diagnostic renders against the text it points into.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    texts: Vec<Source>,
}

impl Sources {
    /// One text, as [`SourceId::MODEL`].
    pub fn single(source: Source) -> Sources {
        Sources {
            texts: vec![source],
        }
    }

    /// Adds a text; spans into it carry the id returned.
    pub fn add(&mut self, source: Source) -> SourceId {
        self.texts.push(source);
        SourceId(u32::try_from(self.texts.len() - 1).unwrap_or(u32::MAX - 1))
    }

    /// The text with this id.
    pub fn get(&self, id: SourceId) -> Option<&Source> {
        self.texts.get(id.0 as usize)
    }

    /// The text with this id, mutably (the REPL renames an entry it keeps).
    pub fn get_mut(&mut self, id: SourceId) -> Option<&mut Source> {
        self.texts.get_mut(id.0 as usize)
    }

    /// Every text with its id, in order.
    pub fn iter(&self) -> impl Iterator<Item = (SourceId, &Source)> {
        self.texts
            .iter()
            .enumerate()
            .map(|(i, source)| (SourceId(u32::try_from(i).unwrap_or(u32::MAX - 1)), source))
    }

    /// Removes the text added last (a question answered and forgotten).
    pub fn pop(&mut self) {
        self.texts.pop();
    }

    /// The id of the text added last: what a diagnostic without a location is reported under
    /// (the question or entry being answered, or else the model).
    pub fn last(&self) -> SourceId {
        SourceId(u32::try_from(self.texts.len().saturating_sub(1)).unwrap_or(0))
    }

    /// Where `span` is: its text's name, 1-based line and column.
    pub fn locate(&self, span: Span) -> Option<(&str, usize, usize)> {
        let source = self.get(span.source)?;
        let (line, column) = source.line_col(span.start);
        Some((&source.name, line, column))
    }

    /// Renders diagnostics rustc style, each against the text its span is in, one without a
    /// location under the last text: the first [`MAX_RENDERED`], then how many more.
    pub fn render(&self, diagnostics: &[Diagnostic]) -> String {
        let empty = Source::new("<input>", "");
        let home = self.get(self.last()).unwrap_or(&empty);
        let of = |d: &Diagnostic| {
            d.span
                .and_then(|span| self.get(span.source))
                .unwrap_or(home)
        };
        let mut out = String::new();
        for d in diagnostics.iter().take(MAX_RENDERED) {
            let source = of(d);
            // Labels in another text than the primary span's are left out.
            let mut shown = Shown {
                severity: d.severity,
                code: d.code,
                message: &d.message,
                span: d
                    .span
                    .filter(|s| self.get(s.source).is_some())
                    .map(|s| source.shown_range(s)),
                labels: d
                    .labels
                    .iter()
                    .filter(|(s, _)| Some(s.source) == d.span.map(|p| p.source))
                    .map(|(s, text)| (source.shown_range(*s), text.as_str()))
                    .collect(),
                help: d.help.as_deref(),
            };
            if shown.span.is_none() {
                shown.labels.clear();
            }
            render_one(
                &mut out,
                &source.name,
                source.shown(),
                source.shown_lines_before(),
                &shown,
            );
        }
        let rest = &diagnostics[diagnostics.len().min(MAX_RENDERED)..];
        if let Some(first) = rest.first() {
            write_not_shown(&mut out, &of(first).name, rest);
        }
        out
    }
}

/// Renders diagnostics for one text (`file` named, spans into `source`; the ids in their
/// spans are not consulted), rustc style: the first [`MAX_RENDERED`], then how many more.
pub fn render(file: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let sources = Sources::single(Source::new(file, source));
    let mut placed: Vec<Diagnostic> = diagnostics.to_vec();
    for d in &mut placed {
        d.span = d.span.map(|s| Span::new(SourceId::MODEL, s.start, s.end));
        for (s, _) in &mut d.labels {
            *s = Span::new(SourceId::MODEL, s.start, s.end);
        }
    }
    sources.render(&placed)
}

/// The closing line for the diagnostics past [`MAX_RENDERED`]: how many of each severity.
fn write_not_shown(out: &mut String, file: &str, rest: &[Diagnostic]) {
    let errors = rest.iter().filter(|d| d.is_error()).count();
    let warnings = rest.len() - errors;
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(format!(
            "{errors} more error{}",
            if errors == 1 { "" } else { "s" }
        ));
    }
    if warnings > 0 {
        parts.push(format!(
            "{warnings} more warning{}",
            if warnings == 1 { "" } else { "s" }
        ));
    }
    let _ = writeln!(out, "{file}: and {} not shown", parts.join(" and "));
}

/// A diagnostic placed in the text it is shown against (offsets into that text).
struct Shown<'a> {
    severity: Severity,
    code: Option<Code>,
    message: &'a str,
    span: Option<(usize, usize)>,
    labels: Vec<((usize, usize), &'a str)>,
    help: Option<&'a str>,
}

fn render_one(out: &mut String, file: &str, source: &str, lines_before: usize, d: &Shown) {
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let code = d.code.map(|c| format!("[{c}]")).unwrap_or_default();
    match d.span {
        Some((start, end)) => {
            let (line, col) = line_col(source, start);
            let line = lines_before + line;
            let _ = writeln!(out, "{file}:{line}:{col}: {severity}{code}: {}", d.message);
            write_snippet(out, source, lines_before, start, end, "");
            for ((s, e), text) in &d.labels {
                let (l, c) = line_col(source, *s);
                let _ = writeln!(out, "  --> {file}:{}:{c}", lines_before + l);
                write_snippet(out, source, lines_before, *s, *e, text);
            }
        }
        None => {
            let _ = writeln!(out, "{file}: {severity}{code}: {}", d.message);
        }
    }
    if let Some(help) = d.help {
        let _ = writeln!(out, "  = help: {help}");
    }
}

/// The source line of `start` with carets under `start..end` (clipped to that line). A line
/// longer than [`MAX_SNIPPET_CHARS`] is cut to a window around the span.
fn write_snippet(
    out: &mut String,
    source: &str,
    lines_before: usize,
    start: usize,
    end: usize,
    label: &str,
) {
    let start = floor_char_boundary(source, start.min(source.len()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let end = floor_char_boundary(source, end.clamp(start, line_end));
    // A long line shows a window: some context before the span, the span (cut if long),
    // context after.
    let long = source[line_start..line_end]
        .chars()
        .nth(MAX_SNIPPET_CHARS)
        .is_some();
    let (shown_start, span_end, shown_end) = if long {
        let context = MAX_SNIPPET_CHARS / 4;
        let span_end = nth_char_forward(source, start, end, MAX_SNIPPET_CHARS / 2);
        (
            nth_char_back(source, line_start, start, context),
            span_end,
            nth_char_forward(source, span_end, line_end, context),
        )
    } else {
        (line_start, end, line_end)
    };
    let (before, after) = (
        if shown_start > line_start { "…" } else { "" },
        if shown_end < line_end { "…" } else { "" },
    );
    let text = format!("{before}{}{after}", &source[shown_start..shown_end]);
    let line = lines_before + line_col(source, start).0;
    let gutter = line.to_string().len();
    let pad = " ".repeat(gutter);
    let lead: String = before
        .chars()
        .chain(source[shown_start..start].chars())
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let width = source[start..span_end].chars().count().max(1);
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{line} | {text}");
    let label = if label.is_empty() {
        String::new()
    } else {
        format!(" {label}")
    };
    let _ = writeln!(out, "{pad} | {lead}{}{label}", "^".repeat(width));
}

/// The offset `n` characters before `from`, but not before `floor`.
fn nth_char_back(source: &str, floor: usize, from: usize, n: usize) -> usize {
    source[floor..from]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(floor, |(i, _)| floor + i)
        .max(floor)
}

/// The offset `n` characters after `from`, but not after `ceiling`.
fn nth_char_forward(source: &str, from: usize, ceiling: usize, n: usize) -> usize {
    source[from..ceiling]
        .char_indices()
        .nth(n)
        .map_or(ceiling, |(i, _)| from + i)
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
    let length = name.chars().count();
    let limit = (length / 3).max(1);
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != name)
        // A length difference beyond the limit is already too many edits.
        .filter(|c| c.len().abs_diff(name.len()) <= 4 * limit)
        .filter(|c| c.chars().count().abs_diff(length) <= limit)
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}
