//! Exact inference for finite models: variable elimination over the same [`Plan`] sampling
//! uses, counterfactual worlds included (a twin network over the noise intervals).
//!
//! One group of a plan goes through four stages, one module each:
//! 1. [`factor`]: every slot's finite domain and the factors over them (mechanisms, the
//!    joint factors of worlds sharing a noise, evidence indicators);
//! 2. [`prune`]: evidence absorbed into the factors, the parts of the graph that cannot
//!    reach a target dropped;
//! 3. [`order`]: a weighted min-fill elimination order and its exact cost — the entries of
//!    every table it builds — known before any table is built ([`prepare`], which keeps the factors and orders
//!    for answering);
//! 4. [`eliminate`]: bucket elimination in that order, then the targets evaluated over the
//!    joint table of the slots they read.
//!
//! A group whose targets are several single variables (`P(*)`, every marginal) goes through
//! [`junction`] instead of stage 4: every slot is eliminated (none kept for a joint table),
//! and the junction tree of that order is calibrated by two passes of messages, so each
//! variable's marginal costs about what one elimination costs, not one elimination each.
//! Where that tree would build a table over the cap, each marginal is one elimination of its
//! own, over its ancestors and the evidence's only ([`Apart`]).
//!
//! [`cache`] keeps the marginals of every calibrated tree for the model's later questions
//! under the same evidence and interventions.
//!
//! [`tables`] lays the same factors out for the compiled sampler.
//!
//! Limits, stated as E010: real or unbounded supports (naming the variable), the distribution
//! of a real quantity, and tables larger than the cap (`Config::max_factor_size`). Every size
//! is computed with overflow checks before anything of that size is allocated.
//!
//! **Invariant:** does no I/O; answers carry a standard error of 0.

mod cache;
mod eliminate;
mod factor;
mod junction;
mod order;
mod prune;
mod tables;

pub use cache::MarginalCache;
pub use tables::{Lookup, Tables, tables};

use crate::ast::Span;
use crate::diagnostics::{Code, Diagnostic};
use crate::query::{Plan, TargetKind};
use crate::scm::Model;
use factor::{Builder, Factor};

/// Sums of one exact computation, per group: total mass and per-target sums.
#[derive(Clone, Debug, Default)]
pub struct Sums {
    /// P(evidence), up to the factor of the parts of the network pruned as irrelevant (the
    /// same for every sum, so ratios are exact).
    pub mass: f64,
    /// Σ mass · f for scalar targets.
    pub scalar: Vec<f64>,
    /// value → mass for discrete targets.
    pub table: Vec<Vec<(f64, f64)>>,
}

/// What exact inference of a plan costs, known before any table is built.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cost {
    /// Entries of every table variable elimination builds, summed over the plan's groups.
    pub work: f64,
    /// Entries of the largest of those tables.
    pub largest: f64,
}

/// Whether a group's targets are every one a single variable's distribution, more than one:
/// then they are answered from one calibrated junction tree ([`junction`]) rather than from
/// the joint table of all of them.
fn all_marginals(plan: &Plan, group: usize) -> bool {
    let targets = &plan.groups[group].targets;
    targets.len() > 1
        && targets
            .iter()
            .all(|t| t.kind == TargetKind::Discrete && matches!(t.expr, crate::scm::Ex::Slot(_)))
}

/// Entries a junction tree's two passes touch per entry of the tables elimination builds: the
/// collect pass builds them, the distribute pass multiplies, projects and reads each again.
const CALIBRATION_PASSES: f64 = 3.0;

/// Why exact inference cannot answer, as E010.
fn cannot(span: Span, why: String) -> Diagnostic {
    Diagnostic::error(Code::E010, span, why)
        .with_help("use `--method is` (importance sampling), which answers every query")
}

/// The cap as a table size.
fn cap_entries(cap: u64) -> usize {
    usize::try_from(cap).unwrap_or(usize::MAX)
}

