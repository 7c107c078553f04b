//! Numerical robustness: extreme but legal parameters give a correct answer or an error that
//! names the problem — never NaN, infinity or a panic in the output.

use whatif::results::Body;
use whatif::{Code, Method, Model, Options};

fn number(model: &str, query: &str, method: Method) -> Result<(f64, f64), whatif::Error> {
    number_with(model, query, method, 100_000)
}

fn number_with(
    model: &str,
    query: &str,
    method: Method,
    samples: u64,
) -> Result<(f64, f64), whatif::Error> {
    let model = Model::parse(model).unwrap_or_else(|e| panic!("{e}"));
    let options = Options::new().method(method).samples(samples).seed(3);
    let answer = model.ask(query, &options)?;
    match answer.body {
        Body::Probability(e) | Body::Expectation(e) => {
            assert!(
                e.value.is_finite() && e.stderr.is_some_and(f64::is_finite),
                "{query}: {e:?}"
            );
            Ok((e.value, e.stderr.unwrap_or(f64::NAN)))
        }
        other => panic!("{query}: {other:?}"),
    }
}

fn close(model: &str, query: &str, expected: f64) {
    let (exact, _) = number(model, query, Method::Auto).unwrap_or_else(|e| panic!("{e}"));
    let (value, stderr) = number(model, query, Method::Is).unwrap_or_else(|e| panic!("{e}"));
    let tolerance = 5.0 * stderr + 1e-12 * expected.abs().max(1.0);
    assert!(
        (value - expected).abs() <= tolerance,
        "{query}: sampled {value} ± {stderr}, expected {expected}"
    );
    let exact_tolerance = 1e-9 * expected.abs().max(1.0);
    if exact != value {
        // Auto answered exactly, or sampled the same way.
        assert!(
            (exact - expected).abs() <= exact_tolerance.max(5.0 * stderr),
            "{query}: auto gave {exact}, expected {expected}"
        );
    }
}

#[test]
fn normal_with_tiny_and_huge_scales() {
    close("a ~ Normal(0, 1e-300)", "E[a]", 0.0);
    close("a ~ Normal(5, 1e-300)", "P(a > 4.999)", 1.0);
    close("b ~ Normal(0, 1e300)", "P(b > 0)", 0.5);
    close("b ~ Normal(0, 1e300)", "P(b > 1e300)", 0.158655253931457);
}

#[test]
fn poisson_with_a_huge_rate_in_and_out_of_counterfactual_worlds() {
    close("c ~ Poisson(1e6)", "E[c]", 1e6);
    // Counterfactual worlds push noise through the inverse CDF of a Poisson(1e6).
    let model = "x ~ Bernoulli(0.5)\nc ~ Poisson(if x then 1e6 else 1e6 + 1000)";
    let (value, stderr) = number_with(model, "E[c[do(x = false)] - c | x]", Method::Is, 5_000)
        .unwrap_or_else(|e| panic!("{e}"));
    // Same noise, rates 1000 apart: the difference is close to 1000 (to within the
    // quantile's rounding of a few units).
    assert!(
        (value - 1000.0).abs() < 5.0 + 5.0 * stderr,
        "{value} ± {stderr}"
    );
}

#[test]
fn beta_with_tiny_shapes() {
    close("d ~ Beta(0.001, 0.001)", "E[d]", 0.5);
    close("d ~ Beta(0.001, 0.001)", "P(d < 0.5)", 0.5);
}

#[test]
fn categorical_weights_spanning_three_hundred_orders_of_magnitude() {
    let model = "e ~ Categorical(\"tiny\": 1e-300, \"big\": 1)\nf ~ Bernoulli(if e == \"tiny\" then 0.9 else 0.1)";
    let (exact, _) =
        number(model, "P(e == \"tiny\")", Method::Exact).unwrap_or_else(|e| panic!("{e}"));
    assert!((exact / 1e-300 - 1.0).abs() < 1e-9, "{exact}");
    // Conditioning on the tiny category: its weight is 1e-300 in every sample, which log-space
    // weights carry without underflow.
    close(model, "P(f | e == \"tiny\")", 0.9);
}

#[test]
fn three_hundred_observations_in_one_query() {
    let mut model = String::from("x ~ Normal(0, 1)\n");
    let mut evidence = Vec::new();
    for i in 0..300 {
        model.push_str(&format!("y{i} ~ Normal(x, 1)\n"));
        evidence.push(format!("y{i} = 1"));
    }
    let query = format!("E[x | {}]", evidence.join(", "));
    // Conjugate normal: posterior mean 300 / (300 + 1).
    close(&model, &query, 300.0 / 301.0);
}

#[test]
fn overflow_is_an_error_naming_what_overflowed() {
    let e = number("x ~ Normal(0, 1)\ny := exp(1000 * x)", "E[y]", Method::Is).unwrap_err();
    assert_eq!(e.diagnostics()[0].code, Some(Code::E006), "{e}");
    assert!(e.to_string().contains("`y` is inf"), "{e}");
    let e = number("g ~ Normal(1e308, 1e308)", "E[g * 10]", Method::Auto).unwrap_err();
    assert_eq!(e.diagnostics()[0].code, Some(Code::E006), "{e}");
    assert!(e.to_string().contains("not a finite number"), "{e}");
}

#[test]
fn evidence_sharper_than_floating_point_is_exact_or_an_error_not_nan() {
    let model = "x ~ Normal(0, 1)\ny ~ Normal(x, 1e-300)";
    let (exact, _) =
        number(model, "E[x | y = 0.5]", Method::Auto).unwrap_or_else(|e| panic!("{e}"));
    assert!((exact - 0.5).abs() < 1e-9, "{exact}");
    // Sampling cannot hit a density this sharp: every weight underflows, which is E007.
    let e = number(model, "E[x | y = 0.5]", Method::Is).unwrap_err();
    assert_eq!(e.diagnostics()[0].code, Some(Code::E007), "{e}");
}
