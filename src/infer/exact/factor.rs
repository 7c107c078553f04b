//! Factors built from a plan: each slot's finite domain and the tables over them.
//!
//! Every slot (a variable in a world) the plan computes becomes a factor variable with a
//! finite domain, found by pushing the parents' domains through its mechanism in topological
//! order. Factors:
//! - a deterministic computation: the indicator `slot = f(parents)`;
//! - the stochastic computations that share one noise slot (the same variable in several
//!   worlds, or one stochastic intervention made in several): one joint factor. Its noise `U`
//!   is split at every CDF break point of every world's distribution, so each cell of `U`
//!   yields one value per world — the inverse-CDF coupling the sampler uses, integrated
//!   exactly. With a single world this is the conditional probability table;
//! - evidence: an indicator on the slots it reads (a clamp is `slot = value`);
//! - interventions are graph surgery already done by the plan.
//!
//! A deterministic table over many parent rows is tabulated once per plan: the groups of a
//! plan (an attribution's coalitions) compute the same variable in many worlds from parents
//! with the same domains, and then share its table over the parents' value numbers
//! ([`Tabulated`]).
//!
//! Every table size is computed by [`crate::config::table_size`] and compared with the cap
//! before the table is allocated. This module knows nothing of elimination orders.

use super::cannot;
use super::tables::Lookup;
use crate::ast::Span;
use crate::config::table_size;
use crate::diagnostics::{Code, Diagnostic};
use crate::query::{Comp, Mech, Plan, Step};
use crate::scm::table::CondTable;
use crate::scm::{DistTree, Ex, Model};
use std::collections::HashMap;

/// A table over some slots: `values[index]` with row-major strides (last slot fastest).
#[derive(Clone, Debug)]
pub(super) struct Factor {
    pub slots: Vec<usize>,
    pub cards: Vec<usize>,
    pub values: Vec<f64>,
}

impl Factor {
    /// A factor over no slot: the number `x`.
    pub fn constant(x: f64) -> Factor {
        Factor {
            slots: Vec::new(),
            cards: Vec::new(),
            values: vec![x],
        }
    }

    /// A factor from slices (tests write small factors by hand).
    #[cfg(test)]
    pub fn from_slices(slots: &[usize], cards: &[usize], values: &[f64]) -> Factor {
        Factor {
            slots: slots.to_vec(),
            cards: cards.to_vec(),
            values: values.to_vec(),
        }
    }

    /// This factor with `slot` fixed to its value number `index` (the slot leaves the scope).
    pub fn restrict(&self, slot: usize, index: usize) -> Factor {
        let Some(k) = self.slots.iter().position(|&s| s == slot) else {
            return self.clone();
        };
        let card = self.cards[k];
        let inner: usize = self.cards[k + 1..].iter().product();
        let outer = self.values.len() / (card * inner).max(1);
        let mut values = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            let start = (o * card + index) * inner;
            values.extend_from_slice(&self.values[start..start + inner]);
        }
        let mut slots = self.slots.clone();
        let mut cards = self.cards.clone();
        slots.remove(k);
        cards.remove(k);
        Factor {
            slots,
            cards,
            values,
        }
    }

    /// Where the factor is over one slot and nonzero at exactly one value: that value.
    pub fn single_value(&self) -> Option<usize> {
        if self.slots.len() != 1 {
            return None;
        }
        let mut nonzero = self.values.iter().enumerate().filter(|(_, x)| **x != 0.0);
        let (index, _) = nonzero.next()?;
        nonzero.next().is_none().then_some(index)
    }
}

/// The finite set of values one slot takes, with an index.
#[derive(Clone, Debug, Default)]
pub(super) struct Domain {
    pub values: Vec<f64>,
    pub index: HashMap<u64, usize>,
}

impl Domain {
    pub fn key(x: f64) -> u64 {
        if x == 0.0 { 0 } else { x.to_bits() }
    }

    fn insert(&mut self, x: f64) -> usize {
        let next = self.values.len();
        let i = *self.index.entry(Domain::key(x)).or_insert(next);
        if i == next {
            self.values.push(x);
        }
        i
    }
}

