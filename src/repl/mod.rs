//! The REPL: a [`Session`] that takes lines and returns text, and a rustyline frontend.
//!
//! The session keeps the model as the list of declarations typed so far (each with the names
//! it declares) and their checked model. An entry that only adds (new names, questions) is
//! checked alone against the checked model, which grows in place (`check/extend.rs`), so an
//! entry costs work in proportion to the entry, not to the model. Any other entry (one that
//! redeclares a name, edges, `data`, families) is checked together with the declarations it
//! does not replace. If checking fails, its diagnostics are shown and the model stays as it
//! was. Questions in an entry are answered at once. Whether an entry is complete is judged by
//! the parser: a syntax error at the very end of the input means "keep reading".
//!
//! **Invariant:** the session does no terminal I/O; only `frontend` touches the terminal, and
//! only `:load`/`:reload` read files.

#[cfg(feature = "cli")]
pub(crate) mod frontend;
#[cfg(test)]
mod tests;

use crate::ast::StatementKind;
use crate::cancel::CancelToken;
use crate::config::Config;
use crate::diagnostics::{Source, Sources, render};
use crate::facade::{Error, Extended, Method, Model, Options};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

/// What the session says after a line.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reply {
    /// Text to show (possibly empty); the session waits for the next entry.
    Output(String),
    /// The entry is incomplete; the session waits for its next line.
    More,
    /// The user asked to leave.
    Quit,
}

/// One declaration entry: its text and the names it declares.
#[derive(Clone, Debug)]
struct Declaration {
    names: Vec<String>,
    text: String,
}

/// An interactive session: the model typed so far, the settings, a pending multi-line entry.
///
/// ```
/// use whatif::repl::{Reply, Session};
///
/// let mut session = Session::new();
/// session.feed("rain ~ Bernoulli(0.2)");
/// session.feed("wet := rain");
/// let Reply::Output(text) = session.feed("P(rain | wet)") else { unreachable!() };
/// assert!(text.contains("= 1"));
/// ```
pub struct Session {
    declarations: Vec<Declaration>,
    model: Model,
    /// Lines of the declarations (each text and its newline) before the next entry: a
    /// question's line, which seeds its random numbers, counts on from it.
    lines: usize,
    work: Work,
    samples: Option<u64>,
    seed: u64,
    /// The last `set permutations` typed (or loaded): entries that follow keep it, as the
    /// statements after it in a file do.
    permutations: Option<u64>,
    /// `:method` or the model's `set method`; `auto` when neither said.
    method: Option<Method>,
    json: bool,
    timing: bool,
    pending: String,
    file: Option<PathBuf>,
    /// `:data FILE`: the data every entry is checked and answered with (replacing a `data`
    /// statement's file), read relative to the working directory.
    data: Option<PathBuf>,
    /// The data file's counts, kept while the file is unchanged: the model is checked again
    /// on entries that redeclare, and the file is not read again for each.
    counts: std::sync::Arc<std::sync::Mutex<crate::data::CountCache>>,
    cancel: CancelToken,
}

/// What a session has parsed and checked so far: an entry should cost work in proportion to
/// the entry (a test counts it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Work {
    /// Bytes of text parsed and checked, entries and whole models.
    pub(crate) bytes_checked: usize,
    /// Whole models checked again (an entry that does not only add, `:load`, `:data`).
    pub(crate) whole_checks: usize,
}

impl Default for Session {
    fn default() -> Session {
        Session::new()
    }
}

/// The REPL's commands with a line of help each.
pub const COMMANDS: &[(&str, &str)] = &[
    (":help", "this list"),
    (
        ":load FILE",
        "replace the model with the declarations of FILE",
    ),
    (
        ":reload",
        "load the last file again (drops what was typed since)",
    ),
    (":vars", "the declarations; each family's members counted"),
    (":graph", "the causal graph as Graphviz DOT"),
    (
        ":data FILE",
        "read data from a CSV (identification and estimation; `:data` alone: which file)",
    ),
    (":samples N", "samples per query"),
    (":seed N", "the random seed"),
    (":method is|exact|smc|auto", "the inference method"),
    (":json on|off", "answers as JSON"),
    (":clear", "forget the model"),
    (":quit", "leave (Ctrl-D does too)"),
];

