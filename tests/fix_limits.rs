//! Issue 13, limits and the command line's input/output: decision tables sized before they are
//! built, `--threads` bounded, write errors and closed pipes, output files written whole (never
//! over the input, never over someone's `.partial`, through symbolic links), REPL history
//! appended, `--plot` checked first and named after the model, `graph` drawn when only a
//! question fails, and one line (not a backtrace) for a panic. Big inputs are generated here.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use whatif::{Config, Model};

fn whatif() -> Command {
    Command::new(env!("CARGO_BIN_EXE_whatif"))
}

/// Runs the binary; (exit code, stdout, stderr).
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = whatif().args(args).output().expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("whatif-fix-limits-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The one error a model is refused with, rendered.
fn refusal(source: &str) -> String {
    let error = Model::parse(source).expect_err("the model is refused");
    let codes: Vec<String> = error
        .diagnostics()
        .iter()
        .filter_map(|d| d.code.map(|c| c.to_string()))
        .collect();
    assert_eq!(codes, ["E009"], "{error}");
    error.to_string()
}

/// `n` boolean decisions `d0..` and a utility reading all of them.
fn boolean_decisions(n: usize) -> String {
    let mut source: String = (0..n).map(|i| format!("decision d{i} in bool\n")).collect();
    let terms: Vec<String> = (0..n).map(|i| format!("d{i}")).collect();
    source.push_str(&format!("u := {}\n", terms.join(" or ")));
    source
}

// ---------------------------------------------------------------------------------------------
// 1. Decision tables are sized (with `config::table_size`) and limited before anything is built.

#[test]
fn a_range_as_wide_as_the_integers_is_refused_not_a_panic() {
    let message = refusal(
        "decision d in bool\nu := if d then 1 else 0\n\
         decide d in -9223372036854775807..9223372036854775807 maximize E[u]\n",
    );
    assert!(message.contains("is empty or too large"), "{message}");
}

#[test]
fn wide_ranges_are_bounded_in_total_not_only_each() {
    // A thousand decisions over a million values each: 16 GB of domains before the fix.
    let source: String = (0..1000)
        .map(|i| format!("decision d{i} in 0..999999\n"))
        .collect();
    let error = Model::parse(&source).expect_err("refused");
    let text = error.to_string();
    assert!(
        text.contains(
            "the domain ranges of this model hold more than the limit of 10000000 values"
        ),
        "{text}"
    );
    // Ten such ranges are within the limit.
    let source: String = (0..10)
        .map(|i| format!("decision d{i} in 0..999999\n"))
        .collect();
    assert!(Model::parse(&source).is_ok());
}

#[test]
fn joint_decisions_are_refused_from_their_sizes_before_any_action_is_built() {
    // Two decisions over 0..100000: 10^10 actions (240 GB before the fix).
    let message = refusal(
        "decision a in 0..100000\ndecision b in 0..100000\nu := a + b\n\
         decide (a, b) maximize E[u]\n",
    );
    assert!(
        message.contains("10000200001 actions (100001 × 100001), more than the limit of 65536"),
        "{message}"
    );
    // Three over 1..1000: 10^9 actions (24 GB before the fix).
    let message = refusal(
        "decision a in 1..1000\ndecision b in 1..1000\ndecision c in 1..1000\n\
         u := a + b + c\ndecide (a, b, c) maximize E[u]\n",
    );
    assert!(
        message.contains("1000000000 actions (1000 × 1000 × 1000)"),
        "{message}"
    );
    // 26 booleans: 2^26 actions (15.5 GB before the fix); 63: 2^63 (a panic).
    for (n, count) in [(26, "67108864"), (63, "9223372036854775808")] {
        let names: Vec<String> = (0..n).map(|i| format!("d{i}")).collect();
        let source = format!(
            "{}decide ({}) maximize P(u)\n",
            boolean_decisions(n),
            names.join(", ")
        );
        let message = refusal(&source);
        assert!(
            message.contains(&format!(
                "has {count} actions (from {n} decisions), more than the limit of 65536"
            )),
            "{message}"
        );
    }
}

#[test]
fn sixty_four_stages_overflowing_a_usize_are_refused() {
    let names: Vec<String> = (0..64).map(|i| format!("d{i}")).collect();
    let source = format!(
        "{}decide {} maximize P(u)\n",
        boolean_decisions(64),
        names.join(" then ")
    );
    let message = refusal(&source);
    assert!(
        message.contains("at least 2^64 actions (from 64 decisions)"),
        "{message}"
    );
}

#[test]
fn sixty_four_contexts_are_refused_instead_of_a_bogus_e007() {
    let mut source: String = (0..64)
        .map(|i| format!("c{i} ~ Bernoulli(0.5)\n"))
        .collect();
    let contexts: Vec<String> = (0..64).map(|i| format!("c{i}")).collect();
    source.push_str("decision d in bool\n");
    source.push_str(&format!("u := d and ({})\n", contexts.join(" or ")));
    source.push_str(&format!(
        "decide d given {} maximize P(u)\n",
        contexts.join(", ")
    ));
    let message = refusal(&source);
    assert!(
        message.contains(
            "tabulates 2 actions × at least 2^64 context values (from 64 observed variables), \
             more than the limit of 65536 entries"
        ),
        "{message}"
    );
}

#[test]
fn the_decision_limit_is_read_from_config_and_inclusive() {
    // 2 × 2 × 2 actions × 2 context values = 16 entries.
    let source = "c ~ Bernoulli(0.5)\ndecision a in bool\ndecision b in bool\n\
                  decision e in bool\nu := if c then a else b and e\n\
                  decide (a, b, e) given c maximize P(u)\n";
    // `Config` is non-exhaustive: start from the defaults and set the one limit.
    let limit = |max_decision_table| {
        let mut config = Config::default();
        config.max_decision_table = max_decision_table;
        config
    };
    assert!(Model::parse_with("<model>", source, &limit(16)).is_ok());
    let error = Model::parse_with("<model>", source, &limit(15)).expect_err("over the limit");
    assert!(
        error.to_string().contains(
            "tabulates 8 actions (2 × 2 × 2) × 2 context values, more than the limit of 15 entries"
        ),
        "{error}"
    );
    // Exactly the default limit checks: 16 boolean decisions are 65,536 actions.
    let names: Vec<String> = (0..16).map(|i| format!("d{i}")).collect();
    let source = format!(
        "{}decide ({}) maximize P(u)\n",
        boolean_decisions(16),
        names.join(", ")
    );
    assert!(Model::parse(&source).is_ok());
    let names: Vec<String> = (0..17).map(|i| format!("d{i}")).collect();
    let source = format!(
        "{}decide ({}) maximize P(u)\n",
        boolean_decisions(17),
        names.join(", ")
    );
    refusal(&source);
}

#[test]
fn decisions_within_the_limit_still_answer_exactly() {
    // Three stages with a context: the policy's value is checked by hand.
    // u = 1 when the last decision matches c and the first two agree: best is 1 (policy).
    let source = "c ~ Bernoulli(0.3)\ndecision a in bool\ndecision b in bool\n\
                  decision e in bool\nu := if a == b then (if e == c then 1 else 0) else 0\n\
                  decide a then b then e given c maximize E[u]\n";
    let model = Model::parse(source).expect("checks");
    let options = whatif::Options::new().method(whatif::Method::Exact);
    let answer = model.run(&options).remove(0).expect("answers");
    let json = serde_json::to_value(&answer).expect("serialises");
    let value = json["value"].as_f64().expect("a value");
    assert!((value - 1.0).abs() < 1e-12, "{json}");
}

// ---------------------------------------------------------------------------------------------
// 2. `--threads` has a stated limit.

#[test]
fn threads_beyond_the_limit_are_refused_with_the_limit() {
    let (code, out, err) = run(&["run", "examples/sprinkler.scm", "--threads", "20000"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(out.is_empty());
    assert_eq!(
        err,
        format!(
            "whatif: --threads 20000 is more than the limit of {}\n",
            Config::default().max_threads
        )
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Write errors: a closed pipe ends quietly, a full disk is one line.

/// A model whose graph is far larger than a pipe's buffer (64 KiB on Linux, at most 1 MiB).
fn big_model(dir: &Path) -> PathBuf {
    let path = dir.join("big.scm");
    let source: String = (0..60_000)
        .map(|i| format!("variable_{i} ~ Normal(0, 1)\n"))
        .collect();
    std::fs::write(&path, source).unwrap();
    path
}

#[test]
fn a_closed_pipe_ends_graph_quietly() {
    let dir = scratch("pipe");
    let model = big_model(&dir);
    let mut child = whatif()
        .arg("graph")
        .arg(&model)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // Read one line, as `head -1` does, then close the pipe.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "digraph whatif {\n");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "a closed pipe is not an error: {err}");
}

#[test]
fn a_full_disk_is_one_line_and_exit_74_for_every_command() {
    if !Path::new("/dev/full").exists() {
        return; // Nowhere to test a full disk on this system.
    }
    let dir = scratch("full");
    let history = dir.join("data");
    let network = network(&dir);
    let network = network.to_str().unwrap();
    let commands: [(&[&str], &str); 5] = [
        (&["check", "examples/sprinkler.scm"], ""),
        (&["graph", "examples/sprinkler.scm"], ""),
        (&["import", network], ""),
        (&["run", "examples/sprinkler.scm", "--samples", "1000"], ""),
        (&["repl"], ":help\n"),
    ];
    for (args, input) in commands {
        let mut child = whatif()
            .args(args)
            .env("XDG_DATA_HOME", &history)
            .stdin(Stdio::piped())
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        // The child may fail on its first write and exit before reading its input, so a
        // broken pipe here is expected, not a test failure.
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(74), "{args:?}: {err}");
        assert_eq!(
            err, "whatif: cannot write the output: No space left on device (os error 28)\n",
            "{args:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Output files.

/// A two-variable Bayesian network in BIF.
const NETWORK: &str = "network tiny {\n}\n\
    variable rain {\n  type discrete [ 2 ] { yes, no };\n}\n\
    variable wet {\n  type discrete [ 2 ] { yes, no };\n}\n\
    probability ( rain ) {\n  table 0.2, 0.8;\n}\n\
    probability ( wet | rain ) {\n  (yes) 0.9, 0.1;\n  (no) 0.2, 0.8;\n}\n";

/// The model `whatif import` makes of [`NETWORK`] starts its declarations with this.
const IMPORTED: &str = "rain ~ Categorical(\"yes\": 0.2, \"no\": 0.8)";

fn network(dir: &Path) -> PathBuf {
    let path = dir.join("net.bif");
    std::fs::write(&path, NETWORK).expect("the test network");
    path
}

#[test]
fn import_never_writes_over_its_input() {
    let dir = scratch("import-self");
    let net = network(&dir);
    let original = text(&net);
    std::fs::create_dir(dir.join("sub")).unwrap();
    let link = dir.join("link.bif");
    std::os::unix::fs::symlink(&net, &link).unwrap();
    let hard = dir.join("hard.bif");
    std::fs::hard_link(&net, &hard).unwrap();
    let through_dots = dir.join("sub").join("..").join("net.bif");
    for output in [&net, &through_dots, &link, &hard] {
        let (code, out, err) = run(&[
            "import",
            net.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(2), "{}: {err}", output.display());
        assert!(out.is_empty());
        assert!(err.contains("is the input network"), "{err}");
        assert_eq!(
            text(&net),
            original,
            "{} replaced the network",
            output.display()
        );
    }
}

#[test]
fn import_leaves_an_existing_partial_file_alone_and_nothing_behind() {
    let dir = scratch("import-partial");
    let net = network(&dir);
    let out = dir.join("out.scm");
    for partial in ["out.scm.partial", "out.partial"] {
        std::fs::write(dir.join(partial), "someone's work\n").unwrap();
    }
    let (code, _, err) = run(&["import", net.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(text(&out).contains(IMPORTED));
    for partial in ["out.scm.partial", "out.partial"] {
        assert_eq!(text(&dir.join(partial)), "someone's work\n", "{partial}");
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["net.bif", "out.partial", "out.scm", "out.scm.partial"],
        "a temporary file was left behind"
    );
}

#[test]
fn import_writes_through_a_symbolic_link_and_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = scratch("import-link");
    let net = network(&dir);
    std::fs::create_dir(dir.join("models")).unwrap();
    let target = dir.join("models").join("asia.scm");
    std::fs::write(&target, "old\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.join("asia.scm");
    std::os::unix::fs::symlink("models/asia.scm", &link).unwrap();
    let (code, _, err) = run(&[
        "import",
        net.to_str().unwrap(),
        "-o",
        link.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    assert!(
        text(&target).contains(IMPORTED),
        "the target was not written"
    );
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // A dangling link is written through too: its target is created.
    let dangling = dir.join("new.scm");
    std::os::unix::fs::symlink("models/new.scm", &dangling).unwrap();
    let (code, _, err) = run(&[
        "import",
        net.to_str().unwrap(),
        "-o",
        dangling.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(text(&dir.join("models").join("new.scm")).contains(IMPORTED));
}

/// Starts a REPL whose history lives under `data`; returns it once its banner is printed
/// (so it has read the history file).
fn repl_started(data: &Path) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut child = whatif()
        .arg("repl")
        .env("XDG_DATA_HOME", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    stdout.read_line(&mut banner).unwrap();
    assert!(banner.starts_with("whatif "), "{banner}");
    (child, stdout)
}

#[test]
fn two_repl_sessions_both_keep_their_history() {
    let data = scratch("history");
    let history = data.join("whatif").join("history");
    std::fs::create_dir_all(history.parent().unwrap()).unwrap();
    // An earlier session's history, in rustyline's format.
    std::fs::write(&history, "#V2\nlet earlier = 1\n").unwrap();
    let (mut first, mut first_out) = repl_started(&data);
    let (mut second, mut second_out) = repl_started(&data);
    // The second session ends first, then the first: the first must not erase the second's.
    for (child, out, line) in [
        (&mut second, &mut second_out, "let second = 2\n"),
        (&mut first, &mut first_out, "let first = 1\n"),
    ] {
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        drop(stdin);
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        assert_eq!(child.wait().unwrap().code(), Some(0));
    }
    let saved = text(&history);
    for line in ["let earlier = 1", "let second = 2", "let first = 1"] {
        assert!(
            saved.contains(line),
            "{line:?} lost from the history:\n{saved}"
        );
    }
}

#[test]
fn a_bad_plot_directory_is_found_before_any_answer_is_computed() {
    let dir = scratch("plot-bad");
    let not_a_dir = dir.join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    // The model's only question fails at run time (E007): checking the directory first means
    // that question is never reached.
    let (code, out, err) = run(&[
        "run",
        "tests/data/err/impossible_evidence.scm",
        "--plot",
        not_a_dir.join("plots").to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(out.is_empty());
    assert!(err.starts_with("whatif: cannot write plots into"), "{err}");
    assert!(
        !err.contains("E007"),
        "the questions were answered first: {err}"
    );
}

#[test]
fn plots_are_named_after_their_model() {
    let dir = scratch("plot-names");
    for model in ["examples/treatment.scm", "examples/test_then_act.scm"] {
        let (code, _, err) = run(&[
            "run",
            model,
            "--samples",
            "2000",
            "--plot",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(0), "{err}");
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names.iter().any(|n| n.starts_with("treatment_line"))
            && names.iter().any(|n| n.starts_with("test_then_act_line")),
        "{names:?}"
    );
    assert!(
        names.iter().all(|n| n.ends_with("_decision.svg")),
        "{names:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. `graph` draws the model even when a question does not check.

#[test]
fn graph_is_drawn_when_only_a_question_fails() {
    let dir = scratch("graph");
    let model = dir.join("m.scm");
    std::fs::write(&model, "x ~ Normal(0, 1)\ny := x + 1\nquery P(y > zz)\n").unwrap();
    let (code, out, err) = run(&["graph", model.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\"x\" -> \"y\";"), "{out}");
    assert!(err.contains("error[E002]: unknown variable `zz`"), "{err}");
    // A broken declaration still draws nothing.
    std::fs::write(&model, "x ~ Normal(0, 1)\ny := x + q\nquery P(y > 1)\n").unwrap();
    let (code, out, err) = run(&["graph", model.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(out.is_empty(), "{out}");
}

// ---------------------------------------------------------------------------------------------
// 6. A panic is one line asking for a report.

#[test]
fn a_panic_prints_one_line_asking_for_a_bug_report() {
    if std::env::var_os("WHATIF_FIX_LIMITS_PANIC").is_some() {
        whatif::cli::install_panic_hook();
        panic!("a deliberate panic\nwith a second line");
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "a_panic_prints_one_line_asking_for_a_bug_report",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WHATIF_FIX_LIMITS_PANIC", "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the child test should have panicked");
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("whatif")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("whatif: internal error (a deliberate panic at tests/fix_limits.rs:"),
        "{err}"
    );
    assert!(lines[0].contains("please report it"), "{err}");
    assert!(!err.contains("stack backtrace"), "{err}");
    assert!(!err.contains("with a second line"), "{err}");
}