/// E010 when a target is the distribution of a real quantity.
fn finite_targets(plan: &Plan, span: Span) -> Result<(), Diagnostic> {
    if plan
        .groups
        .iter()
        .flat_map(|g| &g.targets)
        .any(|t| t.kind == TargetKind::Real)
    {
        return Err(cannot(
            span,
            "`--method exact` needs finite domains; this asks for the distribution of a real quantity"
                .to_string(),
        ));
    }
    Ok(())
}

/// Computes every group of a plan exactly. `cap` bounds the entries of any one table.
pub fn solve(plan: &Plan, model: &Model, cap: u64, span: Span) -> Result<Vec<Sums>, Diagnostic> {
    prepare(plan, model, cap, span, None)?.solve()
}

/// A plan made ready for variable elimination: its cost, and each group's pruned factors and
/// elimination order, kept so that answering does not build them again (the engine choice
/// weighs the cost, then runs what it weighed). Groups past [`Ready::KEPT_ENTRIES`] entries of
/// kept factors are prepared again when solved, so keeping never holds much more memory than
/// one group's preparation.
pub struct Ready<'a> {
    plan: &'a Plan,
    model: &'a Model,
    cap: usize,
    span: Span,
    /// Per group, its preparation when kept.
    groups: Vec<Option<Prepared<'a>>>,
    /// Where the marginals of calibrated trees are kept for later questions, and per group
    /// the key to keep its marginals under (groups of single-variable targets only).
    cache: Option<(MarginalCache, Vec<Option<cache::Key>>)>,
    /// What answering costs.
    pub cost: Cost,
}

impl<'a> Ready<'a> {
    /// Most factor entries a [`Ready`] keeps over all its groups.
    const KEPT_ENTRIES: usize = 1 << 22;

    /// Whether every group is answered from the marginals an earlier question calibrated.
    pub fn all_cached(&self) -> bool {
        self.groups
            .iter()
            .all(|g| matches!(g, Some(Prepared::Cached(_))))
    }

    /// Every group's sums, in the order of the plan's groups.
    pub fn solve(self) -> Result<Vec<Sums>, Diagnostic> {
        let Ready {
            plan,
            model,
            cap,
            span,
            groups,
            cache,
            ..
        } = self;
        groups
            .into_iter()
            .enumerate()
            .map(|(g, prepared)| {
                let sums = match prepared {
                    Some(prepared) => prepared.run(),
                    None => {
                        Prepared::new(plan, model, g, cap, span, &mut Default::default())?.run()
                    }
                }?;
                if let Some((cache, Some(key))) = cache.as_ref().map(|(c, keys)| (c, &keys[g])) {
                    cache.store(key.clone(), plan, g, &sums);
                }
                Ok(sums)
            })
            .collect()
    }
}

/// Prepares every group of `plan` for exact inference (see [`Ready`]), or E010 saying why it
/// cannot be answered exactly. With `cache`, a group is read from the marginals an earlier
/// question calibrated under the same evidence and interventions where it can be, and the
/// marginals of the groups of single-variable targets this plan calibrates are kept there.
pub fn prepare<'a>(
    plan: &'a Plan,
    model: &'a Model,
    cap: u64,
    span: Span,
    cache: Option<&MarginalCache>,
) -> Result<Ready<'a>, Diagnostic> {
    finite_targets(plan, span)?;
    let cap = cap_entries(cap);
    let mut cost = Cost::default();
    let mut groups = Vec::with_capacity(plan.groups.len());
    let mut keys = Vec::with_capacity(plan.groups.len());
    let mut kept = 0usize;
    let mut tabulated = factor::Tabulated::default();
    for g in 0..plan.groups.len() {
        let calibrates = all_marginals(plan, g);
        let key = match cache {
            Some(c) if calibrates || !c.is_empty() => cache::key(plan, model, g),
            _ => None,
        };
        let cached = key.as_ref().and_then(|key| {
            let marginals = cache?.get(key)?;
            cache::answer(plan, g, &marginals)
        });
        if let Some(sums) = cached {
            groups.push(Some(Prepared::Cached(sums)));
            keys.push(None);
            continue;
        }
        keys.push(key.filter(|_| calibrates));
        let prepared = Prepared::new(plan, model, g, cap, span, &mut tabulated)?;
        let (work, largest) = prepared.cost();
        cost.work += work;
        cost.largest = cost.largest.max(largest);
        kept = kept.saturating_add(prepared.entries());
        groups.push((kept <= Ready::KEPT_ENTRIES).then_some(prepared));
    }
    Ok(Ready {
        plan,
        model,
        cap,
        span,
        groups,
        cache: cache.map(|c| (c.clone(), keys)),
        cost,
    })
}