impl Session {
    /// An empty session: no variables, seed 0, 100,000 samples, method auto.
    pub fn new() -> Session {
        Session {
            declarations: Vec::new(),
            model: empty_model(),
            lines: 0,
            work: Work::default(),
            samples: None,
            seed: crate::facade::DEFAULT_SEED,
            permutations: None,
            method: None,
            json: false,
            timing: false,
            pending: String::new(),
            file: None,
            data: None,
            counts: Default::default(),
            cancel: CancelToken::new(),
        }
    }

    /// Whether answers show how long they took (off by default, so transcripts are stable).
    pub fn show_timing(&mut self, on: bool) {
        self.timing = on;
    }

    /// The prompt for the next line: the number of variables, or a continuation marker.
    pub fn prompt(&self) -> String {
        if self.pending.is_empty() {
            format!("whatif[{}]> ", self.model.variables().count())
        } else {
            "      ...> ".to_string()
        }
    }

    /// The variables of the model, in declaration order.
    pub fn variables(&self) -> Vec<String> {
        self.model.variables().map(str::to_string).collect()
    }

    /// The token that stops the running question (the frontend's Ctrl-C handler holds a
    /// clone); the session clears it before each question.
    pub fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Drops a pending incomplete entry (Ctrl-C at a continuation prompt).
    pub fn discard_pending(&mut self) {
        self.pending.clear();
    }

