//! Resolved expressions and their evaluation.
//!
//! An [`Ex`] refers to variables by index and to constants by value; evaluation reads a flat
//! slice of values (one block of `n` variables per world) and allocates nothing.
//!
//! **Invariant:** evaluation never panics; a failure (a match no arm covers, a domain error)
//! yields NaN, which the sampler reports as E006 against the variable being computed.

use super::VarId;
use super::dist::DistTree;
use crate::ast::Span;

/// The operators are the syntax's own types (one type each, shared by the AST and the
/// model); the model calls them by these shorter names.
pub use crate::ast::{BinaryOp as BinOp, UnaryOp as UnOp};

/// A built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Abs,
    Exp,
    Log,
    Sqrt,
    Pow,
    Min,
    Max,
    Sigmoid,
    Logit,
    Floor,
    Ceil,
    Round,
    Clamp,
}

impl Func {
    /// The function called `name`, with its arity.
    pub fn lookup(name: &str) -> Option<(Func, usize)> {
        Some(match name {
            "abs" => (Func::Abs, 1),
            "exp" => (Func::Exp, 1),
            "log" => (Func::Log, 1),
            "sqrt" => (Func::Sqrt, 1),
            "pow" => (Func::Pow, 2),
            "min" => (Func::Min, 2),
            "max" => (Func::Max, 2),
            "sigmoid" => (Func::Sigmoid, 1),
            "logit" => (Func::Logit, 1),
            "floor" => (Func::Floor, 1),
            "ceil" => (Func::Ceil, 1),
            "round" => (Func::Round, 1),
            "clamp" => (Func::Clamp, 3),
            _ => return None,
        })
    }

    /// Every function name, for suggestions and completion.
    pub const NAMES: &'static [&'static str] = &[
        "abs", "exp", "log", "sqrt", "pow", "min", "max", "sigmoid", "logit", "floor", "ceil",
        "round", "clamp",
    ];
}

/// An intervention: the target's mechanism replaced in one world.
#[derive(Clone, Debug)]
pub struct Intervention {
    pub var: VarId,
    pub value: InterventionValue,
    pub span: Span,
}

impl Intervention {
    /// What the intervention does, whatever its spelling: interventions with equal keys set
    /// the same target the same way, so whitespace, `1` against `1.0`, a constant against its
    /// value and source positions do not tell worlds or noise slots apart.
    pub fn key(&self) -> String {
        format!("{} {:?}", self.var, canonical_value(&self.value))
    }
}

/// The value with every source position and source text left out, for [`Intervention::key`].
fn canonical_value(value: &InterventionValue) -> InterventionValue {
    match value {
        InterventionValue::Set(e) => InterventionValue::Set(canonical_expr(e)),
        InterventionValue::Draw(tree) => InterventionValue::Draw(canonical_tree(tree)),
    }
}

fn canonical_expr(e: &Ex) -> Ex {
    e.map(&mut |node| match node {
        Ex::Counterfactual(v, interventions) => Some(Ex::Counterfactual(
            *v,
            interventions
                .iter()
                .map(|i| Intervention {
                    var: i.var,
                    value: canonical_value(&i.value),
                    span: Span::default(),
                })
                .collect(),
        )),
        _ => None,
    })
}

fn canonical_tree(tree: &DistTree) -> DistTree {
    match tree.map_exprs(&mut canonical_expr) {
        DistTree::Leaf(leaf) => DistTree::Leaf(super::dist::Leaf {
            span: Span::default(),
            ..leaf
        }),
        DistTree::If(parts) => {
            let (cond, then, otherwise) = *parts;
            DistTree::If(Box::new((
                cond,
                canonical_tree(&then),
                canonical_tree(&otherwise),
            )))
        }
        DistTree::Match(m) => DistTree::Match(Box::new(MatchEx {
            scrutinees: m.scrutinees,
            arms: m
                .arms
                .into_iter()
                .map(|(p, t)| (p, canonical_tree(&t)))
                .collect(),
        })),
    }
}

/// What an intervention sets its target to.
#[derive(Clone, Debug)]
pub enum InterventionValue {
    /// A value computed in the world (a constant, a policy, or a shift of the natural value).
    Set(Ex),
    /// A draw from a distribution with noise of its own.
    Draw(DistTree),
}

