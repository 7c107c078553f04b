//! The parse tree → AST, one function per grammar rule.
//!
//! A tree of an unexpected shape is reported as an internal error ("this is a bug in whatif"),
//! never a panic.

use super::Rule;
use crate::ast::*;
use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic};
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::LazyLock;

type Result<T> = std::result::Result<T, Diagnostic>;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    use Rule::*;
    PrattParser::new()
        .op(Op::infix(or_op, Assoc::Left))
        .op(Op::infix(xor_op, Assoc::Left))
        .op(Op::infix(and_op, Assoc::Left))
        .op(Op::prefix(not_op))
        .op(Op::infix(eq, Assoc::Left)
            | Op::infix(ne, Assoc::Left)
            | Op::infix(lt, Assoc::Left)
            | Op::infix(le, Assoc::Left)
            | Op::infix(gt, Assoc::Left)
            | Op::infix(ge, Assoc::Left)
            | Op::infix(eq_single, Assoc::Left))
        .op(Op::infix(add, Assoc::Left) | Op::infix(sub, Assoc::Left))
        .op(Op::infix(mul, Assoc::Left) | Op::infix(div, Assoc::Left) | Op::infix(rem, Assoc::Left))
        .op(Op::prefix(neg))
        .op(Op::infix(pow, Assoc::Right))
});

static ESTIMAND_PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::est_infix, Assoc::Left))
        .op(Op::prefix(Rule::est_prefix))
});

thread_local! {
    /// The text every span lowering makes points into, and where in it the parsed part
    /// starts ([`program_in`]).
    static SPAN_SOURCE: std::cell::Cell<(SourceId, usize)> =
        const { std::cell::Cell::new((SourceId::MODEL, 0)) };
}

fn span_of(pair: &Pair<Rule>) -> Span {
    let s = pair.as_span();
    let (id, offset) = SPAN_SOURCE.get();
    Span::new(id, offset + s.start(), offset + s.end())
}

/// [`program`], with every span naming the text `id`, of which the parsed text is the part
/// from byte `offset` on.
pub(super) fn program_in(
    pairs: Pairs<Rule>,
    config: &Config,
    id: SourceId,
    offset: usize,
) -> Result<Program> {
    /// Puts the text back to the model's however lowering ends.
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            SPAN_SOURCE.set((SourceId::MODEL, 0));
        }
    }
    SPAN_SOURCE.set((id, offset));
    let _reset = Reset;
    program(pairs, config)
}

fn internal(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        Code::E001,
        span,
        format!("unexpected parse tree at {what}: this is a bug in whatif"),
    )
}

/// Whether a token is a keyword, which carries no meaning beyond the rule it sits in.
fn is_keyword(rule: Rule) -> bool {
    use Rule::*;
    matches!(
        rule,
        kw_let
            | kw_exogenous
            | kw_decision
            | kw_query
            | kw_decide
            | kw_bandit
            | kw_set
            | kw_for
            | kw_in
            | kw_if
            | kw_then
            | kw_else
            | kw_match
            | kw_do
            | kw_and
            | kw_or
            | kw_not
            | kw_xor
            | kw_given
            | kw_reward
            | kw_rounds
            | kw_runs
            | kw_policies
            | kw_data
            | kw_identify
            | kw_attribute
            | kw_to
    )
}

/// The children of a pair that carry meaning (keywords left out).
fn children(pair: Pair<Rule>) -> impl Iterator<Item = Pair<Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
}

/// The next child, or an internal error naming the rule that lacked it.
fn next<'i>(
    pairs: &mut impl Iterator<Item = Pair<'i, Rule>>,
    parent: Span,
    what: &str,
) -> Result<Pair<'i, Rule>> {
    pairs.next().ok_or_else(|| internal(parent, what))
}

fn program(mut pairs: Pairs<Rule>, config: &Config) -> Result<Program> {
    let top = pairs
        .next()
        .ok_or_else(|| internal(Span::default(), "program"))?;
    let mut statements = Vec::new();
    for pair in children(top) {
        if pair.as_rule() == Rule::EOI {
            break;
        }
        let statement = statement(pair, config)?;
        let depth = statement.depth();
        if depth > config.max_expression_depth {
            return Err(too_deep(statement.span, depth, config.max_expression_depth));
        }
        statements.push(statement);
    }
    Ok(Program { statements })
}

