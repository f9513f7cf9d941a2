//! Straight-line matching of the start that the combined family shares.
//!
//! nginx `combined` (and `main`, `combined_rt`, … and every user format that
//! begins the same way) and Apache `common`/`combined` (and `combined_D`)
//! start with the same fields: client, user, `[time]`, `"request"`, status,
//! bytes and, for combined, `"referer" "user agent"`. The generic linear
//! matcher walks its op list for these — one dispatch, one slot store and a
//! generic literal compare per op, 15 ops before the first field a custom
//! format adds. Most lines routetop ever reads are in this family, so the
//! template recognises this start when it is built and matches it here with
//! the same rules, op for op (a token ends at the first space, a quoted field
//! at the first unescaped `"`, and so on), in straight-line code; the ops
//! after it run through the generic loop.
//!
//! The rules are the same, so a line matches here exactly when the generic
//! matcher would match it, and fills the same slots. `tests` pins that on
//! every sample log and on hostile lines.
//!
//! When the start is the whole template (`combined`, `common`,
//! `combined_rt`, `combined_D`: nearly every line routetop reads),
//! [`Combined::record`] is the family's own parser: it builds the record
//! straight from the line, reading the status, the byte count and nginx's
//! `$request_time` as their ends are found, with no slots in between. It
//! gives what the generic matcher gives on every line: the property test
//! `family` in `template/tests.rs` (generated and hostile lines) and the
//! fuzz target `format_combined` hold it to that.

use super::tails::{is_traefik, is_upstreaminfo, traefik, upstreaminfo};
use super::vocab::{
    Class, NO_SLOT, Op, S_BYTES, S_LATENCY, S_REQUEST, S_STATUS, S_TIME, SLOTS, lit_at,
};
use crate::format::record::{ErrorKind, Odd, Record, TimeCache};
use crate::format::scan::Scan;
use crate::format::value::{self, Unit};

/// How the line starts: tokens each followed by a separator, then the
/// fixed-width timestamp and the literal that opens the request.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    seps: &'static [&'static [u8]],
    time: usize,
    after: &'static [u8],
}

/// `$remote_addr - $remote_user [` + 26-byte `$time_local` + `] "`
static NGINX: Head = Head {
    seps: &[b" - ", b" ["],
    time: 26,
    after: b"] \"",
};
/// `%h %l %u ` + 28-byte `[%t]` + ` "`
static APACHE: Head = Head {
    seps: &[b" ", b" ", b" "],
    time: 28,
    after: b" \"",
};

impl Head {
    /// Whether `ops` start with this head; the index of the op after it.
    fn recognise(&'static self, ops: &[Op]) -> Option<usize> {
        let mut i = 0;
        for sep in self.seps {
            if !(token_ignored(ops.get(i)) && lit(ops.get(i + 1), sep)) {
                return None;
            }
            i += 2;
        }
        (matches!(ops.get(i), Some(Op::Fixed(n, s)) if *n == self.time && *s as usize == S_TIME)
            && lit(ops.get(i + 1), self.after))
        .then_some(i + 2)
    }

    /// Matches this head at the start of `line`; where the timestamp
    /// starts (it is [`Head::time`] bytes long) and where the request
    /// starts.
    #[inline(always)]
    fn run<S: Scan>(&self, line: &[u8], scan: S) -> Option<(usize, usize)> {
        let mut pos = 0;
        for sep in self.seps {
            let end = token(line, pos, scan)?;
            if !lit_at(line, end, sep) {
                return None;
            }
            pos = end + sep.len();
        }
        if !lit_at(line, pos + self.time, self.after) {
            return None;
        }
        Some((pos, pos + self.time + self.after.len()))
    }
}

/// A recognised combined-family start.
#[derive(Clone, Copy, Debug)]
pub struct Combined {
    head: &'static Head,
    /// `%b` and `$body_bytes_sent` allow `-` (`DigitsOrDash`); Apache's
    /// `%B` is `Digits`.
    bytes: Class,
    /// Followed by ` "referer" "user agent"` (combined), not just the end or
    /// other fields (common).
    quoted_pair: bool,
    /// Then ` ` and a timer or decimal field ending the line
    /// (`combined_rt`'s `$request_time`, nginx's most common addition), of
    /// this class in this slot: the two ops are matched here too, not by
    /// the generic loop (~110 instructions a line for its dispatch).
    decimal_end: Option<(Class, u8)>,
    /// What follows the user agent that [`Combined::record`] reads too,
    /// in straight-line code (the op loop took ~2× the family's time):
    /// [`TAIL_NONE`], [`TAIL_UPSTREAMINFO`] or [`TAIL_TRAEFIK`].
    tail: u8,
}

