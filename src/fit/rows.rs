//! Rows for fitting: each row a slice of values indexed by variable (the model's encoding —
//! bools 0/1, ints, reals, labels as interned indices), NaN where the cell is missing or the
//! variable has no column. A [`Rows`] source can be scanned more than once; the CSV source
//! re-reads its file, so memory never holds the rows.
//!
//! Rows travel in blocks of [`BLOCK_ROWS`]: a source reads a batch of blocks (a few per
//! thread; the CSV source reads the next batch while this one is counted), [`fold`] parses and counts each block on its own thread, then adds the blocks'
//! statistics in file order. Block boundaries do not depend on the threads, so neither do the
//! sums; the first error in file order is the one reported.

use super::FitError;
use crate::scm::{Model, Type, VarId};
use rayon::prelude::*;

/// Rows per block: a block's records stay in a core's cache while they are parsed.
pub const BLOCK_ROWS: usize = 2048;

/// Blocks per batch, per thread: enough to keep every thread busy while memory holds a
/// bounded number of rows.
pub const BLOCKS_PER_THREAD: usize = 2;

/// Consecutive rows, read but perhaps not yet parsed: parsing happens on the thread that
/// counts the block.
pub trait Block: Sync {
    /// How many rows the block holds.
    fn len(&self) -> usize;
    /// Calls `visit` on every row of the block, in order; stops at the first error.
    fn rows(&self, visit: &mut dyn FnMut(&[f64])) -> Result<(), FitError>;
}

/// A source of rows that can be scanned repeatedly.
pub trait Rows: Sync {
    /// Per variable, whether the data has a column for it.
    fn observed(&self) -> &[bool];
    /// Hands every row to `batch` in order, as batches of blocks (each block [`BLOCK_ROWS`]
    /// rows but perhaps the last); returns how many rows there were.
    fn blocks(
        &self,
        batch: &mut (dyn FnMut(&[&dyn Block]) -> Result<(), FitError> + Send),
    ) -> Result<u64, FitError>;
}

/// How many blocks a batch holds.
pub fn batch_blocks() -> usize {
    rayon::current_num_threads().max(1) * BLOCKS_PER_THREAD
}

/// Folds every row of `rows` into a state: each block into a `fresh()` state (blocks in
/// parallel), `add(state, index, row)` per row with the row's index in the file, then every
/// block's state into `merge`, in file order. Returns the number of rows.
pub fn fold<S: Send>(
    rows: &dyn Rows,
    fresh: &(dyn Fn() -> S + Sync),
    add: &(dyn Fn(&mut S, u64, &[f64]) + Sync),
    merge: &mut (dyn FnMut(S) + Send),
) -> Result<u64, FitError> {
    let mut seen = 0u64;
    rows.blocks(&mut |batch| {
        let mut first = Vec::with_capacity(batch.len());
        for block in batch {
            first.push(seen);
            seen += block.len() as u64;
        }
        let states: Vec<Result<S, FitError>> = batch
            .par_iter()
            .zip(first.par_iter())
            .map(|(block, first)| {
                let mut state = fresh();
                let mut index = *first;
                block.rows(&mut |row| {
                    add(&mut state, index, row);
                    index += 1;
                })?;
                Ok(state)
            })
            .collect();
        for state in states {
            merge(state?);
        }
        Ok(())
    })
}

