//! Reading observations: `data "FILE.csv"` (LANGUAGE.md §12, §13).
//!
//! A CSV file with a header row is streamed once (the `csv` crate, one reused record) into
//! **sufficient statistics**, so memory grows with the number of distinct value combinations,
//! never with the number of rows. Today's statistic is [`Counts`]: each counted column's
//! distinct cell texts interned into a [`Dictionary`], and the joint counts of the code
//! tuples — what identification needs to estimate an effect over finite-domain variables.
//! Issue 16's fitting will add further statistics (XᵀX, Xᵀy per mechanism) beside it, fed by
//! the same reader.
//!
//! [`Rows`] is the reader underneath, for statistics of other kinds: it streams the rows of the
//! wanted columns, each cell read on demand as text, a real, an int or a bool, an empty cell or
//! `NA` being a missing value (`None`). Cells are counted as text; [`infer_type`] types a
//! column with no declared type, and [`bind`] turns the counted cells into values of the
//! variables' declared types. Every problem is a
//! [`DataError`] naming the file, the line and the column and saying what was expected; the
//! caller turns it into E013.

pub mod rows;

use crate::check::ColumnType;
use std::collections::HashMap;
use std::path::Path;

/// The code of a missing cell (empty or `NA`).
pub const MISSING: u32 = u32::MAX;

/// More distinct values than this in one counted column stop it being counted: estimation
/// needs finite domains, and a real-valued column would make the joint table as long as the
/// file.
pub const MAX_DISTINCT: usize = 10_000;

/// The help for a data file that cannot be read, when a `data` statement named it.
pub const NOT_FOUND_HELP: &str =
    "the path is relative to the model file; `--data FILE` names another file";

/// A problem with the data: what, and how to fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct DataError {
    pub message: String,
    pub help: Option<String>,
}

impl DataError {
    fn new(message: String) -> DataError {
        DataError {
            message,
            help: None,
        }
    }

    fn help(mut self, help: &str) -> DataError {
        self.help = Some(help.to_string());
        self
    }
}

/// One column's distinct cell texts, in order of first appearance.
#[derive(Clone, Debug, Default)]
pub struct Dictionary {
    /// The distinct non-missing texts (trimmed).
    pub values: Vec<String>,
    /// The file line where each first appeared.
    pub first_line: Vec<u64>,
    /// Whether the column had more than [`MAX_DISTINCT`] distinct values (then not counted).
    pub overflow: bool,
    index: HashMap<String, u32>,
}

impl Dictionary {
    fn code(&mut self, cell: &str, line: u64) -> u32 {
        if cell.is_empty() || cell == "NA" || self.overflow {
            return MISSING;
        }
        if let Some(&c) = self.index.get(cell) {
            return c;
        }
        if self.values.len() >= MAX_DISTINCT {
            self.overflow = true;
            return MISSING;
        }
        let c = self.values.len() as u32;
        self.index.insert(cell.to_string(), c);
        self.values.push(cell.to_string());
        self.first_line.push(line);
        c
    }
}

/// The joint counts of a file's counted columns.
#[derive(Clone, Debug)]
pub struct Counts {
    /// The file as the user named it (for messages).
    pub file: String,
    /// The counted columns' names.
    pub columns: Vec<String>,
    /// Per counted column, its distinct values.
    pub dictionaries: Vec<Dictionary>,
    /// Code tuple (one per counted column, [`MISSING`] for a missing cell) → rows.
    pub cells: HashMap<Vec<u32>, u64>,
    /// Data rows read.
    pub rows: u64,
}

/// Opens `path` as a CSV reader, with the messages for a missing file, a directory, an empty
/// file.
fn open(path: &Path, file: &str) -> Result<csv::Reader<std::fs::File>, DataError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        DataError::new(format!("cannot read the data file `{file}`: {e}")).help(NOT_FOUND_HELP)
    })?;
    if meta.is_dir() {
        return Err(DataError::new(format!(
            "the data file `{file}` is a directory, not a CSV file"
        )));
    }
    if meta.len() == 0 {
        return Err(DataError::new(format!(
            "the data file `{file}` is empty: expected a header row naming the columns"
        )));
    }
    let f = std::fs::File::open(path)
        .map_err(|e| DataError::new(format!("cannot read the data file `{file}`: {e}")))?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(f))
}

