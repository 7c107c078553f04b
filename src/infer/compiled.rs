//! Compiled samplers: the hot loop of likelihood weighting without interpretation.
//!
//! Most queries have one world and one group. For those, the plan is compiled once more,
//! into one of two specialised forms, and sampled with no expression walking, no parameter
//! validation and no allocation per sample:
//!
//! - **tables**, where every needed variable has a finite domain (the sprinkler, ALARM, any
//!   imported network): each variable is a row of cumulative probabilities per parent
//!   configuration, values are small integers, a draw is one uniform and a short scan, a clamp
//!   is one table lookup of its log-probability, and evidence and targets are lookups too;
//! - **linear**, where every needed variable is `Normal` with a mean affine in its parents and
//!   a constant sd, or an affine function (the Gaussian chain): each draw is a dot product and
//!   one standard normal, a clamp one log-density.
//!
//! Anything else — several worlds, mixtures of continuous laws, non-linear means — takes the
//! general interpreter in `sampling`. Both forms keep `sampling`'s contract: the same seeded
//! chunks, the same accumulators, identical output at any thread count.
//!
//! **Invariant:** the compiled form answers exactly the plan it was built from; only speed
//! differs from the interpreter (and which random numbers are drawn).

use super::exact::{self, Tables};
use crate::ast::Span;
use crate::diagnostics::{Code, Diagnostic};
use crate::query::{Mech, Plan};
use crate::scm::dist::DistKind;
use crate::scm::dist::open01;
use crate::scm::{BinOp, DistTree, Ex, Model, UnOp};
use rand::rngs::SmallRng;
use rand_distr::{Distribution as _, StandardNormal};

/// Largest table (entries) the compiled sampler builds for one variable.
const TABLE_CAP: u64 = 1 << 20;

/// A plan compiled for speed.
pub enum Compiled {
    Tables(TableSampler),
    Linear(LinearSampler),
}

impl Compiled {
    /// Compiles `plan` if one of the fast forms applies.
    pub fn new(plan: &Plan, model: &Model) -> Option<Compiled> {
        if plan.coupled || plan.n_worlds != 1 || plan.groups.len() != 1 {
            return None;
        }
        if let Some(linear) = LinearSampler::new(plan, model) {
            return Some(Compiled::Linear(linear));
        }
        exact::tables(plan, model, TABLE_CAP, Span::default())
            .ok()
            .map(|t| Compiled::Tables(TableSampler::new(t)))
    }

    /// Draws `n` samples, passing each one's log weight and target values to `sink`.
    pub fn run(
        &self,
        rng: &mut SmallRng,
        n: u64,
        sink: &mut impl FnMut(&[f64], &[Vec<f64>], u64),
    ) -> Result<(), Diagnostic> {
        match self {
            Compiled::Tables(t) => t.run(rng, n, sink),
            Compiled::Linear(l) => l.run(rng, n, sink),
        }
    }
}

/// What one variable of the table sampler does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RowKind {
    /// Draw from the cumulative probabilities at `data[offset + row·k ..][..k]`.
    Draw,
    /// Take the value `fixed[offset + row]` (a deterministic variable).
    Fixed,
    /// Observed at column `column`; `data[offset + row]` is its log-probability.
    Clamped,
}

/// One variable: its slot, parents (a range of `links`), domain size and tables.
#[derive(Clone, Copy)]
struct Row {
    slot: u32,
    kind: RowKind,
    k: u32,
    column: u32,
    parents: (u32, u32),
    offset: u32,
    /// Number of parent configurations.
    n_rows: u32,
}

/// A tabulated function of a few slots.
struct TabulatedLookup {
    parents: (u32, u32),
    values: Vec<f64>,
}

/// Mixed-radix strides, last slot fastest.
fn strides(slots: &[usize], cards: &[usize]) -> Vec<(u32, u32)> {
    let mut out = vec![(0u32, 0u32); slots.len()];
    let mut acc = 1u32;
    for k in (0..slots.len()).rev() {
        out[k] = (slots[k] as u32, acc);
        acc = acc.saturating_mul(cards[k] as u32);
    }
    out
}

