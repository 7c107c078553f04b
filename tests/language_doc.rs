//! docs/language.md is executable: every ```scm block runs through the `whatif` binary and its
//! annotations hold (the conventions are in the document's "How to read the examples"):
//! `# exact: V`, `# table: v p, ...`, `# best: d = v`, `# oracle: V`, `# samples: N`,
//! `# warning: TEXT`, `# error: CODE`, `# contribution: NAME V` on statement lines; `# args:`, `# command:`, `# output:`
//! and `# pending:` on lines of their own. A ```json block right after an ```scm block is the
//! `--json` output that model must print. Blocks marked `# pending: TOPIC` show specified
//! behaviour the code lacks: they must still fail, so the mark goes as soon as the code catches
//! up. The reference must also cover every error code, distribution, function and keyword.

use serde_json::Value;
use std::process::Command;

const DOC: &str = "docs/language.md";

/// One fenced block of the document.
struct Block {
    lang: String,
    /// 1-based line of the opening fence in the document.
    line: usize,
    text: String,
}

/// An annotation: its key, its value, and the block line it is on (1-based).
struct Note {
    line: usize,
    key: &'static str,
    value: String,
}

const KEYS: [&str; 12] = [
    "exact",
    "table",
    "best",
    "oracle",
    "samples",
    "warning",
    "error",
    "args",
    "command",
    "output",
    "pending",
    "contribution",
];

fn blocks(doc: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in doc.lines().enumerate() {
        if let Some(fence) = line.strip_prefix("```") {
            match open.take() {
                Some(block) => out.push(block),
                None => {
                    open = Some(Block {
                        lang: fence.trim().to_string(),
                        line: i + 1,
                        text: String::new(),
                    })
                }
            }
        } else if let Some(block) = open.as_mut() {
            block.text.push_str(line);
            block.text.push('\n');
        }
    }
    assert!(open.is_none(), "{DOC}: an unclosed code block");
    out
}

/// Every `# KEY: value` of a block; a value runs to the next `#` or the end of the line.
fn notes(text: &str) -> Vec<Note> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for (at, _) in line.match_indices('#') {
            let rest = line[at + 1..].trim_start();
            for key in KEYS {
                if let Some(value) = rest.strip_prefix(key).and_then(|r| r.strip_prefix(':')) {
                    let value = value.split('#').next().unwrap_or("").trim().to_string();
                    out.push(Note {
                        line: i + 1,
                        key,
                        value,
                    });
                }
            }
        }
    }
    out
}

struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(file: &std::path::Path, command: Option<&str>, args: &[&str]) -> Run {
    // WHATIF_DOC_BIN checks the document against another build (another branch's binary).
    let binary =
        std::env::var_os("WHATIF_DOC_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_whatif").into());
    let mut cmd = Command::new(binary);
    match command {
        Some(name) => cmd.arg(name).arg(file),
        None => cmd.arg("run").arg(file).arg("--json"),
    };
    let out = cmd.args(args).output().expect("the binary runs");
    Run {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The (line, code) of every `FILE:LINE:COL: error[CODE]` in the rendered diagnostics.
fn reported_errors(stderr: &str) -> Vec<(usize, String)> {
    stderr
        .lines()
        .filter_map(|l| {
            let at = l.find(": error[")?;
            let code = l[at + 8..].split(']').next()?.to_string();
            let mut parts = l[..at].rsplit(':');
            let _col = parts.next()?;
            let line = parts.next()?.parse().ok()?;
            Some((line, code))
        })
        .collect()
}

fn number(v: &Value, field: &str) -> Result<f64, String> {
    v[field]
        .as_f64()
        .ok_or_else(|| format!("no number `{field}` in {v}"))
}

/// How far an answer may be from the exact value written in the document: 1e-9 (relative
/// above 1) for exact answers, plus five reported standard errors for sampled ones.
fn tolerance(expected: f64, stderr: f64, exact: bool) -> f64 {
    let written = 1e-9 * expected.abs().max(1.0);
    if exact {
        written
    } else {
        written + 5.0 * stderr
    }
}

fn close(what: &str, got: f64, stderr: f64, expected: f64, exact: bool) -> Result<(), String> {
    let tol = tolerance(expected, stderr, exact);
    if (got - expected).abs() <= tol {
        Ok(())
    } else {
        Err(format!(
            "{what}: got {got} ± {stderr} ({}), expected {expected} (tolerance {tol:e})",
            if exact { "exact" } else { "sampled" }
        ))
    }
}

fn check_note(note: &Note, answer: &Value) -> Result<(), String> {
    let exact = answer["method"] == "exact";
    match note.key {
        "exact" => {
            let expected: f64 = note.value.parse().map_err(|_| "bad `exact` value")?;
            let (value, stderr) = if answer["kind"] == "distribution" {
                (number(answer, "mean")?, number(answer, "mean_stderr")?)
            } else {
                (number(answer, "value")?, number(answer, "stderr")?)
            };
            close("value", value, stderr, expected, exact)
        }
        "oracle" => {
            let expected: f64 = note.value.parse().map_err(|_| "bad `oracle` value")?;
            let exact = answer["oracle"] == "exact";
            close(
                "oracle",
                number(answer, "oracle_value")?,
                0.0,
                expected,
                exact,
            )
        }
        "table" => {
            let rows = answer["values"]
                .as_array()
                .ok_or_else(|| format!("not a table: {answer}"))?;
            let expected: Vec<(&str, f64)> = note
                .value
                .split(',')
                .map(|cell| {
                    let (v, p) = cell.trim().rsplit_once(' ').expect("`value p` in a table");
                    (v.trim(), p.parse().expect("a probability in a table"))
                })
                .collect();
            let got: Vec<String> = rows.iter().map(|r| r["value"].to_string()).collect();
            let want: Vec<&str> = expected.iter().map(|(v, _)| *v).collect();
            if got != want {
                return Err(format!("table values {got:?}, expected {want:?}"));
            }
            for (row, (v, p)) in rows.iter().zip(&expected) {
                close(
                    &format!("p of {v}"),
                    number(row, "p")?,
                    number(row, "stderr")?,
                    *p,
                    exact,
                )?;
            }
            Ok(())
        }
        "best" => {
            for pair in note.value.split(',') {
                let (name, value) = pair.split_once('=').expect("`name = value` in best");
                let got = answer["best"][name.trim()].to_string();
                if got != value.trim() {
                    return Err(format!("best {name} = {got}, expected {value}"));
                }
            }
            Ok(())
        }
        "contribution" => {
            // `# contribution: NAME V`: an attribution's player NAME (which may have spaces).
            let (name, value) = note
                .value
                .rsplit_once(' ')
                .ok_or("`NAME VALUE` in a contribution")?;
            let expected: f64 = value.parse().map_err(|_| "bad `contribution` value")?;
            let player = answer["contributions"]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["name"] == name.trim()))
                .ok_or_else(|| format!("no contribution of `{name}` in {answer}"))?;
            close(
                &format!("contribution of {name}"),
                number(player, "value")?,
                number(player, "stderr")?,
                expected,
                exact,
            )
        }
        "samples" => {
            let expected: u64 = note.value.parse().map_err(|_| "bad `samples` value")?;
            match answer["samples"].as_u64() {
                Some(n) if n == expected => Ok(()),
                other => Err(format!("samples {other:?}, expected {expected}")),
            }
        }
        "warning" => {
            let warnings = answer["warnings"].as_array().cloned().unwrap_or_default();
            if warnings
                .iter()
                .any(|w| w.as_str().is_some_and(|w| w.contains(&note.value)))
            {
                Ok(())
            } else {
                Err(format!("no warning containing `{}`", note.value))
            }
        }
        _ => Ok(()),
    }
}

