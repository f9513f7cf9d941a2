//! A real Prometheus (Debian's `prometheus` package) on 127.0.0.1 scraping
//! routetop: first the exporter in-process over a fixed snapshot (exact
//! values, hostile label escaping, the recording rules and every dashboard
//! query evaluated by Prometheus itself), then the real binary (`--headless
//! --metrics`) following a log while it is written.

mod net;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use net::{
    get, need, promtool_check_metrics, query_value, sigterm_and_wait, start_prometheus, urlencode,
    wait_for, wait_ok,
};
use routetop::engine::snapshot::KeySnap;
use routetop::testkit;
use routetop::view::export::{ExportConfig, Exporter, stderr_log};
use tokio::sync::watch;

fn scrape_config(target: SocketAddr) -> String {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/routetop.rules.yml");
    format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         rule_files:\n  - {}\n\
         scrape_configs:\n  - job_name: routetop\n    static_configs:\n      - targets: ['{target}']\n",
        rules.display()
    )
}

fn wait_value(prom: SocketAddr, q: &str, want: f64) {
    let got = wait_for(Duration::from_secs(30), || {
        query_value(prom, q).filter(|v| *v == want)
    });
    assert_eq!(got, Some(want), "{q}: last {:?}", query_value(prom, q));
}

const HOSTILE: &str = "/a\"b\\c\nd";

#[test]
fn prometheus_scrapes_the_exporter() {
    if !need(&["prometheus"]) {
        return;
    }
    let mut snap = testkit::snapshot();
    let mut keys = snap.keys.to_vec();
    keys.push(KeySnap {
        source: 0,
        route: Arc::from(HOSTILE),
        method: Arc::from("GET"),
        status: 200,
        count: 5,
        buckets: vec![0; 8],
        ..Default::default()
    });
    snap.keys = keys.into();
    let (_tx, rx) = watch::channel(Arc::new(snap));
    let cfg = ExportConfig {
        metrics: Some("127.0.0.1:0".into()),
        ..ExportConfig::off()
    };
    let exp = Exporter::start(&cfg, rx, stderr_log()).unwrap().unwrap();
    let target = exp.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_prom, prom) = start_prometheus(dir.path(), &scrape_config(target));

    // Prometheus asks for OpenMetrics first: a scrape that parses at all
    // proves that format; the values prove the content.
    wait_value(prom, "up{job=\"routetop\"}", 1.0);
    wait_value(prom, "sum(http_requests_total)", 14_610.0 + 5.0);
    wait_value(
        prom,
        "count(http_request_duration_seconds_bucket)",
        6.0 * 9.0,
    );
    wait_value(prom, "sum(routetop_lines_read_total)", 15_910.0);
    wait_value(
        prom,
        "http_request_duration_window_seconds{route=\"/login\",quantile=\"0.99\"}",
        0.31,
    );
    wait_value(
        prom,
        "http_request_duration_seconds_bucket{route=\"/login\",status=\"503\",le=\"0.25\"}",
        5.0,
    );
    // The hostile route arrived as itself (PromQL strings escape like Go).
    wait_value(
        prom,
        "sum(http_requests_total{route=\"/a\\\"b\\\\c\\nd\"})",
        5.0,
    );
    // The recording rules evaluate over these series.
    wait_value(prom, "count(route:http_requests:rate5m)", 4.0);

    // Every dashboard query runs without error.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/grafana/routetop.json"),
    )
    .unwrap();
    let d: serde_json::Value = serde_json::from_str(&text).unwrap();
    for p in d["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().into_iter().flatten() {
            let e = t["expr"]
                .as_str()
                .unwrap()
                .replace("$__rate_interval", "1m")
                .replace("$__range", "1h")
                .replace("$job", ".*")
                .replace("$instance", ".*")
                .replace("$route", ".*")
                .replace("$apdex_le", "0.25|1");
            let r = get(prom, &format!("/api/v1/query?query={}", urlencode(&e)), &[]).unwrap();
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(v["status"], "success", "{e}: {}", r.body);
        }
    }
    exp.stop();
}

/// Appends `n` combined_rt lines for `route` to `path`.
fn append(path: &Path, n: usize, route: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] \"GET {route} HTTP/1.1\" {} 512 \"-\" \"t\" 0.0{}\n",
            if i % 10 == 0 { 500 } else { 200 },
            i % 10
        ));
    }
    f.write_all(s.as_bytes()).unwrap();
}

#[test]
fn live_follow_scraped_by_prometheus() {
    if !need(&["prometheus", "promtool"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    std::fs::write(&log, "").unwrap();
    let port = net::free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut rt = net::Proc::spawn(
        std::process::Command::new(env!("CARGO_BIN_EXE_routetop"))
            .args([
                "--headless",
                "--metrics",
                &addr.to_string(),
                "-f",
                "combined_rt",
            ])
            .arg(&log),
        "routetop",
    );
    assert!(
        wait_ok(addr, "/healthz", Duration::from_secs(10)),
        "routetop did not serve /healthz"
    );
    let pdir = tempfile::tempdir().unwrap();
    let (_prom, prom) = start_prometheus(pdir.path(), &scrape_config(addr));
    wait_value(prom, "up{job=\"routetop\"}", 1.0);

    // Written while scraped: 5 batches over about 2.5 s.
    let mut written = 0;
    for b in 0..5 {
        append(&log, 200, &format!("/items/{b}"));
        written += 200;
        std::thread::sleep(Duration::from_millis(500));
    }
    wait_value(prom, "sum(http_requests_total)", written as f64);
    wait_value(prom, "sum(routetop_lines_read_total)", written as f64);

    // promtool on the live endpoint.
    let body = get(addr, "/metrics", &[]).unwrap().body;
    promtool_check_metrics(&body);

    // SIGTERM (to our own child, by pid): a clean, prompt exit.
    let status = sigterm_and_wait(&mut rt, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
}
