//! Attribution (LANGUAGE.md section 14): Shapley values over noise or over interventions.
//!
//! A coalition `S` of players becomes one group of a plan: for noise players, the target read
//! in the world that redraws the noise of every player outside `S` (the stochastic
//! self-intervention `do(j ~ its own mechanism)`, which gets a fresh noise slot of its own)
//! while the evidence holds in the factual world; for intervention players, the target under
//! `do(S)` with the evidence. Every group of a plan shares the sample's noise (common random
//! numbers), and the plan goes through the one engine choice, so the values are exact where
//! an exact engine answers.
//!
//! Up to [`EXHAUSTIVE_PLAYERS`] players, every coalition is evaluated and the Shapley values
//! follow from the formula. Past that, `set permutations = K` random orders of the players are
//! drawn; each order's marginal contributions are averaged. Standard errors come from batch
//! means over independent batches (independent noise streams, and independent permutations),
//! so the correlation between coalitions that share draws is accounted for without any
//! pairwise covariance between groups. Where the coalition values are exact, the batches are
//! the single permutations.
//!
//! **Invariant:** builds plans and reads engine answers; never samples itself, does no I/O.

pub mod shapley;

use crate::ast::Span;
use crate::diagnostics::{Code, Diagnostic};
use crate::infer::engine::{self, Solved};
use crate::infer::sampling::{Budget, mix};
use crate::infer::{Settings, impossible};
use crate::program::{Attribute, Conditions, Intervention, InterventionValue, Players, Statement};
use crate::query::{self, GroupSpec, TargetKind};
use crate::results::{Answer, AttributionAnswer, Body, Contribution, MethodUsed};
use crate::scm::{Ex, Model, VarKind};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rayon::prelude::*;
use shapley::Coalition;

/// Most players for which every coalition is evaluated (`2^12 = 4096` coalitions).
pub const EXHAUSTIVE_PLAYERS: usize = 12;

/// Random permutations drawn past [`EXHAUSTIVE_PLAYERS`] unless `set permutations` says.
pub const DEFAULT_PERMUTATIONS: u64 = 1000;

/// Coalitions per plan where an exact engine answers (see [`Game::solve_split`]).
const EXACT_PIECE: usize = 64;

/// The work of planning one computation step of a coalition's world and weighing the engines
/// for it, in the engine choice's units: measured on a 30-variable linear-Gaussian chain,
/// where planning, not Gaussian algebra, takes most of the time.
const PLANNING_WORK_PER_STEP: f64 = 100.0;

/// Independent batches a sampled attribution is split into for its standard errors.
const BATCHES: u64 = 32;

/// Fewest samples one batch of a sampled attribution draws.
const MIN_BATCH_SAMPLES: u64 = 1000;

/// Answers an `attribute` statement.
pub fn attribute(
    model: &Model,
    statement: &Statement,
    attribution: &Attribute,
    settings: Settings,
) -> Result<Answer, Diagnostic> {
    let n = attribution.players.len();
    let game = Game {
        model,
        attribution,
        settings,
        span: statement.span,
        stream: statement.line as u64,
        smc: std::sync::atomic::AtomicBool::new(false),
    };
    let outcome = if n <= EXHAUSTIVE_PLAYERS {
        game.exhaustive()?
    } else {
        let k = settings
            .permutations
            .or(attribution.permutations)
            .unwrap_or(DEFAULT_PERMUTATIONS);
        game.permutations(k)?
    };
    let names = player_names(model, &attribution.players);
    let mut contributions: Vec<Contribution> = names
        .into_iter()
        .zip(outcome.phi)
        .map(|(name, (value, stderr))| Contribution {
            name,
            value,
            stderr,
        })
        .collect();
    contributions.sort_by(|a, b| b.value.abs().total_cmp(&a.value.abs()));
    let exact = outcome.samples.is_none();
    Ok(Answer {
        query: statement.text.clone(),
        line: statement.line,
        method: if exact {
            MethodUsed::Exact
        } else if game.smc.load(std::sync::atomic::Ordering::Relaxed) {
            MethodUsed::Smc
        } else {
            MethodUsed::Is
        },
        name: None,
        body: Body::Attribution(AttributionAnswer {
            baseline: outcome.baseline.0,
            baseline_stderr: outcome.baseline.1,
            value: outcome.value.0,
            value_stderr: outcome.value.1,
            contributions,
            coalitions: outcome.coalitions,
            players: match attribution.players {
                Players::Noise(_) => "noise",
                Players::Interventions(_) => "interventions",
            }
            .to_string(),
            permutations: outcome.permutations,
            samples: outcome.samples,
            ess: outcome.ess,
        }),
        warnings: outcome.warnings,
        details: Default::default(),
        bootstrap: None,
    })
}

