//! `--once -o json`: the report as pretty JSON (schema:
//! `assets/report.schema.json`): `schema`, `span`, `totals`, `routes`,
//! `entries`, `inputs`, `overflow`, then `backends` and `hosts` when
//! requests had any, `apdex` and `slo` when asked for, in that order.
//!
//! A large report is mostly its entries (one object per route, method and
//! status: ~10 000, 3.4 MB for the 1 M-line benchmark), and rendering them
//! in one piece was the longest serial step after the parse. Here the
//! second half of the entries is rendered into a buffer on another thread
//! while this one writes the rest to the output. Rows (totals, routes,
//! entries) are written by hand ([`pretty`]), the small parts by serde_json's
//! pretty formatter started at the depth where the part sits; the pieces
//! join into exactly the text `serde_json::to_writer_pretty` gives for the
//! whole report (a test pins that).

mod pretty;

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter, Serializer};

use super::data::{ReportData, SCHEMA_ID, secs};
use crate::engine::facet::{FacetKind, FacetRow};
use crate::engine::slo::Kind;
use crate::engine::summary::{EntryRow, QUANTILES, Summary};
use crate::format::{ErrorKind, Odd};
use crate::view::human;

/// Entries below this many are rendered on this thread only.
const SPLIT_AT: usize = 2048;

#[derive(Serialize)]
struct JsonSpan {
    start: String,
    end: String,
    seconds: u64,
}

#[derive(Serialize)]
struct JsonDetected {
    matched: usize,
    sampled: usize,
}

#[derive(Serialize)]
struct JsonSample {
    line: u64,
    reason: &'static str,
    length: u64,
    text: String,
}

#[derive(Serialize)]
struct JsonInput<'a> {
    name: &'a str,
    format: Option<&'a str>,
    detected: Option<JsonDetected>,
    /// What its format logs of each request: a figure it does not log is
    /// 0 here (and `-` in the table), not a measured 0.
    logs: JsonLogs,
    lines: u64,
    requests: u64,
    /// W3C directives (`#Fields:`, …): neither requests nor errors.
    header_lines: u64,
    /// A messy file's variants: each one's format and requests, in the
    /// order they are tried (empty for a format of one kind of line).
    variants: Vec<JsonVariant>,
    parse_errors: u64,
    errors: std::collections::BTreeMap<&'static str, u64>,
    /// Requests counted without a timer or timestamp they had, every kind.
    odd_values: std::collections::BTreeMap<&'static str, u64>,
    samples: Vec<JsonSample>,
}

#[derive(Serialize)]
struct JsonLogs {
    latency: bool,
    upstream: bool,
    bytes: bool,
}

#[derive(Serialize)]
struct JsonVariant {
    format: String,
    requests: u64,
}

/// One backend's or host's counters (`routes[].backends`, and over all
/// routes in the top-level `backends`).
#[derive(Serialize)]
struct JsonFacet<'a> {
    name: &'a str,
    requests: u64,
    errors_5xx: u64,
    /// Requests with a timer: what `mean` and `max` are of.
    timed: u64,
    mean: Option<f64>,
    max: Option<f64>,
}

/// Top-level `backends` or `hosts`: each value over all routes, and the
/// cap's folding.
#[derive(Serialize)]
struct JsonFacets<'a> {
    max: usize,
    folded: u64,
    folded_at_least: bool,
    values: Vec<JsonFacet<'a>>,
}

fn facet_rows(rows: &[FacetRow]) -> Vec<JsonFacet<'_>> {
    rows.iter()
        .map(|f| JsonFacet {
            name: &f.name,
            requests: f.counts.requests,
            errors_5xx: f.counts.errors_5xx,
            timed: f.counts.timed,
            mean: f.counts.mean_us().map(|us| us / 1e6),
            max: (f.counts.timed > 0).then(|| secs(f.counts.lat_max_us)),
        })
        .collect()
}