fn statement(pair: Pair<Rule>, config: &Config) -> Result<Statement> {
    let span = span_of(&pair);
    let d = config.max_expression_depth;
    let rule = pair.as_rule();
    let (text, pair_start) = (pair.as_str(), pair.as_span().start());
    let mut inner = children(pair);
    let kind = match rule {
        Rule::let_decl => {
            let name = ident(next(&mut inner, span, "let")?);
            StatementKind::Let {
                name,
                value: expr(next(&mut inner, span, "let")?, d)?,
            }
        }
        Rule::set_stmt => {
            let name = ident(next(&mut inner, span, "set")?);
            StatementKind::Set {
                name,
                value: expr(next(&mut inner, span, "set")?, d)?,
            }
        }
        Rule::declaration | Rule::exogenous_decl => {
            let name_pair = next(&mut inner, span, "declaration")?;
            // `NAME ~ DIST` or `NAME := EXPR`: the first thing after the name (the text has no
            // comments, `syntax::blank_comments`).
            let stochastic = rule == Rule::exogenous_decl
                || text[name_pair.as_span().end() - pair_start..]
                    .trim_start()
                    .starts_with('~');
            let Member { name, indices } = member(name_pair, d)?;
            let value = expr(next(&mut inner, span, "declaration")?, d)?;
            let mechanism = if stochastic {
                Mechanism::Stochastic(dist_expr(value)?)
            } else {
                Mechanism::Deterministic(value)
            };
            StatementKind::Variable {
                name,
                indices,
                mechanism,
                exogenous: rule == Rule::exogenous_decl,
            }
        }
        Rule::decision_decl => {
            let Member { name, indices } = member(next(&mut inner, span, "decision")?, d)?;
            StatementKind::Decision {
                name,
                indices,
                domain: domain(next(&mut inner, span, "decision")?)?,
            }
        }
        Rule::for_block => {
            let binder = binder(next(&mut inner, span, "for")?, d)?;
            let body = inner
                .map(|p| statement(p, config))
                .collect::<Result<Vec<_>>>()?;
            StatementKind::For { binder, body }
        }
        Rule::query_stmt => {
            let first = next(&mut inner, span, "query")?;
            if first.as_rule() == Rule::query_name {
                let name_pair = next(&mut children(first), span, "query name")?;
                let estimand = estimand(next(&mut inner, span, "query")?, d)?;
                StatementKind::Query {
                    name: Some(ident(name_pair)),
                    estimand,
                }
            } else {
                StatementKind::Query {
                    name: None,
                    estimand: estimand(first, d)?,
                }
            }
        }
        Rule::decide_stmt => StatementKind::Decide(decide(inner, span, d)?),
        Rule::bandit_stmt => StatementKind::Bandit(bandit(inner, span, config)?),
        Rule::data_stmt => {
            let file = next(&mut inner, span, "data")?;
            let span = span_of(&file);
            let path = next(&mut children(file), span, "data path")?
                .as_str()
                .to_string();
            StatementKind::Data { path, span }
        }
        Rule::edge_stmt => edges(inner, span)?,
        Rule::identify_stmt => identify(inner, span, d)?,
        Rule::attribute_stmt => StatementKind::Attribute(attribute(inner, span, d)?),
        _ => return Err(internal(span, "statement")),
    };
    Ok(Statement { kind, span })
}

/// `a -> b <-> {c, d}`: ends and the arrows between them.
fn edges<'i>(inner: impl Iterator<Item = Pair<'i, Rule>>, span: Span) -> Result<StatementKind> {
    let mut edges = Edges {
        ends: Vec::new(),
        arrows: Vec::new(),
    };
    for pair in inner {
        match pair.as_rule() {
            Rule::edge_end => edges.ends.push(children(pair).map(ident).collect()),
            Rule::edge_arrow => edges.arrows.push(if pair.as_str() == "<->" {
                Arrow::Bidirected
            } else {
                Arrow::Directed
            }),
            _ => return Err(internal(span, "edge")),
        }
    }
    if edges.ends.len() != edges.arrows.len() + 1 {
        return Err(internal(span, "edge chain"));
    }
    Ok(StatementKind::Edges(edges))
}

/// `identify P(targets | do(treatments), given)`.
fn identify<'i>(
    mut inner: impl Iterator<Item = Pair<'i, Rule>>,
    span: Span,
    max_depth: usize,
) -> Result<StatementKind> {
    let targets = children(next(&mut inner, span, "identify")?)
        .map(|e| expr(e, max_depth))
        .collect::<Result<Vec<_>>>()?;
    let (mut treatments, mut given) = (Vec::new(), Vec::new());
    for condition in inner {
        let c = next(&mut children(condition), span, "identify condition")?;
        if c.as_rule() == Rule::identify_do {
            for e in children(c) {
                treatments.push(expr(e, max_depth)?);
            }
        } else {
            given.push(expr(c, max_depth)?);
        }
    }
    Ok(StatementKind::Identify {
        targets,
        treatments,
        given,
    })
}

fn ident(pair: Pair<Rule>) -> Ident {
    Ident {
        name: pair.as_str().to_string(),
        span: span_of(&pair),
    }
}

/// `name[i][j]`: a name and its index expressions.
fn member(pair: Pair<Rule>, d: usize) -> Result<Member> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, span, "member")?);
    let indices = inner
        .map(|index| expr(next(&mut children(index), span, "index")?, d))
        .collect::<Result<Vec<_>>>()?;
    Ok(Member { name, indices })
}

