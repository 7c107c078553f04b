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

/// (coverage, runs with a low-ESS warning).
fn coverage(case: &Case) -> (f64, u64) {
    let model = Model::parse(case.model).unwrap_or_else(|e| panic!("{e}"));
    let mut covered = 0;
    let mut warned = 0;
    for seed in 0..SEEDS {
        let options = Options::new()
            .method(Method::Is)
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
    (covered as f64 / SEEDS as f64, warned)
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
