//! The `/metrics` HTTP server: hyper 1 (HTTP/1.1 only, which is what
//! Prometheus speaks to exporters), no framework.
//!
//! | path | what | auth |
//! |---|---|---|
//! | `/metrics` | the latest snapshot, text format or OpenMetrics by `Accept`, gzip by `Accept-Encoding` | basic auth if configured |
//! | `/healthz`, `/-/healthy` | `200 OK` while the server runs | none: probes rarely carry credentials, and these disclose nothing |
//! | `/` | a short page linking `/metrics` | none |
//!
//! Limits, because an exporter is often reachable by more than Prometheus:
//! only GET/HEAD (request bodies are never read), 16 KiB of headers, a TLS
//! handshake timeout, and a cap on open connections that no client can use
//! to lock scrapers out: a request head must arrive within the header
//! timeout of the accept (or of the previous response, on a keep-alive
//! connection), a response must be written within the response timeout,
//! and at the cap a new connection takes the slot of the one waiting
//! longest (`conns.rs` owns these rules). Rendering runs on tokio's
//! blocking pool, so a slow render never stalls accepting or other
//! connections; it reads the snapshot the engine last published and never
//! waits for the engine.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use super::body::Chunks;
use super::conns::{Answering, Conns, Phase, Timeouts};
use super::families::ScrapeState;
use super::gzip::Encoding;
use super::log::Log;
use super::render::RenderCache;
use super::specs::RenderOptions;
use super::text::Format;
use super::web::WebConfig;
use crate::engine::snapshot::Snapshot;

/// Resource limits of the server.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Open connections at most. At the cap a new connection is still
    /// served: it takes the slot of the connection waiting longest for a
    /// request head (see `conns.rs`).
    pub max_connections: usize,
    /// How long a connection may take to send a complete request head,
    /// counted from its accept (TLS handshake included) or from the end of
    /// its previous response (keep-alive), however slowly bytes trickle in.
    pub header_timeout: Duration,
    pub handshake_timeout: Duration,
    /// How long answering a request may take, from its head to the last
    /// byte handed to the socket: ends clients that never read.
    pub response_timeout: Duration,
    /// At the cap with no connection waiting, how long a connection must
    /// have been answering before a new one may take its slot.
    pub evict_answering_after: Duration,
    /// Request line + headers.
    pub max_header_bytes: usize,
    /// How long open requests may finish after the shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 64,
            // Longer than Prometheus' default 15 s scrape interval, so its
            // keep-alive connection survives between scrapes.
            header_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
            // Prometheus gives up at its scrape timeout (at most the scrape
            // interval, commonly 10-60 s) and closes; this is for clients
            // that neither read nor close.
            response_timeout: Duration::from_secs(60),
            // A scrape is answered in milliseconds; one still answering
            // after 2 s is a client not reading.
            evict_answering_after: Duration::from_secs(2),
            max_header_bytes: 16 * 1024,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// How to serve.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    pub render: RenderOptions,
    pub web: Option<WebConfig>,
    /// A newer web config (SIGHUP): new connections use it, open ones
    /// keep the one they were accepted with.
    pub web_updates: Option<watch::Receiver<Option<WebConfig>>>,
    pub limits: Limits,
}

/// The web config as connections use it: TLS acceptor, users, headers.
struct Web {
    tls: Option<tokio_rustls::TlsAcceptor>,
    auth: Option<Auth>,
    /// Extra response headers.
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Web {
    fn new(web: Option<WebConfig>) -> Web {
        Web {
            tls: web
                .as_ref()
                .and_then(|w| w.tls.clone())
                .map(tokio_rustls::TlsAcceptor::from),
            auth: web
                .as_ref()
                .filter(|w| !w.users.is_empty())
                .map(|w| Auth::new(w.users.clone())),
            // Validated when the web config was loaded; parsed once here.
            headers: web
                .map(|w| w.headers)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| {
                    Some((
                        HeaderName::from_bytes(k.as_bytes()).ok()?,
                        HeaderValue::from_str(&v).ok()?,
                    ))
                })
                .collect(),
        }
    }
}

