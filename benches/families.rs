//! Families at scale (LANGUAGE.md §11): parse, unroll and check a 100,000-member chain
//! (`x[i] ~ Normal(x[i - 1], 1)`) and 100,000 coins sharing one parent, against the same models
//! written out member by member (the baseline, measured in the same run), so the ratio is the
//! cost of unrolling.
//!
//! `cargo bench --bench families`. The models are generated here.

use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write as _;
use std::hint::black_box;

const N: usize = 100_000;

fn chain_family() -> String {
    format!(
        "let N = {N}\nx[0] ~ Normal(0, 1)\nfor i in 1..N {{\n  x[i] ~ Normal(x[i - 1], 1)\n}}\n\
         query E[x[N] | x[0] = 1]\n"
    )
}

fn chain_written_out() -> String {
    let mut s = String::from("x_0 ~ Normal(0, 1)\n");
    for i in 1..=N {
        let _ = writeln!(s, "x_{i} ~ Normal(x_{}, 1)", i - 1);
    }
    let _ = writeln!(s, "query E[x_{N} | x_0 = 1]");
    s
}

fn coins_family() -> String {
    format!(
        "let N = {N}\nbias ~ Beta(2, 2)\nfor i in 1..N {{\n  coin[i] ~ Bernoulli(bias)\n}}\n\
         query E[bias | coin[i] for i in 1..20]\n"
    )
}

fn coins_written_out() -> String {
    let mut s = String::from("bias ~ Beta(2, 2)\n");
    for i in 1..=N {
        let _ = writeln!(s, "coin_{i} ~ Bernoulli(bias)");
    }
    let evidence: Vec<String> = (1..=20).map(|i| format!("coin_{i}")).collect();
    let _ = writeln!(s, "query E[bias | {}]", evidence.join(", "));
    s
}

fn families(c: &mut Criterion) {
    let mut group = c.benchmark_group("families_100k_members");
    group.sample_size(10);
    for (name, source) in [
        ("chain_family", chain_family()),
        ("chain_written_out", chain_written_out()),
        ("coins_family", coins_family()),
        ("coins_written_out", coins_written_out()),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| whatif::Model::parse(black_box(&source)).expect("the model checks"))
        });
    }
    group.finish();
}

criterion_group!(benches, families);
criterion_main!(benches);
