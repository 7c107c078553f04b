//! `whatif import FILE.bif`: a Bayesian network in the BIF format, written as a whatif model.
//!
//! Each variable becomes a labelled `Categorical` (its states are labels); a variable with
//! parents becomes a `match` over them, one arm per row of its table. Names that are not
//! whatif identifiers (a keyword, a `-`) get a trailing `_` or `_`-for-bad-characters, and
//! the output says so in a comment. Probabilities are parsed as f64 (no float32 rounding).
//!
//! The reader is hand-written: BIF is a small format with its own tokens, and its errors are
//! reported as E001 at the BIF file's line and column.
//!
//! **Invariant:** pure text to text; the caller does the I/O.

use crate::ast::Span;
use crate::diagnostics::{Code, Diagnostic};
use std::collections::HashMap;
use std::fmt::Write as _;

/// One discrete variable: its name and states.
#[derive(Clone, Debug)]
struct Variable {
    name: String,
    states: Vec<String>,
}

/// One conditional table: the child, its parents, and rows (parent states → probabilities).
#[derive(Clone, Debug)]
struct Table {
    child: String,
    parents: Vec<String>,
    /// `None` parent states: the `table` row of a root.
    rows: Vec<(Option<Vec<String>>, Vec<f64>)>,
    span: Span,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Number(f64),
    Punct(char),
}

struct Lexer<'a> {
    text: &'a str,
    tokens: Vec<(Token, usize)>,
    next: usize,
}

fn syntax(at: usize, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::E001, Span::new(at, at + 1), message)
        .with_help("BIF: `variable X { type discrete [ k ] { s1, s2 }; }` and `probability ( X | P ) { (p) v1, v2; }`")
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Result<Lexer<'a>, Diagnostic> {
        let bytes = text.as_bytes();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if c.is_ascii_whitespace() {
                i += 1;
            } else if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            } else if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
                let end = text[i + 2..]
                    .find("*/")
                    .ok_or_else(|| syntax(i, "unclosed comment"))?;
                i += end + 4;
            } else if b"{}()[];,|".contains(&c) {
                tokens.push((Token::Punct(c as char), i));
                i += 1;
            } else if c == b'"' {
                let end = text[i + 1..]
                    .find('"')
                    .ok_or_else(|| syntax(i, "unclosed quotation mark"))?;
                tokens.push((Token::Word(text[i + 1..i + 1 + end].to_string()), i));
                i += end + 2;
            } else {
                let start = i;
                while i < bytes.len()
                    && !bytes[i].is_ascii_whitespace()
                    && !b"{}()[];,|\"".contains(&bytes[i])
                {
                    i += 1;
                }
                let word = &text[start..i];
                let starts_numeric = word
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+');
                match word.parse::<f64>() {
                    Ok(x) if starts_numeric => tokens.push((Token::Number(x), start)),
                    _ => tokens.push((Token::Word(word.to_string()), start)),
                }
            }
        }
        Ok(Lexer {
            text,
            tokens,
            next: 0,
        })
    }

    fn at(&self) -> usize {
        self.tokens.get(self.next).map_or(self.text.len(), |t| t.1)
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|t| &t.0)
    }

    fn bump(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.next).map(|t| t.0.clone());
        self.next += 1;
        t
    }

    fn punct(&mut self, c: char) -> Result<(), Diagnostic> {
        let at = self.at();
        match self.bump() {
            Some(Token::Punct(p)) if p == c => Ok(()),
            _ => Err(syntax(at, format!("expected `{c}`"))),
        }
    }

    fn word(&mut self, what: &str) -> Result<String, Diagnostic> {
        let at = self.at();
        match self.bump() {
            Some(Token::Word(w)) => Ok(w),
            Some(Token::Number(x)) => Ok(x.to_string()),
            _ => Err(syntax(at, format!("expected {what}"))),
        }
    }

    fn number(&mut self) -> Result<f64, Diagnostic> {
        let at = self.at();
        match self.bump() {
            Some(Token::Number(x)) if x.is_finite() && x >= 0.0 => Ok(x),
            _ => Err(syntax(at, "expected a probability (a number at least 0)")),
        }
    }

    /// Skips a `{ ... }` block whose contents do not matter (network properties).
    fn skip_block(&mut self) -> Result<(), Diagnostic> {
        self.punct('{')?;
        let mut depth = 1;
        while depth > 0 {
            let at = self.at();
            match self.bump() {
                Some(Token::Punct('{')) => depth += 1,
                Some(Token::Punct('}')) => depth -= 1,
                Some(_) => {}
                None => return Err(syntax(at, "expected `}`")),
            }
        }
        Ok(())
    }
}

