//! Lowering `?` parameters (LANGUAGE.md §12): `?`, `?name`, `?[a, b]`, `?name[a, b]`.
//!
//! A `?` may stand only in the mechanism of a stochastic variable (`x ~ ...`): it is learned by
//! maximum likelihood from that variable's rows. A scalar lowers to [`Ex::Param`]; a table
//! `?[a, b]` to a `match (a, b)` whose arms are one parameter per combination of the finite
//! domains of `a` and `b`, so `a` and `b` become parents like any variable the mechanism reads.
//! A named parameter is one parameter wherever its name appears (one per cell for a table).

use super::{Checker, Lowered, Place};
use crate::ast::{Ident, LoopCopy, Mechanism, Span};
use crate::diagnostics::{Code, Diagnostic};
use crate::scm::expr::MatchEx;
use crate::scm::{Ex, Parameter, Type, VarId};
use std::collections::HashMap;

/// What the checker remembers about parameters while lowering.
#[derive(Default)]
pub(super) struct Registry {
    /// `(name, cell values)` → parameter, for named parameters.
    named: HashMap<(String, Vec<u64>), usize>,
    /// A named parameter's index variables, as first written.
    index_of_name: HashMap<String, (Vec<VarId>, Span)>,
    /// Anonymous `?`s seen so far in each variable's mechanism (for their names).
    anonymous: HashMap<VarId, usize>,
    /// `(where the ? is written, cell values)` → parameter, for the copies of an unnamed `?`
    /// a loop repeats (one parameter for them all).
    shared: HashMap<(Span, Vec<u64>), usize>,
}

