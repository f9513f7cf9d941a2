//! Byte classes of a request path, for templating: where each segment ends,
//! which kinds of bytes it holds, and how many digits and hex letters.
//!
//! Templating looks at every byte of every path it is not cached for: on a
//! log of many distinct routes, nearly every line. An 8-byte-step search
//! found each segment's end (its exit is a hard-to-predict branch), and
//! segments that might be identifiers were counted byte by byte once more.
//! A path up to its query string usually fits in 64 bytes, so [`Masks`]
//! compares it 16 bytes at a time (SSE2) into one bit mask each for the
//! segment ends, the digits and the hex letters: a segment's end is then a
//! trailing-zero count and its counts a popcount. A segment's shape stays a
//! table lookup per byte: two independent instructions a byte cost less
//! than testing a mask per class (callgrind, stages bench). Longer paths go
//! through [`Scalar`], which gives the same answers (a test compares both on
//! generated paths).
//!
//! Stages bench, route only, min of 4 alternated runs: 100 000-route file
//! 106 → 90 ns per target, 200-route file 68 → 67 ns.

use crate::simd::bytes16::Bytes16;

/// Byte classes, OR-ed into a segment's shape.
pub const DIGIT: u8 = 1;
pub const HEXL: u8 = 2; // a-f, A-F
pub const LETTER: u8 = 4; // g-z, G-Z
pub const UPPER: u8 = 8;
pub const SEP: u8 = 16; // - _ . ~ + =
pub const OTHER: u8 = 32; // anything else (%, @, :, non-ASCII, ...)
pub const STOP: u8 = 64; // '/', '?', '#'

pub static SHAPE: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'0'..=b'9' => DIGIT,
            b'a'..=b'f' => HEXL,
            b'A'..=b'F' => HEXL | UPPER,
            b'g'..=b'z' => LETTER,
            b'G'..=b'Z' => LETTER | UPPER,
            b'-' | b'_' | b'.' | b'~' | b'+' | b'=' => SEP,
            b'/' | b'?' | b'#' => STOP,
            _ => OTHER,
        };
        c += 1;
    }
    t
};

/// What templating asks of a path's segments; `start..end` is a segment
/// (no `/`, `?` or `#` inside).
pub trait Segments {
    /// End of the segment starting at `start`: the next `/`, `?` or `#`,
    /// or the end of the path.
    fn end(&self, path: &[u8], start: usize) -> usize;
    /// The OR of the classes of the segment's bytes (0 if empty).
    fn shape(&self, path: &[u8], start: usize, end: usize) -> u8;
    /// Digits and hex letters (`a-f`, `A-F`) in the segment.
    fn counts(&self, path: &[u8], start: usize, end: usize) -> (usize, usize);
}

/// Byte by byte, any length.
pub struct Scalar;

impl Segments for Scalar {
    #[inline]
    fn end(&self, path: &[u8], start: usize) -> usize {
        start + segment_len(&path[start..])
    }

    #[inline]
    fn shape(&self, path: &[u8], start: usize, end: usize) -> u8 {
        // Independent loads, no branch per byte.
        path[start..end]
            .iter()
            .fold(0u8, |acc, &b| acc | SHAPE[b as usize])
    }

    fn counts(&self, path: &[u8], start: usize, end: usize) -> (usize, usize) {
        let seg = &path[start..end];
        let digits = seg.iter().filter(|c| c.is_ascii_digit()).count();
        let hex = seg
            .iter()
            .filter(|&&c| SHAPE[c as usize] & HEXL != 0)
            .count();
        (digits, hex)
    }
}

/// Length of the segment at the start of `s`: up to the first `/`, `?` or
/// `#`, or the end. Eight bytes per step: segments are short, but a byte
/// loop with a branch per byte was a third of the routing time. Not
/// `memchr3`: for segments of a few bytes its setup costs more (stages
/// bench, route only: 77 vs 66 ns per target; callgrind 729 vs 557
/// instructions).
#[inline]
pub(super) fn segment_len(s: &[u8]) -> usize {
    find_any(s, b"/?#")
}

/// Offset of the first byte of `s` that is one of `set` (or the length),
/// eight bytes per step.
#[inline(always)]
fn find_any<const N: usize>(s: &[u8], set: &[u8; N]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // High bit set in each byte of `x` equal to `c`, exact up to the first
    // such byte (borrows only make false hits above a true one).
    let eq = |x: u64, c: u8| {
        let v = x ^ (LO * c as u64);
        v.wrapping_sub(LO) & !v & HI
    };
    let mut i = 0;
    while i + 8 <= s.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        let x = u64::from_le_bytes(w);
        let hits = set.iter().fold(0, |h, &c| h | eq(x, c));
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < s.len() && !set.contains(&s[i]) {
        i += 1;
    }
    i
}

/// Where the query string or fragment starts (or the end).
#[inline]
pub(super) fn query_start(p: &[u8]) -> usize {
    find_any(p, b"?#")
}

/// One bit per byte of a path's first 64 bytes: segment ends (`/`, `?`,
/// `#`), digits, hex letters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Masks {
    len: usize,
    stop: u64,
    digit: u64,
    hexl: u64,
}

