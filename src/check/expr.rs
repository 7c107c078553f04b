//! Expressions: names, literals, operators, `if`, calls, counterfactual terms; their types
//! (with numeric promotion) and the checks on compared values.

use super::pattern::{ArmBody, Branching};
use super::{Checker, Lowered, Place};
use crate::ast::{self, BinaryOp, ExprKind, Literal, Span, UnaryOp};
use crate::diagnostics::{Code, Diagnostic, suggest};
use crate::scm::dist::{DIST_NAMES, DistKind};
use crate::scm::{Ex, Func, Type, VarId};

/// A `match` in a value: its arms are expressions, whose types unify (an int arm and a real
/// arm make a real).
impl ArmBody for ast::Expr {
    type Lowered = Ex;

    fn span(&self) -> Span {
        self.span
    }

    fn lower(&self, checker: &mut Checker<'_>, place: Place) -> Lowered<(Ex, Type)> {
        checker.lower_expr(self, place)
    }

    fn join(
        checker: &mut Checker<'_>,
        construct: Branching,
        previous: Type,
        next: Type,
        span: Span,
    ) -> Result<Type, Type> {
        let what = match construct {
            Branching::If => "the branches of `if`",
            Branching::Match => "the arms of `match`",
        };
        checker
            .unify(previous, next, span, what)
            .map_err(|()| previous)
    }
}

impl Checker<'_> {
    // Expressions.

    pub(super) fn lower_expr(&mut self, expr: &ast::Expr, place: Place) -> Lowered<(Ex, Type)> {
        let span = expr.span;
        match &expr.kind {
            ExprKind::Literal(literal) => Ok(self.lower_literal(literal)),
            ExprKind::Name(name) => self.lower_name(name, span, place),
            ExprKind::Index { .. } | ExprKind::Aggregate { .. } => {
                self.error(crate::unroll::left_over(span));
                Err(())
            }
            ExprKind::Counterfactual {
                name,
                interventions,
                ..
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
                        Ok((Ex::Unary(UnaryOp::Neg, Box::new(a)).fold(), ty))
                    }
                    UnaryOp::Not => {
                        if ty != Type::Bool {
                            return self.mismatch(span, "`not` expects a bool", ty);
                        }
                        Ok((Ex::Unary(UnaryOp::Not, Box::new(a)).fold(), Type::Bool))
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
                Ok((Ex::Binary(*op, Box::new(a), Box::new(b)).fold(), ty))
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let (c, t, o, ty) = self.lower_if(cond, &**then, &**otherwise, place)?;
                Ok((Ex::If(Box::new((c, t, o))).fold(), ty))
            }
            ExprKind::Match { scrutinees, arms } => {
                let (m, ty) = self.lower_match(scrutinees, arms, span, place)?;
                Ok((Ex::Match(Box::new(m)), ty))
            }
            ExprKind::Call { name, args } => self.lower_call(name, args, span, place),
            ExprKind::Parameter { name, index, copy } => {
                // Unrolling has named every member axis (`?[c[i]]` → `?[c[0]]`).
                let axes: Vec<crate::ast::Ident> = index.iter().map(|a| a.name.clone()).collect();
                self.lower_parameter(name.as_deref(), &axes, copy, span, place)
            }
        }
    }

    pub(super) fn lower_literal(&mut self, literal: &Literal) -> (Ex, Type) {
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

    pub(super) fn unknown(&mut self, name: &str, span: Span) {
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

    pub(super) fn mismatch<T>(&mut self, span: Span, what: &str, found: Type) -> Lowered<T> {
        self.error(Diagnostic::error(
            Code::E005,
            span,
            format!("{what}, found {}", found.name()),
        ));
        Err(())
    }

    pub(super) fn unify(&mut self, a: Type, b: Type, span: Span, what: &str) -> Lowered<Type> {
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
    pub(super) fn compared_in_domain(
        &mut self,
        var_side: &Ex,
        value_side: &Ex,
        span: Span,
    ) -> Lowered<()> {
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
    pub(super) fn value_in_domain(
        &mut self,
        v: VarId,
        value: f64,
        span: Span,
        code: Code,
    ) -> Lowered<()> {
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
}

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