/// A `match`: scrutinees, and arms whose patterns are `None` for `_`.
#[derive(Clone, Debug)]
pub struct MatchEx<T> {
    pub scrutinees: Vec<Ex>,
    pub arms: Vec<(Vec<Option<f64>>, T)>,
}

impl<T> MatchEx<T> {
    /// The first arm whose patterns match the scrutinees' values.
    #[inline]
    pub fn select(&self, vals: &[f64], base: usize) -> Option<&T> {
        self.select_index(vals, base).map(|i| &self.arms[i].1)
    }

    /// The index of the first arm whose patterns match the scrutinees' values.
    #[inline]
    pub fn select_index(&self, vals: &[f64], base: usize) -> Option<usize> {
        // Up to four scrutinees are evaluated once into a small array; more are re-evaluated.
        let mut keys = [0.0f64; 4];
        let n = self.scrutinees.len();
        for (i, s) in self.scrutinees.iter().take(4).enumerate() {
            keys[i] = s.eval(vals, base);
        }
        'arms: for (index, (patterns, _)) in self.arms.iter().enumerate() {
            for (i, pattern) in patterns.iter().enumerate() {
                if let Some(p) = pattern {
                    let key = if i < 4 {
                        keys[i]
                    } else {
                        self.scrutinees[i].eval(vals, base)
                    };
                    if key != *p {
                        continue 'arms;
                    }
                }
            }
            let _ = n;
            return Some(index);
        }
        None
    }
}

/// A resolved expression.
#[derive(Clone, Debug)]
pub enum Ex {
    Const(f64),
    /// A variable in the world being evaluated.
    Var(VarId),
    /// A value at an absolute slot (`world * n + var`): counterfactual terms after a query
    /// assigned their worlds.
    Slot(usize),
    /// `y[do(...)]` before its world is assigned.
    Counterfactual(VarId, Vec<Intervention>),
    Unary(UnOp, Box<Ex>),
    Binary(BinOp, Box<Ex>, Box<Ex>),
    If(Box<(Ex, Ex, Ex)>),
    Match(Box<MatchEx<Ex>>),
    Call(Func, Vec<Ex>),
    /// A `?` parameter (an index into [`super::Model::parameters`]) not yet fitted. Only the
    /// fitting stage sees one: `fit::fit` replaces every one by its estimate before any engine
    /// runs, so evaluation reads it as NaN.
    Param(usize),
}

/// Whether `x` counts as true: anything but 0, NaN included.
#[inline]
pub(super) fn truth(x: f64) -> bool {
    x != 0.0
}

/// `f(x, y)`, or NaN when either is NaN.
#[inline]
fn nan_or(x: f64, y: f64, f: fn(f64, f64) -> f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        f(x, y)
    }
}

#[inline]
pub(super) fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// `a op b` once both operands are known: the one definition of the operators, for
/// [`Ex::eval`] and the compiled [`super::postfix::Postfix`] (`and`/`or` here evaluate both
/// sides; `Ex::eval` skips the right one where it can, which changes nothing but time).
#[inline(always)]
pub(crate) fn binary(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::And => flag(truth(a) && truth(b)),
        BinOp::Or => flag(truth(a) || truth(b)),
        BinOp::Xor => flag(truth(a) != truth(b)),
        BinOp::Eq => flag(a == b),
        BinOp::Ne => flag(a != b),
        BinOp::Lt => flag(a < b),
        BinOp::Le => flag(a <= b),
        BinOp::Gt => flag(a > b),
        BinOp::Ge => flag(a >= b),
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Rem => a % b,
        BinOp::Pow => a.powf(b),
    }
}

/// `clamp(x, lo, hi)`, NaN when the bounds are NaN or crossed.
#[inline(always)]
pub(super) fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    if lo > hi || lo.is_nan() || hi.is_nan() {
        f64::NAN
    } else {
        x.clamp(lo, hi)
    }
}

/// A one-argument function's value (NaN for the others).
#[inline(always)]
pub(super) fn call1(func: Func, x: f64) -> f64 {
    match func {
        Func::Abs => x.abs(),
        Func::Exp => x.exp(),
        Func::Log => x.ln(),
        Func::Sqrt => x.sqrt(),
        Func::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Func::Logit => (x / (1.0 - x)).ln(),
        Func::Floor => x.floor(),
        Func::Ceil => x.ceil(),
        Func::Round => x.round(),
        Func::Pow | Func::Min | Func::Max | Func::Clamp => f64::NAN,
    }
}

