//! Reliability of the front end (issue 13): inputs of user-controlled size or depth are answered
//! or refused with a clear diagnostic — never a signal. Every big input is generated here; the
//! tests assert outcomes, not timings (timings are measured by commands, see README).

use std::process::Command;
use whatif::results::Body;
use whatif::{Code, Method, Model, Options};

fn join(n: usize, item: impl Fn(usize) -> String, separator: &str) -> String {
    (0..n).map(item).collect::<Vec<_>>().join(separator)
}

fn value(model: &Model, question: &str, method: Method) -> f64 {
    let options = Options::new()
        .samples(200)
        .seed(3)
        .threads(2)
        .method(method);
    let answer = model
        .ask(question, &options)
        .unwrap_or_else(|e| panic!("{e}"));
    match answer.body {
        Body::Probability(e) | Body::Expectation(e) => e.value,
        other => panic!("unexpected answer {other:?}"),
    }
}

fn first_error(source: &str) -> whatif::Diagnostic {
    match Model::parse(source) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.diagnostics()[0].clone(),
    }
}

/// Runs the whatif binary on a file and returns (exit code, stderr).
fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_whatif"))
        .args(args)
        .output()
        .expect("the whatif binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_sum_of_100000_terms_answers_exactly_and_by_sampling() {
    let source = format!("x := {}\n", join(100_000, |_| "1".into(), " + "));
    let model = Model::parse(&source).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value(&model, "E[x]", Method::Auto), 100_000.0);
    // The interpreter evaluates the expression on worker threads with small stacks.
    assert_eq!(value(&model, "E[x]", Method::Is), 100_000.0);
}

#[test]
fn long_chains_of_every_regrouped_operator_keep_their_value() {
    let n = 10_000;
    // 1 - 2 + 3 - 4 + ...: signs survive the regrouping.
    let alternating = join(n, |i| format!("{}", i + 1), " ? ");
    let mut signed = String::new();
    for (i, term) in alternating.split(" ? ").enumerate() {
        if i > 0 {
            signed.push_str(if i % 2 == 1 { " - " } else { " + " });
        }
        signed.push_str(term);
    }
    let expected: i64 = (1..=n as i64)
        .map(|k| if k % 2 == 1 { k } else { -k })
        .sum();
    let source = format!(
        "a ~ Bernoulli(0.5)\n\
         s := {signed}\n\
         p := {}\n\
         q := {}\n\
         all := {}\n\
         any := {}\n\
         odd := {}\n",
        join(
            n,
            |i| if i % 2 == 0 { "2".into() } else { "0.5".into() },
            " * "
        ),
        join(n, |i| if i == 0 { "8".into() } else { "1".into() }, " / "),
        join(n, |_| "a".into(), " and "),
        join(n, |_| "a".into(), " or "),
        join(n + 1, |_| "a".into(), " xor "),
    );
    let model = Model::parse(&source).unwrap_or_else(|e| panic!("{e}"));
    for method in [Method::Auto, Method::Is] {
        assert_eq!(value(&model, "E[s]", method), expected as f64);
        assert_eq!(value(&model, "E[p]", method), 1.0);
        assert_eq!(value(&model, "E[q]", method), 8.0);
    }
    assert_eq!(value(&model, "P(all)", Method::Auto), 0.5);
    assert_eq!(value(&model, "P(any)", Method::Auto), 0.5);
    assert_eq!(value(&model, "P(odd)", Method::Auto), 0.5);
    assert_eq!(value(&model, "P(odd = a)", Method::Auto), 1.0);
}

#[test]
fn estimand_arithmetic_is_long_and_products_bind_tighter() {
    let model = Model::parse("a ~ Bernoulli(0.25)\n").unwrap();
    let sum = join(5_000, |_| "P(a)".into(), " + ");
    assert_eq!(value(&model, &format!("query {sum}"), Method::Auto), 1250.0);
    // Before the fix this read as (P(a) + P(a)) * 4 = 2.
    assert_eq!(value(&model, "query P(a) + P(a) * 4", Method::Auto), 1.25);
    assert_eq!(
        value(&model, "query 1 - P(a) / 2 - P(a)", Method::Auto),
        0.625
    );
}

#[test]
fn else_if_chains_answer_within_the_limit_and_are_refused_beyond_it() {
    let arms = |n: usize| {
        format!(
            "k ~ DiscreteUniform(0, {n})\nx := {} else -1\n",
            join(n, |i| format!("if k == {i} then {i}"), " else ")
        )
    };
    let model = Model::parse(&arms(150)).unwrap_or_else(|e| panic!("{e}"));
    // k is uniform on 0..=150; x = k except x = -1 at k = 150.
    let expected = ((0..150).sum::<i64>() - 1) as f64 / 151.0;
    assert!((value(&model, "E[x]", Method::Auto) - expected).abs() < 1e-9);
    let d = first_error(&arms(5_000));
    assert_eq!(d.code, Some(Code::E001));
    assert!(d.message.contains("`if`s nested"), "{}", d.message);
    assert!(d.help.unwrap().contains("match"));
}

#[test]
fn chains_that_cannot_be_regrouped_are_refused_past_the_depth_limit() {
    let d = first_error(&format!("x := {}\n", join(3_000, |_| "7".into(), " % ")));
    assert_eq!(d.code, Some(Code::E001));
    assert!(
        d.message.contains("more than whatif's limit of 500"),
        "{}",
        d.message
    );
    let d = first_error(&format!("x := {}\n", join(100_000, |_| "1".into(), " ^ ")));
    assert!(
        d.message.contains("`^` operators in a row"),
        "{}",
        d.message
    );
    let d = first_error(&format!("x := {}1\n", "not ".repeat(100_000)));
    assert!(d.message.contains("prefix operators"), "{}", d.message);
}

