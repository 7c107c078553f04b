//! Attribution (LANGUAGE.md section 14) against Shapley values computed another way: brute
//! force over the noise of small finite models, algebra on linear-Gaussian ones, the formula
//! by hand for interventions; efficiency; sampled answers within their reported errors;
//! permutation sampling against exhaustive enumeration past 12 players.

mod common;

use common::*;
use whatif::results::{AttributionAnswer, Body};
use whatif::{Attribution, Method, Model, Options};

fn attribution(source: &str, question: &str, options: &Options) -> AttributionAnswer {
    let model = Model::parse(source).unwrap_or_else(|e| panic!("{e}"));
    let answer = model
        .ask(question, options)
        .unwrap_or_else(|e| panic!("{question}: {e}"));
    match answer.body {
        Body::Attribution(a) => a,
        other => panic!("not an attribution: {other:?}"),
    }
}

fn contribution(a: &AttributionAnswer, name: &str) -> (f64, Option<f64>) {
    let c = a
        .contributions
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no player {name} in {a:?}"));
    (c.value, c.stderr)
}

/// Shapley values by the definition over orders: each player's marginal contribution
/// averaged over every permutation of the players (not the coalition-size formula whatif uses).
fn shapley_by_orders(n: usize, v: &dyn Fn(&[bool]) -> f64) -> Vec<f64> {
    let mut phi = vec![0.0; n];
    let mut orders = 0usize;
    let mut order: Vec<usize> = (0..n).collect();
    // Heap's algorithm, iteratively.
    let mut c = vec![0usize; n];
    let visit = |order: &[usize], phi: &mut Vec<f64>| {
        let mut s = vec![false; n];
        let mut before = v(&s);
        for &i in order {
            s[i] = true;
            let after = v(&s);
            phi[i] += after - before;
            before = after;
        }
    };
    visit(&order, &mut phi);
    orders += 1;
    let mut i = 0;
    while i < n {
        if c[i] < i {
            if i % 2 == 0 {
                order.swap(0, i);
            } else {
                order.swap(c[i], i);
            }
            visit(&order, &mut phi);
            orders += 1;
            c[i] += 1;
            i = 0;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
    phi.iter().map(|p| p / orders as f64).collect()
}

/// A finite model whose Bernoulli probabilities are multiples of 1/4, so each noise `U` only
/// matters through which quarter of (0, 1) it falls in (`X = U > 1 − p`): the brute force
/// below enumerates the quarters' midpoints, factual and fresh, and is exact.
const FINITE: &str = "
a ~ Bernoulli(0.25)
b ~ Bernoulli(if a then 0.75 else 0.25)
c ~ Bernoulli(if a and b then 0.5 else 0.25)
y := a + 2 * b + 4 * c
";

/// The model above, by hand: the values of (a, b, c) from the noises.
fn finite_world(u: [f64; 3]) -> [bool; 3] {
    let a = u[0] > 1.0 - 0.25;
    let b = u[1] > 1.0 - if a { 0.75 } else { 0.25 };
    let c = u[2] > 1.0 - if a && b { 0.5 } else { 0.25 };
    [a, b, c]
}

/// `v(S)` for `attribute y given EVIDENCE`: the factual noise of S kept, the rest fresh.
fn finite_value(keep: &[bool], evidence: &dyn Fn([bool; 3], f64) -> bool) -> f64 {
    let grid = [0.125, 0.375, 0.625, 0.875];
    let y = |x: [bool; 3]| x[0] as u8 as f64 + 2.0 * x[1] as u8 as f64 + 4.0 * x[2] as u8 as f64;
    let (mut num, mut den) = (0.0, 0.0);
    for &f0 in &grid {
        for &f1 in &grid {
            for &f2 in &grid {
                let factual = [f0, f1, f2];
                let x = finite_world(factual);
                if !evidence(x, y(x)) {
                    continue;
                }
                for &r0 in &grid {
                    for &r1 in &grid {
                        for &r2 in &grid {
                            let fresh = [r0, r1, r2];
                            let u: Vec<f64> = (0..3)
                                .map(|j| if keep[j] { factual[j] } else { fresh[j] })
                                .collect();
                            num += y(finite_world([u[0], u[1], u[2]]));
                            den += 1.0;
                        }
                    }
                }
            }
        }
    }
    num / den
}

#[test]
fn noise_attribution_on_a_finite_model_is_the_brute_force_shapley_value() {
    let cases: [(&str, &dyn Fn([bool; 3], f64) -> bool); 3] = [
        ("y >= 3", &|_, y| y >= 3.0),
        ("y >= 3, b", &|x, y| y >= 3.0 && x[1]),
        ("c, not a", &|x, _| x[2] && !x[0]),
    ];
    for (evidence, holds) in cases {
        let exact = attribution(
            FINITE,
            &format!("attribute y given {evidence}"),
            &options(10_000, Method::Exact),
        );
        let phi = shapley_by_orders(3, &|s| finite_value(s, holds));
        for (name, expected) in ["a", "b", "c"].iter().zip(&phi) {
            let (got, se) = contribution(&exact, name);
            assert!(
                (got - expected).abs() < 1e-9,
                "{evidence}: {name} {got} against {expected}"
            );
            assert_eq!(se, Some(0.0));
        }
        assert!((exact.baseline - finite_value(&[false; 3], holds)).abs() < 1e-9);
        assert!((exact.value - finite_value(&[true; 3], holds)).abs() < 1e-9);
        assert_eq!(exact.coalitions, 8);
        // Efficiency.
        let total: f64 = exact.contributions.iter().map(|c| c.value).sum();
        assert!((total - (exact.value - exact.baseline)).abs() < 1e-12);
        // Sorted by size.
        let sizes: Vec<f64> = exact.contributions.iter().map(|c| c.value.abs()).collect();
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");

        // Importance sampling: within four reported standard errors, and efficient too.
        let sampled = attribution(
            FINITE,
            &format!("attribute y given {evidence}"),
            &options(200_000, Method::Is),
        );
        for (name, expected) in ["a", "b", "c"].iter().zip(&phi) {
            let (got, se) = contribution(&sampled, name);
            let se = se.expect("a sampled contribution has a standard error");
            assert!(
                se > 0.0 || (got - expected).abs() < 1e-12,
                "{name}: zero error"
            );
            assert!(
                (got - expected).abs() <= 4.0 * se,
                "{evidence}: sampled {name} {got} ± {se} against {expected}"
            );
        }
        let total: f64 = sampled.contributions.iter().map(|c| c.value).sum();
        assert!((total - (sampled.value - sampled.baseline)).abs() < 1e-9);
    }
}

#[test]
fn the_conformance_alarm_by_hand() {
    // v(∅) = P(alarm) = 1 − 0.9·0.8 = 0.28; v({burglary}) = 1 (burglary kept true);
    // v({quake}) = P(burglary) = 0.1 (quake kept false); v(all) = 1.
    // φ_burglary = ½(1 − 0.28) + ½(1 − 0.1) = 0.81; φ_quake = ½(0.1 − 0.28) + ½(1 − 1) = −0.09.
    let model = "burglary ~ Bernoulli(0.1)\nquake ~ Bernoulli(0.2)\nalarm := burglary or quake\n";
    let question = Attribution::of("alarm")
        .given("alarm")
        .given("burglary")
        .given("not quake");
    let a = attribution(model, &question.to_string(), &options(1_000, Method::Auto));
    assert_eq!(a.contributions[0].name, "burglary");
    assert!((a.contributions[0].value - 0.81).abs() < 1e-12);
    assert!((a.contributions[1].value + 0.09).abs() < 1e-12);
    assert!((a.baseline - 0.28).abs() < 1e-12);
    assert_eq!(a.players, "noise");
}

/// `c = 2b + e_c`, `b = a + e_b`, `a = e_a`, all noises N(0, 1): `c = 2e_a + 2e_b + e_c`, so
/// `Var(c) = 9` and `E[e_a | c] = E[e_b | c] = 2c/9`, `E[e_c | c] = c/9`. `v(S)` is additive
/// in the noises, so each Shapley value is the player's own term: at `c = 3`, a and b get
/// `2 · 2/3 = 4/3` and c gets `1/3`.
const CHAIN: &str = "
a ~ Normal(0, 1)
b ~ Normal(a, 1)
c ~ Normal(2 * b, 1)
";

#[test]
fn noise_attribution_on_a_linear_gaussian_chain_is_the_algebra() {
    let expected = [("a", 4.0 / 3.0), ("b", 4.0 / 3.0), ("c", 1.0 / 3.0)];
    let exact = attribution(
        CHAIN,
        "attribute c given c = 3",
        &options(1_000, Method::Exact),
    );
    for (name, want) in expected {
        let (got, _) = contribution(&exact, name);
        assert!((got - want).abs() < 1e-9, "{name}: {got} against {want}");
    }
    assert!(exact.baseline.abs() < 1e-12 && (exact.value - 3.0).abs() < 1e-9);
    let sampled = attribution(
        CHAIN,
        "attribute c given c = 3",
        &options(200_000, Method::Is),
    );
    for (name, want) in expected {
        let (got, se) = contribution(&sampled, name);
        let se = se.expect("a standard error");
        assert!(
            (got - want).abs() <= 4.0 * se,
            "{name}: {got} ± {se} against {want}"
        );
    }
}

#[test]
fn intervention_attribution_splits_an_interaction_evenly() {
    // y = 3a + 2b + ab with a, b independent N(0, 1): v(∅) = 0, v({a = 1}) = 3,
    // v({b = 2}) = 4, v(both) = 3 + 4 + 2 = 9. φ_a = ½(3 − 0) + ½(9 − 4) = 4,
    // φ_b = ½(4 − 0) + ½(9 − 3) = 5.
    let model = "a ~ Normal(0, 1)\nb ~ Normal(0, 1)\ny := 3 * a + 2 * b + a * b\n";
    let question = Attribution::expectation("y").to("a = 1").to("b = 2");
    assert_eq!(question.to_string(), "attribute E[y] to do(a = 1, b = 2)");
    for method in [Method::Auto, Method::Is] {
        let a = attribution(model, &question.to_string(), &options(100_000, method));
        assert_eq!(a.players, "interventions");
        assert_eq!(a.contributions[0].name, "b = 2");
        for (name, want) in [("a = 1", 4.0), ("b = 2", 5.0)] {
            let (got, se) = contribution(&a, name);
            let tolerance = 4.0 * se.expect("a standard error") + 1e-9;
            assert!(
                (got - want).abs() <= tolerance,
                "{method:?} {name}: {got} against {want}"
            );
        }
    }
}

/// `n` Bernoulli roots observed, `y` a sum of products of neighbours. With every root
/// observed, `v(S)` is an expectation over the fresh values of the players outside S only,
/// which the test enumerates.
fn ring(n: usize) -> (String, String, Vec<f64>, Vec<bool>) {
    let p: Vec<f64> = (0..n).map(|i| 0.2 + 0.05 * (i % 7) as f64).collect();
    let facts: Vec<bool> = (0..n).map(|i| i % 3 != 1).collect();
    let mut model = String::new();
    for (i, pi) in p.iter().enumerate() {
        model.push_str(&format!("x{i} ~ Bernoulli({pi})\n"));
    }
    // y as a chain of partial sums, so every table variable elimination builds stays small.
    for i in 0..n {
        let term = format!("{} * x{i} * x{}", 1 + i % 4, (i + 1) % n);
        match i {
            0 => model.push_str(&format!("s0 := {term}\n")),
            _ => model.push_str(&format!("s{i} := s{} + {term}\n", i - 1)),
        }
    }
    model.push_str(&format!("y := s{}\n", n - 1));
    let evidence: Vec<String> = facts
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if *f {
                format!("x{i}")
            } else {
                format!("not x{i}")
            }
        })
        .collect();
    (model, evidence.join(", "), p, facts)
}

