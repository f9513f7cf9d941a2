//! Byte-level parsers for the values found in access-log fields: integers,
//! decimal durations, nginx timer lists, timestamps and the HTTP request line.
//!
//! Everything here works on `&[u8]` and returns `Option`: the caller decides
//! whether a value that does not parse makes the line bad or just leaves the
//! field unknown. No floats on the common paths (nginx prints `0.005`, which is
//! exactly 5 000 µs; a float round trip could make it 4 999).
//!
//! Durations (`value/duration.rs`), timestamps (`value/time.rs`) and
//! integers (`value/number.rs`) have files of their own; this one keeps
//! the request line, hosts and addresses, and re-exports the others, so
//! that a parser names every value reader as `value::…`.

mod duration;
mod number;
mod time;

use crate::simd::bytes16::Bytes16;

pub(super) use duration::duration_short;
pub use duration::{
    BadTimer, MAX_LATENCY_US, Unit, nginx_seconds_us, parse_duration_us, parse_timer_list_us,
    parse_timer_us, timer_list_us, timer_us,
};
pub use number::{bad_bytes_why, bad_status_why, parse_bytes, parse_status, parse_u64};
pub use time::{
    TimeShape, civil_to_unix, parse_any_time, parse_clf_utc, parse_epoch, parse_iso8601,
    parse_time_local, time_shape,
};

/// The target of the request `-` (no request was read), which the router
/// names as it is. Not `-`: a target field logged as `-` (nginx's empty
/// `$request_uri` for bytes that were no request) stays `(invalid)`.
pub const NO_REQUEST: &[u8] = b"(no request)";

/// Splits an HTTP request line `METHOD SP target SP HTTP/x.y` into method and
/// target. The target may itself contain spaces (malformed requests are
/// logged as received), so it runs to the last space when the line ends in a
/// protocol. The request `-` (no request was read) gives `-` and
/// [`NO_REQUEST`], which the router names `(no request)`; anything else that is not a
/// request (TLS bytes on a plain port) gives an empty method and target,
/// which the router maps to `(invalid)`.
#[inline(always)]
pub fn split_request(line: &[u8]) -> (&[u8], &[u8]) {
    // Most requests are GETs: one compare instead of the search and the
    // letter check (~1 % of a batch run).
    let sp = if line.starts_with(b"GET ") {
        3
    } else {
        let Some(sp) = line.iter().take(25).position(|&c| c == b' ') else {
            // nginx logs a connection closed before any request (408, 400)
            // with the request `-`: method `-`, and a target the router
            // names `(no request)`.
            if line == b"-" {
                return (b"-", NO_REQUEST);
            }
            return (b"", b"");
        };
        let method = &line[..sp];
        if method.is_empty() || !method.iter().all(|c| c.is_ascii_alphabetic()) {
            return (b"", b"");
        }
        sp
    };
    let method = &line[..sp];
    let rest = &line[sp + 1..];
    // Nearly every line ends in ` HTTP/1.1`, ` HTTP/2.0`: check that shape
    // before searching for the last space.
    if let Some(cut) = rest.len().checked_sub(9)
        && rest[cut] == b' '
        && rest[cut + 1..].starts_with(b"HTTP/")
    {
        return (method, &rest[..cut]);
    }
    let target = match memchr::memrchr(b' ', rest) {
        Some(last) if rest[last + 1..].starts_with(b"HTTP/") => &rest[..last],
        _ => rest,
    };
    (method, target)
}

/// A host or backend as logged, or empty for `-` (nginx's and Apache's
/// "none") and for an empty value.
#[inline]
pub fn dash_empty(b: &[u8]) -> &[u8] {
    if b == b"-" { b"" } else { b }
}

