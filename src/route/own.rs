//! Whether a path is its own route up to its numeric segments, decided
//! from byte-class masks without templating it (see [`own_template`]).

#[cfg(test)]
use super::shape::{DIGIT, LETTER, OTHER, SEP, SHAPE, STOP, UPPER, bits_where};
use super::shape::{Masks, classify16};
use crate::simd::bytes16::Bytes16;

/// Whether `path` (origin-form) is its own route up to its numeric
/// segments: whether templating it changes nothing but the segments that
/// `shape::lookup_key` already writes `:id`, so that its route
/// *is* its lookup key. `false` when templating might change a segment
/// (see [`kept`]) or when the path before its query string is not within
/// its first 63 bytes: the caller then templates.
///
/// On a log of many routes most lines are past the cap, and their routes
/// are looked up in vain: this spares templating them (~80 ns a line).
/// Templating's rules for keeping a segment are applied to class masks of
/// the whole path, from one SIMD pass; on the 100 000-route benchmark log
/// every path is decided here.
// Always inlined: per-line work (see `run/once.rs::parse_block`).
#[inline(always)]
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
/// is, by the rules stated in `template.rs` (mirrored here on masks; the
/// property tests in `route/tests/properties.rs` fail when the two
/// disagree): a plain word, or a short segment of no other bytes that does
/// not start with a digit, is kept at once; a longer
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
pub(super) struct Wide {
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

/// [`Wide`] classes of `path[at..]`'s next 16 bytes (fewer at the end).
#[inline(always)]
fn wide_at(path: &[u8], at: usize) -> Wide {
    classify16(path, at, wide, Wide::shifted, |mut w, real| {
        // Zero padding is OTHER: not part of the path.
        w.other &= (1u64 << real) - 1;
        w
    })
}

/// The classes of 16 bytes, as the class table `SHAPE` gives them, compared
/// at once.
#[inline(always)]
pub(super) fn wide(c: &[u8; 16]) -> Wide {
    let v = Bytes16::load(c);
    let query = v.eq(b'?') | v.eq(b'#');
    let stop = v.eq(b'/') | query;
    let digit = v.within(b'0', b'9');
    let alpha = v.folded().within(b'a', b'z');
    let hexl = v.folded().within(b'a', b'f');
    let split = v.eq(b'-') | v.eq(b'_') | v.eq(b'.') | v.eq(b'~');
    let sep = split | v.eq(b'+') | v.eq(b'=');
    Wide {
        stop: stop.bits(),
        query: query.bits(),
        digit: digit.bits(),
        upper: v.within(b'A', b'Z').bits(),
        letter: alpha.and_not(hexl).bits(),
        sep: sep.bits(),
        split: split.bits(),
        other: !(stop | digit | alpha | sep).bits() & 0xFFFF,
    }
}

/// [`wide`] from the class table: the reference it is tested against.
#[cfg(test)]
pub(super) fn wide_scalar(c: &[u8; 16]) -> Wide {
    let class = |k: u8| bits_where(c, |b| SHAPE[b as usize] & k != 0);
    Wide {
        stop: class(STOP),
        query: bits_where(c, |b| b == b'?' || b == b'#'),
        digit: class(DIGIT),
        upper: class(UPPER),
        letter: class(LETTER),
        sep: class(SEP),
        split: bits_where(c, |b| matches!(b, b'-' | b'_' | b'.' | b'~')),
        other: class(OTHER),
    }
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
