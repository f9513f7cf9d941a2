//! W3C extended logs (`w3c`, `iis`, `cloudfront`: the first byte picks
//! the preset) on any lines, read as routetop reads them: a line starting
//! with `#` is a header line, and a `#Fields:` one compiles into the
//! parser of the lines after it. Every run of lines between two headers
//! is held to the invariants of every format (`check_format`: the same
//! parse through a block's index and through a plain scan, three-digit
//! statuses, `explain` agreeing with `parse`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use routetop::format::w3c::Flavour;
use routetop::format::{Format, FormatSpec, Header};
use routetop_fuzz::check_format;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, lines)) = data.split_first() else {
        return;
    };
    let (name, _, _) = Flavour::PRESETS[pick as usize % Flavour::PRESETS.len()];
    let spec = FormatSpec::parse(name).expect("a W3C preset name parses");
    let mut format = Format::compile(&spec, &[]).expect("a W3C preset compiles");
    assert!(format.has_headers());
    // Lines between headers, as byte ranges of `lines`.
    let mut run = 0;
    let mut at = 0;
    while at < lines.len() {
        let end = lines[at..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(lines.len(), |i| at + i);
        let next = (end + 1).min(lines.len());
        if let Some(h) = format.header(&lines[at..end]) {
            check_format(&format, &lines[run..at]);
            if let Header::Fields(f) = h {
                assert!(f.has_headers(), "a header's format keeps following headers");
                assert_eq!(f.name(), format.name(), "a header keeps the preset");
                format = f;
            }
            run = next;
        }
        at = next;
    }
    check_format(&format, &lines[run..]);
});
