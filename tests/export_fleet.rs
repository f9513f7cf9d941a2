//! What large fleets turn on: gzip on `/metrics` (negotiated from
//! `Accept-Encoding`, as Prometheus sends it) on the in-process server and
//! on pushes (falling back to text for a gateway that reads no gzip), and
//! the exposition controls (`--export-status class`, `--no-summary`,
//! `--buckets` presets) with the series each saves on a sample log — the
//! figures the README states.

mod net;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use net::promtool_check_metrics;
use routetop::config::{Args, Config};
use routetop::engine::snapshot::Snapshot;
use routetop::testkit;
use routetop::view::export::push::Pusher;
use routetop::view::export::{
    ExportConfig, Exporter, Format, Log, PushConfig, RenderOptions, ScrapeState, render, render_as,
    stderr_log,
};
use tokio::sync::watch;

/// A response with its body as sent (possibly gzip).
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text, gunzipped when `Content-Encoding: gzip` says so.
    fn text(&self) -> String {
        let mut out = String::new();
        match self.header("content-encoding") {
            None => out = String::from_utf8(self.body.clone()).expect("UTF-8 body"),
            Some("gzip") => {
                flate2::read::GzDecoder::new(self.body.as_slice())
                    .read_to_string(&mut out)
                    .expect("a valid gzip body");
            }
            Some(e) => panic!("unexpected Content-Encoding {e}"),
        }
        out
    }
}

/// `GET path` with extra header lines; the answer's body untouched.
fn get_raw(addr: SocketAddr, path: &str, headers: &[&str]) -> Raw {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header end");
    let head = net::parse(&buf).unwrap();
    assert!(
        head.header("transfer-encoding").is_none(),
        "a rendered body has a length"
    );
    let body = buf[end + 4..].to_vec();
    assert_eq!(
        head.header("content-length")
            .map(|l| l.parse::<usize>().unwrap()),
        Some(body.len())
    );
    Raw {
        status: head.status,
        headers: head.headers,
        body,
    }
}

fn start() -> (Exporter, SocketAddr, watch::Sender<Arc<Snapshot>>) {
    let cfg = ExportConfig {
        metrics: Some("127.0.0.1:0".into()),
        ..ExportConfig::off()
    };
    let (tx, rx) = watch::channel(Arc::new(testkit::snapshot()));
    let exp = Exporter::start(&cfg, rx, stderr_log())
        .expect("exporter starts")
        .expect("something to run");
    let addr = exp.local_addr().expect("listening");
    (exp, addr, tx)
}

/// gzip when asked (as Prometheus asks), identity when not or when gzip
/// is refused; the decompressed body is exactly the identity body, and
/// promtool accepts it.
#[test]
fn metrics_gzip_negotiation() {
    let (exp, addr, _tx) = start();

    // The first scrape: exactly a fresh render, gzipped.
    let r = get_raw(addr, "/metrics", &["Accept-Encoding: gzip"]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("vary"), Some("Accept, Accept-Encoding"));
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let want = render(
        &testkit::snapshot(),
        &RenderOptions::default(),
        &mut ScrapeState::default(),
    );
    let got = r.text();
    assert!(got == want, "gunzipped body differs from render()");
    assert!(
        r.body.len() * 4 < want.len(),
        "{} of {}",
        r.body.len(),
        want.len()
    );
    promtool_check_metrics(&got);

    // Later scrapes of the same snapshot are alike (the max gauge covers
    // the latest step each time): identity and gzip bodies are equal.
    let identity = get_raw(addr, "/metrics", &[]);
    assert_eq!(identity.header("content-encoding"), None);
    assert_eq!(identity.header("vary"), Some("Accept, Accept-Encoding"));
    let identity = identity.text();
    for (accept, gzip) in [
        ("Accept-Encoding: gzip", true),
        ("Accept-Encoding: gzip, deflate, br", true),
        ("Accept-Encoding: *", true),
        ("Accept-Encoding: gzip;q=0", false),
        ("Accept-Encoding: gzip;q=0, identity", false),
        ("Accept-Encoding: identity", false),
        ("Accept-Encoding: br", false),
        ("Accept-Encoding: identity;q=0.5, gzip;q=0.8", true),
    ] {
        let r = get_raw(addr, "/metrics", &[accept]);
        assert_eq!(r.status, 200, "{accept}");
        assert_eq!(
            r.header("content-encoding"),
            gzip.then_some("gzip"),
            "{accept}"
        );
        assert!(r.text() == identity, "{accept}: body differs");
    }

    // OpenMetrics and gzip together.
    let r = get_raw(
        addr,
        "/metrics",
        &[
            "Accept: application/openmetrics-text;version=1.0.0",
            "Accept-Encoding: gzip",
        ],
    );
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let om = r.text();
    let mut st = ScrapeState::default();
    // Two renders: the max gauge as the server has it (not the first).
    let _ = render(&testkit::snapshot(), &RenderOptions::default(), &mut st);
    assert_eq!(
        om,
        render_as(
            &testkit::snapshot(),
            &RenderOptions::default(),
            &mut st,
            Format::OpenMetrics
        )
    );

    // Other paths are not compressed.
    let r = get_raw(addr, "/healthz", &["Accept-Encoding: gzip"]);
    assert_eq!(
        (r.header("content-encoding"), r.body.as_slice()),
        (None, &b"OK\n"[..])
    );
    exp.stop();
}

