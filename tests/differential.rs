//! One oracle for every view (issue 17): the same lines read by `--once`
//! and replayed by the live engine (`--from-start --window-by log`) give
//! the same since-start figures, exactly — per (source, route, method,
//! status) count, bytes, latency sum, maximum and bucket counts; per route
//! and in total the quantiles, the latency distribution, the methods,
//! statuses and sources; per input the lines, requests and parse errors;
//! the log's time span and the overflow. Then every view of them: the
//! metrics text `/metrics` serves and `--push` sends (rendered from each
//! snapshot), the `--once` table, CSV and JSON, and the dashboard's
//! since-start rows drawn on a `TestBackend`.
//!
//! Per input, the odd values of the README's policy (`bad_timer`,
//! `bad_time`) are compared too, in the snapshots, the JSON and the metrics.
//!
//! The live engine reads every file as a backlog (`--backfill-min 0`):
//! counted on all cores, its last lines (within the log-time windows'
//! reach) line by line after.
//!
//! Run on every bundled sample log, on hostile input and on generated logs
//! (random formats among the presets, random routes, odd statuses, byte
//! counts, timers and timestamps). Windowed
//! figures are not compared: they are of recent time, which a batch run
//! does not have.

mod binary;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, RngAlgorithm, TestRng, TestRunner};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;

use routetop::config::{Config, Mode, OutputFormat, WindowBy};
use routetop::engine::slo::Objective;
use routetop::engine::snapshot::{KeySnap, RouteSnap, Snapshot};
use routetop::format::{FormatSpec, Odd};
use routetop::run::Running;
use routetop::view::export::{PushConfig, RenderOptions, ScrapeState, StatusLabel, render};
use routetop::view::report::{self, ReportData};
use routetop::view::tui::{self, App};

mod net;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What one input set is read as.
struct Case {
    name: String,
    paths: Vec<PathBuf>,
    format: Option<String>,
    max_routes: Option<usize>,
    /// `--max-facets`: backends and hosts kept before `(other)`.
    max_facets: Option<usize>,
    /// Run with two objectives and an Apdex (see [`config`]).
    objectives: bool,
    /// Every input given this config `name`.
    input_name: Option<String>,
}

fn config(case: &Case) -> Config {
    let paths: Vec<&str> = case.paths.iter().map(|p| p.to_str().unwrap()).collect();
    let spec = match &case.format {
        Some(f) => FormatSpec::parse(f).unwrap(),
        None => FormatSpec::Auto,
    };
    let mut c = Config::once(&paths, spec, OutputFormat::Json).unwrap();
    if let Some(n) = case.max_routes {
        c.max_routes = n;
    }
    if let Some(n) = case.max_facets {
        c.max_facets = n;
    }
    // Objectives and Apdex on default bounds (250 ms, 1 s), as the config
    // would add them: the SLO and Apdex columns join the comparison.
    if let Some(n) = &case.input_name {
        for i in &mut c.inputs {
            i.name = Some(n.clone());
        }
    }
    if case.objectives {
        c.slo = objectives();
        c.apdex = Some(250_000);
    }
    c
}

fn objectives() -> Vec<Objective> {
    let d = |t: &str| routetop::config::parse_duration(t);
    ["/api/*:95%<250ms", "*:99%"]
        .iter()
        .map(|o| Objective::parse(o, d).unwrap())
        .collect()
}

/// `--once` as with `--push` (which counts the histogram buckets): the
/// summary the reports print and the snapshot the push sends.
fn once(case: &Case) -> routetop::run::BatchReport {
    let mut c = config(case);
    c.export.push = Some(PushConfig {
        url: "http://127.0.0.1:9".into(),
        interval: Duration::from_secs(60),
        job: "routetop".into(),
        instance: String::new(),
    });
    routetop::once(&c).unwrap_or_else(|e| panic!("{}: --once failed: {e}", case.name))
}

/// The live engine replaying the inputs from the start by log time, until
/// it has read every line `--once` read; its last snapshot.
fn live(case: &Case, want: &Snapshot) -> Arc<Snapshot> {
    let mut c = config(case);
    c.mode = Mode::Follow;
    c.live.from_start = true;
    c.live.window_by = WindowBy::Log;
    // Every file is a backlog, counted on all cores (the samples are
    // small): the figures are those of the parallel backfill and of the
    // log-time tail counted line by line after it, the last 10 s of log
    // (the series' reach; windows are not compared).
    c.live.backfill_min = 0;
    c.live.windows = vec![Duration::from_secs(1)];
    c.live.series = 10;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = Running::start(&c, rt.handle()).unwrap();
    let mut rx = running.snapshots.clone();
    let lines: Vec<u64> = want.inputs.iter().map(|i| i.lines).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = {
            let s = rx.borrow_and_update();
            s.inputs.iter().map(|i| i.lines).collect::<Vec<_>>() == lines
                && s.total.total.requests == want.total.total.requests
        };
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{}: the live engine did not read {lines:?} lines; it has {:?}",
            case.name,
            rx.borrow()
                .inputs
                .iter()
                .map(|i| i.lines)
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    running.stop()
}

