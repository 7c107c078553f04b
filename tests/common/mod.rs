//! Helpers shared by the integration tests: run a file through the library as the CLI does.

#![allow(dead_code)]

use whatif::{Answer, Diagnostic, MethodChoice, Settings};

/// Compiles and answers every statement; the first error, rendered, on failure.
pub fn run_source(
    name: &str,
    source: &str,
    settings: Settings,
) -> Result<Vec<Answer>, (Vec<Diagnostic>, String)> {
    let program = whatif::compile(source).map_err(|d| {
        let text = whatif::diagnostics::render(name, source, &d);
        (d, text)
    })?;
    let mut answers = Vec::new();
    for i in 0..program.statements.len() {
        match whatif::answer(&program, i, settings) {
            Ok(a) => answers.push(a),
            Err(mut d) => {
                if d.span == Some((0, 0)) {
                    let s = program.statements[i].span;
                    d.span = Some((s.start, s.end));
                }
                let text = whatif::diagnostics::render(name, source, std::slice::from_ref(&d));
                return Err((vec![d], text));
            }
        }
    }
    Ok(answers)
}

/// Settings for tests: a fixed seed.
pub fn settings(samples: u64, method: MethodChoice) -> Settings {
    Settings {
        samples,
        seed: 7,
        method,
    }
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