/// A two-argument function's value (NaN for the others); NaN propagates through `min` and
/// `max` (f64::min/max would drop it and hide the error).
#[inline(always)]
pub(super) fn call2(func: Func, x: f64, y: f64) -> f64 {
    match func {
        Func::Pow => x.powf(y),
        Func::Min => nan_or(x, y, f64::min),
        Func::Max => nan_or(x, y, f64::max),
        _ => f64::NAN,
    }
}

impl Ex {
    /// The value, reading variables from `vals[base + var]`.
    #[inline]
    pub fn eval(&self, vals: &[f64], base: usize) -> f64 {
        match self {
            Ex::Const(c) => *c,
            Ex::Var(v) => vals[base + v],
            Ex::Slot(s) => vals[*s],
            Ex::Counterfactual(..) | Ex::Param(_) => f64::NAN,
            Ex::Unary(op, a) => {
                let a = a.eval(vals, base);
                match op {
                    UnOp::Neg => -a,
                    UnOp::Not => flag(!truth(a)),
                }
            }
            Ex::Binary(op, a, b) => {
                match op {
                    BinOp::And => {
                        return flag(truth(a.eval(vals, base)) && truth(b.eval(vals, base)));
                    }
                    BinOp::Or => {
                        return flag(truth(a.eval(vals, base)) || truth(b.eval(vals, base)));
                    }
                    _ => {}
                }
                binary(*op, a.eval(vals, base), b.eval(vals, base))
            }
            Ex::If(parts) => {
                if truth(parts.0.eval(vals, base)) {
                    parts.1.eval(vals, base)
                } else {
                    parts.2.eval(vals, base)
                }
            }
            Ex::Match(m) => match m.select(vals, base) {
                Some(body) => body.eval(vals, base),
                None => f64::NAN,
            },
            Ex::Call(func, args) => {
                let x = args.first().map_or(f64::NAN, |a| a.eval(vals, base));
                let y = || args.get(1).map_or(f64::NAN, |a| a.eval(vals, base));
                match func {
                    Func::Pow | Func::Min | Func::Max => call2(*func, x, y()),
                    Func::Clamp => {
                        clamp(x, y(), args.get(2).map_or(f64::NAN, |a| a.eval(vals, base)))
                    }
                    _ => call1(*func, x),
                }
            }
        }
    }

    /// Calls `f` on every variable the expression reads (counterfactual terms included).
    pub fn visit_vars(&self, f: &mut impl FnMut(VarId)) {
        match self {
            Ex::Const(_) | Ex::Slot(_) | Ex::Param(_) => {}
            Ex::Var(v) => f(*v),
            Ex::Counterfactual(v, interventions) => {
                f(*v);
                for i in interventions {
                    match &i.value {
                        InterventionValue::Set(e) => e.visit_vars(f),
                        InterventionValue::Draw(d) => d.visit_vars(f),
                    }
                }
            }
            Ex::Unary(_, a) => a.visit_vars(f),
            Ex::Binary(_, a, b) => {
                a.visit_vars(f);
                b.visit_vars(f);
            }
            Ex::If(parts) => {
                parts.0.visit_vars(f);
                parts.1.visit_vars(f);
                parts.2.visit_vars(f);
            }
            Ex::Match(m) => {
                for s in &m.scrutinees {
                    s.visit_vars(f);
                }
                for (_, body) in &m.arms {
                    body.visit_vars(f);
                }
            }
            Ex::Call(_, args) => args.iter().for_each(|a| a.visit_vars(f)),
        }
    }

    /// Calls `f` on every absolute slot (`world * n + var`) the expression reads through
    /// [`Ex::Slot`].
    pub fn visit_slots(&self, f: &mut impl FnMut(usize)) {
        self.rewrite_ref(&mut |e| {
            if let Ex::Slot(s) = e {
                f(*s);
            }
        });
    }

