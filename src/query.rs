//! Estimands → a sampling [`Plan`]: worlds, their mechanisms, evidence and targets.
//!
//! A plan holds one or more *groups*. A group is one estimand: its worlds (the factual world of
//! its `do(...)`, plus one per distinct counterfactual bracket), its evidence and its targets,
//! with one importance weight. All groups and all worlds share the exogenous noise of a sample
//! (common random numbers), except that evidence on a stochastic variable confines that
//! variable's noise within its group (abduction).
//!
//! Work is avoided statically: a variable is computed in a world only if a target or evidence
//! needs it there, and once per *version* — worlds whose mechanisms and parents' versions agree
//! share one computation, so a counterfactual world recomputes only what its interventions
//! reach.
//!
//! **Invariant:** every expression in a plan reads absolute slots (`world * n + var`) or the
//! variables of the world it is evaluated in; no `Ex::Counterfactual` remains.

use crate::ast::Span;
use crate::diagnostics::{Code, Diagnostic};
use crate::program::{Conditions, Evidence, Intervention, InterventionValue};
use crate::scm::{BinOp, DistTree, Ex, Model, Type, UnOp, VarId, VarKind};
use std::collections::HashMap;
use std::sync::Arc;

mod reads;
pub use reads::SlotReads;

/// What a target accumulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// A mean (probability or expectation).
    Scalar,
    /// A table of the values of a discrete quantity.
    Discrete,
    /// Moments, quantiles and a histogram of a real quantity.
    Real,
}

/// One quantity a group estimates.
#[derive(Clone, Debug)]
pub struct Target {
    pub kind: TargetKind,
    pub expr: Ex,
}

/// What a caller asks of one group.
#[derive(Clone, Debug)]
pub struct GroupSpec {
    pub conditions: Conditions,
    pub targets: Vec<(TargetKind, Ex)>,
}

/// How a variable is computed in one world.
#[derive(Clone, Debug)]
pub enum Mech {
    Det(Ex),
    /// Drawn from the tree with the noise of `slot`.
    Stoch {
        tree: Arc<DistTree>,
        slot: usize,
    },
    /// The natural value by `natural`, then replaced by `shift` (which reads it).
    Shift {
        natural: Box<Mech>,
        shift: Ex,
    },
}

/// One computation of one variable, in `world`, copied to `copies`.
#[derive(Clone, Debug)]
pub struct Comp {
    pub world: usize,
    pub copies: Vec<usize>,
    pub group: usize,
    pub mech: Mech,
    /// The evidence value to clamp to, in groups that observed this variable here.
    pub clamp: Option<f64>,
}

/// Evidence on a stochastic variable in one group, to be abducted before computing it.
#[derive(Clone, Debug)]
pub struct Clamp {
    pub group: usize,
    pub slot: usize,
    /// (world where observed, the tree as computed there, observed value).
    pub observations: Vec<(usize, Arc<DistTree>, f64)>,
    pub discrete: bool,
}

/// The work for one variable.
#[derive(Clone, Debug)]
pub struct Step {
    pub var: VarId,
    pub clamps: Vec<Clamp>,
    pub comps: Vec<Comp>,
}

/// One estimand's weight, evidence and targets.
#[derive(Clone, Debug)]
pub struct Group {
    pub targets: Vec<Target>,
    /// Evidence that is not a clamp: checked once all variables are computed.
    pub indicators: Vec<Ex>,
    /// Every piece of evidence, for messages.
    pub evidence_text: Vec<String>,
}

/// A compiled sampling problem.
#[derive(Clone, Debug)]
pub struct Plan {
    pub n_vars: usize,
    pub n_worlds: usize,
    /// Noise slots: one per variable, then one per distinct stochastic intervention.
    pub n_slots: usize,
    pub steps: Vec<Step>,
    pub groups: Vec<Group>,
    /// What each slot's computation reads (every world's, needed or not).
    pub reads: SlotReads,
    /// Whether noise is drawn explicitly and pushed through inverse CDFs (several worlds or
    /// groups); otherwise every draw uses the fastest sampler.
    pub coupled: bool,
    /// Which pairs of groups a sampler keeps cross sums for, so that the covariance of their
    /// first targets is known (estimand arithmetic, the differences between actions).
    pub covariances: Covariances,
}

