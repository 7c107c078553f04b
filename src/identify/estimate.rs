//! Estimation by identification: a query whose answer needs a nonparametric mechanism is
//! answered by evaluating its identified estimand on the empirical distribution of the
//! observed variables (`"method": "identified"`), with a bootstrap standard error.
//!
//! Per query: the event's variables are the outcomes `Y`, the `do` targets (constant values)
//! the treatments `X`, the evidence's variables `Z`. When the evidence fixes one value of `Z`,
//! IDC gives `P(y | do(x), z)`; otherwise ID gives `P(y, z | do(x))` and the evidence
//! conditions it. Rows with a missing cell in any variable the estimand reads are left out
//! (complete cases). The bootstrap resamples those rows (a multinomial draw of the cell
//! counts), B = [`BOOTSTRAP_REPLICATES`] times, replicate `r` seeded from (seed, line, r)
//! alone, so the standard error is the same at any thread count.

use super::admg::NodeSet;
use super::estimand::{EmptyCell, Observed, Term};
use super::{Projection, hedge_message, identify_sets, nodes_of, observed, project};
use crate::ast::Span;
use crate::data::{Dataset, MISSING};
use crate::diagnostics::{Code, Diagnostic};
use crate::infer::sampling::mix;
use crate::program::{Estimand, InterventionValue, Program, Statement};
use crate::results::{Answer, Body, Distribution, Estimate, MethodUsed, ValueProbability};
use crate::scm::{BinOp, Type, VarId};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand_distr::{Binomial, Distribution as _};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Mutex;

/// Bootstrap resamples per answer.
pub const BOOTSTRAP_REPLICATES: u64 = 200;

/// A distribution over observed variables given by weighted cells (counts or probabilities),
/// with margins computed on demand and cached.
pub struct Table {
    /// Domain size per ADMG node (0 for nodes the table does not cover).
    sizes: Vec<usize>,
    /// The covered nodes, ascending; cell keys list their codes in this order.
    nodes: Vec<usize>,
    cells: Vec<(Vec<u32>, f64)>,
    total: f64,
    margins: Mutex<HashMap<Vec<usize>, HashMap<Vec<u32>, f64>>>,
}

impl Table {
    /// A table over `nodes` (ascending) from weighted cells.
    pub fn new(sizes: Vec<usize>, nodes: Vec<usize>, cells: Vec<(Vec<u32>, f64)>) -> Table {
        let total = cells.iter().map(|(_, w)| *w).sum();
        Table {
            sizes,
            nodes,
            cells,
            total,
            margins: Mutex::new(HashMap::new()),
        }
    }

    /// The same cells with new weights.
    fn reweighted(&self, weights: &[f64]) -> Table {
        Table::new(
            self.sizes.clone(),
            self.nodes.clone(),
            self.cells
                .iter()
                .zip(weights)
                .map(|((k, _), w)| (k.clone(), *w))
                .collect(),
        )
    }

    fn weight(&self, set: &[usize], env: &[u32]) -> f64 {
        if set.is_empty() {
            return self.total;
        }
        let mut margins = self.margins.lock().unwrap_or_else(|e| e.into_inner());
        let margin = margins.entry(set.to_vec()).or_insert_with(|| {
            let positions: Vec<usize> = set
                .iter()
                .map(|v| self.nodes.binary_search(v).unwrap_or(usize::MAX))
                .collect();
            let mut m: HashMap<Vec<u32>, f64> = HashMap::new();
            for (key, w) in &self.cells {
                let sub: Vec<u32> = positions
                    .iter()
                    .map(|p| key.get(*p).copied().unwrap_or(0))
                    .collect();
                *m.entry(sub).or_insert(0.0) += w;
            }
            m
        });
        let key: Vec<u32> = set.iter().map(|v| env[*v]).collect();
        margin.get(&key).copied().unwrap_or(0.0)
    }
}

impl Observed for Table {
    fn domain_size(&self, v: usize) -> usize {
        self.sizes[v]
    }

