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
use whatif::results::{Answer, Body, Distribution, Value};
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

// ---------------------------------------------------------------------------------------------
// `P(*)`: every marginal from one calibrated junction tree.

/// The shared bnlearn networks, beside the repository (or beside the worktrees' parent).
fn network_dir() -> std::path::PathBuf {
    for candidate in ["../shared/data/networks", "../../shared/data/networks"] {
        if std::path::Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    panic!("../shared/data/networks is missing: the all-marginals checks need it");
}

fn imported(network: &str) -> Model {
    let path = network_dir().join(format!("{network}.bif"));
    let bif = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{network}: {e}"));
    Model::from_bif(network, &bif)
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

/// Each variable's distribution in a `P(*)` answer, by name, as (value text, p, stderr).
fn marginals(body: &Body) -> Vec<(String, Vec<(String, f64, f64)>)> {
    let Body::Marginals(m) = body else {
        panic!("not marginals: {body:?}");
    };
    m.variables
        .iter()
        .map(|(name, d)| {
            let Distribution::Discrete { values, .. } = d else {
                panic!("{name}: not discrete: {d:?}");
            };
            let rows = values
                .iter()
                .map(|v| (v.value.to_string(), v.p, v.stderr))
                .collect();
            (name.clone(), rows)
        })
        .collect()
}

/// `P(var | conditions)` for every variable, by variable elimination with the one target kept,
/// and `P(* | conditions)`, all asked of one model text (parsed and checked once): the
/// per-variable rows (value text, p), then the `P(*)` answer.
fn both_ways(model: &Model, conditions: &str) -> (Vec<Vec<(String, f64)>>, Answer) {
    let given = if conditions.is_empty() {
        String::new()
    } else {
        format!(" | {conditions}")
    };
    let mut text = format!("{}\n", model.source());
    for var in model.variables() {
        text.push_str(&format!("query P({var}{given})\n"));
    }
    text.push_str(&format!("query P(*{given})\n"));
    let all = Model::parse_named("both", &text).unwrap_or_else(|e| panic!("{e}"));
    let mut answers = run_all(&all, &Options::new().method(Method::Exact))
        .unwrap_or_else(|e| panic!("{conditions}: {e}"));
    let joint = answers.pop().expect("the P(*) answer");
    let one = answers
        .into_iter()
        .map(|a| match a.body {
            Body::Distribution(Distribution::Discrete { values, .. }) => {
                values.iter().map(|v| (v.value.to_string(), v.p)).collect()
            }
            Body::Probability(p) => vec![
                ("false".to_string(), 1.0 - p.value),
                ("true".to_string(), p.value),
            ],
            other => panic!("{}: {other:?}", a.query),
        })
        .collect();
    (one, joint)
}

/// A small deterministic generator, so the evidence chosen does not depend on a crate.
fn next(state: &mut u64) -> usize {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*state >> 33) as usize
}

#[test]
fn all_marginals_agree_with_one_elimination_per_variable() {
    let exact = Options::new().method(Method::Exact);
    for network in ["asia", "cancer", "alarm", "child", "insurance", "win95pts"] {
        let model = imported(network);
        let names: Vec<String> = model.variables().map(str::to_string).collect();
        let mut seed = network.len() as u64;
        // No evidence; then evidence grown one variable at a time, each set to its most
        // probable value given the evidence so far (so it always has positive probability);
        // then the same evidence under an intervention on a root-most variable.
        let mut evidence: Vec<String> = Vec::new();
        let mut loads: Vec<String> = vec![String::new()];
        for _ in 0..6.min(names.len() - 2) {
            let conditions = evidence.join(", ");
            let question = if conditions.is_empty() {
                "P(*)".to_string()
            } else {
                format!("P(* | {conditions})")
            };
            let answer = model.ask(question.as_str(), &exact).unwrap();
            let all = marginals(&answer.body);
            let (name, rows) = loop {
                let (name, rows) = &all[next(&mut seed) % all.len()];
                // The first variable stays free: the last load intervenes on it.
                if *name != names[0]
                    && !evidence.iter().any(|e| e.starts_with(&format!("{name} =")))
                {
                    break (name.clone(), rows.clone());
                }
            };
            let best = rows
                .iter()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .expect("a value");
            evidence.push(format!("{name} = {}", best.0));
            if evidence.len() % 3 == 0 {
                loads.push(evidence.join(", "));
            }
        }
        let first = &names[0];
        let root = &marginals(&model.ask("P(*)", &exact).unwrap().body)[0].1[0].0;
        loads.push(format!("do({first} = {root}), {}", evidence.join(", ")));
        for conditions in &loads {
            let (one, answer) = both_ways(&model, conditions);
            assert_eq!(answer.method, whatif::results::MethodUsed::Exact);
            let all = marginals(&answer.body);
            assert_eq!(
                all.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
                names.iter().map(String::as_str).collect::<Vec<_>>(),
                "{network}: every variable, in declaration order"
            );
            for ((name, rows), expected) in all.iter().zip(&one) {
                assert_eq!(
                    rows.len(),
                    expected.len(),
                    "{network} {name} | {conditions}"
                );
                for ((value, p, se), (value2, q)) in rows.iter().zip(expected) {
                    assert_eq!(value, value2, "{network} {name}: the same values in order");
                    assert_eq!(*se, 0.0);
                    assert!(
                        (p - q).abs() < 1e-12,
                        "{network}: P({name} = {value} | {conditions}) = {p} from the junction tree, {q} by elimination"
                    );
                }
            }
        }
    }
}

#[test]
fn sampled_marginals_agree_with_exact_ones_within_their_standard_errors() {
    let model = imported("alarm");
    let conditions = r#"HR = "HIGH", BP = "LOW""#;
    let question = format!("P(* | {conditions})");
    let exact = marginals(
        &model
            .ask(question.as_str(), &Options::new().method(Method::Exact))
            .unwrap()
            .body,
    );
    let answer = model
        .ask(question.as_str(), &options(40_000, Method::Is))
        .unwrap();
    assert_eq!(answer.method, whatif::results::MethodUsed::Is);
    let sampled = marginals(&answer.body);
    let mut compared = 0;
    for ((name, rows), (_, truth)) in sampled.iter().zip(&exact) {
        for ((value, p, se), (_, q, _)) in rows.iter().zip(truth) {
            assert!(
                *se > 0.0,
                "{name} = {value}: a sampled probability has an error"
            );
            assert!(
                (p - q).abs() <= 5.0 * se,
                "P({name} = {value} | {conditions}): sampled {p} ± {se}, exact {q}"
            );
            compared += 1;
        }
    }
    assert!(compared > 100, "{compared} probabilities compared");
    // One seed, one answer, at any thread count.
    let again = model
        .ask(question.as_str(), &options(40_000, Method::Is).threads(1))
        .unwrap();
    assert_eq!(again.body, answer.body);
}

#[test]
fn all_marginals_of_a_model_with_a_real_variable_are_sampled_under_auto() {
    let source = r#"rain ~ Bernoulli(0.2)
sprinkler ~ if rain then Bernoulli(0.01) else Bernoulli(0.4)
wet := rain or sprinkler
level ~ Normal(if wet then 2 else 0, 1)
query P(* | wet)
"#;
    let model = Model::parse_named("mixed", source).unwrap();
    let answers = run_all(&model, &options(50_000, Method::Auto)).unwrap();
    assert_eq!(answers[0].method, whatif::results::MethodUsed::Is);
    let Body::Marginals(m) = &answers[0].body else {
        panic!("{:?}", answers[0].body);
    };
    let names: Vec<&str> = m.variables.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["rain", "sprinkler", "wet", "level"]);
    // P(rain | wet) = 0.2 / (0.2 + 0.8 · 0.4) = 0.2 / 0.52; level | wet is Normal(2, 1).
    let Distribution::Discrete { values, .. } = &m.variables[0].1 else {
        panic!("{:?}", m.variables[0]);
    };
    let truth = 0.2 / 0.52;
    assert!(
        (values[1].p - truth).abs() < 5.0 * values[1].stderr,
        "{values:?}"
    );
    let Distribution::Real {
        mean, mean_stderr, ..
    } = &m.variables[3].1
    else {
        panic!("{:?}", m.variables[3]);
    };
    assert!(
        (mean - 2.0).abs() < 5.0 * mean_stderr,
        "{mean} ± {mean_stderr}"
    );
    // `--method exact` says why it cannot.
    let error = model
        .ask("P(* | wet)", &Options::new().method(Method::Exact))
        .unwrap_err();
    assert_eq!(error.code(), Some(whatif::Code::E010));
}