/// The players' names: a variable's, or an intervention's text as written.
fn player_names(model: &Model, players: &Players) -> Vec<String> {
    match players {
        Players::Noise(vars) => vars.iter().map(|v| model.vars[*v].name.clone()).collect(),
        Players::Interventions(list) => list.iter().map(|(text, _)| text.clone()).collect(),
    }
}

/// What the estimators found: per player (value, standard error), and the ends.
struct Outcome {
    phi: Vec<(f64, Option<f64>)>,
    baseline: (f64, Option<f64>),
    value: (f64, Option<f64>),
    coalitions: u64,
    permutations: Option<u64>,
    /// Samples per coalition in all, when sampled.
    samples: Option<u64>,
    ess: Option<f64>,
    warnings: Vec<String>,
}

/// The coalition game of one statement.
struct Game<'a> {
    model: &'a Model,
    attribution: &'a Attribute,
    settings: Settings<'a>,
    span: Span,
    stream: u64,
    /// Whether sequential Monte Carlo answered any of the plans (the answer's method).
    smc: std::sync::atomic::AtomicBool,
}

/// The coalitions one block of permutations walks through: the empty and the full one first,
/// then each new prefix; `walks[p][k]` is the coalition of permutation `p`'s first `k` players.
struct Block {
    list: Vec<Coalition>,
    walks: Vec<Vec<usize>>,
}

impl Block {
    fn new(orders: &[Vec<usize>], n: usize) -> Block {
        let mut index: std::collections::HashMap<Coalition, usize> = Default::default();
        let mut list: Vec<Coalition> = Vec::new();
        let mut full = shapley::empty(n);
        (0..n).for_each(|i| shapley::insert(&mut full, i));
        for c in [shapley::empty(n), full] {
            index.insert(c.clone(), list.len());
            list.push(c);
        }
        let walks = orders
            .iter()
            .map(|order| {
                shapley::prefixes(order, n)
                    .into_iter()
                    .map(|c| {
                        let next = list.len();
                        *index.entry(c.clone()).or_insert_with(|| {
                            list.push(c);
                            next
                        })
                    })
                    .collect()
            })
            .collect();
        Block { list, walks }
    }
}

/// The values of a plan's coalitions, as one engine answered them.
struct Values {
    values: Vec<f64>,
    exact: bool,
    ess: Option<f64>,
    warnings: Vec<String>,
}

