//! The structural causal model: the checked, resolved form of a program.
//!
//! `check` (src/check/) builds a [`Model`] from the AST: every name resolved to a [`VarId`],
//! constants folded, labels interned, types known, parents computed and variables in
//! topological order. Inference engines work on this and never see the AST or pest.
//!
//! **Invariant:** `order` is a topological order of the graph given by `parents`; every
//! expression refers only to existing variables; every `Ex::Match` arm has one pattern per
//! scrutinee.

pub mod dist;
pub mod expr;
pub mod graph;
pub mod param;
pub mod postfix;
pub mod table;

pub use dist::DistTree;
pub use expr::{BinOp, Ex, Func, UnOp};
pub use param::Parameter;

use crate::ast::Span;
use serde::{Deserialize, Serialize};

/// Index of a variable in [`Model::vars`].
pub type VarId = usize;

/// The type of a value. Every value is carried as an `f64` at run time: bools as 0/1, ints
/// exactly, labels as their index in [`Model::labels`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Type {
    Bool,
    Int,
    Real,
    Label,
}

impl Type {
    /// The type's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Type::Bool => "a bool",
            Type::Int => "an int",
            Type::Real => "a real",
            Type::Label => "a label",
        }
    }

    /// Whether arithmetic accepts it (bools count as 0/1).
    pub fn is_numeric(self) -> bool {
        self != Type::Label
    }

    /// Whether values are discrete (counted, not measured).
    pub fn is_discrete(self) -> bool {
        self != Type::Real
    }
}

/// How a variable gets its value.
#[derive(Clone, Debug)]
pub enum VarKind {
    /// Drawn from a distribution: `x ~ D`. Exogenous variables are stochastic roots. Shared:
    /// every plan's mechanism points at it.
    Stochastic(std::sync::Arc<DistTree>),
    /// A function of its parents: `x := e`.
    Deterministic(Ex),
    /// No mechanism: set by `do`, `decide` or `bandit`. Holds the declared domain.
    Decision(Vec<f64>),
    /// Edges but no mechanism (`a -> b`): its distribution given its parents is whatever the
    /// data shows; questions about it are answered by identification (src/identify/).
    Nonparametric,
}

/// One variable of the model.
#[derive(Clone, Debug)]
pub struct Var {
    pub name: String,
    /// The declaration.
    pub span: Span,
    pub ty: Type,
    pub kind: VarKind,
    pub exogenous: bool,
    /// The variables its mechanism mentions, without repeats.
    pub parents: Vec<VarId>,
    /// Every value it can take, sorted, where that set is finite and known.
    pub domain: Option<Vec<f64>>,
    /// Its mechanism read as a conditional probability table, found on first use.
    pub table: table::TableCache,
    /// The values a distribution of it lists ([`Var::listed_values`]), found on first use.
    pub listed: ListedValues,
}

/// Most values of a finite domain a distribution lists in full; beyond it, only the values
/// seen.
pub const MAX_LISTED_DOMAIN: usize = 4096;

/// A variable's listed values, found on first use and kept for the life of the model (a
/// clone carries what was found). Only answers read them, after checking has set the
/// variable's mechanism and domain for good.
#[derive(Clone, Debug, Default)]
pub struct ListedValues(std::sync::OnceLock<Vec<f64>>);

impl Var {
    /// Its stochastic mechanism as a conditional probability table, when it is one and `tree`
    /// is that mechanism (not an intervention's); recognised on first use.
    pub fn table_of(
        &self,
        tree: &std::sync::Arc<DistTree>,
    ) -> Option<&std::sync::Arc<table::CondTable>> {
        match &self.kind {
            VarKind::Stochastic(own) if std::sync::Arc::ptr_eq(own, tree) => self.table.get(own),
            _ => None,
        }
    }

    /// The values a distribution of this variable lists before any is seen: its finite
    /// domain in declared order (labels as its mechanism lists them, then any other value of
    /// its domain; numbers ascending). Empty where the domain is unknown or has more than
    /// [`MAX_LISTED_DOMAIN`] values. Computed once: a table's leaves number thousands on
    /// mildew, and `P(*)` lists every variable.
    pub fn listed_values(&self) -> &[f64] {
        self.listed.0.get_or_init(|| self.list_values())
    }

