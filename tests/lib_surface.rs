//! The library's public surface (issue 14): per-call cancellation, the `Query` builder's
//! quoting, typed results (the method that answered, values, the bandit oracle), errors that
//! render and locate themselves for a library user, and BIF import through `Model::from_bif`.
//!
//! Every expected number is computed by hand from the model in the test (enumeration), and
//! sampled answers are compared with it within a few of their own standard errors.

use std::process::Command;
use std::time::{Duration, Instant};
use whatif::results::{Body, Distribution, OracleKind};
use whatif::{CancelToken, Code, Method, MethodUsed, Model, Options, Query, Value};

const KIDNEY: &str = r#"
size ~ Categorical("small": 357, "large": 343)
treatment ~ Categorical("A": if size == "small" then 87 else 263,
                        "B": if size == "small" then 270 else 80)
recovered ~ Bernoulli(match (treatment, size) {
              ("A", "small") => 81 / 87,
              ("A", "large") => 192 / 263,
              ("B", "small") => 234 / 270,
              ("B", "large") => 55 / 80 })
"#;

/// P(recovered | do(treatment = "A")) by the adjustment formula over `size`.
const KIDNEY_DO_A: f64 = 357.0 / 700.0 * 81.0 / 87.0 + 343.0 / 700.0 * 192.0 / 263.0;