impl Game<'_> {
    fn n(&self) -> usize {
        self.attribution.players.len()
    }

    /// Every coalition, in bit-mask order.
    fn exhaustive(&self) -> Result<Outcome, Diagnostic> {
        let n = self.n();
        let coalitions: Vec<Coalition> =
            (0..1usize << n).map(|m| shapley::from_mask(m, n)).collect();
        self.check_size(coalitions.len() as u64)?;
        self.check_work(&coalitions, coalitions.len() as u64, BATCHES)?;
        let full = (1usize << n) - 1;
        let batches = self.evaluate(&coalitions, 0)?;
        if batches[0].exact {
            let v = &batches[0].values;
            return Ok(Outcome {
                phi: shapley::exact(v, n)
                    .into_iter()
                    .map(|x| (x, Some(0.0)))
                    .collect(),
                baseline: (v[0], Some(0.0)),
                value: (v[full], Some(0.0)),
                coalitions: coalitions.len() as u64,
                permutations: None,
                samples: None,
                ess: None,
                warnings: Vec::new(),
            });
        }
        let sizes = vec![1.0; batches.len()];
        let per_batch: Vec<Vec<f64>> = batches
            .iter()
            .map(|b| shapley::exact(&b.values, n))
            .collect();
        let phi = (0..n)
            .map(|i| {
                let xs: Vec<f64> = per_batch.iter().map(|p| p[i]).collect();
                shapley::batch_mean(&xs, &sizes)
            })
            .collect();
        let end = |g: usize| {
            let xs: Vec<f64> = batches.iter().map(|b| b.values[g]).collect();
            shapley::batch_mean(&xs, &sizes)
        };
        Ok(Outcome {
            phi,
            baseline: end(0),
            value: end(full),
            coalitions: coalitions.len() as u64,
            permutations: None,
            samples: Some(self.batch_samples() * batches.len() as u64),
            ess: total_ess(&batches),
            warnings: merged_warnings(&batches),
        })
    }

    /// `k` random permutations, in blocks: each block is one plan of its permutations'
    /// prefixes, answered on a noise stream of its own.
    fn permutations(&self, k: u64) -> Result<Outcome, Diagnostic> {
        let n = self.n();
        let k = k.max(1);
        self.check_size(k.saturating_mul(n as u64 - 1).saturating_add(2))?;
        let mut rng = SmallRng::seed_from_u64(mix(mix(self.settings.seed) ^ self.stream) ^ 0x5A_9E);
        let orders: Vec<Vec<usize>> = (0..k).map(|_| shapley::permutation(n, &mut rng)).collect();
        let blocks = k.min(BATCHES) as usize;
        let per_block = (k as usize).div_ceil(blocks);
        let mut marginals: Vec<Vec<f64>> = Vec::with_capacity(k as usize);
        let mut block_phi: Vec<(Vec<f64>, f64)> = Vec::new();
        let mut ends: Vec<(f64, f64)> = Vec::new();
        let mut exact = true;
        let mut coalitions = 0u64;
        let mut samples = 0u64;
        let mut ess: Option<f64> = None;
        let mut warnings = Vec::new();
        // Each block's distinct coalitions, and where each prefix finds its value; the blocks
        // are answered in parallel (each on a stream of its own) and read in order.
        let blocks: Vec<(&[Vec<usize>], Block)> = orders
            .chunks(per_block)
            .map(|block| (block, Block::new(block, n)))
            .collect();
        let planned: u64 = blocks.iter().map(|(_, b)| b.list.len() as u64).sum();
        self.check_work(&blocks[0].1.list, planned, 1)?;
        let answers: Vec<Result<Values, Diagnostic>> = blocks
            .par_iter()
            .enumerate()
            .map(|(b, (_, block))| {
                self.solve_split(&block.list, b as u64 + 1, self.batch_samples())
            })
            .collect();
        for ((orders, block), values) in blocks.iter().zip(answers) {
            let values = values?;
            coalitions += block.list.len() as u64;
            exact &= values.exact;
            if !values.exact {
                samples += self.batch_samples();
                ess = Some(ess.unwrap_or(0.0) + values.ess.unwrap_or(0.0));
                warnings.extend(values.warnings.iter().cloned());
            }
            let mut sum = vec![0.0; n];
            for (order, walk) in orders.iter().zip(&block.walks) {
                let prefix_values: Vec<f64> = walk.iter().map(|&g| values.values[g]).collect();
                let m = shapley::marginals(order, &prefix_values);
                sum.iter_mut().zip(&m).for_each(|(s, x)| *s += x);
                marginals.push(m);
            }
            let size = orders.len() as f64;
            block_phi.push((sum.iter().map(|s| s / size).collect(), size));
            ends.push((values.values[0], values.values[1]));
        }
        // Exact coalition values: each permutation is an independent draw. Sampled ones: each
        // block is (independent noise and permutations).
        let phi = (0..n)
            .map(|i| {
                if exact {
                    let xs: Vec<f64> = marginals.iter().map(|m| m[i]).collect();
                    shapley::batch_mean(&xs, &vec![1.0; xs.len()])
                } else {
                    let xs: Vec<f64> = block_phi.iter().map(|(p, _)| p[i]).collect();
                    let sizes: Vec<f64> = block_phi.iter().map(|(_, s)| *s).collect();
                    shapley::batch_mean(&xs, &sizes)
                }
            })
            .collect();
        let end = |pick: fn(&(f64, f64)) -> f64| {
            let xs: Vec<f64> = ends.iter().map(pick).collect();
            if exact {
                (xs[0], Some(0.0))
            } else {
                shapley::batch_mean(&xs, &vec![1.0; xs.len()])
            }
        };
        warnings.sort();
        warnings.dedup();
        Ok(Outcome {
            phi,
            baseline: end(|e| e.0),
            value: end(|e| e.1),
            coalitions,
            permutations: Some(k),
            samples: (!exact).then_some(samples),
            ess: if exact { None } else { ess },
            warnings,
        })
    }

    /// E005 when more coalitions would be evaluated than the limit allows.
    fn check_size(&self, coalitions: u64) -> Result<(), Diagnostic> {
        let limit = self.settings.max_coalitions as u64;
        if coalitions <= limit {
            return Ok(());
        }
        Err(Diagnostic::error(
            Code::E005,
            self.span,
            format!("this attribution would evaluate {coalitions} coalitions, more than the limit of {limit}"),
        )
        .with_help("ask for fewer permutations (`set permutations = K`)"))
    }

    /// E005 when answering `total` coalitions would take more work than
    /// `Config::max_attribution_work`, estimated before anything runs: the work the engine
    /// choice expects for the first piece [`Game::solve_split`] answers (the first
    /// [`EXACT_PIECE`] of `first`) plus its planning, per coalition, times `total`, times
    /// `repeats` independent batches when the values are sampled.
    fn check_work(&self, first: &[Coalition], total: u64, repeats: u64) -> Result<(), Diagnostic> {
        let piece = &first[..first.len().min(EXACT_PIECE)];
        let specs: Vec<GroupSpec> = piece.iter().map(|c| self.group(c)).collect();
        let mut plan = query::plan(self.model, &specs, self.span)?;
        plan.covariances = query::Covariances::None;
        let budget = Budget {
            samples: self.batch_samples(),
            seed: self.settings.seed,
            stream: 0,
            cancel: self.settings.cancel,
        };
        let steps: usize = plan.steps.iter().map(|s| s.comps.len()).sum();
        let total_work = |work: f64, repeats: u64| {
            let per_coalition = (work + PLANNING_WORK_PER_STEP * steps as f64) / piece.len() as f64;
            per_coalition * total as f64 * repeats as f64
        };
        let limit = self.settings.max_attribution_work;
        // Whatever engine answers, each coalition is answered at least once.
        let within = |work: f64| total_work(work, 1) <= limit;
        let Some((engine, work)) = engine::expected_work(
            &plan,
            self.model,
            &self.settings,
            &budget,
            self.span,
            within,
        ) else {
            return Ok(());
        };
        let work = total_work(work, if engine.is_exact() { 1 } else { repeats });
        if work <= limit {
            return Ok(());
        }
        let players = self.n();
        let mut help = String::from(if players > EXHAUSTIVE_PLAYERS {
            "ask for fewer permutations (`set permutations = K`; each adds a coalition per player)"
        } else {
            "attribute a quantity with fewer stochastic ancestors (each player doubles the coalitions)"
        });
        if !engine.is_exact() {
            help.push_str(", or for fewer samples (`set samples = N`)");
        }
        Err(Diagnostic::error(
            Code::E005,
            self.span,
            format!(
                "this attribution would take about {work:.1e} units of work ({total} coalitions of {players} players, by {}), more than the limit of {limit:.1e}",
                engine.name()
            ),
        )
        .with_help(help))
    }

    /// Samples per batch of a sampled attribution.
    fn batch_samples(&self) -> u64 {
        (self.settings.samples / BATCHES).max(MIN_BATCH_SAMPLES)
    }

    /// The coalitions' values: one exact answer, or independent sampled batches (the first
    /// tells which; batches run in parallel, each seeded by its index alone).
    fn evaluate(&self, coalitions: &[Coalition], stream: u64) -> Result<Vec<Values>, Diagnostic> {
        let first = self.solve_split(coalitions, stream, self.batch_samples())?;
        if first.exact {
            return Ok(vec![first]);
        }
        let rest: Vec<Result<Values, Diagnostic>> = (1..BATCHES)
            .into_par_iter()
            .map(|b| self.solve(coalitions, stream + b * 0x1_0000, self.batch_samples()))
            .collect();
        let mut out = vec![first];
        for r in rest {
            out.push(r?);
        }
        Ok(out)
    }

    /// The coalitions' values, as [`Game::solve`] gives them, computed in pieces of
    /// [`EXACT_PIECE`] coalitions where an exact engine answers: exact values need no common
    /// random numbers, and the exact engines' work per group grows with the whole plan. The
    /// first piece tells; a sampled answer is computed again as one plan, so every coalition
    /// shares the sample's noise.
    fn solve_split(
        &self,
        coalitions: &[Coalition],
        stream: u64,
        samples: u64,
    ) -> Result<Values, Diagnostic> {
        if coalitions.len() <= EXACT_PIECE {
            return self.solve(coalitions, stream, samples);
        }
        let first = self.solve(&coalitions[..EXACT_PIECE], stream, samples)?;
        if !first.exact {
            return self.solve(coalitions, stream, samples);
        }
        let rest: Vec<Result<Values, Diagnostic>> = coalitions[EXACT_PIECE..]
            .par_chunks(EXACT_PIECE)
            .map(|piece| self.solve(piece, stream, samples))
            .collect();
        let mut values = first.values;
        for piece in rest {
            let piece = piece?;
            if !piece.exact {
                // The engine choice weighs each plan's cost: should a piece be sampled after
                // all, the whole is answered as one sampled plan.
                return self.solve(coalitions, stream, samples);
            }
            values.extend(piece.values);
        }
        Ok(Values {
            values,
            exact: true,
            ess: None,
            warnings: Vec::new(),
        })
    }

    /// One plan of these coalitions through the engine choice.
    fn solve(
        &self,
        coalitions: &[Coalition],
        stream: u64,
        samples: u64,
    ) -> Result<Values, Diagnostic> {
        let specs: Vec<GroupSpec> = coalitions.iter().map(|c| self.group(c)).collect();
        let mut plan = query::plan(self.model, &specs, self.span)?;
        plan.covariances = query::Covariances::None;
        let budget = Budget {
            samples,
            seed: self.settings.seed,
            stream: mix(self.stream ^ 0xA77_0000) ^ stream,
            cancel: self.settings.cancel,
        };
        let solved = engine::solve(&plan, self.model, &self.settings, budget, self.span)?;
        if solved.engine == engine::Engine::Smc {
            self.smc.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        for (g, c) in coalitions.iter().enumerate() {
            if !solved.possible(g) {
                return Err(self.impossible(&plan.groups[g].evidence_text, c, &solved, samples));
            }
        }
        let values = (0..coalitions.len())
            .map(|g| solved.scalar(g, 0).0)
            .collect();
        let mut warnings = Vec::new();
        let ess = (0..coalitions.len())
            .filter_map(|g| solved.ess(g))
            .fold(None, |m: Option<f64>, e| Some(m.map_or(e, |m| m.min(e))));
        if let Some(e) = ess
            && let Some(w) = crate::infer::ess_warning(e, samples, &plan.groups[0].evidence_text)
        {
            warnings.push(w);
        }
        Ok(Values {
            values,
            exact: solved.is_exact(),
            ess,
            warnings,
        })
    }

    /// E007 for evidence a coalition's world makes impossible.
    fn impossible(
        &self,
        evidence: &[String],
        c: &Coalition,
        solved: &Solved,
        samples: u64,
    ) -> Diagnostic {
        let mut d = if solved.is_exact() {
            Diagnostic::error(
                Code::E007,
                self.span,
                format!(
                    "the evidence `{}` has probability zero (exactly)",
                    evidence.join(", ")
                ),
            )
            .with_help("check that the evidence can hold together")
        } else {
            let mut d = impossible(evidence, samples, self.span);
            d.message = format!(
                "{} in one of the independent batches an attribution draws ({} samples each)",
                d.message
                    .trim_end_matches(&format!(" (0 of {samples} samples)")),
                samples
            );
            d
        };
        if let Players::Interventions(list) = &self.attribution.players {
            let applied: Vec<&str> = list
                .iter()
                .enumerate()
                .filter(|(i, _)| shapley::contains(c, *i))
                .map(|(_, (t, _))| t.as_str())
                .collect();
            d.message = format!("{} under do({})", d.message, applied.join(", "));
        }
        d
    }

    /// The group that estimates coalition `c`'s value.
    fn group(&self, c: &Coalition) -> GroupSpec {
        let a = self.attribution;
        match &a.players {
            Players::Noise(vars) => {
                let redraws: Vec<Intervention> = vars
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !shapley::contains(c, *i))
                    .filter_map(|(_, &v)| match &self.model.vars[v].kind {
                        VarKind::Stochastic(tree) => Some(Intervention {
                            var: v,
                            value: InterventionValue::Draw((**tree).clone()),
                            span: self.span,
                        }),
                        _ => None,
                    })
                    .collect();
                GroupSpec {
                    conditions: a.conditions.clone(),
                    targets: vec![(TargetKind::Scalar, in_world(&a.target, &redraws))],
                }
            }
            Players::Interventions(list) => {
                let mut interventions = a.conditions.interventions.clone();
                interventions.extend(
                    list.iter()
                        .enumerate()
                        .filter(|(i, _)| shapley::contains(c, *i))
                        .map(|(_, (_, i))| i.clone()),
                );
                GroupSpec {
                    conditions: Conditions {
                        interventions,
                        evidence: a.conditions.evidence.clone(),
                    },
                    targets: vec![(TargetKind::Scalar, a.target.clone())],
                }
            }
        }
    }
}

/// `e` read in the world of `redraws`: each variable becomes a counterfactual term under them,
/// and each counterfactual term gets them beneath its own interventions (which win on the
/// variables they set).
fn in_world(e: &Ex, redraws: &[Intervention]) -> Ex {
    e.map(&mut |node| match node {
        Ex::Var(v) => Some(Ex::Counterfactual(*v, redraws.to_vec())),
        Ex::Counterfactual(v, own) => {
            let mut all: Vec<Intervention> = redraws
                .iter()
                .filter(|r| own.iter().all(|o| o.var != r.var))
                .cloned()
                .collect();
            all.extend(own.iter().cloned());
            Some(Ex::Counterfactual(*v, all))
        }
        _ => None,
    })
}

/// The effective sample size of independent batches together: the sum of theirs.
fn total_ess(batches: &[Values]) -> Option<f64> {
    batches.iter().map(|b| b.ess).sum()
}

fn merged_warnings(batches: &[Values]) -> Vec<String> {
    let mut out: Vec<String> = batches.iter().flat_map(|b| b.warnings.clone()).collect();
    out.sort();
    out.dedup();
    out
}