/// The binders of a `for` suffix, which are children of the rule that holds it.
fn binders<'i>(pairs: impl Iterator<Item = Pair<'i, Rule>>, d: usize) -> Result<Vec<Binder>> {
    pairs.map(|b| binder(b, d)).collect()
}

/// `i in a..b`.
fn binder(pair: Pair<Rule>, d: usize) -> Result<Binder> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let var = ident(next(&mut inner, span, "loop variable")?);
    let lo = expr(next(&mut inner, span, "range")?, d)?;
    let hi = expr(next(&mut inner, span, "range")?, d)?;
    Ok(Binder { var, lo, hi, span })
}

// ---------------------------------------------------------------------------------------------
// Expressions.

/// Operands of a left-associative chain up to which it is folded left to right, exactly as
/// written; a longer chain of `+`/`-`, `*`/`/`, `and`, `or` or `xor` is regrouped into a
/// balanced tree (same value up to rounding), so its depth grows with the logarithm of its
/// length and no later pass recurses deeply on it.
const BALANCE_FROM: usize = 64;

/// An operand while operators are folded: a finished expression, or a left-associative chain
/// of one precedence level still open, kept flat so that a long chain never exists as a deep
/// tree.
enum Folded {
    Done(Expr),
    Chain(Expr, Vec<(BinaryOp, Expr)>),
}

impl Folded {
    fn finish(self, max_depth: usize) -> Result<Expr> {
        match self {
            Folded::Done(e) => Ok(e),
            // `a < b < c` is `a < b and b < c`, as in Python (LANGUAGE.md section 4); a
            // parenthesised comparison is `Done`, so `(a < b) < c` stays as written.
            Folded::Chain(first, rest) if rest.len() > 1 && is_comparison(rest[0].0) => {
                let mut left = first;
                let mut comparisons = Vec::with_capacity(rest.len());
                for (op, right) in rest {
                    comparisons.push(binary(op, left, right.clone()));
                    left = right;
                }
                let mut items = comparisons.into_iter();
                let head = items
                    .next()
                    .ok_or_else(|| internal(left.span, "comparison chain"))?;
                chain(head, items.map(|c| (BinaryOp::And, c)).collect(), max_depth)
            }
            Folded::Chain(first, rest) => chain(first, rest, max_depth),
        }
    }
}

fn is_comparison(op: BinaryOp) -> bool {
    use BinaryOp::*;
    matches!(op, Eq | Ne | Lt | Le | Gt | Ge)
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr {
        span: left.span.to(right.span),
        kind: ExprKind::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        },
    }
}

/// A tree node that operators combine: an expression or an estimand.
trait Operand: Sized {
    fn span(&self) -> Span;
    fn binary(op: BinaryOp, left: Self, right: Self) -> Self;
}

impl Operand for Expr {
    fn span(&self) -> Span {
        self.span
    }
    fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
        binary(op, left, right)
    }
}

impl Operand for Estimand {
    fn span(&self) -> Span {
        self.span
    }
    fn binary(op: BinaryOp, left: Estimand, right: Estimand) -> Estimand {
        Estimand {
            span: left.span.to(right.span),
            kind: EstimandKind::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
            },
        }
    }
}

/// A folded chain `first op1 e1 op2 e2 ...` of one precedence level.
fn chain<T: Operand>(first: T, rest: Vec<(BinaryOp, T)>, max_depth: usize) -> Result<T> {
    let inverse = |op: BinaryOp| match op {
        BinaryOp::Sub => Some(BinaryOp::Add),
        BinaryOp::Div => Some(BinaryOp::Mul),
        _ => None,
    };
    let op0 = rest.first().map(|(op, _)| *op);
    let identity = match op0 {
        Some(BinaryOp::Add | BinaryOp::Sub) => Some(BinaryOp::Add),
        Some(BinaryOp::Mul | BinaryOp::Div) => Some(BinaryOp::Mul),
        Some(op @ (BinaryOp::And | BinaryOp::Or | BinaryOp::Xor)) => Some(op),
        _ => None,
    };
    let regroupable = identity.is_some_and(|id| {
        rest.iter()
            .all(|(op, _)| *op == id || inverse(*op) == Some(id))
    });
    if rest.len() >= BALANCE_FROM && regroupable {
        let identity = identity.unwrap_or(BinaryOp::Add);
        let mut items = Vec::with_capacity(rest.len() + 1);
        items.push((identity, first));
        items.extend(rest);
        return Ok(balanced(items, identity));
    }
    if rest.len() > max_depth {
        let span = first
            .span()
            .to(rest.last().map_or(first.span(), |(_, e)| e.span()));
        let op = op0.map_or("", BinaryOp::symbol);
        return Err(too_deep(span, rest.len(), max_depth).with_help(format!(
            "a chain of `{op}` is evaluated one operation inside the next; name parts of it with `:=`"
        )));
    }
    let mut out = first;
    for (op, e) in rest {
        out = T::binary(op, out, e);
    }
    Ok(out)
}

