//! The streaming reader: typed cells, missing values, errors that name line and column, and
//! the counts built on it.

use super::*;

/// A CSV written to a file of its own under the system's temporary directory.
fn csv_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("whatif-data-{}-{name}.csv", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

fn wanted(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn rows_stream_typed_cells_and_missing_values() {
    let path = csv_file(
        "typed",
        "id,height,smoker,note,children\n1, 1.75 ,true,a,2\n2,NA,0,,\n3,,FALSE,c,0\n",
    );
    let mut rows = Rows::open(
        &path,
        "typed.csv",
        &wanted(&["height", "smoker", "children"]),
    )
    .unwrap();
    assert_eq!(rows.columns(), ["height", "smoker", "children"]);
    let mut seen = Vec::new();
    while let Some(row) = rows.next_row().unwrap() {
        seen.push((
            row.line(),
            row.real(0).unwrap(),
            row.bool(1).unwrap(),
            row.int(2).unwrap(),
        ));
    }
    assert_eq!(
        seen,
        [
            (2, Some(1.75), Some(true), Some(2)),
            (3, None, Some(false), None),
            (4, None, Some(false), Some(0)),
        ]
    );
    assert_eq!(rows.rows_read(), 3);
}

#[test]
fn a_cell_of_the_wrong_type_names_its_line_and_column() {
    let path = csv_file("wrong", "x,y\n1,2\n3,tall\n");
    let mut rows = Rows::open(&path, "wrong.csv", &wanted(&["x", "y"])).unwrap();
    let first = rows.next_row().unwrap().unwrap();
    assert_eq!(first.real(1).unwrap(), Some(2.0));
    let second = rows.next_row().unwrap().unwrap();
    let error = second.real(1).unwrap_err();
    assert_eq!(
        error.message,
        "`wrong.csv` line 3, column `y`: `tall` is not a number"
    );
    // A ragged row is an error too, at the row.
    let path = csv_file("ragged", "x,y\n1,2\n3\n");
    let mut rows = Rows::open(&path, "ragged.csv", &wanted(&["x"])).unwrap();
    assert!(rows.next_row().is_ok());
    let Err(error) = rows.next_row() else {
        panic!("a ragged row was read")
    };
    assert!(error.message.contains("line 3"), "{}", error.message);
}

#[test]
fn counts_are_the_joint_counts_of_the_streamed_rows() {
    let path = csv_file("counts", "a,b,c\nx,1,9\ny,1,9\nx,1,8\nx,,7\n");
    let counts = count(&path, "counts.csv", &wanted(&["a", "b"])).unwrap();
    assert_eq!(counts.columns, ["a", "b"]);
    assert_eq!(counts.rows, 4);
    assert_eq!(counts.dictionaries[0].values, ["x", "y"]);
    assert_eq!(counts.cells[&vec![0, 0]], 2);
    assert_eq!(counts.cells[&vec![1, 0]], 1);
    assert_eq!(counts.cells[&vec![0, MISSING]], 1);
}

#[test]
fn the_count_cache_reads_a_file_again_only_when_it_changes() {
    let path = csv_file("cached", "a\nx\ny\nx\n");
    let mut cache = CountCache::default();
    let first = cache.count(&path, "cached.csv", &wanted(&["a"])).unwrap();
    assert_eq!(first.rows, 3);
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    // New content of the same length, the modification time put back: the key cannot tell,
    // so the kept counts come back — the file was not read again.
    std::fs::write(&path, "a\ny\ny\ny\n").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let kept = cache.count(&path, "cached.csv", &wanted(&["a"])).unwrap();
    assert_eq!(kept.cells, first.cells);
    // Other columns wanted: counted again, from the new content.
    let recounted = cache
        .count(&path, "cached.csv", &wanted(&["a", "b"]))
        .unwrap();
    assert_eq!(recounted.dictionaries[0].values, ["y"]);
    // A longer file: counted again.
    std::fs::write(&path, "a\nx\nx\nx\nx\n").unwrap();
    let grown = cache.count(&path, "cached.csv", &wanted(&["a"])).unwrap();
    assert_eq!(grown.rows, 4);
    assert_eq!(grown.dictionaries[0].values, ["x"]);
    // A file that is gone is an error, not the kept counts.
    std::fs::remove_file(&path).unwrap();
    assert!(cache.count(&path, "cached.csv", &wanted(&["a"])).is_err());
}
