//! The table sampler: likelihood weighting over conditional tables (every needed variable
//! with a finite domain), counterfactual worlds as joint columns, counting per cell where the
//! weight and targets depend on few cells.

use super::{BATCH, not_finite, pass};
use crate::ast::Span;
use crate::diagnostics::Diagnostic;
use crate::infer::engine::Reason;
use crate::infer::exact::{self, Tables};
use crate::query::Plan;
use crate::scm::Model;
use crate::scm::dist::open01;
use rand::rngs::SmallRng;

/// Largest table (entries) the compiled sampler builds for one variable.
const TABLE_CAP: u64 = 1 << 20;

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
    /// The tables of a one-group plan, sized with checked arithmetic, or why there are none.
    pub(super) fn build(plan: &Plan, model: &Model) -> Result<TableSampler, Reason> {
        let t = exact::tables(plan, model, TABLE_CAP, Span::default()).map_err(Reason::Engine)?;
        check_table_sizes(&t)?;
        Ok(TableSampler::new(t))
    }

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

    pub(super) fn run(
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
