//! Automatic templating: the rules that decide which path segments are
//! identifiers, stated here and only here.
//!
//! A path is split at `/`; the query string and fragment are dropped. A
//! first segment with a `.` followed by a method (`/pkg.Service/Method`) is
//! a gRPC path, kept whole. Otherwise each segment is kept, or replaced by
//! the placeholder of the first rule that matches it:
//!
//! | rule | segment | becomes |
//! |---|---|---|
//! | 1 | digits only (`123`) | `:id` |
//! | — | kept at once: a *plain word* (no digit, capital or other byte, some letter `g-z`: `orders`, `release-notes`), or fewer than 8 bytes of letters, digits and `-_.~+=` not starting with a digit (`v2`, `app.js`) | itself |
//! | 2 | digits, a dot, 1–5 letters or digits (`42.json`) | `:id.json` |
//! | 3 | a UUID, 8-4-4-4-12 hex digits | `:uuid` |
//! | 4 | ≥ 8 hex digits (`0-9a-fA-F`) with both digits and letters, or ≥ 16 of them | `:hex` |
//! | 5 | a date `YYYY-MM-DD`, alone or followed by `T`, `t`, `_` or a space | `:date` |
//! | 6 | with an *other* byte (not a letter, digit or `-_.~+=`): an `@` after the first byte and a `.` after it (`jane.doe@example.com`); any other such segment is kept | `:email` |
//! | 7 | ≥ 10 bytes with a part between `-_.~` of ≥ 10 bytes that either mixes letters and digits (at most 2 other bytes) or, from 20 bytes, is at least a quarter upper and a quarter lower case (base64, JWTs, session ids) | `:token` |
//!
//! Any other segment is kept. Routes longer than [`MAX_ROUTE_LEN`] bytes are
//! cut to end in `...`.
//!
//! Two faster paths apply these rules on their own and must follow them
//! (they are written by hand, and held to the rules by tests):
//! `shape::lookup_key` writes rule 1 into a lookup key without templating,
//! and `own::own_template` decides from byte-class masks that templating
//! would keep every segment that rule 1 does not replace. The property tests
//! in `route/tests/properties.rs` check both against [`template_into`], and
//! [`template_into`] against this table read byte by byte (`by_the_table`
//! there), on generated paths built around every rule's boundaries. A rule
//! changed in the code and not in the table and that reading of it fails
//! the last; one changed so that a fast path now claims a segment templating
//! replaces fails the first two. (The fast paths may keep fewer segments
//! than templating does: they are only slower then, and nothing fails.)

use super::shape::{DIGIT, LETTER, Masks, OTHER, SEP, Scalar, Segments, UPPER, query_start};

/// Longer routes are cut (hostile URLs must not make huge labels).
pub const MAX_ROUTE_LEN: usize = 256;

/// Templates `path` (starting with `/`; a query string or fragment ends it)
/// into `out`; only segments that may be identifiers get a closer look.
/// A path whose part before the query fits in 64 bytes (nearly all) is
/// classified in one SIMD pass first (see [`shape`](super::shape)).
pub(super) fn template_into(path: &[u8], out: &mut Vec<u8>) {
    match Masks::of(path) {
        Some(m) => template_with(path, out, &m),
        None => template_with(path, out, &Scalar),
    }
}

/// Most segments are kept as they are, so verbatim runs are copied in one
/// piece when a placeholder (or the end) is reached, not segment by segment:
/// a route is one to three copies, not two per segment.
#[inline(always)]
fn template_with(path: &[u8], out: &mut Vec<u8>, segs: &impl Segments) {
    let n = path.len();
    let mut i = 1;
    // path[kept..] is not yet in `out`.
    let mut kept = 0;
    loop {
        let start = i;
        i = segs.end(path, start);
        let seg = &path[start..i];
        let shape = segs.shape(path, start, i);
        if start == 1 && shape & SEP != 0 {
            // Like every route, without its query string: a gRPC path with
            // one (not sent by gRPC clients, but possible in a log) is the
            // same call, and the route must depend on the path alone.
            let p = &path[..query_start(path)];
            if i < p.len() && is_grpc(p) {
                out.extend_from_slice(p);
                return;
            }
        }
        let plain_word = shape & (DIGIT | UPPER | OTHER) == 0 && shape & LETTER != 0;
        let replaced = if shape == DIGIT {
            Some((":id", &b""[..]))
        } else if plain_word
            || (seg.len() < 8 && shape & OTHER == 0 && !seg.first().is_some_and(u8::is_ascii_digit))
        {
            None
        } else {
            let (digits, hex_letters) = segs.counts(path, start, i);
            classify_counted(seg, shape, digits, hex_letters)
        };
        if let Some((placeholder, suffix)) = replaced {
            out.extend_from_slice(&path[kept..start]);
            out.extend_from_slice(placeholder.as_bytes());
            out.extend_from_slice(suffix);
            kept = i;
        }
        if i >= n || path[i] != b'/' || out.len() + (i - kept) > MAX_ROUTE_LEN {
            out.extend_from_slice(&path[kept..i]);
            return;
        }
        i += 1;
    }
}

