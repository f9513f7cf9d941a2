//! The `--web-config` YAML (TLS, basic auth, headers): any text is either
//! a config or an error, never a panic. File names in it are resolved
//! under a directory that does not exist, so nothing is read.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use routetop::view::export::web::WebConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cfg) = WebConfig::parse(text, Path::new("/nonexistent/routetop-fuzz")) {
        // Every header it accepted is one the server can send.
        for (k, v) in &cfg.headers {
            assert!(!k.is_empty());
            assert!(!v.contains('\n'));
        }
        let _ = format!("{cfg:?}");
    }
});
