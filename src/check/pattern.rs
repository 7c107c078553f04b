//! Branching, in a value (`if c then a else b`, `match x { ... }`) or as a mixture
//! (`y ~ if c then D else E`, `y ~ match x { ... }`): one lowering for both, generic over
//! what a branch holds ([`ArmBody`]) — for `match`, the scrutinees, each arm's patterns
//! checked against their types and domains, the arms' one type, and coverage where the
//! domains are finite.

use super::{Checker, DOMAIN_ENUMERATION_LIMIT, Lowered, Place};
use crate::ast::{self, Arm, Pattern, Span};
use crate::diagnostics::{Code, Diagnostic};
use crate::scm::expr::MatchEx;
use crate::scm::{Ex, Type};

/// Which construct branches, for the messages about its branches' types.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Branching {
    If,
    Match,
}

/// What a branch (of `if`, or a `match` arm) holds: an expression or a distribution.
pub(super) trait ArmBody {
    /// Its checked form.
    type Lowered;

    /// Where the body was written.
    fn span(&self) -> Span;

    /// The checked body and the type of its values.
    fn lower(&self, checker: &mut Checker<'_>, place: Place) -> Lowered<(Self::Lowered, Type)>;

    /// The type of the branches so far (`previous`) joined with the next one's (`next`,
    /// written at `span`): `Ok` with the joint type, or `Err` with the type to carry on with
    /// once the mismatch is reported.
    fn join(
        checker: &mut Checker<'_>,
        construct: Branching,
        previous: Type,
        next: Type,
        span: Span,
    ) -> Result<Type, Type>;
}

impl Checker<'_> {
    /// `if cond then then else otherwise`: the checked condition and branches, and the
    /// branches' one type. Reports the errors of all three before giving up.
    pub(super) fn lower_if<B: ArmBody>(
        &mut self,
        cond: &ast::Expr,
        then: &B,
        otherwise: &B,
        place: Place,
    ) -> Lowered<(Ex, B::Lowered, B::Lowered, Type)> {
        let c = self.lower_expr(cond, place);
        let t = then.lower(self, place);
        let o = otherwise.lower(self, place);
        let ((c, tc), (t, tt), (o, to)) = (c?, t?, o?);
        if tc != Type::Bool {
            return self.mismatch(cond.span, "an `if` condition must be a bool", tc);
        }
        let ty = B::join(self, Branching::If, tt, to, otherwise.span()).map_err(|_| ())?;
        Ok((c, t, o, ty))
    }

    /// A `match` over `scrutinees` with `arms` (written at `span`): its checked form and the
    /// type of its arms. Reports every arm's errors before giving up.
    pub(super) fn lower_match<B: ArmBody>(
        &mut self,
        scrutinees: &[ast::Expr],
        arms: &[Arm<B>],
        span: Span,
        place: Place,
    ) -> Lowered<(MatchEx<B::Lowered>, Type)> {
        self.limit_arms(arms.len(), span)?;
        let (scrutinees, types) = self.lower_scrutinees(scrutinees, place)?;
        let mut lowered = Vec::new();
        let mut ty: Option<Type> = None;
        let mut failed = false;
        for arm in arms {
            let patterns = self.lower_patterns(arm, &types, &scrutinees);
            let body = arm.body.lower(self, place);
            match (patterns, body) {
                (Ok(p), Ok((b, tb))) => {
                    ty = Some(match ty {
                        None => tb,
                        Some(t) => B::join(self, Branching::Match, t, tb, arm.body.span())
                            .unwrap_or_else(|t| {
                                failed = true;
                                t
                            }),
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
        Ok((m, ty.unwrap_or(Type::Real)))
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
}
