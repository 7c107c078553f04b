//! Source text → [`ast::Program`]. The only module that knows pest.
//!
//! `parse` runs the pest grammar (`grammar/whatif.pest`), turns pest's errors into E001
//! diagnostics that speak human ("expected an expression", never a rule name), and hands the
//! parse tree to [`lower`], which builds the AST one function per rule.
//!
//! **Invariant:** `Pair` and `Rule` never leave this module.

mod lower;

use crate::ast::{Program, Span};
use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic};
use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use std::collections::BTreeSet;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/whatif.pest"]
struct WhatifParser;

/// Parses a whole program. Syntax errors are E001; one is reported per parse (pest stops at
/// the first), but the nesting check runs first so a pathological input never reaches pest.
pub fn parse(source: &str, config: &Config) -> Result<Program, Vec<Diagnostic>> {
    check_nesting(source, config.max_nesting)?;
    let pairs = match WhatifParser::parse(Rule::program, source) {
        Ok(pairs) => pairs,
        Err(_) => return Err(vec![detailed_syntax_error(source)]),
    };
    lower::program(pairs, config).map_err(|d| vec![d])
}

/// Parses a failing input again with pest's error detail on, which records what each rule
/// expected (the words of the message) but slows parsing, so a valid program never pays for it.
fn detailed_syntax_error(source: &str) -> Diagnostic {
    pest::set_error_detail(true);
    let result = WhatifParser::parse(Rule::program, source);
    pest::set_error_detail(false);
    match result {
        Err(e) => syntax_error(source, &e),
        Ok(_) => unreachable!("pest's result does not depend on its error-detail switch"),
    }
}

/// The reserved words (the grammar's `keyword` rule), for completion.
pub const KEYWORDS: &[&str] = &[
    "let",
    "exogenous",
    "decision",
    "query",
    "decide",
    "bandit",
    "set",
    "in",
    "if",
    "then",
    "else",
    "match",
    "do",
    "and",
    "or",
    "not",
    "xor",
    "true",
    "false",
    "maximize",
    "minimize",
    "given",
    "reward",
    "rounds",
    "runs",
    "policies",
];

/// Whether `source` is an unfinished entry: it fails to parse only because it stops too
/// early (an open bracket, a dangling operator, a `match` without its arms). The REPL then
/// reads another line.
pub fn needs_more_input(source: &str) -> bool {
    let Err(error) = WhatifParser::parse(Rule::program, source) else {
        return false;
    };
    let position = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((start, _)) => start,
    };
    let meaningful = strip_trailing_comment(source).trim_end().len();
    position >= meaningful
}

/// `source` without a comment on its last line.
fn strip_trailing_comment(source: &str) -> &str {
    let last_line_start = source.rfind('\n').map_or(0, |i| i + 1);
    let last = &source[last_line_start..];
    let mut in_string = false;
    for (i, c) in last.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '#' if !in_string => return &source[..last_line_start + i],
            '/' if !in_string && last[i..].starts_with("//") => {
                return &source[..last_line_start + i];
            }
            _ => {}
        }
    }
    source
}

/// Rejects input nested deeper than `limit` brackets, or with a run of more than `limit` prefix
/// operators (`- - - x`, `not not x`), before parsing, so recursion in the parser and every later
/// stage stays bounded.
fn check_nesting(source: &str, limit: usize) -> Result<(), Vec<Diagnostic>> {
    let bytes = source.as_bytes();
    let (mut depth, mut prefix_run) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let mut width = 1;
        match b {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += 1;
                }
                prefix_run = 0;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'-' => prefix_run += 1,
            _ if starts_word(bytes, i, b"not") => {
                prefix_run += 1;
                width = 3;
            }
            _ if b.is_ascii_whitespace() => {}
            _ => prefix_run = 0,
        }
        if depth > limit || prefix_run > limit {
            let span = Span::new(i, i + 1);
            return Err(vec![Diagnostic::error(Code::E001, span, "nesting too deep").with_help(format!(
                "whatif accepts at most {limit} levels of nesting; name parts of the expression with `:=`"
            ))]);
        }
        i += width;
    }
    Ok(())
}

fn starts_word(bytes: &[u8], i: usize, word: &[u8]) -> bool {
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    bytes[i..].starts_with(word)
        && (i == 0 || !is_ident(bytes[i - 1]))
        && bytes.get(i + word.len()).is_none_or(|c| !is_ident(*c))
}

/// What a rule is called in an error message.
fn describe(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        expr | if_expr | match_expr | call | counterfactual | variable | real | integer
        | string | boolean | neg | not_op | argument | scrutinee | set_value | draw_value
        | signed_literal => "an expression",
        or_op | xor_op | and_op | eq | ne | le | ge | lt | gt | eq_single | add | sub | mul
        | div | rem | pow => "an operator",
        ident | query_name => "a name",
        let_decl | exogenous_decl | decision_decl | set_stmt | query_stmt | decide_stmt
        | bandit_stmt | stochastic_decl | deterministic_decl => "a declaration or a query",
        EOI => "the end of the file",
        estimand | probability | expectation | est_prefix | est_infix => "`P(...)` or `E[...]`",
        conditions => "`|`",
        do_block | intervention => "an intervention such as `x = 1`",
        domain | domain_set | domain_range | domain_bool => {
            "a domain (`{a, b}`, `lo..hi` or `bool`)"
        }
        arm | pattern | wildcard => "a match arm such as `value => result`",
        stage | choice | joint_choice => "a decision",
        given => "`given`",
        sense | kw_maximize | kw_minimize => "`maximize` or `minimize`",
        policy => "a policy name",
        signed_integer => "an integer",
        _ => return None,
    })
}

/// Punctuation worth naming literally when pest expected it.
const PUNCTUATION: &[&str] = &[
    ")", "]", "}", ",", "(", "[", "{", "=>", "=", ":=", "~", "|", "..", ":",
];

fn syntax_error(source: &str, error: &pest::error::Error<Rule>) -> Diagnostic {
    let (start, end) = match error.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((s, e)) => (s, e),
    };
    let mut expected: BTreeSet<String> = BTreeSet::new();
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            if let Some(name) = describe(*rule) {
                expected.insert(name.to_string());
            }
        }
    }
    if let Some(attempts) = error.parse_attempts() {
        for token in attempts.expected_tokens() {
            let token = token.to_string();
            if PUNCTUATION.contains(&token.as_str()) {
                expected.insert(format!("`{token}`"));
            }
        }
    }
    // After a complete expression an operator is always possible; it is rarely what is missing.
    if expected.len() > 1 {
        expected.remove("an operator");
    }
    let mut items: Vec<String> = expected.into_iter().collect();
    // Punctuation first, reads best: "expected `)` or `,`".
    items.sort_by_key(|s| (!s.starts_with('`'), s.clone()));
    let message = match items.len() {
        0 => "unexpected input".to_string(),
        1 => format!("expected {}", items[0]),
        n => format!("expected {} or {}", items[..n - 1].join(", "), items[n - 1]),
    };
    let found = source[start.min(source.len())..].chars().next();
    let message = match found {
        Some(c) if !c.is_whitespace() => {
            let token: String = source[start..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .take(12)
                .collect();
            format!("{message}, found `{token}`")
        }
        None => format!("{message}, found the end of the file"),
        _ => message,
    };
    let end = if end > start {
        end
    } else {
        start
            + source[start.min(source.len())..]
                .chars()
                .next()
                .map_or(0, char::len_utf8)
    };
    Diagnostic::error(Code::E001, Span::new(start, end), message)
}

#[cfg(test)]
mod tests;
