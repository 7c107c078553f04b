//! End to end: the real binary's REPL in a pseudo-terminal (rexpect), as a person uses it —
//! typing, a multi-line entry, Ctrl-C to cancel a long query, Ctrl-D to leave, history saved.

use rexpect::session::spawn_command;
use std::process::Command;

#[test]
fn the_repl_works_in_a_terminal() -> Result<(), rexpect::error::Error> {
    let home = std::env::temp_dir().join(format!("whatif-repl-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).expect("a temporary home");
    let mut command = Command::new(env!("CARGO_BIN_EXE_whatif"));
    command
        .arg("repl")
        .env("HOME", &home)
        .env_remove("XDG_DATA_HOME");
    let mut p = spawn_command(command, Some(30_000))?;
    p.exp_string("whatif[0]> ")?;
    p.send_line("rain ~ Bernoulli(0.2)")?;
    p.exp_string("whatif[1]> ")?;
    p.send_line("wet ~ Bernoulli(if rain")?;
    p.exp_string("...> ")?;
    p.send_line("  then 0.9 else 0.1)")?;
    p.exp_string("whatif[2]> ")?;
    p.send_line("P(rain | wet)")?;
    // 0.2·0.9 / (0.2·0.9 + 0.8·0.1) = 0.18 / 0.26.
    p.exp_string("0.692308")?;
    p.exp_string("whatif[2]> ")?;
    // A query far too long to finish: Ctrl-C stops it and the session goes on.
    p.send_line(":samples 5000000000")?;
    p.exp_string("whatif[2]> ")?;
    p.send_line(":method is")?;
    p.exp_string("whatif[2]> ")?;
    p.send_line("E[rain + wet | do(rain = true)] + E[rain | wet]")?;
    std::thread::sleep(std::time::Duration::from_millis(700));
    p.send_control('c')?;
    p.exp_string("cancelled")?;
    p.exp_string("whatif[2]> ")?;
    p.send_line(":quit")?;
    p.exp_eof()?;
    let history = std::fs::read_to_string(home.join(".local/share/whatif/history"))
        .expect("history is saved");
    assert!(history.contains("P(rain | wet)"), "{history}");
    let _ = std::fs::remove_dir_all(&home);
    Ok(())
}

/// A long run shows a progress bar on a terminal, and none under CI. (The bar's delay, a
/// second by default, is set to zero here so the run can stay short.)
#[test]
fn long_runs_show_progress_on_a_terminal_only() -> Result<(), rexpect::error::Error> {
    let run = |ci: bool| -> Result<String, rexpect::error::Error> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_whatif"));
        command.args([
            "run",
            "examples/sprinkler.scm",
            "--samples",
            "20000000",
            "--method",
            "is",
            "--threads",
            "2",
        ]);
        command.env("WHATIF_PROGRESS_AFTER_MS", "0");
        if ci {
            command.env("CI", "true");
        } else {
            command.env_remove("CI");
        }
        let mut p = spawn_command(command, Some(300_000))?;
        p.exp_eof()
    };
    let shown = run(false)?;
    assert!(
        shown.contains("samples  ") && shown.contains("/s,"),
        "no progress bar:\n{shown}"
    );
    let quiet = run(true)?;
    assert!(!quiet.contains("/s,"), "a progress bar under CI:\n{quiet}");
    Ok(())
}