/// Nothing after the start that [`Combined::record`] reads (or a timer
/// ending the line, [`Combined::decimal_end`]).
pub const TAIL_NONE: u8 = 0;
/// Exactly ingress-nginx's `upstreaminfo` fields ([`is_upstreaminfo`]).
pub const TAIL_UPSTREAMINFO: u8 = 1;
/// Exactly Traefik CLF's fields ([`is_traefik`]).
pub const TAIL_TRAEFIK: u8 = 2;

fn lit(op: Option<&Op>, want: &[u8]) -> bool {
    matches!(op, Some(Op::Lit(l)) if &l[..] == want)
}

fn token_ignored(op: Option<&Op>) -> bool {
    matches!(op, Some(Op::Run(Class::Token, NO_SLOT)))
}

/// Recognises the combined-family start at the beginning of `ops`; returns
/// its matcher and the ops left after it.
pub fn recognise(ops: &[Op]) -> Option<(Combined, Vec<Op>)> {
    let at = |i: usize| ops.get(i);
    let (head, mut i) = [&NGINX, &APACHE]
        .into_iter()
        .find_map(|h| Some((h, h.recognise(ops)?)))?;
    if !(matches!(at(i), Some(Op::Quoted(s)) if *s as usize == S_REQUEST)
        && lit(at(i + 1), b"\" ")
        && matches!(at(i + 2), Some(Op::Run(Class::Code, s)) if *s as usize == S_STATUS)
        && lit(at(i + 3), b" "))
    {
        return None;
    }
    let bytes = match at(i + 4) {
        Some(Op::Run(c @ (Class::Digits | Class::DigitsOrDash), s)) if *s as usize == S_BYTES => *c,
        _ => return None,
    };
    i += 5;
    let quoted_pair = lit(at(i), b" \"")
        && matches!(at(i + 1), Some(Op::Quoted(NO_SLOT)))
        && lit(at(i + 2), b"\" \"")
        && matches!(at(i + 3), Some(Op::Quoted(NO_SLOT)))
        && matches!(at(i + 4), Some(Op::Lit(l)) if l.first() == Some(&b'"'));
    let mut tail = ops[i..].to_vec();
    if quoted_pair {
        // The matcher takes the user agent's closing `"` too; the builder
        // merged it with the literal after it.
        tail.drain(..4);
        if let Some(Op::Lit(l)) = tail.first_mut() {
            *l = l[1..].into();
            if l.is_empty() {
                tail.remove(0);
            }
        }
    }
    let kind = match () {
        _ if quoted_pair && is_upstreaminfo(&tail) => TAIL_UPSTREAMINFO,
        _ if quoted_pair && is_traefik(&tail) => TAIL_TRAEFIK,
        _ => TAIL_NONE,
    };
    let decimal_end = match &tail[..] {
        [
            Op::Lit(l),
            Op::Run(c @ (Class::Timer | Class::WholeTimer | Class::Decimal), slot),
        ] if &l[..] == b" " => Some((*c, *slot)),
        _ => None,
    };
    if decimal_end.is_some() {
        tail.clear();
    }
    Some((
        Combined {
            head,
            bytes,
            quoted_pair,
            decimal_end,
            tail: kind,
        },
        tail,
    ))
}

/// End of a token starting at `from` (the first space or the end); `None`
/// when it would be empty.
#[inline(always)]
fn token<S: Scan>(line: &[u8], from: usize, scan: S) -> Option<usize> {
    match scan.space(line, from) {
        end if end == from => None,
        end => Some(end),
    }
}

