//! A file's first bytes and its text (`input/decode.rs`): what `sniff`
//! says of any bytes, and reading them as it says. No panic; text reads
//! back byte for byte; binary is not read; a compressed stream either
//! decodes or fails with an error naming its compression (output capped,
//! so that a small input that inflates hugely stays quick).
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use routetop::input::decode::{Kind, sniff, text_reader};

/// Decoded bytes looked at, at most.
const CAP: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let kind = sniff(data);
    // The head is all of a short file, or its first 4 KiB: same verdict.
    let (head, rest) = data.split_at(data.len().min(4096));
    assert_eq!(sniff(head), kind);
    let Some(mut r) = text_reader(kind, head.to_vec(), std::io::Cursor::new(rest.to_vec())) else {
        assert_eq!(kind, Kind::Binary);
        return;
    };
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                assert!(n <= buf.len());
                out.extend_from_slice(&buf[..n]);
                if out.len() > CAP {
                    return;
                }
            }
            Err(e) => {
                assert!(kind.is_compressed(), "{kind:?} failed: {e}");
                let msg = e.to_string();
                assert!(
                    msg.starts_with(&format!("{} stream ", kind.name())),
                    "{msg}"
                );
                return;
            }
        }
    }
    if kind == Kind::Text {
        assert_eq!(out, data);
    }
});
