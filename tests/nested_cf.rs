//! Nested counterfactuals (LANGUAGE.md §6): an intervention's value may be a counterfactual
//! term, `y[do(x = 1, m = m[do(x = 0)])]`. Natural direct and indirect effects of a linear and
//! a discrete mediation model, checked against answers derived by hand (linear) and by
//! enumerating the noise cells in this file (discrete), by every engine; exact and sampled
//! answers agree within the sampled answers' reported standard errors.

mod common;

use common::*;
use whatif::Method;
use whatif::results::Body;

/// Each statement's value and standard error, in order.
fn values(source: &str, method: Method, samples: u64) -> Vec<(f64, f64)> {
    let answers =
        run_source("nested", source, &options(samples, method)).unwrap_or_else(|e| panic!("{e}"));
    answers
        .iter()
        .map(|a| match &a.body {
            Body::Probability(e) | Body::Expectation(e) => (e.value, e.stderr.unwrap_or(f64::NAN)),
            other => panic!("not a number: {other:?}"),
        })
        .collect()
}

/// `got` is `want` to 1e-9 when exact (no standard error), within five standard errors when
/// sampled.
fn assert_close(what: &str, (got, stderr): (f64, f64), want: f64) {
    let tolerance = if stderr == 0.0 { 1e-9 } else { 5.0 * stderr };
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: {got} ± {stderr}, expected {want}"
    );
}

// ---------------------------------------------------------------------------------------------
// Linear mediation: x → m → y and x → y. With m = a·x + U_m and y = c·x + b·m + U_y,
//   y[do(x = 1, m = m[do(x = 0)])] − y[do(x = 0)] = c·1 + b·U_m − (b·U_m) = c     (NDE)
//   y[do(x = 0, m = m[do(x = 1)])] − y[do(x = 0)] = b·(a + U_m) − b·U_m = a·b      (NIE)
// for every unit, so the expectations are c and a·b exactly.

const LINEAR: &str = "\
x ~ Normal(1, 2)
m ~ Normal(0.5 + 0.8 * x, 1.5)
y ~ Normal(-1 + 1.7 * x - 2.5 * m, 0.7)
query nde = E[y[do(x = 1, m = m[do(x = 0)])] - y[do(x = 0)]]
query nie = E[y[do(x = 0, m = m[do(x = 1)])] - y[do(x = 0)]]
query E[y | do(x = 1, m = m[do(x = 0)])]
query E[y[do(x = 1, m = m[do(x = 0)])] | x = 0.5, m = 1, y = 2]
query E[y[do(m = m[do(x = 3)])] - y]
";

/// The linear model's answers, by hand.
fn linear_answers() -> Vec<f64> {
    let (a0, a, b, c0, c) = (0.5, 0.8, -2.5, -1.0, 1.7);
    // Observed x = 0.5, m = 1, y = 2 fix the unit's noise: U_m and U_y.
    let u_m = 1.0 - (a0 + a * 0.5);
    let u_y = 2.0 - (c0 + c * 0.5 + b * 1.0);
    vec![
        c,
        a * b,
        // E[y(1, M(0))] = c0 + c + b·(a0 + E U_m), E U_m = 0.
        c0 + c + b * a0,
        c0 + c + b * (a0 + u_m) + u_y,
        // m moved from a0 + a·x + U_m to a0 + a·3 + U_m; E x = 1.
        b * a * (3.0 - 1.0),
    ]
}

#[test]
fn linear_mediation_effects_are_the_path_coefficients_exactly() {
    let got = values(LINEAR, Method::Exact, 1_000);
    for (i, (g, want)) in got.into_iter().zip(linear_answers()).enumerate() {
        assert_eq!(g.1, 0.0, "statement {i} should be exact");
        assert_close(&format!("exact statement {i}"), g, want);
    }
}

#[test]
fn linear_mediation_effects_by_sampling_agree_within_their_standard_errors() {
    let got = values(LINEAR, Method::Is, 200_000);
    for (i, (g, want)) in got.into_iter().zip(linear_answers()).enumerate() {
        assert_close(&format!("sampled statement {i}"), g, want);
    }
}