/// `items` (each with the operator before it; the first's is `identity`) as a balanced tree:
/// `a - b + c - d` is `(a - b) + (c - d)`, `a + b - c + d` is `(a + b) - (c - d)`.
fn balanced<T: Operand>(mut items: Vec<(BinaryOp, T)>, identity: BinaryOp) -> T {
    if items.len() == 1 {
        return items
            .pop()
            .map(|(_, e)| e)
            .unwrap_or_else(|| unreachable!());
    }
    let mut right = items.split_off(items.len() / 2);
    let left = balanced(items, identity);
    let op = right[0].0;
    if op != identity {
        // `L - (r1 - r2 + ...)`: the right half's signs flip.
        for (o, _) in &mut right {
            *o = if *o == identity { op } else { identity };
        }
    }
    right[0].0 = identity;
    T::binary(op, left, balanced(right, identity))
}

/// E001 for an expression nested deeper than the limit.
pub(crate) fn too_deep(span: Span, depth: usize, limit: usize) -> Diagnostic {
    Diagnostic::error(
        Code::E001,
        span,
        format!("this expression nests {depth} operations deep, more than whatif's limit of {limit}"),
    )
    .with_help("name parts of the expression with `:=` (library users can raise `Config::max_expression_depth`)")
}

fn expr(pair: Pair<Rule>, max_depth: usize) -> Result<Expr> {
    let span = span_of(&pair);
    if pair.as_rule() != Rule::expr {
        return Err(internal(span, "expression"));
    }
    let inner = pair.into_inner();
    // A lone operand, the commonest expression (a prefix operator would be a pair of its
    // own), has no operator to fold.
    if inner.len() == 1
        && let Some(operand) = inner.peek()
    {
        return primary(operand, max_depth);
    }
    PRATT
        .map_primary(|p| primary(p, max_depth).map(Folded::Done))
        .map_prefix(|op, operand| {
            let operand = operand?.finish(max_depth)?;
            let op_span = span_of(&op);
            let op = match op.as_rule() {
                Rule::neg => UnaryOp::Neg,
                Rule::not_op => UnaryOp::Not,
                _ => return Err(internal(op_span, "prefix operator")),
            };
            Ok(Folded::Done(Expr {
                span: op_span.to(operand.span),
                kind: ExprKind::Unary {
                    op,
                    operand: Box::new(operand),
                },
            }))
        })
        .map_infix(|left, op, right| {
            let right = right?.finish(max_depth)?;
            let op = binary_op(&op)?;
            if op == BinaryOp::Pow {
                return Ok(Folded::Done(binary(op, left?.finish(max_depth)?, right)));
            }
            Ok(match left? {
                Folded::Chain(first, mut rest) if rest[0].0.precedence() == op.precedence() => {
                    rest.push((op, right));
                    Folded::Chain(first, rest)
                }
                left => Folded::Chain(left.finish(max_depth)?, vec![(op, right)]),
            })
        })
        .parse(inner)?
        .finish(max_depth)
}

fn binary_op(op: &Pair<Rule>) -> Result<BinaryOp> {
    Ok(match op.as_rule() {
        Rule::or_op => BinaryOp::Or,
        Rule::xor_op => BinaryOp::Xor,
        Rule::and_op => BinaryOp::And,
        Rule::eq | Rule::eq_single => BinaryOp::Eq,
        Rule::ne => BinaryOp::Ne,
        Rule::lt => BinaryOp::Lt,
        Rule::le => BinaryOp::Le,
        Rule::gt => BinaryOp::Gt,
        Rule::ge => BinaryOp::Ge,
        Rule::add => BinaryOp::Add,
        Rule::sub => BinaryOp::Sub,
        Rule::mul => BinaryOp::Mul,
        Rule::div => BinaryOp::Div,
        Rule::rem => BinaryOp::Rem,
        Rule::pow => BinaryOp::Pow,
        _ => return Err(internal(span_of(op), "operator")),
    })
}