/// The pairs of groups whose first targets' covariance a sampler tracks. Every pair costs a
/// cross sum per sample, so only the pairs an answer reads are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Covariances {
    /// None (attribution: its standard errors come from independent batches).
    None,
    /// Every pair (estimand arithmetic over a few groups; memory grows with groups²).
    AllPairs,
    /// Each group with this one (a decision's actions against the best).
    With(usize),
}

impl Covariances {
    /// The pairs `(a, b)`, `a < b`, in increasing order, among `groups` groups.
    pub fn pairs(self, groups: usize) -> Vec<(usize, usize)> {
        match self {
            Covariances::None => Vec::new(),
            Covariances::AllPairs => (0..groups)
                .flat_map(|a| (a + 1..groups).map(move |b| (a, b)))
                .collect(),
            Covariances::With(k) if k < groups => (0..groups)
                .filter(|&g| g != k)
                .map(|g| (g.min(k), g.max(k)))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
            Covariances::With(_) => Vec::new(),
        }
    }
}

/// World bookkeeping while planning.
struct World {
    group: usize,
    /// Intervened variables and the id of their intervention.
    interventions: HashMap<VarId, (usize, Intervention)>,
}

/// The worlds of a plan while it is built: their identity, and the worlds that counterfactual
/// terms inside intervention values (nested counterfactuals) name.
struct WorldTable {
    n: usize,
    worlds: Vec<World>,
    keys: HashMap<WorldKey, usize>,
    intervention_ids: HashMap<(VarId, String), usize>,
    /// The worlds being built, innermost last: a nested term naming one of them is a cycle.
    building: Vec<WorldKey>,
    span: Span,
}

/// A world's identity: its group and its interventions (target, intervention).
type WorldKey = (usize, Vec<(VarId, String)>);

impl WorldTable {
    /// The world of group `g` under `base` with `extra` on top (an `extra` intervention replaces
    /// `base`'s on the same target). A counterfactual term in an intervention's value,
    /// `m = m[do(x = 0)]`, reads its variable in the world of the term's own interventions on
    /// top of `base`'s plain ones (those whose values read no other world), so a query's
    /// `do(x = 1, m = m[do(x = 0)])` means what `y[do(x = 1, m = m[do(x = 0)])]` means. Inner
    /// worlds are numbered before the worlds that read them.
    fn world(
        &mut self,
        g: usize,
        base: &[Intervention],
        extra: &[Intervention],
    ) -> Result<usize, Diagnostic> {
        let mut map: HashMap<VarId, Intervention> =
            base.iter().map(|i| (i.var, i.clone())).collect();
        for i in extra {
            map.insert(i.var, i.clone());
        }
        let mut key: Vec<(VarId, String)> = map.iter().map(|(v, i)| (*v, i.key())).collect();
        key.sort();
        let key = (g, key);
        if let Some(&w) = self.keys.get(&key) {
            return Ok(w);
        }
        if self.building.contains(&key) {
            return Err(Diagnostic::error(
                Code::E008,
                self.span,
                "these interventions' values read each other's worlds in a cycle",
            )
            .with_help("a nested counterfactual must name a world that does not read it back"));
        }
        self.building.push(key.clone());
        let plain: Vec<Intervention> = base
            .iter()
            .filter(|i| !reads_other_worlds(i))
            .cloned()
            .collect();
        let mut entries: Vec<(VarId, Intervention)> = map.into_iter().collect();
        entries.sort_by_key(|(v, _)| *v);
        let mut interventions = HashMap::new();
        for (v, mut i) in entries {
            let next = self.intervention_ids.len() + 1;
            let id = *self.intervention_ids.entry((v, i.key())).or_insert(next);
            if reads_other_worlds(&i) {
                i.value = match &i.value {
                    InterventionValue::Set(e) => {
                        InterventionValue::Set(self.resolve(g, &plain, e)?)
                    }
                    InterventionValue::Draw(tree) => {
                        let mut failure = None;
                        let resolved = tree.map_exprs(&mut |e| {
                            self.resolve(g, &plain, e).unwrap_or_else(|d| {
                                failure.get_or_insert(d);
                                Ex::Const(f64::NAN)
                            })
                        });
                        if let Some(d) = failure {
                            return Err(d);
                        }
                        InterventionValue::Draw(resolved)
                    }
                };
            }
            interventions.insert(v, (id, i));
        }
        self.building.pop();
        self.worlds.push(World {
            group: g,
            interventions,
        });
        self.keys.insert(key, self.worlds.len() - 1);
        Ok(self.worlds.len() - 1)
    }