    /// Takes one line of input.
    pub fn feed(&mut self, line: &str) -> Reply {
        if self.pending.is_empty() {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                return Reply::Output(String::new());
            }
            if trimmed.starts_with(':') {
                return self.command(trimmed);
            }
            self.pending.push_str(line);
        } else {
            if line.trim().is_empty() {
                // An empty line ends an entry that is still incomplete, to show why.
                let entry = std::mem::take(&mut self.pending);
                return Reply::Output(self.entry(&entry));
            }
            self.pending.push('\n');
            self.pending.push_str(line);
        }
        if crate::syntax::needs_more_input(&as_statement(&self.pending)) {
            return Reply::More;
        }
        let entry = std::mem::take(&mut self.pending);
        Reply::Output(self.entry(&entry))
    }

    /// Completions for the word being typed: commands, keywords, distributions, variables.
    pub fn completions(&self, word: &str) -> Vec<String> {
        complete_word(word, &self.variables())
    }

    fn command(&mut self, line: &str) -> Reply {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or("");
        let argument = words.next();
        let extra = words.next();
        let usage = |text: &str| Reply::Output(format!("error: {text}\n"));
        if extra.is_some() {
            return usage(&format!("`{name}` takes at most one argument"));
        }
        match (name, argument) {
            (":help" | ":h", None) => Reply::Output(help()),
            (":quit" | ":q" | ":exit", None) => Reply::Quit,
            (":vars", None) => Reply::Output(self.vars()),
            (":graph", None) => Reply::Output(self.model.graph()),
            (":clear", None) => {
                self.declarations.clear();
                self.model = empty_model();
                self.lines = 0;
                Reply::Output("the model is empty\n".to_string())
            }
            (":samples", Some(n)) => match n.replace('_', "").parse::<u64>() {
                Ok(n) if n >= 1 => {
                    self.samples = Some(n);
                    Reply::Output(format!("samples = {n}\n"))
                }
                _ => usage("`:samples` takes a whole number of at least 1"),
            },
            (":seed", Some(n)) => match n.parse::<u64>() {
                Ok(n) => {
                    self.seed = n;
                    Reply::Output(format!("seed = {n}\n"))
                }
                _ => usage("`:seed` takes a whole number"),
            },
            (":method", Some(m)) => {
                self.method = Some(match m {
                    "is" => Method::Is,
                    "exact" => Method::Exact,
                    "smc" => Method::Smc,
                    "auto" => Method::Auto,
                    _ => return usage("`:method` takes `is`, `exact`, `smc` or `auto`"),
                });
                Reply::Output(format!("method = {m}\n"))
            }
            (":json", Some(v)) => {
                self.json = match v {
                    "on" => true,
                    "off" => false,
                    _ => return usage("`:json` takes `on` or `off`"),
                };
                Reply::Output(format!("json = {v}\n"))
            }
            (":load", Some(path)) => Reply::Output(self.load(PathBuf::from(path))),
            (":data", Some(path)) => Reply::Output(self.use_data(PathBuf::from(path))),
            (":data", None) => Reply::Output(match &self.data {
                Some(path) => format!("data = {}\n", path.display()),
                None => "no `:data` file; a `data \"FILE\"` statement in the model is read if there is one\n".to_string(),
            }),
            (":reload", None) => match self.file.clone() {
                Some(path) => Reply::Output(self.load(path)),
                None => usage("no file loaded yet; use `:load FILE`"),
            },
            (":samples" | ":seed" | ":method" | ":json" | ":load", None) => {
                usage(&format!("`{name}` needs an argument; see `:help`"))
            }
            _ => {
                let known: Vec<&str> = COMMANDS
                    .iter()
                    .map(|(c, _)| c.split(' ').next().unwrap_or(c))
                    .collect();
                match crate::diagnostics::suggest(name, known.iter().copied()) {
                    Some(s) => usage(&format!("unknown command `{name}`; did you mean `{s}`?")),
                    None => usage(&format!("unknown command `{name}`; `:help` lists them")),
                }
            }
        }
    }

    /// A model from `text`: its `data "FILE"` read relative to `base`, or the `:data` file.
    fn build(
        &mut self,
        name: &str,
        text: &str,
        base: Option<&std::path::Path>,
    ) -> Result<Model, Error> {
        self.work.bytes_checked += text.len();
        self.work.whole_checks += 1;
        Model::load_cached(
            name,
            text,
            &Config::default(),
            base,
            self.data.as_deref(),
            &self.counts,
        )
    }

    /// The model of the declarations typed before `entry` (`declarations`, named `<model>`)
    /// and the entry (`<repl>`), each text its own: diagnostics point into the one they are
    /// about.
    fn build_with_entry(
        &mut self,
        declarations: String,
        entry: &str,
        base: Option<&std::path::Path>,
    ) -> Result<Model, Error> {
        self.work.bytes_checked += declarations.len() + entry.len();
        self.work.whole_checks += 1;
        Model::load_sources(
            self.with_entry(declarations, entry),
            &Config::default(),
            base,
            self.data.as_deref(),
            &self.counts,
        )
    }

    /// The texts `declarations` (`<model>`) and `entry` (`<repl>`, its lines counted after
    /// the declarations', so a question seeds as it would in one file).
    fn with_entry(&self, declarations: String, entry: &str) -> Sources {
        let lines_before = declarations.matches('\n').count();
        let mut sources = Sources::single(Source::new("<model>", declarations));
        sources.add(Source {
            lines_before,
            ..Source::new("<repl>", entry)
        });
        sources
    }

    /// The declarations' text, each on a line of its own: what the model is built from.
    fn declarations_text(&self) -> String {
        self.declarations
            .iter()
            .map(|d| format!("{}\n", d.text))
            .collect()
    }

    /// Builds the model from the declarations (in their kept order, so `:vars`, the graph and
    /// the model agree), the text its spans point into with it.
    fn rebuild(&mut self) -> Result<(), Error> {
        let text = self.declarations_text();
        let base = self.base().map(std::path::Path::to_path_buf);
        self.model = self.build("<model>", &text, base.as_deref())?;
        self.lines = text.matches('\n').count();
        Ok(())
    }

    /// Where a `data "FILE"` statement is read from: the loaded file's directory.
    fn base(&self) -> Option<&std::path::Path> {
        self.file.as_deref().and_then(std::path::Path::parent)
    }

    /// `:data FILE`: checks the model against the file, then keeps it for every entry.
    fn use_data(&mut self, path: PathBuf) -> String {
        let previous = self.data.replace(path.clone());
        match self.rebuild() {
            Ok(()) => match self.model.data_summary() {
                Some(summary) => format!("data = {}: {summary}\n", path.display()),
                None => format!("data = {}\n", path.display()),
            },
            Err(e) => {
                self.data = previous;
                let mut text = e.to_string();
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                text
            }
        }
    }

    /// Replaces the model with the declarations of a file (its questions are not run).
    pub fn load(&mut self, path: PathBuf) -> String {
        let name = path.display().to_string();
        let source = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) => return format!("error: cannot read {name}: {e}\n"),
        };
        let model = match self.build(&name, &source, path.parent()) {
            Ok(model) => model,
            Err(e) => return e.to_string(),
        };
        let Ok(ast) = crate::syntax::parse(&source, &Config::default()) else {
            return "error: this is a bug in whatif: a checked file did not parse\n".to_string();
        };
        self.declarations = ast
            .statements
            .iter()
            .filter_map(|s| {
                declared_names(&s.kind).map(|names| Declaration {
                    names,
                    text: source[s.span.start..s.span.end].to_string(),
                })
            })
            .collect();
        if let Some(n) = model.program().samples {
            self.samples = Some(n);
        }
        if let Some(m) = model.program().method {
            self.method = Some(m);
        }
        if let Some(s) = model.program().seed {
            self.seed = s;
        }
        if let Some(k) = model.program().permutations {
            self.permutations = Some(k);
        }
        self.file = Some(path);
        let questions: Vec<String> = model.questions().map(str::to_string).collect();
        let mut out = format!("loaded {name}: {} variables", model.variables().count());
        self.model = model;
        // The model later entries extend is the declarations' own, its spans in their text.
        if self.rebuild().is_err() {
            return "error: this is a bug in whatif: a checked file's declarations did not check\n"
                .to_string();
        }
        if questions.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(
                out,
                "; its {} (not run; type one to ask it):",
                if questions.len() == 1 {
                    "question"
                } else {
                    "questions"
                }
            );
            for q in questions {
                let _ = writeln!(out, "  {}", q.replace('\n', "\n  "));
            }
        }
        out
    }

    /// Each declaration as typed.
    fn vars(&self) -> String {
        if self.declarations.is_empty() {
            return "no variables yet\n".to_string();
        }
        let families = FamilySummary::of(&self.model);
        let mut out = String::new();
        for d in &self.declarations {
            out.push_str(d.text.trim());
            out.push('\n');
            // A `for` block declares families (`coin[..]`): say what it unrolled into.
            for name in &d.names {
                if let Some(family) = name.strip_suffix("[..]") {
                    if let Some(summary) = families.get(family) {
                        let _ = writeln!(out, "  # {summary}");
                    }
                }
            }
        }
        out
    }

    /// Checks an entry against the model; keeps its declarations and answers its questions.
    fn entry(&mut self, entry: &str) -> String {
        let entry = &as_statement(entry);
        self.work.bytes_checked += entry.len();
        let ast = match crate::syntax::parse(entry, &Config::default()) {
            Ok(ast) => ast,
            Err(diagnostics) => return render("<repl>", entry, &diagnostics),
        };
        let mut new_declarations = Vec::new();
        for statement in &ast.statements {
            if let Some(names) = declared_names(&statement.kind) {
                new_declarations.push(Declaration {
                    names,
                    text: entry[statement.span.start..statement.span.end].to_string(),
                });
            }
        }
        // A redeclared name keeps its place in the model: the new text takes the slot of the
        // first declaration it replaces; the other replaced declarations are dropped.
        let replaced: Vec<String> = self
            .declarations
            .iter()
            .flat_map(|d| d.names.iter())
            .filter(|n| new_declarations.iter().any(|d| d.names.contains(n)))
            .cloned()
            .collect();
        if replaced.is_empty() {
            if let Some(out) = self.extend(entry, new_declarations.clone()) {
                return out;
            }
        }
        if new_declarations.is_empty() {
            return self.ask(entry);
        }
        let mut kept: Vec<Declaration> = Vec::new();
        let mut placed = vec![false; new_declarations.len()];
        for d in &self.declarations {
            let replacing: Vec<usize> = (0..new_declarations.len())
                .filter(|&i| {
                    d.names
                        .iter()
                        .any(|n| new_declarations[i].names.contains(n))
                })
                .collect();
            if replacing.is_empty() {
                kept.push(d.clone());
            }
            for i in replacing {
                if !placed[i] {
                    placed[i] = true;
                    kept.push(new_declarations[i].clone());
                }
            }
        }
        let fresh: Vec<Declaration> = new_declarations
            .iter()
            .zip(&placed)
            .filter(|(_, placed)| !**placed)
            .map(|(d, _)| d.clone())
            .collect();
        let old: Vec<Declaration> = kept
            .iter()
            .filter(|d| {
                !new_declarations
                    .iter()
                    .any(|n| n.names == d.names && n.text == d.text)
            })
            .cloned()
            .collect();
        let declarations: String = old.iter().map(|d| format!("{}\n", d.text)).collect();
        let base = self.base().map(std::path::Path::to_path_buf);
        let candidate = match self.build_with_entry(declarations, entry, base.as_deref()) {
            Ok(model) => model,
            Err(e) => return e.to_string(),
        };
        let mut out = String::new();
        if !new_declarations.is_empty() {
            for name in replaced.iter().filter(|n| *n != PRIOR) {
                let _ = writeln!(out, "replaced `{name}`");
            }
            kept.extend(fresh);
            self.declarations = kept;
        }
        self.take_settings(SetValues::of(candidate.program()), &mut out);
        echo_prior(&new_declarations, &candidate, &mut out);
        self.answer(&candidate, &mut out);
        // The model of the declarations in their kept order; they were just checked together,
        // so this cannot fail.
        if !new_declarations.is_empty() && self.rebuild().is_err() {
            self.model = candidate;
        }
        out
    }

    /// An entry that only adds (new names, questions): checked alone against the model, which
    /// grows in place (`check/extend.rs`). `None` when it needs the whole model checked.
    fn extend(&mut self, entry: &str, new_declarations: Vec<Declaration>) -> Option<String> {
        if self.data.is_some() {
            return None;
        }
        let mut sources = self.model.sources().clone();
        sources.add(Source {
            lines_before: self.lines,
            ..Source::new("<repl>", entry)
        });
        let labels = match self.model.extend(sources) {
            Extended::Checked { labels } => labels,
            Extended::Failed(e) => return Some(e.to_string()),
            Extended::Unsupported => return None,
        };
        self.work.bytes_checked += entry.len();
        let mut out = String::new();
        self.take_settings(SetValues::of(self.model.program()), &mut out);
        echo_prior(&new_declarations, &self.model, &mut out);
        self.answer(&self.model, &mut out);
        self.model.keep_declarations(labels);
        // The entry's declarations stay in the model: from now on they are shown as its.
        self.model
            .settle_last_source((!new_declarations.is_empty()).then_some("<model>"));
        for d in new_declarations {
            self.lines += d.text.matches('\n').count() + 1;
            self.declarations.push(d);
        }
        Some(out)
    }

    /// An entry of questions and settings only that the model cannot take in place (it has
    /// data, families or `?`s): the model checked again with the entry, its data and fit
    /// carried over — the data file is neither read nor fitted again.
    fn ask(&mut self, entry: &str) -> String {
        let declarations = self.declarations_text();
        self.work.bytes_checked += declarations.len() + entry.len();
        self.work.whole_checks += 1;
        let sources = self.with_entry(declarations, entry);
        let candidate = match self.model.with_questions(sources) {
            Ok(model) => model,
            Err(e) => return e.to_string(),
        };
        let mut out = String::new();
        self.take_settings(SetValues::of(candidate.program()), &mut out);
        self.answer(&candidate, &mut out);
        out
    }

    /// Takes an entry's `set` values: they hold for the entries that follow.
    fn take_settings(&mut self, set: SetValues, out: &mut String) {
        if let Some(n) = set.samples {
            self.samples = Some(n);
            let _ = writeln!(out, "samples = {n}");
        }
        if let Some(m) = set.method {
            self.method = Some(m);
        }
        if let Some(s) = set.seed {
            self.seed = s;
            let _ = writeln!(out, "seed = {s}");
        }
        if let Some(k) = set.permutations {
            self.permutations = Some(k);
            let _ = writeln!(out, "permutations = {k}");
        }
    }

    /// Answers `model`'s questions (the entry's), each error rendered against the text it
    /// points into.
    fn answer(&self, model: &Model, out: &mut String) {
        let options = self.options();
        for index in 0..model.program().statements.len() {
            self.cancel.reset();
            let started = Instant::now();
            match model.answer_statement(index, &options) {
                Ok(answer) => {
                    // The report shows the answer's warnings (and the JSON holds them).
                    if self.json {
                        let json = serde_json::to_string_pretty(&answer).unwrap_or_default();
                        let _ = writeln!(out, "{json}");
                    } else {
                        let seconds = self.timing.then(|| started.elapsed().as_secs_f64());
                        out.push_str(&crate::report::render(&answer, seconds));
                    }
                }
                Err(e) if self.json => {
                    // In place of the answer, as `whatif run --json` does; the line is the
                    // entry's own.
                    let statement = &model.program().statements[index];
                    let line = statement
                        .line
                        .saturating_sub(self.entry_lines_before(model));
                    let object = e.json_in_place_of(line, &statement.text);
                    let json = serde_json::to_string_pretty(&object).unwrap_or_default();
                    let _ = writeln!(out, "{json}");
                }
                Err(e) => out.push_str(&e.to_string()),
            }
        }
    }

    fn options(&self) -> Options {
        let mut options = Options::new()
            .seed(self.seed)
            .cancel_token(self.cancel.clone())
            .for_repl();
        if let Some(m) = self.method {
            options = options.method(m);
        }
        if let Some(n) = self.samples {
            options = options.samples(n);
        }
        if let Some(k) = self.permutations {
            options = options.permutations(k);
        }
        options
    }

    /// Lines of the program before the entry being answered (the last of `model`'s texts).
    fn entry_lines_before(&self, model: &Model) -> usize {
        let sources = model.sources();
        sources.get(sources.last()).map_or(0, |s| s.lines_before)
    }
}

