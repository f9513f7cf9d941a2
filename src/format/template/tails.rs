//! What the combined family's two extended presets have after the user
//! agent, read in straight-line code by `Combined::record`
//! (`combined.rs`): ingress-nginx's `upstreaminfo` fields and Traefik
//! CLF's. Each has a recogniser, which says whether a template's ops after
//! the user agent are exactly these fields, and a reader, which matches
//! them on a line by the rules of those ops, op for op (a literal must be
//! there, a run of a class must not be empty unless the class may be), so
//! that a line fits here exactly when the generic matcher would fit it.

use super::vocab::{Class, NO_SLOT, Op, S_BACKEND, S_LATENCY, S_UPSTREAM, lit_at};
use crate::format::fields::{byte_from, byte2_from};
use crate::format::scan::Scan;
use crate::simd::bytes16::Bytes16;

/// Whether `tail` is what Traefik's CLF access log has after the user
/// agent (the `traefik_clf` preset): ` %k "%{Router}n" "%{Backend}n"
/// %{ms}Tms`, the request count and the router unslotted, the backend
/// and the duration (any unit: the template says which) in theirs.
pub(super) fn is_traefik(tail: &[Op]) -> bool {
    let lit = |op: &Op, want: &[u8]| matches!(op, Op::Lit(l) if &l[..] == want);
    let [l0, count, l1, router, l2, backend, l3, timer, l4] = tail else {
        return false;
    };
    lit(l0, b" ")
        && matches!(count, Op::Run(Class::DigitsOrDash, NO_SLOT))
        && lit(l1, b" \"")
        && matches!(router, Op::Quoted(NO_SLOT))
        && lit(l2, b"\" \"")
        && matches!(backend, Op::Quoted(s) if *s as usize == S_BACKEND)
        && lit(l3, b"\" ")
        && matches!(timer, Op::Run(Class::WholeTimer, s) if *s as usize == S_LATENCY)
        && lit(l4, b"ms")
}

/// Where a run of `class` from `at` ends, as the op loop takes it: `None`
/// when it is empty and the class may not be. Always inlined, so that each
/// call's class is a constant and its `Class::run` one loop: through a
/// closure it was a call with the class matched at run time (~7 % of an
/// ingress-nginx line in `perf`).
#[inline(always)]
fn run_at(line: &[u8], at: usize, class: Class) -> Option<usize> {
    let n = class.run(&line[at..]);
    (n > 0 || class.may_be_empty()).then_some(at + n)
}

/// The Traefik CLF fields from `pos` (the space after the user agent's
/// quote) to the end of the line, by the rules of the ops [`is_traefik`]
/// recognises, op for op: the backend (without its quotes) and the
/// duration's digits; `None` when the line does not fit.
#[inline(always)]
pub(super) fn traefik<S: Scan>(line: &[u8], pos: usize, scan: S) -> Option<(&[u8], &[u8])> {
    let lit = |at: usize, l: &[u8]| lit_at(line, at, l).then_some(at + l.len());
    let p = lit(pos, b" ")?;
    let p = lit(run_at(line, p, Class::DigitsOrDash)?, b" \"")?;
    // The router and the backend URL are a few dozen bytes: by words on
    // a plain line (`Scan::quote_short`), where a `memchr` call's setup is
    // most of its cost; the same answers as `Scan::quote`.
    let b0 = lit(scan.quote_short(line, p)?, b"\" \"")?;
    let b1 = scan.quote_short(line, b0)?;
    let t0 = lit(b1, b"\" ")?;
    let t1 = run_at(line, t0, Class::WholeTimer)?;
    (lit(t1, b"ms")? == line.len()).then(|| (&line[b0..b1], &line[t0..t1]))
}

/// Whether `tail` is what ingress-nginx's `upstreaminfo` has after the
/// user agent (the `ingress_nginx` preset): ` $request_length
/// $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name]
/// $upstream_addr $upstream_response_length $upstream_response_time
/// $upstream_status $req_id`, the upstream name the backend (the address
/// then unslotted).
pub(super) fn is_upstreaminfo(tail: &[Op]) -> bool {
    use Class::*;
    let run = |op: &Op, class: Class, slot: usize| matches!(op, Op::Run(c, s) if *c == class && *s as usize == slot);
    let no = NO_SLOT as usize;
    let [
        l0,
        len,
        l1,
        rt,
        l2,
        name,
        l3,
        alt,
        l4,
        addr,
        l5,
        ulen,
        l6,
        urt,
        l7,
        ust,
        l8,
        Op::Rest(NO_SLOT),
    ] = tail
    else {
        return false;
    };
    let lit = |op: &Op, want: &[u8]| matches!(op, Op::Lit(l) if &l[..] == want);
    lit(l0, b" ")
        && run(len, DigitsOrDash, no)
        && lit(l1, b" ")
        && run(rt, Timer, S_LATENCY)
        && lit(l2, b" [")
        && run(name, Name, S_BACKEND)
        && lit(l3, b"] [")
        && run(alt, Name, no)
        && lit(l4, b"] ")
        && run(addr, List, no)
        && lit(l5, b" ")
        && run(ulen, TimerList, no)
        && lit(l6, b" ")
        && run(urt, TimerList, S_UPSTREAM)
        && lit(l7, b" ")
        && run(ust, TimerList, no)
        && lit(l8, b" ")
}

