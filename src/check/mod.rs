//! AST → checked [`Program`]: names, types, the causal graph, cycles, interventions, decisions.
//!
//! Works in passes so that independent errors are all reported: declarations (duplicates,
//! constants), parents and cycles, then each mechanism lowered in topological order (so a
//! parent's type and domain are known before its children's), then the questions.
//!
//! One file a job, each adding methods to the one [`Checker`]: this file holds the passes,
//! declarations, the graph's parents (its order and cycles are `scm::graph`'s), mechanisms and
//! domains; `edges.rs` graph declarations (`->`, `<->`, nonparametric variables, `data`);
//! `expr.rs` lowers and types expressions; `dist.rs` distributions; `pattern.rs` the one `if`
//! and `match` lowering that expressions and mixtures share (patterns, coverage);
//! `intervention.rs` `do(...)`; `question.rs` queries, decisions, bandits, `identify` and
//! settings; `extend.rs` the same passes over one more piece of text against a checked
//! program (the REPL's entries).
//!
//! **Invariant:** returns a `Program` only when no error was found; never sees pest.

mod attribute;
mod dist;
mod edges;
mod expr;
mod extend;
mod intervention;
mod param;
mod pattern;
mod question;

use crate::ast::{self, DistExpr, Domain, ExprKind, Mechanism, SourceId, Span, StatementKind};
use crate::diagnostics::{Code, Diagnostic, Sources};
use crate::program::*;
use crate::scm::graph::topological_order_from;
use crate::scm::{Ex, Model, Type, Var, VarId, VarKind};
use dist::tree_domain;
pub use edges::ColumnType;
use edges::edge_only_names;
pub use extend::{Extension, Scope, extend};
use std::collections::{HashMap, HashSet};

/// Largest product of parent domains enumerated to find a deterministic variable's domain.
const DOMAIN_ENUMERATION_LIMIT: usize = 1 << 16;

/// Stack for parsing and checking: their recursion is bounded by the nesting and depth limits,
/// not by the caller's stack, which may be a small worker thread's.
const FRONT_END_STACK: usize = 256 << 20;

/// Runs `f` on a stack of [`FRONT_END_STACK`] bytes (reserved, not committed) on this thread:
/// `stacker` switches to a fresh segment and back, which costs a mapping instead of starting
/// and joining a thread (a thread start waits for a core on a busy machine: about 0.2 ms per
/// question from Python and the library, measured before the switch).
pub(crate) fn on_large_stack<T>(f: impl FnOnce() -> T) -> T {
    stacker::grow(FRONT_END_STACK, f)
}

/// Checks a parsed program under `config`'s limits, with the column types of its data for the
/// variables that have no mechanism (empty without data).
pub fn compile_ast(
    sources: &Sources,
    ast: &ast::Program,
    config: &crate::config::Config,
    types: &HashMap<String, ColumnType>,
) -> Result<Program, Vec<Diagnostic>> {
    let n_variables = ast
        .statements
        .iter()
        .filter(|s| s.declares_variable())
        .count()
        + edge_only_names(ast);
    if n_variables > config.max_variables {
        return Err(vec![too_many_variables(n_variables, config)]);
    }
    check_with_data(sources, ast, config, types)
}

/// E010 for a model of `n_variables`, more than `Config::max_variables`.
fn too_many_variables(n_variables: usize, config: &crate::config::Config) -> Diagnostic {
    Diagnostic::error(
        Code::E010,
        Span::new(SourceId::MODEL, 0, 0),
        format!(
            "the model has {n_variables} variables; whatif answers models of at most {}",
            config.max_variables
        ),
    )
    .with_help(
        "split the model into smaller ones (library users can raise `Config::max_variables`)",
    )
}

