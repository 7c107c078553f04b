//! The syntax tree: plain nodes close to the text, each with its byte span.
//!
//! `Display` prints parseable source (fully explicit about precedence where it matters), so
//! print → parse is the identity up to spans. This module knows nothing of pest or of names'
//! meanings.
//!
//! **Invariant:** every node's span lies inside the source it was parsed from.

use std::fmt::{self, Display, Formatter, Write as _};

/// A byte range `start..end` in the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A whole source file.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Program {
    pub statements: Vec<Statement>,
}

/// One top-level statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub kind: StatementKind,
    pub span: Span,
}

/// What a statement says.
#[derive(Clone, Debug, PartialEq)]
pub enum StatementKind {
    /// `let NAME = EXPR`.
    Let { name: Ident, value: Expr },
    /// `NAME ~ DIST`, `NAME := EXPR` or `exogenous NAME ~ DIST`.
    Variable {
        name: Ident,
        mechanism: Mechanism,
        exogenous: bool,
    },
    /// `decision NAME in DOMAIN`.
    Decision { name: Ident, domain: Domain },
    /// `set NAME = EXPR`.
    Set { name: Ident, value: Expr },
    /// `query [NAME =] ESTIMAND`.
    Query {
        name: Option<Ident>,
        estimand: Estimand,
    },
    /// `decide ...`.
    Decide(Decide),
    /// `bandit ...`.
    Bandit(Bandit),
    /// `data "FILE"`: the CSV file of observations.
    Data { path: String, span: Span },
    /// `a -> b -> c`, `{a, b} -> c`, `a <-> b`: edges declared without mechanisms.
    Edges(Edges),
    /// `identify P(Y, ... | do(X), Z)`: each term a name, or `name = value`.
    Identify {
        targets: Vec<Expr>,
        treatments: Vec<Expr>,
        given: Vec<Expr>,
    },
}

/// A chain of edges: `ends[0] arrows[0] ends[1] arrows[1] ends[2] ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct Edges {
    /// Each end is a name or a group `{a, b}` (every member gets the edge).
    pub ends: Vec<Vec<Ident>>,
    /// `arrows[i]` joins `ends[i]` and `ends[i + 1]`.
    pub arrows: Vec<Arrow>,
}

/// The kind of an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrow {
    /// `->`: a direct cause.
    Directed,
    /// `<->`: an unobserved common cause.
    Bidirected,
}

/// How a variable gets its value.
#[derive(Clone, Debug, PartialEq)]
pub enum Mechanism {
    /// `~ DIST`.
    Stochastic(DistExpr),
    /// `:= EXPR`.
    Deterministic(Expr),
}

/// A distribution, possibly chosen by `if`/`match` on other variables.
#[derive(Clone, Debug, PartialEq)]
pub enum DistExpr {
    /// `Normal(0, 1)`.
    Call {
        name: Ident,
        args: Vec<Argument>,
        span: Span,
    },
    /// `if C then D1 else D2`.
    If {
        cond: Box<Expr>,
        then: Box<DistExpr>,
        otherwise: Box<DistExpr>,
        span: Span,
    },
    /// `match e { p => D, ... }`.
    Match {
        scrutinees: Vec<Expr>,
        arms: Vec<Arm<DistExpr>>,
        span: Span,
    },
}

impl DistExpr {
    /// Where the distribution was written.
    pub fn span(&self) -> Span {
        match self {
            DistExpr::Call { span, .. }
            | DistExpr::If { span, .. }
            | DistExpr::Match { span, .. } => *span,
        }
    }
}

/// An argument of a call; Categorical's may carry a label (`"sunny": 0.3`).
#[derive(Clone, Debug, PartialEq)]
pub struct Argument {
    pub label: Option<(String, Span)>,
    pub value: Expr,
}

/// A match arm: one pattern per scrutinee.
#[derive(Clone, Debug, PartialEq)]
pub struct Arm<T> {
    pub patterns: Vec<Pattern>,
    /// Whether the patterns were written as a tuple `(p1, p2)`.
    pub tuple: bool,
    pub body: T,
    pub span: Span,
}

/// A match pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// `_`.
    Wildcard(Span),
    /// A literal to compare with.
    Literal(Literal, Span),
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    Real(f64),
    Label(String),
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// What an expression is.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A variable or constant by name.
    Name(String),
    /// `y[do(x = 0)]`: y in the world where the interventions were made.
    Counterfactual {
        name: Ident,
        interventions: Vec<Intervention>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Match {
        scrutinees: Vec<Expr>,
        arms: Vec<Arm<Expr>>,
    },
    Call {
        name: Ident,
        args: Vec<Argument>,
    },
}

