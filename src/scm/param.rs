//! `?` parameters (LANGUAGE.md §12): what the checker records about each, and the
//! substitution that turns a model with parameters into one whose parameters are numbers.
//!
//! The checker lowers `?` to [`Ex::Param`] (a table `?[a, b]` to a `match` over `a`, `b`
//! whose arms are one parameter each), so a parameter is always a scalar leaf of an
//! expression. Fitting (src/fit/) estimates the values; [`Model::with_estimates`] writes them
//! in, and only then do engines see the model.

use super::{DistTree, Ex, Model, VarId, VarKind};
use crate::ast::Span;

/// One free parameter: a `?`, a named `?name`, or one cell of a table `?[a, b]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// `p_rain` for `?p_rain`; for an anonymous `?`, the variable and the position of the `?`
    /// in its mechanism (`cost.?2`).
    pub name: String,
    /// Whether the user named it (`?name`): named parameters are shared by name.
    pub named: bool,
    /// The variable whose mechanism declared it first.
    pub variable: VarId,
    /// The table cell: each index variable with its value (empty for a scalar).
    pub cell: Vec<(VarId, f64)>,
    /// The `?` in the source.
    pub span: Span,
    /// For `?[i]` inside a loop: the loop variables with this member's values.
    pub member: Vec<(String, i64)>,
}

impl Model {
    /// Whether any mechanism still has a `?`.
    pub fn has_parameters(&self) -> bool {
        !self.parameters.is_empty()
    }

    /// This model with every [`Ex::Param`] replaced by its value (`values[id]`), and no
    /// parameters left.
    pub fn with_estimates(&self, values: &[f64]) -> Model {
        let mut out = self.clone();
        let mut replace = |e: &Ex| {
            e.map(&mut |node| match node {
                Ex::Param(p) => Some(Ex::Const(values.get(*p).copied().unwrap_or(f64::NAN))),
                _ => None,
            })
        };
        for var in &mut out.vars {
            // A table recognised from the mechanism with its `?`s does not describe the
            // fitted one.
            var.table = Default::default();
            match &var.kind {
                VarKind::Stochastic(tree) => {
                    var.kind =
                        VarKind::Stochastic(std::sync::Arc::new(tree.map_exprs(&mut replace)))
                }
                VarKind::Deterministic(e) => var.kind = VarKind::Deterministic(replace(e)),
                VarKind::Decision(_) | VarKind::Nonparametric => {}
            }
        }
        out.parameters.clear();
        out
    }

    /// The `?` parameters a variable's mechanism reads, in order of first appearance.
    pub fn parameters_of(&self, v: VarId) -> Vec<usize> {
        let mut out = Vec::new();
        let mut add = |p: usize| {
            if !out.contains(&p) {
                out.push(p);
            }
        };
        match &self.vars[v].kind {
            VarKind::Stochastic(tree) => tree_params(tree, &mut add),
            VarKind::Deterministic(e) => e.visit_params(&mut add),
            VarKind::Decision(_) | VarKind::Nonparametric => {}
        }
        out
    }
}

fn tree_params(tree: &DistTree, f: &mut impl FnMut(usize)) {
    match tree {
        DistTree::Leaf(leaf) => leaf.params.iter().for_each(|p| p.visit_params(f)),
        DistTree::If(parts) => {
            parts.0.visit_params(f);
            tree_params(&parts.1, f);
            tree_params(&parts.2, f);
        }
        DistTree::Match(m) => {
            m.scrutinees.iter().for_each(|s| s.visit_params(f));
            m.arms.iter().for_each(|(_, t)| tree_params(t, f));
        }
    }
}
