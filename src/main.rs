//! The `whatif` binary: a thin shell around [`whatif::cli::run`].

fn main() {
    // Parsing and checking recurse on user input; give them room beyond the nesting limit.
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(whatif::cli::run);
    let code = match worker.map(|handle| handle.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("whatif: internal error: this is a bug in whatif");
            70
        }
    };
    std::process::exit(code);
}