/// Binds `addr` (`HOST:PORT`; host names are resolved).
pub async fn bind(addr: &str) -> io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves on `listener` until `shutdown` resolves, then lets open requests
/// finish (up to [`Limits::shutdown_grace`]).
pub async fn serve_listener(
    listener: TcpListener,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()>,
    log: Log,
) -> io::Result<()> {
    let limits = opts.limits.clone();
    let mut web = Arc::new(Web::new(opts.web));
    let mut web_updates = opts.web_updates;
    let app = Arc::new(App {
        snapshots,
        render: opts.render,
        scrape: Mutex::new(ScrapeState::default()),
        cache: Mutex::new(RenderCache::default()),
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    // The header timeout is the connection table's (it counts from the
    // accept and covers the TLS handshake); hyper's own would be a second
    // clock with other rules.
    http.timer(TokioTimer::new())
        .header_read_timeout(None)
        .max_buf_size(limits.max_header_bytes.max(8192));
    let conns = Conns::new(
        limits.max_connections,
        Timeouts {
            waiting: limits.header_timeout,
            answering: limits.response_timeout,
            evict_answering_after: limits.evict_answering_after,
        },
    );
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, _peer) = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: say so, back off
                    // instead of spinning, keep serving.
                    log(format!("/metrics accept: {e}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        // At the cap this evicts the connection waiting longest, and waits
        // for its slot (or, if every connection is answering, for the first
        // to finish): new connections queue in the kernel meanwhile.
        let slot = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            s = conns.admit() => match s {
                Some(s) => s,
                None => continue,
            },
        };
        let _ = tcp.set_nodelay(true);
        if let Some(u) = &mut web_updates
            && u.has_changed().unwrap_or(false)
        {
            web = Arc::new(Web::new(u.borrow_and_update().clone()));
        }
        let tls = web.tls.clone();
        let (app, web, http, watcher) =
            (app.clone(), web.clone(), http.clone(), graceful.watcher());
        let handshake = limits.handshake_timeout;
        tokio::spawn(async move {
            let conn = slot.clone();
            let svc = hyper::service::service_fn(move |req| {
                let (app, web, slot) = (app.clone(), web.clone(), slot.clone());
                slot.set(Phase::Answering);
                async move {
                    let resp = handle(app, web, req).await?;
                    Ok::<_, Infallible>(resp.map(|body| Answering::new(body, slot)))
                }
            });
            let serve = async {
                match tls {
                    Some(acceptor) => {
                        let Ok(Ok(stream)) =
                            tokio::time::timeout(handshake, acceptor.accept(tcp)).await
                        else {
                            return;
                        };
                        let _ = watcher
                            .watch(http.serve_connection(TokioIo::new(stream), svc))
                            .await;
                    }
                    None => {
                        let _ = watcher
                            .watch(http.serve_connection(TokioIo::new(tcp), svc))
                            .await;
                    }
                }
            };
            // Evicted or past its deadline: dropping the connection closes
            // the socket.
            tokio::select! {
                _ = serve => {}
                _ = conn.ended() => {}
            }
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(limits.shutdown_grace) => {}
    }
    Ok(())
}

struct App {
    snapshots: watch::Receiver<Arc<Snapshot>>,
    render: RenderOptions,
    /// The max gauge's memory: one per endpoint (see [`ScrapeState`]).
    scrape: Mutex<ScrapeState>,
    cache: Mutex<RenderCache>,
}

type Resp = Response<Chunks>;

fn respond(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Resp {
    respond_parts(status, content_type, [body.into()])
}

fn respond_parts(
    status: StatusCode,
    content_type: &str,
    parts: impl IntoIterator<Item = Bytes>,
) -> Resp {
    let mut r = Response::new(Chunks::new(parts));
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

const LANDING: &str = "<!doctype html>\n<html><head><title>routetop exporter</title></head>\
<body><h1>routetop exporter</h1><p><a href=\"metrics\">Metrics</a></p></body></html>\n";

async fn handle(app: Arc<App>, web: Arc<Web>, req: Request<Incoming>) -> Result<Resp, Infallible> {
    let mut resp = route(&app, &web, &req).await;
    for (k, v) in &web.headers {
        resp.headers_mut().insert(k.clone(), v.clone());
    }
    Ok(resp)
}

async fn route(app: &Arc<App>, web: &Web, req: &Request<Incoming>) -> Resp {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "only GET and HEAD\n",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    match req.uri().path() {
        "/healthz" | "/-/healthy" => respond(StatusCode::OK, "text/plain", "OK\n"),
        "/" => respond(StatusCode::OK, "text/html; charset=utf-8", LANDING),
        "/metrics" => {
            if let Some(auth) = &web.auth
                && !auth.check(req.headers().get(header::AUTHORIZATION)).await
            {
                let mut r = respond(StatusCode::UNAUTHORIZED, "text/plain", "Unauthorized\n");
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"routetop\""),
                );
                return r;
            }
            let format = Format::negotiate(
                req.headers()
                    .get(header::ACCEPT)
                    .and_then(|v| v.to_str().ok()),
            );
            let encoding = Encoding::negotiate(
                req.headers()
                    .get(header::ACCEPT_ENCODING)
                    .and_then(|v| v.to_str().ok()),
            );
            let app = app.clone();
            let head = req.method() == Method::HEAD;
            let body = tokio::task::spawn_blocking(move || {
                // Clone the Arc and release the channel at once: the engine
                // may publish the next snapshot while this one renders.
                let snap = app.snapshots.borrow().clone();
                let mut shared = app.scrape.lock().unwrap_or_else(|p| p.into_inner());
                // A HEAD (a load balancer's or an uptime check's probe)
                // is answered as a GET would be, but is not a scrape: the
                // max gauge of the next GET still covers every step since
                // the last GET (a probe reset it to 0 before Prometheus
                // saw the slowest request).
                let mut probe;
                let state = if head {
                    probe = shared.clone();
                    &mut probe
                } else {
                    &mut *shared
                };
                let mut cache = app.cache.lock().unwrap_or_else(|p| p.into_inner());
                match encoding {
                    Encoding::Identity => Ok(cache.render_parts(&snap, &app.render, state, format)),
                    Encoding::Gzip => cache
                        .render_gzip(&snap, &app.render, state, format)
                        .map(|gz| [Bytes::from(gz), Bytes::new(), Bytes::new()]),
                }
            })
            .await;
            match body {
                Ok(Ok(parts)) => {
                    let mut r = respond_parts(StatusCode::OK, format.content_type(), parts);
                    let h = r.headers_mut();
                    // The body depends on both: caches must key on them.
                    h.insert(
                        header::VARY,
                        HeaderValue::from_static("Accept, Accept-Encoding"),
                    );
                    if let Some(e) = encoding.header() {
                        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
                    }
                    r
                }
                _ => respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain",
                    "render failed\n",
                ),
            }
        }
        _ => respond(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    }
}

/// Basic auth against bcrypt hashes. bcrypt is slow on purpose (tens of
/// ms per check), so — as the exporter-toolkit does — a successful
/// (user, password) is remembered and later requests compare it in
/// constant time; checks run on the blocking pool, two at a time at most,
/// so a password-guessing client cannot take every core.
struct Auth {
    users: std::collections::BTreeMap<String, String>,
    verified: Mutex<HashMap<String, Vec<u8>>>,
    gate: Semaphore,
}

impl Auth {
    fn new(users: std::collections::BTreeMap<String, String>) -> Auth {
        Auth {
            users,
            verified: Mutex::new(HashMap::new()),
            gate: Semaphore::new(2),
        }
    }

    async fn check(&self, h: Option<&HeaderValue>) -> bool {
        let Some((user, pass)) = h.and_then(|h| parse_basic(h.as_bytes())) else {
            return false;
        };
        {
            let v = self.verified.lock().unwrap_or_else(|p| p.into_inner());
            if v.get(&user).is_some_and(|k| ct_eq(k, pass.as_bytes())) {
                return true;
            }
        }
        // An unknown user still costs a bcrypt check (against some user's
        // hash, result ignored), so timing does not tell which users exist.
        let (hash, exists) = match self.users.get(&user) {
            Some(h) => (h.clone(), true),
            None => match self.users.values().next() {
                Some(h) => (h.clone(), false),
                None => return false,
            },
        };
        let Ok(_permit) = self.gate.acquire().await else {
            return false;
        };
        let p = pass.clone();
        let ok = tokio::task::spawn_blocking(move || bcrypt::verify(p, &hash).unwrap_or(false))
            .await
            .unwrap_or(false);
        if ok && exists {
            let mut v = self.verified.lock().unwrap_or_else(|p| p.into_inner());
            v.insert(user, pass.into_bytes());
            return true;
        }
        false
    }
}

/// `Basic base64(user:password)` → (user, password).
fn parse_basic(h: &[u8]) -> Option<(String, String)> {
    let rest = h
        .strip_prefix(b"Basic ")
        .or_else(|| h.strip_prefix(b"basic "))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim_ascii())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header() {
        let h = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("prom:se:cret")
        );
        assert_eq!(
            parse_basic(h.as_bytes()),
            Some(("prom".into(), "se:cret".into()))
        );
        assert_eq!(parse_basic(b"Bearer abc"), None);
        assert_eq!(parse_basic(b"Basic !!!"), None);
        let no_colon = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("prom")
        );
        assert_eq!(parse_basic(no_colon.as_bytes()), None);
    }

    #[test]
    fn constant_time_eq() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
    }
}
