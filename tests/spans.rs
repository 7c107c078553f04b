//! Every span names its text (issue 14): a model's file, a question given to `Model::ask`, a
//! REPL entry are texts of their own, and each diagnostic renders against the one it points
//! into — including what an engine found while answering, which the statement locates.

use whatif::repl::{Reply, Session};
use whatif::{Model, Options};

/// What the session answers to each line, joined.
fn session_output(lines: &[&str]) -> String {
    let mut session = Session::new();
    let mut out = String::new();
    for line in lines {
        if let Reply::Output(text) = session.feed(line) {
            out.push_str(&text);
        }
    }
    out
}

#[test]
fn an_error_in_an_asked_question_points_into_the_question_as_written() {
    let model = Model::parse("x ~ Normal(0, 1)\ny := 2 * x\n").expect("checks");
    let error = model
        .ask("P(y > 0 | z)", &Options::new())
        .expect_err("z is unknown");
    let d = &error.diagnostics()[0];
    // `query ` is supplied by whatif and not shown: the column is the question's own.
    assert_eq!(
        (d.file.as_str(), d.line, d.column),
        ("<question>", Some(1), Some(11))
    );
    let text = error.to_string();
    assert!(
        text.starts_with("<question>:1:11: error[E002]: unknown variable `z`"),
        "{text}"
    );
    assert!(text.contains("1 | P(y > 0 | z)\n"), "{text}");
}

#[test]
fn what_an_engine_finds_while_answering_a_question_is_located_at_the_question() {
    // The sampler finds the logarithm of a negative number; it knows no place, so the
    // question that asked is the place — in the question's own text.
    let model = Model::parse("x ~ Normal(0, 1)\n").expect("checks");
    let options = Options::new().method(whatif::Method::Is).samples(1000);
    let error = model
        .ask("E[log(x)]", &options)
        .expect_err("log of a negative number");
    assert_eq!(error.code(), Some(whatif::Code::E006), "{error}");
    let d = &error.diagnostics()[0];
    assert_eq!(
        (d.file.as_str(), d.line, d.column),
        ("<question>", Some(1), Some(1))
    );
    assert!(error.to_string().contains("1 | E[log(x)]\n"), "{error}");
    // The same question in the file points into the file, at its line.
    let model = Model::parse("x ~ Normal(0, 1)\nquery E[log(x)]\n").expect("checks");
    let error = model.run(&options).remove(0).expect_err("the same failure");
    let d = &error.diagnostics()[0];
    assert_eq!((d.file.as_str(), d.line), ("<model>", Some(2)));
}

#[test]
fn an_asked_question_seeds_as_it_would_at_the_end_of_the_file() {
    // The question's line (which seeds its random numbers) counts the model's lines before
    // it, so asking gives the file's own number.
    let model_text = "x ~ Normal(0, 1)\ny ~ Normal(x, 1)\n";
    let options = Options::new()
        .method(whatif::Method::Is)
        .samples(20_000)
        .seed(5);
    let asked = Model::parse(model_text)
        .expect("checks")
        .ask("E[y | x > 0]", &options)
        .expect("answers");
    let in_file = Model::parse(&format!("{model_text}\nquery E[y | x > 0]\n"))
        .expect("checks")
        .run(&options)
        .remove(0)
        .expect("answers");
    let value = |a: &whatif::Answer| serde_json::to_value(&a.body).expect("serialises");
    assert_eq!(value(&asked), value(&in_file));
}

#[test]
fn a_repl_error_in_an_earlier_entry_is_shown_in_the_model_at_its_line() {
    // `y`'s mechanism was typed in the second entry; the Bernoulli's parameter goes out of
    // range only when a question runs it, three entries later. The error points into the
    // model's text (`<model>`), at the line the declaration has there.
    let out = session_output(&[
        ":method is",
        ":samples 1000",
        "x ~ Normal(0, 1)",
        "y ~ Bernoulli(x)",
        "z := y",
        "P(z)",
    ]);
    assert!(out.contains("<model>:2:5: error[E006]"), "{out}");
    assert!(out.contains("2 | y ~ Bernoulli(x)\n"), "{out}");
}

#[test]
fn a_repl_error_in_the_entry_is_shown_in_the_entry() {
    let out = session_output(&["x ~ Normal(0, 1)", "y := 2 * x", "P(y > 0 | w)"]);
    assert!(
        out.starts_with("<repl>:1:17: error[E002]: unknown variable `w`"),
        "{out}"
    );
    assert!(out.contains("1 | query P(y > 0 | w)\n"), "{out}");
}
