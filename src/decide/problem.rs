//! A decision problem's tables, enumerated: every full action vector (one value per decision of
//! every stage) and every context value (one value per observed variable).
//!
//! The checker has already refused any decision whose tables are larger than
//! `Config::max_decision_table` (from the domain sizes alone, with `config::table_size`), so
//! enumeration here never meets a size it was not told it could afford.

use crate::ast::Span;
use crate::config::table_size;
use crate::diagnostics::{Code, Diagnostic};
use crate::program::Decide;
use crate::scm::{Model, VarId};

/// What a `decide` statement chooses among and what its stages observe.
pub struct DecisionProblem {
    /// The decided variables, stage by stage.
    pub decision_vars: Vec<VarId>,
    /// The observed variables, in the order first observed.
    pub context_vars: Vec<VarId>,
    /// Per stage, how many of `context_vars` it has observed.
    pub stage_context_len: Vec<usize>,
    /// Every full action vector, aligned with `decision_vars`, first decision fastest.
    pub actions: Vec<Vec<f64>>,
    /// Every combination of the context variables' values, aligned with `context_vars`.
    pub contexts: Vec<Vec<f64>>,
}

impl DecisionProblem {
    /// Enumerates the tables of `d`, after sizing them; a table too large to hold is an E009
    /// (the checker's limit normally refuses it first).
    pub fn new(model: &Model, d: &Decide, span: Span) -> Result<DecisionProblem, Diagnostic> {
        if let (Some(actions), Some(contexts)) = d.table_sizes(model)
            && actions.checked_mul(contexts).is_some()
        {
            let (context_vars, stage_context_len) = d.contexts();
            let domains: Vec<&[f64]> = d.choices().map(|c| c.domain.as_slice()).collect();
            let context_domains: Vec<&[f64]> = context_vars
                .iter()
                .map(|v| model.vars[*v].domain.as_deref().unwrap_or(&[]))
                .collect();
            return Ok(DecisionProblem {
                decision_vars: d.choices().map(|c| c.var).collect(),
                actions: product(&domains, actions),
                contexts: product(&context_domains, contexts),
                context_vars,
                stage_context_len,
            });
        }
        Err(Diagnostic::error(
            Code::E009,
            span,
            "this decision has more actions × context values than memory can address",
        ))
    }
}

/// Every combination of the domains, first index fastest; `size` is their product.
pub(super) fn product(domains: &[&[f64]], size: usize) -> Vec<Vec<f64>> {
    (0..size)
        .map(|mut i| {
            domains
                .iter()
                .map(|d| {
                    let v = d[i % d.len()];
                    i /= d.len();
                    v
                })
                .collect()
        })
        .collect()
}

/// The product of the domains' sizes, for tables whose size the checker has bounded.
pub(super) fn checked_product(domains: &[&[f64]]) -> Vec<Vec<f64>> {
    let size = table_size(domains.iter().map(|d| d.len()))
        .expect("decision tables are sized by the checker before they are enumerated");
    product(domains, size)
}
