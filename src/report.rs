//! Answers as text for people: one block per statement.
//!
//! **Invariant:** pure formatting; the numbers come from [`crate::results`].

use crate::results::{Answer, Body, Distribution};
use std::fmt::Write as _;

/// A number with about `digits` significant digits, without noise.
pub fn number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        return format!("{x:.4e}");
    }
    let decimals = (5 - magnitude).clamp(0, 8) as usize;
    format!("{x:.decimals$}")
}

fn count(x: f64) -> String {
    let n = x.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An effective sample size: whole above 10, one decimal below (ESS 1.4 is not ESS 1).
fn effective(ess: f64) -> String {
    if ess < 10.0 {
        format!("{ess:.1}")
    } else {
        count(ess)
    }
}

/// "ESS n of m samples, importance sampling" for sampled answers, "exact" for exact ones.
fn provenance(answer: &Answer, ess: Option<f64>, samples: Option<u64>) -> String {
    match (ess, samples) {
        (Some(ess), Some(samples)) => format!(
            "ESS {} of {} samples, {}",
            effective(ess),
            count(samples as f64),
            method(answer)
        ),
        _ => method(answer).to_string(),
    }
}

fn method(answer: &Answer) -> &'static str {
    match answer.method {
        crate::results::MethodUsed::Is => "importance sampling",
        crate::results::MethodUsed::Exact => "exact",
        crate::results::MethodUsed::Identified => "identified from data",
        crate::results::MethodUsed::Smc => "sequential Monte Carlo",
    }
}