/// The `upstreaminfo` fields from `pos` (the space after the user agent's
/// quote) to the end of the line, by the rules of the ops
/// [`is_upstreaminfo`] recognises, op for op: a literal must be there, a
/// run of a class must not be empty unless the class may be, the request
/// id takes the rest. The request time, the upstream name and the
/// upstream response time; `None` when the line does not fit.
///
/// Nearly every line has the plain shape [`upstreaminfo_plain`] reads
/// from one mask of its spaces; the rest (a list of several upstreams,
/// `nan`, a line that does not fit) take [`upstreaminfo_exact`].
#[inline(always)]
pub(super) fn upstreaminfo(line: &[u8], pos: usize) -> Option<(&[u8], &[u8], &[u8])> {
    match upstreaminfo_plain(line, pos) {
        Some(fields) => Some(fields),
        None => upstreaminfo_exact(line, pos),
    }
}

/// [`upstreaminfo`]'s answer for a line whose tail has the shape
/// ingress-nginx nearly always writes; `None` (not "does not fit": ask
/// [`upstreaminfo_exact`]) for any other.
///
/// Read field by field, each end found by a byte loop or a word scan
/// from the last, the tail was ~0.7× a whole `combined` line: each end
/// waits for the one before it, and each loop's exit is a branch on a
/// length that changes from line to line. Here the first eight spaces
/// after `pos` come from one mask, and are taken as the eight fields'
/// ends only when every rule that could end a field elsewhere is seen
/// not to apply: no field is empty; no list's end is next to a
/// separator's `,` or `:`; `$request_length`, `$upstream_response_length`
/// and `$upstream_status` are digits or `-`; the two timers are digits
/// with at most one `.`, or `-`; the names are `[...]` with no `]`
/// inside. On such a tail every op of [`upstreaminfo_exact`] ends its
/// field at that space: a run of digits (or a lone `-`) stops at the
/// first other byte, a timer of digits and one `.` has no exponent or
/// word to take, a name stops at its `]`, a list at the first space no
/// separator is next to.
///
/// The masks cover 64 bytes, or 128 when the eight spaces are not all in
/// the first 64 (long upstream names): a 128-bit mask costs about twice
/// the instructions of a 64-bit one.
#[inline(always)]
fn upstreaminfo_plain(line: &[u8], pos: usize) -> Option<(&[u8], &[u8], &[u8])> {
    if line.get(pos) != Some(&b' ') {
        return None;
    }
    let p = pos + 1;
    let short = masks::<u64, 64>(line, p)?;
    match plain_ends(line, p, short) {
        Some(ends) => Some(ends),
        // Not eight spaces in 64 bytes that the line still had.
        None if short[0].count_ones() < 8 && line.len() - p > 64 => {
            plain_ends(line, p, masks::<u128, 128>(line, p)?)
        }
        None => None,
    }
}

/// A mask of `W` bits, bit `i` for byte `i` of a window.
trait Bits:
    Copy
    + Eq
    + std::ops::BitAnd<Output = Self>
    + std::ops::BitOr<Output = Self>
    + std::ops::BitOrAssign
    + std::ops::Not<Output = Self>
    + std::ops::Shl<u32, Output = Self>
    + std::ops::Shr<usize, Output = Self>
{
    const ZERO: Self;
    const ONE: Self;
    fn from16(b: u64) -> Self;
    fn tz(self) -> u32;
    fn minus(self, o: Self) -> Self;
}

macro_rules! bits {
    ($t:ty) => {
        impl Bits for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            #[inline(always)]
            fn from16(b: u64) -> Self {
                b as $t
            }
            #[inline(always)]
            fn tz(self) -> u32 {
                self.trailing_zeros()
            }
            #[inline(always)]
            fn minus(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
        }
    };
}
bits!(u64);
bits!(u128);

