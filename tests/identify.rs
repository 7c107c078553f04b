//! Identification end to end (LANGUAGE.md §13): graph declarations, `identify`, estimation
//! from data by the identified estimand, and the cross-check against y0.

mod common;

use common::*;
use std::collections::HashMap;
use whatif::results::{Body, Estimate};
use whatif::{Method, Model, Options};

fn estimate(body: &Body) -> &Estimate {
    match body {
        Body::Probability(e) | Body::Expectation(e) => e,
        other => panic!("not a probability: {other:?}"),
    }
}

/// Rows of a CSV of bool columns, as maps from column to value.
fn read_bool_csv(path: &str) -> Vec<HashMap<String, bool>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|line| {
            header
                .iter()
                .cloned()
                .zip(line.split(',').map(|c| c == "true"))
                .collect()
        })
        .collect()
}

/// The share of rows where every `(column, value)` holds.
fn share(rows: &[HashMap<String, bool>], at: &[(&str, bool)]) -> f64 {
    let n = rows
        .iter()
        .filter(|r| at.iter().all(|(c, v)| r[*c] == *v))
        .count();
    n as f64 / rows.len() as f64
}

fn conditional(rows: &[HashMap<String, bool>], at: &[(&str, bool)], given: &[(&str, bool)]) -> f64 {
    let mut all = at.to_vec();
    all.extend_from_slice(given);
    share(rows, &all) / share(rows, given)
}

#[test]
fn front_door_estimate_is_the_formula_on_the_data_and_near_the_truth() {
    let model = Model::from_file("examples/smoking_front_door.scm").unwrap();
    let answers = run_all(&model, &Options::new().seed(7)).unwrap();
    // The estimand, as LANGUAGE.md §13 writes it (factors in topological order).
    let Body::Identification(id) = &answers[0].body else {
        panic!("not an identification")
    };
    assert!(id.identifiable);
    assert_eq!(
        id.estimand.as_deref(),
        Some("Σ_tar P(tar | smoking) Σ_smoking' P(smoking') P(cancer | smoking', tar)")
    );
    assert_eq!(id.adjustment_set, None);
    assert_eq!(id.hedge, None);
    // The estimate is the front-door formula evaluated on the rows, computed here directly.
    let rows = read_bool_csv("examples/smoking_front_door.csv");
    let front_door = |s: bool| {
        let mut total = 0.0;
        for t in [false, true] {
            let mut inner = 0.0;
            for s2 in [false, true] {
                inner += share(&rows, &[("smoking", s2)])
                    * conditional(&rows, &[("cancer", true)], &[("smoking", s2), ("tar", t)]);
            }
            total += conditional(&rows, &[("tar", t)], &[("smoking", s)]) * inner;
        }
        total
    };
    let treated = estimate(&answers[1].body);
    let untreated = estimate(&answers[2].body);
    assert!((treated.value - front_door(true)).abs() < 1e-12);
    assert!((untreated.value - front_door(false)).abs() < 1e-12);
    assert_eq!(answers[1].method, whatif::results::MethodUsed::Identified);
    // The truth, from the generating model by exact inference.
    let truth_model = Model::from_file("examples/smoking_generating_model.scm").unwrap();
    let exact = Options::new().method(Method::Exact);
    for (answer, question) in [
        (treated, "P(cancer | do(smoking = true))"),
        (untreated, "P(cancer | do(smoking = false))"),
    ] {
        let truth = estimate(&truth_model.ask(question, &exact).unwrap().body).value;
        let stderr = answer.stderr.expect("a bootstrap standard error");
        assert!(stderr > 0.005 && stderr < 0.05, "{answer:?}");
        assert!(
            (answer.value - truth).abs() < 4.0 * stderr,
            "{question}: {} ± {stderr} vs truth {truth}",
            answer.value,
        );
    }
    // The generating model's own identify statement finds the same formula after projecting
    // out the exogenous genotype.
    let own = run_all(&truth_model, &exact).unwrap();
    let Body::Identification(id) = &own[0].body else {
        panic!("not an identification")
    };
    assert_eq!(
        id.estimand.as_deref(),
        Some("Σ_tar P(tar | smoking) Σ_smoking' P(smoking') P(cancer | smoking', tar)")
    );
}

