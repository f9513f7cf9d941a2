//! An nginx `log_format` compiled from fuzz input (first line), then the
//! lines after it: compiling never panics, and what compiles keeps the
//! parse invariants (`check_format`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use routetop::format::{Format, FormatSpec};
use routetop_fuzz::{check_format, split_spec};

fuzz_target!(|data: &[u8]| {
    let (spec, lines) = split_spec(data);
    let Ok(spec) = std::str::from_utf8(spec) else {
        return;
    };
    // Whatever error it makes must print (column arithmetic included).
    if let Err(e) = FormatSpec::parse(spec) {
        let _ = e.to_string();
    }
    match Format::compile(&FormatSpec::Nginx(spec.to_string()), &[]) {
        Ok(format) => check_format(&format, lines),
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