/// Likelihood weighting over conditional tables, all data in flat arrays.
///
/// When the weight and the target values depend on few table cells (they are functions of
/// the clamped variables' parent configurations and of the lookups' cells), samples are
/// counted per cell instead of accumulated one by one: the same self-normalised estimator,
/// with one exponential per cell instead of per sample.
pub struct TableSampler {
    rows: Vec<Row>,
    /// (slot, stride) pairs, referenced by ranges.
    links: Vec<(u32, u32)>,
    data: Vec<f64>,
    fixed: Vec<u32>,
    indicators: Vec<TabulatedLookup>,
    targets: Vec<TabulatedLookup>,
    n_slots: usize,
    /// Some evidence names a value its variable never takes: every weight is zero.
    impossible: bool,
    /// The cell space for counting, when small enough: (row kind index, radix) per part.
    cells: Option<Vec<(Part, u32)>>,
}

/// A part of a counting cell: a clamped row's configuration, or a lookup's cell.
#[derive(Clone, Copy)]
enum Part {
    Clamp(usize),
    Indicator(usize),
    Target(usize),
}

/// Largest number of cells counted per chunk.
const CELL_CAP: u64 = 1 << 16;

impl TableSampler {
    fn new(t: Tables) -> TableSampler {
        let mut links = Vec::new();
        let mut data = Vec::new();
        let mut fixed = Vec::new();
        let mut rows = Vec::new();
        let mut impossible = false;
        let range = |slots: &[usize], cards: &[usize], links: &mut Vec<(u32, u32)>| {
            let start = links.len() as u32;
            links.extend(strides(slots, cards));
            (start, links.len() as u32)
        };
        for s in t.steps {
            let k = s.k.max(1);
            let n_rows = s.probabilities.len() / k;
            let parents = range(&s.parents, &s.parent_cards, &mut links);
            let deterministic = s.probabilities.iter().all(|p| *p == 0.0 || *p == 1.0);
            let (kind, column, offset) = match s.clamp {
                Some(None) => {
                    impossible = true;
                    (RowKind::Clamped, 0, data.len())
                }
                Some(Some(column)) => {
                    let offset = data.len();
                    data.extend((0..n_rows).map(|r| s.probabilities[r * k + column].ln()));
                    (RowKind::Clamped, column as u32, offset)
                }
                None if deterministic => {
                    let offset = fixed.len();
                    fixed.extend((0..n_rows).map(|r| {
                        (0..k)
                            .find(|&j| s.probabilities[r * k + j] == 1.0)
                            .unwrap_or(0) as u32
                    }));
                    (RowKind::Fixed, 0, offset)
                }
                None => {
                    let offset = data.len();
                    for r in 0..n_rows {
                        let row = &s.probabilities[r * k..(r + 1) * k];
                        let total: f64 = row.iter().sum();
                        let mut acc = 0.0;
                        for (j, p) in row.iter().enumerate() {
                            acc += p / total;
                            // The last column with mass ends at exactly 1.
                            let last = row[j + 1..].iter().all(|q| *q == 0.0);
                            data.push(if last { 1.0 } else { acc });
                        }
                    }
                    (RowKind::Draw, 0, offset)
                }
            };
            rows.push(Row {
                slot: s.slot as u32,
                kind,
                k: k as u32,
                column,
                parents,
                offset: offset as u32,
                n_rows: n_rows as u32,
            });
        }
        let lookup = |l: exact::Lookup, links: &mut Vec<(u32, u32)>| TabulatedLookup {
            parents: range(&l.slots, &l.cards, links),
            values: l.values,
        };
        let indicators: Vec<TabulatedLookup> = t
            .indicators
            .into_iter()
            .map(|l| lookup(l, &mut links))
            .collect();
        let targets: Vec<TabulatedLookup> = t
            .targets
            .into_iter()
            .map(|l| lookup(l, &mut links))
            .collect();
        // The counting cell space: every clamped row's configurations × every lookup's cells.
        let mut parts = Vec::new();
        let mut size = 1u64;
        for (i, row) in rows.iter().enumerate() {
            if row.kind == RowKind::Clamped {
                parts.push((Part::Clamp(i), row.n_rows));
            }
        }
        for (i, l) in indicators.iter().enumerate() {
            parts.push((Part::Indicator(i), l.values.len() as u32));
        }
        for (i, l) in targets.iter().enumerate() {
            parts.push((Part::Target(i), l.values.len() as u32));
        }
        for (_, radix) in &parts {
            size = size.saturating_mul(*radix as u64);
        }
        TableSampler {
            rows,
            links,
            data,
            fixed,
            indicators,
            targets,
            n_slots: t.n_slots,
            impossible,
            cells: (size <= CELL_CAP).then_some(parts),
        }
    }

