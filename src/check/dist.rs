//! Distributions: a leaf (`Normal(m, s)`, `Categorical("a": w, ...)`) with its parameters
//! checked in number, name and type, and mixtures (`if`, `match`) whose branches draw one type.

use super::pattern::{ArmBody, Branching};
use super::{Checker, Lowered, Place, sorted};
use crate::ast::{self, BinaryOp, DistExpr, ExprKind, Span};
use crate::diagnostics::{Code, Diagnostic, suggest};
use crate::scm::dist::{DIST_NAMES, DistKind, Leaf};
use crate::scm::{DistTree, Ex, Type};
use std::collections::HashSet;

/// A mixture by `match`: its arms are distributions, which must draw one type.
impl ArmBody for DistExpr {
    type Lowered = DistTree;

    fn span(&self) -> Span {
        DistExpr::span(self)
    }

    fn lower(&self, checker: &mut Checker<'_>, place: Place) -> Lowered<(DistTree, Type)> {
        checker.lower_dist(self, place)
    }

    fn join(
        checker: &mut Checker<'_>,
        construct: Branching,
        previous: Type,
        next: Type,
        span: Span,
    ) -> Result<Type, Type> {
        if previous == next {
            return Ok(next);
        }
        let what = match construct {
            Branching::If => "branches",
            Branching::Match => "arms",
        };
        checker.error(Diagnostic::error(
            Code::E005,
            span,
            format!(
                "the {what} of this mixture draw different types: {} and {}",
                previous.name(),
                next.name()
            ),
        ));
        Err(next)
    }
}

impl Checker<'_> {
    pub(super) fn lower_dist(
        &mut self,
        dist: &DistExpr,
        place: Place,
    ) -> Lowered<(DistTree, Type)> {
        match dist {
            DistExpr::Call { name, args, span } => self.lower_leaf(name, args, *span, place),
            DistExpr::If {
                cond,
                then,
                otherwise,
                ..
            } => {
                let (c, t, o, ty) = self.lower_if(cond, &**then, &**otherwise, place)?;
                Ok((DistTree::If(Box::new((c, t, o))), ty))
            }
            DistExpr::Match {
                scrutinees,
                arms,
                span,
            } => {
                let (m, ty) = self.lower_match(scrutinees, arms, *span, place)?;
                Ok((DistTree::Match(Box::new(m)), ty))
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
}

/// The values a distribution tree can draw, where every leaf's support is known.
pub(super) fn tree_domain(tree: &DistTree) -> Option<Vec<f64>> {
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
