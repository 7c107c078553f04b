//! The bad-input catalogue: every file in tests/data/err names the code it must fail with
//! (`# code: E00N`) and its rendered diagnostic is an insta snapshot; every file in
//! tests/data/ok checks cleanly.

mod common;

use common::*;
use whatif::{Method, Model};

/// Checks one catalogue file: it fails with its code, and its diagnostic matches the snapshot.
fn check_bad_input(path: &std::path::Path) -> Result<String, String> {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let code = annotations(&source, "code")
        .first()
        .map(|(_, c)| c.clone())
        .ok_or_else(|| format!("{name}: no `# code:` header"))?;
    let method = match annotations(&source, "method")
        .first()
        .map(|(_, m)| m.clone())
        .as_deref()
    {
        Some("exact") => Method::Exact,
        Some("smc") => Method::Smc,
        _ => Method::Auto,
    };
    let result = std::panic::catch_unwind(|| run_source(&name, &source, &options(2_000, method)))
        .map_err(|_| format!("{name} panicked"))?;
    let Err(error) = result else {
        return Err(format!("{name} was accepted; expected {code}"));
    };
    let text = error.to_string();
    let codes: Vec<String> = error
        .diagnostics()
        .iter()
        .filter_map(|d| d.code.map(|c| c.to_string()))
        .collect();
    if !codes.contains(&code) {
        return Err(format!("{name}: expected {code}, got {codes:?}:\n{text}"));
    }
    let snapshot = name.trim_end_matches(".scm").to_string();
    std::panic::catch_unwind(|| insta::assert_snapshot!(snapshot, text))
        .map_err(|_| format!("{name}: the diagnostic differs from its snapshot (see above)"))?;
    Ok(code)
}

/// Every file is checked and every failure reported, so one failure does not hide the rest.
#[test]
fn every_bad_input_fails_with_its_code_and_diagnostic() {
    let files = scm_files("tests/data/err");
    assert!(files.len() >= 60, "the catalogue has {} files", files.len());
    let mut codes_seen = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for path in &files {
        match check_bad_input(path) {
            Ok(code) => {
                codes_seen.insert(code);
            }
            Err(failure) => failures.push(failure),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    for code in [
        "E001", "E002", "E003", "E004", "E005", "E006", "E007", "E008", "E009", "E010", "E011",
        "E012", "E013", "E014",
    ] {
        assert!(codes_seen.contains(code), "no bad input triggers {code}");
    }
}

#[test]
fn every_good_input_checks() {
    for path in scm_files("tests/data/ok")
        .into_iter()
        .chain(scm_files("examples"))
    {
        if let Err(error) = Model::from_file(&path) {
            panic!("{error}");
        }
    }
}

#[test]
fn independent_errors_are_all_reported() {
    let source = "x ~ Normall(0, 1)\ny := undefined + 1\nz ~ Bernoulli(\"no\")\n";
    let error = Model::parse(source).unwrap_err();
    let codes: Vec<_> = error
        .diagnostics()
        .iter()
        .filter_map(|d| d.code.map(|c| c.to_string()))
        .collect();
    assert_eq!(codes, ["E002", "E002", "E005"]);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let source = format!("x := {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
    let error = Model::parse(&source).unwrap_err();
    assert!(
        error.diagnostics()[0].message.contains("nesting too deep"),
        "{error}"
    );
    let source = format!("x := {}1\n", "- ".repeat(10_000));
    assert!(
        Model::parse(&source).unwrap_err().diagnostics()[0]
            .message
            .contains("nesting too deep")
    );
}
