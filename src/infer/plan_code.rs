//! A plan's expressions compiled once into postfix form ([`Postfix`]), laid out as the plan
//! is (per step its clamps' observations and its computations, per group its indicators and
//! targets), for the interpreter's sampler (`super::sampling::Sampler`) and, through it,
//! sequential Monte Carlo.
//!
//! Besides the expressions, two checks are settled here once instead of per sample: a leaf
//! whose parameters are all constants and in range needs no validation per draw, and a
//! clamped computation whose distribution its step's abduction has already selected and
//! validated (the same tree, world and group) need not select it again. Neither changes what
//! is drawn or computed, nor which error a sample reports.
//!
//! **Invariant:** a [`PlanCode`] mirrors the plan it was compiled from, index for index.

use crate::query::{Mech, Plan};
use crate::scm::DistTree;
use crate::scm::dist::Leaf;
use crate::scm::expr::MatchEx;
use crate::scm::postfix::Postfix;
use std::sync::Arc;

/// A distribution tree with its conditions and parameters compiled.
pub enum TreeCode<'a> {
    Leaf(LeafCode<'a>),
    If(Box<(Postfix<'a>, TreeCode<'a>, TreeCode<'a>)>),
    /// A `match`: its scrutinees are interpreted ([`MatchEx::select_index`]), its arms'
    /// trees compiled.
    Match(&'a MatchEx<DistTree>, Vec<TreeCode<'a>>),
}

/// A leaf: the distribution and its compiled parameters.
pub struct LeafCode<'a> {
    pub leaf: &'a Leaf,
    pub params: Vec<Postfix<'a>>,
    /// The parameters' values when every one is a constant and they are in range: no draw
    /// needs to evaluate or check them.
    pub constants: Option<Vec<f64>>,
    /// The common families' range check, inlined.
    pub check: QuickCheck,
}

/// A check that parameters are in range, cheaper than [`crate::scm::dist::DistKind::validate`]
/// for the commonest families: when it passes, `validate` would; when it fails, `validate`
/// finds the error to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuickCheck {
    /// `Bernoulli(p)`: `p` in [0, 1].
    Probability,
    /// `Normal`, `LogNormal`, `Laplace`: a finite location and a positive finite scale.
    LocationScale,
    /// Anything else: left to `validate`.
    None,
}

impl QuickCheck {
    fn of(leaf: &Leaf) -> QuickCheck {
        use crate::scm::dist::DistKind;
        match (&leaf.kind, leaf.params.len()) {
            (DistKind::Bernoulli, 1) => QuickCheck::Probability,
            (DistKind::Normal | DistKind::LogNormal | DistKind::Laplace, 2) => {
                QuickCheck::LocationScale
            }
            _ => QuickCheck::None,
        }
    }

    /// Whether `p` is surely in range.
    #[inline]
    pub fn passes(self, p: &[f64]) -> bool {
        match (self, p) {
            (QuickCheck::Probability, [p]) => (0.0..=1.0).contains(p),
            (QuickCheck::LocationScale, [location, scale]) => {
                location.is_finite() && *scale > 0.0 && scale.is_finite()
            }
            _ => false,
        }
    }
}

impl<'a> TreeCode<'a> {
    fn compile(tree: &'a DistTree) -> TreeCode<'a> {
        match tree {
            DistTree::Leaf(leaf) => {
                let constants: Option<Vec<f64>> =
                    leaf.params.iter().map(|p| p.constant()).collect();
                TreeCode::Leaf(LeafCode {
                    leaf,
                    params: leaf.params.iter().map(Postfix::compile).collect(),
                    constants: constants.filter(|p| leaf.kind.validate(p).is_ok()),
                    check: QuickCheck::of(leaf),
                })
            }
            DistTree::If(parts) => TreeCode::If(Box::new((
                Postfix::compile(&parts.0),
                TreeCode::compile(&parts.1),
                TreeCode::compile(&parts.2),
            ))),
            DistTree::Match(m) => TreeCode::Match(
                m,
                m.arms.iter().map(|(_, t)| TreeCode::compile(t)).collect(),
            ),
        }
    }

    /// The leaf the current values select (as [`DistTree::select`]); `None` when no match
    /// arm applies.
    #[inline]
    pub fn select(&self, vals: &[f64], base: usize, stack: &mut Vec<f64>) -> Option<&LeafCode<'a>> {
        let mut tree = self;
        loop {
            match tree {
                TreeCode::Leaf(leaf) => return Some(leaf),
                TreeCode::If(parts) => {
                    tree = if parts.0.eval(vals, base, stack) != 0.0 {
                        &parts.1
                    } else {
                        &parts.2
                    };
                }
                TreeCode::Match(m, arms) => tree = arms.get(m.select_index(vals, base)?)?,
            }
        }
    }