/// The `set` values in force at the end of an entry (each `None` when the entry did not set it).
#[derive(Clone, Copy)]
struct SetValues {
    samples: Option<u64>,
    seed: Option<u64>,
    permutations: Option<u64>,
    method: Option<Method>,
}

impl SetValues {
    fn of(program: &crate::program::Program) -> SetValues {
        SetValues {
            samples: program.samples,
            seed: program.seed,
            permutations: program.permutations,
            method: program.method,
        }
    }
}

/// Completions of `word` among commands (after `:`), keywords, distributions, functions and
/// the given variables.
pub(crate) fn complete_word(word: &str, variables: &[String]) -> Vec<String> {
    let mut out: Vec<String> = if word.starts_with(':') {
        COMMANDS
            .iter()
            .map(|(c, _)| c.split(' ').next().unwrap_or(c).to_string())
            .collect()
    } else {
        crate::syntax::KEYWORDS
            .iter()
            .chain(crate::scm::dist::DIST_NAMES)
            .chain(crate::scm::Func::NAMES)
            .map(|s| s.to_string())
            .chain(variables.iter().cloned())
            .collect()
    };
    out.retain(|c| c.starts_with(word) && c != word);
    out.sort();
    out.dedup();
    out
}

/// What each family of a checked model unrolled into, for `:vars`: its member count, first and
/// last members and type, read in one pass over the model's variables.
struct FamilySummary {
    families: std::collections::HashMap<String, Members>,
}