#[test]
fn permutation_sampling_past_twelve_players_agrees_with_enumeration() {
    let n = 13;
    let (model, evidence, p, facts) = ring(n);
    let y = |x: &[bool]| -> f64 {
        (0..n)
            .map(|i| (1 + i % 4) as f64 * (x[i] && x[(i + 1) % n]) as u8 as f64)
            .sum()
    };
    // v(S) by enumerating the fresh values of the players outside S.
    let value = |keep: &[bool]| -> f64 {
        let free: Vec<usize> = (0..n).filter(|i| !keep[*i]).collect();
        let mut total = 0.0;
        for bits in 0..1usize << free.len() {
            let mut x = facts.clone();
            let mut weight = 1.0;
            for (k, &i) in free.iter().enumerate() {
                x[i] = bits >> k & 1 == 1;
                weight *= if x[i] { p[i] } else { 1.0 - p[i] };
            }
            total += weight * y(&x);
        }
        total
    };
    // Exact Shapley values by the coalition formula over all 2^13 coalitions.
    let mut phi = vec![0.0; n];
    let values: Vec<f64> = (0..1usize << n)
        .map(|m| value(&(0..n).map(|i| m >> i & 1 == 1).collect::<Vec<_>>()))
        .collect();
    let factorial = |k: usize| (1..=k).map(|x| x as f64).product::<f64>();
    for (m, v) in values.iter().enumerate() {
        let size = m.count_ones() as usize;
        for (i, phi_i) in phi.iter_mut().enumerate() {
            if m >> i & 1 == 0 {
                *phi_i += factorial(size) * factorial(n - size - 1) / factorial(n)
                    * (values[m | 1 << i] - v);
            }
        }
    }
    let source = format!("{model}set permutations = 300\n");
    let a = attribution(
        &source,
        &format!("attribute y given {evidence}"),
        &options(1_000, Method::Exact),
    );
    assert_eq!(a.permutations, Some(300));
    assert!(a.coalitions > 2000, "{} coalitions", a.coalitions);
    assert!((a.baseline - values[0]).abs() < 1e-9);
    assert!((a.value - values[(1 << n) - 1]).abs() < 1e-9);
    let mut some_error = false;
    for (i, want) in phi.iter().enumerate() {
        let (got, se) = contribution(&a, &format!("x{i}"));
        let se = se.expect("a permutation estimate has a standard error");
        some_error |= se > 0.0;
        assert!(
            (got - want).abs() <= 4.0 * se + 1e-12,
            "x{i}: {got} ± {se} against {want}"
        );
    }
    assert!(some_error, "the players interact: permutations disagree");
    // Efficiency holds for every permutation, so for their mean.
    let total: f64 = a.contributions.iter().map(|c| c.value).sum();
    assert!((total - (a.value - a.baseline)).abs() < 1e-9);
}