impl Masks {
    /// The masks of `path`, if its part before any `?` or `#` lies within
    /// its first 64 bytes (templating never looks past it). Only the
    /// 16-byte chunks up to the end of that part are classified.
    #[inline]
    pub fn of(path: &[u8]) -> Option<Masks> {
        let mut m = Masks::default();
        let mut at = 0;
        while at < 64 && at < path.len() {
            let b = chunk_at(path, at);
            m.stop |= (b.stop as u64) << at;
            m.digit |= (b.digit as u64) << at;
            m.hexl |= (b.hexl as u64) << at;
            at = (at + 16).min(path.len());
            if b.query != 0 || at == path.len() {
                m.len = at;
                return Some(m);
            }
        }
        None
    }

    /// Bits `start..end` (both ≤ 64).
    #[inline]
    pub(super) fn range(start: usize, end: usize) -> u64 {
        let below_end = if end >= 64 { !0 } else { (1u64 << end) - 1 };
        let below_start = if start >= 64 { !0 } else { (1u64 << start) - 1 };
        below_end & !below_start
    }
}

impl Segments for Masks {
    #[inline]
    fn end(&self, _: &[u8], start: usize) -> usize {
        if start >= self.len {
            return self.len;
        }
        let ahead = self.stop >> start;
        if ahead == 0 {
            self.len
        } else {
            start + ahead.trailing_zeros() as usize
        }
    }

    #[inline]
    fn shape(&self, path: &[u8], start: usize, end: usize) -> u8 {
        // Two instructions a byte, independent of each other: cheaper
        // than a mask test per class.
        Scalar.shape(path, start, end)
    }

    #[inline]
    fn counts(&self, _: &[u8], start: usize, end: usize) -> (usize, usize) {
        let r = Masks::range(start, end);
        (
            (self.digit & r).count_ones() as usize,
            (self.hexl & r).count_ones() as usize,
        )
    }
}

/// The lookup key of origin-form `target` (see `Router::lookup_key`;
/// rule 1 of `template.rs`, mirrored here on masks): the path before any query string or
/// fragment, with every segment made of digits only (`/123`, not `/v2` or
/// `/123.json`) written `:id` in `out` if it has one. `None` when that path
/// is not within the first 63 bytes (the caller takes the path as it is).
///
/// One pass over the first 64 bytes, 16 at a time (read as [`Masks::of`]
/// reads them), finds the query string and classifies slashes and digits;
/// a run of digits that starts right after a slash is a whole segment when
/// the carry of adding its first bit to the digit mask lands on a slash or
/// on the end.
// Always inlined: per-line work (see `run/once.rs::parse_block`).
#[inline(always)]
pub fn lookup_key<'a>(target: &'a [u8], out: &'a mut Vec<u8>) -> Option<&'a [u8]> {
    let n = target.len().min(64);
    let (mut stop, mut digit, mut query) = (0u64, 0u64, 0u64);
    let mut at = 0;
    while at < n {
        let b = chunk_at(target, at);
        stop |= (b.stop as u64) << at;
        digit |= (b.digit as u64) << at;
        query |= (b.query as u64) << at;
        at += 16;
        if b.query != 0 {
            break;
        }
    }
    let len = if query != 0 {
        query.trailing_zeros() as usize
    } else {
        target.len()
    };
    if len >= 64 {
        return None;
    }
    let key = &target[..len];
    let below = (1u64 << len) - 1;
    let (slash, digit) = (stop & below, digit & below);
    // `len < 64`: no digit at bit 63, so the addition cannot carry out.
    let starts = (slash << 1) & digit;
    let ends = digit.wrapping_add(starts) & !digit & (slash | 1 << len);
    if ends == 0 {
        return Some(key);
    }
    out.clear();
    let mut kept = 0;
    let mut s = starts;
    while s != 0 {
        let t = s.trailing_zeros() as usize;
        s &= s - 1;
        let e = t + (!(digit >> t)).trailing_zeros() as usize;
        if ends >> e & 1 != 0 {
            out.extend_from_slice(&key[kept..t]);
            out.extend_from_slice(b":id");
            kept = e;
        }
    }
    out.extend_from_slice(&key[kept..]);
    Some(out.as_slice())
}

/// The classes of `path[at..]`'s next 16 bytes (fewer at the end).
#[inline(always)]
fn chunk_at(path: &[u8], at: usize) -> Chunk {
    // Zero padding is none of these classes.
    classify16(path, at, chunk, Chunk::shifted, |c, _| c)
}