/// The settings for `--once` over `sample-logs/combined_rt.log` with
/// `flags`, counting the histogram buckets as `--push` does.
fn config(flags: &[&str]) -> Config {
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/combined_rt.log");
    let mut argv = vec!["routetop", "--once", "-f", "combined_rt"];
    argv.extend_from_slice(flags);
    let log = log.to_str().unwrap().to_string();
    argv.push(&log);
    let mut c = Config::from_args(&Args::try_parse_from(argv).unwrap(), false).unwrap();
    c.export.push = Some(PushConfig {
        url: "http://127.0.0.1:9".into(),
        interval: Duration::from_secs(60),
        job: "routetop".into(),
        instance: String::new(),
    });
    c
}

/// Series (sample lines) per family of the exposition `flags` give.
fn series(flags: &[&str]) -> std::collections::BTreeMap<String, usize> {
    let c = config(flags);
    let report = routetop::once(&c).unwrap();
    let text = render(
        &report.batch.snapshot(),
        &RenderOptions::from(&c.export),
        &mut ScrapeState::default(),
    );
    promtool_check_metrics(&text);
    let mut out = std::collections::BTreeMap::new();
    let mut family = String::new();
    for l in text.lines() {
        if let Some(t) = l.strip_prefix("# TYPE ") {
            family = t.split(' ').next().unwrap_or("").to_string();
        } else if !l.starts_with('#') {
            *out.entry(family.clone()).or_insert(0) += 1;
        }
    }
    out
}

fn total(s: &std::collections::BTreeMap<String, usize>) -> usize {
    s.values().sum()
}

/// The series each exposition control saves on `sample-logs/combined_rt.log`
/// (2 000 lines): the README's figures.
#[test]
fn exposition_controls_series_counts() {
    let all = series(&[]);
    let hist = "http_request_duration_seconds";
    let summary = "http_request_duration_window_seconds";
    assert_eq!(
        (
            total(&all),
            all[hist],
            all["http_requests_total"],
            all[summary]
        ),
        // 300 (route, method, status) keys of 40 routes: 14 histogram
        // series per key (11 bounds, +Inf, _sum, _count), 6 summary series
        // per route.
        (5100, 300 * 14, 300, 40 * 6),
        "default: all, histogram, keys, summary"
    );

    let class = series(&["--export-status", "class"]);
    assert_eq!(
        (total(&class), class[hist], class["http_requests_total"]),
        // The statuses of 300 keys fall into the classes of 207.
        (3612, 207 * 14, 207),
        "--export-status class"
    );

    let no_summary = series(&["--no-summary"]);
    assert_eq!(no_summary.get(summary), None);
    assert_eq!(total(&all) - total(&no_summary), 240);

    let coarse = series(&["--buckets", "coarse"]);
    let fine = series(&["--buckets", "fine"]);
    assert_eq!(
        (total(&coarse), coarse[hist], total(&fine), fine[hist]),
        // 5 bounds: 8 series per key; 21 bounds: 24.
        (3300, 300 * 8, 8100, 300 * 24),
        "--buckets coarse, fine"
    );

    let everything = series(&[
        "--export-status",
        "class",
        "--no-summary",
        "--buckets",
        "coarse",
    ]);
    assert_eq!(total(&everything), 2130, "all three");
}

