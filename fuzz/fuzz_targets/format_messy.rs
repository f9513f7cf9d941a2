//! The messy-file path: whatever `auto` makes of any lines — a format of
//! several variants, a format behind a log shipper's prefix — parses those
//! lines under every invariant of a format (`check_format`: the same parse
//! through a block's index as through a plain scan, which a stripped
//! prefix shifts; three-digit statuses; `explain` agreeing with `parse`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use routetop::format::detect::{SAMPLE_LINES, detect};
use routetop_fuzz::check_format;

fuzz_target!(|data: &[u8]| {
    let lines: Vec<&[u8]> = data.split(|&c| c == b'\n').take(SAMPLE_LINES).collect();
    if let Some(d) = detect(&lines, &[]) {
        check_format(&d.format, data);
    }
});
