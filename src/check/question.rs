//! The questions: `query` estimands and their conditions, `decide` (stages, contexts, the
//! table's size), `bandit` (arm, reward, policies), and the `set samples` / `set seed` /
//! `set method` settings.

use super::{Checker, Lowered, Place};
use crate::ast::{self, BinaryOp, Domain, ExprKind, Span, StatementKind};
use crate::diagnostics::{Code, Diagnostic, suggest};
use crate::infer::MethodChoice;
use crate::program::StatementKind as StatementKind_;
use crate::program::*;
use crate::scm::{Ex, Type, VarId, VarKind};

/// A program's questions and the `set` values in force after the last of them (what the REPL
/// keeps for the entries that follow).
pub(super) struct Questions {
    pub statements: Vec<Statement>,
    pub samples: Option<u64>,
    pub seed: Option<u64>,
    pub permutations: Option<u64>,
    pub method: Option<MethodChoice>,
}

/// The names `set NAME = N` accepts.
const SETTINGS: &[&str] = &["samples", "seed", "permutations", "method", "prior"];

impl Checker<'_> {
    /// The questions, and the `set` values in force at the end.
    pub(super) fn questions(&mut self, program: &ast::Program) -> Questions {
        let mut out = Vec::new();
        let (mut samples, mut seed, mut permutations, mut method) = (None, None, None, None);
        for statement in &program.statements {
            let span = statement.span;
            let kind = match &statement.kind {
                StatementKind::Set { name, value } if name.name == "prior" => {
                    if let Ok(k) = self.prior_setting(value) {
                        self.prior = Some(k);
                    }
                    continue;
                }
                StatementKind::Set { name, value } if name.name == "method" => {
                    match method_setting(value) {
                        Ok(m) => method = Some(m),
                        Err(d) => self.error(d),
                    }
                    continue;
                }
                StatementKind::Set { name, value } => {
                    if let Ok(n) = self.setting(name, value) {
                        match name.name.as_str() {
                            "samples" => samples = Some(n),
                            "permutations" => permutations = Some(n),
                            _ => seed = Some(n),
                        }
                    }
                    continue;
                }
                StatementKind::Query { name, estimand } => match self.lower_estimand(estimand) {
                    Ok(e) => StatementKind_::Query {
                        name: name.as_ref().map(|n| n.name.clone()),
                        estimand: e,
                    },
                    Err(()) => continue,
                },
                StatementKind::Decide(d) => match self
                    .lower_decide(d)
                    .and_then(|d| self.limit_decision(d, span))
                {
                    Ok(d) => StatementKind_::Decide(d),
                    Err(()) => continue,
                },
                StatementKind::Bandit(b) => match self.lower_bandit(b) {
                    Ok(b) => StatementKind_::Bandit(b),
                    Err(()) => continue,
                },
                StatementKind::Identify {
                    targets,
                    treatments,
                    given,
                } => {
                    let mut sets = [Vec::new(), Vec::new(), Vec::new()];
                    let mut ok = true;
                    for (set, terms) in sets.iter_mut().zip([targets, treatments, given]) {
                        for term in terms {
                            match self.identify_term(term) {
                                Some(v) if !set.contains(&v) => set.push(v),
                                Some(_) => {}
                                None => ok = false,
                            }
                        }
                    }
                    if !ok {
                        continue;
                    }
                    let [outcomes, treatments, given] = sets;
                    StatementKind_::Identify(Identify {
                        outcomes,
                        treatments,
                        given,
                    })
                }
                StatementKind::Attribute(a) => match self.lower_attribute(a, span) {
                    Ok(a) => StatementKind_::Attribute(Attribute { permutations, ..a }),
                    Err(()) => continue,
                },
                _ => continue,
            };
            let line = self.line(span);
            out.push(Statement {
                kind,
                span,
                line,
                text: strip_comments(&self.text(span)),
                samples,
                seed,
                method,
            });
        }
        Questions {
            statements: out,
            samples,
            seed,
            permutations,
            method,
        }
    }

    /// One variable of `identify`: `name` or `name = value` (the value is not needed: whether
    /// an effect is identifiable does not depend on it).
    fn identify_term(&mut self, term: &ast::Expr) -> Option<VarId> {
        let name = match &term.kind {
            ExprKind::Name(name) => Some((name, term.span)),
            ExprKind::Binary {
                op: BinaryOp::Eq,
                left,
                ..
            } => match &left.kind {
                ExprKind::Name(name) => Some((name, left.span)),
                _ => None,
            },
            _ => None,
        };
        let Some((name, span)) = name else {
            self.error(
                Diagnostic::error(
                    Code::E005,
                    term.span,
                    "`identify` takes variables, each alone or as `name = value`",
                )
                .with_help("write e.g. `identify P(y | do(x), z)`"),
            );
            return None;
        };
        let found = self.model.find(name);
        if found.is_none() {
            self.unknown(name, span);
        }
        found
    }

    /// E009 for a decision whose table (full action vectors × context values) is larger than
    /// `Config::max_decision_table`, found from the domain sizes before anything is built.
    fn limit_decision(&mut self, decide: Decide, span: Span) -> Lowered<Decide> {
        let limit = self.config.max_decision_table;
        let (actions, contexts) = decide.table_sizes(&self.model);
        let entries = actions.zip(contexts).and_then(|(a, x)| a.checked_mul(x));
        if entries.is_some_and(|n| n <= limit) {
            return Ok(decide);
        }
        let count = |n: Option<usize>| n.map_or("at least 2^64".to_string(), |n| n.to_string());
        // Each axis's size when there are a few, else how many axes.
        let factors = |sizes: Vec<usize>, what: &str| match sizes.len() {
            0 | 1 => String::new(),
            2..=6 => {
                let sizes: Vec<String> = sizes.iter().map(usize::to_string).collect();
                format!(" ({})", sizes.join(" × "))
            }
            n => format!(" (from {n} {what})"),
        };
        let (action_axes, context_axes) = decide.table_axes(&self.model);
        let actions = format!(
            "{} actions{}",
            count(actions),
            factors(action_axes, "decisions")
        );
        let message = if context_axes.is_empty() {
            format!("this decision has {actions}, more than the limit of {limit}")
        } else {
            format!(
                "this decision tabulates {actions} × {} context values{}, more than the limit \
                 of {limit} entries",
                count(contexts),
                factors(context_axes, "observed variables")
            )
        };
        self.error(Diagnostic::error(Code::E009, span, message).with_help(
            "decide fewer variables jointly, give them smaller domains (`d in {...}`), \
                 or observe fewer variables with `given`",
        ));
        Err(())
    }

    fn setting(&mut self, name: &ast::Ident, value: &ast::Expr) -> Lowered<u64> {
        if !SETTINGS.contains(&name.name.as_str()) {
            let mut d = Diagnostic::error(
                Code::E002,
                name.span,
                format!("unknown setting `{}`", name.name),
            );
            match suggest(&name.name, SETTINGS.iter().copied()) {
                Some(s) => {
                    d.message = format!("unknown setting `{}`; did you mean `{s}`?", name.name)
                }
                None => {
                    d = d.with_help(
                        "the settings are `samples`, `seed`, `permutations`, `method` and `prior`",
                    )
                }
            }
            self.error(d);
            return Err(());
        }
        let (ex, ty) = self.lower_expr(value, Place::Constant)?;
        if !matches!(ty, Type::Int | Type::Real) {
            return self.mismatch(
                value.span,
                &format!("`{}` must be a whole number", name.name),
                ty,
            );
        }
        match ex.constant() {
            Some(c)
                if name.name == "samples"
                    && c.fract() == 0.0
                    && c > self.config.max_samples as f64 =>
            {
                let limit = self.config.max_samples;
                self.error(
                    Diagnostic::error(
                        Code::E005,
                        value.span,
                        format!("{c} samples is more than the limit of {limit}"),
                    )
                    .with_help(
                        "ask for fewer samples; the standard error shrinks with their square root",
                    ),
                );
                Err(())
            }
            Some(c)
                if c >= 0.0
                    && c.fract() == 0.0
                    && c < 1.8e19
                    && (name.name == "seed" || c >= 1.0) =>
            {
                Ok(c as u64)
            }
            _ => {
                self.error(Diagnostic::error(
                    Code::E005,
                    value.span,
                    format!(
                        "`{}` must be a whole number{}",
                        name.name,
                        if name.name == "samples" {
                            " of at least 1"
                        } else {
                            ""
                        }
                    ),
                ));
                Err(())
            }
        }
    }

    pub(super) fn lower_conditions(
        &mut self,
        conditions: &[ast::Condition],
    ) -> Lowered<Conditions> {
        let mut out = Conditions::default();
        let mut failed = false;
        let mut all_interventions = Vec::new();
        for c in conditions {
            if let ast::Condition::Do(list, _) = c {
                all_interventions.extend(list.iter().cloned());
            }
        }
        match self.lower_interventions(&all_interventions) {
            Ok(i) => out.interventions = i,
            Err(()) => failed = true,
        }
        for c in conditions {
            if let ast::Condition::Evidence(e) = c {
                match self.lower_evidence(e) {
                    Ok(evidence) => out.evidence.push(evidence),
                    Err(()) => failed = true,
                }
            }
        }
        if failed { Err(()) } else { Ok(out) }
    }

    /// One piece of evidence: a condition (E005 for a value of another type).
    pub(super) fn lower_evidence(&mut self, e: &ast::Expr) -> Lowered<Evidence> {
        let (expr, ty) = self.lower_expr(e, Place::Query)?;
        if ty != Type::Bool {
            self.error(
                Diagnostic::error(
                    Code::E005,
                    e.span,
                    format!("evidence must be a condition, found {}", ty.name()),
                )
                .with_help(format!(
                    "compare it with a value: `{} = ...`",
                    self.text(e.span)
                )),
            );
            return Err(());
        }
        Ok(Evidence {
            expr,
            span: e.span,
            text: self.text(e.span),
        })
    }

    fn lower_estimand(&mut self, estimand: &ast::Estimand) -> Lowered<Estimand> {
        let span = estimand.span;
        match &estimand.kind {
            ast::EstimandKind::Number(x) => Ok(Estimand::Number(*x)),
            ast::EstimandKind::Neg(inner) => {
                let inner = self.lower_estimand(inner)?;
                self.not_marginals(&inner)?;
                Ok(Estimand::Neg(Box::new(inner)))
            }
            ast::EstimandKind::Binary { op, left, right } => {
                let l = self.lower_estimand(left);
                let r = self.lower_estimand(right);
                let (l, r) = (l?, r?);
                self.not_marginals(&l)?;
                self.not_marginals(&r)?;
                Ok(Estimand::Binary(*op, Box::new(l), Box::new(r)))
            }
            ast::EstimandKind::Marginals { conditions } => Ok(Estimand::Marginals {
                conditions: self.lower_conditions(conditions)?,
                span,
            }),
            ast::EstimandKind::Probability { target, conditions } => {
                let t = self.lower_expr(target, Place::Query);
                let c = self.lower_conditions(conditions);
                let ((target_ex, ty), conditions) = (t?, c?);
                if ty == Type::Bool {
                    return Ok(Estimand::Probability {
                        event: target_ex,
                        conditions,
                        span,
                    });
                }
                let is_variable = matches!(target_ex, Ex::Var(_) | Ex::Counterfactual(..));
                if !is_variable {
                    self.error(
                        Diagnostic::error(
                            Code::E005,
                            target.span,
                            format!("`P(...)` needs an event or a variable, found {}", ty.name()),
                        )
                        .with_help("ask for an event (`P(x > 1)`) or an expectation (`E[...]`)"),
                    );
                    return Err(());
                }
                Ok(Estimand::Distribution {
                    target: target_ex,
                    ty,
                    conditions,
                    span,
                })
            }
            ast::EstimandKind::Expectation { target, conditions } => {
                let t = self.lower_expr(target, Place::Query);
                let c = self.lower_conditions(conditions);
                let ((value, ty), conditions) = (t?, c?);
                if !ty.is_numeric() {
                    return self.mismatch(target.span, "`E[...]` needs a number", ty);
                }
                Ok(Estimand::Expectation {
                    value,
                    conditions,
                    span,
                })
            }
        }
    }

    /// E005 for `P(*)` inside estimand arithmetic: it is a set of distributions, not a number.
    fn not_marginals(&mut self, operand: &Estimand) -> Lowered<()> {
        if let Estimand::Marginals { span, .. } = operand {
            self.error(
                Diagnostic::error(
                    Code::E005,
                    *span,
                    "`P(*)` is every variable's distribution, not a number: it cannot take part in arithmetic",
                )
                .with_help("ask `query P(* | ...)` on its own, or name one event: `P(x = 1 | ...)`"),
            );
            return Err(());
        }
        Ok(())
    }

    fn lower_decide(&mut self, decide: &ast::Decide) -> Lowered<Decide> {
        let objective = self.lower_estimand(&decide.objective)?;
        if !matches!(
            objective,
            Estimand::Expectation { .. } | Estimand::Probability { .. }
        ) {
            self.error(Diagnostic::error(
                Code::E009,
                decide.objective.span,
                "a decision's objective must be one expectation `E[...]` or probability `P(...)`",
            ));
            return Err(());
        }
        let mut stages = Vec::new();
        let mut decided: Vec<VarId> = Vec::new();
        let mut failed = false;
        for stage in &decide.stages {
            let mut choices = Vec::new();
            for choice in &stage.choices {
                match self.lower_choice(&choice.name, choice.domain.as_ref(), &decided) {
                    Ok(c) => {
                        decided.push(c.var);
                        choices.push(c);
                    }
                    Err(()) => failed = true,
                }
            }
            let stage_vars: Vec<VarId> = choices.iter().map(|c| c.var).collect();
            let downstream = self.model.descendants(&stage_vars);
            let mut given = Vec::new();
            for g in stage.given.iter().map(|m| &m.name) {
                let Some(v) = self.model.find(&g.name) else {
                    self.unknown(&g.name, g.span);
                    failed = true;
                    continue;
                };
                let var = &self.model.vars[v];
                let settled = "a decision can only observe what is settled before it is made";
                let finite = format!(
                    "observe a coarser variable instead, such as `{0}_high := {0} > 0`",
                    g.name
                );
                let problem = if var.exogenous {
                    Some((
                        format!("context `{}` is exogenous and cannot be observed", g.name),
                        settled.to_string(),
                    ))
                } else if downstream[v] {
                    let decision = stage_vars
                        .iter()
                        .find(|d| self.model.descendants(&[**d])[v])
                        .map_or("", |d| self.model.vars[*d].name.as_str());
                    Some((
                        format!(
                            "context `{}` is a descendant of the decision `{decision}`",
                            g.name
                        ),
                        settled.to_string(),
                    ))
                } else if var.domain.is_none() {
                    Some((
                        format!(
                            "context `{}` is {} without a finite domain; a decision can only observe a variable with a finite domain",
                            g.name,
                            var.ty.name()
                        ),
                        finite,
                    ))
                } else if var.domain.as_ref().is_some_and(|d| d.len() > 4096) {
                    Some((
                        format!(
                            "context `{}` has more than 4096 values; a decision can only observe a variable with a small finite domain",
                            g.name
                        ),
                        finite,
                    ))
                } else {
                    None
                };
                match problem {
                    Some((message, help)) => {
                        self.error(Diagnostic::error(Code::E009, g.span, message).with_help(help));
                        failed = true;
                    }
                    None => given.push(v),
                }
            }
            stages.push(Stage { choices, given });
        }
        if failed {
            return Err(());
        }
        Ok(Decide {
            stages,
            maximize: decide.maximize,
            objective,
        })
    }

    fn lower_choice(
        &mut self,
        name: &ast::Ident,
        domain: Option<&Domain>,
        decided: &[VarId],
    ) -> Lowered<Choice> {
        let Some(v) = self.model.find(&name.name) else {
            self.unknown(&name.name, name.span);
            return Err(());
        };
        if decided.contains(&v) {
            self.error(Diagnostic::error(
                Code::E009,
                name.span,
                format!("`{}` is decided twice", name.name),
            ));
            return Err(());
        }
        if self.model.vars[v].exogenous {
            self.error(Diagnostic::error(
                Code::E009,
                name.span,
                format!("`{}` is exogenous and cannot be a decision", name.name),
            ));
            return Err(());
        }
        if !self.decls[v].lowered {
            return Err(());
        }
        let ty = self.model.vars[v].ty;
        let values = match domain {
            Some(d) => self.lower_domain(d, Some(ty))?.0,
            None => match (&self.model.vars[v].kind, &self.model.vars[v].domain) {
                (VarKind::Decision(values), _) => values.clone(),
                (_, Some(d)) if d.len() <= 4096 => d.clone(),
                _ => {
                    self.error(
                        Diagnostic::error(
                            Code::E009,
                            name.span,
                            format!("`{}` has no finite domain to choose from", name.name),
                        )
                        .with_help(format!("give one: `{} in {{...}}`", name.name)),
                    );
                    return Err(());
                }
            },
        };
        Ok(Choice {
            var: v,
            domain: values,
        })
    }

    fn lower_bandit(&mut self, bandit: &ast::Bandit) -> Lowered<Bandit> {
        let choice = self.lower_choice(&bandit.arm, bandit.domain.as_ref(), &[]);
        let reward = self.lower_expr(&bandit.reward, Place::Mechanism);
        let mut policies = Vec::new();
        let mut failed = false;
        for p in &bandit.policies {
            match PolicyKind::ALL.iter().find(|(n, _)| *n == p.name.name) {
                Some((_, kind)) => match (kind, p.parameter) {
                    (PolicyKind::EpsilonGreedy, Some(e)) if !(0.0..=1.0).contains(&e) => {
                        self.error(
                            Diagnostic::error(
                                Code::E005,
                                p.name.span,
                                format!("`epsilon_greedy({e})`: the exploration rate must lie in [0, 1]"),
                            )
                            .with_help("it is the probability of trying a random arm, e.g. `epsilon_greedy(0.1)`"),
                        );
                        failed = true;
                    }
                    (PolicyKind::EpsilonGreedy, _) | (_, None) => {
                        policies.push((*kind, p.parameter))
                    }
                    (_, Some(_)) => {
                        self.error(
                            Diagnostic::error(
                                Code::E005,
                                p.name.span,
                                format!("`{}` takes no parameter", p.name.name),
                            )
                            .with_help(format!("write `{}`", p.name.name)),
                        );
                        failed = true;
                    }
                },
                None => {
                    let names = PolicyKind::ALL.iter().map(|(n, _)| *n);
                    let mut d = Diagnostic::error(
                        Code::E002,
                        p.name.span,
                        format!("unknown policy `{}`", p.name.name),
                    );
                    match suggest(&p.name.name, names) {
                        Some(s) => d.message = format!("unknown policy `{}`; did you mean `{s}`?", p.name.name),
                        None => d = d.with_help("the policies are random, greedy, epsilon_greedy, ucb1, thompson, causal_thompson"),
                    }
                    self.error(d);
                    failed = true;
                }
            }
        }
        let (choice, (reward, reward_type)) = (choice?, reward?);
        if !reward_type.is_numeric() {
            return self.mismatch(bandit.reward.span, "a reward must be a number", reward_type);
        }
        if failed {
            return Err(());
        }
        Ok(Bandit {
            arm: choice.var,
            domain: choice.domain,
            reward,
            reward_type,
            rounds: bandit.rounds,
            runs: bandit.runs,
            policies,
        })
    }
}

