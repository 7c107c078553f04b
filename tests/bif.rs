//! `whatif import`: every network in ../shared/data/networks converts to a model that checks,
//! and exact inference on it reproduces an independent implementation's answers
//! (tests/data/bif/expected.tsv, from pyAgrum 3.3.1 by scripts/bif_expectations.py).
//!
//! Tolerance: pyAgrum stores each table entry as float32 (relative error ≤ 2⁻²⁴ ≈ 6e-8); a
//! posterior is a ratio of sums of products of at most 37 entries, so the two answers may
//! differ by up to about 37 · 2 · 6e-8 ≈ 4.4e-6 relative. We allow 1e-5.

use std::path::Path;
use std::process::Command;
use whatif::results::Body;
use whatif::{Method, Model, Options};

/// Where the reference networks are: `../shared/data/networks` beside the repository, or one
/// level further up from a git worktree (`/work/wt/BRANCH` beside `/work/shared`).
const NETWORK_DIRS: [&str; 2] = ["../shared/data/networks", "../../shared/data/networks"];

/// The reference networks' directory. They are part of the test: their absence is a failure,
/// not a skip.
fn networks() -> &'static str {
    NETWORK_DIRS
        .into_iter()
        .find(|dir| Path::new(dir).is_dir())
        .unwrap_or_else(|| {
            panic!("../shared/data/networks is missing: these tests need the bnlearn networks")
        })
}

fn import(network: &str) -> Model {
    let output = Command::new(env!("CARGO_BIN_EXE_whatif"))
        .args(["import", &format!("{}/{network}.bif", networks())])
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{network}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let source = String::from_utf8(output.stdout).expect("utf-8");
    Model::parse_named(network, &source).unwrap_or_else(|e| panic!("{e}"))
}

fn probability(model: &Model, query: &str, options: &Options) -> (f64, f64) {
    let answer = model
        .ask(query, options)
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    match answer.body {
        Body::Probability(p) => (p.value, p.stderr.unwrap_or(f64::NAN)),
        other => panic!("{query}: not a probability: {other:?}"),
    }
}

#[test]
fn imported_networks_answer_exactly_as_pyagrum() {
    networks();
    let expected = std::fs::read_to_string("tests/data/bif/expected.tsv").expect("expectations");
    let mut checked = 0;
    let mut current: Option<(String, Model)> = None;
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [network, query, value] = fields[..] else {
            panic!("bad line: {line}")
        };
        let value: f64 = value.parse().expect("a number");
        if current.as_ref().is_none_or(|(n, _)| n != network) {
            current = Some((network.to_string(), import(network)));
        }
        let model = &current.as_ref().expect("imported").1;
        let (exact, _) = probability(model, query, &Options::new().method(Method::Exact));
        assert!(
            (exact - value).abs() <= 1e-5,
            "{network}: {query} = {exact}, pyAgrum says {value}"
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} expectations");
}

#[test]
fn sampling_agrees_with_exact_on_an_imported_network() {
    networks();
    let model = import("asia");
    let sampled = Options::new().method(Method::Is).samples(400_000).seed(5);
    for query in [
        "P(lung = \"yes\" | xray = \"yes\", dysp = \"yes\")",
        "P(dysp = \"yes\" | do(smoke = \"yes\"))",
        "P(lung[do(smoke = \"no\")] = \"yes\" | lung = \"yes\")",
    ] {
        let (exact, _) = probability(&model, query, &Options::new().method(Method::Exact));
        let (value, stderr) = probability(&model, query, &sampled);
        assert!(
            (value - exact).abs() <= 5.0 * stderr,
            "{query}: sampled {value} ± {stderr}, exact {exact}"
        );
    }
}

#[test]
fn a_malformed_network_is_a_located_error_and_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("whatif-bif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let bad = dir.join("bad.bif");
    std::fs::write(
        &bad,
        "variable a {\n  type discrete [ 2 ] { x, y };\n}\nprobability ( a ) {\n  table 0.5 0.5;\n}\n",
    )
    .expect("written");
    let out = dir.join("bad.scm");
    let output = Command::new(env!("CARGO_BIN_EXE_whatif"))
        .args(["import"])
        .arg(&bad)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("bad.bif:5:13: error[E001]: expected `,` or `;`"),
        "{stderr}"
    );
    assert!(!out.exists(), "a failed import left {}", out.display());
    let _ = std::fs::remove_dir_all(&dir);
}
