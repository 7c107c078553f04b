//! Sharding (src/sharding.rs), the core of `whatif.dask`: a question's units (blocks of
//! samples, a bandit's runs) run in any split, their partials merged in order, give the same
//! answer, bit for bit, as one `Model::ask` with the same seed and samples — through bytes, as
//! between processes.

use whatif::{Finish, Method, Model, Options, Partial, Sharding};

/// Three blocks: two full ones (1,048,576 samples each) and a short third.
const SAMPLES: u64 = 2 * 1_048_576 + 40_000;

/// Runs `question` sharded as `splits` (block ranges in order), every sharding and partial
/// passed through bytes, merging left to right; follows a second pass if finishing asks.
fn sharded(model: &Model, question: &str, options: &Options, splits: &[u64]) -> whatif::Answer {
    let mut sharding = model.shard(question, options).expect("shards");
    loop {
        let sharding_again = Sharding::from_bytes(&sharding.to_bytes()).expect("round trip");
        assert_eq!(sharding_again, sharding);
        let n = sharding.blocks();
        let mut cuts: Vec<u64> = splits.iter().copied().filter(|&c| c < n).collect();
        cuts.push(n);
        let mut start = 0;
        let mut merged: Option<Partial> = None;
        for end in cuts {
            // A worker with its own thread count: the answer must not depend on it.
            let worker = Options::new().threads(1 + (start as usize % 2));
            let partial = model
                .partial(&sharding_again, start..end, &worker)
                .expect("runs");
            let partial = Partial::from_bytes(&partial.to_bytes()).expect("round trip");
            assert_eq!(partial.blocks(), start..end);
            merged = Some(match merged {
                None => partial,
                Some(m) => m.merge(partial).expect("adjacent"),
            });
            start = end;
        }
        let merged = merged.expect("at least one range");
        match model.finish(&sharding, merged).expect("finishes") {
            Finish::Answer(answer) => return answer,
            Finish::Again(next) => sharding = next,
            _ => unreachable!("no other kind of finish"),
        }
    }
}

/// Every split of three blocks gives the single-process answer, byte for byte as JSON.
fn check_every_split(source: &str, question: &str, method: Method) {
    let model = Model::parse(source).expect("model parses");
    let options = Options::new().samples(SAMPLES).seed(17).method(method);
    let whole = model.ask(question, &options).expect("answers");
    let whole_json = serde_json::to_string(&whole).expect("json");
    for splits in [&[][..], &[1][..], &[2][..], &[1, 2][..]] {
        let answer = sharded(&model, question, &options, splits);
        assert_eq!(
            serde_json::to_string(&answer).expect("json"),
            whole_json,
            "{question} split at {splits:?}"
        );
    }
}

