//! Extension: a checked program grown by the statements of one more piece of text (a REPL
//! entry) without checking what was already checked, so an entry costs work in proportion to
//! the entry, not to the model.
//!
//! An extension declares only new names and asks questions: a variable, decision or `let` not
//! declared before, queries, `decide`, `bandit`, `identify`, `attribute` and `set`. It runs the checker's own
//! passes over the new statements alone — declarations, parents, the new variables' cycles and
//! topological order (appended to the model's: the new variables read earlier ones, never the
//! reverse, and `scm::graph`'s order of the whole model has the earlier order as its prefix),
//! mechanisms, questions — against the earlier variables, which stand as checked. So the
//! program it builds is the one checking the whole text at once builds.
//!
//! Everything else (a redeclaration, whose change reaches every descendant; edges and `data`,
//! whose nonparametric variables are typed and checked over the whole graph; families, which
//! are unrolled over the whole program; a `let` that mentions a new label, which a whole check
//! interns before every mechanism's)
//! is [`Extension::Unsupported`]: the caller checks the whole text instead.
//!
//! **Invariant:** when it fails, the program is as it was (the new variables, labels and
//! constants are removed again).

use super::{Checker, Decls, MAX_SUGGESTIONS};
use crate::ast::{self, StatementKind};
use crate::diagnostics::Diagnostic;
use crate::diagnostics::Sources;
use crate::program::Program;
use crate::scm::{Type, VarKind};
use std::collections::{HashMap, HashSet};

/// What the checker knew beyond the program: kept with the program so that it can be extended.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// The `let` constants: value and type, by name.
    pub(super) constants: HashMap<String, (f64, Type)>,
    /// The values the model's domain ranges hold, against `Config::max_range_values`.
    pub(super) range_values: usize,
    /// No variable without a mechanism and no data: the only programs an extension may grow.
    pub(super) extendable: bool,
}

/// What [`extend`] did.
#[derive(Debug)]
pub enum Extension {
    /// The program holds the new declarations and, as its statements, the new questions only;
    /// the label table held `labels` entries before the questions were checked (what
    /// [`Program::keep_declarations`] cuts it back to).
    Checked { labels: usize },
    /// The new statements are wrong; the program is unchanged.
    Failed(Vec<Diagnostic>),
    /// Not an extension (see the module documentation); the program is unchanged.
    Unsupported,
}

/// Checks `entry` (parsed from one of `sources`) against the checked `program` and adds it
/// (see the module documentation).
pub fn extend(
    program: &mut Program,
    sources: &Sources,
    entry: &ast::Program,
    config: &crate::config::Config,
) -> Extension {
    if !program.scope.extendable || !entry.statements.iter().all(|s| extends(program, s)) {
        return Extension::Unsupported;
    }
    let new_variables = entry
        .statements
        .iter()
        .filter(|s| s.declares_variable())
        .count();
    let before = program.model.vars.len();
    if before + new_variables > config.max_variables {
        return Extension::Failed(vec![super::too_many_variables(
            before + new_variables,
            config,
        )]);
    }
    let labels_before = program.model.labels.len();
    let order_before = program.model.order.len();
    let mut checker = Checker {
        sources,
        config: config.clone(),
        diagnostics: Vec::new(),
        model: std::mem::take(&mut program.model),
        constants: std::mem::take(&mut program.scope.constants),
        failed_constants: HashSet::new(),
        decls: Decls::after(before),
        range_values: program.scope.range_values,
        current: None,
        suggestions_left: MAX_SUGGESTIONS,
        column_types: HashMap::new(),
        bidirected: Vec::new(),
        params: super::param::Registry::default(),
        prior: program.prior,
    };
    checker.declare(entry);
    // A label a `let` interns is interned before every mechanism's by a whole check: only a
    // whole check gives it the same code.
    let label_in_constant = checker.model.labels.len() > labels_before;
    checker.build_graph();
    let labels = checker.model.labels.len();
    let questions = checker.questions(entry);
    let failed = checker.diagnostics.iter().any(Diagnostic::is_error);
    // `?` parameters are numbered and shared over the whole program: only a whole check
    // registers them.
    let new_parameters = !checker.model.parameters.is_empty();
    program.model = checker.model;
    program.scope.constants = checker.constants;
    if failed || label_in_constant || new_parameters {
        program.model.truncate(before, order_before, labels_before);
        program.model.parameters.clear();
        for statement in &entry.statements {
            if let StatementKind::Let { name, .. } = &statement.kind {
                program.scope.constants.remove(&name.name);
            }
        }
        if !failed {
            return Extension::Unsupported;
        }
        let mut diagnostics = checker.diagnostics;
        diagnostics.sort_by_key(|d| {
            d.span
                .map_or((crate::ast::SourceId::MODEL, 0), |s| (s.source, s.start))
        });
        return Extension::Failed(diagnostics);
    }
    program.scope.range_values = checker.range_values;
    program.statements = questions.statements;
    program.samples = questions.samples;
    program.seed = questions.seed;
    program.permutations = questions.permutations;
    program.method = questions.method;
    program.prior = checker.prior;
    Extension::Checked { labels }
}

/// Whether `statement` may extend `program`: a question or setting, or a declaration of a new
/// name without family syntax.
fn extends(program: &Program, statement: &ast::Statement) -> bool {
    let new = |name: &str| {
        program.model.find(name).is_none() && !program.scope.constants.contains_key(name)
    };
    if crate::unroll::uses_families(statement) {
        return false;
    }
    match &statement.kind {
        StatementKind::Variable { name, .. }
        | StatementKind::Decision { name, .. }
        | StatementKind::Let { name, .. } => new(&name.name),
        StatementKind::Query { .. }
        | StatementKind::Decide(_)
        | StatementKind::Bandit(_)
        | StatementKind::Identify { .. }
        | StatementKind::Attribute(_)
        | StatementKind::Set { .. } => true,
        StatementKind::Edges(_) | StatementKind::Data { .. } | StatementKind::For { .. } => false,
    }
}

impl Program {
    /// After an [`Extension::Checked`]'s questions are answered: drops them and the labels only
    /// they interned, so the program is the one checking its declarations builds.
    pub fn keep_declarations(&mut self, labels: usize) {
        self.statements.clear();
        self.samples = None;
        self.seed = None;
        self.permutations = None;
        self.method = None;
        let (vars, order) = (self.model.vars.len(), self.model.order.len());
        self.model.truncate(vars, order, labels);
    }
}

/// Whether `model` may be extended: every variable has a mechanism or is a decision, and no
/// mechanism holds a `?` parameter still to fit (the caller refuses a model with data).
pub(super) fn extendable(model: &crate::scm::Model) -> bool {
    model.parameters.is_empty()
        && model
            .vars
            .iter()
            .all(|v| !matches!(v.kind, VarKind::Nonparametric))
}
