//! `whatif run --plot DIR`: the pictures exist, are SVG, and show what they claim — one curve
//! per bandit policy, one bar per action (and per evidential estimate), labelled.

use std::process::Command;

fn run_with_plots(model: &str, dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_whatif"))
        .args([
            "run",
            model,
            "--samples",
            "20000",
            "--seed",
            "2",
            "--method",
            "is",
            "--plot",
        ])
        .arg(dir)
        .output()
        .expect("the binary runs")
}

fn temporary(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("whatif-plots-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn bandits_get_regret_curves_and_decisions_get_bars() {
    let dir = temporary("ok");
    let output = run_with_plots("examples/greedy_casino.scm", &dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = std::fs::read_to_string(dir.join("greedy_casino_line15_bandit.svg"))
        .expect("the bandit picture");
    assert!(svg.starts_with("<svg"), "not SVG");
    for policy in ["random", "greedy", "ucb1", "thompson", "causal_thompson"] {
        assert!(
            svg.contains(&format!("\n{policy} (")),
            "no legend entry for {policy}"
        );
    }
    // One regret curve per policy (legend samples are paths too, so at least five lines).
    assert!(svg.matches("<polyline").count() >= 5, "too few curves");

    let output = run_with_plots("examples/treatment.scm", &dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = std::fs::read_to_string(dir.join("treatment_line15_decision.svg"))
        .expect("the decision picture");
    assert!(svg.starts_with("<svg"));
    assert!(
        svg.contains("treat=false") && svg.contains("treat=true"),
        "axis labels"
    );
    assert!(
        svg.contains("evidential E[U | d = a]"),
        "the evidential bars' legend"
    );
    // Two actions × (interventional + evidential) bars, plus legend swatches and the frame.
    assert!(svg.matches("<rect").count() >= 4, "too few bars");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_plot_directory_fails_without_output() {
    let blocker = temporary("blocked");
    std::fs::write(&blocker, "a file, not a directory").expect("written");
    let output = run_with_plots("examples/treatment.scm", &blocker);
    // Found before any answer is computed: command-line misuse, exit code 2.
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output.stdout.is_empty(),
        "printed answers although the plots failed"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot write plots into"));
    let _ = std::fs::remove_file(&blocker);
}
