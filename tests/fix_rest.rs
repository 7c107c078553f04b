//! Issue 13's leftovers (the fix-rest branch): contradictory evidence, statements failing on
//! their own in the library and the REPL, incremental REPL checking, long chains.

use whatif::repl::{Reply, Session};
use whatif::{Code, Method, Model, Options};

fn output(session: &mut Session, line: &str) -> String {
    match session.feed(line) {
        Reply::Output(text) => text,
        other => panic!("{line}: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// A failing statement does not stop the others: library and REPL.

#[test]
fn model_run_answers_the_statements_after_a_failing_one() {
    let source = "x ~ Bernoulli(0.3)\ny := not x\nquery P(x | x, y)\nquery P(x)\n\
                  query E[x | x > 2]\nquery P(y)\n";
    let model = Model::parse(source).expect("checks");
    for method in [Method::Auto, Method::Is, Method::Exact] {
        let results = model.run(&Options::new().samples(1_000).seed(1).method(method));
        assert_eq!(results.len(), 4);
        for failed in [&results[0], &results[2]] {
            let error = failed.as_ref().expect_err("evidence of probability zero");
            assert_eq!(error.code(), Some(Code::E007), "{method:?}: {error}");
            assert!(error.line().is_some(), "{error}");
        }
        // P(x) = 0.3 and P(y) = 0.7 exactly, or within 5 standard errors when sampled.
        for (result, truth) in [(&results[1], 0.3), (&results[3], 0.7)] {
            let answer = result.as_ref().unwrap_or_else(|e| panic!("{e}"));
            let json = serde_json::to_value(answer).expect("serialises");
            let value = json["value"].as_f64().expect("a probability");
            let tolerance = json["stderr"].as_f64().map_or(1e-12, |s| 5.0 * s);
            assert!((value - truth).abs() <= tolerance, "{method:?}: {json}");
        }
    }
}

#[test]
fn repl_json_mode_prints_an_error_object_for_a_failing_statement() {
    let mut session = Session::new();
    output(&mut session, ":json on");
    output(&mut session, "x ~ Bernoulli(0.3)");
    output(&mut session, "y := not x");
    let text = output(&mut session, "P(x | x, y)");
    let object: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(object["kind"], "error", "{text}");
    assert_eq!(object["code"], "E007", "{text}");
    assert_eq!(object["line"], 1, "{text}");
    assert_eq!(object["query"], "query P(x | x, y)", "{text}");
    assert!(
        object["message"]
            .as_str()
            .is_some_and(|m| m.contains("probability zero"))
    );
    // The session goes on, still in JSON.
    let text = output(&mut session, "P(y)");
    let answer: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(answer["kind"], "probability", "{text}");
}

// ---------------------------------------------------------------------------------------------
// Contradictory evidence is E007 on every engine.

/// Models whose evidence cannot hold, each with the question asked of it.
const CONTRADICTIONS: &[(&str, &str)] = &[
    ("x ~ Bernoulli(0.3)", "P(x | x, not x)"),
    ("x ~ Bernoulli(0.3)", "P(x | not x, x)"),
    ("x ~ Bernoulli(0.3)", "P(x | x = true, x = false)"),
    ("x ~ Binomial(4, 0.3)", "P(x = 1 | x = 1, x = 2)"),
    ("x ~ Binomial(4, 0.3)", "E[x | x = 1, x = 2]"),
    (
        "x ~ Categorical(\"a\": 0.5, \"b\": 0.5)",
        "P(x = \"a\" | x = \"a\", x = \"b\")",
    ),
    (
        "x ~ Normal(0, 1)\ny ~ Normal(x, 1)",
        "P(y > 0 | x = 1, x = 2)",
    ),
    ("x ~ Normal(0, 1)\ny ~ Normal(x, 1)", "E[y | x = 1, x = 2]"),
    ("x ~ Uniform(0, 1)", "E[x | x = 0.25, x = 0.5]"),
    (
        "x ~ Bernoulli(0.3)\ny ~ Bernoulli(if x then 0.9 else 0.2)",
        "P(y | do(x = true), not x)",
    ),
    (
        "x ~ Binomial(3, 0.5)\ny := x + 1",
        "P(y = 2 | do(x = 1), x = 2)",
    ),
    (
        "x ~ Normal(0, 1)\ny ~ Normal(x, 1)",
        "E[y | do(x = 1), x = 2]",
    ),
    ("x ~ Bernoulli(0.3)\ny := not x", "P(x | y, x)"),
    (
        "x ~ Bernoulli(0.3)\ny ~ Bernoulli(if x then 0.9 else 0.2)",
        "P(y[do(x = true)] | x, not x)",
    ),
    (
        "x ~ Bernoulli(0.3)\ny ~ Bernoulli(if x then 0.9 else 0.2)",
        "P(y[do(x = true)] | y, not y)",
    ),
];

#[test]
fn contradictory_evidence_is_e007_on_every_engine() {
    let mut failures = Vec::new();
    for (model_text, question) in CONTRADICTIONS {
        let model = Model::parse(model_text).unwrap_or_else(|e| panic!("{e}"));
        let mut answered_by = 0;
        for engine in whatif::Engine::ALL {
            let options = Options::new().engine(engine).samples(2_000).seed(3);
            match model.ask(question, &options) {
                Ok(answer) => failures.push(format!("{engine:?} answered {question}: {answer:?}")),
                // The engine does not apply to this question.
                Err(e) if e.code() == Some(Code::E010) => continue,
                Err(e) => {
                    let d = &e.diagnostics()[0];
                    if e.code() != Some(Code::E007) || d.line.is_none() || d.help.is_none() {
                        failures.push(format!("{engine:?}, {question}: {e}"));
                    }
                    answered_by += 1;
                }
            }
        }
        if answered_by < 2 {
            failures.push(format!("{question}: only {answered_by} engines applied"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// An attribution's work is estimated and bounded before anything runs; the REPL keeps `set`
// values (permutations included) for the entries that follow, as a file does.

/// `n` fair coins and their sum `y`: an `n`-player attribution (permutations past 12).
fn coins(n: usize) -> String {
    let mut text: String = (0..n).map(|i| format!("x{i} ~ Bernoulli(0.5)\n")).collect();
    let sum: Vec<String> = (0..n).map(|i| format!("x{i}")).collect();
    text.push_str(&format!("y := {}\n", sum.join(" + ")));
    text
}

/// Every attribution file of the bad-input catalogue, typed into the REPL line by line, fails
/// with the code the file does (the fuzz target `repl_lines` hung on
/// attribute_too_many_coalitions.scm: its `set permutations` was dropped between entries, and
/// the default permutations ran for minutes).
#[test]
fn attribution_catalogue_files_typed_line_by_line_fail_as_the_files_do() {
    let mut checked = 0;
    for path in std::fs::read_dir("tests/data/err").expect("the catalogue") {
        let path = path.expect("a file").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("attribute_") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("readable");
        let code = source
            .lines()
            .find_map(|l| l.strip_prefix("# code: "))
            .expect("a code header");
        let mut session = Session::new();
        output(&mut session, ":samples 2000");
        let mut all = String::new();
        for line in source.lines().filter(|l| !l.starts_with('#')) {
            if let Reply::Output(text) = session.feed(line) {
                all.push_str(&text);
            }
        }
        assert!(
            all.contains(&format!("error[{code}]")),
            "{name}: expected {code}:\n{all}"
        );
        checked += 1;
    }
    assert!(checked >= 8, "{checked} attribution files");
}

#[test]
fn repl_set_permutations_holds_for_the_entries_that_follow() {
    let mut session = Session::new();
    for line in coins(13).lines() {
        output(&mut session, line);
    }
    assert_eq!(
        output(&mut session, "set permutations = 7"),
        "permutations = 7\n"
    );
    output(&mut session, ":json on");
    let permutations = |text: &str| {
        let json: serde_json::Value =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(json["kind"], "attribution", "{text}");
        // Exact coalition values: the shares add up to the change exactly.
        let total: f64 = json["contributions"]
            .as_array()
            .expect("contributions")
            .iter()
            .map(|c| c["value"].as_f64().expect("a number"))
            .sum();
        let change = json["value"].as_f64().unwrap() - json["baseline"].as_f64().unwrap();
        assert!((total - change).abs() < 1e-9, "{text}");
        json["permutations"].as_u64()
    };
    let text = output(&mut session, "attribute y given y > 10");
    assert_eq!(permutations(&text), Some(7));
    // A redeclaration checks the whole model again; the setting stays.
    output(&mut session, "x0 ~ Bernoulli(0.25)");
    let text = output(&mut session, "attribute y given y > 10");
    assert_eq!(permutations(&text), Some(7));
    // A later `set` replaces it; an entry's own `set` holds for its statement.
    output(&mut session, "set permutations = 3");
    let text = output(&mut session, "attribute y given y > 10");
    assert_eq!(permutations(&text), Some(3));
}

#[test]
fn options_permutations_overrides_the_files_setting() {
    let source = format!(
        "{}set permutations = 5\nattribute y given y > 10\n",
        coins(13)
    );
    let model = Model::parse(&source).expect("checks");
    let options = Options::new().seed(1);
    let read = |options: &Options| {
        let answer = model
            .run(options)
            .remove(0)
            .unwrap_or_else(|e| panic!("{e}"));
        serde_json::to_value(&answer).expect("serialises")["permutations"].as_u64()
    };
    assert_eq!(read(&options), Some(5));
    assert_eq!(read(&options.clone().permutations(9)), Some(9));
}

/// The work limit covers every coalition (12 players and fewer) as well as permutations: a
/// 10-player exact attribution (1,024 coalitions) is answered under the default limit and
/// refused, before it runs, under a small one, with its line and a hint.
#[test]
fn attribution_work_is_refused_before_it_runs_over_the_configured_limit() {
    let source = format!("{}attribute y given y > 6\n", coins(10));
    let options = Options::new().seed(1);
    let model = Model::parse(&source).expect("checks");
    let answers = model.run(&options);
    assert!(answers[0].is_ok(), "{:?}", answers[0]);
    let mut config = whatif::Config::default();
    config.max_attribution_work = 1_000_000;
    let model = Model::parse_with("<coins>", &source, &config).expect("checks");
    let error = model.run(&options).remove(0).expect_err("over the limit");
    assert_eq!(error.code(), Some(Code::E005), "{error}");
    assert_eq!(error.line(), Some(12), "{error}");
    let text = error.to_string();
    assert!(text.contains("1024 coalitions of 10 players"), "{text}");
    assert!(error.diagnostics()[0].help.is_some(), "{text}");
}

// ---------------------------------------------------------------------------------------------
// `Model::ask` checks the question alone against the checked model (check/extend.rs) where it
// can; its answers and errors are those of checking the whole text with the question appended.

/// `ask(question)` and the last answer of the whole text with the question appended, as JSON
/// (an error as its code and message).
fn ask_both_ways(source: &str, question: &str, options: &Options) -> (String, String) {
    let shown = |result: Result<whatif::Answer, whatif::Error>| match result {
        Ok(answer) => serde_json::to_string(&answer).expect("serialises"),
        // `ask` places its errors in the question, the whole text in the file: the line differs.
        Err(e) => format!("{:?}: {}", e.code(), e.message()),
    };
    let model = Model::parse(source).expect("checks");
    let asked = shown(model.ask(question, options));
    let keyword = ["query", "decide", "bandit", "identify", "attribute"]
        .iter()
        .any(|k| question.trim_start().starts_with(k));
    let appended = format!(
        "{source}\n{}{}\n",
        if keyword { "" } else { "query " },
        question.trim()
    );
    let whole = match Model::parse(&appended) {
        Ok(whole) => shown(whole.run(options).pop().expect("one answer at least")),
        Err(e) => format!("{:?}: {}", e.code(), e.message()),
    };
    (asked, whole)
}

#[test]
fn ask_answers_as_the_whole_text_with_the_question_appended() {
    let options = Options::new().samples(2_000).seed(7).threads(1);
    let mut compared = 0;
    let mut examples: Vec<_> = std::fs::read_dir("examples")
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "scm"))
        .collect();
    examples.sort();
    for path in examples {
        let source = std::fs::read_to_string(&path).expect("readable");
        let Ok(model) = Model::parse(&source) else {
            continue; // an example with data files is read relative to its directory
        };
        let questions: Vec<String> = model.questions().map(str::to_string).collect();
        let first = model.variables().next().expect("a variable").to_string();
        let extra = [
            "P(*)".to_string(),
            format!("E[{first}]"),
            format!("query named = E[{first}] - 1"),
            format!("E[{first} + no_such_name]"),
            format!("P({first} | {first} > 1e300)"),
        ];
        for question in questions.iter().chain(&extra) {
            let (asked, whole) = ask_both_ways(&source, question, &options);
            assert_eq!(asked, whole, "{}: {question}", path.display());
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} questions compared");
}

#[test]
fn ask_takes_the_files_settings_and_declarations_as_the_whole_text_does() {
    let options = Options::new().threads(1);
    let source = "set samples = 3000\nset seed = 5\nlet k = 2\nx ~ Normal(0, 1)\n\
                  y := k * x + 1\nset method = \"is\"\nquery P(y > 1)\n";
    for question in [
        "P(y > 1 | x > 0)",
        "E[y[do(x = k)]]",
        "identify P(y | do(x))\nz ~ Normal(y, 1)",
        "x ~ Normal(1, 1)",
        "",
    ] {
        let (asked, whole) = ask_both_ways(source, question, &options);
        assert_eq!(asked, whole, "{question}");
    }
    let model = Model::parse(source).expect("checks");
    let error = model
        .ask("query P(y > 1)\nquery P(y < 1)", &options)
        .expect_err("two questions");
    assert!(
        error.message().starts_with("expected one question"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// The REPL's `set prior`: part of the model (the fit reads it), kept across redeclarations.

/// A value the REPL printed in JSON mode.
fn json_value(session: &mut Session, line: &str) -> f64 {
    let text = output(session, line);
    let object: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    object["value"].as_f64().unwrap_or_else(|| panic!("{text}"))
}

#[test]
fn repl_set_prior_fits_as_the_file_does_and_survives_a_redeclaration() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/clinic_fit.csv");
    let model_text = |prior: &str| {
        format!(
            "{prior}data \"{data}\"\nseverity ~ Categorical(\"mild\": ?, \"severe\": ?)\n\
             treated ~ Bernoulli(?[severity])\n"
        )
    };
    let question = "P(treated | severity = \"mild\")";
    // What `whatif run` answers: the fit with and without 100 pseudo-observations per value.
    let run = |text: &str| {
        let model = Model::parse(text).expect("checks and fits");
        let answer = model.ask(question, &Options::new()).expect("answers");
        serde_json::to_value(&answer).expect("serialises")["value"]
            .as_f64()
            .expect("a probability")
    };
    let plain = run(&model_text(""));
    let with_prior = run(&model_text("set prior = 100\n"));
    assert!((plain - with_prior).abs() > 1e-3, "{plain} {with_prior}");

    // A loaded file's `set prior` holds in the session.
    let dir = std::env::temp_dir().join(format!("whatif-prior-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let file = dir.join("prior.scm");
    std::fs::write(&file, model_text("set prior = 100\n")).expect("written");
    let mut session = Session::new();
    output(&mut session, &format!(":load {}", file.display()));
    output(&mut session, ":json on");
    assert_eq!(json_value(&mut session, question), with_prior);
    // It survives a redeclaration (the model is checked whole again, from its declarations).
    let text = output(&mut session, "treated ~ Bernoulli(?[severity])");
    assert!(text.contains("replaced `treated`"), "{text}");
    assert_eq!(json_value(&mut session, question), with_prior);
    // A typed `set prior` replaces it, echoed as `samples` is, and holds for what follows.
    assert_eq!(output(&mut session, "set prior = 0"), "prior = 0\n");
    assert_eq!(json_value(&mut session, question), plain);
    output(
        &mut session,
        "severity ~ Categorical(\"mild\": ?, \"severe\": ?)",
    );
    assert_eq!(json_value(&mut session, question), plain);
    assert_eq!(output(&mut session, "set prior = 100"), "prior = 100\n");
    assert_eq!(json_value(&mut session, question), with_prior);
    std::fs::remove_dir_all(&dir).ok();
}
