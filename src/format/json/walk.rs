//! The byte-level walk over one JSON line: strings, scalars and skipped
//! values, found without building anything (see the module docs of
//! `json`).

use crate::format::value::Unit;
use crate::simd::bytes16::Bytes16;

/// A scalar value's span in the line (without quotes for strings).
#[derive(Clone, Copy, Debug)]
pub(super) struct Val {
    pub start: usize,
    pub end: usize,
    pub string: bool,
    pub escaped: bool,
    pub null: bool,
    pub unit: Unit,
}

impl Val {
    pub fn raw<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.start..self.end]
    }
}

pub(super) struct Walker<'a> {
    pub b: &'a [u8],
    pub i: usize,
}

impl Walker<'_> {
    #[inline(always)]
    pub fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    #[inline(always)]
    pub fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }
    #[inline(always)]
    pub fn expect(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }
    #[inline(always)]
    pub fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    /// A string at the cursor; returns the span between the quotes.
    #[inline(always)]
    pub fn string(&mut self) -> Option<Val> {
        self.expect(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            let j = quote_or_backslash(self.b, self.i)?;
            if self.b[j] == b'"' {
                self.i = j + 1;
                return Some(Val {
                    start,
                    end: j,
                    string: true,
                    escaped,
                    null: false,
                    unit: Unit::Sec,
                });
            }
            escaped = true;
            self.i = j + 2;
            if self.i > self.b.len() {
                return None;
            }
        }
    }

    /// A string, number, `true`, `false` or `null` at the cursor.
    #[inline(always)]
    pub fn scalar(&mut self) -> Option<Val> {
        match self.peek()? {
            b'"' => self.string(),
            b'[' => {
                let start = self.i;
                self.skip_value()?;
                Some(Val {
                    start,
                    end: self.i,
                    string: false,
                    escaped: false,
                    null: true, // arrays are never a mapped value
                    unit: Unit::Sec,
                })
            }
            _ => {
                let start = self.i;
                self.i = scalar_end(self.b, start);
                let raw = &self.b[start..self.i];
                if raw.is_empty() {
                    return None;
                }
                Some(Val {
                    start,
                    end: self.i,
                    string: false,
                    escaped: false,
                    null: raw == b"null",
                    unit: Unit::Sec,
                })
            }
        }
    }

    /// Skips any value, counting brackets outside strings (no recursion, so
    /// `[[[[…` of any depth cannot overflow the stack).
    pub fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => self.scalar().map(|_| ()),
        }
    }
}

/// Where a number or a literal from `from` ends: at the first `,` `}`
/// `]` or whitespace, or the line's end.
///
/// Nearly every scalar is a number: digits, `.` and `-`. When the first
/// other byte of the 16 from `from` ends it, that byte is the answer (no
/// byte before it can); else (an exponent, a literal, a number longer
/// than 16 bytes, the last 15 bytes of a line) the bytes are looked at
/// one at a time.
#[inline(always)]
pub(super) fn scalar_end(b: &[u8], from: usize) -> usize {
    let delimiter = |c: &u8| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n');
    if let Some(Ok(c)) = b.get(from..from + 16).map(<&[u8; 16]>::try_from) {
        let v = Bytes16::load(c);
        let numeric = (v.within(b'0', b'9') | v.eq(b'.') | v.eq(b'-')).bits();
        let end = from + (!numeric).trailing_zeros() as usize;
        if end < from + 16 && delimiter(&b[end]) {
            return end;
        }
    }
    b[from..]
        .iter()
        .position(delimiter)
        .map_or(b.len(), |n| from + n)
}

