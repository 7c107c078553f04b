//! Questions built in Rust: [`Query`] and [`Attribution`], whose `Display` is the whatif
//! syntax they stand for (what [`Model::ask`](super::Model::ask) reads).

use crate::results::Value;
use std::fmt::{self, Display, Formatter};

/// A question built in Rust; its `Display` is the whatif syntax it stands for.
///
/// Values ([`intervene`](Query::intervene), [`given_value`](Query::given_value)) are typed:
/// anything that converts into a [`Value`] — a `&str` or `String` is a **label** (quoted for
/// you: `.intervene("treatment", "A")` is `do(treatment = "A")`), a `bool` a bool, an `i64` or
/// `i32` an int, an `f64` a real. Events, evidence and expressions
/// ([`probability`](Query::probability), [`given`](Query::given),
/// [`intervene_expr`](Query::intervene_expr)) are written in the language as given:
/// `Query::probability("y[do(x = 0)] = 1").given("x = 1")`.
///
/// ```
/// use whatif::Query;
///
/// let q = Query::probability("recovered")
///     .intervene("treatment", "A")
///     .given_value("severe", true);
/// assert_eq!(q.to_string(), r#"P(recovered | do(treatment = "A"), severe = true)"#);
/// let e = Query::expectation("y").intervene("x", 1.5).intervene_expr("z", "2 * w");
/// assert_eq!(e.to_string(), "E[y | do(x = 1.5, z = 2 * w)]");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    expectation: bool,
    target: String,
    interventions: Vec<String>,
    evidence: Vec<String>,
}

impl Query {
    /// `P(event)`: a probability, or the whole distribution of a non-bool variable. The event
    /// is an expression in the language (`"wet"`, `"y > 2"`, `"weather"`).
    pub fn probability(event: impl Into<String>) -> Query {
        Query {
            expectation: false,
            target: event.into(),
            interventions: Vec::new(),
            evidence: Vec::new(),
        }
    }

    /// `P(*)`: every variable's distribution under the query's conditions, answered as one
    /// [`Body::Marginals`](crate::results::Body::Marginals) (exactly by one calibrated junction
    /// tree where the model is finite).
    ///
    /// ```
    /// use whatif::{Method, Model, Options, Query};
    /// use whatif::results::{Body, Distribution};
    ///
    /// let model = Model::parse("rain ~ Bernoulli(0.2)\nwet ~ Bernoulli(if rain then 0.9 else 0.1)")?;
    /// let q = Query::marginals().given("wet");
    /// assert_eq!(q.to_string(), "P(* | wet)");
    /// let answer = model.ask(&q, &Options::new().method(Method::Exact))?;
    /// let Body::Marginals(m) = answer.body else { unreachable!() };
    /// let (name, Distribution::Discrete { values, .. }) = &m.variables[0] else { unreachable!() };
    /// assert_eq!(name, "rain");
    /// assert!((values[1].p - 0.18 / 0.26).abs() < 1e-12);
    /// # Ok::<(), whatif::Error>(())
    /// ```
    pub fn marginals() -> Query {
        Query::probability("*")
    }

    /// `E[value]`: an expectation of an expression in the language.
    pub fn expectation(value: impl Into<String>) -> Query {
        Query {
            expectation: true,
            ..Query::probability(value)
        }
    }

    /// Adds evidence: a bool expression in the language that holds (`"wet"`, `"y > 2"`).
    pub fn given(mut self, evidence: impl Into<String>) -> Query {
        self.evidence.push(evidence.into());
        self
    }

    /// Adds the evidence `variable = value` (a `&str` value is a label, quoted for you).
    pub fn given_value(mut self, variable: &str, value: impl Into<Value>) -> Query {
        self.evidence.push(format!("{variable} = {}", value.into()));
        self
    }

    /// Adds a hard intervention `do(variable = value)` (a `&str` value is a label, quoted for
    /// you).
    pub fn intervene(mut self, variable: &str, value: impl Into<Value>) -> Query {
        self.interventions
            .push(format!("{variable} = {}", value.into()));
        self
    }

