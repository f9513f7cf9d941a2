//! Durations and timers in access-log fields: seconds with decimals
//! (nginx's `0.005`, exactly 5 000 µs), whole milliseconds, microseconds
//! or nanoseconds, nginx timer lists, and the odd values a timer may hold
//! (the odd-value policy: `-` is untimed, `nan` or `-1` a bad timer).
//! Integer arithmetic only on the common paths: a float round trip could
//! make `0.005` 4 999 µs.

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
pub(in crate::format) fn duration_short(b: &[u8], unit: Unit) -> Option<u64> {
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
/// (`duration_short`): [`parse_timer_us`] gives the same for them, but
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
        if let Some(v) = parse_timer_us(part.trim_ascii(), unit)? {
            total = Some(total.unwrap_or(0).saturating_add(v).min(MAX_LATENCY_US));
        }
    }
    Ok(total)
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
}
