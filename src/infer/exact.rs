//! Exact inference for finite models by enumeration over the same [`Plan`] sampling uses.
//!
//! Every stochastic variable the query needs branches over its support with its mass; evidence
//! on a stochastic variable multiplies by the mass of the observed value; indicator evidence
//! prunes. Only variables the query needs are enumerated, so interventions cut the work
//! (graph surgery removes the intervened variables' ancestors from the enumeration).
//!
//! Limits, stated as E010: one world (no counterfactual terms yet), finite supports, and at
//! most `cap` enumerated assignments.
//!
//! **Invariant:** does no I/O; answers carry a standard error of 0.

use crate::ast::Span;
use crate::diagnostics::{Code, Diagnostic};
use crate::query::{Mech, Plan, TargetKind};
use crate::scm::Model;

/// Sums of one exact enumeration, per group: total mass and per-target sums.
#[derive(Clone, Debug, Default)]
pub struct Sums {
    /// P(evidence).
    pub mass: f64,
    /// Σ mass · f for scalar targets.
    pub scalar: Vec<f64>,
    /// value → mass for discrete targets.
    pub table: Vec<Vec<(f64, f64)>>,
}

/// Why exact inference cannot answer, as E010.
fn cannot(span: Span, why: String) -> Diagnostic {
    Diagnostic::error(Code::E010, span, why)
        .with_help("use `--method is` (importance sampling), which answers every query")
}

/// Enumerates a single-world plan exactly.
pub fn enumerate(
    plan: &Plan,
    model: &Model,
    cap: u64,
    span: Span,
) -> Result<Vec<Sums>, Diagnostic> {
    if plan.n_worlds != 1 || plan.groups.len() != 1 {
        return Err(cannot(
            span,
            "`--method exact` does not answer counterfactual queries yet".to_string(),
        ));
    }
    if let Some(t) = plan.groups[0]
        .targets
        .iter()
        .find(|t| t.kind == TargetKind::Real)
    {
        let _ = t;
        return Err(cannot(span, "`--method exact` needs finite domains; this asks for the distribution of a real quantity".to_string()));
    }
    let mut e = Enumerator {
        plan,
        model,
        vals: vec![0.0; plan.n_vars],
        params: Vec::new(),
        leaves: 0,
        cap,
        span,
        sums: Sums {
            mass: 0.0,
            scalar: vec![0.0; plan.groups[0].targets.len()],
            table: vec![Vec::new(); plan.groups[0].targets.len()],
        },
    };
    e.step(0, 1.0)?;
    Ok(vec![e.sums])
}

struct Enumerator<'a> {
    plan: &'a Plan,
    model: &'a Model,
    vals: Vec<f64>,
    params: Vec<f64>,
    leaves: u64,
    cap: u64,
    span: Span,
    sums: Sums,
}

impl Enumerator<'_> {
    fn step(&mut self, index: usize, mass: f64) -> Result<(), Diagnostic> {
        if mass == 0.0 {
            return Ok(());
        }
        let Some(step) = self.plan.steps.get(index) else {
            return self.finish(mass);
        };
        let Some(comp) = step.comps.first() else {
            return self.step(index + 1, mass);
        };
        let var = step.var;
        self.mech(&comp.mech.clone(), comp.clamp, var, index, mass)
    }

    fn mech(
        &mut self,
        mech: &Mech,
        clamp: Option<f64>,
        var: usize,
        index: usize,
        mass: f64,
    ) -> Result<(), Diagnostic> {
        match mech {
            Mech::Det(e) => {
                let x = e.eval(&self.vals, 0);
                if !x.is_finite() {
                    let v = &self.model.vars[var];
                    return Err(Diagnostic::error(
                        Code::E006,
                        v.span,
                        format!("`{}` is {x} for some values of its parents", v.name),
                    ));
                }
                self.vals[var] = x;
                self.step(index + 1, mass)
            }
            Mech::Shift { natural, shift } => {
                // Branch over the natural value, then apply the shift in each branch.
                let shifted = Mech::Det(shift.clone());
                let natural = (**natural).clone();
                self.branch(
                    &natural,
                    None,
                    var,
                    &mut |me, m| me.mech(&shifted, None, var, index, m),
                    mass,
                )
            }
            Mech::Stoch { .. } => {
                self.branch(mech, clamp, var, &mut |me, m| me.step(index + 1, m), mass)
            }
        }
    }

    /// Calls `next` once per value the mechanism can take, with the mass so far.
    fn branch(
        &mut self,
        mech: &Mech,
        clamp: Option<f64>,
        var: usize,
        next: &mut dyn FnMut(&mut Self, f64) -> Result<(), Diagnostic>,
        mass: f64,
    ) -> Result<(), Diagnostic> {
        let tree = match mech {
            Mech::Stoch { tree, .. } => tree,
            Mech::Det(e) => {
                self.vals[var] = e.eval(&self.vals, 0);
                return next(self, mass);
            }
            Mech::Shift { .. } => {
                return Err(cannot(
                    self.span,
                    "nested shifts are not supported by exact inference".to_string(),
                ));
            }
        };
        let v = &self.model.vars[var];
        let Some(leaf) = tree.select(&self.vals, 0) else {
            return Err(Diagnostic::error(
                Code::E006,
                v.span,
                format!("no match arm covers the values of `{}`'s parents", v.name),
            ));
        };
        leaf.eval_params(&self.vals, 0, &mut self.params);
        if let Err(bad) = leaf.kind.validate(&self.params) {
            return Err(Diagnostic::error(
                Code::E006,
                leaf.span,
                format!(
                    "`{} ~ {}(...)`: {} = {} is outside {}",
                    v.name,
                    leaf.kind.name(),
                    bad.name,
                    bad.value,
                    bad.range
                ),
            ));
        }
        if let Some(x) = clamp {
            let p = leaf.kind.log_density(&self.params, x).exp();
            self.vals[var] = x;
            return next(self, mass * p);
        }
        let Some(support) = leaf.kind.support(&self.params) else {
            return Err(cannot(
                self.span,
                format!(
                    "`--method exact` needs finite domains; `{}` is drawn from {}, whose support is unbounded or real",
                    v.name,
                    leaf.kind.name()
                ),
            ));
        };
        let params = self.params.clone();
        let kind = leaf.kind.clone();
        for x in support {
            let p = kind.log_density(&params, x).exp();
            if p > 0.0 {
                self.vals[var] = x;
                next(self, mass * p)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, mass: f64) -> Result<(), Diagnostic> {
        self.leaves += 1;
        if self.leaves > self.cap {
            return Err(cannot(
                self.span,
                format!(
                    "exact enumeration would visit more than {} assignments",
                    self.cap
                ),
            ));
        }
        let group = &self.plan.groups[0];
        if group
            .indicators
            .iter()
            .any(|e| e.eval(&self.vals, 0) == 0.0)
        {
            return Ok(());
        }
        self.sums.mass += mass;
        for (t, target) in group.targets.iter().enumerate() {
            let f = target.expr.eval(&self.vals, 0);
            match target.kind {
                TargetKind::Scalar => self.sums.scalar[t] += mass * f,
                _ => match self.sums.table[t].iter_mut().find(|r| r.0 == f) {
                    Some(row) => row.1 += mass,
                    None => self.sums.table[t].push((f, mass)),
                },
            }
        }
        Ok(())
    }
}