    /// Adds an intervention `do(variable = expression)` whose value is an expression in the
    /// language, written as given: a policy (`"x > 0"`) or a shift (`"x + 1"`).
    pub fn intervene_expr(mut self, variable: &str, expression: impl Into<String>) -> Query {
        self.interventions
            .push(format!("{variable} = {}", expression.into()));
        self
    }

    /// Adds a stochastic intervention `do(variable ~ distribution)`; the distribution is
    /// written in the language (`"Bernoulli(0.5)"`).
    pub fn intervene_random(mut self, variable: &str, distribution: impl Into<String>) -> Query {
        self.interventions
            .push(format!("{variable} ~ {}", distribution.into()));
        self
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (open, close) = if self.expectation {
            ("E[", "]")
        } else {
            ("P(", ")")
        };
        write!(f, "{open}{}", self.target)?;
        let mut conditions = Vec::new();
        if !self.interventions.is_empty() {
            conditions.push(format!("do({})", self.interventions.join(", ")));
        }
        conditions.extend(self.evidence.iter().cloned());
        if !conditions.is_empty() {
            write!(f, " | {}", conditions.join(", "))?;
        }
        write!(f, "{close}")
    }
}

/// An `attribute` statement built in Rust (LANGUAGE.md section 14); its `Display` is the
/// whatif syntax it stands for. Expressions and interventions are written in the language.
///
/// ```
/// use whatif::{Attribution, Model, Options};
///
/// // Whose noise made the alarm ring?
/// let noise = Attribution::of("alarm").given("alarm").given("burglary").given("not quake");
/// assert_eq!(noise.to_string(), "attribute alarm given alarm, burglary, not quake");
/// // Which part of a change delivered the gain?
/// let change = Attribution::expectation("revenue").to("price = 9").to("ads = 2");
/// assert_eq!(change.to_string(), "attribute E[revenue] to do(price = 9, ads = 2)");
///
/// let model = Model::parse("burglary ~ Bernoulli(0.1)\nquake ~ Bernoulli(0.2)\nalarm := burglary or quake")?;
/// let answer = model.ask(&noise, &Options::new())?;
/// let whatif::results::Body::Attribution(a) = answer.body else { unreachable!() };
/// assert_eq!(a.contributions[0].name, "burglary");
/// assert!((a.contributions[0].value - 0.81).abs() < 1e-9);
/// # Ok::<(), whatif::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribution {
    target: String,
    expectation: bool,
    evidence: Vec<String>,
    players: Vec<String>,
}

impl Attribution {
    /// `attribute EXPR given ...`: credit for EXPR's value among the noise of its stochastic
    /// ancestors; add the evidence with [`given`](Attribution::given).
    pub fn of(expression: impl Into<String>) -> Attribution {
        Attribution {
            target: expression.into(),
            expectation: false,
            evidence: Vec::new(),
            players: Vec::new(),
        }
    }

    /// `attribute E[EXPR | ...] to do(...)`: credit for a change of `E[EXPR]` among the
    /// interventions added with [`to`](Attribution::to).
    pub fn expectation(value: impl Into<String>) -> Attribution {
        Attribution {
            expectation: true,
            ..Attribution::of(value)
        }
    }

    /// Adds evidence: a bool expression in the language (`"latency > 900"`).
    pub fn given(mut self, evidence: impl Into<String>) -> Attribution {
        self.evidence.push(evidence.into());
        self
    }

    /// Adds an intervention player, as written in `do(...)` (`"price = 9"`); its text is the
    /// player's name in the answer.
    pub fn to(mut self, intervention: impl Into<String>) -> Attribution {
        self.players.push(intervention.into());
        self
    }
}

impl Display for Attribution {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if !self.expectation {
            return write!(
                f,
                "attribute {} given {}",
                self.target,
                self.evidence.join(", ")
            );
        }
        write!(f, "attribute E[{}", self.target)?;
        if !self.evidence.is_empty() {
            write!(f, " | {}", self.evidence.join(", "))?;
        }
        write!(f, "] to do({})", self.players.join(", "))
    }
}