struct Members {
    count: usize,
    first: String,
    last: String,
    ty: crate::scm::Type,
}

impl FamilySummary {
    fn of(model: &Model) -> FamilySummary {
        let mut families: std::collections::HashMap<String, Members> = Default::default();
        for var in &model.program().model.vars {
            let Some((family, _)) = var.name.split_once('[') else {
                continue;
            };
            match families.get_mut(family) {
                Some(members) => {
                    members.count += 1;
                    members.last.clone_from(&var.name);
                }
                None => {
                    families.insert(
                        family.to_string(),
                        Members {
                            count: 1,
                            first: var.name.clone(),
                            last: var.name.clone(),
                            ty: var.ty,
                        },
                    );
                }
            }
        }
        FamilySummary { families }
    }

    /// `coin: 1000 members coin[1] … coin[1000], bool`.
    fn get(&self, family: &str) -> Option<String> {
        let m = self.families.get(family)?;
        let ty = match m.ty {
            crate::scm::Type::Bool => "bool",
            crate::scm::Type::Int => "int",
            crate::scm::Type::Real => "real",
            crate::scm::Type::Label => "label",
        };
        Some(if m.count == 1 {
            format!("{family}: 1 member {}, {ty}", m.first)
        } else {
            format!(
                "{family}: {} members {} … {}, {ty}",
                m.count, m.first, m.last
            )
        })
    }
}

