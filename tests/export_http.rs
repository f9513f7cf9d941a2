//! The `/metrics` server in-process on 127.0.0.1: what each path answers,
//! content negotiation, limits, basic auth, TLS, graceful stop, and
//! `promtool check metrics` on the live endpoint.

mod net;

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use net::{exchange, get, promtool_check_metrics};
use routetop::engine::snapshot::{Series, Snapshot};
use routetop::testkit;
use routetop::view::export::{
    ExportConfig, Exporter, RenderOptions, ScrapeState, render, stderr_log,
};
use tokio::sync::watch;

fn start(cfg: ExportConfig) -> (Exporter, SocketAddr, watch::Sender<Arc<Snapshot>>) {
    let (tx, rx) = watch::channel(Arc::new(testkit::snapshot()));
    let exp = Exporter::start(&cfg, rx, stderr_log())
        .expect("exporter starts")
        .expect("something to run");
    let addr = exp.local_addr().expect("listening");
    (exp, addr, tx)
}

fn serving() -> ExportConfig {
    ExportConfig {
        metrics: Some("127.0.0.1:0".into()),
        ..ExportConfig::off()
    }
}

/// Regression: a HEAD of `/metrics` (a load balancer's or an uptime
/// check's probe) counted as a scrape, so the max gauge of the next GET
/// covered only the steps since the probe: 0 instead of the slowest
/// request. A HEAD now leaves the scrape state alone, whatever its
/// encoding.
#[test]
fn a_head_probe_is_not_a_scrape() {
    let (exp, addr, tx) = start(serving());
    // A series of 1 s steps, the slowest request 9 ms in the first.
    let mut snap = testkit::snapshot();
    let series = Arc::new(Series {
        step: Duration::from_secs(1),
        end: 10,
        max_us: vec![9_000, 1_000, 2_000, 3_000],
        ..Default::default()
    });
    snap.uptime = Duration::from_millis(10_500);
    snap.total.series = series.clone();
    for r in &mut snap.routes {
        r.series = series.clone();
    }
    let fresh = render(
        &snap,
        &RenderOptions::default(),
        &mut ScrapeState::default(),
    );
    let maxes: Vec<&str> = fresh.lines().filter(|l| l.contains("_max{")).collect();
    assert_eq!(maxes.len(), 3);
    assert!(maxes.iter().all(|l| l.ends_with("} 0.009")), "{maxes:?}");
    tx.send(Arc::new(snap)).unwrap();
    for gzip in [false, true] {
        let mut s = TcpStream::connect(addr).unwrap();
        let enc = if gzip {
            "Accept-Encoding: gzip\r\n"
        } else {
            ""
        };
        let head = format!("HEAD /metrics HTTP/1.1\r\nHost: x\r\n{enc}Connection: close\r\n\r\n");
        let r = exchange(&mut s, head.as_bytes()).unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, ""));
    }
    let r = get(addr, "/metrics", &[]).unwrap();
    assert!(r.body == fresh, "the GET after probes is the first scrape");
    exp.stop();
}

