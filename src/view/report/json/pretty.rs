//! The report's rows (totals, routes, entries) as pretty JSON, written by
//! hand byte for byte as serde_json's `PrettyFormatter` lays them out.
//!
//! A large report is mostly rows: 21 126 entries and 2 001 routes (8.5 MB)
//! for the 1 M-line, 100 000-route benchmark. Through serde each entry cost
//! ~6 600 instructions (the derive's calls per field, the formatter's
//! state, a map for the flattened stats of a route), and writing was the
//! longest step after the parse. Here a row is a run of appends: numbers by
//! itoa and by serde_json's own float formatter, strings copied unless they
//! need escaping (then serde_json escapes them). The tests of the module
//! above compare the whole report with serde_json's rendering of the same
//! values.

use serde_json::ser::{CompactFormatter, Formatter};

use crate::engine::facet::{FacetKind, FacetRow};
use crate::engine::summary::{EntryRow, RouteRow, Row, Summary};

/// Two spaces per level, as serde_json's default pretty indent.
const SPACES: &[u8; 32] = b"                                ";

#[inline(always)]
fn indent(out: &mut Vec<u8>, depth: usize) {
    out.extend_from_slice(&SPACES[..2 * depth]);
}

/// `"name": `, on its own line at `depth`, after a comma unless `first`.
#[inline(always)]
fn key(out: &mut Vec<u8>, depth: usize, first: bool, name: &str) {
    out.extend_from_slice(if first { b"\n" } else { b",\n" });
    indent(out, depth);
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\": ");
}

/// The end of an object or array with values, whose members sat at
/// `depth + 1`.
#[inline(always)]
fn close(out: &mut Vec<u8>, depth: usize, bracket: u8) {
    out.push(b'\n');
    indent(out, depth);
    out.push(bracket);
}

#[inline(always)]
fn uint(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// As serde_json writes an `f64`: `null` unless finite.
#[inline(always)]
fn float(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        // Writing to a Vec cannot fail.
        let _ = CompactFormatter.write_f64(out, v);
    } else {
        out.extend_from_slice(b"null");
    }
}

/// `us` microseconds in seconds, as [`float`] writes `us as f64 / 1e6`,
/// without the shortest-representation search (~300 instructions a value,
/// and six of a latency's seven numbers are such): below 10^15 µs the
/// quotient's shortest decimal is the exact one, `us` with its point moved
/// six places, and serde_json writes it plainly from 10 µs up (`0.00001`,
/// `3600.0`), as `1e-6` … `9e-6` below. A test compares both on every
/// value up to 2 000 000 µs and on samples up to the latency bound.
#[inline(always)]
fn seconds(out: &mut Vec<u8>, us: u64) {
    if !(10..1_000_000_000_000_000).contains(&us) {
        float(out, us as f64 / 1e6);
        return;
    }
    let mut b = itoa::Buffer::new();
    uint(out, us / 1_000_000);
    let frac = us % 1_000_000;
    if frac == 0 {
        out.extend_from_slice(b".0");
        return;
    }
    // Six digits with leading zeros (1_000_000 + frac has seven), then
    // without trailing ones.
    let digits = &b.format(1_000_000 + frac).as_bytes()[1..];
    let end = digits.iter().rposition(|&c| c != b'0').map_or(0, |i| i + 1);
    out.push(b'.');
    out.extend_from_slice(&digits[..end]);
}

#[inline(always)]
fn string(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Rare (a route with a quote or a control byte): serde_json's own
        // escaping. Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// `latency` of a row at `depth`: an object, or `null` without a timer.
fn latency(out: &mut Vec<u8>, depth: usize, r: &Row) {
    if r.timed == 0 {
        out.extend_from_slice(b"null");
        return;
    }
    out.push(b'{');
    let d = depth + 1;
    key(out, d, true, "count");
    uint(out, r.timed);
    key(out, d, false, "sum");
    seconds(out, r.lat_sum_us);
    key(out, d, false, "mean");
    float(out, r.lat_sum_us as f64 / r.timed as f64 / 1e6);
    for (name, q) in ["p50", "p90", "p99", "p999"].into_iter().zip(r.q_us) {
        key(out, d, false, name);
        seconds(out, q);
    }
    key(out, d, false, "max");
    seconds(out, r.lat_max_us);
    close(out, depth, b'}');
}

/// The statistics fields of a row, as members at `depth` (the first one
/// opening the object if `first`).
fn stats_fields(out: &mut Vec<u8>, depth: usize, first: bool, s: &Summary, r: &Row) {
    key(out, depth, first, "requests");
    uint(out, r.requests);
    key(out, depth, false, "rps");
    match s.rate(r.requests) {
        Some(v) => float(out, v),
        None => out.extend_from_slice(b"null"),
    }
    key(out, depth, false, "bytes");
    uint(out, r.bytes);
    key(out, depth, false, "status");
    out.push(b'{');
    let classes = [
        ("1xx", 1),
        ("2xx", 2),
        ("3xx", 3),
        ("4xx", 4),
        ("5xx", 5),
        ("other", 0),
    ];
    for (i, (name, c)) in classes.into_iter().enumerate() {
        key(out, depth + 1, i == 0, name);
        uint(out, r.classes[c]);
    }
    close(out, depth, b'}');
    key(out, depth, false, "error_rate_4xx");
    float(out, r.err4());
    key(out, depth, false, "error_rate_5xx");
    float(out, r.err5());
    key(out, depth, false, "latency");
    latency(out, depth, r);
}

/// A row's statistics as an object at `depth` (`totals`).
pub(super) fn stats(out: &mut Vec<u8>, depth: usize, s: &Summary, r: &Row) {
    out.push(b'{');
    stats_fields(out, depth + 1, true, s, r);
    close(out, depth, b'}');
}

/// An element of `routes` (depth 2).
pub(super) fn route(out: &mut Vec<u8>, s: &Summary, r: &RouteRow) {
    out.push(b'{');
    key(out, 3, true, "route");
    string(out, &r.route);
    key(out, 3, false, "methods");
    if r.methods.is_empty() {
        out.extend_from_slice(b"[]");
    } else {
        out.push(b'[');
        for (i, m) in r.methods.iter().enumerate() {
            out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
            indent(out, 4);
            string(out, m);
        }
        close(out, 3, b']');
    }
    stats_fields(out, 3, false, s, &r.row);
    // Only routes whose requests carried a backend or a host have these.
    for kind in FacetKind::ALL {
        let rows = s.facets.kind(kind).route(&r.route);
        if !rows.is_empty() {
            key(out, 3, false, facet_key(kind));
            facets(out, 3, rows);
        }
    }
    close(out, 2, b'}');
}

/// A route's field of facet `kind`: `backends`, `hosts`.
pub(super) fn facet_key(kind: FacetKind) -> &'static str {
    match kind {
        FacetKind::Backend => "backends",
        FacetKind::Host => "hosts",
    }
}