/// [`check`], with the types of nonparametric variables (edges, no mechanism) taken from the
/// columns of the model's data (`types`, by variable name).
pub fn check_with_data(
    sources: &Sources,
    program: &ast::Program,
    config: &crate::config::Config,
    types: &HashMap<String, ColumnType>,
) -> Result<Program, Vec<Diagnostic>> {
    let unrolled = crate::unroll::unroll(program, config)?;
    let program = unrolled.as_ref();
    let mut checker = Checker {
        sources,
        config: config.clone(),
        diagnostics: Vec::new(),
        model: Model::default(),
        constants: HashMap::new(),
        failed_constants: HashSet::new(),
        decls: Decls::after(0),
        range_values: 0,
        current: None,
        suggestions_left: MAX_SUGGESTIONS,
        column_types: types.clone(),
        bidirected: Vec::new(),
        params: param::Registry::default(),
        prior: None,
    };
    checker.declare(program);
    checker.declare_edges(program);
    checker.build_graph();
    checker.data_statement(program);
    let questions = checker.questions(program);
    if checker.diagnostics.iter().any(Diagnostic::is_error) {
        checker
            .diagnostics
            .sort_by_key(|d| d.span.map_or((SourceId::MODEL, 0), |s| (s.source, s.start)));
        return Err(checker.diagnostics);
    }
    let scope = Scope {
        extendable: extend::extendable(&checker.model),
        constants: checker.constants,
        range_values: checker.range_values,
    };
    Ok(Program {
        model: checker.model,
        statements: questions.statements,
        samples: questions.samples,
        seed: questions.seed,
        permutations: questions.permutations,
        method: questions.method,
        scope,
        bidirected: checker
            .bidirected
            .iter()
            .map(|(a, b, _)| (*a, *b))
            .collect(),
        prior: checker.prior,
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

/// The declarations a check lowers, by variable id. Variables before `base` were checked
/// earlier (an extension, `extend.rs`): each reads as a lowered mechanism, and none changes.
struct Decls<'a> {
    base: VarId,
    items: Vec<Decl<'a>>,
}

/// What an earlier variable reads as in [`Decls`].
static CHECKED: Decl<'static> = Decl {
    mechanism: None,
    domain: None,
    lowered: true,
    nonparametric: false,
    edge_parents: Vec::new(),
};

impl<'a> Decls<'a> {
    /// No declarations yet; the variables before `base` were checked earlier.
    fn after(base: VarId) -> Decls<'a> {
        Decls {
            base,
            items: Vec::new(),
        }
    }

    fn push(&mut self, decl: Decl<'a>) {
        self.items.push(decl);
    }
}

impl<'a> std::ops::Index<VarId> for Decls<'a> {
    type Output = Decl<'a>;

    fn index(&self, v: VarId) -> &Decl<'a> {
        match v.checked_sub(self.base) {
            Some(i) => &self.items[i],
            None => &CHECKED,
        }
    }
}

impl std::ops::IndexMut<VarId> for Decls<'_> {
    fn index_mut(&mut self, v: VarId) -> &mut Self::Output {
        match v.checked_sub(self.base) {
            Some(i) => &mut self.items[i],
            None => unreachable!("an extension never changes an earlier declaration"),
        }
    }
}