fn primary(pair: Pair<Rule>, d: usize) -> Result<Expr> {
    let span = span_of(&pair);
    let rule = pair.as_rule();
    let kind = match rule {
        Rule::expr => return expr(pair, d),
        Rule::boolean | Rule::real | Rule::integer | Rule::string => {
            ExprKind::Literal(literal(pair)?)
        }
        Rule::reference => reference(pair, d)?,
        Rule::aggregate => {
            let mut inner = children(pair);
            let op_pair = next(&mut inner, span, "aggregate")?;
            let op = Aggregate::ALL
                .iter()
                .find(|(_, name)| *name == op_pair.as_str())
                .map(|(op, _)| *op)
                .ok_or_else(|| internal(span, "aggregate"))?;
            let body = expr(next(&mut inner, span, "aggregate")?, d)?;
            let binders = binders(inner, d)?;
            ExprKind::Aggregate {
                op,
                body: Box::new(body),
                binders,
            }
        }
        Rule::parameter => {
            let mut inner = children(pair);
            let head = next(&mut inner, span, "parameter")?;
            let name = head.as_str().trim_start_matches('?');
            let index = inner.map(|m| member(m, d)).collect::<Result<Vec<_>>>()?;
            // Without brackets the parameter is its head alone (no trailing space).
            let span = if index.is_empty() {
                span_of(&head)
            } else {
                span
            };
            return Ok(Expr {
                kind: ExprKind::Parameter {
                    name: (!name.is_empty()).then(|| name.to_string()),
                    index,
                    copy: crate::ast::LoopCopy::Written,
                },
                span,
            });
        }
        Rule::if_expr => {
            let mut inner = children(pair);
            let cond = expr(next(&mut inner, span, "if")?, d)?;
            let then = expr(next(&mut inner, span, "if")?, d)?;
            let otherwise = expr(next(&mut inner, span, "if")?, d)?;
            ExprKind::If {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            }
        }
        Rule::match_expr => {
            let mut inner = children(pair);
            let scrutinees = scrutinee(next(&mut inner, span, "match")?, d)?;
            let arms = inner
                .map(|arm_pair| arm(arm_pair, |p| expr(p, d)))
                .collect::<Result<Vec<_>>>()?;
            ExprKind::Match { scrutinees, arms }
        }
        Rule::call => {
            let mut inner = children(pair);
            let name = ident(next(&mut inner, span, "call")?);
            ExprKind::Call {
                name,
                args: arguments(inner, span, d)?,
            }
        }
        _ => return Err(internal(span, "primary expression")),
    };
    Ok(Expr { kind, span })
}

/// `x`, `state[t - 1]`, `y[do(x = 0)]`, `y[t][do(x = 0)]`: the bracket rule (a bracket of
/// `do(...)` or `NAME = EXPR` is a world, any other an index) was applied by the grammar; here
/// the world must come last and at most once.
fn reference(pair: Pair<Rule>, d: usize) -> Result<ExprKind> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, span, "reference")?);
    let mut indices = Vec::new();
    let mut world: Option<(Vec<Intervention>, Span)> = None;
    for bracket in inner {
        let bracket_span = span_of(&bracket);
        if let Some((_, world_span)) = &world {
            return Err(Diagnostic::error(
                Code::E001,
                bracket_span,
                format!("`{}` has a bracket after its world", name.name),
            )
            .with_label(*world_span, "the world")
            .with_help(format!(
                "indices come first and one world last: `{}[t][do(x = 0)]`; to set several \
                 variables, list them in one `do(...)`",
                name.name
            )));
        }
        match bracket.as_rule() {
            Rule::index => indices.push(expr(next(&mut children(bracket), span, "index")?, d)?),
            Rule::world => {
                let mut interventions = Vec::new();
                for part in children(bracket) {
                    match part.as_rule() {
                        Rule::do_block => interventions.extend(do_block(part, d)?),
                        Rule::intervention => interventions.push(intervention(part, d)?),
                        _ => return Err(internal(span, "counterfactual")),
                    }
                }
                world = Some((interventions, bracket_span));
            }
            _ => return Err(internal(span, "reference")),
        }
    }
    Ok(match world {
        Some((interventions, _)) => ExprKind::Counterfactual {
            name,
            indices,
            interventions,
        },
        None if indices.is_empty() => ExprKind::Name(name.name),
        None => ExprKind::Index { name, indices },
    })
}

fn literal(pair: Pair<Rule>) -> Result<Literal> {
    let span = span_of(&pair);
    let text = pair.as_str();
    Ok(match pair.as_rule() {
        Rule::boolean => Literal::Bool(text == "true"),
        Rule::integer | Rule::signed_integer => Literal::Int(parse_int(text, span)?),
        Rule::real => Literal::Real(parse_real(text, span)?),
        Rule::string => Literal::Label(text[1..text.len() - 1].to_string()),
        _ => return Err(internal(span, "literal")),
    })
}

fn parse_int(text: &str, span: Span) -> Result<i64> {
    text.parse::<i64>().map_err(|_| {
        Diagnostic::error(Code::E001, span, format!("integer `{text}` is too large"))
            .with_help("integers must lie within ±9223372036854775807; write a real such as `1e20`")
    })
}

fn parse_real(text: &str, span: Span) -> Result<f64> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(
            Diagnostic::error(Code::E001, span, format!("number `{text}` is out of range"))
                .with_help("reals must be finite (at most about 1.8e308)"),
        ),
    }
}

fn scrutinee(pair: Pair<Rule>, d: usize) -> Result<Vec<Expr>> {
    children(pair).map(|p| expr(p, d)).collect()
}

fn arm<T>(pair: Pair<Rule>, body: impl Fn(Pair<Rule>) -> Result<T>) -> Result<Arm<T>> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let pattern_pair = next(&mut inner, span, "match arm")?;
    let tuple = pattern_pair.as_str().starts_with('(');
    let patterns = children(pattern_pair)
        .map(pattern)
        .collect::<Result<Vec<_>>>()?;
    let body = body(next(&mut inner, span, "match arm")?)?;
    Ok(Arm {
        patterns,
        tuple,
        body,
        span,
    })
}

