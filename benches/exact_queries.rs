//! In-process exact query times, the model compiled once: the whatif half of
//! scripts/exact_vs_pyagrum.py (which runs pyAgrum beside it in the same run).
//!
//! `cargo bench --bench exact_queries -- MODEL.scm QUERIES.txt REPEATS`: appends the queries
//! of QUERIES.txt (one probability or `P(* | ...)` query a line) to the model, parses and
//! checks it once, then answers them all with `--method exact` REPEATS times (`auto`: until 0.5 s
//! have been spent, at most 200 times, and at least 3 times unless they take over 5 s, as
//! scripts/exact_vs_pyagrum.py times pyAgrum). Prints one line
//! per query, its value (for `P(*)`: `marginals<TAB>` and a JSON object from each variable to
//! its probabilities in declared order; or `error<TAB>message`), then `time<TAB>seconds`: the
//! median over the repeats of the time to answer every query, divided by their number.
//! Every query is computed: the marginals a `P(*)` calibrates are forgotten before each run
//! and each first answer (`Model::forget_marginals`), so no time is a cache read.

use std::time::Instant;
use whatif::results::{Body, Distribution};
use whatif::{Method, Model, Options};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let [model, queries, repeats] = &args[..] else {
        eprintln!("usage: exact_queries MODEL.scm QUERIES.txt REPEATS");
        std::process::exit(2);
    };
    let (repeats, adaptive) = match repeats.as_str() {
        "auto" => (200, true),
        n => (n.parse().expect("REPEATS is a number or auto"), false),
    };
    let source = std::fs::read_to_string(model).expect("the model");
    let queries: Vec<String> = std::fs::read_to_string(queries)
        .expect("the queries file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let options = Options::new().method(Method::Exact);
    let base = Model::parse_named("model", &source).unwrap_or_else(|e| panic!("{e}"));
    // Queries one side cannot answer would stop a whole run: find them first.
    let mut answerable = Vec::new();
    let mut outcomes = Vec::new();
    for query in &queries {
        base.forget_marginals();
        match base.ask(query.as_str(), &options) {
            Ok(a) => match a.body {
                Body::Probability(p) => {
                    answerable.push(format!("query {query}"));
                    outcomes.push(format!("{:e}", p.value));
                }
                Body::Marginals(m) => {
                    answerable.push(format!("query {query}"));
                    let mut all = serde_json::Map::new();
                    for (name, d) in &m.variables {
                        let ps: Vec<f64> = match d {
                            Distribution::Discrete { values, .. } => {
                                values.iter().map(|v| v.p).collect()
                            }
                            _ => Vec::new(),
                        };
                        all.insert(name.clone(), ps.into());
                    }
                    outcomes.push(format!("marginals\t{}", serde_json::Value::Object(all)));
                }
                other => outcomes.push(format!("error\t{other:?}")),
            },
            Err(e) => outcomes.push(format!(
                "error\t{}",
                e.to_string().lines().next().unwrap_or("")
            )),
        }
    }
    let all = format!("{source}\n{}\n", answerable.join("\n"));
    let model = Model::parse_named("model", &all).unwrap_or_else(|e| panic!("{e}"));
    let mut times: Vec<f64> = Vec::with_capacity(repeats);
    for _ in 0..repeats.max(1) {
        let spent: f64 = times.iter().sum();
        if adaptive && !times.is_empty() && spent >= 0.5 && (times.len() >= 3 || spent >= 5.0) {
            break;
        }
        // Each run computes: none reads the marginals the run before it calibrated.
        model.forget_marginals();
        let start = Instant::now();
        let answers: Vec<_> = model
            .run(&options)
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
            .collect();
        times.push(start.elapsed().as_secs_f64());
        assert_eq!(answers.len(), answerable.len());
    }
    times.sort_by(f64::total_cmp);
    for outcome in outcomes {
        println!("{outcome}");
    }
    println!(
        "time\t{:e}",
        times[times.len() / 2] / answerable.len().max(1) as f64
    );
}
