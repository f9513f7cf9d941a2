//! HAProxy `option httplog` lines, with or without what precedes them
//! (a syslog header `Feb  6 12:14:14 localhost haproxy[14389]: `, a
//! shipper's prefix): the line is read from its client address, the word
//! before the `[accept date]`.
//!
//! Layout (HAProxy configuration manual, "8.2.3. HTTP log format",
//! <https://docs.haproxy.org/2.8/configuration.html#8.2.3>):
//! `client:port [accept_date] frontend backend/server TR/Tw/Tc/Tr/Ta
//! status bytes_read captured_request_cookie captured_response_cookie
//! termination_state actconn/feconn/beconn/srv_conn/retries
//! srv_queue/backend_queue {captured request headers}
//! {captured response headers} "request"`; before 1.9 the timers were
//! `Tq/Tw/Tc/Tr/Tt`, read the same way.
//!
//! Timers are milliseconds; latency is the last (Ta/Tt, the whole
//! request), upstream Tr (the server's response time); `-1` means the
//! request was aborted before that point: untimed. A `+` before a value
//! (`option logasap`) is read past. Status `-1` (no response) counts as
//! status 000. `<BADREQ>` (an invalid request) counts like a `-` request
//! line elsewhere: route `(invalid)`, no method. The backend is
//! `backend_name/server_name` as logged, none when no server was reached
//! (`<NOSRV>`).

use super::fields::{self, Fields, byte_from};
use super::record::{ErrorKind, Record, TimeCache};
use super::scan::Scan;
use super::value::{self, Unit};

/// Where the client address starts: the line's start, or after a prefix.
/// The accept date `[06/Feb/2009:12:14:14.655]` is the landmark: the
/// client address is the word before it.
#[inline(always)]
fn start(line: &[u8]) -> Option<usize> {
    let head = &line[..line.len().min(512)];
    // Eight bytes at a time, not a memmem searcher (one is built per
    // call) nor `memchr` (a call per `[`): the first `[` is nearly always
    // the date's (or the syslog tag's, a few words before it).
    let mut from = 0;
    loop {
        let b = byte_from::<b'['>(head, from);
        if b >= head.len() {
            return None;
        }
        from = b + 1;
        let d = &head[b + 1..];
        if b > 0
            && head[b - 1] == b' '
            && d.len() >= 3
            && d[0].is_ascii_digit()
            && d[1].is_ascii_digit()
            && d[2] == b'/'
        {
            let p = b - 1;
            return Some(memchr::memrchr(b' ', &head[..p]).map_or(0, |s| s + 1));
        }
    }
}

/// A timer: `-1` (aborted) and `-` are untimed, `+N` is N.
#[inline(always)]
fn timer(b: &[u8], bad: &mut bool) -> Option<u64> {
    match b {
        b"-1" => None,
        [b'+', rest @ ..] => value::timer_us(rest, Unit::Ms, bad),
        _ => value::timer_us(b, Unit::Ms, bad),
    }
}

#[inline(always)]
pub fn parse<'a, S: Scan>(
    line: &'a [u8],
    cache: &mut TimeCache,
    scan: S,
) -> Result<Record<'a>, ErrorKind> {
    let no = ErrorKind::NoMatch;
    let mut f = Fields::at(line, start(line).ok_or(no)?, scan);
    f.token().ok_or(no)?; // client:port
    let accept = f.bracketed().ok_or(no)?;
    f.token().ok_or(no)?; // frontend
    let backend = f.token().ok_or(no)?;
    let timers = f.token().ok_or(no)?;
    let status = f.token().ok_or(no)?;
    let bytes = f.token().ok_or(no)?;
    f.skip(3).ok_or(no)?; // cookies, termination state
    let conns = f.token().ok_or(no)?;
    let queues = f.token().ok_or(no)?;
    // Counters are the shape that tells httplog from other bracketed logs.
    // A byte loop: memchr's iterator is a call per slash on these
    // few-byte words.
    let slashes = |t: &[u8]| t.iter().filter(|&&c| c == b'/').count();
    if slashes(conns) != 4 || slashes(queues) != 1 {
        return Err(no);
    }
    let mut rest = f.rest();
    // Up to two blocks of captured headers, which may hold spaces.
    for _ in 0..2 {
        if rest.first() != Some(&b'{') {
            break;
        }
        let end = byte_from::<b'}'>(rest, 0);
        if end >= rest.len() {
            return Err(no);
        }
        rest = match rest.get(end + 1..) {
            Some([b' ', r @ ..]) => r,
            _ => return Err(no),
        };
    }
    // The request is last: to the closing quote, or to the end when
    // HAProxy cut a long request short without one.
    let request = match rest {
        [b'"', r @ .., b'"'] => r,
        [b'"', r @ ..] => r,
        _ => return Err(no),
    };
    let mut t = timers.split(|&c| c == b'/');
    let (tq, tw, tc, tr, ta) = (t.next(), t.next(), t.next(), t.next(), t.next());
    let (Some(_), Some(_), Some(_), Some(tr), Some(ta), None) = (tq, tw, tc, tr, ta, t.next())
    else {
        return Err(no);
    };
    let status = match status {
        b"-1" => 0,
        s => value::parse_status(s).ok_or(ErrorKind::BadValue)?,
    };
    let bytes =
        value::parse_bytes(bytes.strip_prefix(b"+").unwrap_or(bytes)).ok_or(ErrorKind::BadValue)?;
    let mut bad_timer = false;
    let latency_us = timer(ta, &mut bad_timer);
    let upstream_us = timer(tr, &mut bad_timer);
    // Keyed on the second: the milliseconds differ on nearly every line.
    let time = match accept {
        [sec @ .., b'.', a, b, c]
            if sec.len() == 20
                && a.is_ascii_digit()
                && b.is_ascii_digit()
                && c.is_ascii_digit() =>
        {
            cache.get(sec, value::parse_clf_utc)
        }
        _ => None,
    };
    let mut r = fields::request_record(
        request,
        status,
        bytes,
        (latency_us, upstream_us),
        time,
        bad_timer,
        time.is_none(),
    );
    if !backend.ends_with(b"/<NOSRV>") {
        r.backend = value::dash_empty(backend);
    }
    Ok(r)
}
