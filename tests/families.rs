//! Indexed families and time (LANGUAGE.md §11): `for` loops, members, index expressions,
//! aggregates, `for`-suffixed conditions, the bracket rule and sequential decisions. Every
//! answer is compared with one computed another way in this file — by enumerating outcomes, by
//! Bayes' rule, by Gaussian algebra worked by hand, by backward induction, or by the same model
//! written out member by member — exact answers to 1e-9, sampled ones (fixed seed) within five
//! of their reported standard errors.

mod common;

use common::*;
use whatif::repl::{Reply, Session};
use whatif::results::Body;
use whatif::{Method, Model, Value};

/// Each statement's value and standard error, in order.
fn values(source: &str, method: Method, samples: u64) -> Vec<(f64, f64)> {
    let answers =
        run_source("families", source, &options(samples, method)).unwrap_or_else(|e| panic!("{e}"));
    answers
        .iter()
        .map(|a| match &a.body {
            Body::Probability(e) | Body::Expectation(e) => (e.value, e.stderr.unwrap_or(0.0)),
            Body::Decision(d) => (d.value, d.stderr),
            other => panic!("not a number: {other:?}"),
        })
        .collect()
}

/// `got` is `want` to 1e-9 when exact (no standard error), within five standard errors when
/// sampled.
fn assert_close(what: &str, (got, stderr): (f64, f64), want: f64) {
    let tolerance = if stderr == 0.0 { 1e-9 } else { 5.0 * stderr };
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: {got} ± {stderr}, expected {want}"
    );
}

/// Every outcome of three six-sided dice, each with probability 1/216.
fn three_dice() -> impl Iterator<Item = [i64; 3]> {
    (1..=6).flat_map(|a| (1..=6).flat_map(move |b| (1..=6).map(move |c| [a, b, c])))
}

/// P(event) and E[f | event] over three dice, by enumeration.
fn dice_probability(event: impl Fn(&[i64; 3]) -> bool) -> f64 {
    three_dice().filter(|d| event(d)).count() as f64 / 216.0
}

fn dice_expectation(f: impl Fn(&[i64; 3]) -> f64, given: impl Fn(&[i64; 3]) -> bool) -> f64 {
    let (sum, n) = three_dice()
        .filter(|d| given(d))
        .fold((0.0, 0usize), |(s, n), d| (s + f(&d), n + 1));
    sum / n as f64
}

const DICE: &str = "
for i in 1..3 {
  die[i] ~ DiscreteUniform(1, 6)
}
total := sum(die[i] for i in 1..3)
";

#[test]
fn sums_of_dice_match_enumeration_exactly() {
    let mut source = DICE.to_string();
    for k in 3..=18 {
        source.push_str(&format!("query P(total == {k})\n"));
    }
    for k in [4, 10, 17] {
        source.push_str(&format!("query E[die[1] | total == {k}]\n"));
    }
    let got = values(&source, Method::Exact, 1);
    for k in 3..=18i64 {
        let want = dice_probability(|d| d.iter().sum::<i64>() == k);
        assert_close(&format!("P(total == {k})"), got[(k - 3) as usize], want);
    }
    for (slot, k) in [4i64, 10, 17].into_iter().enumerate() {
        let want = dice_expectation(|d| d[0] as f64, |d| d.iter().sum::<i64>() == k);
        assert_close(&format!("E[die[1] | total == {k}]"), got[16 + slot], want);
    }
}