    fn prob(&self, vars: &[usize], given: &[usize], env: &[u32]) -> Result<f64, EmptyCell> {
        let mut given: Vec<usize> = given.to_vec();
        given.sort_unstable();
        given.dedup();
        let mut joint: Vec<usize> = vars.iter().chain(&given).copied().collect();
        joint.sort_unstable();
        joint.dedup();
        let den = self.weight(&given, env);
        if den <= 0.0 {
            return Err(EmptyCell {
                given: given.iter().map(|v| (*v, env[*v])).collect(),
            });
        }
        Ok(self.weight(&joint, env) / den)
    }
}

/// Whether answering `estimand` needs a nonparametric mechanism.
pub fn needs_identification(program: &Program, estimand: &Estimand) -> bool {
    let mut mentioned = Vec::new();
    for leaf in estimand.leaves() {
        let (target, conditions) = match leaf {
            Estimand::Probability {
                event, conditions, ..
            } => (event, conditions),
            Estimand::Expectation {
                value, conditions, ..
            } => (value, conditions),
            Estimand::Distribution {
                target, conditions, ..
            } => (target, conditions),
            _ => continue,
        };
        target.visit_vars(&mut |v| mentioned.push(v));
        for e in &conditions.evidence {
            e.expr.visit_vars(&mut |v| mentioned.push(v));
        }
    }
    without_mechanism(&program.model, &mentioned).is_some()
}

/// The first variable without a mechanism among `vars` and their ancestors.
pub fn without_mechanism(model: &crate::scm::Model, vars: &[VarId]) -> Option<VarId> {
    let ancestors = model.ancestors(vars);
    (0..model.vars.len()).find(|v| ancestors[*v] && model.vars[*v].is_nonparametric())
}

fn e014(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::E014, span, message)
}

fn e013(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::E013, span, message)
}

/// One probability or expectation, prepared: the term and how to read it.
struct Leaf {
    /// The estimand giving `P(y [, z] | do(x) [, z])` for every value of `outcomes`.
    term: Term,
    /// The variables enumerated: outcome (and, with ID, conditioning) nodes.
    outcomes: Vec<usize>,
    /// Values fixed in the environment: treatment and single-valued evidence nodes.
    fixed: Vec<(usize, u32)>,
    /// The evidence, when ID conditions on it by enumeration.
    evidence: Vec<crate::scm::Ex>,
    /// What is averaged: the event's indicator, the value, or one value's indicator per
    /// entry of a distribution.
    kind: LeafKind,
}

enum LeafKind {
    Probability(crate::scm::Ex),
    Expectation(crate::scm::Ex),
    Distribution(VarId),
}

/// Everything evaluation needs, fixed once per query.
struct Setup<'a> {
    program: &'a Program,
    projection: Projection,
    table: Table,
    /// Per ADMG node, its domain values (empty when not finite).
    values: Vec<Vec<f64>>,
    rows: u64,
}

/// Several estimands estimated on one data set, on the same bootstrap resamples (so the
/// differences between them have honest standard errors too).
pub struct Estimated {
    /// Per estimand, its value: one number, or one per value for a distribution.
    pub point: Vec<Vec<f64>>,
    /// The bootstrap resamples in which every estimand could be evaluated:
    /// `replicates[r][estimand][i]`.
    pub replicates: Vec<Vec<Vec<f64>>>,
    /// Complete-case rows the estimates use.
    pub rows: u64,
    /// Rows left out, resamples left out.
    pub warnings: Vec<String>,
}