/// [`live`], with a restart in the middle: the engine reads the first
/// half of each input, stops (saving its state to a file), the rest is
/// appended, and a new engine resumes from the state and reads to the end.
/// Its last snapshot must be the one of an engine that never stopped.
fn live_restarted(case: &Case, want: &Snapshot) -> Arc<Snapshot> {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(case);
    c.mode = Mode::Follow;
    c.live.from_start = true;
    c.live.window_by = WindowBy::Log;
    c.live.state = Some(dir.path().join("state"));
    // Both halves are backlogs: from the start, then from the saved mark.
    c.live.backfill_min = 0;
    let mut rests = Vec::new();
    let mut halves = Vec::new();
    for p in &case.paths {
        let bytes = std::fs::read(p).unwrap();
        let cut = bytes[..bytes.len() / 2]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        std::fs::write(p, &bytes[..cut]).unwrap();
        halves.push(bytes[..cut].iter().filter(|&&b| b == b'\n').count() as u64);
        rests.push(bytes[cut..].to_vec());
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let run_until = |lines: &[u64]| {
        let running = Running::start(&c, rt.handle()).unwrap();
        let mut rx = running.snapshots.clone();
        let deadline = Instant::now() + Duration::from_secs(60);
        while rx
            .borrow_and_update()
            .inputs
            .iter()
            .map(|i| i.lines)
            .collect::<Vec<_>>()
            != lines
        {
            assert!(
                Instant::now() < deadline,
                "{}: the live engine did not read {lines:?} lines",
                case.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        running.stop()
    };
    run_until(&halves);
    for (p, rest) in case.paths.iter().zip(&rests) {
        let mut f = std::fs::OpenOptions::new().append(true).open(p).unwrap();
        std::io::Write::write_all(&mut f, rest).unwrap();
    }
    let lines: Vec<u64> = want.inputs.iter().map(|i| i.lines).collect();
    run_until(&lines)
}

fn sorted_keys(s: &Snapshot) -> Vec<KeySnap> {
    let mut k = s.keys.to_vec();
    k.sort_by(|a, b| {
        (a.source, &a.route, &a.method, a.status).cmp(&(b.source, &b.route, &b.method, b.status))
    });
    k
}

/// A route's since-start part (its windows and series are of recent time).
fn since_start(r: &RouteSnap) -> RouteSnap {
    RouteSnap {
        windows: Vec::new(),
        series: Default::default(),
        ..r.clone()
    }
}

fn routes(s: &Snapshot) -> BTreeMap<String, RouteSnap> {
    s.routes
        .iter()
        .map(|r| (r.route.to_string(), since_start(r)))
        .collect()
}

/// Families whose every sample is a since-start figure; the others are
/// of recent time (the window summary, the per-step maximum) or of the
/// process (build, uptime, lag, input states).
const SINCE_START_FAMILIES: &[&str] = &[
    "http_requests_total",
    "http_request_duration_seconds",
    "http_response_size_bytes_total",
    "http_upstream_duration_seconds",
    "routetop_lines_read_total",
    "routetop_lines_unparsed_total",
    "routetop_lines_parsed_by_variant_total",
    "routetop_odd_values_total",
    "routetop_routes",
    "routetop_routes_limit",
    "routetop_overflow_routes",
    "routetop_overflow_requests_total",
    "routetop_slo_objective_ratio",
    "routetop_slo_good_total",
    "routetop_slo_total",
];

/// The since-start families of the metrics text of `s`.
/// Rendered as served by default and with the fleet controls
/// (`--export-status class --no-summary`): codes added up into classes
/// must agree too.
fn exposition(s: &Snapshot) -> String {
    // Objectives on a default bound (250 ms) and on every route: their
    // counters come from the keys, exactly.
    let slo = objectives();
    let class = RenderOptions {
        status: StatusLabel::Class,
        summary: false,
        slo: slo.into(),
        ..RenderOptions::default()
    };
    let mut text = render(s, &RenderOptions::default(), &mut ScrapeState::default());
    text.push_str(&render(s, &class, &mut ScrapeState::default()));
    let mut keep = false;
    let mut out = String::new();
    for line in text.lines() {
        if let Some(rest) = line
            .strip_prefix("# HELP ")
            .or_else(|| line.strip_prefix("# TYPE "))
        {
            let name = rest.split(' ').next().unwrap_or("");
            keep = SINCE_START_FAMILIES.contains(&name);
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn assert_lines_eq(name: &str, what: &str, want: &str, got: &str) {
    if want == got {
        return;
    }
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let first = w
        .iter()
        .zip(&g)
        .position(|(a, b)| a != b)
        .unwrap_or(w.len().min(g.len()));
    panic!(
        "{name}: {what} differ at line {}:\n  --once: {:?}\n  live:   {:?}\n({} vs {} lines)",
        first + 1,
        w.get(first),
        g.get(first),
        w.len(),
        g.len()
    );
}

/// Presses keys the way the dashboard's loop does.
fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            c => KeyCode::Char(c),
        };
        if let Some(a) = tui::action_for(KeyEvent::new(code, KeyModifiers::NONE), app) {
            app.apply(a);
        }
    }
}

/// A table's rows by route: the header's column names (upper case, sort
/// arrows dropped) → the row's cells. Rows are found by route name (which
/// may hold spaces), cells after it split at spaces.
fn rows_of(text: &str, s: &Snapshot) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut header: Vec<String> = Vec::new();
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_matches(|c| c == '"' || c == '│' || c == ' ');
        if header.is_empty() {
            if line.to_uppercase().starts_with("ROUTE ") {
                header = line
                    .split_whitespace()
                    .skip(1)
                    .map(|h| h.trim_matches(['▲', '▼']).to_uppercase())
                    .collect();
            }
            continue;
        }
        if let Some(r) = s.routes.iter().chain([&s.total]).find(|r| {
            line.starts_with(&*r.route) && line[r.route.len()..].starts_with(char::is_whitespace)
        }) {
            // The first column of a name: the dashboard's last header
            // cells ("Total Req/s trend") name its sparkline. An SLO
            // state is one cell (`✓ met` → `✓met`).
            let rest = line[r.route.len()..]
                .replace("✓ met", "✓met")
                .replace("! burn", "!burn")
                .replace("✗ viol", "✗viol");
            let mut row = BTreeMap::new();
            for (h, c) in header.iter().zip(rest.split_whitespace()) {
                row.entry(h.clone()).or_insert_with(|| c.to_string());
            }
            rows.insert(r.route.to_string(), row);
        }
    }
    rows
}

/// The dashboard's route table on the since-start window, every route
/// visible.
fn dashboard_rows(s: &Arc<Snapshot>) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut app = App::new(s.clone(), false);
    for _ in 0..s.windows.len() + 1 {
        if app.window_label() == "since start" {
            break;
        }
        press(&mut app, "w");
    }
    assert_eq!(app.window_label(), "since start");
    let height = s.routes.len() as u16 + 20;
    let mut t = Terminal::new(TestBackend::new(240, height)).unwrap();
    t.draw(|f| tui::render(f, &app)).unwrap();
    rows_of(&t.backend().to_string(), s)
}