#[test]
fn every_aggregate_matches_enumeration() {
    let source = format!(
        "{DICE}
query P(max(die[i] for i in 1..3) == 6)
query P(min(die[i] for i in 1..3) <= 2)
query E[count(die[i] > 4 for i in 1..3)]
query P(any(die[i] == 1 for i in 1..3))
query P(all(die[i] % 2 == 0 for i in 1..3))
query E[mean(die[i] for i in 1..3) | die[1] == 6]
query E[sum(die[i] * die[j] for i in 1..3 for j in i..3)]
"
    );
    let got = values(&source, Method::Exact, 1);
    let want = [
        dice_probability(|d| d.iter().max() == Some(&6)),
        dice_probability(|d| d.iter().min().is_some_and(|m| *m <= 2)),
        dice_expectation(|d| d.iter().filter(|x| **x > 4).count() as f64, |_| true),
        dice_probability(|d| d.contains(&1)),
        dice_probability(|d| d.iter().all(|x| x % 2 == 0)),
        dice_expectation(|d| d.iter().sum::<i64>() as f64 / 3.0, |d| d[0] == 6),
        dice_expectation(
            |d| {
                let mut s = 0;
                for i in 0..3 {
                    for j in i..3 {
                        s += d[i] * d[j];
                    }
                }
                s as f64
            },
            |_| true,
        ),
    ];
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_close(&format!("aggregate {i}"), *g, w);
    }
}

#[test]
fn nested_loops_declare_a_grid() {
    // c[i][j] is true with probability p = (i + j) / 10; count how many of the four hold.
    let source = "
for i in 1..2 {
  for j in 1..2 {
    c[i][j] ~ Bernoulli((i + j) / 10)
  }
}
query P(count(c[i][j] for i in 1..2 for j in 1..2) == 2)
query P(c[2][2] | any(c[i][j] for i in 1..2 for j in 1..2))
";
    let got = values(source, Method::Exact, 1);
    let p = [0.2, 0.3, 0.3, 0.4];
    let (mut two, mut any, mut last_and_any) = (0.0, 0.0, 0.0);
    for mask in 0..16u32 {
        let weight: f64 = (0..4)
            .map(|k| if mask >> k & 1 == 1 { p[k] } else { 1.0 - p[k] })
            .product();
        if mask.count_ones() == 2 {
            two += weight;
        }
        if mask != 0 {
            any += weight;
            if mask >> 3 & 1 == 1 {
                last_and_any += weight;
            }
        }
    }
    assert_close("two of four", got[0], two);
    assert_close("c[2][2] given any", got[1], last_and_any / any);
}

const COINS: &str = r#"
level ~ Categorical("low": 0.3, "fair": 0.4, "high": 0.3)
for i in 1..10 {
  coin[i] ~ Bernoulli(match level { "low" => 0.2, "fair" => 0.5, _ => 0.8 })
}
query P(level = "high" | coin[i] for i in 1..7, not coin[i] for i in 8..10)
query P(coin[10] | coin[i] for i in 1..9)
"#;

/// Bayes' rule for the coins: the posterior over the three levels after `heads` of `flips`.
fn coin_posterior(heads: i32, flips: i32) -> [f64; 3] {
    let prior = [0.3, 0.4, 0.3];
    let p: [f64; 3] = [0.2, 0.5, 0.8];
    let joint: Vec<f64> = (0..3)
        .map(|k| prior[k] * p[k].powi(heads) * (1.0 - p[k]).powi(flips - heads))
        .collect();
    let total: f64 = joint.iter().sum();
    [joint[0] / total, joint[1] / total, joint[2] / total]
}

#[test]
fn for_suffixed_evidence_on_coins_matches_bayes_exactly_and_by_sampling() {
    let high = coin_posterior(7, 10)[2];
    let after_nine = coin_posterior(9, 9);
    let next = after_nine[0] * 0.2 + after_nine[1] * 0.5 + after_nine[2] * 0.8;
    for (method, samples) in [(Method::Exact, 1), (Method::Is, 200_000)] {
        let got = values(COINS, method, samples);
        assert_close(&format!("high ({method:?})"), got[0], high);
        assert_close(&format!("next coin ({method:?})"), got[1], next);
        if method == Method::Is {
            assert!(
                got[0].1 > 0.0,
                "a sampled answer reports its standard error"
            );
        }
    }
}