#[test]
fn one_seed_gives_the_same_attribution_at_any_thread_count() {
    let question = "attribute y given y >= 3";
    let run = |threads: usize| {
        attribution(
            FINITE,
            question,
            &options(50_000, Method::Is).threads(threads),
        )
    };
    assert_eq!(run(1), run(4));
}

#[test]
fn bad_attributions_are_errors_with_codes() {
    let cases = [
        (FINITE, "attribute y given y > 7", "E007"),
        (
            "decision d in {0, 1}\nx ~ Normal(d, 1)\n",
            "attribute x given x > 0",
            "E012",
        ),
        (
            "k := 3\nz ~ Normal(0, 1)\n",
            "attribute k given z > 0",
            "E005",
        ),
        (
            "a ~ Normal(0, 1)\ny := 2 * a\n",
            "attribute E[y] to do(a = 1, a = 2)",
            "E008",
        ),
    ];
    for (model, question, code) in cases {
        let model = Model::parse(model).unwrap_or_else(|e| panic!("{e}"));
        let error = model
            .ask(question, &options(2_000, Method::Auto))
            .expect_err(question);
        assert_eq!(
            error.code().map(|c| c.to_string()).as_deref(),
            Some(code),
            "{question}: {error}"
        );
    }
}

#[test]
fn ten_thousand_players_are_refused_by_the_limit_before_any_work() {
    let mut source = String::new();
    for i in 0..10_000 {
        source.push_str(&format!("x{i} ~ Bernoulli(0.5)\n"));
    }
    let sum: Vec<String> = (0..10_000).map(|i| format!("x{i}")).collect();
    source.push_str(&format!(
        "y := {}\nattribute y given y > 5000\n",
        sum.join(" + ")
    ));
    let error = Model::parse(&source).expect_err("over the limit");
    assert_eq!(error.code().map(|c| c.to_string()).as_deref(), Some("E005"));
    assert!(error.to_string().contains("more than the limit"), "{error}");
}