/// A figure as people read it (`4.2MB`, `1m00s`, `19.1ms`, `0.6%`, `2.2k`)
/// → its value and half a unit of its last digit: two views that print a
/// figure with different precision agree when the values are that close.
fn value_of(cell: &str) -> Option<(f64, f64)> {
    let number = |n: &str, k: f64| -> Option<(f64, f64)> {
        let v = n.parse::<f64>().ok()?;
        let decimals = n.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
        Some((v * k, 0.5 * 10f64.powi(-decimals) * k))
    };
    if let Some((m, s)) = cell.split_once('m')
        && let (Ok(m), Some(s)) = (m.parse::<f64>(), s.strip_suffix('s'))
        && let Some((s, ulp)) = number(s, 1.0)
    {
        return Some((m * 60.0 + s, ulp));
    }
    let units: [(&str, f64); 14] = [
        ("ms", 1e-3),
        ("µs", 1e-6),
        ("us", 1e-6),
        ("h", 3600.0),
        ("s", 1.0),
        ("kB", 1e3),
        ("MB", 1e6),
        ("GB", 1e9),
        ("B", 1.0),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("%", 1.0),
        ("", 1.0),
    ];
    units
        .iter()
        .find_map(|(u, k)| cell.strip_suffix(u).and_then(|n| number(n, *k)))
}

/// A methods cell (`GET+2` in one view, `GET,POST,PUT` in another): the
/// busiest method and how many there are.
fn methods_of(cell: &str) -> (&str, usize) {
    match cell.split_once('+') {
        Some((m, n)) => (m, 1 + n.parse::<usize>().unwrap_or(usize::MAX)),
        None => (
            cell.split(',').next().unwrap_or(""),
            cell.split(',').count(),
        ),
    }
}

/// Every since-start figure of `--once` and of the live replay of `case`.
fn check(case: &Case) {
    check_with(case, false)
}

