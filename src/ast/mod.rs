//! The syntax tree: plain nodes close to the text, each with its byte span.
//!
//! `Display` (src/ast/print.rs) prints parseable source (fully explicit about precedence where
//! it matters), so print → parse is the identity up to spans. This module knows nothing of
//! pest or of names' meanings.
//!
//! **Invariant:** every node's span lies inside the source it was parsed from.

mod print;

pub use print::format_real;

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