    fn depth(&self) -> usize {
        match self {
            TreeCode::Leaf(leaf) => leaf.params.iter().map(Postfix::depth).max().unwrap_or(0),
            TreeCode::If(parts) => parts.0.depth().max(parts.1.depth()).max(parts.2.depth()),
            TreeCode::Match(_, arms) => arms.iter().map(TreeCode::depth).max().unwrap_or(0),
        }
    }
}

/// How a variable is computed in one world ([`Mech`], compiled).
pub enum MechCode<'a> {
    Det(Postfix<'a>),
    Stoch {
        tree: TreeCode<'a>,
        /// The noise slot it draws from.
        slot: usize,
        /// Whether the step's abduction has selected and validated this very tree, in this
        /// world, for this group, before the computation (a coupled plan's clamped
        /// computation): then the computation's value is the clamp and nothing need be
        /// evaluated.
        abducted: bool,
    },
    Shift(Box<MechCode<'a>>, Postfix<'a>),
}

impl<'a> MechCode<'a> {
    fn compile(mech: &'a Mech, abducted: bool) -> MechCode<'a> {
        match mech {
            Mech::Det(e) => MechCode::Det(Postfix::compile(e)),
            Mech::Stoch { tree, slot } => MechCode::Stoch {
                tree: TreeCode::compile(tree),
                slot: *slot,
                abducted,
            },
            Mech::Shift { natural, shift } => MechCode::Shift(
                Box::new(MechCode::compile(natural, false)),
                Postfix::compile(shift),
            ),
        }
    }

    fn depth(&self) -> usize {
        match self {
            MechCode::Det(e) => e.depth(),
            MechCode::Stoch { tree, .. } => tree.depth(),
            MechCode::Shift(natural, shift) => natural.depth().max(shift.depth()),
        }
    }
}

/// One step's code: per clamp, per observation, its tree; per computation, its mechanism.
pub struct StepCode<'a> {
    pub observations: Vec<Vec<TreeCode<'a>>>,
    pub comps: Vec<MechCode<'a>>,
}

/// One group's indicators and targets.
pub struct GroupCode<'a> {
    pub indicators: Vec<Postfix<'a>>,
    pub targets: Vec<Postfix<'a>>,
}

/// A plan's code (see the module documentation).
pub struct PlanCode<'a> {
    pub steps: Vec<StepCode<'a>>,
    pub groups: Vec<GroupCode<'a>>,
    /// The most values any expression's evaluation holds on its stack.
    pub depth: usize,
}

impl<'a> PlanCode<'a> {
    /// Compiles every expression of `plan`.
    pub fn compile(plan: &'a Plan) -> PlanCode<'a> {
        let steps: Vec<StepCode> = plan
            .steps
            .iter()
            .map(|step| StepCode {
                observations: step
                    .clamps
                    .iter()
                    .map(|c| {
                        c.observations
                            .iter()
                            .map(|(_, tree, _)| TreeCode::compile(tree))
                            .collect()
                    })
                    .collect(),
                comps: step
                    .comps
                    .iter()
                    .map(|comp| {
                        let abducted = plan.coupled
                            && comp.clamp.is_some()
                            && match &comp.mech {
                                Mech::Stoch { tree, .. } => step.clamps.iter().any(|c| {
                                    c.group == comp.group
                                        && c.observations.iter().any(|(w, t, _)| {
                                            *w == comp.world && Arc::ptr_eq(t, tree)
                                        })
                                }),
                                _ => false,
                            };
                        MechCode::compile(&comp.mech, abducted)
                    })
                    .collect(),
            })
            .collect();
        let groups: Vec<GroupCode> = plan
            .groups
            .iter()
            .map(|g| GroupCode {
                indicators: g.indicators.iter().map(Postfix::compile).collect(),
                targets: g
                    .targets
                    .iter()
                    .map(|t| Postfix::compile(&t.expr))
                    .collect(),
            })
            .collect();
        let depth = steps
            .iter()
            .flat_map(|s| {
                s.observations
                    .iter()
                    .flatten()
                    .map(TreeCode::depth)
                    .chain(s.comps.iter().map(MechCode::depth))
            })
            .chain(
                groups
                    .iter()
                    .flat_map(|g| g.indicators.iter().chain(&g.targets).map(Postfix::depth)),
            )
            .max()
            .unwrap_or(0);
        PlanCode {
            steps,
            groups,
            depth,
        }
    }
}
