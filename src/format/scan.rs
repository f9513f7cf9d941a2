//! Finding the bytes that end fields and lines: a plain scan of one line,
//! or a block's structural index ([`Marks`]) built in one SIMD pass.
//!
//! A combined line ends in a newline and has three quoted fields (request,
//! referer, user agent) whose ends the parser must find, plus two tokens
//! (address, user) that end at a space. Searching each with memchr was four
//! calls per line, each paying its setup for a stretch of a few dozen bytes:
//! ~14 % of a batch run's CPU. The batch reader instead marks every newline,
//! quote, backslash and space of its block at once, 64 bytes per word, and
//! the parser finds the next one with a shift and a trailing-zero count.
//!
//! Both implement [`Scan`] with the same answers, so a template parses a
//! line the same way whichever it is given; `tests` pins that.

use crate::simd::bytes16::{Bytes16, Lanes16};
use crate::simd::marks::{self, LineMarks as Word};

/// The lines of `data`, without their newlines: a last line without one is
/// included, an empty tail is not (the lines [`Marks::lines`] gives, found
/// one `memchr` at a time, for data that is read once).
#[inline]
pub fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or_default();
        Some(line)
    })
}

/// The UTF-8 byte order mark, which Windows tools (and some log writers)
/// put at the start of a file.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `line` without a byte order mark at its start: a file's first line, or
/// a line where one file was appended to another, is read as if it had
/// none (it was a bad line, or an IIS log's header was not seen as one and
/// the whole file went unread).
#[inline(always)]
pub fn without_bom(line: &[u8]) -> &[u8] {
    line.strip_prefix(BOM).unwrap_or(line)
}

/// Where the next field end is in a line.
pub trait Scan: Copy {
    /// Offset in `line` of the first `"` at or after `from` that is not
    /// escaped by a backslash (a backslash escapes the byte after it).
    fn quote(self, line: &[u8], from: usize) -> Option<usize>;
    /// [`Scan::quote`]'s answer, for fields that are usually a few bytes
    /// (the combined preset's referer, most often `-`): the plain scan
    /// looks at the first 32 bytes eight at a time before it calls
    /// `memchr`, whose setup costs more than such a field.
    #[inline(always)]
    fn quote_short(self, line: &[u8], from: usize) -> Option<usize> {
        self.quote(line, from)
    }
    /// [`Scan::quote`]'s answer, for the quoted fields of the fixed-layout
    /// logs (`fields.rs`), from a few bytes (Envoy's upstream address) to
    /// a few dozen (an ALB request) or more (a user agent): the plain scan
    /// finds them 64 bytes per step ([`Plain::quote_field`]), with no
    /// branch on their length and no call's setup. Read that way, the
    /// combined preset's referer (most often `-`) was slower than by
    /// [`Scan::quote_short`]'s words.
    #[inline(always)]
    fn quote_field(self, line: &[u8], from: usize) -> Option<usize> {
        self.quote(line, from)
    }
    /// Offset of the first space at or after `from`, or `line.len()`.
    fn space(self, line: &[u8], from: usize) -> usize;
    /// The scan of the line that starts `n` bytes into this one (a line
    /// after a shipper's prefix).
    fn skip(self, n: usize) -> Self;
    /// The offsets of the spaces of `line` at or after `from`, in order:
    /// what repeated [`Scan::space`] calls find, each from after the last,
    /// without searching again from each (W3C lines are a dozen or more
    /// space-separated columns: one search per column was most of their
    /// parse).
    fn spaces(self, line: &[u8], from: usize) -> impl Iterator<Item = usize>;
}