    /// Fills `rows[..m]` with each sample's configuration index over `parents`.
    #[inline]
    fn configurations(&self, parents: (u32, u32), cols: &[u32], m: usize, rows: &mut [u32]) {
        let rows = &mut rows[..m];
        rows.fill(0);
        for &(slot, stride) in &self.links[parents.0 as usize..parents.1 as usize] {
            let col = &cols[slot as usize * BATCH..slot as usize * BATCH + m];
            for (r, v) in rows.iter_mut().zip(col) {
                *r += v * stride;
            }
        }
    }

    /// Samples `m ≤ BATCH` draws column by column into `cols` (one column of `BATCH` value
    /// indices per slot), adding clamps' log-probabilities to `lw` when it is given.
    fn sample_batch(
        &self,
        rng: &mut SmallRng,
        m: usize,
        cols: &mut [u32],
        rows: &mut [u32],
        mut lw: Option<&mut [f64]>,
    ) {
        for row in &self.rows {
            self.configurations(row.parents, cols, m, rows);
            let out = &mut cols[row.slot as usize * BATCH..row.slot as usize * BATCH + m];
            let offset = row.offset as usize;
            let k = row.k as usize;
            match row.kind {
                RowKind::Draw if k == 2 => {
                    for (o, &r) in out.iter_mut().zip(rows.iter()) {
                        let u = open01(rng);
                        *o = (u >= self.data[offset + 2 * r as usize]) as u32;
                    }
                }
                RowKind::Draw => {
                    for (o, &r) in out.iter_mut().zip(rows.iter()) {
                        let u = open01(rng);
                        let start = offset + r as usize * k;
                        let cells = &self.data[start..start + k];
                        *o = cells.iter().position(|&c| u < c).unwrap_or(k - 1) as u32;
                    }
                }
                RowKind::Fixed => {
                    for (o, &r) in out.iter_mut().zip(rows.iter()) {
                        *o = self.fixed[offset + r as usize];
                    }
                }
                RowKind::Clamped => {
                    out.fill(row.column);
                    if let Some(lw) = lw.as_deref_mut() {
                        for (w, &r) in lw.iter_mut().zip(rows.iter()) {
                            *w += self.data[offset + r as usize];
                        }
                    }
                }
            }
        }
    }

    fn run(
        &self,
        rng: &mut SmallRng,
        n: u64,
        sink: &mut impl FnMut(&[f64], &[Vec<f64>], u64),
    ) -> Result<(), Diagnostic> {
        let mut values = vec![vec![0.0; self.targets.len()]];
        if self.impossible {
            sink(&[f64::NEG_INFINITY], &values, n);
            return Ok(());
        }
        if let Some(parts) = &self.cells {
            return self.run_counting(rng, n, parts, sink);
        }
        let mut cols = vec![0u32; self.n_slots * BATCH];
        let mut rows = vec![0u32; BATCH];
        let mut lw = vec![0.0f64; BATCH];
        let mut cells: Vec<Vec<u32>> =
            vec![vec![0; BATCH]; self.indicators.len() + self.targets.len()];
        let mut done = 0;
        while done < n {
            let m = (n - done).min(BATCH as u64) as usize;
            lw[..m].fill(0.0);
            self.sample_batch(rng, m, &mut cols, &mut rows, Some(&mut lw));
            for (l, lookup) in self.indicators.iter().chain(&self.targets).enumerate() {
                self.configurations(lookup.parents, &cols, m, &mut cells[l]);
            }
            let n_ind = self.indicators.len();
            for i in 0..m {
                let possible =
                    (0..n_ind).all(|l| self.indicators[l].values[cells[l][i] as usize] != 0.0);
                if !possible || lw[i] == f64::NEG_INFINITY {
                    sink(&[f64::NEG_INFINITY], &values, 1);
                    continue;
                }
                for (t, target) in self.targets.iter().enumerate() {
                    let v = target.values[cells[n_ind + t][i] as usize];
                    if !v.is_finite() {
                        return Err(not_finite(v));
                    }
                    values[0][t] = v;
                }
                sink(&lw[i..i + 1], &values, 1);
            }
            done += m as u64;
        }
        Ok(())
    }