/// [`check`]; with `restart`, the live engine is stopped halfway and
/// resumes from its saved state (`--state`).
fn check_with(case: &Case, restart: bool) {
    // A follower waits for the end of a line that has none yet; `--once`
    // counts it (a bad line, usually: a file cut short). Both read a copy
    // whose last line is complete.
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (i, p) in case.paths.iter().enumerate() {
        let mut bytes = std::fs::read(p).unwrap();
        if bytes.last().is_some_and(|&b| b != b'\n') {
            bytes.push(b'\n');
        }
        let copy = dir
            .path()
            .join(format!("{i}-{}", p.file_name().unwrap().to_string_lossy()));
        std::fs::write(&copy, bytes).unwrap();
        paths.push(copy);
    }
    let case = &Case {
        name: case.name.clone(),
        paths,
        format: case.format.clone(),
        max_routes: case.max_routes,
        max_facets: case.max_facets,
        objectives: case.objectives,
        input_name: case.input_name.clone(),
    };
    let name = &case.name;
    let report = once(case);
    let mut want = report.batch.snapshot();
    // What `--once` adds to its batch's figures (`--slo`, `--apdex`).
    let (slo, apdex) = routetop::run::report_figures(&config(case), &report.batch);
    want.apdex = apdex.clone().map(Arc::new);
    let got = match restart {
        false => live(case, &want),
        true => live_restarted(case, &want),
    };

    // The engine's figures.
    let inputs = |s: &Snapshot| {
        s.inputs
            .iter()
            .map(|i| {
                (
                    i.name.clone(),
                    i.format.clone(),
                    i.lines,
                    i.requests,
                    i.errors,
                    i.odd,
                    i.variants.clone(),
                    i.samples.clone(),
                    // What the views show as unknown (`-`), not as 0.
                    (i.has_latency, i.has_upstream, i.has_bytes),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(inputs(&want), inputs(&got), "{name}: inputs");
    assert_eq!(want.bytes_known(), got.bytes_known(), "{name}: bytes known");
    assert_eq!(want.span, got.span, "{name}: log time span");
    assert_eq!(want.overflow, got.overflow, "{name}: overflow");
    assert_eq!(want.facets, got.facets, "{name}: backends and hosts");
    assert_eq!(want.buckets_us, got.buckets_us, "{name}: bucket bounds");
    let (wk, gk) = (sorted_keys(&want), sorted_keys(&got));
    assert_eq!(wk.len(), gk.len(), "{name}: keys");
    for (w, g) in wk.iter().zip(&gk) {
        assert_eq!(w, g, "{name}: key");
    }
    let (wr, gr) = (routes(&want), routes(&got));
    assert_eq!(
        wr.keys().collect::<Vec<_>>(),
        gr.keys().collect::<Vec<_>>(),
        "{name}: routes"
    );
    for (route, w) in &wr {
        assert_eq!(w, &gr[route], "{name}: route {route}");
    }
    assert_eq!(
        since_start(&want.total),
        since_start(&got.total),
        "{name}: total"
    );

    // No view shows a quantile above the exact maximum.
    for r in want.routes.iter().chain([&want.total]) {
        let t = &r.total;
        if t.timed > 0 {
            assert!(
                t.q_us.windows(2).all(|p| p[0] <= p[1]) && t.q_us[3] <= t.lat_max_us,
                "{name}: {}: quantiles {:?} max {}",
                r.route,
                t.q_us,
                t.lat_max_us
            );
        }
    }

    // The headless view's since-start summary (printed when every input
    // has ended).
    assert_lines_eq(
        name,
        "headless summary",
        &routetop::view::headless::final_summary(&want),
        &routetop::view::headless::final_summary(&got),
    );

    // What /metrics serves and --push sends.
    assert_lines_eq(name, "metrics", &exposition(&want), &exposition(&got));
    // A messy file's requests by variant there are the --once run's.
    let by_variant: BTreeMap<(String, String), u64> =
        render(&got, &RenderOptions::default(), &mut ScrapeState::default())
            .lines()
            .filter_map(net::parse_sample)
            .filter(|(n, _, _)| n == "routetop_lines_parsed_by_variant_total")
            .map(|(_, l, v)| ((l["source"].clone(), l["variant"].clone()), v as u64))
            .collect();
    let want_variants: BTreeMap<(String, String), u64> = want
        .inputs
        .iter()
        .flat_map(|i| {
            i.variants
                .iter()
                .map(|(v, n)| ((i.name.clone(), v.clone()), *n))
        })
        .collect();
    assert_eq!(
        by_variant, want_variants,
        "{name}: requests by variant in /metrics"
    );

    // The --once reports: the summary is the snapshot's figures.
    let s = &report.summary;
    assert_eq!(s.totals, want.total.total, "{name}: report totals");
    assert_eq!(s.span, got.span, "{name}: report span");
    for row in &s.routes {
        let live_row = &gr[&*row.route].total;
        assert_eq!(&row.row, live_row, "{name}: report row {}", row.route);
    }
    // (route, method, status) → (count, bytes, latency sum, max).
    type Entries = BTreeMap<(String, String, u16), (u64, u64, u64, u64)>;
    let mut entries = Entries::new();
    for k in got.keys.iter() {
        let e = entries
            .entry((k.route.to_string(), k.method.to_string(), k.status))
            .or_default();
        e.0 += k.count;
        e.1 += k.bytes;
        e.2 += k.lat_sum_us;
        e.3 = e.3.max(k.lat_max_us);
    }
    let report_entries: BTreeMap<_, _> = s
        .entries
        .iter()
        .map(|e| {
            (
                (e.route.to_string(), e.method.to_string(), e.status),
                (
                    e.row.requests,
                    e.row.bytes,
                    e.row.lat_sum_us,
                    e.row.lat_max_us,
                ),
            )
        })
        .collect();
    assert_eq!(report_entries, entries, "{name}: report entries");
    // Objectives and Apdex: the live engine's since-start figures are the
    // report's, per objective, per route and in all.
    assert_eq!(got.slo.len(), slo.len(), "{name}: objectives");
    for (g, (o, w)) in got.slo.iter().zip(&slo) {
        assert_eq!(g.name, o.name, "{name}: objective");
        assert_eq!(g.since, w.total, "{name}: {}: since start", o.name);
        assert_eq!(g.routes, w.routes, "{name}: {}: per route", o.name);
    }
    assert_eq!(got.apdex.as_deref(), apdex.as_ref(), "{name}: apdex");
    let data = ReportData {
        slo: &slo,
        apdex: apdex.as_ref(),
        summary: s,
        sources: &report.batch.sources,
        inputs: &report.batch.inputs,
    };
    let mut json = Vec::new();
    report::json(&mut json, &data, None).unwrap();
    let json: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        json["totals"]["requests"].as_u64(),
        Some(got.total.total.requests),
        "{name}: JSON totals"
    );
    for (i, input) in got.inputs.iter().enumerate() {
        let j = &json["inputs"][i];
        assert_eq!(j["lines"].as_u64(), Some(input.lines), "{name}: JSON lines");
        for kind in Odd::ALL {
            assert_eq!(
                j["odd_values"][kind.as_str()].as_u64(),
                Some(input.odd[kind.index()]),
                "{name}: JSON {kind}"
            );
        }
    }

    // The dashboard's since-start rows show what the --once table shows:
    // the same text where both print a figure alike, the same value to the
    // coarser precision where one prints more digits.
    let mut table = Vec::new();
    report::table(&mut table, &data, None).unwrap();
    let table = rows_of(&String::from_utf8(table).unwrap(), &want);
    let dash = dashboard_rows(&got);
    assert_eq!(table.len(), want.routes.len(), "{name}: --once table rows");
    for (route, cells) in &table {
        let Some(d) = dash.get(route) else {
            panic!("{name}: route {route} is in the --once table, not on the dashboard");
        };
        let mut compared = 0;
        for (col, t) in cells {
            let Some(v) = d.get(col) else { continue };
            compared += 1;
            // A report has no burn rates: a burning route is within its
            // objectives since start, which the report says as met.
            if col == "SLO" {
                let v = match v.as_str() {
                    "!burn" => "✓met",
                    "—" => "-",
                    v => v,
                };
                assert_eq!(t, v, "{name}: {route}: SLO");
                continue;
            }
            // No value: the report prints `-`, the dashboard `—`.
            let none = |c: &str| c == "-" || c == "—";
            if t == v || (none(t) && none(v)) {
                continue;
            }
            if col == "METHOD" {
                assert_eq!(methods_of(t), methods_of(v), "{name}: {route}: methods");
                continue;
            }
            let (Some((a, ua)), Some((b, ub))) = (value_of(t), value_of(v)) else {
                panic!("{name}: {route}: {col}: --once {t:?}, dashboard {v:?}");
            };
            let close = (a - b).abs() <= ua + ub + 1e-9 * a.abs();
            assert!(close, "{name}: {route}: {col}: --once {t}, dashboard {v}");
        }
        for col in ["SLO", "APDEX"].into_iter().filter(|_| case.objectives) {
            assert!(
                cells.contains_key(col) && d.contains_key(col),
                "{name}: {route}: no {col} column to compare: {cells:?} {d:?}"
            );
        }
        assert!(
            compared >= 8,
            "{name}: {route}: only {compared} shared columns: {cells:?} {d:?}"
        );
    }
}

fn sample(file: &str, format: Option<&str>) -> Case {
    Case {
        name: file.to_string(),
        paths: vec![root().join("sample-logs").join(file)],
        format: format.map(str::to_string),
        max_routes: None,
        max_facets: None,
        objectives: true,
        input_name: None,
    }
}

fn expected() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(root().join("sample-logs/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_sample_log_gives_the_same_figures_in_every_view() {
    for (file, exp) in expected() {
        check(&sample(
            &file,
            exp.get("format_spec").and_then(Value::as_str),
        ));
    }
}

/// Saved state: an engine stopped halfway, whose successor resumes from
/// the state file, ends with exactly the figures of `--once` (and so of an
/// engine that never stopped), in every view.
#[test]
fn a_restart_from_saved_state_gives_the_same_figures_in_every_view() {
    for (file, exp) in expected() {
        check_with(
            &sample(&file, exp.get("format_spec").and_then(Value::as_str)),
            true,
        );
    }
    let files = ["combined_rt.log", "dashed.log", "apache-common.log"];
    check_with(
        &Case {
            name: "three inputs, --max-routes 20, restarted".into(),
            paths: files
                .iter()
                .map(|f| root().join("sample-logs").join(f))
                .collect(),
            format: None,
            max_routes: Some(20),
            max_facets: None,
            objectives: true,
            input_name: None,
        },
        true,
    );
}

/// The live replays above are of the parallel backfill: a log in time
/// order spanning more than the log-time tail (10 s) is counted on all
/// cores but for its tail, objectives given or not (the workers count
/// their requests per minute: the tail need not reach back their 3-day
/// burn window). (W3C logs and logs out of time order are read whole the
/// line-by-line way: `run/backfill.rs`.)
#[test]
fn live_replays_are_counted_by_the_backfill_but_for_their_tail() {
    for file in [
        "combined_rt.log",
        "haproxy.log",
        "nginx-json.log",
        "alb.log",
    ] {
        let case = sample(file, None);
        assert!(case.objectives);
        let want = once(&case).batch.snapshot();
        let lines: u64 = want.inputs.iter().map(|i| i.lines).sum();
        let got = live(&case, &want);
        assert!(
            got.backfilled > 0 && got.backfilled < lines,
            "{file}: {} of {lines} lines backfilled",
            got.backfilled
        );
    }
}

#[test]
fn sample_logs_together_under_a_route_cap() {
    let files = ["combined_rt.log", "dashed.log", "apache-common.log"];
    check(&Case {
        name: "three inputs, --max-routes 20".into(),
        paths: files
            .iter()
            .map(|f| root().join("sample-logs").join(f))
            .collect(),
        format: None,
        max_routes: Some(20),
        max_facets: None,
        objectives: true,
        input_name: None,
    });
}

/// Two inputs of one name (config `name`): each per-input family holds
/// one series for them, their counts added up, the same from the live
/// engine (restarted from its saved state too: each takes its own saved
/// source back) as from `--once`.
#[test]
fn inputs_of_one_name_are_one_series_in_every_mode() {
    let files = ["combined_rt.log", "dashed.log"];
    check_with(
        &Case {
            name: "two inputs named web, restarted".into(),
            paths: files
                .iter()
                .map(|f| root().join("sample-logs").join(f))
                .collect(),
            format: None,
            max_routes: None,
            max_facets: None,
            objectives: true,
            input_name: Some("web".into()),
        },
        true,
    );
}

/// Writes `lines` to a fresh file in `dir`; the case reads it.
fn case_of(dir: &tempfile::TempDir, name: &str, lines: &[u8], format: Option<&str>) -> Case {
    let path = dir.path().join(format!("{}.log", name.replace(' ', "-")));
    std::fs::write(&path, lines).unwrap();
    Case {
        name: name.to_string(),
        paths: vec![path],
        format: format.map(str::to_string),
        max_routes: None,
        max_facets: None,
        objectives: true,
        input_name: None,
    }
}

/// Backends and hosts past their cap: the values kept, their counts and
/// what folds into `(other)` are the same whichever worker, backfill or
/// restart saw which lines, since the cap keeps the values smallest by
/// hash, not the first ones seen.
#[test]
fn backends_and_hosts_past_their_cap_are_the_same_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for i in 0..3000u32 {
        // 40 backends (some `-`: no backend), 9 hosts, 5 routes.
        let backend = match i % 41 {
            40 => "-".to_string(),
            b => format!("10.0.{}.{}:8080", b / 8, b % 8),
        };
        lines.extend_from_slice(
            format!(
                "10.0.0.1 - - [10/Mar/2024:00:{:02}:{:02} +0000] \"GET /r{}/{} HTTP/1.1\" {} 5 \"-\" \"ua\" h{}.example {} 0.{:03}\n",
                i / 60 % 60,
                i % 60,
                i % 5,
                i,
                [200, 200, 502, 404][(i % 4) as usize],
                i % 9,
                backend,
                i % 1000
            )
            .as_bytes(),
        );
    }
    let format = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $host $upstream_addr $request_time";
    let case = Case {
        max_facets: Some(6),
        ..case_of(&dir, "facets past the cap", &lines, Some(format))
    };
    let want = once(&case).batch.snapshot();
    let backends = want.facets.kinds[0].clone();
    assert_eq!(backends.folded, 34, "40 backends, 6 kept");
    assert_eq!(backends.totals.len(), 7, "6 kept and (other)");
    let all: u64 = backends.totals.iter().map(|v| v.counts.requests).sum();
    assert_eq!(all, 3000 - 3000 / 41 - u64::from(3000 % 41 > 40));
    assert_eq!(want.facets.kinds[1].folded, 3, "9 hosts, 6 kept");
    check(&case);
    check_with(&case, true);
}

fn combined(sec: u32, target: &[u8], status: &str, bytes: &str, time: &str) -> Vec<u8> {
    let mut l = format!(
        "10.0.0.1 - - [10/Mar/2024:00:{:02}:{:02} +0000] \"GET ",
        sec / 60 % 60,
        sec % 60
    )
    .into_bytes();
    l.extend_from_slice(target);
    l.extend_from_slice(format!(" HTTP/1.1\" {status} {bytes} \"-\" \"ua\" {time}\n").as_bytes());
    l
}

/// Three paths that differ only in invalid UTF-8 bytes were one label
/// value (`/x/��`) and three series with identical labels in `/metrics`;
/// promtool rejected the exposition. Each is its own route, named with
/// `\xHH` escapes, the same in every view; nginx's own escaped form of a
/// path is the same route as the raw bytes.
#[test]
fn invalid_utf8_paths_are_distinct_series() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Vec::new();
    for (i, target) in [
        &b"/x/\xff\xfe"[..],
        b"/x/\xff\xfd",
        b"/x/\xc3",
        b"/x/\\xFF\\xFE",
        "/x/café".as_bytes(),
        b"/x/\x1b[2J",
    ]
    .iter()
    .enumerate()
    {
        log.extend(combined(i as u32, target, "200", "10", "0.010"));
    }
    let case = case_of(&dir, "invalid utf-8", &log, None);
    check(&case);
    let once = once(&case).batch.snapshot();
    let mut names: Vec<(String, u64)> = once
        .routes
        .iter()
        .map(|r| (r.route.to_string(), r.total.requests))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("/x/\\x1B[2J".to_string(), 1),
            ("/x/\\xC3".to_string(), 1),
            ("/x/\\xFF\\xFD".to_string(), 1),
            ("/x/\\xFF\\xFE".to_string(), 2),
            ("/x/café".to_string(), 1),
        ]
    );
    if net::need(&["promtool"]) {
        let text = render(
            &once,
            &RenderOptions::default(),
            &mut ScrapeState::default(),
        );
        net::promtool_check_metrics(&text);
    }
}

