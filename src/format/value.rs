//! Byte-level parsers for the values found in access-log fields: integers,
//! decimal durations, nginx timer lists, timestamps and the HTTP request line.
//!
//! Everything here works on `&[u8]` and returns `Option`: the caller decides
//! whether a value that does not parse makes the line bad or just leaves the
//! field unknown. No floats on the common paths (nginx prints `0.005`, which is
//! exactly 5 000 µs; a float round trip could make it 4 999).

/// Unit a duration is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Sec,
    Ms,
    Us,
    Ns,
}

impl Unit {
    /// Power of ten that turns a value in this unit into microseconds.
    fn pow10_to_us(self) -> i32 {
        match self {
            Unit::Sec => 6,
            Unit::Ms => 3,
            Unit::Us => 0,
            Unit::Ns => -3,
        }
    }

    pub fn parse(s: &str) -> Option<Unit> {
        Some(match s {
            "s" | "sec" | "secs" | "seconds" => Unit::Sec,
            "ms" | "msec" | "millis" => Unit::Ms,
            "us" | "µs" | "usec" | "micros" => Unit::Us,
            "ns" | "nsec" | "nanos" => Unit::Ns,
            _ => return None,
        })
    }
}

/// Durations are clamped here (1 hour, in µs): the histograms' top value.
pub const MAX_LATENCY_US: u64 = 3_600_000_000;

/// Parses an unsigned decimal integer; `None` for anything but digits or
/// a value past `u64::MAX`.
#[inline]
pub fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() {
        return None;
    }
    if b.len() <= 19 {
        // 19 digits cannot overflow: no checks in the loop.
        let mut v: u64 = 0;
        for &c in b {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            v = v * 10 + d as u64;
        }
        return Some(v);
    }
    let mut v: u64 = 0;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(d as u64)?;
    }
    Some(v)
}

/// HTTP status: exactly three ASCII digits (`000`–`999`; see
/// [`crate::engine`]'s status classes for where `000`–`099` and
/// `600`–`999` are counted). Anything else (`20`, `2000`, `2x0`, empty)
/// makes the line a bad value.
#[inline]
pub fn parse_status(b: &[u8]) -> Option<u16> {
    match *b {
        [a, b2, c] => {
            let (a, b2, c) = (
                a.wrapping_sub(b'0'),
                b2.wrapping_sub(b'0'),
                c.wrapping_sub(b'0'),
            );
            (a <= 9 && b2 <= 9 && c <= 9).then(|| a as u16 * 100 + b2 as u16 * 10 + c as u16)
        }
        _ => None,
    }
}

/// Byte counts: digits, or `-` (Apache `%b` for zero). `None` (the line is
/// a bad value) for anything else, and for a count past `u64::MAX`.
#[inline]
pub fn parse_bytes(b: &[u8]) -> Option<u64> {
    if b == b"-" { Some(0) } else { parse_u64(b) }
}

/// Why a status field makes its line a bad value, for the parse-error view.
pub fn bad_status_why(b: &[u8]) -> String {
    format!(
        "status {:?} is not three digits",
        String::from_utf8_lossy(b)
    )
}

/// Why a byte count makes its line a bad value, for the parse-error view.
pub fn bad_bytes_why(b: &[u8]) -> String {
    format!(
        "bytes {:?} is not a count that fits 64 bits",
        String::from_utf8_lossy(&b[..b.len().min(40)])
    )
}

/// A timer field's value that is there but cannot be a duration: NaN,
/// infinite, negative, or not a number. The request still counts; its
/// timer is dropped and counted as `bad_timer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadTimer;

