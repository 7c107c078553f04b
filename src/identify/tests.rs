//! The oracle: on random discrete models with latent variables, every identified estimand,
//! evaluated on the model's exact observational distribution, equals the model's exact
//! interventional (or conditional interventional) distribution, computed by enumeration with
//! the truncated factorisation.

use super::admg::{Admg, NodeSet, latent_projection};
use super::estimand::Term;
use super::estimate::Table;
use super::{id, identify_sets};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

/// A random discrete Bayesian network: parents, domain sizes, CPTs (row-major by parent
/// configuration, parents in listed order, then the child's value).
struct Network {
    parents: Vec<Vec<usize>>,
    sizes: Vec<usize>,
    cpts: Vec<Vec<f64>>,
}

impl Network {
    fn random(rng: &mut SmallRng, n: usize, edge_p: f64) -> Network {
        let mut parents = vec![Vec::new(); n];
        for (c, ps) in parents.iter_mut().enumerate() {
            for p in 0..c {
                if rng.random::<f64>() < edge_p {
                    ps.push(p);
                }
            }
        }
        let sizes: Vec<usize> = (0..n)
            .map(|_| if rng.random::<f64>() < 0.25 { 3 } else { 2 })
            .collect();
        let cpts = (0..n)
            .map(|v| {
                let rows: usize = parents[v].iter().map(|p| sizes[*p]).product();
                let mut table = Vec::with_capacity(rows * sizes[v]);
                for _ in 0..rows {
                    let w: Vec<f64> = (0..sizes[v]).map(|_| 0.1 + rng.random::<f64>()).collect();
                    let total: f64 = w.iter().sum();
                    table.extend(w.iter().map(|x| x / total));
                }
                table
            })
            .collect();
        Network {
            parents,
            sizes,
            cpts,
        }
    }

    /// `P(v = value | parents)` at the full assignment `a`.
    fn factor(&self, v: usize, a: &[u32]) -> f64 {
        let mut row = 0;
        for &p in &self.parents[v] {
            row = row * self.sizes[p] + a[p] as usize;
        }
        self.cpts[v][row * self.sizes[v] + a[v] as usize]
    }

    /// Every full assignment with its probability, under `do(fixed)` (truncated
    /// factorisation: the fixed variables' factors are left out and their values forced).
    fn joint(&self, fixed: &[(usize, u32)]) -> Vec<(Vec<u32>, f64)> {
        let n = self.sizes.len();
        let mut out = Vec::new();
        let mut a = vec![0u32; n];
        loop {
            if fixed.iter().all(|(v, x)| a[*v] == *x) {
                let p: f64 = (0..n)
                    .filter(|v| !fixed.iter().any(|(f, _)| f == v))
                    .map(|v| self.factor(v, &a))
                    .product();
                out.push((a.clone(), p));
            }
            let mut i = 0;
            loop {
                if i == n {
                    return out;
                }
                a[i] += 1;
                if (a[i] as usize) < self.sizes[i] {
                    break;
                }
                a[i] = 0;
                i += 1;
            }
        }
    }
}

/// `P(y = yv, z = zv | do(x = xv))`-style margin of a joint over full assignments.
fn mass(joint: &[(Vec<u32>, f64)], at: &[(usize, u32)]) -> f64 {
    joint
        .iter()
        .filter(|(a, _)| at.iter().all(|(v, x)| a[*v] == *x))
        .map(|(_, p)| p)
        .sum()
}

/// All assignments of `vars` (network ids) with the given sizes.
fn assignments(vars: &[usize], sizes: &[usize]) -> Vec<Vec<u32>> {
    let mut out = vec![Vec::new()];
    for &v in vars {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                (0..sizes[v] as u32).map(move |x| {
                    let mut p = prefix.clone();
                    p.push(x);
                    p
                })
            })
            .collect();
    }
    out
}

fn pick(rng: &mut SmallRng, from: &[usize], k: usize) -> Vec<usize> {
    let mut pool = from.to_vec();
    let mut out = Vec::new();
    for _ in 0..k.min(pool.len()) {
        let i = rng.random_range(0..pool.len());
        out.push(pool.swap_remove(i));
    }
    out
}

/// Checks `term` (a function of y, x, z values) against the network's truth.
#[allow(clippy::too_many_arguments)]
fn check_against_truth(
    net: &Network,
    g: &Admg,
    kept: &[usize],
    table: &Table,
    term: &Term,
    y: &[usize],
    x: &[usize],
    z: &[usize],
    context: &str,
) {
    let node = |v: usize| kept.iter().position(|k| *k == v).unwrap();
    for xv in assignments(x, &net.sizes) {
        let fixed: Vec<(usize, u32)> = x.iter().copied().zip(xv.iter().copied()).collect();
        let joint = net.joint(&fixed);
        for zv in assignments(z, &net.sizes) {
            let zfix: Vec<(usize, u32)> = z.iter().copied().zip(zv.iter().copied()).collect();
            let pz = mass(&joint, &zfix);
            for yv in assignments(y, &net.sizes) {
                let mut at = zfix.clone();
                at.extend(y.iter().copied().zip(yv.iter().copied()));
                let truth = mass(&joint, &at) / pz;
                let mut env = vec![0u32; g.len()];
                for &(v, val) in fixed.iter().chain(&at) {
                    env[node(v)] = val;
                }
                let got = term.eval(table, &mut env).expect("positive distribution");
                assert!(
                    (got - truth).abs() < 1e-9,
                    "{context}: estimand {} gives {got}, truth {truth}",
                    term.text(g)
                );
            }
        }
    }
}

