//! Every input in tests/data/fuzz once crashed whatif (found by fuzzing or a property test);
//! each must now compile and answer, or fail with diagnostics, under every method.

mod common;

use common::*;
use whatif::{Method, Model, Options};

#[test]
fn former_crashes_are_answered_or_rejected_cleanly() {
    let files = scm_files("tests/data/fuzz");
    assert!(!files.is_empty());
    for path in files {
        for method in [Method::Auto, Method::Is, Method::Exact] {
            let outcome = std::panic::catch_unwind(|| {
                let model = Model::from_file(&path)?;
                let options = Options::new().samples(2_000).seed(1).method(method);
                Ok::<_, whatif::Error>(model.run(&options))
            });
            let results = match outcome {
                Err(_) => panic!("{} panicked under {method:?}", path.display()),
                Ok(Err(error)) => {
                    assert!(!error.diagnostics().is_empty());
                    continue;
                }
                Ok(Ok(results)) => results,
            };
            for result in results {
                match result {
                    Ok(answer) => {
                        let json = serde_json::to_string(&answer).expect("answers serialise");
                        // A NaN would serialise as null; these fields are null by design
                        // (exact answers, no error estimate, a policy's observed first stage).
                        let mut rest = json.clone();
                        for field in ["ess", "samples", "stderr", "best"] {
                            rest = rest.replace(&format!("\"{field}\":null"), "");
                        }
                        assert!(!rest.contains("null"), "{}: {json}", path.display());
                    }
                    Err(error) => assert!(!error.diagnostics().is_empty()),
                }
            }
        }
    }
}
