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

use super::engine::Reason;
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
    /// The linear-Gaussian form of a one-group plan, if every computation it needs is one.
    pub fn linear(plan: &Plan, model: &Model) -> Option<Compiled> {
        if plan.groups.len() != 1 {
            return None;
        }
        LinearSampler::new(plan, model).map(Compiled::Linear)
    }

    /// The conditional-table form of a one-group plan, or why it has none: a variable
    /// without a finite domain, or tables too big to build (sizes by checked arithmetic,
    /// [`crate::config::table_size`]; then the interpreter samples instead).
    pub fn tables(plan: &Plan, model: &Model) -> Result<Compiled, Reason> {
        if plan.groups.len() != 1 {
            return Err(Reason::Shape("the compiled samplers take one group"));
        }
        let t = exact::tables(plan, model, TABLE_CAP, Span::default()).map_err(Reason::Engine)?;
        check_table_sizes(&t)?;
        Ok(Compiled::Tables(TableSampler::new(t)))
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

/// Checks, with checked arithmetic, that every table has the size its axes say (a product
/// that overflowed while the tables were built shows up as a mismatch), that none is over
/// [`TABLE_CAP`], and that all of them together fit the sampler's 32-bit offsets.
fn check_table_sizes(t: &Tables) -> Result<(), Reason> {
    let too_big = |size: Option<usize>| Reason::TooBig {
        what: "a conditional table of entries",
        size: size.map_or(f64::INFINITY, |s| s as f64),
        limit: TABLE_CAP as f64,
    };
    let mut total = 0usize;
    let mut add = |cards: &mut dyn Iterator<Item = usize>, actual: usize| {
        let size = crate::config::table_size(cards);
        if size != Some(actual) || actual as u64 > TABLE_CAP {
            return Err(too_big(size));
        }
        total = total.checked_add(actual).ok_or(too_big(None))?;
        Ok(())
    };
    for s in &t.steps {
        let k = s.k.max(1);
        add(
            &mut s.parent_cards.iter().copied().chain([k]),
            s.probabilities.len(),
        )?;
        let outputs = crate::config::table_size(s.outputs.iter().map(|o| o.1.max(1)));
        if outputs.is_none_or(|o| o > k) {
            return Err(too_big(outputs));
        }
    }
    for l in t.indicators.iter().chain(&t.targets) {
        add(&mut l.cards.iter().copied(), l.values.len())?;
    }
    if total > u32::MAX as usize / 2 {
        return Err(too_big(Some(total)));
    }
    Ok(())
}

/// What one table of the table sampler does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RowKind {
    /// Draw a column from the cumulative probabilities at `data[offset + row·k ..][..k]`
    /// (restricted to the columns evidence allows, when the row has a weight).
    Draw,
    /// Take the column `fixed[offset + row]` (deterministic computations).
    Fixed,
    /// Evidence leaves one column, `column`, whatever the row.
    Clamped,
}

