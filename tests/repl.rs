//! The REPL backend driven by scripted sessions; the transcript is an insta snapshot.

use whatif::repl::{Reply, Session};

/// Feeds each line, recording `prompt line` and what the session answered.
fn transcript(lines: &[&str]) -> (Session, String) {
    let mut session = Session::new();
    let mut out = String::new();
    for line in lines {
        out.push_str(&session.prompt());
        out.push_str(line);
        out.push('\n');
        match session.feed(line) {
            Reply::Output(text) => out.push_str(&text),
            Reply::Quit => {
                out.push_str("<quit>\n");
                break;
            }
            // `Reply::More`: the entry continues (`Reply` is non-exhaustive).
            _ => {}
        }
    }
    (session, out)
}

#[test]
fn sprinkler_session_with_mistakes_and_fixes() {
    let (session, text) = transcript(&[
        ":samples 200000",
        ":seed 3",
        "rain ~ Bernoulli(0.2)",
        // A syntax error, then the fix.
        "sprinkler ~ Bernoulli(if rain then 0.01 else)",
        "sprinkler ~ Bernoulli(if rain then 0.01 else 0.4)",
        // A multi-line match, judged incomplete by the parser until its brace closes.
        "wet ~ Bernoulli(match (rain, sprinkler) {",
        "    (true, true) => 0.99,",
        "    (true, false) => 0.8,",
        "    (false, true) => 0.9,",
        "    (false, false) => 0.0",
        "})",
        // An unknown name, then the fix.
        "P(rian | wet)",
        "P(rain | wet)",
        // A cycle is refused and leaves the model as it was.
        "rain ~ Bernoulli(if wet then 0.3 else 0.1)",
        "rain ~ Bernoulli(0.2)",
        ":vars",
        "P(wet | do(sprinkler = true))",
        ":method is",
        "E[wet | do(sprinkler = false)]",
        ":quit",
    ]);
    insta::assert_snapshot!("sprinkler_session", text);
    assert_eq!(session.variables(), ["rain", "sprinkler", "wet"]);
}

#[test]
fn redeclaring_replaces_a_mechanism() {
    let (_, text) = transcript(&[
        "x ~ Normal(0, 1)",
        "y := 2 * x",
        "E[y | do(x = 1)]",
        "y := 3 * x",
        "E[y | do(x = 1)]",
    ]);
    assert!(text.contains("replaced `y`"), "{text}");
    // Under `do(x = 1)` y is a constant, which exact inference answers.
    assert!(text.contains("  = 2.00000   (exact)"), "{text}");
    assert!(text.contains("  = 3.00000   (exact)"), "{text}");
}

#[test]
fn commands_report_their_mistakes_and_the_session_goes_on() {
    let (session, text) = transcript(&[
        ":samples zero",
        ":sed 4",
        ":method fast",
        ":json maybe",
        ":load /nonexistent/model.scm",
        ":reload",
        ":nonsense",
        "x ~ Bernoulli(0.5)",
        ":json on",
        "P(x)",
        ":clear",
        ":vars",
    ]);
    insta::assert_snapshot!("command_mistakes", text);
    assert!(session.variables().is_empty());
}

#[test]
fn loading_a_file_keeps_its_declarations_and_settings() {
    let (session, text) = transcript(&[
        ":load examples/kidney_stones.scm",
        ":vars",
        "P(recovered | do(treatment = \"A\"))",
    ]);
    assert!(text.contains("loaded examples/kidney_stones.scm"), "{text}");
    assert!(!session.variables().is_empty());
    assert!(!text.contains("error"), "{text}");
}

#[test]
fn completion_knows_keywords_distributions_commands_and_variables() {
    let (session, _) = transcript(&["rainfall ~ Normal(0, 1)", "rain ~ Bernoulli(0.2)"]);
    assert_eq!(session.completions("rai"), ["rain", "rainfall"]);
    assert_eq!(session.completions("Bern"), ["Bernoulli"]);
    assert!(session.completions(":re").contains(&":reload".to_string()));
    assert!(session.completions("mat").contains(&"match".to_string()));
}

#[test]
fn an_empty_line_ends_an_unfinished_entry_with_its_error() {
    let (session, text) = transcript(&["x ~ Normal(0,", ""]);
    assert!(text.contains("error[E001]"), "{text}");
    assert_eq!(session.prompt(), "whatif[0]> ");
}