/// `expected` (from the document) matches `actual` (whatif's JSON): the same fields and array
/// lengths, the same strings, booleans and nulls, and the same numbers where `numbers` is set.
fn same_json(expected: &Value, actual: &Value, numbers: bool, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let (ek, ak): (Vec<_>, Vec<_>) = (e.keys().collect(), a.keys().collect());
            if ek != ak {
                return Err(format!("{path}: fields {ak:?}, the document shows {ek:?}"));
            }
            let numbers = numbers || a.get("method").is_some_and(|m| m == "exact");
            for (k, v) in e {
                same_json(v, &a[k], numbers, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{path}: {} items, the document shows {}",
                    a.len(),
                    e.len()
                ));
            }
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                same_json(x, y, numbers, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (
                e.as_f64().unwrap_or(f64::NAN),
                a.as_f64().unwrap_or(f64::NAN),
            );
            if !numbers || (e - a).abs() <= 1e-9 * e.abs().max(1.0) {
                Ok(())
            } else {
                Err(format!("{path}: {a}, the document shows {e}"))
            }
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{path}: {a}, the document shows {e}")),
    }
}

/// Runs one block and checks its annotations (and the JSON the document shows after it).
fn check_block(block: &Block, json: Option<&str>, dir: &std::path::Path) -> Result<(), String> {
    let notes = notes(&block.text);
    let first = |key: &str| notes.iter().find(|n| n.key == key).map(|n| n.value.clone());
    let file = dir.join(format!("line{}.scm", block.line));
    std::fs::write(&file, &block.text).map_err(|e| e.to_string())?;
    let args = first("args").unwrap_or_default();
    let args: Vec<&str> = args.split_whitespace().collect();
    let command = first("command");
    let out = run(&file, command.as_deref(), &args);
    let errors: Vec<&Note> = notes.iter().filter(|n| n.key == "error").collect();
    let context = || format!("\n--- stdout\n{}--- stderr\n{}", out.stdout, out.stderr);

    if errors.is_empty() {
        if out.status != Some(0) {
            return Err(format!("exit status {:?}{}", out.status, context()));
        }
    } else {
        if out.status != Some(1) {
            return Err(format!(
                "exit status {:?}, expected 1{}",
                out.status,
                context()
            ));
        }
        let reported = reported_errors(&out.stderr);
        for note in &errors {
            if !reported.contains(&(note.line, note.value.clone())) {
                return Err(format!(
                    "expected error[{}] at line {}, got {reported:?}{}",
                    note.value,
                    note.line,
                    context()
                ));
            }
        }
    }
    for note in notes.iter().filter(|n| n.key == "output") {
        if !out.stdout.contains(&note.value) {
            return Err(format!("stdout lacks `{}`{}", note.value, context()));
        }
    }

    let answer_notes: Vec<&Note> = notes
        .iter()
        .filter(|n| {
            matches!(
                n.key,
                "exact" | "table" | "best" | "oracle" | "samples" | "warning"
            )
        })
        .collect();
    if answer_notes.is_empty() && json.is_none() {
        return Ok(());
    }
    let document: Value = serde_json::from_str(&out.stdout)
        .map_err(|e| format!("stdout is not JSON ({e}){}", context()))?;
    let results = document["results"].as_array().cloned().unwrap_or_default();
    for note in &errors {
        // Where the run still answers, a failed statement stands as an error object.
        let at = results.iter().find(|r| r["line"] == note.line);
        if at.is_none_or(|r| r["kind"] != "error" || r["code"] != note.value.as_str()) {
            return Err(format!(
                "line {}: no {} error object in the JSON",
                note.line, note.value
            ));
        }
    }
    for note in answer_notes {
        let answer = results
            .iter()
            .find(|r| r["line"] == note.line)
            .ok_or_else(|| format!("no answer for line {}{}", note.line, context()))?;
        check_note(note, answer)
            .map_err(|e| format!("line {} ({DOC}:{}): {e}", note.line, block.line + note.line))?;
    }
    if let Some(json) = json {
        let expected: Value =
            serde_json::from_str(json).map_err(|e| format!("the document's JSON: {e}"))?;
        same_json(&expected, &document, false, "")?;
    }
    Ok(())
}

