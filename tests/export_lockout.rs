//! `/metrics` against clients that hold connections open (issue 20): idle
//! sockets beyond the connection cap, slow headers, hostile requests made
//! while the cap is full, and a scrape with 1 000 idle or slow connections
//! open. Each test is named after the lockout it pins. The server runs
//! in-process (`serve_listener`, with the limits a test chooses) or as the
//! real binary; waits poll with a deadline, never a fixed sleep. How fast
//! the scrape is answered is measured by `scripts/bench-lockout.py`, not
//! here.

mod net;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use net::{Proc, Resp, exchange, free_port, wait_ok};
use routetop::engine::snapshot::Snapshot;
use routetop::testkit;
use routetop::view::export::server::{self, Limits, ServeOptions};
use routetop::view::export::web::WebConfig;
use routetop::view::export::{stderr_log, wait_true};
use tokio::sync::watch;

/// The deadline a scrape must beat while the server is under siege:
/// generous (it is answered in milliseconds; see the benchmark), so only a
/// lockout fails it, not a loaded machine.
const SCRAPE_DEADLINE: Duration = Duration::from_secs(5);

/// `serve_listener` on 127.0.0.1 on a thread of its own, with a
/// single-threaded runtime as `Exporter::start` uses; stopped on drop.
struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
    _snapshots: watch::Sender<Arc<Snapshot>>,
}

impl Server {
    fn start(limits: Limits) -> Server {
        Server::start_with(ServeOptions {
            limits,
            ..Default::default()
        })
    }