/// The kinds any request had a value of, with their figures.
fn facets_of(s: &Summary) -> Vec<(FacetKind, JsonFacets<'_>)> {
    FacetKind::ALL
        .into_iter()
        .map(|k| (k, s.facets.kind(k)))
        .filter(|(_, f)| !f.totals.is_empty())
        .map(|(k, f)| {
            let j = JsonFacets {
                max: f.cap,
                folded: f.folded,
                folded_at_least: f.at_least,
                values: facet_rows(&f.totals),
            };
            (k, j)
        })
        .collect()
}

#[derive(Serialize)]
struct JsonOverflow {
    max_routes: usize,
    routes: usize,
    folded_routes: u64,
    folded_at_least: bool,
    requests: u64,
}

/// Writes the report, then a newline.
pub(super) fn json(out: &mut impl Write, d: &ReportData) -> io::Result<()> {
    let s = d.summary;
    debug_assert_eq!(QUANTILES.len(), 4);
    let entries = &s.entries[..];
    // This thread also writes the routes (~1.5 entries' work each): the
    // other takes that much more of the entries.
    let mid = if entries.len() >= SPLIT_AT {
        entries.len().saturating_sub(s.routes.len() * 3 / 2) / 2
    } else {
        entries.len()
    };
    let (first, rest) = entries.split_at(mid);
    std::thread::scope(|scope| {
        // If no thread can be had, the second half is rendered here too.
        let other = if rest.is_empty() {
            None
        } else {
            std::thread::Builder::new()
                .spawn_scoped(scope, || {
                    let mut buf = Vec::with_capacity(rest.len() * 400);
                    render_entries(&mut buf, rest, false).map(|()| buf)
                })
                .ok()
        };
        // This half goes straight to `out` (buffered), not through a
        // large fresh buffer (page faults).
        head(out, d)?;
        out.write_all(b",\n  \"entries\": [")?;
        render_entries(out, first, true)?;
        match other {
            // A panic while rendering is a bug: surface it.
            Some(h) => out.write_all(&h.join().expect("report thread panicked")?)?,
            None => render_entries(out, rest, first.is_empty())?,
        }
        if !entries.is_empty() {
            out.write_all(b"\n  ")?;
        }
        out.write_all(b"]")?;
        tail(out, d)?;
        out.write_all(b"\n}\n")
    })
}

/// serde_json's pretty formatter, as it stands `depth` levels into a
/// document: its only state is the depth (and whether the innermost
/// container has a value yet), which opening containers sets.
fn formatter_at(depth: usize) -> PrettyFormatter<'static> {
    let mut f = PrettyFormatter::new();
    for _ in 0..depth {
        // Opening an array into a sink: nothing written, depth + 1.
        let _ = f.begin_array(&mut io::sink());
    }
    f
}

/// Pretty JSON of `v` as the value of a key or element at `depth`.
fn render<T: Serialize>(out: &mut impl Write, depth: usize, v: &T) -> io::Result<()> {
    v.serialize(&mut Serializer::with_formatter(out, formatter_at(depth)))
        .map_err(io::Error::from)
}

/// `,\n  "name": value`: a field of the report object (the first one
/// without the comma).
fn field<T: Serialize>(out: &mut impl Write, first: bool, name: &str, v: &T) -> io::Result<()> {
    out.write_all(if first { b"\n  \"" } else { b",\n  \"" })?;
    out.write_all(name.as_bytes())?;
    out.write_all(b"\": ")?;
    render(out, 1, v)
}

/// The elements of the `entries` array for `rows`, each on its own lines
/// at depth 2, the first without a comma if `first`; written to `out` a
/// few hundred at a time.
fn render_entries(out: &mut impl Write, rows: &[EntryRow], first: bool) -> io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 17);
    elements(out, &mut buf, rows, first, pretty::entry)?;
    out.write_all(&buf)
}

