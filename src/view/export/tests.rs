//! Exposition tests: insta snapshots of the texts for fixed snapshots
//! (`src/view/export/snapshots/`, beside these tests as the dashboard's are
//! beside `view/tui/tests/`; review changes with `cargo insta review`, or
//! `INSTA_UPDATE=always cargo test --lib view::export` and read the git
//! diff), exact values checked by hand, the max gauge's per-scrape memory,
//! and `promtool check metrics` (skipped, saying so, when promtool is
//! missing; Debian package `prometheus`).

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::engine::InputState;
use crate::engine::snapshot::{InputSnap, KeySnap, RouteSnap, Series, TimerSnap, WindowStats};
use crate::engine::summary::Row;
use crate::testkit;

/// `text` against the insta snapshot `name`, byte for byte. insta compares
/// texts with trailing whitespace trimmed and CRLF read as LF, and the
/// exposition formats need their final newline; so the end of the text is
/// checked here, exactly one `\n`, and that no line ends in `\r\n`.
fn exposition(name: &str, text: &str) {
    assert_eq!(
        &text[text.trim_end().len()..],
        "\n",
        "{name}: an exposition ends with exactly one newline"
    );
    assert!(!text.contains("\r\n"), "{name}: a CRLF line ending");
    // The build's own facts change with every commit and day: the
    // snapshots hold placeholders (`build_info_labels_are_the_version`
    // checks the real values).
    let text = text.replace(&build_info_labels(), BUILD_INFO_PLACEHOLDER);
    insta::assert_snapshot!(name, text);
}

const BUILD_INFO_PLACEHOLDER: &str = "routetop_build_info{version=\"0.1.0\",revision=\"[revision]\",build_date=\"[date]\",rustc=\"[rustc]\"}";

/// The labels of `routetop_build_info` in this build, as exposed.
fn build_info_labels() -> String {
    format!(
        "routetop_build_info{{version=\"{}\",revision=\"{}\",build_date=\"{}\",rustc=\"{}\"}}",
        crate::version::VERSION,
        crate::version::REVISION,
        crate::version::BUILD_DATE,
        crate::version::rustc_version()
    )
}

#[test]
fn build_info_labels_are_the_version() {
    let text = render_as(
        &hostile(),
        &RenderOptions::default(),
        &mut ScrapeState::default(),
        Format::Text,
    );
    let line = format!("\n{} 1\n", build_info_labels());
    assert!(text.contains(&line), "{line:?} not in:\n{text}");
    assert!(crate::version::LONG.starts_with(&format!(
        "{} (rev {}, built {})",
        crate::version::VERSION,
        crate::version::REVISION,
        crate::version::BUILD_DATE
    )));
}

/// `assert_eq!` for long texts: names the first line that differs.
fn same(what: &str, want: &str, got: &str) {
    if want != got {
        for (i, (w, g)) in want.lines().zip(got.lines()).enumerate() {
            assert_eq!(w, g, "{what}: first difference at line {}", i + 1);
        }
        assert_eq!(
            want.lines().count(),
            got.lines().count(),
            "{what}: line count"
        );
        panic!("{what}: differs (line endings?)");
    }
}

fn fresh(snap: &Snapshot, opts: &RenderOptions) -> String {
    render(snap, opts, &mut ScrapeState::default())
}

/// Runs `promtool check metrics` on `text`; `None` when promtool is absent
/// (a skip, said on stderr), except where the tools must be there: with
/// `CI` or `ROUTETOP_REQUIRE_TOOLS` set (scripts/test.sh installs promtool
/// and sets the latter) a missing promtool fails the test, as in
/// `tests/net`, instead of hiding a broken install.
pub(crate) fn promtool_check(text: &str) -> Option<(bool, String)> {
    let mut child = match Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            let msg = format!("promtool not found ({e}; apt-get install prometheus)");
            if std::env::var_os("CI").is_some()
                || std::env::var_os("ROUTETOP_REQUIRE_TOOLS").is_some()
            {
                panic!("{msg}");
            }
            eprintln!("SKIPPED: {msg}");
            return None;
        }
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let msg =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Some((out.status.success() && msg.trim().is_empty(), msg))
}

/// A route name and an input name with every character the text format
/// must escape or carry as is.
const EVIL_ROUTE: &str = "/evil\"quote\\back\nnew\rret\u{1b}[31m\u{fffd}é";
const EVIL_SOURCE: &str = "/logs/\"odd\"\\name.log";

fn hostile() -> Snapshot {
    let mut s = testkit::empty();
    s.inputs[0].name = EVIL_SOURCE.into();
    s.inputs[0].lines = 3;
    s.inputs[0].requests = 3;
    s.inputs[0].has_bytes = true;
    s.inputs.push(InputSnap {
        source: 1,
        name: "second".into(),
        ..s.inputs[0].clone()
    });
    let route: Arc<str> = Arc::from(EVIL_ROUTE);
    s.keys = Arc::from(vec![KeySnap {
        source: 0,
        route: route.clone(),
        method: Arc::from("GET"),
        status: 200,
        count: 3,
        bytes: 30,
        timed: 3,
        lat_sum_us: 12_000,
        lat_max_us: 8_000,
        buckets: vec![1, 1, 1],
        upstream: Some(TimerSnap {
            timed: 2,
            sum_us: 30_000,
            max_us: 29_000,
            buckets: vec![1, 0, 0],
        }),
    }]);
    s.routes = vec![RouteSnap {
        route,
        total: Row {
            requests: 3,
            timed: 3,
            lat_sum_us: 12_000,
            lat_max_us: 8_000,
            q_us: [4_000, 8_000, 8_000, 8_000],
            ..Default::default()
        },
        ..Default::default()
    }];
    s
}