    /// Counts samples per cell, then passes each non-empty cell once with its multiplicity
    /// (that many identical samples, which is what they are).
    fn run_counting(
        &self,
        rng: &mut SmallRng,
        n: u64,
        parts: &[(Part, u32)],
        sink: &mut impl FnMut(&[f64], &[Vec<f64>], u64),
    ) -> Result<(), Diagnostic> {
        let size: usize = parts.iter().map(|(_, r)| *r as usize).product();
        let mut counts = vec![0u32; size];
        let mut cols = vec![0u32; self.n_slots * BATCH];
        let mut rows = vec![0u32; BATCH];
        let mut cell = vec![0u32; BATCH];
        let mut done = 0;
        while done < n {
            let m = (n - done).min(BATCH as u64) as usize;
            // Weights are recomputed per cell below; only the cells are needed here.
            self.sample_batch(rng, m, &mut cols, &mut rows, None);
            cell[..m].fill(0);
            for &(part, radix) in parts {
                let parents = match part {
                    Part::Clamp(i) => self.rows[i].parents,
                    Part::Indicator(i) => self.indicators[i].parents,
                    Part::Target(i) => self.targets[i].parents,
                };
                self.configurations(parents, &cols, m, &mut rows);
                for (c, &r) in cell[..m].iter_mut().zip(rows.iter()) {
                    *c = *c * radix + r;
                }
            }
            for &c in &cell[..m] {
                counts[c as usize] += 1;
            }
            done += m as u64;
        }
        let mut values = vec![vec![0.0; self.targets.len()]];
        let mut at = vec![0usize; parts.len()];
        for (cell, &count) in counts.iter().enumerate() {
            if count > 0 {
                // Decode the cell (last part fastest).
                let mut rest = cell;
                for (p, &(_, radix)) in parts.iter().enumerate().rev() {
                    at[p] = rest % radix as usize;
                    rest /= radix as usize;
                }
                let mut lw = 0.0;
                let mut possible = true;
                for (p, &(part, _)) in parts.iter().enumerate() {
                    match part {
                        Part::Clamp(i) => lw += self.data[self.rows[i].offset as usize + at[p]],
                        Part::Indicator(i) => possible &= self.indicators[i].values[at[p]] != 0.0,
                        Part::Target(i) => values[0][i] = self.targets[i].values[at[p]],
                    }
                }
                if !possible || lw == f64::NEG_INFINITY {
                    lw = f64::NEG_INFINITY;
                } else if let Some(v) = values[0].iter().find(|v| !v.is_finite()) {
                    return Err(not_finite(*v));
                }
                sink(&[lw], &values, count as u64);
            }
        }
        Ok(())
    }
}

/// Samples processed together, column by column.
const BATCH: usize = 256;

fn not_finite(v: f64) -> Diagnostic {
    Diagnostic::error(
        Code::E006,
        Span::default(),
        format!("the quantity asked for is {v} in some samples"),
    )
    .with_help("check divisions by zero and logarithms of non-positive values in the query")
}

/// One variable of the linear-Gaussian sampler: `constant + Σ coefficient·parent (+ sd·ε)`.
struct LinearRow {
    slot: usize,
    constant: f64,
    terms: Vec<(usize, f64)>,
    /// 0 for an affine deterministic variable.
    sd: f64,
    /// The observed value, and `−ln sd − ½ln 2π` for its log-density.
    clamp: Option<(f64, f64)>,
}

/// Likelihood weighting for linear-Gaussian plans.
pub struct LinearSampler {
    rows: Vec<LinearRow>,
    indicators: Vec<Ex>,
    targets: Vec<Ex>,
    n_slots: usize,
}

impl LinearSampler {
    fn new(plan: &Plan, model: &Model) -> Option<LinearSampler> {
        let mut rows = Vec::new();
        for step in &plan.steps {
            let [comp] = step.comps.as_slice() else {
                return None;
            };
            let slot = step.var;
            let (mean, sd) = match &comp.mech {
                Mech::Det(e) => (affine(e)?, 0.0),
                Mech::Stoch {
                    tree: DistTree::Leaf(leaf),
                    ..
                } if leaf.kind == DistKind::Normal => {
                    let sd = leaf.params[1].constant()?;
                    if !(sd > 0.0 && sd.is_finite()) {
                        return None;
                    }
                    (affine(&leaf.params[0])?, sd)
                }
                _ => return None,
            };
            let clamp = match comp.clamp {
                Some(x) if sd > 0.0 => {
                    Some((x, -sd.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()))
                }
                Some(_) => return None,
                None => None,
            };
            rows.push(LinearRow {
                slot,
                constant: mean.0,
                terms: mean.1,
                sd,
                clamp,
            });
        }
        let group = &plan.groups[0];
        let _ = model;
        Some(LinearSampler {
            rows,
            indicators: group.indicators.clone(),
            targets: group.targets.iter().map(|t| t.expr.clone()).collect(),
            n_slots: plan.n_vars,
        })
    }