/// Appends `items` to `buf` as elements of an array at depth 2, each by
/// `each` on its own lines, the first without a comma if `first`; `buf`
/// goes to `out` whenever it passes 64 KiB (a report of many routes is
/// megabytes: not one fresh buffer to fault in).
fn elements<T>(
    out: &mut impl Write,
    buf: &mut Vec<u8>,
    items: &[T],
    first: bool,
    mut each: impl FnMut(&mut Vec<u8>, &T),
) -> io::Result<()> {
    for (i, x) in items.iter().enumerate() {
        buf.extend_from_slice(if first && i == 0 {
            b"\n    "
        } else {
            b",\n    "
        });
        each(buf, x);
        if buf.len() >= 1 << 16 {
            out.write_all(buf)?;
            buf.clear();
        }
    }
    Ok(())
}

/// `{` and the fields before `entries`.
fn head(buf: &mut impl Write, d: &ReportData) -> io::Result<()> {
    let s = d.summary;
    buf.write_all(b"{")?;
    field(buf, true, "schema", &SCHEMA_ID)?;
    field(buf, false, "span", &span_of(s))?;
    let mut rows = Vec::with_capacity(1 << 16);
    rows.extend_from_slice(b",\n  \"totals\": ");
    pretty::stats(&mut rows, 1, s, &s.totals);
    rows.extend_from_slice(b",\n  \"routes\": ");
    if s.routes.is_empty() {
        rows.extend_from_slice(b"[]");
    } else {
        rows.push(b'[');
        elements(buf, &mut rows, &s.routes, true, |b, r| {
            pretty::route(b, s, r)
        })?;
        rows.extend_from_slice(b"\n  ]");
    }
    buf.write_all(&rows)
}

/// The fields after `entries`.
fn tail(buf: &mut impl Write, d: &ReportData) -> io::Result<()> {
    field(buf, false, "inputs", &inputs_of(d))?;
    field(buf, false, "overflow", &overflow_of(d.summary))?;
    for (kind, f) in facets_of(d.summary) {
        field(buf, false, pretty::facet_key(kind), &f)?;
    }
    if let Some(a) = d.apdex {
        let apdex = JsonApdex {
            t_seconds: secs(a.t_us),
            score: a.total.score(),
            satisfied: a.total.satisfied,
            tolerating: a.total.tolerating,
            timed: a.total.timed,
            routes: a
                .routes
                .iter()
                .map(|(r, x)| JsonApdexRoute {
                    route: r,
                    score: x.score(),
                    satisfied: x.satisfied,
                    tolerating: x.tolerating,
                    timed: x.timed,
                })
                .collect(),
        };
        field(buf, false, "apdex", &apdex)?;
    }
    if d.slo.is_empty() {
        return Ok(());
    }
    let slo: Vec<JsonSlo> = d
        .slo
        .iter()
        .map(|(o, p)| (o, p, &p.total))
        .map(|(o, p, c)| JsonSlo {
            name: &o.name,
            pattern: o.pattern.to_string(),
            kind: match o.kind {
                Kind::Availability(_) => "availability",
                Kind::Latency(_) => "latency",
            },
            target: o.target,
            threshold_seconds: o.threshold_us().map(secs),
            good: c.good,
            total: c.total,
            compliance: c.ratio(),
            budget_left: c.budget_left(o.target),
            met: !c.violated(o.target),
            routes: p
                .routes
                .iter()
                .map(|(r, c)| JsonSloRoute {
                    route: r,
                    good: c.good,
                    total: c.total,
                    compliance: c.ratio(),
                    met: !c.violated(o.target),
                })
                .collect(),
        })
        .collect();
    field(buf, false, "slo", &slo)
}

/// An objective's figures over the report's requests.
#[derive(Serialize)]
struct JsonSlo<'a> {
    name: &'a str,
    pattern: String,
    kind: &'static str,
    /// As a ratio (0.999).
    target: f64,
    threshold_seconds: Option<f64>,
    good: u64,
    total: u64,
    /// good / total; null without requests.
    compliance: Option<f64>,
    /// Share of the error budget left (negative when overspent).
    budget_left: Option<f64>,
    met: bool,
    /// Per route the objective counts: which routes break it.
    routes: Vec<JsonSloRoute<'a>>,
}

