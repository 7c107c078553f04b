//! Exact inference at scale (issue 21): pruned and heavy-evidence questions against an
//! independent computation, checked table sizes, long chains.
//!
//! - Heavy evidence: tests/data/exact_scale/heavy_evidence.tsv holds pyAgrum 3.3.1's
//!   LazyPropagation posteriors for 10 and 30 evidence variables from a forward sample
//!   (scripts/heavy_evidence_expectations.py). pyAgrum keeps table entries as float32
//!   (relative error ≤ 2⁻²⁴ ≈ 6e-8); a posterior is a ratio of sums of products of at most a
//!   few dozen entries, so the answers may differ by a few 1e-6 (as in tests/bif.rs): we allow
//!   1e-5.
//! - Small models: every answer against brute-force enumeration of the joint distribution,
//!   computed here from the model's own numbers, to 1e-12.

use std::path::{Path, PathBuf};
use std::process::Command;
use whatif::results::Body;
use whatif::{Method, Model, Options};

/// The shared networks, beside the repository (or beside the worktrees' parent).
fn networks() -> PathBuf {
    for candidate in ["../shared/data/networks", "../../shared/data/networks"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!("../shared/data/networks is missing: the heavy-evidence checks need it");
}

fn import(network: &str) -> Model {
    let path = networks().join(format!("{network}.bif"));
    let output = Command::new(env!("CARGO_BIN_EXE_whatif"))
        .arg("import")
        .arg(&path)
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{network}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let source = String::from_utf8(output.stdout).expect("utf-8");
    Model::parse_named(network, &source).unwrap_or_else(|e| panic!("{e}"))
}

fn exact() -> Options {
    Options::new().method(Method::Exact)
}

fn probability(model: &Model, query: &str, options: &Options) -> f64 {
    let answer = model
        .ask(query, options)
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    match answer.body {
        Body::Probability(p) => p.value,
        other => panic!("{query}: not a probability: {other:?}"),
    }
}

#[test]
fn heavy_evidence_is_answered_exactly_as_pyagrum_answers_it() {
    let expected =
        std::fs::read_to_string("tests/data/exact_scale/heavy_evidence.tsv").expect("expectations");
    let mut current: Option<(String, Model)> = None;
    let mut checked = 0;
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [network, _load, query, value] = fields[..] else {
            panic!("bad line: {line}")
        };
        let value: f64 = value.parse().expect("a number");
        if current.as_ref().is_none_or(|(n, _)| n != network) {
            current = Some((network.to_string(), import(network)));
        }
        let model = &current.as_ref().expect("imported").1;
        let p = probability(model, query, &exact());
        assert!(
            (p - value).abs() <= 1e-5,
            "{network}: {} = {p}, pyAgrum says {value}",
            &query[..query.len().min(200)]
        );
        checked += 1;
    }
    assert_eq!(checked, 32);
}

#[test]
fn an_observed_only_parent_is_one_table_row() {
    // `dm_4` is `udbytte`'s only parent: the answer is the row of udbytte's table, whatever
    // the rest of the network (which variable elimination used to refuse as too large).
    let model = import("mildew");
    let text = std::fs::read_to_string(networks().join("mildew.bif")).expect("mildew");
    let block = text
        .split("probability ( udbytte | dm_4 )")
        .nth(1)
        .expect("udbytte's table");
    let row = block
        .lines()
        .find(|l| l.trim_start().starts_with("(1_00_kg_m2)"))
        .expect("the row for 1_00_kg_m2");
    let first: f64 = row
        .split(')')
        .nth(1)
        .and_then(|r| r.split(',').next())
        .map(|x| x.trim().trim_end_matches(';').parse().expect("a number"))
        .expect("an entry");
    let first_state = text
        .split("variable udbytte")
        .nth(1)
        .and_then(|b| b.split('{').nth(2))
        .and_then(|b| b.split(',').next())
        .expect("udbytte's first state")
        .trim()
        .to_string();
    let query = format!("P(udbytte = \"{first_state}\" | dm_4 = \"1_00_kg_m2\")");
    let p = probability(&model, &query, &exact());
    assert!(
        (p - first).abs() <= 1e-12,
        "{query} = {p}, the table says {first}"
    );
}

