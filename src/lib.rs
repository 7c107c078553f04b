//! whatif: a probabilistic programming language for causal reasoning.
//!
//! A `.scm` model declares a structural causal model — variables, their mechanisms, their
//! noise — and asks the three kinds of causal question: observational (`P(rain | wet)`),
//! interventional (`P(wet | do(sprinkler = true))`) and counterfactual
//! (`P(y[do(x = 0)] | x = 1, y = 1)`), plus decisions and bandits. This crate parses, checks
//! and answers them; the `whatif` binary is a thin command line over it.
//!
//! The language — declarations, expressions, distributions and their parameters, queries,
//! decisions, bandits, inference, error codes, the command line and the JSON format — is
//! described in `docs/language.md` in the repository, where every example is run by the test
//! suite (`tests/language_doc.rs`).
//!
//! # Tutorial
//!
//! Parse a model, then ask it questions. Every answer carries its method, and sampled ones a
//! standard error and an effective sample size.
//!
//! ```
//! use whatif::{Model, Options, results::Body};
//!
//! let model = Model::parse("
//!     rain      ~ Bernoulli(0.2)
//!     sprinkler ~ Bernoulli(if rain then 0.01 else 0.4)
//!     wet       := rain or sprinkler
//! ")?;
//! let options = Options::new().samples(50_000).seed(7);
//!
//! // A query given as text. This model is finite, so the default method answers exactly.
//! let answer = model.ask("P(rain | wet)", &options)?;
//! let Body::Probability(p) = answer.body else { unreachable!() };
//! assert!((p.value - 0.2 / (0.2 + 0.8 * 0.4)).abs() < 1e-12);
//!
//! // The same question by importance sampling, to within a few standard errors.
//! let sampled = model.ask("P(rain | wet)", &options.clone().method(whatif::Method::Is))?;
//! let Body::Probability(s) = sampled.body else { unreachable!() };
//! assert!((s.value - p.value).abs() < 5.0 * s.stderr);
//! # Ok::<(), whatif::Error>(())
//! ```
//!
//! Queries can also be built in Rust; [`Query`] writes the same syntax a user would type, so
//! both paths are checked by the same front end:
//!
//! ```
//! use whatif::{Model, Options, Query};
//!
//! let model = Model::parse("
//!     x ~ Normal(0, 1)
//!     y ~ Normal(2 * x, 1)
//! ")?;
//! let question = Query::expectation("y").intervene("x", "1.5");
//! assert_eq!(question.to_string(), "E[y | do(x = 1.5)]");
//! // Linear-Gaussian: the default method answers by Gaussian algebra.
//! let answer = model.ask(&question, &Options::new())?;
//! let whatif::results::Body::Expectation(e) = answer.body else { unreachable!() };
//! assert!((e.value - 3.0).abs() < 1e-12 && e.stderr == 0.0);
//! # Ok::<(), whatif::Error>(())
//! ```
//!
//! Mistakes come back as one [`Error`] type carrying the diagnostics, which renders the way
//! the command line prints them:
//!
//! ```
//! let error = whatif::Model::parse("rain ~ Bernoulli(0.2)\nwet := rian").unwrap_err();
//! assert_eq!(error.diagnostics()[0].code, Some(whatif::Code::E002));
//! assert!(error.to_string().contains("did you mean `rain`?"));
//! ```
//!
//! Results implement serde's `Serialize` and `Deserialize`; their JSON is the command line's
//! `--json` output (docs/language.md, "The JSON format").

#![warn(missing_docs)]

pub(crate) mod ast;
pub(crate) mod bif;
pub(crate) mod check;
#[doc(hidden)]
pub mod cli;
pub(crate) mod config;
pub(crate) mod decide;
pub(crate) mod diagnostics;
pub(crate) mod infer;
pub(crate) mod plot;
pub(crate) mod program;
pub(crate) mod query;
pub mod repl;
pub(crate) mod report;
pub mod results;
pub(crate) mod scm;
pub(crate) mod syntax;

mod facade;

pub use config::Config;
pub use diagnostics::{Code, Diagnostic, Severity};
#[doc(hidden)]
pub use facade::Engine;
pub use facade::{Error, Method, Model, Options, Query};
pub use results::Answer;
