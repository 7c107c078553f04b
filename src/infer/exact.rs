//! Exact inference for finite models: variable elimination over the same [`Plan`] sampling
//! uses, counterfactual worlds included (a twin network over the noise intervals).
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
//! Then the slots the targets do not read are summed out in a greedy min-fill order, and the
//! targets are evaluated over the joint table that remains.
//!
//! Limits, stated as E010: real or unbounded supports (naming the variable), the distribution
//! of a real quantity, and factors larger than `cap` entries.
//!
//! **Invariant:** does no I/O; answers carry a standard error of 0.

use crate::ast::Span;
use crate::diagnostics::{Code, Diagnostic};
use crate::query::{Comp, Mech, Plan, Step, TargetKind};
use crate::scm::{DistTree, Ex, Model};
use std::collections::{BTreeSet, HashMap};

/// Sums of one exact computation, per group: total mass and per-target sums.
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

/// A table over some slots: `values[index]` with row-major strides (last slot fastest).
#[derive(Clone, Debug)]
struct Factor {
    slots: Vec<usize>,
    cards: Vec<usize>,
    values: Vec<f64>,
}

impl Factor {
    fn len_of(cards: &[usize]) -> usize {
        // Saturating: a product that overflows is over every cap, never a wrapped small size.
        crate::config::table_size(cards.iter().copied()).unwrap_or(usize::MAX)
    }
}

/// The finite set of values one slot takes, with an index.
#[derive(Clone, Debug, Default)]
struct Domain {
    values: Vec<f64>,
    index: HashMap<u64, usize>,
}