fn probability(body: &Body) -> (f64, f64) {
    match body {
        Body::Probability(p) | Body::Expectation(p) => (p.value, p.stderr.unwrap_or(f64::NAN)),
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn query_builder_quotes_labels_and_writes_typed_values() {
    let model = Model::parse(KIDNEY).unwrap();
    let built = Query::probability("recovered").intervene("treatment", "A");
    assert_eq!(built.to_string(), r#"P(recovered | do(treatment = "A"))"#);
    let answer = model.ask(&built, &Options::new()).unwrap();
    let (value, _) = probability(&answer.body);
    assert!((value - KIDNEY_DO_A).abs() < 1e-12, "{value}");
    assert_eq!(answer.method, MethodUsed::Exact);

    // Evidence by value: the label is quoted too; bools, ints and reals are written as such.
    let observed = Query::probability("recovered").given_value("treatment", "A");
    let (value, _) = probability(&model.ask(&observed, &Options::new()).unwrap().body);
    assert!((value - 0.78).abs() < 1e-12, "{value}");
    let typed = Query::expectation("y")
        .intervene("b", true)
        .intervene("n", 3)
        .intervene("x", 2.0)
        .intervene_expr("z", "x + 1")
        .given_value("w", -0.5);
    assert_eq!(
        typed.to_string(),
        "E[y | do(b = true, n = 3, x = 2.0, z = x + 1), w = -0.5]"
    );
}

#[test]
fn typed_results_serialise_to_the_same_json() {
    let model = Model::parse(KIDNEY).unwrap();
    let answer = model.ask("P(treatment)", &Options::new()).unwrap();
    let Body::Distribution(Distribution::Discrete { values, .. }) = &answer.body else {
        panic!("{answer:?}")
    };
    assert_eq!(values[0].value, Value::Label("A".to_string()));
    let json = serde_json::to_value(&answer).unwrap();
    assert_eq!(json["values"][0]["value"], "A");
    assert_eq!(json["method"], "exact");

    let model =
        Model::parse("decision treat in bool\ncured ~ Bernoulli(if treat then 0.7 else 0.4)\n")
            .unwrap();
    let decision = model
        .ask("decide treat maximize E[cured]", &Options::new())
        .unwrap();
    let Body::Decision(d) = &decision.body else {
        panic!("{decision:?}")
    };
    assert_eq!(
        d.best.as_ref().map(|b| &b["treat"]),
        Some(&Value::Bool(true))
    );
    let json = serde_json::to_value(&decision).unwrap();
    assert_eq!(json["best"], serde_json::json!({"treat": true}));
    // Deserialising gives the same typed answer back.
    let back: whatif::Answer = serde_json::from_value(json).unwrap();
    assert_eq!(back, decision);
}

#[test]
fn the_bandit_oracle_kind_is_typed() {
    let model =
        Model::parse("arm ~ Bernoulli(0.5)\nwin ~ Bernoulli(if arm then 0.6 else 0.4)\n").unwrap();
    let answer = model
        .ask(
            "bandit arm in {false, true} reward win rounds 50 runs 4 policies ucb1",
            &Options::new().seed(1),
        )
        .unwrap();
    let Body::Bandit(b) = &answer.body else {
        panic!("{answer:?}")
    };
    assert_eq!(b.oracle, OracleKind::Exact);
    assert!((b.oracle_value - 0.6).abs() < 1e-12, "{}", b.oracle_value);
    assert_eq!(serde_json::to_value(&answer).unwrap()["oracle"], "exact");
}

#[test]
fn error_debug_is_the_rendered_text() {
    let error = Model::parse("rain ~ Bernoulli(0.2)\nwet := rian").unwrap_err();
    let debug = format!("{error:?}");
    assert_eq!(debug, error.to_string());
    assert!(
        debug.starts_with("<model>:2:8: error[E002]: unknown variable `rian`"),
        "{debug}"
    );
    assert!(debug.contains("did you mean `rain`?"), "{debug}");
    assert_eq!(error.code(), Some(Code::E002));
    assert_eq!((error.line(), error.column()), (Some(2), Some(8)));
    assert_eq!(error.diagnostics()[0].file, "<model>");
}

#[test]
fn errors_in_an_asked_question_point_into_the_question() {
    let model = Model::parse("rain ~ Bernoulli(0.2)\nwet := rain\n").unwrap();
    let error = model.ask("P(rian | wet)", &Options::new()).unwrap_err();
    assert_eq!(error.code(), Some(Code::E002));
    assert_eq!(
        (error.line(), error.column()),
        (Some(1), Some(3)),
        "{error}"
    );
    let text = error.to_string();
    assert!(text.starts_with("<question>:1:3: error[E002]"), "{text}");
    assert!(text.contains("1 | P(rian | wet)"), "{text}");

    // A run-time error (evidence nothing satisfies) points at the question too.
    let sampled = Options::new().method(Method::Is).samples(1_000);
    let error = model
        .ask("P(rain | wet and not wet)", &sampled)
        .unwrap_err();
    assert_eq!(error.code(), Some(Code::E007), "{error}");
    assert_eq!(error.line(), Some(1), "{error}");
    assert!(error.to_string().starts_with("<question>:1:1"), "{error}");
}

#[test]
fn library_messages_name_the_library_option_not_a_flag() {
    let model = Model::parse("x ~ Normal(0, 1)\ny ~ Uniform(x, x + 1)\n").unwrap();
    let exact = Options::new().method(Method::Exact);
    let error = model.ask("P(y > 0)", &exact).unwrap_err();
    assert_eq!(error.code(), Some(Code::E010), "{error}");
    let text = error.to_string();
    assert!(!text.contains("--method"), "{text}");
    assert!(text.contains("Method::"), "{text}");

    // The REPL names its own command instead.
    let mut session = whatif::repl::Session::new();
    session.feed("x ~ Normal(0, 1)");
    session.feed("y ~ Uniform(x, x + 1)");
    session.feed(":method exact");
    let whatif::repl::Reply::Output(text) = session.feed("P(y > 0)") else {
        panic!("no output")
    };
    assert!(!text.contains("--method"), "{text}");
    assert!(text.contains(":method"), "{text}");
}

#[test]
fn a_cancelled_token_stops_its_call_with_an_error() {
    let model = Model::parse("x ~ Normal(0, 1)\ny ~ Normal(x, 1)\n").unwrap();
    let token = CancelToken::new();
    token.cancel();
    let options = Options::new().method(Method::Is).cancel_token(token);
    let error = model.ask("E[y | y > 1]", &options).unwrap_err();
    assert_eq!(error.message(), "cancelled");
    assert_eq!(error.code(), None);
    // Other calls in the process are not affected.
    let answer = model
        .ask("P(y > 0)", &Options::new().method(Method::Exact))
        .unwrap();
    assert!((probability(&answer.body).0 - 0.5).abs() < 1e-12);
}

/// Two models answer on two threads. The second asks again and again (the same seed, so the
/// same answer) while the first is cancelled: the call of the second that was running at that
/// moment, and every other, answers correctly.
#[test]
fn cancelling_one_query_leaves_another_running() {
    let first = Model::parse("a ~ Normal(0, 1)\nb ~ Normal(a, 1)\n").unwrap();
    let second =
        Model::parse("u ~ Bernoulli(0.3)\nv ~ Bernoulli(if u then 0.9 else 0.2)\n").unwrap();
    let first_token = CancelToken::new();
    // Ten billion samples: this call only ends by being cancelled.
    let first_options = Options::new()
        .method(Method::Is)
        .samples(10_000_000_000)
        .cancel_token(first_token.clone());
    let second_options = Options::new().method(Method::Is).samples(300_000).seed(3);
    let cancelled_at: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let second_started = std::sync::Barrier::new(2);
    std::thread::scope(|scope| {
        let first_call = scope.spawn(|| first.ask("E[b | b > 0]", &first_options));
        let second_calls = scope.spawn(|| {
            let mut calls = Vec::new();
            loop {
                let started = Instant::now();
                let answer = second.ask("P(u | v)", &second_options);
                let ended = Instant::now();
                if calls.is_empty() {
                    second_started.wait();
                }
                calls.push((started, answer, ended));
                if cancelled_at.get().is_some_and(|t| started > *t) {
                    return calls;
                }
            }
        });
        second_started.wait();
        std::thread::sleep(Duration::from_millis(50));
        let _ = cancelled_at.set(Instant::now());
        first_token.cancel();
        let error = first_call.join().expect("no panic").unwrap_err();
        assert_eq!(error.message(), "cancelled");
        let calls = second_calls.join().expect("no panic");
        let t = *cancelled_at.get().expect("set");
        assert!(
            calls.iter().any(|(start, _, end)| *start <= t && t <= *end),
            "no call of the second model was running when the first was cancelled"
        );
        // P(u | v) = 0.3 * 0.9 / (0.3 * 0.9 + 0.7 * 0.2).
        let exact = 0.27 / (0.27 + 0.14);
        for (_, answer, _) in calls {
            let answer = answer.unwrap_or_else(|e| panic!("{e}"));
            let (value, stderr) = probability(&answer.body);
            assert!(
                (value - exact).abs() <= 5.0 * stderr,
                "{value} ± {stderr}, exact {exact}"
            );
        }
    });
}

const COLLIDING: &str = r#"
network "names" { }
variable a-b { type discrete [ 2 ] { 1, 1.0 }; }
variable a_b { type discrete [ 2 ] { yes, no }; }
probability ( a-b ) { table 0.25, 0.75; }
probability ( a_b | a-b ) {
  (1) 0.5, 0.5;
  (1.0) 0.1, 0.9;
}
"#;

#[test]
fn bif_names_and_states_that_would_collide_stay_apart() {
    let (model, warnings) = Model::from_bif("names.bif", COLLIDING).unwrap();
    let source = model.source();
    assert!(source.contains("# `a-b` is written `a_b_2`."), "{source}");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].message.contains("`a-b` would be written `a_b`"),
        "{warnings:?}"
    );
    assert_eq!(
        (warnings[0].file.as_str(), warnings[0].line),
        ("names.bif", Some(3))
    );
    // The states `1` and `1.0` are two labels: P(a_b = "yes") = 0.25 * 0.5 + 0.75 * 0.1.
    let answer = model.ask(r#"P(a_b = "yes")"#, &Options::new()).unwrap();
    assert!((probability(&answer.body).0 - 0.2).abs() < 1e-12);
    let answer = model.ask(r#"P(a_b_2 = "1.0")"#, &Options::new()).unwrap();
    assert!((probability(&answer.body).0 - 0.75).abs() < 1e-12);
}

#[test]
fn bif_rows_given_twice_or_missing_are_errors_naming_the_row() {
    let twice = "variable a { type discrete [ 2 ] { y, n }; }\n\
                 variable b { type discrete [ 2 ] { y, n }; }\n\
                 probability ( a ) { table 0.5, 0.5; }\n\
                 probability ( b | a ) {\n  (y) 0.1, 0.9;\n  (n) 0.2, 0.8;\n  (y) 0.3, 0.7;\n}\n";
    let error = Model::from_bif("twice.bif", twice).unwrap_err();
    assert_eq!(error.code(), Some(Code::E001));
    assert_eq!(error.message(), "row (y) of `b` is given twice");
    assert_eq!(error.line(), Some(7), "{error}");
    assert!(error.to_string().contains("first given here"), "{error}");

    let missing = twice
        .replace("  (y) 0.3, 0.7;\n", "")
        .replace("  (n) 0.2, 0.8;\n", "");
    let error = Model::from_bif("missing.bif", &missing).unwrap_err();
    assert_eq!(
        error.message(),
        "`b` has 1 of its 2 rows; row (n) is missing"
    );
}

#[test]
fn a_bif_row_that_does_not_sum_to_one_is_normalised_with_a_warning() {
    let bif = "variable a { type discrete [ 2 ] { y, n }; }\n\
               variable b { type discrete [ 2 ] { y, n }; }\n\
               probability ( a ) { table 0.5, 0.5; }\n\
               probability ( b | a ) {\n  (y) 0.1, 0.9;\n  (n) 0.3, 0.6;\n}\n";
    let (model, warnings) = Model::from_bif("sums.bif", bif).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].line, Some(6));
    assert!(
        warnings[0]
            .message
            .starts_with("row (n) of `b` sums to 0.8999999999999999, not 1"),
        "{}",
        warnings[0].message
    );
    // P(b = y) = 0.5 * 0.1 + 0.5 * 0.3 / 0.9.
    let answer = model.ask(r#"P(b = "y")"#, &Options::new()).unwrap();
    let expected = 0.5 * 0.1 + 0.5 * (0.3 / 0.8999999999999999);
    assert!((probability(&answer.body).0 - expected).abs() < 1e-12);

    // The command line prints the warning and still writes the model.
    let dir = std::env::temp_dir().join(format!("whatif-lib-surface-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sums.bif");
    std::fs::write(&file, bif).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_whatif"))
        .arg("import")
        .arg(&file)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("sums.bif:6:3: warning: row (n) of `b` sums to"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("b ~ match a {"));
    let _ = std::fs::remove_dir_all(&dir);
}