/// The bytes of a 64-byte window of `line` that `pick` picks, bit `i` for
/// byte `base + i`, and `base`: `from`, or the line's last 64 bytes when
/// fewer are left (a whole load, never past the line's end), or the whole
/// of a shorter line, padded with zero bytes (which `pick` must not pick).
/// Sixteen bytes per compare, no branch on where the picked bytes are:
/// a [`Window`] gives them as the next bit.
#[inline(always)]
pub(super) fn window64(
    line: &[u8],
    from: usize,
    pick: impl Fn(Bytes16) -> Lanes16,
) -> (usize, u64) {
    let bits = |w: &[u8]| {
        let mut bits = 0;
        for (k, c) in w.chunks_exact(16).enumerate() {
            if let Ok(c) = <&[u8; 16]>::try_from(c) {
                bits |= pick(Bytes16::load(c)).bits() << (16 * k);
            }
        }
        bits
    };
    let base = from.min(line.len().saturating_sub(64));
    let bits = match line.get(base..base + 64) {
        Some(w) => bits(w),
        None => {
            let mut w = [0u8; 64];
            let rest = line.get(base..).unwrap_or_default();
            w[..rest.len()].copy_from_slice(rest);
            bits(&w)
        }
    };
    (base, bits)
}

/// A 64-byte window of a line ([`window64`]) and the bytes `pick` picks
/// in it, bit `i` for byte `base + i`: the next picked byte from any
/// offset is the next bit, and the next 64 bytes are loaded only when the
/// bits run out. The fixed-layout logs' token ends (spaces, `fields.rs`)
/// and the ends of quoted fields ([`Plain::quote_field`]) are found
/// through one.
#[derive(Clone, Copy)]
pub(super) struct Window {
    base: usize,
    bits: u64,
}

impl Window {
    /// The window that holds `from`.
    #[inline(always)]
    pub(super) fn at(line: &[u8], from: usize, pick: impl Fn(Bytes16) -> Lanes16) -> Window {
        let (base, bits) = window64(line, from, pick);
        Window { base, bits }
    }

    /// Offset of the first byte `pick` picks in `line` at or after
    /// `from`, or the line's length. A `from` outside the window (before
    /// it too) loads the window that holds it; `pick` must be the one the
    /// window was made with.
    #[inline(always)]
    pub(super) fn next(
        &mut self,
        line: &[u8],
        from: usize,
        pick: impl Fn(Bytes16) -> Lanes16 + Copy,
    ) -> usize {
        if from >= line.len() {
            return line.len();
        }
        let mut from = from;
        loop {
            let off = from.wrapping_sub(self.base);
            if off < 64 {
                let m = self.bits >> off;
                if m != 0 {
                    return from + m.trailing_zeros() as usize;
                }
                if self.base + 64 >= line.len() {
                    return line.len();
                }
                // Nothing picked up to the window's end: on from there.
                from = self.base + 64;
            }
            *self = Window::at(line, from, pick);
        }
    }
}

/// Index in `word` (little-endian bytes) of its first `"` or `\\`: a byte
/// equal to one is a zero byte of the word XOR that byte repeated, and
/// the lowest flagged byte of the classic zero-byte test is exact (a
/// false flag only ever sits above a true one), for each test and so for
/// their union.
#[inline(always)]
fn first_quote_or_escape(word: u64) -> Option<usize> {
    const LO: u64 = u64::from_ne_bytes([0x01; 8]);
    const HI: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let q = word ^ u64::from_ne_bytes([b'"'; 8]);
    let b = word ^ u64::from_ne_bytes([b'\\'; 8]);
    match zero(q) | zero(b) {
        0 => None,
        m => Some((m.trailing_zeros() / 8) as usize),
    }
}

/// Scans the line itself: for lines parsed one at a time.
#[derive(Clone, Copy, Debug, Default)]
pub struct Plain;