    fn start_with(opts: ServeOptions) -> Server {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listener = rt.block_on(server::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let (snapshots, rx) = watch::channel(Arc::new(testkit::snapshot()));
        let (stop, stopped) = watch::channel(false);
        let thread = std::thread::spawn(move || {
            rt.block_on(server::serve_listener(
                listener,
                rx,
                opts,
                wait_true(stopped),
                stderr_log(),
            ))
            .unwrap();
        });
        Server {
            addr,
            stop,
            thread: Some(thread),
            _snapshots: snapshots,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `GET /metrics` on a new connection, answered within [`SCRAPE_DEADLINE`]
/// (counted from the connect) with the exposition.
fn scrape(addr: SocketAddr) -> Resp {
    let t = Instant::now();
    let mut s = TcpStream::connect_timeout(&addr, SCRAPE_DEADLINE).unwrap();
    s.set_read_timeout(Some(SCRAPE_DEADLINE)).unwrap();
    let r = exchange(
        &mut s,
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap_or_else(|e| panic!("scrape refused after {:?}: {e}", t.elapsed()));
    assert!(
        t.elapsed() < SCRAPE_DEADLINE,
        "scrape took {:?}",
        t.elapsed()
    );
    assert_eq!(r.status, 200);
    // Every exposition has it, the binary's first one (which has seen no
    // traffic yet: it follows from the end) included.
    assert!(r.body.contains("\nroutetop_build_info{"), "{}", r.body);
    r
}

/// `n` connections that send nothing, opened one after the other.
fn idle(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|i| {
            TcpStream::connect_timeout(&addr, SCRAPE_DEADLINE)
                .unwrap_or_else(|e| panic!("idle connection {i}: {e}"))
        })
        .collect()
}

/// Whether the server has closed `s`: reads until end of stream (or a
/// reset), for at most `limit`. `false` means it was still open then.
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 512];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// Clients that send a request head one byte at a time, a byte per
/// `every` to each connection, and never finish it: the slow-headers
/// attack. Stops (and closes them) on drop.
struct Trickle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Trickle {
    fn start(mut conns: Vec<TcpStream>, every: Duration) -> Trickle {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let head = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ";
            let mut at = 0usize;
            while !flag.load(Ordering::Relaxed) {
                let byte = head.get(at).copied().unwrap_or(b'a');
                at += 1;
                for c in &mut conns {
                    // Evicted connections fail here; they are the server's
                    // business, not the trickler's.
                    let _ = c.write_all(&[byte]);
                }
                // The pace of the attack itself, not a wait for a result.
                std::thread::sleep(every);
            }
        });
        Trickle {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Trickle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn idle_sockets_beyond_the_cap_do_not_lock_out_scrapes() {
    let limits = Limits::default();
    let cap = limits.max_connections;
    let srv = Server::start(limits);
    // Twice the cap of connections that never send a byte (what used to
    // refuse the next connection at once, with no response).
    let mut held = idle(srv.addr, 2 * cap);
    scrape(srv.addr);
    // Oldest first: the first cap + 1 made room for the newer ones and the
    // scrape; the newest cap - 1 are still open.
    for (i, s) in held.iter_mut().enumerate().take(cap + 1) {
        assert!(
            closed_within(s, SCRAPE_DEADLINE),
            "connection {i} not evicted"
        );
    }
    for (i, s) in held.iter_mut().enumerate().skip(cap + 1) {
        assert!(
            !closed_within(s, Duration::from_millis(50)),
            "connection {i} evicted, but older ones were there"
        );
    }
}

#[test]
fn idle_socket_is_closed_at_the_header_timeout_from_accept() {
    let timeout = Duration::from_millis(500);
    let srv = Server::start(Limits {
        header_timeout: timeout,
        ..Limits::default()
    });
    let t = Instant::now();
    let mut s = TcpStream::connect(srv.addr).unwrap();
    assert!(closed_within(&mut s, Duration::from_secs(10)));
    assert!(t.elapsed() >= timeout, "closed after {:?}", t.elapsed());
}

#[test]
fn slow_headers_are_closed_at_the_header_timeout_from_accept() {
    // A byte every 50 ms keeps any per-read timer alive; the request head
    // must still be complete within header_timeout of the accept.
    let timeout = Duration::from_millis(500);
    let srv = Server::start(Limits {
        header_timeout: timeout,
        ..Limits::default()
    });
    let t = Instant::now();
    let s = TcpStream::connect(srv.addr).unwrap();
    let mut watch = s.try_clone().unwrap();
    let _trickle = Trickle::start(vec![s], Duration::from_millis(50));
    assert!(closed_within(&mut watch, Duration::from_secs(10)));
    assert!(t.elapsed() >= timeout, "closed after {:?}", t.elapsed());
}

/// `GET /healthz` on a keep-alive connection: reads exactly its response
/// (head, then `Content-Length` bytes) and returns the body.
fn keep_alive_healthz(s: &mut TcpStream) -> String {
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).expect("response head");
        head.push(byte[0]);
    }
    let r = net::parse(&head).unwrap();
    assert_eq!(r.status, 200);
    let len: usize = r.header("content-length").unwrap().parse().unwrap();
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).expect("response body");
    String::from_utf8(body).unwrap()
}

#[test]
fn keep_alive_connection_is_timed_from_its_last_response() {
    // Prometheus keeps its connection between scrapes: the header timeout
    // counts from the end of the previous response, not from the accept.
    let timeout = Duration::from_secs(2);
    let srv = Server::start(Limits {
        header_timeout: timeout,
        ..Limits::default()
    });
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(SCRAPE_DEADLINE)).unwrap();
    let start = Instant::now();
    let mut n = 0;
    let mut last_sent = start;
    while start.elapsed() < 2 * timeout {
        // Before the request: the server's clock restarts later, when it
        // has written the response.
        last_sent = Instant::now();
        assert_eq!(keep_alive_healthz(&mut s), "OK\n", "request {n}");
        n += 1;
        // The scraper's pace: well within the timeout.
        std::thread::sleep(timeout / 20);
    }
    assert!(closed_within(&mut s, Duration::from_secs(10)));
    assert!(
        last_sent.elapsed() >= timeout,
        "closed {:?} after the last request",
        last_sent.elapsed()
    );
}

#[test]
fn slow_headers_beyond_the_cap_do_not_lock_out_scrapes() {
    let limits = Limits::default();
    let cap = limits.max_connections;
    let srv = Server::start(limits);
    let _trickle = Trickle::start(idle(srv.addr, 2 * cap), Duration::from_millis(100));
    for _ in 0..3 {
        scrape(srv.addr);
    }
}

/// Fills the cap with idle connections, sends `request` on one more, and
/// returns its answer (read while the request is still being written, as
/// the server answers before reading it all).
fn hostile_at_the_cap(addr: SocketAddr, cap: usize, request: Vec<u8>) -> (Resp, Vec<TcpStream>) {
    let held = idle(addr, cap);
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(SCRAPE_DEADLINE)).unwrap();
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        // The server stops reading at its header limit and closes: the
        // rest of the write fails, as it should.
        let _ = w.write_all(&request);
    });
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    writer.join().unwrap();
    let r = net::parse(&buf).unwrap_or_else(|e| {
        panic!(
            "no answer to the hostile request: {e} ({:?})",
            String::from_utf8_lossy(&buf)
        )
    });
    (r, held)
}