/// A prefix operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

/// An infix operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    Xor,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::Xor => "xor",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Pow => "^",
        }
    }

    /// Binding strength: higher binds tighter. Mirrors the Pratt table in syntax/lower.rs.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::Xor => 2,
            BinaryOp::And => 3,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 7,
            BinaryOp::Pow => 9,
        }
    }
}

/// `x = e` or `x ~ D` inside `do(...)` or a counterfactual bracket.
#[derive(Clone, Debug, PartialEq)]
pub struct Intervention {
    pub target: Ident,
    pub value: InterventionValue,
    pub span: Span,
}

/// What an intervention sets its target to.
#[derive(Clone, Debug, PartialEq)]
pub enum InterventionValue {
    /// `= EXPR`: hard (a constant), a policy (other variables) or a shift (the target itself).
    Set(Expr),
    /// `~ DIST`: a stochastic intervention.
    Draw(DistExpr),
}

/// One condition of a query.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// `do(...)`.
    Do(Vec<Intervention>, Span),
    /// A boolean expression that was observed to hold.
    Evidence(Expr),
}

/// An estimand: arithmetic over probabilities and expectations.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimand {
    pub kind: EstimandKind,
    pub span: Span,
}

/// What an estimand is.
#[derive(Clone, Debug, PartialEq)]
pub enum EstimandKind {
    /// `P(EXPR | ...)`.
    Probability {
        target: Expr,
        conditions: Vec<Condition>,
    },
    /// `E[EXPR | ...]`.
    Expectation {
        target: Expr,
        conditions: Vec<Condition>,
    },
    Number(f64),
    Neg(Box<Estimand>),
    Binary {
        op: BinaryOp,
        left: Box<Estimand>,
        right: Box<Estimand>,
    },
}

/// A finite set of values a decision may take.
#[derive(Clone, Debug, PartialEq)]
pub enum Domain {
    /// `{v1, v2, ...}`.
    Set(Vec<Literal>, Span),
    /// `a..b`, inclusive.
    Range(i64, i64, Span),
    /// `bool`.
    Bool(Span),
}

/// `decide STAGE then STAGE ... maximize E[...]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Decide {
    pub stages: Vec<Stage>,
    pub maximize: bool,
    pub objective: Estimand,
}

/// One decision stage.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub choices: Vec<Choice>,
    /// Whether the choices were written as a joint tuple.
    pub joint: bool,
    pub given: Vec<Ident>,
}

/// One decision variable and its domain (taken from its declaration when left out).
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub name: Ident,
    pub domain: Option<Domain>,
}

/// `bandit X in D reward Y rounds N runs M policies ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct Bandit {
    pub arm: Ident,
    pub domain: Option<Domain>,
    pub reward: Expr,
    pub rounds: u64,
    pub runs: u64,
    pub policies: Vec<PolicySpec>,
}

/// A bandit policy by name, with an optional parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicySpec {
    pub name: Ident,
    pub parameter: Option<f64>,
}

// ---------------------------------------------------------------------------------------------
// Depth.

