//! The `whatif` binary: a thin shell around [`whatif::cli::run`].

fn main() {
    // A panic is a bug: one line asking for a report (the hook's), exit code 70.
    whatif::cli::install_panic_hook();
    // Parsing and checking recurse on user input; give them room beyond the nesting limit.
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(whatif::cli::run);
    let code = match worker.map(|handle| handle.join()) {
        Ok(Ok(code)) => code,
        Ok(Err(_panicked)) => whatif::cli::EXIT_INTERNAL,
        Err(e) => {
            whatif::cli::to_stderr(&format!("whatif: cannot start: {e}\n"));
            whatif::cli::EXIT_INTERNAL
        }
    };
    std::process::exit(code);
}
