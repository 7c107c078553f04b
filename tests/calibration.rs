//! Calibration: the reported standard error means what it says. Each query with a known answer
//! is run over 1000 seeds; the exact value should fall within ±1.96 reported standard errors
//! about 95% of the time. With 1000 runs the coverage's own standard deviation is
//! √(0.95·0.05/1000) ≈ 0.0069, so every well-conditioned query must reach
//! 0.95 − 4·0.0069 ≈ 0.922.
//!
//! One query has evidence far in the prior's tail (low effective sample size), where the
//! self-normalised estimate is known to under-report its error: its coverage is measured and
//! printed, not required, and the test checks that every such run carries the low-ESS warning.
//!
//! Sequential Monte Carlo answers the concentrated-evidence cases: the tail query above, a
//! heavy-tailed prior measured precisely far out (likelihood weighting keeps ESS ≈ 21 of
//! 100,000), and 200 Bernoulli observations of one bias (about 12%). Its standard error is the
//! spread of 32 independent replicates, scaled by `t_ν(0.975) / 1.96` for their effective
//! degrees of freedom `ν` (at most 31), so ±1.96 of it is a 95% interval; measured over 400
//! seeds per case, each must cover the truth 93–97% of the time (issue 19's band).
//!
//! `cargo test --release --test calibration -- --nocapture` prints the table.

use whatif::results::Body;
use whatif::{Method, Model, Options};

struct Case {
    name: &'static str,
    model: &'static str,
    query: &'static str,
    exact: f64,
    samples: u64,
}

const CASES: &[Case] = &[
    Case {
        name: "sprinkler P(rain | wet) [tables]",
        model: "cloudy ~ Bernoulli(0.5)\nsprinkler ~ Bernoulli(if cloudy then 0.1 else 0.5)\nrain ~ Bernoulli(if cloudy then 0.8 else 0.2)\nwet ~ Bernoulli(match (sprinkler, rain) { (true, true) => 0.99, (true, false) => 0.9, (false, true) => 0.9, _ => 0.0 })",
        query: "P(rain | wet)",
        exact: 0.7079276773,
        samples: 2_000,
    },
    Case {
        name: "linear E[x | y = 3] [linear rows]",
        model: "x ~ Normal(0, 1)\ny ~ Normal(2 * x, 1)",
        query: "E[x | y = 3]",
        exact: 1.2,
        samples: 2_000,
    },
    Case {
        name: "mixture E[y | do(x = 1)] [interpreter]",
        model: "x ~ Normal(0, 1)\ny ~ if x > 0 then Normal(x * x, 1) else Exponential(2)",
        query: "E[y | do(x = 1)]",
        exact: 1.0,
        samples: 2_000,
    },
    Case {
        name: "necessity P(not y[x = false] | x, y) [coupled worlds]",
        model: "x ~ Bernoulli(0.5)\ny ~ Bernoulli(if x then 0.8 else 0.3)",
        query: "P(not y[do(x = false)] | x, y)",
        exact: 0.625,
        samples: 2_000,
    },
    Case {
        // The effect 2 + z varies with the confounder, so the difference has a real spread
        // (with an effect constant across units, common noise makes it exact).
        name: "ATE E[y|do(x=1)] - E[y|do(x=0)] [delta method]",
        model: "z ~ Bernoulli(0.4)\nx ~ Bernoulli(if z then 0.8 else 0.2)\ny ~ Normal(2 * x + 3 * z + x * z, 1)",
        query: "query ate = E[y | do(x = true)] - E[y | do(x = false)]",
        exact: 2.4,
        samples: 2_000,
    },
];

/// Evidence in the tail: the posterior sits 3.5 prior sds out, so few samples carry weight.
const LOW_ESS: Case = Case {
    name: "tail E[x | y = 3.5], ESS ≈ 0.5% [low ESS]",
    model: "x ~ Normal(0, 1)\ny ~ Normal(x, 0.1)",
    query: "E[x | y = 3.5]",
    // Posterior mean: 3.5 · 1 / (1 + 0.1²).
    exact: 3.5 / 1.01,
    samples: 2_000,
};

const SEEDS: u64 = 1000;

/// (coverage, runs with a low-ESS warning) over `SEEDS` seeds of likelihood weighting.
fn coverage(case: &Case) -> (f64, u64) {
    coverage_by(case, Method::Is, SEEDS)
}