#[test]
fn all_marginals_print_as_one_json_object_per_variable() {
    let source = "rain ~ Bernoulli(0.2)\nwet ~ if rain then Bernoulli(0.9) else Bernoulli(0.1)\nquery P(* | wet)\n";
    let model = Model::parse_named("json", source).unwrap();
    let answer = model
        .ask("P(* | wet)", &Options::new().method(Method::Exact))
        .unwrap();
    let json: serde_json::Value = serde_json::to_value(&answer).unwrap();
    assert_eq!(json["kind"], "marginals");
    assert_eq!(json["method"], "exact");
    let rain = &json["variables"]["rain"]["values"];
    assert_eq!(rain[1]["value"], true);
    let p = rain[1]["p"].as_f64().unwrap();
    assert!((p - 0.18 / 0.26).abs() < 1e-15, "{p}");
    assert_eq!(json["variables"]["wet"]["values"][1]["p"], 1.0);
    // It reads back as the same answer, variables in the JSON's order.
    let back: whatif::results::Answer = serde_json::from_value(json).unwrap();
    assert_eq!(marginals(&back.body), marginals(&answer.body));
}

#[test]
fn impossible_evidence_in_all_marginals_is_e007() {
    let source = "rain ~ Bernoulli(0.2)\nwet := rain\n";
    let model = Model::parse_named("impossible", source).unwrap();
    let error = model
        .ask(
            "P(* | wet, not rain)",
            &Options::new().method(Method::Exact),
        )
        .unwrap_err();
    assert_eq!(error.code(), Some(whatif::Code::E007));
}

