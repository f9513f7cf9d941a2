//! A file's first bytes and its text (`input/decode.rs`): what `sniff`
//! says of any bytes, and reading them as it says. No panic; text reads
//! back byte for byte; binary is not read; a compressed stream either
//! decodes or fails with an error naming its compression (output capped,
//! so that a small input that inflates hugely stays quick). Stdin's
//! head in follow mode is read only as far as the magic bytes decide.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use routetop::input::decode::{Kind, needs_more, read_stream_head, sniff, text_reader};

/// Decoded bytes looked at, at most.
const CAP: usize = 1 << 20;

/// A pipe giving `data` a few bytes per read (the first byte of the input
/// says how many), as a live stdin may.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    // Stdin in follow mode (`read_stream_head`): read only until the
    // first bytes decide, whatever the reads' sizes; a compression is
    // recognised exactly when the whole input's sniff recognises it.
    let step = usize::from(data.first().copied().unwrap_or(1) % 7) + 1;
    let head = read_stream_head(&mut Trickle { data, step }).expect("no read error");
    assert!(data.starts_with(&head));
    assert!(!needs_more(&head) || head.len() == data.len());
    let whole = sniff(data);
    if whole.is_compressed() {
        assert_eq!(sniff(&head), whole);
    } else {
        assert!(!sniff(&head).is_compressed());
    }
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