/// A timer field (`$request_time`, `%D`, a JSON `duration`): `Ok(None)`
/// for `-` or empty (untimed), `Ok(Some(µs))` for a finite number ≥ 0
/// (integer or decimal, optionally with an exponent), [`BadTimer`] for
/// anything else (`nan`, `inf`, `-0.5`, `abc`).
#[inline]
pub fn parse_timer_us(b: &[u8], unit: Unit) -> Result<Option<u64>, BadTimer> {
    // The number first: it is nearly every line, and `parse_duration_us`
    // gives `None` for `-` and empty too.
    match parse_duration_us(b, unit) {
        Some(v) => Ok(Some(v)),
        None if b.is_empty() || b == b"-" => Ok(None),
        None => odd_duration(b, unit),
    }
}

/// What [`parse_duration_us`] does not take: signs, NaN and infinities as
/// a float parser reads them. Out of line: real logs never get here.
#[inline(never)]
fn odd_duration(b: &[u8], unit: Unit) -> Result<Option<u64>, BadTimer> {
    let s = std::str::from_utf8(b).map_err(|_| BadTimer)?;
    let v: f64 = s.parse().map_err(|_| BadTimer)?;
    let written_infinite = b.iter().any(|c| matches!(c, b'n' | b'N'));
    if v.is_nan() || written_infinite || v < 0.0 {
        return Err(BadTimer);
    }
    // `+5`, `-0` and finite numbers too large for a float (`1e400`).
    let us = v * 10f64.powi(unit.pow10_to_us());
    Ok(Some(if us >= MAX_LATENCY_US as f64 {
        MAX_LATENCY_US
    } else {
        us.round() as u64
    }))
}

/// Parses one non-negative decimal number (`12`, `0.005`, `1.5e-3`) written
/// in `unit` and returns whole microseconds, rounded half up and clamped to
/// [`MAX_LATENCY_US`]. `-` and empty give `None`.
#[inline]
pub fn parse_duration_us(b: &[u8], unit: Unit) -> Option<u64> {
    if unit == Unit::Sec
        && let Some(us) = nginx_seconds_us(b)
    {
        return Some(us);
    }
    if let Some(us) = duration_short(b, unit) {
        return Some(us);
    }
    parse_duration_general(b, unit)
}

/// µs of nginx's timer shape, `D.DDD` seconds with 1 to 7 whole digits
/// (`0.005`, `12.345`): the shape of nearly every nginx timer, read without
/// the general path (which gives the same for it); `None` for any other
/// bytes. The combined family's parser reads `$request_time` through it
/// too (`template/combined.rs`).
#[inline(always)]
pub fn nginx_seconds_us(s: &[u8]) -> Option<u64> {
    let [int @ .., b'.', a, b, c] = s else {
        return None;
    };
    if int.is_empty() || int.len() > 7 {
        return None;
    }
    let digit = |d: u8| d.wrapping_sub(b'0');
    let (a, b, c) = (digit(*a), digit(*b), digit(*c));
    let mut v: u64 = 0;
    let mut ok = a <= 9 && b <= 9 && c <= 9;
    for &d in int {
        let d = digit(d);
        ok &= d <= 9;
        v = v * 10 + d as u64;
    }
    ok.then(|| {
        (v * 1_000_000 + (a as u64 * 100 + b as u64 * 10 + c as u64) * 1_000).min(MAX_LATENCY_US)
    })
}

