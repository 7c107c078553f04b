//! Compile arbitrary text and answer every question with a small budget: tight limits on
//! samples, bandit work and table sizes keep each input fast; nothing may panic, and no
//! answer may hold a NaN. Each question answers or fails on its own.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whatif::{Config, Method, Model, Options};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    // `Config` is non-exhaustive: start from the defaults and lower the limits.
    let mut config = Config::default();
    config.max_samples = 2_000;
    config.max_bandit_steps = 20_000;
    config.max_variables = 200;
    config.max_match_arms = 200;
    config.max_factor_size = 1 << 12;
    // Exact attributions of a few players stay in; sampled ones (32 batches of at least
    // 1,000 samples per coalition) are refused by the work estimate, which is then covered.
    config.max_attribution_work = 10_000_000;
    let Ok(model) = Model::parse_with("<fuzz>", source, &config) else {
        return;
    };
    let method = match data.len() % 3 {
        0 => Method::Auto,
        1 => Method::Is,
        _ => Method::Exact,
    };
    let options = Options::new()
        .samples(200)
        .seed(1)
        .threads(1)
        .method(method);
    for answer in model.run(&options).into_iter().flatten() {
        // A NaN serialises as null; these fields are null by design (exact answers, no error
        // estimate, a policy whose first stage observes something, an attribution computed
        // over every coalition rather than sampled permutations, an identification with no
        // adjustment set, no hedge, or no estimand because the effect is not identifiable).
        let json = serde_json::to_string(&answer).expect("answers serialise");
        let mut rest = json.clone();
        for field in [
            "ess",
            "samples",
            "stderr",
            "best",
            "permutations",
            "adjustment_set",
            "hedge",
            "estimand",
            "estimand_latex",
        ] {
            rest = rest.replace(&format!("\"{field}\":null"), "");
        }
        assert!(!rest.contains("null"), "{json}");
    }
});