/// (coverage, runs with a low-ESS warning) over `seeds` seeds of `method`.
fn coverage_by(case: &Case, method: Method, seeds: u64) -> (f64, u64) {
    let model = Model::parse(case.model).unwrap_or_else(|e| panic!("{e}"));
    let mut covered = 0;
    let mut warned = 0;
    for seed in 0..seeds {
        let options = Options::new()
            .method(method)
            .samples(case.samples)
            .seed(seed)
            .threads(1);
        let answer = model
            .ask(case.query, &options)
            .unwrap_or_else(|e| panic!("{e}"));
        let (value, stderr) = match &answer.body {
            Body::Probability(e) | Body::Expectation(e) => (e.value, e.stderr.unwrap_or(f64::NAN)),
            other => panic!("{}: not a number: {other:?}", case.name),
        };
        if (value - case.exact).abs() <= 1.96 * stderr {
            covered += 1;
        }
        if answer
            .warnings
            .iter()
            .any(|w| w.contains("effective sample size"))
        {
            warned += 1;
        }
    }
    (covered as f64 / seeds as f64, warned)
}

#[test]
fn standard_errors_cover_the_truth_about_95_percent_of_the_time() {
    eprintln!("{:<52} {:>9}  {:>7}", "query", "coverage", "warned");
    let mut failures = Vec::new();
    for case in CASES {
        let (c, warned) = coverage(case);
        eprintln!("{:<52} {:>8.1}%  {:>7}", case.name, 100.0 * c, warned);
        if c < 0.922 {
            failures.push(format!("{}: {:.3}", case.name, c));
        }
    }
    let (c, warned) = coverage(&LOW_ESS);
    eprintln!("{:<52} {:>8.1}%  {:>7}", LOW_ESS.name, 100.0 * c, warned);
    assert!(failures.is_empty(), "under-covering: {failures:?}");
    assert!(
        c < 0.922 || warned == SEEDS,
        "the tail query was expected to be hard; update the test"
    );
    assert_eq!(warned, SEEDS, "every low-ESS run must carry the warning");
}

/// Seeds for the sequential Monte Carlo cases (each run is 32 replicates).
const SMC_SEEDS: u64 = 400;

/// A Student-t prior measured precisely at 5, far in its tail: the posterior is about
/// Normal(5, 0.01²) tilted by the prior.
const STUDENT_T: &str = "x ~ StudentT(3, 0, 1)\ny ~ Normal(x, 0.01)";

/// `E[x | y = 5]` under [`STUDENT_T`], by the trapezoid rule over ±0.2 (20 measurement sds)
/// on a grid of 10⁻⁶: prior density `(1 + x²/3)⁻²` (its constant cancels) times the
/// measurement's.
fn student_t_posterior_mean() -> f64 {
    let (y, sd, h) = (5.0f64, 0.01f64, 1e-6);
    let steps = (0.4 / h) as usize;
    let (mut mass, mut moment) = (0.0, 0.0);
    for i in 0..=steps {
        let x = y - 0.2 + i as f64 * h;
        let end = if i == 0 || i == steps { 0.5 } else { 1.0 };
        let w = end * (1.0 + x * x / 3.0).powi(-2) * (-0.5 * ((y - x) / sd).powi(2)).exp();
        mass += w;
        moment += w * x;
    }
    moment / mass
}

#[test]
fn sequential_monte_carlo_covers_the_truth_where_the_evidence_is_concentrated() {
    // Issue 19's band for 95% intervals: 93–97%. Over 400 seeds the coverage's own sd is
    // √(0.95·0.05/400) ≈ 0.011, so the band is about ±1.8 of those about the nominal.
    let (low, high) = (0.93, 0.97);
    let cases = [
        LOW_ESS,
        Case {
            name: "heavy prior E[x | y = 5], LW ESS ≈ 0.02%",
            model: STUDENT_T,
            query: "E[x | y = 5]",
            exact: student_t_posterior_mean(),
            samples: 2_000,
        },
        Case {
            name: "200 flips E[bias | 70 heads], LW ESS ≈ 12%",
            model: "bias ~ Beta(2, 2)\nfor i in 1..200 {\n  flip[i] ~ Bernoulli(bias)\n}",
            query: "E[bias | flip[i] for i in 1..70, not flip[i] for i in 71..200]",
            // Beta(2 + 70, 2 + 130).
            exact: 72.0 / 204.0,
            samples: 2_000,
        },
    ];
    let mut failures = Vec::new();
    for case in &cases {
        let (c, warned) = coverage_by(case, Method::Smc, SMC_SEEDS);
        eprintln!(
            "{:<52} {:>8.1}%  {:>7}   (smc)",
            case.name,
            100.0 * c,
            warned
        );
        if !(low..=high).contains(&c) {
            failures.push(format!("{}: {:.1}%", case.name, 100.0 * c));
        }
        assert_eq!(
            warned, 0,
            "{}: sequential Monte Carlo keeps a healthy ESS here",
            case.name
        );
    }
    assert!(
        failures.is_empty(),
        "sequential Monte Carlo's coverage is outside 93–97%: {failures:?}"
    );
}