#[test]
fn snapshot_fixture_text() {
    exposition(
        "fixture_prom",
        &fresh(&testkit::snapshot(), &RenderOptions::default()),
    );
}

#[test]
fn snapshot_fixture_openmetrics() {
    let text = render_as(
        &testkit::snapshot(),
        &RenderOptions::default(),
        &mut ScrapeState::default(),
        Format::OpenMetrics,
    );
    exposition("fixture_om", &text);
}

#[test]
fn snapshot_empty() {
    exposition(
        "empty_prom",
        &fresh(&testkit::empty(), &RenderOptions::default()),
    );
}

#[test]
fn snapshot_hostile_labels() {
    let text = fresh(&hostile(), &RenderOptions::default());
    exposition("hostile_prom", &text);
    // The escapes, spelled out: quote, backslash and newline escaped; the
    // carriage return, ESC and non-ASCII carried as they are.
    let want = "http_requests_total{route=\"/evil\\\"quote\\\\back\\nnew\rret\u{1b}[31m\u{fffd}é\",\
                method=\"GET\",status=\"200\",source=\"/logs/\\\"odd\\\"\\\\name.log\"} 3\n";
    assert!(text.contains(want), "{text}");
}

#[test]
fn hand_checked_values() {
    let mut snap = testkit::snapshot();
    // 2 bad_timer, 1 bad_time.
    snap.inputs[0].odd = [2, 1];
    let text = fresh(&snap, &RenderOptions::default());
    let key = r#"route="/login",method="POST",status="503",source="/var/log/nginx/api.log""#;
    // Per-bucket [0, 0, 0, 0, 2, 3, 3, 1] over 5ms…1s, 10 timed, 9 s total.
    for line in [
        format!("http_request_duration_seconds_bucket{{{key},le=\"0.05\"}} 0"),
        format!("http_request_duration_seconds_bucket{{{key},le=\"0.1\"}} 2"),
        format!("http_request_duration_seconds_bucket{{{key},le=\"0.25\"}} 5"),
        format!("http_request_duration_seconds_bucket{{{key},le=\"0.5\"}} 8"),
        format!("http_request_duration_seconds_bucket{{{key},le=\"1\"}} 9"),
        format!("http_request_duration_seconds_bucket{{{key},le=\"+Inf\"}} 10"),
        format!("http_request_duration_seconds_sum{{{key}}} 9"),
        format!("http_request_duration_seconds_count{{{key}}} 10"),
        format!("http_requests_total{{{key}}} 10"),
        format!("http_response_size_bytes_total{{{key}}} 5000"),
    ] {
        assert!(text.contains(&format!("{line}\n")), "missing {line}");
    }
    // No upstream data in the fixture: no upstream family at all.
    assert!(!text.contains("upstream"));
    // Windowed quantiles of /login's 1m window, in seconds.
    assert!(text.contains(
        "http_request_duration_window_seconds{route=\"/login\",quantile=\"0.99\"} 0.31\n"
    ));
    assert!(text.contains("over the last 1m"));
    assert!(text.contains("routetop_lines_unparsed_total{reason=\"no_match\",source=\"/var/log/nginx/access.log\"} 9\n"));
    assert!(text.contains(
        "routetop_odd_values_total{kind=\"bad_timer\",source=\"/var/log/nginx/access.log\"} 2\n"
    ));
    assert!(text.contains(
        "routetop_odd_values_total{kind=\"bad_time\",source=\"/var/log/nginx/access.log\"} 1\n"
    ));
}

/// A status is three digits as logged: nginx's `000` is `status="000"`,
/// not `"0"` (which no log line says), and `099` is `"099"`.
#[test]
fn status_label_is_three_digits_for_other_class() {
    let mut s = hostile();
    let mut keys = s.keys.to_vec();
    keys.push(KeySnap {
        status: 0,
        ..keys[0].clone()
    });
    keys.push(KeySnap {
        status: 99,
        ..keys[0].clone()
    });
    keys.push(KeySnap {
        status: 999,
        ..keys[0].clone()
    });
    s.keys = Arc::from(keys);
    let text = fresh(&s, &RenderOptions::default());
    let statuses: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .filter_map(|l| l.split("status=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(statuses, ["000", "099", "200", "999"]);
}

#[test]
fn one_input_has_no_source_label() {
    let mut s = testkit::snapshot();
    s.inputs.truncate(1);
    let text = fresh(&s, &RenderOptions::default());
    assert!(
        text.contains("http_requests_total{route=\"/login\",method=\"POST\",status=\"503\"} 10\n")
    );
    assert!(!text.contains("source=\"0\""));
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("http_") && l.contains("source="))
    );
}

