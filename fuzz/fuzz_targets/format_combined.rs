//! The combined family's own parser (`format/template/combined.rs`) against
//! the generic template matcher, on any lines: the first byte picks the
//! format (the presets it parses whole, a format string it parses whole,
//! and presets that start like it with more after), the rest are lines.
//! Every line must give the same record or the same error both ways, and
//! keep the invariants every format keeps (`check_format`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use routetop::format::scan;
use routetop::format::{Format, FormatSpec, Scratch};
use routetop_fuzz::check_format;

const SPECS: [&str; 9] = [
    "combined",
    "common",
    "combined_rt",
    "combined_D",
    r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#,
    "main",
    "combined_upstream",
    "ingress_nginx",
    "traefik_clf",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, lines)) = data.split_first() else {
        return;
    };
    let spec = FormatSpec::parse(SPECS[pick as usize % SPECS.len()]).expect("a spec parses");
    let format = Format::compile(&spec, &[]).expect("a family format compiles");
    let (mut s1, mut s2) = (Scratch::default(), Scratch::default());
    for line in scan::lines(lines) {
        let own = format.parse(line, &mut s1);
        let generic = format
            .parse_generic(line, &mut s2)
            .expect("a family format is a line template");
        assert_eq!(
            own, generic,
            "the family's parser and the generic matcher differ on {line:?}"
        );
    }
    check_format(&format, lines);
});