    fn run(
        &self,
        rng: &mut SmallRng,
        n: u64,
        sink: &mut impl FnMut(&[f64], &[Vec<f64>], u64),
    ) -> Result<(), Diagnostic> {
        let mut cols = vec![0.0f64; self.n_slots * BATCH];
        let mut lw = vec![0.0f64; BATCH];
        let mut mean = vec![0.0f64; BATCH];
        let mut scratch = vec![0.0f64; self.n_slots];
        let mut read: Vec<usize> = Vec::new();
        for e in self.indicators.iter().chain(&self.targets) {
            let _ = e.map(&mut |node| {
                if let Ex::Var(v) | Ex::Slot(v) = node {
                    if !read.contains(v) {
                        read.push(*v);
                    }
                }
                None
            });
        }
        let mut values = vec![vec![0.0; self.targets.len()]];
        let mut done = 0;
        while done < n {
            let m = (n - done).min(BATCH as u64) as usize;
            lw[..m].fill(0.0);
            for row in &self.rows {
                let mean = &mut mean[..m];
                mean.fill(row.constant);
                for &(p, a) in &row.terms {
                    let col = &cols[p * BATCH..p * BATCH + m];
                    for (x, v) in mean.iter_mut().zip(col) {
                        *x += a * v;
                    }
                }
                let out = &mut cols[row.slot * BATCH..row.slot * BATCH + m];
                match row.clamp {
                    Some((x, log_norm)) => {
                        let inverse = 1.0 / row.sd;
                        for (w, mu) in lw.iter_mut().zip(mean.iter()) {
                            let z = (x - mu) * inverse;
                            *w += log_norm - 0.5 * z * z;
                        }
                        out.fill(x);
                    }
                    None if row.sd > 0.0 => {
                        for (o, mu) in out.iter_mut().zip(mean.iter()) {
                            let e: f64 = StandardNormal.sample(rng);
                            *o = mu + row.sd * e;
                        }
                    }
                    None => out.copy_from_slice(mean),
                }
            }
            for i in 0..m {
                for &v in &read {
                    scratch[v] = cols[v * BATCH + i];
                }
                if self.indicators.iter().any(|e| e.eval(&scratch, 0) == 0.0) {
                    sink(&[f64::NEG_INFINITY], &values, 1);
                    continue;
                }
                for (t, target) in self.targets.iter().enumerate() {
                    let v = target.eval(&scratch, 0);
                    if !v.is_finite() {
                        return Err(not_finite(v));
                    }
                    values[0][t] = v;
                }
                sink(&lw[i..i + 1], &values, 1);
            }
            done += m as u64;
        }
        Ok(())
    }
}

/// `e` as `constant + Σ coefficient·slot` over single-world slots (variables are slots at
/// base 0), if it is affine.
fn affine(e: &Ex) -> Option<(f64, Vec<(usize, f64)>)> {
    fn add(into: &mut Vec<(usize, f64)>, slot: usize, a: f64) {
        match into.iter_mut().find(|(s, _)| *s == slot) {
            Some((_, b)) => *b += a,
            None => into.push((slot, a)),
        }
    }
    fn scale(x: (f64, Vec<(usize, f64)>), k: f64) -> (f64, Vec<(usize, f64)>) {
        (x.0 * k, x.1.into_iter().map(|(s, a)| (s, a * k)).collect())
    }
    match e {
        Ex::Const(c) => Some((*c, Vec::new())),
        Ex::Var(v) | Ex::Slot(v) => Some((0.0, vec![(*v, 1.0)])),
        Ex::Unary(UnOp::Neg, a) => Some(scale(affine(a)?, -1.0)),
        Ex::Binary(op, a, b) => {
            let (a, b) = (affine(a)?, affine(b)?);
            match op {
                BinOp::Add | BinOp::Sub => {
                    let sign = if *op == BinOp::Add { 1.0 } else { -1.0 };
                    let mut terms = a.1;
                    for (s, c) in b.1 {
                        add(&mut terms, s, sign * c);
                    }
                    Some((a.0 + sign * b.0, terms))
                }
                BinOp::Mul if a.1.is_empty() => Some(scale(b, a.0)),
                BinOp::Mul if b.1.is_empty() => Some(scale(a, b.0)),
                BinOp::Div if b.1.is_empty() && b.0 != 0.0 => Some(scale(a, 1.0 / b.0)),
                _ => None,
            }
        }
        _ => None,
    }
}