// ---------------------------------------------------------------------------------------------
// Discrete mediation, enumerated here over the noise. Each `Bernoulli(p)` is true exactly when
// its uniform noise exceeds 1 − p (LANGUAGE.md §6), so the noise cube splits into cells at those
// break points; within a cell every world's values are constant.

const P_X: f64 = 0.35;
/// P(m | x) for x = false, true.
const P_M: [f64; 2] = [0.25, 0.7];
/// P(y | x, m), indexed [x][m].
const P_Y: [[f64; 2]; 2] = [[0.1, 0.6], [0.8, 0.3]];

fn discrete_source() -> String {
    format!(
        "\
x ~ Bernoulli({P_X})
m ~ Bernoulli(if x then {} else {})
y ~ Bernoulli(if x then (if m then {} else {}) else (if m then {} else {}))
query nde = E[y[do(x = true, m = m[do(x = false)])] - y[do(x = false)]]
query nie = E[y[do(x = false, m = m[do(x = true)])] - y[do(x = false)]]
query P(y | do(x = true, m = m[do(x = false)]))
query P(y[do(x = true, m = m[do(x = false)])] | x = false, y = false)
query P(y[do(x = false, m = m[do(x = true)])] | x = true, m = false)
query P(y[do(x = false, m = m[do(x = true)])] and not y[do(x = true, m = m[do(x = false)])])
",
        P_M[1], P_M[0], P_Y[1][1], P_Y[1][0], P_Y[0][1], P_Y[0][0]
    )
}

/// Cells of the unit interval split at `1 − p` for each `p`: (midpoint, width).
fn cells(ps: &[f64]) -> Vec<(f64, f64)> {
    let mut cuts: Vec<f64> = ps.iter().map(|p| 1.0 - p).collect();
    cuts.extend([0.0, 1.0]);
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    cuts.windows(2)
        .map(|w| (0.5 * (w[0] + w[1]), w[1] - w[0]))
        .collect()
}

/// One unit: its factual values and the potential outcomes the queries read.
struct Unit {
    weight: f64,
    x: bool,
    m: bool,
    y: bool,
    /// m[do(x = v)], indexed by v.
    m_do: [bool; 2],
    /// y[do(x = a, m = b)], indexed [a][b].
    y_do: [[bool; 2]; 2],
}

fn units() -> Vec<Unit> {
    let mut out = Vec::new();
    let all_py: Vec<f64> = P_Y.iter().flatten().copied().collect();
    for (ux, wx) in cells(&[P_X]) {
        for (um, wm) in cells(&P_M) {
            for (uy, wy) in cells(&all_py) {
                let m_do = [um > 1.0 - P_M[0], um > 1.0 - P_M[1]];
                let y_do = [
                    [uy > 1.0 - P_Y[0][0], uy > 1.0 - P_Y[0][1]],
                    [uy > 1.0 - P_Y[1][0], uy > 1.0 - P_Y[1][1]],
                ];
                let x = ux > 1.0 - P_X;
                let m = m_do[x as usize];
                let y = y_do[x as usize][m as usize];
                out.push(Unit {
                    weight: wx * wm * wy,
                    x,
                    m,
                    y,
                    m_do,
                    y_do,
                });
            }
        }
    }
    out
}

/// P(event | given) over the enumerated units.
fn enumerate(event: impl Fn(&Unit) -> bool, given: impl Fn(&Unit) -> bool) -> f64 {
    let units = units();
    let total: f64 = units.iter().filter(|u| given(u)).map(|u| u.weight).sum();
    let hit: f64 = units
        .iter()
        .filter(|u| given(u) && event(u))
        .map(|u| u.weight)
        .sum();
    hit / total
}