/// No input's format logs a size (`Snapshot::bytes_known`): no
/// `http_response_size_bytes_total` series at all, as there is no latency
/// histogram without a timer; the other families are as before. One input
/// with a size field, and the series are back, zeros included.
#[test]
fn no_bytes_family_when_no_input_logs_a_size() {
    let mut s = testkit::snapshot();
    s.total.total.bytes = 0;
    for i in &mut s.inputs {
        i.has_bytes = false;
    }
    let text = fresh(&s, &RenderOptions::default());
    assert!(!text.contains("http_response_size_bytes"), "{text}");
    assert!(text.contains("http_requests_total{"), "{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "{text}"
    );
    s.inputs[0].has_bytes = true;
    let text = fresh(&s, &RenderOptions::default());
    let n = |t: &str, f: &str| t.lines().filter(|l| l.starts_with(f)).count();
    assert_eq!(
        n(&text, "http_response_size_bytes_total{"),
        n(&text, "http_requests_total{")
    );
}

#[test]
fn namespace_prefixes_http_families_only() {
    let opts = RenderOptions {
        namespace: Some("edge".into()),
        ..Default::default()
    };
    let text = fresh(&testkit::snapshot(), &opts);
    assert!(text.contains("# TYPE edge_http_requests_total counter\n"));
    assert!(text.contains("# TYPE edge_http_request_duration_seconds histogram\n"));
    assert!(text.contains("# TYPE edge_http_request_duration_seconds_max gauge\n"));
    assert!(text.contains("# TYPE routetop_lines_read_total counter\n"));
    assert!(!text.lines().any(|l| l.starts_with("http_")));
}

#[test]
fn max_gauge_can_be_off() {
    let opts = RenderOptions {
        max_gauge: false,
        ..Default::default()
    };
    let text = fresh(&testkit::snapshot(), &opts);
    assert!(!text.contains("_max"));
    assert!(text.contains("http_requests_total"));
}

#[test]
fn time_zero_request_counts_in_first_bucket() {
    let mut s = hostile();
    let mut keys = s.keys.to_vec();
    keys[0].buckets = vec![3, 0, 0];
    keys[0].lat_sum_us = 0;
    s.keys = keys.into();
    let text = fresh(&s, &RenderOptions::default());
    assert!(text.contains("le=\"0.005\"} 3\n"), "{text}");
    assert!(text.contains("\"} 0\n"));
}

#[test]
fn batch_snapshot_states_since_start() {
    let mut s = testkit::snapshot();
    s.windows.clear();
    for r in &mut s.routes {
        r.windows.clear();
        r.series = Arc::new(Series::default());
    }
    s.total.series = Arc::new(Series::default());
    let text = fresh(&s, &RenderOptions::default());
    assert!(text.contains("per route since start"));
    // Since-start quantiles and maximum of /login.
    assert!(text.contains(
        "http_request_duration_window_seconds{route=\"/login\",quantile=\"0.999\"} 0.9\n"
    ));
    assert!(text.contains("http_request_duration_seconds_max{route=\"/login\"} 1.2\n"));
}

#[test]
fn empty_window_quantiles_are_nan() {
    let mut s = testkit::snapshot();
    s.routes[0].windows[0] = WindowStats {
        length: Duration::from_secs(60),
        ..Default::default()
    };
    let text = fresh(&s, &RenderOptions::default());
    let name = &s.routes[0].route;
    assert!(text.contains(&format!(
        "http_request_duration_window_seconds{{route=\"{name}\",quantile=\"0.5\"}} NaN\n"
    )));
}

/// One route whose series has `max_us` per 1 s step, at `uptime` ms (the
/// series ends at the step in progress).
fn stepped(uptime: u64, max_us: &[u64]) -> Snapshot {
    let mut s = hostile();
    let series = Arc::new(Series {
        step: Duration::from_secs(1),
        end: uptime / 1000,
        max_us: max_us.to_vec(),
        ..Default::default()
    });
    s.uptime = Duration::from_millis(uptime);
    s.total.series = series.clone();
    s.routes[0].series = series;
    s
}

fn max_value(text: &str) -> &str {
    text.lines()
        .find(|l| l.starts_with("http_request_duration_seconds_max{"))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap()
}

#[test]
fn max_gauge_covers_steps_since_previous_scrape() {
    let opts = RenderOptions::default();
    let mut st = ScrapeState::default();
    // First scrape: the whole series.
    let t = render(
        &stepped(10_500, &[9_000, 1_000, 2_000, 3_000]),
        &opts,
        &mut st,
    );
    assert_eq!(max_value(&t), "0.009");
    // 2.2 s later, two step boundaries crossed (10, 11 → 12): the last two.
    let t = render(
        &stepped(12_700, &[2_000, 3_000, 7_000, 4_000]),
        &opts,
        &mut st,
    );
    assert_eq!(max_value(&t), "0.007");
    // Scraped again within the same step: still the latest step.
    let t = render(
        &stepped(12_900, &[2_000, 3_000, 7_000, 4_000]),
        &opts,
        &mut st,
    );
    assert_eq!(max_value(&t), "0.004");
    // More new steps than the series holds: all of it.
    let t = render(
        &stepped(30_000, &[1_000, 6_000, 2_000, 500]),
        &opts,
        &mut st,
    );
    assert_eq!(max_value(&t), "0.006");
    // The engine restarted (uptime went back): the whole series again.
    let t = render(&stepped(1_000, &[5_000, 100]), &opts, &mut st);
    assert_eq!(max_value(&t), "0.005");
    // A separate consumer (the push loop) keeps its own memory.
    let t = render(
        &stepped(1_000, &[5_000, 100]),
        &opts,
        &mut ScrapeState::default(),
    );
    assert_eq!(max_value(&t), "0.005");
}

