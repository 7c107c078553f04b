//! `whatif fit -o OUT.scm`: the model's text with every `?` replaced by its estimate, printed so
//! that it reads back exactly (Rust's shortest round-trip form), a table `?[a, b]` by a
//! `match (a, b)` over its cells, and a comment after each fitted mechanism with the rows it
//! used, the method, and each estimate with its standard error. Everything else — comments,
//! layout, line numbers (answers are seeded by line), questions — stays as written.

use super::Fitted;
use crate::ast::{self, DistExpr, Expr, ExprKind, Mechanism, StatementKind};
use crate::scm::Model;

enum Node<'a> {
    Expr(&'a Expr),
    Dist(&'a DistExpr),
}

/// Every `?` in the mechanisms of `program`: its span and its name, in source order.
fn occurrences(program: &ast::Program) -> Vec<(ast::Span, Option<String>)> {
    let mut out = Vec::new();
    for statement in &program.statements {
        let StatementKind::Variable { mechanism, .. } = &statement.kind else {
            continue;
        };
        let mut stack = vec![match mechanism {
            Mechanism::Stochastic(d) => Node::Dist(d),
            Mechanism::Deterministic(e) => Node::Expr(e),
        }];
        while let Some(node) = stack.pop() {
            match node {
                Node::Expr(e) => match &e.kind {
                    ExprKind::Parameter { name, .. } => out.push((e.span, name.clone())),
                    ExprKind::Literal(_)
                    | ExprKind::Name(_)
                    | ExprKind::Index { .. }
                    | ExprKind::Counterfactual { .. } => {}
                    ExprKind::Aggregate { body, .. } => stack.push(Node::Expr(body)),
                    ExprKind::Unary { operand, .. } => stack.push(Node::Expr(operand)),
                    ExprKind::Binary { left, right, .. } => {
                        stack.push(Node::Expr(left));
                        stack.push(Node::Expr(right));
                    }
                    ExprKind::If {
                        cond,
                        then,
                        otherwise,
                    } => {
                        stack.extend([cond, then, otherwise].map(|e| Node::Expr(e)));
                    }
                    ExprKind::Match { scrutinees, arms } => {
                        stack.extend(scrutinees.iter().map(Node::Expr));
                        stack.extend(arms.iter().map(|a| Node::Expr(&a.body)));
                    }
                    ExprKind::Call { args, .. } => {
                        stack.extend(args.iter().map(|a| Node::Expr(&a.value)));
                    }
                },
                Node::Dist(d) => match d {
                    DistExpr::Call { args, .. } => {
                        stack.extend(args.iter().map(|a| Node::Expr(&a.value)));
                    }
                    DistExpr::If {
                        cond,
                        then,
                        otherwise,
                        ..
                    } => {
                        stack.push(Node::Expr(cond));
                        stack.push(Node::Dist(then));
                        stack.push(Node::Dist(otherwise));
                    }
                    DistExpr::Match {
                        scrutinees, arms, ..
                    } => {
                        stack.extend(scrutinees.iter().map(Node::Expr));
                        stack.extend(arms.iter().map(|a| Node::Dist(&a.body)));
                    }
                },
            }
        }
    }
    out.sort_by_key(|(span, _)| span.start);
    out
}

/// A number as a literal that parses back to the same `f64`.
pub fn number(x: f64) -> String {
    let text = format!("{x:?}");
    if x < 0.0 { format!("({text})") } else { text }
}

/// The fitted model's text: `source` (whose syntax tree is `program` and checked model
/// `model`) with every `?` replaced by its estimate from `fitted`.
pub fn fitted_source(
    source: &str,
    program: &ast::Program,
    model: &Model,
    fitted: &Fitted,
) -> String {
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for (span, name) in occurrences(program) {
        let ids: Vec<usize> = (0..model.parameters.len())
            .filter(|id| {
                let p = &model.parameters[*id];
                match &name {
                    Some(n) => p.named && &p.name == n,
                    None => !p.named && p.span == span,
                }
            })
            .collect();
        let text = match ids.as_slice() {
            [] => continue,
            [id] if model.parameters[*id].cell.is_empty() => number(fitted.values[*id]),
            _ => {
                let vars: Vec<usize> = model.parameters[ids[0]].cell.iter().map(|c| c.0).collect();
                let scrutinee: Vec<&str> =
                    vars.iter().map(|v| model.vars[*v].name.as_str()).collect();
                let arms: Vec<String> = ids
                    .iter()
                    .map(|id| {
                        let p = &model.parameters[*id];
                        let pattern: Vec<String> = p
                            .cell
                            .iter()
                            .map(|(v, x)| model.format_value(model.vars[*v].ty, *x))
                            .collect();
                        format!("{} => {}", tuple(&pattern), number(fitted.values[*id]))
                    })
                    .collect();
                format!(
                    "match {} {{ {} }}",
                    tuple(&scrutinee.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
                    arms.join(", ")
                )
            }
        };
        edits.push((span.start, span.end, text));
    }
    for statement in &program.statements {
        let StatementKind::Variable { name, .. } = &statement.kind else {
            continue;
        };
        let Some(v) = model.find(&name.name) else {
            continue;
        };
        let ids = model.parameters_of(v);
        if ids.is_empty() {
            continue;
        }
        let mechanism = fitted
            .summary
            .mechanisms
            .iter()
            .find(|m| m.variable == name.name);
        // At the end of the statement, so that no line moves (answers are seeded by line).
        let mut comment = match mechanism {
            Some(m) => format!("  # fitted by {} from {} rows:", m.method, m.rows),
            None => "  # fitted:".to_string(),
        };
        for id in ids {
            let se =
                fitted.stderr[id].map_or("no standard error".to_string(), |s| format!("± {s:.3e}"));
            comment.push_str(&format!(
                " {} = {} ({se});",
                super::parameter_text(model, id),
                number(fitted.values[id])
            ));
        }
        comment.pop();
        let (start, end) = (statement.span.start, statement.span.end);
        let end = start + source[start..end].trim_end().len();
        edits.push((end, end, comment));
    }
    // The data served the fit; a model that still reads it (nonparametric variables) keeps it.
    let reads_data = model
        .vars
        .iter()
        .any(|v| matches!(v.kind, crate::scm::VarKind::Nonparametric));
    for statement in &program.statements {
        if let StatementKind::Data { .. } = &statement.kind
            && !reads_data
        {
            let (start, end) = (statement.span.start, statement.span.end);
            let text = format!(
                "# {} (fitted: the estimates are written in)",
                &source[start..end]
            );
            edits.push((start, end, text));
        }
    }
    edits.sort_by_key(|e| (e.0, e.1));
    let mut out = source.to_string();
    for (start, end, text) in edits.into_iter().rev() {
        out.replace_range(start..end, &text);
    }
    out
}

fn tuple(items: &[String]) -> String {
    if items.len() == 1 {
        items[0].clone()
    } else {
        format!("({})", items.join(", "))
    }
}