/// An entry as a statement: a bare `P(...)` or `E[...]` is a query.
fn as_statement(entry: &str) -> String {
    let trimmed = entry.trim_start();
    let bare = trimmed.starts_with("P(") || trimmed.starts_with("E[") || trimmed.starts_with("P (");
    if bare {
        format!("query {trimmed}")
    } else {
        entry.to_string()
    }
}

fn empty_model() -> Model {
    match Model::parse_named("<repl>", "") {
        Ok(model) => model,
        Err(_) => unreachable!("the empty program is valid"),
    }
}

/// What the declarations call a `set prior` (no variable can have this name).
const PRIOR: &str = "set prior";

/// Echoes the prior when `declarations` (an entry's) set it, as `samples = N` is echoed.
fn echo_prior(declarations: &[Declaration], model: &Model, out: &mut String) {
    let sets_prior = declarations
        .iter()
        .any(|d| d.names.iter().any(|n| n == PRIOR));
    if let (true, Some(k)) = (sets_prior, model.program().prior) {
        let _ = writeln!(out, "prior = {k}");
    }
}

/// The names a statement declares, or `None` for questions and settings. A member declared
/// alone is named as written (`state[0]`); a `for` block declares its families (`state[..]`),
/// so typing the block again replaces it.
fn declared_names(kind: &StatementKind) -> Option<Vec<String>> {
    match kind {
        StatementKind::Variable { name, indices, .. }
        | StatementKind::Decision { name, indices, .. } => Some(vec![
            crate::ast::Member {
                name: name.clone(),
                indices: indices.clone(),
            }
            .to_string(),
        ]),
        StatementKind::Let { name, .. } => Some(vec![name.name.clone()]),
        StatementKind::For { body, .. } => {
            let mut names = Vec::new();
            let mut pending: Vec<&crate::ast::Statement> = body.iter().collect();
            while let Some(statement) = pending.pop() {
                match &statement.kind {
                    StatementKind::Variable { name, .. } | StatementKind::Decision { name, .. } => {
                        names.push(format!("{}[..]", name.name));
                    }
                    StatementKind::For { body, .. } => pending.extend(body),
                    _ => {}
                }
            }
            names.sort();
            names.dedup();
            Some(names)
        }
        // `set prior` belongs to the model, not to the questions after it: the fit of the `?`
        // parameters reads it, so it is kept with the declarations (a whole check of them
        // fits as `whatif run` does) and a later one replaces it.
        StatementKind::Set { name, .. } if name.name == "prior" => Some(vec![PRIOR.to_string()]),
        // Edges declare structure, not names: kept, never replaced. A new `data` statement
        // replaces the old one (`data` is a keyword, so no variable shares the name).
        StatementKind::Edges(_) => Some(Vec::new()),
        StatementKind::Data { .. } => Some(vec!["data".to_string()]),
        _ => None,
    }
}

fn help() -> String {
    let mut out = String::from(
        "Declare variables (`rain ~ Bernoulli(0.2)`, `wet := rain or sprinkler`), then ask:\n\
         `P(rain | wet)`, `E[y | do(x = 1)]`, `decide ...`, `bandit ...`, `attribute ...`. Redeclaring a variable\n\
         replaces its mechanism. An unfinished line continues on the next; an empty line ends it.\n\n",
    );
    for (command, text) in COMMANDS {
        let _ = writeln!(out, "  {command:<24}{text}");
    }
    out
}