#[test]
fn text_matches_prometheus_text_encoder() {
    use prometheus::Encoder;
    for snap in [testkit::snapshot(), testkit::empty(), hostile()] {
        let fams = families(
            &snap,
            &RenderOptions::default(),
            &mut ScrapeState::default(),
        );
        let mut theirs = Vec::new();
        prometheus::TextEncoder::new()
            .encode(&fams, &mut theirs)
            .unwrap();
        same(
            "TextEncoder",
            &String::from_utf8(theirs).unwrap(),
            &text::encode(&fams, Format::Text),
        );
    }
}

#[test]
fn collector_in_a_registry_gathers_the_same() {
    use prometheus::Encoder;
    let (_tx, rx) = tokio::sync::watch::channel(Arc::new(testkit::snapshot()));
    let reg = prometheus::Registry::new();
    reg.register(Box::new(SnapshotCollector::new(
        rx,
        RenderOptions::default(),
    )))
    .unwrap();
    let mut buf = Vec::new();
    prometheus::TextEncoder::new()
        .encode(&reg.gather(), &mut buf)
        .unwrap();
    same(
        "registry",
        &String::from_utf8(buf).unwrap(),
        &fresh(&testkit::snapshot(), &RenderOptions::default()),
    );
}

#[test]
fn openmetrics_names_and_eof() {
    let text = render_as(
        &hostile(),
        &RenderOptions::default(),
        &mut ScrapeState::default(),
        Format::OpenMetrics,
    );
    assert!(text.ends_with("\n# EOF\n"));
    assert!(text.contains("# TYPE http_requests counter\n"));
    assert!(text.contains("# TYPE routetop_build info\n"));
    assert!(text.contains("routetop_build_info{version=\""));
    assert!(text.contains(",le=\"1.0\"}") || text.contains(",le=\"0.005\"}"));
    assert!(text.contains(",quantile=\"0.5\"}"));
}

#[test]
fn content_negotiation() {
    use Format::*;
    let prometheus_2 = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    for (accept, want) in [
        (None, Text),
        (Some("*/*"), Text),
        (Some("text/plain"), Text),
        (Some(prometheus_2), OpenMetrics),
        (Some("application/openmetrics-text"), OpenMetrics),
        (Some("application/openmetrics-text; version=0.0.1"), Text),
        (
            Some("application/openmetrics-text;q=0.2,text/plain;q=0.9"),
            Text,
        ),
        (Some("application/openmetrics-text;q=0"), Text),
    ] {
        assert_eq!(Format::negotiate(accept), want, "{accept:?}");
    }
}

#[test]
fn promtool_accepts_the_text() {
    for (name, snap) in [
        ("fixture", testkit::snapshot()),
        ("empty", testkit::empty()),
        ("hostile", hostile()),
    ] {
        let text = fresh(&snap, &RenderOptions::default());
        let Some((ok, msg)) = promtool_check(&text) else {
            return;
        };
        assert!(ok, "{name}: promtool check metrics: {msg}");
    }
}

#[test]
fn promtool_would_catch_a_bad_exposition() {
    // The check above is only worth something if promtool rejects bad
    // text: a counter without _total and a broken label.
    let Some((ok, _)) = promtool_check("# TYPE x counter\nx{a=\"b} 1\n") else {
        return;
    };
    assert!(!ok);
}

/// A messy file's requests by variant (issue 18): one counter per input
/// and variant, the variants in the order they are tried, with HELP and
/// TYPE; an input read by one format has none, and a snapshot without
/// such an input has no family at all.
#[test]
fn variant_lines_are_counted_per_input_and_variant() {
    let mut snap = testkit::snapshot();
    let name = snap.inputs[0].name.clone();
    snap.inputs[0].variants = vec![
        ("combined".into(), 1800),
        ("common".into(), 150),
        ("nginx '$remote_addr \"x\"'".into(), 50),
    ];
    let text = fresh(&snap, &RenderOptions::default());
    let family: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("routetop_lines_parsed_by_variant_total"))
        .collect();
    let want = [
        "# HELP routetop_lines_parsed_by_variant_total Lines parsed as requests by each variant of a messy file's format (auto: several line templates, each line by the first that fits), per input; only inputs read by several.".to_string(),
        "# TYPE routetop_lines_parsed_by_variant_total counter".to_string(),
        format!("routetop_lines_parsed_by_variant_total{{source=\"{name}\",variant=\"combined\"}} 1800"),
        format!("routetop_lines_parsed_by_variant_total{{source=\"{name}\",variant=\"common\"}} 150"),
        format!("routetop_lines_parsed_by_variant_total{{source=\"{name}\",variant=\"nginx '$remote_addr \\\"x\\\"'\"}} 50"),
    ];
    assert_eq!(family, want);
    let plain = fresh(&testkit::snapshot(), &RenderOptions::default());
    assert!(!plain.contains("routetop_lines_parsed_by_variant_total"));
}