/// An objective's figures over one route's requests.
#[derive(Serialize)]
struct JsonSloRoute<'a> {
    route: &'a str,
    good: u64,
    total: u64,
    compliance: Option<f64>,
    met: bool,
}

/// Apdex (`--apdex`), in all and per route.
#[derive(Serialize)]
struct JsonApdex<'a> {
    t_seconds: f64,
    /// null without a timed request.
    score: Option<f64>,
    satisfied: u64,
    tolerating: u64,
    timed: u64,
    routes: Vec<JsonApdexRoute<'a>>,
}

#[derive(Serialize)]
struct JsonApdexRoute<'a> {
    route: &'a str,
    score: Option<f64>,
    satisfied: u64,
    tolerating: u64,
    timed: u64,
}

fn span_of(s: &Summary) -> Option<JsonSpan> {
    s.span.map(|(a, b)| JsonSpan {
        start: human::rfc3339(a),
        end: human::rfc3339(b),
        seconds: s.span_seconds().unwrap_or(0),
    })
}

fn inputs_of<'a>(d: &ReportData<'a>) -> Vec<JsonInput<'a>> {
    d.sources
        .iter()
        .enumerate()
        .map(|(i, src)| {
            let st = d.inputs.get(i).cloned().unwrap_or_default();
            JsonInput {
                name: &src.name,
                format: src.format.as_deref(),
                detected: src
                    .detected
                    .map(|(matched, sampled)| JsonDetected { matched, sampled }),
                logs: JsonLogs {
                    latency: src.has_latency,
                    upstream: src.has_upstream,
                    bytes: st.logs_bytes(src.has_bytes),
                },
                lines: st.lines,
                requests: st.requests,
                header_lines: st.headers,
                variants: crate::engine::snapshot::variant_lines(&src.variants, &st)
                    .into_iter()
                    .map(|(format, requests)| JsonVariant { format, requests })
                    .collect(),
                parse_errors: st.error_total(),
                errors: ErrorKind::ALL
                    .iter()
                    .map(|k| (k.as_str(), st.errors[k.index()]))
                    .filter(|(_, n)| *n > 0)
                    .collect(),
                odd_values: Odd::ALL
                    .iter()
                    .map(|k| (k.as_str(), st.odd[k.index()]))
                    .collect(),
                samples: st
                    .samples
                    .iter()
                    .map(|b| JsonSample {
                        line: b.line_no,
                        reason: b.kind.as_str(),
                        length: b.len,
                        text: String::from_utf8_lossy(&b.text).into_owned(),
                    })
                    .collect(),
            }
        })
        .collect()
}