const SPRINKLER: &str = "rain ~ Bernoulli(0.2)
sprinkler ~ Bernoulli(if rain then 0.01 else 0.4)
wet := rain or sprinkler
weather ~ Categorical(\"sun\": 0.5, \"rain\": 0.3, \"snow\": 0.2)";

const GAUSSIAN: &str = "x ~ Normal(0, 1)
y ~ Normal(2 * x, 1)
z := exp(x) + y";

#[test]
fn table_sampler_probability_shards_bit_for_bit() {
    check_every_split(SPRINKLER, "P(rain | wet)", Method::Is);
}

#[test]
fn discrete_distribution_shards_bit_for_bit() {
    check_every_split(SPRINKLER, "P(weather | not wet)", Method::Is);
}

#[test]
fn estimand_arithmetic_with_covariances_shards_bit_for_bit() {
    check_every_split(
        SPRINKLER,
        "query d = P(wet | do(sprinkler = true)) - P(wet | do(sprinkler = false))",
        Method::Is,
    );
}

#[test]
fn interpreter_expectation_and_real_distribution_shard_bit_for_bit() {
    check_every_split(GAUSSIAN, "E[z | y > 1]", Method::Is);
    check_every_split(GAUSSIAN, "P(z | x > 0)", Method::Auto);
}

#[test]
fn second_pass_on_wider_edges_shards_bit_for_bit() {
    // x > 3.5 has probability 2.3e-4: the 4,096-sample pilot almost surely sees none of it,
    // so its histogram edges miss y and both runs draw a second pass on wider edges.
    let model = Model::parse(GAUSSIAN).expect("parses");
    let options = Options::new().samples(SAMPLES).seed(3).method(Method::Is);
    let question = "P(y | x > 3.5)";
    let sharding = model.shard(question, &options).expect("shards");
    let all = model
        .partial(&sharding, 0..sharding.blocks(), &Options::new())
        .expect("runs");
    assert!(matches!(model.finish(&sharding, all), Ok(Finish::Again(_))));
    let whole = model.ask(question, &options).expect("answers");
    assert_eq!(sharded(&model, question, &options, &[1]), whole);
}

#[test]
fn an_exact_answer_has_no_blocks() {
    let model = Model::parse(SPRINKLER).expect("parses");
    let options = Options::new();
    let sharding = model.shard("P(rain | wet)", &options).expect("shards");
    assert_eq!(sharding.blocks(), 0);
    let answer = sharded(&model, "P(rain | wet)", &options, &[]);
    assert_eq!(
        answer,
        model.ask("P(rain | wet)", &options).expect("answers")
    );
    assert_eq!(answer.method, whatif::MethodUsed::Exact);
}

#[test]
fn an_smc_answer_is_whole_and_equals_one_process() {
    // SMC does not shard: its replicates run where the question is asked, and the answer
    // comes back whole, the same as one process's.
    let model = Model::parse("p ~ Uniform(0, 1)\nx ~ Bernoulli(p)\n").expect("parses");
    let options = Options::new().samples(20_000).seed(3).method(Method::Smc);
    let question = "E[p | x]";
    let sharding = model.shard(question, &options).expect("shards");
    assert_eq!(sharding.blocks(), 0);
    let answer = sharded(&model, question, &options, &[]);
    assert_eq!(answer, model.ask(question, &options).expect("answers"));
    assert_eq!(answer.method, whatif::MethodUsed::Smc);
}

#[test]
fn partials_merge_only_in_order_and_within_one_sharding() {
    let model = Model::parse(SPRINKLER).expect("parses");
    let options = Options::new().samples(SAMPLES).method(Method::Is);
    let sharding = model.shard("P(rain | wet)", &options).expect("shards");
    let part = |r: std::ops::Range<u64>| model.partial(&sharding, r, &Options::new()).unwrap();
    let error = part(1..2).merge(part(0..1)).unwrap_err();
    assert!(
        error.to_string().contains("partials merge in block order"),
        "{error}"
    );
    let error = model.finish(&sharding, part(0..2)).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("finishing needs every block, 0..3"),
        "{error}"
    );
    let other = model
        .shard("P(rain | wet)", &options.clone().seed(1))
        .expect("shards");
    let foreign = model.partial(&other, 1..3, &Options::new()).unwrap();
    let error = part(0..1).merge(foreign).unwrap_err();
    assert!(error.to_string().contains("different shardings"), "{error}");
    let error = model.partial(&sharding, 2..4, &Options::new()).unwrap_err();
    assert!(
        error.to_string().contains("outside the sharding's 0..3"),
        "{error}"
    );
    assert!(Partial::from_bytes(b"not a partial").is_err());
    assert!(Sharding::from_bytes(&part(0..1).to_bytes()).is_err());
}

#[test]
fn question_errors_are_located() {
    let model = Model::parse(SPRINKLER).expect("parses");
    let error = model.shard("P(rian)", &Options::new()).unwrap_err();
    assert_eq!(error.code(), Some(whatif::Code::E002));
    assert_eq!((error.line(), error.column()), (Some(1), Some(3)));
}

