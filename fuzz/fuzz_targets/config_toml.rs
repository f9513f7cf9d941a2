//! The TOML config file, read and then validated as `--config` does
//! (merged over the defaults, under flags that name no input and under
//! flags that name one): any text is a `Config` or one error message,
//! never a panic. Nothing is opened: inputs are only named.
#![no_main]

use std::path::Path;

use clap::Parser;
use libfuzzer_sys::fuzz_target;
use routetop::config::{Args, Config, FileConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.toml");
    let arg_sets: [&[&str]; 2] = [
        &["routetop", "--once"],
        &["routetop", "--once", "/nonexistent/a.log"],
    ];
    for argv in arg_sets {
        let file = match FileConfig::parse(text, path) {
            Ok(f) => f,
            Err(e) => {
                let msg = e.to_string();
                assert!(!msg.contains('\n'), "a config error is one line: {msg:?}");
                return;
            }
        };
        let args = Args::try_parse_from(argv).expect("fixed flags parse");
        if let Err(e) = Config::merge(&args, file, false) {
            let _ = e.to_string();
        }
    }
});
