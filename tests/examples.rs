//! Every model in examples/ runs, and every `# exact: V` annotation holds: exact answers to
//! 1e-9, sampled ones within five reported standard errors (fixed seed, 200,000 samples).

mod common;

use common::*;
use whatif::Method;
use whatif::results::Body;

fn value_of(body: &Body) -> Option<(f64, f64)> {
    match body {
        Body::Probability(e) | Body::Expectation(e) => {
            Some((e.value, e.stderr.unwrap_or(f64::NAN)))
        }
        Body::Decision(d) => Some((d.value, d.stderr)),
        _ => None,
    }
}

fn check_examples(method: Method) {
    for path in scm_files("examples") {
        let name = path.display().to_string();
        let source = std::fs::read_to_string(&path).unwrap();
        // From the file, so a `data "FILE"` is read relative to the example.
        let answers = match whatif::Model::from_file(&path)
            .and_then(|model| run_all(&model, &options(200_000, method)))
        {
            Ok(a) => a,
            Err(error) => panic!("{name} failed:\n{error}"),
        };
        for (line, expected) in annotations(&source, "exact") {
            let expected: f64 = expected
                .parse()
                .unwrap_or_else(|_| panic!("{name}:{line}: bad annotation"));
            let answer = answers
                .iter()
                .find(|a| a.line == line)
                .unwrap_or_else(|| panic!("{name}:{line}: no answer"));
            let (value, stderr) =
                value_of(&answer.body).unwrap_or_else(|| panic!("{name}:{line}: not a number"));
            let tolerance = if stderr == 0.0 { 1e-9 } else { 5.0 * stderr };
            assert!(
                (value - expected).abs() <= tolerance,
                "{name}:{line}: {value} ± {stderr}, exact {expected} ({method:?})"
            );
        }
    }
}

#[test]
fn examples_match_their_exact_answers_by_sampling() {
    check_examples(Method::Is);
}

#[test]
fn examples_match_their_exact_answers_by_default_method() {
    check_examples(Method::Auto);
}

#[test]
fn the_decision_follows_the_intervention_not_the_correlation() {
    let source = std::fs::read_to_string("examples/treatment.scm").unwrap();
    let answers = run_source("treatment", &source, &options(100_000, Method::Auto)).unwrap();
    let Body::Decision(d) = &answers[2].body else {
        panic!("not a decision")
    };
    assert_eq!(
        d.best.as_ref().map(|b| &b["treat"]),
        Some(&whatif::Value::Bool(true))
    );
    assert!(
        d.evidential_disagrees,
        "the evidential ranking should prefer not treating"
    );
    let Body::Decision(p) = &answers[3].body else {
        panic!("not a decision")
    };
    let severe = |v: bool| {
        p.policy
            .iter()
            .find(|r| r.context["severe"] == whatif::Value::Bool(v))
            .unwrap()
    };
    assert_eq!(severe(true).action["treat"], whatif::Value::Bool(true));
    assert_eq!(severe(false).action["treat"], whatif::Value::Bool(false));
}

#[test]
fn causal_thompson_beats_thompson_on_the_greedy_casino() {
    let source = std::fs::read_to_string("examples/greedy_casino.scm").unwrap();
    let answers = run_source("casino", &source, &options(100_000, Method::Auto)).unwrap();
    let Body::Bandit(b) = &answers[2].body else {
        panic!("not a bandit")
    };
    let regret = |n: &str| b.policies.iter().find(|p| p.name == n).unwrap();
    let (causal, plain) = (regret("causal_thompson"), regret("thompson"));
    // Both regrets are means over runs with standard errors; the gap must be clear.
    let gap = plain.regret - causal.regret;
    let se = (plain.regret_stderr.powi(2) + causal.regret_stderr.powi(2)).sqrt();
    assert!(
        gap > 3.0 * se,
        "thompson {} ± {}, causal {} ± {}",
        plain.regret,
        plain.regret_stderr,
        causal.regret,
        causal.regret_stderr
    );
    // The oracle: max over arms of P(win | arm = i, do(arm = a)) averaged over intuitions = 0.55.
    assert!(
        (b.oracle_value - 0.55).abs() < 0.01,
        "oracle {}",
        b.oracle_value
    );
}