/// Seven weighted coins and their weighted sum: `y` reads 128 parent rows, so its table is
/// tabulated once and shared by every coalition's world that computes it from parents with
/// the same domains (and tabulated anew where an intervention changes a parent's domain).
const WEIGHTS: [f64; 7] = [1.0, 2.0, 3.0, 1.0, 2.0, 4.0, 1.0];
const HEADS: [f64; 7] = [0.1, 0.3, 0.5, 0.7, 0.9, 0.4, 0.6];

fn coins_source() -> String {
    let mut lines: Vec<String> = HEADS
        .iter()
        .enumerate()
        .map(|(i, p)| format!("b{i} ~ Bernoulli({p})"))
        .collect();
    let sum: Vec<String> = WEIGHTS
        .iter()
        .enumerate()
        .map(|(i, w)| format!("{w} * b{i}"))
        .collect();
    lines.push(format!("y := {}", sum.join(" + ")));
    lines.join("\n") + "\n"
}

/// Every joint value of the coins with its probability, values fixed where `set` says.
fn coin_worlds(set: &[Option<f64>; 7]) -> Vec<([f64; 7], f64)> {
    (0..1usize << 7)
        .filter_map(|mask| {
            let mut x = [0.0; 7];
            let mut p = 1.0;
            for i in 0..7 {
                let heads = mask >> i & 1 == 1;
                match set[i] {
                    Some(_) if heads => return None,
                    Some(v) => x[i] = v,
                    None => {
                        x[i] = if heads { 1.0 } else { 0.0 };
                        p *= if heads { HEADS[i] } else { 1.0 - HEADS[i] };
                    }
                }
            }
            Some((x, p))
        })
        .collect()
}

fn weighted(x: &[f64; 7]) -> f64 {
    x.iter().zip(WEIGHTS).map(|(a, w)| a * w).sum()
}