fn discrete_answers() -> Vec<f64> {
    let always = |_: &Unit| true;
    // y(x = 1, M(0)) and y(x = 0, M(1)) for a unit.
    let direct = |u: &Unit| u.y_do[1][u.m_do[0] as usize];
    let indirect = |u: &Unit| u.y_do[0][u.m_do[1] as usize];
    let control = |u: &Unit| u.y_do[0][u.m_do[0] as usize];
    let nde = enumerate(direct, always) - enumerate(control, always);
    let nie = enumerate(indirect, always) - enumerate(control, always);
    // The textbook mediation formulas (Pearl 2001), a second derivation of the same numbers.
    let formula_nde: f64 = (0..2)
        .map(|m| {
            let pm = if m == 1 { P_M[0] } else { 1.0 - P_M[0] };
            pm * (P_Y[1][m] - P_Y[0][m])
        })
        .sum();
    let formula_nie = (P_M[1] - P_M[0]) * (P_Y[0][1] - P_Y[0][0]);
    assert!((nde - formula_nde).abs() < 1e-12, "{nde} vs {formula_nde}");
    assert!((nie - formula_nie).abs() < 1e-12, "{nie} vs {formula_nie}");
    vec![
        nde,
        nie,
        enumerate(direct, always),
        enumerate(direct, |u| !u.x && !u.y),
        enumerate(indirect, |u| u.x && !u.m),
        enumerate(|u| indirect(u) && !direct(u), always),
    ]
}

#[test]
fn discrete_mediation_matches_enumeration_exactly() {
    let got = values(&discrete_source(), Method::Exact, 1_000);
    for (i, (g, want)) in got.into_iter().zip(discrete_answers()).enumerate() {
        assert_eq!(g.1, 0.0, "statement {i} should be exact");
        assert_close(&format!("exact statement {i}"), g, want);
    }
}

#[test]
fn discrete_mediation_by_sampling_agrees_within_its_standard_errors() {
    let got = values(&discrete_source(), Method::Is, 200_000);
    for (i, (g, want)) in got.into_iter().zip(discrete_answers()).enumerate() {
        assert!(g.1 > 0.0, "statement {i} should be sampled");
        assert_close(&format!("sampled statement {i}"), g, want);
    }
}

#[test]
fn the_default_method_gives_the_enumerated_answers() {
    let got = values(&discrete_source(), Method::Auto, 200_000);
    for (i, (g, want)) in got.into_iter().zip(discrete_answers()).enumerate() {
        assert_close(&format!("statement {i}"), g, want);
    }
}

// ---------------------------------------------------------------------------------------------
// Worlds and their identity.

#[test]
fn a_nested_world_is_the_world_of_the_same_interventions_written_directly() {
    // m[do(x = 0)] inside the brackets and m[do(x = 0)] as a target are the same unit's: with
    // y := x + m, m[do(x = 0)] − y[do(x = 5, m = m[do(x = 0)])] + 5 is zero for every unit, and
    // so is the difference of two spellings of one world; exactly 0 by every engine.
    let source = "\
x ~ Normal(0, 1)
m ~ Normal(x, 1)
y := x + m
query E[m[do(x = 0)] - y[do(x = 5, m = m[do(x = 0)])] + 5]
query E[y[do(x = 1, m = m[do(x = 0)])] - y[do(x=1, m=m[do(x=0)])]]
";
    for method in [Method::Exact, Method::Is] {
        let got = values(source, method, 10_000);
        assert!(got[0].0.abs() < 1e-12, "{method:?}: {:?}", got[0]);
        assert!(got[1].0.abs() < 1e-12, "{method:?}: {:?}", got[1]);
    }
}

#[test]
fn nesting_two_deep_reads_the_innermost_world() {
    // m2[do(x = 0)] is set to m1's value in the world where x = 1: a path-specific effect of
    // x → m1 → m2 → y. With m1 = x + U1, m2 = 2·m1 + U2, y = 3·m2 + U,
    //   y[do(m2 = m2[do(m1 = m1[do(x = 1)])])] = 3·(2·(1 + U1) + U2) + U,  E = 6 (E x = 0).
    let source = "\
x ~ Normal(0, 1)
m1 ~ Normal(x, 1)
m2 ~ Normal(2 * m1, 1)
y ~ Normal(3 * m2, 1)
query E[y[do(m2 = m2[do(m1 = m1[do(x = 1)])])]]
query E[y[do(m2 = m2[do(m1 = m1[do(x = 1)])])] - y[do(x = 1)]]
";
    for method in [Method::Exact, Method::Is] {
        let got = values(source, method, 100_000);
        assert_close(&format!("{method:?} two deep"), got[0], 6.0);
        assert_close(&format!("{method:?} same unit"), got[1], 0.0);
    }
}

