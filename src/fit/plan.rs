//! Which estimator fits which parameters: mechanisms sharing a named parameter are fitted
//! together; a lone mechanism gets a closed form where one exists.
//!
//! - **counts**: `Bernoulli(T)` or `Categorical(T₁, …, Tₖ)` where each `T` is a parameter or a
//!   table of them (`?[a, b]`, lowered to a `match` whose arms are parameters) over the same
//!   index variables, used nowhere else: the estimate is a proportion per cell.
//! - **least squares**: `Normal(mean, sd)` with `mean` linear in its parameters and `sd` one
//!   parameter (or a constant): the normal equations; `sd` is the residual root mean square.
//! - **numerical**: everything else, by maximum likelihood with L-BFGS (src/fit/numeric.rs).

use crate::scm::dist::{DistKind, Leaf};
use crate::scm::{BinOp, DistTree, Ex, Model, UnOp, VarId, VarKind};

/// Mechanisms fitted together, and how.
pub struct Unit {
    /// The mechanisms (variables) whose rows the unit reads.
    pub vars: Vec<VarId>,
    /// The parameters it estimates (global ids); a parameter's local index is its position.
    pub params: Vec<usize>,
    /// The estimator.
    pub method: Method,
}

/// An estimator.
pub enum Method {
    /// Proportions per cell.
    Counts(CountTable),
    /// The normal equations.
    LeastSquares(Linear),
    /// Numerical maximum likelihood.
    Numerical,
}

/// A Bernoulli or Categorical whose probabilities are tables of parameters.
pub struct CountTable {
    /// `cells[c][j]`: the parameter of category `j` in cell `c` (a Bernoulli has one category,
    /// `true`, whose parameter is p).
    pub cells: Vec<Vec<usize>>,
    /// Per category, the expression selecting its parameter for a row.
    pub weights: Vec<Ex>,
    /// A Bernoulli (one probability per cell) rather than Categorical weights.
    pub bernoulli: bool,
    /// The Categorical's labels (empty for ints 0..k).
    pub labels: Vec<f64>,
}

/// A Normal with a linear mean.
pub struct Linear {
    /// The mean: linear in `betas`.
    pub mean: Ex,
    /// The coefficients, in the order of the design matrix's columns.
    pub betas: Vec<usize>,
    /// The sd: a parameter, or a known constant.
    pub sd: Sd,
}

/// The sd of a least-squares Normal.
pub enum Sd {
    /// A parameter: estimated as the residual root mean square.
    Param(usize),
    /// A constant written in the model.
    Known(f64),
}

/// Groups the mechanisms that have parameters into units and picks each unit's estimator.
pub fn plan(model: &Model) -> Vec<Unit> {
    let n_params = model.parameters.len();
    // Union-find over variables through shared parameters.
    let owners: Vec<Vec<VarId>> = {
        let mut owners = vec![Vec::new(); n_params];
        for v in 0..model.vars.len() {
            for p in model.parameters_of(v) {
                owners[p].push(v);
            }
        }
        owners
    };
    let mut parent: Vec<VarId> = (0..model.vars.len()).collect();
    fn root(parent: &mut [usize], mut v: usize) -> usize {
        while parent[v] != v {
            parent[v] = parent[parent[v]];
            v = parent[v];
        }
        v
    }
    for vars in &owners {
        for w in vars.iter().skip(1) {
            let (a, b) = (root(&mut parent, vars[0]), root(&mut parent, *w));
            parent[b] = a;
        }
    }
    let mut units: Vec<Unit> = Vec::new();
    let mut unit_of_root: std::collections::HashMap<usize, usize> = Default::default();
    for v in 0..model.vars.len() {
        let params = model.parameters_of(v);
        if params.is_empty() {
            continue;
        }
        let r = root(&mut parent, v);
        let u = *unit_of_root.entry(r).or_insert_with(|| {
            units.push(Unit {
                vars: Vec::new(),
                params: Vec::new(),
                method: Method::Numerical,
            });
            units.len() - 1
        });
        units[u].vars.push(v);
        for p in params {
            if !units[u].params.contains(&p) {
                units[u].params.push(p);
            }
        }
    }
    for unit in &mut units {
        if let [v] = unit.vars[..]
            && let VarKind::Stochastic(tree) = &model.vars[v].kind
            && let DistTree::Leaf(leaf) = tree.as_ref()
        {
            unit.method = closed_form(leaf).unwrap_or(Method::Numerical);
        }
    }
    units
}