/// The Shapley values of the game `v` over `n` players, by the coalition-size formula.
fn shapley(n: usize, v: &dyn Fn(usize) -> f64) -> Vec<f64> {
    let fact = |k: usize| (1..=k).map(|i| i as f64).product::<f64>();
    (0..n)
        .map(|i| {
            (0..1usize << n)
                .filter(|s| s >> i & 1 == 0)
                .map(|s| {
                    let k = s.count_ones() as usize;
                    fact(k) * fact(n - k - 1) / fact(n) * (v(s | 1 << i) - v(s))
                })
                .sum()
        })
        .collect()
}

fn attribution_of(model: &Model, question: &str) -> whatif::results::AttributionAnswer {
    match model
        .ask(question, &Options::new().method(Method::Exact))
        .unwrap_or_else(|e| panic!("{question}: {e}"))
        .body
    {
        Body::Attribution(a) => a,
        other => panic!("{question}: {other:?}"),
    }
}

fn assert_contributions(a: &whatif::results::AttributionAnswer, names: &[String], phi: &[f64]) {
    for (name, expected) in names.iter().zip(phi) {
        let got = a
            .contributions
            .iter()
            .find(|c| &c.name == name)
            .unwrap_or_else(|| panic!("no player {name}"))
            .value;
        assert!(
            (got - expected).abs() < 1e-12,
            "{name}: {got} against {expected}"
        );
    }
}

#[test]
fn deterministic_tables_shared_across_coalitions_give_the_brute_force_shapley_values() {
    let model = Model::parse(&coins_source()).unwrap_or_else(|e| panic!("{e}"));
    let evidence = |y: f64| y > 6.0;
    // Noise players: v(S) keeps the factual coins of S and redraws the rest.
    let factual = coin_worlds(&[None; 7]);
    let mass: f64 = factual
        .iter()
        .filter(|(x, _)| evidence(weighted(x)))
        .map(|w| w.1)
        .sum();
    let noise_value = |s: usize| {
        let mut sum = 0.0;
        for (x, p) in factual.iter().filter(|(x, _)| evidence(weighted(x))) {
            let kept: [Option<f64>; 7] = std::array::from_fn(|i| (s >> i & 1 == 1).then_some(x[i]));
            for (fresh, q) in coin_worlds(&kept) {
                sum += p * q * weighted(&fresh);
            }
        }
        sum / mass
    };
    let names: Vec<String> = (0..7).map(|i| format!("b{i}")).collect();
    let a = attribution_of(&model, "attribute y given y > 6");
    assert_eq!(a.coalitions, 128);
    assert!((a.baseline - noise_value(0)).abs() < 1e-12);
    assert!((a.value - noise_value(127)).abs() < 1e-12);
    assert_contributions(&a, &names, &shapley(7, &noise_value));

    // Intervention players, each narrowing a parent's domain to one value.
    let players: [(usize, f64); 3] = [(0, 1.0), (1, 0.0), (2, 1.0)];
    let intervention_value = |s: usize| {
        let mut set = [None; 7];
        for (k, &(i, v)) in players.iter().enumerate() {
            if s >> k & 1 == 1 {
                set[i] = Some(v);
            }
        }
        let worlds = coin_worlds(&set);
        let (mut sum, mut mass) = (0.0, 0.0);
        for (x, p) in worlds.iter().filter(|(x, _)| evidence(weighted(x))) {
            sum += p * weighted(x);
            mass += p;
        }
        sum / mass
    };
    let a = attribution_of(
        &model,
        "attribute E[y | y > 6] to do(b0 = true, b1 = false, b2 = true)",
    );
    let names: Vec<String> = ["b0 = true", "b1 = false", "b2 = true"]
        .map(String::from)
        .to_vec();
    assert!((a.baseline - intervention_value(0)).abs() < 1e-12);
    assert!((a.value - intervention_value(7)).abs() < 1e-12);
    assert_contributions(&a, &names, &shapley(3, &intervention_value));
}

// Heavy evidence where the greedy elimination order fails: link with 30 observed variables
// (scripts/exact_vs_pyagrum.py's 30-evidence load on link, seeded by the network's name).

