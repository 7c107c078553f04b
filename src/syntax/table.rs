//! The fast path for conditional probability tables, the statement an imported network is
//! made of (`whatif import`): `NAME ~ match (A, B) { ("a", "b") => Categorical("x": 0.2, "y":
//! 0.8), ... }` or `NAME ~ Categorical("x": 0.2, "y": 0.8)`. On munin (1,041 such statements,
//! 2 MB), pest and lowering took two thirds of `whatif run`'s time; read here byte by byte,
//! a table costs a small fraction of that.
//!
//! [`take_tables`] finds such statements at the top level of the (comment-blanked) text and
//! builds for each exactly the [`Statement`] that pest and [`super::lower`] would (spans
//! included); `syntax::parse_source` has pest parse the runs of text between them. Whatever
//! it is not sure of — another shape, a number that does not parse, a keyword for a name, a
//! statement that something before or after could continue — it leaves to pest, which parses
//! it (and reports any error) as before. **Invariant:** the program is the one pest alone
//! gives (tested on generated tables, the corpora, and the texts a table becomes when cut
//! short or altered at any character).

use crate::ast::{
    Argument, Arm, DistExpr, Expr, ExprKind, Ident, Literal, Mechanism, Pattern, SourceId, Span,
    Statement, StatementKind,
};