/// One group, made ready: one elimination (or one calibrated junction tree) for all its
/// targets, or, for all marginals whose junction tree would build a table over the cap, one
/// elimination per variable.
enum Prepared<'a> {
    Whole(Piece<'a>),
    Apart(Apart<'a>),
    /// Read from the marginals an earlier question calibrated ([`cache`]).
    Cached(Sums),
}

/// All marginals answered one variable at a time: each variable's elimination needs only its
/// ancestors and the evidence's (barren variables dropped, [`prune::drop_barren`]), so it
/// builds far smaller tables than the junction tree of the whole network: without evidence,
/// munin1's tree needs a table of 7.2e7 entries (over the 2²⁴ cap), while its 186 marginals
/// one at a time take 0.28 s (pyAgrum's all-targets propagation: 144 s,
/// scripts/exact_vs_pyagrum.py).
struct Apart<'a> {
    plan: &'a Plan,
    model: &'a Model,
    group: usize,
    cap: usize,
    span: Span,
    /// Per distinct target slot, its piece when kept, else its elimination order (the
    /// factors of the others are built again when answered, so that a network's worth of
    /// pieces is never held at once; their orders, the dearer part, are not found again).
    pieces: Vec<(usize, Result<Piece<'a>, order::Order>)>,
    work: f64,
    largest: f64,
}

impl<'a> Prepared<'a> {
    /// Entries of the factors this preparation holds.
    fn entries(&self) -> usize {
        match self {
            Prepared::Whole(piece) => piece.entries(),
            Prepared::Apart(apart) => apart
                .pieces
                .iter()
                .filter_map(|(_, p)| p.as_ref().ok())
                .map(Piece::entries)
                .sum(),
            Prepared::Cached(_) => 0,
        }
    }

    /// The entries of every table answering builds, and the largest.
    fn cost(&self) -> (f64, f64) {
        match self {
            Prepared::Whole(piece) => {
                let passes = if piece.calibrate {
                    CALIBRATION_PASSES
                } else {
                    1.0
                };
                (passes * piece.order.work, piece.order.largest)
            }
            Prepared::Apart(apart) => (apart.work, apart.largest),
            Prepared::Cached(_) => (0.0, 0.0),
        }
    }

    fn new(
        plan: &'a Plan,
        model: &'a Model,
        group: usize,
        cap: usize,
        span: Span,
        tabulated: &mut factor::Tabulated,
    ) -> Result<Prepared<'a>, Diagnostic> {
        let alias = Builder::new(plan, model, group, cap, span).alias;
        let mut targets: Vec<usize> = Vec::new();
        for t in &plan.groups[group].targets {
            factor::slots_of(&t.expr, &mut |s| {
                let s = alias[s];
                if !targets.contains(&s) {
                    targets.push(s);
                }
            });
        }
        let calibrate = all_marginals(plan, group);
        let whole = Piece::new(
            plan, model, group, &targets, calibrate, cap, span, tabulated, None,
        )?;
        if whole.order.largest <= cap as f64 {
            return Ok(Prepared::Whole(whole));
        }
        if !calibrate {
            return Err(over_cap(cap, whole.order.largest, span));
        }
        drop(whole);
        let mut apart = Apart {
            plan,
            model,
            group,
            cap,
            span,
            pieces: Vec::with_capacity(targets.len()),
            work: 0.0,
            largest: 0.0,
        };
        let mut kept = 0usize;
        for (k, &t) in targets.iter().enumerate() {
            if k % 16 == 15 {
                crate::infer::check_cancel()?;
            }
            let piece = Piece::new(plan, model, group, &[t], false, cap, span, tabulated, None)?;
            if piece.order.largest > cap as f64 {
                return Err(over_cap(cap, piece.order.largest, span));
            }
            apart.work += piece.order.work;
            apart.largest = apart.largest.max(piece.order.largest);
            kept = kept.saturating_add(piece.entries());
            let kept_or_order = if kept <= Ready::KEPT_ENTRIES {
                Ok(piece)
            } else {
                Err(piece.order)
            };
            apart.pieces.push((t, kept_or_order));
        }
        Ok(Prepared::Apart(apart))
    }

    fn run(self) -> Result<Sums, Diagnostic> {
        match self {
            Prepared::Whole(piece) => piece.run(),
            Prepared::Apart(apart) => apart.run(),
            Prepared::Cached(sums) => Ok(sums),
        }
    }
}

