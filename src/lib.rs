//! whatif: a probabilistic programming language for causal reasoning.
//!
//! A `.scm` file declares a structural causal model and asks observational, interventional
//! and counterfactual questions, and decisions. This crate parses, checks and answers them.
//!
//! ```
//! let source = "
//!     rain ~ Bernoulli(0.3)
//!     wet := rain
//!     query P(rain | wet)
//! ";
//! let program = whatif::compile(source).expect("a valid model");
//! let settings = whatif::Settings { samples: 10_000, seed: 7, method: whatif::MethodChoice::Is };
//! let answer = whatif::answer(&program, 0, settings).expect("an answer");
//! if let whatif::results::Body::Probability(estimate) = answer.body {
//!     assert!((estimate.value - 1.0).abs() < 1e-12);
//! }
//! ```

pub mod ast;
pub mod check;
pub mod cli;
pub mod config;
pub mod decide;
pub mod diagnostics;
pub mod infer;
pub mod program;
pub mod query;
pub mod report;
pub mod results;
pub mod scm;
pub mod syntax;

pub use diagnostics::Diagnostic;
pub use infer::{MethodChoice, Settings};
pub use program::Program;
pub use results::Answer;

/// Parses and checks a whole program.
pub fn compile(source: &str) -> Result<Program, Vec<Diagnostic>> {
    compile_with(source, &config::Config::default())
}

/// Parses and checks a whole program under explicit limits.
pub fn compile_with(source: &str, config: &config::Config) -> Result<Program, Vec<Diagnostic>> {
    let ast = syntax::parse(source, config)?;
    if ast
        .statements
        .iter()
        .filter(|s| {
            matches!(
                s.kind,
                ast::StatementKind::Variable { .. } | ast::StatementKind::Decision { .. }
            )
        })
        .count()
        > config.max_variables
    {
        return Err(vec![Diagnostic::error(
            diagnostics::Code::E005,
            ast::Span::default(),
            format!("the model has more than {} variables", config.max_variables),
        )]);
    }
    check::check(source, &ast)
}

/// Answers statement `index` (a query, `decide` or `bandit`) of a checked program.
pub fn answer(program: &Program, index: usize, settings: Settings) -> Result<Answer, Diagnostic> {
    let statement = &program.statements[index];
    match &statement.kind {
        program::StatementKind::Query { name, estimand } => infer::answer_query(
            &program.model,
            statement,
            name.as_deref(),
            estimand,
            settings,
        ),
        program::StatementKind::Decide(d) => decide::decide(&program.model, statement, d, settings),
        program::StatementKind::Bandit(b) => {
            decide::bandit::play(&program.model, statement, b, settings)
        }
    }
}
