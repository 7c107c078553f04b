//! Issue 13's silently wrong answers, each pinned by a test that failed before its fix:
//! worlds told apart by meaning not spelling, chained comparisons, comma-separated events,
//! values outside a domain, distributions over the whole domain, exact answers without an
//! ESS, standard errors that never claim certainty from a handful of samples, `best` against
//! `value` for policies, bandits with Normal rewards or plain decision arms, and the "wrong
//! numbers" list. Statistical checks compare with exact values computed another way, with a
//! fixed seed and a tolerance of five reported standard errors.

use std::process::Command;
use whatif::results::{Assignment, Body, Distribution, Estimate, Value};
use whatif::{Code, Method, Model, Options};

fn model(source: &str) -> Model {
    Model::parse(source).unwrap_or_else(|e| panic!("{e}"))
}

fn sampled(samples: u64) -> Options {
    Options::new().method(Method::Is).samples(samples).seed(5)
}

/// A probability or expectation, as its estimate.
fn estimate(model: &Model, question: &str, options: &Options) -> Estimate {
    match model.ask(question, options) {
        Ok(answer) => match answer.body {
            Body::Probability(e) | Body::Expectation(e) => e,
            other => panic!("{question}: not a number: {other:?}"),
        },
        Err(e) => panic!("{question}: {e}"),
    }
}

/// Asserts a sampled estimate lies within five of its standard errors of `exact`.
fn agrees(e: &Estimate, exact: f64, what: &str) {
    let se = e
        .stderr
        .unwrap_or_else(|| panic!("{what}: no error estimate"));
    assert!(
        (e.value - exact).abs() <= 5.0 * se,
        "{what}: {} ± {se}, exact {exact}",
        e.value
    );
}

fn error_of(model: &Model, question: &str) -> whatif::Error {
    match model.ask(question, &sampled(2_000)) {
        Ok(answer) => panic!("{question} was answered: {answer:?}"),
        Err(e) => e,
    }
}

fn check_error(source: &str) -> whatif::Error {
    match Model::parse(source) {
        Ok(_) => panic!("accepted:\n{source}"),
        Err(e) => e,
    }
}

fn codes(error: &whatif::Error) -> Vec<Code> {
    error.diagnostics().iter().filter_map(|d| d.code).collect()
}