    /// Whether the expression mentions `var` in the current world.
    pub fn mentions(&self, var: VarId) -> bool {
        let mut found = false;
        self.visit_vars(&mut |v| found |= v == var);
        found
    }

    /// Whether the expression reads a `?` parameter.
    pub fn has_param(&self) -> bool {
        let mut found = false;
        self.rewrite_ref(&mut |e| found |= matches!(e, Ex::Param(_)));
        found
    }

    /// Calls `f` on every `?` parameter the expression reads.
    pub fn visit_params(&self, f: &mut impl FnMut(usize)) {
        self.rewrite_ref(&mut |e| {
            if let Ex::Param(p) = e {
                f(*p);
            }
        });
    }

    /// Whether any counterfactual term remains.
    pub fn has_counterfactual(&self) -> bool {
        let mut found = false;
        self.rewrite_ref(&mut |e| {
            if matches!(e, Ex::Counterfactual(..)) {
                found = true;
            }
        });
        found
    }

    /// Calls `f` on every node, parents before children, without copying (a counterfactual
    /// term is one node: its interventions are not entered).
    pub fn visit_nodes(&self, f: &mut impl FnMut(&Ex)) {
        self.rewrite_ref(f)
    }

    fn rewrite_ref(&self, f: &mut impl FnMut(&Ex)) {
        f(self);
        match self {
            Ex::Unary(_, a) => a.rewrite_ref(f),
            Ex::Binary(_, a, b) => {
                a.rewrite_ref(f);
                b.rewrite_ref(f);
            }
            Ex::If(parts) => {
                parts.0.rewrite_ref(f);
                parts.1.rewrite_ref(f);
                parts.2.rewrite_ref(f);
            }
            Ex::Match(m) => {
                m.scrutinees.iter().for_each(|s| s.rewrite_ref(f));
                m.arms.iter().for_each(|(_, b)| b.rewrite_ref(f));
            }
            Ex::Call(_, args) => args.iter().for_each(|a| a.rewrite_ref(f)),
            _ => {}
        }
    }

    /// A copy with every node passed through `f` bottom-up (`f` returns `None` to keep a node).
    pub fn map(&self, f: &mut impl FnMut(&Ex) -> Option<Ex>) -> Ex {
        if let Some(replaced) = f(self) {
            return replaced;
        }
        match self {
            Ex::Unary(op, a) => Ex::Unary(*op, Box::new(a.map(f))),
            Ex::Binary(op, a, b) => Ex::Binary(*op, Box::new(a.map(f)), Box::new(b.map(f))),
            Ex::If(parts) => Ex::If(Box::new((parts.0.map(f), parts.1.map(f), parts.2.map(f)))),
            Ex::Match(m) => Ex::Match(Box::new(MatchEx {
                scrutinees: m.scrutinees.iter().map(|s| s.map(f)).collect(),
                arms: m.arms.iter().map(|(p, b)| (p.clone(), b.map(f))).collect(),
            })),
            Ex::Call(func, args) => Ex::Call(*func, args.iter().map(|a| a.map(f)).collect()),
            other => other.clone(),
        }
    }

    /// The constant value, if the expression reads no variable.
    pub fn constant(&self) -> Option<f64> {
        let mut reads = false;
        self.visit_vars(&mut |_| reads = true);
        let mut slot = false;
        self.rewrite_ref(&mut |e| slot |= matches!(e, Ex::Slot(_) | Ex::Param(_)));
        if reads || slot {
            None
        } else {
            Some(self.eval(&[], 0))
        }
    }

    /// Folds a node whose operands are all constants into its value (when finite). Operands
    /// are folded as they are built, bottom-up, so looking one level down suffices and folding
    /// a whole expression takes linear time.
    pub fn fold(self) -> Ex {
        let is_const = |e: &Ex| matches!(e, Ex::Const(_));
        let foldable = match &self {
            Ex::Unary(_, a) => is_const(a),
            Ex::Binary(_, a, b) => is_const(a) && is_const(b),
            Ex::If(parts) => is_const(&parts.0) && is_const(&parts.1) && is_const(&parts.2),
            Ex::Call(_, args) => args.iter().all(is_const),
            _ => false,
        };
        if foldable {
            let c = self.eval(&[], 0);
            if c.is_finite() {
                return Ex::Const(c);
            }
        }
        self
    }
}
