//! Whether a path is its own route up to its numeric segments, decided
//! from byte-class masks without templating it (see [`own_template`]).

use super::shape::{DIGIT, LETTER, Masks, OTHER, SEP, SHAPE, STOP, UPPER};

/// Whether `path` (origin-form) is its own route up to its numeric
/// segments: whether templating it changes nothing but the segments that
/// [`super::shape::lookup_key`] already writes `:id`, so that its route
/// *is* its lookup key. `false` when templating might change a segment
/// (see [`kept`]) or when the path before its query string is not within
/// its first 63 bytes: the caller then templates.
///
/// On a log of many routes most lines are past the cap, and their routes
/// are looked up in vain: this spares templating them (~80 ns a line).
/// Templating's rules for keeping a segment are applied to class masks of
/// the whole path, from one SIMD pass; on the 100 000-route benchmark log
/// every path is decided here.
#[inline]
pub fn own_template(path: &[u8]) -> bool {
    let n = path.len().min(64);
    let mut m = Wide::default();
    let mut at = 0;
    while at < n {
        let b = wide_at(path, at);
        m.or_at(&b, at);
        at += 16;
        if b.query != 0 {
            break;
        }
    }
    let len = if m.query != 0 {
        m.query.trailing_zeros() as usize
    } else {
        path.len()
    };
    if len >= 64 {
        return false;
    }
    let mut start = 1;
    loop {
        let ahead = m.stop >> start;
        let end = if ahead == 0 {
            len
        } else {
            (start + ahead.trailing_zeros() as usize).min(len)
        };
        let r = Masks::range(start, end);
        let digits = m.digit & r;
        // All digits: `:id` in the key as in the route.
        if (digits != r || r == 0) && !kept(&m, start, end, len) {
            return false;
        }
        if end >= len || path[end] != b'/' {
            return true;
        }
        start = end + 1;
    }
}

/// Whether templating keeps segment `start..end` (not all digits) as it
/// is, by `template_with`'s rules: a plain word, or a short segment of no
/// other bytes that does not start with a digit, is kept at once; a longer
/// one goes through `classify_counted`, which keeps it when it cannot be
/// an id with an extension or a date (they start with a digit), long hex
/// (only digits and `a-f`), an e-mail (other bytes), or a token or a UUID
/// (a part between `-_.~` of 10 bytes or more).
/// `false` also for a first segment that may start a gRPC path.
#[inline(always)]
fn kept(m: &Wide, start: usize, end: usize, len: usize) -> bool {
    let r = Masks::range(start, end);
    let has = |mask: u64| mask & r != 0;
    if start == 1 && has(m.sep) && end < len {
        return false;
    }
    if has(m.other) || m.digit >> start & 1 != 0 {
        return false;
    }
    let plain_word = !has(m.digit) && !has(m.upper) && has(m.letter);
    let n = end - start;
    if n < 8 || plain_word {
        return true;
    }
    if !has(m.letter | m.sep) {
        return false;
    }
    // No run of 10 bytes between splitters (a UUID's last group has 12).
    let parts = !m.split & r;
    let mut run10 = parts;
    for k in 1..10 {
        run10 &= parts >> k;
    }
    run10 == 0
}

/// All the byte classes of up to 64 bytes, one bit per byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Wide {
    stop: u64,
    query: u64,
    digit: u64,
    upper: u64,
    letter: u64,
    sep: u64,
    /// The separators that split a token's parts: `- _ . ~`.
    split: u64,
    other: u64,
}

impl Wide {
    #[inline(always)]
    fn or_at(&mut self, c: &Wide, at: usize) {
        self.stop |= c.stop << at;
        self.query |= c.query << at;
        self.digit |= c.digit << at;
        self.upper |= c.upper << at;
        self.letter |= c.letter << at;
        self.sep |= c.sep << at;
        self.split |= c.split << at;
        self.other |= c.other << at;
    }

    #[inline(always)]
    fn shifted(self, by: usize) -> Wide {
        Wide {
            stop: self.stop >> by,
            query: self.query >> by,
            digit: self.digit >> by,
            upper: self.upper >> by,
            letter: self.letter >> by,
            sep: self.sep >> by,
            split: self.split >> by,
            other: self.other >> by,
        }
    }
}