/// A directory of its own under the system's temporary directory.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("whatif-identify-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a drug/old/recovered CSV with fixed counts per cell.
fn write_drug_csv(path: &std::path::Path) {
    let mut text = String::from("old,drug,recovered\n");
    let counts = [
        ((false, false, false), 30),
        ((false, false, true), 70),
        ((false, true, false), 10),
        ((false, true, true), 40),
        ((true, false, false), 25),
        ((true, false, true), 15),
        ((true, true, false), 45),
        ((true, true, true), 35),
    ];
    for ((o, d, r), n) in counts {
        for _ in 0..n {
            text.push_str(&format!("{o},{d},{r}\n"));
        }
    }
    std::fs::write(path, text).unwrap();
}

const DRUG_MODEL: &str = "data \"drug.csv\"
old -> drug -> recovered
old -> recovered
identify P(recovered | do(drug))
query P(recovered | do(drug = true))
query P(recovered | do(drug = true), old)
query E[recovered | do(drug = true)]
query P(old | do(drug = true))
";

#[test]
fn back_door_estimates_are_the_adjustment_formula() {
    let dir = scratch("backdoor");
    write_drug_csv(&dir.join("drug.csv"));
    std::fs::write(dir.join("drug.scm"), DRUG_MODEL).unwrap();
    let model = Model::from_file(dir.join("drug.scm")).unwrap();
    let answers = run_all(&model, &Options::new().seed(3)).unwrap();
    let Body::Identification(id) = &answers[0].body else {
        panic!("not an identification")
    };
    assert_eq!(id.adjustment_set.as_deref(), Some(&["old".to_string()][..]));
    assert_eq!(
        id.estimand.as_deref(),
        Some("Σ_old P(recovered | old, drug) P(old)")
    );
    let rows = read_bool_csv(dir.join("drug.csv").to_str().unwrap());
    let adjusted: f64 = [false, true]
        .iter()
        .map(|&o| {
            conditional(&rows, &[("recovered", true)], &[("drug", true), ("old", o)])
                * share(&rows, &[("old", o)])
        })
        .sum();
    assert!((estimate(&answers[1].body).value - adjusted).abs() < 1e-12);
    // Conditioning on the adjustment variable: IDC moves it into the intervention.
    let stratum = conditional(
        &rows,
        &[("recovered", true)],
        &[("drug", true), ("old", true)],
    );
    assert!((estimate(&answers[2].body).value - stratum).abs() < 1e-12);
    // An expectation of a bool is its probability.
    assert!((estimate(&answers[3].body).value - adjusted).abs() < 1e-12);
    // Intervening on the drug leaves its cause alone.
    assert!((estimate(&answers[4].body).value - share(&rows, &[("old", true)])).abs() < 1e-12);
    // The bootstrap standard error is sane: near the binomial one of a 300-row estimate.
    let se = estimate(&answers[1].body)
        .stderr
        .expect("a bootstrap standard error");
    assert!(se > 0.01 && se < 0.06, "stderr {se}");
}

#[test]
fn the_bootstrap_is_the_same_at_any_thread_count() {
    let dir = scratch("threads");
    write_drug_csv(&dir.join("drug.csv"));
    std::fs::write(dir.join("drug.scm"), DRUG_MODEL).unwrap();
    let model = Model::from_file(dir.join("drug.scm")).unwrap();
    let one = run_all(&model, &Options::new().seed(11).threads(1)).unwrap();
    let three = run_all(&model, &Options::new().seed(11).threads(3)).unwrap();
    assert_eq!(one, three);
    let other_seed = run_all(&model, &Options::new().seed(12).threads(1)).unwrap();
    assert_ne!(
        estimate(&one[1].body).stderr,
        estimate(&other_seed[1].body).stderr
    );
}