impl Scan for Plain {
    #[inline]
    fn quote(self, line: &[u8], from: usize) -> Option<usize> {
        let s = &line[from..];
        // `""` and `"-"` (no referer, no user agent) are common: answer
        // them without a memchr call.
        match s {
            [b'"', ..] => return Some(from),
            [c, b'"', ..] if *c != b'\\' => return Some(from + 1),
            _ => {}
        }
        let mut i = 0;
        while i < s.len() {
            let j = i + memchr::memchr2(b'"', b'\\', &s[i..])?;
            if s[j] == b'"' {
                return Some(from + j);
            }
            i = j + 2;
        }
        None
    }

    #[inline(always)]
    fn quote_short(self, line: &[u8], from: usize) -> Option<usize> {
        let mut i = from;
        // Words while the field is short, then `quote` for the rest (the
        // same answer: both skip a backslash and the byte after it).
        while i < from + 32 {
            let Some(chunk) = line.get(i..i + 8) else {
                // The last bytes of the line, one at a time.
                while i < line.len() {
                    match line[i] {
                        b'"' => return Some(i),
                        b'\\' => i += 2,
                        _ => i += 1,
                    }
                }
                return None;
            };
            let Ok(word) = <[u8; 8]>::try_from(chunk) else {
                return None;
            };
            match first_quote_or_escape(u64::from_le_bytes(word)) {
                None => i += 8,
                Some(k) if line[i + k] == b'"' => return Some(i + k),
                Some(k) => i += k + 2,
            }
        }
        if i >= line.len() {
            return None;
        }
        self.quote(line, i)
    }

    /// The quotes and backslashes of 64 bytes at a time: one load finds
    /// the end of most fields, with no branch on their length, and no
    /// call's setup (`memchr`'s was most of a short field's cost).
    #[inline(always)]
    fn quote_field(self, line: &[u8], from: usize) -> Option<usize> {
        let quotes = |v: Bytes16| v.eq(b'"') | v.eq(b'\\');
        let mut w = Window::at(line, from, quotes);
        let mut i = from;
        loop {
            let j = w.next(line, i, quotes);
            match line.get(j) {
                Some(b'"') => return Some(j),
                // A backslash: the byte after it is not a quote.
                Some(_) => i = j + 2,
                None => return None,
            }
        }
    }

    #[inline]
    fn space(self, line: &[u8], from: usize) -> usize {
        // Tokens are short (addresses, user names): a loop beats memchr.
        from + line[from..]
            .iter()
            .position(|&c| c == b' ')
            .unwrap_or(line.len() - from)
    }

    #[inline]
    fn skip(self, _: usize) -> Self {
        self
    }

    #[inline]
    fn spaces(self, line: &[u8], from: usize) -> impl Iterator<Item = usize> {
        positions(line, from, b' ')
    }
}

/// The offsets of every `byte` in `line` at or after `from`, in order: the
/// spaces of [`Plain::spaces`], and the tabs that end CloudFront's and
/// other tab-separated W3C columns (which the block's index does not
/// mark). `byte` is not 0.
#[inline]
pub fn positions(line: &[u8], from: usize, byte: u8) -> impl Iterator<Item = usize> {
    // A short line's window is padded with zero bytes.
    debug_assert_ne!(byte, 0, "positions of a zero byte");
    let (base, bits) = window64(line, from, |v| v.eq(byte));
    Positions {
        line,
        byte,
        base,
        // Bytes of the window before `from` are not asked for.
        bits: bits & (!0u64).checked_shl((from - base) as u32).unwrap_or(0),
    }
}

/// [`positions`]: the bytes of 64-byte windows ([`window64`]), each given
/// as the next bit of its window's mask. The needles of a line (a column
/// separator every dozen bytes or so) come with no branch per word, where
/// a search eight bytes at a time mispredicted on words with none. Not a
/// [`Window`], which answers a search from any offset: taking each bit in
/// turn (clearing the lowest) cost 0.88x the instructions of searching
/// from past the last one (`formats_w3c` bench, CloudFront's 33 tabs).
struct Positions<'a> {
    line: &'a [u8],
    byte: u8,
    /// Where the window starts.
    base: usize,
    /// Its needles not yet given, bit `i` for byte `base + i`.
    bits: u64,
}