/// A node of any of the statement's trees, for walking them without recursion.
#[derive(Clone, Copy)]
enum Node<'a> {
    Expr(&'a Expr),
    Dist(&'a DistExpr),
    Estimand(&'a Estimand),
    Intervention(&'a Intervention),
}

impl Statement {
    /// How deep the statement's trees go: one level per operator, call, `if`, `match`,
    /// intervention or estimand operation. Counted with an explicit stack, so it is safe on any
    /// input; the parser refuses statements deeper than `Config::max_expression_depth`, which
    /// bounds the recursion of every later pass.
    pub fn depth(&self) -> usize {
        let mut stack: Vec<(Node<'_>, usize)> = Vec::new();
        match &self.kind {
            StatementKind::Let { value, .. } | StatementKind::Set { value, .. } => {
                stack.push((Node::Expr(value), 1));
            }
            StatementKind::Variable { mechanism, .. } => stack.push((
                match mechanism {
                    Mechanism::Stochastic(d) => Node::Dist(d),
                    Mechanism::Deterministic(e) => Node::Expr(e),
                },
                1,
            )),
            StatementKind::Decision { .. } => {}
            StatementKind::Query { estimand, .. } => stack.push((Node::Estimand(estimand), 1)),
            StatementKind::Decide(d) => stack.push((Node::Estimand(&d.objective), 1)),
            StatementKind::Bandit(b) => stack.push((Node::Expr(&b.reward), 1)),
            StatementKind::Data { .. } | StatementKind::Edges(_) => {}
            StatementKind::Identify {
                targets,
                treatments,
                given,
            } => {
                for e in targets.iter().chain(treatments).chain(given) {
                    stack.push((Node::Expr(e), 1));
                }
            }
        }
        let mut deepest = 0;
        while let Some((node, depth)) = stack.pop() {
            deepest = deepest.max(depth);
            let mut push = |n| stack.push((n, depth + 1));
            match node {
                Node::Expr(e) => match &e.kind {
                    ExprKind::Literal(_) | ExprKind::Name(_) => {}
                    ExprKind::Counterfactual { interventions, .. } => {
                        interventions
                            .iter()
                            .for_each(|i| push(Node::Intervention(i)));
                    }
                    ExprKind::Unary { operand, .. } => push(Node::Expr(operand)),
                    ExprKind::Binary { left, right, .. } => {
                        push(Node::Expr(left));
                        push(Node::Expr(right));
                    }
                    ExprKind::If {
                        cond,
                        then,
                        otherwise,
                    } => {
                        push(Node::Expr(cond));
                        push(Node::Expr(then));
                        push(Node::Expr(otherwise));
                    }
                    ExprKind::Match { scrutinees, arms } => {
                        scrutinees.iter().for_each(|s| push(Node::Expr(s)));
                        arms.iter().for_each(|a| push(Node::Expr(&a.body)));
                    }
                    ExprKind::Call { args, .. } => {
                        args.iter().for_each(|a| push(Node::Expr(&a.value)));
                    }
                },
                Node::Dist(d) => match d {
                    DistExpr::Call { args, .. } => {
                        args.iter().for_each(|a| push(Node::Expr(&a.value)));
                    }
                    DistExpr::If {
                        cond,
                        then,
                        otherwise,
                        ..
                    } => {
                        push(Node::Expr(cond));
                        push(Node::Dist(then));
                        push(Node::Dist(otherwise));
                    }
                    DistExpr::Match {
                        scrutinees, arms, ..
                    } => {
                        scrutinees.iter().for_each(|s| push(Node::Expr(s)));
                        arms.iter().for_each(|a| push(Node::Dist(&a.body)));
                    }
                },
                Node::Intervention(i) => match &i.value {
                    InterventionValue::Set(e) => push(Node::Expr(e)),
                    InterventionValue::Draw(d) => push(Node::Dist(d)),
                },
                Node::Estimand(e) => match &e.kind {
                    EstimandKind::Probability { target, conditions }
                    | EstimandKind::Expectation { target, conditions } => {
                        push(Node::Expr(target));
                        for c in conditions {
                            match c {
                                Condition::Do(list, _) => {
                                    list.iter().for_each(|i| push(Node::Intervention(i)));
                                }
                                Condition::Evidence(e) => push(Node::Expr(e)),
                            }
                        }
                    }
                    EstimandKind::Number(_) => {}
                    EstimandKind::Neg(inner) => push(Node::Estimand(inner)),
                    EstimandKind::Binary { left, right, .. } => {
                        push(Node::Estimand(left));
                        push(Node::Estimand(right));
                    }
                },
            }
        }
        deepest
    }
}

// ---------------------------------------------------------------------------------------------
// Printing.

impl Display for Program {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for statement in &self.statements {
            writeln!(f, "{statement}")?;
        }
        Ok(())
    }
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            StatementKind::Let { name, value } => write!(f, "let {} = {value}", name.name),
            StatementKind::Variable {
                name,
                mechanism,
                exogenous,
            } => {
                if *exogenous {
                    f.write_str("exogenous ")?;
                }
                match mechanism {
                    Mechanism::Stochastic(dist) => write!(f, "{} ~ {dist}", name.name),
                    Mechanism::Deterministic(expr) => write!(f, "{} := {expr}", name.name),
                }
            }
            StatementKind::Decision { name, domain } => {
                write!(f, "decision {} in {domain}", name.name)
            }
            StatementKind::Set { name, value } => write!(f, "set {} = {value}", name.name),
            StatementKind::Query { name, estimand } => match name {
                Some(name) => write!(f, "query {} = {estimand}", name.name),
                None => write!(f, "query {estimand}"),
            },
            StatementKind::Decide(decide) => write!(f, "{decide}"),
            StatementKind::Bandit(bandit) => write!(f, "{bandit}"),
            StatementKind::Data { path, .. } => write!(f, "data \"{path}\""),
            StatementKind::Edges(edges) => {
                for (i, end) in edges.ends.iter().enumerate() {
                    if i > 0 {
                        f.write_str(match edges.arrows[i - 1] {
                            Arrow::Directed => " -> ",
                            Arrow::Bidirected => " <-> ",
                        })?;
                    }
                    let names: Vec<&str> = end.iter().map(|n| n.name.as_str()).collect();
                    match names.as_slice() {
                        [one] => f.write_str(one)?,
                        _ => write!(f, "{{{}}}", names.join(", "))?,
                    }
                }
                Ok(())
            }
            StatementKind::Identify {
                targets,
                treatments,
                given,
            } => {
                f.write_str("identify P(")?;
                write_list(f, targets)?;
                if !treatments.is_empty() || !given.is_empty() {
                    f.write_str(" | ")?;
                }
                if !treatments.is_empty() {
                    f.write_str("do(")?;
                    write_list(f, treatments)?;
                    f.write_str(")")?;
                    if !given.is_empty() {
                        f.write_str(", ")?;
                    }
                }
                write_list(f, given)?;
                f.write_str(")")
            }
        }
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Real(x) => write!(f, "{}", format_real(*x)),
            Literal::Label(s) => write!(f, "\"{s}\""),
        }
    }
}

