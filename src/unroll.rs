//! Families unrolled (LANGUAGE.md §11): `for` blocks, members declared alone, index
//! expressions, aggregates, `for`-suffixed conditions and sequential `decide ... for t in`
//! become ordinary declarations, expressions, conditions and stages, before the checker sees
//! the program.
//!
//! A member `state[3]` becomes the ordinary variable named `state[3]` (the name prints back as
//! the member, so printing the unrolled program parses to the same variables), which is why
//! every engine, question, decision and bandit works on members unchanged. An index is a
//! constant integer expression of loop variables and `let` constants, evaluated here; a member
//! that is not declared is E002 naming it.
//!
//! Two passes over the statements, each walking nested loops with an explicit stack (never
//! recursion on the nesting): the first collects what is declared (so a member may be used
//! before its declaration, as any variable may), the second rewrites every statement with its
//! loop variables bound. Everything unrolling produces — loop iterations, statements, aggregate
//! terms, repeated conditions and stages — is counted against `Config::max_unrolled`, and
//! nested loops' sizes are multiplied with `config::table_size` before they run, so a
//! 10⁹-member family is refused by the limit, not by running out of memory.
//!
//! [`IndexEnv`] (constants and the loop variables in scope) is the one place names in an index
//! are looked up; later stages that need loop variables in bodies reuse it.

use crate::ast::{
    self, Aggregate, Argument, Arm, Attribute, BinaryOp, Binder, Condition, Decide, DistExpr,
    Estimand, EstimandKind, Expr, ExprKind, Ident, Intervention, InterventionValue, Literal,
    LoopCopy, Mechanism, Member, Span, Stage, Statement, StatementKind, UnaryOp,
};
use crate::config::{Config, table_size};
use crate::diagnostics::{Code, Diagnostic};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// The program with every family unrolled; borrowed unchanged when it uses none.
pub(crate) fn unroll<'a>(
    program: &'a ast::Program,
    config: &Config,
) -> Result<Cow<'a, ast::Program>, Vec<Diagnostic>> {
    if !program.statements.iter().any(uses_families) {
        return Ok(Cow::Borrowed(program));
    }
    let mut unroller = Unroller {
        config,
        constants: constants(program),
        declared: Declared::default(),
        diagnostics: Vec::new(),
        spent: 0,
        exhausted: false,
        aggregated: false,
        reported: HashSet::new(),
    };
    unroller.declare(&program.statements);
    if !unroller.diagnostics.is_empty() {
        return Err(unroller.diagnostics);
    }
    let statements = unroller.emit(&program.statements);
    if !unroller.diagnostics.is_empty() {
        return Err(unroller.diagnostics);
    }
    Ok(Cow::Owned(ast::Program { statements }))
}

/// The internal error for an index or aggregate that reached the checker: unrolling leaves
/// none, so this is a bug.
pub(crate) fn left_over(span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::E001,
        span,
        "a family term survived unrolling: this is a bug in whatif",
    )
}

/// The variable name of a member: `state[3]`, `cell[1][-2]`. It prints back as the member.
pub(crate) fn member_name(family: &str, indices: &[i64]) -> String {
    let mut name = family.to_string();
    for i in indices {
        name.push('[');
        name.push_str(&i.to_string());
        name.push(']');
    }
    name
}

// ---------------------------------------------------------------------------------------------
// Constant integer expressions.

/// A constant's value: indices and bounds must be integers; other constants may be reals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Num {
    Int(i64),
    Real(f64),
}

impl Num {
    fn real(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Real(x) => x,
        }
    }

    /// The value as an integer, when it is one (a real with no fraction counts).
    fn integer(self) -> Option<i64> {
        match self {
            Num::Int(i) => Some(i),
            Num::Real(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Some(x as i64),
            Num::Real(_) => None,
        }
    }
}

/// Names an index may mention: `let` constants and the loop variables in scope (innermost
/// last).
pub(crate) struct IndexEnv<'a> {
    constants: &'a HashMap<String, Num>,
    loops: Vec<(String, i64)>,
}

