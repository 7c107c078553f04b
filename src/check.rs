//! AST → checked [`Program`]: names, types, the causal graph, cycles, interventions, decisions.
//!
//! Works in passes so that independent errors are all reported: declarations (duplicates,
//! constants), parents and cycles, then each mechanism lowered in topological order (so a
//! parent's type and domain are known before its children's), then the questions.
//!
//! **Invariant:** returns a `Program` only when no error was found; never sees pest.

use crate::ast::{
    self, Arm, BinaryOp, DistExpr, Domain, ExprKind, Literal, Mechanism, Pattern, Span,
    StatementKind, UnaryOp,
};
use crate::diagnostics::{Code, Diagnostic, suggest};
use crate::program::*;
use crate::scm::dist::{DIST_NAMES, DistKind, Leaf};
use crate::scm::expr::MatchEx;
use crate::scm::{BinOp, DistTree, Ex, Func, Model, Type, UnOp, Var, VarId, VarKind};
use std::collections::{HashMap, HashSet};

/// Largest product of parent domains enumerated to find a deterministic variable's domain.
const DOMAIN_ENUMERATION_LIMIT: usize = 1 << 16;

/// Stack for parsing and checking: their recursion is bounded by the nesting and depth limits,
/// not by the caller's stack, which may be a small worker thread's.
const FRONT_END_STACK: usize = 256 << 20;

/// Runs `f` on a scoped thread with [`FRONT_END_STACK`] bytes of stack (reserved, not
/// committed), or here if no thread can be started.
pub(crate) fn on_large_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let slot = std::sync::Mutex::new(Some(f));
    let take = || slot.lock().ok().and_then(|mut f| f.take());
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("whatif-front-end".to_string())
            .stack_size(FRONT_END_STACK)
            .spawn_scoped(scope, || take().map(|f| f()));
        match spawned.map(|handle| handle.join()) {
            Ok(Ok(Some(out))) => out,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            _ => match take() {
                Some(f) => f(),
                None => unreachable!("the front-end thread took the closure and returned"),
            },
        }
    })
}

/// Checks a parsed program under `config`'s limits, with the column types of its data for the
/// variables that have no mechanism (empty without data).
pub fn compile_ast(
    source: &str,
    ast: &ast::Program,
    config: &crate::config::Config,
    types: &HashMap<String, ColumnType>,
) -> Result<Program, Vec<Diagnostic>> {
    let n_variables = ast
        .statements
        .iter()
        .filter(|s| {
            matches!(
                s.kind,
                StatementKind::Variable { .. } | StatementKind::Decision { .. }
            )
        })
        .count()
        + edge_only_names(ast);
    if n_variables > config.max_variables {
        return Err(vec![
            Diagnostic::error(
                Code::E010,
                Span::default(),
                format!(
                    "the model has {n_variables} variables; whatif answers models of at most {}",
                    config.max_variables
                ),
            )
            .with_help("split the model into smaller ones (library users can raise `Config::max_variables`)"),
        ]);
    }
    check_with_data(source, ast, config, types)
}

/// How many names appear in edges (`a -> b`) without another declaration.
fn edge_only_names(ast: &ast::Program) -> usize {
    let mut declared: HashSet<&str> = HashSet::new();
    let mut edge_names: HashSet<&str> = HashSet::new();
    for statement in &ast.statements {
        match &statement.kind {
            StatementKind::Variable { name, .. } | StatementKind::Decision { name, .. } => {
                declared.insert(&name.name);
            }
            StatementKind::Edges(edges) => {
                edge_names.extend(edges.ends.iter().flatten().map(|n| n.name.as_str()));
            }
            _ => {}
        }
    }
    edge_names.difference(&declared).count()
}

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

/// [`check`], with the types of nonparametric variables (edges, no mechanism) taken from the
/// columns of the model's data (`types`, by variable name).
pub fn check_with_data(
    source: &str,
    program: &ast::Program,
    config: &crate::config::Config,
    types: &HashMap<String, ColumnType>,
) -> Result<Program, Vec<Diagnostic>> {
    let mut checker = Checker {
        source,
        config: config.clone(),
        diagnostics: Vec::new(),
        model: Model::default(),
        constants: HashMap::new(),
        failed_constants: HashSet::new(),
        decls: Vec::new(),
        range_values: 0,
        current: None,
        suggestions_left: MAX_SUGGESTIONS,
        column_types: types.clone(),
        bidirected: Vec::new(),
    };
    checker.declare(program);
    checker.declare_edges(program);
    checker.build_graph();
    checker.data_statement(program);
    let (statements, samples, seed) = checker.questions(program);
    if checker.diagnostics.iter().any(Diagnostic::is_error) {
        checker
            .diagnostics
            .sort_by_key(|d| d.span.map_or(0, |s| s.0));
        return Err(checker.diagnostics);
    }
    Ok(Program {
        model: checker.model,
        statements,
        samples,
        seed,
        bidirected: checker
            .bidirected
            .iter()
            .map(|(a, b, _)| (*a, *b))
            .collect(),
    })
}

/// A variable's declaration, kept until its mechanism is lowered.
struct Decl<'a> {
    mechanism: Option<&'a Mechanism>,
    domain: Option<&'a Domain>,
    lowered: bool,
    /// Declared only by edges (`a -> b`): no mechanism.
    nonparametric: bool,
    /// Parents given by `->` edges, with where each edge was written.
    edge_parents: Vec<(VarId, Span)>,
}

struct Checker<'a> {
    source: &'a str,
    config: crate::config::Config,
    diagnostics: Vec<Diagnostic>,
    model: Model,
    constants: HashMap<String, (f64, Type)>,
    /// Constants whose value failed (reported once, at the `let`); uses stay quiet.
    failed_constants: HashSet<String>,
    decls: Vec<Decl<'a>>,
    /// Values the domain ranges (`lo..hi`) lowered so far hold, against
    /// `Config::max_range_values`.
    range_values: usize,
    /// The variable whose mechanism is being lowered: never suggested for its own typos.
    current: Option<VarId>,
    /// How many more unknown names get a "did you mean" (each costs a pass over every name).
    suggestions_left: usize,
    /// Types of nonparametric variables, from the data's columns.
    column_types: HashMap<String, ColumnType>,
    /// `a <-> b` edges, each pair once (smaller id first), with where it was written.
    bidirected: Vec<(VarId, VarId, Span)>,
}

/// Unknown names that get a "did you mean"; past this, only the first few are shown anyway
/// (`diagnostics::MAX_RENDERED`), so a file of typos costs linear time.
const MAX_SUGGESTIONS: usize = 100;

/// Where an expression sits, which decides what it may mention.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `let`: numbers and earlier constants only.
    Constant,
    /// A mechanism: variables of the current world.
    Mechanism,
    /// A query: counterfactual terms allowed too.
    Query,
}

type Lowered<T> = Result<T, ()>;

