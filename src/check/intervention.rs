//! Interventions, `do(x = value)` and `do(x ~ Dist)`: the target (not exogenous, not twice),
//! the value's type against the target's, and a constant value against its domain.

use super::{Checker, Lowered, Place, assignable};
use crate::ast;
use crate::diagnostics::{Code, Diagnostic};
use crate::program::{Intervention, InterventionValue};
use crate::scm::{BinOp, Ex, Type, VarKind};
use std::collections::HashSet;

impl Checker<'_> {
    pub(super) fn lower_interventions(
        &mut self,
        interventions: &[ast::Intervention],
    ) -> Lowered<Vec<Intervention>> {
        let mut out = Vec::new();
        let mut failed = false;
        let mut targets = HashSet::new();
        for i in interventions {
            let Some(v) = self.model.find(&i.target.name) else {
                if self.constants.contains_key(&i.target.name) {
                    self.error(Diagnostic::error(
                        Code::E008,
                        i.target.span,
                        format!(
                            "`{}` is a constant and cannot be intervened on",
                            i.target.name
                        ),
                    ));
                } else {
                    self.unknown(&i.target.name, i.target.span);
                }
                failed = true;
                continue;
            };
            if self.model.vars[v].exogenous {
                self.error(Diagnostic::error(Code::E008, i.target.span, format!("`{}` is exogenous and cannot be intervened on", i.target.name)).with_help("exogenous variables are background noise; intervene on a variable they cause"));
                failed = true;
                continue;
            }
            if !targets.insert(v) {
                self.error(Diagnostic::error(
                    Code::E008,
                    i.target.span,
                    format!("`{}` is intervened on twice", i.target.name),
                ));
                failed = true;
                continue;
            }
            if !self.decls[v].lowered {
                failed = true;
                continue;
            }
            let target_ty = self.model.vars[v].ty;
            let value = match &i.value {
                ast::InterventionValue::Set(e) => match self.lower_expr(e, Place::Query) {
                    // The value may read other worlds (`m = m[do(x = 0)]`, a nested
                    // counterfactual): planning gives those terms their worlds.
                    Ok((ex, ty)) => {
                        if !assignable(target_ty, ty) {
                            self.error(Diagnostic::error(
                                Code::E005,
                                e.span,
                                format!(
                                    "`{}` is {} but is set to {}",
                                    i.target.name,
                                    target_ty.name(),
                                    ty.name()
                                ),
                            ));
                            failed = true;
                            continue;
                        }
                        if let Ex::Const(c) = ex
                            && self.model.vars[v].ty != Type::Real
                            && (self.model.vars[v].ty != Type::Int
                                || !matches!(self.model.vars[v].kind, VarKind::Deterministic(_)))
                        {
                            if self.value_in_domain(v, c, e.span, Code::E008).is_err() {
                                failed = true;
                                continue;
                            }
                        }
                        // A bool may be set to 0/1 as in arithmetic: coerce to a truth value.
                        if target_ty == Type::Bool && ty == Type::Int {
                            InterventionValue::Set(
                                Ex::Binary(BinOp::Ne, Box::new(ex), Box::new(Ex::Const(0.0)))
                                    .fold(),
                            )
                        } else {
                            InterventionValue::Set(ex)
                        }
                    }
                    Err(()) => {
                        failed = true;
                        continue;
                    }
                },
                ast::InterventionValue::Draw(d) => match self.lower_dist(d, Place::Query) {
                    Ok((tree, ty)) => {
                        if !assignable(target_ty, ty) {
                            self.error(Diagnostic::error(
                                Code::E005,
                                d.span(),
                                format!(
                                    "`{}` is {} but is drawn as {}",
                                    i.target.name,
                                    target_ty.name(),
                                    ty.name()
                                ),
                            ));
                            failed = true;
                            continue;
                        }
                        InterventionValue::Draw(tree)
                    }
                    Err(()) => {
                        failed = true;
                        continue;
                    }
                },
            };
            out.push(Intervention {
                var: v,
                value,
                span: i.span,
            });
        }
        if failed { Err(()) } else { Ok(out) }
    }
}
