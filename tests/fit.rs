//! Fitting `?` parameters from data (LANGUAGE.md §12), end to end: data generated here from a
//! known model, fitted through the library and the command line; counts checked exactly,
//! regression and logistic coefficients within their standard errors of the truth, the written
//! model answering exactly as the in-memory fit, the `--json` "fit" object, `--data`, and a
//! fitted model answering later questions without its file.

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::Command;
use whatif::results::Body;
use whatif::{Data, Method, Model, Options};

const MODEL: &str = r#"
data "clinic.csv"
severity ~ Categorical("mild": ?, "severe": ?)
treated  ~ Bernoulli(?[severity])
recovered ~ Bernoulli(sigmoid(?a + ?b * treated + ?c * (severity == "severe")))
cost ~ Normal(?c0 + ?c1 * treated + ?c2 * (severity == "severe"), ?sd)
query P(recovered | do(treated = true))
query E[cost | do(treated = false)]
query P(severity = "severe" | recovered)
"#;

/// The truth the rows are drawn from.
const P_SEVERE: f64 = 0.3;
const P_TREATED: [f64; 2] = [0.4, 0.7]; // mild, severe
const LOGIT: [f64; 3] = [0.2, 0.9, -1.1];
const COST: [f64; 4] = [100.0, 25.0, 60.0, 8.0]; // intercept, treated, severe, sd