/// The human-readable block for one answer; `seconds`, when given, is the time it took.
pub fn render(answer: &Answer, seconds: Option<f64>) -> String {
    let mut out = String::new();
    let title = match &answer.name {
        Some(name) => format!(
            "{name} = {}",
            answer
                .query
                .trim_start_matches("query")
                .trim()
                .split_once('=')
                .map_or("", |(_, r)| r.trim())
        ),
        None => answer.query.trim_start_matches("query").trim().to_string(),
    };
    let timing = seconds.map_or(String::new(), |s| {
        let ms = s * 1000.0;
        if ms < 10.0 {
            format!(", {ms:.2} ms")
        } else {
            format!(", {ms:.0} ms")
        }
    });
    match &answer.body {
        Body::Identification(id) => {
            let timing = timing.trim_start_matches(", ");
            if timing.is_empty() {
                let _ = writeln!(out, "{title}");
            } else {
                let _ = writeln!(out, "{title}   ({timing})");
            }
            match (&id.estimand, &id.hedge) {
                (Some(estimand), _) => {
                    let _ = writeln!(out, "  identifiable: {estimand}");
                }
                (None, Some(hedge)) => {
                    let sets: Vec<String> = hedge
                        .iter()
                        .map(|s| format!("{{{}}}", s.join(", ")))
                        .collect();
                    let _ = writeln!(
                        out,
                        "  not identifiable from {{{}}}: hedge {}",
                        id.observed.join(", "),
                        sets.join(" / ")
                    );
                }
                (None, None) => {
                    let _ = writeln!(out, "  not identifiable");
                }
            }
            match &id.adjustment_set {
                Some(set) => {
                    let _ = if set.is_empty() {
                        writeln!(
                            out,
                            "  back-door adjustment set: {{}} (no adjustment needed)"
                        )
                    } else {
                        writeln!(out, "  back-door adjustment set: {{{}}}", set.join(", "))
                    };
                }
                None if id.identifiable && answer.query.contains("do(") => {
                    let _ = writeln!(out, "  no back-door adjustment set");
                }
                None => {}
            }
        }
        Body::Probability(e) | Body::Expectation(e)
            if answer.method == crate::results::MethodUsed::Identified =>
        {
            let _ = writeln!(
                out,
                "{title}\n  = {} ± {}   (identified, from {} rows; bootstrap standard error{timing})",
                number(e.value),
                number(e.stderr.unwrap_or(0.0)),
                count(e.samples.unwrap_or(0) as f64)
            );
        }
        Body::Probability(e) | Body::Expectation(e) => match (e.ess, e.samples) {
            (Some(ess), Some(samples)) => {
                let error = match e.stderr {
                    Some(se) => format!(" ± {}", number(se)),
                    None => String::new(),
                };
                let caveat = if e.stderr.is_none() {
                    "no error estimate: "
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "{title}\n  = {}{error}   ({caveat}ESS {} of {} samples, {}{timing})",
                    number(e.value),
                    effective(ess),
                    count(samples as f64),
                    method(answer)
                );
            }
            _ => {
                let _ = writeln!(out, "{title}\n  = {}   (exact{timing})", number(e.value));
            }
        },
        Body::Distribution(Distribution::Discrete {
            values,
            ess,
            samples,
        }) => {
            let _ = writeln!(
                out,
                "{title}   ({}{timing})",
                provenance(answer, *ess, *samples)
            );
            let width = values
                .iter()
                .map(|v| v.value.to_string().len())
                .max()
                .unwrap_or(1);
            for v in values {
                let bar = "█".repeat((v.p * 30.0).round() as usize);
                let error = match ess {
                    Some(_) => format!(" ± {}", number(v.stderr)),
                    None => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  {:<width$}  {}{error}  {bar}",
                    v.value.to_string(),
                    number(v.p),
                );
            }
        }
        Body::Distribution(Distribution::Real {
            mean,
            mean_stderr,
            sd,
            quantiles,
            histogram,
            ess,
            samples,
        }) => {
            let _ = writeln!(
                out,
                "{title}   ({}{timing})",
                provenance(answer, *ess, *samples)
            );
            let error = match ess {
                Some(_) => format!(" ± {}", number(*mean_stderr)),
                None => String::new(),
            };
            let _ = writeln!(out, "  mean {}{error}   sd {}", number(*mean), number(*sd));
            let qs: Vec<String> = quantiles
                .iter()
                .map(|q| format!("{:.0}% {}", q.q * 100.0, number(q.value)))
                .collect();
            let _ = writeln!(out, "  quantiles  {}", qs.join("   "));
            let peak = histogram.iter().map(|h| h.1).fold(0.0, f64::max);
            for (lo, p) in histogram {
                let bar = if peak > 0.0 {
                    "█".repeat((p / peak * 40.0).round() as usize)
                } else {
                    String::new()
                };
                let _ = writeln!(out, "  {:>10} | {bar}", number(*lo));
            }
        }
        Body::Decision(d) => {
            let exact = answer.method == crate::results::MethodUsed::Exact;
            let samples = if exact {
                String::new()
            } else if answer.method == crate::results::MethodUsed::Identified {
                format!(
                    ", {} rows; bootstrap standard errors",
                    count(d.samples as f64)
                )
            } else {
                format!(", {} samples", count(d.samples as f64))
            };
            let _ = writeln!(out, "{title}   ({}{samples}{timing})", method(answer));
            let error = |se: f64| {
                if exact {
                    String::new()
                } else {
                    format!(" ± {}", number(se))
                }
            };
            if d.policy.is_empty() {
                let _ = writeln!(
                    out,
                    "  best: {}   expected utility {}{}",
                    show_map(&d.best_unconditional),
                    number(d.value),
                    error(d.stderr)
                );
            } else {
                let _ = writeln!(
                    out,
                    "  best policy: expected utility {}{}",
                    number(d.value),
                    error(d.stderr)
                );
                for row in &d.policy {
                    let when = if row.context.is_empty() {
                        "first".to_string()
                    } else {
                        format!("when {}", show_map(&row.context))
                    };
                    let _ = writeln!(
                        out,
                        "    {when:<30} {}   (value from here {})",
                        show_map(&row.action),
                        number(row.value)
                    );
                }
                let _ = writeln!(
                    out,
                    "  each action without observing anything (best: {}, expected utility {}):",
                    show_map(&d.best_unconditional),
                    number(d.value_unconditional)
                );
            }
            for a in &d.actions {
                let versus = if exact || a.diff_stderr == 0.0 {
                    String::new()
                } else {
                    format!("   (difference from the best ± {})", number(a.diff_stderr))
                };
                let _ = writeln!(
                    out,
                    "    {:<30} {}{}{versus}",
                    show_map(&a.action),
                    number(a.value),
                    error(a.stderr)
                );
            }
            if let Some(v) = d.value_of_information {
                let _ = writeln!(out, "  value of observing the context: {}", number(v));
            }
            if !d.evidential.is_empty() {
                let _ = writeln!(
                    out,
                    "  evidential ranking E[U | d = a] (what the data suggest, not what acting does):"
                );
                for a in &d.evidential {
                    let _ = writeln!(
                        out,
                        "    {:<30} {}{}",
                        show_map(&a.action),
                        number(a.value),
                        error(a.stderr)
                    );
                }
            }
        }
        Body::Attribution(a) => attribution(&mut out, answer, a, &title, &timing),
        Body::Marginals(m) => marginals(&mut out, answer, m, &title, &timing),
        Body::Bandit(b) => {
            let _ = writeln!(
                out,
                "{title}   ({} rounds × {} runs{timing})",
                b.rounds, b.runs
            );
            let _ = writeln!(
                out,
                "  best intuition-aware policy earns {} per round ({} oracle)",
                number(b.oracle_value),
                b.oracle
            );
            for p in &b.policies {
                let _ = writeln!(
                    out,
                    "  {:<16} regret {} ± {}   optimal {:.1}%",
                    p.name,
                    number(p.regret),
                    number(p.regret_stderr),
                    100.0 * p.optimal_fraction
                );
            }
            // Cumulative regret and optimal choices at a few rounds.
            let key: Vec<u64> = crate::results::CHECKPOINT_FRACTIONS
                .iter()
                .map(|f| ((b.rounds as f64 * f).round() as u64).max(1))
                .collect();
            let mut header = format!("  {:<16}", "at round");
            let mut shown = Vec::new();
            for r in &key {
                if !shown.contains(r) {
                    shown.push(*r);
                    let _ = write!(header, "{r:>16}");
                }
            }
            let _ = writeln!(out, "{header}");
            for p in &b.policies {
                let mut line = format!("  {:<16}", p.name);
                for r in &shown {
                    if let Some(c) = p.checkpoints.iter().find(|c| c.round == *r) {
                        let cell = format!("{:.1} ({:.0}%)", c.regret, 100.0 * c.optimal_fraction);
                        let _ = write!(line, "{cell:>16}");
                    }
                }
                let _ = writeln!(out, "{line}");
            }
        }
    }
    if let Some(log_evidence) = answer.details.log_evidence {
        let error = answer
            .details
            .log_evidence_stderr
            .map_or(String::new(), |se| format!(" ± {}", number(se)));
        let stages = answer.details.stages.map_or(String::new(), |n| {
            format!("   ({n} tempering stage{})", if n == 1 { "" } else { "s" })
        });
        let _ = writeln!(
            out,
            "  log evidence {}{error}{stages}",
            number(log_evidence)
        );
    }
    if let Some(reason) = &answer.details.method_reason {
        let _ = writeln!(out, "  method: {reason}");
    }
    if let Some(spread) = &answer.bootstrap {
        spread_lines(&mut out, spread);
    }
    for w in &answer.warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    out
}