/// JSON string unescape into `out` (`\uXXXX` and surrogate pairs → UTF-8;
/// malformed escapes are kept as written).
pub(super) fn unescape(s: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c != b'\\' || i + 1 >= s.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let e = s[i + 1];
        i += 2;
        match e {
            b'"' => out.push(b'"'),
            b'\\' => out.push(b'\\'),
            b'/' => out.push(b'/'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'u' => {
                let hex = |at: usize| -> Option<u32> {
                    let h = s.get(at..at + 4)?;
                    u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
                };
                let Some(mut cp) = hex(i) else {
                    out.extend_from_slice(b"\\u");
                    continue;
                };
                i += 4;
                if (0xD800..0xDC00).contains(&cp)
                    && s.get(i..i + 2) == Some(b"\\u")
                    && let Some(lo) = hex(i + 2).filter(|lo| (0xDC00..0xE000).contains(lo))
                {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
                let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                let mut tmp = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
}

/// Offset of the first `"` or `\` in `b` at or after `from`.
///
/// Keys and most values are short (`"status"`, `"GET"`, `"200"`): a
/// `memchr2` call pays its setup for a few bytes, twice per key and
/// value. The first 128 bytes are searched 16 at a time (two compares of
/// [`Bytes16`], one SSE2 instruction each), which covers user agents and
/// URLs as most logs hold them; a longer string goes on with `memchr2`.
/// Fewer than 16 bytes left (a line's last string), the line's last 16
/// are searched, the bytes before `from`'s place masked off: a
/// `memchr2` call there cost ~200 instructions a GCP line.
#[inline(always)]
pub(super) fn quote_or_backslash(b: &[u8], from: usize) -> Option<usize> {
    let hits = |at: usize| {
        let c: &[u8; 16] = b.get(at..at.checked_add(16)?)?.try_into().ok()?;
        let v = Bytes16::load(c);
        Some((v.eq(b'"') | v.eq(b'\\')).bits())
    };
    let mut i = from;
    for _ in 0..8 {
        match hits(i) {
            Some(0) => i += 16,
            Some(h) => return Some(i + h.trailing_zeros() as usize),
            None => {
                let rest = b.get(i..)?;
                let Some(last) = b.len().checked_sub(16) else {
                    // A line shorter than 16 bytes.
                    return rest
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\')
                        .map(|p| i + p);
                };
                // `i > last` here: the last 16 bytes hold the rest.
                let h = hits(last)? & (!0u64 << (i - last));
                return (h != 0).then(|| last + h.trailing_zeros() as usize);
            }
        }
    }
    Some(i + memchr::memchr2(b'"', b'\\', b.get(i..)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time search finds what a byte loop finds, at every
    /// start, with the needles at every place in and across words and
    /// bytes one bit away from them.
    #[test]
    fn quote_or_backslash_finds_what_a_byte_loop_finds() {
        let alphabet = [b'a', b'"', b'\\', 0x23, 0x5d, 0xa2, 0xdc, 0x00, 0xff];
        let mut lines = crate::props::NearMisses::new();
        for len in (0..150).chain([200, 300]) {
            for _ in 0..60 {
                let line = lines.line(len, &alphabet, 9);
                for from in 0..=len + 1 {
                    let want = line
                        .get(from..)
                        .unwrap_or_default()
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\')
                        .map(|p| from + p);
                    assert_eq!(quote_or_backslash(&line, from), want, "{line:?} {from}");
                }
            }
        }
        // One needle far from the start, and none: past the 16-byte steps,
        // in a line's last 16 bytes, and in lines shorter than 16.
        for len in [
            0, 1, 15, 16, 17, 31, 33, 127, 128, 129, 143, 144, 145, 160, 200,
        ] {
            for needle in (0..=len).flat_map(|p| [(p, b'"'), (p, b'\\')]) {
                let mut line: Vec<u8> = (0..len).map(|k| [0x23, b'x', 0xdc][k % 3]).collect();
                if let Some(c) = line.get_mut(needle.0) {
                    *c = needle.1;
                }
                for from in 0..=len + 1 {
                    let want = (needle.0 < len && from <= needle.0).then_some(needle.0);
                    assert_eq!(quote_or_backslash(&line, from), want, "{line:?} {from}");
                }
            }
        }
    }

    /// The 16-byte step of `scalar_end` ends a scalar where a byte loop
    /// does: numbers of every length across the 16 bytes, with exponents,
    /// literals and every delimiter, at every start.
    #[test]
    fn scalar_end_finds_what_a_byte_loop_finds() {
        let alphabet = [
            b'0', b'7', b'9', b'.', b'-', b'e', b'+', b'n', b'/', b':', b',', b'}', b']', b' ',
            b'\t', b'\r', b'\n', 0x0b, b'"',
        ];
        let mut lines = crate::props::NearMisses::new();
        for len in 0..48 {
            for _ in 0..150 {
                let line = lines.line(len, &alphabet, 9);
                for from in 0..=len {
                    let want = line[from..]
                        .iter()
                        .position(|c| {
                            matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
                        })
                        .map_or(len, |p| from + p);
                    assert_eq!(scalar_end(&line, from), want, "{line:?} {from}");
                }
            }
        }
        // Numbers of every length up to past the 16 bytes, each ended by
        // every byte of the alphabet, after a key.
        for n in 0..40 {
            for &end in &alphabet {
                let mut line = b"\"k\":".to_vec();
                line.extend((0..n).map(|i| b"0123456789.-"[i % 12]));
                line.push(end);
                line.extend_from_slice(b"1,\"x\":2}");
                let want = line[4..]
                    .iter()
                    .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'))
                    .map_or(line.len(), |p| 4 + p);
                assert_eq!(
                    scalar_end(&line, 4),
                    want,
                    "{:?}",
                    String::from_utf8_lossy(&line)
                );
            }
        }
    }
}
