//! Human-scaled numbers for every view: `1.2k`, `350ms`, `4.1MB`, `2.5%`.
//! Three significant figures, units that change at powers of 1000, and fixed
//! widths where a table needs them.

/// Latency in µs: `0`, `850µs`, `12.3ms`, `350ms`, `1.25s`, `2m05s`, `1h00m`.
pub fn latency(us: u64) -> String {
    if us == 0 {
        return "0".into();
    }
    if us < 1_000 {
        return format!("{us}µs");
    }
    if us < 1_000_000 {
        return sig3(us as f64 / 1_000.0, "ms");
    }
    if us < 60_000_000 {
        return sig3(us as f64 / 1_000_000.0, "s");
    }
    let s = us / 1_000_000;
    if s < 3_600 {
        return format!("{}m{:02}s", s / 60, s % 60);
    }
    format!("{}h{:02}m", s / 3_600, (s % 3_600) / 60)
}

/// Three significant figures: `1.25`, `12.5`, `125`.
fn sig3(v: f64, unit: &str) -> String {
    if v < 9.995 {
        format!("{v:.2}{unit}")
    } else if v < 99.95 {
        format!("{v:.1}{unit}")
    } else {
        format!("{v:.0}{unit}")
    }
}

/// SI prefixes, for counts and rates.
const SI: [&str; 7] = ["", "k", "M", "G", "T", "P", "E"];

/// Counts: `950`, `1.2k`, `12k`, `3.4M`, `1.1G` (up to `18E`: u64 fits).
pub fn count(n: u64) -> String {
    scaled(n as f64, &SI, 1000.0)
}

/// Rates: `0.25`, `12.5`, `1.2k` (per second; the caller adds `/s`).
pub fn rate(r: f64) -> String {
    if r < 10.0 {
        format!("{r:.2}")
    } else if r < 1000.0 {
        format!("{r:.1}")
    } else {
        scaled(r, &SI, 1000.0)
    }
}

/// Bytes: `512B`, `4.1kB`, `12MB`, `1.5GB` (SI, like `ls -h --si`).
pub fn bytes(n: u64) -> String {
    scaled(n as f64, &["B", "kB", "MB", "GB", "TB", "PB", "EB"], 1000.0)
}

fn scaled(mut v: f64, units: &[&str], step: f64) -> String {
    let mut u = 0;
    while v >= step * 0.9995 && u + 1 < units.len() {
        v /= step;
        u += 1;
    }
    if u == 0 {
        if v.fract() == 0.0 {
            format!("{}{}", v as u64, units[0])
        } else {
            format!("{v:.2}{}", units[0])
        }
    } else if v < 9.95 {
        format!("{v:.1}{}", units[u])
    } else {
        format!("{v:.0}{}", units[u])
    }
}

/// Ratios as percentages: `0%`, `0.05%`, `1.2%`, `35%`, `100%`.
pub fn percent(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p == 0.0 {
        "0%".into()
    } else if p < 0.1 {
        format!("{p:.2}%")
    } else if p < 9.95 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// `2024-03-10 00:00:00` (UTC) from Unix seconds.
pub fn utc(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// RFC 3339 UTC: `2024-03-10T00:00:00Z`.
pub fn rfc3339(t: i64) -> String {
    utc(t).replacen(' ', "T", 1) + "Z"
}

/// Inverse of `days_from_civil` (Howard Hinnant).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Seconds as `45s`, `29m59s`, `3h05m`, `2d04h`.
pub fn duration(s: u64) -> String {
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m{:02}s", s / 60, s % 60),
        3_600..86_400 => format!("{}h{:02}m", s / 3_600, (s % 3_600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3_600),
    }
}

/// A backlog's progress in one line (the dashboard's backfill panel and
/// the headless progress line): `reading access.log: 1.2GB of 20GB (6%),
/// 6.1M lines, 2.3M lines/s, 52s left`.
pub fn backfill(b: &crate::engine::snapshot::BackfillSnap) -> String {
    let done = match b.total {
        0 => 1.0,
        t => b.bytes.min(t) as f64 / t as f64,
    };
    let left = b.left().map_or_else(
        || "time left unknown".into(),
        |d| format!("{} left", duration(d.as_secs())),
    );
    // Backlogs queued behind each other (a glob's full files) are shown
    // as one run: which of them this is.
    let which = match b.earlier {
        0 => String::new(),
        n => format!(" (backlog {} in a row)", n + 1),
    };
    format!(
        "reading {}{which}: {} of {} ({}), {} lines, {} lines/s, {left}",
        b.name.escape_debug(),
        bytes(b.bytes),
        bytes(b.total),
        percent(done),
        count(b.lines),
        rate(b.lines_per_sec()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backfill_progress_says_bytes_lines_rate_and_time_left() {
        let b = crate::engine::snapshot::BackfillSnap {
            name: "/var/log/access.log".into(),
            bytes: 1_200_000_000,
            total: 20_000_000_000,
            lines: 6_100_000,
            elapsed: std::time::Duration::from_secs(4),
            earlier: 0,
        };
        assert_eq!(
            backfill(&b),
            "reading /var/log/access.log: 1.2GB of 20GB (6.0%), 6.1M lines, 1.5M lines/s, 1m02s left"
        );
        let start = crate::engine::snapshot::BackfillSnap {
            bytes: 0,
            lines: 0,
            ..b
        };
        assert_eq!(
            backfill(&start),
            "reading /var/log/access.log: 0B of 20GB (0%), 0 lines, 0.00 lines/s, time left unknown"
        );
        // The third of a glob's full files, counted one after another.
        let third = crate::engine::snapshot::BackfillSnap {
            name: "/var/log/access.log.1".into(),
            earlier: 2,
            ..b
        };
        assert_eq!(
            backfill(&third),
            "reading /var/log/access.log.1 (backlog 3 in a row): 1.2GB of 20GB (6.0%), 6.1M lines, 1.5M lines/s, 1m02s left"
        );
    }

    #[test]
    fn scales() {
        assert_eq!(latency(0), "0");
        assert_eq!(latency(850), "850µs");
        assert_eq!(latency(1_000), "1.00ms");
        assert_eq!(latency(12_345), "12.3ms");
        assert_eq!(latency(350_000), "350ms");
        assert_eq!(latency(999_999), "1000ms");
        assert_eq!(latency(1_250_000), "1.25s");
        assert_eq!(latency(125_000_000), "2m05s");
        assert_eq!(latency(3_600_000_000), "1h00m");
        assert_eq!(count(950), "950");
        assert_eq!(count(1_234), "1.2k");
        assert_eq!(count(12_345), "12k");
        assert_eq!(count(999_999), "1.0M");
        assert_eq!(count(3_400_000), "3.4M");
        assert_eq!(count(u64::MAX), "18E");
        assert_eq!(bytes(u64::MAX), "18EB");
        assert_eq!(rate(0.25), "0.25");
        assert_eq!(rate(12.46), "12.5");
        assert_eq!(rate(1234.0), "1.2k");
        assert_eq!(bytes(512), "512B");
        assert_eq!(bytes(4_100), "4.1kB");
        assert_eq!(bytes(12_000_000), "12MB");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.0005), "0.05%");
        assert_eq!(percent(0.012), "1.2%");
        assert_eq!(percent(0.35), "35%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(utc(1_710_028_800), "2024-03-10 00:00:00");
        assert_eq!(rfc3339(1_709_209_805), "2024-02-29T12:30:05Z");
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(duration(1_799), "29m59s");
        assert_eq!(duration(11_100), "3h05m");
    }
}
