//! The session's incremental checking: what an entry costs, and that the model it grows is
//! the model the declarations check to as a whole.

use super::{Reply, Session};
use crate::facade::{Method, Model, Options};

fn output(session: &mut Session, line: &str) -> String {
    match session.feed(line) {
        Reply::Output(text) => text,
        other => panic!("`{line}` gave {other:?}"),
    }
}

/// A chain `x0 -> x1 -> ...` of `n` Normal variables, with a question every 100 declarations.
fn chain_entries(n: usize) -> Vec<String> {
    let mut entries = vec!["x0 ~ Normal(0, 1)".to_string()];
    for i in 1..n {
        entries.push(format!("x{i} ~ Normal(0.5 * x{} + 1, 1)", i - 1));
        if i % 100 == 0 {
            entries.push(format!("P(x{i} > 1 | x0 = 1)"));
        }
    }
    entries
}

#[test]
fn an_entry_costs_work_in_proportion_to_the_entry() {
    let mut session = Session::new();
    output(&mut session, ":method exact");
    let entries = chain_entries(2_000);
    let typed: usize = entries.iter().map(String::len).sum();
    for entry in &entries {
        let out = output(&mut session, entry);
        assert!(!out.contains("error"), "{entry}: {out}");
    }
    // Each entry is parsed and checked alone (twice parsed: once to see what it declares):
    // the work is a small multiple of what was typed, where checking the whole model for
    // every entry parsed about n²/2 lines (2,000 entries: about 60 MB of text).
    let work = session.work;
    assert_eq!(work.whole_checks, 0);
    assert!(
        work.bytes_checked <= 3 * typed,
        "{} bytes checked for {typed} typed",
        work.bytes_checked
    );
    // A redeclaration changes what every descendant reads: the whole model is checked, with
    // the entry and then in its kept order.
    let out = output(&mut session, "x1 ~ Normal(x0, 2)");
    assert!(out.contains("replaced `x1`"), "{out}");
    assert_eq!(session.work.whole_checks, work.whole_checks + 2);
    // The next new declaration extends again.
    output(&mut session, "y := x1999 + 1");
    assert_eq!(session.work.whole_checks, work.whole_checks + 2);
}

#[test]
fn an_extended_model_is_the_model_its_declarations_check_to() {
    let mut session = Session::new();
    output(&mut session, ":method exact");
    let entries = [
        "w ~ Categorical(\"b\": 0.3, \"a\": 0.7)",
        "let k = 2",
        "decision d in {1, 2, 3}",
        "x ~ Binomial(k, 0.5)",
        "y := if w == \"a\" then x + d else x",
        // Fails, and interns a label the model must not keep: `zz` comes first below.
        "P(w = \"zz\")",
        "v ~ Categorical(\"zz\": 0.5, \"a\": 0.5)",
        "exogenous u ~ Bernoulli(0.4)",
        "z := u and v == \"a\"",
    ];
    for entry in entries {
        let out = output(&mut session, entry);
        assert_eq!(
            out.contains("error"),
            entry.contains("zz\")"),
            "{entry}: {out}"
        );
    }
    assert_eq!(session.work.whole_checks, 0);
    let declarations: String = entries
        .iter()
        .filter(|e| !e.starts_with("P("))
        .map(|e| format!("{e}\n"))
        .collect();
    let whole = Model::parse(&declarations).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.model.graph(), whole.graph());
    assert_eq!(
        session.model.program().model.labels,
        whole.program().model.labels
    );
    assert_eq!(
        session.model.program().model.order,
        whole.program().model.order
    );
    let options = Options::new().method(Method::Exact);
    for question in ["P(v)", "E[y | do(d = 2), w = \"a\"]", "P(z)"] {
        let incremental = output(&mut session, question);
        let answer = whole
            .ask(question, &options)
            .unwrap_or_else(|e| panic!("{e}"));
        let expected = crate::report::render(&answer, None);
        assert_eq!(incremental, expected, "{question}");
    }
    // `zz` is listed first, as declared.
    let distribution = output(&mut session, "P(v)");
    assert!(
        distribution.find("zz") < distribution.find("\"a\""),
        "{distribution}"
    );
}

