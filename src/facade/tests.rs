//! The facade's own paths: [`Model::with_question`] checks a question alone where it can.

use super::Model;
use crate::diagnostics::{Source, Sources};

/// `model`'s texts and `question` (after `keyword`, which whatif supplies).
fn with(model: &Model, keyword: &str, question: &str) -> Sources {
    let mut sources = model.sources.clone();
    sources.add(Source {
        supplied: keyword.len(),
        ..Source::new("<question>", format!("{keyword}{question}"))
    });
    sources
}

/// A chain of `n` Normal variables with a question of its own.
fn chain(n: usize) -> String {
    let mut source = String::from("v0 ~ Normal(0, 1)\n");
    for i in 1..n {
        source.push_str(&format!("v{i} ~ Normal(v{}, 1)\n", i - 1));
    }
    source.push_str("set samples = 2000\nquery E[v1]\n");
    source
}

#[test]
fn a_question_is_checked_alone_against_the_checked_model() {
    let model = Model::parse(&chain(50)).expect("checks");
    let extended = model.with_question("P(v3 > 0 | v0 = 1)").expect("checks");
    // Checked alone, the extended program holds the question only, not the file's questions
    // again (a whole check of the appended text would hold both).
    assert_eq!(extended.program.statements.len(), 1);
    let statement = &extended.program.statements[0];
    // The question is a text of its own, shown as written (the `query ` is supplied).
    let question = extended
        .sources
        .get(extended.sources.last())
        .expect("a text");
    assert_eq!(
        (question.name.as_str(), question.shown()),
        ("<question>", "P(v3 > 0 | v0 = 1)")
    );
    assert_eq!(extended.source(), model.source());
    assert_eq!(statement.text, "query P(v3 > 0 | v0 = 1)");
    // The file's `set samples` holds for it, as for a question written at the end of the file.
    assert_eq!(statement.samples, Some(2000));
    assert_eq!(statement.line, 54);
}

#[test]
fn a_model_with_parameters_or_a_redeclaration_is_checked_whole() {
    // `?` parameters are numbered over the whole program: a whole check.
    let model = Model::parse("x ~ Normal(?, 1)\nquery E[x]\n").expect("checks");
    assert!(
        model
            .with_question_checked_alone(&with(&model, "query ", "E[x]"))
            .is_none()
    );
    // A question that declares a name again is no extension.
    let model = Model::parse("x ~ Normal(0, 1)\n").expect("checks");
    assert!(
        model
            .with_question_checked_alone(&with(&model, "", "identify P(x)\nx ~ Normal(1, 1)"))
            .is_none()
    );
}
