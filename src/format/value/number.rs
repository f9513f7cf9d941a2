//! Integers in access-log fields: counts, statuses and byte counts, and
//! why one is not.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
