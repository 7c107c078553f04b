//! The command line's contract: `check` and `graph` outputs, exit codes, whole documents on stdout.

mod common;
use common::whatif;

#[test]
fn check_summarises_a_model() {
    let (code, out, _) = whatif(&["check", "examples/sprinkler.scm"]);
    assert_eq!(code, Some(0));
    assert_eq!(out, "ok: 4 variables, 4 queries, 0 decisions, 0 bandits\n");
    let (_, out, _) = whatif(&["check", "examples/greedy_casino.scm"]);
    assert_eq!(out, "ok: 4 variables, 2 queries, 0 decisions, 1 bandit\n");
}

#[test]
fn graph_draws_kinds_of_variables_differently() {
    let (code, out, _) = whatif(&["graph", "examples/greedy_casino.scm"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("digraph whatif {"), "{out}");
    assert!(
        out.contains("\"drunk\" [shape=ellipse, style=dashed]"),
        "exogenous: {out}"
    );
    assert!(
        out.contains("\"arm\" [shape=ellipse, peripheries=2]"),
        "deterministic: {out}"
    );
    assert!(out.contains("\"drunk\" -> \"arm\""), "{out}");
}

#[test]
fn errors_exit_1_misuse_exits_2_and_nothing_reaches_stdout() {
    // A model that does not check answers nothing.
    let (code, out, err) = whatif(&["run", "tests/data/err/cycle_two.scm"]);
    assert_eq!(code, Some(1));
    assert!(out.is_empty(), "half-written output: {out}");
    assert!(err.contains("error[E004]"), "{err}");
    // A statement failing at run time reports its error; the document is still whole.
    let (code, out, err) = whatif(&["run", "tests/data/err/impossible_evidence.scm"]);
    assert_eq!(code, Some(1));
    assert!(out.contains("error[E007]"), "{out}");
    assert!(err.contains("error[E007]"), "{err}");
    let (code, _, err) = whatif(&["run", "no/such/file.scm"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot read"), "{err}");
    let (code, _, _) = whatif(&["run", "examples/sprinkler.scm", "--samples", "0"]);
    assert_eq!(code, Some(2));
    let (code, _, _) = whatif(&["frobnicate"]);
    assert_eq!(code, Some(2));
}