/// The tables found at the top level of `text` (comments blanked), in order, each spanning
/// up to the next token (as pest's statements do). A table deeper than `max_depth` is left
/// to pest, which reports it.
pub(super) fn take_tables(text: &str, id: SourceId, max_depth: usize) -> Vec<Statement> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let at_line_start = i == 0 || bytes[i - 1] == b'\n';
        if depth == 0
            && at_line_start
            && is_name_start(b)
            && ends_a_statement(bytes, i)
            && let Some(statement) = (Reader { bytes, at: i, id }).statement()
            && can_follow(bytes, mechanism_end(&statement))
            && statement.depth() <= max_depth
        {
            let end = statement.span.end;
            found.push(statement);
            i = end;
            continue;
        }
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'"' => {
                // A label ends at its closing quote or the end of its line, as in the grammar.
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += 1;
                }
                if i < bytes.len() && bytes[i] == b'\n' {
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// Where a table statement's distribution ends (its span, as pest's, takes in the whitespace
/// after it).
fn mechanism_end(statement: &Statement) -> usize {
    match &statement.kind {
        StatementKind::Variable {
            mechanism:
                Mechanism::Stochastic(DistExpr::Call { span, .. } | DistExpr::Match { span, .. }),
            ..
        } => span.end,
        _ => statement.span.end,
    }
}

/// Whether the text before `at` ends a statement, so that one may begin at `at`: nothing but
/// whitespace, or a closing bracket, a label's quote or a digit (never an operator or a
/// keyword, which would make what follows its operand).
fn ends_a_statement(bytes: &[u8], at: usize) -> bool {
    match bytes[..at].iter().rev().find(|b| !b.is_ascii_whitespace()) {
        None => true,
        Some(b) => matches!(b, b')' | b']' | b'}' | b'"') || b.is_ascii_digit(),
    }
}

/// Whether the text from `at` lets a statement end there: the end of the text, a name, or a
/// keyword that starts a statement (never an operator, a bracket, or a keyword that would
/// continue an expression).
fn can_follow(bytes: &[u8], at: usize) -> bool {
    let rest = &bytes[at..];
    let Some(start) = rest.iter().position(|b| !b.is_ascii_whitespace()) else {
        return true;
    };
    if start == 0 || !is_name_start(rest[start]) {
        return false;
    }
    let word_end = rest[start..]
        .iter()
        .position(|&b| !is_name_char(b))
        .map_or(rest.len(), |n| start + n);
    let word = std::str::from_utf8(&rest[start..word_end]).unwrap_or("");
    const STARTS_A_STATEMENT: [&str; 11] = [
        "let",
        "exogenous",
        "decision",
        "set",
        "query",
        "decide",
        "bandit",
        "data",
        "identify",
        "attribute",
        "for",
    ];
    !super::KEYWORDS.contains(&word) || STARTS_A_STATEMENT.contains(&word)
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A cursor over the text; each method reads one construct or gives `None` (and the statement
/// is left to pest).
struct Reader<'t> {
    bytes: &'t [u8],
    at: usize,
    id: SourceId,
}

impl Reader<'_> {
    fn span(&self, start: usize) -> Span {
        Span::new(self.id, start, self.at)
    }

    fn skip_space(&mut self) {
        while self.at < self.bytes.len() && self.bytes[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// `byte`, after any whitespace.
    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_space();
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    /// Items read by `item`, separated by commas (a trailing one allowed), up to and
    /// including `close`.
    fn comma_list<T>(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<T>> {
        let mut items = Vec::new();
        loop {
            items.push(item(self)?);
            self.skip_space();
            match self.peek()? {
                b',' => {
                    self.at += 1;
                    self.skip_space();
                    if self.peek()? == close {
                        break;
                    }
                }
                c if c == close => break,
                _ => return None,
            }
        }
        self.at += 1;
        Some(items)
    }

    /// The rest of a tuple after its `(`: items read by `item`, separated by commas (none
    /// trailing), up to and including `)`.
    fn tuple_rest<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let mut items = Vec::new();
        loop {
            items.push(item(self)?);
            self.skip_space();
            match self.peek()? {
                b',' => self.at += 1,
                b')' => break,
                _ => return None,
            }
        }
        self.at += 1;
        Some(items)
    }

    /// A name that is not a keyword.
    fn name(&mut self) -> Option<Ident> {
        self.skip_space();
        let start = self.at;
        if !self.peek().is_some_and(is_name_start) {
            return None;
        }
        while self.peek().is_some_and(is_name_char) {
            self.at += 1;
        }
        let name = std::str::from_utf8(&self.bytes[start..self.at]).ok()?;
        if super::KEYWORDS.contains(&name) {
            return None;
        }
        Some(Ident {
            name: name.to_string(),
            span: self.span(start),
        })
    }

    /// The keyword `word`, not followed by a name character.
    fn keyword(&mut self, word: &str) -> Option<()> {
        self.skip_space();
        let end = self.at + word.len();
        let matches = self.bytes.get(self.at..end) == Some(word.as_bytes())
            && !self.bytes.get(end).copied().is_some_and(is_name_char);
        matches.then(|| self.at = end)
    }

    /// A label `"..."`: its text and its span (quotes included).
    fn label(&mut self) -> Option<(String, Span)> {
        self.skip_space();
        let start = self.at;
        if self.peek() != Some(b'"') {
            return None;
        }
        let close = self.bytes[start + 1..]
            .iter()
            .position(|&b| b == b'"' || b == b'\n')?;
        if self.bytes[start + 1 + close] != b'"' {
            return None;
        }
        let text = std::str::from_utf8(&self.bytes[start + 1..start + 1 + close]).ok()?;
        self.at = start + close + 2;
        Some((text.to_string(), self.span(start)))
    }

    /// A non-negative number as the grammar reads it: a real (`0.5`, `1e-3`) or an integer.
    fn number(&mut self) -> Option<Expr> {
        self.skip_space();
        let start = self.at;
        let digits = |r: &mut Self| {
            let from = r.at;
            while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                r.at += 1;
            }
            r.at > from
        };
        if !digits(self) {
            return None;
        }
        let mut real = false;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !digits(self) {
                return None;
            }
            real = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let before = self.at;
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !digits(self) {
                // Not an exponent: a real stops before the `e`, an integer may not.
                if !real {
                    return None;
                }
                self.at = before;
            } else {
                real = true;
            }
        }
        if self.peek().is_some_and(is_name_char) {
            return None;
        }
        let text = std::str::from_utf8(&self.bytes[start..self.at]).ok()?;
        let literal = if real {
            Literal::Real(text.parse::<f64>().ok().filter(|x| x.is_finite())?)
        } else {
            Literal::Int(text.parse::<i64>().ok()?)
        };
        Some(Expr {
            kind: ExprKind::Literal(literal),
            span: self.span(start),
        })
    }

    /// `NAME ~ match ... { ... }` or `NAME ~ Call("label": number, ...)`.
    fn statement(mut self) -> Option<Statement> {
        let start = self.at;
        let name = self.name()?;
        self.eat(b'~')?;
        self.skip_space();
        let mechanism = if self.bytes[self.at..].starts_with(b"match") {
            self.table()?
        } else {
            self.categorical()?
        };
        // As an expression's pair in pest, the statement ends after the whitespace that
        // follows it.
        self.skip_space();
        Some(Statement {
            kind: StatementKind::Variable {
                name,
                indices: Vec::new(),
                mechanism: Mechanism::Stochastic(mechanism),
                exogenous: false,
            },
            span: self.span(start),
        })
    }

    /// `match (A, B) { PATTERN => CALL, ... }` or `match A { ... }`.
    fn table(&mut self) -> Option<DistExpr> {
        self.skip_space();
        let start = self.at;
        self.keyword("match")?;
        let mut scrutinees = Vec::new();
        let name_expr = |ident: Ident| Expr {
            kind: ExprKind::Name(ident.name),
            span: ident.span,
        };
        if self.eat(b'(').is_some() {
            scrutinees = self.tuple_rest(|r| r.name().map(name_expr))?;
            if scrutinees.len() < 2 {
                return None;
            }
        } else {
            scrutinees.push(name_expr(self.name()?));
        }
        self.eat(b'{')?;
        let arms = self.comma_list(b'}', Self::arm)?;
        Some(DistExpr::Match {
            scrutinees,
            arms,
            span: self.span(start),
        })
    }

    /// `("a", _) => CALL` or `"a" => CALL`.
    fn arm(&mut self) -> Option<Arm<DistExpr>> {
        self.skip_space();
        let start = self.at;
        let mut patterns = Vec::new();
        let tuple = self.peek()? == b'(';
        if tuple {
            self.at += 1;
            patterns = self.tuple_rest(Self::pattern)?;
        } else {
            patterns.push(self.pattern()?);
        }
        self.eat(b'=')?;
        (self.peek()? == b'>').then_some(())?;
        self.at += 1;
        let body = self.categorical()?;
        self.skip_space();
        Some(Arm {
            patterns,
            tuple,
            body,
            span: self.span(start),
        })
    }

    /// A label or `_`.
    fn pattern(&mut self) -> Option<Pattern> {
        self.skip_space();
        let start = self.at;
        if self.peek()? == b'_' {
            self.at += 1;
            if self.peek().is_some_and(is_name_char) {
                return None;
            }
            return Some(Pattern::Wildcard(self.span(start)));
        }
        let (text, span) = self.label()?;
        Some(Pattern::Literal(Literal::Label(text), span))
    }

    /// `NAME("label": number, ...)`, every argument labelled.
    fn categorical(&mut self) -> Option<DistExpr> {
        self.skip_space();
        let start = self.at;
        let name = self.name()?;
        self.eat(b'(')?;
        self.skip_space();
        let args = if self.peek()? == b')' {
            self.at += 1;
            Vec::new()
        } else {
            self.comma_list(b')', |r| {
                let label = r.label()?;
                r.eat(b':')?;
                let value = r.number()?;
                Some(Argument {
                    label: Some(label),
                    value,
                })
            })?
        };
        Some(DistExpr::Call {
            name,
            args,
            span: self.span(start),
        })
    }
}

/// A parse's result as the fast path's checks compare it: the program, or its errors' codes
/// and places. (A syntax error's words come from pest's error-detail switch, which is
/// process-wide: another thread may flip it mid-parse.)
#[cfg(any(test, fuzzing))]
pub(super) fn shown(
    parsed: &Result<crate::ast::Program, Vec<crate::diagnostics::Diagnostic>>,
) -> String {
    match parsed {
        Ok(program) => format!("{program:?}"),
        Err(errors) => format!(
            "{:?}",
            errors.iter().map(|d| (d.code, d.span)).collect::<Vec<_>>()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_text;
    use super::shown;
    use crate::ast::SourceId;
    use crate::config::Config;

    /// The fast path and pest alone give the same program, or the same errors.
    fn agree(text: &str) {
        let config = Config::default();
        let fast = parse_text(text, SourceId::MODEL, &config, true);
        let pest = parse_text(text, SourceId::MODEL, &config, false);
        assert_eq!(
            shown(&fast),
            shown(&pest),
            "the fast path and pest differ on:\n{text}"
        );
    }

    /// How many tables the fast path takes from `text`.
    fn taken(text: &str) -> usize {
        let blanked = super::super::blank_comments(text);
        super::take_tables(&blanked, SourceId::MODEL, 256).len()
    }

    const NETWORK: &str = r#"# a network as `whatif import` writes it
a ~ Categorical("x": 0.2, "y": 0.8)
b ~ Categorical("u": 1e-3, "v": 0.999,)
c ~ match (a, b) {
  ("x", "u") => Categorical("p": 0.5, "q": 0.5),
  ("x", "v") => Categorical("p": 1.0, "q": 0.0),
  ("y", _) => Categorical("p": 0, "q": 1),
}
d ~ match c { "p" => Categorical("s": 0.25, "t": 0.75), _ => Categorical("s": 1E+0, "t": 0.0) }
e ~match(c,d){("p","s")=>Categorical("z":1),(_,_)=>Categorical("z":1),}
f ~ match (a, a) {
  ("x") => Categorical("k": 1),
}
query P(c = "p" | d = "s")
"#;

    #[test]
    fn imported_tables_are_read_as_pest_reads_them() {
        agree(NETWORK);
        assert_eq!(taken(NETWORK), 6);
    }

    /// Every prefix of the network, and the network with each character in turn replaced,
    /// gives pest's program or pest's error: whatever the fast path cannot be sure of is
    /// left to pest.
    #[test]
    fn altered_tables_give_pest_s_answer() {
        let bytes = NETWORK.as_bytes();
        for end in 0..=bytes.len() {
            if NETWORK.is_char_boundary(end) {
                agree(&NETWORK[..end]);
            }
        }
        for i in 0..bytes.len() {
            for replacement in [" ", "\n", "-", "1", "e", "\"", ")", "_", "and ", "#"] {
                let mut text = NETWORK[..i].to_string();
                text.push_str(replacement);
                text.push_str(&NETWORK[i + 1..]);
                agree(&text);
            }
        }
    }

    /// Found by the fuzzer: a lowering error (an unknown distribution) before a syntax error
    /// further on, with tables between them. Pest alone reports the syntax error (it parses
    /// the whole text before lowering), so the parts must all be parsed before any is lowered.
    #[test]
    fn a_syntax_error_after_a_table_comes_before_an_earlier_lowering_error() {
        agree(
            "a ~ Categorical(\"yes\": 0.5, \"no\": 0.5)\n\
             b ~ match a { \"yes\" => Categori }\n\
             c ~ Categorical(\"yes\": 0.5, \"no\": 0.5)\n\
             d := (\n",
        );
    }

    #[test]
    fn tables_next_to_other_statements_are_taken_only_when_nothing_could_continue_them() {
        for (text, tables) in [
            // An operator before or after: the table is an operand, pest says so.
            ("a := 1 +\nb ~ Categorical(\"x\": 1)\n", 0),
            (
                "b ~ Categorical(\"x\": 1) and\nc ~ Categorical(\"x\": 1)\n",
                0,
            ),
            ("b ~ Categorical(\"x\": 1)\n[c]\n", 0),
            ("b ~ Categorical(\"x\": 1)c ~ Categorical(\"x\": 1)\n", 0),
            // Inside a block it stays there.
            ("for i in 1..2 {\nb ~ Categorical(\"x\": 1)\n}\n", 0),
            ("exogenous\nb ~ Categorical(\"x\": 1)\n", 0),
            // A keyword for a name, a negative or unparsable number, an unlabelled argument.
            ("match ~ Categorical(\"x\": 1)\n", 0),
            ("b ~ Categorical(\"x\": -1)\n", 0),
            ("b ~ Categorical(\"x\": 99999999999999999999)\n", 0),
            ("b ~ Categorical(\"x\": 1e999)\n", 0),
            ("b ~ Categorical(0.5)\n", 0),
            ("b ~ Categorical(\"x\": 1.)\n", 0),
            ("b ~ Categorical(\"x\": 1.5e)\n", 0),
            ("b ~ Categorical(\"x\n\": 1)\n", 0),
            // Statements after it.
            (
                "b ~ Categorical(\"x\": 1)\nquery P(b = \"x\")\nlet k = 2\n",
                1,
            ),
            (
                "b ~ Categorical(\"x\": 1) # a comment\n# another\nc ~ Categorical(\"y\": 1)",
                2,
            ),
            ("let k = 2\nb ~ Categorical(\"x\": 1)\n", 1),
            ("data \"d.csv\"\nb ~ Categorical(\"x\": 1)\n", 1),
        ] {
            agree(text);
            assert_eq!(taken(text), tables, "{text}");
        }
    }

    /// Every corpus text (examples, test models, fuzz corpora) parses alike.
    #[test]
    fn the_corpora_parse_alike() {
        let texts = super::super::tests::corpus_texts();
        assert!(texts.len() > 50, "only {} corpus texts", texts.len());
        for text in &texts {
            agree(text);
        }
    }

    /// A generated network with wide tables: the same program, every table taken.
    #[test]
    fn a_generated_network_is_read_alike() {
        let mut text = String::new();
        let states = ["s0", "s1", "s2"];
        let row = |k: usize| {
            let cells: Vec<String> = states
                .iter()
                .enumerate()
                .map(|(j, s)| format!("\"{s}\": {}", if j == k % 3 { "0.5" } else { "0.25" }))
                .collect();
            format!("Categorical({})", cells.join(", "))
        };
        text.push_str(&format!("v0 ~ {}\nv1 ~ {}\n", row(0), row(1)));
        for v in 2..40 {
            text.push_str(&format!("v{v} ~ match (v{}, v{}) {{\n", v - 1, v - 2));
            for (i, a) in states.iter().enumerate() {
                for (j, b) in states.iter().enumerate() {
                    text.push_str(&format!("  (\"{a}\", \"{b}\") => {},\n", row(i + j + v)));
                }
            }
            text.push_str("}\n");
        }
        text.push_str("query P(v39 | v0 = \"s1\")\n");
        agree(&text);
        assert_eq!(taken(&text), 40);
    }
}