#[test]
fn the_firing_squad_of_docs_attribution() {
    // The values of docs/attribution.md, by summing over the noises' intervals twice (the
    // factual case and the fresh draws).
    let model = "order ~ Bernoulli(0.7)\n\
                 a ~ Bernoulli(if order then 0.9 else 0.05)\n\
                 b ~ Bernoulli(if order then 0.9 else 0.05)\n\
                 death := a or b\n";
    for (evidence, order, rifleman) in [
        ("death", 0.245054, 0.016348),
        ("death, a, b", 0.26754, 0.005105),
    ] {
        let a = attribution(
            model,
            &format!("attribute death given {evidence}"),
            &options(1_000, Method::Auto),
        );
        assert!((a.baseline - 0.72225).abs() < 1e-12);
        assert_eq!(a.contributions[0].name, "order");
        for (name, want) in [("order", order), ("a", rifleman), ("b", rifleman)] {
            let (got, _) = contribution(&a, name);
            assert!(
                (got - want).abs() < 1e-6,
                "{evidence}: {name} {got} against {want}"
            );
        }
    }
}

#[test]
fn the_repl_answers_an_attribution() {
    use whatif::repl::{Reply, Session};
    let mut session = Session::new();
    let mut last = String::new();
    for line in [
        "burglary ~ Bernoulli(0.1)",
        "quake ~ Bernoulli(0.2)",
        "alarm := burglary or quake",
        "attribute alarm given alarm, burglary, not quake",
    ] {
        if let Reply::Output(text) = session.feed(line) {
            last = text;
        }
    }
    assert!(last.contains("burglary     +0.810000"), "{last}");
    assert!(last.contains("quake       -0.0900000"), "{last}");
    assert!(last.contains("every coalition, 4"), "{last}");
}