/// The host of an absolute `http(s)://` URL, as a request's virtual host:
/// without `user:password@` and without its `:port` (`shop.example.com`,
/// `[2001:db8::1]`), so that `https://a.example:443/` and a `Host: a.example`
/// header name one host; empty for anything else and for `-`.
pub fn url_host(t: &[u8]) -> &[u8] {
    let rest = match t {
        [b'h', b't', b't', b'p', b':', b'/', b'/', r @ ..] => r,
        [b'h', b't', b't', b'p', b's', b':', b'/', b'/', r @ ..] => r,
        _ => return b"",
    };
    if let Some(host) = short_host(rest) {
        return dash_empty(host);
    }
    // One pass over the authority, noting where the host starts (after
    // the last `@`), its last `:` and whether an earlier one precedes it:
    // what the search for its end, `memrchr` for the `@` and
    // [`without_port`]'s two searches found (four passes, ~8 % of an ALB
    // line). `tests::url_host_is_the_searches_answer` holds it to them.
    // The bytes between marks (nearly all of them) cost a table load
    // and a test each.
    const END: u8 = 1;
    const AT: u8 = 2;
    const COLON: u8 = 3;
    const MARKS: [u8; 256] = {
        let mut t = [0u8; 256];
        t[b'/' as usize] = END;
        t[b'?' as usize] = END;
        t[b'#' as usize] = END;
        t[b'@' as usize] = AT;
        t[b':' as usize] = COLON;
        t
    };
    let (mut start, mut colon, mut colons) = (0, usize::MAX, 0u32);
    let mut i = 0;
    let end = loop {
        while i < rest.len() && MARKS[rest[i] as usize] == 0 {
            i += 1;
        }
        match rest.get(i).map(|&c| MARKS[c as usize]) {
            None | Some(END) => break i,
            Some(AT) => (start, colon, colons) = (i + 1, usize::MAX, 0),
            _ => (colon, colons) = (i, colons + 1),
        }
        i += 1;
    };
    let host = &rest[start..end];
    // As `without_port`: a last `:` followed by digits only (at least
    // one) is a port, unless the host has another `:` and no `[`.
    let host = if colon != usize::MAX
        && colon + 1 < end
        && rest[colon + 1..end].iter().all(u8::is_ascii_digit)
        && (host.starts_with(b"[") || colons == 1)
    {
        &rest[start..colon]
    } else {
        host
    };
    dash_empty(host)
}

/// [`url_host`]'s answer from the first 32 bytes after the scheme, when
/// the authority ends within them and is a host alone or a host and a
/// port (`shop.example.com`, `lb.example.com:443`): `None` for anything
/// else (a `user@`, several `:`, a longer authority, fewer than 16 bytes
/// left). The byte loop cost ~175 instructions for a 16-byte host (~9 %
/// of a Google Cloud JSON line) and ~250 with a port (~17 % of an ALB
/// line); here the bytes are searched 16 at a time.
#[inline(always)]
fn short_host(rest: &[u8]) -> Option<&[u8]> {
    let n = rest.len();
    // The window: the first 16 bytes, and the next 16 (overlapping the
    // first when fewer than 32 are left).
    let second = n.min(32).checked_sub(16)?;
    // Bits of the ends (`/?#`), and of the `@`s and `:`s.
    let marks = |at: usize| {
        let c: &[u8; 16] = rest.get(at..at + 16)?.try_into().ok()?;
        let v = Bytes16::load(c);
        let ends = v.eq(b'/') | v.eq(b'?') | v.eq(b'#');
        Some((ends.bits() << at, (v.eq(b'@') | v.eq(b':')).bits() << at))
    };
    let ((e0, o0), (e1, o1)) = (marks(0)?, marks(second)?);
    let (ends, odd) = (e0 | e1, o0 | o1);
    // The authority's end: the first end mark, else the bytes' end when
    // the window holds them all.
    let end = match ends {
        0 if n <= 32 => n,
        0 => return None,
        e => e.trailing_zeros() as usize,
    };
    match odd & ((1u64 << end) - 1) {
        0 => Some(&rest[..end]),
        // One `:` (not `@`): a port when digits only (at least one) follow.
        c if c & (c - 1) == 0 => {
            let colon = c.trailing_zeros() as usize;
            if rest[colon] != b':' {
                return None;
            }
            let port = &rest[colon + 1..end];
            Some(if !port.is_empty() && port.iter().all(u8::is_ascii_digit) {
                &rest[..colon]
            } else {
                &rest[..end]
            })
        }
        _ => None,
    }
}

/// `host` without a `:port` at its end (`shop.example.com:443`,
/// `[2001:db8::1]:443`); an IPv6 address without brackets has no port.
pub fn without_port(host: &[u8]) -> &[u8] {
    match memchr::memrchr(b':', host) {
        Some(i)
            if i + 1 < host.len()
                && host[i + 1..].iter().all(u8::is_ascii_digit)
                && (host.starts_with(b"[") || memchr::memchr(b':', &host[..i]).is_none()) =>
        {
            &host[..i]
        }
        _ => host,
    }
}