#[test]
fn input_states_are_all_listed() {
    let mut s = testkit::empty();
    s.inputs[0].state = InputState::Error("gone".into());
    let text = fresh(&s, &RenderOptions::default());
    for st in ["done", "following", "waiting", "rotated"] {
        assert!(text.contains(&format!("routetop_inputs{{state=\"{st}\"}} 0\n")));
    }
    assert!(text.contains("routetop_inputs{state=\"error\"} 1\n"));
}

#[test]
fn render_cache_gives_exactly_what_render_gives() {
    let opts = RenderOptions {
        namespace: Some("ns".into()),
        ..Default::default()
    };
    let (mut st_a, mut st_b) = (ScrapeState::default(), ScrapeState::default());
    let mut cache = RenderCache::default();
    let first = Arc::new(stepped(10_500, &[9_000, 1_000, 2_000, 3_000]));
    let second = Arc::new(stepped(12_700, &[2_000, 3_000, 7_000, 4_000]));
    // Same snapshot twice (the max gauge changes), a format switch, a new
    // snapshot, and the old one again.
    for (snap, format) in [
        (&first, Format::Text),
        (&first, Format::Text),
        (&first, Format::OpenMetrics),
        (&second, Format::OpenMetrics),
        (&second, Format::Text),
        (&first, Format::Text),
    ] {
        let want = render_as(snap, &opts, &mut st_a, format);
        let got = cache.render(snap, &opts, &mut st_b, format);
        same("cache", &want, &got);
    }
    // The max gauge is there, between its neighbours.
    let t = cache.render(&second, &opts, &mut st_b, Format::Text);
    assert!(t.contains("# TYPE ns_http_request_duration_seconds_max gauge\n"));
    let off = RenderOptions {
        max_gauge: false,
        ..Default::default()
    };
    let mut c2 = RenderCache::default();
    same(
        "no max",
        &render(&testkit::snapshot(), &off, &mut ScrapeState::default()),
        &c2.render(
            &Arc::new(testkit::snapshot()),
            &off,
            &mut ScrapeState::default(),
            Format::Text,
        ),
    );
}

/// The fixture with everything [`families`] can show: upstream timings on
/// a key (the fixture has none) and routes folded into `(overflow)`.
fn richest() -> Snapshot {
    let mut s = testkit::snapshot();
    let mut keys = s.keys.to_vec();
    keys[0].upstream = Some(TimerSnap {
        timed: 10_000,
        sum_us: 35_000_000,
        max_us: 900_000,
        buckets: vec![5_500, 2_500, 1_000, 500, 300, 150, 40, 9],
    });
    s.keys = keys.into();
    s.overflow.routes = 4;
    s.overflow.folded_routes = 17;
    s.overflow.requests = 250;
    s.inputs[0].variants = vec![("combined".into(), 900), ("common".into(), 100)];
    s.facets = testkit::snapshot_with_facets().facets;
    s
}

/// Every combination of the render options.
fn all_options() -> Vec<RenderOptions> {
    let mut v = Vec::new();
    for namespace in [None, Some("edge".to_string())] {
        for max_gauge in [false, true] {
            for status in [StatusLabel::Code, StatusLabel::Class] {
                for summary in [false, true] {
                    for slo in [Vec::new(), slo_objectives()] {
                        v.push(RenderOptions {
                            namespace: namespace.clone(),
                            max_gauge,
                            status,
                            summary,
                            slo: slo.into(),
                        });
                    }
                }
            }
        }
    }
    v
}

/// A family's name, help and label names, as declared or as emitted.
#[derive(Debug, PartialEq)]
struct Shape {
    help: String,
    labels: Vec<String>,
}

/// What `descs(opts)` declares, by name, with the summary's window phrase
/// made the one `snap` would state.
fn declared(opts: &RenderOptions, snap: &Snapshot) -> std::collections::BTreeMap<String, Shape> {
    let mut out = std::collections::BTreeMap::new();
    for d in specs::descs(opts) {
        let shape = Shape {
            help: d.help.replace(specs::DESC_OVER, &families::over(snap)),
            labels: d.variable_labels.clone(),
        };
        let dup = out.insert(d.fq_name.clone(), shape);
        assert!(dup.is_none(), "{} declared twice", d.fq_name);
    }
    out
}