#[test]
fn plot_draws_one_bar_per_player() {
    let dir = std::env::temp_dir().join(format!("whatif-attribution-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_whatif"))
        .args([
            "run",
            "examples/latency_root_cause.scm",
            "--samples",
            "20000",
            "--plot",
        ])
        .arg(&dir)
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for line in [14, 18] {
        let svg = std::fs::read_to_string(
            dir.join(format!("latency_root_cause_line{line}_attribution.svg")),
        )
        .expect("the attribution picture");
        for player in ["db", "api", "response"] {
            assert!(
                svg.contains(&format!(">\n{player}\n<")) || svg.contains(&format!(">{player}<")),
                "no label {player}"
            );
        }
        // The title, the axis description and three bars (plus the background).
        assert!(svg.matches("<rect").count() >= 4);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_examples_give_the_numbers_worked_by_hand() {
    let run = |file: &str, method: Method| {
        let model = Model::from_file(file).unwrap_or_else(|e| panic!("{e}"));
        run_all(&model, &options(100_000, method)).unwrap_or_else(|e| panic!("{e}"))
    };
    let body = |answers: &[whatif::Answer], i: usize| match &answers[i].body {
        Body::Attribution(a) => a.clone(),
        other => panic!("not an attribution: {other:?}"),
    };
    // docs/attribution.md: 140 · (1600, 25, 100) / 1725.
    let latency = body(&run("examples/latency_root_cause.scm", Method::Auto), 0);
    for (name, share) in [("db", 1600.0), ("api", 25.0), ("response", 100.0)] {
        let (got, _) = contribution(&latency, name);
        assert!((got - 140.0 * share / 1725.0).abs() < 1e-9, "{name}: {got}");
    }
    let credit = body(&run("examples/policy_credit.scm", Method::Auto), 0);
    for (name, want) in [
        ("ads = 2", 2128.0),
        ("shipping = true", 556.0),
        ("price = 9", -172.0),
    ] {
        let (got, se) = contribution(&credit, name);
        let se = se.expect("a standard error");
        assert!(
            (got - want).abs() <= 4.0 * se + 1e-9,
            "{name}: {got} ± {se}"
        );
    }
    assert_eq!(credit.contributions[0].name, "ads = 2");
}