/// Powers of ten that fit a `u64`.
const POW10: [u64; 20] = {
    let mut p = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// [`parse_duration_general`] for the other shapes the fixed-layout logs
/// write: whole numbers of up to 12 digits (HAProxy's, Envoy's and S3's
/// milliseconds, `12`) and decimals of up to 7 whole and 9 fractional
/// digits (ELB's `0.000040`). The same arithmetic, with no overflow to
/// check at these lengths (12 digits × 10^6 and 10^9 × 10^5 stay below
/// 2^63): the general path is a call and a loop of checks, ~15 % of an
/// Envoy or HAProxy line. `None` for anything else (the caller then asks
/// the general path, which answers those shapes the same way; the
/// property test `short_durations_are_the_general_path_s` holds that).
#[inline(always)]
pub(super) fn duration_short(b: &[u8], unit: Unit) -> Option<u64> {
    if b.len() > 17 {
        return None;
    }
    let digit = |c: u8| c.wrapping_sub(b'0');
    let mut int: u64 = 0;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let d = digit(c);
        if d > 9 {
            break;
        }
        int = int * 10 + d as u64;
        i += 1;
    }
    if i == 0 || i > 12 {
        return None;
    }
    let p = unit.pow10_to_us();
    let scaled_int = scale(int, p)?;
    if i == b.len() {
        return Some(scaled_int.min(MAX_LATENCY_US));
    }
    if b[i] != b'.' || i > 7 {
        return None;
    }
    let mut frac: u64 = 0;
    let mut j = i + 1;
    while let Some(&c) = b.get(j) {
        let d = digit(c);
        if d > 9 {
            return None;
        }
        frac = frac * 10 + d as u64;
        j += 1;
    }
    let n = j - i - 1;
    if n == 0 || n > 9 {
        return None;
    }
    // frac × 10^(p − n), rounded half up when that is a division.
    let e = p - n as i32;
    let scaled_frac = scale(frac, e)?;
    Some((scaled_int + scaled_frac).min(MAX_LATENCY_US))
}

/// [`parse_duration_us`] past nginx's shape: out of line, so that the
/// common case inlines into the parser.
#[inline(never)]
fn parse_duration_general(b: &[u8], unit: Unit) -> Option<u64> {
    if b.is_empty() || b.len() > 40 {
        return None;
    }
    let mut int: u64 = 0;
    let mut i = 0;
    let mut int_digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        if int_digits < 19 {
            int = int * 10 + (b[i] - b'0') as u64;
        } else {
            return Some(MAX_LATENCY_US);
        }
        int_digits += 1;
        i += 1;
    }
    let mut frac: u64 = 0;
    let mut frac_digits: i32 = 0;
    let mut any_frac = false;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            any_frac = true;
            if frac_digits < 18 {
                frac = frac * 10 + (b[i] - b'0') as u64;
                frac_digits += 1;
            }
            i += 1;
        }
    }
    if int_digits == 0 && !any_frac {
        return None;
    }
    if i < b.len() {
        // Exponent form (JSON loggers): rare, so a float is fine here.
        if b[i] == b'e' || b[i] == b'E' {
            let s = std::str::from_utf8(b).ok()?;
            let v: f64 = s.parse().ok()?;
            // NaN and negatives are not durations.
            if v.is_nan() || v < 0.0 {
                return None;
            }
            let us = v * 10f64.powi(unit.pow10_to_us());
            return Some(if us >= MAX_LATENCY_US as f64 {
                MAX_LATENCY_US
            } else {
                us.round() as u64
            });
        }
        return None;
    }
    // value = (int + frac / 10^frac_digits) * 10^p  µs
    let p = unit.pow10_to_us();
    let scaled_int = scale(int, p)?;
    // frac * 10^(p - frac_digits), rounded half up.
    let e = p - frac_digits;
    let scaled_frac = if e >= 0 {
        scale(frac, e)?
    } else {
        let div = 10u64.checked_pow((-e) as u32).unwrap_or(u64::MAX);
        (frac + div / 2) / div
    };
    Some(scaled_int.saturating_add(scaled_frac).min(MAX_LATENCY_US))
}

/// `v * 10^p` for p in -19..=19 (`None` beyond); saturates upward, rounds
/// half up downward. Powers come from the table, as [`duration_short`]
/// scales every timer through it.
#[inline(always)]
fn scale(v: u64, p: i32) -> Option<u64> {
    let pow = *POW10.get(p.unsigned_abs() as usize)?;
    Some(if p >= 0 {
        v.saturating_mul(pow)
    } else {
        (v + pow / 2) / pow
    })
}