fn csv_error(file: &str, e: &csv::Error) -> DataError {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => DataError::new(format!(
            "`{file}` line {}: {len} cells, but the header has {expected_len} columns",
            pos.as_ref().map_or(0, |p| p.line())
        ))
        .help("every row needs one cell per column (an empty cell is a missing value)"),
        _ => DataError::new(format!("cannot read `{file}`: {e}")),
    }
}

fn text<'r>(file: &str, raw: &'r [u8], line: u64, column: &str) -> Result<&'r str, DataError> {
    std::str::from_utf8(raw).map(str::trim).map_err(|_| {
        DataError::new(format!(
            "`{file}` line {line}, column `{column}`: the cell is not UTF-8 text"
        ))
        .help("save the file as UTF-8")
    })
}

fn header(reader: &mut csv::Reader<std::fs::File>, file: &str) -> Result<Vec<String>, DataError> {
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => {}
        Ok(false) => {
            return Err(DataError::new(format!(
                "the data file `{file}` is empty: expected a header row naming the columns"
            )));
        }
        Err(e) => return Err(csv_error(file, &e)),
    }
    let mut names: Vec<String> = Vec::new();
    for (i, raw) in record.iter().enumerate() {
        let name = text(file, raw, 1, &format!("#{}", i + 1))?.to_string();
        if names.contains(&name) {
            return Err(DataError::new(format!(
                "`{file}` line 1: the column `{name}` appears twice in the header"
            ))
            .help("rename or remove one of them"));
        }
        names.push(name);
    }
    Ok(names)
}

/// A CSV file being streamed row by row: its header read, the columns named in `wanted` kept
/// (in file order), one record reused for every row (no allocation per row).
///
/// ```ignore
/// let mut rows = Rows::open(path, "heights.csv", &wanted)?;
/// while let Some(row) = rows.next_row()? {
///     let height: Option<f64> = row.real(0)?; // None: an empty cell or `NA`
/// }
/// ```
pub struct Rows {
    reader: csv::Reader<std::fs::File>,
    record: csv::ByteRecord,
    file: String,
    /// Per kept column, its position in the file.
    picked: Vec<usize>,
    columns: Vec<String>,
    rows: u64,
}

impl Rows {
    /// Opens `path` (`file` is how messages name it) and reads its header row. The header must
    /// name at least one of `wanted` (unless `wanted` is empty), else the file has no header.
    pub fn open(path: &Path, file: &str, wanted: &[String]) -> Result<Rows, DataError> {
        let mut reader = open(path, file)?;
        let names = header(&mut reader, file)?;
        let picked: Vec<usize> = (0..names.len())
            .filter(|i| wanted.contains(&names[*i]))
            .collect();
        if picked.is_empty() && !wanted.is_empty() {
            let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
            return Err(DataError::new(format!(
                "`{file}` line 1: no column is named like a variable of the model (the header reads `{}`)",
                shown.join(",")
            ))
            .help("the first row must be a header naming the columns after the model's variables"));
        }
        Ok(Rows {
            reader,
            record: csv::ByteRecord::new(),
            file: file.to_string(),
            columns: picked.iter().map(|i| names[*i].clone()).collect(),
            picked,
            rows: 0,
        })
    }

    /// The kept columns' names: cell `k` of a row is column `columns()[k]`.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The file as messages name it.
    #[allow(dead_code, reason = "for readers beside `count` (issue 16's fitting)")]
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Data rows read so far (the header not counted).
    pub fn rows_read(&self) -> u64 {
        self.rows
    }

    /// The next data row, or `None` at the end of the file. A row with another number of
    /// cells than the header is an error naming its line.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, DataError> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => return Err(csv_error(&self.file, &e)),
        }
        self.rows += 1;
        let line = self.record.position().map_or(self.rows + 1, |p| p.line());
        Ok(Some(Row { rows: self, line }))
    }
}

/// One data row of a [`Rows`] stream: its cells read on demand, by kept-column index.
pub struct Row<'a> {
    rows: &'a Rows,
    line: u64,
}