/// E010: the best elimination order found builds a table of `largest` entries, over `cap`.
fn over_cap(cap: usize, largest: f64, span: Span) -> Diagnostic {
    cannot(
        span,
        format!(
            "variable elimination would build a table of more than {cap} entries (the best elimination order found needs {largest:.3e})"
        ),
    )
}

impl Apart<'_> {
    /// Every marginal, one elimination each; the mass is 1 (0 when the evidence is impossible).
    fn run(self) -> Result<Sums, Diagnostic> {
        let group = &self.plan.groups[self.group];
        let mut sums = Sums {
            mass: 0.0,
            scalar: vec![0.0; group.targets.len()],
            table: vec![Vec::new(); group.targets.len()],
        };
        let mut alias = Vec::new();
        let mut marginal: Vec<(usize, Vec<(f64, f64)>)> = Vec::with_capacity(self.pieces.len());
        for (t, kept) in self.pieces {
            let piece = match kept {
                Ok(piece) => piece,
                Err(order) => Piece::new(
                    self.plan,
                    self.model,
                    self.group,
                    &[t],
                    false,
                    self.cap,
                    self.span,
                    &mut Default::default(),
                    Some(order),
                )?,
            };
            if alias.is_empty() {
                alias = piece.builder.alias.clone();
            }
            match piece.marginal(t)? {
                Some(m) => marginal.push((t, m)),
                None => return Ok(sums),
            }
        }
        for (k, target) in group.targets.iter().enumerate() {
            let crate::scm::Ex::Slot(slot) = target.expr else {
                return Err(cannot(
                    self.span,
                    "this is a bug in whatif: a marginal's target is not a variable".to_string(),
                ));
            };
            let s = alias[slot];
            let Some((_, m)) = marginal.iter().find(|(t, _)| *t == s) else {
                return Err(cannot(
                    self.span,
                    "this is a bug in whatif: a variable's marginal is missing".to_string(),
                ));
            };
            sums.table[k] = m.clone();
        }
        sums.mass = 1.0;
        Ok(sums)
    }
}

/// The factors of one group pruned for some of its targets, and their elimination order.
struct Piece<'a> {
    builder: Builder<'a>,
    reduced: prune::Reduced,
    order: order::Order,
    /// Whether every target is a single slot's marginal, answered by a junction tree.
    calibrate: bool,
}

impl<'a> Piece<'a> {
    /// Entries of the factors this piece holds.
    fn entries(&self) -> usize {
        self.reduced.factors.iter().map(|f| f.values.len()).sum()
    }

