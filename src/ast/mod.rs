//! The syntax tree: plain nodes close to the text, each with its byte span.
//!
//! `Display` (src/ast/print.rs) prints parseable source (fully explicit about precedence where
//! it matters), so print → parse is the identity up to spans. This module knows nothing of
//! pest or of names' meanings.
//!
//! **Invariant:** every node's span lies inside the source it was parsed from.

mod print;

pub use print::format_real;

/// Which text a span points into: an index into the [`Sources`](crate::diagnostics::Sources)
/// of a model and the questions asked of it (the model's file is [`SourceId::MODEL`]; each
/// question given to `Model::ask` and each REPL entry is a text of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u32);

impl SourceId {
    /// The text a model was loaded from.
    pub const MODEL: SourceId = SourceId(0);
    /// No text: what the program made rather than read (an engine's finding before the
    /// statement that asked is known, an unrolled family's generated node).
    pub const NONE: SourceId = SourceId(u32::MAX);
}

/// A byte range `start..end` in one source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// The text the offsets are in.
    pub source: SourceId,
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

/// No place in any text ([`Span::NOWHERE`]).
impl Default for Span {
    fn default() -> Span {
        Span::NOWHERE
    }
}

impl Span {
    /// No place in any text: a node or diagnostic the program made.
    pub const NOWHERE: Span = Span {
        source: SourceId::NONE,
        start: 0,
        end: 0,
    };

    /// The span from `start` to `end` of `source`.
    pub fn new(source: SourceId, start: usize, end: usize) -> Span {
        Span { source, start, end }
    }

    /// Another range of the same text.
    pub fn at(self, start: usize, end: usize) -> Span {
        Span::new(self.source, start, end)
    }

    /// Whether this points into no text ([`Span::NOWHERE`]).
    pub fn is_nowhere(self) -> bool {
        self.source == SourceId::NONE
    }

    /// The smallest span covering both (of one text; a span of no text gives way to the
    /// other).
    pub fn to(self, other: Span) -> Span {
        if self.is_nowhere() {
            return other;
        }
        if other.source != self.source {
            return self;
        }
        self.at(self.start.min(other.start), self.end.max(other.end))
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
    /// `NAME ~ DIST`, `NAME := EXPR` or `exogenous NAME ~ DIST`; `NAME[i]...` declares a
    /// family member (its indices are empty once families are unrolled).
    Variable {
        name: Ident,
        indices: Vec<Expr>,
        mechanism: Mechanism,
        exogenous: bool,
    },
    /// `decision NAME in DOMAIN` (or `decision NAME[i] in DOMAIN`).
    Decision {
        name: Ident,
        indices: Vec<Expr>,
        domain: Domain,
    },
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
    /// `for i in a..b { ... }`: declarations repeated once per index (none left after
    /// unrolling).
    For {
        binder: Binder,
        body: Vec<Statement>,
    },
    /// `attribute ...`.
    Attribute(Attribute),
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

/// `i in a..b`: a loop variable over an inclusive range of constant integers.
#[derive(Clone, Debug, PartialEq)]
pub struct Binder {
    pub var: Ident,
    pub lo: Expr,
    pub hi: Expr,
    pub span: Span,
}

/// A variable or a family member as written where a name is declared, set or observed:
/// `state`, `state[t - 1]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub name: Ident,
    pub indices: Vec<Expr>,
}

/// An aggregate over a range: `sum(e for i in a..b)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Mean,
    Count,
    All,
    Any,
    Min,
    Max,
}