impl<'a> IndexEnv<'a> {
    /// An environment with no loop variable bound.
    pub(crate) fn new(constants: &'a HashMap<String, Num>) -> IndexEnv<'a> {
        IndexEnv {
            constants,
            loops: Vec::new(),
        }
    }

    /// Whether any loop variable is bound (the expression is repeated by a loop).
    pub(crate) fn in_loop(&self) -> bool {
        !self.loops.is_empty()
    }

    /// The value of loop variable `name`, innermost first.
    pub(crate) fn loop_value(&self, name: &str) -> Option<i64> {
        self.loops
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    fn lookup(&self, name: &str) -> Option<Num> {
        self.loop_value(name)
            .map(Num::Int)
            .or_else(|| self.constants.get(name).copied())
    }

    /// Evaluates a constant expression: numbers, constants, loop variables, `+ - * / % ^`,
    /// unary minus, and `min max abs floor ceil round`. Recursion is bounded by the expression
    /// depth limit the parser enforced.
    pub(crate) fn eval(&self, expr: &Expr) -> Result<Num, NotConstant> {
        let fail = |why: String| NotConstant {
            span: expr.span,
            why,
        };
        match &expr.kind {
            ExprKind::Literal(Literal::Int(i)) => Ok(Num::Int(*i)),
            ExprKind::Literal(Literal::Real(x)) => Ok(Num::Real(*x)),
            ExprKind::Literal(_) => Err(fail("it is not a number".to_string())),
            ExprKind::Name(name) => self.lookup(name).ok_or_else(|| {
                fail(format!(
                    "`{name}` is not a `let` constant or a loop variable"
                ))
            }),
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => match self.eval(operand)? {
                Num::Int(i) => i.checked_neg().map(Num::Int).ok_or_else(|| overflow(expr)),
                Num::Real(x) => Ok(Num::Real(-x)),
            },
            ExprKind::Binary { op, left, right } => {
                let (a, b) = (self.eval(left)?, self.eval(right)?);
                arithmetic(*op, a, b).ok_or_else(|| match op {
                    BinaryOp::Add
                    | BinaryOp::Sub
                    | BinaryOp::Mul
                    | BinaryOp::Div
                    | BinaryOp::Rem
                    | BinaryOp::Pow => overflow(expr),
                    _ => fail(format!("`{}` is not arithmetic", op.symbol())),
                })
            }
            ExprKind::Call { name, args } => {
                let values = args
                    .iter()
                    .map(|a| self.eval(&a.value))
                    .collect::<Result<Vec<_>, _>>()?;
                function(&name.name, &values).ok_or_else(|| {
                    fail(format!(
                        "`{}(...)` is not a constant function (use `min max abs floor ceil round`)",
                        name.name
                    ))
                })
            }
            _ => Err(fail("it is not a constant expression".to_string())),
        }
    }

    /// Evaluates a constant integer expression (an index or a bound).
    pub(crate) fn integer(&self, expr: &Expr) -> Result<i64, NotConstant> {
        let value = self.eval(expr)?;
        value.integer().ok_or(NotConstant {
            span: expr.span,
            why: format!("it is {}, not an integer", value.real()),
        })
    }
}

/// Why an expression is not the constant it had to be.
#[derive(Debug)]
pub(crate) struct NotConstant {
    pub span: Span,
    pub why: String,
}

fn overflow(expr: &Expr) -> NotConstant {
    NotConstant {
        span: expr.span,
        why: "its value overflows a 64-bit integer".to_string(),
    }
}

fn arithmetic(op: BinaryOp, a: Num, b: Num) -> Option<Num> {
    let real = |x: f64| x.is_finite().then_some(Num::Real(x));
    match (op, a, b) {
        (BinaryOp::Add, Num::Int(x), Num::Int(y)) => x.checked_add(y).map(Num::Int),
        (BinaryOp::Sub, Num::Int(x), Num::Int(y)) => x.checked_sub(y).map(Num::Int),
        (BinaryOp::Mul, Num::Int(x), Num::Int(y)) => x.checked_mul(y).map(Num::Int),
        (BinaryOp::Rem, Num::Int(x), Num::Int(y)) => x.checked_rem(y).map(Num::Int),
        (BinaryOp::Pow, Num::Int(x), Num::Int(y)) if y >= 0 => u32::try_from(y)
            .ok()
            .and_then(|y| x.checked_pow(y))
            .map(Num::Int),
        (BinaryOp::Add, a, b) => real(a.real() + b.real()),
        (BinaryOp::Sub, a, b) => real(a.real() - b.real()),
        (BinaryOp::Mul, a, b) => real(a.real() * b.real()),
        // `/` always divides as reals (LANGUAGE.md §4).
        (BinaryOp::Div, a, b) => real(a.real() / b.real()),
        (BinaryOp::Rem, a, b) => real(a.real() % b.real()),
        (BinaryOp::Pow, a, b) => real(a.real().powf(b.real())),
        _ => None,
    }
}

fn function(name: &str, values: &[Num]) -> Option<Num> {
    let real = |x: f64| x.is_finite().then_some(Num::Real(x));
    match (name, values) {
        ("abs", [Num::Int(i)]) => i.checked_abs().map(Num::Int),
        ("abs", [x]) => real(x.real().abs()),
        ("floor", [x]) => real(x.real().floor()),
        ("ceil", [x]) => real(x.real().ceil()),
        ("round", [x]) => real(x.real().round()),
        ("min", [Num::Int(a), Num::Int(b)]) => Some(Num::Int(*a.min(b))),
        ("max", [Num::Int(a), Num::Int(b)]) => Some(Num::Int(*a.max(b))),
        ("min", [a, b]) => real(a.real().min(b.real())),
        ("max", [a, b]) => real(a.real().max(b.real())),
        _ => None,
    }
}

/// The `let` constants, evaluated in file order (each may use earlier ones). A constant that
/// does not evaluate is left out; the checker reports it at its `let`.
fn constants(program: &ast::Program) -> HashMap<String, Num> {
    let mut constants = HashMap::new();
    for statement in &program.statements {
        if let StatementKind::Let { name, value } = &statement.kind {
            let value = IndexEnv::new(&constants).eval(value);
            if let Ok(value) = value {
                constants.entry(name.name.clone()).or_insert(value);
            }
        }
    }
    constants
}

// ---------------------------------------------------------------------------------------------
// Whether a program uses families at all.

/// Whether a statement uses families (a loop, a member, an index, an aggregate, a repeat).
pub(crate) fn uses_families(statement: &Statement) -> bool {
    match &statement.kind {
        StatementKind::For { .. } => true,
        StatementKind::Let { value, .. } | StatementKind::Set { value, .. } => expr_uses(value),
        StatementKind::Variable {
            indices, mechanism, ..
        } => {
            !indices.is_empty()
                || match mechanism {
                    Mechanism::Stochastic(d) => dist_uses(d),
                    Mechanism::Deterministic(e) => expr_uses(e),
                }
        }
        StatementKind::Decision { indices, .. } => !indices.is_empty(),
        StatementKind::Query { estimand, .. } => estimand_uses(estimand),
        StatementKind::Decide(d) => {
            !d.repeat.is_empty()
                || estimand_uses(&d.objective)
                || d.stages.iter().any(|s| {
                    s.choices.iter().any(|c| !c.indices.is_empty())
                        || s.given.iter().any(|g| !g.indices.is_empty())
                })
        }
        StatementKind::Bandit(b) => !b.arm_indices.is_empty() || expr_uses(&b.reward),
        StatementKind::Data { .. } | StatementKind::Edges(_) => false,
        StatementKind::Identify {
            targets,
            treatments,
            given,
        } => targets.iter().chain(treatments).chain(given).any(expr_uses),
        StatementKind::Attribute(Attribute::Noise { target, evidence }) => {
            expr_uses(target) || evidence.iter().any(expr_uses)
        }
        StatementKind::Attribute(Attribute::Interventions { objective, players }) => {
            estimand_uses(objective) || players.iter().any(intervention_uses)
        }
    }
}

fn expr_uses(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Literal(_) | ExprKind::Name(_) => false,
        ExprKind::Parameter { index, .. } => index.iter().any(|a| !a.indices.is_empty()),
        ExprKind::Index { .. } | ExprKind::Aggregate { .. } => true,
        ExprKind::Counterfactual {
            indices,
            interventions,
            ..
        } => !indices.is_empty() || interventions.iter().any(intervention_uses),
        ExprKind::Unary { operand, .. } => expr_uses(operand),
        ExprKind::Binary { left, right, .. } => expr_uses(left) || expr_uses(right),
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => expr_uses(cond) || expr_uses(then) || expr_uses(otherwise),
        ExprKind::Match { scrutinees, arms } => {
            scrutinees.iter().any(expr_uses) || arms.iter().any(|a| expr_uses(&a.body))
        }
        ExprKind::Call { args, .. } => args.iter().any(|a| expr_uses(&a.value)),
    }
}

/// A `?` inside a loop: `?[i]` (a loop variable in the brackets) is the member's own, an
/// unnamed `?` is one parameter for every copy, a named one is shared by its name anyway
/// (LANGUAGE.md §12).
fn parameter_copy(
    name: &Option<String>,
    index: &[Member],
    copy: &LoopCopy,
    env: &IndexEnv<'_>,
) -> ExprKind {
    let (loops, axes): (Vec<&Member>, Vec<&Member>) = index
        .iter()
        .partition(|i| env.loop_value(&i.name.name).is_some());
    let copy = if !loops.is_empty() {
        let mut member = match copy {
            LoopCopy::Member(outer) => outer.clone(),
            _ => Vec::new(),
        };
        member.extend(
            loops
                .iter()
                .filter_map(|i| Some((i.name.name.clone(), env.loop_value(&i.name.name)?))),
        );
        LoopCopy::Member(member)
    } else if name.is_none() && env.in_loop() && *copy == LoopCopy::Written {
        LoopCopy::Shared
    } else {
        copy.clone()
    };
    ExprKind::Parameter {
        name: name.clone(),
        index: axes.into_iter().cloned().collect(),
        copy,
    }
}

fn dist_uses(dist: &DistExpr) -> bool {
    match dist {
        DistExpr::Call { args, .. } => args.iter().any(|a| expr_uses(&a.value)),
        DistExpr::If {
            cond,
            then,
            otherwise,
            ..
        } => expr_uses(cond) || dist_uses(then) || dist_uses(otherwise),
        DistExpr::Match {
            scrutinees, arms, ..
        } => scrutinees.iter().any(expr_uses) || arms.iter().any(|a| dist_uses(&a.body)),
    }
}

fn intervention_uses(i: &Intervention) -> bool {
    !i.indices.is_empty()
        || !i.repeat.is_empty()
        || match &i.value {
            InterventionValue::Set(e) => expr_uses(e),
            InterventionValue::Draw(d) => dist_uses(d),
        }
}

fn estimand_uses(estimand: &Estimand) -> bool {
    match &estimand.kind {
        EstimandKind::Probability { target, conditions }
        | EstimandKind::Expectation { target, conditions } => {
            expr_uses(target)
                || conditions.iter().any(|c| match c {
                    Condition::Do(list, _) => list.iter().any(intervention_uses),
                    Condition::Evidence(e) => expr_uses(e),
                    Condition::EachEvidence(..) => true,
                })
        }
        EstimandKind::Marginals { conditions } => conditions.iter().any(|c| match c {
            Condition::Do(list, _) => list.iter().any(intervention_uses),
            Condition::Evidence(e) => expr_uses(e),
            Condition::EachEvidence(..) => true,
        }),
        EstimandKind::Number(_) => false,
        EstimandKind::Neg(inner) => estimand_uses(inner),
        EstimandKind::Binary { left, right, .. } => estimand_uses(left) || estimand_uses(right),
    }
}

// ---------------------------------------------------------------------------------------------
// The unroller.

/// What the program declares, collected by the first pass.
#[derive(Default)]
struct Declared {
    /// Variables declared without an index, with where.
    plain: HashMap<String, Span>,
    /// Families by name.
    families: HashMap<String, Family>,
    /// Every member's variable name, with where it was declared.
    members: HashMap<String, Span>,
}

/// A family's shape, for messages about members it lacks.
struct Family {
    /// How many indices its members take.
    arity: usize,
    /// The smallest and largest index in each position.
    bounds: Vec<(i64, i64)>,
    /// Where its first member was declared.
    span: Span,
}

impl Family {
    /// `state[0]` to `state[20]`.
    fn describe(&self, name: &str) -> String {
        let lo: Vec<i64> = self.bounds.iter().map(|b| b.0).collect();
        let hi: Vec<i64> = self.bounds.iter().map(|b| b.1).collect();
        format!(
            "`{name}` has members from `{}` to `{}`",
            member_name(name, &lo),
            member_name(name, &hi)
        )
    }
}

struct Unroller<'c> {
    config: &'c Config,
    constants: HashMap<String, Num>,
    declared: Declared,
    diagnostics: Vec<Diagnostic>,
    /// Loop iterations, statements, terms and repetitions produced so far, against
    /// `Config::max_unrolled`.
    spent: usize,
    /// Set once the budget ran out (reported once; everything stops).
    exhausted: bool,
    /// Whether the statement being emitted built an aggregate (its depth is then checked).
    aggregated: bool,
    /// The code and place of every error reported.
    reported: HashSet<(Option<Code>, Option<Span>)>,
}

