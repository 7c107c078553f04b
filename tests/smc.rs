//! Sequential Monte Carlo (`--method smc`, `set method = smc`, and `auto`'s choice of it)
//! against answers computed another way: conjugate algebra (Beta–Bernoulli, Normal–Normal,
//! the Beta–Bernoulli marginal likelihood), enumeration (a discrete latent class behind 60
//! observations, a counterfactual), with fixed seeds and tolerances of a few reported standard
//! errors. Then determinism across thread counts, the method's selection, and bad input.

use whatif::results::{Body, Distribution};
use whatif::{Answer, Code, Config, Method, MethodUsed, Model, Options};

/// Reported standard errors an estimate may be off by: with the fixed seeds below, a correct
/// standard error is exceeded this far with probability about 4 in 10,000.
const TOLERANCE: f64 = 3.5;

fn options(method: Method, samples: u64, seed: u64) -> Options {
    Options::new()
        .method(method)
        .samples(samples)
        .seed(seed)
        .threads(2)
}

fn ask(model: &str, query: &str, options: &Options) -> Answer {
    let model = Model::parse(model).unwrap_or_else(|e| panic!("{e}"));
    model.ask(query, options).unwrap_or_else(|e| panic!("{e}"))
}

/// (value, standard error, ESS) of a probability or expectation.
fn estimate(answer: &Answer) -> (f64, f64, f64) {
    match &answer.body {
        Body::Probability(e) | Body::Expectation(e) => (
            e.value,
            e.stderr.expect("a sampled answer has a standard error"),
            e.ess.expect("a sampled answer has an ESS"),
        ),
        other => panic!("not a number: {other:?}"),
    }
}

/// Asserts that `answer` is within [`TOLERANCE`] standard errors of `exact`, and that its
/// standard error is below `max_stderr` (so the comparison says something).
fn assert_close(answer: &Answer, exact: f64, max_stderr: f64) {
    let (value, stderr, _) = estimate(answer);
    assert!(
        stderr > 0.0 && stderr < max_stderr,
        "{}: standard error {stderr} (at most {max_stderr} expected)",
        answer.query
    );
    assert!(
        (value - exact).abs() <= TOLERANCE * stderr,
        "{}: {value} ± {stderr}, exact {exact} ({:.2} standard errors off)",
        answer.query,
        (value - exact).abs() / stderr
    );
}

/// `ln Γ(n)` for a whole `n ≥ 1`.
fn ln_factorial_of(n: u32) -> f64 {
    (1..n).map(|k| (k as f64).ln()).sum()
}

/// `ln B(a, b)` for whole `a, b ≥ 1`.
fn ln_beta(a: u32, b: u32) -> f64 {
    ln_factorial_of(a) + ln_factorial_of(b) - ln_factorial_of(a + b)
}

const COINS: &str = "bias ~ Beta(2, 2)
for i in 1..200 {
  flip[i] ~ Bernoulli(bias)
}";

/// 70 heads in 200 flips: the likelihood weighting ESS share is about 16%.
const COINS_70_OF_200: &str = "E[bias | flip[i] for i in 1..70, not flip[i] for i in 71..200]";

#[test]
fn beta_bernoulli_posterior_mean_and_log_evidence_match_conjugate_algebra() {
    let answer = ask(COINS, COINS_70_OF_200, &options(Method::Smc, 16_384, 1));
    assert_eq!(answer.method, MethodUsed::Smc);
    // Beta(2 + 70, 2 + 130): mean 72 / 204. Its posterior sd is 0.033; the standard error
    // must be far below it.
    assert_close(&answer, 72.0 / 204.0, 0.002);
    // The probability of this exact sequence of flips: B(72, 132) / B(2, 2).
    let exact = ln_beta(72, 132) - ln_beta(2, 2);
    let (log_z, stderr) = (
        answer
            .details
            .log_evidence
            .expect("SMC reports the log evidence"),
        answer
            .details
            .log_evidence_stderr
            .expect("and its standard error"),
    );
    assert!(stderr > 0.0 && stderr < 0.1, "log evidence ± {stderr}");
    assert!(
        (log_z - exact).abs() <= TOLERANCE * stderr,
        "log evidence {log_z} ± {stderr}, exact {exact}"
    );
}

