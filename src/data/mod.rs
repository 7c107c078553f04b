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
//! Cells are read as text here; [`infer_type`] types a column with no declared type, and
//! [`Dictionary::code`] turns a cell into a value of a declared type. Every problem is a
//! [`DataError`] naming the file, the line and the column and saying what was expected; the
//! caller turns it into E013.

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

/// Streams the file, counting the joint values of the columns named in `wanted` (those the
/// header has). The header must name at least one of `wanted`, else the file has no header.
pub fn count(path: &Path, file: &str, wanted: &[String]) -> Result<Counts, DataError> {
    let mut reader = open(path, file)?;
    let names = header(&mut reader, file)?;
    let counted: Vec<usize> = (0..names.len())
        .filter(|i| wanted.contains(&names[*i]))
        .collect();
    if counted.is_empty() && !wanted.is_empty() {
        let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
        return Err(DataError::new(format!(
            "`{file}` line 1: no column is named like a variable of the model (the header reads `{}`)",
            shown.join(",")
        ))
        .help("the first row must be a header naming the columns after the model's variables"));
    }
    let columns: Vec<String> = counted.iter().map(|i| names[*i].clone()).collect();
    let mut dictionaries = vec![Dictionary::default(); counted.len()];
    let mut cells: HashMap<Vec<u32>, u64> = HashMap::new();
    let mut key = vec![0u32; counted.len()];
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(file, &e)),
        }
        let line = record.position().map_or(rows + 2, |p| p.line());
        for (k, &i) in counted.iter().enumerate() {
            let cell = text(file, record.get(i).unwrap_or(b""), line, &columns[k])?;
            key[k] = dictionaries[k].code(cell, line);
        }
        match cells.get_mut(key.as_slice()) {
            Some(n) => *n += 1,
            None => {
                cells.insert(key.clone(), 1);
            }
        }
        rows += 1;
    }
    Ok(Counts {
        file: file.to_string(),
        columns,
        dictionaries,
        cells,
        rows,
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
