//! The causal graph as Graphviz DOT (`whatif graph`, `Model::graph`, the REPL's `:graph`).
//!
//! **Invariant:** pure text from a checked program; no I/O.

use crate::program::Program;
use crate::scm::VarKind;
use std::fmt::Write as _;

/// The causal graph as Graphviz DOT: exogenous variables dashed, decisions as boxes,
/// deterministic variables double-bordered, nonparametric ones (edges, no mechanism) plain
/// text; `<->` edges (unobserved common causes) dashed with arrowheads at both ends.
pub(crate) fn graph(program: &Program) -> String {
    let mut out = String::from("digraph whatif {\n  rankdir=TB;\n");
    for var in &program.model.vars {
        let mut attributes = Vec::new();
        match var.kind {
            VarKind::Decision(_) => attributes.push("shape=box"),
            VarKind::Deterministic(_) => attributes.push("shape=ellipse, peripheries=2"),
            VarKind::Stochastic(_) => attributes.push("shape=ellipse"),
            VarKind::Nonparametric => attributes.push("shape=plaintext"),
        }
        if var.exogenous {
            attributes.push("style=dashed");
        }
        let _ = writeln!(out, "  \"{}\" [{}];", var.name, attributes.join(", "));
    }
    for var in &program.model.vars {
        for &p in &var.parents {
            let _ = writeln!(
                out,
                "  \"{}\" -> \"{}\";",
                program.model.vars[p].name, var.name
            );
        }
    }
    for &(a, b) in &program.bidirected {
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\" [dir=both, style=dashed, constraint=false];",
            program.model.vars[a].name, program.model.vars[b].name
        );
    }
    out.push_str("}\n");
    out
}
