//! One seed fixes every number at any thread count: every example's answers are identical
//! (as JSON, timing aside) on one thread and on two.

mod common;

use common::*;
use whatif::MethodChoice;

fn answers_on(threads: usize, source: &str, name: &str) -> String {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let answers = run_source(name, source, settings(50_000, MethodChoice::Is))
            .map_err(|(_, t)| t)
            .unwrap();
        serde_json::to_string(&answers).unwrap()
    })
}

#[test]
fn every_example_is_identical_on_one_and_two_threads() {
    for path in scm_files("examples") {
        let name = path.display().to_string();
        let source = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            answers_on(1, &source, &name),
            answers_on(2, &source, &name),
            "{name} differs between thread counts"
        );
    }
}

#[test]
fn a_different_seed_gives_different_samples() {
    let source = "x ~ Normal(0, 1)\nquery E[x]\n";
    let program = whatif::compile(source).unwrap();
    let a = whatif::answer(
        &program,
        0,
        whatif::Settings {
            samples: 10_000,
            seed: 1,
            method: MethodChoice::Is,
        },
    )
    .unwrap();
    let b = whatif::answer(
        &program,
        0,
        whatif::Settings {
            samples: 10_000,
            seed: 2,
            method: MethodChoice::Is,
        },
    )
    .unwrap();
    assert_ne!(a, b);
}
