//! Source text → [`ast::Program`]. The only module that knows pest.
//!
//! `parse` runs the pest grammar (`grammar/whatif.pest` with `grammar/fast.pest`), turns
//! pest's errors into E001 diagnostics that speak human ("expected an expression", never a
//! rule name; described by parsing the failing text again with `grammar/detailed.pest`),
//! and hands the parse tree to [`lower`], which builds the AST one function per rule.
//!
//! **Invariant:** `Pair` and `Rule` never leave this module.

mod lower;
mod table;

pub(crate) use lower::too_deep;

use crate::ast::{Program, SourceId, Span};
use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic};
use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use std::collections::BTreeSet;

/// The parser whatif parses with.
#[derive(pest_derive::Parser)]
#[grammar = "../grammar/whatif.pest"]
#[grammar = "../grammar/fast.pest"]
struct WhatifParser;

/// The same language, parsed again only to describe a syntax error: every alternative of a
/// statement, an operand and an operator is tried in turn (grammar/detailed.pest), so pest's
/// furthest attempt, where the error is reported, and what it expected there take them in.
/// [`WhatifParser`] picks those alternatives by their first character (grammar/fast.pest),
/// which hides the others from that record.
mod detailed {
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/whatif.pest"]
    #[grammar = "../grammar/detailed.pest"]
    pub(super) struct DetailedParser;
}
use detailed::DetailedParser;

/// Parses a whole program. Syntax errors are E001; one is reported per parse (pest stops at
/// the first), but the nesting check runs first so a pathological input never reaches pest.
pub fn parse(source: &str, config: &Config) -> Result<Program, Vec<Diagnostic>> {
    parse_source(source, SourceId::MODEL, config)
}

/// [`parse`] of one of a model's texts (a question asked of it, a REPL entry): every span,
/// errors' included, names `id`.
pub fn parse_source(
    source: &str,
    id: SourceId,
    config: &Config,
) -> Result<Program, Vec<Diagnostic>> {
    let parsed = parse_text(source, id, config, true);
    // Under the fuzzer, every input also checks that the tables read by hand are what pest
    // reads.
    #[cfg(fuzzing)]
    assert_eq!(
        table::shown(&parsed),
        table::shown(&parse_text(source, id, config, false)),
        "the table reader and pest differ"
    );
    parsed
}

/// [`parse_source`], with the tables read by [`table::take_tables`] (`fast_tables`) or, for
/// comparison in tests, everything by pest.
fn parse_text(
    source: &str,
    id: SourceId,
    config: &Config,
    fast_tables: bool,
) -> Result<Program, Vec<Diagnostic>> {
    let placed = |mut diagnostics: Vec<Diagnostic>| {
        for d in &mut diagnostics {
            d.span = d.span.map(|s| Span::new(id, s.start, s.end));
            for (span, _) in &mut d.labels {
                *span = Span::new(id, span.start, span.end);
            }
        }
        diagnostics
    };
    if source.len() > config.max_source_bytes {
        return Err(placed(vec![too_long(config.max_source_bytes)]));
    }
    check_nesting(source, config.max_nesting).map_err(placed)?;
    let blanked = blank_comments(source);
    // Under the fuzzer, every input also checks that the two grammars accept the same texts
    // (whole texts: a part between tables may parse where the whole does not).
    #[cfg(fuzzing)]
    assert_eq!(
        WhatifParser::parse(Rule::program, &blanked).is_ok(),
        DetailedParser::parse(detailed::Rule::program, source).is_ok(),
        "grammar/fast.pest and grammar/detailed.pest disagree"
    );
    let tables = if fast_tables {
        table::take_tables(&blanked, id, config.max_expression_depth)
    } else {
        Vec::new()
    };
    // Pest parses the text between the tables, part by part (each a run of whole statements),
    // and the tables take their places between them. Every part is parsed before any is
    // lowered, so a syntax error anywhere is reported as pest alone reports it, before a
    // lowering error in an earlier part.
    let mut pieces = Vec::with_capacity(2 * tables.len() + 1);
    let mut from = 0;
    for table in tables.into_iter().map(Some).chain([None]) {
        let to = table.as_ref().map_or(blanked.len(), |t| t.span.start);
        let part = &blanked[from..to];
        if !part.trim_start().is_empty() {
            match WhatifParser::parse(Rule::program, part) {
                Ok(pairs) => pieces.push(Piece::Parsed(pairs, from)),
                Err(_) => return Err(placed(vec![detailed_syntax_error(source)])),
            }
        }
        if let Some(table) = table {
            from = table.span.end;
            pieces.push(Piece::Table(table));
        }
    }
    let mut statements = Vec::new();
    for piece in pieces {
        match piece {
            // Lowering names the text in its spans (and its errors') itself.
            Piece::Parsed(pairs, offset) => {
                let program = lower::program_in(pairs, config, id, offset).map_err(|d| vec![d])?;
                statements.extend(program.statements);
            }
            Piece::Table(table) => statements.push(table),
        }
    }
    Ok(Program { statements })
}

