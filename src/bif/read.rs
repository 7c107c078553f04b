//! The BIF reader: a hand-written lexer and parser for `variable` and `probability` blocks
//! (BIF is a small format with its own tokens); errors are E001 at the BIF file's line and
//! column.

use crate::ast::{SourceId, Span};
use crate::diagnostics::{Code, Diagnostic};
use std::collections::HashSet;

/// One discrete variable: its name, states, and where it is declared.
#[derive(Clone, Debug)]
pub(super) struct Variable {
    pub(super) name: String,
    pub(super) states: Vec<String>,
    pub(super) at: usize,
}

/// One row of a conditional table: the parents' states (`None` for a root's `table` row),
/// the probabilities, and where the row starts.
#[derive(Clone, Debug)]
pub(super) struct Row {
    pub(super) key: Option<Vec<String>>,
    pub(super) probabilities: Vec<f64>,
    pub(super) at: usize,
}

/// One conditional table: the child, its parents, and its rows.
#[derive(Clone, Debug)]
pub(super) struct Table {
    pub(super) child: String,
    pub(super) parents: Vec<String>,
    pub(super) rows: Vec<Row>,
    pub(super) span: Span,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    /// A number, with its text as written (a state named `1.0` is not the state `1`).
    Number(f64, String),
    Punct(char),
}

struct Lexer<'a> {
    text: &'a str,
    tokens: Vec<(Token, usize)>,
    next: usize,
}

/// The variables and tables of a BIF file, in the order written (a `network` block is
/// skipped).
pub(super) fn read(text: &str) -> Result<(Vec<Variable>, Vec<Table>), Diagnostic> {
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
            "variable" => variables.push(variable(&mut lx, at)?),
            "probability" => tables.push(table(&mut lx, at)?),
            other => return Err(syntax(at, format!("unexpected `{other}`"))),
        }
    }
    Ok((variables, tables))
}

pub(super) fn syntax(at: usize, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::E001, Span::new(SourceId::MODEL, at, at + 1), message)
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
                    Ok(x) if starts_numeric => {
                        tokens.push((Token::Number(x, word.to_string()), start));
                    }
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
            Some(Token::Number(_, text)) => Ok(text),
            _ => Err(syntax(at, format!("expected {what}"))),
        }
    }

    fn number(&mut self) -> Result<f64, Diagnostic> {
        let at = self.at();
        match self.bump() {
            Some(Token::Number(x, _)) if x.is_finite() && x >= 0.0 => Ok(x),
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

fn variable(lx: &mut Lexer, at: usize) -> Result<Variable, Diagnostic> {
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
    let mut seen = HashSet::new();
    if let Some(twice) = states.iter().find(|s| !seen.insert(s.as_str())) {
        return Err(syntax(
            at,
            format!("`{name}` lists the state `{twice}` twice"),
        ));
    }
    Ok(Variable { name, states, at })
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
                rows.push(Row {
                    key: None,
                    probabilities: numbers(lx)?,
                    at,
                });
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
                rows.push(Row {
                    key: Some(key),
                    probabilities: numbers(lx)?,
                    at,
                });
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
        span: Span::new(SourceId::MODEL, start, start + 1),
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
