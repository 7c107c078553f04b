//! Sufficient statistics, accumulated row by row and mergeable (a sum), so that rows stream
//! through once and blocks of rows are counted apart, in parallel, and added in file order.
//!
//! - counts per table cell and category (Bernoulli, Categorical tables);
//! - `XᵀX`, `Xᵀy`, `yᵀy` and `n` for a linear mean (the design row of a row is the gradient
//!   of the mean with respect to its coefficients, found by evaluating it on jets);
//! - for numerical fits, the distinct tuples (value, parents) with their counts: memory grows
//!   with the distinct combinations, not the rows.

use super::dual::Jet;
use super::likelihood::Point;
use super::plan::{CountTable, Linear, Method, Unit};
use crate::scm::dist::category_index;
use crate::scm::{Model, VarId};
use std::collections::HashMap;

/// One unit's statistics.
#[derive(Clone, Debug)]
pub enum Stat {
    /// `counts[cell * categories + j]`; a Bernoulli has categories false, true.
    Counts { counts: Vec<f64>, categories: usize },
    /// The normal equations' sums.
    Gram {
        xtx: Vec<f64>,
        xty: Vec<f64>,
        yty: f64,
        n: f64,
    },
    /// Per variable of the unit: distinct (value, parent values) bit patterns → weight.
    Tuples(Vec<HashMap<Vec<u64>, f64>>),
}

/// What a unit needs per row, prepared once and shared by every block's [`Accumulator`].
pub struct Prepared<'m> {
    unit: &'m Unit,
    /// Per variable of the unit, the variable and its parents (the tuple's layout).
    layout: Vec<Vec<VarId>>,
    /// Global parameter id → cell (count tables).
    cell_of: HashMap<usize, usize>,
    /// A direct cell lookup for count tables indexed by finite-domain variables.
    direct: Option<DirectCells>,
    /// Global parameter id → local index (least squares).
    local: Vec<usize>,
    /// The statistics of no rows.
    empty: Stat,
}

/// One unit's statistics over some rows: a block's, or (merged in file order) the whole
/// data's.
pub struct Accumulator<'p> {
    prep: &'p Prepared<'p>,
    /// Rows counted per variable of the unit.
    pub rows: Vec<u64>,
    /// The statistics.
    pub stat: Stat,
}

impl<'m> Prepared<'m> {
    /// Prepares `unit` for counting rows.
    pub fn new(model: &'m Model, unit: &'m Unit) -> Prepared<'m> {
        let layout: Vec<Vec<VarId>> = unit
            .vars
            .iter()
            .map(|v| {
                let mut l = vec![*v];
                l.extend(&model.vars[*v].parents);
                l
            })
            .collect();
        let mut cell_of = HashMap::new();
        let mut local = vec![usize::MAX; model.parameters.len()];
        for (i, p) in unit.params.iter().enumerate() {
            local[*p] = i;
        }
        let empty = match &unit.method {
            Method::Counts(t) => {
                for (c, ids) in t.cells.iter().enumerate() {
                    cell_of.insert(ids[0], c);
                }
                let categories = if t.bernoulli { 2 } else { t.weights.len() };
                Stat::Counts {
                    counts: vec![0.0; t.cells.len() * categories],
                    categories,
                }
            }
            Method::LeastSquares(l) => {
                let p = l.betas.len();
                for (i, b) in l.betas.iter().enumerate() {
                    local[*b] = i;
                }
                Stat::Gram {
                    xtx: vec![0.0; p * p],
                    xty: vec![0.0; p],
                    yty: 0.0,
                    n: 0.0,
                }
            }
            Method::Numerical => Stat::Tuples(vec![HashMap::new(); unit.vars.len()]),
        };
        let direct = match &unit.method {
            Method::Counts(t) => DirectCells::new(model, &t.weights[0], &cell_of),
            _ => None,
        };
        Prepared {
            unit,
            layout,
            cell_of,
            direct,
            local,
            empty,
        }
    }

    /// An accumulator of no rows yet.
    pub fn accumulator(&self) -> Accumulator<'_> {
        Accumulator {
            prep: self,
            rows: vec![0; self.unit.vars.len()],
            stat: self.empty.clone(),
        }
    }
}

