//! Bad-line injection (`--bad-every N`): lines a log parser must survive,
//! interleaved with the good ones.
//!
//! This is not in genlog.py.  It owns its own random stream, seeded with a
//! key no `random.Random(int)` seed produces for 64-bit seeds, so that
//! turning it on never moves a draw of the main stream: the good lines stay
//! exactly genlog.py's lines, in order, and only the bad lines in between
//! are new.  The kinds cycle in a fixed order so that a run of `k` bad lines
//! has a known count of each, which tests can compute with
//! [`crate::Options::bad_kind`].

use crate::model::WORDS;
use crate::pyrandom::PyRandom;
use crate::{Line, LogFormat};

/// Length, newline not counted, of a [`BadKind::TooLong`] line: over the
/// 64 KiB a line-oriented reader typically caps lines at.
pub const LONG_LINE_LEN: usize = 70_000;

/// Distinguishes the bad-line stream's seeding key from any 64-bit int
/// seed's (those have at most two words).
const BAD_STREAM_TAG: u32 = 0x0BAD_11E5;

/// The kinds of bad line, in the order they cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BadKind {
    /// Random printable ASCII words and symbols.
    Garbage,
    /// An empty line.
    Empty,
    /// The preceding good line cut between 1/4 and 3/4 of its length.
    Truncated,
    /// Starts with bytes `FF FE`: not UTF-8.
    InvalidUtf8,
    /// A line in the log's format whose request is `-`, status 400.
    RequestDash,
    /// A line in the log's format whose request is TLS handshake bytes,
    /// escaped as nginx escapes them, status 400.
    RequestTls,
    /// The preceding good line with status 2000.
    StatusOutOfRange,
    /// The preceding good line padded to [`LONG_LINE_LEN`] bytes with a
    /// query string (only with `--bad-long`).
    TooLong,
}

const CYCLE: [BadKind; 8] = [
    BadKind::Garbage,
    BadKind::Empty,
    BadKind::Truncated,
    BadKind::InvalidUtf8,
    BadKind::RequestDash,
    BadKind::RequestTls,
    BadKind::StatusOutOfRange,
    BadKind::TooLong,
];

impl BadKind {
    /// The cycle of kinds; [`BadKind::TooLong`] (last) only when `long`.
    pub fn cycle(long: bool) -> &'static [BadKind] {
        if long {
            &CYCLE
        } else {
            &CYCLE[..CYCLE.len() - 1]
        }
    }

    /// A short snake_case name, as `--help` lists them.
    pub fn name(self) -> &'static str {
        match self {
            BadKind::Garbage => "garbage",
            BadKind::Empty => "empty",
            BadKind::Truncated => "truncated",
            BadKind::InvalidUtf8 => "invalid_utf8",
            BadKind::RequestDash => "request_dash",
            BadKind::RequestTls => "request_tls",
            BadKind::StatusOutOfRange => "status_out_of_range",
            BadKind::TooLong => "too_long",
        }
    }

    /// One line of description, for `--help`.
    pub fn describe(self) -> &'static str {
        match self {
            BadKind::Garbage => "random printable text, not a log line",
            BadKind::Empty => "an empty line",
            BadKind::Truncated => "the previous good line cut mid-way",
            BadKind::InvalidUtf8 => "bytes FF FE and more that are not UTF-8",
            BadKind::RequestDash => {
                "request \"-\" (connection closed before a request), status 400"
            }
            BadKind::RequestTls => {
                "request = TLS handshake bytes escaped as nginx does (\\x16\\x03...), status 400"
            }
            BadKind::StatusOutOfRange => "the previous good line with status 2000",
            BadKind::TooLong => "the previous good line padded to 70000 bytes (--bad-long only)",
        }
    }
}

/// The bad-line writer: its stream and its place in the cycle.
pub(crate) struct BadLines {
    rng: PyRandom,
    cycle: &'static [BadKind],
    written: usize,
    scratch: Vec<u8>,
}

impl BadLines {
    pub(crate) fn new(seed: i64, long: bool) -> Self {
        let s = seed as u64;
        BadLines {
            rng: PyRandom::from_key(&[s as u32, (s >> 32) as u32, BAD_STREAM_TAG]),
            cycle: BadKind::cycle(long),
            written: 0,
            scratch: Vec::new(),
        }
    }