impl Combined {
    /// Matches the start of `line`; returns the filled-slot mask and where
    /// the rest of the template takes over.
    #[inline]
    pub fn run<S: Scan>(
        &self,
        line: &[u8],
        slots: &mut [(u32, u32); SLOTS],
        scan: S,
    ) -> Option<(u16, usize)> {
        // One call per head, each with a constant shape, so the compiler
        // unrolls the separator loop (as a loop over a runtime shape it
        // measured ~2 % slower end to end).
        let (t0, mut pos) = if std::ptr::eq(self.head, &NGINX) {
            NGINX.run(line, scan)?
        } else {
            APACHE.run(line, scan)?
        };
        slots[S_TIME] = (t0 as u32, (t0 + self.head.time) as u32);
        let r = scan.quote(line, pos)?;
        slots[S_REQUEST] = (pos as u32, r as u32);
        if !lit_at(line, r, b"\" ") {
            return None;
        }
        let s0 = r + 2;
        let s1 = s0 + Class::Code.run(&line[s0..]);
        if s1 == s0 || !lit_at(line, s1, b" ") {
            return None;
        }
        slots[S_STATUS] = (s0 as u32, s1 as u32);
        let b0 = s1 + 1;
        let b1 = b0 + self.bytes.run(&line[b0..]);
        if b1 == b0 {
            return None;
        }
        slots[S_BYTES] = (b0 as u32, b1 as u32);
        pos = b1;
        let filled = (1 << S_TIME) | (1 << S_REQUEST) | (1 << S_STATUS) | (1 << S_BYTES);
        if self.quoted_pair {
            if !lit_at(line, pos, b" \"") {
                return None;
            }
            pos = scan.quote(line, pos + 2)?;
            if !lit_at(line, pos, b"\" \"") {
                return None;
            }
            pos = scan.quote(line, pos + 3)?;
            if line.get(pos) != Some(&b'"') {
                return None;
            }
            pos += 1;
        }
        if let Some((class, slot)) = self.decimal_end {
            // As the ops: the literal, then a run of the class that must
            // reach the end of the line.
            if line.get(pos) != Some(&b' ') {
                return None;
            }
            let rest = &line[pos + 1..];
            if rest.is_empty() || class.run(rest) != rest.len() {
                return None;
            }
            if slot != NO_SLOT {
                slots[slot as usize] = ((pos + 1) as u32, line.len() as u32);
                return Some((filled | 1 << slot, line.len()));
            }
            return Some((filled, line.len()));
        }
        Some((filled, pos))
    }

    /// Whether the start is followed by ingress-nginx's `upstreaminfo`
    /// fields, which [`Combined::record`] reads too.
    pub fn upstreaminfo(&self) -> bool {
        self.tail == TAIL_UPSTREAMINFO
    }

    /// What [`Combined::record`] reads after the start: [`TAIL_NONE`],
    /// [`TAIL_UPSTREAMINFO`] or [`TAIL_TRAEFIK`].
    pub fn tail(&self) -> u8 {
        self.tail
    }

    /// Whether [`Combined::record`] can parse the lines of a template that
    /// is this start and nothing after it (`tail` empty): the timer ending
    /// the line, if any, is the request's latency or ignored, not a slot
    /// the start also fills.
    pub fn whole(&self, tail: &[Op]) -> bool {
        (tail.is_empty() || self.tail != TAIL_NONE)
            && self
                .decimal_end
                .is_none_or(|(_, slot)| slot == NO_SLOT || slot as usize == S_LATENCY)
    }