/// Once the route cap is reached, a raw path whose name is a registered
/// route's (nginx's `\xFF` for a raw 0xFF byte) is that route, in both
/// modes, and only other names fold into the overflow.
#[test]
fn a_name_that_displays_as_a_registered_route_is_that_route_under_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Vec::new();
    log.extend(combined(0, b"/x/\xff", "200", "10", "0.010"));
    log.extend(combined(1, b"/y", "200", "10", "0.010"));
    for i in 0..50 {
        log.extend(combined(2 + i, b"/x/\\xFF", "200", "10", "0.020"));
        log.extend(combined(2 + i, b"/x/\xff", "500", "10", "0.020"));
        log.extend(combined(
            2 + i,
            format!("/z{i}").as_bytes(),
            "200",
            "10",
            "0.030",
        ));
    }
    let mut case = case_of(&dir, "alias under the cap", &log, None);
    case.max_routes = Some(2);
    check(&case);
    let once = once(&case).batch.snapshot();
    let count = |name: &str| {
        once.routes
            .iter()
            .find(|r| &*r.route == name)
            .map(|r| r.total.requests)
    };
    assert_eq!(count("/x/\\xFF"), Some(101));
    assert_eq!(count("/y"), Some(1));
    assert_eq!(count("(overflow)"), Some(50));
    assert_eq!(once.overflow.folded_routes, 50);
}

