//! Prometheus rules for the configured objectives (`--slo`): recording
//! rules of each objective's error ratio over the windows of the SRE
//! workbook's multiwindow, multi-burn-rate alerts, and those alerts, built
//! on the `routetop_slo_good_total` and `routetop_slo_total` counters every
//! routetop exports. They aggregate a fleet: the ratios are `sum by (slo)`
//! over every instance.
//!
//! The pairs (long window, short window, burn rate), for a 30-day budget:
//! 1h and 5m at 14.4 (2 % of the budget in an hour: page), 6h and 30m at 6
//! (5 % in six hours: page), 3d and 6h at 1 (10 % in three days: ticket).
//! Both windows of a pair must burn: the long one says it is significant,
//! the short one that it is still going on. A budget period other than 30
//! days scales the burn rates so each pair still means the same share of
//! the budget.

use std::fmt::Write;
use std::time::Duration;

use crate::engine::slo::{DEFAULT_PERIOD, Kind, Objective};

/// (long window, short window, burn rate for 30 days, severity).
pub const PAIRS: [(&str, &str, f64, &str); 3] = [
    ("1h", "5m", 14.4, "page"),
    ("6h", "30m", 6.0, "page"),
    ("3d", "6h", 1.0, "ticket"),
];

/// Every window the pairs use, shortest first.
const WINDOWS: [&str; 5] = ["5m", "30m", "1h", "6h", "3d"];

/// YAML text of the rules for `objectives` (`promtool check rules` clean).
pub fn prometheus_rules(objectives: &[Objective]) -> String {
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Recording and alerting rules for routetop's service-level objectives,\n\
         # from `routetop --generate prometheus-rules` with the objectives below.\n\
         # Check: promtool check rules FILE"
    );
    for o in objectives {
        let _ = writeln!(y, "#   {}", describe(o));
    }
    let _ = writeln!(y, "groups:\n  - name: routetop.slo.recording\n    rules:");
    for w in WINDOWS {
        let _ = writeln!(
            y,
            "      - record: slo:routetop_slo_errors:ratio_rate{w}\n        expr: >\n          \
             1 - sum by (slo) (rate(routetop_slo_good_total[{w}]))\n          \
             / sum by (slo) (rate(routetop_slo_total[{w}]))"
        );
    }
    let _ = writeln!(y, "\n  - name: routetop.slo.alerts\n    rules:");
    for o in objectives {
        let budget = 1.0 - o.target;
        let scale = DEFAULT_PERIOD.as_secs_f64() / o.period.as_secs_f64().max(1.0);
        let sel = format!("{{slo={}}}", quote(&o.name));
        for (i, (long, short, burn, severity)) in PAIRS.iter().enumerate() {
            let rate = burn * scale;
            let limit = fmt_f(rate * budget);
            let name = match i {
                0 | 1 => "RoutetopSLOBurnRateHigh",
                _ => "RoutetopSLOBurnRateSlow",
            };
            let _ = writeln!(
                y,
                "      - alert: {name}\n        expr: >\n          \
                 slo:routetop_slo_errors:ratio_rate{long}{sel} > {limit}\n          \
                 and slo:routetop_slo_errors:ratio_rate{short}{sel} > {limit}\n        \
                 labels:\n          severity: {severity}\n          window: {long}/{short}\n        \
                 annotations:\n          \
                 summary: {}\n          \
                 description: {}",
                quote(&format!(
                    "SLO {} burning its error budget {}x ({long} and {short})",
                    o.name,
                    fmt_f(rate)
                )),
                quote(&format!(
                    "{}: over {long} and {short} the error ratio is above {limit}, {} times the budget of {} (target {}%, budget period {}).",
                    o.name,
                    fmt_f(rate),
                    fmt_f(budget),
                    fmt_f(o.target * 100.0),
                    period(o.period)
                )),
            );
        }
    }
    y
}

/// What an objective asks, in words (a comment in the rules).
fn describe(o: &Objective) -> String {
    let what = match &o.kind {
        Kind::Availability(_) => "requests not failed".to_string(),
        Kind::Latency(us) => format!("requests at or under {}s", fmt_f(*us as f64 / 1e6)),
    };
    format!(
        "{}: {}% of {what} on routes matching {}, over {}",
        o.name,
        fmt_f(o.target * 100.0),
        o.pattern,
        period(o.period)
    )
}

fn period(d: Duration) -> String {
    let s = d.as_secs();
    match s % 86_400 {
        0 => format!("{}d", s / 86_400),
        _ => format!("{s}s"),
    }
}

/// A number as short as it reads: 0.0144, 14.4, 99.9.
fn fmt_f(v: f64) -> String {
    let s = format!("{v:.10}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// A YAML double-quoted string (also a valid PromQL string literal for
/// the label matchers: same escapes for `"` and `\`).
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_written() {
        assert_eq!(fmt_f(14.4 * 0.001), "0.0144");
        assert_eq!(fmt_f(99.9), "99.9");
        assert_eq!(fmt_f(1.0), "1");
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