/// A cell's text as a value of `var`'s type: NaN for a missing cell (empty or `NA`), else the
/// value, or what was expected.
pub fn parse_cell(model: &Model, var: VarId, text: &str) -> Result<f64, String> {
    let text = text.trim();
    if text.is_empty() || text == "NA" {
        return Ok(f64::NAN);
    }
    let v = &model.vars[var];
    let value = match v.ty {
        Type::Bool => {
            if text.eq_ignore_ascii_case("true") || text == "1" {
                1.0
            } else if text.eq_ignore_ascii_case("false") || text == "0" {
                0.0
            } else {
                return Err("a bool (true, false, 1 or 0)".to_string());
            }
        }
        Type::Int => match text.parse::<i64>() {
            Ok(i) if i.unsigned_abs() < 1 << 53 => i as f64,
            _ => return Err("an int".to_string()),
        },
        Type::Real => match text.parse::<f64>() {
            Ok(x) if x.is_finite() => x,
            _ => return Err("a real".to_string()),
        },
        Type::Label => match model.label(text) {
            Some(i) => i as f64,
            None => {
                return Err(format!(
                    "a label of `{}`{}",
                    v.name,
                    domain_text(model, var)
                ));
            }
        },
    };
    if let Some(domain) = &v.domain
        && !domain.contains(&value)
    {
        return Err(format!(
            "a value `{}` can take{}",
            v.name,
            domain_text(model, var)
        ));
    }
    Ok(value)
}

/// ` (a, b, c)`: the first few values of a finite domain, for messages.
fn domain_text(model: &Model, var: VarId) -> String {
    let v = &model.vars[var];
    match &v.domain {
        Some(domain) => {
            let mut shown: Vec<String> = domain
                .iter()
                .take(8)
                .map(|x| model.format_value(v.ty, *x))
                .collect();
            if domain.len() > 8 {
                shown.push("…".to_string());
            }
            format!(" ({})", shown.join(", "))
        }
        None => String::new(),
    }
}

/// Rows held in memory, parsed from text columns: tests, and the library's
/// `Data::from_columns`.
pub struct Table {
    observed: Vec<bool>,
    width: usize,
    values: Vec<f64>,
}

impl Table {
    /// Parses named text columns against `model`: columns not named like a variable are
    /// ignored; every column must have the same length.
    pub fn from_text(model: &Model, columns: &[(String, Vec<String>)]) -> Result<Table, FitError> {
        let width = model.vars.len();
        let mut observed = vec![false; width];
        let rows = columns.first().map_or(0, |c| c.1.len());
        let mut values = vec![f64::NAN; width * rows];
        for (name, cells) in columns {
            if cells.len() != rows {
                return Err(FitError::new(format!(
                    "column `{name}` has {} values, but the first column has {rows}",
                    cells.len()
                )));
            }
            let Some(v) = model.find(name) else { continue };
            if std::mem::replace(&mut observed[v], true) {
                return Err(FitError::new(format!("the column `{name}` appears twice")));
            }
            for (r, cell) in cells.iter().enumerate() {
                values[r * width + v] = parse_cell(model, v, cell).map_err(|expected| {
                    FitError::new(format!(
                        "row {}, column `{name}`: `{cell}` is not {expected}",
                        r + 1
                    ))
                })?;
            }
        }
        Ok(Table {
            observed,
            width,
            values,
        })
    }
}

/// A block of a [`Table`]: rows already parsed.
struct TableBlock<'t> {
    width: usize,
    values: &'t [f64],
}

impl Block for TableBlock<'_> {
    fn len(&self) -> usize {
        self.values.len() / self.width
    }

    fn rows(&self, visit: &mut dyn FnMut(&[f64])) -> Result<(), FitError> {
        self.values.chunks(self.width).for_each(visit);
        Ok(())
    }
}

impl Rows for Table {
    fn observed(&self) -> &[bool] {
        &self.observed
    }

    fn blocks(
        &self,
        batch: &mut (dyn FnMut(&[&dyn Block]) -> Result<(), FitError> + Send),
    ) -> Result<u64, FitError> {
        if self.width == 0 {
            return Ok(0);
        }
        let blocks: Vec<TableBlock> = self
            .values
            .chunks(self.width * BLOCK_ROWS)
            .map(|values| TableBlock {
                width: self.width,
                values,
            })
            .collect();
        for chunk in blocks.chunks(batch_blocks()) {
            let refs: Vec<&dyn Block> = chunk.iter().map(|b| b as &dyn Block).collect();
            batch(&refs)?;
        }
        Ok((self.values.len() / self.width) as u64)
    }
}
