//! `regex:PATTERN` compiled from fuzz input (first line), then the lines
//! after it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routetop::format::{Format, FormatSpec};
use routetop_fuzz::{check_format, split_spec};

fuzz_target!(|data: &[u8]| {
    let (spec, lines) = split_spec(data);
    let Ok(spec) = std::str::from_utf8(spec) else {
        return;
    };
    match Format::compile(&FormatSpec::Regex(spec.to_string()), &[]) {
        Ok(format) => check_format(&format, lines),
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
