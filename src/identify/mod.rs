//! Identification (LANGUAGE.md §13): whether a causal effect can be learned from the
//! distribution of the observed variables, the formula that learns it, and its estimate.
//!
//! - [`admg`]: the model's graph projected onto the observed variables (latent projection),
//!   c-components, m-separation.
//! - [`id`]: the complete ID and IDC algorithms (Shpitser & Pearl 2006), hedges, back-door sets.
//! - [`estimand`]: the identified formula as a small expression tree, printed as text and
//!   LaTeX, evaluated on any distribution of the observed variables.
//! - [`estimate`]: a query answered by evaluating the estimand on the data's empirical
//!   distribution, with a seeded bootstrap standard error.
//!
//! Knows nothing of sampling; reads counts, never files.

pub mod admg;
pub mod decide;
pub mod estimand;
pub mod estimate;
pub mod id;

use crate::diagnostics::{Code, Diagnostic};
use crate::program::{Identify, Program, Statement};
use crate::results::{Answer, Body, IdentificationAnswer, MethodUsed};
use crate::scm::VarId;
use admg::{Admg, NodeSet};

/// Larger observed graphs are refused: ID recurses at most twice per node.
pub const MAX_NODES: usize = 5_000;

/// The model's graph over its observed variables.
pub struct Projection {
    pub admg: Admg,
    /// Per ADMG node, its variable.
    pub var_of: Vec<VarId>,
    /// Per variable, its ADMG node (unobserved: `None`).
    pub node_of: Vec<Option<usize>>,
}

/// The observed variables: with data, those with a column; without, every variable that is
/// not `exogenous`.
pub fn observed(program: &Program, columns: Option<&[String]>) -> Vec<bool> {
    program
        .model
        .vars
        .iter()
        .map(|v| match columns {
            Some(cols) => cols.contains(&v.name),
            None => !v.exogenous,
        })
        .collect()
}

/// The latent projection of the program's graph (mechanisms' parents, `->` and `<->` edges)
/// onto `observed`.
pub fn project(program: &Program, observed: &[bool]) -> Result<Projection, Diagnostic> {
    let model = &program.model;
    let names: Vec<String> = model.vars.iter().map(|v| v.name.clone()).collect();
    let parents: Vec<Vec<usize>> = model.vars.iter().map(|v| v.parents.clone()).collect();
    let kept = observed.iter().filter(|o| **o).count();
    if kept > MAX_NODES {
        return Err(Diagnostic::error(
            Code::E014,
            crate::ast::Span::default(),
            format!(
                "identification is limited to {MAX_NODES} observed variables; this model has {kept}"
            ),
        ));
    }
    let (admg, var_of) = admg::latent_projection(&names, &parents, &program.bidirected, observed)
        .map_err(|cycle| {
        let names: Vec<&str> = cycle.iter().map(|v| model.vars[*v].name.as_str()).collect();
        Diagnostic::error(
            Code::E004,
            crate::ast::Span::default(),
            format!("cycle among {}", names.join(", ")),
        )
    })?;
    let mut node_of = vec![None; model.vars.len()];
    for (i, v) in var_of.iter().enumerate() {
        node_of[*v] = Some(i);
    }
    Ok(Projection {
        admg,
        var_of,
        node_of,
    })
}

/// The outcome of identifying `P(y | do(x), z)` on a projection.
pub struct Identified {
    pub result: Result<estimand::Term, id::Hedge>,
    pub adjustment: Option<Vec<usize>>,
}

/// Runs IDC (ID when `z` is empty); with no `z`, also looks for a minimal back-door set and,
/// when one exists, gives the textbook adjustment formula as the estimand.
pub fn identify_sets(g: &Admg, y: &NodeSet, x: &NodeSet, z: &NodeSet) -> Identified {
    let result = id::idc(g, y, x, z);
    let adjustment = if z.is_empty() && !x.is_empty() && result.is_ok() {
        id::backdoor_set(g, y, x)
    } else {
        None
    };
    let result = match (&adjustment, result) {
        (Some(set), Ok(_)) => Ok(id::adjustment_formula(y, x, set)),
        (_, r) => r,
    };
    Identified { result, adjustment }
}

/// The nodes of `vars`, or E014 naming the first that is not observed.
pub fn nodes_of(
    program: &Program,
    projection: &Projection,
    vars: &[VarId],
    span: crate::ast::Span,
    data: Option<&str>,
) -> Result<NodeSet, Diagnostic> {
    let mut set = projection.admg.none();
    for &v in vars {
        match projection.node_of[v] {
            Some(node) => set.insert(node),
            None => {
                let name = &program.model.vars[v].name;
                let why = match data {
                    Some(file) => {
                        format!("`{name}` is not observed: `{file}` has no column `{name}`")
                    }
                    None => format!("`{name}` is exogenous, not observed"),
                };
                return Err(Diagnostic::error(Code::E014, span, why).with_help(
                    "identification is about effects among observed variables; add a column or ask about another variable",
                ));
            }
        }
    }
    Ok(set)
}

/// Answers an `identify` statement.
pub fn answer_identify(
    program: &Program,
    statement: &Statement,
    question: &Identify,
    columns: Option<(&[String], &str)>,
) -> Result<Answer, Diagnostic> {
    let observed = observed(program, columns.map(|c| c.0));
    let projection = project(program, &observed)?;
    let span = statement.span;
    let file = columns.map(|c| c.1);
    let y = nodes_of(program, &projection, &question.outcomes, span, file)?;
    let x = nodes_of(program, &projection, &question.treatments, span, file)?;
    let z = nodes_of(program, &projection, &question.given, span, file)?;
    for (a, b, what) in [
        (&y, &x, "an outcome and a treatment"),
        (&y, &z, "an outcome and conditioned on"),
        (&x, &z, "a treatment and conditioned on"),
    ] {
        if let Some(v) = a.intersect(b).iter().next() {
            return Err(Diagnostic::error(
                Code::E014,
                span,
                format!("`{}` is both {what}", projection.admg.names[v]),
            ));
        }
    }
    let g = &projection.admg;
    let identified = identify_sets(g, &y, &x, &z);
    let body = match identified.result {
        Ok(term) => IdentificationAnswer {
            identifiable: true,
            estimand: Some(term.text(g)),
            estimand_latex: Some(term.latex(g)),
            adjustment_set: identified
                .adjustment
                .map(|set| set.iter().map(|v| g.names[*v].clone()).collect()),
            hedge: None,
            observed: g.names.clone(),
        },
        Err(hedge) => IdentificationAnswer {
            identifiable: false,
            estimand: None,
            estimand_latex: None,
            adjustment_set: None,
            hedge: Some(vec![
                g.names_of(&hedge.forest),
                g.names_of(&hedge.sub_forest),
            ]),
            observed: g.names.clone(),
        },
    };
    Ok(Answer {
        query: statement.text.clone(),
        line: statement.line,
        method: MethodUsed::Identified,
        name: None,
        body: Body::Identification(body),
        warnings: Vec::new(),
        details: Default::default(),
        bootstrap: None,
    })
}

/// The message of E014 for a hedge.
pub fn hedge_message(g: &Admg, hedge: &id::Hedge) -> String {
    format!(
        "not identifiable from the observed variables: hedge {{{}}} / {{{}}}",
        g.names_of(&hedge.forest).join(", "),
        g.names_of(&hedge.sub_forest).join(", ")
    )
}

#[cfg(test)]
mod tests;