#[test]
fn a_table_whose_size_overflows_is_refused_as_too_large() {
    // 64 binary parents: 2⁶⁴ rows wrap a usize product to 0. It must be E010 (too large), not
    // a bogus "evidence has probability zero".
    let mut source = String::new();
    for i in 0..64 {
        source.push_str(&format!("a{i} ~ Bernoulli(0.5)\n"));
    }
    let names: Vec<String> = (0..64).map(|i| format!("a{i}")).collect();
    source.push_str(&format!("z := {}\n", names.join(" or ")));
    let model = Model::parse(&source).expect("the model checks");
    let error = model
        .ask("P(z)", &exact())
        .expect_err("2^64 rows are over the cap");
    let text = error.to_string();
    assert!(text.contains("E010"), "{text}");
    assert!(text.contains("more than"), "{text}");
}

#[test]
fn the_table_cap_is_read_from_the_config() {
    let source = "a ~ Categorical(\"x\": 1, \"y\": 1, \"z\": 1)\nb ~ Categorical(\"x\": 1, \"y\": 1, \"z\": 1)\nc := a = b\n";
    // `Config` is non-exhaustive: start from the defaults and set the one limit.
    let mut small = whatif::Config::default();
    small.max_factor_size = 8;
    let model = Model::parse_with("cap", source, &small).expect("checks");
    let error = model.ask("P(c)", &exact()).expect_err("9 rows > 8");
    assert!(error.to_string().contains("E010"), "{error}");
    let model = Model::parse(source).expect("checks");
    let p = probability(&model, "P(c)", &exact());
    assert!((p - 1.0 / 3.0).abs() < 1e-15, "{p}");
}

/// A random binary network of `n` variables: each variable's parents are among the previous
/// three, its probability of being true is a table over them.
struct Network {
    parents: Vec<Vec<usize>>,
    /// Per variable, P(true) per parent assignment (first parent most significant).
    p_true: Vec<Vec<f64>>,
}

impl Network {
    fn random(n: usize, seed: u64) -> Network {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut parents = Vec::new();
        let mut p_true = Vec::new();
        for v in 0..n {
            let ps: Vec<usize> = (v.saturating_sub(3)..v).filter(|_| next() < 0.6).collect();
            let rows = 1 << ps.len();
            p_true.push((0..rows).map(|_| 0.05 + 0.9 * next()).collect());
            parents.push(ps);
        }
        Network { parents, p_true }
    }

    fn source(&self) -> String {
        let mut out = String::new();
        for (v, ps) in self.parents.iter().enumerate() {
            let mut expr = String::new();
            // Nested ifs over the parents, the first parent outermost.
            fn write(expr: &mut String, ps: &[usize], table: &[f64], row: usize, depth: usize) {
                if depth == ps.len() {
                    expr.push_str(&format!("Bernoulli({:?})", table[row]));
                    return;
                }
                expr.push_str(&format!("if x{} then ", ps[depth]));
                write(expr, ps, table, row * 2 + 1, depth + 1);
                expr.push_str(" else ");
                write(expr, ps, table, row * 2, depth + 1);
            }
            write(&mut expr, ps, &self.p_true[v], 0, 0);
            out.push_str(&format!("x{v} ~ {expr}\n"));
        }
        out
    }

    /// P(target | evidence) by enumerating every joint assignment.
    fn enumerate(&self, target: usize, evidence: &[(usize, bool)]) -> f64 {
        let n = self.parents.len();
        let (mut joint, mut mass) = (0.0, 0.0);
        for bits in 0u32..(1 << n) {
            let x = |v: usize| bits >> v & 1 == 1;
            if evidence.iter().any(|&(v, b)| x(v) != b) {
                continue;
            }
            let mut p = 1.0;
            for v in 0..n {
                let row = self.parents[v]
                    .iter()
                    .fold(0, |r, &q| r * 2 + usize::from(x(q)));
                let t = self.p_true[v][row];
                p *= if x(v) { t } else { 1.0 - t };
            }
            mass += p;
            if x(target) {
                joint += p;
            }
        }
        joint / mass
    }
}