/// [`Wide`] classes of `path[at..]`'s next 16 bytes, read like
/// `shape::chunk_at` reads them.
#[inline(always)]
fn wide_at(path: &[u8], at: usize) -> Wide {
    if let Some(c) = path[at..].first_chunk::<16>() {
        wide(c)
    } else if let Some(c) = path.last_chunk::<16>() {
        wide(c).shifted(at - (path.len() - 16))
    } else {
        let mut c = [0u8; 16];
        c[..path.len() - at].copy_from_slice(&path[at..]);
        // Zero padding is OTHER: masked off, past the path's end.
        let mut w = wide(&c);
        let keep = (1u64 << (path.len() - at)) - 1;
        w.other &= keep;
        w
    }
}

/// The classes of 16 bytes, as [`SHAPE`] gives them.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn wide(c: &[u8; 16]) -> Wide {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86_64 baseline, so these intrinsics are
    // available on every CPU this code runs on. The load reads the 16 bytes
    // of `c`; `loadu` has no alignment requirement.
    unsafe {
        let set = |b: u8| _mm_set1_epi8(b as i8);
        // `lo <= v <= hi` for ASCII bounds (bytes ≥ 0x80 are in no range).
        let within = |v: __m128i, lo: u8, hi: u8| {
            _mm_and_si128(
                _mm_cmpgt_epi8(v, set(lo - 1)),
                _mm_cmpgt_epi8(set(hi + 1), v),
            )
        };
        let v = _mm_loadu_si128(c.as_ptr().cast::<__m128i>());
        let eq = |b: u8| _mm_cmpeq_epi8(v, set(b));
        let bits = |m: __m128i| _mm_movemask_epi8(m) as u16 as u64;
        let query = _mm_or_si128(eq(b'?'), eq(b'#'));
        let stop = _mm_or_si128(eq(b'/'), query);
        let digit = within(v, b'0', b'9');
        let folded = _mm_or_si128(v, set(0x20));
        let alpha = within(folded, b'a', b'z');
        let hexl = within(folded, b'a', b'f');
        let split = _mm_or_si128(
            _mm_or_si128(eq(b'-'), eq(b'_')),
            _mm_or_si128(eq(b'.'), eq(b'~')),
        );
        let sep = _mm_or_si128(split, _mm_or_si128(eq(b'+'), eq(b'=')));
        let known = _mm_or_si128(_mm_or_si128(stop, digit), _mm_or_si128(alpha, sep));
        Wide {
            stop: bits(stop),
            query: bits(query),
            digit: bits(digit),
            upper: bits(within(v, b'A', b'Z')),
            letter: bits(_mm_andnot_si128(hexl, alpha)),
            sep: bits(sep),
            split: bits(split),
            other: !bits(known) & 0xFFFF,
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn wide(c: &[u8; 16]) -> Wide {
    wide_scalar(c)
}

/// The reference for the SIMD version, and the version elsewhere.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn wide_scalar(c: &[u8; 16]) -> Wide {
    let mut w = Wide::default();
    for (i, &b) in c.iter().enumerate() {
        let s = SHAPE[b as usize];
        let bit = 1u64 << i;
        for (mask, class) in [
            (&mut w.stop, STOP),
            (&mut w.digit, DIGIT),
            (&mut w.upper, UPPER),
            (&mut w.letter, LETTER),
            (&mut w.sep, SEP),
            (&mut w.other, OTHER),
        ] {
            if s & class != 0 {
                *mask |= bit;
            }
        }
        if b == b'?' || b == b'#' {
            w.query |= bit;
        }
        if matches!(b, b'-' | b'_' | b'.' | b'~') {
            w.split |= bit;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value, in every lane.
    #[test]
    fn simd_classes_equal_the_table() {
        for start in 0..=255u8 {
            let c: [u8; 16] = std::array::from_fn(|i| start.wrapping_add(i as u8 * 5));
            assert_eq!(wide(&c), wide_scalar(&c), "bytes from {start}");
        }
    }
}