    /// `e` with every counterfactual term replaced by the absolute slot of its variable in the
    /// world of the term's interventions on top of `base`.
    fn resolve(&mut self, g: usize, base: &[Intervention], e: &Ex) -> Result<Ex, Diagnostic> {
        let n = self.n;
        let mut failure = None;
        let out = e.map(&mut |node| match node {
            Ex::Counterfactual(v, extra) => match self.world(g, base, extra) {
                Ok(w) => Some(Ex::Slot(w * n + v)),
                Err(d) => {
                    failure.get_or_insert(d);
                    Some(Ex::Const(f64::NAN))
                }
            },
            _ => None,
        });
        match failure {
            Some(d) => Err(d),
            None => Ok(out),
        }
    }
}

/// Whether an intervention's value reads another world (a nested counterfactual).
fn reads_other_worlds(i: &Intervention) -> bool {
    match &i.value {
        InterventionValue::Set(e) => e.has_counterfactual(),
        InterventionValue::Draw(tree) => {
            let mut found = false;
            let _ = tree.map_exprs(&mut |e| {
                found |= e.has_counterfactual();
                e.clone()
            });
            found
        }
    }
}

/// Builds the plan for `groups` on `model`.
pub fn plan(model: &Model, groups: &[GroupSpec], query_span: Span) -> Result<Plan, Diagnostic> {
    let n = model.vars.len();
    let mut table = WorldTable {
        n,
        worlds: Vec::new(),
        keys: HashMap::new(),
        intervention_ids: HashMap::new(),
        building: Vec::new(),
        span: query_span,
    };
    let mut draw_slots: HashMap<String, usize> = HashMap::new();
    let mut n_slots = n;
    let mut out_groups = Vec::new();
    let mut raw_evidence: Vec<(usize, Vec<(Ex, &Evidence)>)> = Vec::new();

    for (g, spec) in groups.iter().enumerate() {
        let base = &spec.conditions.interventions;
        let factual = table.world(g, base, &[])?;
        let rewrite = |e: &Ex, table: &mut WorldTable| -> Result<Ex, Diagnostic> {
            let in_factual = e.map(&mut |node| match node {
                Ex::Var(v) => Some(Ex::Slot(factual * n + v)),
                _ => None,
            });
            table.resolve(g, base, &in_factual)
        };
        let mut targets = Vec::with_capacity(spec.targets.len());
        for (kind, e) in &spec.targets {
            targets.push(Target {
                kind: *kind,
                expr: rewrite(e, &mut table)?,
            });
        }
        let mut evidence: Vec<(Ex, &Evidence)> = Vec::new();
        for ev in &spec.conditions.evidence {
            evidence.push((rewrite(&ev.expr, &mut table)?, ev));
        }
        raw_evidence.push((g, evidence));
        out_groups.push(Group {
            targets,
            indicators: Vec::new(),
            evidence_text: spec
                .conditions
                .evidence
                .iter()
                .map(|e| e.text.clone())
                .collect(),
        });
    }
    let worlds = table.worlds;
    let n_worlds = worlds.len();

    // Each world's mechanism for each variable, and its noise slot.
    let mut mech_id = vec![0usize; n_worlds * n];
    let mut mechs: Vec<Option<Mech>> = vec![None; n_worlds * n];
    for (w, world) in worlds.iter().enumerate() {
        for v in 0..n {
            let (id, mech) = match world.interventions.get(&v) {
                None => (NATURAL, natural(model, v)),
                Some((id, i)) => {
                    let m = match &i.value {
                        InterventionValue::Set(e) if e.mentions(v) => {
                            natural(model, v).map(|nat| Mech::Shift {
                                natural: Box::new(nat),
                                shift: e.clone(),
                            })
                        }
                        InterventionValue::Set(e) => Some(Mech::Det(e.clone())),
                        InterventionValue::Draw(tree) => {
                            let next = n_slots;
                            let slot = *draw_slots.entry(i.key()).or_insert(next);
                            if slot == next {
                                n_slots += 1;
                            }
                            Some(Mech::Stoch {
                                tree: Arc::new(tree.clone()),
                                slot,
                            })
                        }
                    };
                    if m.is_none() {
                        // A shift of a decision: its natural value does not exist.
                        return Err(unset_decision(model, v, i.span));
                    }
                    (*id, m)
                }
            };
            mech_id[w * n + v] = id;
            mechs[w * n + v] = mech;
        }
    }

    let reads = SlotReads::build(
        model,
        n,
        mechs
            .iter()
            .zip(&mech_id)
            .map(|(m, id)| (m.as_ref(), *id == NATURAL)),
    );

    // What each world needs: what targets and evidence read, closed under parents.
    let mut needed = vec![false; n_worlds * n];
    let mut stack: Vec<usize> = Vec::new();
    let mark_slots = |e: &Ex, stack: &mut Vec<usize>| {
        e.visit_slots(&mut |s| stack.push(s));
    };
    for group in &out_groups {
        for t in &group.targets {
            mark_slots(&t.expr, &mut stack);
        }
    }
    for (_, evidence) in &raw_evidence {
        for (e, _) in evidence {
            mark_slots(e, &mut stack);
        }
    }
    while let Some(s) = stack.pop() {
        if std::mem::replace(&mut needed[s], true) {
            continue;
        }
        let (w, v) = (s / n, s % n);
        match &mechs[s] {
            None => {
                let span = worlds[w]
                    .interventions
                    .get(&v)
                    .map_or(query_span, |(_, i)| i.span);
                let _ = span;
                return Err(unset_decision(model, v, query_span));
            }
            Some(_) => stack.extend_from_slice(reads.of(s)),
        }
    }

    // Interventions can give a variable new parents (`do(x = if z then 1 else 2)`): order the
    // variables by the parents they have in any world.
    let order = plan_order(model, n_worlds, &reads, query_span)?;

    // Versions: worlds of one group share a computation when mechanism and parents agree. In a
    // plan of one world, each variable's one computation is its own version.
    let version = if n_worlds == 1 {
        (0..n).collect()
    } else {
        versions(model, &order, &worlds, &needed, &reads, &mech_id)
    };

    // Evidence: clamps on stochastic variables, indicators otherwise.
    let mut clamps: HashMap<(usize, VarId), Vec<(usize, f64, Span, String)>> = HashMap::new();
    // The first value observed of each computation (group, variable, version: versions are
    // per variable), to find contradictions.
    let mut observed: HashMap<(usize, VarId, usize), (f64, &str)> = HashMap::new();
    for (g, evidence) in raw_evidence {
        for (e, ev) in evidence {
            match as_clamp(&e, model, n) {
                Some((s, value)) => {
                    let (w, v) = (s / n, s % n);
                    match observed.get(&(g, v, version[s])) {
                        Some(&(earlier, _)) if earlier == value => continue,
                        Some(&(_, first)) => {
                            return Err(contradiction(model, v, &ev.text, first, ev.span));
                        }
                        None => {
                            observed.insert((g, v, version[s]), (value, ev.text.as_str()));
                        }
                    }
                    match &mechs[s] {
                        Some(Mech::Stoch { .. }) => clamps.entry((g, v)).or_default().push((
                            w,
                            value,
                            ev.span,
                            ev.text.clone(),
                        )),
                        // Fixed by an intervention (or a constant mechanism): the evidence
                        // holds surely or never.
                        Some(Mech::Det(ex)) if let Some(fixed) = ex.constant() => {
                            if fixed != value {
                                let by_do = worlds[w].interventions.contains_key(&v);
                                let d = against_fixed(model, v, fixed, by_do, &ev.text, ev.span);
                                return Err(d);
                            }
                        }
                        _ if model.vars[v].ty == Type::Real => {
                            return Err(Diagnostic::error(Code::E011, ev.span, format!("evidence on deterministic real `{}` has probability zero", model.vars[v].name))
                                .with_help("give it noise (`~`), or observe an interval such as `y > 1.4 and y < 1.6`"));
                        }
                        _ => out_groups[g].indicators.push(e),
                    }
                }
                None => out_groups[g].indicators.push(e),
            }
        }
    }

    let coupled = n_worlds > 1 || groups.len() > 1;
    // The groups that clamp each variable, in increasing order.
    let mut clamping: HashMap<VarId, Vec<usize>> = HashMap::new();
    for &(g, v) in clamps.keys() {
        clamping.entry(v).or_default().push(g);
    }
    let mut steps = Vec::new();
    for &v in &order {
        let mut step = Step {
            var: v,
            clamps: Vec::new(),
            comps: Vec::new(),
        };
        // Clamps of this variable, per group and noise slot.
        let mut group_ids = match clamping.is_empty() {
            true => Vec::new(),
            false => clamping.remove(&v).unwrap_or_default(),
        };
        group_ids.sort();
        for g in group_ids {
            let observations = &clamps[&(g, v)];
            let mut by_slot: HashMap<usize, Vec<(usize, Arc<DistTree>, f64)>> = HashMap::new();
            let mut continuous_versions: HashMap<usize, Vec<usize>> = HashMap::new();
            for (w, value, span, text) in observations {
                let s = w * n + v;
                if let Some(Mech::Stoch { tree, slot }) = &mechs[s] {
                    let discrete = model.vars[v].ty.is_discrete();
                    if !discrete {
                        let versions = continuous_versions.entry(*slot).or_default();
                        if !versions.is_empty() && !versions.contains(&version[s]) {
                            return Err(Diagnostic::error(Code::E011, *span, format!("`{}` is continuous and observed in two worlds (`{text}`)", model.vars[v].name))
                                .with_help("its noise is fixed by one observation; the other has probability zero. Observe it in one world, or observe an interval"));
                        }
                        versions.push(version[s]);
                    }
                    by_slot
                        .entry(*slot)
                        .or_default()
                        .push((*w, tree.clone(), *value));
                }
            }
            let mut slots: Vec<usize> = by_slot.keys().copied().collect();
            slots.sort();
            for slot in slots {
                step.clamps.push(Clamp {
                    group: g,
                    slot,
                    observations: by_slot[&slot].clone(),
                    discrete: model.vars[v].ty.is_discrete(),
                });
            }
        }
        // Computations, one per version (in a plan of one world, one per variable: nothing to
        // look up).
        let mut seen: HashMap<usize, usize> = HashMap::new();
        for w in 0..n_worlds {
            let s = w * n + v;
            if !needed[s] {
                continue;
            }
            match seen.get(&version[s]) {
                Some(&c) => step.comps[c].copies.push(w),
                None => {
                    let g = worlds[w].group;
                    let clamp = clamps.get(&(g, v)).and_then(|obs| {
                        obs.iter()
                            .find(|(ow, ..)| version[ow * n + v] == version[s])
                            .map(|o| o.1)
                    });
                    // Its last use: each slot is computed at most once.
                    let Some(mech) = mechs[s].take() else {
                        continue;
                    };
                    if n_worlds > 1 {
                        seen.insert(version[s], step.comps.len());
                    }
                    step.comps.push(Comp {
                        world: w,
                        copies: Vec::new(),
                        group: g,
                        mech,
                        clamp,
                    });
                }
            }
        }
        if !step.comps.is_empty() || !step.clamps.is_empty() {
            steps.push(step);
        }
    }

    Ok(Plan {
        n_vars: n,
        n_worlds,
        n_slots,
        steps,
        groups: out_groups,
        reads,
        coupled,
        covariances: Covariances::AllPairs,
    })
}