/// Builds the factors of one group of a plan, with the slots' domains.
pub(super) struct Builder<'a> {
    pub plan: &'a Plan,
    model: &'a Model,
    pub group: usize,
    /// Most entries any one table may hold.
    pub cap: usize,
    pub span: Span,
    /// Domain per absolute slot (world · n + var); empty until computed.
    pub domains: Vec<Domain>,
    /// Slot → the slot whose value it copies (a world sharing a computation).
    pub alias: Vec<usize>,
    /// Slot → the slots that copy it.
    followers: Vec<Vec<usize>>,
    pub factors: Vec<Factor>,
    pub vals: Vec<f64>,
    params: Vec<f64>,
    /// Deterministic factors tabulated so far, for the next builder of the same plan.
    pub tabulated: Tabulated,
}

/// Deterministic factors already tabulated, handed from one group's builder to the next: the
/// groups of an attribution (or a decision) compute the same deterministic variable in many
/// worlds whose parents have the same domains, and the table over the parents' value numbers
/// is then the same, only its slots differ.
#[derive(Default)]
pub(super) struct Tabulated {
    /// Per computation, the factor's values and the output slot's domain, in order.
    tables: HashMap<TableKey, (Vec<f64>, Vec<f64>)>,
    /// Entries of the values held.
    entries: usize,
}

impl Tabulated {
    /// Fewest parent rows for which a table is looked up and kept (smaller ones cost less to
    /// tabulate than to key).
    const MIN_ROWS: usize = 64;

    /// Most entries kept over all tables.
    const MAX_ENTRIES: usize = 1 << 22;
}

/// What decides a deterministic factor: the mechanism (its text, which reads the parents
/// relative to its world), the parents' domains in order, the observed value and the output's
/// domain before tabulating.
#[derive(Hash, PartialEq, Eq)]
struct TableKey {
    var: usize,
    mech: String,
    parents: Vec<Vec<u64>>,
    clamp: Option<u64>,
    domain: Vec<u64>,
}