#[test]
fn normal_normal_posterior_moments_match_conjugate_algebra() {
    // mu ~ N(0, 2²), 30 observations y_i ~ N(mu, 1): the posterior precision is 1/4 + 30 and
    // the posterior mean Σy / (1/4 + 30).
    let ys: Vec<f64> = (1..=30)
        .map(|i| 1.5 + (i as f64).sin() + 0.25 * ((i * 7) % 5) as f64)
        .collect();
    let model = "mu ~ Normal(0, 2)\nfor i in 1..30 {\n  y[i] ~ Normal(mu, 1)\n}";
    let evidence: Vec<String> = ys
        .iter()
        .enumerate()
        .map(|(i, y)| format!("y[{}] = {y}", i + 1))
        .collect();
    let evidence = evidence.join(", ");
    let precision = 0.25 + ys.len() as f64;
    let mean = ys.iter().sum::<f64>() / precision;
    let variance = 1.0 / precision;
    // 32,768 final states: the chains run on at the posterior are correlated, so the
    // standard error of `E[mu²]` needs them to fall below 0.01.
    let options = options(Method::Smc, 32_768, 2);
    let answer = ask(model, &format!("E[mu | {evidence}]"), &options);
    assert_close(&answer, mean, 0.05 * variance.sqrt());
    let answer = ask(model, &format!("E[mu * mu | {evidence}]"), &options);
    assert_close(&answer, variance + mean * mean, 0.01);
}

#[test]
fn evidence_in_the_prior_tail_is_answered() {
    // The posterior sits 3.5 prior sds out: likelihood weighting keeps ESS ≈ 0.5%.
    let model = "x ~ Normal(0, 1)\ny ~ Normal(x, 0.1)";
    let answer = ask(model, "E[x | y = 3.5]", &options(Method::Smc, 16_384, 3));
    assert_close(&answer, 3.5 / 1.01, 0.005);
    assert!(answer.warnings.is_empty(), "{:?}", answer.warnings);
}

/// A latent class `z` behind 60 coin flips, 33 of them heads.
const CLASSES: &str = "z ~ Categorical(0.5, 0.3, 0.2)
for i in 1..60 {
  obs[i] ~ Bernoulli(match z { 0 => 0.4, 1 => 0.5, _ => 0.6 })
}";
const CLASSES_EVIDENCE: &str = "obs[i] for i in 1..33, not obs[i] for i in 34..60";

/// The posterior of the class by enumeration.
fn classes_posterior() -> [f64; 3] {
    let prior = [0.5f64, 0.3, 0.2];
    let p = [0.4f64, 0.5, 0.6];
    let log: Vec<f64> = (0..3)
        .map(|k| prior[k].ln() + 33.0 * p[k].ln() + 27.0 * (1.0 - p[k]).ln())
        .collect();
    let max = log.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = log.iter().map(|l| (l - max).exp()).sum();
    [0, 1, 2].map(|k| (log[k] - max).exp() / total)
}

#[test]
fn a_discrete_latent_matches_enumeration_drawn_by_gibbs_and_summed_out() {
    // The class is drawn exactly from its conditional by each move, and the probability and
    // the table of it record, at every state a move reaches, the conditional probabilities the
    // move summed (Rao–Blackwellisation) instead of the class drawn. So they are more precise
    // than as many independent exact draws could be, `√(p(1 − p)/n)`: that is only possible
    // with the values summed out. (Drawn by a random walk over the class's score, with no
    // sum, the probability's standard error was 0.0056 to 0.0078 at this size, seeds 1 to 3;
    // summed out, about 0.0008.)
    let exact = classes_posterior();
    let samples = 16_384;
    let options = options(Method::Smc, samples, 4);
    let independent = |p: f64| (p * (1.0 - p) / samples as f64).sqrt();
    let summed = ask(
        CLASSES,
        &format!("P(z == 2 | {CLASSES_EVIDENCE})"),
        &options,
    );
    assert_close(&summed, exact[2], independent(exact[2]) / 2.0);
    let table = ask(CLASSES, &format!("P(z | {CLASSES_EVIDENCE})"), &options);
    let Body::Distribution(Distribution::Discrete { values, .. }) = &table.body else {
        panic!("not a discrete distribution: {:?}", table.body)
    };
    assert_eq!(values.len(), 3);
    for row in values {
        let k = row
            .value
            .to_string()
            .parse::<usize>()
            .expect("an integer class");
        assert!(
            row.stderr > 0.0
                && row.stderr < independent(exact[k]) / 2.0
                && (row.p - exact[k]).abs() <= TOLERANCE * row.stderr,
            "P(z = {k}) = {} ± {}, exact {}",
            row.p,
            row.stderr,
            exact[k]
        );
    }
}

