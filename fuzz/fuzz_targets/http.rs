//! The `/metrics` server's request path on any bytes a client sends: the
//! real server (`serve_listener`, basic auth on, the fixture snapshot)
//! runs on a thread of its own, and each input is written to a fresh
//! connection, which is then half-closed, and the answer read to its end.
//!
//! No input may crash the server (a panic in it aborts the process here)
//! or hang the connection after the client is done; whatever the server
//! answers is HTTP/1.x responses with a status the server can mean; and
//! the server still answers the next connection.
#![no_main]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use routetop::testkit;
use routetop::view::export::server::{ServeOptions, bind, serve_listener};
use routetop::view::export::web::WebConfig;

/// Statuses the server's own code and hyper's request parsing give.
const STATUSES: &[&[u8]] = &[
    b"200", b"400", b"401", b"404", b"405", b"408", b"413", b"414", b"431", b"501", b"505",
];

fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        // Cost 4: auth is exercised, not a bcrypt benchmark.
        let hash = bcrypt::hash("secret", 4).expect("bcrypt hash");
        let web = WebConfig::parse(
            &format!("basic_auth_users:\n  prom: {hash}\n"),
            Path::new("."),
        )
        .expect("web config");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = bind("127.0.0.1:0").await.expect("bind");
                tx.send(listener.local_addr().expect("local addr"))
                    .expect("send addr");
                let (_keep, snapshots) = tokio::sync::watch::channel(Arc::new(testkit::snapshot()));
                let opts = ServeOptions {
                    web: Some(web),
                    ..Default::default()
                };
                let log = Arc::new(|_msg: String| {});
                serve_listener(listener, snapshots, opts, std::future::pending(), log)
                    .await
                    .expect("serve");
            });
        });
        rx.recv().expect("server address")
    })
}

fuzz_target!(|data: &[u8]| {
    let addr = server();
    let mut conn = TcpStream::connect(addr).expect("the server still accepts");
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    // The server may close as soon as it has seen a bad request: a write
    // it refuses is an answer, not a failure.
    let _ = conn.write_all(data);
    let _ = conn.shutdown(Shutdown::Write);
    let mut answer = Vec::new();
    if let Err(e) = conn.read_to_end(&mut answer) {
        assert!(
            e.kind() != std::io::ErrorKind::WouldBlock && e.kind() != std::io::ErrorKind::TimedOut,
            "the server holds a finished connection open"
        );
    }
    // Each response starts with a status line; bodies are not parsed, so
    // look only at the first (hyper answers pipelined requests in order,
    // and a bad one ends the connection).
    if !answer.is_empty() {
        let status = answer
            .strip_prefix(b"HTTP/1.1 ")
            .or_else(|| answer.strip_prefix(b"HTTP/1.0 "))
            .unwrap_or_else(|| {
                panic!(
                    "not an HTTP response: {:?}",
                    String::from_utf8_lossy(&answer)
                )
            });
        let code = status.get(..3).unwrap_or_default();
        assert!(
            STATUSES.contains(&code),
            "status {:?}",
            String::from_utf8_lossy(&answer)
        );
    }
});