type Lowered<T> = Result<T, ()>;

/// A loop being walked: its body, the next statement in it, and its variable with the last
/// index of its range (the current index is the innermost binding of `IndexEnv::loops`).
struct Frame<'p> {
    body: &'p [Statement],
    next: usize,
    last: Option<i64>,
}

impl<'c> Unroller<'c> {
    /// Records an error once per code and place: a loop body's mistake is the same mistake in
    /// every iteration, reported for the first.
    fn error(&mut self, d: Diagnostic) {
        if self.reported.insert((d.code, d.span)) {
            self.diagnostics.push(d);
        }
    }

    /// Counts `n` more units of unrolled work; past `Config::max_unrolled`, one E010 and stop.
    fn spend(&mut self, n: usize, span: Span) -> Lowered<()> {
        if self.exhausted {
            return Err(());
        }
        self.spent = self.spent.saturating_add(n);
        if self.spent > self.config.max_unrolled {
            self.exhausted = true;
            self.error(too_big(span, None, self.config.max_unrolled));
            return Err(());
        }
        Ok(())
    }

    /// A binder's range `lo..=hi`: constant integers, not empty, not larger than the limit.
    fn range(&mut self, binder: &Binder, env: &IndexEnv<'_>) -> Lowered<(i64, i64)> {
        let mut bound = |expr: &Expr, which: &str| match env.integer(expr) {
            Ok(v) => Ok(v),
            Err(e) => {
                self.error(
                    Diagnostic::error(
                        Code::E005,
                        e.span,
                        format!(
                            "the {which} bound of `{}` must be a constant integer: {}",
                            binder.var.name, e.why
                        ),
                    )
                    .with_help(
                        "a bound is an integer expression of numbers, `let` constants and \
                         enclosing loop variables, such as `1..N` or `0..N - 1`",
                    ),
                );
                Err(())
            }
        };
        let lo = bound(&binder.lo, "lower");
        let hi = bound(&binder.hi, "upper");
        let (lo, hi) = (lo?, hi?);
        if hi < lo {
            self.error(
                Diagnostic::error(
                    Code::E005,
                    binder.span,
                    format!(
                        "the range {lo}..{hi} of `{}` is empty: it is reversed",
                        binder.var.name
                    ),
                )
                .with_help(format!(
                    "ranges are inclusive and count upwards: write `{hi}..{lo}`"
                )),
            );
            return Err(());
        }
        let values = (hi as i128 - lo as i128 + 1) as u128;
        if values > self.config.max_unrolled as u128 {
            self.error(too_big(binder.span, Some(values), self.config.max_unrolled));
            return Err(());
        }
        if env.loop_value(&binder.var.name).is_some() {
            self.error(
                Diagnostic::error(
                    Code::E003,
                    binder.var.span,
                    format!(
                        "loop variable `{}` is already bound by an enclosing loop",
                        binder.var.name
                    ),
                )
                .with_help("give the inner loop's variable another name"),
            );
            return Err(());
        }
        if self.constants.contains_key(&binder.var.name)
            || self.declared.plain.contains_key(&binder.var.name)
            || self.declared.families.contains_key(&binder.var.name)
        {
            self.error(
                Diagnostic::error(
                    Code::E003,
                    binder.var.span,
                    format!(
                        "loop variable `{}` has the name of a constant or variable",
                        binder.var.name
                    ),
                )
                .with_help("give the loop variable a name of its own, such as `i` or `t`"),
            );
            return Err(());
        }
        Ok((lo, hi))
    }