/// A decision whose variable has a mechanism of its own, observing a context: three sampled
/// runs (every action's value per context, the optimal policy's value, the evidential
/// ranking), each a phase; the second's plan is the policy the first one's totals chose.
const CLINIC: &str = "old ~ Bernoulli(0.3)
dose ~ Bernoulli(if old then 0.2 else 0.6)
recover ~ Normal(if old then 0.4 + 0.3 * dose else 0.8 - 0.1 * dose, 0.5)";

#[test]
fn a_decision_shards_phase_by_phase_bit_for_bit() {
    let question = "decide dose in {0, 1} given old maximize E[recover]";
    let model = Model::parse(CLINIC).expect("parses");
    let options = Options::new().samples(SAMPLES).seed(17).method(Method::Is);
    // Its phases: the first, then each later one handed back by finishing the one before.
    let mut phases = 0;
    let mut sharding = model.shard(question, &options).expect("shards");
    loop {
        assert_eq!(sharding.blocks(), 3, "each run is {SAMPLES} samples");
        phases += 1;
        let all = model
            .partial(&sharding, 0..3, &Options::new())
            .expect("runs");
        match model.finish(&sharding, all).expect("finishes") {
            Finish::Again(next) => sharding = next,
            Finish::Answer(_) => break,
            _ => unreachable!("no other kind of finish"),
        }
    }
    assert_eq!(phases, 3);
    check_every_split(CLINIC, question, Method::Is);
}

#[test]
fn a_bandit_shards_its_runs_bit_for_bit() {
    // Units are runs: 30 of them, split anywhere; the oracle is each shard's own.
    let source = "u ~ Bernoulli(0.5)
arm ~ Bernoulli(if u then 0.8 else 0.2)
win ~ Bernoulli(if arm == u then 0.7 else 0.4)";
    let model = Model::parse(source).expect("parses");
    let question = "bandit arm in {false, true} reward win rounds 200 runs 30 policies thompson, ucb1, causal_thompson";
    let options = Options::new().seed(3);
    let whole = serde_json::to_string(&model.ask(question, &options).expect("answers")).unwrap();
    let sharding = model.shard(question, &options).expect("shards");
    assert_eq!(sharding.blocks(), 30);
    for splits in [&[][..], &[1][..], &[13][..], &[7, 8, 29][..]] {
        let answer = sharded(&model, question, &options, splits);
        assert_eq!(serde_json::to_string(&answer).unwrap(), whole, "{splits:?}");
    }
}

#[test]
fn attribution_and_identification_are_answered_whole() {
    let model = Model::parse(SPRINKLER).expect("parses");
    let options = Options::new().samples(10_000).seed(2);
    for question in [
        "attribute wet given wet",
        "identify P(wet | do(rain = true))",
    ] {
        let sharding = model.shard(question, &options).expect("shards");
        assert_eq!(sharding.blocks(), 0, "{question}");
        let answer = sharded(&model, question, &options, &[]);
        let whole = model.ask(question, &options).expect("answers");
        assert_eq!(
            serde_json::to_string(&answer).unwrap(),
            serde_json::to_string(&whole).unwrap(),
            "{question}"
        );
    }
}

#[test]
fn bootstrap_refits_shard_one_run_after_another_bit_for_bit() {
    // A fitted model with three bootstrap refits: the answer's run, then each refit's, each a
    // phase of its own.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/clinic_fit.scm");
    let model = Model::from_file(&path)
        .expect("fits")
        .bootstrap(3, 7)
        .expect("refits");
    let question = "E[cost | do(treated = true)]";
    let options = Options::new()
        .samples(1_048_576 + 1)
        .seed(4)
        .method(Method::Is);
    let whole = model.ask(question, &options).expect("answers");
    assert!(
        whole.bootstrap.is_some(),
        "the answer carries the refits' spread"
    );
    let whole = serde_json::to_string(&whole).unwrap();
    for splits in [&[][..], &[1][..]] {
        let answer = sharded(&model, question, &options, splits);
        assert_eq!(serde_json::to_string(&answer).unwrap(), whole, "{splits:?}");
    }
}