/// Each needed slot's version: slots of one group's worlds share a version (one computation)
/// when their mechanisms and their inputs' versions agree.
fn versions(
    model: &Model,
    order: &[VarId],
    worlds: &[World],
    needed: &[bool],
    reads: &SlotReads,
    mech_id: &[usize],
) -> Vec<usize> {
    let n = model.vars.len();
    let mut version = vec![usize::MAX; worlds.len() * n];
    let mut version_ids: HashMap<(usize, usize, Vec<usize>), usize> = HashMap::new();
    for &v in order {
        for (w, world) in worlds.iter().enumerate() {
            let s = w * n + v;
            if !needed[s] {
                continue;
            }
            let parent_versions = reads.of(s).iter().map(|&p| version[p]).collect();
            let key = (world.group, mech_id[s], parent_versions);
            let next = version_ids.len();
            version[s] = *version_ids.entry(key).or_insert(next);
        }
    }
    version
}

/// A topological order of the variables under every world's mechanisms.
fn plan_order(
    model: &Model,
    n_worlds: usize,
    reads: &SlotReads,
    span: Span,
) -> Result<Vec<VarId>, Diagnostic> {
    let n = model.vars.len();
    let mut parents: Vec<Vec<VarId>> = vec![Vec::new(); n];
    // `listed[p] == v + 1` once `p` is among `v`'s parents (no search of long parent lists).
    let mut listed = vec![0usize; n];
    for v in 0..n {
        for w in 0..n_worlds {
            // A nested counterfactual reads a variable of another world; that world is
            // numbered first, so the same variable is computed there first within a step.
            for &input in reads.of(w * n + v) {
                let p = input % n;
                if p != v && listed[p] != v + 1 {
                    listed[p] = v + 1;
                    parents[v].push(p);
                }
            }
        }
    }
    let mut indegree: Vec<usize> = parents.iter().map(Vec::len).collect();
    let mut children: Vec<Vec<VarId>> = vec![Vec::new(); n];
    for (v, ps) in parents.iter().enumerate() {
        for &p in ps {
            children[p].push(v);
        }
    }
    // Kahn's algorithm, seeded in the model's own order so plans stay stable.
    let mut ready: Vec<VarId> = model
        .order
        .iter()
        .rev()
        .copied()
        .filter(|v| indegree[*v] == 0)
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(v) = ready.pop() {
        order.push(v);
        for &c in &children[v] {
            indegree[c] -= 1;
            if indegree[c] == 0 {
                ready.push(c);
            }
        }
    }
    if order.len() < n {
        let stuck: Vec<&str> = (0..n)
            .filter(|v| indegree[*v] > 0)
            .map(|v| model.vars[v].name.as_str())
            .collect();
        return Err(Diagnostic::error(
            Code::E008,
            span,
            format!(
                "these interventions make the graph cyclic through {}",
                stuck.join(", ")
            ),
        )
        .with_help(
            "an intervention's value may only depend on variables it does not cause, in any world",
        ));
    }
    Ok(order)
}

