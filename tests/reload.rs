//! SIGHUP re-reads the config file, with the real binary: inputs added
//! start following, removed ones stop (their counts stay), kept ones go on
//! from where they were; a new web config (users) applies to new
//! connections; a config that fails to load keeps the running one.

mod net;

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use net::{Proc, free_port, get, signal, wait_for};

fn append(path: &Path, from: u64, n: u64) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open");
    let mut s = String::new();
    for i in from..from + n {
        s.push_str(&format!(
            "10.0.0.1 - - [05/Dec/2026:10:00:00 +0000] \"GET /r/{i} HTTP/1.1\" 200 10 \"-\" \"t\" 0.010\n"
        ));
    }
    f.write_all(s.as_bytes()).expect("write");
}

/// `routetop_lines_read_total` per source name, from a scrape.
fn lines_by_source(addr: SocketAddr, auth: &[&str]) -> Option<Vec<(String, u64)>> {
    let r = get(addr, "/metrics", auth).ok()?;
    if r.status != 200 {
        return None;
    }
    let mut out: Vec<(String, u64)> = r
        .body
        .lines()
        .filter(|l| l.starts_with("routetop_lines_read_total{"))
        .filter_map(|l| {
            let src = l.split("source=\"").nth(1)?.split('"').next()?;
            let v = l.rsplit(' ').next()?.parse().ok()?;
            Some((src.rsplit('/').next()?.to_string(), v))
        })
        .collect();
    out.sort();
    Some(out)
}

fn wait_lines(addr: SocketAddr, want: &[(&str, u64)]) {
    let want: Vec<(String, u64)> = want.iter().map(|(s, n)| (s.to_string(), *n)).collect();
    let mut last = None;
    let ok = wait_for(Duration::from_secs(20), || {
        last = lines_by_source(addr, &[]);
        (last.as_ref() == Some(&want)).then_some(())
    });
    assert!(ok.is_some(), "want {want:?}, last scrape {last:?}");
}

fn config(inputs: &[&Path]) -> String {
    inputs
        .iter()
        .map(|p| format!("[[inputs]]\npath = {:?}\n", p.display().to_string()))
        .collect()
}

#[test]
fn sighup_adds_and_removes_inputs_and_kept_ones_go_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b, c) = (
        dir.path().join("a.log"),
        dir.path().join("b.log"),
        dir.path().join("c.log"),
    );
    for p in [&a, &b] {
        fs::write(p, "").expect("create");
    }
    // c holds history before it is added: followed from its end, as an
    // input given at start would be.
    append(&c, 0, 5);
    let conf = dir.path().join("routetop.toml");
    fs::write(&conf, config(&[&a, &b])).expect("config");
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut p = Proc::spawn(
        Command::new(env!("CARGO_BIN_EXE_routetop"))
            .args([
                "--headless",
                "--interval",
                "1h",
                "-f",
                "combined_rt",
                "--config",
            ])
            .arg(&conf)
            .arg("--metrics")
            .arg(addr.to_string()),
        "routetop",
    );
    wait_for(Duration::from_secs(20), || get(addr, "/metrics", &[]).ok()).expect("serving");
    append(&a, 0, 10);
    append(&b, 0, 20);
    wait_lines(addr, &[("a.log", 10), ("b.log", 20)]);

    fs::write(&conf, config(&[&b, &c])).expect("config");
    signal(p.0.id(), "HUP");
    // Known once c's source appears (its lines read stay 0: history).
    wait_lines(addr, &[("a.log", 10), ("b.log", 20), ("c.log", 0)]);
    append(&a, 10, 7);
    append(&b, 20, 11);
    append(&c, 5, 13);
    wait_lines(addr, &[("a.log", 10), ("b.log", 31), ("c.log", 13)]);
    // A config that does not load keeps everything as it is.
    fs::write(&conf, "[[inputs]]\npath = 3\n").expect("config");
    signal(p.0.id(), "HUP");
    std::thread::sleep(Duration::from_millis(500));
    append(&b, 31, 1);
    wait_lines(addr, &[("a.log", 10), ("b.log", 32), ("c.log", 13)]);
    let status = net::sigterm_and_wait(&mut p, Duration::from_secs(20));
    assert!(status.success());
    let err = p.stderr();
    assert!(
        err.contains("SIGHUP: following ") && err.contains("c.log; no longer following "),
        "{err}"
    );
    assert!(err.contains("SIGHUP: keeping the old settings"), "{err}");
}

