//! Number and date formatting with Python's exact output: `%d`, `%.3f`
//! and `time.gmtime` + `%02d/%s/%04d:%02d:%02d:%02d`.
//!
//! Hand-written because the line loop formats ~10 numbers a line and
//! `std::fmt` would dominate its time; and because `%.3f` must round the
//! exact binary value half to even, which this module does with integer
//! arithmetic instead of relying on an implementation detail of `std`.

use crate::model::MONTHS;

/// Appends `v` in decimal, as Python's `%d` / `str(int)`.
#[inline]
pub(crate) fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

#[inline]
pub(crate) fn push_i64(buf: &mut Vec<u8>, v: i64) {
    if v < 0 {
        buf.push(b'-');
    }
    push_u64(buf, v.unsigned_abs());
}

/// Appends `v` as Python's `'%.3f' % v`: the exact binary value rounded
/// half to even at the third decimal (`0.0625` -> `0.062`), `-` kept on
/// values that round to zero, `inf`/`nan` spelled as Python spells them.
#[inline]
pub(crate) fn push_fixed3(buf: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        buf.extend_from_slice(b"nan");
        return;
    }
    if v.is_sign_negative() {
        buf.push(b'-');
    }
    let a = v.abs();
    if a.is_infinite() {
        buf.extend_from_slice(b"inf");
        return;
    }
    let bits = a.to_bits();
    let biased = (bits >> 52) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    // a == m * 2^e exactly.
    let (m, e) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), biased - 1075)
    };
    if e >= 0 {
        // An integer: nothing to round.  Above 2^64 the digits are many;
        // std prints integers exactly, so it is right there.
        if a < 18_446_744_073_709_551_616.0 {
            push_u64(buf, a as u64);
            buf.extend_from_slice(b".000");
        } else {
            buf.extend_from_slice(format!("{a:.3}").as_bytes());
        }
        return;
    }
    let s = (-e) as u32;
    // m < 2^53, so m * 1000 < 2^63 fits, and a shift of 64 or more leaves
    // a remainder below one half: the value rounds to zero.
    let num = m * 1000;
    let q = if s >= 64 {
        0
    } else {
        let q = num >> s;
        let rem = num & ((1u64 << s) - 1);
        let half = 1u64 << (s - 1);
        if rem > half || (rem == half && q & 1 == 1) {
            q + 1
        } else {
            q
        }
    };
    push_u64(buf, q / 1000);
    let f = q % 1000;
    buf.extend_from_slice(&[
        b'.',
        b'0' + (f / 100) as u8,
        b'0' + (f / 10 % 10) as u8,
        b'0' + (f % 10) as u8,
    ]);
}

/// `time.gmtime(sec)` printed as genlog.py's nginx `$time_local` with a
/// `+0000` zone: `10/Mar/2024:00:00:01 +0000`.
pub(crate) fn push_timestamp(buf: &mut Vec<u8>, sec: i64) {
    let days = sec.div_euclid(86_400);
    let tod = sec.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (h, mi, s) = (tod / 3600, (tod / 60) % 60, tod % 60);
    // `{:04}` pads after the sign, as Python's `%04d` does for a year < 0.
    let text = format!(
        "{day:02}/{}/{year:04}:{h:02}:{mi:02}:{s:02} +0000",
        MONTHS[(month - 1) as usize]
    );
    buf.extend_from_slice(text.as_bytes());
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`), valid over the whole i64 range genlog
/// accepts.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed3(v: f64) -> String {
        let mut b = Vec::new();
        push_fixed3(&mut b, v);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn fixed3_matches_python_percent_3f() {
        // Expected strings from CPython 3.11's '%.3f' % v.
        let cases = [
            (0.0625, "0.062"),
            (0.1875, "0.188"),
            (0.0005, "0.001"),
            (2.5, "2.500"),
            (0.0015, "0.002"),
            (119.9995, "119.999"),
            (1e-30, "0.000"),
            (0.9995, "1.000"),
            (123456789.0625, "123456789.062"),
            (-0.0001, "-0.000"),
            (-0.0, "-0.000"),
            (0.0, "0.000"),
            (120.0, "120.000"),
            (5e-324, "0.000"),
            (1e20, "100000000000000000000.000"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for (v, want) in cases {
            assert_eq!(fixed3(v), want, "{v:e}");
        }
    }

    #[test]
    fn fixed3_agrees_with_std_off_ties() {
        // std's `{:.3}` is exact too; away from exact ties the two must agree.
        let mut x = 0.000_123_f64;
        while x < 200.0 {
            assert_eq!(fixed3(x), format!("{x:.3}"));
            x *= 1.000_37;
        }
    }

    #[test]
    fn timestamps_match_gmtime() {
        let ts = |s| {
            let mut b = Vec::new();
            push_timestamp(&mut b, s);
            String::from_utf8(b).unwrap()
        };
        assert_eq!(ts(1_710_028_800), "10/Mar/2024:00:00:00 +0000");
        assert_eq!(ts(0), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(ts(-1), "31/Dec/1969:23:59:59 +0000");
        assert_eq!(ts(951_782_400), "29/Feb/2000:00:00:00 +0000");
        // 2100 is not a leap year: the next second is 01/Mar.
        assert_eq!(ts(4_107_542_399), "28/Feb/2100:23:59:59 +0000");
        assert_eq!(ts(-62_135_596_800), "01/Jan/0001:00:00:00 +0000");
    }

    #[test]
    fn integers() {
        let mut b = Vec::new();
        push_u64(&mut b, 0);
        b.push(b' ');
        push_u64(&mut b, u64::MAX);
        b.push(b' ');
        push_i64(&mut b, i64::MIN);
        assert_eq!(b, b"0 18446744073709551615 -9223372036854775808");
    }
}