#[test]
fn the_command_line_reads_data_beside_the_model_or_from_data_flag() {
    let dir = scratch("cli");
    write_drug_csv(&dir.join("drug.csv"));
    std::fs::write(dir.join("drug.scm"), DRUG_MODEL).unwrap();
    let bin = env!("CARGO_BIN_EXE_whatif");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin)
            .args(args)
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let model = dir.join("drug.scm");
    let model = model.to_str().unwrap();
    let (code, stdout, stderr) = run(&["run", model, "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let first = &json["results"][0];
    assert_eq!(first["kind"], "identification");
    assert_eq!(first["identifiable"], true);
    assert_eq!(first["adjustment_set"], serde_json::json!(["old"]));
    assert_eq!(first["hedge"], serde_json::Value::Null);
    assert!(
        first["estimand_latex"]
            .as_str()
            .unwrap()
            .contains("\\sum_{")
    );
    assert_eq!(json["results"][1]["method"], "identified");
    // --data replaces the model's file: a file where every row recovers gives 1.
    let all = dir.join("all_recover.csv");
    std::fs::write(
        &all,
        "old,drug,recovered\ntrue,true,true\nfalse,true,true\ntrue,false,true\nfalse,false,true\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(&["run", model, "--json", "--data", all.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["results"][1]["value"], 1.0);
    // The graph draws `<->` dashed with both ends.
    let bow = dir.join("bow.scm");
    std::fs::write(&bow, "x -> y\nx <-> y\nidentify P(y | do(x))\n").unwrap();
    let (code, stdout, _) = run(&["graph", bow.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("\"x\" -> \"y\" [dir=both, style=dashed"),
        "{stdout}"
    );
    // Not identifiable: the hedge, in JSON and in text.
    let (code, stdout, _) = run(&["run", bow.to_str().unwrap(), "--json"]);
    assert_eq!(code, Some(0));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["results"][0]["identifiable"], false);
    assert_eq!(
        json["results"][0]["hedge"],
        serde_json::json!([["x", "y"], ["y"]])
    );
    assert_eq!(json["results"][0]["estimand"], serde_json::Value::Null);
    let (_, text, _) = run(&["run", bow.to_str().unwrap()]);
    assert!(text.contains("hedge {x, y} / {y}"), "{text}");
}

#[test]
fn nonparametric_variables_mix_with_mechanisms() {
    // `z` has a mechanism reading `x`; the edge `x -> z` agrees with it; `y` is nonparametric.
    let source = "x ~ Bernoulli(0.5)\nz ~ Bernoulli(if x then 0.9 else 0.1)\nx -> z -> y\nx <-> y\nidentify P(y | do(x))\n";
    let answers = run_source("mixed", source, &options(1000, Method::Auto)).unwrap();
    let Body::Identification(id) = &answers[0].body else {
        panic!("not an identification")
    };
    assert_eq!(
        id.estimand.as_deref(),
        Some("Σ_z P(z | x) Σ_x' P(x') P(y | x', z)")
    );
}

#[test]
fn identify_agrees_with_y0() {
    let has_y0 = std::process::Command::new("python3")
        .args(["-c", "import y0, numpy, networkx"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_y0 {
        println!("skipped: python3 with y0 (pip install y0) is not available");
        return;
    }
    let out = std::process::Command::new("python3")
        .args([
            "scripts/identify_vs_y0.py",
            env!("CARGO_BIN_EXE_whatif"),
            "--random",
            "200",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "whatif disagrees with y0 where whatif is wrong or undecided:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn asking_a_model_from_a_file_reads_its_data_beside_it() {
    let dir = scratch("ask");
    write_drug_csv(&dir.join("drug.csv"));
    std::fs::write(dir.join("drug.scm"), DRUG_MODEL).unwrap();
    let model = Model::from_file(dir.join("drug.scm")).unwrap();
    let answer = model
        .ask("identify P(recovered | do(drug), old)", &Options::new())
        .unwrap();
    let Body::Identification(id) = &answer.body else {
        panic!("not an identification")
    };
    assert_eq!(id.estimand.as_deref(), Some("P(recovered | old, drug)"));
    let answer = model
        .ask("P(recovered | do(drug = false))", &Options::new().seed(1))
        .unwrap();
    assert_eq!(answer.method, whatif::results::MethodUsed::Identified);
}

const DRUG_DECISION: &str = "data \"drug.csv\"
old -> drug -> recovered
old -> recovered
decide drug in {false, true} maximize P(recovered)
query P(recovered | do(drug = false))
query P(recovered | do(drug = true))
";

#[test]
fn decisions_on_nonparametric_models_rank_actions_by_their_identified_effects() {
    let dir = scratch("decide");
    write_drug_csv(&dir.join("drug.csv"));
    std::fs::write(dir.join("drug.scm"), DRUG_DECISION).unwrap();
    let model = Model::from_file(dir.join("drug.scm")).unwrap();
    let options = Options::new().seed(5);
    let answers = run_all(&model, &options).unwrap();
    let Body::Decision(d) = &answers[0].body else {
        panic!("not a decision: {:?}", answers[0])
    };
    assert_eq!(answers[0].method, whatif::results::MethodUsed::Identified);
    let rows = read_bool_csv(dir.join("drug.csv").to_str().unwrap());
    // Per action: the back-door adjustment formula on the rows, computed here directly, and
    // the same number the identified query gives.
    let adjusted = |drug: bool| -> f64 {
        [false, true]
            .iter()
            .map(|&o| {
                conditional(&rows, &[("recovered", true)], &[("drug", drug), ("old", o)])
                    * share(&rows, &[("old", o)])
            })
            .sum()
    };
    assert_eq!(d.actions.len(), 2);
    for (i, drug) in [false, true].into_iter().enumerate() {
        let action = &d.actions[i];
        assert_eq!(action.action["drug"], whatif::results::Value::from(drug));
        assert!((action.value - adjusted(drug)).abs() < 1e-12, "{action:?}");
        assert!((action.value - estimate(&answers[1 + i].body).value).abs() < 1e-12);
        assert!(action.stderr > 0.01 && action.stderr < 0.08, "{action:?}");
    }
    // The drug helps in both age groups: the best action is to give it.
    assert!(adjusted(true) > adjusted(false));
    let best = d
        .best
        .as_ref()
        .expect("a single-stage decision recommends an action");
    assert_eq!(best["drug"], whatif::results::Value::from(true));
    assert!((d.value - adjusted(true)).abs() < 1e-12);
    assert_eq!(d.samples, 270);
    // The difference from the best has its own standard error, from the shared resamples.
    let (no, yes) = (&d.actions[0], &d.actions[1]);
    assert_eq!(yes.diff_stderr, 0.0);
    assert!(no.diff_stderr > 0.0);
    // Simpson's paradox: the raw comparison favours no drug (old patients take it more).
    let evidential = |drug: bool| conditional(&rows, &[("recovered", true)], &[("drug", drug)]);
    assert!(evidential(false) > evidential(true));
    assert_eq!(d.evidential.len(), 2);
    for (i, drug) in [false, true].into_iter().enumerate() {
        assert!((d.evidential[i].value - evidential(drug)).abs() < 1e-12);
    }
    assert!(d.evidential_disagrees);
    assert!(answers[0].warnings.iter().any(|w| w.contains("evidential")));
    // One seed, any thread count.
    let again = run_all(&model, &options.clone().threads(3)).unwrap();
    assert_eq!(answers, again);
}

#[test]
fn the_front_door_decision_agrees_with_the_generating_models_exact_decision() {
    let model = Model::from_file("examples/smoking_front_door.scm").unwrap();
    let answer = model
        .ask(
            "decide smoking in {true, false} minimize P(cancer)",
            &Options::new().seed(2),
        )
        .unwrap();
    let Body::Decision(d) = &answer.body else {
        panic!("not a decision")
    };
    let truth_model = Model::from_file("examples/smoking_generating_model.scm").unwrap();
    let exact = truth_model
        .ask(
            "decide smoking in {true, false} minimize P(cancer)",
            &Options::new().method(Method::Exact),
        )
        .unwrap();
    let Body::Decision(truth) = &exact.body else {
        panic!("not a decision")
    };
    assert_eq!(d.best, truth.best);
    for (estimated, true_value) in d.actions.iter().zip(&truth.actions) {
        assert_eq!(estimated.action, true_value.action);
        assert!(
            (estimated.value - true_value.value).abs() < 4.0 * estimated.stderr,
            "{estimated:?} vs {true_value:?}"
        );
    }
}

#[test]
fn the_repl_reads_data_with_the_data_command_and_keeps_edges() {
    use whatif::repl::{Reply, Session};
    let dir = scratch("repl");
    write_drug_csv(&dir.join("drug.csv"));
    let csv = dir.join("drug.csv");
    let mut session = Session::new();
    let mut say = |line: &str| match session.feed(line) {
        Reply::Output(text) => text,
        other => panic!("{line}: {other:?}"),
    };
    say("old -> drug -> recovered");
    say("old -> recovered");
    let loaded = say(&format!(":data {}", csv.display()));
    assert!(
        loaded.contains("270 rows; columns old, drug, recovered"),
        "{loaded}"
    );
    // The same number as the model with a `data` statement gives, at the same seed and line.
    let answer = say("P(recovered | do(drug = true))");
    let model = Model::parse(&format!(
        "data \"{}\"\nold -> drug -> recovered\nold -> recovered\nquery P(recovered | do(drug = true))",
        csv.display()
    ))
    .unwrap();
    let expected = estimate(&run_all(&model, &Options::new()).unwrap()[0].body).value;
    assert!(
        answer.contains(&format!("= {expected:.6}")),
        "{answer} vs {expected}"
    );
    assert!(answer.contains("identified, from 270 rows"), "{answer}");
    // The edges stay in the model after the entries that used them.
    let graph = say(":graph");
    assert!(graph.contains("\"old\" -> \"drug\""), "{graph}");
    // A file that cannot be read is an E013 that names it, and the old data stays.
    let missing = say(":data no-such-file.csv");
    assert!(
        missing.contains("E013") && missing.contains("no-such-file.csv"),
        "{missing}"
    );
    assert_eq!(say(":data"), format!("data = {}\n", csv.display()));
    let decision = say("decide drug in {false, true} maximize P(recovered)");
    assert!(decision.contains("best: drug = true"), "{decision}");
}

#[test]
fn the_repl_loads_a_model_whose_data_sits_beside_it() {
    use whatif::repl::{Reply, Session};
    let dir = scratch("repl-load");
    write_drug_csv(&dir.join("drug.csv"));
    std::fs::write(dir.join("drug.scm"), DRUG_MODEL).unwrap();
    let mut session = Session::new();
    let loaded = session.load(dir.join("drug.scm"));
    assert!(loaded.contains("loaded"), "{loaded}");
    let Reply::Output(answer) = session.feed("P(recovered | do(drug = true))") else {
        panic!("no output")
    };
    assert!(answer.contains("identified, from 270 rows"), "{answer}");
}

#[test]
fn a_policy_on_a_nonparametric_model_picks_the_best_identified_action_per_context() {
    // The drug helps men and harms women; men take it more.
    let dir = scratch("policy");
    let mut text = String::from("sex,drug,recovered\n");
    let counts = [
        ((false, false, false), 60),
        ((false, false, true), 140),
        ((false, true, false), 50),
        ((false, true, true), 30),
        ((true, false, false), 40),
        ((true, false, true), 40),
        ((true, true, false), 60),
        ((true, true, true), 140),
    ];
    for ((s, d, r), n) in counts {
        for _ in 0..n {
            text.push_str(&format!("{s},{d},{r}\n"));
        }
    }
    std::fs::write(dir.join("sex.csv"), text).unwrap();
    std::fs::write(
        dir.join("policy.scm"),
        "data \"sex.csv\"
sex -> drug -> recovered
sex -> recovered
decide drug in {false, true} maximize P(recovered) given sex
",
    )
    .unwrap();
    let model = Model::from_file(dir.join("policy.scm")).unwrap();
    let answers = run_all(&model, &Options::new().seed(9)).unwrap();
    let Body::Decision(d) = &answers[0].body else {
        panic!("not a decision")
    };
    let rows = read_bool_csv(dir.join("sex.csv").to_str().unwrap());
    // E[recovered | do(drug = a), sex = s] = P(recovered | drug = a, sex = s) here.
    let v =
        |a: bool, s: bool| conditional(&rows, &[("recovered", true)], &[("drug", a), ("sex", s)]);
    let p = |s: bool| share(&rows, &[("sex", s)]);
    assert!(v(true, true) > v(false, true) && v(false, false) > v(true, false));
    let policy_value = p(true) * v(true, true) + p(false) * v(false, false);
    assert!(
        (d.value - policy_value).abs() < 1e-12,
        "{} vs {policy_value}",
        d.value
    );
    let blind = |a: bool| p(true) * v(a, true) + p(false) * v(a, false);
    let best_blind = blind(true).max(blind(false));
    assert!((d.value_unconditional - best_blind).abs() < 1e-12);
    let voi = d
        .value_of_information
        .expect("a policy has a value of information");
    assert!((voi - (policy_value - best_blind)).abs() < 1e-12);
    assert_eq!(
        d.best, None,
        "a policy's action depends on what it observes"
    );
    assert_eq!(d.policy.len(), 2);
    for row in &d.policy {
        let whatif::results::Value::Bool(s) = row.context["sex"] else {
            panic!("{row:?}")
        };
        assert_eq!(row.action["drug"], whatif::results::Value::from(s));
        assert!((row.value - v(s, s)).abs() < 1e-12);
    }
    assert!(d.stderr > 0.005 && d.stderr < 0.05, "{}", d.stderr);
}
