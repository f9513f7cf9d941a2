//! A cursor over the fields of one line, for the hand-written parsers of
//! fixed-layout logs (`aws.rs`, `haproxy.rs`, `envoy.rs`): space-separated
//! tokens, `"quoted"` fields (a backslash escapes the byte after it) and
//! `[bracketed]` fields, each followed by one space or the end of the line.
//!
//! Quoted fields end where a [`Scan`] says (`Scan::quote_field`), so a
//! batch run that indexes its blocks finds them there like the templates
//! do; tokens end at the next bit of a mask of the spaces of 64 bytes.
//! Every method returns `None` instead of reading past the line: the
//! parsers turn that into a line that does not fit.

use super::record::{Odd, Record, TimeCache};
use super::scan::{Scan, Window};
use super::value;
use crate::simd::bytes16::{Bytes16, Lanes16};

pub struct Fields<'a, S: Scan> {
    line: &'a [u8],
    at: usize,
    scan: S,
    /// The spaces of 64 bytes of the line from `base`, bit `i` for byte
    /// `base + i` (none past the line's end): [`Fields::token`] finds a
    /// token's end as the next bit, and loads the next 64 bytes only when
    /// the bits run out.
    spaces: Window,
}

impl<'a, S: Scan> Fields<'a, S> {
    #[inline(always)]
    pub fn new(line: &'a [u8], scan: S) -> Self {
        Fields::at(line, 0, scan)
    }

    /// Starts at `at` instead of the line's start (after a prefix).
    #[inline(always)]
    pub fn at(line: &'a [u8], at: usize, scan: S) -> Self {
        Fields {
            line,
            at,
            scan,
            spaces: Window::at(line, at, space),
        }
    }

    /// What is left of the line.
    #[inline(always)]
    pub fn rest(&self) -> &'a [u8] {
        self.line.get(self.at..).unwrap_or_default()
    }

    /// Steps over the space after a field; a field that runs into anything
    /// else (`"a"b`) is not a field of these formats.
    #[inline(always)]
    fn sep(&mut self, end: usize) -> Option<()> {
        match self.line.get(end) {
            None => self.at = end,
            Some(b' ') => self.at = end + 1,
            Some(_) => return None,
        }
        Some(())
    }

    /// The next token: one or more bytes up to a space or the line's end.
    #[inline(always)]
    pub fn token(&mut self) -> Option<&'a [u8]> {
        let start = self.at;
        if start >= self.line.len() {
            return None;
        }
        // Tokens are short (times, codes, addresses) and of every length:
        // the next bit of a mask made 64 bytes at a time has no branch
        // that depends on a token's length, where a search per token
        // (eight bytes at a time, or a block's index) mispredicts the end
        // of nearly every one.
        let end = self.spaces.next(self.line, start, space);
        if end == start {
            return None;
        }
        self.sep(end)?;
        Some(&self.line[start..end])
    }

    /// The next `"quoted"` field, without its quotes.
    #[inline(always)]
    pub fn quoted(&mut self) -> Option<&'a [u8]> {
        if self.line.get(self.at) != Some(&b'"') {
            return None;
        }
        let start = self.at + 1;
        if start >= self.line.len() {
            return None;
        }
        let end = self.scan.quote_field(self.line, start)?;
        self.sep(end + 1)?;
        Some(&self.line[start..end])
    }

    /// The next `[bracketed]` field, without its brackets (it may hold
    /// spaces: `[06/Feb/2019:00:00:38 +0000]`).
    #[inline(always)]
    pub fn bracketed(&mut self) -> Option<&'a [u8]> {
        if self.line.get(self.at) != Some(&b'[') {
            return None;
        }
        let start = self.at + 1;
        // A timestamp, some two dozen bytes: eight at a time, where a
        // `memchr` call's setup costs more than the search.
        let end = byte_from::<b']'>(self.line, start);
        if end >= self.line.len() {
            return None;
        }
        self.sep(end + 1)?;
        Some(&self.line[start..end])
    }

    /// Skips `n` tokens.
    #[inline(always)]
    pub fn skip(&mut self, n: usize) -> Option<()> {
        for _ in 0..n {
            self.token()?;
        }
        Some(())
    }
}