/// `--bootstrap`: the answer's spread across the refits, under the answer.
fn spread_lines(out: &mut String, spread: &crate::results::ParameterSpread) {
    let range = |[lo, hi]: [f64; 2]| format!("[{}, {}]", number(lo), number(hi));
    let refits = spread.refits;
    if let (Some(sd), Some(interval)) = (spread.param_sd, spread.param_interval) {
        let _ = writeln!(
            out,
            "  across {refits} bootstrap refits: sd {}, 95% interval {}",
            number(sd),
            range(interval)
        );
    }
    if !spread.param_values.is_empty() {
        let _ = writeln!(out, "  across {refits} bootstrap refits:");
        for v in &spread.param_values {
            let _ = writeln!(
                out,
                "    {}: sd {}, 95% interval {}",
                v.value,
                number(v.param_sd),
                range(v.param_interval)
            );
        }
    }
    if let Some(share) = spread.best_share {
        let _ = writeln!(
            out,
            "  the recommended action is the best in {:.1}% of the refits",
            100.0 * share
        );
    }
}

/// Width of the longest bar of an attribution's chart, in characters.
const BAR_WIDTH: f64 = 30.0;

/// An attribution: the ends, then one line per player with a bar, largest first.
/// `P(*)`: a title line, then one line per variable — each value with its probability (and
/// standard error when sampled), or a real variable's mean and sd.
fn marginals(
    out: &mut String,
    answer: &Answer,
    m: &crate::results::Marginals,
    title: &str,
    timing: &str,
) {
    let (ess, samples) = match m.variables.first().map(|(_, d)| d) {
        Some(
            Distribution::Discrete { ess, samples, .. } | Distribution::Real { ess, samples, .. },
        ) => (*ess, *samples),
        None => (None, None),
    };
    let _ = writeln!(
        out,
        "{title}   ({}, {} variables{timing})",
        provenance(answer, ess, samples),
        m.variables.len()
    );
    let width = m
        .variables
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(1);
    for (name, d) in &m.variables {
        let error = |se: f64| match ess {
            Some(_) => format!(" ± {}", number(se)),
            None => String::new(),
        };
        let shown = match d {
            Distribution::Discrete { values, .. } => values
                .iter()
                .map(|v| format!("{} {}{}", v.value, number(v.p), error(v.stderr)))
                .collect::<Vec<_>>()
                .join("   "),
            Distribution::Real {
                mean,
                mean_stderr,
                sd,
                ..
            } => format!(
                "mean {}{}   sd {}",
                number(*mean),
                error(*mean_stderr),
                number(*sd)
            ),
        };
        let _ = writeln!(out, "  {name:<width$}  {shown}");
    }
}