/// Converts BIF text to a whatif model; `name` goes in the header comment.
pub fn import(name: &str, text: &str) -> Result<String, Diagnostic> {
    let mut lx = Lexer::new(text)?;
    let mut variables: Vec<Variable> = Vec::new();
    let mut tables: Vec<Table> = Vec::new();
    while lx.peek().is_some() {
        let at = lx.at();
        let keyword = lx.word("`network`, `variable` or `probability`")?;
        match keyword.as_str() {
            "network" => {
                while !matches!(lx.peek(), Some(Token::Punct('{')) | None) {
                    lx.bump();
                }
                lx.skip_block()?;
            }
            "variable" => variables.push(variable(&mut lx)?),
            "probability" => tables.push(table(&mut lx, at)?),
            other => return Err(syntax(at, format!("unexpected `{other}`"))),
        }
    }
    write_model(name, &variables, &tables)
}

fn variable(lx: &mut Lexer) -> Result<Variable, Diagnostic> {
    let name = lx.word("a variable name")?;
    lx.punct('{')?;
    let mut states = Vec::new();
    loop {
        let at = lx.at();
        match lx.bump() {
            Some(Token::Punct('}')) => break,
            Some(Token::Word(w)) if w == "type" => {
                let kind = lx.word("`discrete`")?;
                if kind != "discrete" {
                    return Err(syntax(
                        at,
                        format!("only discrete variables can be imported, not `{kind}`"),
                    ));
                }
                lx.punct('[')?;
                let k = lx.number()?;
                lx.punct(']')?;
                lx.punct('{')?;
                loop {
                    states.push(lx.word("a state name")?);
                    let at = lx.at();
                    match lx.bump() {
                        Some(Token::Punct(',')) => {}
                        Some(Token::Punct('}')) => break,
                        _ => return Err(syntax(at, "expected `,` or `}`")),
                    }
                }
                lx.punct(';')?;
                if states.len() as f64 != k {
                    return Err(syntax(
                        at,
                        format!("`{name}` declares {k} states but lists {}", states.len()),
                    ));
                }
            }
            // `property ...;` lines are kept by nobody.
            Some(Token::Word(_)) => while !matches!(lx.bump(), Some(Token::Punct(';')) | None) {},
            _ => return Err(syntax(at, "expected `type` or `}`")),
        }
    }
    if states.is_empty() {
        return Err(syntax(lx.at(), format!("`{name}` has no states")));
    }
    Ok(Variable { name, states })
}

fn table(lx: &mut Lexer, start: usize) -> Result<Table, Diagnostic> {
    lx.punct('(')?;
    let child = lx.word("a variable name")?;
    let mut parents = Vec::new();
    let at = lx.at();
    match lx.bump() {
        Some(Token::Punct(')')) => {}
        Some(Token::Punct('|')) => loop {
            parents.push(lx.word("a parent name")?);
            let at = lx.at();
            match lx.bump() {
                Some(Token::Punct(',')) => {}
                Some(Token::Punct(')')) => break,
                _ => return Err(syntax(at, "expected `,` or `)`")),
            }
        },
        _ => return Err(syntax(at, "expected `|` or `)`")),
    }
    lx.punct('{')?;
    let mut rows = Vec::new();
    loop {
        let at = lx.at();
        match lx.peek() {
            Some(Token::Punct('}')) => {
                lx.bump();
                break;
            }
            Some(Token::Word(w)) if w == "table" => {
                lx.bump();
                rows.push((None, numbers(lx)?));
            }
            Some(Token::Punct('(')) => {
                lx.bump();
                let mut key = Vec::new();
                loop {
                    key.push(lx.word("a parent state")?);
                    let at = lx.at();
                    match lx.bump() {
                        Some(Token::Punct(',')) => {}
                        Some(Token::Punct(')')) => break,
                        _ => return Err(syntax(at, "expected `,` or `)`")),
                    }
                }
                rows.push((Some(key), numbers(lx)?));
            }
            Some(Token::Word(w)) if w == "default" => {
                return Err(syntax(
                    at,
                    "`default` rows are not supported; list every row",
                ));
            }
            _ => {
                return Err(syntax(
                    at,
                    "expected `(parent states) p1, p2, ...;`, `table ...;` or `}`",
                ));
            }
        }
    }
    Ok(Table {
        child,
        parents,
        rows,
        span: Span::new(start, start + 1),
    })
}