/// Facet values as an array at `depth`, each an object of its counters.
fn facets(out: &mut Vec<u8>, depth: usize, rows: &[FacetRow]) {
    out.push(b'[');
    for (i, f) in rows.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        indent(out, depth + 1);
        out.push(b'{');
        let (d, c) = (depth + 2, &f.counts);
        key(out, d, true, "name");
        string(out, &f.name);
        key(out, d, false, "requests");
        uint(out, c.requests);
        key(out, d, false, "errors_5xx");
        uint(out, c.errors_5xx);
        key(out, d, false, "timed");
        uint(out, c.timed);
        key(out, d, false, "mean");
        match c.mean_us() {
            Some(us) => float(out, us / 1e6),
            None => out.extend_from_slice(b"null"),
        }
        key(out, d, false, "max");
        match c.timed {
            0 => out.extend_from_slice(b"null"),
            _ => seconds(out, c.lat_max_us),
        }
        close(out, depth + 1, b'}');
    }
    close(out, depth, b']');
}

/// An element of `entries` (depth 2).
pub(super) fn entry(out: &mut Vec<u8>, e: &EntryRow) {
    out.push(b'{');
    key(out, 3, true, "route");
    string(out, &e.route);
    key(out, 3, false, "method");
    string(out, &e.method);
    key(out, 3, false, "status");
    uint(out, e.status.into());
    key(out, 3, false, "count");
    uint(out, e.row.requests);
    key(out, 3, false, "bytes");
    uint(out, e.row.bytes);
    key(out, 3, false, "latency");
    latency(out, 3, &e.row);
    close(out, 2, b'}');
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::format::value::MAX_LATENCY_US;

    /// Whether [`seconds`] writes `us` as [`float`] writes the quotient
    /// (`a` and `b` are scratch).
    fn same(a: &mut Vec<u8>, b: &mut Vec<u8>, us: u64) -> Result<(), String> {
        a.clear();
        b.clear();
        seconds(a, us);
        float(b, us as f64 / 1e6);
        if a == b {
            Ok(())
        } else {
            Err(format!(
                "{us} µs: {} vs {}",
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b)
            ))
        }
    }

    /// Every value up to 2 s, and each side of every power of ten.
    #[test]
    fn seconds_are_written_as_serde_json_writes_the_quotient() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut check = |us| same(&mut a, &mut b, us).unwrap();
        (0..=2_000_000).for_each(&mut check);
        for p in 0..=19 {
            let t = 10u64.pow(p);
            (t.saturating_sub(3)..t.saturating_add(3)).for_each(&mut check);
        }
    }

    /// Microseconds: any latency, any sum (any `u64`), each side of a
    /// power of ten, with trailing zeros (whole seconds, round fractions),
    /// and around 10^15 (where the shortcut ends) and 2^53 (where `f64`
    /// stops holding every integer).
    fn micros() -> impl Strategy<Value = u64> {
        prop_oneof![
            4 => 0..=MAX_LATENCY_US,
            2 => any::<u64>(),
            1 => (0..=19u32, -3..=3i64).prop_map(|(p, d)| 10u64.pow(p).saturating_add_signed(d)),
            2 => (1..1_000_000u64, 0..=13u32).prop_map(|(v, p)| v * 10u64.pow(p)),
            1 => 999_999_999_990_000..=1_000_000_000_010_000u64,
            1 => (1u64 << 53) - 10_000..=(1u64 << 53) + 10_000,
        ]
    }

    proptest! {
        // 30 000 values: ~0.1 s in a debug build (settings: `crate::props`).
        #![proptest_config(crate::props::config(30_000))]

        /// Past the values tried one by one, on drawn ones.
        #[test]
        fn seconds_are_written_as_serde_json_writes_them_for_any_value(us in micros()) {
            same(&mut Vec::new(), &mut Vec::new(), us).map_err(TestCaseError::fail)?;
        }
    }
}