fn unset_decision(model: &Model, v: VarId, span: Span) -> Diagnostic {
    let name = &model.vars[v].name;
    Diagnostic::error(
        Code::E012,
        span,
        format!("`{name}` is a decision; give it a value with `do({name} = ...)`"),
    )
    .with_help("a decision has no mechanism of its own: a query that depends on it must set it")
}

/// A variable's own mechanism; `None` for a decision.
fn natural(model: &Model, v: VarId) -> Option<Mech> {
    match &model.vars[v].kind {
        VarKind::Stochastic(tree) => Some(Mech::Stoch {
            tree: tree.clone(),
            slot: v,
        }),
        VarKind::Deterministic(e) => Some(Mech::Det(e.clone())),
        VarKind::Decision(_) | VarKind::Nonparametric => None,
    }
}

/// The `mech_id` of a variable's own mechanism (an intervention's is its id, from 1).
const NATURAL: usize = 0;

/// E007 for a second observation of one computation that contradicts the first.
fn contradiction(model: &Model, v: VarId, text: &str, first: &str, span: Span) -> Diagnostic {
    let name = &model.vars[v].name;
    Diagnostic::error(
        Code::E007,
        span,
        format!("the evidence `{text}` contradicts `{first}`: together they have probability zero"),
    )
    .with_help(format!(
        "`{name}` takes one value in a world; keep one observation (to observe it in another \
         world, write `{name}[do(...)]`)"
    ))
}