struct Generated {
    dir: PathBuf,
    /// (severe, treated) counts for checking the count estimates exactly.
    treated_by_severity: [[u64; 2]; 2],
    severe: u64,
    rows: u64,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A standard normal draw by Box–Muller.
fn normal(rng: &mut SmallRng) -> f64 {
    let (u, v): (f64, f64) = (rng.random(), rng.random());
    (-2.0 * (1.0 - u).ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

fn generate(name: &str, rows: u64, seed: u64) -> Generated {
    let dir = std::env::temp_dir().join(format!("whatif-fit-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut csv = String::from("severity,treated,recovered,cost,unused\n");
    let mut treated_by_severity = [[0u64; 2]; 2];
    let mut severe_count = 0;
    for i in 0..rows {
        let severe = rng.random::<f64>() < P_SEVERE;
        let s = usize::from(severe);
        let treated = rng.random::<f64>() < P_TREATED[s];
        treated_by_severity[s][usize::from(treated)] += 1;
        severe_count += u64::from(severe);
        let t = f64::from(u8::from(treated));
        let sv = f64::from(u8::from(severe));
        let recovered = rng.random::<f64>() < sigmoid(LOGIT[0] + LOGIT[1] * t + LOGIT[2] * sv);
        let cost = COST[0] + COST[1] * t + COST[2] * sv + COST[3] * normal(&mut rng);
        // Every 50th row misses its cost: it still counts for the other mechanisms.
        let cost = if i % 50 == 7 {
            "NA".to_string()
        } else {
            format!("{cost}")
        };
        csv.push_str(&format!(
            "{},{},{},{cost},{i}\n",
            if severe { "severe" } else { "mild" },
            if treated { "1" } else { "0" },
            recovered
        ));
    }
    std::fs::write(dir.join("clinic.csv"), csv).unwrap();
    std::fs::write(dir.join("clinic.scm"), MODEL).unwrap();
    Generated {
        dir,
        treated_by_severity,
        severe: severe_count,
        rows,
    }
}

fn parameter(model: &Model, name: &str, cell: Option<&str>) -> (f64, f64) {
    let fit = model.fit_summary().expect("fitted");
    let p = fit
        .parameters
        .iter()
        .find(|p| {
            p.name == name
                && cell.is_none_or(|c| {
                    p.index
                        .as_ref()
                        .is_some_and(|i| i.values().any(|v| v.to_string().contains(c)))
                })
        })
        .unwrap_or_else(|| panic!("no parameter {name} {cell:?}"));
    (p.value, p.stderr.unwrap_or(f64::NAN))
}

fn exact() -> Options {
    Options::new().method(Method::Exact).seed(1)
}

fn values(model: &Model, options: &Options) -> Vec<f64> {
    model
        .run(options)
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .expect("answers")
        .iter()
        .map(|a| match &a.body {
            Body::Probability(e) | Body::Expectation(e) => e.value,
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn counts_are_exact_and_coefficients_recover_the_truth() {
    let g = generate("recover", 20_000, 17);
    let model = Model::from_file(g.dir.join("clinic.scm")).expect("loads and fits");
    let fit = model.fit_summary().unwrap();
    assert_eq!(fit.rows, g.rows);
    // Counts: exact proportions.
    let severe = parameter(&model, "severity.?2", None).0;
    assert_eq!(severe, g.severe as f64 / g.rows as f64);
    for (s, label) in [(0, "mild"), (1, "severe")] {
        let [untreated, treated] = g.treated_by_severity[s];
        let want = treated as f64 / (treated + untreated) as f64;
        assert_eq!(
            parameter(&model, "treated.?1", Some(label)).0,
            want,
            "{label}"
        );
    }
    // Logistic and linear coefficients: within 4 standard errors of the truth.
    for (name, truth) in [("a", LOGIT[0]), ("b", LOGIT[1]), ("c", LOGIT[2])]
        .into_iter()
        .chain([
            ("c0", COST[0]),
            ("c1", COST[1]),
            ("c2", COST[2]),
            ("sd", COST[3]),
        ])
    {
        let (value, se) = parameter(&model, name, None);
        assert!(se > 0.0 && se.is_finite(), "{name}: se {se}");
        assert!(
            (value - truth).abs() < 4.0 * se,
            "{name} = {value} ± {se}, truth {truth}"
        );
    }
    // Rows used: cost misses every 50th.
    let cost = fit
        .mechanisms
        .iter()
        .find(|m| m.variable == "cost")
        .unwrap();
    assert_eq!(cost.rows, g.rows - g.rows.div_ceil(50));
    assert_eq!(cost.method, "least squares");
    let recovered = fit
        .mechanisms
        .iter()
        .find(|m| m.variable == "recovered")
        .unwrap();
    assert_eq!(recovered.method, "maximum likelihood");
}

#[test]
fn the_written_model_answers_exactly_as_the_fit() {
    let g = generate("write", 3_000, 5);
    let model = Model::from_file(g.dir.join("clinic.scm")).unwrap();
    let written = model.fitted_source().expect("fitted source");
    assert!(
        written
            .lines()
            .all(|l| !l.split('#').next().unwrap_or("").contains('?')),
        "{written}"
    );
    let reread = Model::parse_named("written.scm", &written).expect("reads back");
    assert!(reread.fit_summary().is_none());
    // Same numbers in, same seed: the same answers, to the last bit.
    let sampled = Options::new().samples(20_000).seed(3);
    assert_eq!(values(&model, &sampled), values(&reread, &sampled));
    // The same through the command line.
    let out = g.dir.join("fitted.scm");
    let status = Command::new(env!("CARGO_BIN_EXE_whatif"))
        .args(["fit", "clinic.scm", "-o", "fitted.scm"])
        .current_dir(&g.dir)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), written);
    let run = |file: &Path| {
        let o = Command::new(env!("CARGO_BIN_EXE_whatif"))
            .args(["run", "--samples", "20000", "--json"])
            .arg(file)
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["value"].as_f64().unwrap())
            .collect::<Vec<f64>>()
    };
    assert_eq!(run(&g.dir.join("clinic.scm")), run(&out));
}

#[test]
fn json_carries_the_fit_and_data_overrides_the_file() {
    let g = generate("json", 500, 9);
    let other = generate("json-other", 400, 10);
    let o = Command::new(env!("CARGO_BIN_EXE_whatif"))
        .args(["run", "--samples", "2000", "--json", "clinic.scm", "--data"])
        .arg(other.dir.join("clinic.csv"))
        .current_dir(&g.dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let fit = &doc["fit"];
    assert_eq!(fit["rows"], 400);
    let parameters = fit["parameters"].as_array().unwrap();
    assert_eq!(parameters.len(), 2 + 2 + 3 + 4);
    let treated: Vec<&serde_json::Value> = parameters
        .iter()
        .filter(|p| p["variable"] == "treated")
        .collect();
    assert_eq!(treated.len(), 2);
    for p in &treated {
        assert_eq!(p["name"], "treated.?1");
        assert!(p["index"]["severity"].is_string());
        assert!(p["value"].as_f64().unwrap() > 0.0 && p["stderr"].as_f64().unwrap() > 0.0);
    }
    let sd = parameters.iter().find(|p| p["name"] == "sd").unwrap();
    assert!(sd["index"].is_null());
    assert_eq!(doc["results"].as_array().unwrap().len(), 3);
}

#[test]
fn library_fits_columns_in_memory_and_keeps_the_fit_for_later_questions() {
    let model = Model::parse("coin ~ Bernoulli(?p)\nflip ~ Bernoulli(?[coin])").unwrap();
    // Unfitted: every question is E013.
    let e = model.ask("P(coin)", &exact()).unwrap_err();
    assert_eq!(e.code(), Some(whatif::Code::E013));
    let data = Data::from_columns([
        ("coin", vec!["true", "true", "false", "true", ""]),
        ("flip", vec!["true", "false", "false", "true", "true"]),
    ]);
    let fitted = model.fit(&data).unwrap();
    let answer = fitted.ask("P(coin)", &exact()).unwrap();
    let Body::Probability(p) = answer.body else {
        panic!()
    };
    assert_eq!(p.value, 0.75);
    // P(flip) = 0.75 · 2/3 + 0.25 · 0.
    let answer = fitted.ask("P(flip)", &exact()).unwrap();
    let Body::Probability(p) = answer.body else {
        panic!()
    };
    assert!((p.value - 0.5).abs() < 1e-15);
}

#[test]
fn a_fitted_file_model_answers_after_its_data_is_gone() {
    let g = generate("gone", 300, 3);
    let model = Model::from_file(g.dir.join("clinic.scm")).unwrap();
    std::fs::remove_file(g.dir.join("clinic.csv")).unwrap();
    let answer = model.ask("P(treated)", &exact()).expect("no refit");
    assert!(matches!(answer.body, Body::Probability(_)));
}

/// The standard normal CDF (Abramowitz–Stegun 7.1.26 on erf; error below 1.5e-7).
fn phi(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.3275911 * x);
    let poly = t
        * (0.254829592
            + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// `n` coin rows, `heads` of them true.
fn coin_rows(n: usize, heads: usize) -> Data {
    let cells = (0..n).map(|i| if i < heads { "true" } else { "false" });
    Data::from_columns([("coin", cells)])
}

/// A proportion's refits spread as its standard error says, √(p(1 − p)/n): the bootstrap sd
/// within four of its own standard errors (sd / √(2B)), the percentile interval's ends within
/// four of theirs (√(q(1 − q)/B) / φ(1.96) standard errors) of p ± 1.96 se. A close bet
/// is recommended in the share of refits the normal approximation predicts, P(p* > 1/2).
#[test]
fn bootstrap_refits_spread_as_the_standard_error_says() {
    let (n, heads) = (2000, 1020);
    let model = Model::parse(
        "coin ~ Bernoulli(?p)\n\
         decision bet in bool\n\
         win := if bet then coin else not coin\n\
         query P(coin)\n\
         decide bet maximize E[win]\n",
    )
    .unwrap()
    .fit(&coin_rows(n, heads))
    .unwrap();
    let replicates = 400;
    let refitted = model.bootstrap(replicates, 5).unwrap();
    let answers: Vec<_> = refitted
        .run(&exact())
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    let p = heads as f64 / n as f64;
    let se = (p * (1.0 - p) / n as f64).sqrt();
    let b = replicates as f64;
    let spread = answers[0].bootstrap.as_ref().expect("a spread");
    assert_eq!(spread.refits, replicates);
    let sd = spread.param_sd.unwrap();
    assert!(
        (sd - se).abs() < 4.0 * se / (2.0 * b).sqrt(),
        "sd {sd} against se {se}"
    );
    let [lo, hi] = spread.param_interval.unwrap();
    let density = (-1.96f64 * 1.96 / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let end_se = (0.025f64 * 0.975 / b).sqrt() / density * se;
    assert!((lo - (p - 1.96 * se)).abs() < 4.0 * end_se, "{lo}");
    assert!((hi - (p + 1.96 * se)).abs() < 4.0 * end_se, "{hi}");
    // The decision: bet = true wins with probability p; the refits agree where p* > 1/2.
    let decision = answers[1].bootstrap.as_ref().expect("a spread");
    let share = decision.best_share.unwrap();
    let expected = phi((p - 0.5) / se);
    let share_se = (expected * (1.0 - expected) / b).sqrt();
    assert!(
        (share - expected).abs() < 4.0 * share_se,
        "share {share} against {expected}"
    );
    // Without --bootstrap no answer carries a spread.
    assert!(model.run(&exact())[0].as_ref().unwrap().bootstrap.is_none());
}

/// `--bootstrap B` on the command line: the JSON answers carry param_sd and param_interval,
/// the text says how many refits; the same seed gives the same numbers.
#[test]
fn the_command_line_bootstraps_with_its_seed() {
    let g = generate("bootstrap-cli", 300, 8);
    let run = |json: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_whatif"));
        command.args([
            "run",
            "--samples",
            "2000",
            "--bootstrap",
            "30",
            "--seed",
            "4",
        ]);
        if json {
            command.arg("--json");
        }
        let o = command.arg(g.dir.join("clinic.scm")).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let text = run(false);
    assert!(text.contains("across 30 bootstrap refits: sd "), "{text}");
    // The JSON has no time in it: every byte is the same on a second run.
    let first = run(true);
    assert_eq!(first, run(true));
    let doc: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert!(doc["fit"].get("seconds").is_none());
    for result in doc["results"].as_array().unwrap() {
        assert_eq!(result["refits"], 30, "{result}");
        if result["kind"] == "distribution" {
            for v in result["param_values"].as_array().unwrap() {
                assert!(v["param_sd"].as_f64().unwrap() > 0.0);
            }
        } else {
            let [lo, hi] = [0, 1].map(|i| result["param_interval"][i].as_f64().unwrap());
            assert!(
                result["param_sd"].as_f64().unwrap() > 0.0 && lo < hi,
                "{result}"
            );
        }
    }
}

const PLATE: &str = "for i in 1..3 {
  c[i] ~ Bernoulli(?[i])
  h[i] ~ Bernoulli(if c[i] then ?hit else ?)
}
query P(h[2])
query P(c[3] | h[3])
";

/// Member i has 10·i rows with c true, h true in `PLATE_HITS[i]` of them and in
/// `PLATE_MISSES[i]` of the rows with c false (of 10 each).
const PLATE_HITS: [usize; 3] = [3, 11, 20];
const PLATE_MISSES: [usize; 3] = [1, 2, 4];
const PLATE_ROWS: usize = 40;

/// Columns `c[1]`, `h[1]`, ... as [`PLATE_HITS`] says.
fn plate_columns() -> Vec<(String, Vec<String>)> {
    let mut columns: Vec<(String, Vec<String>)> = Vec::new();
    for i in 0..3 {
        let on = 10 * (i + 1);
        let c: Vec<String> = (0..PLATE_ROWS).map(|r| (r < on).to_string()).collect();
        let h: Vec<String> = (0..PLATE_ROWS)
            .map(|r| {
                (if r < on {
                    r < PLATE_HITS[i]
                } else {
                    r - on < PLATE_MISSES[i]
                })
                .to_string()
            })
            .collect();
        columns.push((format!("c[{}]", i + 1), c));
        columns.push((format!("h[{}]", i + 1), h));
    }
    columns
}

/// Inside a loop an unnamed `?` is one parameter for every member and `?[i]` each member's
/// own: the member proportions exactly, the shared ones the pooled proportions over the
/// members; the written model (`match i { ... }`) answers exactly as the fit.
#[test]
fn a_plate_shares_its_parameters_and_index_gives_each_member_its_own() {
    let (hits, misses, rows) = (PLATE_HITS, PLATE_MISSES, PLATE_ROWS);
    let columns = plate_columns();
    let model = Model::parse(PLATE)
        .unwrap()
        .fit(&Data::from_columns(columns))
        .unwrap();
    let fit = model.fit_summary().unwrap();
    assert_eq!(fit.parameters.len(), 3 + 2);
    for i in 0..3 {
        let p = &fit
            .parameters
            .iter()
            .find(|p| p.name == format!("c[{}].?1", i + 1))
            .unwrap();
        assert_eq!(p.value, (10 * (i + 1)) as f64 / rows as f64);
    }
    let hit = fit.parameters.iter().find(|p| p.name == "hit").unwrap();
    let pooled_hit = hits.iter().sum::<usize>() as f64 / 60.0;
    assert!(
        (hit.value - pooled_hit).abs() < 1e-6,
        "{} against {pooled_hit}",
        hit.value
    );
    let miss = fit.parameters.iter().find(|p| p.name == "h.?1").unwrap();
    let pooled_miss = misses.iter().sum::<usize>() as f64 / 60.0;
    assert!((miss.value - pooled_miss).abs() < 1e-6);
    let written = model.fitted_source().unwrap();
    assert!(
        written.contains("match i { 1 => 0.25, 2 => 0.5, 3 => 0.75 }"),
        "{written}"
    );
    let reread = Model::parse(&written).unwrap();
    assert_eq!(values(&model, &exact()), values(&reread, &exact()));
}

/// `whatif fit` on `x ~ Bernoulli(?)` over 30,000 rows (several blocks, read and parsed in
/// parallel) with `bad` cells and `ragged` rows at the given data rows (1-based): its stderr.
fn fit_with_flaws(name: &str, bad: &[usize], ragged: &[usize]) -> String {
    let dir = std::env::temp_dir().join(format!("whatif-fit-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut csv = String::from("x,y\n");
    for r in 1..=30_000 {
        if bad.contains(&r) {
            csv.push_str("maybe,1\n");
        } else if ragged.contains(&r) {
            csv.push_str("true\n");
        } else {
            csv.push_str(if r % 3 == 0 { "true,1\n" } else { "false,0\n" });
        }
    }
    std::fs::write(dir.join("rows.csv"), csv).unwrap();
    std::fs::write(dir.join("m.scm"), "x ~ Bernoulli(?)\ndata \"rows.csv\"\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_whatif"))
        .args(["fit", "m.scm"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!o.status.success());
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn the_first_bad_row_in_the_file_is_the_one_reported_whatever_the_blocks() {
    // Line numbers count the header: data row r is line r + 1.
    let bad_first = fit_with_flaws("bad-first", &[20_000], &[25_000]);
    assert!(
        bad_first.contains("line 20001, column `x`: `maybe` is not a bool"),
        "{bad_first}"
    );
    let ragged_first = fit_with_flaws("ragged-first", &[20_000, 29_000], &[9_000]);
    assert!(
        ragged_first.contains("line 9001: 1 cells, but the header has 2 columns"),
        "{ragged_first}"
    );
    let both_late = fit_with_flaws("both-late", &[29_999], &[29_000]);
    assert!(both_late.contains("line 29001: 1 cells"), "{both_late}");
}

#[test]
fn a_file_of_many_batches_is_counted_once_on_any_thread_count() {
    // More rows than several batches hold (the reader fills a batch while the last is
    // counted), ending in a partial block: every row counted once, on one thread as on three.
    let dir = std::env::temp_dir().join(format!("whatif-fit-batches-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let n = 100_003u64;
    let mut csv = String::from("x,y\n");
    let (mut ones, mut y_given) = (0u64, [[0u64; 2]; 2]);
    for r in 0..n {
        let x = r % 7 == 0 || r % 11 == 3;
        let y = (r / 3) % 5 == 0;
        ones += u64::from(x);
        y_given[usize::from(x)][usize::from(y)] += 1;
        csv.push_str(&format!("{x},{}\n", u8::from(y)));
    }
    std::fs::write(dir.join("rows.csv"), csv).unwrap();
    std::fs::write(
        dir.join("m.scm"),
        "x ~ Bernoulli(?)\ny ~ Bernoulli(?[x])\ndata \"rows.csv\"\nquery P(y)\n",
    )
    .unwrap();
    for threads in ["1", "3"] {
        let o = Command::new(env!("CARGO_BIN_EXE_whatif"))
            .args(["run", "--json", "m.scm"])
            .env("RAYON_NUM_THREADS", threads)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(doc["fit"]["rows"], n, "{threads} threads");
        let parameters = doc["fit"]["parameters"].as_array().unwrap();
        let value = |variable: &str, x: Option<bool>| {
            parameters
                .iter()
                .find(|p| p["variable"] == variable && x.is_none_or(|x| p["index"]["x"] == x))
                .unwrap()["value"]
                .as_f64()
                .unwrap()
        };
        let p_x = ones as f64 / n as f64;
        assert!((value("x", None) - p_x).abs() < 1e-15);
        for x in [false, true] {
            let [no, yes] = y_given[usize::from(x)];
            let p_y = yes as f64 / (no + yes) as f64;
            assert!((value("y", Some(x)) - p_y).abs() < 1e-15, "x = {x}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `?[c[i]]` in a loop: a table over a member's values, one for the whole plate (pooled over
/// the members: fitted by the numerical optimizer, to its tolerance); `?[c[i], i]` gives each
/// member its own table. The written model answers as the fit.
#[test]
fn a_table_over_a_member_is_pooled_over_the_plate() {
    let pooled = "for i in 1..3 {\n  c[i] ~ Bernoulli(?[i])\n  h[i] ~ Bernoulli(?[c[i]])\n}\nquery P(h[2])\n";
    let model = Model::parse(pooled)
        .unwrap()
        .fit(&Data::from_columns(plate_columns()))
        .unwrap();
    let fit = model.fit_summary().unwrap();
    assert_eq!(fit.parameters.len(), 3 + 2, "{:?}", fit.parameters);
    let h: Vec<_> = fit
        .parameters
        .iter()
        .filter(|p| p.variable.starts_with('h'))
        .collect();
    let on_value = |c: bool| {
        h.iter()
            .find(|p| p.index.as_ref().unwrap().values().next() == Some(&whatif::Value::Bool(c)))
            .unwrap()
            .value
    };
    let total_on: usize = (1..=3).map(|i| 10 * i).sum();
    let total_off = 3 * PLATE_ROWS - total_on;
    let hit = PLATE_HITS.iter().sum::<usize>() as f64 / total_on as f64;
    let miss = PLATE_MISSES.iter().sum::<usize>() as f64 / total_off as f64;
    assert!((on_value(true) - hit).abs() < 1e-6, "{h:?}");
    assert!((on_value(false) - miss).abs() < 1e-6, "{h:?}");
    let reread = Model::parse(&model.fitted_source().unwrap()).unwrap();
    assert_eq!(values(&model, &exact()), values(&reread, &exact()));

    let own = pooled.replace("?[c[i]]", "?[c[i], i]");
    let model = Model::parse(&own)
        .unwrap()
        .fit(&Data::from_columns(plate_columns()))
        .unwrap();
    let fit = model.fit_summary().unwrap();
    assert_eq!(fit.parameters.len(), 3 + 3 * 2, "{:?}", fit.parameters);
    let reread = Model::parse(&model.fitted_source().unwrap()).unwrap();
    assert_eq!(values(&model, &exact()), values(&reread, &exact()));
}