impl<'a> Checker<'a> {
    fn error(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn text(&self, span: Span) -> String {
        self.source
            .get(span.start..span.end)
            .unwrap_or("")
            .to_string()
    }

    // -----------------------------------------------------------------------------------------
    // Pass 1: declarations.

    fn declare(&mut self, program: &'a ast::Program) {
        let mut first: HashMap<String, Span> = HashMap::new();
        for statement in &program.statements {
            let (name, exogenous, mechanism, domain) = match &statement.kind {
                StatementKind::Variable {
                    name,
                    mechanism,
                    exogenous,
                } => (name, *exogenous, Some(mechanism), None),
                StatementKind::Decision { name, domain } => (name, false, None, Some(domain)),
                StatementKind::Let { name, value } => {
                    if let Some(previous) = first.get(&name.name) {
                        let d = duplicate(&name.name, name.span, *previous);
                        self.error(d);
                        continue;
                    }
                    first.insert(name.name.clone(), name.span);
                    match self.lower_expr(value, Place::Constant) {
                        Ok((ex, ty)) => match ex.constant() {
                            Some(c) if c.is_finite() => {
                                self.constants.insert(name.name.clone(), (c, ty));
                            }
                            _ => {
                                self.failed_constants.insert(name.name.clone());
                                self.error(Diagnostic::error(
                                    Code::E005,
                                    value.span,
                                    format!("constant `{}` is not a finite number", name.name),
                                ));
                            }
                        },
                        Err(()) => {
                            self.failed_constants.insert(name.name.clone());
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            if let Some(previous) = first.get(&name.name) {
                let d = duplicate(&name.name, name.span, *previous);
                self.error(d);
                continue;
            }
            first.insert(name.name.clone(), name.span);
            self.model.add(Var {
                name: name.name.clone(),
                span: name.span,
                ty: Type::Real,
                kind: VarKind::Decision(Vec::new()),
                exogenous,
                parents: Vec::new(),
                domain: None,
            });
            self.decls.push(Decl {
                mechanism,
                domain,
                lowered: false,
                nonparametric: false,
                edge_parents: Vec::new(),
            });
        }
    }

    /// Edges: names not declared otherwise become nonparametric variables; `->` edges are
    /// recorded as parents (checked against mechanisms in [`Checker::build_graph`]), `<->`
    /// edges as unobserved common causes.
    fn declare_edges(&mut self, program: &'a ast::Program) {
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
    fn data_statement(&mut self, program: &ast::Program) {
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

    // -----------------------------------------------------------------------------------------
    // Pass 2: parents, cycles, then mechanisms in topological order.

    fn build_graph(&mut self) {
        let n = self.model.vars.len();
        for v in 0..n {
            let mut names = Vec::new();
            match self.decls[v].mechanism {
                Some(Mechanism::Stochastic(d)) => dist_names(d, &mut names),
                Some(Mechanism::Deterministic(e)) => expr_names(e, &mut names),
                None => {}
            }
            let mut parents = Vec::new();
            for name in names {
                if let Some(p) = self.model.find(&name)
                    && !parents.contains(&p)
                {
                    parents.push(p);
                }
            }
            let edges = std::mem::take(&mut self.decls[v].edge_parents);
            for (p, span) in edges {
                if self.decls[v].nonparametric {
                    if !parents.contains(&p) {
                        parents.push(p);
                    }
                } else if !parents.contains(&p) {
                    let (from, to) = (&self.model.vars[p].name, &self.model.vars[v].name);
                    let why = match self.decls[v].mechanism {
                        Some(_) => format!(
                            "edge `{from} -> {to}` but the mechanism of `{to}` does not read `{from}`"
                        ),
                        None => format!(
                            "edge `{from} -> {to}` but `{to}` is a decision: only `do`, `decide` and `bandit` set it"
                        ),
                    };
                    let d = Diagnostic::error(Code::E014, span, why)
                        .with_label(self.model.vars[v].span, format!("`{to}` is declared here"))
                        .with_help(format!(
                            "remove the edge, or make the mechanism of `{to}` use `{from}`"
                        ));
                    self.error(d);
                }
            }
            self.model.vars[v].parents = parents;
        }
        let (order, cyclic) = self.topological_order();
        self.model.order = order.clone();
        for v in order {
            if !cyclic[v] {
                self.lower_mechanism(v);
            }
        }
    }

    /// A topological order of the acyclic part, reporting every cycle (E004).
    fn topological_order(&mut self) -> (Vec<VarId>, Vec<bool>) {
        let n = self.model.vars.len();
        // 0 = unvisited, 1 = on the stack, 2 = done.
        let mut state = vec![0u8; n];
        let mut order = Vec::with_capacity(n);
        let mut cyclic = vec![false; n];
        for root in 0..n {
            if state[root] != 0 {
                continue;
            }
            let mut stack: Vec<(VarId, usize)> = vec![(root, 0)];
            state[root] = 1;
            while let Some(&mut (v, ref mut next)) = stack.last_mut() {
                if let Some(&p) = self.model.vars[v].parents.get(*next) {
                    *next += 1;
                    match state[p] {
                        0 => {
                            state[p] = 1;
                            stack.push((p, 0));
                        }
                        1 => {
                            let from = stack.iter().position(|(u, _)| *u == p).unwrap_or(0);
                            let members: Vec<VarId> =
                                stack[from..].iter().map(|(u, _)| *u).collect();
                            if members.iter().all(|m| !cyclic[*m]) {
                                self.report_cycle(&members);
                            }
                            for m in members {
                                cyclic[m] = true;
                            }
                        }
                        _ => {}
                    }
                } else {
                    state[v] = 2;
                    order.push(v);
                    stack.pop();
                }
            }
        }
        // Anything downstream of a cycle cannot be typed either.
        for &v in &order {
            if self.model.vars[v].parents.iter().any(|p| cyclic[*p]) {
                cyclic[v] = true;
            }
        }
        (order, cyclic)
    }

    /// `members` is a path along parent edges: each is a child of the next, and the last's
    /// parent is the first. Reported in causal direction, starting from the earliest declared.
    fn report_cycle(&mut self, members: &[VarId]) {
        let mut causal: Vec<VarId> = members.iter().rev().copied().collect();
        let start = (0..causal.len())
            .min_by_key(|&i| self.model.vars[causal[i]].span.start)
            .unwrap_or(0);
        causal.rotate_left(start);
        // A long cycle is named by its first few members, with a count of the rest.
        const SHOWN: usize = 8;
        let mut names: Vec<&str> = causal
            .iter()
            .take(SHOWN)
            .map(|v| self.model.vars[*v].name.as_str())
            .collect();
        let hidden = format!("… ({} more)", causal.len().saturating_sub(SHOWN));
        if causal.len() > SHOWN {
            names.push(&hidden);
        }
        names.push(self.model.vars[causal[0]].name.as_str());
        let message = format!("cycle: {}", names.join(" -> "));
        let first = &self.model.vars[causal[0]];
        let mut d = Diagnostic::error(Code::E004, first.span, message).with_help("a variable cannot depend on itself, directly or through others; break the cycle by removing one of these dependencies");
        for w in causal.iter().skip(1).take(SHOWN - 1) {
            let var = &self.model.vars[*w];
            d = d.with_label(var.span, format!("`{}` is part of the cycle", var.name));
        }
        self.error(d);
    }

    fn lower_mechanism(&mut self, v: VarId) {
        self.current = Some(v);
        self.lower_mechanism_of(v);
        self.current = None;
    }

    fn lower_mechanism_of(&mut self, v: VarId) {
        let decl = &self.decls[v];
        let (mechanism, domain) = (decl.mechanism, decl.domain);
        match (mechanism, domain) {
            (Some(Mechanism::Stochastic(dist)), _) => {
                if let Ok((tree, ty)) = self.lower_dist(dist, Place::Mechanism) {
                    let var = &mut self.model.vars[v];
                    var.ty = ty;
                    var.domain = tree_domain(&tree);
                    var.kind = VarKind::Stochastic(tree);
                    self.decls[v].lowered = true;
                }
            }
            (Some(Mechanism::Deterministic(expr)), _) => {
                if let Ok((ex, ty)) = self.lower_expr(expr, Place::Mechanism) {
                    let domain = self.enumerate_domain(&ex, ty);
                    let var = &mut self.model.vars[v];
                    var.ty = ty;
                    var.domain = domain;
                    var.kind = VarKind::Deterministic(ex);
                    self.decls[v].lowered = true;
                }
            }
            (None, None) if self.decls[v].nonparametric => {
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
            (None, Some(domain)) => {
                if let Ok((values, ty)) = self.lower_domain(domain, None) {
                    let var = &mut self.model.vars[v];
                    var.ty = ty;
                    var.domain = Some(sorted(values.clone()));
                    var.kind = VarKind::Decision(values);
                    self.decls[v].lowered = true;
                }
            }
            _ => {}
        }
    }

    /// A deterministic variable's values, by evaluating it on every combination of its
    /// parents' values, where that is finite and small.
    fn enumerate_domain(&self, ex: &Ex, ty: Type) -> Option<Vec<f64>> {
        if ty == Type::Bool {
            return Some(vec![0.0, 1.0]);
        }
        let mut parents = Vec::new();
        ex.visit_vars(&mut |p| {
            if !parents.contains(&p) {
                parents.push(p);
            }
        });
        let domains: Vec<&Vec<f64>> = parents
            .iter()
            .map(|p| self.model.vars[*p].domain.as_ref())
            .collect::<Option<_>>()?;
        let size = domains
            .iter()
            .try_fold(1usize, |acc, d| acc.checked_mul(d.len()))?;
        if size > DOMAIN_ENUMERATION_LIMIT {
            return None;
        }
        let mut vals = vec![0.0; self.model.vars.len()];
        let mut values = Vec::new();
        for mut index in 0..size {
            for (p, d) in parents.iter().zip(&domains) {
                vals[*p] = d[index % d.len()];
                index /= d.len();
            }
            let x = ex.eval(&vals, 0);
            if !x.is_finite() {
                return None;
            }
            values.push(x);
        }
        Some(sorted(values))
    }

    // -----------------------------------------------------------------------------------------
    // Expressions.

    fn lower_expr(&mut self, expr: &ast::Expr, place: Place) -> Lowered<(Ex, Type)> {
        let span = expr.span;
        match &expr.kind {
            ExprKind::Literal(literal) => Ok(self.lower_literal(literal)),
            ExprKind::Name(name) => self.lower_name(name, span, place),
            ExprKind::Counterfactual {
                name,
                interventions,
            } => {
                if place != Place::Query {
                    self.error(
                        Diagnostic::error(
                            Code::E005,
                            span,
                            "counterfactual terms belong in queries",
                        )
                        .with_help(
                            "a mechanism describes one world; ask about other worlds in a `query`",
                        ),
                    );
                    return Err(());
                }
                let (v, ty) = match self.lower_name(&name.name, name.span, Place::Mechanism)? {
                    (Ex::Var(v), ty) => (v, ty),
                    _ => {
                        self.error(Diagnostic::error(
                            Code::E005,
                            name.span,
                            format!("`{}` is a constant, not a variable", name.name),
                        ));
                        return Err(());
                    }
                };
                let interventions = self.lower_interventions(interventions)?;
                Ok((Ex::Counterfactual(v, interventions), ty))
            }
            ExprKind::Unary { op, operand } => {
                let (a, ty) = self.lower_expr(operand, place)?;
                match op {
                    UnaryOp::Neg => {
                        if !ty.is_numeric() {
                            return self.mismatch(span, "`-` expects a number", ty);
                        }
                        let ty = if ty == Type::Real {
                            Type::Real
                        } else {
                            Type::Int
                        };
                        Ok((Ex::Unary(UnOp::Neg, Box::new(a)).fold(), ty))
                    }
                    UnaryOp::Not => {
                        if ty != Type::Bool {
                            return self.mismatch(span, "`not` expects a bool", ty);
                        }
                        Ok((Ex::Unary(UnOp::Not, Box::new(a)).fold(), Type::Bool))
                    }
                }
            }
            ExprKind::Binary { op, left, right } => {
                let l = self.lower_expr(left, place);
                let r = self.lower_expr(right, place);
                let ((a, ta), (b, tb)) = (l?, r?);
                let ty = self.binary_type(*op, ta, tb, span, left.span, right.span)?;
                if matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
                    self.compared_in_domain(&a, &b, right.span)?;
                    self.compared_in_domain(&b, &a, left.span)?;
                }
                Ok((Ex::Binary(bin_op(*op), Box::new(a), Box::new(b)).fold(), ty))
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.lower_expr(cond, place);
                let t = self.lower_expr(then, place);
                let o = self.lower_expr(otherwise, place);
                let ((c, tc), (t, tt), (o, to)) = (c?, t?, o?);
                if tc != Type::Bool {
                    return self.mismatch(cond.span, "an `if` condition must be a bool", tc);
                }
                let ty = self.unify(tt, to, otherwise.span, "the branches of `if`")?;
                Ok((Ex::If(Box::new((c, t, o))).fold(), ty))
            }
            ExprKind::Match { scrutinees, arms } => {
                self.limit_arms(arms.len(), expr.span)?;
                let (scrutinees, types) = self.lower_scrutinees(scrutinees, place)?;
                let mut lowered = Vec::new();
                let mut ty: Option<Type> = None;
                let mut failed = false;
                for arm in arms {
                    let patterns = self.lower_patterns(arm, &types, &scrutinees);
                    let body = self.lower_expr(&arm.body, place);
                    match (patterns, body) {
                        (Ok(p), Ok((b, tb))) => {
                            ty = Some(match ty {
                                None => tb,
                                Some(t) => {
                                    match self.unify(t, tb, arm.body.span, "the arms of `match`") {
                                        Ok(t) => t,
                                        Err(()) => {
                                            failed = true;
                                            t
                                        }
                                    }
                                }
                            });
                            lowered.push((p, b));
                        }
                        _ => failed = true,
                    }
                }
                if failed {
                    return Err(());
                }
                let m = MatchEx {
                    scrutinees,
                    arms: lowered,
                };
                self.check_coverage(&m, span)?;
                Ok((Ex::Match(Box::new(m)), ty.unwrap_or(Type::Real)))
            }
            ExprKind::Call { name, args } => self.lower_call(name, args, span, place),
        }
    }

    fn lower_literal(&mut self, literal: &Literal) -> (Ex, Type) {
        match literal {
            Literal::Bool(b) => (Ex::Const(if *b { 1.0 } else { 0.0 }), Type::Bool),
            Literal::Int(i) => (Ex::Const(*i as f64), Type::Int),
            Literal::Real(x) => (Ex::Const(*x), Type::Real),
            Literal::Label(s) => (Ex::Const(self.model.intern(s)), Type::Label),
        }
    }

    fn lower_name(&mut self, name: &str, span: Span, place: Place) -> Lowered<(Ex, Type)> {
        if let Some((value, ty)) = self.constants.get(name) {
            return Ok((Ex::Const(*value), *ty));
        }
        if self.failed_constants.contains(name) {
            return Err(());
        }
        if let Some(v) = self.model.find(name) {
            if place == Place::Constant {
                self.error(Diagnostic::error(Code::E005, span, format!("constants may use numbers and earlier constants only, not the variable `{name}`")).with_help(format!("declare it as a variable: `NAME := ...` can depend on `{name}`")));
                return Err(());
            }
            if !self.decls[v].lowered && self.decls[v].nonparametric {
                let d = Diagnostic::error(
                    Code::E013,
                    span,
                    format!(
                        "`{name}` has edges but no mechanism, and no data column gives its values"
                    ),
                )
                .with_help(format!(
                    "add `data \"FILE.csv\"` with a column `{name}`, or give `{name}` a mechanism"
                ));
                self.error(d);
                return Err(());
            }
            if !self.decls[v].lowered {
                // Its own mechanism failed (reported there) or sits on a cycle.
                return Err(());
            }
            return Ok((Ex::Var(v), self.model.vars[v].ty));
        }
        self.unknown(name, span);
        Err(())
    }

    fn unknown(&mut self, name: &str, span: Span) {
        let what = if name.chars().next().is_some_and(char::is_uppercase)
            && DistKind::lookup(name).is_none()
        {
            "name"
        } else {
            "variable"
        };
        let mut d = Diagnostic::error(Code::E002, span, format!("unknown {what} `{name}`"));
        if let Some(hint) = misspelt_literal(name) {
            self.error(d.with_help(hint));
            return;
        }
        if self.model.label(name).is_some() {
            self.error(d.with_help(format!(
                "`{name}` is a label; labels are quoted: `\"{name}\"`"
            )));
            return;
        }
        let suggestion = if self.suggestions_left > 0 {
            self.suggestions_left -= 1;
            // Never the variable being declared: `y := y_1` does not mean `y := y`.
            let declaring = self.current.map(|v| self.model.vars[v].name.as_str());
            let candidates = self
                .model
                .vars
                .iter()
                .map(|v| v.name.as_str())
                .chain(self.constants.keys().map(String::as_str))
                .filter(|c| Some(*c) != declaring);
            suggest(name, candidates).map(str::to_string)
        } else {
            None
        };
        if let Some(s) = suggestion {
            d.message = format!("unknown {what} `{name}`; did you mean `{s}`?");
        } else {
            d = d.with_help("declare it with `~` or `:=`, or check the spelling");
        }
        self.error(d);
    }

    fn mismatch<T>(&mut self, span: Span, what: &str, found: Type) -> Lowered<T> {
        self.error(Diagnostic::error(
            Code::E005,
            span,
            format!("{what}, found {}", found.name()),
        ));
        Err(())
    }

    fn unify(&mut self, a: Type, b: Type, span: Span, what: &str) -> Lowered<Type> {
        use Type::*;
        Ok(match (a, b) {
            _ if a == b => a,
            (Real, x) | (x, Real) if x.is_numeric() => Real,
            (Int, Bool) | (Bool, Int) => Int,
            _ => {
                self.error(Diagnostic::error(
                    Code::E005,
                    span,
                    format!("{what} must have one type: {} and {}", a.name(), b.name()),
                ));
                return Err(());
            }
        })
    }

    fn binary_type(
        &mut self,
        op: BinaryOp,
        a: Type,
        b: Type,
        span: Span,
        left: Span,
        right: Span,
    ) -> Lowered<Type> {
        use BinaryOp::*;
        let symbol = op.symbol();
        match op {
            Or | Xor | And => {
                for (t, s) in [(a, left), (b, right)] {
                    if t != Type::Bool {
                        return self.mismatch(s, &format!("`{symbol}` expects bools"), t);
                    }
                }
                Ok(Type::Bool)
            }
            Eq | Ne => {
                if (a == Type::Label) != (b == Type::Label) {
                    self.error(Diagnostic::error(
                        Code::E005,
                        span,
                        format!("cannot compare {} with {}", a.name(), b.name()),
                    ));
                    return Err(());
                }
                Ok(Type::Bool)
            }
            Lt | Le | Gt | Ge => {
                for (t, s) in [(a, left), (b, right)] {
                    if !t.is_numeric() {
                        return self.mismatch(s, &format!("`{symbol}` compares numbers"), t);
                    }
                }
                Ok(Type::Bool)
            }
            Add | Sub | Mul | Div | Rem | Pow => {
                for (t, s) in [(a, left), (b, right)] {
                    if !t.is_numeric() {
                        return self.mismatch(s, &format!("`{symbol}` expects numbers"), t);
                    }
                }
                let both_int = a != Type::Real && b != Type::Real;
                Ok(if matches!(op, Div | Pow) || !both_int {
                    Type::Real
                } else {
                    Type::Int
                })
            }
        }
    }

    /// Where `var_side` is a variable with a finite domain of labels or bools and `value_side`
    /// a constant outside it (`w = "suny"`, `x = 2` for a bool), E005 with a suggestion: such
    /// a comparison is a misspelling, not a question (LANGUAGE.md section 4).
    fn compared_in_domain(&mut self, var_side: &Ex, value_side: &Ex, span: Span) -> Lowered<()> {
        let (Ex::Var(v) | Ex::Counterfactual(v, _), Ex::Const(c)) = (var_side, value_side) else {
            return Ok(());
        };
        if !matches!(self.model.vars[*v].ty, Type::Label | Type::Bool) {
            return Ok(());
        }
        self.value_in_domain(*v, *c, span, Code::E005)
    }

    /// An error (`code`) when `value` lies outside variable `v`'s finite domain, naming the
    /// nearest label or the values it takes.
    fn value_in_domain(&mut self, v: VarId, value: f64, span: Span, code: Code) -> Lowered<()> {
        let var = &self.model.vars[v];
        let Some(domain) = &var.domain else {
            return Ok(());
        };
        if domain.iter().any(|x| *x == value) {
            return Ok(());
        }
        let shown = |x: f64| match var.ty {
            Type::Bool if x != 0.0 && x != 1.0 => format!("{x}"),
            ty => self.model.format_value(ty, x),
        };
        let mut message = format!("{} is not a value of `{}`", shown(value), var.name);
        if var.ty == Type::Label {
            let label = |x: f64| self.model.labels.get(x as usize).map_or("", String::as_str);
            if let Some(s) = suggest(label(value), domain.iter().map(|x| label(*x))) {
                message = format!("{message}; did you mean \"{s}\"?");
            }
        }
        let mut listed: Vec<String> = domain.iter().take(8).map(|x| shown(*x)).collect();
        let values = if domain.len() > listed.len() {
            format!("{}, … ({} values)", listed.join(", "), domain.len())
        } else {
            let last = listed.pop().unwrap_or_default();
            match listed.is_empty() {
                true => last,
                false => format!("{} or {last}", listed.join(", ")),
            }
        };
        let help = format!("`{}` takes {values}", var.name);
        self.error(Diagnostic::error(code, span, message).with_help(help));
        Err(())
    }

    fn lower_call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Argument],
        span: Span,
        place: Place,
    ) -> Lowered<(Ex, Type)> {
        let Some((func, arity)) = Func::lookup(&name.name) else {
            if DistKind::lookup(&name.name).is_some() {
                self.error(
                    Diagnostic::error(
                        Code::E005,
                        span,
                        format!("`{}` is a distribution, not a value", name.name),
                    )
                    .with_help(format!("draw from it with `~`: `x ~ {}`", self.text(span))),
                );
            } else {
                let mut d = Diagnostic::error(
                    Code::E002,
                    name.span,
                    format!("unknown function `{}`", name.name),
                );
                let candidates = Func::NAMES
                    .iter()
                    .copied()
                    .chain(DIST_NAMES.iter().copied());
                match suggest(&name.name, candidates) {
                    Some(s) => {
                        d.message = format!("unknown function `{}`; did you mean `{s}`?", name.name)
                    }
                    None => {
                        d = d.with_help(format!("the functions are {}", Func::NAMES.join(", ")))
                    }
                }
                self.error(d);
            }
            return Err(());
        };
        if args.len() != arity {
            self.error(Diagnostic::error(
                Code::E005,
                span,
                format!(
                    "`{}` takes {arity} argument{}, found {}",
                    name.name,
                    if arity == 1 { "" } else { "s" },
                    args.len()
                ),
            ));
            return Err(());
        }
        let mut lowered = Vec::new();
        let mut types = Vec::new();
        for arg in args {
            if let Some((_, s)) = &arg.label {
                self.error(Diagnostic::error(
                    Code::E005,
                    *s,
                    "only `Categorical` takes labelled arguments",
                ));
                return Err(());
            }
            let (e, t) = self.lower_expr(&arg.value, place)?;
            if !t.is_numeric() {
                return self.mismatch(
                    arg.value.span,
                    &format!("`{}` expects numbers", name.name),
                    t,
                );
            }
            lowered.push(e);
            types.push(t);
        }
        let all_int = types.iter().all(|t| *t != Type::Real);
        let ty = match func {
            Func::Floor | Func::Ceil | Func::Round => Type::Int,
            Func::Abs | Func::Min | Func::Max | Func::Clamp if all_int => Type::Int,
            _ => Type::Real,
        };
        Ok((Ex::Call(func, lowered).fold(), ty))
    }

    fn lower_scrutinees(
        &mut self,
        scrutinees: &[ast::Expr],
        place: Place,
    ) -> Lowered<(Vec<Ex>, Vec<Type>)> {
        let mut exs = Vec::new();
        let mut types = Vec::new();
        let mut failed = false;
        for s in scrutinees {
            match self.lower_expr(s, place) {
                Ok((e, t)) => {
                    exs.push(e);
                    types.push(t);
                }
                Err(()) => failed = true,
            }
        }
        if failed { Err(()) } else { Ok((exs, types)) }
    }

    fn lower_patterns<T>(
        &mut self,
        arm: &Arm<T>,
        types: &[Type],
        scrutinees: &[Ex],
    ) -> Lowered<Vec<Option<f64>>> {
        if arm.patterns.len() != types.len() {
            let all_wild =
                arm.patterns.len() == 1 && matches!(arm.patterns[0], Pattern::Wildcard(_));
            if all_wild {
                return Ok(vec![None; types.len()]);
            }
            self.error(Diagnostic::error(
                Code::E005,
                arm.span,
                format!(
                    "this arm has {} pattern{} but the match inspects {} value{}",
                    arm.patterns.len(),
                    if arm.patterns.len() == 1 { "" } else { "s" },
                    types.len(),
                    if types.len() == 1 { "" } else { "s" }
                ),
            ));
            return Err(());
        }
        let mut out = Vec::new();
        for ((pattern, ty), scrutinee) in arm.patterns.iter().zip(types).zip(scrutinees) {
            match pattern {
                Pattern::Wildcard(_) => out.push(None),
                Pattern::Literal(literal, span) => {
                    let (value, lt) = match self.lower_literal(literal) {
                        (Ex::Const(c), t) => (c, t),
                        _ => return Err(()),
                    };
                    let compatible = match ty {
                        Type::Label => lt == Type::Label,
                        Type::Bool => {
                            lt == Type::Bool || (lt == Type::Int && (value == 0.0 || value == 1.0))
                        }
                        Type::Int => lt == Type::Int || lt == Type::Bool,
                        Type::Real => lt.is_numeric(),
                    };
                    if !compatible {
                        self.error(Diagnostic::error(
                            Code::E005,
                            *span,
                            format!(
                                "this pattern is {} but the value matched is {}",
                                lt.name(),
                                ty.name()
                            ),
                        ));
                        return Err(());
                    }
                    self.compared_in_domain(scrutinee, &Ex::Const(value), *span)?;
                    out.push(Some(value));
                }
            }
        }
        Ok(out)
    }

    /// A match no arm covers is an error where the scrutinees' domains are finite and known.
    fn check_coverage<T>(&mut self, m: &MatchEx<T>, span: Span) -> Lowered<()> {
        if m.arms.iter().any(|(p, _)| p.iter().all(Option::is_none)) {
            return Ok(());
        }
        let mut domains = Vec::new();
        for s in &m.scrutinees {
            let domain = match s {
                Ex::Var(v) => self.model.vars[*v].domain.clone(),
                _ => None,
            };
            match domain {
                Some(d) => domains.push(d),
                None => return Ok(()),
            }
        }
        let Some(size) = domains
            .iter()
            .try_fold(1usize, |acc, d| acc.checked_mul(d.len()))
        else {
            return Ok(());
        };
        if size > DOMAIN_ENUMERATION_LIMIT {
            return Ok(());
        }
        for mut index in 0..size {
            let mut key = Vec::new();
            for d in &domains {
                key.push(d[index % d.len()]);
                index /= d.len();
            }
            let covered = m
                .arms
                .iter()
                .any(|(p, _)| p.iter().zip(&key).all(|(p, k)| p.is_none_or(|p| p == *k)));
            if !covered {
                let shown: Vec<String> = m
                    .scrutinees
                    .iter()
                    .zip(&key)
                    .map(|(s, k)| match s {
                        Ex::Var(v) => self.model.format_value(self.model.vars[*v].ty, *k),
                        _ => k.to_string(),
                    })
                    .collect();
                let shown = if shown.len() == 1 {
                    shown[0].clone()
                } else {
                    format!("({})", shown.join(", "))
                };
                self.error(
                    Diagnostic::error(
                        Code::E005,
                        span,
                        format!("this match does not cover {shown}"),
                    )
                    .with_help("add an arm for it, or a catch-all `_ => ...`"),
                );
                return Err(());
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Distributions.

    fn lower_dist(&mut self, dist: &DistExpr, place: Place) -> Lowered<(DistTree, Type)> {
        match dist {
            DistExpr::Call { name, args, span } => self.lower_leaf(name, args, *span, place),
            DistExpr::If {
                cond,
                then,
                otherwise,
                ..
            } => {
                let c = self.lower_expr(cond, place);
                let t = self.lower_dist(then, place);
                let o = self.lower_dist(otherwise, place);
                let ((c, tc), (t, tt), (o, to)) = (c?, t?, o?);
                if tc != Type::Bool {
                    return self.mismatch(cond.span, "an `if` condition must be a bool", tc);
                }
                if tt != to {
                    self.error(Diagnostic::error(
                        Code::E005,
                        otherwise.span(),
                        format!(
                            "the branches of this mixture draw different types: {} and {}",
                            tt.name(),
                            to.name()
                        ),
                    ));
                    return Err(());
                }
                Ok((DistTree::If(Box::new((c, t, o))), tt))
            }
            DistExpr::Match {
                scrutinees,
                arms,
                span,
            } => {
                self.limit_arms(arms.len(), *span)?;
                let (scrutinees, types) = self.lower_scrutinees(scrutinees, place)?;
                let mut lowered = Vec::new();
                let mut ty = None;
                let mut failed = false;
                for arm in arms {
                    let patterns = self.lower_patterns(arm, &types, &scrutinees);
                    let body = self.lower_dist(&arm.body, place);
                    match (patterns, body) {
                        (Ok(p), Ok((b, tb))) => {
                            if let Some(t) = ty
                                && t != tb
                            {
                                self.error(Diagnostic::error(
                                    Code::E005,
                                    arm.body.span(),
                                    format!(
                                        "the arms of this mixture draw different types: {} and {}",
                                        Type::name(t),
                                        tb.name()
                                    ),
                                ));
                                failed = true;
                            }
                            ty = Some(tb);
                            lowered.push((p, b));
                        }
                        _ => failed = true,
                    }
                }
                if failed {
                    return Err(());
                }
                let m = MatchEx {
                    scrutinees,
                    arms: lowered,
                };
                self.check_coverage(&m, *span)?;
                Ok((DistTree::Match(Box::new(m)), ty.unwrap_or(Type::Real)))
            }
        }
    }

    fn lower_leaf(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Argument],
        span: Span,
        place: Place,
    ) -> Lowered<(DistTree, Type)> {
        let Some(mut kind) = DistKind::lookup(&name.name) else {
            let mut d = Diagnostic::error(
                Code::E002,
                name.span,
                format!("unknown distribution `{}`", name.name),
            );
            match suggest(&name.name, DIST_NAMES.iter().copied()) {
                Some(s) => {
                    d.message = format!("unknown distribution `{}`; did you mean `{s}`?", name.name)
                }
                None => d = d.with_help(format!("the distributions are {}", DIST_NAMES.join(", "))),
            }
            self.error(d);
            return Err(());
        };
        let names = kind.parameter_names();
        // `Normal(mean = 0, sd = 1)`: Python's keyword arguments, read here as comparisons
        // with unknown variables.
        let named: Vec<(&str, &ast::Expr)> = args
            .iter()
            .filter_map(|a| match &a.value.kind {
                ExprKind::Binary {
                    op: BinaryOp::Eq,
                    left,
                    right,
                } => match &left.kind {
                    ExprKind::Name(n)
                        if self.model.find(n).is_none() && !self.constants.contains_key(n) =>
                    {
                        Some((n.as_str(), &**right))
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect();
        if !named.is_empty() {
            let positional: Vec<String> = args
                .iter()
                .map(|a| match &a.value.kind {
                    ExprKind::Binary { right, .. }
                        if named.iter().any(|(_, r)| std::ptr::eq(*r, &**right)) =>
                    {
                        self.text(right.span)
                    }
                    _ => self.text(a.value.span),
                })
                .collect();
            self.error(
                Diagnostic::error(
                    Code::E005,
                    span,
                    format!("`{}` takes its parameters in order, not by name", name.name),
                )
                .with_help(format!(
                    "write `{}({})`; the parameters are {}",
                    name.name,
                    positional.join(", "),
                    if names.is_empty() {
                        "weights".to_string()
                    } else {
                        names.join(", ")
                    }
                )),
            );
            return Err(());
        }
        if let DistKind::Categorical { labels } = &mut kind {
            if args.is_empty() {
                self.error(Diagnostic::error(
                    Code::E005,
                    span,
                    "`Categorical` needs at least one weight",
                ));
                return Err(());
            }
            let labelled = args.iter().filter(|a| a.label.is_some()).count();
            if labelled != 0 && labelled != args.len() {
                self.error(Diagnostic::error(
                    Code::E005,
                    span,
                    "`Categorical` weights must be all labelled or all unlabelled",
                ));
                return Err(());
            }
            let mut seen = HashSet::new();
            for arg in args {
                if let Some((label, s)) = &arg.label {
                    if !seen.insert(label.clone()) {
                        self.error(Diagnostic::error(
                            Code::E003,
                            *s,
                            format!("label \"{label}\" is listed twice"),
                        ));
                        return Err(());
                    }
                    labels.push(self.model.intern(label));
                }
            }
        } else {
            if args.len() != names.len() {
                self.error(Diagnostic::error(
                    Code::E005,
                    span,
                    format!(
                        "`{}` takes {} parameter{} ({}), found {}",
                        name.name,
                        names.len(),
                        if names.len() == 1 { "" } else { "s" },
                        names.join(", "),
                        args.len()
                    ),
                ));
                return Err(());
            }
            if let Some((_, s)) = args.iter().find_map(|a| a.label.as_ref()) {
                self.error(Diagnostic::error(
                    Code::E005,
                    *s,
                    "only `Categorical` takes labelled arguments",
                ));
                return Err(());
            }
        }
        let mut params = Vec::new();
        let mut failed = false;
        for (i, arg) in args.iter().enumerate() {
            match self.lower_expr(&arg.value, place) {
                Ok((e, t)) => {
                    if !t.is_numeric() {
                        let pname = names.get(i).copied().unwrap_or("weight");
                        self.error(Diagnostic::error(
                            Code::E005,
                            arg.value.span,
                            format!(
                                "`{}` expects a number for `{pname}`, found {}",
                                name.name,
                                t.name()
                            ),
                        ));
                        failed = true;
                    }
                    params.push(e);
                }
                Err(()) => failed = true,
            }
        }
        if failed {
            return Err(());
        }
        // Constant parameters are checked now rather than at every draw.
        let constants: Option<Vec<f64>> = params.iter().map(Ex::constant).collect();
        if let Some(values) = constants
            && let Err(bad) = kind.validate(&values)
        {
            self.error(Diagnostic::error(
                Code::E006,
                span,
                format!(
                    "`{}`: {} = {} is outside {}",
                    self.text(span),
                    bad.name,
                    bad.value,
                    bad.range
                ),
            ));
            return Err(());
        }
        let ty = kind.value_type();
        Ok((DistTree::Leaf(Leaf { kind, params, span }), ty))
    }

    // -----------------------------------------------------------------------------------------
    // Interventions and domains.

    fn lower_interventions(
        &mut self,
        interventions: &[ast::Intervention],
    ) -> Lowered<Vec<Intervention>> {
        let mut out = Vec::new();
        let mut failed = false;
        let mut targets = HashSet::new();
        for i in interventions {
            let Some(v) = self.model.find(&i.target.name) else {
                if self.constants.contains_key(&i.target.name) {
                    self.error(Diagnostic::error(
                        Code::E008,
                        i.target.span,
                        format!(
                            "`{}` is a constant and cannot be intervened on",
                            i.target.name
                        ),
                    ));
                } else {
                    self.unknown(&i.target.name, i.target.span);
                }
                failed = true;
                continue;
            };
            if self.model.vars[v].exogenous {
                self.error(Diagnostic::error(Code::E008, i.target.span, format!("`{}` is exogenous and cannot be intervened on", i.target.name)).with_help("exogenous variables are background noise; intervene on a variable they cause"));
                failed = true;
                continue;
            }
            if !targets.insert(v) {
                self.error(Diagnostic::error(
                    Code::E008,
                    i.target.span,
                    format!("`{}` is intervened on twice", i.target.name),
                ));
                failed = true;
                continue;
            }
            if !self.decls[v].lowered {
                failed = true;
                continue;
            }
            let target_ty = self.model.vars[v].ty;
            let value = match &i.value {
                ast::InterventionValue::Set(e) => match self.lower_expr(e, Place::Query) {
                    // The value may read other worlds (`m = m[do(x = 0)]`, a nested
                    // counterfactual): planning gives those terms their worlds.
                    Ok((ex, ty)) => {
                        if !assignable(target_ty, ty) {
                            self.error(Diagnostic::error(
                                Code::E005,
                                e.span,
                                format!(
                                    "`{}` is {} but is set to {}",
                                    i.target.name,
                                    target_ty.name(),
                                    ty.name()
                                ),
                            ));
                            failed = true;
                            continue;
                        }
                        if let Ex::Const(c) = ex
                            && self.model.vars[v].ty != Type::Real
                            && (self.model.vars[v].ty != Type::Int
                                || !matches!(self.model.vars[v].kind, VarKind::Deterministic(_)))
                        {
                            if self.value_in_domain(v, c, e.span, Code::E008).is_err() {
                                failed = true;
                                continue;
                            }
                        }
                        // A bool may be set to 0/1 as in arithmetic: coerce to a truth value.
                        if target_ty == Type::Bool && ty == Type::Int {
                            InterventionValue::Set(
                                Ex::Binary(BinOp::Ne, Box::new(ex), Box::new(Ex::Const(0.0)))
                                    .fold(),
                            )
                        } else {
                            InterventionValue::Set(ex)
                        }
                    }
                    Err(()) => {
                        failed = true;
                        continue;
                    }
                },
                ast::InterventionValue::Draw(d) => match self.lower_dist(d, Place::Query) {
                    Ok((tree, ty)) => {
                        if !assignable(target_ty, ty) {
                            self.error(Diagnostic::error(
                                Code::E005,
                                d.span(),
                                format!(
                                    "`{}` is {} but is drawn as {}",
                                    i.target.name,
                                    target_ty.name(),
                                    ty.name()
                                ),
                            ));
                            failed = true;
                            continue;
                        }
                        InterventionValue::Draw(tree)
                    }
                    Err(()) => {
                        failed = true;
                        continue;
                    }
                },
            };
            out.push(Intervention {
                var: v,
                value,
                span: i.span,
            });
        }
        if failed { Err(()) } else { Ok(out) }
    }

    /// A domain's values and type; `expected` checks them against a variable's type.
    fn lower_domain(
        &mut self,
        domain: &Domain,
        expected: Option<Type>,
    ) -> Lowered<(Vec<f64>, Type)> {
        let (values, ty, span) = match domain {
            Domain::Bool(s) => (vec![0.0, 1.0], Type::Bool, *s),
            Domain::Range(lo, hi, s) => {
                // In i128: the width of an i64 range can overflow an i64.
                if hi < lo || i128::from(*hi) - i128::from(*lo) > 1_000_000 {
                    self.error(
                        Diagnostic::error(
                            Code::E009,
                            *s,
                            format!("the range {lo}..{hi} is empty or too large"),
                        )
                        .with_help("a range is inclusive and holds at most a million values"),
                    );
                    return Err(());
                }
                // At most a million; every range's values are built, so their total is bounded.
                let width = (i128::from(*hi) - i128::from(*lo) + 1) as usize;
                let limit = self.config.max_range_values;
                if self.range_values + width > limit {
                    self.error(
                        Diagnostic::error(
                            Code::E009,
                            *s,
                            format!(
                                "the domain ranges of this model hold more than the limit of \
                                 {limit} values in all"
                            ),
                        )
                        .with_help("give decisions smaller domains, or list their values"),
                    );
                    return Err(());
                }
                self.range_values += width;
                ((*lo..=*hi).map(|i| i as f64).collect(), Type::Int, *s)
            }
            Domain::Set(literals, s) => {
                let mut values = Vec::new();
                let mut ty: Option<Type> = None;
                for literal in literals {
                    let (ex, t) = self.lower_literal(literal);
                    let Ex::Const(c) = ex else { return Err(()) };
                    ty = Some(match ty {
                        None => t,
                        Some(prev) => self.unify(prev, t, *s, "the values of a domain")?,
                    });
                    if values.contains(&c) {
                        self.error(Diagnostic::error(
                            Code::E009,
                            *s,
                            format!("the value {literal} is listed twice"),
                        ));
                        return Err(());
                    }
                    values.push(c);
                }
                (values, ty.unwrap_or(Type::Int), *s)
            }
        };
        if let Some(expected) = expected
            && !assignable(expected, ty)
        {
            self.error(Diagnostic::error(
                Code::E005,
                span,
                format!(
                    "this domain holds {} values but the variable is {}",
                    ty.name().trim_start_matches("a ").trim_start_matches("an "),
                    expected.name()
                ),
            ));
            return Err(());
        }
        Ok((values, ty))
    }

    // -----------------------------------------------------------------------------------------
    // Pass 3: the questions.

    /// The questions, and the `set samples` / `set seed` values in force at the end.
    fn questions(&mut self, program: &ast::Program) -> (Vec<Statement>, Option<u64>, Option<u64>) {
        let mut out = Vec::new();
        let (mut samples, mut seed) = (None, None);
        for statement in &program.statements {
            let span = statement.span;
            let kind = match &statement.kind {
                StatementKind::Set { name, value } => {
                    if let Ok(n) = self.setting(name, value) {
                        match name.name.as_str() {
                            "samples" => samples = Some(n),
                            _ => seed = Some(n),
                        }
                    }
                    continue;
                }
                StatementKind::Query { name, estimand } => match self.lower_estimand(estimand) {
                    Ok(e) => StatementKind_::Query {
                        name: name.as_ref().map(|n| n.name.clone()),
                        estimand: e,
                    },
                    Err(()) => continue,
                },
                StatementKind::Decide(d) => match self
                    .lower_decide(d)
                    .and_then(|d| self.limit_decision(d, span))
                {
                    Ok(d) => StatementKind_::Decide(d),
                    Err(()) => continue,
                },
                StatementKind::Bandit(b) => match self.lower_bandit(b) {
                    Ok(b) => StatementKind_::Bandit(b),
                    Err(()) => continue,
                },
                StatementKind::Identify {
                    targets,
                    treatments,
                    given,
                } => {
                    let mut sets = [Vec::new(), Vec::new(), Vec::new()];
                    let mut ok = true;
                    for (set, terms) in sets.iter_mut().zip([targets, treatments, given]) {
                        for term in terms {
                            match self.identify_term(term) {
                                Some(v) if !set.contains(&v) => set.push(v),
                                Some(_) => {}
                                None => ok = false,
                            }
                        }
                    }
                    if !ok {
                        continue;
                    }
                    let [outcomes, treatments, given] = sets;
                    StatementKind_::Identify(Identify {
                        outcomes,
                        treatments,
                        given,
                    })
                }
                _ => continue,
            };
            let line = crate::diagnostics::line_col(self.source, span.start).0;
            out.push(Statement {
                kind,
                span,
                line,
                text: strip_comments(&self.text(span)),
                samples,
                seed,
            });
        }
        (out, samples, seed)
    }

    /// One variable of `identify`: `name` or `name = value` (the value is not needed: whether
    /// an effect is identifiable does not depend on it).
    fn identify_term(&mut self, term: &ast::Expr) -> Option<VarId> {
        let name = match &term.kind {
            ExprKind::Name(name) => Some((name, term.span)),
            ExprKind::Binary {
                op: BinaryOp::Eq,
                left,
                ..
            } => match &left.kind {
                ExprKind::Name(name) => Some((name, left.span)),
                _ => None,
            },
            _ => None,
        };
        let Some((name, span)) = name else {
            self.error(
                Diagnostic::error(
                    Code::E005,
                    term.span,
                    "`identify` takes variables, each alone or as `name = value`",
                )
                .with_help("write e.g. `identify P(y | do(x), z)`"),
            );
            return None;
        };
        let found = self.model.find(name);
        if found.is_none() {
            self.unknown(name, span);
        }
        found
    }

    /// E005 for a `match` with more arms than `Config::max_match_arms`.
    fn limit_arms(&mut self, n_arms: usize, span: Span) -> Lowered<()> {
        if n_arms <= self.config.max_match_arms {
            return Ok(());
        }
        let limit = self.config.max_match_arms;
        self.error(
            Diagnostic::error(
                Code::E005,
                span,
                format!("this `match` has {n_arms} arms, more than the limit of {limit}"),
            )
            .with_help("split the table with nested matches or compute it with arithmetic"),
        );
        Err(())
    }

    /// E009 for a decision whose table (full action vectors × context values) is larger than
    /// `Config::max_decision_table`, found from the domain sizes before anything is built.
    fn limit_decision(&mut self, decide: Decide, span: Span) -> Lowered<Decide> {
        let limit = self.config.max_decision_table;
        let (actions, contexts) = decide.table_sizes(&self.model);
        let entries = actions.zip(contexts).and_then(|(a, x)| a.checked_mul(x));
        if entries.is_some_and(|n| n <= limit) {
            return Ok(decide);
        }
        let count = |n: Option<usize>| n.map_or("at least 2^64".to_string(), |n| n.to_string());
        // Each axis's size when there are a few, else how many axes.
        let factors = |sizes: Vec<usize>, what: &str| match sizes.len() {
            0 | 1 => String::new(),
            2..=6 => {
                let sizes: Vec<String> = sizes.iter().map(usize::to_string).collect();
                format!(" ({})", sizes.join(" × "))
            }
            n => format!(" (from {n} {what})"),
        };
        let (action_axes, context_axes) = decide.table_axes(&self.model);
        let actions = format!(
            "{} actions{}",
            count(actions),
            factors(action_axes, "decisions")
        );
        let message = if context_axes.is_empty() {
            format!("this decision has {actions}, more than the limit of {limit}")
        } else {
            format!(
                "this decision tabulates {actions} × {} context values{}, more than the limit \
                 of {limit} entries",
                count(contexts),
                factors(context_axes, "observed variables")
            )
        };
        self.error(Diagnostic::error(Code::E009, span, message).with_help(
            "decide fewer variables jointly, give them smaller domains (`d in {...}`), \
                 or observe fewer variables with `given`",
        ));
        Err(())
    }

    fn setting(&mut self, name: &ast::Ident, value: &ast::Expr) -> Lowered<u64> {
        if name.name != "samples" && name.name != "seed" {
            let mut d = Diagnostic::error(
                Code::E002,
                name.span,
                format!("unknown setting `{}`", name.name),
            );
            match suggest(&name.name, ["samples", "seed"]) {
                Some(s) => {
                    d.message = format!("unknown setting `{}`; did you mean `{s}`?", name.name)
                }
                None => d = d.with_help("the settings are `samples` and `seed`"),
            }
            self.error(d);
            return Err(());
        }
        let (ex, ty) = self.lower_expr(value, Place::Constant)?;
        if !matches!(ty, Type::Int | Type::Real) {
            return self.mismatch(
                value.span,
                &format!("`{}` must be a whole number", name.name),
                ty,
            );
        }
        match ex.constant() {
            Some(c)
                if name.name == "samples"
                    && c.fract() == 0.0
                    && c > self.config.max_samples as f64 =>
            {
                let limit = self.config.max_samples;
                self.error(
                    Diagnostic::error(
                        Code::E005,
                        value.span,
                        format!("{c} samples is more than the limit of {limit}"),
                    )
                    .with_help(
                        "ask for fewer samples; the standard error shrinks with their square root",
                    ),
                );
                Err(())
            }
            Some(c)
                if c >= 0.0
                    && c.fract() == 0.0
                    && c < 1.8e19
                    && (name.name == "seed" || c >= 1.0) =>
            {
                Ok(c as u64)
            }
            _ => {
                self.error(Diagnostic::error(
                    Code::E005,
                    value.span,
                    format!(
                        "`{}` must be a whole number{}",
                        name.name,
                        if name.name == "samples" {
                            " of at least 1"
                        } else {
                            ""
                        }
                    ),
                ));
                Err(())
            }
        }
    }

    fn lower_conditions(&mut self, conditions: &[ast::Condition]) -> Lowered<Conditions> {
        let mut out = Conditions::default();
        let mut failed = false;
        let mut all_interventions = Vec::new();
        for c in conditions {
            if let ast::Condition::Do(list, _) = c {
                all_interventions.extend(list.iter().cloned());
            }
        }
        match self.lower_interventions(&all_interventions) {
            Ok(i) => out.interventions = i,
            Err(()) => failed = true,
        }
        for c in conditions {
            if let ast::Condition::Evidence(e) = c {
                match self.lower_expr(e, Place::Query) {
                    Ok((ex, ty)) => {
                        if ty != Type::Bool {
                            self.error(
                                Diagnostic::error(
                                    Code::E005,
                                    e.span,
                                    format!("evidence must be a condition, found {}", ty.name()),
                                )
                                .with_help(format!(
                                    "compare it with a value: `{} = ...`",
                                    self.text(e.span)
                                )),
                            );
                            failed = true;
                        } else {
                            out.evidence.push(Evidence {
                                expr: ex,
                                span: e.span,
                                text: self.text(e.span),
                            });
                        }
                    }
                    Err(()) => failed = true,
                }
            }
        }
        if failed { Err(()) } else { Ok(out) }
    }

    fn lower_estimand(&mut self, estimand: &ast::Estimand) -> Lowered<Estimand> {
        let span = estimand.span;
        match &estimand.kind {
            ast::EstimandKind::Number(x) => Ok(Estimand::Number(*x)),
            ast::EstimandKind::Neg(inner) => {
                Ok(Estimand::Neg(Box::new(self.lower_estimand(inner)?)))
            }
            ast::EstimandKind::Binary { op, left, right } => {
                let l = self.lower_estimand(left);
                let r = self.lower_estimand(right);
                Ok(Estimand::Binary(bin_op(*op), Box::new(l?), Box::new(r?)))
            }
            ast::EstimandKind::Probability { target, conditions } => {
                let t = self.lower_expr(target, Place::Query);
                let c = self.lower_conditions(conditions);
                let ((target_ex, ty), conditions) = (t?, c?);
                if ty == Type::Bool {
                    return Ok(Estimand::Probability {
                        event: target_ex,
                        conditions,
                        span,
                    });
                }
                let is_variable = matches!(target_ex, Ex::Var(_) | Ex::Counterfactual(..));
                if !is_variable {
                    self.error(
                        Diagnostic::error(
                            Code::E005,
                            target.span,
                            format!("`P(...)` needs an event or a variable, found {}", ty.name()),
                        )
                        .with_help("ask for an event (`P(x > 1)`) or an expectation (`E[...]`)"),
                    );
                    return Err(());
                }
                Ok(Estimand::Distribution {
                    target: target_ex,
                    ty,
                    conditions,
                    span,
                })
            }
            ast::EstimandKind::Expectation { target, conditions } => {
                let t = self.lower_expr(target, Place::Query);
                let c = self.lower_conditions(conditions);
                let ((value, ty), conditions) = (t?, c?);
                if !ty.is_numeric() {
                    return self.mismatch(target.span, "`E[...]` needs a number", ty);
                }
                Ok(Estimand::Expectation {
                    value,
                    conditions,
                    span,
                })
            }
        }
    }

    fn lower_decide(&mut self, decide: &ast::Decide) -> Lowered<Decide> {
        let objective = self.lower_estimand(&decide.objective)?;
        if !matches!(
            objective,
            Estimand::Expectation { .. } | Estimand::Probability { .. }
        ) {
            self.error(Diagnostic::error(
                Code::E009,
                decide.objective.span,
                "a decision's objective must be one expectation `E[...]` or probability `P(...)`",
            ));
            return Err(());
        }
        let mut stages = Vec::new();
        let mut decided: Vec<VarId> = Vec::new();
        let mut failed = false;
        for stage in &decide.stages {
            let mut choices = Vec::new();
            for choice in &stage.choices {
                match self.lower_choice(&choice.name, choice.domain.as_ref(), &decided) {
                    Ok(c) => {
                        decided.push(c.var);
                        choices.push(c);
                    }
                    Err(()) => failed = true,
                }
            }
            let stage_vars: Vec<VarId> = choices.iter().map(|c| c.var).collect();
            let downstream = self.model.descendants(&stage_vars);
            let mut given = Vec::new();
            for g in &stage.given {
                let Some(v) = self.model.find(&g.name) else {
                    self.unknown(&g.name, g.span);
                    failed = true;
                    continue;
                };
                let var = &self.model.vars[v];
                let settled = "a decision can only observe what is settled before it is made";
                let finite = format!(
                    "observe a coarser variable instead, such as `{0}_high := {0} > 0`",
                    g.name
                );
                let problem = if var.exogenous {
                    Some((
                        format!("context `{}` is exogenous and cannot be observed", g.name),
                        settled.to_string(),
                    ))
                } else if downstream[v] {
                    let decision = stage_vars
                        .iter()
                        .find(|d| self.model.descendants(&[**d])[v])
                        .map_or("", |d| self.model.vars[*d].name.as_str());
                    Some((
                        format!(
                            "context `{}` is a descendant of the decision `{decision}`",
                            g.name
                        ),
                        settled.to_string(),
                    ))
                } else if var.domain.is_none() {
                    Some((
                        format!(
                            "context `{}` is {} without a finite domain; a decision can only observe a variable with a finite domain",
                            g.name,
                            var.ty.name()
                        ),
                        finite,
                    ))
                } else if var.domain.as_ref().is_some_and(|d| d.len() > 4096) {
                    Some((
                        format!(
                            "context `{}` has more than 4096 values; a decision can only observe a variable with a small finite domain",
                            g.name
                        ),
                        finite,
                    ))
                } else {
                    None
                };
                match problem {
                    Some((message, help)) => {
                        self.error(Diagnostic::error(Code::E009, g.span, message).with_help(help));
                        failed = true;
                    }
                    None => given.push(v),
                }
            }
            stages.push(Stage { choices, given });
        }
        if failed {
            return Err(());
        }
        Ok(Decide {
            stages,
            maximize: decide.maximize,
            objective,
        })
    }

    fn lower_choice(
        &mut self,
        name: &ast::Ident,
        domain: Option<&Domain>,
        decided: &[VarId],
    ) -> Lowered<Choice> {
        let Some(v) = self.model.find(&name.name) else {
            self.unknown(&name.name, name.span);
            return Err(());
        };
        if decided.contains(&v) {
            self.error(Diagnostic::error(
                Code::E009,
                name.span,
                format!("`{}` is decided twice", name.name),
            ));
            return Err(());
        }
        if self.model.vars[v].exogenous {
            self.error(Diagnostic::error(
                Code::E009,
                name.span,
                format!("`{}` is exogenous and cannot be a decision", name.name),
            ));
            return Err(());
        }
        if !self.decls[v].lowered {
            return Err(());
        }
        let ty = self.model.vars[v].ty;
        let values = match domain {
            Some(d) => self.lower_domain(d, Some(ty))?.0,
            None => match (&self.model.vars[v].kind, &self.model.vars[v].domain) {
                (VarKind::Decision(values), _) => values.clone(),
                (_, Some(d)) if d.len() <= 4096 => d.clone(),
                _ => {
                    self.error(
                        Diagnostic::error(
                            Code::E009,
                            name.span,
                            format!("`{}` has no finite domain to choose from", name.name),
                        )
                        .with_help(format!("give one: `{} in {{...}}`", name.name)),
                    );
                    return Err(());
                }
            },
        };
        Ok(Choice {
            var: v,
            domain: values,
        })
    }

    fn lower_bandit(&mut self, bandit: &ast::Bandit) -> Lowered<Bandit> {
        let choice = self.lower_choice(&bandit.arm, bandit.domain.as_ref(), &[]);
        let reward = self.lower_expr(&bandit.reward, Place::Mechanism);
        let mut policies = Vec::new();
        let mut failed = false;
        for p in &bandit.policies {
            match PolicyKind::ALL.iter().find(|(n, _)| *n == p.name.name) {
                Some((_, kind)) => match (kind, p.parameter) {
                    (PolicyKind::EpsilonGreedy, Some(e)) if !(0.0..=1.0).contains(&e) => {
                        self.error(
                            Diagnostic::error(
                                Code::E005,
                                p.name.span,
                                format!("`epsilon_greedy({e})`: the exploration rate must lie in [0, 1]"),
                            )
                            .with_help("it is the probability of trying a random arm, e.g. `epsilon_greedy(0.1)`"),
                        );
                        failed = true;
                    }
                    (PolicyKind::EpsilonGreedy, _) | (_, None) => {
                        policies.push((*kind, p.parameter))
                    }
                    (_, Some(_)) => {
                        self.error(
                            Diagnostic::error(
                                Code::E005,
                                p.name.span,
                                format!("`{}` takes no parameter", p.name.name),
                            )
                            .with_help(format!("write `{}`", p.name.name)),
                        );
                        failed = true;
                    }
                },
                None => {
                    let names = PolicyKind::ALL.iter().map(|(n, _)| *n);
                    let mut d = Diagnostic::error(
                        Code::E002,
                        p.name.span,
                        format!("unknown policy `{}`", p.name.name),
                    );
                    match suggest(&p.name.name, names) {
                        Some(s) => d.message = format!("unknown policy `{}`; did you mean `{s}`?", p.name.name),
                        None => d = d.with_help("the policies are random, greedy, epsilon_greedy, ucb1, thompson, causal_thompson"),
                    }
                    self.error(d);
                    failed = true;
                }
            }
        }
        let (choice, (reward, reward_type)) = (choice?, reward?);
        if !reward_type.is_numeric() {
            return self.mismatch(bandit.reward.span, "a reward must be a number", reward_type);
        }
        if failed {
            return Err(());
        }
        Ok(Bandit {
            arm: choice.var,
            domain: choice.domain,
            reward,
            reward_type,
            rounds: bandit.rounds,
            runs: bandit.runs,
            policies,
        })
    }
}

// The checked statement kind, named apart from the AST's.
use crate::program::StatementKind as StatementKind_;

/// A hint for a name that is a literal of another language: `True`, `None`, `NaN`.
fn misspelt_literal(name: &str) -> Option<&'static str> {
    Some(match name {
        "True" | "TRUE" | "False" | "FALSE" => "the booleans are written `true` and `false`",
        "None" | "null" | "NULL" | "nil" | "NA" => {
            "whatif has no missing value; every variable has a value in every world"
        }
        "NaN" | "nan" | "Inf" | "inf" | "infinity" => {
            "numbers are finite in whatif; write a large number such as `1e300`"
        }
        _ => return None,
    })
}

/// Source text without comments (pest spans include trailing trivia), trimmed.
fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut in_label = false;
        let mut end = line.len();
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'"' => in_label = !in_label,
                b'#' if !in_label => {
                    end = i;
                    break;
                }
                b'/' if !in_label && bytes.get(i + 1) == Some(&b'/') => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let kept = line[..end].trim_end();
        if !kept.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(kept);
        }
    }
    out
}

fn duplicate(name: &str, span: Span, previous: Span) -> Diagnostic {
    Diagnostic::error(Code::E003, span, format!("`{name}` is declared twice"))
        .with_label(previous, "first declared here")
        .with_help("rename one of them; in the REPL, redeclaring replaces the mechanism")
}

fn assignable(target: Type, value: Type) -> bool {
    target == value
        || (target == Type::Real && value.is_numeric())
        || (target == Type::Int && value == Type::Bool)
        || (target == Type::Bool && value == Type::Int)
}

fn bin_op(op: BinaryOp) -> BinOp {
    match op {
        BinaryOp::Or => BinOp::Or,
        BinaryOp::Xor => BinOp::Xor,
        BinaryOp::And => BinOp::And,
        BinaryOp::Eq => BinOp::Eq,
        BinaryOp::Ne => BinOp::Ne,
        BinaryOp::Lt => BinOp::Lt,
        BinaryOp::Le => BinOp::Le,
        BinaryOp::Gt => BinOp::Gt,
        BinaryOp::Ge => BinOp::Ge,
        BinaryOp::Add => BinOp::Add,
        BinaryOp::Sub => BinOp::Sub,
        BinaryOp::Mul => BinOp::Mul,
        BinaryOp::Div => BinOp::Div,
        BinaryOp::Rem => BinOp::Rem,
        BinaryOp::Pow => BinOp::Pow,
    }
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values.dedup();
    values
}

/// The values a distribution tree can draw, where every leaf's support is known.
fn tree_domain(tree: &DistTree) -> Option<Vec<f64>> {
    let mut values = Vec::new();
    for leaf in tree.leaves() {
        let params: Vec<f64> = leaf
            .params
            .iter()
            .map(Ex::constant)
            .collect::<Option<_>>()
            .or_else(|| {
                // Categorical's and Bernoulli's supports do not depend on the weights.
                matches!(
                    leaf.kind,
                    DistKind::Categorical { .. } | DistKind::Bernoulli
                )
                .then(|| vec![1.0; leaf.params.len()])
            })?;
        values.extend(leaf.kind.support(&params)?);
    }
    Some(sorted(values))
}

/// Names an expression mentions (variables or constants; resolved later).
fn expr_names(expr: &ast::Expr, out: &mut Vec<String>) {
    match &expr.kind {
        ExprKind::Literal(_) => {}
        ExprKind::Name(n) => out.push(n.clone()),
        ExprKind::Counterfactual { name, .. } => out.push(name.name.clone()),
        ExprKind::Unary { operand, .. } => expr_names(operand, out),
        ExprKind::Binary { left, right, .. } => {
            expr_names(left, out);
            expr_names(right, out);
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            expr_names(cond, out);
            expr_names(then, out);
            expr_names(otherwise, out);
        }
        ExprKind::Match { scrutinees, arms } => {
            scrutinees.iter().for_each(|s| expr_names(s, out));
            arms.iter().for_each(|a| expr_names(&a.body, out));
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| expr_names(&a.value, out)),
    }
}

fn dist_names(dist: &DistExpr, out: &mut Vec<String>) {
    match dist {
        DistExpr::Call { args, .. } => args.iter().for_each(|a| expr_names(&a.value, out)),
        DistExpr::If {
            cond,
            then,
            otherwise,
            ..
        } => {
            expr_names(cond, out);
            dist_names(then, out);
            dist_names(otherwise, out);
        }
        DistExpr::Match {
            scrutinees, arms, ..
        } => {
            scrutinees.iter().for_each(|s| expr_names(s, out));
            arms.iter().for_each(|a| dist_names(&a.body, out));
        }
    }
}