#[test]
fn every_example_in_the_language_reference_runs_as_annotated() {
    let doc = std::fs::read_to_string(DOC).expect("docs/language.md exists");
    let all = blocks(&doc);
    let dir = std::env::temp_dir().join(format!("whatif-language-doc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut failures, mut still_pending, mut ran) = (Vec::new(), Vec::new(), 0);
    for (i, block) in all.iter().enumerate() {
        if block.lang != "scm" {
            continue;
        }
        let json = all
            .get(i + 1)
            .filter(|next| next.lang == "json")
            .map(|next| next.text.as_str());
        let pending = notes(&block.text)
            .into_iter()
            .find(|n| n.key == "pending")
            .map(|n| n.value);
        let result = check_block(block, json, &dir);
        ran += 1;
        match (result, pending) {
            (Ok(()), None) => {}
            (Err(e), None) => failures.push(format!("{DOC}:{}: {e}", block.line)),
            (Ok(()), Some(topic)) => failures.push(format!(
                "{DOC}:{}: the pending example `{topic}` now passes: remove its `# pending:` \
                 line and its row in \"Deviations from the specification\"",
                block.line
            )),
            (Err(_), Some(topic)) => still_pending.push(topic),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{ran} examples run; still pending: {still_pending:?}");
    assert!(ran >= 40, "only {ran} examples");
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// The words every runnable, non-pending example of the document uses.
fn runnable_text(doc: &str) -> String {
    blocks(doc)
        .into_iter()
        .filter(|b| b.lang == "scm" && !notes(&b.text).iter().any(|n| n.key == "pending"))
        .map(|b| b.text)
        .collect()
}

#[test]
fn the_reference_has_an_example_of_every_error_code_distribution_function_and_keyword() {
    let doc = std::fs::read_to_string(DOC).expect("docs/language.md exists");
    let text = runnable_text(&doc);
    let codes: Vec<String> = notes(&text)
        .into_iter()
        .filter(|n| n.key == "error")
        .map(|n| n.value)
        .collect();
    for n in 1..=12 {
        let code = format!("E{n:03}");
        assert!(codes.contains(&code), "no example triggers {code}");
    }
    let code: String = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").to_string() + "\n")
        .collect();
    let words: std::collections::BTreeSet<&str> = code
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    let distributions = [
        "Bernoulli",
        "Categorical",
        "Binomial",
        "Poisson",
        "Geometric",
        "DiscreteUniform",
        "Normal",
        "LogNormal",
        "Uniform",
        "Exponential",
        "Gamma",
        "Beta",
        "StudentT",
        "Laplace",
    ];
    let functions = [
        "abs", "exp", "log", "sqrt", "pow", "min", "max", "sigmoid", "logit", "floor", "ceil",
        "round", "clamp",
    ];
    let keywords = [
        "let",
        "exogenous",
        "decision",
        "query",
        "decide",
        "bandit",
        "set",
        "in",
        "if",
        "then",
        "else",
        "match",
        "do",
        "and",
        "or",
        "not",
        "xor",
        "true",
        "false",
        "maximize",
        "minimize",
        "given",
        "reward",
        "rounds",
        "runs",
        "policies",
        "for",
        "attribute",
        "to",
    ];
    let policies = [
        "random",
        "greedy",
        "epsilon_greedy",
        "ucb1",
        "thompson",
        "causal_thompson",
    ];
    for word in distributions
        .iter()
        .chain(&functions)
        .chain(&keywords)
        .chain(&policies)
    {
        assert!(words.contains(word), "no runnable example uses `{word}`");
    }
    for line in doc.lines() {
        assert!(
            !line.contains("../shared"),
            "the reference must stand alone: {line}"
        );
    }
}
