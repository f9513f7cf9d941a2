//! Every preset on any lines: the first byte picks the preset.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routetop::format::{Format, FormatSpec, PRESETS};
use routetop_fuzz::check_format;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, lines)) = data.split_first() else {
        return;
    };
    let (name, _, _) = PRESETS[pick as usize % PRESETS.len()];
    let spec = FormatSpec::parse(name).expect("a preset name parses");
    let format = Format::compile(&spec, &[]).expect("a preset compiles");
    check_format(&format, lines);
});