/// The hostile input of `tests/once.rs`: a 1 MiB line, invalid UTF-8, a
/// NUL, a terminal escape, a 3 MiB line longer than a read block, a huge
/// status, a hostile route — counted alike by both modes.
#[test]
fn hostile_input_gives_the_same_figures_in_every_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Vec::new();
    for i in 0..3000u32 {
        let target = format!("/api/items/{i}");
        log.extend(combined(i, target.as_bytes(), "200", "10", "0.010"));
        match i {
            10 => {
                log.extend(vec![b'x'; 1 << 20]);
                log.push(b'\n');
            }
            20 => log.extend_from_slice(b"\xff\xfe\x00 binary\n"),
            30 => log.extend_from_slice(b"\x1b[2J\x1b[31m evil terminal escape\n"),
            40 => log.extend(combined(i, b"/a\"b\\c\nd", "200", "10", "0.010")),
            50 => log.extend(combined(i, b"/x", "99999999999", "10", "0.010")),
            60 => log.extend(combined(
                i,
                b"/x",
                "200",
                "99999999999999999999999",
                "0.010",
            )),
            1500 => {
                let mut target = b"/".to_vec();
                target.extend(std::iter::repeat_n(b'a', 3 << 20));
                log.extend(combined(i, &target, "200", "1", "0.001"));
            }
            _ => {}
        }
    }
    check(&case_of(&dir, "hostile", &log, Some("combined_rt")));
}

/// One generated log line in one of the formats below.
#[derive(Clone, Debug)]
struct Gen {
    sec: u32,
    route: usize,
    id: u32,
    method: &'static str,
    status: &'static str,
    bytes: &'static str,
    time: &'static str,
    /// A malformed timestamp instead of the line's own.
    bad_ts: Option<&'static str>,
    junk: Option<&'static str>,
}

const ROUTES: &[&str] = &[
    "/",
    "/login",
    "/api/users/{}",
    "/api/users/{}/orders",
    "/static/app.{}.js",
    "/search?q={}",
    "/api/v2/items/{}/events/{}",
];

/// Formats the generated logs are written in, each with the `-f` it is
/// read with (`None`: detected).
const FORMATS: &[(&str, Option<&str>)] = &[
    ("combined_rt", None),
    ("common", None),
    (
        "dashed",
        Some("$remote_addr-[$time_local]-$request-$status-$request_time"),
    ),
    ("json", None),
];