/// [`upstreaminfo_plain`] on masks of its spaces, digits and `]`s from
/// `p` ([`masks`]).
#[inline(always)]
fn plain_ends<M: Bits>(
    line: &[u8],
    p: usize,
    [sp, digit, close]: [M; 3],
) -> Option<(&[u8], &[u8], &[u8])> {
    // The first eight spaces, offsets from `p`: the ends of
    // `$request_length` (space 0) … `$upstream_status` (space 7).
    let mut m = sp;
    let mut s = [0u32; 8];
    for e in &mut s {
        *e = m.tz();
        m = m & m.minus(M::ONE);
    }
    // Fewer than eight (the mask's width for an empty mask), or an empty
    // field: a space at `p` or right after another.
    let eight = sp & !m;
    if s[7] as usize >= 8 * std::mem::size_of::<M>() || eight & ((eight << 1) | M::ONE) != M::ZERO {
        return None;
    }
    let at = |k: usize| p + s[k] as usize;
    let bit = |k: usize| M::ONE << s[k];
    // Bits of field `k + 1`: from after space `k` (or from `p`) up to
    // space `k + 1`.
    let field = |k: Option<usize>| {
        let from = k.map_or(M::ONE, |k| bit(k) << 1);
        bit(k.map_or(0, |k| k + 1)).minus(from)
    };
    let numeric = |k: Option<usize>, dot: bool| numeric(line, p, digit, field(k), dot);
    // The names: `[` after spaces 1 and 2, and the only `]`s between
    // spaces 1 and 3 just before spaces 2 and 3.
    let names = line[at(1) + 1] == b'['
        && line[at(2) + 1] == b'['
        && close & bit(3).minus(bit(1) << 1) == (bit(2) >> 1) | (bit(3) >> 1);
    // `$upstream_addr` ends at space 4 unless that is a separator's; the
    // lists after it hold no `,` or `:` (they are numeric), so only the
    // byte before space 4 and the byte after space 7 could join.
    let joined = matches!(line[at(4) - 1], b',' | b':') || line.get(at(7) + 1) == Some(&b':');
    let plain = names
        && !joined
        && numeric(None, false)
        && numeric(Some(0), true)
        && numeric(Some(4), false)
        && numeric(Some(5), true)
        && numeric(Some(6), false);
    plain.then(|| {
        (
            &line[at(0) + 1..at(1)],
            &line[at(1) + 2..at(2) - 1],
            &line[at(5) + 1..at(6)],
        )
    })
}

/// Whether field `f` (its bits, from `p`) is digits, or one `-` alone;
/// with `dot`, also digits around one `.`. A function always inlined: as
/// a closure called five times, it was not inlined, and its calls were
/// ~6 % of an ingress-nginx line's instructions.
#[inline(always)]
fn numeric<M: Bits>(line: &[u8], p: usize, digit: M, f: M, dot: bool) -> bool {
    let odd = f & !digit;
    odd == M::ZERO
        || (odd & odd.minus(M::ONE) == M::ZERO && {
            let c = line[p + odd.tz() as usize];
            (c == b'-' && f == odd) || (dot && c == b'.' && f != odd)
        })
}

/// Masks of the spaces, the digits and the `]`s of `line[from..]`, bit
/// `i` for byte `from + i`, over `W` bytes (none past the line's end):
/// one whole load of `W` bytes, from `from` or ending at the line's end,
/// shifted to `from`. `None` for a line shorter than `W` bytes (its tail
/// takes the exact path).
#[inline(always)]
fn masks<M: Bits, const W: usize>(line: &[u8], from: usize) -> Option<[M; 3]> {
    if from >= line.len() {
        return None;
    }
    let base = from.min(line.len().checked_sub(W)?);
    let w = line.get(base..base + W)?;
    let (mut sp, mut digit, mut close) = (M::ZERO, M::ZERO, M::ZERO);
    for (k, c) in w.chunks_exact(16).enumerate() {
        let Ok(c) = <&[u8; 16]>::try_from(c) else {
            continue;
        };
        let b = Bytes16::load(c);
        let at = 16 * k as u32;
        sp |= M::from16(b.eq(b' ').bits()) << at;
        digit |= M::from16(b.within(b'0', b'9').bits()) << at;
        close |= M::from16(b.eq(b']').bits()) << at;
    }
    let shift = from - base;
    Some([sp >> shift, digit >> shift, close >> shift])
}