impl Iterator for Positions<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        loop {
            if self.bits != 0 {
                let i = self.base + self.bits.trailing_zeros() as usize;
                self.bits &= self.bits - 1;
                return Some(i);
            }
            let next = self.base + 64;
            if next >= self.line.len() {
                return None;
            }
            let byte = self.byte;
            let (base, bits) = window64(self.line, next, |v| v.eq(byte));
            // The line's last window may start before `next`: its bytes
            // before it were given already.
            self.base = base;
            self.bits = bits & (!0u64 << (next - base));
        }
    }
}

/// The structural index of a block (see the module docs). Reused from
/// block to block: indexing allocates only when a block is larger than any
/// before.
#[derive(Debug, Default)]
pub struct Marks {
    words: Vec<Word>,
    len: usize,
}

impl Marks {
    /// Indexes `data`, replacing the previous index.
    pub fn index(&mut self, data: &[u8]) {
        marks::index(data, &mut self.words);
        self.len = data.len();
    }

    /// The lines of the indexed data, as `(start, end)` offsets without the
    /// newline; a last line without one is included, an empty tail is not.
    pub fn lines(&self) -> Lines<'_> {
        Lines {
            words: &self.words,
            len: self.len,
            w: 0,
            bits: self.words.first().map_or(0, |w| w.newline),
            start: 0,
        }
    }

    /// The index seen from a line starting at offset `start`.
    #[inline]
    pub fn at(&self, start: usize) -> At<'_> {
        At {
            words: &self.words,
            base: start,
        }
    }
}

/// Iterator of [`Marks::lines`].
pub struct Lines<'a> {
    words: &'a [Word],
    len: usize,
    w: usize,
    bits: u64,
    start: usize,
}

impl Iterator for Lines<'_> {
    type Item = (usize, usize);

    #[inline]
    fn next(&mut self) -> Option<(usize, usize)> {
        while self.bits == 0 {
            self.w += 1;
            match self.words.get(self.w) {
                Some(w) => self.bits = w.newline,
                None => {
                    // The last line, when not terminated.
                    let start = self.start;
                    self.start = self.len;
                    return (start < self.len).then_some((start, self.len));
                }
            }
        }
        let end = self.w * 64 + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        let start = self.start;
        self.start = end + 1;
        Some((start, end))
    }
}

/// A block's [`Marks`] seen from the start of one of its lines.
#[derive(Clone, Copy, Debug)]
pub struct At<'a> {
    words: &'a [Word],
    base: usize,
}

impl At<'_> {
    /// Offset (in the line) of the first byte marked in `kind` at or after
    /// `from` and before `end`.
    #[inline(always)]
    fn next(self, kind: fn(&Word) -> u64, from: usize, end: usize) -> Option<usize> {
        let (from, end) = (self.base + from, self.base + end);
        if from >= end {
            return None;
        }
        let mut w = from / 64;
        let mut bits = kind(self.words.get(w)?) & (!0u64 << (from % 64));
        while bits == 0 {
            w += 1;
            if w * 64 >= end {
                return None;
            }
            bits = kind(self.words.get(w)?);
        }
        let at = w * 64 + bits.trailing_zeros() as usize;
        (at < end).then(|| at - self.base)
    }
}

impl Scan for At<'_> {
    #[inline(always)]
    fn quote(self, line: &[u8], from: usize) -> Option<usize> {
        let mut i = from;
        loop {
            let j = self.next(|w| w.quote, i, line.len())?;
            if line[j] == b'"' {
                return Some(j);
            }
            i = j + 2;
        }
    }

    #[inline]
    fn space(self, line: &[u8], from: usize) -> usize {
        self.next(|w| w.space, from, line.len())
            .unwrap_or(line.len())
    }

    #[inline]
    fn skip(self, n: usize) -> Self {
        At {
            words: self.words,
            base: self.base + n,
        }
    }

    #[inline]
    fn spaces(self, line: &[u8], from: usize) -> impl Iterator<Item = usize> {
        let (from, end) = (self.base + from, self.base + line.len());
        let w = from / 64;
        AtSpaces {
            words: self.words,
            base: self.base,
            end,
            w,
            bits: self
                .words
                .get(w)
                .filter(|_| from < end)
                .map_or(0, |x| x.space & (!0u64 << (from % 64))),
        }
    }
}