/// A part of a text: statements pest parsed (from a byte offset on), or a table read by hand.
enum Piece<'t> {
    Parsed(pest::iterators::Pairs<'t, Rule>, usize),
    Table(crate::ast::Statement),
}

/// `source` with each comment (from `#` or `//`, outside a label, to the end of the line)
/// replaced by spaces, byte for byte, so that every position stays where it was: the text
/// [`WhatifParser`] reads, whose whitespace has no comments (grammar/fast.pest). A label
/// (`"..."`) ends at its closing quote or the end of its line, as in the grammar.
fn blank_comments(source: &str) -> std::borrow::Cow<'_, str> {
    let bytes = source.as_bytes();
    let starts_comment = |i: usize| bytes[i] == b'#' || bytes[i..].starts_with(b"//");
    let mut blanked: Option<Vec<u8>> = None;
    let mut in_label = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => in_label = !in_label,
            b'\n' => in_label = false,
            _ if !in_label && starts_comment(i) => {
                let end = bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |n| i + n);
                let out = blanked.get_or_insert_with(|| bytes.to_vec());
                out[i..end].fill(b' ');
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    match blanked {
        // Whole characters (up to a newline) became spaces: still UTF-8.
        Some(out) => std::borrow::Cow::Owned(
            String::from_utf8(out).expect("comments are blanked whole up to an ASCII newline"),
        ),
        None => std::borrow::Cow::Borrowed(source),
    }
}

/// E001 for a source text longer than `Config::max_source_bytes`, pointing at where it
/// crosses the limit.
pub fn too_long(limit: usize) -> Diagnostic {
    Diagnostic::error(
        Code::E001,
        Span::new(SourceId::MODEL, limit, limit),
        format!("the model is longer than whatif's limit of {limit} bytes"),
    )
    .with_help("split the model, or check that this is the file you meant (library users can raise `Config::max_source_bytes`)")
}

/// Parses a failing input again with pest's error detail on, which records what each rule
/// expected (the words of the message) but slows parsing, so a valid program never pays for it.
fn detailed_syntax_error(source: &str) -> Diagnostic {
    pest::set_error_detail(true);
    let result = DetailedParser::parse(detailed::Rule::program, source);
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
    "for",
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
    "data",
    "identify",
    "attribute",
    "to",
];