#[test]
fn a_rare_value_summed_out_keeps_the_score_floor() {
    // `k = 0` and `k = 1` need `x` near 4.5 or 3.5, far in its posterior's tail, where the
    // chains never go: the Gibbs sums put them at 1e-17 and 3e-8 against 4e-11 and 4e-6,
    // with a spread just as small. A probability with fewer than ten effective hits keeps the
    // score interval's floor on the ESS, and the warning.
    let model = "x ~ Normal(0, 1)\nk ~ Binomial(4, sigmoid(x))\ny ~ Normal(x + k, 0.3)";
    let mut exact = [0.0f64; 5];
    for j in 0..=40_000 {
        let x = -10.0 + 20.0 * j as f64 / 40_000.0;
        let q = 1.0 / (1.0 + (-x).exp());
        for (k, mass) in exact.iter_mut().enumerate() {
            let choose = [1.0, 4.0, 6.0, 4.0, 1.0][k];
            let binomial = choose * q.powi(k as i32) * (1.0 - q).powi(4 - k as i32);
            let residual = (4.5 - x - k as f64) / 0.3;
            *mass += (-0.5 * x * x - 0.5 * residual * residual).exp() * binomial;
        }
    }
    let total: f64 = exact.iter().sum();
    let answer = ask(model, "P(k | y = 4.5)", &options(Method::Smc, 8_192, 1));
    let Body::Distribution(Distribution::Discrete { values, .. }) = &answer.body else {
        panic!("not a discrete distribution: {:?}", answer.body)
    };
    assert_eq!(values.len(), 5);
    for row in values {
        let k = row.value.to_string().parse::<usize>().expect("a count");
        let truth = exact[k] / total;
        assert!(
            row.stderr > 0.0 && (row.p - truth).abs() <= TOLERANCE * row.stderr,
            "P(k = {k}) = {} ± {}, exact {truth}",
            row.p,
            row.stderr
        );
    }
    assert!(
        answer.warnings.iter().any(|w| w.contains("rare outcome")),
        "{:?}",
        answer.warnings
    );
}

/// Twenty draws from a mixture of `Normal(mu, 1)` and `Normal(0, 1)`, each component's
/// membership a latent coin.
const MIXTURE_DATA: [f64; 20] = [
    2.1, 0.3, 3.0, -0.5, 2.8, 1.9, -1.2, 2.6, 0.1, 3.4, 2.2, -0.3, 2.9, 0.8, 2.4, -0.9, 3.1, 1.5,
    2.7, 0.2,
];

const MIXTURE: &str = "mu ~ Normal(0, 2)
for i in 1..20 {
  c[i] ~ Bernoulli(0.5)
  x[i] ~ Normal(if c[i] then mu else 0, 1)
}";

/// `E[mu | x]` and `P(c[i] | x)` for every `i`, by quadrature over `mu` with the coins
/// summed out: `p(x_i | mu) = (N(x_i; mu, 1) + N(x_i; 0, 1)) / 2`, and given `mu` the coin's
/// probability is `N(x_i; mu, 1) / (N(x_i; mu, 1) + N(x_i; 0, 1))`.
fn mixture_posterior() -> (f64, Vec<f64>) {
    let phi = |t: f64| (-0.5 * t * t).exp();
    let (mut mass, mut first) = (0.0, 0.0);
    let mut coins = vec![0.0; MIXTURE_DATA.len()];
    for j in 0..=24_000 {
        let mu = -12.0 + 24.0 * j as f64 / 24_000.0;
        let log: f64 = -0.125 * mu * mu
            + MIXTURE_DATA
                .iter()
                .map(|&x| (phi(x - mu) + phi(x)).ln())
                .sum::<f64>();
        let density = log.exp();
        mass += density;
        first += density * mu;
        for (coin, &x) in coins.iter_mut().zip(&MIXTURE_DATA) {
            *coin += density * phi(x - mu) / (phi(x - mu) + phi(x));
        }
    }
    (first / mass, coins.iter().map(|c| c / mass).collect())
}