/// E007 for evidence on a variable an intervention (`by_do`) or its constant mechanism fixes
/// to another value.
fn against_fixed(
    model: &Model,
    v: VarId,
    fixed: f64,
    by_do: bool,
    text: &str,
    span: Span,
) -> Diagnostic {
    let var = &model.vars[v];
    let fixed = model.format_value(var.ty, fixed);
    let name = &var.name;
    let d = Diagnostic::error(
        Code::E007,
        span,
        format!("the evidence `{text}` has probability zero: `{name}` is {fixed} in this world"),
    );
    if by_do {
        d.with_help(format!(
            "`do` sets `{name}` to {fixed} in the world it asks about; to observe the natural \
             `{name}` instead, put the intervention in brackets on the target, as in `P(target[do({name} = {fixed})] | {text})`"
        ))
    } else {
        d.with_help(format!("`{name}` is always {fixed}; drop this evidence"))
    }
}

/// `x`, `not x`, `x = c` or `c = x` on a variable: (slot, value).
fn as_clamp(e: &Ex, model: &Model, n: usize) -> Option<(usize, f64)> {
    match e {
        Ex::Slot(s) if model.vars[s % n].ty == Type::Bool => Some((*s, 1.0)),
        Ex::Unary(UnOp::Not, inner) => match **inner {
            Ex::Slot(s) if model.vars[s % n].ty == Type::Bool => Some((s, 0.0)),
            _ => None,
        },
        Ex::Binary(BinOp::Eq, a, b) => match (&**a, &**b) {
            (Ex::Slot(s), Ex::Const(c)) | (Ex::Const(c), Ex::Slot(s)) => Some((*s, *c)),
            _ => None,
        },
        _ => None,
    }
}
