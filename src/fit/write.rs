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

/// Every statement of `program`, those inside `for` bodies included, with whether it is in one.
fn statements(program: &ast::Program) -> Vec<(&ast::Statement, bool)> {
    let mut out = Vec::new();
    let mut stack: Vec<(&ast::Statement, bool)> = program
        .statements
        .iter()
        .rev()
        .map(|s| (s, false))
        .collect();
    while let Some((statement, in_loop)) = stack.pop() {
        out.push((statement, in_loop));
        if let StatementKind::For { body, .. } = &statement.kind {
            stack.extend(body.iter().rev().map(|s| (s, true)));
        }
    }
    out
}

/// A `?` as written: where, its name, and its table's axes (`c[i]` inside a loop, which the
/// checked model knows only as one member's variable).
struct Occurrence {
    span: ast::Span,
    name: Option<String>,
    axes: Vec<ast::Member>,
}

/// Every `?` in the mechanisms of `program`, in source order.
fn occurrences(program: &ast::Program) -> Vec<Occurrence> {
    let mut out = Vec::new();
    for (statement, _) in statements(program) {
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
                    ExprKind::Parameter { name, index, .. } => out.push(Occurrence {
                        span: e.span,
                        name: name.clone(),
                        axes: index.clone(),
                    }),
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
    out.sort_by_key(|o| o.span.start);
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
    for Occurrence { span, name, axes } in occurrences(program) {
        let ids: Vec<usize> = (0..model.parameters.len())
            .filter(|id| {
                let p = &model.parameters[*id];
                match &name {
                    // `?name[i]` in a loop: `name[1]`, `name[2]`, ...
                    Some(n) if !p.member.is_empty() => {
                        p.named && p.span == span && p.name.split('[').next() == Some(n)
                    }
                    Some(n) => p.named && &p.name == n,
                    None => !p.named && p.span == span,
                }
            })
            .collect();
        if ids.is_empty() {
            continue;
        }
        // `?[i]` in a loop: one group of cells per member, chosen by a match on the loop
        // variables.
        let mut members: Vec<(&[(String, i64)], Vec<usize>)> = Vec::new();
        for id in ids {
            let member = model.parameters[id].member.as_slice();
            match members.iter_mut().find(|(m, _)| *m == member) {
                Some((_, group)) => group.push(id),
                None => members.push((member, vec![id])),
            }
        }
        // The table's axes as written, without the loop variables that pick a member.
        let written: Vec<String> = axes
            .iter()
            .filter(|a| {
                !(a.indices.is_empty() && members[0].0.iter().any(|(i, _)| *i == a.name.name))
            })
            .map(|a| {
                ast::Expr {
                    kind: if a.indices.is_empty() {
                        ExprKind::Name(a.name.name.clone())
                    } else {
                        ExprKind::Index {
                            name: a.name.clone(),
                            indices: a.indices.clone(),
                        }
                    },
                    span: a.name.span,
                }
                .to_string()
            })
            .collect();
        let text = match members.as_slice() {
            [(member, ids)] if member.is_empty() => cells_text(model, fitted, ids, &written),
            _ => {
                let loops: Vec<String> = members[0].0.iter().map(|(i, _)| i.clone()).collect();
                let arms: Vec<String> = members
                    .iter()
                    .map(|(member, ids)| {
                        let values: Vec<String> =
                            member.iter().map(|(_, k)| k.to_string()).collect();
                        format!(
                            "{} => {}",
                            tuple(&values),
                            cells_text(model, fitted, ids, &written)
                        )
                    })
                    .collect();
                format!("match {} {{ {} }}", tuple(&loops), arms.join(", "))
            }
        };
        edits.push((span.start, span.end, text));
    }
    for (statement, in_loop) in statements(program) {
        let StatementKind::Variable { name, .. } = &statement.kind else {
            continue;
        };
        // A statement in a loop declares members `name[k]`: its comment covers them all.
        let vars: Vec<usize> = if in_loop {
            let prefix = format!("{}[", name.name);
            (0..model.vars.len())
                .filter(|v| model.vars[*v].name.starts_with(&prefix))
                .collect()
        } else {
            model.find(&name.name).into_iter().collect()
        };
        let mut ids: Vec<usize> = Vec::new();
        for v in &vars {
            for id in model.parameters_of(*v) {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        if ids.is_empty() {
            continue;
        }
        let fitted_here: Vec<_> = fitted
            .summary
            .mechanisms
            .iter()
            .filter(|m| vars.iter().any(|v| model.vars[*v].name == m.variable))
            .collect();
        // At the end of the statement, so that no line moves (answers are seeded by line).
        let mut comment = match fitted_here.as_slice() {
            [] => "  # fitted:".to_string(),
            [m] => format!("  # fitted by {} from {} rows:", m.method, m.rows),
            [m, ..] => format!(
                "  # fitted by {} from {} rows over {} members:",
                m.method,
                fitted_here.iter().map(|m| m.rows).sum::<u64>(),
                fitted_here.len()
            ),
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

/// One parameter's estimate, or a table's cells as a `match` over its index variables
/// (`written`: the axes as the source names them, `c[i]` for the member `c[1]`).
fn cells_text(model: &Model, fitted: &Fitted, ids: &[usize], written: &[String]) -> String {
    if let [id] = ids
        && model.parameters[*id].cell.is_empty()
    {
        return number(fitted.values[*id]);
    }
    let vars: Vec<usize> = model.parameters[ids[0]].cell.iter().map(|c| c.0).collect();
    let scrutinee: Vec<String> = if written.len() == vars.len() {
        written.to_vec()
    } else {
        vars.iter().map(|v| model.vars[*v].name.clone()).collect()
    };
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
    format!("match {} {{ {} }}", tuple(&scrutinee), arms.join(", "))
}

fn tuple(items: &[String]) -> String {
    if items.len() == 1 {
        items[0].clone()
    } else {
        format!("({})", items.join(", "))
    }
}
