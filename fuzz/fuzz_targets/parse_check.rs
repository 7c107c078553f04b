//! Parse + check arbitrary text: every input is accepted or rejected with diagnostics, and
//! rendering those diagnostics never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(error) = whatif::Model::parse(source) {
        let _ = error.to_string();
    }
});