fn run_cli(args: &[&str], source: &str, name: &str) -> (Option<i32>, String, String) {
    let dir = std::env::temp_dir().join(format!("whatif-fix-answers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, source).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_whatif"))
        .args(args)
        .arg(&path)
        .output()
        .expect("the binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

// ---------------------------------------------------------------------------------------------
// Item 3: worlds and noise slots by the intervention's resolved form.

#[test]
fn spelling_of_an_intervention_does_not_make_a_new_world() {
    let m = model("x ~ Normal(0, 1)\ny := x");
    let options = sampled(40_000);
    let spaced = estimate(
        &m,
        "P(y[do(x ~ Normal(0, 1))] > 0 and y[do(x ~ Normal(0, 1))] > 0)",
        &options,
    );
    let unspaced = estimate(
        &m,
        "P(y[do(x ~ Normal(0, 1))] > 0 and y[do(x ~ Normal(0,1))] > 0)",
        &options,
    );
    // One world, one draw: y > 0 and y > 0 is y > 0 (before: two worlds, 0.25).
    assert_eq!(spaced.value, unspaced.value);
    agrees(
        &unspaced,
        0.5,
        "the same stochastic intervention spelt twice",
    );
    // `1` and `1.0` and a constant's name are the same hard intervention.
    let m = model("let one = 1\nx ~ Normal(0, 1)\ny ~ Normal(x, 1)");
    let p = estimate(
        &m,
        "P(y[do(x = 1)] > 1 and y[do(x = 1.0)] > 1 and y[do(x = one)] > 1)",
        &options,
    );
    agrees(&p, 0.5, "do(x = 1), do(x = 1.0), do(x = one)");
}

// ---------------------------------------------------------------------------------------------
// Item 4: comparisons chain as in Python.

#[test]
fn comparisons_chain_as_in_python() {
    let m = model("x ~ Uniform(0, 1)\nn ~ DiscreteUniform(0, 9)");
    agrees(
        &estimate(&m, "P(0.2 < x < 0.5)", &sampled(40_000)),
        0.3,
        "0.2 < x < 0.5",
    );
    // Exactly: n in {3, 4, 5}.
    let exact = estimate(&m, "P(2 < n <= 5)", &Options::new());
    assert!((exact.value - 0.3).abs() < 1e-12, "{exact:?}");
    let three = estimate(&m, "P(0 <= n < 5 < 7)", &Options::new());
    assert!((three.value - 0.5).abs() < 1e-12, "{three:?}");
    // Parentheses keep the comparison of a comparison: (0.2 < x) < 0.5 is `not (0.2 < x)`.
    let parenthesised = estimate(&m, "P((0.2 < n / 10) < 0.5)", &Options::new());
    assert!(
        (parenthesised.value - 0.3).abs() < 1e-12,
        "{parenthesised:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Item 10: comma-separated events are conjunctions.

#[test]
fn a_comma_separated_event_is_a_conjunction() {
    let m = model("u ~ Bernoulli(0.5)\nx ~ Bernoulli(0.5)\ny := x and u");
    let comma = estimate(
        &m,
        "P(y[do(x = true)], not y[do(x = false)])",
        &Options::new(),
    );
    let and = estimate(
        &m,
        "P(y[do(x = true)] and not y[do(x = false)])",
        &Options::new(),
    );
    assert_eq!(comma.value, and.value);
    assert!((comma.value - 0.5).abs() < 1e-12, "{comma:?}");
    // P(x and u | y or u) with y or u = u: P(x) = 0.5.
    let conditioned = estimate(&m, "P(x, u | y or u)", &Options::new());
    assert!((conditioned.value - 0.5).abs() < 1e-12, "{conditioned:?}");
}

// ---------------------------------------------------------------------------------------------
// Item 5: labels and values outside the domain.

const WEATHER: &str = "w ~ Categorical(\"sunny\": 0.7, \"rainy\": 0.3)\nb ~ Bernoulli(0.3)\n";

#[test]
fn a_label_outside_the_domain_is_an_error_with_a_suggestion() {
    let m = model(WEATHER);
    for (question, code) in [
        ("P(w = \"suny\")", Code::E005),
        ("P(b | w == \"suny\")", Code::E005),
        ("P(w[do(b = true)] != \"suny\")", Code::E005),
        ("P(b | do(w = \"suny\"))", Code::E008),
    ] {
        let e = error_of(&m, question);
        assert_eq!(codes(&e), vec![code], "{question}: {e}");
        assert!(
            e.to_string().contains("did you mean \"sunny\"?"),
            "{question}: {e}"
        );
    }
    let e = error_of(&m, "P(w = \"snowy\")");
    assert!(
        e.to_string().contains("`w` takes \"sunny\" or \"rainy\""),
        "{e}"
    );
}

#[test]
fn a_match_arm_outside_the_domain_is_an_error() {
    for arm in ["\"suny\"", "\"snowy\""] {
        let source =
            format!("{WEATHER}u ~ Bernoulli(match w {{ {arm} => 0.9, _ => 0.1 }})\nquery P(u)");
        let e = check_error(&source);
        assert_eq!(codes(&e), vec![Code::E005], "{e}");
        assert!(e.to_string().contains("is not a value of `w`"), "{e}");
    }
}

#[test]
fn a_value_outside_a_finite_domain_cannot_be_set_or_compared() {
    let m = model(&format!(
        "{WEATHER}n ~ Binomial(3, 0.5)\ndecision dose in {{0, 1, 2}}\nr := dose + n"
    ));
    let e = error_of(&m, "P(b | do(b = 2))");
    assert_eq!(codes(&e), vec![Code::E008], "{e}");
    assert!(e.to_string().contains("2 is not a value of `b`"), "{e}");
    assert_eq!(codes(&error_of(&m, "P(b = 2)")), vec![Code::E005]);
    assert_eq!(codes(&error_of(&m, "E[n | do(n = 5)]")), vec![Code::E008]);
    assert_eq!(
        codes(&error_of(&m, "E[r | do(dose = 3)]")),
        vec![Code::E008]
    );
    // In the domain, and 0/1 for a bool, are fine.
    assert!(m.ask("P(b | do(b = 1))", &Options::new()).is_ok());
    assert!(
        m.ask("E[r | do(dose = 2), do(n = 3)]", &Options::new())
            .is_ok()
    );
}

// ---------------------------------------------------------------------------------------------
// Item 6: causal_thompson with a Normal reward.

#[test]
fn causal_thompson_plays_a_normal_reward() {
    let m = model(
        "u ~ Bernoulli(0.5)\nx ~ Bernoulli(if u then 0.8 else 0.2)\n\
         payout ~ Normal(if x == u then 1 else 0, 1)",
    );
    for seed in 0..4 {
        let answer = m
            .ask(
                "bandit x reward payout rounds 60 runs 4 policies causal_thompson, thompson",
                &Options::new().seed(seed),
            )
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let Body::Bandit(b) = answer.body else {
            panic!("not a bandit")
        };
        assert!(b.policies.iter().all(|p| p.regret.is_finite()));
    }
}

#[test]
fn a_plain_decision_arm_plays_a_multi_armed_bandit() {
    let m = model("decision arm in {0, 1, 2}\nr ~ Normal(arm, 1)");
    let answer = m
        .ask(
            "bandit arm reward r rounds 50 runs 4 policies ucb1, thompson, causal_thompson",
            &Options::new().samples(20_000),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let Body::Bandit(b) = answer.body else {
        panic!("not a bandit")
    };
    // Without intuition the best policy always plays arm 2: E[r | do(arm = 2)] = 2.
    // Sampled oracle: 400,000 draws of a unit-variance reward, so 5 standard errors < 0.01.
    assert!(
        (b.oracle_value - 2.0).abs() < 0.01,
        "oracle {}",
        b.oracle_value
    );
}

// ---------------------------------------------------------------------------------------------
// Item 7: standard errors from a handful of samples.

#[test]
fn a_sampled_probability_never_reports_a_zero_standard_error() {
    let m = model("x ~ Bernoulli(0.999)\nc ~ Categorical(0.999, 0.001)");
    let e = estimate(&m, "P(x)", &sampled(10));
    assert_eq!(e.value, 1.0, "{e:?}");
    // Agresti–Coull with n = ESS = 10, by hand: 0.0929211.
    assert!((e.stderr.unwrap() - 0.0929211).abs() < 1e-6, "{e:?}");
    let answer = m
        .ask("P(c)", &sampled(10))
        .unwrap_or_else(|e| panic!("{e}"));
    let Body::Distribution(Distribution::Discrete { values, .. }) = answer.body else {
        panic!("not a table")
    };
    assert_eq!(values.len(), 2);
    for v in &values {
        assert!((v.stderr - 0.0929211).abs() < 1e-6, "{v:?}");
    }
}

#[test]
fn a_sampled_expectation_with_ess_below_two_has_no_error_estimate() {
    let m = model("y ~ Normal(0, 1)");
    let answer = m.ask("E[y]", &sampled(1)).unwrap_or_else(|e| panic!("{e}"));
    let Body::Expectation(e) = &answer.body else {
        panic!("not an expectation")
    };
    assert_eq!(e.stderr, None, "{e:?}");
    assert!(
        answer
            .warnings
            .iter()
            .any(|w| w.contains("no error estimate")),
        "{:?}",
        answer.warnings
    );
    let (code, stdout, _) = run_cli(
        &["run", "--samples", "1", "--method", "is"],
        "y ~ Normal(0, 1)\nquery E[y]",
        "one.scm",
    );
    assert_eq!(code, Some(0));
    assert!(stdout.contains("no error estimate"), "{stdout}");
    assert!(!stdout.contains("± 0 "), "{stdout}");
}

// ---------------------------------------------------------------------------------------------
// Item 8: one failing statement does not kill the file.

#[test]
fn a_failing_statement_reports_its_error_and_the_rest_still_run() {
    let source = "coin ~ Bernoulli(0.5)\nheads := coin\n\
                  query P(coin | heads, not coin)\nquery P(coin | heads)\n";
    let (code, stdout, stderr) = run_cli(&["run", "--json"], source, "continues.scm");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("error[E007]"), "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["kind"], "error");
    assert_eq!(results[0]["code"], "E007");
    assert_eq!(results[0]["line"], 3);
    assert_eq!(results[0]["query"], "query P(coin | heads, not coin)");
    assert!(
        results[0]["message"]
            .as_str()
            .unwrap()
            .contains("probability zero")
    );
    assert_eq!(results[1]["kind"], "probability");
    assert_eq!(results[1]["value"], 1.0);
    // Text: the answer after the failure is printed too.
    let (code, stdout, _) = run_cli(&["run"], source, "continues.scm");
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("error[E007]") && stdout.contains("= 1.00000"),
        "{stdout}"
    );
}

// ---------------------------------------------------------------------------------------------
// Item 9: `best` is what the answer recommends.

#[test]
fn best_is_the_policys_first_action_and_best_unconditional_the_best_blind_one() {
    let source = std::fs::read_to_string("examples/test_then_act.scm").unwrap();
    let m = model(&source);
    let answers: Vec<_> = m
        .run(&Options::new())
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let Body::Decision(d) = &answers[0].body else {
        panic!("not a decision")
    };
    // By hand (the example's comments): test, then treat if positive: 91.9; treating
    // everyone without a test: 90.
    assert!((d.value - 91.9).abs() < 1e-9, "{}", d.value);
    let assignment = |pairs: &[(&str, Value)]| -> Assignment {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    assert_eq!(d.best, Some(assignment(&[("test", Value::Bool(true))])));
    assert_eq!(
        d.best_unconditional,
        assignment(&[("test", Value::Bool(false)), ("treat", Value::Bool(true))])
    );
    assert!((d.value_unconditional - 90.0).abs() < 1e-9);
    assert!((d.value_of_information.unwrap() - 1.9).abs() < 1e-9);
    // A first stage that observes something recommends no single action.
    let answer = m
        .ask(
            "decide treat given positive maximize E[utility | do(test = true)]",
            &Options::new(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let Body::Decision(d) = answer.body else {
        panic!("not a decision")
    };
    assert_eq!(d.best, None);
    let json = serde_json::to_value(&answers[0]).unwrap();
    assert!(json["best_unconditional"].is_object() && json["value_unconditional"].is_number());
}

// ---------------------------------------------------------------------------------------------
// Item 11: distributions over the whole domain; exact answers have no ESS.

#[test]
fn a_distribution_lists_the_whole_domain_in_declared_order() {
    // `r` is checked first (`w` reads it), so "snowy" and "rainy" are interned before
    // "sunny"; `w` still lists its labels as declared.
    let m = model(
        "r := if b then \"snowy\" else \"rainy\"\nb ~ Bernoulli(0.5)\n\
         w ~ Categorical(\"sunny\": if r == \"rainy\" then 0.6 else 0.8, \"rainy\": 0.2, \"snowy\": 0)\n\
         n ~ Binomial(3, 0.5)",
    );
    for options in [Options::new(), sampled(20_000)] {
        let labels = |question: &str| -> Vec<(String, f64)> {
            let answer = m.ask(question, &options).unwrap_or_else(|e| panic!("{e}"));
            let Body::Distribution(Distribution::Discrete { values, .. }) = answer.body else {
                panic!("not a table")
            };
            values.iter().map(|v| (v.value.to_string(), v.p)).collect()
        };
        let w = labels("P(w)");
        let names: Vec<&str> = w.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["\"sunny\"", "\"rainy\"", "\"snowy\""]);
        assert_eq!(w[2].1, 0.0);
        let n = labels("P(n | n > 1)");
        let names: Vec<&str> = n.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["0", "1", "2", "3"]);
        assert_eq!((n[0].1, n[1].1), (0.0, 0.0));
    }
}

#[test]
fn exact_answers_have_no_ess_and_print_no_error() {
    let m = model("w ~ Categorical(\"a\": 0.25, \"b\": 0.75)\nx ~ Bernoulli(0.5)");
    let answer = m.ask("P(w)", &Options::new()).unwrap();
    let Body::Distribution(Distribution::Discrete { ess, samples, .. }) = &answer.body else {
        panic!("not a table")
    };
    assert_eq!((*ess, *samples), (None, None));
    let json = serde_json::to_value(&answer).unwrap();
    assert!(json["ess"].is_null() && json["samples"].is_null(), "{json}");
    let e = estimate(&m, "P(x)", &Options::new());
    assert_eq!((e.stderr, e.ess, e.samples), (Some(0.0), None, None));
    let (code, stdout, _) = run_cli(
        &["run"],
        "w ~ Categorical(\"a\": 0.25, \"b\": 0.75)\nquery P(w)",
        "exact.scm",
    );
    assert_eq!(code, Some(0));
    assert!(!stdout.contains("ESS") && !stdout.contains("±"), "{stdout}");
}

// ---------------------------------------------------------------------------------------------
// Numeric checks of distribution answers against exact values.

#[test]
fn sampled_table_errors_are_the_binomial_ones() {
    // Without evidence every weight is 1: the per-value error is sqrt(p̂(1 − p̂)/n) exactly.
    let m = model("n ~ Binomial(2, 0.5)");
    let n = 50_000;
    let answer = m.ask("P(n)", &sampled(n)).unwrap();
    let Body::Distribution(Distribution::Discrete { values, .. }) = answer.body else {
        panic!("not a table")
    };
    for (v, exact) in values.iter().zip([0.25, 0.5, 0.25]) {
        let by_hand = (v.p * (1.0 - v.p) / n as f64).sqrt();
        assert!((v.stderr - by_hand).abs() <= 1e-12, "{v:?}: {by_hand}");
        assert!((v.p - exact).abs() <= 5.0 * v.stderr, "{v:?}");
    }
}

#[test]
fn sampled_quantiles_and_histogram_match_the_uniform() {
    let m = model("x ~ Uniform(0, 1)");
    let n = 100_000;
    let answer = m.ask("P(x)", &sampled(n)).unwrap();
    let Body::Distribution(Distribution::Real {
        quantiles,
        histogram,
        mean,
        mean_stderr,
        ..
    }) = answer.body
    else {
        panic!("not a real distribution")
    };
    assert!((mean - 0.5).abs() <= 5.0 * mean_stderr);
    for q in &quantiles {
        // The q-quantile's error: sqrt(q(1 − q)/n) / density (1), plus one pilot bin (1/2048).
        let tolerance = 5.0 * (q.q * (1.0 - q.q) / n as f64).sqrt() + 1.0 / 2048.0;
        assert!((q.value - q.q).abs() <= tolerance, "{q:?}");
    }
    // Each bar holds the mass of its interval [a, a + width), up to one fine bin (1/2048 of
    // the pilot's range [-0.5, 1.5)) misplaced at either end.
    let width = histogram[1].0 - histogram[0].0;
    for (a, p) in &histogram {
        let tolerance = 5.0 * (width * (1.0 - width) / n as f64).sqrt() + 2.0 / 2048.0;
        assert!(
            (p - width).abs() <= tolerance,
            "bar at {a}: {p}, exact {width}"
        );
    }
}

#[test]
fn quantiles_under_rare_evidence_come_from_the_samples_that_meet_it() {
    let m = model("x ~ Normal(0, 1)");
    let answer = m.ask("P(x | x > 3.5)", &sampled(400_000)).unwrap();
    let Body::Distribution(Distribution::Real { quantiles, ess, .. }) = answer.body else {
        panic!("not a real distribution")
    };
    let ess = ess.unwrap();
    use statrs::distribution::{Continuous, ContinuousCDF, Normal};
    let normal = Normal::standard();
    let tail = 1.0 - normal.cdf(3.5);
    for q in &quantiles {
        // The truncated normal's quantile and density there.
        let exact = normal.inverse_cdf(normal.cdf(3.5) + q.q * tail);
        let density = normal.pdf(exact) / tail;
        let se = (q.q * (1.0 - q.q) / ess).sqrt() / density;
        assert!(q.value > 3.5, "{q:?}");
        // Plus two bins of the histogram, re-binned over the samples' range (under 2 here,
        // so 4,096 bins over twice that are narrower than 0.001).
        assert!(
            (q.value - exact).abs() <= 5.0 * se + 0.002,
            "{q:?}: exact {exact} ± {se}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Decisions: the difference errors and the value of information against closed forms.

#[test]
fn diff_stderr_is_the_standard_error_of_the_paired_difference() {
    // u = x (1 + d) with x a Bernoulli: u(do(d = 1)) − u(do(d = 0)) = x on common noise. With
    // unit weights, d = 0 has error sqrt(p̂(1 − p̂)/n) (p̂ its value), d = 1 twice that, and
    // their difference, through the covariance, sqrt(p̂(1 − p̂)/n) again.
    let m = model("x ~ Bernoulli(0.3)\ndecision d in {0, 1}\nu := x * (1 + d)");
    let n = 40_000;
    let answer = m.ask("decide d maximize E[u]", &sampled(n)).unwrap();
    let Body::Decision(d) = answer.body else {
        panic!("not a decision")
    };
    let zero = d
        .actions
        .iter()
        .find(|a| a.action["d"] == Value::Int(0))
        .unwrap();
    let one = d
        .actions
        .iter()
        .find(|a| a.action["d"] == Value::Int(1))
        .unwrap();
    let p = zero.value;
    let by_hand = (p * (1.0 - p) / n as f64).sqrt();
    assert!(
        (zero.stderr - by_hand).abs() <= 1e-12,
        "{} against {by_hand}",
        zero.stderr
    );
    assert!(
        (one.stderr - 2.0 * by_hand).abs() <= 1e-12,
        "{}",
        one.stderr
    );
    assert!(
        (zero.diff_stderr - by_hand).abs() <= 1e-12,
        "{} against {by_hand}",
        zero.diff_stderr
    );
    assert_eq!(one.diff_stderr, 0.0);
    assert!((p - 0.3).abs() <= 5.0 * zero.stderr);
    assert_eq!(d.best.as_ref().map(|b| &b["d"]), Some(&Value::Int(1)));
}

#[test]
fn diff_stderr_with_many_actions_is_paired_with_the_best() {
    // The same closed form past 32 actions, where the covariance is tracked against the best
    // action only (a second run over the same samples): u(do(d = k)) − u(do(d = 63)) =
    // x (k − 63), so its error is |k − 63| sqrt(p̂(1 − p̂)/n) where p̂ is d = 0's value.
    let m = model("x ~ Bernoulli(0.3)\ndecision d in 0..63\nu := x * (1 + d)");
    let n = 20_000;
    let answer = m.ask("decide d maximize E[u]", &sampled(n)).unwrap();
    let Body::Decision(d) = answer.body else {
        panic!("not a decision")
    };
    assert_eq!(d.actions.len(), 64);
    assert_eq!(d.best.as_ref().map(|b| &b["d"]), Some(&Value::Int(63)));
    let p = d
        .actions
        .iter()
        .find(|a| a.action["d"] == Value::Int(0))
        .unwrap()
        .value;
    let unit = (p * (1.0 - p) / n as f64).sqrt();
    for a in &d.actions {
        let Value::Int(k) = a.action["d"] else {
            panic!("not an integer action")
        };
        let by_hand = (63 - k) as f64 * unit;
        assert!(
            (a.diff_stderr - by_hand).abs() <= 1e-9,
            "d = {k}: {} against {by_hand}",
            a.diff_stderr
        );
        assert!((a.stderr - (1 + k) as f64 * unit).abs() <= 1e-9, "d = {k}");
    }
    assert!((p - 0.3).abs() <= 5.0 * unit);
}

// ---------------------------------------------------------------------------------------------
// The "wrong numbers" list.

#[test]
fn geometric_with_a_tiny_p_has_a_huge_mean() {
    let m = model("g ~ Geometric(1e-17)");
    let e = estimate(&m, "E[g]", &sampled(100_000));
    // Failures before the first success: (1 − p)/p.
    agrees(&e, (1.0 - 1e-17) / 1e-17, "E[Geometric(1e-17)]");
}

#[test]
fn gaussian_evidence_at_scale_1e154_is_kept() {
    let m = model("x ~ Normal(0, 1e154)\ny ~ Normal(x, 1e154)");
    // x | y ~ Normal(y/2, σ²/2): P(x > 0 | y = σ) = Φ(1/√2) = 0.760250.
    let e = estimate(&m, "P(x > 0 | y = 1e154)", &Options::new());
    assert!((e.value - 0.760_249_938_906).abs() < 1e-9, "{e:?}");
}

#[test]
fn an_overflowing_variance_is_not_reported_as_zero() {
    let m = model("l ~ LogNormal(0, 100)");
    let answer = m.ask("E[l]", &sampled(10_000)).unwrap();
    let Body::Expectation(e) = &answer.body else {
        panic!("not an expectation")
    };
    assert_eq!(e.stderr, None, "{e:?}");
    assert!(answer.warnings.iter().any(|w| w.contains("overflows")));
}

#[test]
fn an_estimate_whose_sum_overflows_is_e006_for_likelihood_weighting() {
    // Every sample is finite (1e308 or 0), but their weighted sum overflows: the estimate
    // itself is infinite, which is an error, not an answer.
    let m = model("x ~ Normal(0, 1)");
    for q in [
        "E[if x > 0 then 1e308 else 0]",
        "E[if x > 0 then 1e308 else 0 | x > -1]",
    ] {
        let e = m
            .ask(q, &Options::new().method(Method::Is).samples(1_000))
            .unwrap_err();
        assert_eq!(codes(&e), vec![Code::E006], "{q}: {e}");
        assert!(e.to_string().contains("the estimate is inf"), "{q}: {e}");
    }
}

#[test]
fn nan_is_not_swallowed_by_max_or_min() {
    let m = model("x ~ Normal(0, 1)");
    for q in ["E[max(0/0, 1)]", "E[min(1, 0/0)]", "E[max(log(x), 1)]"] {
        let e = error_of(&m, q);
        assert_eq!(codes(&e), vec![Code::E006], "{q}: {e}");
    }
}

#[test]
fn settings_and_policy_parameters_are_checked() {
    for (source, fragment) in [
        (
            "set seed = \"x\"",
            "`seed` must be a whole number, found a label",
        ),
        (
            "set samples = true",
            "`samples` must be a whole number, found a bool",
        ),
        (
            "decision a in {0, 1}\nr ~ Normal(a, 1)\nbandit a reward r rounds 5 runs 1 policies epsilon_greedy(2)",
            "must lie in [0, 1]",
        ),
        (
            "decision a in {0, 1}\nr ~ Normal(a, 1)\nbandit a reward r rounds 5 runs 1 policies ucb1(3)",
            "`ucb1` takes no parameter",
        ),
    ] {
        let e = check_error(source);
        assert_eq!(codes(&e), vec![Code::E005], "{e}");
        assert!(e.to_string().contains(fragment), "{e}");
    }
}

#[test]
fn samples_on_the_command_line_may_be_written_1e4() {
    let (code, stdout, stderr) = run_cli(
        &["run", "--samples", "1e4", "--method", "is"],
        "x ~ Normal(0, 1)\nquery E[x]",
        "samples.scm",
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("of 10,000 samples"), "{stdout}");
    let (code, _, stderr) = run_cli(&["run", "--samples", "1.5"], "x ~ Normal(0, 1)", "half.scm");
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn a_continuous_context_is_refused_for_lack_of_a_finite_domain() {
    let e = check_error(
        "x ~ Normal(0, 1)\ndecision d in bool\nu := d * x\ndecide d maximize E[u] given x",
    );
    assert_eq!(codes(&e), vec![Code::E009]);
    assert!(e.to_string().contains("finite domain"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Determinism across merge windows.

#[test]
fn one_seed_prints_the_same_across_several_merge_windows_at_one_two_and_three_threads() {
    // Chunks of 16,384 samples merge in windows of 4 × threads chunks: 600,000 samples are 37
    // chunks, so 10 windows on one thread, 5 on two and 4 on three. The questions cover the
    // compiled samplers and the interpreter (coupled worlds), tables, real summaries,
    // evidence weights and the cross sums of estimand arithmetic.
    let source = "u ~ Bernoulli(0.3)\nx ~ Normal(if u then 1 else 0, 1)\n\
                  y ~ Normal(2 * x, 1)\nk ~ Binomial(4, 0.4)\n\
                  query P(k | u)\nquery P(y | x > 1)\n\
                  query ate = E[y | do(x = 1)] - E[y | do(x = 0)]\n\
                  query P(y[do(x = 0)] > y | y > 0.5)\n";
    let run = |threads: &str| {
        let (code, stdout, stderr) = run_cli(
            &[
                "run",
                "--json",
                "--samples",
                "600000",
                "--seed",
                "3",
                "--method",
                "is",
                "--threads",
                threads,
            ],
            source,
            "windows.scm",
        );
        assert_eq!(code, Some(0), "{stderr}");
        stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"), "one and two threads differ");
    assert_eq!(one, run("3"), "one and three threads differ");
}
