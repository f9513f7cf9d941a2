//! Pushgateway client: `PUT {url}/metrics/job/<job>/instance/<instance>`
//! with the same families as `/metrics`, in the text format, gzipped
//! (`Content-Encoding: gzip`, which the Pushgateway reads since 1.5) unless
//! the gateway turns out not to read it.
//!
//! PUT replaces the whole group, so a push is always the complete current
//! state, and a route that disappeared (it cannot, since counters only grow,
//! but the max gauge's routes can) does not linger. Pushes happen every
//! `--push-interval` while following and once at exit, or once after
//! `--once`. A failed push is logged (once per distinct error, and again
//! when pushing works) and retried at the next tick; it never stops
//! routetop.
//!
//! The client is hyper's HTTP/1 connection API over a fresh TCP (or TLS)
//! connection per push: at one push per interval a pool buys nothing.
//! `https://` uses the system's CA bundle (`SSL_CERT_FILE`, or the usual
//! Linux paths). `http://user:password@host` sends basic auth.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

use super::families::ScrapeState;
use super::gzip::gzip;
use super::log::Log;
use super::options::PushConfig;
use super::render::render_as;
use super::specs::RenderOptions;
use super::text::Format;
use crate::engine::snapshot::Snapshot;

/// Time allowed for one push (connect, send, answer).
pub const PUSH_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts of the final push (at exit, or after `--once`).
pub const FINAL_ATTEMPTS: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("push URL {0}: {1}")]
    Url(String, String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Http(#[from] hyper::Error),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("Pushgateway answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

impl PushError {
    /// A 4xx answer other than "try later" (408, 429).
    pub fn is_refusal(&self) -> bool {
        matches!(self, PushError::Status { status, .. }
            if (400..500).contains(status) && *status != 408 && *status != 429)
    }
}

/// Pushes snapshots to one Pushgateway group.
pub struct Pusher {
    render: RenderOptions,
    interval: Duration,
    /// The max gauge's memory, advanced only by pushes that arrived.
    state: ScrapeState,
    target: Uri,
    host: String,
    port: u16,
    authority: String,
    auth: Option<HeaderValue>,
    tls: Option<tokio_rustls::TlsConnector>,
    /// What messages call the target (no password).
    shown: String,
    /// Send the body gzipped: until a gateway refuses a gzipped push and
    /// takes the same push as plain text (gateways older than 1.5 read
    /// no `Content-Encoding`).
    gzip: bool,
}

impl Pusher {
    pub fn new(cfg: PushConfig, render: RenderOptions) -> Result<Pusher, PushError> {
        let bad = |m: &str| PushError::Url(cfg.url.clone(), m.to_string());
        let base: Uri = cfg.url.parse().map_err(|_| bad("not a URL"))?;
        let https = match base.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(bad("must be http:// or https://")),
        };
        let auth_part = base.authority().ok_or_else(|| bad("no host"))?.as_str();
        let (userinfo, hostport) = match auth_part.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, auth_part),
        };
        let host = base.host().ok_or_else(|| bad("no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = base.port_u16().unwrap_or(if https { 443 } else { 80 });
        let auth = userinfo
            .map(|u| {
                let v = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(percent_decode(u))
                );
                HeaderValue::from_str(&v).map_err(|_| bad("bad user:password"))
            })
            .transpose()?;
        let path = format!(
            "{}/metrics/{}/{}",
            base.path().trim_end_matches('/'),
            segment("job", &cfg.job),
            segment("instance", &cfg.instance)
        );
        let target: Uri = format!(
            "{}://{hostport}{path}",
            if https { "https" } else { "http" }
        )
        .parse()
        .map_err(|_| bad("cannot build the push path"))?;
        let tls = if https { Some(tls_connector()?) } else { None };
        Ok(Pusher {
            render,
            interval: cfg.interval,
            state: ScrapeState::default(),
            shown: target.to_string(),
            target,
            host,
            port,
            authority: hostport.to_string(),
            auth,
            tls,
            gzip: true,
        })
    }

    /// Where pushes go, for messages.
    pub fn target(&self) -> &str {
        &self.shown
    }

    /// Whether pushes are still sent gzipped.
    pub fn gzips(&self) -> bool {
        self.gzip
    }

    /// One PUT of `snap`.
    pub async fn push(&mut self, snap: &Snapshot) -> Result<(), PushError> {
        let mut state = self.state.clone();
        let body = render_as(snap, &self.render, &mut state, Format::Text);
        match tokio::time::timeout(PUSH_TIMEOUT, self.put_text(body)).await {
            Ok(Ok(())) => {
                self.state = state;
                Ok(())
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(PushError::Timeout(PUSH_TIMEOUT)),
        }
    }

    /// PUTs `text`, gzipped unless the gateway has shown it cannot read
    /// gzip: a gzipped push it refuses as a bad request (400, or 415) is
    /// sent again as text, and when that one arrives, later pushes are
    /// text. (When both are refused, the refusal is about the metrics, and
    /// gzip stays on.) A 2 000-route push is ~12 MB of text, ~0.5 MB
    /// gzipped.
    async fn put_text(&mut self, text: String) -> Result<(), PushError> {
        if self.gzip {
            match gzip(text.as_bytes()) {
                Ok(gz) => match self.put(Bytes::from(gz), true).await {
                    Err(PushError::Status {
                        status: 400 | 415, ..
                    }) => {
                        let plain = self.put(Bytes::from(text), false).await;
                        if plain.is_ok() {
                            self.gzip = false;
                        }
                        return plain;
                    }
                    r => return r,
                },
                // Not expected (compression has no failure on valid
                // input), and text always works.
                Err(_) => self.gzip = false,
            }
        }
        self.put(Bytes::from(text), false).await
    }

    async fn put(&self, body: Bytes, gzipped: bool) -> Result<(), PushError> {
        let mut req = Request::builder()
            .method(Method::PUT)
            .uri(self.target.path())
            .header(header::HOST, &self.authority)
            .header(header::CONTENT_TYPE, Format::Text.content_type())
            .header(
                header::USER_AGENT,
                concat!("routetop/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(body))
            .map_err(|e| PushError::Url(self.shown.clone(), e.to_string()))?;
        if gzipped {
            req.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        if let Some(a) = &self.auth {
            req.headers_mut().insert(header::AUTHORIZATION, a.clone());
        }
        let tcp = TcpStream::connect((self.host.as_str(), self.port)).await?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => send(tcp, req).await,
            Some(c) => {
                let name = ServerName::try_from(self.host.clone())
                    .map_err(|e| PushError::Tls(e.to_string()))?;
                let stream = c.connect(name, tcp).await?;
                send(stream, req).await
            }
        }
    }

    /// Pushes once from synchronous code (`--once`), retrying a few times;
    /// failures are logged.
    pub fn push_blocking(&mut self, snap: &Snapshot, log: &Log) {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => return log(format!("push: {e}")),
        };
        rt.block_on(self.push_final(snap, log));
    }

    /// The last push: a few attempts, a second apart.
    pub async fn push_final(&mut self, snap: &Snapshot, log: &Log) {
        for attempt in 1..=FINAL_ATTEMPTS {
            match self.push(snap).await {
                Ok(()) => return,
                // The gateway refused this push (bad path, auth, metrics it
                // finds inconsistent): the same push would be refused again.
                Err(e) if attempt == FINAL_ATTEMPTS || e.is_refusal() => {
                    log(format!("push to {}: {e} (giving up)", self.shown));
                    return;
                }
                Err(e) => {
                    log(format!("push to {}: {e} (retrying)", self.shown));
                    tokio::time::sleep(Duration::from_secs(attempt as u64)).await;
                }
            }
        }
    }
}

async fn send<S>(io: S, req: Request<Full<Bytes>>) -> Result<(), PushError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
    let conn = tokio::spawn(conn);
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    // The answer matters only for the message; keep it short.
    let body = Limited::new(resp.into_body(), 4096)
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).trim().to_string())
        .unwrap_or_default();
    drop(sender);
    conn.abort();
    if status.is_success() {
        Ok(())
    } else {
        Err(PushError::Status {
            status: status.as_u16(),
            body,
        })
    }
}

