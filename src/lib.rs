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
//! assert_eq!(sampled.method, whatif::MethodUsed::Is);
//! let Body::Probability(s) = sampled.body else { unreachable!() };
//! assert!((s.value - p.value).abs() < 5.0 * s.stderr.unwrap());
//! # Ok::<(), whatif::Error>(())
//! ```
//!
//! Queries can also be built in Rust; [`Query`] writes the same syntax a user would type, so
//! both paths are checked by the same front end. Values are typed ([`Value`]): a `&str` is a
//! label and is quoted for you, a `bool` a bool, an `i64` an int, an `f64` a real; events,
//! evidence and other expressions are written in the language.
//!
//! ```
//! use whatif::{Method, MethodUsed, Model, Options, Query};
//!
//! let model = Model::parse("
//!     x ~ Normal(0, 1)
//!     y ~ Normal(2 * x, 1)
//! ")?;
//! let question = Query::expectation("y").intervene("x", 1.5);
//! assert_eq!(question.to_string(), "E[y | do(x = 1.5)]");
//! // Linear-Gaussian: the default method (`Method::Auto`) answers by Gaussian algebra, and
//! // the answer says which method answered.
//! let answer = model.ask(&question, &Options::new().method(Method::Auto))?;
//! assert_eq!(answer.method, MethodUsed::Exact);
//! let whatif::results::Body::Expectation(e) = answer.body else { unreachable!() };
//! assert!((e.value - 3.0).abs() < 1e-12 && e.stderr == Some(0.0) && e.ess.is_none());
//! // A label (say `arm ~ Categorical("A": 1, "B": 1)`): `"A"` is quoted for you.
//! assert_eq!(Query::probability("x > 0").given_value("arm", "A").to_string(),
//!            "P(x > 0 | arm = \"A\")");
//! # Ok::<(), whatif::Error>(())
//! ```
//!
//! A long query can be stopped from another thread: give its [`Options`] a [`CancelToken`]
//! and call [`CancelToken::cancel`]; that call fails with "cancelled" at its next chunk of
//! samples, and calls holding other tokens carry on.
//!
//! Mistakes come back as one [`Error`] type carrying the diagnostics. `Display` and `Debug`
//! (what `fn main() -> Result<(), whatif::Error>` prints) render them the way the command line
//! prints them; errors in a question given to [`Model::ask`] point into that question:
//!
//! ```
//! let error = whatif::Model::parse("rain ~ Bernoulli(0.2)\nwet := rian").unwrap_err();
//! assert_eq!(error.code(), Some(whatif::Code::E002));
//! assert_eq!((error.line(), error.column()), (Some(2), Some(8)));
//! assert!(format!("{error:?}").contains("did you mean `rain`?"));
//!
//! let model = whatif::Model::parse("rain ~ Bernoulli(0.2)")?;
//! let error = model.ask("P(rian)", &whatif::Options::new()).unwrap_err();
//! assert!(error.to_string().starts_with("<question>:1:3: error[E002]"));
//! # Ok::<(), whatif::Error>(())
//! ```
//!
//! Results implement serde's `Serialize` and `Deserialize`; their JSON is the command line's
//! `--json` output (docs/language.md, "The JSON format"). Public enums and result structs are
//! `#[non_exhaustive]`: match them with a `_` arm.
//!
//! # Features
//!
//! The default feature `cli` builds the `whatif` binary and its terminal stack (clap,
//! rustyline, ctrlc, indicatif, plotters). A program that embeds the library needs none of it:
//! `whatif = { version = "0.1", default-features = false }`.

#![warn(missing_docs)]

pub(crate) mod ast;
pub(crate) mod attribute;
pub(crate) mod bif;
mod cancel;
pub(crate) mod check;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
pub(crate) mod config;
pub(crate) mod data;
pub(crate) mod decide;
pub(crate) mod diagnostics;
mod dot;
pub(crate) mod fit;
pub(crate) mod identify;
pub(crate) mod infer;
#[cfg(feature = "cli")]
pub(crate) mod plot;
pub(crate) mod program;
pub(crate) mod query;
pub mod repl;
pub(crate) mod report;
pub mod results;
pub(crate) mod scm;
mod sharding;
pub(crate) mod syntax;
pub(crate) mod unroll;

mod facade;

pub use cancel::CancelToken;
pub use config::Config;
pub use diagnostics::{Code, Severity};
#[doc(hidden)]
pub use facade::Engine;
pub use facade::{Attribution, Data, Diagnostic, Error, Method, Model, Options, Query};
pub use results::{Answer, MethodUsed, Value};
pub use sharding::{Finish, Partial, Sharding, Unit};