#[test]
fn sighup_applies_a_new_web_config_to_new_connections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("a.log");
    fs::write(&log, "").expect("log");
    let web = dir.path().join("web.yml");
    let users = |name: &str| {
        let hash = bcrypt::hash("pw", 4).unwrap();
        format!("basic_auth_users:\n  {name}: '{hash}'\n")
    };
    fs::write(&web, users("alice")).expect("web");
    let conf = dir.path().join("routetop.toml");
    fs::write(
        &conf,
        format!(
            "{}[export]\nweb_config = {:?}\n",
            config(&[&log]),
            web.display().to_string()
        ),
    )
    .expect("config");
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut p = Proc::spawn(
        Command::new(env!("CARGO_BIN_EXE_routetop"))
            .args(["--headless", "--interval", "1h", "--config"])
            .arg(&conf)
            .arg("--metrics")
            .arg(addr.to_string()),
        "routetop",
    );
    // user:pw in base64.
    let alice = "Authorization: Basic YWxpY2U6cHc=";
    let bob = "Authorization: Basic Ym9iOnB3";
    let status = |h: &str| get(addr, "/metrics", &[h]).map(|r| r.status).ok();
    wait_for(Duration::from_secs(20), || {
        status(alice).filter(|&s| s == 200)
    })
    .expect("alice gets in");
    assert_eq!(status(bob), Some(401));
    fs::write(&web, users("bob")).expect("web");
    signal(p.0.id(), "HUP");
    wait_for(Duration::from_secs(20), || {
        status(bob).filter(|&s| s == 200)
    })
    .expect("bob gets in after the reload");
    assert_eq!(status(alice), Some(401));
    // A broken web config keeps the one in use.
    fs::write(&web, "basic_auth_users: [1, 2]\n").expect("web");
    signal(p.0.id(), "HUP");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(status(bob), Some(200));
    net::sigterm_and_wait(&mut p, Duration::from_secs(20));
    let mut err = String::new();
    if let Some(mut e) = p.0.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert!(err.contains("SIGHUP: keeping the old web config"), "{err}");
}

/// A self-signed certificate for `localhost` in `dir`: (cert, key).
fn cert(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let (crt, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost"])
        // An end-entity certificate, which webpki accepts as its own anchor.
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .output()
        .expect("run openssl")
        .status
        .success();
    assert!(ok, "openssl made no certificate");
    (crt, key)
}

/// `GET /healthz` over TLS, trusting only `crt`: the status, or `None`
/// when the handshake fails (the server shows another certificate).
fn tls_status(addr: SocketAddr, crt: &Path) -> Option<u16> {
    use std::sync::Arc;
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(crt).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    // The ring provider (see src/view/export/tls.rs for why, deprecated
    // or not).
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(client), "localhost".try_into().unwrap()).unwrap();
    let tcp = std::net::TcpStream::connect(addr).ok()?;
    tcp.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let req = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    net::exchange(&mut tls, req).ok().map(|r| r.status)
}

/// A renewed certificate (the web config's files replaced, or the config
/// pointing at new ones) is served to new connections after SIGHUP.
#[test]
fn sighup_serves_a_renewed_tls_certificate() {
    if !net::need(&["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (old_crt, old_key) = cert(dir.path(), "old");
    let (new_crt, new_key) = cert(dir.path(), "new");
    let log = dir.path().join("a.log");
    fs::write(&log, "").expect("log");
    let web = dir.path().join("web.yml");
    let tls = |crt: &Path, key: &Path| {
        format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
            crt.display(),
            key.display()
        )
    };
    fs::write(&web, tls(&old_crt, &old_key)).expect("web");
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut p = Proc::spawn(
        Command::new(env!("CARGO_BIN_EXE_routetop"))
            .args(["--headless", "--interval", "1h", "--web-config"])
            .arg(&web)
            .arg("--metrics")
            .arg(addr.to_string())
            .arg(&log),
        "routetop",
    );
    wait_for(Duration::from_secs(20), || tls_status(addr, &old_crt)).expect("serving TLS");
    assert_eq!(
        tls_status(addr, &new_crt),
        None,
        "the new one is not served yet"
    );
    fs::write(&web, tls(&new_crt, &new_key)).expect("web");
    signal(p.0.id(), "HUP");
    wait_for(Duration::from_secs(20), || tls_status(addr, &new_crt))
        .expect("the renewed certificate is served");
    assert_eq!(tls_status(addr, &old_crt), None, "the old one is not");
    assert!(net::sigterm_and_wait(&mut p, Duration::from_secs(20)).success());
}