/// Whether `source` is an unfinished entry: it fails to parse only because it stops too
/// early (an open bracket, a dangling operator, a `match` without its arms). The REPL then
/// reads another line.
pub fn needs_more_input(source: &str) -> bool {
    let Err(error) = DetailedParser::parse(detailed::Rule::program, source) else {
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

/// Rejects input nested deeper than `limit` before parsing, so that recursion in the parser
/// and in every later stage stays bounded: brackets, runs of prefix operators (`- - - x`,
/// `not not x`), runs of `^` (right-associative, so each nests the next) and `if`s open at
/// once (`else if` chains nest each arm in the one before).
fn check_nesting(source: &str, limit: usize) -> Result<(), Vec<Diagnostic>> {
    let bytes = source.as_bytes();
    let (mut depth, mut prefix_run, mut pow_run) = (0usize, 0usize, 0usize);
    // `if`s opened at each bracket level and not yet closed by a `,` or the closing bracket.
    let mut open_ifs: Vec<usize> = vec![0];
    let mut ifs = 0usize;
    // Whether the last token ends an operand (so a `-` after it subtracts).
    let mut after_operand = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let mut width = 1;
        let mut operand = false;
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
                operand = true;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                open_ifs.push(0);
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if open_ifs.len() > 1 {
                    ifs -= open_ifs.pop().unwrap_or(0);
                }
                operand = true;
            }
            b',' => {
                ifs -= std::mem::take(open_ifs.last_mut().unwrap_or(&mut 0));
                pow_run = 0;
            }
            b'-' if after_operand => pow_run = 0,
            b'-' => prefix_run += 1,
            b'^' => pow_run += 1,
            _ if b.is_ascii_alphabetic() || b == b'_' => {
                let word_end = bytes[i..]
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                    .map_or(bytes.len(), |n| i + n);
                width = word_end - i;
                match &bytes[i..word_end] {
                    b"not" => prefix_run += 1,
                    b"if" => {
                        ifs += 1;
                        if let Some(level) = open_ifs.last_mut() {
                            *level += 1;
                        }
                        prefix_run = 0;
                    }
                    b"and" | b"or" | b"xor" | b"then" | b"else" | b"in" | b"for" | b"given" => {
                        prefix_run = 0;
                        pow_run = 0;
                    }
                    b"let" | b"exogenous" | b"decision" | b"query" | b"decide" | b"bandit"
                    | b"attribute" | b"to" | b"set" | b"maximize" | b"minimize" | b"reward" => {
                        prefix_run = 0;
                        pow_run = 0;
                        if depth == 0 {
                            ifs -= std::mem::take(&mut open_ifs[0]);
                        }
                    }
                    _ => {
                        prefix_run = 0;
                        operand = true;
                    }
                }
            }
            _ if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            _ if b.is_ascii_digit() || b == b'.' => {
                prefix_run = 0;
                operand = true;
            }
            _ => {
                // `+ * / % < > = ! | ~ :` end a run of `^` and of prefixes; `~` and `:=` at the
                // top level start a new declaration.
                prefix_run = 0;
                pow_run = 0;
                if depth == 0 && (b == b'~' || b == b':') {
                    ifs -= std::mem::take(&mut open_ifs[0]);
                }
            }
        }
        after_operand = operand;
        let problem = if depth > limit {
            Some(("brackets nested", "name parts of the expression with `:=`"))
        } else if prefix_run > limit {
            Some((
                "prefix operators in a row",
                "remove pairs of `-` or `not` that cancel",
            ))
        } else if pow_run > limit {
            Some((
                "`^` operators in a row",
                "name parts of the power with `:=`",
            ))
        } else if depth + ifs > limit {
            Some((
                "`if`s nested",
                "write a long `else if` chain as a `match`, or name parts of it with `:=`",
            ))
        } else {
            None
        };
        if let Some((what, help)) = problem {
            let span = Span::new(SourceId::MODEL, i, i + width);
            return Err(vec![
                Diagnostic::error(
                    Code::E001,
                    span,
                    format!("nesting too deep: more than {limit} {what}"),
                )
                .with_help(format!(
                    "{help} (library users can raise `Config::max_nesting`)"
                )),
            ]);
        }
        i += width;
    }
    Ok(())
}