#[test]
fn a_family_answers_as_the_same_model_written_out_member_by_member() {
    let family = "
let T = 6
state[0] ~ Bernoulli(0.5)
for t in 1..T {
  act[t] ~ Bernoulli(if state[t - 1] then 0.3 else 0.6)
  state[t] ~ Bernoulli(if act[t] then 0.8 else if state[t - 1] then 0.6 else 0.1)
}
query P(state[T] | do(act[t] = true for t in 2..T - 1), state[1])
query E[count(state[t] for t in 0..T) | act[2], not act[3]]
query P(state[T][do(act[T] = false)] | state[T], act[T])
";
    let mut written = String::from("state_0 ~ Bernoulli(0.5)\n");
    for t in 1..=6 {
        written.push_str(&format!(
            "act_{t} ~ Bernoulli(if state_{p} then 0.3 else 0.6)\n\
             state_{t} ~ Bernoulli(if act_{t} then 0.8 else if state_{p} then 0.6 else 0.1)\n",
            p = t - 1
        ));
    }
    let acts: Vec<String> = (2..=5).map(|t| format!("act_{t} = true")).collect();
    let states: Vec<String> = (0..=6).map(|t| format!("state_{t}")).collect();
    written.push_str(&format!(
        "query P(state_6 | do({}), state_1)\n",
        acts.join(", ")
    ));
    written.push_str(&format!(
        "query E[{} | act_2, not act_3]\n",
        states
            .iter()
            .map(|s| format!("(if {s} then 1 else 0)"))
            .collect::<Vec<_>>()
            .join(" + ")
    ));
    written.push_str("query P(state_6[do(act_6 = false)] | state_6, act_6)\n");
    let a = values(family, Method::Exact, 1);
    let b = values(&written, Method::Exact, 1);
    assert_eq!(a.len(), 3);
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert!(
            (x.0 - y.0).abs() < 1e-12,
            "question {i}: {} vs {}",
            x.0,
            y.0
        );
    }
    // Same seed, same unrolled model: the sampled answers agree too, to within their errors.
    let a = values(family, Method::Is, 100_000);
    let b = values(&written, Method::Is, 100_000);
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        let se = (x.1 * x.1 + y.1 * y.1).sqrt();
        assert!(
            (x.0 - y.0).abs() <= 5.0 * se,
            "question {i}: {x:?} vs {y:?}"
        );
    }
}

#[test]
fn a_walk_and_its_counterfactual_match_gaussian_algebra() {
    // pos[t] = pos[t - 1] + 0.5 + e[t], pos[0] ~ N(0, 1), twelve steps: pos[12] has mean 6 and
    // variance 13. Reset to 0 at step 4 in a walk seen to end at 2: the last 8 steps keep their
    // noise, whose mean given the ending is 8 * (2 - 6) / 13, so 0 + 8 * 0.5 - 32 / 13.
    let source = "
pos[0] ~ Normal(0, 1)
for t in 1..12 {
  pos[t] ~ Normal(pos[t - 1] + 0.5, 1)
}
query E[pos[12]]
query E[pos[12][do(pos[4] = 0)] | pos[12] = 2]
query E[pos[4] | pos[12] = 2]
";
    let want = [6.0, 4.0 - 32.0 / 13.0, 2.0 + 5.0 / 13.0 * (2.0 - 6.0)];
    for (method, samples) in [(Method::Exact, 1), (Method::Is, 200_000)] {
        let got = values(source, method, samples);
        for (i, w) in want.iter().enumerate() {
            assert_close(&format!("walk {i} ({method:?})"), got[i], *w);
        }
    }
}

#[test]
fn the_bracket_rule_tells_worlds_from_indices() {
    // `y[x = 1]` is a world, `y[t]` a member, `y[t][do(x = 1)]` a member in a world; with
    // y[t] := x + t the three answers are 1, 2 + E[x] = 2.5 and 1 + 2 = 3.
    let source = "
x ~ Bernoulli(0.5)
z := x
for t in 1..3 {
  y[t] := x + t
}
query E[z[x = true]]
query E[y[2]]
query E[y[2][do(x = true)]]
";
    let got = values(source, Method::Exact, 1);
    assert_close("world", got[0], 1.0);
    assert_close("member", got[1], 2.5);
    assert_close("member in a world", got[2], 3.0);
}

