//! JSON lines, with `--json-field` overrides from the first line
//! (comma-separated `FIELD=PATH[:UNIT]`; an empty first line is none).
#![no_main]

use libfuzzer_sys::fuzz_target;
use routetop::format::{FieldOverride, Format, FormatSpec};
use routetop_fuzz::{check_format, split_spec};

fuzz_target!(|data: &[u8]| {
    let (head, lines) = split_spec(data);
    let Ok(head) = std::str::from_utf8(head) else {
        return;
    };
    let mut fields = Vec::new();
    for f in head.split(',').filter(|f| !f.is_empty()) {
        match f.parse::<FieldOverride>() {
            Ok(o) => fields.push(o),
            Err(_) => return,
        }
    }
    if let Ok(format) = Format::compile(&FormatSpec::Json, &fields) {
        check_format(&format, lines);
    }
});