/// The set of (name, help, type, label names) declared by `descs()` is the
/// set `families()` emits, for every option combination: emitted ⊆
/// declared for every snapshot (a family can be absent: no upstream times,
/// no ingest lag yet, no keys), and equal for the richest. Label names must
/// be the declared ones, in order, plus `source` on the per-key families
/// when there are several inputs. `Desc` has no type: the type is checked
/// against `SPECS`, the table `descs()` is made from.
#[test]
fn descs_are_what_families_emit() {
    let mut one_input = testkit::snapshot();
    one_input.inputs.truncate(1);
    let mut batch = testkit::snapshot();
    batch.windows.clear();
    let snaps = [
        ("richest", richest()),
        ("fixture", testkit::snapshot()),
        ("empty", testkit::empty()),
        ("one input", one_input),
        ("batch", batch),
        ("hostile", hostile()),
    ];
    for opts in all_options() {
        for (what, snap) in &snaps {
            let at = format!("{what}, {opts:?}");
            let declared = declared(&opts, snap);
            let several = snap.inputs.len() > 1;
            let emitted = families(snap, &opts, &mut ScrapeState::default());
            for f in &emitted {
                let name = f.name();
                let d = declared
                    .get(name)
                    .unwrap_or_else(|| panic!("{at}: {name} emitted, not in descs()"));
                assert_eq!(f.help(), d.help, "{at}: help of {name}");
                let spec = specs::SPECS
                    .iter()
                    .find(|s| s.name(&opts) == name)
                    .unwrap_or_else(|| panic!("{at}: {name} not in SPECS"));
                assert_eq!(f.get_field_type(), spec.kind, "{at}: type of {name}");
                let mut want = d.labels.clone();
                if several && d.labels == specs::KEY_LABELS {
                    want.push("source".into());
                }
                for m in f.get_metric() {
                    let got: Vec<&str> = m.get_label().iter().map(|l| l.name()).collect();
                    assert_eq!(got, want, "{at}: labels of {name}");
                }
            }
            let names: Vec<&str> = emitted.iter().map(|f| f.name()).collect();
            let missing: Vec<&String> = declared
                .keys()
                .filter(|n| !names.contains(&n.as_str()))
                .collect();
            if *what == "richest" {
                assert!(
                    missing.is_empty(),
                    "{at}: declared in descs(), never emitted: {missing:?}"
                );
            }
        }
    }
}

/// The same through `prometheus` itself: the collector registers (its
/// descs are valid and distinct) and what the registry gathers is exactly
/// the declared families, help included. `Registry::gather` in prometheus
/// 0.14 does not compare collected families with the declared descs (it
/// has a TODO for it), so the comparison is made here.
#[test]
fn registry_gathers_the_declared_families() {
    for opts in all_options() {
        let (_tx, rx) = tokio::sync::watch::channel(Arc::new(richest()));
        let collector = SnapshotCollector::new(rx, opts.clone());
        let declared: Vec<(String, String)> = prometheus::core::Collector::desc(&collector)
            .iter()
            .map(|d| {
                let help = d
                    .help
                    .replace(specs::DESC_OVER, &families::over(&richest()));
                (d.fq_name.clone(), help)
            })
            .collect();
        assert_eq!(
            declared.len(),
            specs::descs(&opts).len(),
            "{opts:?}: the collector declares descs()"
        );
        let reg = prometheus::Registry::new();
        reg.register(Box::new(collector))
            .unwrap_or_else(|e| panic!("{opts:?}: register: {e}"));
        let mut gathered: Vec<(String, String)> = reg
            .gather()
            .iter()
            .map(|f| (f.name().to_string(), f.help().to_string()))
            .collect();
        let mut declared = declared;
        declared.sort();
        gathered.sort();
        assert_eq!(gathered, declared, "{opts:?}");
    }
}

/// The lines of `text` that start with `prefix`.
fn lines_of<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(prefix)).collect()
}

/// `--export-status class`: the codes of a class add up into one series
/// (counts, bytes, bucket counts, sums, upstream times); `000`–`099` and
/// `600`–`999` are `other`, as the reports class them.
#[test]
fn status_class_adds_up_the_codes_of_a_class() {
    let mut s = testkit::empty();
    s.inputs[0].state = InputState::Following;
    s.inputs[0].has_bytes = true;
    let key = |status: u16, count: u64, timed: u64, sum_us: u64, buckets: Vec<u64>| KeySnap {
        source: 0,
        route: Arc::from("/a"),
        method: Arc::from("GET"),
        status,
        count,
        bytes: count * 10,
        timed,
        lat_sum_us: sum_us,
        lat_max_us: 20_000,
        buckets,
        upstream: None,
    };
    let mut created = key(201, 3, 1, 5_000, vec![0, 0, 1]);
    created.upstream = Some(TimerSnap {
        timed: 1,
        sum_us: 7_000,
        max_us: 7_000,
        buckets: vec![0, 1, 0],
    });
    s.keys = Arc::from(vec![
        key(0, 5, 0, 0, vec![]),
        key(200, 2, 2, 10_000, vec![1, 1, 0]),
        created,
        key(404, 1, 1, 1_000, vec![1, 0, 0]),
        key(999, 7, 7, 70_000, vec![7, 0, 0]),
    ]);
    let opts = RenderOptions {
        status: StatusLabel::Class,
        ..Default::default()
    };
    let text = fresh(&s, &opts);
    assert_eq!(
        lines_of(&text, "http_requests_total{"),
        [
            "http_requests_total{route=\"/a\",method=\"GET\",status=\"2xx\"} 5",
            "http_requests_total{route=\"/a\",method=\"GET\",status=\"4xx\"} 1",
            "http_requests_total{route=\"/a\",method=\"GET\",status=\"other\"} 12",
        ]
    );
    assert_eq!(
        lines_of(&text, "http_response_size_bytes_total{"),
        [
            "http_response_size_bytes_total{route=\"/a\",method=\"GET\",status=\"2xx\"} 50",
            "http_response_size_bytes_total{route=\"/a\",method=\"GET\",status=\"4xx\"} 10",
            "http_response_size_bytes_total{route=\"/a\",method=\"GET\",status=\"other\"} 120",
        ]
    );
    assert_eq!(
        lines_of(
            &text,
            "http_request_duration_seconds_bucket{route=\"/a\",method=\"GET\",status=\"2xx\""
        ),
        [
            "http_request_duration_seconds_bucket{route=\"/a\",method=\"GET\",status=\"2xx\",le=\"0.005\"} 1",
            "http_request_duration_seconds_bucket{route=\"/a\",method=\"GET\",status=\"2xx\",le=\"0.01\"} 2",
            "http_request_duration_seconds_bucket{route=\"/a\",method=\"GET\",status=\"2xx\",le=\"0.025\"} 3",
            "http_request_duration_seconds_bucket{route=\"/a\",method=\"GET\",status=\"2xx\",le=\"+Inf\"} 3",
        ]
    );
    for (line, want) in [
        (
            "http_request_duration_seconds_sum{route=\"/a\",method=\"GET\",status=\"2xx\"}",
            "0.015",
        ),
        (
            "http_request_duration_seconds_count{route=\"/a\",method=\"GET\",status=\"2xx\"}",
            "3",
        ),
        (
            "http_request_duration_seconds_count{route=\"/a\",method=\"GET\",status=\"other\"}",
            "7",
        ),
        (
            "http_upstream_duration_seconds_count{route=\"/a\",method=\"GET\",status=\"2xx\"}",
            "1",
        ),
        (
            "http_upstream_duration_seconds_bucket{route=\"/a\",method=\"GET\",status=\"2xx\",le=\"0.01\"}",
            "1",
        ),
    ] {
        assert!(
            text.contains(&format!("{line} {want}\n")),
            "{line} {want}\n{text}"
        );
    }
    // The code label is unchanged by the option's existence: one series
    // per code.
    let codes = fresh(&s, &RenderOptions::default());
    assert_eq!(lines_of(&codes, "http_requests_total{").len(), 5);
    if let Some((ok, msg)) = promtool_check(&text) {
        assert!(ok, "{msg}");
    }
}