/// A timer field as a log's parser keeps it: `Some(µs)`, `None` when
/// untimed (`-`, empty), and `None` with `bad` set for a value that is not
/// a duration (the odd-value policy: the request counts, untimed). The
/// shapes logs write (`0.000`, `0.000040`, `12`) are read inline
/// ([`duration_short`]): [`parse_timer_us`] gives the same for them, but
/// its call is not inlined into the parsers (~5 % of an ALB line). `-` and
/// odd values take the call.
#[inline(always)]
pub fn timer_us(b: &[u8], unit: Unit, bad: &mut bool) -> Option<u64> {
    if let Some(us) = duration_short(b, unit) {
        return Some(us);
    }
    parse_timer_us(b, unit).unwrap_or_else(|_| {
        *bad = true;
        None
    })
}

/// [`timer_us`] for a timer list ([`parse_timer_list_us`]): a list of one
/// plain number (nearly every line) is that number, read inline.
#[inline(always)]
pub fn timer_list_us(b: &[u8], unit: Unit, bad: &mut bool) -> Option<u64> {
    if let Some(us) = duration_short(b, unit) {
        return Some(us);
    }
    parse_timer_list_us(b, unit).unwrap_or_else(|_| {
        *bad = true;
        None
    })
}

/// nginx timer lists such as `$upstream_response_time`: values separated by
/// `, ` (several upstreams tried) and ` : ` (internal redirects), each possibly
/// `-`. The request's upstream time is the sum of the values present; `None`
/// when none is. A value that is not a duration ([`parse_timer_us`]) makes
/// the whole list [`BadTimer`]: a sum missing a part would be too small.
pub fn parse_timer_list_us(b: &[u8], unit: Unit) -> Result<Option<u64>, BadTimer> {
    let mut total: Option<u64> = None;
    for part in b.split(|&c| c == b',' || c == b':') {
        if let Some(v) = parse_timer_us(trim(part), unit)? {
            total = Some(total.unwrap_or(0).saturating_add(v).min(MAX_LATENCY_US));
        }
    }
    Ok(total)
}

pub fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

fn two(b: &[u8], i: usize) -> Option<i64> {
    let a = b.get(i)?.wrapping_sub(b'0');
    let c = b.get(i + 1)?.wrapping_sub(b'0');
    if a > 9 || c > 9 {
        return None;
    }
    Some((a * 10 + c) as i64)
}

fn four(b: &[u8], i: usize) -> Option<i64> {
    Some(two(b, i)? * 100 + two(b, i + 2)?)
}