impl Domain {
    fn key(x: f64) -> u64 {
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

/// Computes every group of a plan exactly. `cap` bounds the entries of any one factor.
pub fn solve(plan: &Plan, model: &Model, cap: u64, span: Span) -> Result<Vec<Sums>, Diagnostic> {
    if let Some(_t) = plan
        .groups
        .iter()
        .flat_map(|g| &g.targets)
        .find(|t| t.kind == TargetKind::Real)
    {
        return Err(cannot(
            span,
            "`--method exact` needs finite domains; this asks for the distribution of a real quantity"
                .to_string(),
        ));
    }
    (0..plan.groups.len())
        .map(|g| Solver::new(plan, model, g, cap, span).run())
        .collect()
}

/// A finite single-group plan as tables, for the compiled sampler (`infer::compiled`).
/// Counterfactual worlds are included: the computations that share one noise slot form one
/// table whose columns are their joint values (the twin network of the exact engine).
pub struct Tables {
    /// Per table, in order.
    pub steps: Vec<TableStep>,
    /// Each evidence indicator as a 0/1 lookup over the slots it reads.
    pub indicators: Vec<Lookup>,
    /// Each target as a lookup of its value over the slots it reads.
    pub targets: Vec<Lookup>,
    /// Number of slots.
    pub n_slots: usize,
}

/// One table: `P(outputs | parents)`, rows in mixed radix over the parents and columns over
/// the outputs (last fastest in both).
pub struct TableStep {
    /// (slot, domain size) of each output.
    pub outputs: Vec<(usize, usize)>,
    pub parents: Vec<usize>,
    pub parent_cards: Vec<usize>,
    /// Columns per row: the product of the outputs' domain sizes.
    pub k: usize,
    /// Probabilities, with the columns that contradict evidence set to zero.
    pub probabilities: Vec<f64>,
    /// Whether evidence restricts the columns (each row's remaining mass is a weight).
    pub clamped: bool,
    /// Where evidence leaves one column for every row: that column.
    pub fixed_column: Option<usize>,
}

/// A function of a few slots, tabulated over their domains.
pub struct Lookup {
    pub slots: Vec<usize>,
    pub cards: Vec<usize>,
    pub values: Vec<f64>,
}

/// Tabulates a single-group plan whose domains are all finite; `cap` bounds every table.
/// E010 where that is not possible.
pub fn tables(plan: &Plan, model: &Model, cap: u64, span: Span) -> Result<Tables, Diagnostic> {
    if plan.groups.len() != 1 {
        return Err(cannot(span, "tables are built for one group".to_string()));
    }
    let n = plan.n_vars;
    let mut solver = Solver::new(plan, model, 0, cap, span);
    let mut steps = Vec::new();
    for step in &plan.steps {
        let start = solver.factors.len();
        let groups = solver.step_factors(step)?;
        let factors = solver.factors.split_off(start);
        for (members, factor) in groups.into_iter().zip(factors) {
            let outputs: Vec<usize> = members.iter().map(|c| c.world * n + step.var).collect();
            let n_parents = factor.slots.len() - outputs.len();
            let out_cards = factor.cards[n_parents..].to_vec();
            let k = Factor::len_of(&out_cards);
            let mut probabilities = factor.values;
            // Evidence: keep only the columns that agree with every observed output.
            let mut allowed = vec![true; k];
            let mut clamped = false;
            for (o, comp) in members.iter().enumerate() {
                let Some(x) = comp.clamp else { continue };
                clamped = true;
                let position = solver.domains[outputs[o]]
                    .index
                    .get(&Domain::key(x))
                    .copied();
                let divisor: usize = out_cards[o + 1..].iter().product();
                for (column, ok) in allowed.iter_mut().enumerate() {
                    if Some((column / divisor) % out_cards[o]) != position {
                        *ok = false;
                    }
                }
            }
            if clamped {
                for row in probabilities.chunks_mut(k.max(1)) {
                    for (p, ok) in row.iter_mut().zip(&allowed) {
                        if !ok {
                            *p = 0.0;
                        }
                    }
                }
            }
            let single: Vec<usize> = (0..k).filter(|&c| allowed[c]).collect();
            let fixed_column = (clamped && single.len() == 1).then(|| single[0]);
            steps.push(TableStep {
                outputs: outputs
                    .iter()
                    .copied()
                    .zip(out_cards.iter().copied())
                    .collect(),
                parents: factor.slots[..n_parents].to_vec(),
                parent_cards: factor.cards[..n_parents].to_vec(),
                k,
                probabilities,
                clamped,
                fixed_column,
            });
        }
    }
    let group = &plan.groups[0];
    let indicators = group
        .indicators
        .iter()
        .map(|e| solver.lookup(e, true))
        .collect::<Result<_, _>>()?;
    let targets = group
        .targets
        .iter()
        .map(|t| solver.lookup(&t.expr, false))
        .collect::<Result<_, _>>()?;
    Ok(Tables {
        steps,
        indicators,
        targets,
        n_slots: plan.n_vars * plan.n_worlds,
    })
}

struct Solver<'a> {
    plan: &'a Plan,
    model: &'a Model,
    group: usize,
    cap: u64,
    span: Span,
    /// Domain per absolute slot (world · n + var); empty until computed.
    domains: Vec<Domain>,
    /// Slot → the slot whose value it copies (a world sharing a computation).
    alias: Vec<usize>,
    /// Slot → the slots that copy it.
    followers: Vec<Vec<usize>>,
    factors: Vec<Factor>,
    vals: Vec<f64>,
    params: Vec<f64>,
}

impl<'a> Solver<'a> {
    fn new(plan: &'a Plan, model: &'a Model, group: usize, cap: u64, span: Span) -> Solver<'a> {
        let n_slots = plan.n_vars * plan.n_worlds;
        Solver {
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
        }
    }

    fn run(mut self) -> Result<Sums, Diagnostic> {
        let n = self.plan.n_vars;
        for step in &self.plan.steps {
            for members in self.step_factors(step)? {
                for comp in members {
                    if let Some(x) = comp.clamp {
                        let slot = comp.world * n + step.var;
                        self.evidence_factor(&Ex::Slot(slot), Some(x))?;
                    }
                }
            }
        }
        let group = &self.plan.groups[self.group];
        for e in &group.indicators {
            self.evidence_factor(e, None)?;
        }
        let mut kept: BTreeSet<usize> = BTreeSet::new();
        for t in &group.targets {
            slots_of(&t.expr, &mut |s| {
                kept.insert(self.alias[s]);
            });
        }
        let joint = self.eliminate(&kept)?;
        self.evaluate(&joint)
    }