#[test]
fn a_failing_entry_leaves_the_session_as_it_was() {
    let mut session = Session::new();
    output(&mut session, "x ~ Bernoulli(0.5)");
    let vars = output(&mut session, ":vars");
    let prompt = session.prompt();
    for wrong in [
        // An unknown name; a cycle among new variables; a constant with a failing variable;
        // a type error after a good declaration in the same entry.
        "y := x and nope",
        "a := b or x  b := a",
        "let k = 2  c := k + nothing",
        "good := x  bad := x + \"label\"",
    ] {
        let out = output(&mut session, wrong);
        assert!(out.contains("error"), "{wrong}: {out}");
        assert_eq!(output(&mut session, ":vars"), vars, "after {wrong}");
        assert_eq!(session.prompt(), prompt);
    }
    // Nothing of the failed entries stayed: each name declares afresh (no "replaced").
    for fresh in [
        "let k = 3",
        "a := x",
        "b := not a",
        "good := x",
        "y := a or b",
    ] {
        let out = output(&mut session, fresh);
        assert!(
            !out.contains("error") && !out.contains("replaced"),
            "{fresh}: {out}"
        );
    }
    let out = output(&mut session, "P(y | x)");
    assert!(out.contains("= 1"), "{out}");
    assert_eq!(session.work.whole_checks, 0);
}

/// Feeds an entry line by line (a `for` block is one multi-line entry); the last reply.
fn entry(session: &mut Session, lines: &[&str]) -> String {
    for (k, line) in lines.iter().enumerate() {
        match session.feed(line) {
            Reply::More if k + 1 < lines.len() => {}
            Reply::Output(text) if k + 1 == lines.len() => return text,
            other => panic!("`{line}` gave {other:?}"),
        }
    }
    unreachable!("an entry has lines")
}

#[test]
fn vars_summarises_each_family_a_for_block_declares() {
    let mut session = Session::new();
    output(&mut session, "let N = 1000");
    output(&mut session, "bias ~ Beta(2, 2)");
    output(&mut session, "level[0] ~ Normal(0, 1)");
    let out = entry(
        &mut session,
        &[
            "for i in 1..N {",
            "  coin[i] ~ Bernoulli(bias)",
            "  level[i] ~ Normal(level[i - 1] + coin[i], 1)",
            "}",
        ],
    );
    assert!(!out.contains("error"), "{out}");
    let vars = output(&mut session, ":vars");
    // The declarations as typed, each family's members counted under its block — never the
    // members one by one (`level[0]`, declared alone, counts with its family).
    assert!(vars.contains("level[0] ~ Normal(0, 1)\n"), "{vars}");
    assert!(
        vars.contains("  # coin: 1000 members coin[1] … coin[1000], bool\n"),
        "{vars}"
    );
    assert!(
        vars.contains("  # level: 1001 members level[0] … level[1000], real\n"),
        "{vars}"
    );
    assert!(!vars.contains("coin[17]"), "{vars}");
    assert!(vars.lines().count() < 12, "{vars}");
}

#[test]
fn a_question_about_a_fitted_model_neither_reads_nor_fits_again() {
    let path = std::env::temp_dir().join(format!("whatif-repl-fit-{}.csv", std::process::id()));
    std::fs::write(&path, "coin\ntrue\nfalse\ntrue\ntrue\n").unwrap();
    let mut session = Session::new();
    output(&mut session, "coin ~ Bernoulli(?p)");
    let loaded = output(&mut session, &format!(":data {}", path.display()));
    assert!(
        loaded.starts_with("data = ") && !loaded.contains("error"),
        "{loaded}"
    );
    let first = output(&mut session, ":method exact");
    assert!(!first.contains("error"), "{first}");
    let before = session.work.whole_checks;
    // The file is gone: a question that read it or refitted would fail with E013.
    std::fs::remove_file(&path).unwrap();
    let answer = output(&mut session, "P(coin)");
    assert!(answer.contains("0.75"), "{answer}");
    let answer = output(&mut session, "P(not coin)  set seed = 3");
    assert!(answer.contains("0.25"), "{answer}");
    assert!(answer.contains("seed = 3"), "{answer}");
    // One check of the model with each entry, and nothing more.
    assert_eq!(session.work.whole_checks, before + 2);
    // An error in a question is located in the entry, and the model stays.
    let wrong = output(&mut session, "P(nope)");
    assert!(wrong.contains("E002") && wrong.contains("nope"), "{wrong}");
    assert!(output(&mut session, "P(coin)").contains("0.75"));
}

#[test]
fn the_tree_of_p_star_answers_later_questions_until_a_declaration_changes_the_model() {
    let mut session = Session::new();
    let cached = "read from the junction tree an earlier `P(* | ...)` calibrated";
    output(&mut session, "rain ~ Bernoulli(0.2)");
    output(&mut session, "wet ~ Bernoulli(if rain then 0.9 else 0.1)");
    let all = output(&mut session, "P(* | wet)");
    assert!(!all.contains(cached), "{all}");
    let read = output(&mut session, "P(rain | wet)");
    assert!(read.contains(cached) && read.contains("0.692308"), "{read}");
    output(&mut session, "z ~ Bernoulli(0.3)");
    let afresh = output(&mut session, "P(rain | wet)");
    assert!(
        !afresh.contains(cached) && afresh.contains("0.692308"),
        "{afresh}"
    );
}
