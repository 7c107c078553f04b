//! Graph declarations: `a -> b` and `a <-> b` edges. A name that only edges mention is a
//! nonparametric variable (no mechanism), typed from its data column when the model has data;
//! `->` edges are parents (checked against mechanisms when the graph is built), `<->` edges
//! unobserved common causes. Also the one `data "FILE"` a model may name.

use super::{Checker, Decl, sorted};
use crate::ast::{self, Span, StatementKind};
use crate::diagnostics::{Code, Diagnostic};
use crate::scm::{Type, Var, VarId, VarKind};
use std::collections::HashSet;

/// The type and finite domain of a variable without a mechanism, as its data column shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnType {
    Bool,
    /// Integers: the values seen, ascending.
    Int(Vec<i64>),
    /// Reals: no finite domain.
    Real,
    /// Labels: the values seen, sorted.
    Label(Vec<String>),
}

/// How many names appear in edges (`a -> b`) without another declaration.
pub(super) fn edge_only_names(ast: &ast::Program) -> usize {
    let mut edge_names: HashSet<&str> = HashSet::new();
    for statement in &ast.statements {
        if let StatementKind::Edges(edges) = &statement.kind {
            edge_names.extend(edges.ends.iter().flatten().map(|n| n.name.as_str()));
        }
    }
    if edge_names.is_empty() {
        // Most models have no edge statement: then no declared name needs collecting.
        return 0;
    }
    for statement in &ast.statements {
        if let StatementKind::Variable { name, .. } | StatementKind::Decision { name, .. } =
            &statement.kind
        {
            edge_names.remove(name.name.as_str());
        }
    }
    edge_names.len()
}

impl<'a> Checker<'a> {
    /// Edges: names not declared otherwise become nonparametric variables; `->` edges are
    /// recorded as parents (checked against mechanisms in [`Checker::build_graph`]), `<->`
    /// edges as unobserved common causes.
    pub(super) fn declare_edges(&mut self, program: &'a ast::Program) {
        for statement in &program.statements {
            let StatementKind::Edges(edges) = &statement.kind else {
                continue;
            };
            for name in edges.ends.iter().flatten() {
                if self.model.find(&name.name).is_some() {
                    continue;
                }
                if self.constants.contains_key(&name.name) {
                    self.error(Diagnostic::error(
                        Code::E014,
                        name.span,
                        format!(
                            "`{}` is a constant, not a variable: it cannot have edges",
                            name.name
                        ),
                    ));
                    continue;
                }
                self.model.add(Var {
                    name: name.name.clone(),
                    span: name.span,
                    ty: Type::Real,
                    kind: VarKind::Nonparametric,
                    exogenous: false,
                    parents: Vec::new(),
                    domain: None,
                    table: Default::default(),
                    listed: Default::default(),
                });
                self.decls.push(Decl {
                    mechanism: None,
                    domain: None,
                    lowered: false,
                    nonparametric: true,
                    edge_parents: Vec::new(),
                });
            }
            for (i, arrow) in edges.arrows.iter().enumerate() {
                for from in &edges.ends[i] {
                    for to in &edges.ends[i + 1] {
                        let (Some(a), Some(b)) =
                            (self.model.find(&from.name), self.model.find(&to.name))
                        else {
                            continue;
                        };
                        let span = from.span.to(to.span);
                        if a == b {
                            let what = match arrow {
                                ast::Arrow::Directed => "cause itself",
                                ast::Arrow::Bidirected => "share an unobserved cause with itself",
                            };
                            self.error(
                                Diagnostic::error(
                                    Code::E014,
                                    span,
                                    format!("`{}` cannot {what}", from.name),
                                )
                                .with_help("an edge joins two different variables"),
                            );
                            continue;
                        }
                        match arrow {
                            ast::Arrow::Directed => {
                                if !self.decls[b].edge_parents.iter().any(|(p, _)| *p == a) {
                                    self.decls[b].edge_parents.push((a, span));
                                }
                            }
                            ast::Arrow::Bidirected => {
                                let pair = (a.min(b), a.max(b));
                                if !self.bidirected.iter().any(|(x, y, _)| (*x, *y) == pair) {
                                    self.bidirected.push((pair.0, pair.1, span));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `data "FILE"`: at most one (the model's loader reads it, before checking).
    pub(super) fn data_statement(&mut self, program: &ast::Program) {
        let mut found: Option<Span> = None;
        for statement in &program.statements {
            if let StatementKind::Data { span, .. } = &statement.kind {
                if let Some(first) = &found {
                    let d = Diagnostic::error(
                        Code::E003,
                        *span,
                        "a model reads at most one `data` file".to_string(),
                    )
                    .with_label(*first, "the first `data` is here");
                    self.error(d);
                } else {
                    found = Some(*span);
                }
            }
        }
    }

    /// A nonparametric variable's type and domain, from its data column (untyped without
    /// one).
    pub(super) fn type_from_column(&mut self, v: VarId) {
        let name = self.model.vars[v].name.clone();
        let Some(column) = self.column_types.get(&name).cloned() else {
            // Untyped: identification still works; values need data (see lower_name).
            return;
        };
        let (ty, domain) = match column {
            ColumnType::Bool => (Type::Bool, Some(vec![0.0, 1.0])),
            ColumnType::Int(values) => {
                (Type::Int, Some(values.iter().map(|x| *x as f64).collect()))
            }
            ColumnType::Real => (Type::Real, None),
            ColumnType::Label(labels) => {
                let codes = labels.iter().map(|l| self.model.intern(l)).collect();
                (Type::Label, Some(sorted(codes)))
            }
        };
        let var = &mut self.model.vars[v];
        var.ty = ty;
        var.domain = domain;
        self.decls[v].lowered = true;
    }
}