impl Aggregate {
    /// Every aggregate with its name, as written.
    pub const ALL: [(Aggregate, &'static str); 7] = [
        (Aggregate::Sum, "sum"),
        (Aggregate::Mean, "mean"),
        (Aggregate::Count, "count"),
        (Aggregate::All, "all"),
        (Aggregate::Any, "any"),
        (Aggregate::Min, "min"),
        (Aggregate::Max, "max"),
    ];

    /// The aggregate's name as written.
    pub fn name(self) -> &'static str {
        Aggregate::ALL
            .iter()
            .find(|(a, _)| *a == self)
            .map_or("sum", |(_, n)| n)
    }
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
    /// `state[t - 1]`: a family member, by its index expressions.
    Index {
        name: Ident,
        indices: Vec<Expr>,
    },
    /// `y[do(x = 0)]`: y (or a member `y[t]`) in the world where the interventions were made.
    Counterfactual {
        name: Ident,
        indices: Vec<Expr>,
        interventions: Vec<Intervention>,
    },
    /// `sum(e for i in a..b)`: an aggregate over one or more ranges.
    Aggregate {
        op: Aggregate,
        body: Box<Expr>,
        binders: Vec<Binder>,
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
    /// `?`, `?name`, `?[a, b]`: a parameter fitted from data (LANGUAGE.md §12); `index` names
    /// the finite-domain variables of a table of parameters (and, inside a loop, the loop
    /// variables that give each member its own).
    Parameter {
        name: Option<String>,
        /// The table's axes: variables, loop variables, or family members (`?[c[i]]`, a
        /// member unrolling names).
        index: Vec<Member>,
        /// What unrolling made of a `?` inside a loop; [`LoopCopy::Written`] in source.
        copy: LoopCopy,
    },
}

/// How unrolling (src/unroll.rs) copied a `?` that a loop repeats (LANGUAGE.md §12).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoopCopy {
    /// As written: not inside a loop, or not yet unrolled.
    Written,
    /// A copy of an unnamed `?` the loop repeats: every copy is one parameter (a plate
    /// shares its parameters).
    Shared,
    /// `?[i]`: this member's own parameter, for these loop variables' values (the loop
    /// variables are gone from `index`).
    Member(Vec<(String, i64)>),
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
    /// The target's indices, when it is a family member (empty once unrolled).
    pub indices: Vec<Expr>,
    pub value: InterventionValue,
    /// `for t in a..b`: the intervention repeated per index (empty once unrolled).
    pub repeat: Vec<Binder>,
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
    /// `hired[i] for i in 1..10`: evidence repeated per index (none left after unrolling).
    EachEvidence(Expr, Vec<Binder>),
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
    /// `P(* | ...)`: every variable's distribution under the same conditions.
    Marginals {
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

impl EstimandKind {
    /// What a probability or expectation asks about (`None` for `P(*)` and arithmetic).
    pub fn target(&self) -> Option<&Expr> {
        match self {
            EstimandKind::Probability { target, .. } | EstimandKind::Expectation { target, .. } => {
                Some(target)
            }
            _ => None,
        }
    }

    /// The conditions of a probability, expectation or `P(*)` (none for arithmetic).
    pub fn conditions(&self) -> &[Condition] {
        match self {
            EstimandKind::Probability { conditions, .. }
            | EstimandKind::Expectation { conditions, .. }
            | EstimandKind::Marginals { conditions } => conditions,
            _ => &[],
        }
    }
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
    /// `for t in 1..H`: the stages repeated per index, in order (empty once unrolled).
    pub repeat: Vec<Binder>,
    pub maximize: bool,
    pub objective: Estimand,
}

/// One decision stage.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub choices: Vec<Choice>,
    /// Whether the choices were written as a joint tuple.
    pub joint: bool,
    pub given: Vec<Member>,
}

/// One decision variable and its domain (taken from its declaration when left out).
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub name: Ident,
    pub indices: Vec<Expr>,
    pub domain: Option<Domain>,
}

/// `bandit X in D reward Y rounds N runs M policies ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct Bandit {
    pub arm: Ident,
    pub arm_indices: Vec<Expr>,
    pub domain: Option<Domain>,
    pub reward: Expr,
    pub rounds: u64,
    pub runs: u64,
    pub policies: Vec<PolicySpec>,
}

