//! Property: on random small discrete models, importance sampling agrees with exact inference
//! (variable elimination, the twin network for counterfactuals) within five reported standard
//! errors, for observational, interventional and counterfactual queries.
//!
//! The models are generated with parameters in [0.1, 0.9], so evidence on one variable has
//! probability at least about 0.1 and the effective sample size stays in the thousands, where
//! the self-normalised standard error is reliable. The generator's seed is fixed, so the test
//! is deterministic; 40 models × 3 queries are 120 comparisons, and at five standard errors a
//! false alarm has probability about 120 · 6e-7 < 1e-4.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};
use whatif::results::Body;
use whatif::{Method, Model, Options};

/// A variable: its kind decides its values and how queries mention it.
#[derive(Clone, Debug)]
enum Kind {
    Bool,
    Label,
    Count,
}

fn value_of(kind: &Kind, pick: usize) -> String {
    match kind {
        Kind::Bool => ["true", "false"][pick % 2].to_string(),
        Kind::Label => ["\"a\"", "\"b\"", "\"c\""][pick % 3].to_string(),
        Kind::Count => (pick % 3).to_string(),
    }
}

/// A condition on a parent that is a bool whatever the parent's kind.
fn test_of(name: &str, kind: &Kind) -> String {
    match kind {
        Kind::Bool => name.to_string(),
        Kind::Label => format!("{name} == \"a\""),
        Kind::Count => format!("{name} >= 1"),
    }
}

fn p() -> impl Strategy<Value = f64> {
    (1u32..10).prop_map(|k| k as f64 / 10.0)
}

/// One variable's declaration given the earlier ones.
fn declaration(index: usize, earlier: Vec<Kind>) -> impl Strategy<Value = (Kind, String)> {
    let parent = if earlier.is_empty() {
        Just(None).boxed()
    } else {
        prop::option::weighted(0.8, 0..earlier.len()).boxed()
    };
    (0u32..4, parent, p(), p(), p(), p()).prop_map(move |(shape, parent, a, b, c, d)| {
        let name = format!("v{index}");
        let cond = parent.map(|j| test_of(&format!("v{j}"), &earlier[j]));
        match (shape, cond) {
            (0, Some(cond)) if index >= 2 => (
                Kind::Bool,
                format!("{name} := {cond} xor v{} == v{}", index - 1, index - 1),
            ),
            (0 | 1, Some(cond)) => (
                Kind::Bool,
                format!("{name} ~ Bernoulli(if {cond} then {a} else {b})"),
            ),
            (2, Some(cond)) => (
                Kind::Label,
                format!(
                    "{name} ~ if {cond} then Categorical(\"a\": {a}, \"b\": {b}, \"c\": {c}) else Categorical(\"a\": {d}, \"b\": {c}, \"c\": {a})"
                ),
            ),
            (3, Some(cond)) => (
                Kind::Count,
                format!("{name} ~ Binomial(2, if {cond} then {a} else {c})"),
            ),
            (1 | 0, None) => (Kind::Bool, format!("{name} ~ Bernoulli({a})")),
            (2, None) => (
                Kind::Label,
                format!("{name} ~ Categorical(\"a\": {a}, \"b\": {b}, \"c\": {c})"),
            ),
            _ => (Kind::Count, format!("{name} ~ Binomial(2, {d})")),
        }
    })
}

/// A model of 3–6 variables and three queries about it.
fn case() -> impl Strategy<Value = (String, Vec<String>)> {
    (3usize..7)
        .prop_flat_map(|n| {
            let mut strategy: BoxedStrategy<Vec<(Kind, String)>> = Just(Vec::new()).boxed();
            for i in 0..n {
                strategy = strategy
                    .prop_flat_map(move |decls| {
                        let kinds: Vec<Kind> = decls.iter().map(|(k, _)| k.clone()).collect();
                        declaration(i, kinds).prop_map(move |d| {
                            let mut decls = decls.clone();
                            decls.push(d);
                            decls
                        })
                    })
                    .boxed();
            }
            (strategy, 0..n, 0..n, 0..n, 0usize..6, 0usize..6)
        })
        .prop_map(|(decls, t, e, x, pick_e, pick_x)| {
            let source: Vec<String> = decls.iter().map(|(_, d)| d.clone()).collect();
            let n = decls.len();
            let target = n - 1 - t % 2; // one of the last two: downstream of most things
            let ev = if e == target { (e + 1) % n } else { e };
            let x = if x == target { (x + n - 1) % n } else { x };
            let event = format!("v{target} == {}", value_of(&decls[target].0, 0));
            let cf_event = format!(
                "v{target}[do(v{x} = {})] == {}",
                value_of(&decls[x].0, pick_x),
                value_of(&decls[target].0, 0)
            );
            let evidence = format!("v{ev} == {}", value_of(&decls[ev].0, pick_e));
            let queries = vec![
                format!("P({event} | {evidence})"),
                format!("P({event} | do(v{x} = {}))", value_of(&decls[x].0, pick_x)),
                format!("P({cf_event} | {evidence})"),
            ];
            (source.join("\n"), queries)
        })
}

