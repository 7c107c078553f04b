//! Checking `attribute` statements (LANGUAGE.md section 14): the target and evidence lowered
//! as a query's, the players found (noise players: the target's stochastic ancestors;
//! intervention players: the `do(...)` list, each named by its text) and counted against
//! `Config::max_attribution_players`.
//!
//! **Invariant:** an [`Attribute`] it returns has at least one player, no more than the limit,
//! and intervention players on distinct variables.

use super::{Checker, Lowered, Place};
use crate::ast::{self, Span};
use crate::diagnostics::{Code, Diagnostic};
use crate::program::{Attribute, Conditions, Players};
use crate::scm::{Ex, Model, VarId, VarKind};

impl Checker<'_> {
    /// Lowers `attribute ...`.
    pub(super) fn lower_attribute(
        &mut self,
        attribute: &ast::Attribute,
        span: Span,
    ) -> Lowered<Attribute> {
        let checked = match attribute {
            ast::Attribute::Noise { target, evidence } => {
                self.lower_noise_attribution(target, evidence)
            }
            ast::Attribute::Interventions { objective, players } => {
                self.lower_intervention_attribution(objective, players)
            }
        }?;
        self.limit_players(checked.players.len(), span)?;
        Ok(checked)
    }

    fn lower_noise_attribution(
        &mut self,
        target: &ast::Expr,
        evidence: &[ast::Expr],
    ) -> Lowered<Attribute> {
        let lowered = self.lower_expr(target, Place::Query);
        let mut conditions = Conditions::default();
        let mut failed = false;
        for e in evidence {
            match self.lower_evidence(e) {
                Ok(evidence) => conditions.evidence.push(evidence),
                Err(()) => failed = true,
            }
        }
        let (target_ex, ty) = lowered?;
        if failed {
            return Err(());
        }
        if !ty.is_numeric() {
            return self.mismatch(target.span, "`attribute` needs a number or a condition", ty);
        }
        let players = noise_players(&self.model, &target_ex);
        if players.is_empty() {
            self.error(
                Diagnostic::error(
                    Code::E005,
                    target.span,
                    format!(
                        "`{}` has no stochastic ancestor: there is nothing to attribute",
                        self.text(target.span)
                    ),
                )
                .with_help("attribute a quantity that some noise (a `~` variable) influences"),
            );
            return Err(());
        }
        Ok(Attribute {
            target: target_ex,
            conditions,
            players: Players::Noise(players),
            permutations: None,
        })
    }

    fn lower_intervention_attribution(
        &mut self,
        objective: &ast::Estimand,
        players: &[ast::Intervention],
    ) -> Lowered<Attribute> {
        let ast::EstimandKind::Expectation { target, conditions } = &objective.kind else {
            self.error(
                Diagnostic::error(
                    Code::E005,
                    objective.span,
                    "`attribute ... to do(...)` attributes one expectation `E[...]`",
                )
                .with_help(
                    "a probability is the expectation of its event: write `E[...]` around it",
                ),
            );
            return Err(());
        };
        let lowered = self.lower_expr(target, Place::Query);
        let conditions = self.lower_conditions(conditions);
        let interventions = self.lower_interventions(players);
        let ((target_ex, ty), conditions, interventions) = (lowered?, conditions?, interventions?);
        if !ty.is_numeric() {
            return self.mismatch(target.span, "`E[...]` needs a number", ty);
        }
        let named = players
            .iter()
            .zip(interventions)
            .map(|(written, checked)| (self.text(written.span), checked))
            .collect();
        Ok(Attribute {
            target: target_ex,
            conditions,
            players: Players::Interventions(named),
            permutations: None,
        })
    }

    /// E005 for more players than `Config::max_attribution_players`.
    fn limit_players(&mut self, n: usize, span: Span) -> Lowered<()> {
        let limit = self.config.max_attribution_players;
        if n <= limit {
            return Ok(());
        }
        self.error(
            Diagnostic::error(
                Code::E005,
                span,
                format!("this attribution has {n} players, more than the limit of {limit}"),
            )
            .with_help("attribute a quantity with fewer stochastic ancestors, or group variables into fewer mechanisms"),
        );
        Err(())
    }
}

/// The noise players of `target`: every stochastic variable it mentions or descends from, in
/// the model's topological order. Found with an explicit stack (no recursion on the model).
pub(crate) fn noise_players(model: &Model, target: &Ex) -> Vec<VarId> {
    let mut seen = vec![false; model.vars.len()];
    let mut stack = Vec::new();
    target.visit_vars(&mut |v| stack.push(v));
    while let Some(v) = stack.pop() {
        if std::mem::replace(&mut seen[v], true) {
            continue;
        }
        stack.extend(model.vars[v].parents.iter().copied());
    }
    model
        .order
        .iter()
        .copied()
        .filter(|&v| seen[v] && matches!(model.vars[v].kind, VarKind::Stochastic(_)))
        .collect()
}
