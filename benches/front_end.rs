//! Front-end speed: parse and check a generated model of 10,000 variables (about 1.1 MB).
//!
//! `cargo bench --bench front_end`. The model is generated here, so the benchmark needs no
//! file: ten roots, then variables that each read two earlier ones through arithmetic, an
//! `if` and a function call, the shape of a large hand-written model.

use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write as _;
use std::hint::black_box;

/// A deterministic generated model of `n` variables and one query.
pub fn generated_model(n: usize) -> String {
    let mut source = String::with_capacity(n * 120);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    for i in 0..n {
        if i < 10 {
            writeln!(source, "v{i} ~ Normal(0, 1)").unwrap();
        } else {
            let (a, b) = (next(i), next(i));
            writeln!(
                source,
                "v{i} ~ Normal(0.5 * v{a} - 0.25 * v{b} + if v{a} > 0 then 1.5 else -0.75, \
                 1 + abs(v{b}) * 0.001)   # generated"
            )
            .unwrap();
        }
    }
    writeln!(source, "query E[v{}]", n - 1).unwrap();
    source
}

fn front_end(c: &mut Criterion) {
    let source = generated_model(10_000);
    let mut group = c.benchmark_group("front_end_10k_variables");
    group.sample_size(10);
    group.bench_function("parse_and_check", |b| {
        b.iter(|| whatif::Model::parse(black_box(&source)).expect("the generated model checks"))
    });
    group.finish();
}

criterion_group!(benches, front_end);
criterion_main!(benches);