fn pattern(pair: Pair<Rule>) -> Result<Pattern> {
    let span = span_of(&pair);
    match pair.as_rule() {
        Rule::wildcard => Ok(Pattern::Wildcard(span)),
        Rule::signed_literal => Ok(Pattern::Literal(signed_literal(pair)?, span)),
        _ => Err(internal(span, "pattern")),
    }
}

fn signed_literal(pair: Pair<Rule>) -> Result<Literal> {
    let span = span_of(&pair);
    let mut negative = false;
    let mut value = None;
    for part in children(pair) {
        match part.as_rule() {
            Rule::neg => negative = true,
            _ => value = Some(literal(part)?),
        }
    }
    let value = value.ok_or_else(|| internal(span, "signed literal"))?;
    if !negative {
        return Ok(value);
    }
    match value {
        Literal::Int(i) => Ok(Literal::Int(-i)),
        Literal::Real(x) => Ok(Literal::Real(-x)),
        _ => Err(Diagnostic::error(
            Code::E005,
            span,
            "only numbers can be negated",
        )),
    }
}

/// A call's arguments, which come as one sequence (the grammar's `argument` is silent): each
/// an expression, after its label if it has one (`"sunny": 0.3`).
fn arguments<'i>(
    parts: impl Iterator<Item = Pair<'i, Rule>>,
    call: Span,
    d: usize,
) -> Result<Vec<Argument>> {
    let mut args = Vec::new();
    let mut label = None;
    for part in parts {
        match part.as_rule() {
            Rule::string if label.is_none() => {
                let text = part.as_str();
                label = Some((text[1..text.len() - 1].to_string(), span_of(&part)));
            }
            Rule::expr => args.push(Argument {
                label: label.take(),
                value: expr(part, d)?,
            }),
            _ => return Err(internal(call, "argument")),
        }
    }
    match label {
        Some(_) => Err(internal(call, "argument")),
        None => Ok(args),
    }
}

/// An expression in distribution position: a call, or `if`/`match` whose branches are.
fn dist_expr(e: Expr) -> Result<DistExpr> {
    let span = e.span;
    match e.kind {
        ExprKind::Call { name, args } => Ok(DistExpr::Call { name, args, span }),
        ExprKind::If { cond, then, otherwise } => Ok(DistExpr::If {
            cond,
            then: Box::new(dist_expr(*then)?),
            otherwise: Box::new(dist_expr(*otherwise)?),
            span,
        }),
        ExprKind::Match { scrutinees, arms } => {
            let arms = arms
                .into_iter()
                .map(|a| Ok(Arm { patterns: a.patterns, tuple: a.tuple, body: dist_expr(a.body)?, span: a.span }))
                .collect::<Result<Vec<_>>>()?;
            Ok(DistExpr::Match { scrutinees, arms, span })
        }
        _ => Err(Diagnostic::error(Code::E005, span, "expected a distribution after `~`")
            .with_help("write a distribution such as `Normal(0, 1)`, or use `:=` for a deterministic mechanism")),
    }
}

fn do_block(pair: Pair<Rule>, d: usize) -> Result<Vec<Intervention>> {
    children(pair).map(|p| intervention(p, d)).collect()
}

fn intervention(pair: Pair<Rule>, d: usize) -> Result<Intervention> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let Member { name, indices } = member(next(&mut inner, span, "intervention")?, d)?;
    let value_pair = next(&mut inner, span, "intervention")?;
    let value_rule = value_pair.as_rule();
    let value_expr = expr(next(&mut children(value_pair), span, "intervention")?, d)?;
    let value = match value_rule {
        Rule::set_value => InterventionValue::Set(value_expr),
        Rule::draw_value => InterventionValue::Draw(dist_expr(value_expr)?),
        _ => return Err(internal(span, "intervention")),
    };
    let repeat = binders(inner, d)?;
    Ok(Intervention {
        target: name,
        indices,
        value,
        repeat,
        span,
    })
}

// ---------------------------------------------------------------------------------------------
// Estimands, decisions, bandits.

