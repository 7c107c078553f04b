//! The REPL backend fed arbitrary lines (commands included, `:load` excepted): the session
//! must answer every line and stay usable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whatif::repl::{Reply, Session};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut session = Session::new();
    session.feed(":samples 200");
    for line in text.lines().take(20) {
        if line.trim_start().starts_with(":load") || line.trim_start().starts_with(":reload") {
            continue;
        }
        if session.feed(line) == Reply::Quit {
            break;
        }
    }
    let _ = session.prompt();
    let _ = session.completions("a");
});