/// A real printed so that it reads back as a real (`2.0`, not `2`).
pub fn format_real(x: f64) -> String {
    let text = format!("{x:?}");
    if text.contains(['.', 'e', 'E']) || !x.is_finite() {
        text
    } else {
        format!("{text}.0")
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_expr(f, self, 0)
    }
}

/// Writes `expr`, parenthesised if it binds more loosely than `context` requires.
fn write_expr(f: &mut Formatter<'_>, expr: &Expr, context: u8) -> fmt::Result {
    match &expr.kind {
        ExprKind::Literal(Literal::Int(i)) if *i < 0 => write!(f, "({i})"),
        ExprKind::Literal(Literal::Real(x)) if *x < 0.0 => write!(f, "({})", format_real(*x)),
        ExprKind::Literal(literal) => write!(f, "{literal}"),
        ExprKind::Name(name) => f.write_str(name),
        ExprKind::Counterfactual {
            name,
            interventions,
        } => {
            write!(f, "{}[do(", name.name)?;
            write_list(f, interventions)?;
            f.write_str(")]")
        }
        ExprKind::Unary { op, operand } => {
            let (symbol, strength) = match op {
                UnaryOp::Neg => ("-", 8),
                UnaryOp::Not => ("not ", 4),
            };
            let wrap = strength < context;
            if wrap {
                f.write_str("(")?;
            }
            f.write_str(symbol)?;
            write_expr(f, operand, strength)?;
            if wrap {
                f.write_str(")")?;
            }
            Ok(())
        }
        ExprKind::Binary { op, left, right } => {
            let strength = op.precedence();
            let wrap = strength < context;
            if wrap {
                f.write_str("(")?;
            }
            // Left-associative except `^`; comparisons do not chain, so both sides tighter.
            let comparison = strength == 5;
            let (left_context, right_context) = if *op == BinaryOp::Pow {
                (strength + 1, strength)
            } else if comparison {
                (strength + 1, strength + 1)
            } else {
                (strength, strength + 1)
            };
            write_expr(f, left, left_context)?;
            write!(f, " {} ", op.symbol())?;
            write_expr(f, right, right_context)?;
            if wrap {
                f.write_str(")")?;
            }
            Ok(())
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            // `if` extends as far right as it can: parenthesise it inside anything else.
            let wrap = context > 0;
            if wrap {
                f.write_str("(")?;
            }
            write!(f, "if {cond} then {then} else {otherwise}")?;
            if wrap {
                f.write_str(")")?;
            }
            Ok(())
        }
        ExprKind::Match { scrutinees, arms } => write_match(f, scrutinees, arms),
        ExprKind::Call { name, args } => {
            write!(f, "{}(", name.name)?;
            write_list(f, args)?;
            f.write_str(")")
        }
    }
}

fn write_match<T: Display>(
    f: &mut Formatter<'_>,
    scrutinees: &[Expr],
    arms: &[Arm<T>],
) -> fmt::Result {
    f.write_str("match ")?;
    if scrutinees.len() == 1 {
        write_expr(f, &scrutinees[0], 1)?;
    } else {
        f.write_str("(")?;
        write_list(f, scrutinees)?;
        f.write_str(")")?;
    }
    f.write_str(" { ")?;
    for (i, arm) in arms.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        if arm.tuple {
            f.write_str("(")?;
            write_list(f, &arm.patterns)?;
            f.write_str(")")?;
        } else {
            write_list(f, &arm.patterns)?;
        }
        write!(f, " => {}", arm.body)?;
    }
    f.write_str(" }")
}