/// Source text without comments (pest spans include trailing trivia), trimmed.
fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut in_label = false;
        let mut end = line.len();
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'"' => in_label = !in_label,
                b'#' if !in_label => {
                    end = i;
                    break;
                }
                b'/' if !in_label && bytes.get(i + 1) == Some(&b'/') => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let kept = line[..end].trim_end();
        if !kept.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(kept);
        }
    }
    out
}

/// The method `set method = NAME` names (`auto`, `is`, `exact` or `smc`), or an E005 error.
fn method_setting(value: &ast::Expr) -> Result<MethodChoice, Diagnostic> {
    const NAMES: [&str; 4] = ["auto", "is", "exact", "smc"];
    let name = match &value.kind {
        ExprKind::Name(n) => n.as_str(),
        ExprKind::Literal(ast::Literal::Label(n)) => n.as_str(),
        _ => "",
    };
    match name {
        "auto" => Ok(MethodChoice::Auto),
        "is" => Ok(MethodChoice::Is),
        "exact" => Ok(MethodChoice::Exact),
        "smc" => Ok(MethodChoice::Smc),
        _ => {
            let mut d = Diagnostic::error(
                Code::E005,
                value.span,
                "`method` must be `auto`, `is`, `exact` or `smc`",
            );
            if let Some(s) = suggest(name, NAMES) {
                d.message = format!("{}; did you mean `{s}`?", d.message);
            }
            Err(d)
        }
    }
}
