//! `whatif run --plot DIR`: pictures of answers people would rather look at than read.
//!
//! - a bandit: cumulative regret against rounds, one line per policy, with a band of ±1.96
//!   standard errors over runs;
//! - a decision: expected utility per action as bars with ±1.96 standard-error whiskers, the
//!   best action highlighted, and the evidential ranking `E[U | d = a]` beside it when shown;
//! - an attribution: each player's Shapley value as a horizontal bar (gains and losses in two
//!   colours), largest at the top, with ±1.96 standard-error whiskers where sampled.
//!
//! SVG through plotters, with no system font needed (the SVG viewer renders the text).
//! File names carry the model's name and the statement's line — `casino_line12_bandit.svg`,
//! `treatment_line7_decision.svg` — so two models plotted into one directory keep their pictures.
//! The directory is checked (created, and written to) by [`prepare_dir`] before any answer is
//! computed, so a bad `--plot` is found at once, not after the sampling.
//!
//! **Invariant:** writes only into the directory it is given, and only whole files.

use crate::results::{Answer, AttributionAnswer, BanditAnswer, Body, DecisionAnswer};
use plotters::prelude::*;
use std::path::{Path, PathBuf};

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Creates `dir` if needed and makes sure a file can be created in it, leaving nothing behind.
pub fn prepare_dir(dir: &Path) -> Result<(), String> {
    let cannot = |e: std::io::Error| format!("cannot write plots into {}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(cannot)?;
    let probe = dir.join(format!(".whatif-plot-probe-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(cannot)?;
    std::fs::remove_file(&probe).map_err(cannot)
}

/// Writes one picture per bandit and decision answer into `dir`, each named after `model` (the
/// model file's stem) and the statement's line; returns the files written.
pub fn write_plots(dir: &Path, model: &str, answers: &[Answer]) -> Result<Vec<PathBuf>, String> {
    prepare_dir(dir)?;
    let mut written = Vec::new();
    for answer in answers {
        let (path, result) = match &answer.body {
            Body::Bandit(b) => {
                let path = dir.join(format!("{model}_line{}_bandit.svg", answer.line));
                let result = regret_curves(&path, &answer.query, b);
                (path, result)
            }
            Body::Decision(d) => {
                let path = dir.join(format!("{model}_line{}_decision.svg", answer.line));
                let result = utility_bars(&path, &answer.query, d);
                (path, result)
            }
            Body::Attribution(a) => {
                let path = dir.join(format!("{model}_line{}_attribution.svg", answer.line));
                let result = contribution_bars(&path, &answer.query, a);
                (path, result)
            }
            _ => continue,
        };
        if let Err(e) = result {
            let _ = std::fs::remove_file(&path);
            return Err(format!("cannot draw {}: {e}", path.display()));
        }
        written.push(path);
    }
    Ok(written)
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn title(query: &str) -> String {
    let one_line = query.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 90 {
        format!("{}…", one_line.chars().take(89).collect::<String>())
    } else {
        one_line
    }
}

fn regret_curves(path: &Path, query: &str, b: &BanditAnswer) -> DrawResult {
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let top = b
        .policies
        .iter()
        .flat_map(|p| {
            p.checkpoints
                .iter()
                .map(|c| c.regret + 1.96 * c.regret_stderr)
        })
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.05;
    let mut chart = ChartBuilder::on(&root)
        .caption(title(query), ("sans-serif", 16))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..b.rounds as f64, 0f64..top)?;
    chart
        .configure_mesh()
        .x_desc("round")
        .y_desc("cumulative regret (mean ± 1.96 SE over runs)")
        .draw()?;
    for (i, p) in b.policies.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let mut points = vec![(0.0, 0.0, 0.0)];
        points.extend(
            p.checkpoints
                .iter()
                .map(|c| (c.round as f64, c.regret, 1.96 * c.regret_stderr)),
        );
        let mut band: Vec<(f64, f64)> = points.iter().map(|(x, y, e)| (*x, y + e)).collect();
        band.extend(points.iter().rev().map(|(x, y, e)| (*x, (y - e).max(0.0))));
        chart.draw_series(std::iter::once(Polygon::new(
            band,
            color.mix(0.18).filled(),
        )))?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|(x, y, _)| (*x, *y)),
                color.stroke_width(2),
            ))?
            .label(format!(
                "{} ({:.1} ± {:.1})",
                p.name, p.regret, p.regret_stderr
            ))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

fn utility_bars(path: &Path, query: &str, d: &DecisionAnswer) -> DrawResult {
    let label = |m: &crate::results::Assignment| {
        m.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let labels: Vec<String> = d.actions.iter().map(|a| label(&a.action)).collect();
    // The bars are single actions: highlight the best of them, whatever a policy recommends.
    let best = label(&d.best_unconditional);
    let series: Vec<(&str, Vec<(f64, f64)>)> = {
        let mut s = vec![(
            "interventional E[U | do(a)]",
            d.actions.iter().map(|a| (a.value, a.stderr)).collect(),
        )];
        if !d.evidential.is_empty() {
            s.push((
                "evidential E[U | d = a] (confounded)",
                d.actions
                    .iter()
                    .map(|a| {
                        d.evidential
                            .iter()
                            .find(|e| e.action == a.action)
                            .map_or((f64::NAN, 0.0), |e| (e.value, e.stderr))
                    })
                    .collect(),
            ));
        }
        s
    };
    let values = series
        .iter()
        .flat_map(|(_, v)| v.iter())
        .filter(|(v, _)| v.is_finite());
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), (v, e)| {
        (lo.min(v - 1.96 * e), hi.max(v + 1.96 * e))
    });
    let pad = (hi - lo).max(1e-9) * 0.08;
    let n = labels.len();
    let width = 0.8 / series.len() as f64;
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title(query), ("sans-serif", 16))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), (lo - pad)..(hi + pad))?;
    let labels_for_axis = labels.clone();
    chart
        .configure_mesh()
        .x_labels(n)
        .x_label_formatter(&move |x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels_for_axis.len() {
                labels_for_axis[i as usize].clone()
            } else {
                String::new()
            }
        })
        .disable_x_mesh()
        .y_desc("expected utility (± 1.96 SE)")
        .draw()?;
    for (s, (name, points)) in series.iter().enumerate() {
        let color = PALETTE[s % PALETTE.len()];
        let offset = -0.4 + width * (s as f64 + 0.5);
        let bars = points
            .iter()
            .enumerate()
            .filter(|(_, (v, _))| v.is_finite())
            .map(|(i, (v, _))| {
                let x = i as f64 + offset;
                let highlight = s == 0 && labels[i] == best;
                let style = if highlight {
                    color.filled()
                } else {
                    color.mix(0.55).filled()
                };
                Rectangle::new(
                    [
                        (x - width * 0.45, 0.0f64.max(lo - pad)),
                        (x + width * 0.45, *v),
                    ],
                    style,
                )
            });
        chart
            .draw_series(bars)?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
        let whiskers = points
            .iter()
            .enumerate()
            .filter(|(_, (v, e))| v.is_finite() && *e > 0.0)
            .map(|(i, (v, e))| {
                let x = i as f64 + offset;
                PathElement::new(
                    vec![(x, v - 1.96 * e), (x, v + 1.96 * e)],
                    BLACK.stroke_width(2),
                )
            });
        chart.draw_series(whiskers)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Shapley values as horizontal bars, the largest on top.
fn contribution_bars(path: &Path, query: &str, a: &AttributionAnswer) -> DrawResult {
    let n = a.contributions.len();
    let spread = |c: &crate::results::Contribution| 1.96 * c.stderr.unwrap_or(0.0);
    let (lo, hi) = a
        .contributions
        .iter()
        .fold((0.0f64, 0.0f64), |(lo, hi), c| {
            (lo.min(c.value - spread(c)), hi.max(c.value + spread(c)))
        });
    let pad = (hi - lo).max(1e-9) * 0.08;
    let height = (160 + 28 * n as u32).min(4000);
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE)?;
    // Row 0 at the top: the player with the largest contribution.
    let row = |i: usize| (n - 1 - i) as f64;
    let names: Vec<String> = a.contributions.iter().map(|c| c.name.clone()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(title(query), ("sans-serif", 16))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(160)
        .build_cartesian_2d((lo - pad)..(hi + pad), -0.5f64..(n as f64 - 0.5))?;
    chart
        .configure_mesh()
        .y_labels(n)
        .y_label_formatter(&move |y| {
            let r = y.round();
            if (y - r).abs() < 1e-6 && r >= 0.0 && (r as usize) < names.len() {
                names[names.len() - 1 - r as usize].clone()
            } else {
                String::new()
            }
        })
        .disable_y_mesh()
        .x_desc(format!(
            "contribution (baseline {:.4} -> value {:.4}; ± 1.96 SE)",
            a.baseline, a.value
        ))
        .draw()?;
    let bars = a.contributions.iter().enumerate().map(|(i, c)| {
        let color = if c.value >= 0.0 {
            PALETTE[0]
        } else {
            PALETTE[3]
        };
        let y = row(i);
        Rectangle::new([(0.0, y - 0.35), (c.value, y + 0.35)], color.filled())
    });
    chart.draw_series(bars)?;
    let whiskers = a
        .contributions
        .iter()
        .enumerate()
        .filter(|(_, c)| spread(c) > 0.0)
        .map(|(i, c)| {
            let y = row(i);
            PathElement::new(
                vec![(c.value - spread(c), y), (c.value + spread(c), y)],
                BLACK.stroke_width(2),
            )
        });
    chart.draw_series(whiskers)?;
    root.present()?;
    Ok(())
}