/// The maintenance problem of examples/maintenance.scm with general numbers, solved by
/// backward induction over the good/worn state: returns the value and, per period, whether to
/// service when good and when worn.
fn maintenance_by_hand(
    p0: f64,
    serviced: f64,
    stay: f64,
    recover: f64,
    cost: f64,
    periods: usize,
) -> (f64, Vec<[bool; 2]>) {
    let mut after = [0.0, 0.0]; // value from the next period on, [worn, good]
    let mut rules = Vec::new();
    for _ in 0..periods {
        let mut now = [0.0, 0.0];
        let mut rule = [false, false];
        for (g, p_keep) in [(0usize, recover), (1, stay)] {
            let q = |p: f64| p * (1.0 + after[1]) + (1.0 - p) * after[0];
            let (service, leave) = (q(serviced) - cost, q(p_keep));
            now[g] = service.max(leave);
            rule[g] = service > leave;
        }
        after = now;
        rules.push(rule);
    }
    rules.reverse();
    (p0 * after[1] + (1.0 - p0) * after[0], rules)
}

#[test]
fn a_sequential_decision_over_a_family_is_solved_by_backward_induction() {
    for (p0, serviced, stay, recover, cost, periods) in [
        (0.6, 0.9, 0.7, 0.1, 0.4, 3usize),
        (0.3, 0.95, 0.5, 0.2, 0.25, 4),
    ] {
        let source = format!(
            "good[0] ~ Bernoulli({p0})
for t in 1..{periods} {{
  decision service[t] in bool
  good[t] ~ Bernoulli(if service[t] then {serviced} else if good[t - 1] then {stay} else {recover})
}}
profit := sum((if good[t] then 1 else 0) - (if service[t] then {cost} else 0) for t in 1..{periods})
decide service[t] given good[t - 1] for t in 1..{periods} maximize E[profit]
"
        );
        let (value, rules) = maintenance_by_hand(p0, serviced, stay, recover, cost, periods);
        let answers = run_source("maintenance", &source, &options(1, Method::Exact)).unwrap();
        let Body::Decision(d) = &answers[0].body else {
            panic!("not a decision")
        };
        assert!((d.value - value).abs() < 1e-9, "{} vs {value}", d.value);
        // Every stage's rule: service exactly as backward induction says, whatever came before.
        let rows = &d.policy;
        assert!(!rows.is_empty());
        for row in rows {
            let t: usize = row.decision["service[".len()..row.decision.len() - 1]
                .parse()
                .unwrap();
            let last = format!("good[{}]", t - 1);
            let Value::Bool(good) = row.context[&last] else {
                panic!("context {:?}", row.context)
            };
            let want = rules[t - 1][good as usize];
            assert_eq!(
                row.action[&row.decision],
                Value::Bool(want),
                "{}: {:?}",
                row.decision,
                row.context
            );
        }
        // By sampling the policy's value is within its standard errors of the same.
        let sampled = values(&source, Method::Is, 100_000);
        assert_close("sampled policy", sampled[0], value);
    }
}

#[test]
fn members_serve_as_bandit_arms_and_decision_contexts() {
    let source = "
for k in 1..2 {
  decision pull[k] in {0, 1}
}
win ~ Bernoulli(if pull[1] == 1 then 0.7 else 0.4)
bandit pull[1] in {0, 1} reward win rounds 50 runs 5 policies greedy
";
    let answers = run_source("bandit", source, &options(1_000, Method::Auto)).unwrap();
    let Body::Bandit(b) = &answers[0].body else {
        panic!("not a bandit")
    };
    assert!(
        (b.oracle_value - 0.7).abs() < 1e-9,
        "oracle {}",
        b.oracle_value
    );
}