/// The 30 observations.
const LINK_EVIDENCE: &str = r#"D0_22_a_x = "y", D0_23_a_x = "y", D0_27_a_f = "2", D0_29_a_x = "y", D0_44_d_p = "n", D0_4_d_p = "n", D0_56_a_f = "1", D0_59_a_x = "y", D1_28_a_f = "3", N22_d_m = "1", N2_a_m = "3", N30_a_m = "2", N31_a_f = "2", N33_d_g = "2_2", N50_d_g = "1_2", N52_a_f = "2", N53_d_g = "1_2", N62_d_m = "2", N65_a_m = "3", N8_a_m = "1", Z_1_d_m = "m", Z_25_d_f = "m", Z_38_a_f = "f", Z_43_a_f = "f", Z_47_d_f = "f", Z_49_d_f = "m", Z_50_a_f = "m", Z_56_d_m = "m", Z_64_a_f = "f", Z_7_a_f = "m""#;

/// pyAgrum 3.3.1 LazyPropagation's posteriors under [`LINK_EVIDENCE`] (float32 tables, so
/// the answers may differ by a few 1e-7; we allow 1e-5 as tests/exact_scale.rs does).
const LINK_POSTERIORS: [(&str, &[f64]); 3] = [
    ("N6_d_g", &[1.42039896e-05, 7.81238988e-03, 9.92173406e-01]),
    ("Z_27_a_f", &[0.51503558, 0.48496442]),
    ("D0_56_d_p", &[0.00676307, 0.99323693]),
];

#[test]
fn heavy_evidence_on_link_is_answered_exactly_where_greedy_min_fill_needs_too_large_a_table() {
    // Weighted min-fill alone needs a table of 1.3e8 entries for both questions (over the
    // 2²⁴ cap, E010 before); min-weight and the randomised restarts find orders under 2²⁴.
    let model = imported("link");
    let exact = Options::new().method(Method::Exact);
    let (name, expected) = LINK_POSTERIORS[2];
    let p = match model
        .ask(
            format!("P({name} = \"n\" | {LINK_EVIDENCE})").as_str(),
            &exact,
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .body
    {
        Body::Probability(p) => p.value,
        other => panic!("not a probability: {other:?}"),
    };
    assert!((p - expected[1]).abs() <= 1e-5, "{p} vs {}", expected[1]);
    let all = model
        .ask(format!("P(* | {LINK_EVIDENCE})").as_str(), &exact)
        .unwrap_or_else(|e| panic!("{e}"));
    let got = marginals(&all.body);
    for (name, expected) in LINK_POSTERIORS {
        let (_, rows) = got
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} is missing"));
        assert_eq!(rows.len(), expected.len(), "{name}");
        for ((value, p, stderr), q) in rows.iter().zip(expected) {
            assert!(
                (p - q).abs() <= 1e-5,
                "{name} = {value}: {p} vs pyAgrum {q}"
            );
            assert_eq!(*stderr, 0.0);
        }
    }
}

#[test]
fn munin1_all_marginals_are_answered_one_variable_at_a_time_past_the_tree_cap() {
    // munin1's junction tree needs a table of 7.2e7 entries without evidence (over the 2²⁴
    // cap: E010 before); each marginal alone needs only its ancestors. Every one agrees with
    // its own question (tests/bif.rs and tests/exact_scale.rs check those against pyAgrum).
    let model = imported("munin1");
    let (one, answer) = both_ways(&model, "");
    assert_eq!(answer.method, whatif::results::MethodUsed::Exact);
    let all = marginals(&answer.body);
    assert_eq!(all.len(), 186);
    for ((name, rows), expected) in all.iter().zip(&one) {
        assert_eq!(rows.len(), expected.len(), "{name}");
        for ((value, p, _), (value2, q)) in rows.iter().zip(expected) {
            assert_eq!(value, value2, "{name}");
            assert!(
                (p - q).abs() < 1e-12,
                "P({name} = {value}) = {p} from P(*), {q} asked alone"
            );
        }
    }
}
