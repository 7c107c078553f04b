//! `whatif import FILE.bif`: a Bayesian network in the BIF format, written as a whatif model.
//!
//! Each variable becomes a labelled `Categorical` (its states are labels); a variable with
//! parents becomes a `match` over them, one arm per row of its table. The conversion builds an
//! [`ast::Program`] and prints it with the AST's own printer, so the output is whatif syntax by
//! construction (and parses back to the same program).
//!
//! Names are mapped without collisions: a BIF name that is already a whatif identifier keeps
//! it; another (a keyword, a `-`) gets `_` for each bad character (and a trailing `_` after a
//! keyword), then `_2`, `_3`, ... if that is taken; the output lists every renaming in a
//! comment and a collision is a warning. States are labels as written (`1` and `1.0` stay
//! distinct); a state a label cannot hold (a line break) is renamed the same way. Probabilities
//! are parsed as f64 (no float32 rounding). A row that does not sum to 1 (beyond the rounding
//! of published tables, 1e-6) is a warning naming the variable and the row, and is written
//! normalised; a row given twice, or missing, is an error.
//!
//! The reader is hand-written: BIF is a small format with its own tokens, and its errors are
//! reported as E001 at the BIF file's line and column.
//!
//! **Invariant:** pure text to text; the caller does the I/O.

use crate::ast::{self, SourceId, Span};
use crate::diagnostics::Diagnostic;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

mod read;

use read::{Row, Table, Variable, syntax};

/// A BIF file as a whatif program, with what the conversion had to warn about.
pub(crate) struct Imported {
    /// The model.
    #[cfg_attr(not(test), allow(dead_code))] // Printed into `text`; the tests read it back.
    pub program: ast::Program,
    /// The model as whatif source: a header comment, then the program's statements.
    pub text: String,
    /// Renamed names, rows normalised: warnings located in the BIF text.
    pub warnings: Vec<Diagnostic>,
}

/// Converts BIF text to a whatif model; `name` goes in the header comment.
pub(crate) fn import(name: &str, text: &str) -> Result<Imported, Diagnostic> {
    let (variables, tables) = read::read(text)?;
    write_model(name, &variables, &tables)
}