fn write_list<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for Pattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Wildcard(_) => f.write_str("_"),
            Pattern::Literal(literal, _) => write!(f, "{literal}"),
        }
    }
}

impl Display for Argument {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some((label, _)) = &self.label {
            write!(f, "\"{label}\": ")?;
        }
        write!(f, "{}", self.value)
    }
}

impl Display for DistExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            DistExpr::Call { name, args, .. } => {
                write!(f, "{}(", name.name)?;
                write_list(f, args)?;
                f.write_str(")")
            }
            DistExpr::If {
                cond,
                then,
                otherwise,
                ..
            } => write!(f, "if {cond} then {then} else {otherwise}"),
            DistExpr::Match {
                scrutinees, arms, ..
            } => write_match(f, scrutinees, arms),
        }
    }
}

impl Display for Intervention {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.value {
            InterventionValue::Set(expr) => write!(f, "{} = {expr}", self.target.name),
            InterventionValue::Draw(dist) => write!(f, "{} ~ {dist}", self.target.name),
        }
    }
}

impl Display for Condition {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Do(interventions, _) => {
                f.write_str("do(")?;
                write_list(f, interventions)?;
                f.write_str(")")
            }
            Condition::Evidence(expr) => write!(f, "{expr}"),
        }
    }
}

/// Writes `target | c1, c2` for P and E.
fn write_conditioned(
    f: &mut Formatter<'_>,
    target: &Expr,
    conditions: &[Condition],
) -> fmt::Result {
    write!(f, "{target}")?;
    if !conditions.is_empty() {
        f.write_str(" | ")?;
        write_list(f, conditions)?;
    }
    Ok(())
}

impl Display for Estimand {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_estimand(f, self, 0)
    }
}

fn write_estimand(f: &mut Formatter<'_>, estimand: &Estimand, context: u8) -> fmt::Result {
    match &estimand.kind {
        EstimandKind::Probability { target, conditions } => {
            f.write_str("P(")?;
            write_conditioned(f, target, conditions)?;
            f.write_str(")")
        }
        EstimandKind::Expectation { target, conditions } => {
            f.write_str("E[")?;
            write_conditioned(f, target, conditions)?;
            f.write_str("]")
        }
        EstimandKind::Number(x) if *x < 0.0 => write!(f, "({})", format_real(*x)),
        EstimandKind::Number(x) => write!(f, "{}", format_real(*x)),
        EstimandKind::Neg(inner) => {
            f.write_str("-")?;
            write_estimand(f, inner, 8)
        }
        EstimandKind::Binary { op, left, right } => {
            let strength = op.precedence();
            let wrap = strength < context;
            if wrap {
                f.write_str("(")?;
            }
            write_estimand(f, left, strength)?;
            write!(f, " {} ", op.symbol())?;
            write_estimand(f, right, strength + 1)?;
            if wrap {
                f.write_str(")")?;
            }
            Ok(())
        }
    }
}

impl Display for Domain {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Domain::Set(values, _) => {
                f.write_str("{")?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{value}")?;
                }
                f.write_str("}")
            }
            Domain::Range(lo, hi, _) => write!(f, "{lo}..{hi}"),
            Domain::Bool(_) => f.write_str("bool"),
        }
    }
}

impl Display for Decide {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("decide ")?;
        for (i, stage) in self.stages.iter().enumerate() {
            if i > 0 {
                f.write_str(" then ")?;
            }
            if stage.joint {
                f.write_str("(")?;
                write_list(f, &stage.choices)?;
                f.write_str(")")?;
            } else {
                write_list(f, &stage.choices)?;
            }
            if !stage.given.is_empty() {
                f.write_str(" given ")?;
                let names: Vec<&str> = stage.given.iter().map(|g| g.name.as_str()).collect();
                f.write_str(&names.join(", "))?;
            }
        }
        let sense = if self.maximize {
            "maximize"
        } else {
            "minimize"
        };
        write!(f, " {sense} {}", self.objective)
    }
}

impl Display for Choice {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name.name)?;
        if let Some(domain) = &self.domain {
            write!(f, " in {domain}")?;
        }
        Ok(())
    }
}

impl Display for Bandit {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "bandit {}", self.arm.name)?;
        if let Some(domain) = &self.domain {
            write!(f, " in {domain}")?;
        }
        write!(
            f,
            " reward {} rounds {} runs {} policies ",
            self.reward, self.rounds, self.runs
        )?;
        let mut text = String::new();
        for (i, policy) in self.policies.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str(&policy.name.name);
            if let Some(p) = policy.parameter {
                let _ = write!(text, "({})", format_real(p));
            }
        }
        f.write_str(&text)
    }
}