#[test]
fn a_mixture_swept_with_gibbs_draws_of_its_coins_matches_quadrature() {
    // Twenty discrete coins and one continuous mean: the sweeps draw each coin by Gibbs and
    // random-walk the mean (debug builds check every sweep against a whole evaluation).
    let evidence = MIXTURE_DATA
        .iter()
        .enumerate()
        .map(|(i, x)| format!("x[{}] = {x}", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    let (mean, coins) = mixture_posterior();
    let options = options(Method::Smc, 65_536, 2);
    let answer = ask(MIXTURE, &format!("E[mu | {evidence}]"), &options);
    assert_eq!(answer.method, MethodUsed::Smc);
    assert!(answer.warnings.is_empty(), "{:?}", answer.warnings);
    // The posterior sd of `mu` is 0.32.
    assert_close(&answer, mean, 0.005);
    // x[2] = 0.3 most likely came from the other component, x[3] = 3.0 from mu's.
    for i in [2, 3] {
        let answer = ask(MIXTURE, &format!("P(c[{i}] | {evidence})"), &options);
        assert_close(&answer, coins[i - 1], 0.003);
    }
}

#[test]
fn a_counterfactual_matches_enumeration() {
    // y = U < p(x) with one uniform U in both worlds: given x and y, U < 0.8, and y would
    // have been false without x when U ≥ 0.3: (0.8 − 0.3) / 0.8.
    let model = "x ~ Bernoulli(0.5)\ny ~ Bernoulli(if x then 0.8 else 0.3)";
    let answer = ask(
        model,
        "P(not y[do(x = false)] | x, y)",
        &options(Method::Smc, 8_192, 5),
    );
    assert_eq!(answer.method, MethodUsed::Smc);
    assert_close(&answer, 0.625, 0.02);
}

/// A noisy measurement: `y = 1` makes the posterior of `x` Normal(0.8, 0.2) (precision
/// 1 + 1/0.5², mean 4 · 1 / 5). `band` cuts `x` at 1 and 2.
const MEASURED: &str = "x ~ Normal(0, 1)
y ~ Normal(x, 0.5)
band := if x > 2 then 2 else if x > 1 then 1 else 0";

/// `P(x > c | y = 1)` by the Gaussian posterior.
fn measured_upper_tail(c: f64) -> f64 {
    0.5 * statrs::function::erf::erfc((c - 0.8) / (2.0f64 * 0.2).sqrt())
}

/// Whether `answer` carries the rare-outcome warning.
fn warns_rare(answer: &Answer) -> bool {
    answer
        .warnings
        .iter()
        .any(|w| w.starts_with("rare outcome:"))
}

#[test]
fn a_probability_resting_on_few_particles_warns_as_likelihood_weighting_does() {
    // P(x > 2 | y = 1) ≈ 0.0036: of 2,048 particles only a handful land there.
    let few = options(Method::Smc, 2_048, 4);
    let rare = ask(MEASURED, "P(x > 2 | y = 1)", &few);
    let (value, _, ess) = estimate(&rare);
    assert!(
        value * ess < 10.0 && warns_rare(&rare),
        "{value} with ESS {ess}: {:?}",
        rare.warnings
    );
    // P(x > 1 | y = 1) ≈ 0.327 rests on hundreds of them: it agrees and does not warn.
    let common = ask(MEASURED, "P(x > 1 | y = 1)", &few);
    assert_close(&common, measured_upper_tail(1.0), 0.02);
    assert!(common.warnings.is_empty(), "{:?}", common.warnings);
    // With 64 times the particles the rare probability is no longer rare: it agrees too.
    let many = ask(
        MEASURED,
        "P(x > 2 | y = 1)",
        &options(Method::Smc, 131_072, 4),
    );
    assert_close(&many, measured_upper_tail(2.0), 0.001);
    assert!(many.warnings.is_empty(), "{:?}", many.warnings);
    // A distribution's and the marginals' rare values are named, the others not.
    for query in ["P(band | y = 1)", "P(* | y = 1)"] {
        let answer = ask(MEASURED, query, &few);
        let rare: Vec<&String> = answer
            .warnings
            .iter()
            .filter(|w| w.starts_with("rare outcome:"))
            .collect();
        assert_eq!(rare.len(), 1, "{query}: {:?}", answer.warnings);
        assert!(
            rare[0].contains("2 (") && !rare[0].contains("1 (") && !rare[0].contains("0 ("),
            "{query}: {}",
            rare[0]
        );
    }
}

#[test]
fn one_seed_gives_the_same_numbers_at_one_and_two_threads() {
    let json = |threads: usize| {
        let model = Model::parse(&format!("{COINS}\nquery {COINS_70_OF_200}")).unwrap();
        let options = Options::new()
            .method(Method::Smc)
            .samples(4_096)
            .seed(11)
            .threads(threads);
        let answers: Vec<Answer> = model
            .run(&options)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        serde_json::to_string(&answers).unwrap()
    };
    let one = json(1);
    assert_eq!(one, json(2));
    assert!(one.contains("\"method\":\"smc\""), "{one}");
}

#[test]
fn set_method_chooses_smc_and_options_override_it() {
    let source = format!("set method = smc\n{COINS}\nquery {COINS_70_OF_200}");
    let model = Model::parse(&source).unwrap_or_else(|e| panic!("{e}"));
    let first = |options: &Options| {
        model
            .run(options)
            .remove(0)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(
        first(&Options::new().samples(4_096).threads(2)).method,
        MethodUsed::Smc
    );
    let options = Options::new().samples(4_096).threads(2).method(Method::Is);
    assert_eq!(first(&options).method, MethodUsed::Is);
}

#[test]
fn the_command_line_takes_method_smc() {
    let dir = std::env::temp_dir().join(format!("whatif-smc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("coins.scm");
    std::fs::write(&path, format!("{COINS}\nquery {COINS_70_OF_200}\n")).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_whatif"))
        .args(["run", "--method", "smc", "--samples", "4096", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let result = &json["results"][0];
    assert_eq!(result["method"], "smc");
    assert!(result["log_evidence"].is_f64(), "{result}");
    assert!(result["stages"].is_u64(), "{result}");
}

#[test]
fn auto_chooses_smc_when_the_pilot_collapses_and_says_why() {
    // An Exponential(1) prior and one precise observation far out: the posterior is N(4 −
    // 0.05², 0.05²) truncated at 0, whose truncation moves the mean by less than 1e-300.
    let model = "x ~ Exponential(1)\ny ~ Normal(x, 0.05)";
    let answer = ask(model, "E[x | y = 4]", &options(Method::Auto, 16_384, 6));
    assert_eq!(answer.method, MethodUsed::Smc);
    let reason = answer.details.method_reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains("pilot run") && reason.contains("effective sample size"),
        "{reason}"
    );
    assert_close(&answer, 4.0 - 0.05 * 0.05, 0.002);
}

#[test]
fn auto_keeps_likelihood_weighting_while_its_ess_is_healthy() {
    let answer = ask(COINS, COINS_70_OF_200, &options(Method::Auto, 16_384, 7));
    assert_eq!(answer.method, MethodUsed::Is);
    // The answer says why: the pilot's ESS share, at least the 1% below which SMC answers.
    let reason = answer.details.method_reason.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with(
            "auto kept likelihood weighting: its pilot run kept an effective sample size of "
        ),
        "{reason}"
    );
    let share: f64 = reason
        .split(" samples (")
        .nth(1)
        .and_then(|rest| rest.split('%').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no share in {reason}"));
    assert!(share >= 1.0, "{reason}");
    // The pilot and the answer estimate the same ESS share (about 16% here), the pilot from
    // 4,096 samples: they agree to a few points.
    let answer_share = 100.0 * estimate(&answer).2 / 16_384.0;
    assert!(
        (share - answer_share).abs() < 5.0,
        "{reason} vs {answer_share}%"
    );
    assert_close(&answer, 72.0 / 204.0, 0.002);
    // Without evidence there is nothing to weight: no pilot, so the reason names none.
    let prior = ask(COINS, "E[bias]", &options(Method::Auto, 4_096, 7));
    let reason = prior.details.method_reason.as_deref().unwrap_or_default();
    assert!(!reason.contains("pilot"), "{reason}");
}

#[test]
fn evidence_of_probability_zero_is_e007() {
    let model = Model::parse("x ~ Uniform(0, 1)").unwrap();
    let error = model
        .ask("E[x | x > 2]", &options(Method::Smc, 4_096, 0))
        .unwrap_err();
    assert_eq!(error.code(), Some(Code::E007), "{error}");
}

#[test]
fn evidence_on_a_deterministic_real_is_e011() {
    let model = Model::parse("x ~ Normal(0, 1)\ny := 2 * x").unwrap();
    let error = model
        .ask("E[x | y = 1]", &options(Method::Smc, 4_096, 0))
        .unwrap_err();
    assert_eq!(error.code(), Some(Code::E011), "{error}");
}

#[test]
fn a_collapsed_population_is_said_and_its_ess_is_honest() {
    // Two values 400 apart in a uniform over 1..1000: the moves cannot cross between them, so
    // every replicate keeps the few prior draws that landed on either.
    let model = "k ~ DiscreteUniform(1, 1000)";
    let answer = ask(
        model,
        "P(k == 300 | k == 300 or k == 700)",
        &options(Method::Smc, 16_384, 8),
    );
    let (value, stderr, ess) = estimate(&answer);
    assert!(ess < 0.01 * 16_384.0, "ESS {ess}");
    assert!(
        answer.warnings.iter().any(|w| w.contains("collapsed")),
        "{:?}",
        answer.warnings
    );
    // Still an honest answer: the replicates' spread is its standard error.
    assert!(
        (value - 0.5).abs() <= TOLERANCE * stderr,
        "{value} ± {stderr}"
    );
}

/// The error code of `query` on `model` under `config`.
fn limited(config: &Config, model: &str, query: &str, samples: u64) -> (Option<Code>, String) {
    let model = Model::parse_with("limits.scm", model, config).unwrap();
    let error = model
        .ask(query, &options(Method::Smc, samples, 0))
        .unwrap_err();
    (error.code(), error.to_string())
}

#[test]
fn the_work_of_one_question_is_bounded() {
    let tail = "x ~ Normal(0, 1)\ny ~ Normal(x, 0.001)";
    let mut config = Config::default();
    config.max_smc_evaluations = 10_000;
    let (code, text) = limited(&config, tail, "E[x | y = 3]", 16_384);
    assert_eq!(code, Some(Code::E010), "{text}");
    assert!(text.contains("evaluate the model more than"), "{text}");

    let mut config = Config::default();
    config.max_smc_stages = 2;
    let (code, text) = limited(&config, tail, "E[x | y = 3]", 4_096);
    assert_eq!(code, Some(Code::E010), "{text}");
    assert!(text.contains("tempering stages"), "{text}");

    let mut config = Config::default();
    config.max_smc_values = 1_000;
    let (code, text) = limited(&config, tail, "E[x | y = 3]", 4_096);
    assert_eq!(code, Some(Code::E010), "{text}");
    assert!(text.contains("fewer particles"), "{text}");
}

/// A hierarchical model whose 31 noises each reach a small part of it (a group's noise only
/// its own measurement), so the moves sweep coordinate by coordinate and recompute only what
/// each noise reaches (src/infer/smc/local.rs).
/// A non-centred Gaussian hierarchy. Its hyperparameter `shared` mixes slowly under
/// one-coordinate moves: its ESS is about 1% of the particles (the low-ESS warning's
/// threshold) and its replicates' spread is heavy-tailed (at 65,536 samples a median standard
/// error of about 0.008 over 10 seeds, some seeds twice that or more). A change to SMC's random
/// stream can therefore trip the tests below on `shared`; the remedy is moves that follow the
/// posterior's correlations, not another seed (docs/inference.md, session 12).
const GROUPS: &str = "shared ~ Normal(0, 1)
for i in 1..30 {
  t[i] ~ Normal(shared, 1)
  y[i] ~ Normal(t[i], 0.5)
}";

fn groups_evidence() -> String {
    (1..=30)
        .map(|i| format!("y[{i}] = {:.3}", 0.8 + 1.3 * (i as f64).sin()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn a_hierarchical_model_swept_coordinate_by_coordinate_matches_gaussian_algebra() {
    let evidence = groups_evidence();
    // Observational, and a counterfactual (two worlds sharing every noise): Gaussian algebra
    // answers both exactly.
    for (query, seed) in [
        (format!("E[shared | {evidence}]"), 3),
        (format!("E[t[3] | {evidence}]"), 4),
        (format!("E[t[7][do(shared = 2)] | {evidence}]"), 5),
    ] {
        let exact = ask(GROUPS, &query, &options(Method::Exact, 1, 1));
        assert_eq!(exact.method, MethodUsed::Exact);
        let Body::Expectation(e) = &exact.body else {
            panic!("not an expectation: {:?}", exact.body)
        };
        let answer = ask(GROUPS, &query, &options(Method::Smc, 65_536, seed));
        assert_eq!(answer.method, MethodUsed::Smc);
        assert!(answer.warnings.is_empty(), "{:?}", answer.warnings);
        // Posterior sds here are 0.14 (shared) to 0.45: the standard error must be far below.
        assert_close(&answer, e.value, 0.01);
    }
}

/// The hiring model of the posterior benchmark with `n` candidates, all but every fourth
/// hired: (model, query of the bias's posterior mean, that mean by quadrature: each
/// candidate's talent integrated by the trapezoid rule given the bias, then the bias on a grid).
fn hiring(n: usize) -> (String, String, f64) {
    let hired = |i: usize| i % 4 != 0;
    let model = format!(
        "bias ~ Normal(0, 1)\nfor i in 1..{n} {{\n  talent[i] ~ Normal(0, 1)\n  hired[i] ~ Bernoulli(sigmoid(talent[i] + bias))\n}}"
    );
    let evidence: Vec<String> = (1..=n)
        .map(|i| {
            if hired(i) {
                format!("hired[{i}]")
            } else {
                format!("not hired[{i}]")
            }
        })
        .collect();
    let k = (1..=n).filter(|&i| hired(i)).count() as f64;
    let grid =
        |lo: f64, hi: f64, m: usize| (0..=m).map(move |j| lo + (hi - lo) * j as f64 / m as f64);
    let dt = 16.0 / 1600.0;
    let (mut mass, mut first) = (0.0, 0.0);
    for b in grid(-6.0, 6.0, 2400) {
        // p(b) = ∫ N(t; 0, 1) σ(t + b) dt.
        let p: f64 = grid(-8.0, 8.0, 1600)
            .map(|t| (-0.5 * t * t).exp() / (1.0 + (-(t + b)).exp()))
            .sum::<f64>()
            * dt
            / (2.0 * std::f64::consts::PI).sqrt();
        let density = (-0.5 * b * b + k * p.ln() + (n as f64 - k) * (1.0 - p).ln()).exp();
        mass += density;
        first += density * b;
    }
    let query = format!("E[bias | {}]", evidence.join(", "));
    (model, query, first / mass)
}

#[test]
fn a_hierarchical_bernoulli_model_matches_quadrature() {
    let (model, query, exact) = hiring(16);
    let answer = ask(&model, &query, &options(Method::Smc, 65_536, 6));
    assert_eq!(answer.method, MethodUsed::Smc);
    assert_close(&answer, exact, 0.01);
}

#[test]
fn control_variates_narrow_a_means_standard_error_and_keep_it_on_the_truth() {
    // The same seed, so the same chains: `E[bias | …]`, a mean, records each state's value
    // with the control variate of the move that reached it; `P(bias | …)`, a real quantity's
    // distribution, summarises the states' values themselves (its histogram needs them). The
    // two means come from one run of the moves and must both sit on the quadrature value; the
    // control variates take out noise the accept-or-reject coin adds, so the mean's standard
    // error is the smaller.
    let (model, query, exact) = hiring(16);
    let options = options(Method::Smc, 65_536, 6);
    let with = ask(&model, &query, &options);
    let evidence = query
        .strip_prefix("E[bias | ")
        .and_then(|rest| rest.strip_suffix(']'))
        .expect("hiring's query is E[bias | evidence]");
    let without = ask(&model, &format!("P(bias | {evidence})"), &options);
    let Body::Distribution(Distribution::Real {
        mean, mean_stderr, ..
    }) = without.body
    else {
        panic!("not a real distribution: {:?}", without.body)
    };
    assert_close(&with, exact, 0.01);
    assert!(
        (mean - exact).abs() <= TOLERANCE * mean_stderr,
        "{mean} ± {mean_stderr}, exact {exact}"
    );
    let (_, stderr, _) = estimate(&with);
    assert!(
        stderr < mean_stderr,
        "with control variates {stderr}, without {mean_stderr}"
    );
}

#[test]
fn auto_hands_heavy_tailed_weights_to_smc_even_when_their_ess_looks_healthy() {
    // With 40 candidates, likelihood weighting's ESS share is 0.13-0.3% at 10^6 samples, but a
    // pilot of 4,096 often shows over 1% (its ESS overstates: the weights' tail is heavy,
    // Pareto k̂ about 1). Every seed goes to SMC; some of them for the tail alone.
    let (model, query, exact) = hiring(40);
    let mut for_the_tail = 0;
    for seed in 1..=12 {
        let answer = ask(&model, &query, &options(Method::Auto, 2_048, seed));
        let reason = answer.details.method_reason.as_deref().unwrap_or_default();
        assert_eq!(answer.method, MethodUsed::Smc, "seed {seed}: {reason}");
        assert!(reason.contains("Pareto k̂"), "{reason}");
        if reason.contains("heavy tail (Pareto k̂") {
            for_the_tail += 1;
        }
        // The posterior sd is 0.39.
        assert_close(&answer, exact, 0.08);
    }
    assert!(
        for_the_tail > 0,
        "no pilot of the twelve kept 1% of its samples"
    );
}

#[test]
fn sweeps_give_the_same_numbers_at_one_and_two_threads() {
    let model = Model::parse(&format!(
        "{GROUPS}\nquery E[shared | {}]",
        groups_evidence()
    ))
    .unwrap();
    let json = |threads: usize| {
        let options = Options::new()
            .method(Method::Smc)
            .samples(2_048)
            .seed(12)
            .threads(threads);
        let answers: Vec<Answer> = model
            .run(&options)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        serde_json::to_string(&answers).unwrap()
    };
    assert_eq!(json(1), json(2));
}

#[test]
fn chains_run_on_at_the_posterior_buy_precision_and_stay_on_the_exact_answer() {
    // The final states are chains run on at the posterior from a tempered population a
    // sixteenth their number: sixteen times the samples must give about a quarter of the
    // standard error (at least half) around Gaussian algebra's exact answer.
    let query = format!("E[shared | {}]", groups_evidence());
    let exact = ask(GROUPS, &query, &options(Method::Exact, 1, 1));
    let Body::Expectation(e) = &exact.body else {
        panic!("not an expectation: {:?}", exact.body)
    };
    let small = ask(GROUPS, &query, &options(Method::Smc, 2_048, 21));
    let large = ask(GROUPS, &query, &options(Method::Smc, 32_768, 22));
    let (_, small_stderr, _) = estimate(&small);
    let (_, large_stderr, _) = estimate(&large);
    assert!(
        large_stderr < small_stderr / 2.0,
        "16× the samples: standard error {large_stderr} against {small_stderr}"
    );
    assert_close(&small, e.value, 0.05);
    assert_close(&large, e.value, 0.01);
    assert!(large.warnings.is_empty(), "{:?}", large.warnings);
}