    /// Walks `statements` with their loops unrolled, calling `visit` on each statement that is
    /// not a loop with the loop variables bound. Nested loops are frames on a stack.
    fn walk<'p>(
        &mut self,
        statements: &'p [Statement],
        mut visit: impl FnMut(&mut Self, &'p Statement, &IndexEnv<'_>, bool),
    ) {
        let constants = self.constants.clone();
        let mut env = IndexEnv::new(&constants);
        let mut stack = vec![Frame {
            body: statements,
            next: 0,
            last: None,
        }];
        // The sizes of the open loops' ranges, multiplied to bound nested loops up front.
        let mut sizes: Vec<usize> = Vec::new();
        while let Some(frame) = stack.last_mut() {
            if let Some(statement) = frame.body.get(frame.next) {
                frame.next += 1;
                let in_loop = stack.len() > 1;
                match &statement.kind {
                    StatementKind::For { binder, body } => {
                        // A loop that cannot run stops the walk: its body would fail alike.
                        let Ok((lo, hi)) = self.range(binder, &env) else {
                            break;
                        };
                        let size = (hi - lo) as usize + 1;
                        let repeats = table_size(sizes.iter().copied().chain([size]));
                        if repeats.is_none_or(|n| n > self.config.max_unrolled) {
                            let values = table_size(sizes.iter().copied().chain([size]))
                                .map_or(u128::MAX, |n| n as u128);
                            self.error(too_big(
                                binder.span,
                                Some(values),
                                self.config.max_unrolled,
                            ));
                            break;
                        }
                        if self.spend(1, binder.span).is_err() {
                            break;
                        }
                        sizes.push(size);
                        env.loops.push((binder.var.name.clone(), lo));
                        stack.push(Frame {
                            body,
                            next: 0,
                            last: Some(hi),
                        });
                    }
                    _ => {
                        if self.spend(1, statement.span).is_err() {
                            break;
                        }
                        visit(self, statement, &env, in_loop);
                    }
                }
                continue;
            }
            // The body is done: the next index, or leave the loop.
            match (frame.last, env.loops.last_mut()) {
                (Some(last), Some((_, index))) if *index < last => {
                    *index += 1;
                    frame.next = 0;
                    if self.spend(1, Span::default()).is_err() {
                        break;
                    }
                }
                (Some(_), _) => {
                    env.loops.pop();
                    sizes.pop();
                    stack.pop();
                }
                (None, _) => {
                    stack.pop();
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Pass 1: what is declared.

    fn declare(&mut self, statements: &[Statement]) {
        // Plain names first, so loop variables can be checked against them.
        for statement in statements {
            if let StatementKind::Variable { name, indices, .. }
            | StatementKind::Decision { name, indices, .. } = &statement.kind
                && indices.is_empty()
            {
                self.declared
                    .plain
                    .entry(name.name.clone())
                    .or_insert(name.span);
            }
        }
        self.walk(statements, |this, statement, env, in_loop| {
            let (name, indices) = match &statement.kind {
                StatementKind::Variable { name, indices, .. }
                | StatementKind::Decision { name, indices, .. } => (name, indices),
                _ => {
                    if in_loop {
                        this.error(not_a_declaration(statement));
                    }
                    return;
                }
            };
            if indices.is_empty() {
                if in_loop {
                    this.error(
                        Diagnostic::error(
                            Code::E003,
                            name.span,
                            format!(
                                "`{}` is declared in a loop without an index, so every iteration \
                                 declares it again",
                                name.name
                            ),
                        )
                        .with_help(format!(
                            "declare a member per index, such as `{}[i]`, or move the \
                             declaration out of the loop",
                            name.name
                        )),
                    );
                }
                return;
            }
            let Ok(values) = this.indices(indices, env) else {
                return;
            };
            if let Some(plain) = this.declared.plain.get(&name.name).copied() {
                this.error(
                    Diagnostic::error(
                        Code::E003,
                        name.span,
                        format!(
                            "`{}` is declared both as a variable and as a family",
                            name.name
                        ),
                    )
                    .with_label(plain, "declared as a variable here")
                    .with_help("give the family or the variable another name"),
                );
                return;
            }
            let family = this
                .declared
                .families
                .entry(name.name.clone())
                .or_insert_with(|| Family {
                    arity: values.len(),
                    bounds: values.iter().map(|&v| (v, v)).collect(),
                    span: name.span,
                });
            if family.arity != values.len() {
                let (arity, first) = (family.arity, family.span);
                this.error(
                    Diagnostic::error(
                        Code::E005,
                        name.span,
                        format!(
                            "`{}` is declared with {} {} here and with {arity} elsewhere",
                            name.name,
                            values.len(),
                            plural(values.len(), "index", "indices")
                        ),
                    )
                    .with_label(first, "first declared here")
                    .with_help("every member of a family takes the same number of indices"),
                );
                return;
            }
            for (bound, &v) in family.bounds.iter_mut().zip(&values) {
                *bound = (bound.0.min(v), bound.1.max(v));
            }
            let member = member_name(&name.name, &values);
            let span = name.span.to(indices.last().map_or(name.span, |e| e.span));
            if let Some(previous) = this.declared.members.insert(member.clone(), span) {
                this.error(
                    Diagnostic::error(Code::E003, span, format!("`{member}` is declared twice"))
                        .with_label(previous, "first declared here")
                        .with_help(
                            "each member is declared once: by a loop or alone, not both; check \
                             the loop's range",
                        ),
                );
            }
        });
    }

    /// Evaluates a member's indices.
    fn indices(&mut self, indices: &[Expr], env: &IndexEnv<'_>) -> Lowered<Vec<i64>> {
        let mut values = Vec::with_capacity(indices.len());
        for index in indices {
            match env.integer(index) {
                Ok(v) => values.push(v),
                Err(e) => {
                    self.error(
                        Diagnostic::error(
                            Code::E005,
                            e.span,
                            format!("an index must be a constant integer: {}", e.why),
                        )
                        .with_help(
                            "an index is an integer expression of numbers, `let` constants and \
                             loop variables, such as `state[t - 1]`",
                        ),
                    );
                    return Err(());
                }
            }
        }
        Ok(values)
    }

    // -----------------------------------------------------------------------------------------
    // Pass 2: the statements rewritten.

    fn emit(&mut self, statements: &[Statement]) -> Vec<Statement> {
        let mut out = Vec::new();
        self.walk(statements, |this, statement, env, _| {
            this.aggregated = false;
            if let Ok(statement) = this.statement(statement, env) {
                if this.aggregated {
                    let depth = statement.depth();
                    if depth > this.config.max_expression_depth {
                        this.error(crate::syntax::too_deep(
                            statement.span,
                            depth,
                            this.config.max_expression_depth,
                        ));
                        return;
                    }
                }
                out.push(statement);
            }
        });
        let variables = out.iter().filter(|s| s.declares_variable()).count();
        if variables > self.config.max_variables {
            self.error(
                Diagnostic::error(
                    Code::E010,
                    Span::default(),
                    format!(
                        "the model has {variables} variables once its families are unrolled; \
                         whatif answers models of at most {}",
                        self.config.max_variables
                    ),
                )
                .with_help(
                    "make the families smaller (library users can raise `Config::max_variables`)",
                ),
            );
        }
        out
    }

    fn statement(&mut self, statement: &Statement, env: &IndexEnv<'_>) -> Lowered<Statement> {
        let kind = match &statement.kind {
            StatementKind::Let { .. }
            | StatementKind::Set { .. }
            | StatementKind::Data { .. }
            | StatementKind::Edges(_) => statement.kind.clone(),
            StatementKind::Identify {
                targets,
                treatments,
                given,
            } => StatementKind::Identify {
                targets: self.exprs(targets, env)?,
                treatments: self.exprs(treatments, env)?,
                given: self.exprs(given, env)?,
            },
            StatementKind::Variable {
                name,
                indices,
                mechanism,
                exogenous,
            } => StatementKind::Variable {
                name: self.declared_member(name, indices, env)?,
                indices: Vec::new(),
                mechanism: match mechanism {
                    Mechanism::Stochastic(d) => Mechanism::Stochastic(self.dist(d, env)?),
                    Mechanism::Deterministic(e) => Mechanism::Deterministic(self.expr(e, env)?),
                },
                exogenous: *exogenous,
            },
            StatementKind::Decision {
                name,
                indices,
                domain,
            } => StatementKind::Decision {
                name: self.declared_member(name, indices, env)?,
                indices: Vec::new(),
                domain: domain.clone(),
            },
            StatementKind::Query { name, estimand } => StatementKind::Query {
                name: name.clone(),
                estimand: self.estimand(estimand, env)?,
            },
            StatementKind::Decide(decide) => StatementKind::Decide(self.decide(decide, env)?),
            StatementKind::Bandit(bandit) => {
                let mut bandit = bandit.clone();
                bandit.arm = self.member(&bandit.arm, &bandit.arm_indices, env)?;
                bandit.arm_indices.clear();
                bandit.reward = self.expr(&bandit.reward, env)?;
                StatementKind::Bandit(bandit)
            }
            StatementKind::Attribute(Attribute::Noise { target, evidence }) => {
                StatementKind::Attribute(Attribute::Noise {
                    target: self.expr(target, env)?,
                    evidence: self.exprs(evidence, env)?,
                })
            }
            StatementKind::Attribute(Attribute::Interventions { objective, players }) => {
                StatementKind::Attribute(Attribute::Interventions {
                    objective: self.estimand(objective, env)?,
                    players: self.interventions(players, env)?,
                })
            }
            StatementKind::For { .. } => return Err(()),
        };
        Ok(Statement {
            kind,
            span: statement.span,
        })
    }

    /// The name a declaration declares (validated by the first pass).
    fn declared_member(
        &mut self,
        name: &Ident,
        indices: &[Expr],
        env: &IndexEnv<'_>,
    ) -> Lowered<Ident> {
        if indices.is_empty() {
            return Ok(name.clone());
        }
        let values = self.indices(indices, env)?;
        Ok(Ident {
            name: member_name(&name.name, &values),
            span: name.span,
        })
    }

    /// A name used as a variable: a plain name, or a member resolved and checked.
    fn member(&mut self, name: &Ident, indices: &[Expr], env: &IndexEnv<'_>) -> Lowered<Ident> {
        if indices.is_empty() {
            self.bare_name(&name.name, name.span, env)?;
            return Ok(name.clone());
        }
        let span = name.span.to(indices.last().map_or(name.span, |e| e.span));
        let values = self.indices(indices, env)?;
        let member = member_name(&name.name, &values);
        if self.declared.members.contains_key(&member) {
            return Ok(Ident { name: member, span });
        }
        let d = match self.declared.families.get(&name.name) {
            Some(family) if family.arity != values.len() => Diagnostic::error(
                Code::E002,
                span,
                format!(
                    "`{member}` is not declared: `{}` takes {} {}",
                    name.name,
                    family.arity,
                    plural(family.arity, "index", "indices")
                ),
            )
            .with_label(family.span, "the family is declared here"),
            Some(family) => {
                Diagnostic::error(Code::E002, span, format!("`{member}` is not declared"))
                    .with_label(family.span, "the family is declared here")
                    .with_help(format!(
                        "{}; declare `{member}` alone (`{member} ~ ...`) or widen the loop's range",
                        family.describe(&name.name)
                    ))
            }
            None if self.declared.plain.contains_key(&name.name)
                || self.constants.contains_key(&name.name) =>
            {
                Diagnostic::error(
                    Code::E005,
                    span,
                    format!("`{}` is not a family, so it takes no index", name.name),
                )
                .with_help(format!(
                    "write `{}`; a bracket of `do(...)` or `NAME = value` would be a world",
                    name.name
                ))
            }
            None => Diagnostic::error(
                Code::E002,
                span,
                format!("unknown family `{}` in `{member}`", name.name),
            )
            .with_help("declare its members with `for i in a..b { name[i] ~ ... }`"),
        };
        self.error(d);
        Err(())
    }

    /// A bare name is fine unless it names a family (a member needs its index).
    fn bare_name(&mut self, name: &str, span: Span, env: &IndexEnv<'_>) -> Lowered<()> {
        if env.loop_value(name).is_some()
            || self.declared.plain.contains_key(name)
            || self.constants.contains_key(name)
        {
            return Ok(());
        }
        if let Some(family) = self.declared.families.get(name) {
            let example: Vec<i64> = family.bounds.iter().map(|b| b.0).collect();
            let d = Diagnostic::error(
                Code::E002,
                span,
                format!("`{name}` is a family: name one of its members"),
            )
            .with_label(family.span, "the family is declared here")
            .with_help(format!(
                "write a member such as `{}`, or aggregate over them: `sum({name}[i] for i in a..b)`",
                member_name(name, &example)
            ));
            self.error(d);
            return Err(());
        }
        Ok(())
    }

    fn expr(&mut self, expr: &Expr, env: &IndexEnv<'_>) -> Lowered<Expr> {
        let span = expr.span;
        let kind = match &expr.kind {
            ExprKind::Literal(_) => expr.kind.clone(),
            ExprKind::Parameter { name, index, copy } => {
                let mut axes = Vec::with_capacity(index.len());
                for axis in index {
                    axes.push(Member {
                        name: self.member(&axis.name, &axis.indices, env)?,
                        indices: Vec::new(),
                    });
                }
                parameter_copy(name, &axes, copy, env)
            }
            ExprKind::Name(name) => match env.loop_value(name) {
                Some(v) => ExprKind::Literal(Literal::Int(v)),
                None => {
                    self.bare_name(name, span, env)?;
                    expr.kind.clone()
                }
            },
            ExprKind::Index { name, indices } => {
                ExprKind::Name(self.member(name, indices, env)?.name)
            }
            ExprKind::Counterfactual {
                name,
                indices,
                interventions,
            } => ExprKind::Counterfactual {
                name: self.member(name, indices, env)?,
                indices: Vec::new(),
                interventions: self.interventions(interventions, env)?,
            },
            ExprKind::Aggregate { op, body, binders } => {
                return self.aggregate(*op, body, binders, span, env);
            }
            ExprKind::Unary { op, operand } => ExprKind::Unary {
                op: *op,
                operand: Box::new(self.expr(operand, env)?),
            },
            ExprKind::Binary { op, left, right } => {
                let left = self.expr(left, env);
                let right = self.expr(right, env);
                ExprKind::Binary {
                    op: *op,
                    left: Box::new(left?),
                    right: Box::new(right?),
                }
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.expr(cond, env);
                let then = self.expr(then, env);
                let otherwise = self.expr(otherwise, env);
                ExprKind::If {
                    cond: Box::new(cond?),
                    then: Box::new(then?),
                    otherwise: Box::new(otherwise?),
                }
            }
            ExprKind::Match { scrutinees, arms } => ExprKind::Match {
                scrutinees: self.exprs(scrutinees, env)?,
                arms: self.arms(arms, env, |this, e, env| this.expr(e, env))?,
            },
            ExprKind::Call { name, args } => ExprKind::Call {
                name: name.clone(),
                args: self.arguments(args, env)?,
            },
        };
        Ok(Expr { kind, span })
    }

    fn exprs(&mut self, exprs: &[Expr], env: &IndexEnv<'_>) -> Lowered<Vec<Expr>> {
        let all: Vec<Lowered<Expr>> = exprs.iter().map(|e| self.expr(e, env)).collect();
        all.into_iter().collect()
    }

    fn arguments(&mut self, args: &[Argument], env: &IndexEnv<'_>) -> Lowered<Vec<Argument>> {
        let all: Vec<Lowered<Argument>> = args
            .iter()
            .map(|a| {
                Ok(Argument {
                    label: a.label.clone(),
                    value: self.expr(&a.value, env)?,
                })
            })
            .collect();
        all.into_iter().collect()
    }

    fn arms<T>(
        &mut self,
        arms: &[Arm<T>],
        env: &IndexEnv<'_>,
        mut body: impl FnMut(&mut Self, &T, &IndexEnv<'_>) -> Lowered<T>,
    ) -> Lowered<Vec<Arm<T>>> {
        let all: Vec<Lowered<Arm<T>>> = arms
            .iter()
            .map(|a| {
                Ok(Arm {
                    patterns: a.patterns.clone(),
                    tuple: a.tuple,
                    body: body(self, &a.body, env)?,
                    span: a.span,
                })
            })
            .collect();
        all.into_iter().collect()
    }

    fn dist(&mut self, dist: &DistExpr, env: &IndexEnv<'_>) -> Lowered<DistExpr> {
        Ok(match dist {
            DistExpr::Call { name, args, span } => DistExpr::Call {
                name: name.clone(),
                args: self.arguments(args, env)?,
                span: *span,
            },
            DistExpr::If {
                cond,
                then,
                otherwise,
                span,
            } => {
                let cond = self.expr(cond, env);
                let then = self.dist(then, env);
                let otherwise = self.dist(otherwise, env);
                DistExpr::If {
                    cond: Box::new(cond?),
                    then: Box::new(then?),
                    otherwise: Box::new(otherwise?),
                    span: *span,
                }
            }
            DistExpr::Match {
                scrutinees,
                arms,
                span,
            } => DistExpr::Match {
                scrutinees: self.exprs(scrutinees, env)?,
                arms: self.arms(arms, env, |this, d, env| this.dist(d, env))?,
                span: *span,
            },
        })
    }

    /// Calls `f` once per binding of `binders` (the first outermost), in order, with the
    /// bindings pushed on `env`; an odometer, so any number of binders costs no recursion.
    fn each_binding(
        &mut self,
        binders: &[Binder],
        env: &IndexEnv<'_>,
        mut f: impl FnMut(&mut Self, &IndexEnv<'_>) -> Lowered<()>,
    ) -> Lowered<()> {
        let mut inner = IndexEnv {
            constants: env.constants,
            loops: env.loops.clone(),
        };
        let base = inner.loops.len();
        let mut lasts: Vec<i64> = Vec::new();
        let mut failed = false;
        loop {
            let level = inner.loops.len() - base;
            if level < binders.len() {
                let binder = &binders[level];
                let (lo, hi) = self.range(binder, &inner)?;
                inner.loops.push((binder.var.name.clone(), lo));
                lasts.push(hi);
                continue;
            }
            self.spend(1, binders.first().map_or(Span::default(), |b| b.span))?;
            if f(self, &inner).is_err() {
                failed = true;
                if self.exhausted {
                    return Err(());
                }
            }
            loop {
                let Some(last) = lasts.last().copied() else {
                    return if failed { Err(()) } else { Ok(()) };
                };
                let Some((_, index)) = inner.loops.last_mut() else {
                    return Err(());
                };
                if *index < last {
                    *index += 1;
                    break;
                }
                inner.loops.pop();
                lasts.pop();
            }
        }
    }

    /// `sum(e for i in a..b)` and the others, as a balanced tree of ordinary operators.
    fn aggregate(
        &mut self,
        op: Aggregate,
        body: &Expr,
        binders: &[Binder],
        span: Span,
        env: &IndexEnv<'_>,
    ) -> Lowered<Expr> {
        self.aggregated = true;
        let mut terms = Vec::new();
        self.each_binding(binders, env, |this, env| {
            let term = this.expr(body, env)?;
            terms.push(match op {
                // `count(c)`: 1 where c holds.
                Aggregate::Count => Expr {
                    span: term.span,
                    kind: ExprKind::If {
                        cond: Box::new(term),
                        then: Box::new(int(1, span)),
                        otherwise: Box::new(int(0, span)),
                    },
                },
                _ => term,
            });
            Ok(())
        })?;
        let n = terms.len();
        let combined = match op {
            Aggregate::Sum | Aggregate::Mean | Aggregate::Count => {
                balanced(terms, |l, r| binary(BinaryOp::Add, l, r, span))
            }
            Aggregate::All => balanced(terms, |l, r| binary(BinaryOp::And, l, r, span)),
            Aggregate::Any => balanced(terms, |l, r| binary(BinaryOp::Or, l, r, span)),
            Aggregate::Min | Aggregate::Max => balanced(terms, |l, r| Expr {
                span,
                kind: ExprKind::Call {
                    name: Ident {
                        name: op.name().to_string(),
                        span,
                    },
                    args: vec![
                        Argument {
                            label: None,
                            value: l,
                        },
                        Argument {
                            label: None,
                            value: r,
                        },
                    ],
                },
            }),
        };
        let Some(combined) = combined else {
            return Err(());
        };
        Ok(if op == Aggregate::Mean {
            binary(
                BinaryOp::Div,
                combined,
                Expr {
                    span,
                    kind: ExprKind::Literal(Literal::Real(n as f64)),
                },
                span,
            )
        } else {
            combined
        })
    }

    /// Interventions with their `for` suffixes repeated and their targets resolved.
    fn interventions(
        &mut self,
        interventions: &[Intervention],
        env: &IndexEnv<'_>,
    ) -> Lowered<Vec<Intervention>> {
        let mut out = Vec::with_capacity(interventions.len());
        let mut failed = false;
        for intervention in interventions {
            let result = self.each_binding(&intervention.repeat, env, |this, env| {
                let target = this.member(&intervention.target, &intervention.indices, env);
                let value = match &intervention.value {
                    InterventionValue::Set(e) => this.expr(e, env).map(InterventionValue::Set),
                    InterventionValue::Draw(d) => this.dist(d, env).map(InterventionValue::Draw),
                };
                out.push(Intervention {
                    target: target?,
                    indices: Vec::new(),
                    value: value?,
                    repeat: Vec::new(),
                    span: intervention.span,
                });
                Ok(())
            });
            failed |= result.is_err();
            if self.exhausted {
                return Err(());
            }
        }
        if failed { Err(()) } else { Ok(out) }
    }

    fn conditions(
        &mut self,
        conditions: &[Condition],
        env: &IndexEnv<'_>,
    ) -> Lowered<Vec<Condition>> {
        let mut out = Vec::with_capacity(conditions.len());
        let mut failed = false;
        for condition in conditions {
            let result = match condition {
                Condition::Do(list, span) => self
                    .interventions(list, env)
                    .map(|list| out.push(Condition::Do(list, *span))),
                Condition::Evidence(e) => {
                    self.expr(e, env).map(|e| out.push(Condition::Evidence(e)))
                }
                Condition::EachEvidence(e, binders) => {
                    self.each_binding(binders, env, |this, env| {
                        out.push(Condition::Evidence(this.expr(e, env)?));
                        Ok(())
                    })
                }
            };
            failed |= result.is_err();
            if self.exhausted {
                return Err(());
            }
        }
        if failed { Err(()) } else { Ok(out) }
    }

    fn estimand(&mut self, estimand: &Estimand, env: &IndexEnv<'_>) -> Lowered<Estimand> {
        let kind = match &estimand.kind {
            EstimandKind::Probability { target, conditions } => {
                let target = self.expr(target, env);
                let conditions = self.conditions(conditions, env);
                EstimandKind::Probability {
                    target: target?,
                    conditions: conditions?,
                }
            }
            EstimandKind::Expectation { target, conditions } => {
                let target = self.expr(target, env);
                let conditions = self.conditions(conditions, env);
                EstimandKind::Expectation {
                    target: target?,
                    conditions: conditions?,
                }
            }
            EstimandKind::Marginals { conditions } => EstimandKind::Marginals {
                conditions: self.conditions(conditions, env)?,
            },
            EstimandKind::Number(x) => EstimandKind::Number(*x),
            EstimandKind::Neg(inner) => EstimandKind::Neg(Box::new(self.estimand(inner, env)?)),
            EstimandKind::Binary { op, left, right } => {
                let left = self.estimand(left, env);
                let right = self.estimand(right, env);
                EstimandKind::Binary {
                    op: *op,
                    left: Box::new(left?),
                    right: Box::new(right?),
                }
            }
        };
        Ok(Estimand {
            kind,
            span: estimand.span,
        })
    }

    /// A decision's stages, repeated in order per index of its `for` suffix.
    fn decide(&mut self, decide: &Decide, env: &IndexEnv<'_>) -> Lowered<Decide> {
        let mut stages = Vec::new();
        self.each_binding(&decide.repeat, env, |this, env| {
            for stage in &decide.stages {
                let mut choices = Vec::with_capacity(stage.choices.len());
                for choice in &stage.choices {
                    choices.push(ast::Choice {
                        name: this.member(&choice.name, &choice.indices, env)?,
                        indices: Vec::new(),
                        domain: choice.domain.clone(),
                    });
                }
                let mut given = Vec::with_capacity(stage.given.len());
                for g in &stage.given {
                    given.push(ast::Member {
                        name: this.member(&g.name, &g.indices, env)?,
                        indices: Vec::new(),
                    });
                }
                stages.push(Stage {
                    choices,
                    joint: stage.joint,
                    given,
                });
            }
            Ok(())
        })?;
        Ok(Decide {
            stages,
            repeat: Vec::new(),
            maximize: decide.maximize,
            objective: self.estimand(&decide.objective, env)?,
        })
    }
}

fn int(v: i64, span: Span) -> Expr {
    Expr {
        span,
        kind: ExprKind::Literal(Literal::Int(v)),
    }
}

fn binary(op: BinaryOp, left: Expr, right: Expr, span: Span) -> Expr {
    Expr {
        span,
        kind: ExprKind::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        },
    }
}

/// `terms` combined pairwise, level by level, into a tree of depth ⌈log₂ n⌉ (no recursion);
/// `None` for no terms.
fn balanced(mut terms: Vec<Expr>, combine: impl Fn(Expr, Expr) -> Expr) -> Option<Expr> {
    while terms.len() > 1 {
        let mut next = Vec::with_capacity(terms.len().div_ceil(2));
        let mut items = terms.into_iter();
        while let Some(left) = items.next() {
            match items.next() {
                Some(right) => next.push(combine(left, right)),
                None => next.push(left),
            }
        }
        terms = next;
    }
    terms.pop()
}

fn plural<'s>(n: usize, one: &'s str, many: &'s str) -> &'s str {
    if n == 1 { one } else { many }
}

/// E010 for unrolling past `Config::max_unrolled`.
fn too_big(span: Span, values: Option<u128>, limit: usize) -> Diagnostic {
    let message = match values {
        Some(n) => format!(
            "this loop's body would be unrolled {n} times; whatif unrolls families of at most \
             {limit} members"
        ),
        None => {
            format!("the families unroll into more than {limit} declarations, terms and conditions")
        }
    };
    Diagnostic::error(Code::E010, span, message)
        .with_help("make the ranges smaller (library users can raise `Config::max_unrolled`)")
}

/// E001 for a statement other than a declaration inside a `for` block.
fn not_a_declaration(statement: &Statement) -> Diagnostic {
    let what = match &statement.kind {
        StatementKind::Let { .. } => "`let`",
        StatementKind::Set { .. } => "`set`",
        StatementKind::Query { .. } => "`query`",
        StatementKind::Decide(_) => "`decide`",
        StatementKind::Bandit(_) => "`bandit`",
        StatementKind::Data { .. } => "`data`",
        StatementKind::Edges(_) => "an edge",
        StatementKind::Identify { .. } => "`identify`",
        _ => "this statement",
    };
    Diagnostic::error(
        Code::E001,
        statement.span,
        format!("{what} cannot stand in a `for` block, which declares family members only"),
    )
    .with_help(
        "move it after the loop; a question over a family aggregates (`sum(x[i] for i in 1..N)`) \
         or repeats a condition (`x[i] = 1 for i in 1..N`)",
    )
}