#[test]
fn pruned_answers_agree_with_enumeration_on_random_networks() {
    let mut checked = 0;
    for seed in 0..12u64 {
        let network = Network::random(12, seed);
        let model = Model::parse(&network.source()).expect("the model checks");
        for case in 0..4usize {
            let target = (seed as usize * 5 + case * 7) % 12;
            let evidence: Vec<(usize, bool)> = (0..12)
                .filter(|&v| v != target && (v * 31 + case * 17 + seed as usize) % 3 == 0)
                .map(|v| (v, (v + case) % 2 == 0))
                .collect();
            let given = given_text(&evidence);
            let query = if given.is_empty() {
                format!("P(x{target})")
            } else {
                format!("P(x{target} | {})", given.join(", "))
            };
            let p = probability(&model, &query, &exact());
            let truth = network.enumerate(target, &evidence);
            assert!(
                (p - truth).abs() <= 1e-12,
                "seed {seed}: {query} = {p}, enumeration {truth}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 48);
}

#[test]
fn interventions_and_counterfactuals_are_pruned_the_same_way() {
    // x → m → y and x → w. Observing m cuts y off from x and w, in the factual world, under
    // an intervention and in a counterfactual world alike.
    let source = "x ~ Bernoulli(0.3)\nm ~ if x then Bernoulli(0.8) else Bernoulli(0.1)\ny ~ if m then Bernoulli(0.7) else Bernoulli(0.2)\nw ~ if x then Bernoulli(0.9) else Bernoulli(0.4)\n";
    let model = Model::parse(source).expect("checks");
    // P(y | do(m = true), w) = 0.7 whatever w says.
    let p = probability(&model, "P(y | do(m = true), w)", &exact());
    assert!((p - 0.7).abs() < 1e-15, "{p}");
    // P(y | m) = 0.7: m is y's only parent, so x and w drop out.
    let p = probability(&model, "P(y | m, w)", &exact());
    assert!((p - 0.7).abs() < 1e-15, "{p}");
    // Counterfactual: a Bernoulli(p) is true when its noise U ≥ 1 - p (inverse CDF). Given m
    // and y, U ≥ 0.3 (probability 0.7); y[do(m = false)] is true when U ≥ 0.8 (0.2 of it).
    let p = probability(&model, "P(y[do(m = false)] | y, m, w)", &exact());
    assert!((p - 0.2 / 0.7).abs() < 1e-15, "{p}");
}

#[test]
fn all_marginals_past_the_cap_for_one_tree_are_answered_one_variable_at_a_time() {
    // Eight binary roots and ten binary children of four roots each. The junction tree of the
    // whole network joins the roots the children marry: without evidence its largest table is
    // 64 to 256 entries on these seeds, over the cap of 32 below (E010 before), while each
    // marginal needs only its ancestors and the evidence's, within 32 entries.
    let mut checked = 0;
    for seed in 0..4u64 {
        let mut network = Network::random(18, seed);
        let mut state = seed + 1;
        let mut next = move |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        for v in 0..18 {
            network.parents[v] = Vec::new();
            if v >= 8 {
                while network.parents[v].len() < 4 {
                    let p = next(8);
                    if !network.parents[v].contains(&p) {
                        network.parents[v].push(p);
                    }
                }
            }
            let rows = 1 << network.parents[v].len();
            network.p_true[v] = (0..rows)
                .map(|_| 0.05 + 0.9 * next(1000) as f64 / 1000.0)
                .collect();
        }
        let mut small = whatif::Config::default();
        small.max_factor_size = 32;
        let model = Model::parse_with("roots", &network.source(), &small).expect("checks");
        for evidence in [vec![], vec![(10usize, true)], vec![(11, false), (14, true)]] {
            let given = given_text(&evidence);
            let query = if given.is_empty() {
                "P(*)".to_string()
            } else {
                format!("P(* | {})", given.join(", "))
            };
            let answer = model
                .ask(query.as_str(), &exact())
                .unwrap_or_else(|e| panic!("seed {seed}: {query}: {e}"));
            let Body::Marginals(all) = answer.body else {
                panic!("{query}: not marginals");
            };
            for (name, distribution) in &all.variables {
                let v: usize = name[1..].parse().expect("x<number>");
                let whatif::results::Distribution::Discrete { values, .. } = distribution else {
                    panic!("{name}: not discrete");
                };
                let truth = network.enumerate(v, &evidence);
                for value in values {
                    let expected = if value.value.to_string() == "true" {
                        truth
                    } else {
                        1.0 - truth
                    };
                    assert!(
                        (value.p - expected).abs() <= 1e-12,
                        "seed {seed}: {query}: P({name} = {}) = {}, enumeration {expected}",
                        value.value,
                        value.p
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 4 * 3 * 18 * 2);
}

/// The evidence `(variable, value)` as the question's text: `x3`, `not x5`.
fn given_text(evidence: &[(usize, bool)]) -> Vec<String> {
    evidence
        .iter()
        .map(|&(v, b)| {
            if b {
                format!("x{v}")
            } else {
                format!("not x{v}")
            }
        })
        .collect()
}
