//! The junction tree `P(* | e)` calibrates is kept for the model's later questions (issue 21):
//! a question about one variable under the same evidence and interventions is read from it —
//! in a file, through the library's `ask`, and in the REPL — and agrees with the same question
//! answered by its own elimination in a fresh model. Other evidence, other interventions and
//! counterfactual questions are answered afresh.

use whatif::{Answer, Method, Model, Options};

const MODEL: &str = "cloudy ~ Bernoulli(0.5)
sprinkler ~ Bernoulli(if cloudy then 0.1 else 0.5)
rain ~ Bernoulli(if cloudy then 0.8 else 0.2)
wet ~ Bernoulli(match (sprinkler, rain) {
  (true, true) => 0.99, (true, false) => 0.90, (false, true) => 0.90, _ => 0.0 })
season ~ Categorical(\"dry\": 0.6, \"monsoon\": 0.4)
level := if rain then 2 else (if season == \"monsoon\" then 1 else 0)";

const CACHED: &str = "read from the junction tree an earlier `P(* | ...)` calibrated";

fn auto() -> Options {
    Options::new().seed(5).method(Method::Auto)
}

fn reason(answer: &Answer) -> &str {
    answer.details.method_reason.as_deref().unwrap_or_default()
}

/// Every number of an answer's body, in order.
fn numbers(answer: &Answer) -> Vec<f64> {
    fn walk(v: &serde_json::Value, out: &mut Vec<f64>) {
        match v {
            serde_json::Value::Number(n) => out.extend(n.as_f64()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(
        &serde_json::to_value(&answer.body).expect("an answer serialises"),
        &mut out,
    );
    out
}

/// The same question answered exactly in a model that has answered nothing before.
fn fresh(question: &str) -> Answer {
    Model::parse(MODEL)
        .and_then(|m| m.ask(question, &Options::new().seed(5).method(Method::Exact)))
        .unwrap_or_else(|e| panic!("{question}: {e}"))
}

/// Asserts whether `answer` (to `question`) was read from a tree an earlier `P(*)` calibrated.
fn assert_read_from_tree(answer: &Answer, question: &str, read: bool) {
    assert_eq!(
        reason(answer).contains(CACHED),
        read,
        "{question}: {}",
        reason(answer)
    );
}

fn assert_agrees(answer: &Answer, question: &str) {
    let (got, want) = (numbers(answer), numbers(&fresh(question)));
    assert_eq!(got.len(), want.len(), "{question}");
    for (a, b) in got.iter().zip(&want) {
        assert!((a - b).abs() <= 1e-12, "{question}: {got:?} vs {want:?}");
    }
}

#[test]
fn questions_under_the_evidence_of_an_earlier_p_star_are_read_from_its_tree() {
    let model = Model::parse(MODEL).unwrap_or_else(|e| panic!("{e}"));
    let first = model
        .ask("P(rain | wet)", &auto())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_read_from_tree(&first, "P(rain | wet)", false);
    model
        .ask("P(* | wet)", &auto())
        .unwrap_or_else(|e| panic!("{e}"));
    for question in [
        "P(rain | wet)",
        "P(rain = true | wet)",
        "P(season | wet)",
        "P(season = \"monsoon\" | wet)",
        "E[level | wet]",
        "P(level | wet)",
        "P(level >= 1 | wet)",
        "P(wet | wet)",
        "P(* | wet)",
    ] {
        let answer = model
            .ask(question, &auto())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_read_from_tree(&answer, question, true);
        assert_agrees(&answer, question);
    }
}

#[test]
fn other_evidence_interventions_and_counterfactuals_are_answered_afresh() {
    let model = Model::parse(MODEL).unwrap_or_else(|e| panic!("{e}"));
    model
        .ask("P(* | wet)", &auto())
        .unwrap_or_else(|e| panic!("{e}"));
    for question in [
        "P(rain | not wet)",
        "P(rain | wet, sprinkler)",
        "P(rain | wet or sprinkler)",
        "P(rain | do(sprinkler = true), wet)",
        "P(rain[do(sprinkler = false)] | wet)",
        "P(rain | wet) - P(rain)",
    ] {
        let answer = model
            .ask(question, &auto())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_read_from_tree(&answer, question, false);
        assert_agrees(&answer, question);
    }
}

#[test]
fn an_intervention_s_tree_answers_questions_under_the_same_intervention() {
    let model = Model::parse(MODEL).unwrap_or_else(|e| panic!("{e}"));
    model
        .ask("P(* | do(sprinkler = true), wet)", &auto())
        .unwrap_or_else(|e| panic!("{e}"));
    let question = "P(rain | do(sprinkler = true), wet)";
    let answer = model
        .ask(question, &auto())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_read_from_tree(&answer, question, true);
    assert_agrees(&answer, question);
    let other = "P(rain | do(sprinkler = false), wet)";
    let answer = model.ask(other, &auto()).unwrap_or_else(|e| panic!("{e}"));
    assert_read_from_tree(&answer, other, false);
    assert_agrees(&answer, other);
}

#[test]
fn a_file_s_later_questions_read_the_tree_of_its_p_star() {
    let text = format!("{MODEL}\nquery P(* | wet)\nquery P(rain | wet)\nquery E[level | wet]\n");
    let model = Model::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let answers: Vec<Answer> = model
        .run(&auto())
        .into_iter()
        .map(|a| a.unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert_read_from_tree(&answers[0], "P(* | wet)", false);
    for (answer, question) in answers[1..].iter().zip(["P(rain | wet)", "E[level | wet]"]) {
        assert_read_from_tree(answer, question, true);
        assert_agrees(answer, question);
    }
}