/// The bytes a token ends at, for [`Fields::token`]'s window.
#[inline(always)]
fn space(v: Bytes16) -> Lanes16 {
    v.eq(b' ')
}

/// Offset of the first byte `B` in `line` at or after `from`, or its
/// length: eight bytes at a time (a byte equal to `B` is a zero byte of
/// the word XOR `B` repeated; the lowest flagged byte of the classic
/// zero-byte test is exact), then the tail byte by byte. For the short
/// spans of these lines, where a `memchr` call's setup is most of its
/// cost.
#[inline(always)]
pub(super) fn byte_from<const B: u8>(line: &[u8], mut i: usize) -> usize {
    let pattern = u64::from_ne_bytes([B; 8]);
    const LO: u64 = u64::from_ne_bytes([0x01; 8]);
    const HI: u64 = u64::from_ne_bytes([0x80; 8]);
    while let Some(chunk) = line.get(i..i + 8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(word) ^ pattern;
        let zero = x.wrapping_sub(LO) & !x & HI;
        if zero != 0 {
            return i + (zero.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < line.len() && line[i] != B {
        i += 1;
    }
    i
}

/// Offset of the first byte `A` or `B` in `line` at or after `i`, or its
/// length: [`byte_from`] for two bytes (the lowest flag of either test is
/// exact, so the lowest of their union is).
#[inline(always)]
pub(super) fn byte2_from<const A: u8, const B: u8>(line: &[u8], mut i: usize) -> usize {
    const LO: u64 = u64::from_ne_bytes([0x01; 8]);
    const HI: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    while let Some(chunk) = line.get(i..i + 8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(word);
        let m = zero(w ^ u64::from_ne_bytes([A; 8])) | zero(w ^ u64::from_ne_bytes([B; 8]));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < line.len() && line[i] != A && line[i] != B {
        i += 1;
    }
    i
}

/// An ISO 8601 timestamp through the per-thread cache. Load balancers
/// write fractions (`2018-07-02T22:23:00.186641Z`) that differ on nearly
/// every line: the cache is keyed on the text up to the second, the
/// fraction and `Z` only checked, so consecutive lines of one second parse
/// once. Other shapes (an offset, no fraction) are cached whole.
#[inline(always)]
pub fn iso_time(raw: &[u8], cache: &mut TimeCache) -> Option<i64> {
    if let [sec @ .., b'Z'] = raw
        && sec.len() > 20
        && sec[19] == b'.'
        && sec[20..].iter().all(u8::is_ascii_digit)
    {
        return cache.get(&sec[..19], value::parse_iso8601);
    }
    cache.get(raw, value::parse_iso8601)
}

/// A timestamp of any shape (`value::parse_any_time`: JSON values, regex
/// groups) through the per-thread cache; one that shape reads as ISO 8601
/// goes through [`iso_time`], so a fraction that changes on every line
/// (Google Cloud's `timestamp`) does not miss the cache on every line.
#[inline(always)]
pub fn any_time(raw: &[u8], cache: &mut TimeCache) -> Option<i64> {
    match value::time_shape(raw) {
        Some(value::TimeShape::Iso) => iso_time(raw, cache),
        _ => cache.get(raw, value::parse_any_time),
    }
}

/// The record of a request line (`GET /path HTTP/1.1`) and its figures:
/// how every hand-written parser ends. `timers`: (latency, upstream).
#[inline(always)]
pub(super) fn request_record(
    request: &[u8],
    status: u16,
    bytes: u64,
    timers: (Option<u64>, Option<u64>),
    time: Option<i64>,
    bad_timer: bool,
    bad_time: bool,
) -> Record<'_> {
    let (method, target) = value::split_request(request);
    Record {
        method,
        target,
        status,
        bytes: Some(bytes),
        latency_us: timers.0,
        upstream_us: timers.1,
        time,
        host: b"",
        backend: b"",
        odd: Odd::bits(bad_timer, bad_time),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::scan::Plain;

    #[test]
    fn tokens_quotes_and_brackets_each_end_at_one_space() {
        let line = br#"a [b c] "d \" e" "" f"#;
        let mut f = Fields::new(line, Plain);
        assert_eq!(f.token(), Some(&b"a"[..]));
        assert_eq!(f.bracketed(), Some(&b"b c"[..]));
        assert_eq!(f.quoted(), Some(&br#"d \" e"#[..]));
        assert_eq!(f.quoted(), Some(&b""[..]));
        assert_eq!(f.token(), Some(&b"f"[..]));
        assert_eq!(f.rest(), b"");
        assert_eq!(f.token(), None);
    }

    #[test]
    fn a_field_that_runs_into_the_next_or_past_the_line_is_none() {
        assert_eq!(Fields::new(br#""a"b"#, Plain).quoted(), None);
        assert_eq!(Fields::new(br#""a"#, Plain).quoted(), None);
        assert_eq!(Fields::new(br#"""#, Plain).quoted(), None);
        assert_eq!(Fields::new(b"[a", Plain).bracketed(), None);
        assert_eq!(Fields::new(b"[a]b", Plain).bracketed(), None);
        // Two spaces: an empty token.
        let mut f = Fields::new(b"a  b", Plain);
        assert_eq!(f.token(), Some(&b"a"[..]));
        assert_eq!(f.token(), None);
        assert_eq!(Fields::new(b"", Plain).token(), None);
    }

    /// The word-at-a-time search finds the first space the byte loop
    /// finds, at every start, for spaces at every place in a word and
    /// bytes that differ from a space by one bit (0x21, 0xa0, 0x00).
    #[test]
    fn byte_from_finds_the_first_byte_as_a_byte_loop_does() {
        let alphabet = [b'a', b' ', 0x21, 0xa0, 0x00, 0x1f, 0xff];
        let mut lines = crate::props::NearMisses::new();
        for len in 0..40 {
            for _ in 0..200 {
                let line = lines.line(len, &alphabet, 0);
                for from in 0..=len {
                    let want = from
                        + line[from..]
                            .iter()
                            .position(|&c| c == b' ')
                            .unwrap_or(len - from);
                    assert_eq!(byte_from::<b' '>(&line, from), want, "{line:?} {from}");
                    let want = from
                        + line[from..]
                            .iter()
                            .position(|&c| c == 0xa0)
                            .unwrap_or(len - from);
                    assert_eq!(byte_from::<0xa0>(&line, from), want, "{line:?} {from}");
                    let want = from
                        + line[from..]
                            .iter()
                            .position(|&c| c == 0xa0 || c == b' ')
                            .unwrap_or(len - from);
                    assert_eq!(
                        byte2_from::<b' ', 0xa0>(&line, from),
                        want,
                        "{line:?} {from}"
                    );
                }
            }
        }
    }

    /// A token's end from the 64-byte windows is the first space a byte
    /// loop finds, from every start, asked at every later offset in turn
    /// (the tokens of a line ask at later offsets; these also ask before
    /// a window that moved on): lines shorter than a window, longer than
    /// two, and spaces at either end of a window.
    #[test]
    fn spaces_from_windows_are_the_first_space_as_a_byte_loop_finds() {
        let alphabet = [b'a', b' ', 0x21, 0xa0, 0x00, b'"'];
        let mut lines = crate::props::NearMisses::new();
        for len in (0..140).chain([191, 192, 193, 255, 256, 257]) {
            for _ in 0..12 {
                // Mostly plain bytes, so that spaces are far apart too.
                let line = lines.line(len, &alphabet, 24);
                for start in 0..=len {
                    let mut spaces = Window::at(&line, start, space);
                    for from in start..=len {
                        let want = from
                            + line[from..]
                                .iter()
                                .position(|&c| c == b' ')
                                .unwrap_or(len - from);
                        assert_eq!(
                            spaces.next(&line, from, space),
                            want,
                            "{line:?} {start} {from}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn iso_time_is_the_same_through_the_second_keyed_cache() {
        let mut cache = TimeCache::default();
        for raw in [
            &b"2018-07-02T22:23:00.186641Z"[..],
            b"2018-07-02T22:23:00.999999Z",
            b"2018-07-02T22:23:01.000001Z",
            b"2018-07-02T22:23:01Z",
            b"2018-07-02T23:23:01.5+01:00",
            b"2018-07-02T22:23:01.x1Z",
            b"2018-07-02T22:23:0",
            b"2018-13-02T22:23:00.1Z",
        ] {
            assert_eq!(
                iso_time(raw, &mut cache),
                value::parse_iso8601(raw),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }
}