/// One request a fake gateway received: whether it said
/// `Content-Encoding: gzip`, and its body as text (gunzipped).
type Received = (bool, String);

/// A header of a request's head (request line and headers).
fn request_header(head: &[u8], name: &str) -> Option<String> {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

/// A gateway older than 1.5 on 127.0.0.1: reads no `Content-Encoding`, so
/// it refuses a gzipped body as bad text (400) and takes a plain one (200).
/// Serves requests until a connection closes without one (the test's
/// stop); returns what it received.
fn old_gateway() -> (SocketAddr, std::thread::JoinHandle<Vec<Received>>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let mut got = Vec::new();
        'serve: loop {
            let (mut s, _) = l.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65536];
            let (end, len) = loop {
                let k = s.read(&mut chunk).unwrap();
                if k == 0 && buf.is_empty() {
                    break 'serve;
                }
                assert!(k > 0, "request cut short");
                buf.extend_from_slice(&chunk[..k]);
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let len: usize = request_header(&buf[..end], "content-length")
                        .expect("a Content-Length")
                        .parse()
                        .unwrap();
                    break (end + 4, len);
                }
            };
            while buf.len() < end + len {
                let k = s.read(&mut chunk).unwrap();
                assert!(k > 0, "body cut short");
                buf.extend_from_slice(&chunk[..k]);
            }
            let gzipped =
                request_header(&buf[..end], "content-encoding").as_deref() == Some("gzip");
            let body = &buf[end..end + len];
            let text = if gzipped {
                let mut out = String::new();
                flate2::read::GzDecoder::new(body)
                    .read_to_string(&mut out)
                    .expect("a valid gzip body");
                out
            } else {
                String::from_utf8(body.to_vec()).unwrap()
            };
            let answer: &[u8] = if gzipped {
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 36\r\nConnection: close\r\n\r\ntext format parsing error in line 1\n"
            } else {
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            };
            s.write_all(answer).unwrap();
            got.push((gzipped, text));
        }
        got
    });
    (addr, t)
}

/// Pushes are gzipped; a gateway that refuses the gzipped push but takes
/// it as text gets that push again as text, and text from then on. (The
/// real Pushgateway reads gzip: tests/push.rs pushes to it.)
#[test]
fn push_falls_back_to_text_for_a_gateway_without_gzip() {
    let (addr, gateway) = old_gateway();
    let mut pusher = Pusher::new(
        PushConfig {
            url: format!("http://{addr}"),
            interval: Duration::from_secs(60),
            job: "routetop".into(),
            instance: "web-1".into(),
        },
        RenderOptions::default(),
    )
    .unwrap();
    assert!(pusher.gzips());
    let log: Log = Arc::new(|m| panic!("a push failed: {m}"));
    let snap = testkit::snapshot();
    pusher.push_blocking(&snap, &log);
    assert!(!pusher.gzips(), "text from now on");
    pusher.push_blocking(&snap, &log);
    drop(TcpStream::connect(addr).unwrap());
    let got = gateway.join().unwrap();
    let want = render(
        &snap,
        &RenderOptions::default(),
        &mut ScrapeState::default(),
    );
    let shape: Vec<bool> = got.iter().map(|(gz, _)| *gz).collect();
    assert_eq!(shape, [true, false, false]);
    // The refused gzipped push and its text retry are the same exposition.
    assert!(got[0].1 == want && got[1].1 == want, "pushed bodies differ");
}