impl<'a> Builder<'a> {
    pub fn new(
        plan: &'a Plan,
        model: &'a Model,
        group: usize,
        cap: usize,
        span: Span,
    ) -> Builder<'a> {
        let n_slots = plan.n_vars * plan.n_worlds;
        let mut builder = Builder {
            plan,
            model,
            group,
            cap,
            span,
            domains: vec![Domain::default(); n_slots],
            alias: (0..n_slots).collect(),
            followers: vec![Vec::new(); n_slots],
            factors: Vec::new(),
            vals: vec![0.0; n_slots],
            params: Vec::new(),
            tabulated: Tabulated::default(),
        };
        // Worlds that share a computation copy its slot.
        let n = plan.n_vars;
        for step in &plan.steps {
            for c in step.comps.iter().filter(|c| c.group == group) {
                for &w in &c.copies {
                    builder.alias[w * n + step.var] = c.world * n + step.var;
                    builder.followers[c.world * n + step.var].push(w * n + step.var);
                }
            }
        }
        builder
    }

    /// Builds the factors of the group that can matter for `targets` (slots): the mechanisms
    /// and evidence indicators in the parts of the graph that reach a target or an indicator
    /// once observed variables are cut out (see [`super::prune`]). An observed variable's domain is its
    /// observed value alone, so the tables that read it hold only that row. Returns the
    /// observed slots, each at its only value (index 0).
    pub fn build_relevant(&mut self, targets: &[usize]) -> Result<Vec<(usize, usize)>, Diagnostic> {
        let plan = self.plan;
        let n = plan.n_vars;
        let n_slots = plan.n_vars * plan.n_worlds;
        let mut observed: Vec<Option<f64>> = vec![None; n_slots];
        let mut units: Vec<(usize, Vec<&'a Comp>)> = Vec::new();
        let mut scopes: Vec<Vec<usize>> = Vec::new();
        let mut outputs: Vec<Vec<usize>> = Vec::new();
        for (i, step) in plan.steps.iter().enumerate() {
            for members in self.noise_groups(step) {
                let mut scope: Vec<usize> = Vec::new();
                let mut own = Vec::with_capacity(members.len());
                for c in &members {
                    let slot = c.world * n + step.var;
                    if let Some(x) = c.clamp {
                        observed[slot] = Some(x);
                    }
                    scope.extend(plan.reads.of(slot).iter().map(|&s| self.alias[s]));
                    scope.push(slot);
                    own.push(slot);
                }
                scopes.push(scope);
                outputs.push(own);
                units.push((i, members));
            }
        }
        // Evidence that is not a clamp (`y` for a deterministic `y`, `x > 2`) can contradict
        // the rest: its part is built too, so that absorption finds the contradiction (E007).
        let mut seeds = targets.to_vec();
        let indicators = &plan.groups[self.group].indicators;
        let mut evidence: Vec<usize> = (0..n_slots).filter(|&s| observed[s].is_some()).collect();
        for e in indicators {
            slots_of(e, &mut |s| evidence.push(self.alias[s]));
        }
        super::prune::drop_barren(&mut scopes, &outputs, &seeds, &evidence, n_slots);
        for e in indicators {
            let mut scope = Vec::new();
            slots_of(e, &mut |s| scope.push(self.alias[s]));
            seeds.extend_from_slice(&scope);
            scopes.push(scope);
        }
        let keep = super::prune::relevant(&scopes, &|s| observed[s].is_some(), &seeds, n_slots);
        let mut fixed = Vec::new();
        for (slot, x) in observed.iter().enumerate() {
            if let Some(x) = x {
                self.domains[slot].insert(*x);
                fixed.push((slot, 0));
            }
        }
        for (k, (i, members)) in units.into_iter().enumerate() {
            if k % 256 == 0 {
                crate::infer::check_cancel()?;
            }
            if keep[k] {
                let step = &plan.steps[i];
                let outputs: Vec<Output> = members
                    .iter()
                    .map(|c| Output::of(c, step.var, n, c.clamp))
                    .collect();
                self.mechanism_factor(step.var, &outputs)?;
            }
        }
        let first_indicator = keep.len() - indicators.len();
        for (e, keep) in indicators.iter().zip(&keep[first_indicator..]) {
            if *keep {
                self.evidence_factor(e, None)?;
            }
        }
        Ok(fixed)
    }

    /// `step`'s computations in this builder's group, by factor: those sharing a noise slot
    /// together, each deterministic one alone.
    fn noise_groups(&self, step: &'a Step) -> Vec<Vec<&'a Comp>> {
        let mut groups: Vec<(usize, Vec<&'a Comp>)> = Vec::new();
        for c in step.comps.iter().filter(|c| c.group == self.group) {
            match noise_slot(&c.mech) {
                Some(noise) => match groups.iter_mut().find(|(s, _)| *s == noise) {
                    Some((_, list)) => list.push(c),
                    None => groups.push((noise, vec![c])),
                },
                None => groups.push((usize::MAX, vec![c])),
            }
        }
        groups.into_iter().map(|(_, members)| members).collect()
    }

    /// Pushes one mechanism factor per noise group of `step`'s computations in this builder's
    /// group, evidence not applied (the sampler's tables apply it themselves). Returns each
    /// factor's members.
    pub fn step_factors(&mut self, step: &'a Step) -> Result<Vec<Vec<&'a Comp>>, Diagnostic> {
        let n = self.plan.n_vars;
        let groups = self.noise_groups(step);
        for members in &groups {
            let outputs: Vec<Output> = members
                .iter()
                .map(|c| Output::of(c, step.var, n, None))
                .collect();
            self.mechanism_factor(step.var, &outputs)?;
        }
        Ok(groups)
    }

    /// The factor of the computations sharing one noise slot (or one deterministic one).
    fn mechanism_factor(&mut self, var: usize, outputs: &[Output]) -> Result<(), Diagnostic> {
        let model = self.model;
        if let [o] = outputs
            && let Mech::Stoch { tree, .. } = o.mech
            && let Some(table) = model.vars[var].table_of(tree)
        {
            return self.table_factor(var, o, table);
        }
        let mut parents: Vec<usize> = Vec::new();
        for o in outputs {
            for &s in self.plan.reads.of(o.slot) {
                let s = self.alias[s];
                if s != o.slot && !parents.contains(&s) {
                    parents.push(s);
                }
            }
        }
        let parent_cards = self.cards(&parents);
        let n_rows = self
            .within_cap(&parent_cards)
            .ok_or_else(|| self.too_large(var))?;
        if let [o] = outputs
            && noise_slot(o.mech).is_none()
        {
            return self.deterministic_factor(var, o, parents, parent_cards, n_rows);
        }
        // Each parent assignment's outcomes: (value per output, probability).
        let mut rows: Vec<Vec<(Vec<usize>, f64)>> = Vec::with_capacity(n_rows);
        let mut assignment = vec![0usize; parents.len()];
        for _ in 0..n_rows {
            self.assign(&parents, &assignment);
            let outcomes = self.outcomes(var, outputs)?;
            let mut indexed = Vec::with_capacity(outcomes.len());
            for (values, p) in outcomes {
                // Outcomes that contradict an observed output are impossible here.
                if values
                    .iter()
                    .zip(outputs)
                    .any(|(x, o)| o.clamp.is_some_and(|c| Domain::key(c) != Domain::key(*x)))
                {
                    continue;
                }
                let idx = values
                    .iter()
                    .zip(outputs)
                    .map(|(x, o)| self.domains[o.slot].insert(*x))
                    .collect();
                indexed.push((idx, p));
            }
            rows.push(indexed);
            advance(&mut assignment, &parent_cards);
        }
        let mut slots = parents.clone();
        let mut cards = parent_cards.clone();
        for o in outputs {
            slots.push(o.slot);
            cards.push(self.domains[o.slot].values.len());
        }
        let size = self.within_cap(&cards).ok_or_else(|| self.too_large(var))?;
        let out_cards = &cards[parents.len()..];
        let out_size: usize = out_cards.iter().product();
        let mut values = vec![0.0; size];
        for (r, outcomes) in rows.iter().enumerate() {
            for (idx, p) in outcomes {
                let mut offset = 0;
                for (k, &i) in idx.iter().enumerate() {
                    offset = offset * out_cards[k] + i;
                }
                values[r * out_size + offset] += p;
            }
        }
        self.factors.push(Factor {
            slots,
            cards,
            values,
        });
        Ok(())
    }

    /// The indicator factor `slot = f(parents)` of one deterministic computation: the factor
    /// [`Builder::mechanism_factor`] computes through outcomes, built row by row without them
    /// (one value per row, no allocation per row).
    fn deterministic_factor(
        &mut self,
        var: usize,
        o: &Output,
        parents: Vec<usize>,
        parent_cards: Vec<usize>,
        n_rows: usize,
    ) -> Result<(), Diagnostic> {
        let clamp = o.clamp.map(Domain::key);
        let key = (n_rows >= Tabulated::MIN_ROWS).then(|| TableKey {
            var,
            mech: format!("{:?}", o.mech),
            parents: parents
                .iter()
                .map(|&p| {
                    self.domains[p]
                        .values
                        .iter()
                        .map(|&x| Domain::key(x))
                        .collect()
                })
                .collect(),
            clamp,
            domain: self.domains[o.slot]
                .values
                .iter()
                .map(|&x| Domain::key(x))
                .collect(),
        });
        if let Some(key) = &key
            && let Some((values, domain)) = self.tabulated.tables.get(key)
        {
            let values = values.clone();
            for &x in domain {
                self.domains[o.slot].insert(x);
            }
            let mut cards = parent_cards;
            cards.push(domain.len());
            let mut slots = parents;
            slots.push(o.slot);
            self.factors.push(Factor {
                slots,
                cards,
                values,
            });
            return Ok(());
        }
        // Per row, the index of its value (`None`: the value contradicts the observed one).
        let mut column: Vec<Option<usize>> = Vec::with_capacity(n_rows);
        let mut assignment = vec![0usize; parents.len()];
        for r in 0..n_rows {
            if r % 4096 == 4095 {
                crate::infer::check_cancel()?;
            }
            self.assign(&parents, &assignment);
            let x = self.deterministic(o, o.mech)?;
            column.push(
                clamp
                    .is_none_or(|k| k == Domain::key(x))
                    .then(|| self.domains[o.slot].insert(x)),
            );
            advance(&mut assignment, &parent_cards);
        }
        let out_card = self.domains[o.slot].values.len();
        let mut factor = self.zero_factor(var, parents, parent_cards, o.slot)?;
        for (r, c) in column.iter().enumerate() {
            if let Some(c) = c {
                factor.values[r * out_card + c] = 1.0;
            }
        }
        if let Some(key) = key
            && self.tabulated.entries + factor.values.len() <= Tabulated::MAX_ENTRIES
        {
            self.tabulated.entries += factor.values.len();
            let domain = self.domains[o.slot].values.clone();
            self.tabulated
                .tables
                .insert(key, (factor.values.clone(), domain));
        }
        self.factors.push(factor);
        Ok(())
    }

    /// The factor over `parents` (their numbers of values `parent_cards`) and then `out`, at
    /// the output's domain as built so far, every entry 0; E010 past the cap.
    fn zero_factor(
        &self,
        var: usize,
        mut parents: Vec<usize>,
        mut cards: Vec<usize>,
        out: usize,
    ) -> Result<Factor, Diagnostic> {
        cards.push(self.domains[out].values.len());
        let size = self.within_cap(&cards).ok_or_else(|| self.too_large(var))?;
        parents.push(out);
        Ok(Factor {
            slots: parents,
            cards,
            values: vec![0.0; size],
        })
    }

    /// The factor of one computation whose mechanism is its variable's own table: rows copied
    /// from the table, the same factor [`Builder::mechanism_factor`] computes arm by arm.
    fn table_factor(
        &mut self,
        var: usize,
        o: &Output,
        table: &CondTable,
    ) -> Result<(), Diagnostic> {
        let parents: Vec<usize> = table
            .parents
            .iter()
            .map(|&p| self.alias[o.base + p])
            .collect();
        let parent_cards = self.cards(&parents);
        let n_rows = self
            .within_cap(&parent_cards)
            .ok_or_else(|| self.too_large(var))?;
        // Each parent value's offset into the table's rows (`None`: no arm matches it).
        let mut stride = 1;
        let mut offsets: Vec<Vec<Option<usize>>> = vec![Vec::new(); parents.len()];
        for k in (0..parents.len()).rev() {
            offsets[k] = self.domains[parents[k]]
                .values
                .iter()
                .map(|&x| table.position(k, x).map(|p| p * stride))
                .collect();
            stride *= table.sizes[k];
        }
        let clamp = o.clamp.map(Domain::key);
        // Per factor row, the table row; output values enter the domain in the order the
        // arm-by-arm computation would meet them.
        let mut column_index: Vec<Option<usize>> = vec![None; table.values.len()];
        let mut rows: Vec<&[f64]> = Vec::with_capacity(n_rows);
        let mut assignment = vec![0usize; parents.len()];
        for r in 0..n_rows {
            if r % 4096 == 4095 {
                crate::infer::check_cancel()?;
            }
            let row = assignment
                .iter()
                .zip(&offsets)
                .try_fold(0, |sum, (&i, offsets)| Some(sum + offsets[i]?))
                .and_then(|row| table.row(row));
            let Some(row) = row else {
                let v = &self.model.vars[var];
                return Err(Diagnostic::error(
                    Code::E006,
                    v.span,
                    format!("no match arm covers the values of `{}`'s parents", v.name),
                ));
            };
            for (c, &p) in row.iter().enumerate() {
                if p > 0.0 && column_index[c].is_none() {
                    let x = table.values[c];
                    if clamp.is_none_or(|k| k == Domain::key(x)) {
                        column_index[c] = Some(self.domains[o.slot].insert(x));
                    }
                }
            }
            rows.push(row);
            advance(&mut assignment, &parent_cards);
        }
        let out_card = self.domains[o.slot].values.len();
        let mut factor = self.zero_factor(var, parents, parent_cards, o.slot)?;
        for (row, out) in rows.iter().zip(factor.values.chunks_mut(out_card.max(1))) {
            for (&p, c) in row.iter().zip(&column_index) {
                if let Some(c) = c {
                    out[*c] += p;
                }
            }
        }
        self.factors.push(factor);
        Ok(())
    }

    /// The joint outcomes of `outputs` for the current parent values.
    fn outcomes(
        &mut self,
        var: usize,
        outputs: &[Output],
    ) -> Result<Vec<(Vec<f64>, f64)>, Diagnostic> {
        let v = &self.model.vars[var];
        // Deterministic (possibly shifted deterministic) computations: one outcome.
        if outputs.len() == 1 && noise_slot(outputs[0].mech).is_none() {
            let x = self.deterministic(&outputs[0], outputs[0].mech)?;
            return Ok(vec![(vec![x], 1.0)]);
        }
        // Each output's distribution (after selecting the mixture branch) and its shift.
        let mut dists = Vec::with_capacity(outputs.len());
        for o in outputs {
            let (tree, shift) =
                match o.mech {
                    Mech::Stoch { tree, .. } => (tree, None),
                    Mech::Shift { natural, shift } => match &**natural {
                        Mech::Stoch { tree, .. } => (tree, Some(shift)),
                        _ => {
                            return Err(cannot(
                                self.span,
                                "nested shifts are not supported by exact inference".to_string(),
                            ));
                        }
                    },
                    Mech::Det(_) => return Err(cannot(
                        self.span,
                        "this is a bug in whatif: a deterministic computation shares a noise slot"
                            .to_string(),
                    )),
                };
            let (kind, params) = self.leaf(tree, o.base, var)?;
            let Some(support) = kind.support(&params) else {
                return Err(cannot(
                    v.span,
                    format!(
                        "`--method exact` needs finite domains or a linear-Gaussian model; `{}` is drawn from {}, whose support is {}",
                        v.name,
                        kind.name(),
                        if kind.value_type() == crate::scm::Type::Real {
                            "real"
                        } else {
                            "unbounded"
                        }
                    ),
                ));
            };
            dists.push((o, kind, params, support, shift));
        }
        let mut out = Vec::new();
        if dists.len() == 1 {
            let (o, kind, params, support, shift) = &dists[0];
            for &x in support {
                let p = kind.log_density(params, x).exp();
                if p > 0.0 {
                    out.push((vec![self.shifted(o, x, *shift)?], p));
                }
            }
            return Ok(out);
        }
        // Several worlds share this noise: split U at every break point.
        let mut breaks: Vec<f64> = vec![0.0, 1.0];
        for (_, kind, params, support, _) in &dists {
            for &x in support {
                let f = kind.cdf(params, x);
                if f > 0.0 && f < 1.0 {
                    breaks.push(f);
                }
            }
        }
        breaks.sort_by(f64::total_cmp);
        breaks.dedup();
        for cell in breaks.windows(2) {
            let mass = cell[1] - cell[0];
            if mass <= 0.0 {
                continue;
            }
            let u = 0.5 * (cell[0] + cell[1]);
            let mut values = Vec::with_capacity(dists.len());
            for (o, kind, params, _, shift) in &dists {
                let x = kind.quantile(params, u);
                values.push(self.shifted(o, x, *shift)?);
            }
            out.push((values, mass));
        }
        Ok(out)
    }

    fn shifted(&mut self, o: &Output, natural: f64, shift: Option<&Ex>) -> Result<f64, Diagnostic> {
        match shift {
            None => Ok(natural),
            Some(e) => {
                self.vals[o.slot] = natural;
                let x = e.eval(&self.vals, o.base);
                self.finite(o.slot, x)
            }
        }
    }

    fn deterministic(&mut self, o: &Output, mech: &Mech) -> Result<f64, Diagnostic> {
        let x = match mech {
            Mech::Det(e) => e.eval(&self.vals, o.base),
            Mech::Shift { natural, shift } => {
                let natural = self.deterministic(o, natural)?;
                self.vals[o.slot] = natural;
                shift.eval(&self.vals, o.base)
            }
            Mech::Stoch { .. } => return Err(cannot(self.span, "this is a bug in whatif: a stochastic computation was taken for a deterministic one".to_string())),
        };
        self.finite(o.slot, x)
    }

    fn finite(&self, slot: usize, x: f64) -> Result<f64, Diagnostic> {
        if x.is_finite() {
            return Ok(x);
        }
        let v = &self.model.vars[slot % self.plan.n_vars];
        Err(Diagnostic::error(
            Code::E006,
            v.span,
            format!("`{}` is {x} for some values of its parents", v.name),
        ))
    }

    /// The selected leaf's distribution and validated parameters.
    fn leaf(
        &mut self,
        tree: &DistTree,
        base: usize,
        var: usize,
    ) -> Result<(crate::scm::dist::DistKind, Vec<f64>), Diagnostic> {
        let v = &self.model.vars[var];
        let Some(leaf) = tree.select(&self.vals, base) else {
            return Err(Diagnostic::error(
                Code::E006,
                v.span,
                format!("no match arm covers the values of `{}`'s parents", v.name),
            ));
        };
        leaf.eval_params(&self.vals, base, &mut self.params);
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
        Ok((leaf.kind.clone(), self.params.clone()))
    }

    /// Sets a slot and every slot that copies it.
    pub fn set(&mut self, slot: usize, x: f64) {
        self.vals[slot] = x;
        for &s in &self.followers[slot] {
            self.vals[s] = x;
        }
    }

    /// `e` tabulated over the domains of the slots it reads (as 0/1 when `truth`).
    pub fn lookup(&mut self, e: &Ex, truth: bool) -> Result<Lookup, Diagnostic> {
        let too_big = format!("a table of more than {} entries", self.cap);
        self.tabulate(e, too_big, |x| if truth { indicator(x != 0.0) } else { x })
    }

    /// An indicator factor: `e` (or `e = value`) holds.
    pub fn evidence_factor(&mut self, e: &Ex, value: Option<f64>) -> Result<(), Diagnostic> {
        let too_big = format!(
            "the evidence table would hold more than {} entries",
            self.cap
        );
        let Lookup {
            slots,
            cards,
            values,
        } = self.tabulate(e, too_big, |x| {
            indicator(match value {
                Some(v) => x == v,
                None => x != 0.0,
            })
        })?;
        self.factors.push(Factor {
            slots,
            cards,
            values,
        });
        Ok(())
    }

    /// `entry(e)` over every joint value of the slots `e` reads (through aliases), last slot
    /// fastest; `too_big` says what would exceed the cap.
    fn tabulate(
        &mut self,
        e: &Ex,
        too_big: String,
        entry: impl Fn(f64) -> f64,
    ) -> Result<Lookup, Diagnostic> {
        let mut slots: Vec<usize> = Vec::new();
        slots_of(e, &mut |s| {
            let s = self.alias[s];
            if !slots.contains(&s) {
                slots.push(s);
            }
        });
        let cards = self.cards(&slots);
        let size = self
            .within_cap(&cards)
            .ok_or_else(|| cannot(self.span, too_big))?;
        let mut values = vec![0.0; size];
        let mut assignment = vec![0usize; slots.len()];
        for value in values.iter_mut() {
            self.assign(&slots, &assignment);
            *value = entry(e.eval(&self.vals, 0));
            advance(&mut assignment, &cards);
        }
        Ok(Lookup {
            slots,
            cards,
            values,
        })
    }

    /// The domain sizes of `slots`.
    fn cards(&self, slots: &[usize]) -> Vec<usize> {
        slots
            .iter()
            .map(|&s| self.domains[s].values.len())
            .collect()
    }

    /// Sets each of `slots` (and its copies) to its value numbered `assignment`.
    fn assign(&mut self, slots: &[usize], assignment: &[usize]) {
        for (&s, &i) in slots.iter().zip(assignment) {
            self.set(s, self.domains[s].values[i]);
        }
    }

    /// The entries of a table over these domain sizes, or `None` above the cap (or overflow).
    fn within_cap(&self, cards: &[usize]) -> Option<usize> {
        table_size(cards.iter().copied()).filter(|&size| size <= self.cap)
    }

    fn too_large(&self, var: usize) -> Diagnostic {
        cannot(
            self.span,
            format!(
                "the table of `{}` given its parents would hold more than {} entries",
                self.model.vars[var].name, self.cap
            ),
        )
    }
}

/// The noise slot of a stochastic computation (through a shift), if any.
pub(super) fn noise_slot(mech: &Mech) -> Option<usize> {
    match mech {
        Mech::Stoch { slot, .. } => Some(*slot),
        Mech::Shift { natural, .. } => noise_slot(natural),
        Mech::Det(_) => None,
    }
}

/// One computation of a factor: the slot it writes, its world's base offset, its mechanism.
struct Output<'m> {
    slot: usize,
    base: usize,
    mech: &'m Mech,
    /// The observed value, when evidence fixes this output.
    clamp: Option<f64>,
}

impl<'m> Output<'m> {
    /// Computation `c` of variable `var` (`n` variables to a world), observed at `clamp`.
    fn of(c: &'m Comp, var: usize, n: usize, clamp: Option<f64>) -> Output<'m> {
        Output {
            slot: c.world * n + var,
            base: c.world * n,
            mech: &c.mech,
            clamp,
        }
    }
}

/// The slots a plan-level expression (targets, evidence) reads: its own slots, and its
/// variables, which are the factual world's (world 0) slots.
pub(super) fn slots_of(e: &Ex, f: &mut impl FnMut(usize)) {
    e.visit_nodes(&mut |node| match node {
        Ex::Slot(s) | Ex::Var(s) => f(*s),
        _ => {}
    });
}

/// 1 where `holds`, else 0.
fn indicator(holds: bool) -> f64 {
    if holds { 1.0 } else { 0.0 }
}

/// Steps a mixed-radix counter (last position fastest).
pub(super) fn advance(assignment: &mut [usize], cards: &[usize]) {
    for k in (0..assignment.len()).rev() {
        assignment[k] += 1;
        if assignment[k] < cards[k] {
            return;
        }
        assignment[k] = 0;
    }
}