/// Keys of one class from different inputs stay apart: the `source`
/// label still tells them.
#[test]
fn status_class_keeps_sources_apart() {
    let mut s = hostile();
    let mut keys = s.keys.to_vec();
    for (source, status) in [(1, 204), (0, 201), (1, 200)] {
        keys.push(KeySnap {
            source,
            status,
            ..keys[0].clone()
        });
    }
    s.keys = Arc::from(keys);
    let opts = RenderOptions {
        status: StatusLabel::Class,
        ..Default::default()
    };
    let text = fresh(&s, &opts);
    let got: Vec<&str> = lines_of(&text, "http_requests_total{")
        .into_iter()
        .map(|l| l.split("status=").nth(1).unwrap_or(""))
        .collect();
    assert_eq!(
        got,
        [
            "\"2xx\",source=\"/logs/\\\"odd\\\"\\\\name.log\"} 6",
            "\"2xx\",source=\"second\"} 6",
        ]
    );
}

/// Two inputs of one name (config `name` given alike; the `exposition`
/// fuzz target's seed `first-input-named-second`) are one label set: each
/// family holds one series for it, their counts added up, as the per-key
/// families add up their keys.
#[test]
fn inputs_of_one_name_are_one_series() {
    let mut s = hostile();
    s.inputs[0].name = "second".into();
    s.inputs[0].errors[crate::format::ErrorKind::NoMatch.index()] = 4;
    s.inputs[1].errors[crate::format::ErrorKind::NoMatch.index()] = 5;
    s.inputs[0].rotations = 1;
    s.inputs[0].variants = vec![("combined".into(), 2), ("common".into(), 1)];
    s.inputs[1].variants = vec![("common".into(), 3)];
    let key = KeySnap {
        route: Arc::from("/x"),
        ..s.keys[0].clone()
    };
    s.keys = Arc::from(vec![key.clone(), KeySnap { source: 1, ..key }]);
    let text = fresh(&s, &RenderOptions::default());
    for (family, want) in [
        (
            "routetop_lines_read_total{",
            &["routetop_lines_read_total{source=\"second\"} 6"][..],
        ),
        (
            "routetop_rotations_total{",
            &["routetop_rotations_total{source=\"second\"} 1"],
        ),
        (
            "routetop_lines_unparsed_total{reason=\"no_match\"",
            &["routetop_lines_unparsed_total{reason=\"no_match\",source=\"second\"} 9"],
        ),
        (
            "routetop_lines_parsed_by_variant_total{",
            &[
                "routetop_lines_parsed_by_variant_total{source=\"second\",variant=\"combined\"} 2",
                "routetop_lines_parsed_by_variant_total{source=\"second\",variant=\"common\"} 4",
            ],
        ),
        (
            "http_requests_total{",
            &[
                "http_requests_total{route=\"/x\",method=\"GET\",status=\"200\",source=\"second\"} 6",
            ],
        ),
    ] {
        assert_eq!(lines_of(&text, family), want, "{family}");
    }
    if let Some((ok, msg)) = promtool_check(&text) {
        assert!(ok, "{msg}");
    }
}

/// `--no-summary` drops exactly the window summary family.
#[test]
fn no_summary_drops_the_window_summary_only() {
    let with = fresh(&testkit::snapshot(), &RenderOptions::default());
    let without = fresh(
        &testkit::snapshot(),
        &RenderOptions {
            summary: false,
            ..Default::default()
        },
    );
    let kept: Vec<&str> = with
        .lines()
        .filter(|l| !l.contains("http_request_duration_window_seconds"))
        .collect();
    assert_eq!(without.lines().collect::<Vec<_>>(), kept);
    assert_ne!(with.lines().count(), kept.len());
}