#[test]
fn a_nested_value_reading_a_descendant_of_its_target_is_refused_with_e008() {
    let source = "\
x ~ Bernoulli(0.4)
y ~ Bernoulli(if x then 0.7 else 0.2)
query P(y[do(x = y[do(x = false)])])
";
    let error = run_source("cycle", source, &options(1_000, Method::Auto)).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("E008"), "{text}");
    assert!(text.contains("cyclic through x, y"), "{text}");
}

#[test]
fn a_stochastic_intervention_may_draw_around_another_worlds_value() {
    // m ~ Normal(m[do(x = 0)], 1) adds fresh noise N to the unit's own U_m (m[do(x = 0)] = U_m):
    //   y = 2·1 + 3·(U_m + N) + U_y, so E = 2;
    //   y[do(m ~ Normal(m[do(x = 1)], 2))] − y = 3·((1 + U_m + 2N) − (x + U_m)) = 3·(1 − x + 2N),
    //   whose square has expectation 9·(1 + 1 + 4) = 54.
    let source = "\
x ~ Normal(0, 1)
m ~ Normal(x, 1)
y ~ Normal(2 * x + 3 * m, 1)
query E[y | do(x = 1, m ~ Normal(m[do(x = 0)], 1))]
query E[(y[do(m ~ Normal(m[do(x = 1)], 2))] - y) ^ 2]
";
    let sampled = values(source, Method::Is, 200_000);
    assert_close("sampled draw around a nested value", sampled[0], 2.0);
    assert_close("sampled squared difference", sampled[1], 54.0);
    let exact = values(
        &source.replace("query E[(y", "# query E[(y"),
        Method::Exact,
        1_000,
    );
    assert_eq!(exact[0].1, 0.0);
    assert_close("exact draw around a nested value", exact[0], 2.0);
}

#[test]
fn a_decision_objective_may_hold_a_nested_counterfactual() {
    // z = d + m[do(x = 1)] + U_z and m[do(x = 1)] = 1 + U_m: E = d + 1, best d = 1.
    let source = "\
x ~ Normal(0, 1)
m ~ Normal(x, 1)
decision d in {0, 1}
z ~ Normal(d + m, 1)
decide d in {0, 1} maximize E[z[do(m = m[do(x = 1)])]]
";
    let answers = run_source("decide", source, &options(1_000, Method::Auto)).unwrap();
    let Body::Decision(decision) = &answers[0].body else {
        panic!("not a decision")
    };
    assert_eq!(decision.best_unconditional["d"], whatif::Value::Int(1));
    assert!((decision.value - 2.0).abs() < 1e-9, "{}", decision.value);
}

/// Each statement's value and standard error with one engine forced.
fn values_by(source: &str, engine: whatif::Engine) -> Vec<(f64, f64)> {
    let options = whatif::Options::new()
        .engine(engine)
        .samples(200_000)
        .seed(11);
    let answers =
        run_source("nested", source, &options).unwrap_or_else(|e| panic!("{engine:?}: {e}"));
    answers
        .iter()
        .map(|a| match &a.body {
            Body::Probability(e) | Body::Expectation(e) => (e.value, e.stderr.unwrap_or(f64::NAN)),
            other => panic!("not a number: {other:?}"),
        })
        .collect()
}

#[test]
fn every_engine_answers_nested_counterfactuals_as_derived() {
    use whatif::Engine;
    for engine in [
        Engine::VariableElimination,
        Engine::TableSampler,
        Engine::Interpreter,
    ] {
        let got = values_by(&discrete_source(), engine);
        for (i, (g, want)) in got.into_iter().zip(discrete_answers()).enumerate() {
            assert_close(&format!("{engine:?} discrete statement {i}"), g, want);
        }
    }
    for engine in [Engine::Gaussian, Engine::LinearSampler, Engine::Interpreter] {
        let got = values_by(LINEAR, engine);
        for (i, (g, want)) in got.into_iter().zip(linear_answers()).enumerate() {
            // Statement 3 observes every variable, so each sample is the same number and the
            // standard error is 0; the interpreter abducts a continuous observation through the
            // Normal CDF and its inverse, which round-trip to about 1e-7.
            if engine == Engine::Interpreter && g.1 == 0.0 {
                assert!((g.0 - want).abs() < 1e-6, "{engine:?} {i}: {g:?} vs {want}");
                continue;
            }
            assert_close(&format!("{engine:?} linear statement {i}"), g, want);
        }
    }
}
