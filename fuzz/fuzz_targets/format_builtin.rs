//! The load balancer, proxy and S3 presets (hand-written parsers in
//! format/aws.rs, haproxy.rs, envoy.rs; the traefik_clf and ingress_nginx
//! templates) on any lines: the first byte picks the preset by name, so the
//! seeds keep meaning the same preset when PRESETS grows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routetop::format::{Format, FormatSpec};
use routetop_fuzz::check_format;

const NAMES: [&str; 7] = [
    "alb",
    "elb",
    "s3",
    "haproxy",
    "envoy",
    "traefik_clf",
    "ingress_nginx",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, lines)) = data.split_first() else {
        return;
    };
    let name = NAMES[pick as usize % NAMES.len()];
    let spec = FormatSpec::parse(name).expect("a preset name parses");
    let format = Format::compile(&spec, &[]).expect("a preset compiles");
    check_format(&format, lines);
});