    /// Builds and prunes the factors that matter for `targets` (slots, aliased) and orders
    /// them: every slot eliminated when `calibrate`, else all but the unobserved targets. The
    /// order may build a table over the cap; the caller decides. `known`: the order found
    /// when the same piece was built before (the factors built the same way, so it fits).
    #[allow(clippy::too_many_arguments)]
    fn new(
        plan: &'a Plan,
        model: &'a Model,
        group: usize,
        targets: &[usize],
        calibrate: bool,
        cap: usize,
        span: Span,
        tabulated: &mut factor::Tabulated,
        known: Option<order::Order>,
    ) -> Result<Piece<'a>, Diagnostic> {
        let mut builder = Builder::new(plan, model, group, cap, span);
        let n_slots = plan.n_vars * plan.n_worlds;
        builder.tabulated = std::mem::take(tabulated);
        let observed = builder.build_relevant(targets);
        *tabulated = std::mem::take(&mut builder.tabulated);
        let observed = observed?;
        let factors = std::mem::take(&mut builder.factors);
        let unreduced: Vec<Vec<usize>> = factors.iter().map(|f| f.slots.clone()).collect();
        let reduced = prune::reduce(factors, &observed, targets, n_slots);
        if let Some(order) = known {
            return Ok(Piece {
                builder,
                reduced,
                order,
                calibrate,
            });
        }
        let mut free_target = vec![false; n_slots];
        if !calibrate {
            for &t in targets {
                free_target[t] = true;
            }
        }
        for &(s, _) in &reduced.observed {
            free_target[s] = false;
        }
        let scopes: Vec<&[usize]> = reduced.factors.iter().map(|f| f.slots.as_slice()).collect();
        let card = |s: usize| builder.domains[s].values.len();
        let mut order = order::weighted_min_fill(&scopes, card, |s| free_target[s], cap as f64)?;
        let absorbed = scopes.len() != unreduced.len()
            || scopes
                .iter()
                .zip(&unreduced)
                .any(|(a, b)| *a != b.as_slice());
        if order.largest > cap as f64 && absorbed {
            // Absorbing evidence can mislead the greedy ordering. An order of the graph before
            // absorption, followed on the graph after, builds no larger tables than it did
            // before: whatever the network needs without evidence, it needs no more with it.
            let before: Vec<&[usize]> = unreduced.iter().map(Vec::as_slice).collect();
            let whole = order::weighted_min_fill(&before, card, |s| free_target[s], cap as f64)?;
            let followed = order::restricted(&scopes, card, |s| free_target[s], &whole.sequence)?;
            if followed.better_than(&order, cap as f64) {
                order = followed;
            }
        }
        Ok(Piece {
            builder,
            reduced,
            order,
            calibrate,
        })
    }

    /// The marginal of `slot` (the piece's one target) as (value, probability) rows, or `None`
    /// when the evidence is impossible.
    fn marginal(self, slot: usize) -> Result<Option<Vec<(f64, f64)>>, Diagnostic> {
        let Piece {
            builder,
            reduced,
            order,
            ..
        } = self;
        let values = &builder.domains[slot].values;
        if reduced.constant == 0.0 {
            return Ok(None);
        }
        if let Some(&(_, index)) = reduced.observed.iter().find(|(s, _)| *s == slot) {
            return Ok(Some(
                values
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| (x, if i == index { 1.0 } else { 0.0 }))
                    .collect(),
            ));
        }
        let n_slots = builder.plan.n_vars * builder.plan.n_worlds;
        let (cap, span) = (builder.cap, builder.span);
        let remaining = eliminate::eliminate(reduced.factors, &order.sequence, n_slots, cap, span)?;
        let joint = eliminate::product_sum_out(&remaining, None, cap, span)?;
        if joint.slots != [slot] || joint.values.len() != values.len() {
            return Err(cannot(
                span,
                "this is a bug in whatif: a marginal's elimination left other variables"
                    .to_string(),
            ));
        }
        let total: f64 = joint.values.iter().sum();
        if total <= 0.0 || !total.is_finite() {
            return Ok(None);
        }
        Ok(Some(
            values
                .iter()
                .zip(&joint.values)
                .map(|(&x, &p)| (x, p / total))
                .collect(),
        ))
    }

    /// Eliminates, then evaluates the targets over the joint table of the slots they read.
    fn run(self) -> Result<Sums, Diagnostic> {
        let Piece {
            mut builder,
            reduced,
            order,
            calibrate,
        } = self;
        let n_slots = builder.plan.n_vars * builder.plan.n_worlds;
        let (cap, span) = (builder.cap, builder.span);
        if calibrate {
            return marginals(&builder, reduced, &order);
        }
        let remaining = eliminate::eliminate(reduced.factors, &order.sequence, n_slots, cap, span)?;
        let joint = if remaining.is_empty() {
            Factor::constant(1.0)
        } else {
            eliminate::product_sum_out(&remaining, None, cap, span)?
        };
        for &(s, index) in &reduced.observed {
            let x = builder.domains[s].values[index];
            builder.set(s, x);
        }
        evaluate(&mut builder, &joint, reduced.constant)
    }
}