fn overflow_of(s: &Summary) -> JsonOverflow {
    JsonOverflow {
        max_routes: s.overflow.max_routes,
        routes: s.overflow.routes,
        folded_routes: s.overflow.folded_routes,
        folded_at_least: s.overflow.at_least,
        requests: s.overflow.requests,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::SourceReport;
    use crate::engine::facet::FacetFigures;
    use crate::engine::summary::{RouteRow, Row};
    use crate::engine::{InputStats, LinePos};
    use crate::view::report::data::secs;

    // The reference: the rows as serde_json renders them (what the report
    // wrote before `pretty`).
    #[derive(Serialize)]
    struct JsonLatency {
        count: u64,
        sum: f64,
        mean: f64,
        p50: f64,
        p90: f64,
        p99: f64,
        p999: f64,
        max: f64,
    }

    #[derive(Serialize)]
    struct JsonClasses {
        #[serde(rename = "1xx")]
        c1: u64,
        #[serde(rename = "2xx")]
        c2: u64,
        #[serde(rename = "3xx")]
        c3: u64,
        #[serde(rename = "4xx")]
        c4: u64,
        #[serde(rename = "5xx")]
        c5: u64,
        other: u64,
    }

    #[derive(Serialize)]
    struct JsonStats {
        requests: u64,
        rps: Option<f64>,
        bytes: u64,
        status: JsonClasses,
        error_rate_4xx: f64,
        error_rate_5xx: f64,
        latency: Option<JsonLatency>,
    }

    #[derive(Serialize)]
    struct JsonRoute<'a> {
        route: &'a str,
        methods: Vec<&'a str>,
        #[serde(flatten)]
        stats: JsonStats,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        backends: Vec<JsonFacet<'a>>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        hosts: Vec<JsonFacet<'a>>,
    }

    #[derive(Serialize)]
    struct JsonEntry<'a> {
        route: &'a str,
        method: &'a str,
        status: u16,
        count: u64,
        bytes: u64,
        latency: Option<JsonLatency>,
    }

    fn json_latency(r: &Row) -> Option<JsonLatency> {
        (r.timed > 0).then(|| JsonLatency {
            count: r.timed,
            sum: secs(r.lat_sum_us),
            mean: r.lat_sum_us as f64 / r.timed as f64 / 1e6,
            p50: secs(r.q_us[0]),
            p90: secs(r.q_us[1]),
            p99: secs(r.q_us[2]),
            p999: secs(r.q_us[3]),
            max: secs(r.lat_max_us),
        })
    }

    fn json_stats(s: &Summary, r: &Row) -> JsonStats {
        JsonStats {
            requests: r.requests,
            rps: s.rate(r.requests),
            bytes: r.bytes,
            status: JsonClasses {
                c1: r.classes[1],
                c2: r.classes[2],
                c3: r.classes[3],
                c4: r.classes[4],
                c5: r.classes[5],
                other: r.classes[0],
            },
            error_rate_4xx: r.err4(),
            error_rate_5xx: r.err5(),
            latency: json_latency(r),
        }
    }

    fn routes_of(s: &Summary) -> Vec<JsonRoute<'_>> {
        s.routes
            .iter()
            .map(|r| JsonRoute {
                route: &r.route,
                methods: r.methods.iter().map(|m| &**m).collect(),
                stats: json_stats(s, &r.row),
                backends: facet_rows(s.facets.kind(FacetKind::Backend).route(&r.route)),
                hosts: facet_rows(s.facets.kind(FacetKind::Host).route(&r.route)),
            })
            .collect()
    }

    fn entry_of(e: &EntryRow) -> JsonEntry<'_> {
        JsonEntry {
            route: &e.route,
            method: &e.method,
            status: e.status,
            count: e.row.requests,
            bytes: e.row.bytes,
            latency: json_latency(&e.row),
        }
    }

    /// The report as one value, rendered by serde_json in one piece.
    #[derive(Serialize)]
    struct Whole<'a> {
        schema: &'static str,
        span: Option<JsonSpan>,
        totals: JsonStats,
        routes: Vec<JsonRoute<'a>>,
        entries: Vec<JsonEntry<'a>>,
        inputs: Vec<JsonInput<'a>>,
        overflow: JsonOverflow,
        #[serde(skip_serializing_if = "Option::is_none")]
        backends: Option<JsonFacets<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        hosts: Option<JsonFacets<'a>>,
    }

    fn row(i: u64) -> Row {
        Row {
            requests: i + 1,
            bytes: i * 1000,
            classes: [0, 0, i + 1, 0, 0, 0],
            // Every third without a timer: `"latency": null`.
            timed: if i.is_multiple_of(3) { 0 } else { i },
            lat_sum_us: i * 1234,
            lat_max_us: i * 99,
            q_us: [i, i * 2, i * 3, i * 4],
        }
    }

    fn summary(n: usize) -> Summary {
        let names: Vec<Arc<str>> = ["/", "/api/\"q\"\n/:id", "/ünï/☃", "/a\\b"]
            .into_iter()
            .map(Arc::from)
            .collect();
        Summary {
            // No routes at all, and a route without methods.
            routes: names
                .iter()
                .take(if n == 0 { 0 } else { names.len() })
                .enumerate()
                .map(|(i, r)| RouteRow {
                    route: r.clone(),
                    methods: match i {
                        2 => vec![],
                        _ => vec!["GET".into(), "POST\t".into()],
                    },
                    row: row(i as u64),
                })
                .collect(),
            entries: (0..n)
                .map(|i| EntryRow {
                    route: names[i % names.len()].clone(),
                    method: "GET".into(),
                    status: 200 + (i % 300) as u16,
                    row: row(i as u64),
                })
                .collect(),
            totals: row(7),
            span: n
                .is_multiple_of(2)
                .then_some((1_710_028_800, 1_710_038_800)),
            overflow: Default::default(),
            facets: facets(n),
        }
    }

    /// Backends on every route but the second (one name to escape, one
    /// untimed value), hosts on the first only; none without entries.
    fn facets(n: usize) -> FacetFigures {
        use crate::engine::facet::{FacetCounts, FacetSnap};
        if n == 0 {
            return FacetFigures::default();
        }
        let row = |name: &str, i: u64| FacetRow {
            name: name.into(),
            counts: FacetCounts {
                requests: i + 2,
                errors_5xx: i,
                timed: i,
                lat_sum_us: i * 1500,
                lat_max_us: i * 999,
            },
        };
        let backends = vec![row("10.0.0.1:80", 3), row("b\"\\", 0)];
        let hosts = vec![row("a.example", 1)];
        let routes = ["/", "/a\\b", "/ünï/☃"];
        FacetFigures {
            kinds: [
                FacetSnap {
                    by_route: routes
                        .iter()
                        .map(|r| (Arc::from(*r), backends.clone()))
                        .collect(),
                    totals: backends.clone(),
                    cap: 200,
                    folded: 3,
                    at_least: false,
                },
                FacetSnap {
                    by_route: vec![(Arc::from("/"), hosts.clone())],
                    totals: hosts,
                    cap: 200,
                    ..Default::default()
                },
            ],
        }
    }

    #[test]
    fn pieces_join_into_the_text_of_the_whole_report() {
        let mut bad = InputStats::default();
        let pos = LinePos { seq: 0, local: 3 };
        bad.note_error(ErrorKind::NoMatch, pos, b"bad \xff line", 12, || "x".into());
        let inputs = [InputStats::default(), bad];
        let sources = [
            SourceReport {
                name: "a.log".into(),
                format: Some("combined".into()),
                detected: Some((10, 10)),
                ..Default::default()
            },
            SourceReport {
                name: "b \"c\".log".into(),
                ..Default::default()
            },
        ];
        for n in [0, 1, 2, 5, SPLIT_AT - 1, SPLIT_AT, SPLIT_AT + 1, 5001] {
            let s = summary(n);
            let d = ReportData {
                slo: &[],
                apdex: None,
                summary: &s,
                sources: &sources,
                inputs: &inputs,
            };
            let whole = Whole {
                schema: SCHEMA_ID,
                span: span_of(&s),
                totals: json_stats(&s, &s.totals),
                routes: routes_of(&s),
                entries: s.entries.iter().map(entry_of).collect(),
                inputs: inputs_of(&d),
                overflow: overflow_of(&s),
                backends: None,
                hosts: None,
            };
            let mut whole = whole;
            for (k, f) in facets_of(&s) {
                match k {
                    FacetKind::Backend => whole.backends = Some(f),
                    FacetKind::Host => whole.hosts = Some(f),
                }
            }
            let want = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            let mut got = Vec::new();
            json(&mut got, &d).unwrap();
            assert_eq!(String::from_utf8(got).unwrap(), want, "{n} entries");
        }
    }
}
