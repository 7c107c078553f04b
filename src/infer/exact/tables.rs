//! The tables the compiled sampler (`infer::compiled`) draws from: the factors of
//! [`super::factor`] laid out as conditional probability tables in plan order, evidence
//! zeroing the columns it contradicts.

use super::cannot;
use super::factor::{Builder, Domain};
use crate::ast::Span;
use crate::diagnostics::Diagnostic;
use crate::query::Plan;
use crate::scm::Model;

/// A finite single-group plan as tables, for the compiled sampler (`infer::compiled`).
/// Counterfactual worlds are included: the computations that share one noise slot form one
/// table whose columns are their joint values (the twin network of the exact engine).
pub struct Tables {
    /// Per table, in order.
    pub steps: Vec<TableStep>,
    /// Each evidence indicator as a 0/1 lookup over the slots it reads.
    pub indicators: Vec<Lookup>,
    /// Each target as a lookup of its value over the slots it reads.
    pub targets: Vec<Lookup>,
    /// Number of slots.
    pub n_slots: usize,
}

/// One table: `P(outputs | parents)`, rows in mixed radix over the parents and columns over
/// the outputs (last fastest in both).
pub struct TableStep {
    /// (slot, domain size) of each output.
    pub outputs: Vec<(usize, usize)>,
    pub parents: Vec<usize>,
    pub parent_cards: Vec<usize>,
    /// Columns per row: the product of the outputs' domain sizes.
    pub k: usize,
    /// Probabilities, with the columns that contradict evidence set to zero.
    pub probabilities: Vec<f64>,
    /// Whether evidence restricts the columns (each row's remaining mass is a weight).
    pub clamped: bool,
    /// Where evidence leaves one column for every row: that column.
    pub fixed_column: Option<usize>,
}

/// A function of a few slots, tabulated over their domains.
pub struct Lookup {
    pub slots: Vec<usize>,
    pub cards: Vec<usize>,
    pub values: Vec<f64>,
}

/// Tabulates a single-group plan whose domains are all finite; `cap` bounds every table.
/// E010 where that is not possible.
pub fn tables(plan: &Plan, model: &Model, cap: u64, span: Span) -> Result<Tables, Diagnostic> {
    if plan.groups.len() != 1 {
        return Err(cannot(span, "tables are built for one group".to_string()));
    }
    let n = plan.n_vars;
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut solver = Builder::new(plan, model, 0, cap, span);
    let mut steps = Vec::new();
    for step in &plan.steps {
        let start = solver.factors.len();
        let groups = solver.step_factors(step)?;
        let factors = solver.factors.split_off(start);
        for (members, factor) in groups.into_iter().zip(factors) {
            let outputs: Vec<usize> = members.iter().map(|c| c.world * n + step.var).collect();
            let n_parents = factor.slots.len() - outputs.len();
            let out_cards = factor.cards[n_parents..].to_vec();
            let k: usize = out_cards.iter().product();
            let mut probabilities = factor.values;
            // Evidence: keep only the columns that agree with every observed output.
            let mut allowed = vec![true; k];
            let mut clamped = false;
            for (o, comp) in members.iter().enumerate() {
                let Some(x) = comp.clamp else { continue };
                clamped = true;
                let position = solver.domains[outputs[o]]
                    .index
                    .get(&Domain::key(x))
                    .copied();
                let divisor: usize = out_cards[o + 1..].iter().product();
                for (column, ok) in allowed.iter_mut().enumerate() {
                    if Some((column / divisor) % out_cards[o]) != position {
                        *ok = false;
                    }
                }
            }
            if clamped {
                for row in probabilities.chunks_mut(k.max(1)) {
                    for (p, ok) in row.iter_mut().zip(&allowed) {
                        if !ok {
                            *p = 0.0;
                        }
                    }
                }
            }
            let single: Vec<usize> = (0..k).filter(|&c| allowed[c]).collect();
            let fixed_column = (clamped && single.len() == 1).then(|| single[0]);
            steps.push(TableStep {
                outputs: outputs
                    .iter()
                    .copied()
                    .zip(out_cards.iter().copied())
                    .collect(),
                parents: factor.slots[..n_parents].to_vec(),
                parent_cards: factor.cards[..n_parents].to_vec(),
                k,
                probabilities,
                clamped,
                fixed_column,
            });
        }
    }
    let group = &plan.groups[0];
    let indicators = group
        .indicators
        .iter()
        .map(|e| solver.lookup(e, true))
        .collect::<Result<_, _>>()?;
    let targets = group
        .targets
        .iter()
        .map(|t| solver.lookup(&t.expr, false))
        .collect::<Result<_, _>>()?;
    Ok(Tables {
        steps,
        indicators,
        targets,
        n_slots: plan.n_vars * plan.n_worlds,
    })
}