impl Accumulator<'_> {
    /// Adds one row with weight `w` (1, or a bootstrap multiplicity).
    pub fn add(&mut self, row: &[f64], w: f64) {
        let prep = self.prep;
        for (k, vars) in prep.layout.iter().enumerate() {
            if vars.iter().any(|v| row[*v].is_nan()) {
                continue;
            }
            self.rows[k] += 1;
            let x = row[vars[0]];
            match (&mut self.stat, &prep.unit.method) {
                (Stat::Counts { counts, categories }, Method::Counts(t)) => {
                    let cell = match &prep.direct {
                        Some(d) => d.cell(row),
                        None => selected_param(&t.weights[0], row)
                            .and_then(|p| prep.cell_of.get(&p).copied()),
                    };
                    if let Some((cell, j)) = cell.and_then(|c| category(t, x).map(|j| (c, j))) {
                        counts[cell * *categories + j] += w;
                    }
                }
                (Stat::Gram { xtx, xty, yty, n }, Method::LeastSquares(l)) => {
                    let (offset, design) = design_row(l, &prep.local, row);
                    let y = x - offset;
                    let p = design.len();
                    for i in 0..p {
                        xty[i] += w * design[i] * y;
                        for j in 0..p {
                            xtx[i * p + j] += w * design[i] * design[j];
                        }
                    }
                    *yty += w * y * y;
                    *n += w;
                }
                (Stat::Tuples(tables), _) => {
                    let key: Vec<u64> = vars.iter().map(|v| row[*v].to_bits()).collect();
                    *tables[k].entry(key).or_insert(0.0) += w;
                }
                _ => {}
            }
        }
    }

    /// The variables of the unit and their parents, per variable.
    pub fn layout(&self) -> &[Vec<VarId>] {
        &self.prep.layout
    }

    /// Adds the statistics of `other` (rows that come after this accumulator's, in file
    /// order: sums are added in that order, so the total does not depend on how rows were
    /// split among threads).
    pub fn merge(&mut self, other: Accumulator<'_>) {
        for (a, b) in self.rows.iter_mut().zip(&other.rows) {
            *a += b;
        }
        match (&mut self.stat, other.stat) {
            (Stat::Counts { counts, .. }, Stat::Counts { counts: more, .. }) => {
                add_into(counts, &more);
            }
            (
                Stat::Gram { xtx, xty, yty, n },
                Stat::Gram {
                    xtx: xtx2,
                    xty: xty2,
                    yty: yty2,
                    n: n2,
                },
            ) => {
                add_into(xtx, &xtx2);
                add_into(xty, &xty2);
                *yty += yty2;
                *n += n2;
            }
            (Stat::Tuples(tables), Stat::Tuples(more)) => {
                for (table, more) in tables.iter_mut().zip(more) {
                    if table.is_empty() {
                        *table = more;
                        continue;
                    }
                    for (key, w) in more {
                        *table.entry(key).or_insert(0.0) += w;
                    }
                }
            }
            _ => unreachable!("accumulators of one unit hold statistics of one kind"),
        }
    }
}

/// `a[i] += b[i]`.
fn add_into(a: &mut [f64], b: &[f64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// The category of value `x` (a Bernoulli's: false 0, true 1).
fn category(t: &CountTable, x: f64) -> Option<usize> {
    if t.bernoulli {
        Some(usize::from(x != 0.0))
    } else {
        category_index(&t.labels, t.weights.len(), x)
    }
}

/// A table's cell found by arithmetic: each index variable's position in its finite domain,
/// combined in mixed radix, then looked up in a dense array built once by running the table's
/// `match` on every combination (so any arm order or first-match rule is honoured).
pub struct DirectCells {
    /// Per index variable: the variable and its sorted domain.
    axes: Vec<(VarId, Vec<f64>)>,
    /// Mixed-radix combination → cell (`usize::MAX`: no cell).
    cells: Vec<usize>,
}

impl DirectCells {
    fn new(
        model: &Model,
        e: &crate::scm::Ex,
        cell_of: &HashMap<usize, usize>,
    ) -> Option<DirectCells> {
        let crate::scm::Ex::Match(m) = e else {
            return None;
        };
        let axes: Vec<(VarId, Vec<f64>)> = m
            .scrutinees
            .iter()
            .map(|s| match s {
                crate::scm::Ex::Var(v) => Some((*v, model.vars[*v].domain.clone()?)),
                _ => None,
            })
            .collect::<Option<_>>()?;
        let size = crate::config::table_size(axes.iter().map(|a| a.1.len()))?;
        if size > 1 << 24 {
            return None;
        }
        let mut row = vec![f64::NAN; model.vars.len()];
        let mut cells = Vec::with_capacity(size);
        for combo in 0..size {
            let mut rest = combo;
            for (v, domain) in axes.iter().rev() {
                row[*v] = domain[rest % domain.len()];
                rest /= domain.len();
            }
            cells.push(
                selected_param(e, &row)
                    .and_then(|p| cell_of.get(&p).copied())
                    .unwrap_or(usize::MAX),
            );
        }
        Some(DirectCells { axes, cells })
    }

    fn cell(&self, row: &[f64]) -> Option<usize> {
        let mut index = 0;
        for (v, domain) in &self.axes {
            let x = row[*v];
            let position = if domain.len() <= 8 {
                domain.iter().position(|d| *d == x)?
            } else {
                domain.binary_search_by(|d| d.total_cmp(&x)).ok()?
            };
            index = index * domain.len() + position;
        }
        self.cells.get(index).copied().filter(|c| *c != usize::MAX)
    }
}

/// The parameter a table-form expression (a parameter, or a `match` of them) picks for a row.
fn selected_param(e: &crate::scm::Ex, row: &[f64]) -> Option<usize> {
    match e {
        crate::scm::Ex::Param(p) => Some(*p),
        crate::scm::Ex::Match(m) => selected_param(m.select(row, 0)?, row),
        _ => None,
    }
}

/// The mean's offset (its value with every coefficient 0) and its design row (its gradient
/// with respect to the coefficients), from one first-order jet evaluation.
fn design_row(l: &Linear, local: &[usize], row: &[f64]) -> (f64, Vec<f64>) {
    let p = l.betas.len();
    let theta: Vec<Jet> = (0..p).map(|i| Jet::variable(0.0, i, p, false)).collect();
    let point = Point {
        theta: &theta,
        local,
        n: p,
        second: false,
    };
    let jet = point.eval(&l.mean, row);
    (jet.value, jet.grad)
}