// Typed cells are for readers beside `count` (issue 16's fitting); counting reads text.
#[allow(dead_code)]
impl Row<'_> {
    /// The row's line in the file (the header is line 1).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Cell `k` as trimmed text, `None` when missing (empty or `NA`); not UTF-8 is an error.
    pub fn text(&self, k: usize) -> Result<Option<&str>, DataError> {
        let raw = self.rows.record.get(self.rows.picked[k]).unwrap_or(b"");
        let cell = text(&self.rows.file, raw, self.line, &self.rows.columns[k])?;
        Ok((!cell.is_empty() && cell != "NA").then_some(cell))
    }

    /// Cell `k` as a finite real number, `None` when missing.
    pub fn real(&self, k: usize) -> Result<Option<f64>, DataError> {
        self.typed(k, "a number", |cell| {
            cell.parse::<f64>().ok().filter(|x| x.is_finite())
        })
    }

    /// Cell `k` as an integer, `None` when missing.
    pub fn int(&self, k: usize) -> Result<Option<i64>, DataError> {
        self.typed(k, "an integer", |cell| cell.parse::<i64>().ok())
    }

    /// Cell `k` as a bool (`true`/`false`/`1`/`0`, any case), `None` when missing.
    pub fn bool(&self, k: usize) -> Result<Option<bool>, DataError> {
        self.typed(k, "a bool (true, false, 1 or 0)", parse_bool)
    }

    fn typed<T>(
        &self,
        k: usize,
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, DataError> {
        let Some(cell) = self.text(k)? else {
            return Ok(None);
        };
        match parse(cell) {
            Some(value) => Ok(Some(value)),
            None => Err(DataError::new(format!(
                "`{}` line {}, column `{}`: `{cell}` is not {what}",
                self.rows.file, self.line, self.rows.columns[k]
            ))
            .help("an empty cell or NA is a missing value")),
        }
    }
}

/// The joint counts of the last file counted, kept for the next check of the same model against
/// the same file: the REPL checks the whole model again on an entry that redeclares, and a
/// model whose nonparametric variables take their types from the data checks again on every
/// question it is asked. Reading the file each time made each of those as slow as the file is
/// long. The file is counted again as soon as its length or modification time changes, or
/// other columns are wanted.
#[derive(Debug, Default)]
pub struct CountCache {
    last: Option<(FileKey, Counts)>,
}

/// What identifies a file's content for [`CountCache`]: where it is, how long, when modified,
/// and the columns counted.
#[derive(Debug, PartialEq, Eq)]
struct FileKey {
    path: std::path::PathBuf,
    shown: String,
    len: u64,
    modified: std::time::SystemTime,
    wanted: Vec<String>,
}

impl CountCache {
    /// [`count`], or the counts kept from the last call if the file and the wanted columns are
    /// the same. The file's metadata is read before its rows, so a file changed while it is
    /// being counted is counted again next time.
    pub fn count(
        &mut self,
        path: &Path,
        file: &str,
        wanted: &[String],
    ) -> Result<Counts, DataError> {
        let key = std::fs::metadata(path).ok().and_then(|meta| {
            Some(FileKey {
                path: path.to_path_buf(),
                shown: file.to_string(),
                len: meta.len(),
                modified: meta.modified().ok()?,
                wanted: wanted.to_vec(),
            })
        });
        if let (Some(key), Some((last, counts))) = (&key, &self.last) {
            if key == last {
                return Ok(counts.clone());
            }
        }
        self.last = None;
        let counts = count(path, file, wanted)?;
        if let Some(key) = key {
            self.last = Some((key, counts.clone()));
        }
        Ok(counts)
    }
}

/// Streams the file, counting the joint values of the columns named in `wanted` (those the
/// header has). The header must name at least one of `wanted`, else the file has no header.
pub fn count(path: &Path, file: &str, wanted: &[String]) -> Result<Counts, DataError> {
    let mut rows = Rows::open(path, file, wanted)?;
    let columns = rows.columns().to_vec();
    let mut dictionaries = vec![Dictionary::default(); columns.len()];
    let mut cells: HashMap<Vec<u32>, u64> = HashMap::new();
    let mut key = vec![0u32; columns.len()];
    while let Some(row) = rows.next_row()? {
        for (k, code) in key.iter_mut().enumerate() {
            *code = match row.text(k)? {
                Some(cell) => dictionaries[k].code(cell, row.line()),
                None => MISSING,
            };
        }
        match cells.get_mut(key.as_slice()) {
            Some(n) => *n += 1,
            None => {
                cells.insert(key.clone(), 1);
            }
        }
    }
    Ok(Counts {
        file: file.to_string(),
        columns,
        dictionaries,
        cells,
        rows: rows.rows_read(),
    })
}