/// What a rule is called in an error message.
fn describe(rule: detailed::Rule) -> Option<&'static str> {
    use detailed::Rule::*;
    Some(match rule {
        expr | if_expr | match_expr | call | reference | world | index | aggregate | real
        | integer | string | boolean | neg | not_op | argument | scrutinee | set_value
        | draw_value | signed_literal | evidence => "an expression",
        binder => "`i in a..b`",
        member => "a name",
        or_op | xor_op | and_op | eq | ne | le | ge | lt | gt | eq_single | add | sub | mul
        | div | rem | pow => "an operator",
        ident | query_name => "a name",
        let_decl | exogenous_decl | decision_decl | set_stmt | query_stmt | decide_stmt
        | bandit_stmt | attribute_stmt | attribute_to | attribute_given | stochastic_decl
        | deterministic_decl | for_block => "a declaration or a query",
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

fn syntax_error(source: &str, error: &pest::error::Error<detailed::Rule>) -> Diagnostic {
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
    // After a decision's name an index (`d[t]`) is possible; the sense is what is missing.
    if expected.contains("`maximize` or `minimize`") {
        expected.remove("`[`");
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
    if let Some(invisible) = found.and_then(invisible_character) {
        let width = found.map_or(1, char::len_utf8);
        return Diagnostic::error(
            Code::E001,
            Span::new(SourceId::MODEL, start, start + width),
            format!("unexpected {invisible}"),
        )
        .with_help("delete it: it is invisible in most editors (copying text from the web or a word processor often brings it in)");
    }
    let found_token: String = source[start.min(source.len())..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(40)
        .collect();
    let hint = hint(source, start, &found_token);
    let message = match &hint {
        Some((Some(better), _)) => better.clone(),
        _ => message,
    };
    let message = match found {
        _ if matches!(hint, Some((Some(_), _))) => message,
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
    let d = Diagnostic::error(Code::E001, Span::new(SourceId::MODEL, start, end), message);
    match hint {
        Some((_, help)) => d.with_help(help),
        None => d,
    }
}

/// A character that does not show on screen, named: `U+FEFF (a byte-order mark)`.
fn invisible_character(c: char) -> Option<String> {
    let name = match c {
        '\u{FEFF}' => "a byte-order mark",
        '\0' => "a NUL byte",
        '\u{200B}' => "a zero-width space",
        '\u{200C}' => "a zero-width non-joiner",
        '\u{200D}' => "a zero-width joiner",
        '\u{2060}' => "a word joiner",
        '\u{00A0}' => "a no-break space",
        '\u{00AD}' => "a soft hyphen",
        '\u{2028}' => "a line separator",
        '\u{2029}' => "a paragraph separator",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => "a bidirectional-text control",
        c if c.is_control() && c != '\n' && c != '\t' && c != '\r' => "a control character",
        c if c.is_whitespace() && !c.is_ascii() => "a non-ASCII space",
        _ => return None,
    };
    Some(format!("U+{:04X} ({name})", c as u32))
}

/// A better message and a hint for a syntax error that is a habit from another language or a
/// common slip, judged from the text around the error: `&&`, `x ? a : b`, `;`, `'a'`, `=` for
/// `~`/`:=`, a keyword as a name, a non-ASCII name, an `if` without `else`, a bare `P(...)`,
/// an unquoted label.
fn hint(source: &str, start: usize, found: &str) -> Option<(Option<String>, String)> {
    let start = start.min(source.len());
    let before = source[..start].trim_end();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let at_statement_start = before.len() == line_start
        || before.ends_with(|c: char| c == ')' || c == ']' || c.is_ascii_alphanumeric())
            && source[..start].ends_with('\n');
    let word: String = found
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let after_word = source[start + word.len()..].trim_start();
    let is_declaration = after_word.starts_with(":=") || after_word.starts_with('~');
    if let Some(c) = word.chars().find(|c| !c.is_ascii()) {
        return Some((
            Some(format!("`{word}` is not a name: names are ASCII")),
            format!(
                "names use ASCII letters, digits and `_`; `{c}` is not one of them (labels in quotes may hold any text)"
            ),
        ));
    }
    if !word.is_empty() && KEYWORDS.contains(&word.as_str()) && is_declaration {
        return Some((
            Some(format!("`{word}` is a keyword and cannot be a name")),
            format!("rename it, e.g. `{word}_` or `my_{word}`"),
        ));
    }
    if !word.is_empty()
        && at_statement_start
        && after_word.starts_with('=')
        && !after_word.starts_with("==")
    {
        return Some((
            Some(format!("expected `~` or `:=` after `{word}`, found `=`")),
            format!(
                "declare `{word}` with `~` to draw it from a distribution (`{word} ~ Bernoulli(0.3)`) or with `:=` to compute it from other variables; `let {word} = ...` declares a constant"
            ),
        ));
    }
    if at_statement_start && (found.starts_with("P(") || found.starts_with("E[")) {
        return Some((
            Some("a question in a file starts with `query`".to_string()),
            format!(
                "write `query {}` (the REPL accepts the bare form)",
                found.trim_end()
            ),
        ));
    }
    if found.starts_with("&&") || found.starts_with("||") {
        let word = if found.starts_with("&&") { "and" } else { "or" };
        return Some((
            None,
            format!("write `{word}`: whatif spells logic with words (`and`, `or`, `not`)"),
        ));
    }
    if found.starts_with('!') && !found.starts_with("!=") {
        return Some((
            None,
            "write `not`: whatif spells logic with words (`and`, `or`, `not`)".to_string(),
        ));
    }
    if found.starts_with('?') {
        return Some((None, "write `if c then a else b`".to_string()));
    }
    if found.starts_with(';') {
        return Some((
            None,
            "whatif needs no `;`: put each statement on a line of its own".to_string(),
        ));
    }
    if found.starts_with('\'') {
        let text: String = found[1..].chars().take_while(|c| *c != '\'').collect();
        return Some((
            None,
            format!("labels are written in double quotes: `\"{text}\"`"),
        ));
    }
    if found.starts_with(':') && !found.starts_with(":=") {
        let label: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if !label.is_empty() {
            return Some((None, format!("labels are quoted: `\"{label}\": ...`")));
        }
    }
    if open_if_without_else(before) {
        return Some((
            Some("expected `else`: every `if` needs an `else` branch".to_string()),
            "write `if c then a else b`".to_string(),
        ));
    }
    None
}

/// Whether the innermost open bracket (or the statement) before the error holds an `if ...
/// then` that has no `else` yet.
fn open_if_without_else(before: &str) -> bool {
    let mut depth = 0usize;
    let mut segment_start = 0;
    for (i, c) in before.char_indices().rev() {
        match c {
            ')' | ']' | '}' => depth += 1,
            '(' | '[' | '{' if depth == 0 => {
                segment_start = i + 1;
                break;
            }
            '(' | '[' | '{' => depth -= 1,
            _ => {}
        }
    }
    let segment = &before[segment_start..];
    let count = |word: &str| {
        segment
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| *w == word)
            .count()
    };
    count("then") > count("else")
}

#[cfg(test)]
mod tests;
