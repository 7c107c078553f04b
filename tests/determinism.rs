//! One seed fixes every number at any thread count: every example, run by the real binary
//! with `--threads 1` and `--threads 2`, prints byte-for-byte the same JSON, and the same text
//! once the wall-clock times (the only numbers not fixed by the seed) are masked.

mod common;

use common::*;
use std::process::Command;

fn run(path: &std::path::Path, threads: &str, json: bool) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_whatif"));
    command.args([
        "run",
        "--samples",
        "40000",
        "--seed",
        "11",
        "--method",
        "is",
    ]);
    command.args(["--threads", threads]);
    if json {
        command.arg("--json");
    }
    let output = command.arg(path).output().expect("the binary runs");
    assert!(
        output.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Replaces each `, N ms)` timing by `, _ ms)`, and a line's closing ` in N s` (the time
/// `fitted ... from ... rows in N s` reports) by ` in _ s`.
fn mask_times(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if let Some(at) = line.rfind(" in ")
            && let Some(seconds) = line[at + 4..].strip_suffix(" s")
            && seconds.parse::<f64>().is_ok()
        {
            out.push_str(&line[..at]);
            out.push_str(" in _ s\n");
            continue;
        }
        match line.rfind(" ms)") {
            Some(end) => {
                let start = line[..end].rfind(", ").map_or(0, |i| i + 2);
                out.push_str(&line[..start]);
                out.push_str("_ ms)");
                out.push_str(&line[end + 4..]);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[test]
fn every_example_prints_the_same_on_one_and_two_threads() {
    for path in scm_files("examples") {
        assert_eq!(
            run(&path, "1", true),
            run(&path, "2", true),
            "{}: JSON differs between thread counts",
            path.display()
        );
        assert_eq!(
            mask_times(&run(&path, "1", false)),
            mask_times(&run(&path, "2", false)),
            "{}: text differs between thread counts",
            path.display()
        );
    }
}

#[test]
fn a_different_seed_gives_different_samples() {
    let model = whatif::Model::parse("x ~ Normal(0, 1)\nquery E[x]\n").unwrap();
    let answers = |options: &whatif::Options| -> Vec<whatif::Answer> {
        let results = model.run(options).into_iter();
        results
            .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
            .collect()
    };
    let a = answers(&options(10_000, whatif::Method::Is));
    let b = answers(&options(10_000, whatif::Method::Is).seed(8));
    assert_ne!(a, b);
}