#[test]
fn identified_estimands_equal_the_truth_on_random_models() {
    let mut checked = 0;
    let mut hedges = 0;
    let mut conditional = 0;
    let mut backdoor = 0;
    for seed in 0..400u64 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let n = rng.random_range(5..=9);
        let net = Network::random(&mut rng, n, 0.35);
        // Some variables are latent; keep at least four observed.
        let mut observed: Vec<bool> = (0..n).map(|_| rng.random::<f64>() < 0.7).collect();
        while observed.iter().filter(|o| **o).count() < 4 {
            let i = rng.random_range(0..n);
            observed[i] = true;
        }
        let names: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
        let (g, kept) = latent_projection(&names, &net.parents, &[], &observed).unwrap();
        // The exact observational distribution of the observed variables.
        let full = net.joint(&[]);
        let mut cells: std::collections::HashMap<Vec<u32>, f64> = Default::default();
        for (a, p) in &full {
            let key: Vec<u32> = kept.iter().map(|v| a[*v]).collect();
            *cells.entry(key).or_insert(0.0) += p;
        }
        let sizes: Vec<usize> = kept.iter().map(|v| net.sizes[*v]).collect();
        let table = Table::new(
            sizes,
            (0..kept.len()).collect(),
            cells.into_iter().collect(),
        );
        for round in 0..4 {
            let k = rng.random_range(1..=2);
            let y = pick(&mut rng, &kept, k);
            let rest: Vec<usize> = kept.iter().copied().filter(|v| !y.contains(v)).collect();
            let k = rng.random_range(1..=2);
            let x = pick(&mut rng, &rest, k);
            let rest: Vec<usize> = rest.into_iter().filter(|v| !x.contains(v)).collect();
            let z = if round % 2 == 1 {
                pick(&mut rng, &rest, 1)
            } else {
                Vec::new()
            };
            let set = |vs: &[usize]| {
                NodeSet::of(
                    g.len(),
                    vs.iter().map(|v| kept.iter().position(|k| k == v).unwrap()),
                )
            };
            let (ys, xs, zs) = (set(&y), set(&x), set(&z));
            let context = format!("seed {seed} round {round}: y {y:?} x {x:?} z {z:?}");
            match id::idc(&g, &ys, &xs, &zs) {
                Ok(term) => {
                    check_against_truth(&net, &g, &kept, &table, &term, &y, &x, &z, &context);
                    checked += 1;
                    conditional += usize::from(!z.is_empty());
                }
                Err(hedge) => {
                    assert!(hedge.sub_forest.is_subset(&hedge.forest), "{context}");
                    hedges += 1;
                }
            }
            let identified = identify_sets(&g, &ys, &xs, &zs);
            if let (Ok(term), Some(_)) = (&identified.result, &identified.adjustment) {
                check_against_truth(&net, &g, &kept, &table, term, &y, &x, &z, &context);
                backdoor += 1;
            }
        }
    }
    // The property is not vacuous: many effects identified, many not, many conditional.
    assert!(checked > 600, "only {checked} identified");
    assert!(hedges > 50, "only {hedges} hedges");
    assert!(conditional > 200, "only {conditional} conditional");
    assert!(backdoor > 200, "only {backdoor} back-door sets");
}

#[test]
fn front_door_is_the_textbook_formula() {
    let names: Vec<String> = ["smoking", "tar", "cancer"].map(String::from).to_vec();
    let g = Admg::new(names, &[(0, 1), (1, 2)], &[(0, 2)]).unwrap();
    let term = id::id(&g, &NodeSet::of(3, [2]), &NodeSet::of(3, [0])).unwrap();
    assert_eq!(
        term.text(&g),
        "Σ_tar P(tar | smoking) Σ_smoking' P(smoking') P(cancer | smoking', tar)"
    );
    assert_eq!(
        id::backdoor_set(&g, &NodeSet::of(3, [2]), &NodeSet::of(3, [0])),
        None
    );
}

#[test]
fn bow_arc_is_a_hedge() {
    let names: Vec<String> = ["x", "y"].map(String::from).to_vec();
    let g = Admg::new(names, &[(0, 1)], &[(0, 1)]).unwrap();
    let hedge = id::id(&g, &NodeSet::of(2, [1]), &NodeSet::of(2, [0])).unwrap_err();
    assert_eq!(g.names_of(&hedge.forest), ["x", "y"]);
    assert_eq!(g.names_of(&hedge.sub_forest), ["y"]);
}

#[test]
fn latent_projection_joins_through_unobserved_nodes() {
    // u -> a, u -> m -> b, a -> m: with u and m hidden, a <-> b and a -> b.
    let names: Vec<String> = ["u", "a", "m", "b"].map(String::from).to_vec();
    let parents = vec![vec![], vec![0], vec![0, 1], vec![2]];
    let (g, kept) = latent_projection(&names, &parents, &[], &[false, true, false, true]).unwrap();
    assert_eq!(kept, [1, 3]);
    assert_eq!(g.parents[1], [0]);
    assert_eq!(g.siblings[0], [1]);
}
