//! Timestamps in access-log fields, to Unix seconds: nginx's
//! `$time_local`, the CLF's, ISO 8601 / RFC 3339, Unix epochs in seconds or
//! finer units, and any of them chosen by looks.

use super::number::parse_u64;

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
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days in month `m` (1-12) of year `y` (proleptic Gregorian).
fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Unix seconds of a UTC date and time, `None` when it is not one: a day
/// past its month's end (`31/Feb`, `29/Feb` of a common year) is refused
/// as `32/Mar` is, not rolled over into the next month. A leap second
/// (`:60`) is the next second, as POSIX time counts it.
pub fn civil_to_unix(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60 {
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
            // RFC 3339's bounds (real zones lie within -12:00..+14:00):
            // `+9999` is no offset, not 4 days.
            if h > 23 || m > 59 {
                return None;
            }
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

/// Which shape [`parse_any_time`] reads a timestamp as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeShape {
    /// `10/Mar/2024:00:00:00 +0000`, bracketed or not.
    Local,
    /// ISO 8601 / RFC 3339.
    Iso,
    /// Seconds (or milli-, micro-, nanoseconds) since the epoch.
    Epoch,
}

/// The shape [`parse_any_time`] reads `b` as, by looks; `None` when it
/// reads it as no time. A caller that caches times by shape (an ISO time
/// by its second: `fields::any_time`) asks this first.
#[inline(always)]
pub fn time_shape(b: &[u8]) -> Option<TimeShape> {
    match b.first()? {
        b'[' => Some(TimeShape::Local),
        c if c.is_ascii_digit() => Some(if b.len() >= 26 && b[2] == b'/' {
            TimeShape::Local
        } else if b.len() >= 19 && b[4] == b'-' {
            TimeShape::Iso
        } else {
            TimeShape::Epoch
        }),
        _ => None,
    }
}

/// Any of the timestamp shapes above, chosen by looks (JSON values, regex
/// groups: the format does not say which).
pub fn parse_any_time(b: &[u8]) -> Option<i64> {
    match time_shape(b)? {
        TimeShape::Local => parse_time_local(b),
        TimeShape::Iso => parse_iso8601(b),
        TimeShape::Epoch => parse_epoch(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// Regression: `31/Feb/2024` was read as 2024-03-02 and `+9999` as an
    /// offset of 4 days: a date that does not exist, or an offset past
    /// RFC 3339's, is no time (counted `bad_time`), not another time.
    #[test]
    fn impossible_dates_and_offsets_are_no_time() {
        for t in [
            &b"31/Feb/2024:12:00:00 +0000"[..],
            b"30/Feb/2024:12:00:00 +0000",
            b"29/Feb/2023:12:00:00 +0000",
            b"29/Feb/1900:12:00:00 +0000",
            b"31/Apr/2024:12:00:00 +0000",
            b"31/Jun/2024:12:00:00 +0000",
            b"31/Sep/2024:12:00:00 +0000",
            b"31/Nov/2024:12:00:00 +0000",
            b"00/Mar/2024:12:00:00 +0000",
            b"10/Mar/2024:12:00:00 +9999",
            b"10/Mar/2024:12:00:00 +2400",
            b"10/Mar/2024:12:00:00 -0060",
        ] {
            assert_eq!(parse_time_local(t), None, "{}", t.escape_ascii());
        }
        for t in [
            &b"2023-02-29T00:00:00Z"[..],
            b"2024-04-31T00:00:00Z",
            b"2024-03-10T00:00:00+25:00",
            b"2024-03-10T00:00:00+01:99",
        ] {
            assert_eq!(parse_iso8601(t), None, "{}", t.escape_ascii());
        }
        // The last day of each month, leap years by the Gregorian rule.
        let last = |t: &[u8], want: i64| assert_eq!(parse_time_local(t), Some(want));
        last(b"29/Feb/2000:00:00:00 +0000", 951_782_400);
        last(b"29/Feb/2024:00:00:00 +0000", 1_709_164_800);
        last(b"30/Apr/2024:00:00:00 +0000", 1_714_435_200);
        last(b"31/Dec/2024:00:00:00 +0000", 1_735_603_200);
        last(b"10/Mar/2024:12:00:00 +1400", 1_710_021_600);
        last(b"10/Mar/2024:12:00:00 -2359", 1_710_158_340);
        assert_eq!(parse_iso8601(b"2024-02-29T00:00:00Z"), Some(1_709_164_800));
    }
}