/// `/package.Service/Method`: a gRPC call, already a route.
fn is_grpc(path: &[u8]) -> bool {
    let rest = &path[1..];
    let Some(slash) = memchr::memchr(b'/', rest) else {
        return false;
    };
    let (service, method) = (&rest[..slash], &rest[slash + 1..]);
    !service.is_empty()
        && service.contains(&b'.')
        && service
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'_')
        && method.first().is_some_and(|c| c.is_ascii_uppercase())
        && method
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// The placeholder for an identifier segment (and a suffix kept after it,
/// like the `.json` of `123.json`), or `None` for a segment that names
/// something. `shape`, `digits` and `hex_letters` describe `s` (see
/// [`shape::Segments`](super::shape::Segments)).
fn classify_counted(
    s: &[u8],
    shape: u8,
    digits: usize,
    hex_letters: usize,
) -> Option<(&'static str, &[u8])> {
    let n = s.len();
    if digits == n {
        return Some((":id", b""));
    }
    // `123.json`, `42.png`: an id with an extension.
    if s.first().is_some_and(u8::is_ascii_digit)
        && let Some(dot) = memchr::memrchr(b'.', s)
    {
        let (id, ext) = (&s[..dot], &s[dot..]);
        if !id.is_empty()
            && id.iter().all(u8::is_ascii_digit)
            && (2..=6).contains(&ext.len())
            && ext[1..].iter().all(u8::is_ascii_alphanumeric)
        {
            return Some((":id", ext));
        }
    }
    if n == 36 && is_uuid(s) {
        return Some((":uuid", b""));
    }
    if n >= 8 && digits + hex_letters == n && (n >= 16 || (digits > 0 && hex_letters > 0)) {
        return Some((":hex", b""));
    }
    if n >= 10 && is_date(s) {
        return Some((":date", b""));
    }
    if shape & OTHER != 0 {
        if let Some(at) = memchr::memchr(b'@', s)
            && at > 0
            && s[at + 1..].contains(&b'.')
        {
            return Some((":email", b""));
        }
        // Not base64-like: no token.
        return None;
    }
    if n >= 10 && is_token(s) {
        return Some((":token", b""));
    }
    None
}

fn is_uuid(s: &[u8]) -> bool {
    s.iter().enumerate().all(|(i, c)| match i {
        8 | 13 | 18 | 23 => *c == b'-',
        _ => c.is_ascii_hexdigit(),
    })
}

/// `2024-03-10`, optionally followed by a time (`T12:00:00Z`).
fn is_date(s: &[u8]) -> bool {
    let d = |i: usize| s.get(i).is_some_and(u8::is_ascii_digit);
    (0..4).all(d)
        && s[4] == b'-'
        && d(5)
        && d(6)
        && s[7] == b'-'
        && d(8)
        && d(9)
        && (s.len() == 10 || matches!(s[10], b'T' | b't' | b'_' | b' '))
}

/// Opaque tokens (session ids, base64, JWTs) as opposed to slugs
/// (`release-notes-2024`, `getUserProfile`): some `-_.~`-separated part is
/// long and either mixes letters with digits or flips case like random
/// base64 does.
fn is_token(s: &[u8]) -> bool {
    s.split(|c| matches!(c, b'-' | b'_' | b'.' | b'~'))
        .any(|part| {
            let n = part.len();
            // Both shapes below need at least 10 bytes: most parts of a
            // file name (`app`, `d95fa781`, `js`) stop here.
            if n < 10 {
                return false;
            }
            let digits = part.iter().filter(|c| c.is_ascii_digit()).count();
            let letters = part.iter().filter(|c| c.is_ascii_alphabetic()).count();
            let upper = part.iter().filter(|c| c.is_ascii_uppercase()).count();
            let lower = part.iter().filter(|c| c.is_ascii_lowercase()).count();
            (digits > 0 && letters > 0 && digits + letters >= n - 2)
                || (n >= 20 && upper * 4 >= n && lower * 4 >= n)
        })
}

pub(super) fn cut(out: &mut Vec<u8>) {
    if out.len() > MAX_ROUTE_LEN {
        out.truncate(MAX_ROUTE_LEN - 3);
        out.extend_from_slice(b"...");
    }
}