/// `attribute ...`: Shapley values over noise or over interventions (LANGUAGE.md section 14).
#[derive(Clone, Debug, PartialEq)]
pub enum Attribute {
    /// `attribute EXPR given E1, E2`: the players are the noises of EXPR's stochastic
    /// ancestors.
    Noise { target: Expr, evidence: Vec<Expr> },
    /// `attribute E[EXPR | ...] to do(A = .., B = ..)`: the players are the interventions.
    Interventions {
        objective: Estimand,
        players: Vec<Intervention>,
    },
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
    Statement(&'a Statement),
    Binder(&'a Binder),
    Expr(&'a Expr),
    Dist(&'a DistExpr),
    Estimand(&'a Estimand),
    Intervention(&'a Intervention),
}

impl Statement {
    /// Whether it declares a variable (with a mechanism, or a decision's): what counts against
    /// `Config::max_variables`.
    pub fn declares_variable(&self) -> bool {
        matches!(
            self.kind,
            StatementKind::Variable { .. } | StatementKind::Decision { .. }
        )
    }

    /// How deep the statement's trees go: one level per operator, call, `if`, `match`,
    /// intervention or estimand operation. Counted with an explicit stack, so it is safe on any
    /// input; the parser refuses statements deeper than `Config::max_expression_depth`, which
    /// bounds the recursion of every later pass.
    /// A `for` block counts as deep as its deepest statement (the loop adds no level).
    pub fn depth(&self) -> usize {
        let mut stack: Vec<(Node<'_>, usize)> = vec![(Node::Statement(self), 0)];
        let mut deepest = 0;
        while let Some((node, depth)) = stack.pop() {
            deepest = deepest.max(depth);
            let mut push = |n| stack.push((n, depth + 1));
            match node {
                Node::Statement(statement) => {
                    // A statement's trees start at level 1, so pushes here use `depth + 1`
                    // from level 0; a loop's body statements start again at level 0.
                    match &statement.kind {
                        StatementKind::Let { value, .. } | StatementKind::Set { value, .. } => {
                            push(Node::Expr(value));
                        }
                        StatementKind::Variable {
                            mechanism, indices, ..
                        } => {
                            indices.iter().for_each(|i| push(Node::Expr(i)));
                            push(match mechanism {
                                Mechanism::Stochastic(d) => Node::Dist(d),
                                Mechanism::Deterministic(e) => Node::Expr(e),
                            });
                        }
                        StatementKind::Decision { indices, .. } => {
                            indices.iter().for_each(|i| push(Node::Expr(i)));
                        }
                        StatementKind::Query { estimand, .. } => push(Node::Estimand(estimand)),
                        StatementKind::Decide(d) => {
                            push(Node::Estimand(&d.objective));
                            d.repeat.iter().for_each(|b| push(Node::Binder(b)));
                            for stage in &d.stages {
                                for c in &stage.choices {
                                    c.indices.iter().for_each(|i| push(Node::Expr(i)));
                                }
                                for g in &stage.given {
                                    g.indices.iter().for_each(|i| push(Node::Expr(i)));
                                }
                            }
                        }
                        StatementKind::Bandit(b) => {
                            push(Node::Expr(&b.reward));
                            b.arm_indices.iter().for_each(|i| push(Node::Expr(i)));
                        }
                        StatementKind::Data { .. } | StatementKind::Edges(_) => {}
                        StatementKind::Identify {
                            targets,
                            treatments,
                            given,
                        } => {
                            for e in targets.iter().chain(treatments).chain(given) {
                                push(Node::Expr(e));
                            }
                        }
                        StatementKind::Attribute(Attribute::Noise { target, evidence }) => {
                            push(Node::Expr(target));
                            evidence.iter().for_each(|e| push(Node::Expr(e)));
                        }
                        StatementKind::Attribute(Attribute::Interventions {
                            objective,
                            players,
                        }) => {
                            push(Node::Estimand(objective));
                            players.iter().for_each(|i| push(Node::Intervention(i)));
                        }
                        StatementKind::For { binder, body } => {
                            push(Node::Binder(binder));
                            body.iter()
                                .for_each(|s| stack.push((Node::Statement(s), depth)));
                        }
                    }
                }
                Node::Binder(b) => {
                    push(Node::Expr(&b.lo));
                    push(Node::Expr(&b.hi));
                }
                Node::Expr(e) => match &e.kind {
                    ExprKind::Literal(_) | ExprKind::Name(_) => {}
                    ExprKind::Parameter { index, .. } => {
                        index
                            .iter()
                            .flat_map(|m| &m.indices)
                            .for_each(|i| push(Node::Expr(i)));
                    }
                    ExprKind::Index { indices, .. } => {
                        indices.iter().for_each(|i| push(Node::Expr(i)));
                    }
                    ExprKind::Counterfactual {
                        interventions,
                        indices,
                        ..
                    } => {
                        indices.iter().for_each(|i| push(Node::Expr(i)));
                        interventions
                            .iter()
                            .for_each(|i| push(Node::Intervention(i)));
                    }
                    ExprKind::Aggregate { body, binders, .. } => {
                        push(Node::Expr(body));
                        binders.iter().for_each(|b| push(Node::Binder(b)));
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
                Node::Intervention(i) => {
                    i.indices.iter().for_each(|e| push(Node::Expr(e)));
                    i.repeat.iter().for_each(|b| push(Node::Binder(b)));
                    match &i.value {
                        InterventionValue::Set(e) => push(Node::Expr(e)),
                        InterventionValue::Draw(d) => push(Node::Dist(d)),
                    }
                }
                Node::Estimand(e) => match &e.kind {
                    EstimandKind::Probability { .. }
                    | EstimandKind::Expectation { .. }
                    | EstimandKind::Marginals { .. } => {
                        if let Some(target) = e.kind.target() {
                            push(Node::Expr(target));
                        }
                        for c in e.kind.conditions() {
                            match c {
                                Condition::Do(list, _) => {
                                    list.iter().for_each(|i| push(Node::Intervention(i)));
                                }
                                Condition::Evidence(e) => push(Node::Expr(e)),
                                Condition::EachEvidence(e, binders) => {
                                    push(Node::Expr(e));
                                    binders.iter().for_each(|b| push(Node::Binder(b)));
                                }
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