/// [`upstreaminfo`] op for op, for every line: the name (`Class::Name`)
/// and the address list (`Class::List`) found eight bytes at a time, the
/// numbers and timer lists by their classes' byte loops. Out of line: it
/// is the rare lines' path, and its loops kept out of the family's
/// parser leave that smaller.
pub(super) fn upstreaminfo_exact(line: &[u8], pos: usize) -> Option<(&[u8], &[u8], &[u8])> {
    let lit = |at: usize, l: &[u8]| lit_at(line, at, l).then_some(at + l.len());
    let p = lit(pos, b" ")?;
    let p = lit(run_at(line, p, Class::DigitsOrDash)?, b" ")?;
    let rt = p;
    let p = run_at(line, p, Class::Timer)?;
    let rt = &line[rt..p];
    let n0 = lit(p, b" [")?;
    // The name (`Class::Name`: any bytes but a space and `]`, maybe none)
    // and the address list (`Class::List`: to the first space that is not
    // part of a `, ` or ` : ` separator) eight bytes at a time: a byte
    // loop each was ~10 % of the line.
    let n1 = byte2_from::<b' ', b']'>(line, n0);
    let p = lit(n1, b"] [")?;
    let p = lit(byte2_from::<b' ', b']'>(line, p), b"] ")?;
    let mut a = p;
    let a1 = loop {
        a = byte_from::<b' '>(line, a);
        let sep = a < line.len()
            && ((a > p && matches!(line[a - 1], b',' | b':')) || line.get(a + 1) == Some(&b':'));
        if !sep {
            break a;
        }
        a += 1;
    };
    if a1 == p {
        return None;
    }
    let p = lit(a1, b" ")?;
    let p = lit(run_at(line, p, Class::TimerList)?, b" ")?;
    let u0 = p;
    let u1 = run_at(line, p, Class::TimerList)?;
    let p = lit(u1, b" ")?;
    lit(run_at(line, p, Class::TimerList)?, b" ")?;
    Some((rt, &line[n0..n1], &line[u0..u1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::props::XorShift;

    /// A tail of the plain shape, of random fields up to `long` bytes (the
    /// name up to 4× that: past 64 and 128 bytes); the address may end in
    /// `:` or `.`, the name hold `[` and `:`.
    fn tail(rng: &mut XorShift, long: usize) -> Vec<u8> {
        let mut field = |alphabet: &[u8], max: usize| -> Vec<u8> {
            let n = rng.below(max + 1);
            (0..n)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect()
        };
        let digits = b"0123456789";
        let mut t = b" ".to_vec();
        for (k, part) in [
            field(digits, 5),
            [field(digits, 3), b".".to_vec(), field(digits, 4)].concat(),
            [b"[".to_vec(), field(b"abc-_0:[.", 4 * long), b"]".to_vec()].concat(),
            [b"[".to_vec(), field(b"abc-_0", long), b"]".to_vec()].concat(),
            field(b"0123456789.:", long),
            field(digits, 6),
            [field(digits, 2), b".".to_vec(), field(digits, 4)].concat(),
            field(digits, 3),
            field(b"0123456789abcdef", 40),
        ]
        .into_iter()
        .enumerate()
        {
            if k > 0 {
                t.push(b' ');
            }
            t.extend(part);
        }
        t
    }

    /// The fast path and the exact one give the same fields, or both say
    /// the line does not fit, on tails of the plain shape and on tails
    /// with a few bytes changed, inserted or cut to what could end a field
    /// elsewhere; with short and long heads before them (the masks' loads
    /// start before `pos` near the line's end), and tails that cross 64
    /// and 128 bytes. And the fast path answers for most plain tails, in
    /// both its widths.
    #[test]
    fn the_plain_path_gives_what_the_exact_path_gives() {
        let odd = b"0123456789-.,: ][[]naifNAIF+e\x00\xff\"x";
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let (mut short, mut long, mut cases) = (0, 0, 0);
        for round in 0..200_000 {
            let head_len = [0, 1, 20, 60, 100, 127, 200][rng.below(7)];
            let mut line: Vec<u8> = (0..head_len).map(|i| b"1 ]x"[i % 4]).collect();
            let pos = line.len();
            let width = [2, 8, 20, 40][rng.below(4)];
            line.extend(tail(&mut rng, width));
            let plain = round % 4 == 0;
            if !plain {
                for _ in 0..1 + rng.below(3) {
                    let at = pos + rng.below(line.len() - pos);
                    match rng.below(3) {
                        0 => line[at] = odd[rng.below(odd.len())],
                        1 => line.insert(at, odd[rng.below(odd.len())]),
                        _ => {
                            let n = rng.below(4).min(line.len() - at);
                            line.drain(at..at + n);
                        }
                    }
                }
            }
            let fast = upstreaminfo_plain(&line, pos);
            let exact = upstreaminfo_exact(&line, pos);
            if let Some(f) = fast {
                assert_eq!(
                    Some(f),
                    exact,
                    "{:?}",
                    String::from_utf8_lossy(&line[pos..])
                );
                let spaces = line[pos + 1..].iter().filter(|&&c| c == b' ').count();
                let eighth = line[pos + 1..]
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c == b' ')
                    .nth(7)
                    .map(|(i, _)| i);
                assert!(spaces >= 8);
                match eighth {
                    Some(i) if i < 64 => short += 1,
                    _ => long += 1,
                }
            }
            assert_eq!(upstreaminfo(&line, pos), exact);
            cases += 1;
        }
        assert!(
            short > cases / 20 && long > cases / 20,
            "{short} {long} of {cases}"
        );
    }
}