/// The address that answered, from nginx's `$upstream_addr`: the last of
/// the `, `-separated list (upstreams tried in turn) of the last ` : `
/// group (internal redirects); the separators carry spaces, so the `:` of
/// `host:port`, `[::1]:80` or `unix:/path` is never one. Empty for `-`.
pub fn last_address(b: &[u8]) -> &[u8] {
    let group = match memchr::memmem::rfind(b, b" : ") {
        Some(i) => &b[i + 3..],
        None => b,
    };
    let last = match memchr::memrchr(b',', group) {
        Some(i) => &group[i + 1..],
        None => group,
    };
    dash_empty(last.trim_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The single pass of `url_host` finds what its searches found: the
    /// authority's end, the last `@`, then `without_port`.
    #[test]
    fn url_host_is_the_searches_answer() {
        fn searches(t: &[u8]) -> &[u8] {
            let rest = match t {
                [b'h', b't', b't', b'p', b':', b'/', b'/', r @ ..] => r,
                [b'h', b't', b't', b'p', b's', b':', b'/', b'/', r @ ..] => r,
                _ => return b"",
            };
            let end = rest
                .iter()
                .position(|&c| matches!(c, b'/' | b'?' | b'#'))
                .unwrap_or(rest.len());
            let authority = &rest[..end];
            let host = match memchr::memrchr(b'@', authority) {
                Some(i) => &authority[i + 1..],
                None => authority,
            };
            dash_empty(without_port(host))
        }
        let alphabet = b"ab1:@/?#[]-.9";
        let mut rng = crate::props::XorShift(0x9e37_79b9_7f4a_7c15);
        let mut next = |n: usize| rng.below(n);
        let mut cases: Vec<Vec<u8>> = [
            &b"https://shop.example.com:443/a"[..],
            b"http://[2001:db8::1]:80/",
            b"http://2001:db8::1/",
            b"http://u:p@h:8080?x",
            b"http://u:p@h:/",
            b"http://-:1/",
            b"http://-",
            b"https://",
            b"ftp://h/",
        ]
        .iter()
        .map(|c| c.to_vec())
        .collect();
        // Hosts of every length across the 32-byte window, alone, before
        // a path, with a port.
        for len in 0..48 {
            let host = "h".repeat(len);
            for tail in ["", "/p", ":443", ":443/p", ":x/p", "@h/p"] {
                cases.push(format!("https://{host}{tail}").into_bytes());
            }
        }
        for len in 0..48 {
            for _ in 0..2000 {
                let scheme: &[u8] = [&b"http://"[..], b"https://", b"htt://"][next(3)];
                let mut c = scheme.to_vec();
                c.extend((0..len).map(|_| alphabet[next(alphabet.len())]));
                cases.push(c);
            }
        }
        for c in &cases {
            assert_eq!(url_host(c), searches(c), "{:?}", String::from_utf8_lossy(c));
        }
    }

    #[test]
    fn request_lines() {
        // (request line, method, target); an empty method is "not a request".
        let cases: [(&str, &str, &str); 13] = [
            ("GET /a?b=1 HTTP/1.1", "GET", "/a?b=1"),
            ("GET /a b HTTP/1.1", "GET", "/a b"),
            ("GET /", "GET", "/"),
            ("GET ", "GET", ""),
            ("GET", "", ""),
            ("GETX /a HTTP/1.1", "GETX", "/a"),
            ("POST /a b HTTP/2.0", "POST", "/a b"),
            ("G3T /a HTTP/1.1", "", ""),
            // Methods are at most 24 letters.
            (
                "ABCDEFGHIJKLMNOPQRSTUVWX /a HTTP/1.1",
                "ABCDEFGHIJKLMNOPQRSTUVWX",
                "/a",
            ),
            ("ABCDEFGHIJKLMNOPQRSTUVWXY /a HTTP/1.1", "", ""),
            // No request read: the router names it `(no request)`.
            ("-", "-", "(no request)"),
            ("\\x16\\x03\\x01 x", "", ""),
            ("", "", ""),
        ];
        for (line, method, target) in cases {
            assert_eq!(
                split_request(line.as_bytes()),
                (method.as_bytes(), target.as_bytes()),
                "{line:?}"
            );
        }
    }
}
