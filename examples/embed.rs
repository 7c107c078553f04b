//! Embedding whatif in a Rust program: load a model, ask questions as text and as built
//! queries, read typed results, make a decision. Run it with `cargo run --example embed`.

use whatif::results::Body;
use whatif::{Method, Model, Options, Query};

fn main() -> Result<(), whatif::Error> {
    // The kidney-stone model: treatment A looks worse overall but is better in each group.
    let model = Model::from_file("examples/kidney_stones.scm")?;
    let options = Options::new().seed(42).samples(200_000);

    // Observational versus interventional: Simpson's paradox in two lines.
    for question in [
        "P(recovered | treatment = \"A\")",
        "P(recovered | do(treatment = \"A\"))",
    ] {
        let answer = model.ask(question, &options)?;
        if let Body::Probability(p) = answer.body {
            println!("{question:<40} = {:.4}  ({:?})", p.value, answer.method);
        }
    }

    // The same interventional question, built in Rust and forced through sampling.
    // Labels are quoted for you: "B" is the label `"B"`.
    let question = Query::probability("recovered").intervene("treatment", "B");
    let sampled = model.ask(&question, &options.clone().method(Method::Is))?;
    if let Body::Probability(p) = sampled.body {
        println!(
            "{:<40} = {:.4} ± {:.4}  (ESS {:.0})",
            question.to_string(),
            p.value,
            p.stderr.unwrap_or(f64::NAN),
            p.ess.unwrap_or(0.0)
        );
    }

    // A decision: which treatment maximises the interventional recovery rate?
    let decision = model.ask(
        "decide treatment in {\"A\", \"B\"} maximize E[recovered]",
        &options,
    )?;
    if let Body::Decision(d) = decision.body {
        let best: Vec<String> = d
            .best
            .iter()
            .flatten()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        println!(
            "best action: {} (expected recovery {:.4} ± {:.4})",
            best.join(", "),
            d.value,
            d.stderr
        );
    }

    // Results serialise to the JSON of `whatif run --json`.
    // Each question answers or fails on its own, as `whatif run` does.
    let all = model
        .run(&options)
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    println!("{} answers; the first as JSON:", all.len());
    println!(
        "{}",
        serde_json::to_string_pretty(&all[0]).expect("answers serialise")
    );

    // Mistakes are errors with codes, locations and hints.
    if let Err(error) = model.ask("P(recoverd)", &options) {
        eprint!("{error}");
    }
    Ok(())
}