#[test]
fn paths_formats_and_limits() {
    let (exp, addr, tx) = start(serving());

    let r = get(addr, "/metrics", &[]).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    // The first scrape is exactly a fresh render of the published snapshot.
    let want = render(
        &testkit::snapshot(),
        &RenderOptions::default(),
        &mut ScrapeState::default(),
    );
    assert!(r.body == want, "body differs from render()");

    for path in ["/healthz", "/-/healthy"] {
        let r = get(addr, path, &[]).unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, "OK\n"), "{path}");
    }
    let r = get(addr, "/", &[]).unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.contains("href=\"metrics\""));
    assert_eq!(get(addr, "/metricsx", &[]).unwrap().status, 404);

    // OpenMetrics when asked for, as Prometheus does.
    let r = get(
        addr,
        "/metrics",
        &["Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"],
    )
    .unwrap();
    assert_eq!(
        r.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    assert!(r.body.ends_with("# EOF\n"));

    // Only GET and HEAD.
    let mut s = TcpStream::connect(addr).unwrap();
    let r = exchange(
        &mut s,
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    let mut s = TcpStream::connect(addr).unwrap();
    let r = exchange(
        &mut s,
        b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "");

    // Headers beyond the limit are refused.
    let big = format!("X-Big: {}", "a".repeat(40 * 1024));
    assert_eq!(get(addr, "/metrics", &[&big]).unwrap().status, 431);

    // A new snapshot is what the next scrape serves.
    let mut next = testkit::snapshot();
    let mut keys: Vec<_> = next
        .keys
        .iter()
        .filter(|k| k.route.as_ref() == "/healthz")
        .cloned()
        .collect();
    keys[0].count = 1234;
    next.keys = keys.into();
    tx.send(Arc::new(next)).unwrap();
    let r = get(addr, "/metrics", &[]).unwrap();
    assert!(r.body.contains(
        "http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\",source=\"/var/log/nginx/access.log\"} 1234\n"
    ));
    assert!(!r.body.contains("route=\"/login\",method=\"POST\""));

    // Graceful stop: returns promptly, then nothing listens.
    let t = Instant::now();
    exp.stop();
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
    assert!(get(addr, "/healthz", &[]).is_err());
}

#[test]
fn idle_connection_does_not_hold_shutdown() {
    let (exp, addr, _tx) = start(serving());
    // A client that connects and says nothing.
    let _idle = TcpStream::connect(addr).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    exp.stop();
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
}

#[test]
fn promtool_checks_the_live_endpoint() {
    if !net::need(&["promtool"]) {
        return;
    }
    let (exp, addr, _tx) = start(serving());
    let r = get(addr, "/metrics", &[]).unwrap();
    let body = r.body;
    promtool_check_metrics(&body);
    exp.stop();
}

fn basic(user: &str, pass: &str) -> String {
    use base64::Engine;
    format!(
        "Authorization: Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

fn web_config(dir: &std::path::Path, tls: bool) -> std::path::PathBuf {
    // Cost 4: the minimum, so the test is quick; the server does not care.
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut yaml = format!("basic_auth_users:\n  prom: '{hash}'\n  other: '{hash}'\n");
    if tls {
        yaml.push_str(&format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
            data.join("tls.crt").display(),
            data.join("tls.key").display()
        ));
    }
    yaml.push_str("http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n");
    let p = dir.join("web.yml");
    std::fs::write(&p, yaml).unwrap();
    p
}

#[test]
fn basic_auth_guards_metrics_only() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ExportConfig {
        web_config: Some(web_config(dir.path(), false)),
        ..serving()
    };
    let (exp, addr, _tx) = start(cfg);
    let r = get(addr, "/metrics", &[]).unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Basic realm=\"routetop\"")
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    for (u, p) in [("prom", "wrong"), ("nobody", "s3cret"), ("prom", "")] {
        assert_eq!(
            get(addr, "/metrics", &[&basic(u, p)]).unwrap().status,
            401,
            "{u}:{p}"
        );
    }
    for _ in 0..2 {
        // The second time from the verified cache.
        let r = get(addr, "/metrics", &[&basic("prom", "s3cret")]).unwrap();
        assert_eq!(r.status, 200);
        assert!(r.body.contains("http_requests_total"));
    }
    // A cached password does not open another user.
    assert_eq!(
        get(addr, "/metrics", &[&basic("other", "wrong")])
            .unwrap()
            .status,
        401
    );
    assert_eq!(get(addr, "/healthz", &[]).unwrap().status, 200);
    exp.stop();
}

#[test]
fn tls_with_auth() {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;

    let dir = tempfile::tempdir().unwrap();
    let cfg = ExportConfig {
        web_config: Some(web_config(dir.path(), true)),
        ..serving()
    };
    let (exp, addr, _tx) = start(cfg);

    let mut roots = rustls::RootCertStore::empty();
    let crt = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tls.crt");
    for c in CertificateDer::pem_file_iter(&crt).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    // ring, as the server and push client use (src/view/export/tls.rs says
    // why, and why it is deprecated).
    #[allow(deprecated)]
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let client = Arc::new(client);
    let request = |auth: &str| {
        let conn =
            rustls::ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let req = format!(
            "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{auth}\r\n\r\n"
        );
        exchange(&mut tls, req.as_bytes())
    };
    let r = request(&basic("prom", "s3cret")).unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.contains("routetop_build_info"));
    assert_eq!(request(&basic("prom", "nope")).unwrap().status, 401);
    // Plain HTTP to the TLS port gets no HTTP answer.
    assert!(get(addr, "/healthz", &[]).map(|r| r.status).ok() != Some(200));
    exp.stop();
}

#[test]
fn bad_web_config_fails_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("web.yml");
    for (yaml, want) in [
        (
            "basic_auth_users:\n  prom: plaintext\n",
            "not a bcrypt hash",
        ),
        (
            "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_ca_file: ca.crt\n",
            "client_ca_file: not supported",
        ),
        (
            "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n",
            "missing.crt",
        ),
        ("tls_server_config:\n  key_file: x\n", ""),
        ("nonsense: 1\n", "nonsense: not supported"),
        ("basic_auth_users: [1, 2]\n", "must be a mapping"),
    ] {
        std::fs::write(&p, yaml).unwrap();
        let cfg = ExportConfig {
            web_config: Some(p.clone()),
            ..serving()
        };
        let (_tx, rx) = watch::channel(Arc::new(testkit::empty()));
        match Exporter::start(&cfg, rx, stderr_log()) {
            Ok(_) => panic!("accepted: {yaml}"),
            Err(e) => assert!(e.to_string().contains(want), "{yaml}: {e}"),
        }
    }
}

#[test]
fn address_in_use_is_an_error() {
    let (exp, addr, _tx) = start(serving());
    let cfg = ExportConfig {
        metrics: Some(addr.to_string()),
        ..ExportConfig::off()
    };
    let (_tx2, rx) = watch::channel(Arc::new(testkit::empty()));
    let e = Exporter::start(&cfg, rx, stderr_log())
        .err()
        .expect("bind fails");
    assert!(
        e.to_string().starts_with(&format!("--metrics {addr}:")),
        "{e}"
    );
    exp.stop();
}