    /// The dedicated parser of the combined family: the record of `line`
    /// under a template that is this start alone ([`Combined::whole`]),
    /// with a `$time_local`/`%t` timestamp and, when `latency` is given,
    /// the ending timer as the request time in that unit.
    ///
    /// The same record, or the same error, as [`Combined::run`] and the
    /// template's value parsing give (`tests` and the `format_combined`
    /// fuzz target hold it to the generic matcher): the same rules find
    /// the same field ends, in the same order, and a value is read with
    /// the same function. What it saves is the round trip through the
    /// slots (a store and a mask bit per field, then a test and a load per
    /// field read back) and a second pass over the status and the byte
    /// count: each is read as its end is found. On the bench's
    /// `combined_rt` lines that is ~60 instructions a line of ~400.
    ///
    /// `TAIL` is [`Combined::tail`], a constant so that the family's other
    /// templates pay nothing for ingress-nginx's or Traefik's fields.
    #[inline(always)]
    pub fn record<'a, S: Scan, const TAIL: u8>(
        &self,
        line: &'a [u8],
        time_cache: &mut TimeCache,
        scan: S,
        latency: Option<Unit>,
        upstream: Option<Unit>,
    ) -> Result<Record<'a>, ErrorKind> {
        const NO: ErrorKind = ErrorKind::NoMatch;
        let (t0, pos) = if std::ptr::eq(self.head, &NGINX) {
            NGINX.run(line, scan)
        } else {
            APACHE.run(line, scan)
        }
        .ok_or(NO)?;
        let r = scan.quote(line, pos).ok_or(NO)?;
        let request = &line[pos..r];
        if !lit_at(line, r, b"\" ") {
            return Err(NO);
        }
        // The status: nearly always three digits and the space after
        // them, read as they are checked. A bad value (`2x0`, `20`) is
        // said only once the whole line has matched, as the template does.
        let s0 = r + 2;
        let (status, s1) = match line.get(s0..s0 + 4) {
            Some(&[a, b, c, b' '])
                if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() =>
            {
                let v = (a - b'0') as u16 * 100 + (b - b'0') as u16 * 10 + (c - b'0') as u16;
                (Some(v), s0 + 3)
            }
            _ => {
                let s1 = s0 + Class::Code.run(&line[s0..]);
                if s1 == s0 || !lit_at(line, s1, b" ") {
                    return Err(NO);
                }
                (value::parse_status(&line[s0..s1]), s1)
            }
        };
        // The byte count, read as its digits are found (`Class::run`, then
        // `value::parse_bytes`, in one pass).
        let b0 = s1 + 1;
        let rest = &line[b0..];
        let mut v = 0u64;
        let mut n = 0;
        while let Some(&c) = rest.get(n) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            v = v.wrapping_mul(10).wrapping_add(d as u64);
            n += 1;
        }
        let bytes = match n {
            0 if self.bytes == Class::DigitsOrDash && rest.first() == Some(&b'-') => {
                n = 1;
                Some(0)
            }
            0 => return Err(NO),
            // 19 digits cannot overflow (as `value::parse_u64`).
            1..=19 => Some(v),
            _ => value::parse_u64(&rest[..n]),
        };
        let mut pos = b0 + n;
        if self.quoted_pair {
            if !lit_at(line, pos, b" \"") {
                return Err(NO);
            }
            pos = scan.quote(line, pos + 2).ok_or(NO)?;
            if !lit_at(line, pos, b"\" \"") {
                return Err(NO);
            }
            pos = scan.quote(line, pos + 3).ok_or(NO)?;
            if line.get(pos) != Some(&b'"') {
                return Err(NO);
            }
            pos += 1;
        }
        let mut timer: Option<&[u8]> = None;
        let mut fast_timer: Option<u64> = None;
        let (mut backend, mut upstream_timer): (&[u8], Option<&[u8]>) = (b"", None);
        if TAIL == TAIL_UPSTREAMINFO {
            let (rt, name, urt) = upstreaminfo(line, pos).ok_or(NO)?;
            // `0.012` inline, as the value parsing reads it
            // (`value::duration_short`); anything else through
            // `value::parse_timer_us` below.
            match latency.and_then(|u| value::duration_short(rt, u)) {
                Some(us) => fast_timer = Some(us),
                None => timer = Some(rt),
            }
            backend = value::dash_empty(name);
            upstream_timer = Some(urt);
        } else if TAIL == TAIL_TRAEFIK {
            let (name, t) = traefik(line, pos, scan).ok_or(NO)?;
            backend = value::dash_empty(name);
            // Whole milliseconds (`12`), read inline as the value parsing
            // reads them (`value::duration_short`); anything else (`-`,
            // `+5`, `nan`) through `value::parse_timer_us` below.
            match latency.and_then(|u| value::duration_short(t, u)) {
                Some(us) => fast_timer = Some(us),
                None => timer = Some(t),
            }
        } else if let Some((class, slot)) = self.decimal_end {
            if line.get(pos) != Some(&b' ') {
                return Err(NO);
            }
            let rest = &line[pos + 1..];
            // nginx's `$request_time` (`0.005`, `12.345`), read as its
            // shape is checked: a class run and `value::parse_timer_us`
            // cost ~75 instructions a line, out of line. The shape is one
            // every timer and decimal class takes whole, and its value is
            // `value::parse_duration_us`'s for it.
            if let (Some(Unit::Sec), Class::Timer | Class::Decimal) = (latency, class)
                && slot as usize == S_LATENCY
                && let Some(us) = value::nginx_seconds_us(rest)
            {
                fast_timer = Some(us);
            } else {
                if rest.is_empty() || class.run(rest) != rest.len() {
                    return Err(NO);
                }
                if slot as usize == S_LATENCY {
                    timer = Some(rest);
                }
            }
        } else if pos != line.len() {
            return Err(NO);
        }
        let status = status.ok_or(ErrorKind::BadValue)?;
        let bytes = bytes.ok_or(ErrorKind::BadValue)?;
        let mut bad_timer = false;
        // As the template's value parsing: the upstream list first, the
        // request time after.
        let upstream_us = match (upstream, upstream_timer) {
            // One upstream's `0.012` (a list of one) read inline.
            (Some(u), Some(v)) if TAIL == TAIL_UPSTREAMINFO => {
                value::timer_list_us(v, u, &mut bad_timer)
            }
            _ => None,
        };
        let latency_us = match (latency, timer) {
            _ if fast_timer.is_some() => fast_timer,
            (Some(u), Some(v)) => value::parse_timer_us(v, u).unwrap_or_else(|_| {
                bad_timer = true;
                None
            }),
            _ => upstream_us,
        };
        let stamp = &line[t0..t0 + self.head.time];
        let time = time_cache.get(stamp, value::parse_time_local);
        // The stamp is fixed-width (26 or 28 bytes): never `-`.
        let bad_time = time.is_none();
        let (method, target) = value::split_request(request);
        Ok(Record {
            method,
            target,
            status,
            bytes: Some(bytes),
            latency_us,
            upstream_us,
            time,
            host: b"",
            backend,
            odd: Odd::bits(bad_timer, bad_time),
        })
    }
}