fn numbers(lx: &mut Lexer) -> Result<Vec<f64>, Diagnostic> {
    let mut out = vec![lx.number()?];
    loop {
        let at = lx.at();
        match lx.bump() {
            Some(Token::Punct(',')) => out.push(lx.number()?),
            Some(Token::Punct(';')) => return Ok(out),
            _ => return Err(syntax(at, "expected `,` or `;`")),
        }
    }
}

/// A whatif identifier for a BIF name.
fn identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if crate::syntax::KEYWORDS.contains(&out.as_str()) || out == "P" || out == "E" {
        out.push('_');
    }
    out
}

fn label(state: &str) -> String {
    format!("\"{}\"", state.replace('"', "'"))
}

fn write_model(name: &str, variables: &[Variable], tables: &[Table]) -> Result<String, Diagnostic> {
    let index: HashMap<&str, usize> = variables
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name.as_str(), i))
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported from {name} by `whatif import`: one labelled Categorical per variable,"
    );
    let _ = writeln!(
        out,
        "# a `match` over the parents' states for each conditional table."
    );
    for v in variables {
        if identifier(&v.name) != v.name {
            let _ = writeln!(out, "# `{}` is written `{}`.", v.name, identifier(&v.name));
        }
    }
    let mut by_child: HashMap<&str, &Table> = HashMap::new();
    for t in tables {
        if !index.contains_key(t.child.as_str()) {
            return Err(syntax(
                t.span.start,
                format!("a table for `{}`, which is not declared", t.child),
            ));
        }
        if by_child.insert(t.child.as_str(), t).is_some() {
            return Err(syntax(
                t.span.start,
                format!("`{}` has two tables", t.child),
            ));
        }
    }
    for v in variables {
        let Some(t) = by_child.get(v.name.as_str()) else {
            return Err(syntax(0, format!("`{}` has no probability table", v.name)));
        };
        let categorical = |p: &[f64]| -> Result<String, Diagnostic> {
            if p.len() != v.states.len() {
                return Err(syntax(
                    t.span.start,
                    format!(
                        "a row of `{}` has {} probabilities for {} states",
                        v.name,
                        p.len(),
                        v.states.len()
                    ),
                ));
            }
            let parts: Vec<String> = v
                .states
                .iter()
                .zip(p)
                .map(|(s, p)| format!("{}: {}", label(s), p))
                .collect();
            Ok(format!("Categorical({})", parts.join(", ")))
        };
        let head = format!("{} ~ ", identifier(&v.name));
        if t.parents.is_empty() {
            let [(None, p)] = t.rows.as_slice() else {
                return Err(syntax(
                    t.span.start,
                    format!(
                        "`{}` has no parents, so its table is one `table` row",
                        v.name
                    ),
                ));
            };
            let _ = writeln!(out, "{head}{}", categorical(p)?);
            continue;
        }
        for p in &t.parents {
            if !index.contains_key(p.as_str()) {
                return Err(syntax(
                    t.span.start,
                    format!("`{}` has parent `{p}`, which is not declared", v.name),
                ));
            }
        }
        let scrutinee = if t.parents.len() == 1 {
            identifier(&t.parents[0])
        } else {
            let names: Vec<String> = t.parents.iter().map(|p| identifier(p)).collect();
            format!("({})", names.join(", "))
        };
        let _ = writeln!(out, "{head}match {scrutinee} {{");
        let n_rows = t.rows.len();
        for (i, (key, p)) in t.rows.iter().enumerate() {
            let Some(key) = key else {
                return Err(syntax(
                    t.span.start,
                    format!("`{}` has parents, so each row names their states", v.name),
                ));
            };
            if key.len() != t.parents.len() {
                return Err(syntax(
                    t.span.start,
                    format!(
                        "a row of `{}` names {} parent states for {} parents",
                        v.name,
                        key.len(),
                        t.parents.len()
                    ),
                ));
            }
            for (state, parent) in key.iter().zip(&t.parents) {
                if !variables[index[parent.as_str()]].states.contains(state) {
                    return Err(syntax(
                        t.span.start,
                        format!("`{state}` is not a state of `{parent}`"),
                    ));
                }
            }
            let pattern = if key.len() == 1 {
                label(&key[0])
            } else {
                let labels: Vec<String> = key.iter().map(|s| label(s)).collect();
                format!("({})", labels.join(", "))
            };
            let comma = if i + 1 < n_rows { "," } else { " }" };
            let _ = writeln!(out, "  {pattern} => {}{comma}", categorical(p)?);
        }
    }
    Ok(out)
}