#[test]
fn a_for_block_is_one_repl_entry() {
    let mut session = Session::new();
    assert!(matches!(session.feed("for i in 1..3 {"), Reply::More));
    assert!(matches!(
        session.feed("  die[i] ~ DiscreteUniform(1, 6)"),
        Reply::More
    ));
    let Reply::Output(text) = session.feed("}") else {
        panic!("the block should end the entry")
    };
    assert!(!text.contains("error"), "{text}");
    let Reply::Output(text) = session.feed("P(sum(die[i] for i in 1..3) == 3)") else {
        panic!("no answer")
    };
    assert!(text.contains("0.00462963"), "{text}");
    // Typing the block again replaces it (its families are its names).
    session.feed("for i in 1..3 {");
    session.feed("  die[i] ~ DiscreteUniform(1, 2)");
    let Reply::Output(text) = session.feed("}") else {
        panic!("the block should end the entry")
    };
    assert!(!text.contains("error"), "{text}");
    let Reply::Output(text) = session.feed("P(sum(die[i] for i in 1..3) == 3)") else {
        panic!("no answer")
    };
    assert!(text.contains("0.125"), "{text}");
}

#[test]
fn loops_nested_a_hundred_deep_stop_at_the_limit_without_crashing() {
    let depth = 100;
    let mut source = String::new();
    for k in 0..depth {
        source.push_str(&format!("for i{k} in 1..2 {{\n"));
    }
    let indices: String = (0..depth).map(|k| format!("[i{k}]")).collect();
    source.push_str(&format!("x{indices} ~ Normal(0, 1)\n"));
    source.push_str(&"}\n".repeat(depth));
    let error = Model::parse(&source)
        .err()
        .expect("2^100 members are refused");
    assert_eq!(error.code(), Some(whatif::Code::E010), "{error}");
    // The same nesting with one value per loop is one member, and checks.
    let single = source.replace("in 1..2", "in 1..1");
    let model = Model::parse(&single).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(model.variables().count(), 1);
}

#[test]
fn a_large_family_unrolls_into_that_many_variables() {
    let source = "
let N = 20000
shared ~ Normal(0, 1)
x[0] ~ Normal(0, 1)
for i in 1..N {
  x[i] ~ Normal(x[i - 1], 1)
  coin[i] ~ Bernoulli(sigmoid(shared))
}
";
    let model = Model::parse(source).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(model.variables().count(), 1 + 1 + 2 * 20_000);
    // x[N] - x[0] is a sum of N unit-variance steps: E[x[N] | x[0] = 1] = 1 exactly.
    let answer = model
        .ask("E[x[20000] | x[0] = 1]", &options(1, Method::Exact))
        .unwrap_or_else(|e| panic!("{e}"));
    let Body::Expectation(e) = answer.body else {
        panic!("not an expectation")
    };
    assert!((e.value - 1.0).abs() < 1e-9, "{}", e.value);
}

#[test]
fn the_graph_boxes_small_families_and_collapses_large_ones() {
    let model = Model::parse(
        "bias ~ Beta(2, 2)
for i in 1..3 {
  coin[i] ~ Bernoulli(bias)
}
pos[0] ~ Normal(0, 1)
for t in 1..1000 {
  pos[t] ~ Normal(pos[t - 1], 1)
}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dot = model.graph();
    assert!(dot.contains("subgraph \"cluster_coin\""), "{dot}");
    assert!(dot.contains("\"bias\" -> \"coin[2]\""), "{dot}");
    assert!(
        dot.contains("\"pos[·]\" [shape=ellipse, label=\"pos[·] (1001 members)\"]"),
        "{dot}"
    );
    assert!(dot.contains("\"pos[·]\" -> \"pos[·]\""), "{dot}");
    assert!(!dot.contains("pos[17]"), "{dot}");
    assert!(dot.lines().count() < 30, "{dot}");
}