/// [`At`]'s spaces: the set bits of the index's space words, one word
/// loaded per 64 bytes, not per space.
struct AtSpaces<'a> {
    words: &'a [Word],
    base: usize,
    /// The line's end, in the block.
    end: usize,
    w: usize,
    bits: u64,
}

impl Iterator for AtSpaces<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.bits == 0 {
            self.w += 1;
            if self.w * 64 >= self.end {
                return None;
            }
            self.bits = self.words.get(self.w)?.space;
        }
        let at = self.w * 64 + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        (at < self.end).then(|| at - self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (line, from) of `data` gets the same answers from the index as
    /// from the plain scan.
    fn agree(data: &[u8]) {
        let mut m = Marks::default();
        m.index(data);
        let want: Vec<(usize, usize)> = {
            let mut v = Vec::new();
            let mut start = 0;
            while start < data.len() {
                let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
                v.push((start, end));
                start = end + 1;
            }
            v
        };
        assert_eq!(m.lines().collect::<Vec<_>>(), want);
        let by_memchr: Vec<&[u8]> = lines(data).collect();
        let indexed: Vec<&[u8]> = want.iter().map(|&(s, e)| &data[s..e]).collect();
        assert_eq!(by_memchr, indexed);
        for (start, end) in want {
            let line = &data[start..end];
            let at = m.at(start);
            for from in 0..=line.len() {
                assert_eq!(
                    at.quote(line, from),
                    Plain.quote(line, from),
                    "{line:?} {from}"
                );
                assert_eq!(
                    at.space(line, from),
                    Plain.space(line, from),
                    "{line:?} {from}"
                );
                assert_eq!(
                    Plain.quote_short(line, from),
                    Plain.quote(line, from),
                    "{line:?} {from}"
                );
                assert_eq!(
                    Plain.quote_field(line, from),
                    Plain.quote(line, from),
                    "{line:?} {from}"
                );
            }
            // Every space from every start, as repeated `space` calls
            // from after the last find them.
            for from in 0..=line.len() {
                let mut want = Vec::new();
                let mut i = from;
                while i < line.len() {
                    let s = Plain.space(line, i);
                    if s == line.len() {
                        break;
                    }
                    want.push(s);
                    i = s + 1;
                }
                assert_eq!(Plain.spaces(line, from).collect::<Vec<_>>(), want);
                assert_eq!(at.spaces(line, from).collect::<Vec<_>>(), want);
            }
            // A line cut short (a stripped `\r`) stops the search there.
            for cut in 0..line.len() {
                let l = &line[..cut];
                for from in 0..=cut {
                    assert_eq!(at.quote(l, from), Plain.quote(l, from));
                    assert_eq!(Plain.quote_short(l, from), Plain.quote(l, from));
                    assert_eq!(Plain.quote_field(l, from), Plain.quote(l, from));
                    assert_eq!(at.space(l, from), Plain.space(l, from));
                    assert!(at.spaces(l, from).eq(Plain.spaces(l, from)));
                }
            }
        }
    }

    #[test]
    fn quotes_end_at_the_first_unescaped_quote() {
        let q = |s: &[u8]| Plain.quote(s, 0);
        assert_eq!(q(br#"abc" x"#), Some(3));
        assert_eq!(q(br#"a\"b" x"#), Some(4));
        assert_eq!(q(br#"a\\"#), None);
        assert_eq!(q(br#"a\x22b" x"#), Some(6));
        assert_eq!(q(b"abc"), None);
        assert_eq!(q(br#"ab\""#), None);
        assert_eq!(Plain.quote(br#"x"y""#, 2), Some(3));
    }

    /// The word-at-a-time quote search and the 64-byte windows answer as
    /// the `memchr` one, at every start, on lines of quotes, backslashes
    /// and bytes one bit away from them (0x23, 0x5d, 0xa2, 0xdc), past
    /// the 32 bytes read by words, on lines shorter than one window and
    /// longer than two.
    #[test]
    fn quote_short_and_quote_field_answer_like_quote() {
        let alphabet = [b'a', b'"', b'\\', 0x23, 0x5d, 0xa2, 0xdc, b' ', 0x00];
        let mut lines = crate::props::NearMisses::new();
        for len in (0..80).chain(120..200) {
            for _ in 0..100 {
                // Mostly plain bytes, so that quotes come late too.
                let line = lines.line(len, &alphabet, 31);
                for from in 0..=len {
                    let want = Plain.quote(&line, from);
                    assert_eq!(Plain.quote_short(&line, from), want, "{line:?} {from}");
                    assert_eq!(Plain.quote_field(&line, from), want, "{line:?} {from}");
                }
            }
        }
    }

    #[test]
    fn index_answers_like_the_plain_scan() {
        agree(b"");
        agree(b"\n");
        agree(b"\n\n\nx");
        agree(b"a b\n");
        agree(br#"a "b\"c" d\"#);
        // Fields and escapes across the 64-byte word boundaries.
        let mut long = Vec::new();
        for i in 0..300u32 {
            long.extend_from_slice(b"x");
            long.extend(std::iter::repeat_n(b'y', (i % 70) as usize));
            long.extend_from_slice(match i % 5 {
                0 => &b"\"q\\\"r\" "[..],
                1 => b"\\\\\"",
                2 => b" \n",
                3 => b"\"\n\"",
                _ => b"\\",
            });
        }
        agree(&long);
        let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs/combined_rt.log");
        agree(&std::fs::read(sample).unwrap()[..20_000]);
    }

    /// Spaces among bytes one bit away from a space (0x21, 0xa0, 0x00,
    /// 0x30), where a zero-byte test that is exact only for its lowest
    /// flag would report more, at every place in and across words.
    #[test]
    fn every_space_is_found_and_nothing_else() {
        let alphabet = [
            b'a', b' ', 0x21, 0xa0, 0x00, 0x30, 0x1f, 0xff, b'"', b'\\', b'\t',
        ];
        let mut lines = crate::props::NearMisses::new();
        let mut data = Vec::new();
        // Lines shorter than one 64-byte window and longer than three.
        for len in 0..200 {
            for _ in 0..8 {
                data.extend(lines.line(len, &alphabet, 0));
                data.push(b'\n');
            }
        }
        for line in data.split(|&c| c == b'\n') {
            for from in 0..=line.len() {
                let want = (from..line.len()).filter(|&i| line[i] == b' ');
                assert!(Plain.spaces(line, from).eq(want), "{line:?} {from}");
                let want = (from..line.len()).filter(|&i| line[i] == b'"');
                assert!(positions(line, from, b'"').eq(want), "{line:?} {from}");
                let want = (from..line.len()).filter(|&i| line[i] == b'\t');
                assert!(positions(line, from, b'\t').eq(want), "{line:?} {from}");
            }
        }
        agree(&data);
    }

    #[test]
    fn an_escape_at_the_end_of_a_line_does_not_reach_the_next() {
        let data = b"\"a\\\n\"b\"\n";
        let mut m = Marks::default();
        m.index(data);
        let line = &data[..4];
        assert_eq!(m.at(0).quote(line, 1), None);
        assert_eq!(m.at(5).quote(&data[5..7], 0), Some(1));
    }
}