/// Every target's marginal from the calibrated junction tree of `order` (observed slots at
/// their value). Each marginal is normalised, so the mass is 1 (0 when the evidence is
/// impossible).
fn marginals(
    builder: &Builder,
    reduced: prune::Reduced,
    order: &order::Order,
) -> Result<Sums, Diagnostic> {
    let group = &builder.plan.groups[builder.group];
    let n_slots = builder.plan.n_vars * builder.plan.n_worlds;
    let mut sums = Sums {
        mass: 0.0,
        scalar: vec![0.0; group.targets.len()],
        table: vec![Vec::new(); group.targets.len()],
    };
    if reduced.constant == 0.0 {
        return Ok(sums);
    }
    let calibrated =
        junction::calibrate(reduced.factors, order, n_slots, builder.cap, builder.span)?;
    if !calibrated.possible {
        return Ok(sums);
    }
    let mut marginal: Vec<Option<Vec<f64>>> = vec![None; n_slots];
    for (s, m) in calibrated.marginals {
        marginal[s] = Some(m);
    }
    for &(s, index) in &reduced.observed {
        let mut point = vec![0.0; builder.domains[s].values.len()];
        point[index] = 1.0;
        marginal[s] = Some(point);
    }
    for (t, target) in group.targets.iter().enumerate() {
        let crate::scm::Ex::Slot(slot) = target.expr else {
            return Err(cannot(
                builder.span,
                "this is a bug in whatif: a marginal's target is not a variable".to_string(),
            ));
        };
        let s = builder.alias[slot];
        let Some(m) = &marginal[s] else {
            return Err(cannot(
                builder.span,
                "this is a bug in whatif: a variable's marginal is missing".to_string(),
            ));
        };
        sums.table[t] = builder.domains[s]
            .values
            .iter()
            .zip(m)
            .map(|(&x, &p)| (x, p))
            .collect();
    }
    sums.mass = 1.0;
    Ok(sums)
}

/// Evaluates the group's targets over the joint table of the slots they read (the observed
/// ones already set), each entry weighted by `constant`.
fn evaluate(builder: &mut Builder, joint: &Factor, constant: f64) -> Result<Sums, Diagnostic> {
    let group = &builder.plan.groups[builder.group];
    let mut sums = Sums {
        mass: 0.0,
        scalar: vec![0.0; group.targets.len()],
        table: vec![Vec::new(); group.targets.len()],
    };
    if constant == 0.0 {
        return Ok(sums);
    }
    let mut assignment = vec![0usize; joint.slots.len()];
    for &entry in &joint.values {
        let mass = entry * constant;
        if mass > 0.0 {
            for (k, &s) in joint.slots.iter().enumerate() {
                let x = builder.domains[s].values[assignment[k]];
                builder.set(s, x);
            }
            sums.mass += mass;
            for (t, target) in group.targets.iter().enumerate() {
                let f = target.expr.eval(&builder.vals, 0);
                match target.kind {
                    TargetKind::Scalar => sums.scalar[t] += mass * f,
                    _ => match sums.table[t].iter_mut().find(|r| r.0 == f) {
                        Some(row) => row.1 += mass,
                        None => sums.table[t].push((f, mass)),
                    },
                }
            }
        }
        factor::advance(&mut assignment, &joint.cards);
    }
    Ok(sums)
}