impl Estimated {
    /// The bootstrap standard error of `f` of the estimates (`f` reads `[estimand][i]`).
    pub fn stderr(&self, f: impl Fn(&[Vec<f64>]) -> f64) -> f64 {
        let n = self.replicates.len() as f64;
        let draws: Vec<f64> = self.replicates.iter().map(|r| f(r)).collect();
        let mean = draws.iter().sum::<f64>() / n;
        (draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    }
}

/// Evaluates every estimand of `estimands` on the data's empirical distribution, with
/// [`BOOTSTRAP_REPLICATES`] shared resamples seeded from (seed, line, replicate) alone.
pub fn estimate_all(
    program: &Program,
    statement: &Statement,
    estimands: &[Estimand],
    data: Option<&Dataset>,
    seed: u64,
) -> Result<Estimated, Diagnostic> {
    let span = statement.span;
    let Some(data) = data else {
        return Err(e013(span, "this question needs a variable without a mechanism; its estimate needs `data \"FILE.csv\"`").with_help("add a `data` statement, or `--data FILE` on the command line"));
    };
    let file = data.counts.file.clone();
    let observed = observed(program, Some(data.columns()));
    let projection = project(program, &observed)?;
    let g = &projection.admg;
    let model = &program.model;
    let values: Vec<Vec<f64>> = projection
        .var_of
        .iter()
        .map(|v| model.vars[*v].domain.clone().unwrap_or_default())
        .collect();
    let mut needed: Vec<usize> = Vec::new();
    let mut prepared: Vec<Vec<Leaf>> = Vec::with_capacity(estimands.len());
    // Identify each leaf first: the table covers the nodes their estimands read.
    for estimand in estimands {
        let mut leaves = Vec::new();
        for leaf in estimand.leaves() {
            let l = prepare_leaf(program, &projection, leaf, span, &file, &values)?;
            l.term.mentions(&mut needed);
            needed.extend(&l.outcomes);
            needed.extend(l.fixed.iter().map(|(v, _)| *v));
            leaves.push(l);
        }
        prepared.push(leaves);
    }
    needed.sort_unstable();
    needed.dedup();
    for &node in &needed {
        let v = projection.var_of[node];
        if values[node].is_empty() {
            return Err(e013(
                span,
                format!(
                    "`{}` has no finite domain (a real, or too many distinct values in `{file}`); identified estimation counts finite-domain variables",
                    model.vars[v].name
                ),
            ));
        }
    }
    let table = empirical(data, &projection, &needed, &values);
    if table.total <= 0.0 {
        return Err(e013(
            span,
            format!(
                "`{file}` has no row in which every variable the estimand reads ({}) is present",
                needed
                    .iter()
                    .map(|n| g.names[*n].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let rows = table.total as u64;
    let setup = Setup {
        program,
        projection,
        table,
        values,
        rows,
    };
    let evaluate_all = |table: &Table| -> Result<Vec<Vec<f64>>, EmptyCell> {
        estimands
            .iter()
            .zip(&prepared)
            .map(|(estimand, leaves)| evaluate(&setup, table, leaves, estimand))
            .collect()
    };
    // The point estimates; an empty cell here is an error that names it.
    let point = evaluate_all(&setup.table)
        .map_err(|cell| e013(span, empty_cell_message(&setup, &cell, &file)).with_help("the data has no row with these values, so the formula's conditional is undefined there; more data, or a coarser variable"))?;
    // The bootstrap.
    let base: Vec<f64> = setup.table.cells.iter().map(|(_, w)| *w).collect();
    let replicates: Vec<Option<Vec<Vec<f64>>>> = (0..BOOTSTRAP_REPLICATES)
        .into_par_iter()
        .map(|r| {
            let mut rng = SmallRng::seed_from_u64(mix(mix(mix(seed) ^ statement.line as u64) ^ r));
            let weights = multinomial(&base, setup.rows, &mut rng);
            evaluate_all(&setup.table.reweighted(&weights)).ok()
        })
        .collect();
    let drawn = replicates.len();
    let replicates: Vec<Vec<Vec<f64>>> = replicates.into_iter().flatten().collect();
    let mut warnings = Vec::new();
    if setup.rows < data.counts.rows {
        warnings.push(format!(
            "{} of {} rows miss a value the estimand reads and were left out",
            data.counts.rows - setup.rows,
            data.counts.rows
        ));
    }
    let dropped = drawn - replicates.len();
    if dropped > 0 {
        warnings.push(format!("{dropped} of {BOOTSTRAP_REPLICATES} bootstrap resamples had an empty cell and were left out of the standard error"));
    }
    if replicates.len() < 2 {
        return Err(e013(
            span,
            "too few bootstrap resamples could evaluate the estimand (empty cells): the data is too thin for a standard error",
        ));
    }
    Ok(Estimated {
        point,
        replicates,
        rows,
        warnings,
    })
}

/// Answers a query that needs a nonparametric mechanism.
pub fn answer_query(
    program: &Program,
    statement: &Statement,
    name: Option<&str>,
    estimand: &Estimand,
    data: Option<&Dataset>,
    seed: u64,
) -> Result<Answer, Diagnostic> {
    let model = &program.model;
    let estimated = estimate_all(
        program,
        statement,
        std::slice::from_ref(estimand),
        data,
        seed,
    )?;
    let point = &estimated.point[0];
    let sd = |i: usize| estimated.stderr(|r| r[0][i]);
    let rows = estimated.rows;
    let body = match estimand {
        Estimand::Distribution {
            target: crate::scm::Ex::Var(v),
            ty,
            ..
        } => {
            let domain = model.vars[*v].domain.clone().unwrap_or_default();
            Body::Distribution(Distribution::Discrete {
                values: domain
                    .iter()
                    .enumerate()
                    .map(|(i, x)| ValueProbability {
                        value: model.result_value(*ty, *x),
                        p: point[i],
                        stderr: sd(i),
                    })
                    .collect(),
                ess: Some(rows as f64),
                samples: Some(rows),
            })
        }
        _ => {
            let estimate = Estimate {
                value: point[0],
                stderr: Some(sd(0)),
                ess: Some(rows as f64),
                samples: Some(rows),
            };
            match estimand {
                Estimand::Probability { .. } => Body::Probability(estimate),
                _ => Body::Expectation(estimate),
            }
        }
    };
    Ok(Answer {
        query: statement.text.clone(),
        line: statement.line,
        method: MethodUsed::Identified,
        name: name.map(str::to_string),
        body,
        warnings: estimated.warnings,
        details: Default::default(),
        bootstrap: None,
    })
}

fn empty_cell_message(setup: &Setup, cell: &EmptyCell, file: &str) -> String {
    let g = &setup.projection.admg;
    let model = &setup.program.model;
    let parts: Vec<String> = cell
        .given
        .iter()
        .map(|(node, code)| {
            let v = setup.projection.var_of[*node];
            let value = setup.values[*node]
                .get(*code as usize)
                .map_or("?".to_string(), |x| {
                    model.format_value(model.vars[v].ty, *x)
                });
            format!("{} = {value}", g.names[*node])
        })
        .collect();
    format!(
        "the estimand needs a conditional given {}, but no row of `{file}` has these values",
        parts.join(", ")
    )
}

/// Resamples `rows` rows from the cells with the given counts: sequential binomials.
fn multinomial(counts: &[f64], rows: u64, rng: &mut SmallRng) -> Vec<f64> {
    let mut left = rows;
    let mut mass: f64 = counts.iter().sum();
    let mut out = Vec::with_capacity(counts.len());
    for &c in counts {
        if left == 0 || mass <= 0.0 {
            out.push(0.0);
            continue;
        }
        let p = (c / mass).clamp(0.0, 1.0);
        let k = match Binomial::new(left, p) {
            Ok(b) => b.sample(rng),
            Err(_) => 0,
        };
        out.push(k as f64);
        left -= k;
        mass -= c;
    }
    out
}

/// The empirical distribution of the `needed` nodes: complete cases, coded by domain.
fn empirical(
    data: &Dataset,
    projection: &Projection,
    needed: &[usize],
    values: &[Vec<f64>],
) -> Table {
    let columns: Vec<usize> = needed
        .iter()
        .map(|node| {
            let v = projection.var_of[*node];
            data.var_of_column
                .iter()
                .position(|c| *c == v)
                .unwrap_or(usize::MAX)
        })
        .collect();
    let mut merged: HashMap<Vec<u32>, f64> = HashMap::new();
    'cells: for (key, n) in &data.counts.cells {
        let mut sub = Vec::with_capacity(needed.len());
        for &c in &columns {
            let Some(Some(codes)) = data.domain_code.get(c) else {
                continue 'cells;
            };
            let raw = key[c];
            if raw == MISSING {
                continue 'cells;
            }
            sub.push(codes[raw as usize]);
        }
        *merged.entry(sub).or_insert(0.0) += *n as f64;
    }
    let mut cells: Vec<(Vec<u32>, f64)> = merged.into_iter().collect();
    cells.sort_by(|a, b| a.0.cmp(&b.0));
    let sizes = values.iter().map(Vec::len).collect();
    Table::new(sizes, needed.to_vec(), cells)
}

/// The domain code of `value` for `node`.
fn code_of(values: &[Vec<f64>], node: usize, value: f64) -> Option<u32> {
    values[node]
        .iter()
        .position(|x| *x == value)
        .map(|i| i as u32)
}

fn prepare_leaf(
    program: &Program,
    projection: &Projection,
    leaf: &Estimand,
    span: Span,
    file: &str,
    values: &[Vec<f64>],
) -> Result<Leaf, Diagnostic> {
    let model = &program.model;
    let g = &projection.admg;
    let (target, conditions, kind) = match leaf {
        Estimand::Probability {
            event, conditions, ..
        } => (event, conditions, LeafKind::Probability(event.clone())),
        Estimand::Expectation {
            value, conditions, ..
        } => (value, conditions, LeafKind::Expectation(value.clone())),
        Estimand::Distribution {
            target, conditions, ..
        } => {
            let crate::scm::Ex::Var(v) = target else {
                return Err(e014(
                    span,
                    "identified estimation answers distributions of one variable",
                ));
            };
            (target, conditions, LeafKind::Distribution(*v))
        }
        _ => return Err(e014(span, "internal: not a leaf")),
    };
    let mut counterfactual = target.has_counterfactual();
    for e in &conditions.evidence {
        counterfactual |= e.expr.has_counterfactual();
    }
    if counterfactual {
        return Err(e014(span, "a counterfactual on variables without mechanisms is not identified from data").with_help("counterfactuals need every mechanism on their paths written out; identification answers P(y | do(x)) and P(y | do(x), z)"));
    }
    let mut outcome_vars = Vec::new();
    target.visit_vars(&mut |v| {
        if !outcome_vars.contains(&v) {
            outcome_vars.push(v);
        }
    });
    let mut fixed = Vec::new();
    let mut treatment_vars = Vec::new();
    for intervention in &conditions.interventions {
        let InterventionValue::Set(ex) = &intervention.value else {
            return Err(e014(
                intervention.span,
                "identified estimation takes `do(x = value)` with a constant value",
            ));
        };
        let Some(value) = ex.constant() else {
            return Err(e014(
                intervention.span,
                "identified estimation takes `do(x = value)` with a constant value",
            ));
        };
        treatment_vars.push(intervention.var);
        let node_set = nodes_of(
            program,
            projection,
            &[intervention.var],
            intervention.span,
            Some(file),
        )?;
        let node = node_set.iter().next().unwrap_or(0);
        let Some(code) = code_of(values, node, value) else {
            return Err(e013(
                intervention.span,
                format!(
                    "`{}` never takes this value in `{file}`'s domain",
                    model.vars[intervention.var].name
                ),
            ));
        };
        fixed.push((node, code));
    }
    outcome_vars.retain(|v| !treatment_vars.contains(v));
    let mut evidence_vars = Vec::new();
    for e in &conditions.evidence {
        e.expr.visit_vars(&mut |v| {
            if !evidence_vars.contains(&v) && !treatment_vars.contains(&v) {
                evidence_vars.push(v);
            }
        });
    }
    outcome_vars.retain(|v| !evidence_vars.contains(v));
    let y = nodes_of(program, projection, &outcome_vars, span, Some(file))?;
    let x = NodeSet::of(g.len(), fixed.iter().map(|(n, _)| *n));
    let z = nodes_of(program, projection, &evidence_vars, span, Some(file))?;
    for node in y.union(&z).iter() {
        if values[node].is_empty() {
            return Err(e013(
                span,
                format!(
                    "`{}` has no finite domain; identified estimation counts finite-domain variables",
                    g.names[node]
                ),
            ));
        }
    }
    // The evidence's satisfying values of z.
    let z_nodes: Vec<usize> = z.iter().collect();
    let satisfying = satisfying(
        program,
        projection,
        &z_nodes,
        &fixed,
        &conditions.evidence,
        values,
    );
    let evidence: Vec<crate::scm::Ex> =
        conditions.evidence.iter().map(|e| e.expr.clone()).collect();
    let single = satisfying.len() == 1;
    let (target_y, given_z) = if single || z.is_empty() {
        (y.clone(), z.clone())
    } else {
        (y.union(&z), g.none())
    };
    let identified = identify_sets(g, &target_y, &x, &given_z);
    let term = identified.result.map_err(|hedge| {
        let given = if z.is_empty() {
            String::new()
        } else {
            format!(", {}", names(g, &z))
        };
        let message = format!(
            "P({} | do({}){given}) is {}",
            names(g, &y),
            names(g, &x),
            hedge_message(g, &hedge)
        );
        let hidden: Vec<String> = model
            .vars
            .iter()
            .enumerate()
            .filter(|(v, var)| projection.node_of[*v].is_none() && !var.exogenous)
            .map(|(_, var)| format!("`{}`", var.name))
            .take(5)
            .collect();
        let help = if hidden.is_empty() {
            "no formula over the observed variables gives this effect; observe a variable that blocks the confounding, or bound the effect instead".to_string()
        } else {
            format!("{} {} no column in `{file}` and so {} unobserved; a column for a confounder may make the effect identifiable", hidden.join(", "), if hidden.len() == 1 { "has" } else { "have" }, if hidden.len() == 1 { "is" } else { "are" })
        };
        e014(span, message).with_help(help)
    })?;
    let mut fixed = fixed;
    let outcomes: Vec<usize> = if single {
        for (node, code) in z_nodes.iter().zip(&satisfying[0]) {
            fixed.push((*node, *code));
        }
        y.iter().collect()
    } else {
        target_y.iter().collect()
    };
    if satisfying.is_empty() && !z.is_empty() {
        return Err(Diagnostic::error(
            Code::E007,
            span,
            "no value of the evidence's variables satisfies the evidence",
        ));
    }
    Ok(Leaf {
        term,
        outcomes,
        fixed,
        evidence: if single { Vec::new() } else { evidence },
        kind,
    })
}

fn names(g: &super::admg::Admg, set: &NodeSet) -> String {
    g.names_of(set).join(", ")
}

/// The assignments of `z_nodes` (as domain codes) under which every evidence expression holds.
fn satisfying(
    program: &Program,
    projection: &Projection,
    z_nodes: &[usize],
    fixed: &[(usize, u32)],
    evidence: &[crate::program::Evidence],
    values: &[Vec<f64>],
) -> Vec<Vec<u32>> {
    let mut vals = vec![0.0; program.model.vars.len()];
    for (node, code) in fixed {
        vals[projection.var_of[*node]] = values[*node][*code as usize];
    }
    let mut out = Vec::new();
    for_each_assignment(z_nodes, values, |codes| {
        for (node, code) in z_nodes.iter().zip(codes) {
            vals[projection.var_of[*node]] = values[*node][*code as usize];
        }
        if evidence.iter().all(|e| e.expr.eval(&vals, 0) != 0.0) {
            out.push(codes.to_vec());
        }
    });
    out
}

/// Calls `f` with every assignment of domain codes to `nodes`.
fn for_each_assignment(nodes: &[usize], values: &[Vec<f64>], mut f: impl FnMut(&[u32])) {
    let mut codes = vec![0u32; nodes.len()];
    if nodes.iter().any(|n| values[*n].is_empty()) {
        return;
    }
    loop {
        f(&codes);
        let mut i = 0;
        loop {
            if i == nodes.len() {
                return;
            }
            codes[i] += 1;
            if (codes[i] as usize) < values[nodes[i]].len() {
                break;
            }
            codes[i] = 0;
            i += 1;
        }
    }
}

/// Every leaf evaluated on `table`, combined by the estimand's arithmetic: one number, or one
/// per value for a distribution.
fn evaluate(
    setup: &Setup,
    table: &Table,
    leaves: &[Leaf],
    estimand: &Estimand,
) -> Result<Vec<f64>, EmptyCell> {
    let mut results = Vec::with_capacity(leaves.len());
    for leaf in leaves {
        results.push(evaluate_leaf(setup, table, leaf)?);
    }
    if let [only] = results.as_slice()
        && matches!(estimand, Estimand::Distribution { .. })
    {
        return Ok(only.clone());
    }
    let mut next = results.into_iter().map(|r| r[0]);
    Ok(vec![combine(estimand, &mut next)])
}

fn combine(estimand: &Estimand, leaves: &mut impl Iterator<Item = f64>) -> f64 {
    match estimand {
        Estimand::Number(x) => *x,
        Estimand::Neg(inner) => -combine(inner, leaves),
        Estimand::Binary(op, a, b) => {
            let (a, b) = (combine(a, leaves), combine(b, leaves));
            match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                _ => a / b,
            }
        }
        _ => leaves.next().unwrap_or(f64::NAN),
    }
}

fn evaluate_leaf(setup: &Setup, table: &Table, leaf: &Leaf) -> Result<Vec<f64>, EmptyCell> {
    let model = &setup.program.model;
    let projection = &setup.projection;
    let values = &setup.values;
    let mut env = vec![0u32; projection.admg.len()];
    let mut vals = vec![0.0; model.vars.len()];
    for (node, code) in &leaf.fixed {
        env[*node] = *code;
        vals[projection.var_of[*node]] = values[*node][*code as usize];
    }
    let distribution_of = match &leaf.kind {
        LeafKind::Distribution(v) => Some(*v),
        _ => None,
    };
    let n_out = distribution_of.map_or(1, |v| model.vars[v].domain.as_ref().map_or(0, Vec::len));
    let mut sums = vec![0.0; n_out];
    let mut evidence_mass = 0.0;
    let mut failure = None;
    for_each_assignment(&leaf.outcomes, values, |codes| {
        if failure.is_some() {
            return;
        }
        for (node, code) in leaf.outcomes.iter().zip(codes) {
            env[*node] = *code;
            vals[projection.var_of[*node]] = values[*node][*code as usize];
        }
        if !leaf.evidence.iter().all(|e| e.eval(&vals, 0) != 0.0) {
            return;
        }
        let p = match leaf.term.eval(table, &mut env) {
            Ok(p) => p,
            Err(cell) => {
                failure = Some(cell);
                return;
            }
        };
        evidence_mass += p;
        match &leaf.kind {
            LeafKind::Probability(event) => {
                if event.eval(&vals, 0) != 0.0 {
                    sums[0] += p;
                }
            }
            LeafKind::Expectation(value) => sums[0] += p * value.eval(&vals, 0),
            LeafKind::Distribution(v) => {
                let x = vals[*v];
                if let Some(i) = model.vars[*v]
                    .domain
                    .as_ref()
                    .and_then(|d| d.iter().position(|y| *y == x))
                {
                    sums[i] += p;
                }
            }
        }
    });
    if let Some(cell) = failure {
        return Err(cell);
    }
    if !leaf.evidence.is_empty() {
        if evidence_mass <= 0.0 {
            return Err(EmptyCell {
                given: leaf.fixed.clone(),
            });
        }
        for s in &mut sums {
            *s /= evidence_mass;
        }
    }
    let _ = Type::Bool;
    Ok(sums)
}