/// `RenderCache::render_gzip` is `render`'s text, gzipped — on a miss, on
/// a hit (only the max gauge compressed again), and after the snapshot or
/// the format changes.
#[test]
fn render_cache_gzip_is_the_text_gzipped() {
    use std::io::Read;
    let gunzip = |b: &[u8]| {
        let mut out = String::new();
        flate2::read::GzDecoder::new(b)
            .read_to_string(&mut out)
            .expect("one valid gzip member");
        out
    };
    let opts = RenderOptions::default();
    let (mut st_a, mut st_b) = (ScrapeState::default(), ScrapeState::default());
    let mut cache = RenderCache::default();
    let first = Arc::new(stepped(10_500, &[9_000, 1_000, 2_000, 3_000]));
    let second = Arc::new(stepped(12_700, &[2_000, 3_000, 7_000, 4_000]));
    for (snap, format) in [
        (&first, Format::Text),
        (&first, Format::Text),
        (&first, Format::OpenMetrics),
        (&second, Format::OpenMetrics),
        (&second, Format::Text),
        (&second, Format::Text),
    ] {
        let want = render_as(snap, &opts, &mut st_a, format);
        let gz = cache
            .render_gzip(snap, &opts, &mut st_b, format)
            .expect("compresses");
        same("gzip", &want, &gunzip(&gz));
        assert!(gz.len() < want.len() / 3, "{} of {}", gz.len(), want.len());
    }
}

/// Two objectives over the test snapshot's routes.
fn slo_objectives() -> Vec<crate::engine::slo::Objective> {
    let d = |s: &str| {
        s.trim_end_matches("ms")
            .parse()
            .map(std::time::Duration::from_millis)
            .map_err(|e| format!("{e}"))
    };
    ["/api/*:99%<250ms", "*:99.9%"]
        .iter()
        .map(|s| crate::engine::slo::Objective::parse(s, d).unwrap())
        .collect()
}

/// The objectives' families: the target, and good and total counters
/// summed here from the fixture's keys, by hand.
#[test]
fn slo_families_count_good_and_total_per_objective() {
    let snap = testkit::snapshot();
    let d = |s: &str| {
        s.trim_end_matches("ms")
            .parse()
            .map(std::time::Duration::from_millis)
            .map_err(|e| format!("{e}"))
    };
    let objectives: Vec<_> = ["/login:99%<250ms", "*:99.9%"]
        .iter()
        .map(|s| crate::engine::slo::Objective::parse(s, d).unwrap())
        .collect();
    let opts = RenderOptions {
        slo: objectives.into(),
        ..Default::default()
    };
    let text = fresh(&snap, &opts);
    // 250 ms must be a bound of the fixture for the latency one.
    let at = snap.buckets_us.iter().position(|&b| b == 250_000).unwrap();
    let (mut lat, mut avail) = ((0, 0), (0, 0));
    for k in snap.keys.iter() {
        if &*k.route == "/login" {
            lat.0 += k.buckets[..=at].iter().sum::<u64>();
            lat.1 += k.timed;
        } else {
            avail.0 += if (500..600).contains(&k.status) {
                0
            } else {
                k.count
            };
            avail.1 += k.count;
        }
    }
    assert!(
        lat.1 > lat.0 && lat.0 > 0 && avail.1 > avail.0,
        "the fixture has some of each"
    );
    for line in [
        "# TYPE routetop_slo_objective_ratio gauge".to_string(),
        "routetop_slo_objective_ratio{slo=\"/login:99%<250ms\"} 0.99".to_string(),
        "routetop_slo_objective_ratio{slo=\"*:99.9%\"} 0.999".to_string(),
        "# TYPE routetop_slo_good_total counter".to_string(),
        format!(
            "routetop_slo_good_total{{slo=\"/login:99%<250ms\"}} {}",
            lat.0
        ),
        format!("routetop_slo_good_total{{slo=\"*:99.9%\"}} {}", avail.0),
        format!("routetop_slo_total{{slo=\"/login:99%<250ms\"}} {}", lat.1),
        format!("routetop_slo_total{{slo=\"*:99.9%\"}} {}", avail.1),
    ] {
        assert!(
            text.contains(&format!("{line}\n")),
            "missing {line} in\n{text}"
        );
    }
    // Without objectives, no such family.
    assert!(!fresh(&snap, &RenderOptions::default()).contains("routetop_slo"));
}

/// Backends and hosts are per value over all routes (never per route ×
/// value): requests, 5xx, the latency sum and count of timed requests, the
/// cap and what it folded — and nothing for a kind no request carried.
#[test]
fn backend_and_host_families_are_per_value_over_all_routes() {
    let text = fresh(&testkit::snapshot_with_facets(), &RenderOptions::default());
    let ours: Vec<&str> = text
        .lines()
        .filter(|l| {
            ["backend", "host"]
                .iter()
                .any(|k| l.contains(&format!("routetop_{k}")) || l.contains(&format!("_{k}s")))
        })
        .collect();
    insta::assert_snapshot!("facets_prom", ours.join("\n"));
    let plain = fresh(&testkit::snapshot(), &RenderOptions::default());
    assert!(!plain.contains("backend") && !plain.contains("routetop_host"));
}