/// Estimand arithmetic. The grammar gives one flat sequence of operands and operators;
/// products bind tighter than sums, as in ordinary arithmetic.
fn estimand(pair: Pair<Rule>, d: usize) -> Result<Estimand> {
    let span = span_of(&pair);
    if pair.as_rule() != Rule::estimand {
        return Err(internal(span, "estimand"));
    }
    let (first, rest) = ESTIMAND_PRATT
        .map_primary(|p| estimand_primary(p, d).map(|e| (e, Vec::new())))
        .map_prefix(|op, inner| {
            let (first, rest) = inner?;
            let inner = chain(first, rest, d)?;
            Ok((
                Estimand {
                    span: span_of(&op).to(inner.span),
                    kind: EstimandKind::Neg(Box::new(inner)),
                },
                Vec::new(),
            ))
        })
        .map_infix(|left, op, right| {
            let ((first, mut rest), right) = (left?, right?);
            let right = chain(right.0, right.1, d)?;
            let op = match op.as_str() {
                "+" => BinaryOp::Add,
                "-" => BinaryOp::Sub,
                "*" => BinaryOp::Mul,
                "/" => BinaryOp::Div,
                _ => return Err(internal(span_of(&op), "estimand operator")),
            };
            rest.push((op, right));
            Ok((first, rest))
        })
        .parse(pair.into_inner())?;
    // Products first: each run of `*` and `/` becomes one term of the sum.
    let mut terms: Vec<(BinaryOp, Estimand)> = Vec::new();
    let (mut factor, mut factors) = (first, Vec::new());
    let mut sign = BinaryOp::Add;
    for (op, operand) in rest {
        if matches!(op, BinaryOp::Mul | BinaryOp::Div) {
            factors.push((op, operand));
        } else {
            terms.push((sign, chain(factor, std::mem::take(&mut factors), d)?));
            (sign, factor) = (op, operand);
        }
    }
    terms.push((sign, chain(factor, factors, d)?));
    let mut terms = terms.into_iter();
    let (_, first) = terms.next().ok_or_else(|| internal(span, "estimand"))?;
    chain(first, terms.collect(), d)
}

fn estimand_primary(pair: Pair<Rule>, d: usize) -> Result<Estimand> {
    let span = span_of(&pair);
    let rule = pair.as_rule();
    let kind = match rule {
        Rule::estimand => return estimand(pair, d),
        Rule::real | Rule::integer => match literal(pair)? {
            Literal::Int(i) => EstimandKind::Number(i as f64),
            Literal::Real(x) => EstimandKind::Number(x),
            _ => return Err(internal(span, "estimand number")),
        },
        Rule::marginals => EstimandKind::Marginals {
            conditions: match children(pair).next() {
                Some(c) => conditions(c, d)?,
                None => Vec::new(),
            },
        },
        Rule::probability | Rule::expectation => {
            let mut inner = children(pair).peekable();
            let mut target = expr(next(&mut inner, span, "estimand")?, d)?;
            // `P(a, b)` is `P(a and b)`, as in Pearl's notation (LANGUAGE.md section 6).
            while let Some(part) = inner.next_if(|p| p.as_rule() == Rule::expr) {
                target = binary(BinaryOp::And, target, expr(part, d)?);
            }
            let conditions = match inner.next() {
                Some(c) => conditions(c, d)?,
                None => Vec::new(),
            };
            if rule == Rule::probability {
                EstimandKind::Probability { target, conditions }
            } else {
                EstimandKind::Expectation { target, conditions }
            }
        }
        _ => return Err(internal(span, "estimand")),
    };
    Ok(Estimand { kind, span })
}

fn conditions(pair: Pair<Rule>, d: usize) -> Result<Vec<Condition>> {
    children(pair)
        .map(|c| match c.as_rule() {
            Rule::do_block => {
                let span = span_of(&c);
                Ok(Condition::Do(do_block(c, d)?, span))
            }
            _ => {
                let span = span_of(&c);
                let mut inner = children(c);
                let evidence = expr(next(&mut inner, span, "evidence")?, d)?;
                let repeat = binders(inner, d)?;
                Ok(if repeat.is_empty() {
                    Condition::Evidence(evidence)
                } else {
                    Condition::EachEvidence(evidence, repeat)
                })
            }
        })
        .collect()
}

fn domain(pair: Pair<Rule>) -> Result<Domain> {
    let span = span_of(&pair);
    let inner = next(&mut children(pair), span, "domain")?;
    match inner.as_rule() {
        Rule::domain_bool => Ok(Domain::Bool(span)),
        Rule::domain_set => Ok(Domain::Set(
            children(inner)
                .map(signed_literal)
                .collect::<Result<Vec<_>>>()?,
            span,
        )),
        Rule::domain_range => {
            let mut bounds = children(inner);
            let lo = next(&mut bounds, span, "range")?;
            let hi = next(&mut bounds, span, "range")?;
            let (lo, hi) = (
                parse_int(lo.as_str(), span_of(&lo))?,
                parse_int(hi.as_str(), span_of(&hi))?,
            );
            Ok(Domain::Range(lo, hi, span))
        }
        _ => Err(internal(span, "domain")),
    }
}

