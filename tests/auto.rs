//! `--method auto` explains its choice (issue 21): every answer names the engine that answered
//! (`details.engine`, `"engine"` in JSON) and, under `auto`, why (`details.method_reason`, the
//! `method:` line): an exact engine's largest table or covariance against auto's limit, or
//! why the exact engines did not answer and what likelihood weighting's pilot run found.

mod common;

use common::whatif;
use whatif::{Answer, Method, MethodUsed, Model, Options};

fn ask(model: &str, question: &str, options: &Options) -> Answer {
    Model::parse(model)
        .unwrap_or_else(|e| panic!("{e}"))
        .ask(question, options)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn auto(samples: u64) -> Options {
    Options::new().samples(samples).seed(3).method(Method::Auto)
}

fn reason_of(answer: &Answer) -> &str {
    answer.details.method_reason.as_deref().unwrap_or_default()
}

const SPRINKLER: &str = "rain ~ Bernoulli(0.2)
sprinkler ~ Bernoulli(if rain then 0.01 else 0.4)
wet ~ Bernoulli(if rain or sprinkler then 0.9 else 0.05)";

#[test]
fn an_exact_answer_names_variable_elimination_and_its_largest_table() {
    let answer = ask(SPRINKLER, "P(rain | wet)", &auto(1_000));
    assert_eq!(answer.method, MethodUsed::Exact);
    assert_eq!(
        answer.details.engine.as_deref(),
        Some("variable_elimination")
    );
    let reason = reason_of(&answer);
    assert!(
        reason.starts_with("auto chose variable elimination (exact): its largest table has ")
            && reason.ends_with("(within auto's 1e8)"),
        "{reason}"
    );
    // The largest table of three binary variables has at most 2³ entries.
    let largest: f64 = reason
        .split("largest table has ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in {reason}"));
    assert!((1.0..=8.0).contains(&largest), "{reason}");
}

#[test]
fn a_linear_gaussian_answer_names_gaussian_algebra() {
    let answer = ask(
        "x ~ Normal(0, 1)\ny ~ Normal(2 * x, 1)",
        "E[y | x = 1]",
        &auto(1_000),
    );
    assert_eq!(answer.details.engine.as_deref(), Some("gaussian"));
    assert!(
        reason_of(&answer).starts_with(
            "auto chose Gaussian algebra (exact): the question is linear-Gaussian: a covariance of "
        ),
        "{}",
        reason_of(&answer)
    );
}

#[test]
fn a_sampled_answer_says_why_no_exact_engine_answered() {
    let answer = ask(
        "z ~ Exponential(1)\nw ~ Normal(z, 0.5)",
        "E[z]",
        &auto(2_000),
    );
    assert_eq!(answer.method, MethodUsed::Is);
    assert_eq!(answer.details.engine.as_deref(), Some("interpreter"));
    let reason = reason_of(&answer);
    assert!(
        reason.starts_with("auto chose the sampling interpreter (likelihood weighting); not exact: variable elimination: needs finite domains")
            && reason.contains("`z` is drawn from Exponential")
            && reason.contains("Gaussian algebra: the model is not linear-Gaussian"),
        "{reason}"
    );
    // With evidence, the pilot run's verdict comes first, then why not exact.
    let answer = ask(
        "z ~ Exponential(1)\nw ~ Normal(z, 0.5)",
        "E[z | w = 1]",
        &auto(2_000),
    );
    let reason = reason_of(&answer);
    assert!(
        reason.starts_with(
            "auto kept likelihood weighting: its pilot run kept an effective sample size of "
        ) && reason.contains("; not exact: variable elimination: "),
        "{reason}"
    );
}

/// A method the user names is no choice of auto's: the answer names its engine, no reason.
#[test]
fn a_named_method_names_the_engine_and_no_reason() {
    let exact = ask(
        SPRINKLER,
        "P(rain | wet)",
        &Options::new().seed(3).method(Method::Exact),
    );
    assert_eq!(
        exact.details.engine.as_deref(),
        Some("variable_elimination")
    );
    assert_eq!(exact.details.method_reason, None);
}

#[test]
fn json_keeps_method_and_adds_engine_and_reason() {
    let dir = std::env::temp_dir().join(format!("whatif-auto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let file = dir.join("sprinkler.scm");
    std::fs::write(&file, format!("{SPRINKLER}\nquery P(rain | wet)\n")).expect("written");
    let path = file.to_string_lossy().into_owned();
    let (code, out, err) = whatif(&["run", "--json", &path]);
    assert_eq!(code, Some(0), "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let result = &json["results"][0];
    assert_eq!(result["method"], "exact");
    assert_eq!(result["engine"], "variable_elimination");
    assert!(
        result["method_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("auto chose variable elimination")),
        "{result}"
    );
    // The human output says it under the answer.
    let (_, human, _) = whatif(&["run", &path]);
    assert!(
        human.contains(
            "\n  method: auto chose variable elimination (exact): its largest table has "
        ),
        "{human}"
    );
    let (_, named, _) = whatif(&["run", "--json", "--method", "is", &path]);
    let json: serde_json::Value = serde_json::from_str(&named).expect("JSON");
    assert_eq!(json["results"][0]["engine"], "table_sampler");
    assert!(json["results"][0].get("method_reason").is_none(), "{named}");
    let _ = std::fs::remove_dir_all(&dir);
}
