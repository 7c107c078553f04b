//! `whatif run --shard I/N --partial OUT` and `whatif merge` (LANGUAGE.md section 10): the
//! merged answers are the unsharded run's, bit for bit, however the run is split; every
//! misuse is refused with exit code 2 and nothing half-written.

use std::path::{Path, PathBuf};
mod common;
use common::whatif;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("whatif-shard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sampled questions of every kind of target (a probability under evidence, a real
/// distribution whose histogram edges come from a pilot run, an interventional expectation),
/// an exact decision, a sampled decision observing a context (three runs: the shards run the
/// first, merge the two that depend on it), a bandit (the shards split its runs), an exact
/// query and a question that fails at run time (no sample satisfies its evidence).
const MODEL: &str = "\
rain ~ Bernoulli(0.3)
temp ~ Normal(if rain then 15 else 22, 3)
wet := rain or temp > 25
decision umbrella in bool
happy := if umbrella then 0.8 else (if rain then 0 else 1)
query P(rain | wet)
query P(temp | wet)
query E[temp | do(rain = true)]
decide umbrella maximize E[happy]
decide umbrella given rain maximize E[happy + (if temp > 24 then 1 else 0)]
bandit umbrella in {false, true} reward happy rounds 100 runs 9 policies thompson, ucb1
query P(rain)
query P(rain | temp > 1000)
";

fn write_model(dir: &Path) -> String {
    let path = dir.join("weather.scm");
    std::fs::write(&path, MODEL).unwrap();
    path.display().to_string()
}

fn shard(model: &str, i: u64, n: u64, out: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let spec = format!("{i}/{n}");
    let out = out.display().to_string();
    let mut args = vec!["run", model, "--shard", &spec, "--partial", &out];
    args.extend_from_slice(extra);
    whatif(&args)
}

#[test]
fn merged_shards_answer_as_the_unsharded_run_bit_for_bit() {
    let dir = scratch("merge");
    let model = write_model(&dir);
    // 2.5 million samples: three blocks of 1,048,576, so splits put 0, 1 or 2 blocks in a shard.
    let options = ["--samples", "2500000", "--seed", "7"];
    let mut run = vec!["run", model.as_str(), "--json"];
    run.extend_from_slice(&options);
    let (code, expected, _) = whatif(&run);
    assert_eq!(code, Some(1), "the last question fails: {expected}");
    assert!(expected.contains("\"E007\""), "{expected}");
    for n in [1, 2, 4] {
        let mut partials = Vec::new();
        // Shards run in any order, on any thread count.
        for i in (1..=n).rev() {
            let out = dir.join(format!("{i}-of-{n}.partial"));
            let threads = if i % 2 == 0 { "1" } else { "2" };
            let mut extra = options.to_vec();
            extra.extend_from_slice(&["--threads", threads]);
            let (code, said, err) = shard(&model, i, n, &out, &extra);
            // No sample satisfies the last question's evidence: that shows when the blocks
            // are put together, not in a shard.
            assert_eq!(code, Some(0), "{said} {err}");
            assert!(said.contains(&format!("shard {i}/{n}")), "{said}");
            partials.push(out.display().to_string());
        }
        let mut merge = vec!["merge", "--json"];
        merge.extend(partials.iter().map(String::as_str));
        let (code, merged, _) = whatif(&merge);
        assert_eq!(code, Some(1));
        assert_eq!(merged, expected, "{n} shards");
    }
    // The text output holds the same numbers (times are not shown by merge).
    let (_, text, _) = whatif(&[
        "merge",
        &dir.join("1-of-2.partial").display().to_string(),
        &dir.join("2-of-2.partial").display().to_string(),
    ]);
    assert!(text.starts_with(&format!("# {model}: seed 7")), "{text}");
    assert!(text.contains("best: umbrella = "), "{text}");
    assert!(text.contains("best policy: expected utility"), "{text}");
    assert!(text.contains("thompson         regret"), "{text}");
    assert!(text.contains("error[E007]"), "{text}");
}

#[test]
fn a_second_pass_on_wider_edges_is_drawn_by_merge() {
    // x > 4.2 has probability 1.3e-5: the pilot run almost surely sees none of it, so its
    // histogram edges miss y, and one process draws the samples again on wider edges. So does
    // merge (the library shows that finishing asks for the second pass).
    use whatif::{Finish, Method, Model, Options};
    let source = "x ~ Normal(0, 1)\ny ~ Normal(2 * x, 1)\nquery P(y | x > 4.2)\n";
    let model = Model::parse(source).unwrap();
    let options = Options::new().samples(1_500_000).seed(3).method(Method::Is);
    let sharding = model.shard_statement(0, &options).unwrap();
    let all = model
        .partial(&sharding, 0..sharding.blocks(), &Options::new())
        .unwrap();
    assert!(matches!(model.finish(&sharding, all), Ok(Finish::Again(_))));

    let dir = scratch("again");
    let path = dir.join("tail.scm");
    std::fs::write(&path, source).unwrap();
    let model = path.display().to_string();
    let options = ["--samples", "1500000", "--seed", "3", "--method", "is"];
    let mut run = vec!["run", model.as_str(), "--json"];
    run.extend_from_slice(&options);
    let (code, expected, err) = whatif(&run);
    assert_eq!(code, Some(0), "{err}");
    let mut partials = Vec::new();
    for i in 1..=2 {
        let out = dir.join(format!("{i}.partial"));
        let (code, _, err) = shard(&model, i, 2, &out, &options);
        assert_eq!(code, Some(0), "{err}");
        partials.push(out.display().to_string());
    }
    let (code, merged, err) = whatif(&["merge", "--json", &partials[0], &partials[1]]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(merged, expected);
}

#[test]
fn misuse_of_shards_and_partials_is_refused_with_exit_code_2() {
    let dir = scratch("misuse");
    let model = write_model(&dir);
    let out = dir.join("p.partial");
    let out_text = out.display().to_string();
    for spec in ["0/2", "3/2", "2", "a/b", "1/0"] {
        let (code, _, err) = whatif(&["run", &model, "--shard", spec, "--partial", &out_text]);
        assert_eq!(code, Some(2), "{spec}: {err}");
        assert!(
            err.contains(spec) || err.contains("does not exist"),
            "{spec}: {err}"
        );
    }
    // `--shard` needs `--partial` and the other way round; `--json` and `--plot` belong to merge.
    let (code, _, _) = whatif(&["run", &model, "--shard", "1/2"]);
    assert_eq!(code, Some(2));
    let (code, _, _) = whatif(&["run", &model, "--partial", &out_text]);
    assert_eq!(code, Some(2));
    let (code, _, err) = whatif(&[
        "run",
        &model,
        "--shard",
        "1/2",
        "--partial",
        &out_text,
        "--json",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("merge"), "{err}");
    assert!(!out.exists(), "nothing is written by a refused run");
    // A directory that does not exist: nothing written, exit 74.
    let nowhere = dir.join("no/such/dir/p.partial").display().to_string();
    let (code, _, err) = whatif(&[
        "run",
        &model,
        "--shard",
        "1/2",
        "--partial",
        &nowhere,
        "--samples",
        "1000",
    ]);
    assert_eq!(code, Some(74), "{err}");
    assert!(err.contains("nothing written"), "{err}");

    let part = |i: u64, n: u64, seed: &str| {
        let out = dir.join(format!("{i}-{n}-{seed}.partial"));
        shard(&model, i, n, &out, &["--samples", "1000", "--seed", seed]);
        out.display().to_string()
    };
    let (one, two, three) = (part(1, 3, "1"), part(2, 3, "1"), part(3, 3, "1"));
    let other_seed = part(2, 3, "2");
    // A missing shard, a shard twice, shards of different runs, a file that is no partial.
    let (code, _, err) = whatif(&["merge", &one, &three]);
    assert_eq!(code, Some(2));
    assert!(err.contains("shard 2/3 is missing"), "{err}");
    let (code, _, err) = whatif(&["merge", &one, &two, &two, &three]);
    assert_eq!(code, Some(2));
    assert!(err.contains("both shard 2/3"), "{err}");
    let (code, _, err) = whatif(&["merge", &one, &other_seed, &three]);
    assert_eq!(code, Some(2));
    assert!(err.contains("different runs"), "{err}");
    let (code, _, err) = whatif(&["merge", &model]);
    assert_eq!(code, Some(2));
    assert!(err.contains("not a partial"), "{err}");
    let (code, _, err) = whatif(&["merge", "no/such.partial"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot read"), "{err}");
    let (code, _, _) = whatif(&["merge"]);
    assert_eq!(code, Some(2));
    // The three shards of one run merge.
    let (code, out, _) = whatif(&["merge", &three, &one, &two]);
    assert_eq!(code, Some(1), "the last question fails");
    assert!(out.contains("P(rain | wet)"), "{out}");
}
