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
#[inline(always)]
pub(super) fn upstreaminfo(line: &[u8], pos: usize) -> Option<(&[u8], &[u8], &[u8])> {
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
