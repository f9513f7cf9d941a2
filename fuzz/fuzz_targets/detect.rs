//! The auto-detector on the start of an input: no panic, and a verdict
//! that means what it says (the format found parses exactly as many
//! sample lines as it claims; an unknown input's unparsed bytes are within
//! the data; `ready` whenever `settled`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use routetop::format::detect::{SAMPLE_LINES, Verdict, detect_start, ready, settled};
use routetop::format::{Header, Scratch};

fuzz_target!(|data: &[u8]| {
    if settled(data) {
        assert!(ready(data), "settled but not ready");
    }
    for last in [false, true] {
        match detect_start(data, &[], last) {
            Verdict::Found(d) => {
                assert!(d.matched >= 1 && d.matched <= d.sampled);
                assert!(d.sampled <= SAMPLE_LINES);
                // The sample: the first non-blank lines of the window.
                let end = data
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(data.len(), |i| i + 1);
                let sample: Vec<&[u8]> = data[..end]
                    .split(|&c| c == b'\n')
                    .take(SAMPLE_LINES * 4)
                    .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                    .filter(|l| !l.iter().all(|c| c.is_ascii_whitespace()))
                    .take(SAMPLE_LINES)
                    .collect();
                assert_eq!(sample.len(), d.sampled, "sample size");
                let mut s = Scratch::default();
                // A log with headers (W3C) is read as routetop reads it:
                // header lines fit, and a `#Fields:` one sets how the
                // lines after it parse.
                let mut format = None;
                let mut parsed = 0;
                for l in &sample {
                    let f = format.as_ref().unwrap_or(&d.format);
                    match f.header(l) {
                        Some(Header::Fields(next)) => {
                            format = Some(next);
                            parsed += 1;
                        }
                        Some(Header::Line) => parsed += 1,
                        None => parsed += usize::from(f.parse(l, &mut s).is_ok()),
                    }
                }
                assert_eq!(
                    parsed,
                    d.matched,
                    "{} parses {parsed} of the sample, not {}",
                    d.format.name(),
                    d.matched
                );
            }
            Verdict::Wait => assert!(!last, "waits for lines that will not come"),
            Verdict::Unknown { sampled, used } => {
                assert!(sampled <= SAMPLE_LINES);
                assert!(used <= data.len());
                // Lines that were looked at are used up: no endless retry.
                assert!(used > 0 || data.is_empty() || sampled == 0);
            }
        }
    }
});