/// The closed-form estimator for a lone leaf, if it has one.
fn closed_form(leaf: &Leaf) -> Option<Method> {
    let mut uses = std::collections::HashMap::<usize, usize>::new();
    for e in &leaf.params {
        e.visit_params(&mut |p| *uses.entry(p).or_default() += 1);
    }
    if uses.values().any(|n| *n > 1) {
        return None;
    }
    match &leaf.kind {
        DistKind::Bernoulli => {
            let (scrutinees, ids) = table(&leaf.params[0])?;
            let _ = scrutinees;
            Some(Method::Counts(CountTable {
                cells: ids.into_iter().map(|p| vec![p]).collect(),
                weights: leaf.params.clone(),
                bernoulli: true,
                labels: Vec::new(),
            }))
        }
        DistKind::Categorical { labels } => {
            let tables: Vec<(Vec<VarId>, Vec<usize>)> =
                leaf.params.iter().map(table).collect::<Option<_>>()?;
            let (first_vars, first_ids) = tables.first()?;
            if tables
                .iter()
                .any(|(vars, ids)| vars != first_vars || ids.len() != first_ids.len())
            {
                return None;
            }
            let cells = (0..first_ids.len())
                .map(|c| tables.iter().map(|(_, ids)| ids[c]).collect())
                .collect();
            Some(Method::Counts(CountTable {
                cells,
                weights: leaf.params.clone(),
                bernoulli: false,
                labels: labels.clone(),
            }))
        }
        DistKind::Normal => {
            let sd = match &leaf.params[1] {
                Ex::Param(p) => Sd::Param(*p),
                e => Sd::Known(e.constant()?),
            };
            if degree(&leaf.params[0])? > 1 {
                return None;
            }
            let mut betas = Vec::new();
            leaf.params[0].visit_params(&mut |p| {
                if !betas.contains(&p) {
                    betas.push(p)
                }
            });
            Some(Method::LeastSquares(Linear {
                mean: leaf.params[0].clone(),
                betas,
                sd,
            }))
        }
        _ => None,
    }
}

/// A parameter or a table of them: the index variables and the parameter of each cell, in
/// arm order.
fn table(e: &Ex) -> Option<(Vec<VarId>, Vec<usize>)> {
    match e {
        Ex::Param(p) => Some((Vec::new(), vec![*p])),
        Ex::Match(m) => {
            let vars = m
                .scrutinees
                .iter()
                .map(|s| match s {
                    Ex::Var(v) => Some(*v),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            let ids = m
                .arms
                .iter()
                .map(|(patterns, body)| match body {
                    Ex::Param(p) if patterns.iter().all(Option::is_some) => Some(*p),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            Some((vars, ids))
        }
        _ => None,
    }
}

/// The polynomial degree of `e` in its parameters: 0 (none read), 1 (linear), or `None`
/// (anything else, or more than linear).
pub fn degree(e: &Ex) -> Option<u8> {
    if !e.has_param() {
        return Some(0);
    }
    match e {
        Ex::Param(_) => Some(1),
        Ex::Unary(UnOp::Neg, a) => degree(a),
        Ex::Binary(BinOp::Add | BinOp::Sub, a, b) => Some(degree(a)?.max(degree(b)?)),
        Ex::Binary(BinOp::Mul, a, b) => {
            let d = degree(a)? + degree(b)?;
            (d <= 1).then_some(d)
        }
        Ex::Binary(BinOp::Div, a, b) => (degree(b)? == 0).then(|| degree(a)).flatten(),
        Ex::If(parts) => {
            (degree(&parts.0)? == 0).then_some(())?;
            Some(degree(&parts.1)?.max(degree(&parts.2)?))
        }
        Ex::Match(m) => {
            for s in &m.scrutinees {
                (degree(s)? == 0).then_some(())?;
            }
            m.arms
                .iter()
                .map(|(_, b)| degree(b))
                .try_fold(0, |acc, d| Some(acc.max(d?)))
        }
        _ => None,
    }
}