#[test]
fn the_deepest_accepted_expression_runs_on_small_worker_stacks() {
    // 490 nested `%`: the deepest tree the limit lets through, evaluated by the sampler's
    // workers (2 MiB stacks) and by the exact engine.
    let source = format!(
        "x ~ Bernoulli(0.5)\ny := if x then 1 else 0\nz := y {}\n",
        " % 2".repeat(490)
    );
    let model = Model::parse(&source).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value(&model, "E[z]", Method::Exact), 0.5);
    let sampled = value(&model, "E[z]", Method::Is);
    assert!((0.0..=1.0).contains(&sampled));
    let parsed_on_a_small_stack = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || Model::parse(&source).is_ok())
        .unwrap()
        .join()
        .unwrap();
    assert!(parsed_on_a_small_stack);
}

#[test]
fn many_labels_and_weights_check() {
    let labels = join(100_000, |i| format!("\"l{i}\": 1"), ", ");
    let model = Model::parse(&format!("w ~ Categorical({labels})\n")).unwrap();
    assert!((value(&model, "P(w = \"l99999\")", Method::Auto) - 1e-5).abs() < 1e-15);
    let weights = join(100_000, |_| "1".into(), ", ");
    assert!(Model::parse(&format!("w ~ Categorical({weights})\n")).is_ok());
}

#[test]
fn a_cycle_through_100000_variables_is_one_short_error() {
    let n = 100_000;
    let source = join(n, |i| format!("v{i} := v{} + 1", (i + n - 1) % n), "\n");
    let error = Model::parse(&source).unwrap_err();
    assert_eq!(error.diagnostics().len(), 1);
    let d = &error.diagnostics()[0];
    assert_eq!(d.code, Some(Code::E004));
    assert!(d.message.contains("more)"), "{}", d.message);
    assert!(error.to_string().len() < 4_000);
}

#[test]
fn a_chain_of_100000_variables_checks() {
    let source = format!(
        "v0 ~ Normal(0, 1)\n{}\n",
        join(99_999, |i| format!("v{} := v{i} + 1", i + 1), "\n")
    );
    let model = Model::parse(&source).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(model.variables().count(), 100_000);
}

#[test]
fn many_errors_print_a_bounded_report() {
    // 20,000 duplicate interventions on one 200 KB line.
    let dos = join(20_000, |_| "do(x = true)".into(), ", ");
    let source = format!("x ~ Bernoulli(0.5)\ny := x\nquery P(y | {dos})\n");
    let error = Model::parse(&source).unwrap_err();
    assert!(error.diagnostics().len() > 1_000);
    let text = error.to_string();
    assert!(text.len() < 20_000, "{} bytes", text.len());
    assert!(text.contains("more errors not shown"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() < 200), "{text}");
    // 10,000 unknown names: all reported, the first with a suggestion, quickly.
    let unknown = join(10_000, |i| format!("u{i}"), " + ");
    let error = Model::parse(&format!("u := 1\nx := {unknown}\n")).unwrap_err();
    assert_eq!(error.diagnostics().len(), 10_000);
    assert!(error.to_string().contains("9980 more errors not shown"));
}

#[test]
fn a_sum_of_40000_repeated_names_checks() {
    let source = format!(
        "a ~ Bernoulli(0.5)\nx := {}\n",
        join(40_000, |_| "a".into(), " + ")
    );
    let model = Model::parse(&source).unwrap();
    assert_eq!(value(&model, "E[x]", Method::Auto), 20_000.0);
}

#[test]
fn oversized_and_non_utf8_files_are_refused_with_a_position() {
    let (code, _, stderr) = cli(&["check", "/dev/zero"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("longer than whatif's limit"), "{stderr}");
    assert!(stderr.len() < 2_000);
    let dir = std::env::temp_dir().join(format!("whatif-fix-front-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latin1.scm");
    std::fs::write(&path, b"x ~ Bernoulli(0.5)\ny := x # caf\xe9\n").unwrap();
    let (code, _, stderr) = cli(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("latin1.scm:2:13: error[E001]"), "{stderr}");
    assert!(stderr.contains("0xe9"), "{stderr}");
    let error = Model::from_file(&path).unwrap_err();
    // Byte 31, the 0xe9: line 2, column 13 (the library reports lines and columns).
    assert_eq!((error.line(), error.column()), (Some(2), Some(13)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn limits_of_model_size_say_how_and_use_e010() {
    // `Config` is non-exhaustive: start from the defaults and set the one limit.
    let mut config = whatif::Config::default();
    config.max_variables = 3;
    let source = join(5, |i| format!("v{i} ~ Normal(0, 1)"), "\n");
    let error = Model::parse_with("<model>", &source, &config).unwrap_err();
    let d = &error.diagnostics()[0];
    assert_eq!(d.code, Some(Code::E010));
    assert!(d.message.contains("at most 3"), "{}", d.message);
}

#[test]
fn repl_warnings_are_shown_once_and_load_lists_questions() {
    use whatif::repl::{Reply, Session};
    let mut session = Session::new();
    for line in [":method is", ":samples 100000", "x ~ Normal(0, 1)"] {
        session.feed(line);
    }
    let Reply::Output(text) = session.feed("E[x | x > 3.2]") else {
        panic!()
    };
    let warnings = text.matches("warning").count();
    assert_eq!(warnings, 1, "{text}");

    let dir = std::env::temp_dir().join(format!("whatif-fix-front-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.scm");
    std::fs::write(&path, "x ~ Bernoulli(0.5)\nquery P(x)\nquery E[x]\n").unwrap();
    let text = session.load(path.clone());
    assert!(text.contains("  query P(x)\n  query E[x]\n"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
