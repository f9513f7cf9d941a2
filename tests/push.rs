//! `routetop --once --push` against Debian's real `prometheus-pushgateway`
//! on 127.0.0.1: what arrives is read back from the gateway's own /metrics
//! and checked against the sample log's known counts
//! (`sample-logs/expected.json`).

mod net;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use net::{Proc, free_port, get, need, sigterm_and_wait, wait_for, wait_ok};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn start_gateway(dir: &Path) -> (Proc, SocketAddr) {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let p = Proc::spawn(
        Command::new("prometheus-pushgateway")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!(
                "--persistence.file={}",
                dir.join("pg.data").display()
            )),
        "prometheus-pushgateway",
    );
    if !wait_ok(addr, "/-/ready", Duration::from_secs(20)) {
        panic!("pushgateway did not start: {}", p.stderr());
    }
    (p, addr)
}

/// A gateway of the test's own, in a temporary directory that outlives
/// it (bindings drop in reverse): `None`, and the test is skipped, when
/// the package is missing (`need` says so).
fn gateway() -> Option<(tempfile::TempDir, Proc, SocketAddr)> {
    if !need(&["prometheus-pushgateway"]) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let (gw, addr) = start_gateway(dir.path());
    Some((dir, gw, addr))
}

fn routetop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

/// Samples of `name` in the gateway's group (job, instance).
fn samples(gw: SocketAddr, name: &str, job: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    let r = get(gw, "/metrics", &[]).unwrap();
    assert_eq!(r.status, 200);
    r.body
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(net::parse_sample)
        .filter(|(n, l, _)| n == name && l.get("job").map(String::as_str) == Some(job))
        .map(|(_, l, v)| (l, v))
        .collect()
}

/// The sum of the samples of `name` in the gateway's group (job, instance).
fn sum(gw: SocketAddr, name: &str, job: &str) -> f64 {
    samples(gw, name, job).iter().map(|(_, v)| v).sum()
}

fn expected(file: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("sample-logs/expected.json")).unwrap();
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    all[file].clone()
}