#[test]
fn scrape_right_after_a_1mib_header_at_the_cap_is_answered() {
    let limits = Limits::default();
    let cap = limits.max_connections;
    let srv = Server::start(limits);
    let mut req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    req.extend(std::iter::repeat_n(b'a', 1 << 20));
    req.extend_from_slice(b"\r\n\r\n");
    let (r, _held) = hostile_at_the_cap(srv.addr, cap, req);
    assert_eq!(r.status, 431);
    scrape(srv.addr);
}

#[test]
fn scrape_right_after_10000_headers_at_the_cap_is_answered() {
    let limits = Limits::default();
    let cap = limits.max_connections;
    let srv = Server::start(limits);
    let mut req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..10_000 {
        req.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    let (r, _held) = hostile_at_the_cap(srv.addr, cap, req);
    assert_eq!(r.status, 431);
    scrape(srv.addr);
}

#[test]
fn scrape_right_after_an_unfinished_request_at_the_cap_is_answered() {
    // A request head cut short, then silence: the connection waits for the
    // rest and is the next to be evicted, not a reason to refuse.
    let limits = Limits::default();
    let cap = limits.max_connections;
    let srv = Server::start(limits);
    let _held = idle(srv.addr, cap);
    let mut cut = TcpStream::connect(srv.addr).unwrap();
    cut.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Cut: ")
        .unwrap();
    scrape(srv.addr);
}

/// Enough open files for `n` client sockets and the server's own.
fn room_for_sockets(n: u64) -> bool {
    match net::raise_open_files(n + 256) {
        Ok(()) => true,
        Err(limit) => net::skip_or_fail(&format!(
            "{n} sockets need more open files than the hard limit allows ({limit})"
        )),
    }
}

#[test]
fn scrape_is_answered_with_1000_idle_connections_open() {
    if !room_for_sockets(1000) {
        return;
    }
    let srv = Server::start(Limits::default());
    let _held = idle(srv.addr, 1000);
    scrape(srv.addr);
}

#[test]
fn scrape_is_answered_with_1000_slow_connections_open() {
    if !room_for_sockets(1000) {
        return;
    }
    let srv = Server::start(Limits::default());
    let _trickle = Trickle::start(idle(srv.addr, 1000), Duration::from_secs(1));
    scrape(srv.addr);
    scrape(srv.addr);
}

#[test]
fn binary_answers_scrapes_with_1000_idle_connections_open() {
    if !room_for_sockets(1000) {
        return;
    }
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let log = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/combined_rt.log");
    let p = Proc::spawn(
        Command::new(env!("CARGO_BIN_EXE_routetop"))
            .args(["--headless", "--metrics", &addr.to_string()])
            .arg(&log),
        "routetop",
    );
    if !wait_ok(addr, "/healthz", Duration::from_secs(30)) {
        panic!("routetop did not serve: {}", p.stderr());
    }
    let _held = idle(addr, 1000);
    scrape(addr);
    drop(p);
}

#[test]
fn idle_sockets_beyond_the_cap_do_not_lock_out_tls_scrapes() {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;

    // Connections that never start their TLS handshake are waiting too.
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let yaml = format!(
        "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
        data.join("tls.crt").display(),
        data.join("tls.key").display()
    );
    let web = WebConfig::parse(&yaml, &data).unwrap();
    let limits = Limits::default();
    let cap = limits.max_connections;
    let srv = Server::start_with(ServeOptions {
        limits,
        web: Some(web),
        ..Default::default()
    });
    let _held = idle(srv.addr, 2 * cap);

    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(data.join("tls.crt")).unwrap() {
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
    let conn =
        rustls::ClientConnection::new(Arc::new(client), "localhost".try_into().unwrap()).unwrap();
    let tcp = TcpStream::connect_timeout(&srv.addr, SCRAPE_DEADLINE).unwrap();
    tcp.set_read_timeout(Some(SCRAPE_DEADLINE)).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let r = exchange(
        &mut tls,
        b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.contains("\nroutetop_build_info{"));
}
