//! Issue 21 (exact branch): imported tables read directly, and the rare-outcome warning of
//! sampled answers.
//!
//! - A mechanism that is a `match` over parents returning a Categorical per arm is read as a
//!   table once per model; its answers must be those of the same numbers written so that no
//!   table is recognised (an `if` chain), which the engines evaluate arm by arm.
//! - A sampled probability resting on fewer than ten effective samples carries a warning;
//!   values never sampled are still listed, in declared order, with no warning of their own.

mod common;

use common::{options, run_all};
use whatif::results::{Body, Distribution, Value};
use whatif::{Method, Model, Options};

/// The same network twice: `match` tables (recognised) and `if` chains (evaluated per row).
/// `c` has a wildcard arm; `d` reads three parents.
fn network(as_tables: bool) -> String {
    let c = if as_tables {
        r#"c ~ match (a, b) {
  ("lo", true) => Categorical("x": 0.1, "y": 0.2, "z": 0.7),
  ("hi", _) => Categorical("x": 0.5, "y": 0.5, "z": 0.0),
  ("mid", _) => Categorical("x": 0.3, "y": 0.3, "z": 0.4),
  ("lo", false) => Categorical("x": 0.05, "y": 0.9, "z": 0.05),
}
d ~ match (a, b, c) {
  (_, true, "x") => Categorical("u": 0.25, "v": 0.75),
  ("lo", false, "y") => Categorical("u": 0.6, "v": 0.4),
  (_, _, "z") => Categorical("u": 0.9, "v": 0.1),
  (_, _, _) => Categorical("u": 0.15, "v": 0.85),
}"#
    } else {
        r#"c ~ if a == "lo" and b then Categorical("x": 0.1, "y": 0.2, "z": 0.7)
  else if a == "hi" then Categorical("x": 0.5, "y": 0.5, "z": 0.0)
  else if a == "mid" then Categorical("x": 0.3, "y": 0.3, "z": 0.4)
  else Categorical("x": 0.05, "y": 0.9, "z": 0.05)
d ~ if b and c == "x" then Categorical("u": 0.25, "v": 0.75)
  else if a == "lo" and not b and c == "y" then Categorical("u": 0.6, "v": 0.4)
  else if c == "z" then Categorical("u": 0.9, "v": 0.1)
  else Categorical("u": 0.15, "v": 0.85)"#
    };
    format!(
        r#"a ~ Categorical("lo": 0.2, "mid": 0.5, "hi": 0.3)
b ~ match a {{
  "lo" => Bernoulli(0.3),
  "mid" => Bernoulli(0.6),
  "hi" => Bernoulli(0.9),
}}
{c}
"#
    )
}

const QUESTIONS: &[&str] = &[
    r#"P(d = "u")"#,
    r#"P(a = "lo" | d = "u")"#,
    r#"P(c = "y" | d = "v", b)"#,
    r#"P(b | c = "x", d = "u")"#,
    r#"P(d = "u" | do(c = "y"))"#,
    r#"P(d[do(a = "hi")] = "u" | d = "v")"#,
    r#"P(c[do(b = false)] = "y" | c = "x")"#,
];

#[test]
fn tables_read_directly_answer_as_the_mechanisms_do() {
    let tables = Model::parse_named("tables", &network(true)).unwrap_or_else(|e| panic!("{e}"));
    let chains = Model::parse_named("chains", &network(false)).unwrap_or_else(|e| panic!("{e}"));
    let exact = Options::new().method(Method::Exact);
    for q in QUESTIONS {
        let value = |m: &Model| match m
            .ask(*q, &exact)
            .unwrap_or_else(|e| panic!("{q}: {e}"))
            .body
        {
            Body::Probability(p) => p.value,
            other => panic!("{q}: {other:?}"),
        };
        let (t, c) = (value(&tables), value(&chains));
        assert!((t - c).abs() < 1e-14, "{q}: tables {t} vs if-chains {c}");
        assert!(t > 0.0 && t < 1.0, "{q}: {t}");
    }
    // The compiled sampler draws from the same tables: the same seed gives the same numbers.
    let sampled = options(20_000, Method::Is);
    for q in [r#"P(a = "lo" | d = "u")"#, r#"P(d = "u")"#] {
        let value = |m: &Model| match m.ask(q, &sampled).unwrap_or_else(|e| panic!("{e}")).body {
            Body::Probability(p) => (p.value, p.stderr.unwrap_or(0.0)),
            other => panic!("{q}: {other:?}"),
        };
        let exact_value = match tables.ask(q, &exact).unwrap().body {
            Body::Probability(p) => p.value,
            other => panic!("{other:?}"),
        };
        let (t, se) = value(&tables);
        assert!(
            (t - exact_value).abs() < 4.0 * se,
            "{q}: sampled {t} ± {se} vs exact {exact_value}"
        );
    }
}

#[test]
fn a_sampled_probability_resting_on_few_samples_is_flagged() {
    // "b" has probability 5e-4: about five of 10,000 samples. "c" is never drawn.
    let source = r#"x ~ Categorical("a": 0.9995, "b": 0.0005, "c": 0.0)
query P(x)
query P(x = "b")
query P(x = "a")
"#;
    let model = Model::parse_named("rare", source).unwrap_or_else(|e| panic!("{e}"));
    let answers = run_all(&model, &options(10_000, Method::Is)).unwrap_or_else(|e| panic!("{e}"));
    let Body::Distribution(Distribution::Discrete { values, .. }) = &answers[0].body else {
        panic!("{:?}", answers[0].body);
    };
    let listed: Vec<&Value> = values.iter().map(|v| &v.value).collect();
    assert_eq!(
        listed,
        vec![
            &Value::Label("a".into()),
            &Value::Label("b".into()),
            &Value::Label("c".into())
        ],
        "every declared value, in declared order"
    );
    assert!(
        values[1].p > 0.0,
        "the seed draws \"b\" at least once: {values:?}"
    );
    assert_eq!(values[2].p, 0.0);
    assert!(values[2].stderr > 0.0);
    for (i, answer) in answers[..2].iter().enumerate() {
        assert_eq!(
            answer.warnings.len(),
            1,
            "answer {i}: {:?}",
            answer.warnings
        );
        assert!(
            answer.warnings[0].starts_with("rare outcome:"),
            "{}",
            answer.warnings[0]
        );
    }
    assert!(
        answers[0].warnings[0].contains(r#""b" ("#),
        "{}",
        answers[0].warnings[0]
    );
    assert!(
        !answers[0].warnings[0].contains(r#""c""#),
        "{}",
        answers[0].warnings[0]
    );
    assert!(answers[2].warnings.is_empty(), "{:?}", answers[2].warnings);
    // Answered exactly, nothing to warn about.
    let exact = run_all(&model, &Options::new().method(Method::Exact)).unwrap();
    assert!(exact.iter().all(|a| a.warnings.is_empty()));
}