fn month(b: &[u8]) -> Option<i64> {
    Some(match b {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_to_unix(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// `$time_local` / CLF: `10/Mar/2024:13:55:36 +0100` (26 bytes), optionally
/// inside `[` `]` (Apache `%t`). Returns Unix seconds.
pub fn parse_time_local(b: &[u8]) -> Option<i64> {
    let b = if b.first() == Some(&b'[') && b.last() == Some(&b']') {
        &b[1..b.len() - 1]
    } else {
        b
    };
    if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    let d = two(b, 0)?;
    let mo = month(&b[3..6])?;
    let y = four(b, 7)?;
    let h = two(b, 12)?;
    let mi = two(b, 15)?;
    let s = two(b, 18)?;
    let off = tz_offset(&b[21..])?;
    Some(civil_to_unix(y, mo, d, h, mi, s)? - off)
}

/// HAProxy's accept date to the second, `06/Feb/2009:12:14:14` (CLF
/// without a zone; HAProxy writes its local time, taken as UTC here since
/// the line does not say). Returns Unix seconds.
pub fn parse_clf_utc(b: &[u8]) -> Option<i64> {
    if b.len() != 20 {
        return None;
    }
    let mut clf = [0u8; 26];
    clf[..20].copy_from_slice(b);
    clf[20..].copy_from_slice(b" +0000");
    parse_time_local(&clf)
}

/// `+0100` / `-0700` / `+01:00` / `Z` → seconds east of UTC.
fn tz_offset(b: &[u8]) -> Option<i64> {
    match b {
        b"Z" | b"z" => Some(0),
        [sign @ (b'+' | b'-'), ..] => {
            let (h, m) = match b.len() {
                5 => (two(b, 1)?, two(b, 3)?),
                6 if b[3] == b':' => (two(b, 1)?, two(b, 4)?),
                3 => (two(b, 1)?, 0),
                _ => return None,
            };
            let v = h * 3600 + m * 60;
            Some(if *sign == b'-' { -v } else { v })
        }
        _ => None,
    }
}

/// ISO 8601 / RFC 3339: `2024-03-10T13:55:36+01:00`, with optional fraction
/// and `Z`; a space instead of `T` is accepted. Returns Unix seconds.
pub fn parse_iso8601(b: &[u8]) -> Option<i64> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if b[10] != b'T' && b[10] != b' ' && b[10] != b't' {
        return None;
    }
    let y = four(b, 0)?;
    let mo = two(b, 5)?;
    let d = two(b, 8)?;
    let h = two(b, 11)?;
    let mi = two(b, 14)?;
    let s = two(b, 17)?;
    let mut rest = &b[19..];
    if let [b'.' | b',', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &tail[n..];
    }
    let off = if rest.is_empty() { 0 } else { tz_offset(rest)? };
    Some(civil_to_unix(y, mo, d, h, mi, s)? - off)
}

/// Unix epoch with optional fraction (`$msec`, Caddy `ts`): whole seconds.
/// Larger values are finer units (JSON loggers, Cloudflare's `unixnano`):
/// above 10^17 nanoseconds, above 10^14 microseconds, above 10^11
/// milliseconds.
pub fn parse_epoch(b: &[u8]) -> Option<i64> {
    let int_end = b.iter().position(|&c| c == b'.').unwrap_or(b.len());
    if b[int_end..].iter().skip(1).any(|c| !c.is_ascii_digit()) {
        // Exponent notation or junk: let a float decide.
        let v: f64 = std::str::from_utf8(b).ok()?.parse().ok()?;
        if !v.is_finite() || v < 0.0 {
            return None;
        }
        let v = if v > 1e11 { v / 1000.0 } else { v };
        return Some(v as i64);
    }
    let v = parse_u64(&b[..int_end])?;
    let secs = match v {
        100_000_000_000_000_000.. => v / 1_000_000_000,
        100_000_000_000_000.. => v / 1_000_000,
        100_000_000_000.. => v / 1000,
        _ => v,
    };
    i64::try_from(secs).ok()
}

/// Any of the timestamp shapes above, chosen by looks (JSON values, regex
/// groups: the format does not say which).
pub fn parse_any_time(b: &[u8]) -> Option<i64> {
    match b.first()? {
        b'[' => parse_time_local(b),
        c if c.is_ascii_digit() => {
            if b.len() >= 26 && b[2] == b'/' {
                parse_time_local(b)
            } else if b.len() >= 19 && b[4] == b'-' {
                parse_iso8601(b)
            } else {
                parse_epoch(b)
            }
        }
        _ => None,
    }
}

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
    dash_empty(trim(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_exact_in_microseconds() {
        assert_eq!(parse_duration_us(b"0.005", Unit::Sec), Some(5_000));
        assert_eq!(parse_duration_us(b"0.000", Unit::Sec), Some(0));
        assert_eq!(parse_duration_us(b"12.345678", Unit::Sec), Some(12_345_678));
        assert_eq!(parse_duration_us(b"0.0000005", Unit::Sec), Some(1)); // half up
        assert_eq!(parse_duration_us(b"0.0000004", Unit::Sec), Some(0));
        assert_eq!(parse_duration_us(b"1234", Unit::Us), Some(1_234));
        assert_eq!(parse_duration_us(b"15", Unit::Ms), Some(15_000));
        assert_eq!(parse_duration_us(b"1500", Unit::Ns), Some(2));
        assert_eq!(parse_duration_us(b"123456789", Unit::Ns), Some(123_457));
        assert_eq!(parse_duration_us(b"9.5e-05", Unit::Sec), Some(95));
        assert_eq!(parse_duration_us(b"1e-3", Unit::Sec), Some(1_000));
        assert_eq!(parse_duration_us(b"7200", Unit::Sec), Some(MAX_LATENCY_US));
        assert_eq!(
            parse_duration_us(b"99999999999999999999999", Unit::Sec),
            Some(MAX_LATENCY_US)
        );
        assert_eq!(parse_duration_us(b".5", Unit::Sec), Some(500_000));
        for bad in [&b"-"[..], b"", b".", b"1.2.3", b"abc", b"-1", b"1 "] {
            assert_eq!(parse_duration_us(bad, Unit::Sec), None, "{:?}", bad);
        }
    }

    /// The inlined short shapes give what the general path gives, on
    /// generated numbers of every length around their limits and on
    /// hostile bytes, in every unit.
    #[test]
    fn short_durations_are_the_general_path_s() {
        let alphabet = b"0123456789.9-e+ x";
        let mut rng = crate::props::XorShift(0x2545_f491_4f6c_dd1d);
        let mut next = |n: u64| rng.below(n as usize) as u64;
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for int in 0..15 {
            for frac in 0..12 {
                for _ in 0..20 {
                    let mut v: Vec<u8> = (0..int).map(|_| b'0' + next(10) as u8).collect();
                    if frac > 0 || next(2) == 0 {
                        v.push(b'.');
                        v.extend((0..frac).map(|_| b'0' + next(10) as u8));
                    }
                    cases.push(v);
                }
            }
        }
        for len in 0..20 {
            for _ in 0..500 {
                cases.push(
                    (0..len)
                        .map(|_| alphabet[next(alphabet.len() as u64) as usize])
                        .collect(),
                );
            }
        }
        cases.extend(
            [
                &b"999999999999"[..],
                b"9999999.999999999",
                b"0.0000005",
                b"0.0000004",
                b"1.",
                b".5",
                b"00000000000000001",
            ]
            .map(|c| c.to_vec()),
        );
        for unit in [Unit::Sec, Unit::Ms, Unit::Us, Unit::Ns] {
            for c in &cases {
                if let Some(v) = duration_short(c, unit) {
                    assert_eq!(
                        Some(v),
                        parse_duration_general(c, unit),
                        "{:?} {unit:?}",
                        String::from_utf8_lossy(c)
                    );
                }
            }
        }
    }

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
        for len in 0..24 {
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
    fn timer_lists_sum_what_is_present() {
        assert_eq!(
            parse_timer_list_us(b"0.004, 0.012 : 0.001", Unit::Sec),
            Ok(Some(17_000))
        );
        assert_eq!(parse_timer_list_us(b"-", Unit::Sec), Ok(None));
        assert_eq!(
            parse_timer_list_us(b"-, 0.010", Unit::Sec),
            Ok(Some(10_000))
        );
        assert_eq!(parse_timer_list_us(b"0.002", Unit::Sec), Ok(Some(2_000)));
        assert_eq!(parse_timer_list_us(b"2", Unit::Sec), Ok(Some(2_000_000)));
    }

    #[test]
    fn timer_list_with_a_bad_part_is_a_bad_timer() {
        for bad in [&b"0.002, x"[..], b"0.002, nan", b"-0.001", b"0.1 : inf"] {
            assert_eq!(
                parse_timer_list_us(bad, Unit::Sec),
                Err(BadTimer),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn timer_policy_integer_decimal_dash_and_odd_values() {
        // (value, result): integer and decimal are timed, `-` and empty are
        // untimed, NaN / infinite / negative / junk are bad timers.
        let cases: [(&str, Result<Option<u64>, BadTimer>); 17] = [
            ("10", Ok(Some(10_000_000))),
            ("0", Ok(Some(0))),
            ("0.005", Ok(Some(5_000))),
            ("1.5e-3", Ok(Some(1_500))),
            ("+2", Ok(Some(2_000_000))),
            ("-0", Ok(Some(0))),
            ("1e400", Ok(Some(MAX_LATENCY_US))),
            ("-", Ok(None)),
            ("", Ok(None)),
            ("nan", Err(BadTimer)),
            ("NaN", Err(BadTimer)),
            ("inf", Err(BadTimer)),
            ("-Infinity", Err(BadTimer)),
            ("-0.005", Err(BadTimer)),
            ("-1", Err(BadTimer)),
            ("abc", Err(BadTimer)),
            ("1 2", Err(BadTimer)),
        ];
        for (v, want) in cases {
            assert_eq!(parse_timer_us(v.as_bytes(), Unit::Sec), want, "{v:?}");
        }
        assert_eq!(parse_timer_us(b"10", Unit::Ms), Ok(Some(10_000)));
        assert_eq!(parse_timer_us(b"10", Unit::Us), Ok(Some(10)));
    }

    #[test]
    fn integers_and_statuses() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"000000000000000000000001"), Some(1));
        assert_eq!(parse_u64(b"99999999999999999999"), None);
        assert_eq!(
            parse_u64(b"1234567890123456789"),
            Some(1_234_567_890_123_456_789)
        );
        assert_eq!(parse_u64(b"12a"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_bytes(b"-"), Some(0));
        assert_eq!(parse_bytes(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_bytes(b"18446744073709551616"), None);
    }

    #[test]
    fn status_is_exactly_three_ascii_digits() {
        for (v, want) in [
            ("200", Some(200)),
            ("000", Some(0)),
            ("099", Some(99)),
            ("499", Some(499)),
            ("999", Some(999)),
            ("20", None),
            ("2000", None),
            ("2x0", None),
            ("", None),
            ("-", None),
            (" 20", None),
            ("٢٠٠", None),
        ] {
            assert_eq!(parse_status(v.as_bytes()), want, "{v:?}");
        }
    }

    #[test]
    fn timestamps() {
        // 2024-03-10T00:00:00Z = 1710028800
        assert_eq!(
            parse_time_local(b"10/Mar/2024:00:00:00 +0000"),
            Some(1_710_028_800)
        );
        assert_eq!(
            parse_time_local(b"[10/Mar/2024:01:00:00 +0100]"),
            Some(1_710_028_800)
        );
        assert_eq!(
            parse_time_local(b"09/Mar/2024:17:00:00 -0700"),
            Some(1_710_028_800)
        );
        assert_eq!(
            parse_time_local(b"29/Feb/2024:12:30:05 +0000"),
            Some(1_709_209_805)
        );
        assert_eq!(parse_time_local(b"10/Foo/2024:00:00:00 +0000"), None);
        assert_eq!(parse_time_local(b"10/Mar/2024:25:00:00 +0000"), None);
        assert_eq!(
            parse_iso8601(b"2024-03-10T00:00:00+00:00"),
            Some(1_710_028_800)
        );
        assert_eq!(
            parse_iso8601(b"2024-03-10T01:00:00.123456789+01:00"),
            Some(1_710_028_800)
        );
        assert_eq!(parse_iso8601(b"2024-03-10T00:00:00Z"), Some(1_710_028_800));
        assert_eq!(parse_iso8601(b"2024-03-10 00:00:00"), Some(1_710_028_800));
        assert_eq!(parse_epoch(b"1710028800.123"), Some(1_710_028_800));
        assert_eq!(parse_epoch(b"1710028800123"), Some(1_710_028_800));
        assert_eq!(parse_epoch(b"1710028800123456"), Some(1_710_028_800));
        assert_eq!(parse_epoch(b"1710028800123456789"), Some(1_710_028_800));
        assert_eq!(parse_epoch(b"1.7100288e9"), Some(1_710_028_800));
        assert_eq!(parse_any_time(b"2024-03-10T00:00:00Z"), Some(1_710_028_800));
        assert_eq!(
            parse_any_time(b"10/Mar/2024:00:00:00 +0000"),
            Some(1_710_028_800)
        );
        assert_eq!(parse_any_time(b"1710028800"), Some(1_710_028_800));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
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