/// `attribute E[...] to do(...)` or `attribute EXPR given EVIDENCE`.
fn attribute<'i>(
    mut inner: impl Iterator<Item = Pair<'i, Rule>>,
    span: Span,
    d: usize,
) -> Result<Attribute> {
    let form = next(&mut inner, span, "attribute")?;
    let rule = form.as_rule();
    let mut parts = children(form);
    match rule {
        Rule::attribute_to => {
            let objective = estimand_primary(next(&mut parts, span, "attribute")?, d)?;
            let players = do_block(next(&mut parts, span, "attribute players")?, d)?;
            Ok(Attribute::Interventions { objective, players })
        }
        Rule::attribute_given => {
            let target = expr(next(&mut parts, span, "attribute")?, d)?;
            let evidence = parts.map(|p| expr(p, d)).collect::<Result<Vec<_>>>()?;
            Ok(Attribute::Noise { target, evidence })
        }
        _ => Err(internal(span, "attribute")),
    }
}

fn decide<'i>(inner: impl Iterator<Item = Pair<'i, Rule>>, span: Span, d: usize) -> Result<Decide> {
    let mut stages = Vec::new();
    let mut maximize = true;
    let mut objective = None;
    let mut trailing_given = Vec::new();
    let mut repeat = Vec::new();
    for part in inner {
        match part.as_rule() {
            Rule::stage => stages.push(stage(part, d)?),
            Rule::binder => repeat.push(binder(part, d)?),
            Rule::sense => maximize = part.as_str().trim() == "maximize",
            Rule::estimand => objective = Some(estimand(part, d)?),
            Rule::given => {
                trailing_given = children(part)
                    .map(|m| member(m, d))
                    .collect::<Result<_>>()?;
            }
            _ => return Err(internal(span, "decide")),
        }
    }
    // `decide d in D maximize E[u] given c`: the trailing context belongs to the last stage.
    if let Some(last) = stages.last_mut() {
        last.given.extend(trailing_given);
    }
    let objective = objective.ok_or_else(|| internal(span, "decide objective"))?;
    Ok(Decide {
        stages,
        repeat,
        maximize,
        objective,
    })
}

fn stage(pair: Pair<Rule>, d: usize) -> Result<Stage> {
    let span = span_of(&pair);
    let mut choices = Vec::new();
    let mut joint = false;
    let mut given = Vec::new();
    for part in children(pair) {
        match part.as_rule() {
            Rule::choice => choices.push(choice(part, d)?),
            Rule::joint_choice => {
                joint = true;
                for c in children(part) {
                    choices.push(choice(c, d)?);
                }
            }
            Rule::given => {
                given = children(part)
                    .map(|m| member(m, d))
                    .collect::<Result<_>>()?;
            }
            _ => return Err(internal(span, "decision stage")),
        }
    }
    Ok(Stage {
        choices,
        joint,
        given,
    })
}

fn choice(pair: Pair<Rule>, d: usize) -> Result<Choice> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let Member { name, indices } = member(next(&mut inner, span, "choice")?, d)?;
    let domain = inner.next().map(domain).transpose()?;
    Ok(Choice {
        name,
        indices,
        domain,
    })
}

fn bandit<'i>(
    mut inner: impl Iterator<Item = Pair<'i, Rule>>,
    span: Span,
    config: &Config,
) -> Result<Bandit> {
    let Member {
        name: arm,
        indices: arm_indices,
    } = member(
        next(&mut inner, span, "bandit")?,
        config.max_expression_depth,
    )?;
    let mut part = next(&mut inner, span, "bandit")?;
    let mut arm_domain = None;
    if part.as_rule() == Rule::domain {
        arm_domain = Some(domain(part)?);
        part = next(&mut inner, span, "bandit")?;
    }
    let reward = expr(part, config.max_expression_depth)?;
    let count = |p: Pair<Rule>, what: &str| -> Result<u64> {
        let s = span_of(&p);
        let n = parse_int(p.as_str(), s)?;
        if n < 1 {
            return Err(Diagnostic::error(
                Code::E005,
                s,
                format!("`{what}` must be at least 1"),
            ));
        }
        Ok(n as u64)
    };
    let rounds = count(next(&mut inner, span, "bandit")?, "rounds")?;
    let runs = count(next(&mut inner, span, "bandit")?, "runs")?;
    let mut policies = Vec::new();
    for p in inner {
        let pspan = span_of(&p);
        let mut parts = children(p);
        let name = ident(next(&mut parts, pspan, "policy")?);
        let parameter = match parts.next() {
            Some(x) => Some(match literal(x)? {
                Literal::Int(i) => i as f64,
                Literal::Real(r) => r,
                _ => return Err(internal(pspan, "policy parameter")),
            }),
            None => None,
        };
        policies.push(PolicySpec { name, parameter });
    }
    let steps = rounds
        .saturating_mul(runs)
        .saturating_mul(policies.len() as u64);
    if steps > config.max_bandit_steps {
        return Err(Diagnostic::error(
            Code::E005,
            span,
            format!("this bandit asks for {steps} simulated steps"),
        )
        .with_help(format!(
            "at most {} rounds × runs × policies are allowed",
            config.max_bandit_steps
        )));
    }
    Ok(Bandit {
        arm,
        arm_indices,
        domain: arm_domain,
        reward,
        rounds,
        runs,
        policies,
    })
}