/// The type of a column that has no declared type: `bool` when every value is `true` or
/// `false` (any case), `int` when every value is an integer, `real` when every value is a
/// number, labels otherwise.
pub fn infer_type(dictionary: &Dictionary) -> ColumnType {
    let values = &dictionary.values;
    if dictionary.overflow {
        return ColumnType::Real;
    }
    if !values.is_empty()
        && values
            .iter()
            .all(|v| v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false"))
    {
        return ColumnType::Bool;
    }
    if !values.is_empty() {
        let ints: Option<Vec<i64>> = values.iter().map(|v| v.parse::<i64>().ok()).collect();
        if let Some(mut ints) = ints {
            ints.sort_unstable();
            ints.dedup();
            return ColumnType::Int(ints);
        }
        if values
            .iter()
            .all(|v| v.parse::<f64>().is_ok_and(f64::is_finite))
        {
            return ColumnType::Real;
        }
    }
    let mut labels = values.clone();
    labels.sort();
    ColumnType::Label(labels)
}

/// A cell's text as a bool: `true`/`false`/`1`/`0`, any case.
pub fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") || text == "1" {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") || text == "0" {
        Some(false)
    } else {
        None
    }
}

/// Counts bound to a checked model: every counted column's values parsed as its variable's
/// type and coded by position in its finite domain.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub counts: Counts,
    /// Per counted column, its variable.
    pub var_of_column: Vec<crate::scm::VarId>,
    /// Per counted column, raw code → domain code; `None` when the variable has no finite
    /// domain (a real) or the column had too many values to count.
    pub domain_code: Vec<Option<Vec<u32>>>,
}

impl Dataset {
    /// The column names (the observed variables).
    pub fn columns(&self) -> &[String] {
        &self.counts.columns
    }
}

/// Parses every distinct cell of every counted column as its variable's type: a bool
/// (`true`/`false`/`1`/`0`, any case), an int, a real or a label of the domain.
pub fn bind(counts: Counts, model: &crate::scm::Model) -> Result<Dataset, DataError> {
    use crate::scm::Type;
    let mut var_of_column = Vec::new();
    let mut domain_code = Vec::new();
    for (k, column) in counts.columns.iter().enumerate() {
        let Some(v) = model.find(column) else {
            return Err(DataError::new(format!(
                "internal: column `{column}` has no variable"
            )));
        };
        let var = &model.vars[v];
        let dictionary = &counts.dictionaries[k];
        var_of_column.push(v);
        let mut codes = Vec::with_capacity(dictionary.values.len());
        for (i, cell) in dictionary.values.iter().enumerate() {
            let line = dictionary.first_line[i];
            let wrong = |what: &str| {
                DataError::new(format!(
                    "`{}` line {line}, column `{column}`: `{cell}` is not {what}",
                    counts.file
                ))
            };
            let value = match var.ty {
                Type::Bool => {
                    match parse_bool(cell) {
                        Some(b) => f64::from(u8::from(b)),
                        None => {
                            return Err(wrong("a bool").help("a bool cell is true, false, 1 or 0 (any case); empty or NA is missing"));
                        }
                    }
                }
                Type::Int => match cell.parse::<i64>() {
                    Ok(i) => i as f64,
                    Err(_) => return Err(wrong("an int")),
                },
                Type::Real => match cell.parse::<f64>() {
                    Ok(x) if x.is_finite() => x,
                    _ => return Err(wrong("a real")),
                },
                Type::Label => match model.labels.iter().position(|l| l == cell) {
                    Some(i) => i as f64,
                    None => {
                        return Err(wrong(&format!("a label of `{column}`")).help(
                            "the label must be one of the variable's declared values, spelled the same",
                        ));
                    }
                },
            };
            match &var.domain {
                Some(domain) if !dictionary.overflow => {
                    match domain.iter().position(|d| *d == value) {
                        Some(c) => codes.push(c as u32),
                        None => {
                            let shown: Vec<String> = domain
                                .iter()
                                .take(8)
                                .map(|d| model.format_value(var.ty, *d))
                                .collect();
                            return Err(wrong(&format!(
                                "a value `{column}` can take ({})",
                                shown.join(", ")
                            )));
                        }
                    }
                }
                _ => {}
            }
        }
        let finite = var.domain.is_some() && !dictionary.overflow;
        domain_code.push(finite.then_some(codes));
    }
    Ok(Dataset {
        counts,
        var_of_column,
        domain_code,
    })
}

#[cfg(test)]
mod tests;