impl Checker<'_> {
    /// Lowers `?name[index]` in the current mechanism.
    pub(super) fn lower_parameter(
        &mut self,
        name: Option<&str>,
        index: &[Ident],
        copy: &LoopCopy,
        span: Span,
        place: Place,
    ) -> Lowered<(Ex, Type)> {
        let owner = match (place, self.current) {
            (Place::Mechanism, Some(v))
                if matches!(self.decls[v].mechanism, Some(Mechanism::Stochastic(_))) =>
            {
                v
            }
            _ => {
                let d = Diagnostic::error(
                    Code::E013,
                    span,
                    "a `?` parameter belongs in the mechanism of a stochastic variable (`x ~ ...`)",
                )
                .with_help(
                    "parameters are learned from the rows of the variable whose distribution \
                     they shape; write the number here, or move the `?` into a `~` mechanism",
                );
                self.error(d);
                return Err(());
            }
        };
        let mut axes: Vec<(VarId, Vec<f64>)> = Vec::new();
        for ident in index {
            let Some(v) = self.model.find(&ident.name) else {
                self.unknown(&ident.name, ident.span);
                return Err(());
            };
            if !self.decls[v].lowered {
                return Err(());
            }
            if axes.iter().any(|(a, _)| *a == v) {
                self.error(Diagnostic::error(
                    Code::E005,
                    ident.span,
                    format!("`{}` indexes this table twice", ident.name),
                ));
                return Err(());
            }
            let var = &self.model.vars[v];
            let Some(domain) = var.domain.clone() else {
                self.error(
                    Diagnostic::error(
                        Code::E005,
                        ident.span,
                        format!(
                            "a table of parameters needs finite-domain variables, but `{}` is {}",
                            ident.name,
                            var.ty.name()
                        ),
                    )
                    .with_help("index by bools, labels or bounded ints; a real parent enters a linear mean as `? * x`"),
                );
                return Err(());
            };
            axes.push((v, domain));
        }
        let size = crate::config::table_size(axes.iter().map(|(_, d)| d.len()));
        if size.is_none_or(|s| s > self.config.max_match_arms) {
            let limit = self.config.max_match_arms;
            self.error(
                Diagnostic::error(
                    Code::E005,
                    span,
                    format!("this table of parameters has more than {limit} cells"),
                )
                .with_help("index by fewer variables, or write the dependence with arithmetic (`? + ? * x`)"),
            );
            return Err(());
        }
        if let Some(name) = name {
            let vars: Vec<VarId> = axes.iter().map(|(v, _)| *v).collect();
            let name = match copy {
                LoopCopy::Member(_) => format!("{name}[]"),
                _ => name.to_string(),
            };
            let name = name.as_str();
            match self.params.index_of_name.get(name) {
                Some((first, first_span)) if *first != vars => {
                    let first_span = *first_span;
                    self.error(
                        Diagnostic::error(
                            Code::E005,
                            span,
                            format!("the parameter `?{name}` is indexed differently here"),
                        )
                        .with_label(first_span, "first written here")
                        .with_help("a named parameter is one parameter (or one table): index it by the same variables everywhere"),
                    );
                    return Err(());
                }
                Some(_) => {}
                None => {
                    self.params
                        .index_of_name
                        .insert(name.to_string(), (vars, span));
                }
            }
        }
        let ordinal = {
            let n = self.params.anonymous.entry(owner).or_insert(0);
            if name.is_none() {
                *n += 1;
            }
            *n
        };
        let member = match copy {
            LoopCopy::Member(member) => member.clone(),
            LoopCopy::Written | LoopCopy::Shared => Vec::new(),
        };
        // `?name[i]`: the member's own, named `name[3]`.
        let name = name.map(|n| match &member[..] {
            [] => n.to_string(),
            values => {
                let values: Vec<String> = values.iter().map(|(_, k)| k.to_string()).collect();
                format!("{n}[{}]", values.join(", "))
            }
        });
        let mut cells: Vec<Vec<f64>> = vec![Vec::new()];
        for (_, domain) in &axes {
            cells = cells
                .into_iter()
                .flat_map(|prefix| {
                    domain.iter().map(move |x| {
                        let mut cell = prefix.clone();
                        cell.push(*x);
                        cell
                    })
                })
                .collect();
        }
        let mut arms = Vec::with_capacity(cells.len());
        for values in cells {
            let cell: Vec<(VarId, f64)> = axes
                .iter()
                .map(|(v, _)| *v)
                .zip(values.iter().copied())
                .collect();
            let bits: Vec<u64> = values.iter().map(|x| x.to_bits()).collect();
            let id = match &name {
                Some(name) => {
                    let key = (name.clone(), bits);
                    match self.params.named.get(&key) {
                        Some(&id) => id,
                        None => {
                            let id = self.new_parameter(name.clone(), true, owner, cell, span);
                            self.model.parameters[id].member = member.clone();
                            self.params.named.insert(key, id);
                            id
                        }
                    }
                }
                None if *copy == LoopCopy::Shared => {
                    match self.params.shared.get(&(span, bits.clone())) {
                        Some(&id) => id,
                        None => {
                            // Named after the family, not the member that happened to come first.
                            let owner_name = &self.model.vars[owner].name;
                            let family = owner_name.split('[').next().unwrap_or(owner_name);
                            let label = format!("{family}.?{ordinal}");
                            let id = self.new_parameter(label, false, owner, cell, span);
                            self.params.shared.insert((span, bits), id);
                            id
                        }
                    }
                }
                None => {
                    let label = format!("{}.?{ordinal}", self.model.vars[owner].name);
                    let id = self.new_parameter(label, false, owner, cell, span);
                    self.model.parameters[id].member = member.clone();
                    id
                }
            };
            arms.push((values.into_iter().map(Some).collect(), Ex::Param(id)));
        }
        if axes.is_empty() {
            let Some((_, ex)) = arms.pop() else {
                unreachable!("one cell for a scalar parameter")
            };
            return Ok((ex, Type::Real));
        }
        let scrutinees = axes.iter().map(|(v, _)| Ex::Var(*v)).collect();
        Ok((
            Ex::Match(Box::new(MatchEx { scrutinees, arms })),
            Type::Real,
        ))
    }

    fn new_parameter(
        &mut self,
        name: String,
        named: bool,
        variable: VarId,
        cell: Vec<(VarId, f64)>,
        span: Span,
    ) -> usize {
        self.model.parameters.push(Parameter {
            name,
            named,
            variable,
            cell,
            span,
            member: Vec::new(),
        });
        self.model.parameters.len() - 1
    }
}

impl Checker<'_> {
    /// `set prior = k`: a finite number k ≥ 0 of pseudo-observations.
    pub(super) fn prior_setting(&mut self, value: &crate::ast::Expr) -> Lowered<f64> {
        let (ex, ty) = self.lower_expr(value, Place::Constant)?;
        match ex.constant() {
            Some(k) if ty.is_numeric() && k >= 0.0 && k.is_finite() => Ok(k),
            _ => {
                self.error(
                    Diagnostic::error(Code::E005, value.span, "`prior` must be a number ≥ 0")
                        .with_help("`set prior = 1` adds one pseudo-observation of every value to every cell (Laplace's rule)"),
                );
                Err(())
            }
        }
    }
}
