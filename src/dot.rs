//! The causal graph as Graphviz DOT (`whatif graph`, `Model::graph`, the REPL's `:graph`).
//!
//! Families (LANGUAGE.md §11) are drawn compactly: the members of a small family are grouped in
//! a box labelled with the family's name (a plate); a family of more than
//! [`MEMBERS_DRAWN`] members is one node, `state[·]`, whose edges are those of its members
//! (a self-loop where members read each other, as in a chain), so a 10,000-member family is
//! one node, not 10,000.
//!
//! **Invariant:** pure text from a checked program; no I/O.

use crate::program::Program;
use crate::scm::VarKind;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// Largest family drawn member by member (inside its box); larger ones are one node.
pub(crate) const MEMBERS_DRAWN: usize = 12;

/// The family a variable belongs to: `state` for `state[3]`, none for a plain name.
fn family_of(name: &str) -> Option<&str> {
    name.find('[').map(|i| &name[..i])
}

/// The family `name` is drawn as, when that family is collapsed into one node.
fn collapsed_family<'n>(name: &'n str, sizes: &HashMap<&str, usize>) -> Option<&'n str> {
    family_of(name).filter(|f| sizes.get(f).is_some_and(|&n| n > MEMBERS_DRAWN))
}

/// The causal graph as Graphviz DOT: exogenous variables dashed, decisions as boxes,
/// deterministic variables double-bordered, nonparametric ones (edges, no mechanism) plain
/// text; `<->` edges (unobserved common causes) dashed with arrowheads at both ends; families
/// boxed or collapsed.
pub(crate) fn graph(program: &Program) -> String {
    let vars = &program.model.vars;
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for var in vars {
        if let Some(family) = family_of(&var.name) {
            *sizes.entry(family).or_insert(0) += 1;
        }
    }
    let collapsed = |name| collapsed_family(name, &sizes);
    // The node each variable is drawn as.
    let node = |name: &str| match collapsed_family(name, &sizes) {
        Some(family) => format!("{family}[·]"),
        None => name.to_string(),
    };
    let mut out = String::from("digraph whatif {\n  rankdir=TB;\n");
    // Members of small families, by family, drawn inside a box after the other nodes.
    let mut boxes: Vec<(&str, Vec<String>)> = Vec::new();
    let mut drawn: HashSet<String> = HashSet::new();
    for var in vars {
        let mut attributes = Vec::new();
        match var.kind {
            VarKind::Decision(_) => attributes.push("shape=box".to_string()),
            VarKind::Deterministic(_) => {
                attributes.push("shape=ellipse, peripheries=2".to_string())
            }
            VarKind::Stochastic(_) => attributes.push("shape=ellipse".to_string()),
            VarKind::Nonparametric => attributes.push("shape=plaintext".to_string()),
        }
        if var.exogenous {
            attributes.push("style=dashed".to_string());
        }
        if let Some(family) = collapsed(&var.name) {
            if drawn.insert(family.to_string()) {
                attributes.push(format!("label=\"{family}[·] ({} members)\"", sizes[family]));
                let _ = writeln!(out, "  \"{family}[·]\" [{}];", attributes.join(", "));
            }
            continue;
        }
        let line = format!("\"{}\" [{}];", var.name, attributes.join(", "));
        match family_of(&var.name) {
            Some(family) => match boxes.iter_mut().find(|(f, _)| *f == family) {
                Some((_, lines)) => lines.push(line),
                None => boxes.push((family, vec![line])),
            },
            None => {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    for (family, lines) in &boxes {
        let _ = writeln!(
            out,
            "  subgraph \"cluster_{family}\" {{\n    label=\"{family}\";\n    style=rounded;"
        );
        for line in lines {
            let _ = writeln!(out, "    {line}");
        }
        out.push_str("  }\n");
    }
    let mut edges: HashSet<(String, String)> = HashSet::new();
    for var in vars {
        for &p in &var.parents {
            let (from, to) = (node(&vars[p].name), node(&var.name));
            if edges.insert((from.clone(), to.clone())) {
                let _ = writeln!(out, "  \"{from}\" -> \"{to}\";");
            }
        }
    }
    for &(a, b) in &program.bidirected {
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\" [dir=both, style=dashed, constraint=false];",
            node(&vars[a].name),
            node(&vars[b].name)
        );
    }
    out.push_str("}\n");
    out
}
