//! Typed rows for fitting (LANGUAGE.md §12): the CSV file streamed record by record, each cell
//! parsed as its variable's type ([`crate::fit::rows::parse_cell`]), handed to the fitting
//! stage a batch of blocks at a time (parsed in parallel, [`crate::fit::rows`]). Scanning again
//! re-reads the file, so memory holds one batch of records whatever the file's length.

use super::{DataError, csv_error, header, open, text};
use crate::fit::FitError;
use crate::fit::rows::{BLOCK_ROWS, Block, Rows, batch_blocks, parse_cell};
use crate::scm::{Model, VarId};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A CSV file bound to a model's variables by its header.
pub struct CsvRows<'m> {
    path: PathBuf,
    /// The file as the user named it (for messages).
    file: String,
    model: &'m Model,
    /// Per CSV column: its variable, if one is named so.
    columns: Vec<Option<VarId>>,
    names: Vec<String>,
    observed: Vec<bool>,
}

fn from_data(e: DataError) -> FitError {
    FitError {
        message: e.message,
        help: e.help,
        span: None,
    }
}

impl<'m> CsvRows<'m> {
    /// Opens `path` and reads its header: a missing file, a directory, an empty file, a header
    /// with no column named like a variable, or a column named twice is an error.
    pub fn open(path: &Path, file: &str, model: &'m Model) -> Result<CsvRows<'m>, FitError> {
        let mut reader = open(path, file).map_err(from_data)?;
        let names = header(&mut reader, file).map_err(from_data)?;
        let columns: Vec<Option<VarId>> = names.iter().map(|n| model.find(n)).collect();
        if columns.iter().all(Option::is_none) {
            let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
            return Err(FitError::new(format!(
                "`{file}` line 1: no column is named like a variable of the model (the header reads `{}`)",
                shown.join(",")
            ))
            .with_help("the first row must be a header naming the columns after the model's variables"));
        }
        let mut observed = vec![false; model.vars.len()];
        for v in columns.iter().flatten() {
            observed[*v] = true;
        }
        Ok(CsvRows {
            path: path.to_path_buf(),
            file: file.to_string(),
            model,
            columns,
            names,
            observed,
        })
    }
}

/// Bytes of the data file read so far and its size, for a progress bar (the command line
/// draws one on a terminal while a large file is read).
static READ: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// `(bytes read, bytes in the file)` of the data file being read, `(0, 0)` when none is.
/// (Only the command line draws the bar.)
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub fn read_progress() -> (u64, u64) {
    (READ[0].load(Relaxed), READ[1].load(Relaxed))
}

/// A block of CSV records, parsed on the thread that counts it.
struct CsvBlock<'r, 'm> {
    source: &'r CsvRows<'m>,
    /// Reused from batch to batch: only the first `len` hold this block's records.
    records: Vec<csv::ByteRecord>,
    len: usize,
}

impl Block for CsvBlock<'_, '_> {
    fn len(&self) -> usize {
        self.len
    }

    fn rows(&self, visit: &mut dyn FnMut(&[f64])) -> Result<(), FitError> {
        let source = self.source;
        let file = source.file.as_str();
        let mut row = vec![f64::NAN; source.model.vars.len()];
        for record in &self.records[..self.len] {
            let line = record.position().map_or(0, |p| p.line());
            for (i, column) in source.columns.iter().enumerate() {
                let Some(v) = column else { continue };
                let name = &source.names[i];
                let cell =
                    text(file, record.get(i).unwrap_or(b""), line, name).map_err(from_data)?;
                row[*v] = parse_cell(source.model, *v, cell).map_err(|expected| {
                    FitError::new(format!(
                        "`{file}` line {line}, column `{name}`: `{cell}` is not {expected}"
                    ))
                    .with_help("an empty cell or NA is a missing value")
                })?;
            }
            visit(&row);
        }
        Ok(())
    }
}

impl Rows for CsvRows<'_> {
    fn observed(&self) -> &[bool] {
        &self.observed
    }

    fn blocks(
        &self,
        batch: &mut (dyn FnMut(&[&dyn Block]) -> Result<(), FitError> + Send),
    ) -> Result<u64, FitError> {
        let file = self.file.as_str();
        let mut reader = open(&self.path, file).map_err(from_data)?;
        header(&mut reader, file).map_err(from_data)?;
        let size = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        READ[1].store(size, Relaxed);
        READ[0].store(0, Relaxed);
        let outcome = self.read_and_count(&mut reader, batch);
        READ[0].store(0, Relaxed);
        READ[1].store(0, Relaxed);
        outcome
    }
}

/// How filling a batch ended.
struct Filled {
    /// The file ended.
    end: bool,
    /// A record could not be read (after the rows before it).
    failed: Option<FitError>,
}

impl<'m> CsvRows<'m> {
    /// Empty blocks for one batch.
    fn empty_batch(&self) -> Vec<CsvBlock<'_, 'm>> {
        (0..batch_blocks())
            .map(|_| CsvBlock {
                source: self,
                records: Vec::new(),
                len: 0,
            })
            .collect()
    }

    /// Reads the records, a batch at a time, counting each batch (`batch`) while the next is
    /// read; returns the number of rows.
    fn read_and_count(
        &self,
        reader: &mut csv::Reader<std::fs::File>,
        batch: &mut (dyn FnMut(&[&dyn Block]) -> Result<(), FitError> + Send),
    ) -> Result<u64, FitError> {
        let file = self.file.as_str();
        let (mut front, mut back) = (self.empty_batch(), self.empty_batch());
        let mut filled = fill(reader, &mut front, file);
        let mut rows = 0u64;
        loop {
            let blocks: Vec<&dyn Block> = front
                .iter()
                .filter(|b| b.len > 0)
                .map(|b| b as &dyn Block)
                .collect();
            rows += blocks.iter().map(|b| b.len() as u64).sum::<u64>();
            let more = !filled.end && filled.failed.is_none();
            let count = |batch: &mut (dyn FnMut(&[&dyn Block]) -> Result<(), FitError> + Send)| {
                if blocks.is_empty() {
                    Ok(())
                } else {
                    batch(&blocks)
                }
            };
            let (counted, next) = if more {
                let (counted, next) =
                    rayon::join(|| count(&mut *batch), || fill(reader, &mut back, file));
                (counted, Some(next))
            } else {
                (count(&mut *batch), None)
            };
            // A bad cell in this batch comes before anything wrong in the next.
            counted?;
            READ[0].store(reader.position().byte(), Relaxed);
            if let Some(e) = filled.failed {
                return Err(e);
            }
            match next {
                None => return Ok(rows),
                Some(next) => {
                    filled = next;
                    drop(blocks);
                    std::mem::swap(&mut front, &mut back);
                }
            }
        }
    }
}

/// Reads records into `blocks` until they are full, the file ends, or a record cannot be read.
fn fill(reader: &mut csv::Reader<std::fs::File>, blocks: &mut [CsvBlock], file: &str) -> Filled {
    for block in blocks.iter_mut() {
        block.len = 0;
    }
    for block in blocks.iter_mut() {
        while block.len < BLOCK_ROWS {
            if block.records.len() == block.len {
                block.records.push(csv::ByteRecord::new());
            }
            match reader.read_byte_record(&mut block.records[block.len]) {
                Ok(true) => block.len += 1,
                Ok(false) => {
                    return Filled {
                        end: true,
                        failed: None,
                    };
                }
                Err(e) => {
                    return Filled {
                        end: false,
                        failed: Some(from_data(csv_error(file, &e))),
                    };
                }
            }
        }
    }
    Filled {
        end: false,
        failed: None,
    }
}