fn probability(model: &Model, query: &str, options: &Options) -> Result<(f64, f64, f64), String> {
    match model.ask(query, options) {
        Ok(answer) => match answer.body {
            Body::Probability(p) => {
                Ok((p.value, p.stderr.unwrap_or(f64::NAN), p.ess.unwrap_or(0.0)))
            }
            other => Err(format!("not a probability: {other:?}")),
        },
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn sampling_agrees_with_exact_inference_on_random_discrete_models() {
    let config = Config {
        cases: 40,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(20261128),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let result = runner.run(&case(), |(source, queries)| {
        let model =
            Model::parse(&source).map_err(|e| TestCaseError::fail(format!("{e}\n{source}")))?;
        for query in &queries {
            let exact = probability(&model, query, &Options::new().method(Method::Exact));
            let sampled = probability(
                &model,
                query,
                &Options::new().method(Method::Is).samples(60_000).seed(3),
            );
            match (exact, sampled) {
                (Ok((exact, _, _)), Ok((value, stderr, ess))) => {
                    prop_assert!(
                        (value - exact).abs() <= 5.0 * stderr + 1e-12,
                        "{query}: sampled {value} ± {stderr} (ESS {ess}), exact {exact}\n{source}"
                    );
                }
                // Impossible evidence is E007 for both methods.
                (Err(a), Err(b)) => {
                    prop_assert!(
                        a.contains("E007") && b.contains("E007"),
                        "{query}:\n{a}\n{b}\n{source}"
                    );
                }
                (a, b) => prop_assert!(false, "{query}: exact {a:?}, sampled {b:?}\n{source}"),
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Found by the property above: counterfactual worlds push noise through the Binomial's
/// inverse CDF, whose statrs implementation could panic. Poisson takes the same path.
#[test]
fn count_distributions_in_counterfactual_worlds() {
    let model = Model::parse(
        "x ~ Bernoulli(0.4)\n\
         y ~ Binomial(2, if x then 0.9 else 0.1)\n\
         z ~ Poisson(if x then 3 else 0.5)\n",
    )
    .expect("a valid model");
    let query = "P(y[do(x = true)] == 2 | y == 0)";
    let (exact, _, _) =
        probability(&model, query, &Options::new().method(Method::Exact)).expect("exact");
    // By hand: U ~ Uniform(0, 1) drives y in both worlds. y = 0 leaves U ≤ F(0) in the world
    // where it was observed; with x true (prob 0.4·0.01 of y = 0 jointly) U ≤ 0.01, and with x
    // false U ≤ 0.81. y[do(x = 1)] = 2 needs U > 1 − 0.81 = 0.19: only the x-false branch,
    // where U ∈ (0.19, 0.81]: 0.6·0.62 / (0.4·0.01 + 0.6·0.81).
    let by_hand = 0.6 * 0.62 / (0.4 * 0.01 + 0.6 * 0.81);
    assert!(
        (exact - by_hand).abs() < 1e-12,
        "exact {exact}, by hand {by_hand}"
    );
    let sampled = Options::new().method(Method::Is).samples(200_000).seed(9);
    let (value, stderr, _) = probability(&model, query, &sampled).expect("sampled");
    assert!(
        (value - exact).abs() <= 5.0 * stderr,
        "{value} ± {stderr} vs {exact}"
    );
    let (value, stderr, _) =
        probability(&model, "P(z[do(x = true)] >= 3 | z == 0)", &sampled).expect("sampled");
    // z = 0 leaves U ≤ F(0) = e^{-rate}; then z[do(x = 1)] = F⁻¹(U; 3) ≥ 3 needs U > F(2; 3)
    // = 0.4232. The x-false branch (U ≤ e^{-0.5} = 0.6065) contributes U ∈ (0.4232, 0.6065];
    // the x-true branch (U ≤ e^{-3} = 0.0498) contributes nothing.
    let f2 = (-3.0f64).exp() * (1.0 + 3.0 + 4.5);
    let by_hand = 0.6 * ((-0.5f64).exp() - f2) / (0.4 * (-3.0f64).exp() + 0.6 * (-0.5f64).exp());
    assert!(
        (value - by_hand).abs() <= 5.0 * stderr,
        "{value} ± {stderr} vs {by_hand}"
    );
}

/// Gaussian algebra against sampling on a linear-Gaussian model with a shift, a stochastic
/// intervention and a counterfactual; and against the chain benchmark's closed form.
#[test]
fn gaussian_algebra_agrees_with_sampling() {
    let model = Model::parse(
        "a ~ Normal(1, 2)\n\
         b ~ Normal(0.5 * a - 1, 1)\n\
         c := 2 * b + a\n\
         d ~ Normal(c / 4 + 3, 0.5)\n",
    )
    .expect("a valid model");
    let sampled = Options::new().method(Method::Is).samples(400_000).seed(4);
    for query in [
        "E[a | d = 4]",
        "P(c > 1 | d = 4)",
        "E[d | do(b = b + 1)]",
        "E[d | do(a ~ Normal(0, 1))]",
        "E[d[do(a = 0)] | d = 4, b = 0.5]",
    ] {
        let exact = model
            .ask(query, &Options::new().method(Method::Exact))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(exact.method, whatif::MethodUsed::Exact, "{query}");
        let (exact, _, _) =
            probability_or_mean(&exact.body).unwrap_or_else(|| panic!("{query}: a number"));
        let answer = model.ask(query, &sampled).unwrap_or_else(|e| panic!("{e}"));
        let (value, stderr, _) = probability_or_mean(&answer.body).expect("a number");
        assert!(
            (value - exact).abs() <= 5.0 * stderr,
            "{query}: {value} ± {stderr} vs {exact}"
        );
    }
    // MODELS.md (b): E[x1 | x20 = 2] = 2·0.9¹⁹ / Var(x20), Var(x20) = (1 − 0.81²⁰)/0.19.
    let chain: String = (1..=20)
        .map(|i| match i {
            1 => "x1 ~ Normal(0, 1)\n".to_string(),
            _ => format!("x{i} ~ Normal(0.9 * x{}, 1)\n", i - 1),
        })
        .collect();
    let model = Model::parse(&chain).expect("the chain");
    let answer = model
        .ask("E[x1 | x20 = 2.0]", &Options::new().method(Method::Exact))
        .expect("exact");
    let (value, _, _) = probability_or_mean(&answer.body).expect("a number");
    let closed_form = 2.0 * 0.9f64.powi(19) / ((1.0 - 0.81f64.powi(20)) / 0.19);
    assert!(
        (value - closed_form).abs() < 1e-12,
        "{value} vs {closed_form}"
    );
}

fn probability_or_mean(body: &Body) -> Option<(f64, f64, f64)> {
    match body {
        Body::Probability(e) | Body::Expectation(e) => {
            Some((e.value, e.stderr.unwrap_or(f64::NAN), e.ess.unwrap_or(0.0)))
        }
        _ => None,
    }
}

/// The compiled table sampler has two paths: counting samples per cell when the weight and
/// the targets depend on few table cells, one by one otherwise. A target over five
/// ten-valued variables (10⁵ cells) takes the second path; both must agree with exact.
#[test]
fn table_sampler_paths_agree_with_exact() {
    let model = Model::parse(
        "a ~ DiscreteUniform(0, 9)\nb ~ DiscreteUniform(0, 9)\nc ~ DiscreteUniform(0, 9)\n\
         d ~ DiscreteUniform(0, 9)\ne ~ DiscreteUniform(0, 9)\n\
         seen ~ Bernoulli(if a > 3 then 0.8 else 0.2)\n",
    )
    .expect("a valid model");
    let sampled = Options::new().method(Method::Is).samples(300_000).seed(6);
    for query in [
        "P(a + b + c + d + e > 27 | seen)", // many cells: one by one
        "P(a > 6 | seen)",                  // few cells: counted
        "E[a * b | seen, not (c == 2)]",
    ] {
        let (exact, _, _) =
            probability_or_mean_of(&model, query, &Options::new().method(Method::Exact));
        let (value, stderr, _) = probability_or_mean_of(&model, query, &sampled);
        assert!(
            (value - exact).abs() <= 5.0 * stderr,
            "{query}: {value} ± {stderr} vs {exact}"
        );
    }
}

fn probability_or_mean_of(model: &Model, query: &str, options: &Options) -> (f64, f64, f64) {
    let answer = model.ask(query, options).unwrap_or_else(|e| panic!("{e}"));
    probability_or_mean(&answer.body).unwrap_or_else(|| panic!("{query}: a number"))
}