/// `path[at..]`'s next 16 bytes (fewer at the end) classified by
/// `classify`, read in place rather than copied to a padded buffer (a
/// `memcpy` call a path): a short last piece is the path's last 16 bytes,
/// overlapping the piece before, with its marks moved down by `shift`. A
/// path of fewer than 16 bytes is zero-padded; `unpad` gets its classes and
/// the number of real bytes.
#[inline(always)]
pub(super) fn classify16<T>(
    path: &[u8],
    at: usize,
    classify: impl Fn(&[u8; 16]) -> T,
    shift: impl Fn(T, usize) -> T,
    unpad: impl Fn(T, usize) -> T,
) -> T {
    if let Some(c) = path[at..].first_chunk::<16>() {
        classify(c)
    } else if let Some(c) = path.last_chunk::<16>() {
        shift(classify(c), at - (path.len() - 16))
    } else {
        // Byte by byte in 16 fixed steps, which compile to straight-line
        // code: copying a variable length was a `memcpy` call, ~0.6 % of a
        // batch run where 2 paths in 5 are this short.
        let rest = &path[at..];
        let mut c = [0u8; 16];
        for (i, b) in c.iter_mut().enumerate() {
            if let Some(&x) = rest.get(i) {
                *b = x;
            }
        }
        unpad(classify(&c), rest.len())
    }
}

/// Class bits of 16 bytes, and where `?` or `#` are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Chunk {
    stop: u16,
    digit: u16,
    hexl: u16,
    query: u16,
}

impl Chunk {
    /// The marks of bytes `by..16`, moved to bits `0..16 - by`.
    #[inline(always)]
    fn shifted(self, by: usize) -> Chunk {
        Chunk {
            stop: self.stop >> by,
            digit: self.digit >> by,
            hexl: self.hexl >> by,
            query: self.query >> by,
        }
    }
}

/// The classes of 16 bytes, compared at once.
#[inline(always)]
fn chunk(c: &[u8; 16]) -> Chunk {
    let v = Bytes16::load(c);
    let query = v.eq(b'?') | v.eq(b'#');
    Chunk {
        stop: (v.eq(b'/') | query).bits() as u16,
        digit: v.within(b'0', b'9').bits() as u16,
        hexl: v.folded().within(b'a', b'f').bits() as u16,
        query: query.bits() as u16,
    }
}

/// [`chunk`] from the class table: the reference it is tested against.
#[cfg(test)]
fn chunk_scalar(c: &[u8; 16]) -> Chunk {
    let class = |k: u8| bits_where(c, |b| SHAPE[b as usize] & k != 0) as u16;
    Chunk {
        stop: class(STOP),
        digit: class(DIGIT),
        hexl: class(HEXL),
        query: bits_where(c, |b| b == b'?' || b == b'#') as u16,
    }
}

/// One bit per byte of `c` for which `f` holds (the class-table
/// references of [`chunk`] and `own::wide`).
#[cfg(test)]
pub(super) fn bits_where(c: &[u8; 16], f: impl Fn(u8) -> bool) -> u64 {
    c.iter()
        .enumerate()
        .filter(|&(_, &b)| f(b))
        .fold(0, |m, (i, _)| m | 1 << i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value, in every lane.
    #[test]
    fn simd_classes_equal_the_table() {
        for start in 0..=255u8 {
            let c: [u8; 16] = std::array::from_fn(|i| start.wrapping_add(i as u8 * 5));
            assert_eq!(chunk(&c), chunk_scalar(&c), "bytes from {start}");
        }
    }

    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// `/` and 0 to 99 bytes, the lengths across each 16-byte step and the
    /// 64 bytes of the masks drawn as often as all others together; bytes
    /// of every class, `/`, `?` and `#` among them, and sometimes any byte.
    fn path() -> impl Strategy<Value = Vec<u8>> {
        let len = prop_oneof![
            0..=99usize,
            select(vec![
                14, 15, 16, 17, 30, 31, 32, 33, 46, 47, 48, 49, 62, 63, 64, 65, 66
            ]),
        ];
        let byte = prop_oneof![
            4 => select(&b"/aZf9-_.~+=%@:?#\xc3\xa9x0G/"[..]),
            1 => any::<u8>(),
        ];
        len.prop_flat_map(move |n| vec(byte.clone(), n))
            .prop_map(|rest| [&b"/"[..], &rest].concat())
    }

    proptest! {
        // 3 000 paths: ~0.1 s in a debug build (settings: `crate::props`).
        #![proptest_config(crate::props::config(3_000))]

        /// Masks and the byte loop agree on every segment of a path, short
        /// or long, with or without a query string.
        #[test]
        fn masks_answer_like_the_byte_loop(path in path()) {
            let Some(m) = Masks::of(&path) else {
                prop_assert!(path.len() > 64 && !path[..64].iter().any(|c| b"?#".contains(c)));
                return Ok(());
            };
            let mut start = 1;
            loop {
                let end = Scalar.end(&path, start);
                let at = format!("b\"{}\" at {start}", path.escape_ascii());
                prop_assert_eq!(m.end(&path, start), end, "{}", at);
                prop_assert_eq!(
                    m.shape(&path, start, end),
                    Scalar.shape(&path, start, end),
                    "{}",
                    at
                );
                prop_assert_eq!(
                    m.counts(&path, start, end),
                    Scalar.counts(&path, start, end),
                    "{}",
                    at
                );
                if end >= path.len() || path[end] != b'/' {
                    break;
                }
                start = end + 1;
            }
        }
    }
}