struct Checker<'a> {
    /// The texts the program's spans point into.
    sources: &'a Sources,
    config: crate::config::Config,
    diagnostics: Vec<Diagnostic>,
    model: Model,
    constants: HashMap<String, (f64, Type)>,
    /// Constants whose value failed (reported once, at the `let`); uses stay quiet.
    failed_constants: HashSet<String>,
    decls: Decls<'a>,
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
    /// The `?` parameters lowered so far (src/check/param.rs).
    params: param::Registry,
    /// `set prior = k` in force at the end of the file.
    prior: Option<f64>,
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
        self.sources
            .get(span.source)
            .and_then(|source| source.text.get(span.start..span.end))
            .unwrap_or("")
            .to_string()
    }

    /// The 1-based line of a span's start in the program (a question's line seeds its random
    /// numbers).
    fn line(&self, span: Span) -> usize {
        self.sources
            .get(span.source)
            .map_or(1, |source| source.program_line(span.start))
    }

    // -----------------------------------------------------------------------------------------
    // Pass 1: declarations.

    fn declare(&mut self, program: &'a ast::Program) {
        let mut first: HashMap<&str, Span> = HashMap::with_capacity(program.statements.len());
        for statement in &program.statements {
            let (name, exogenous, mechanism, domain) = match &statement.kind {
                StatementKind::Variable {
                    name,
                    mechanism,
                    exogenous,
                    ..
                } => (name, *exogenous, Some(mechanism), None),
                StatementKind::Decision { name, domain, .. } => (name, false, None, Some(domain)),
                StatementKind::Let { name, value } => {
                    if let Some(previous) = first.get(name.name.as_str()) {
                        let d = duplicate(&name.name, name.span, *previous);
                        self.error(d);
                        continue;
                    }
                    first.insert(&name.name, name.span);
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
            if let Some(previous) = first.get(name.name.as_str()) {
                let d = duplicate(&name.name, name.span, *previous);
                self.error(d);
                continue;
            }
            first.insert(&name.name, name.span);
            self.model.add(Var {
                name: name.name.clone(),
                span: name.span,
                ty: Type::Real,
                kind: VarKind::Decision(Vec::new()),
                exogenous,
                parents: Vec::new(),
                domain: None,
                table: Default::default(),
                listed: Default::default(),
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

    // -----------------------------------------------------------------------------------------
    // Pass 2: parents, cycles, then mechanisms in topological order.

    /// Parents, cycles and the topological order of the variables this check declares (from
    /// `decls.base` on), then their mechanisms in that order.
    fn build_graph(&mut self) {
        let n = self.model.vars.len();
        let first = self.decls.base;
        for v in first..n {
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
        let vars = &self.model.vars;
        let ordering = topological_order_from(first, n, |v| vars[v].parents.as_slice());
        for cycle in &ordering.cycles {
            self.report_cycle(cycle);
        }
        self.model.order.extend(&ordering.order);
        for v in ordering.order {
            if !ordering.cyclic[v - first] {
                self.lower_mechanism(v);
            }
        }
    }

    /// `members` is a path along parent edges: each is a child of the next, and the last's
    /// parent is the first. Reported in causal direction, starting from the earliest declared.
    fn report_cycle(&mut self, members: &[VarId]) {
        let mut causal: Vec<VarId> = members.iter().rev().copied().collect();
        let start = (0..causal.len())
            .min_by_key(|&i| {
                let span = self.model.vars[causal[i]].span;
                (span.source, span.start)
            })
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
                    var.kind = VarKind::Stochastic(std::sync::Arc::new(tree));
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
            (None, None) if self.decls[v].nonparametric => self.type_from_column(v),
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
    // Domains.

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
}

/// E003 for a name declared a second time.
fn duplicate(name: &str, span: Span, previous: Span) -> Diagnostic {
    Diagnostic::error(Code::E003, span, format!("`{name}` is declared twice"))
        .with_label(previous, "first declared here")
        .with_help("rename one of them; in the REPL, redeclaring replaces the mechanism")
}

/// Whether a value of type `value` may stand where `target` is expected.
fn assignable(target: Type, value: Type) -> bool {
    target == value
        || (target == Type::Real && value.is_numeric())
        || (target == Type::Int && value == Type::Bool)
        || (target == Type::Bool && value == Type::Int)
}

/// `values` in ascending order without repeats.
fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values.dedup();
    values
}

/// Names an expression mentions (variables or constants; resolved later).
fn expr_names(expr: &ast::Expr, out: &mut Vec<String>) {
    match &expr.kind {
        ExprKind::Literal(_) => {}
        ExprKind::Name(n) => out.push(n.clone()),
        ExprKind::Counterfactual { name, .. } | ExprKind::Index { name, .. } => {
            out.push(name.name.clone());
        }
        ExprKind::Aggregate { body, .. } => expr_names(body, out),
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
        ExprKind::Parameter { index, .. } => out.extend(index.iter().map(|i| i.name.name.clone())),
    }
}

/// Names a distribution mentions (variables or constants; resolved later).
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