    /// Appends the next bad line to `buf`.  `good` is the good line just
    /// rendered at `buf[good_start..]`; the kinds that reuse a good line
    /// take this one, so they sit next to the line they were made from.
    pub(crate) fn emit(
        &mut self,
        buf: &mut Vec<u8>,
        fmt: LogFormat,
        good: &Line<'_>,
        good_start: usize,
        ips: &[Box<[u8]>],
    ) {
        let kind = self.cycle[self.written % self.cycle.len()];
        self.written += 1;
        let rng = &mut self.rng;
        match kind {
            BadKind::Garbage => {
                let tokens = 2 + rng.randbelow(9);
                for i in 0..tokens {
                    if i > 0 {
                        buf.push(b' ');
                    }
                    if rng.randbelow(2) == 0 {
                        buf.extend_from_slice(rng.choice(&WORDS).as_bytes());
                    } else {
                        for _ in 0..1 + rng.randbelow(12) {
                            buf.push(b'!' + rng.randbelow(94) as u8);
                        }
                    }
                }
                buf.push(b'\n');
            }
            BadKind::Empty => buf.push(b'\n'),
            BadKind::Truncated => {
                let len = buf.len() - good_start - 1;
                let cut = len / 4 + rng.randbelow((len / 2).max(1) as u64) as usize;
                buf.extend_from_within(good_start..good_start + cut);
                buf.push(b'\n');
            }
            BadKind::InvalidUtf8 => {
                buf.extend_from_slice(b"\xff\xfe");
                for _ in 0..2 + rng.randbelow(6) {
                    buf.push(0x80 + rng.randbelow(0x80) as u8);
                }
                buf.extend_from_slice(b" binary junk\n");
            }
            BadKind::RequestDash | BadKind::RequestTls => {
                let ip = rng.choice(ips);
                self.scratch.clear();
                let (body, rt) = if kind == BadKind::RequestDash {
                    self.scratch.push(b'-');
                    (0, 0.0)
                } else {
                    // A ClientHello's record and handshake headers, then
                    // random bytes as the client random would be.
                    let mut hello = vec![
                        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
                    ];
                    for _ in 0..8 {
                        hello.push(rng.getrandbits(8) as u8);
                    }
                    escape_nginx(&hello, fmt == LogFormat::Json, &mut self.scratch);
                    (157, 0.001)
                };
                Line {
                    ip,
                    user: "-",
                    request: &self.scratch,
                    status: 400,
                    body,
                    referer: "-",
                    user_agent: "-",
                    request_time: rt,
                    ..*good
                }
                .render(fmt, buf);
            }
            BadKind::StatusOutOfRange => Line {
                status: 2000,
                ..*good
            }
            .render(fmt, buf),
            BadKind::TooLong => {
                let good_len = buf.len() - good_start - 1;
                // The request grows by "?pad=" (or "&pad=") plus the 'a's and
                // nothing else in the line changes, so the length is exact.
                let pad = LONG_LINE_LEN.saturating_sub(good_len + 5);
                let path_end = good
                    .request
                    .iter()
                    .rposition(|&b| b == b' ')
                    .unwrap_or(good.request.len());
                let has_query = good.request[..path_end].contains(&b'?');
                self.scratch.clear();
                self.scratch.extend_from_slice(&good.request[..path_end]);
                self.scratch.push(if has_query { b'&' } else { b'?' });
                self.scratch.extend_from_slice(b"pad=");
                self.scratch.resize(self.scratch.len() + pad, b'a');
                self.scratch.extend_from_slice(&good.request[path_end..]);
                Line {
                    request: &self.scratch,
                    ..*good
                }
                .render(fmt, buf);
            }
        }
    }
}

/// Escapes bytes as nginx does in a logged `$request`: `\xHH` (upper-case
/// hex) for `"`, `\` and bytes outside 0x20..0x7e by default; with
/// `escape=json`, JSON escapes for `"`, `\` and control bytes, and bytes
/// from 0x80 up written raw.
fn escape_nginx(bytes: &[u8], json: bool, out: &mut Vec<u8>) {
    const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
    const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        if json {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                0..0x20 => {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX_LOWER[(b >> 4) as usize]);
                    out.push(HEX_LOWER[(b & 15) as usize]);
                }
                _ => out.push(b),
            }
        } else if b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b) {
            out.extend_from_slice(b"\\x");
            out.push(HEX_UPPER[(b >> 4) as usize]);
            out.push(HEX_UPPER[(b & 15) as usize]);
        } else {
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_escaping() {
        let mut v = Vec::new();
        escape_nginx(b"\x16\x03\"a\\\xfc", false, &mut v);
        assert_eq!(v, b"\\x16\\x03\\x22a\\x5C\\xFC");
        v.clear();
        escape_nginx(b"\x16\n\"a\\\xfc", true, &mut v);
        assert_eq!(v, b"\\u0016\\n\\\"a\\\\\xfc");
    }
}