/// One table: the parents (a range of `links`), the outputs (a range of `outs`), the
/// columns per row, and where its numbers live.
#[derive(Clone, Copy)]
struct Row {
    kind: RowKind,
    k: u32,
    column: u32,
    parents: (u32, u32),
    outputs: (u32, u32),
    offset: u32,
    /// Offset of the log-weights (one per row) in `data`, for rows evidence restricts.
    weight: Option<u32>,
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

/// Likelihood weighting over conditional tables, all data in flat arrays. Counterfactual
/// worlds are tables whose columns are the joint values of the worlds sharing a noise.
///
/// When the weight and the target values depend on few table cells (they are functions of
/// the weighted rows' parent configurations and of the lookups' cells), samples are counted
/// per cell instead of accumulated one by one: the same self-normalised estimator, with one
/// exponential per cell instead of per sample.
pub struct TableSampler {
    rows: Vec<Row>,
    /// (slot, stride) pairs, referenced by ranges.
    links: Vec<(u32, u32)>,
    /// (slot, divisor, domain size, offset in `decode`) of each output, referenced by ranges.
    outs: Vec<(u32, u32, u32, u32)>,
    /// Per output, the output's value for each column of its table.
    decode: Vec<u32>,
    data: Vec<f64>,
    fixed: Vec<u32>,
    indicators: Vec<TabulatedLookup>,
    targets: Vec<TabulatedLookup>,
    n_slots: usize,
    /// The cell space for counting, when small enough: (part, radix) per part.
    cells: Option<Vec<(Part, u32)>>,
    /// (slot, value) set by constant rows, once per chunk.
    constant_columns: Vec<(usize, u32)>,
    /// The constant rows' total log weight.
    constant_lw: f64,
}

/// A part of a counting cell: a weighted row's configuration, or a lookup's cell.
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
        let mut outs = Vec::new();
        let mut decode: Vec<u32> = Vec::new();
        let mut data = Vec::new();
        let mut fixed = Vec::new();
        let mut rows = Vec::new();
        let range = |slots: &[usize], cards: &[usize], links: &mut Vec<(u32, u32)>| {
            let start = links.len() as u32;
            links.extend(strides(slots, cards));
            (start, links.len() as u32)
        };
        for s in t.steps {
            let k = s.k.max(1);
            let n_rows = s.probabilities.len() / k;
            let parents = range(&s.parents, &s.parent_cards, &mut links);
            let start = outs.len() as u32;
            let mut divisor = 1u32;
            let mut these = Vec::new();
            for &(slot, card) in s.outputs.iter().rev() {
                let card = card.max(1) as u32;
                // Each column's value of this output, so decoding needs no division.
                let decode_offset = decode.len() as u32;
                decode.extend((0..k as u32).map(|c| (c / divisor) % card));
                these.push((slot as u32, divisor, card, decode_offset));
                divisor = divisor.saturating_mul(card);
            }
            these.reverse();
            outs.extend(these);
            let outputs = (start, outs.len() as u32);
            let weight = s.clamped.then(|| {
                let offset = data.len() as u32;
                data.extend(
                    s.probabilities
                        .chunks(k)
                        .map(|row| row.iter().sum::<f64>().ln()),
                );
                offset
            });
            let deterministic = s.probabilities.iter().all(|p| *p == 0.0 || *p == 1.0);
            let (kind, column, offset) = match s.fixed_column {
                Some(column) => (RowKind::Clamped, column as u32, 0),
                None if deterministic && !s.clamped => {
                    let offset = fixed.len();
                    fixed.extend(
                        s.probabilities
                            .chunks(k)
                            .map(|row| row.iter().position(|p| *p == 1.0).unwrap_or(0) as u32),
                    );
                    (RowKind::Fixed, 0, offset)
                }
                None => {
                    let offset = data.len();
                    for row in s.probabilities.chunks(k) {
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
                kind,
                k: k as u32,
                column,
                parents,
                outputs,
                offset: offset as u32,
                weight,
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
        // Rows with no parents that are fixed or fully observed are constants: set once per
        // chunk, their weight a constant, never sampled.
        let (constants, rows): (Vec<Row>, Vec<Row>) = rows
            .into_iter()
            .partition(|r| r.n_rows == 1 && r.kind != RowKind::Draw);
        let mut constant_columns = Vec::new();
        let mut constant_lw = 0.0;
        for r in &constants {
            let column = match r.kind {
                RowKind::Fixed => fixed[r.offset as usize],
                _ => r.column,
            };
            for &(slot, divisor, card, _) in &outs[r.outputs.0 as usize..r.outputs.1 as usize] {
                constant_columns.push((slot as usize, (column / divisor) % card));
            }
            if let Some(w) = r.weight {
                constant_lw += data[w as usize];
            }
        }
        // The counting cell space: every weighted row's configurations × every lookup's cells.
        let mut parts = Vec::new();
        let mut size = 1u64;
        for (i, row) in rows.iter().enumerate() {
            if row.weight.is_some() {
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
            outs,
            decode,
            data,
            fixed,
            indicators,
            targets,
            n_slots: t.n_slots,
            cells: (size <= CELL_CAP).then_some(parts),
            constant_columns,
            constant_lw,
        }
    }

    /// Column buffers with the constant rows' values already in place.
    fn columns(&self) -> Vec<u32> {
        let mut cols = vec![0u32; self.n_slots * BATCH];
        for &(slot, value) in &self.constant_columns {
            cols[slot * BATCH..(slot + 1) * BATCH].fill(value);
        }
        cols
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
        chosen: &mut [u32],
        mut lw: Option<&mut [f64]>,
    ) {
        for row in &self.rows {
            self.configurations(row.parents, cols, m, rows);
            let offset = row.offset as usize;
            let k = row.k as usize;
            let chosen = &mut chosen[..m];
            match row.kind {
                RowKind::Draw if k == 2 => {
                    for (o, &r) in chosen.iter_mut().zip(rows.iter()) {
                        let u = open01(rng);
                        *o = (u >= self.data[offset + 2 * r as usize]) as u32;
                    }
                }
                RowKind::Draw if k <= 8 => {
                    // Branch-free: the column is the number of cumulative bounds u has passed
                    // (the last bound is 1, which u never reaches).
                    for (o, &r) in chosen.iter_mut().zip(rows.iter()) {
                        let u = open01(rng);
                        let start = offset + r as usize * k;
                        let bounds = &self.data[start..start + k - 1];
                        *o = bounds.iter().map(|&c| (u >= c) as u32).sum();
                    }
                }
                RowKind::Draw => {
                    for (o, &r) in chosen.iter_mut().zip(rows.iter()) {
                        let u = open01(rng);
                        let start = offset + r as usize * k;
                        let cells = &self.data[start..start + k];
                        *o = cells.iter().position(|&c| u < c).unwrap_or(k - 1) as u32;
                    }
                }
                RowKind::Fixed => {
                    for (o, &r) in chosen.iter_mut().zip(rows.iter()) {
                        *o = self.fixed[offset + r as usize];
                    }
                }
                RowKind::Clamped => chosen.fill(row.column),
            }
            if let (Some(weight), Some(lw)) = (row.weight, lw.as_deref_mut()) {
                for (w, &r) in lw.iter_mut().zip(rows.iter()) {
                    *w += self.data[weight as usize + r as usize];
                }
            }
            let outputs = &self.outs[row.outputs.0 as usize..row.outputs.1 as usize];
            if let [(slot, _, _, _)] = outputs {
                let slot = *slot as usize;
                cols[slot * BATCH..slot * BATCH + m].copy_from_slice(chosen);
            } else {
                for &(slot, _, _, decode) in outputs {
                    let out = &mut cols[slot as usize * BATCH..slot as usize * BATCH + m];
                    let table = &self.decode[decode as usize..];
                    for (o, &c) in out.iter_mut().zip(chosen.iter()) {
                        *o = table[c as usize];
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
        if let Some(parts) = &self.cells {
            return self.run_counting(rng, n, parts, sink);
        }
        let mut cols = self.columns();
        let mut rows = vec![0u32; BATCH];
        let mut chosen = vec![0u32; BATCH];
        let mut lw = vec![0.0f64; BATCH];
        let mut cells: Vec<Vec<u32>> =
            vec![vec![0; BATCH]; self.indicators.len() + self.targets.len()];
        let mut done = 0;
        while done < n {
            let m = (n - done).min(BATCH as u64) as usize;
            lw[..m].fill(self.constant_lw);
            self.sample_batch(rng, m, &mut cols, &mut rows, &mut chosen, Some(&mut lw));
            for (l, lookup) in self.indicators.iter().chain(&self.targets).enumerate() {
                self.configurations(lookup.parents, &cols, m, &mut cells[l]);
            }
            let n_ind = self.indicators.len();
            for i in 0..m {
                let possible =
                    (0..n_ind).all(|l| self.indicators[l].values[cells[l][i] as usize] != 0.0);
                let targets = (0..self.targets.len())
                    .map(|t| self.targets[t].values[cells[n_ind + t][i] as usize]);
                pass(lw[i], possible, targets, &mut values, sink)?;
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
        let mut cols = self.columns();
        let mut rows = vec![0u32; BATCH];
        let mut chosen = vec![0u32; BATCH];
        let mut cell = vec![0u32; BATCH];
        let mut done = 0;
        while done < n {
            let m = (n - done).min(BATCH as u64) as usize;
            // Weights are recomputed per cell below; only the cells are needed here.
            self.sample_batch(rng, m, &mut cols, &mut rows, &mut chosen, None);
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
                let mut lw = self.constant_lw;
                let mut possible = true;
                for (p, &(part, _)) in parts.iter().enumerate() {
                    match part {
                        Part::Clamp(i) => {
                            if let Some(weight) = self.rows[i].weight {
                                lw += self.data[weight as usize + at[p]];
                            }
                        }
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

/// Passes one sample to `sink`: its log weight (minus infinity when evidence fails) and its
/// target values, which must be finite.
#[inline]
fn pass(
    lw: f64,
    possible: bool,
    targets: impl Iterator<Item = f64>,
    values: &mut [Vec<f64>],
    sink: &mut impl FnMut(&[f64], &[Vec<f64>], u64),
) -> Result<(), Diagnostic> {
    if !possible || lw == f64::NEG_INFINITY {
        sink(&[f64::NEG_INFINITY], values, 1);
        return Ok(());
    }
    for (slot, v) in values[0].iter_mut().zip(targets) {
        if !v.is_finite() {
            return Err(not_finite(v));
        }
        *slot = v;
    }
    sink(&[lw], values, 1);
    Ok(())
}

fn not_finite(v: f64) -> Diagnostic {
    Diagnostic::error(
        Code::E006,
        Span::default(),
        format!("the quantity asked for is {v} in some samples"),
    )
    .with_help("check divisions by zero and logarithms of non-positive values in the query")
}

/// One computation of the linear-Gaussian sampler: `constant + Σ coefficient·slot + noise·ε`.
struct LinearOut {
    slot: usize,
    constant: f64,
    terms: Vec<(usize, f64)>,
    /// The coefficient of the shared standard-normal noise (0 for an affine function).
    noise: f64,
    /// Slots of other worlds that share this computation.
    followers: Vec<usize>,
}

/// The computations that share one noise (one variable across counterfactual worlds), and
/// the one that evidence observes, if any: `(output, value, −ln|noise| − ½ln 2π)`.
struct LinearRow {
    outputs: Vec<LinearOut>,
    clamp: Option<(usize, f64, f64)>,
}

/// Likelihood weighting for linear-Gaussian plans, counterfactual worlds included: worlds
/// share each variable's standard-normal noise; evidence on one world fixes it (abduction).
pub struct LinearSampler {
    rows: Vec<LinearRow>,
    indicators: Vec<Ex>,
    targets: Vec<Ex>,
    n_slots: usize,
}

impl LinearSampler {
    fn new(plan: &Plan, model: &Model) -> Option<LinearSampler> {
        let _ = model;
        let n = plan.n_vars;
        let mut alias: Vec<usize> = (0..n * plan.n_worlds).collect();
        let mut rows = Vec::new();
        for step in &plan.steps {
            let mut by_noise: Vec<(usize, LinearRow)> = Vec::new();
            for comp in &step.comps {
                let slot = comp.world * n + step.var;
                let base = comp.world * n;
                let followers: Vec<usize> = comp.copies.iter().map(|w| w * n + step.var).collect();
                let read = |e: &Ex| affine(e, base, &alias);
                let normal = |tree: &DistTree| -> Option<((f64, Vec<(usize, f64)>), f64)> {
                    let DistTree::Leaf(leaf) = tree else {
                        return None;
                    };
                    if leaf.kind != DistKind::Normal {
                        return None;
                    }
                    let sd = leaf.params[1].constant()?;
                    (sd > 0.0 && sd.is_finite()).then_some(())?;
                    Some((read(&leaf.params[0])?, sd))
                };
                let (mean, noise, noise_slot) = match &comp.mech {
                    Mech::Det(e) => (read(e)?, 0.0, None),
                    Mech::Stoch {
                        tree,
                        slot: noise_slot,
                    } => {
                        let (mean, sd) = normal(tree)?;
                        (mean, sd, Some(*noise_slot))
                    }
                    // A shift of a Normal: substitute the natural value into the shift.
                    Mech::Shift { natural, shift } => {
                        let Mech::Stoch {
                            tree,
                            slot: noise_slot,
                        } = &**natural
                        else {
                            return None;
                        };
                        let (mean, sd) = normal(tree)?;
                        let shifted = read(shift)?;
                        let own = shifted
                            .1
                            .iter()
                            .find(|(s, _)| *s == slot)
                            .map_or(0.0, |t| t.1);
                        let mut terms: Vec<(usize, f64)> =
                            shifted.1.into_iter().filter(|(s, _)| *s != slot).collect();
                        for (s, a) in mean.1 {
                            match terms.iter_mut().find(|(t, _)| *t == s) {
                                Some((_, b)) => *b += own * a,
                                None => terms.push((s, own * a)),
                            }
                        }
                        if own == 0.0 {
                            return None;
                        }
                        (
                            (shifted.0 + own * mean.0, terms),
                            own * sd,
                            Some(*noise_slot),
                        )
                    }
                };
                for &f in &followers {
                    alias[f] = slot;
                }
                let out = LinearOut {
                    slot,
                    constant: mean.0,
                    terms: mean.1,
                    noise,
                    followers,
                };
                let key = noise_slot.unwrap_or(usize::MAX - rows.len() - by_noise.len());
                let position = match by_noise.iter().position(|(k, _)| *k == key) {
                    Some(p) => p,
                    None => {
                        by_noise.push((
                            key,
                            LinearRow {
                                outputs: Vec::new(),
                                clamp: None,
                            },
                        ));
                        by_noise.len() - 1
                    }
                };
                let row = &mut by_noise[position].1;
                if let Some(x) = comp.clamp {
                    if noise == 0.0 || row.clamp.is_some() {
                        return None;
                    }
                    let log_norm = -noise.abs().ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
                    row.clamp = Some((row.outputs.len(), x, log_norm));
                }
                row.outputs.push(out);
            }
            rows.extend(by_noise.into_iter().map(|(_, r)| r));
        }
        let group = &plan.groups[0];
        Some(LinearSampler {
            rows,
            indicators: group.indicators.clone(),
            targets: group.targets.iter().map(|t| t.expr.clone()).collect(),
            n_slots: plan.n_vars * plan.n_worlds,
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
        let mut noise = vec![0.0f64; BATCH];
        let mut column = vec![0.0f64; BATCH];
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
                let noisy = row.outputs.iter().any(|o| o.noise != 0.0);
                // The shared noise: abducted from the observed world, or drawn.
                match row.clamp {
                    Some((o, x, log_norm)) => {
                        let out = &row.outputs[o];
                        self.mean(out, &cols, m, &mut noise);
                        let inverse = 1.0 / out.noise;
                        for (w, e) in lw[..m].iter_mut().zip(noise[..m].iter_mut()) {
                            let z = (x - *e) * inverse;
                            *w += log_norm - 0.5 * z * z;
                            *e = z;
                        }
                    }
                    None if noisy => {
                        for e in &mut noise[..m] {
                            *e = StandardNormal.sample(rng);
                        }
                    }
                    None => {}
                }
                for (o, out) in row.outputs.iter().enumerate() {
                    let column = &mut column[..m];
                    self.mean(out, &cols, m, column);
                    if out.noise != 0.0 {
                        for (v, e) in column.iter_mut().zip(&noise[..m]) {
                            *v += out.noise * e;
                        }
                    }
                    if let Some((observed, x, _)) = row.clamp {
                        if observed == o {
                            column.fill(x);
                        }
                    }
                    cols[out.slot * BATCH..out.slot * BATCH + m].copy_from_slice(column);
                    for &f in &out.followers {
                        cols[f * BATCH..f * BATCH + m].copy_from_slice(column);
                    }
                }
            }
            for i in 0..m {
                for &v in &read {
                    scratch[v] = cols[v * BATCH + i];
                }
                let possible = self.indicators.iter().all(|e| e.eval(&scratch, 0) != 0.0);
                let targets = self.targets.iter().map(|e| e.eval(&scratch, 0));
                pass(lw[i], possible, targets, &mut values, sink)?;
            }
            done += m as u64;
        }
        Ok(())
    }

    /// `out`'s mean for each sample of the batch, into `into[..m]`.
    #[inline]
    fn mean(&self, out: &LinearOut, cols: &[f64], m: usize, into: &mut [f64]) {
        let into = &mut into[..m];
        into.fill(out.constant);
        for &(p, a) in &out.terms {
            let col = &cols[p * BATCH..p * BATCH + m];
            for (x, v) in into.iter_mut().zip(col) {
                *x += a * v;
            }
        }
    }
}

/// `e` as `constant + Σ coefficient·slot`, variables read at `base` (their world) and
/// through `alias` (worlds sharing a computation), if it is affine.
fn affine(e: &Ex, base: usize, alias: &[usize]) -> Option<(f64, Vec<(usize, f64)>)> {
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
        Ex::Var(v) => Some((0.0, vec![(*alias.get(base + v)?, 1.0)])),
        Ex::Slot(s) => Some((0.0, vec![(*alias.get(*s)?, 1.0)])),
        Ex::Unary(UnOp::Neg, a) => Some(scale(affine(a, base, alias)?, -1.0)),
        Ex::Binary(op, a, b) => {
            let (a, b) = (affine(a, base, alias)?, affine(b, base, alias)?);
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