    fn list_values(&self) -> Vec<f64> {
        let Some(domain) = self
            .domain
            .as_ref()
            .filter(|d| d.len() <= MAX_LISTED_DOMAIN)
        else {
            return Vec::new();
        };
        if self.ty != Type::Label {
            return domain.clone();
        }
        let mut listed: Vec<f64> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut list = |values: &[f64]| {
            for x in values {
                if seen.insert(x.to_bits()) {
                    listed.push(*x);
                }
            }
        };
        match &self.kind {
            VarKind::Stochastic(tree) => {
                // A table's leaves mostly repeat one list of labels: each run of equal lists
                // is read once.
                let mut last: Option<&[f64]> = None;
                for leaf in tree.leaves() {
                    if let dist::DistKind::Categorical { labels } = &leaf.kind
                        && last != Some(labels.as_slice())
                    {
                        list(labels);
                        last = Some(labels);
                    }
                }
            }
            VarKind::Decision(values) => list(values),
            VarKind::Deterministic(_) | VarKind::Nonparametric => {}
        }
        list(domain);
        listed
    }

    /// Whether the variable has edges but no mechanism.
    pub fn is_nonparametric(&self) -> bool {
        matches!(self.kind, VarKind::Nonparametric)
    }
}

/// A checked model: variables, graph and labels. Queries live in [`crate::program::Program`].
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub vars: Vec<Var>,
    /// Topological order: parents before children.
    pub order: Vec<VarId>,
    /// Interned labels; a label value is an index into this.
    pub labels: Vec<String>,
    /// The `?` parameters [`Ex::Param`] indexes; empty once fitted.
    pub parameters: Vec<Parameter>,
    /// Variable names to ids; kept in step with `vars` by [`Model::add`].
    names: std::collections::HashMap<String, VarId>,
    /// Labels to their index in `labels`; kept in step by [`Model::intern`].
    label_index: std::collections::HashMap<String, usize>,
}

impl Model {
    /// The variable named `name`.
    pub fn find(&self, name: &str) -> Option<VarId> {
        self.names.get(name).copied()
    }

    /// Adds a variable; its name must be new.
    pub fn add(&mut self, var: Var) -> VarId {
        let id = self.vars.len();
        self.names.insert(var.name.clone(), id);
        self.vars.push(var);
        id
    }

    /// Drops the variables from id `vars` on, the topological order from position `order` on
    /// and the labels from index `labels` on: undoes an extension (`check/extend.rs`), or drops
    /// the labels only its questions interned.
    pub fn truncate(&mut self, vars: usize, order: usize, labels: usize) {
        for var in self.vars.drain(vars.min(self.vars.len())..) {
            self.names.remove(&var.name);
        }
        self.order.truncate(order);
        for label in self.labels.drain(labels.min(self.labels.len())..) {
            self.label_index.remove(&label);
        }
    }

    /// A value of type `ty` as users write it.
    pub fn format_value(&self, ty: Type, value: f64) -> String {
        match ty {
            Type::Bool => (value != 0.0).to_string(),
            Type::Int => format!("{}", value as i64),
            Type::Real => format!("{value}"),
            Type::Label => match self.labels.get(value as usize) {
                Some(label) => format!("\"{label}\""),
                None => format!("<label {value}>"),
            },
        }
    }

    /// A value as the results report it: bools as booleans, ints as integers, labels as
    /// strings.
    pub fn result_value(&self, ty: Type, value: f64) -> crate::results::Value {
        use crate::results::Value;
        match ty {
            Type::Bool => Value::Bool(value != 0.0),
            Type::Int => Value::Int(value as i64),
            Type::Real => Value::Real(value),
            Type::Label => {
                Value::Label(self.labels.get(value as usize).cloned().unwrap_or_default())
            }
        }
    }

    /// The label's index, interning it if new.
    pub fn intern(&mut self, label: &str) -> f64 {
        if let Some(&i) = self.label_index.get(label) {
            return i as f64;
        }
        let i = self.labels.len();
        self.labels.push(label.to_string());
        self.label_index.insert(label.to_string(), i);
        i as f64
    }

    /// The index of a label already interned.
    pub fn label(&self, label: &str) -> Option<usize> {
        self.label_index.get(label).copied()
    }
}