fn attribution(
    out: &mut String,
    answer: &Answer,
    a: &crate::results::AttributionAnswer,
    title: &str,
    timing: &str,
) {
    let exact = answer.method == crate::results::MethodUsed::Exact;
    let how = match a.permutations {
        Some(k) => format!(
            "Shapley values from {} random permutations, {} coalitions",
            count(k as f64),
            count(a.coalitions as f64)
        ),
        None => format!("every coalition, {}", count(a.coalitions as f64)),
    };
    let _ = writeln!(
        out,
        "{title}\n  ({}, {how}{timing})",
        provenance(answer, a.ess, a.samples)
    );
    let error = |se: Option<f64>| match se {
        Some(se) if !exact || a.permutations.is_some() => format!(" ± {}", number(se)),
        None if !exact || a.permutations.is_some() => " (no error estimate)".to_string(),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "  baseline {}{}  ->  value {}{}   (total change {})",
        number(a.baseline),
        error(a.baseline_stderr),
        number(a.value),
        error(a.value_stderr),
        number(a.value - a.baseline)
    );
    let largest = a
        .contributions
        .iter()
        .map(|c| c.value.abs())
        .fold(0.0, f64::max);
    let width = a
        .contributions
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    for c in &a.contributions {
        let length = if largest > 0.0 {
            (c.value.abs() / largest * BAR_WIDTH).round() as usize
        } else {
            0
        };
        let bar = if c.value < 0.0 { "-" } else { "+" }.repeat(length);
        let _ = writeln!(
            out,
            "  {:<width$}  {:>12}{}   {bar}",
            c.name,
            format!(
                "{}{}",
                if c.value >= 0.0 { "+" } else { "" },
                number(c.value)
            ),
            error(c.stderr),
        );
    }
}

fn show_map(map: &crate::results::Assignment) -> String {
    map.iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a fit did, before the answers: `fitted 9 parameters from 10,000 rows in 0.02 s`, then
/// one line per mechanism (rows used, method) and one per parameter (estimate ± standard error).
#[cfg(feature = "cli")]
pub fn fit_summary(fit: &crate::results::FitSummary) -> String {
    let mut out = format!(
        "fitted {} parameter{} from {} rows in {:.3} s\n",
        fit.parameters.len(),
        if fit.parameters.len() == 1 { "" } else { "s" },
        count(fit.rows as f64),
        fit.seconds
    );
    for m in &fit.mechanisms {
        let _ = writeln!(
            out,
            "  {}: {} ({} rows)",
            m.variable,
            m.method,
            count(m.rows as f64)
        );
        for p in fit.parameters.iter().filter(|p| p.variable == m.variable) {
            let cell = p.index.as_ref().map_or(String::new(), |index| {
                let parts: Vec<String> = index.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("[{}]", parts.join(", "))
            });
            let se = p
                .stderr
                .map_or(String::new(), |s| format!(" ± {}", number(s)));
            let _ = writeln!(out, "    {}{cell} = {}{se}", p.name, number(p.value));
        }
    }
    out
}