/// Pushes every `interval` until `shutdown`, then once more with the latest
/// snapshot (publish the final snapshot before signalling shutdown).
pub async fn push_loop(
    mut pusher: Pusher,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    shutdown: impl Future<Output = ()>,
    log: Log,
) {
    tokio::pin!(shutdown);
    let interval = pusher.interval;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_error: Option<String> = None;
    loop {
        tokio::select! {
            biased;
            _ = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        let snap = snapshots.borrow().clone();
        match pusher.push(&snap).await {
            Ok(()) => {
                if last_error.take().is_some() {
                    log(format!("push to {} works again", pusher.shown));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                if last_error.as_deref() != Some(msg.as_str()) {
                    log(format!(
                        "push to {}: {msg} (retrying every {interval:?})",
                        pusher.shown
                    ));
                }
                last_error = Some(msg);
            }
        }
    }
    let snap = snapshots.borrow().clone();
    pusher.push_final(&snap, &log).await;
}

/// A grouping-key path segment: `name/value`, or `name@base64/…` when the
/// value is empty or has characters that would need escaping (a `/` cannot
/// be escaped at all in the Pushgateway's path).
pub fn segment(name: &str, value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if plain {
        format!("{name}/{value}")
    } else if value.is_empty() {
        format!("{name}@base64/=")
    } else {
        format!(
            "{name}@base64/{}",
            base64::engine::general_purpose::URL_SAFE.encode(value)
        )
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// A TLS client trusting the system's CA bundle.
fn tls_connector() -> Result<tokio_rustls::TlsConnector, PushError> {
    let candidates = std::env::var_os("SSL_CERT_FILE")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain(
            [
                "/etc/ssl/certs/ca-certificates.crt",
                "/etc/pki/tls/certs/ca-bundle.crt",
                "/etc/ssl/cert.pem",
            ]
            .map(std::path::PathBuf::from),
        );
    let mut roots = rustls::RootCertStore::empty();
    for path in candidates {
        if let Ok(iter) = CertificateDer::pem_file_iter(&path) {
            for c in iter.flatten() {
                let _ = roots.add(c);
            }
            if !roots.is_empty() {
                break;
            }
        }
    }
    if roots.is_empty() {
        return Err(PushError::Tls(
            "no CA certificates found (set SSL_CERT_FILE)".into(),
        ));
    }
    let provider = super::tls::provider();
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PushError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(cfg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(url: &str, job: &str, instance: &str) -> PushConfig {
        PushConfig {
            url: url.into(),
            interval: Duration::from_secs(15),
            job: job.into(),
            instance: instance.into(),
        }
    }

    #[test]
    fn grouping_key_segments() {
        assert_eq!(segment("job", "routetop"), "job/routetop");
        assert_eq!(
            segment("instance", "web-1.example.org"),
            "instance/web-1.example.org"
        );
        assert_eq!(segment("instance", ""), "instance@base64/=");
        // base64url of "a/b:1" is "YS9iOjE="
        assert_eq!(segment("instance", "a/b:1"), "instance@base64/YS9iOjE=");
    }

    #[test]
    fn target_path() {
        let p = Pusher::new(cfg("http://gw:9091", "t", "h1"), RenderOptions::default()).unwrap();
        assert_eq!(p.target(), "http://gw:9091/metrics/job/t/instance/h1");
        let p = Pusher::new(
            cfg("http://u:p%40ss@gw:9091/prefix/", "t", "a/b"),
            RenderOptions::default(),
        )
        .unwrap();
        assert_eq!(
            p.target.path(),
            "/prefix/metrics/job/t/instance@base64/YS9i"
        );
        assert_eq!(p.authority, "gw:9091");
        // base64("u:p@ss")
        assert_eq!(p.auth.as_ref().unwrap().to_str().unwrap(), "Basic dTpwQHNz");
    }
}