/// `name` with every character an identifier cannot hold replaced by `_`, a leading `_` before
/// a digit, and a trailing `_` after a keyword.
fn sanitised_identifier(name: &str) -> String {
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

/// `name` with every character a label cannot hold (a quotation mark, a line break) replaced.
fn sanitised_label(name: &str) -> String {
    name.chars()
        .map(|c| if c == '"' || c.is_control() { '_' } else { c })
        .collect()
}

/// A one-to-one renaming of `names`: each keeps `sanitise(name)` when that is free, names that
/// need no change first; a later name whose form is taken gets `_2`, `_3`, ... Returns the new
/// names, in order.
fn rename_apart(names: &[&str], sanitise: fn(&str) -> String) -> Vec<String> {
    let wanted: Vec<String> = names.iter().map(|n| sanitise(n)).collect();
    let mut taken: HashSet<String> = names
        .iter()
        .zip(&wanted)
        .filter(|(n, w)| *n == w)
        .map(|(_, w)| w.clone())
        .collect();
    names
        .iter()
        .zip(&wanted)
        .map(|(name, wanted)| {
            if *name == wanted {
                return wanted.clone();
            }
            let mut candidate = wanted.clone();
            let mut k = 2;
            while taken.contains(&candidate) {
                candidate = format!("{wanted}_{k}");
                k += 1;
            }
            taken.insert(candidate.clone());
            candidate
        })
        .collect()
}

fn ident(name: &str) -> ast::Ident {
    ast::Ident {
        name: name.to_string(),
        span: Span::default(),
    }
}

/// `Categorical("s1": p1, ...)` over `labels`.
fn categorical(labels: &[String], probabilities: &[f64]) -> ast::DistExpr {
    let args = labels
        .iter()
        .zip(probabilities)
        .map(|(label, p)| ast::Argument {
            label: Some((label.clone(), Span::default())),
            value: ast::Expr {
                kind: ast::ExprKind::Literal(ast::Literal::Real(*p)),
                span: Span::default(),
            },
        })
        .collect();
    ast::DistExpr::Call {
        name: ident("Categorical"),
        args,
        span: Span::default(),
    }
}

/// How a row is named in messages: `(yes, no)`, or `table` for a root.
fn row_name(row: &Row) -> String {
    match &row.key {
        Some(key) => format!("({})", key.join(", ")),
        None => "table".to_string(),
    }
}

/// The network as a whatif program, and the header comment that goes above it.
fn write_model(
    name: &str,
    variables: &[Variable],
    tables: &[Table],
) -> Result<Imported, Diagnostic> {
    let mut warnings = Vec::new();
    let index: HashMap<&str, usize> = variables
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name.as_str(), i))
        .collect();
    if let Some(v) = variables
        .iter()
        .enumerate()
        .find(|(i, v)| index[v.name.as_str()] != *i)
    {
        return Err(syntax(v.1.at, format!("`{}` is declared twice", v.1.name)));
    }
    let names: Vec<&str> = variables.iter().map(|v| v.name.as_str()).collect();
    let identifiers = rename_apart(&names, sanitised_identifier);
    let mut header = format!(
        "# Imported from {name} by `whatif import`: one labelled Categorical per variable,\n\
         # a `match` over the parents' states for each conditional table.\n"
    );
    for (v, id) in variables.iter().zip(&identifiers) {
        if *id != v.name {
            let _ = writeln!(header, "# `{}` is written `{id}`.", v.name);
            if *id != sanitised_identifier(&v.name) {
                let message = format!(
                    "`{}` would be written `{}`, which another variable already is; it is written `{id}`",
                    v.name,
                    sanitised_identifier(&v.name)
                );
                warnings.push(Diagnostic::warning(
                    Span::new(SourceId::MODEL, v.at, v.at + 1),
                    message,
                ));
            }
        }
    }
    let labels: Vec<Vec<String>> = variables
        .iter()
        .map(|v| {
            let states: Vec<&str> = v.states.iter().map(String::as_str).collect();
            let labels = rename_apart(&states, sanitised_label);
            for (state, label) in v.states.iter().zip(&labels) {
                if state != label {
                    let _ = writeln!(
                        header,
                        "# State {state:?} of `{}` is written \"{label}\".",
                        v.name
                    );
                    let message = format!(
                        "state {state:?} of `{}` cannot be a label as written; it is written \"{label}\"",
                        v.name
                    );
                    warnings.push(Diagnostic::warning(Span::new(SourceId::MODEL, v.at, v.at + 1), message));
                }
            }
            labels
        })
        .collect();
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
    let mut program = ast::Program::default();
    for (vi, v) in variables.iter().enumerate() {
        let Some(t) = by_child.get(v.name.as_str()) else {
            return Err(syntax(
                v.at,
                format!("`{}` has no probability table", v.name),
            ));
        };
        // A row's probabilities, checked, normalised (with a warning) when they do not sum to 1.
        let mut probabilities = |row: &Row| -> Result<Vec<f64>, Diagnostic> {
            let p = &row.probabilities;
            if p.len() != v.states.len() {
                return Err(syntax(
                    row.at,
                    format!(
                        "row {} of `{}` has {} probabilities for {} states",
                        row_name(row),
                        v.name,
                        p.len(),
                        v.states.len()
                    ),
                ));
            }
            let sum: f64 = p.iter().sum();
            if !(sum > 0.0 && sum.is_finite()) {
                return Err(syntax(
                    row.at,
                    format!("row {} of `{}` sums to {sum}", row_name(row), v.name),
                ));
            }
            if (sum - 1.0).abs() <= SUM_TOLERANCE {
                return Ok(p.clone());
            }
            warnings.push(Diagnostic::warning(
                Span::new(SourceId::MODEL, row.at, row.at + 1),
                format!(
                    "row {} of `{}` sums to {sum}, not 1; it is divided by {sum}",
                    row_name(row),
                    v.name
                ),
            ));
            Ok(p.iter().map(|x| x / sum).collect())
        };
        let dist = if t.parents.is_empty() {
            let [row @ Row { key: None, .. }] = t.rows.as_slice() else {
                return Err(syntax(
                    t.span.start,
                    format!(
                        "`{}` has no parents, so its table is one `table` row",
                        v.name
                    ),
                ));
            };
            categorical(&labels[vi], &probabilities(row)?)
        } else {
            let parents: Vec<usize> = t
                .parents
                .iter()
                .map(|p| {
                    index.get(p.as_str()).copied().ok_or_else(|| {
                        syntax(
                            t.span.start,
                            format!("`{}` has parent `{p}`, which is not declared", v.name),
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
            let mut first_row: HashMap<Vec<usize>, usize> = HashMap::new();
            let mut arms = Vec::new();
            for row in &t.rows {
                let Some(key) = &row.key else {
                    return Err(syntax(
                        row.at,
                        format!("`{}` has parents, so each row names their states", v.name),
                    ));
                };
                if key.len() != parents.len() {
                    return Err(syntax(
                        row.at,
                        format!(
                            "row {} of `{}` names {} parent states for {} parents",
                            row_name(row),
                            v.name,
                            key.len(),
                            parents.len()
                        ),
                    ));
                }
                let mut positions = Vec::with_capacity(key.len());
                for (state, &parent) in key.iter().zip(&parents) {
                    let Some(k) = variables[parent].states.iter().position(|s| s == state) else {
                        return Err(syntax(
                            row.at,
                            format!("`{state}` is not a state of `{}`", variables[parent].name),
                        ));
                    };
                    positions.push(k);
                }
                if let Some(&first) = first_row.get(&positions) {
                    return Err(syntax(
                        row.at,
                        format!("row {} of `{}` is given twice", row_name(row), v.name),
                    )
                    .with_label(
                        Span::new(SourceId::MODEL, first, first + 1),
                        "first given here",
                    ));
                }
                first_row.insert(positions.clone(), row.at);
                let patterns = positions
                    .iter()
                    .zip(&parents)
                    .map(|(&k, &parent)| {
                        ast::Pattern::Literal(
                            ast::Literal::Label(labels[parent][k].clone()),
                            Span::default(),
                        )
                    })
                    .collect();
                arms.push(ast::Arm {
                    patterns,
                    tuple: parents.len() > 1,
                    body: categorical(&labels[vi], &probabilities(row)?),
                    span: Span::default(),
                });
            }
            let n_rows =
                crate::config::table_size(parents.iter().map(|&p| variables[p].states.len()))
                    .unwrap_or(usize::MAX);
            if first_row.len() < n_rows {
                let missing = first_missing_row(&parents, variables, &first_row);
                return Err(syntax(
                    t.span.start,
                    format!(
                        "`{}` has {} of its {n_rows} rows; row ({}) is missing",
                        v.name,
                        first_row.len(),
                        missing.join(", ")
                    ),
                ));
            }
            ast::DistExpr::Match {
                scrutinees: parents
                    .iter()
                    .map(|&p| ast::Expr {
                        kind: ast::ExprKind::Name(identifiers[p].clone()),
                        span: Span::default(),
                    })
                    .collect(),
                arms,
                span: Span::default(),
            }
        };
        program.statements.push(ast::Statement {
            kind: ast::StatementKind::Variable {
                name: ident(&identifiers[vi]),
                indices: Vec::new(),
                mechanism: ast::Mechanism::Stochastic(dist),
                exogenous: false,
            },
            span: Span::default(),
        });
    }
    let mut text = header;
    for statement in &program.statements {
        write_statement(&mut text, statement);
    }
    Ok(Imported {
        program,
        text,
        warnings,
    })
}

/// How far a row's sum may be from 1 before it is reported. Published tables are printed to
/// about seven digits, so their rows miss 1 by rounding (up to 3e-7 in bnlearn's networks);
/// such rows are written as given (`Categorical` normalises its weights) without a warning.
const SUM_TOLERANCE: f64 = 1e-6;

/// The states of the first combination of parent states that has no row.
fn first_missing_row(
    parents: &[usize],
    variables: &[Variable],
    given: &HashMap<Vec<usize>, usize>,
) -> Vec<String> {
    let sizes: Vec<usize> = parents.iter().map(|&p| variables[p].states.len()).collect();
    let mut positions = vec![0; parents.len()];
    while given.contains_key(&positions) {
        // Odometer: the last parent varies fastest.
        for i in (0..positions.len()).rev() {
            positions[i] += 1;
            if positions[i] < sizes[i] {
                break;
            }
            positions[i] = 0;
        }
    }
    positions
        .iter()
        .zip(parents)
        .map(|(&k, &p)| variables[p].states[k].clone())
        .collect()
}

/// Writes one statement with the AST's printer, a `match`'s arms one per line.
fn write_statement(out: &mut String, statement: &ast::Statement) {
    let ast::StatementKind::Variable {
        name,
        mechanism:
            ast::Mechanism::Stochastic(ast::DistExpr::Match {
                scrutinees, arms, ..
            }),
        ..
    } = &statement.kind
    else {
        let _ = writeln!(out, "{statement}");
        return;
    };
    let scrutinees: Vec<String> = scrutinees.iter().map(ToString::to_string).collect();
    let scrutinee = match scrutinees.as_slice() {
        [one] => one.clone(),
        many => format!("({})", many.join(", ")),
    };
    let _ = writeln!(out, "{} ~ match {scrutinee} {{", name.name);
    for arm in arms {
        let patterns: Vec<String> = arm.patterns.iter().map(ToString::to_string).collect();
        let patterns = if arm.tuple {
            format!("({})", patterns.join(", "))
        } else {
            patterns.join(", ")
        };
        let _ = writeln!(out, "  {patterns} => {},", arm.body);
    }
    out.push_str("}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The printed model parses back to the program it was printed from (spans aside).
    #[test]
    fn the_printed_model_parses_back_to_the_same_program() {
        let bif = "variable \"a b\" { type discrete [ 3 ] { 1, 1.0, \"x\ny\" }; }\n\
                   variable match { type discrete [ 2 ] { s, t }; }\n\
                   variable c { type discrete [ 2 ] { s, t }; }\n\
                   probability ( \"a b\" ) { table 0.2, 0.3, 0.5; }\n\
                   probability ( match ) { table 1e-7, 0.9999999; }\n\
                   probability ( c | \"a b\", match ) {\n\
                   (1, s) 0.5, 0.5; (1, t) 0.1, 0.9; (1.0, s) 0.2, 0.8;\n\
                   (1.0, t) 0.3, 0.7; (\"x\ny\", s) 1, 0; (\"x\ny\", t) 0, 1;\n}\n";
        let imported = import("t.bif", bif).expect("imports");
        let reparsed = crate::syntax::parse(&imported.text, &crate::Config::default())
            .unwrap_or_else(|d| panic!("{d:?}\n{}", imported.text));
        assert_eq!(reparsed.to_string(), imported.program.to_string());
        let text = imported.program.to_string();
        let printed: String = imported
            .text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        // One statement per line once the arms are joined back.
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(
            text.contains("match_ ~ Categorical(\"s\": 1e-7, \"t\": 0.9999999)"),
            "{text}"
        );
        assert!(
            text.contains("(\"1.0\", \"t\") => Categorical(\"s\": 0.3, \"t\": 0.7)"),
            "{text}"
        );
        assert!(text.contains("(\"x_y\", \"s\")"), "{text}");
        assert!(
            printed.starts_with("a_b ~ Categorical(\"1\": 0.2, \"1.0\": 0.3, \"x_y\": 0.5)"),
            "{printed}"
        );
        // The state with a line break is renamed, with a warning naming it.
        assert_eq!(imported.warnings.len(), 1, "{:?}", imported.warnings);
        assert!(imported.warnings[0].message.contains("\"x\\ny\""));
    }
}