fn gen_line() -> impl Strategy<Value = Gen> {
    (
        0..600u32,
        0..ROUTES.len(),
        0..5000u32,
        proptest::sample::select(vec!["GET", "GET", "GET", "POST", "PUT", "DELETE", "PURGE"]),
        proptest::sample::select(vec![
            "200", "200", "200", "201", "204", "301", "304", "400", "404", "499", "500", "502",
            "503", "000", "600", "999", "20", "2000", "2x0",
        ]),
        proptest::sample::select(vec!["512", "0", "-", "123456789", "18446744073709551616"]),
        proptest::sample::select(vec![
            "0.001", "0.010", "0.250", "1.5", "10", "0", "60.047", "-", "nan", "-1", "inf",
        ]),
        proptest::option::weighted(
            0.05,
            proptest::sample::select(vec![
                "99/Xyz/2024:00:00:00 +0000",
                "10/Mar/2024:25:61:61 +0000",
            ]),
        ),
        proptest::option::weighted(
            0.03,
            proptest::sample::select(vec!["", "garbage line", "{\"half\": ", "\u{1b}[2J"]),
        ),
    )
        .prop_map(
            |(sec, route, id, method, status, bytes, time, bad_ts, junk)| Gen {
                sec,
                bad_ts,
                route,
                id,
                method,
                status,
                bytes,
                time,
                junk,
            },
        )
}

fn write_line(format: &str, g: &Gen) -> String {
    if let Some(j) = g.junk {
        return format!("{j}\n");
    }
    let target = ROUTES[g.route].replace("{}", &g.id.to_string());
    let ts = match g.bad_ts {
        Some(t) => t.to_string(),
        None => format!(
            "10/Mar/2024:00:{:02}:{:02} +0000",
            g.sec / 60 % 60,
            g.sec % 60
        ),
    };
    let (method, status, bytes, time) = (g.method, g.status, g.bytes, g.time);
    match format {
        "combined_rt" => format!(
            "10.0.0.1 - - [{ts}] \"{method} {target} HTTP/1.1\" {status} {bytes} \"-\" \"ua\" {time}\n"
        ),
        "common" => {
            format!("10.0.0.1 - - [{ts}] \"{method} {target} HTTP/1.1\" {status} {bytes}\n")
        }
        "dashed" => format!("10.0.0.1-[{ts}]-{method} {target} HTTP/1.1-{status}-{time}\n"),
        _ => format!(
            "{{\"remote_addr\":\"10.0.0.1\",\"time_local\":\"{ts}\",\"request\":\"{method} {target} HTTP/1.1\",\"status\":\"{status}\",\"body_bytes_sent\":\"{bytes}\",\"request_time\":\"{time}\"}}\n"
        ),
    }
}

/// Generated logs: random formats among the presets, routes, methods,
/// statuses (odd ones too), byte counts and timers (integers, `-`, NaN,
/// negative), lines out of time order, junk lines between. Fixed seed:
/// the same cases on every run.
#[test]
fn generated_logs_give_the_same_figures_in_every_view() {
    let mut runner = TestRunner::new_with_rng(
        PropConfig {
            cases: 12,
            failure_persistence: None,
            ..PropConfig::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::XorShift),
    );
    let strategy = (
        0..FORMATS.len(),
        proptest::collection::vec(gen_line(), 1..1500),
        proptest::option::of(1..12usize),
    );
    let dir = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&strategy, |(f, lines, cap)| {
            let (format, spec) = FORMATS[f];
            let mut text = String::new();
            // The first lines are good ones: detection needs a format to
            // find (a log of junk alone is an error in both modes).
            let first = Gen {
                junk: None,
                status: "200",
                bytes: "1",
                time: "0.001",
                bad_ts: None,
                ..lines[0].clone()
            };
            for g in std::iter::repeat_n(&first, 3).chain(&lines) {
                text.push_str(&write_line(format, g));
            }
            let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut case = case_of(
                &dir,
                &format!("generated {i} {format}"),
                text.as_bytes(),
                spec,
            );
            case.max_routes = cap;
            check(&case);
            Ok(())
        })
        .unwrap();
}

/// The real binary's stdout, which must exit 0.
fn routetop_ok(args: &[&str]) -> String {
    binary::stdout_ok(&mut binary::routetop(args))
}

type Samples = BTreeMap<(String, Vec<(String, String)>), f64>;

/// The since-start samples of an exposition, without the labels a
/// Pushgateway adds (`job`, `instance`).
fn since_start_samples(body: &str, job: Option<&str>) -> Samples {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(net::parse_sample)
        .filter(|(name, labels, _)| {
            let family = SINCE_START_FAMILIES.iter().any(|f| {
                name.strip_prefix(f)
                    .is_some_and(|rest| ["", "_bucket", "_sum", "_count"].contains(&rest))
            });
            family && job.is_none_or(|j| labels.get("job").map(String::as_str) == Some(j))
        })
        .map(|(name, mut labels, v)| {
            labels.remove("job");
            labels.remove("instance");
            ((name, labels.into_iter().collect()), v)
        })
        .collect()
}

