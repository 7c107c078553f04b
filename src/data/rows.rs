//! Typed rows for fitting (LANGUAGE.md §12): the CSV file streamed record by record, each cell
//! parsed as its variable's type ([`crate::fit::rows::parse_cell`]), handed to the fitting
//! stage one row at a time. Scanning again re-reads the file, so memory holds one record.

use super::{DataError, csv_error, header, open, text};
use crate::fit::FitError;
use crate::fit::rows::{Rows, parse_cell};
use crate::scm::{Model, VarId};
use std::path::{Path, PathBuf};

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

impl Rows for CsvRows<'_> {
    fn observed(&self) -> &[bool] {
        &self.observed
    }

    fn scan(&self, visit: &mut dyn FnMut(&[f64]) -> Result<(), FitError>) -> Result<u64, FitError> {
        let file = self.file.as_str();
        let mut reader = open(&self.path, file).map_err(from_data)?;
        header(&mut reader, file).map_err(from_data)?;
        let mut record = csv::ByteRecord::new();
        let mut row = vec![f64::NAN; self.model.vars.len()];
        let mut rows = 0u64;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(from_data(csv_error(file, &e))),
            }
            let line = record.position().map_or(rows + 2, |p| p.line());
            for (i, column) in self.columns.iter().enumerate() {
                let Some(v) = column else { continue };
                let name = &self.names[i];
                let cell =
                    text(file, record.get(i).unwrap_or(b""), line, name).map_err(from_data)?;
                row[*v] = parse_cell(self.model, *v, cell).map_err(|expected| {
                    FitError::new(format!(
                        "`{file}` line {line}, column `{name}`: `{cell}` is not {expected}"
                    ))
                    .with_help("an empty cell or NA is a missing value")
                })?;
            }
            visit(&row)?;
            rows += 1;
        }
        Ok(rows)
    }
}