#[test]
fn once_push_arrives_exactly() {
    let Some((dir, _gw, gw)) = gateway() else {
        return;
    };
    let url = format!("http://{gw}");
    let out = routetop(&[
        "--once",
        "--push",
        &url,
        "--job",
        "t",
        "--instance",
        "host/a",
        "sample-logs/combined_rt.log",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("push"), "no push complaint: {stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("/login"));

    let want = expected("combined_rt.log");
    let reqs = samples(gw, "http_requests_total", "t");
    assert!(!reqs.is_empty());
    // The grouping key arrived intact (a '/' needs the @base64 path).
    assert!(reqs.iter().all(|(l, _)| l["instance"] == "host/a"));
    let total: f64 = reqs.iter().map(|(_, v)| v).sum();
    assert_eq!(total, want["requests"].as_f64().unwrap());
    let mut per_route: BTreeMap<String, f64> = BTreeMap::new();
    for (l, v) in &reqs {
        *per_route.entry(l["route"].clone()).or_default() += v;
    }
    let want_routes: BTreeMap<String, f64> = want["routes"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
        .collect();
    assert_eq!(per_route, want_routes);
    let errors_5xx: f64 = reqs
        .iter()
        .filter(|(l, _)| l["status"].starts_with('5'))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(errors_5xx, want["status_5xx"].as_f64().unwrap());

    // Histogram: exact count and sum of every timed request.
    let count = sum(gw, "http_request_duration_seconds_count", "t");
    assert_eq!(count, 2000.0);
    let seconds = sum(gw, "http_request_duration_seconds_sum", "t");
    let want_sum = want["latency_sum_us"].as_f64().unwrap() / 1e6;
    assert!((seconds - want_sum).abs() < 1e-6, "{seconds} vs {want_sum}");
    let inf: f64 = samples(gw, "http_request_duration_seconds_bucket", "t")
        .iter()
        .filter(|(l, _)| l["le"] == "+Inf")
        .map(|(_, v)| v)
        .sum();
    assert_eq!(inf, 2000.0);
    let lines = samples(gw, "routetop_lines_read_total", "t");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].1, 2000.0);

    // A second push to the same group replaces it (PUT), it does not add.
    let small = dir.path().join("small.log");
    std::fs::write(
        &small,
        "1.2.3.4 - - [10/Mar/2024:00:00:00 +0000] \"GET /a HTTP/1.1\" 200 10 \"-\" \"ua\" 0.000\n\
         1.2.3.4 - - [10/Mar/2024:00:00:01 +0000] \"GET /a HTTP/1.1\" 500 10 \"-\" \"ua\" 0.250\n\
         1.2.3.4 - - [10/Mar/2024:00:00:02 +0000] \"POST /b HTTP/1.1\" 201 10 \"-\" \"ua\" 0.010\n",
    )
    .unwrap();
    let out = routetop(&[
        "--once",
        "-f",
        "combined_rt",
        "--push",
        &url,
        "--job",
        "t",
        "--instance",
        "host/a",
        small.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(sum(gw, "http_requests_total", "t"), 3.0);
    // The request with time 0 is in the first bucket.
    let first: f64 = samples(gw, "http_request_duration_seconds_bucket", "t")
        .iter()
        .filter(|(l, _)| l["le"] == "0.005" && l["route"] == "/a")
        .map(|(_, v)| v)
        .sum();
    assert_eq!(first, 1.0);
}

#[test]
fn upstream_times_are_pushed_as_a_histogram() {
    let Some((_dir, _gw, gw)) = gateway() else {
        return;
    };
    let out = routetop(&[
        "--once",
        "--push",
        &format!("http://{gw}/"),
        "--job",
        "up",
        "--namespace",
        "edge",
        "sample-logs/nginx-upstream.log",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sum(gw, "edge_http_requests_total", "up"), 2000.0);
    let up = samples(gw, "edge_http_upstream_duration_seconds_count", "up");
    assert!(!up.is_empty(), "upstream histogram pushed");
    // Default instance: the hostname.
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    assert!(up.iter().all(|(l, _)| l["instance"] == host));
}

#[test]
fn push_failure_is_reported_not_fatal() {
    // Nothing listens on this port.
    let port = free_port();
    let out = routetop(&[
        "--once",
        "--push",
        &format!("http://127.0.0.1:{port}"),
        "sample-logs/combined_rt.log",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("/login"));
    assert!(stderr.contains("(retrying)"), "{stderr}");
    assert!(stderr.contains("(giving up)"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "http://127.0.0.1:{port}/metrics/job/routetop/instance/"
        )),
        "{stderr}"
    );
}

#[test]
fn gateway_refusal_is_reported_with_its_answer() {
    let Some((_dir, _gw, gw)) = gateway() else {
        return;
    };
    // A path prefix the gateway does not serve: 404, reported with the body.
    let out = routetop(&[
        "--once",
        "--push",
        &format!("http://{gw}/nowhere"),
        "sample-logs/combined_rt.log",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Pushgateway answered 404"), "{stderr}");
    // Refused, so not retried: one message.
    assert_eq!(stderr.matches("answered 404").count(), 1, "{stderr}");
    assert!(stderr.contains("(giving up)"), "{stderr}");
}

/// `n` combined_rt lines.
fn log_lines(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] \"GET /live/{} HTTP/1.1\" 200 5 \"-\" \"t\" 0.001\n",
                i % 7
            )
        })
        .collect()
}

fn append_to(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// Starts `routetop --headless` following `log` and pushing to `gw`.
fn follow_and_push(log: &Path, gw: SocketAddr, interval: &str, job: &str) -> Proc {
    Proc::spawn(
        Command::new(env!("CARGO_BIN_EXE_routetop"))
            .args(["--headless", "--interval", "1h", "-f", "combined_rt"])
            .args([
                "--push",
                &format!("http://{gw}"),
                "--push-interval",
                interval,
            ])
            .args(["--job", job])
            .arg(log),
        "routetop",
    )
}

#[test]
fn follow_mode_pushes_on_its_interval() {
    let Some((dir, _gw, gw)) = gateway() else {
        return;
    };
    let log = dir.path().join("access.log");
    std::fs::write(&log, "").unwrap();
    let mut rt = follow_and_push(&log, gw, "300ms", "live");
    std::thread::sleep(Duration::from_millis(300));
    append_to(&log, &log_lines(300));
    let seen = wait_for(Duration::from_secs(20), || {
        Some(sum(gw, "http_requests_total", "live")).filter(|t| *t == 300.0)
    });
    assert_eq!(seen, Some(300.0), "interval pushes carry the lines");
    assert!(sigterm_and_wait(&mut rt, Duration::from_secs(20)).success());
}

#[test]
fn follow_mode_pushes_once_more_at_exit() {
    let Some((dir, _gw, gw)) = gateway() else {
        return;
    };
    let log = dir.path().join("access.log");
    std::fs::write(&log, "").unwrap();
    // An interval that never comes: only the push at exit can deliver.
    let mut rt = follow_and_push(&log, gw, "1h", "exit");
    std::thread::sleep(Duration::from_millis(300));
    append_to(&log, &log_lines(500));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        sum(gw, "http_requests_total", "exit"),
        0.0,
        "nothing pushed before exit"
    );
    assert!(sigterm_and_wait(&mut rt, Duration::from_secs(20)).success());
    assert_eq!(sum(gw, "http_requests_total", "exit"), 500.0);
}

/// Regression: follow mode held stderr locked for the whole run, so the
/// exporter's first message (a failed push) blocked its thread for good:
/// /metrics, which runs on the same thread, stopped answering, and the
/// process never exited on SIGTERM (it waited for that thread).
#[test]
fn follow_mode_push_failures_block_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    // Enough lines for `auto` to decide at once, without waiting a step.
    std::fs::write(&log, log_lines(100)).unwrap();
    // Nothing listens on the push port.
    let (push, metrics) = (free_port(), free_port());
    let mut rt = Proc::spawn(
        Command::new(env!("CARGO_BIN_EXE_routetop"))
            .args(["--headless", "--interval", "1h", "--from-start"])
            .args(["--push", &format!("http://127.0.0.1:{push}")])
            .args(["--push-interval", "200ms"])
            .args(["--metrics", &format!("127.0.0.1:{metrics}")])
            .arg(&log),
        "routetop",
    );
    let addr: SocketAddr = format!("127.0.0.1:{metrics}").parse().unwrap();
    assert!(wait_ok(addr, "/metrics", Duration::from_secs(20)));
    // Several pushes have failed and been reported by now.
    std::thread::sleep(Duration::from_millis(1500));
    // Every scrape must answer; on a loaded machine the lines may take a
    // few publishes to show.
    let deadline = Instant::now() + Duration::from_secs(20);
    let scrape = loop {
        let scrape = get(addr, "/metrics", &[]).expect("/metrics answers while pushes fail");
        assert_eq!(scrape.status, 200);
        if scrape.body.contains("http_requests_total") || Instant::now() > deadline {
            break scrape;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        scrape.body.contains("http_requests_total"),
        "{}",
        scrape.body
    );
    assert!(sigterm_and_wait(&mut rt, Duration::from_secs(20)).success());
    let stderr = rt.stderr();
    assert!(stderr.contains("(retrying)"), "{stderr}");
    assert!(stderr.contains("(giving up)"), "{stderr}");
}

/// Pushes go gzipped, and the real Pushgateway (1.5 and later) reads them:
/// the pusher keeps gzip on, and the counts arrive exactly.
#[test]
fn gzipped_push_is_read_by_the_gateway() {
    use std::sync::Arc;

    use routetop::testkit;
    use routetop::view::export::push::Pusher;
    use routetop::view::export::{Log, PushConfig, RenderOptions};

    let Some((_dir, _gw, addr)) = gateway() else {
        return;
    };
    let mut pusher = Pusher::new(
        PushConfig {
            url: format!("http://{addr}"),
            interval: Duration::from_secs(60),
            job: "gz".into(),
            instance: "web-1".into(),
        },
        RenderOptions::default(),
    )
    .unwrap();
    let log: Log = Arc::new(|m| panic!("the push failed: {m}"));
    let snap = testkit::snapshot();
    pusher.push_blocking(&snap, &log);
    assert!(pusher.gzips(), "the gateway took the gzipped push");
    let want: u64 = snap.keys.iter().map(|k| k.count).sum();
    assert_eq!(sum(addr, "http_requests_total", "gz"), want as f64);
}