/// The real binary both ways on one sample log: what `--once --push` left
/// in a real Pushgateway is, sample for sample, what a headless replay
/// (`--from-start --window-by log`) serves on `/metrics` once it has read
/// every line.
#[test]
fn once_push_and_a_live_replays_metrics_are_the_same_samples() {
    if !net::need(&["prometheus-pushgateway"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let gw_port = net::free_port();
    let gw: std::net::SocketAddr = format!("127.0.0.1:{gw_port}").parse().unwrap();
    let _gw = net::Proc::spawn(
        std::process::Command::new("prometheus-pushgateway")
            .arg(format!("--web.listen-address={gw}"))
            .arg(format!(
                "--persistence.file={}",
                dir.path().join("pg").display()
            )),
        "prometheus-pushgateway",
    );
    assert!(
        net::wait_ok(gw, "/-/ready", Duration::from_secs(20)),
        "pushgateway did not start"
    );
    let sample = "sample-logs/combined_rt.log";
    routetop_ok(&[
        "--once",
        "--push",
        &format!("http://{gw}"),
        "--job",
        "diff",
        sample,
    ]);
    let pushed = since_start_samples(&net::get(gw, "/metrics", &[]).unwrap().body, Some("diff"));

    let port = net::free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let _live = net::Proc::spawn(
        std::process::Command::new(env!("CARGO_BIN_EXE_routetop"))
            .current_dir(root())
            .args(["--headless", "--from-start", "--window-by", "log"])
            .args(["--metrics", &addr.to_string(), sample]),
        "routetop",
    );
    let read_all = format!("routetop_lines_read_total{{source=\"{sample}\"}} 2000\n");
    let served = net::wait_for(Duration::from_secs(30), || {
        net::get(addr, "/metrics", &[])
            .ok()
            .map(|r| r.body)
            .filter(|b| b.contains(&read_all))
    })
    .expect("every line read and exported");
    let served = since_start_samples(&served, None);
    assert!(pushed.len() > 500, "{} samples pushed", pushed.len());
    let differ: Vec<_> = pushed
        .iter()
        .filter(|(k, v)| served.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k:?}: pushed {v}, served {:?}", served.get(k)))
        .chain(
            served
                .keys()
                .filter(|k| !pushed.contains_key(*k))
                .map(|k| format!("{k:?}: served, not pushed")),
        )
        .take(10)
        .collect();
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// Issue 17, finding 3: `--once -o csv` on this sample said p99.9
/// 60.293119 s for `/`, whose slowest request took 60.047 s, and the table
/// `/login … 389ms 388ms` (the top of an HDR bucket). No quantile is above
/// the exact maximum, in any row of the CSV, the table or the JSON.
#[test]
fn percentiles_never_exceed_the_exact_max() {
    let run = routetop_ok;
    let csv = run(&["--once", "-o", "csv", "sample-logs/combined_rt.log"]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let qs = ["p50", "p90", "p99", "p999", "max"].map(col);
    let mut rows = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let v: Vec<f64> = qs.iter().map(|&i| cells[i].parse().unwrap()).collect();
        assert!(v.windows(2).all(|p| p[0] <= p[1]), "{line}");
        match cells[0] {
            "/" => assert_eq!(v[3..], [60.047, 60.047]),
            "/login" => assert_eq!(v[3..], [0.388, 0.388]),
            _ => {}
        }
        rows += 1;
    }
    assert!(rows > 40, "{rows} rows");
    let table = run(&["--once", "sample-logs/combined_rt.log"]);
    let login = table.lines().find(|l| l.starts_with("/login ")).unwrap();
    assert!(login.contains(" 388ms   388ms "), "{login}");
    let json: Value = serde_json::from_str(&run(&[
        "--once",
        "-o",
        "json",
        "sample-logs/combined_rt.log",
    ]))
    .unwrap();
    let mut checked = 0;
    for e in json["entries"].as_array().unwrap() {
        let l = &e["latency"];
        if l["count"].as_u64() > Some(0) {
            assert!(l["p999"].as_f64() <= l["max"].as_f64(), "{e}");
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} entries");
}

/// An IIS log whose `#Fields:` header changes twice (a restart with other
/// columns, then back), far enough in for the changes to fall in the
/// second and third 1 MiB blocks of `--once`: each block is parsed under
/// the header in force at its start whichever worker reads it, and the
/// live replay follows the same headers line by line. Exact counts.
#[test]
fn w3c_header_change_mid_file_reads_the_same_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    let first = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2024-03-10 00:00:00\n#Fields: date time cs-method cs-uri-stem cs-uri-query sc-status time-taken\n";
    let second = "#Software: Microsoft Internet Information Services 10.0\n#Fields: sc-status sc-bytes cs-uri-stem time-taken cs-method date time\n";
    let mut log = String::from(first);
    let n = 25_000;
    for i in 0..n {
        let t = format!("00:{:02}:{:02}", i / 60 % 60, i % 60);
        log.push_str(&format!("2024-03-10 {t} GET /a - 200 {}\n", i % 7));
    }
    log.push_str(second);
    for i in 0..n {
        let t = format!("01:{:02}:{:02}", i / 60 % 60, i % 60);
        log.push_str(&format!("404 100 /b/{i} 3 POST 2024-03-10 {t}\n"));
    }
    log.push_str(first);
    for i in 0..n {
        let t = format!("02:{:02}:{:02}", i / 60 % 60, i % 60);
        log.push_str(&format!("2024-03-10 {t} GET /c q={i} 500 12\n"));
    }
    assert!(
        log.len() > 2 * (1 << 20),
        "the changes are past the first block"
    );
    let case = case_of(&dir, "iis header change", log.as_bytes(), None);
    check(&case);
    let report = once(&case);
    let input = &report.batch.inputs[0];
    assert_eq!(
        (
            input.lines,
            input.requests,
            input.headers,
            input.error_total()
        ),
        (3 * n + 10, 3 * n, 10, 0)
    );
    assert_eq!(report.batch.sources[0].format.as_deref(), Some("iis"));
    let snap = report.batch.snapshot();
    let mut names: Vec<(String, u64)> = snap
        .routes
        .iter()
        .map(|r| (r.route.to_string(), r.total.requests))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("/a".to_string(), n),
            ("/b/:id".to_string(), n),
            ("/c".to_string(), n),
        ]
    );
    assert_eq!(snap.total.total.bytes, n * 100);
}

/// A messy file behind a shipper's prefix (here `docker compose logs`)
/// was detected again after a restart, from the lines after the mark:
/// another set of variants, in another order, while the saved counts by
/// variant were the first set's, so `/metrics` gave one variant's
/// requests to another. The saved name now rebuilds the same format,
/// prefix and all.
#[test]
fn a_prefixed_messy_log_keeps_its_variants_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read(root().join("sample-logs/messy-late.log")).unwrap();
    let mut lines = Vec::new();
    for l in text.split_inclusive(|&c| c == b'\n') {
        lines.extend_from_slice(b"web-1  | ");
        lines.extend_from_slice(l);
    }
    check_with(
        &case_of(&dir, "messy-late behind docker", &lines, None),
        true,
    );
}
