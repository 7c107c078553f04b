//! Helpers shared by the integration tests: run a file through the library as the CLI does,
//! or run the command line itself.

#![allow(dead_code)]

use whatif::{Answer, Error, Method, Model, Options};

/// Compiles and answers every statement, as the command line does; the first statement's
/// error, if any, is the result.
pub fn run_source(name: &str, source: &str, options: &Options) -> Result<Vec<Answer>, Error> {
    run_all(&Model::parse_named(name, source)?, options)
}

/// Every statement's answer, or the first statement's error.
pub fn run_all(model: &Model, options: &Options) -> Result<Vec<Answer>, Error> {
    model.run(options).into_iter().collect()
}

/// Options for tests: a fixed seed.
pub fn options(samples: u64, method: Method) -> Options {
    Options::new().samples(samples).seed(7).method(method)
}

/// Values written after `# key:` on the line of each statement, by line number.
pub fn annotations(source: &str, key: &str) -> Vec<(usize, String)> {
    let marker = format!("# {key}:");
    source
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            line.find(&marker)
                .map(|at| (i + 1, line[at + marker.len()..].trim().to_string()))
        })
        .collect()
}

/// The `.scm` files of a directory, sorted.
pub fn scm_files(dir: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "scm"))
        .collect();
    files.sort();
    files
}

/// Runs the `whatif` binary with `args`: its exit code, standard output and standard error.
pub fn whatif(args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_whatif"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