    /// Pushes one mechanism factor per noise group of `step`'s computations in this solver's
    /// group (the computations sharing a noise slot together, each deterministic one alone),
    /// registering worlds that copy a computation as aliases. Returns each factor's members.
    fn step_factors(&mut self, step: &'a Step) -> Result<Vec<Vec<&'a Comp>>, Diagnostic> {
        let n = self.plan.n_vars;
        let mut groups: Vec<(usize, Vec<&'a Comp>)> = Vec::new();
        for c in step.comps.iter().filter(|c| c.group == self.group) {
            for &w in &c.copies {
                self.alias[w * n + step.var] = c.world * n + step.var;
                self.followers[c.world * n + step.var].push(w * n + step.var);
            }
            match noise_slot(&c.mech) {
                Some(noise) => match groups.iter_mut().find(|(s, _)| *s == noise) {
                    Some((_, list)) => list.push(c),
                    None => groups.push((noise, vec![c])),
                },
                None => groups.push((usize::MAX, vec![c])),
            }
        }
        let mut out = Vec::with_capacity(groups.len());
        for (_, members) in groups {
            let outputs: Vec<Output> = members
                .iter()
                .map(|c| Output {
                    slot: c.world * n + step.var,
                    base: c.world * n,
                    mech: &c.mech,
                })
                .collect();
            self.mechanism_factor(step.var, &outputs)?;
            out.push(members);
        }
        Ok(out)
    }

    /// The factor of the computations sharing one noise slot (or one deterministic one).
    fn mechanism_factor(&mut self, var: usize, outputs: &[Output]) -> Result<(), Diagnostic> {
        let mut parents: Vec<usize> = Vec::new();
        for o in outputs {
            mech_slots(o.mech, o.base, o.slot, &mut |s| {
                let s = self.alias[s];
                if s != o.slot && !parents.contains(&s) {
                    parents.push(s);
                }
            });
        }
        let parent_cards: Vec<usize> = parents
            .iter()
            .map(|&p| self.domains[p].values.len())
            .collect();
        let n_rows = Factor::len_of(&parent_cards);
        if n_rows as u64 > self.cap {
            return Err(self.too_large(var));
        }
        // Each parent assignment's outcomes: (value per output, probability).
        let mut rows: Vec<Vec<(Vec<usize>, f64)>> = Vec::with_capacity(n_rows);
        let mut assignment = vec![0usize; parents.len()];
        for _ in 0..n_rows {
            for (k, &p) in parents.iter().enumerate() {
                self.set(p, self.domains[p].values[assignment[k]]);
            }
            let outcomes = self.outcomes(var, outputs)?;
            let mut indexed = Vec::with_capacity(outcomes.len());
            for (values, p) in outcomes {
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
        let size = Factor::len_of(&cards);
        if size as u64 > self.cap {
            return Err(self.too_large(var));
        }
        let out_cards = &cards[parents.len()..];
        let out_size = Factor::len_of(out_cards);
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
    fn set(&mut self, slot: usize, x: f64) {
        self.vals[slot] = x;
        for &s in &self.followers[slot] {
            self.vals[s] = x;
        }
    }

    /// `e` tabulated over the domains of the slots it reads (as 0/1 when `truth`).
    fn lookup(&mut self, e: &Ex, truth: bool) -> Result<Lookup, Diagnostic> {
        let mut slots: Vec<usize> = Vec::new();
        slots_of(e, &mut |s| {
            let s = self.alias[s];
            if !slots.contains(&s) {
                slots.push(s);
            }
        });
        let cards: Vec<usize> = slots
            .iter()
            .map(|&s| self.domains[s].values.len())
            .collect();
        let size = Factor::len_of(&cards);
        if size as u64 > self.cap {
            return Err(cannot(
                self.span,
                format!("a table of more than {} entries", self.cap),
            ));
        }
        let mut values = vec![0.0; size];
        let mut assignment = vec![0usize; slots.len()];
        for entry in values.iter_mut() {
            for (k, &s) in slots.iter().enumerate() {
                self.set(s, self.domains[s].values[assignment[k]]);
            }
            let x = e.eval(&self.vals, 0);
            *entry = if truth {
                if x != 0.0 { 1.0 } else { 0.0 }
            } else {
                x
            };
            advance(&mut assignment, &cards);
        }
        Ok(Lookup {
            slots,
            cards,
            values,
        })
    }

    /// An indicator factor: `e` (or `e = value`) holds.
    fn evidence_factor(&mut self, e: &Ex, value: Option<f64>) -> Result<(), Diagnostic> {
        let mut slots: Vec<usize> = Vec::new();
        slots_of(e, &mut |s| {
            let s = self.alias[s];
            if !slots.contains(&s) {
                slots.push(s);
            }
        });
        let cards: Vec<usize> = slots
            .iter()
            .map(|&s| self.domains[s].values.len())
            .collect();
        let size = Factor::len_of(&cards);
        if size as u64 > self.cap {
            return Err(cannot(
                self.span,
                format!(
                    "the evidence table would hold more than {} entries",
                    self.cap
                ),
            ));
        }
        let mut values = vec![0.0; size];
        let mut assignment = vec![0usize; slots.len()];
        for entry in values.iter_mut() {
            for (k, &s) in slots.iter().enumerate() {
                self.set(s, self.domains[s].values[assignment[k]]);
            }
            let x = e.eval(&self.vals, 0);
            let holds = match value {
                Some(v) => x == v,
                None => x != 0.0,
            };
            *entry = if holds { 1.0 } else { 0.0 };
            advance(&mut assignment, &cards);
        }
        self.factors.push(Factor {
            slots,
            cards,
            values,
        });
        Ok(())
    }

    /// Sums out every slot not in `kept`, min-fill first; returns the product over `kept`.
    fn eliminate(&mut self, kept: &BTreeSet<usize>) -> Result<Factor, Diagnostic> {
        let mut factors = std::mem::take(&mut self.factors);
        loop {
            let mut candidates: BTreeSet<usize> = BTreeSet::new();
            for f in &factors {
                candidates.extend(f.slots.iter().filter(|s| !kept.contains(s)));
            }
            let Some(&next) = candidates
                .iter()
                .min_by_key(|&&s| self.elimination_cost(s, &factors))
            else {
                break;
            };
            let (with, without): (Vec<Factor>, Vec<Factor>) =
                factors.into_iter().partition(|f| f.slots.contains(&next));
            factors = without;
            factors.push(self.product_sum_out(&with, Some(next))?);
        }
        self.product_sum_out(&factors, None)
    }

    /// (fill-in edges, size of the factor eliminating `slot` would create).
    fn elimination_cost(&self, slot: usize, factors: &[Factor]) -> (usize, usize) {
        let mut neighbours: BTreeSet<usize> = BTreeSet::new();
        let mut cliques: Vec<&Vec<usize>> = Vec::new();
        for f in factors.iter().filter(|f| f.slots.contains(&slot)) {
            neighbours.extend(f.slots.iter().filter(|&&s| s != slot));
            cliques.push(&f.slots);
        }
        let list: Vec<usize> = neighbours.iter().copied().collect();
        let mut fill = 0;
        for (i, a) in list.iter().enumerate() {
            for b in &list[i + 1..] {
                if !cliques.iter().any(|c| c.contains(a) && c.contains(b)) {
                    fill += 1;
                }
            }
        }
        let size = list
            .iter()
            .map(|&s| self.domains[s].values.len().max(1))
            .fold(1usize, |a, b| a.saturating_mul(b));
        (fill, size)
    }

    /// The product of `factors`, with `out` summed out.
    fn product_sum_out(
        &self,
        factors: &[Factor],
        out: Option<usize>,
    ) -> Result<Factor, Diagnostic> {
        let mut scope: Vec<usize> = Vec::new();
        for f in factors {
            for &s in &f.slots {
                if !scope.contains(&s) {
                    scope.push(s);
                }
            }
        }
        // The summed-out slot goes last so each result entry is a contiguous run.
        if let Some(o) = out {
            scope.retain(|&s| s != o);
            scope.push(o);
        }
        let cards: Vec<usize> = scope
            .iter()
            .map(|&s| self.domains[s].values.len())
            .collect();
        let total = cards.iter().fold(1u64, |a, &c| a.saturating_mul(c as u64));
        if total > self.cap {
            return Err(cannot(
                self.span,
                format!(
                    "variable elimination would build a table of more than {} entries",
                    self.cap
                ),
            ));
        }
        // Each factor's stride for each scope position.
        let strides: Vec<Vec<usize>> = factors
            .iter()
            .map(|f| {
                let mut own = vec![0usize; f.slots.len()];
                let mut acc = 1;
                for k in (0..f.slots.len()).rev() {
                    own[k] = acc;
                    acc *= f.cards[k];
                }
                scope
                    .iter()
                    .map(|s| f.slots.iter().position(|x| x == s).map_or(0, |k| own[k]))
                    .collect()
            })
            .collect();
        let total = total as usize;
        let inner = if out.is_some() {
            *cards.last().unwrap_or(&1)
        } else {
            1
        };
        let mut values = vec![0.0; total / inner.max(1)];
        let mut assignment = vec![0usize; scope.len()];
        let mut offsets = vec![0usize; factors.len()];
        for i in 0..total {
            let mut p = 1.0;
            for (f, factor) in factors.iter().enumerate() {
                p *= factor.values[offsets[f]];
                if p == 0.0 {
                    break;
                }
            }
            values[i / inner.max(1)] += p;
            // Advance the mixed-radix counter, keeping each factor's offset in step.
            let mut k = scope.len();
            while k > 0 {
                k -= 1;
                assignment[k] += 1;
                for (f, st) in strides.iter().enumerate() {
                    offsets[f] += st[k];
                }
                if assignment[k] < cards[k] {
                    break;
                }
                for (f, st) in strides.iter().enumerate() {
                    offsets[f] -= st[k] * cards[k];
                }
                assignment[k] = 0;
            }
        }
        let (slots, cards) = if out.is_some() {
            (
                scope[..scope.len() - 1].to_vec(),
                cards[..cards.len() - 1].to_vec(),
            )
        } else {
            (scope, cards)
        };
        Ok(Factor {
            slots,
            cards,
            values,
        })
    }

    /// Evaluates the targets over the joint table of the slots they read.
    fn evaluate(&mut self, joint: &Factor) -> Result<Sums, Diagnostic> {
        let group = &self.plan.groups[self.group];
        let mut sums = Sums {
            mass: 0.0,
            scalar: vec![0.0; group.targets.len()],
            table: vec![Vec::new(); group.targets.len()],
        };
        let mut assignment = vec![0usize; joint.slots.len()];
        for &mass in &joint.values {
            if mass > 0.0 {
                for (k, &s) in joint.slots.iter().enumerate() {
                    self.set(s, self.domains[s].values[assignment[k]]);
                }
                sums.mass += mass;
                for (t, target) in group.targets.iter().enumerate() {
                    let f = target.expr.eval(&self.vals, 0);
                    match target.kind {
                        TargetKind::Scalar => sums.scalar[t] += mass * f,
                        _ => match sums.table[t].iter_mut().find(|r| r.0 == f) {
                            Some(row) => row.1 += mass,
                            None => sums.table[t].push((f, mass)),
                        },
                    }
                }
            }
            advance(&mut assignment, &joint.cards);
        }
        Ok(sums)
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
fn noise_slot(mech: &Mech) -> Option<usize> {
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
}

/// Every slot a mechanism of the world at `base` reads (a shift's own slot is its natural
/// value, not a parent).
fn mech_slots(mech: &Mech, base: usize, own: usize, f: &mut impl FnMut(usize)) {
    match mech {
        Mech::Det(e) => slots_in(e, base, f),
        Mech::Stoch { tree, .. } => tree_slots(tree, base, f),
        Mech::Shift { natural, shift } => {
            mech_slots(natural, base, own, f);
            slots_in(shift, base, &mut |s| {
                if s != own {
                    f(s)
                }
            });
        }
    }
}

fn tree_slots(tree: &DistTree, base: usize, f: &mut impl FnMut(usize)) {
    match tree {
        DistTree::Leaf(leaf) => leaf.params.iter().for_each(|e| slots_in(e, base, f)),
        DistTree::If(parts) => {
            slots_in(&parts.0, base, f);
            tree_slots(&parts.1, base, f);
            tree_slots(&parts.2, base, f);
        }
        DistTree::Match(m) => {
            m.scrutinees.iter().for_each(|e| slots_in(e, base, f));
            m.arms.iter().for_each(|(_, t)| tree_slots(t, base, f));
        }
    }
}

/// The slots an expression reads when evaluated at `base` (variables are relative to it).
fn slots_in(e: &Ex, base: usize, f: &mut impl FnMut(usize)) {
    let _ = e.map(&mut |node| {
        match node {
            Ex::Slot(s) => f(*s),
            Ex::Var(v) => f(base + v),
            _ => {}
        }
        None
    });
}

/// The slots a plan-level expression (targets, evidence) reads.
fn slots_of(e: &Ex, f: &mut impl FnMut(usize)) {
    slots_in(e, 0, f)
}

/// Steps a mixed-radix counter (last position fastest).
fn advance(assignment: &mut [usize], cards: &[usize]) {
    for k in (0..assignment.len()).rev() {
        assignment[k] += 1;
        if assignment[k] < cards[k] {
            return;
        }
        assignment[k] = 0;
    }
}
