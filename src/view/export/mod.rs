//! Prometheus export: the latest [`Snapshot`] as metric families, served on
//! `/metrics` (beside the dashboard or headless) and pushed to a Pushgateway.
//!
//! ```text
//! engine ──watch<Arc<Snapshot>>──┬─> server (hyper: /metrics, /healthz; TLS, basic auth)
//!                                └─> push loop (PUT every --push-interval, once at exit)
//!                  both call render() = families() → text
//! ```
//!
//! The exporter only ever reads published snapshots: a scrape clones the
//! latest `Arc` out of the watch channel (a read lock held for a pointer
//! copy) and renders outside it, so scrapes never wait for, or slow, the
//! engine. [`Exporter::start`] runs the server and the push loop on a thread
//! of their own with a small tokio runtime, so the synchronous engine and
//! dashboard need no async runtime of their own.

mod body;
mod conns;
pub mod families;
mod gzip;
mod log;
mod options;
pub mod push;
mod render;
pub mod rules;
pub mod server;
mod specs;
mod text;
mod tls;
pub mod web;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use tokio::sync::watch;

use crate::engine::snapshot::Snapshot;
pub use families::{ScrapeState, families};
pub use gzip::{Encoding, gzip};
pub use log::{Log, stderr_log};
pub use options::{ExportConfig, PushConfig, StatusLabel};
pub use render::{RenderCache, render, render_as};
pub use specs::{RenderOptions, descs};
pub use text::Format;

/// A `prometheus` collector over the latest published snapshot, for
/// programs that gather several collectors in a `prometheus::Registry`.
/// `/metrics` and the push loop use [`render`](fn@render) directly: same families.
pub struct SnapshotCollector {
    latest: watch::Receiver<Arc<Snapshot>>,
    opts: RenderOptions,
    state: Mutex<ScrapeState>,
    descs: Vec<Desc>,
}

impl SnapshotCollector {
    pub fn new(latest: watch::Receiver<Arc<Snapshot>>, opts: RenderOptions) -> SnapshotCollector {
        let descs = specs::descs(&opts);
        SnapshotCollector {
            latest,
            opts,
            state: Mutex::new(ScrapeState::default()),
            descs,
        }
    }
}

impl Collector for SnapshotCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        // Clone the Arc and let go of the channel's lock at once.
        let snap = self.latest.borrow().clone();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        families(&snap, &self.opts, &mut state)
    }
}

/// The render options `cfg` asks for.
impl From<&ExportConfig> for RenderOptions {
    fn from(cfg: &ExportConfig) -> RenderOptions {
        RenderOptions {
            namespace: cfg.namespace.clone(),
            max_gauge: cfg.max_gauge,
            status: cfg.status,
            summary: cfg.summary,
            slo: cfg.slo.clone().into(),
        }
    }
}

/// Errors that stop the exporter from starting.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("--metrics {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Web(#[from] web::WebConfigError),
    #[error("{0}")]
    Push(#[from] push::PushError),
    #[error("cannot start the exporter: {0}")]
    Runtime(std::io::Error),
}

/// The running exporter: `/metrics` server and/or push loop on their own
/// thread. Dropping it without [`Exporter::stop`] stops it too, but without
/// waiting for the final push.
pub struct Exporter {
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
    local_addr: Option<SocketAddr>,
    web: Option<WebReload>,
}

/// Loads a new web config (SIGHUP) for the `/metrics` server: new
/// connections use it (a renewed certificate, changed users), open ones
/// finish with theirs.
#[derive(Clone)]
pub struct WebReload {
    tx: Arc<watch::Sender<Option<web::WebConfig>>>,
}

impl WebReload {
    /// Reads `path` (or no web config: plain HTTP, no users). An error
    /// leaves the one in use unchanged.
    pub fn reload(&self, path: Option<&std::path::Path>) -> Result<(), web::WebConfigError> {
        let web = path.map(web::WebConfig::load).transpose()?;
        self.tx.send_replace(web);
        Ok(())
    }
}

impl Exporter {
    /// Starts what `cfg` asks for (nothing → `Ok(None)`). Binding the
    /// address and reading the web config happen here, so their errors
    /// reach the caller before anything runs.
    pub fn start(
        cfg: &ExportConfig,
        snapshots: watch::Receiver<Arc<Snapshot>>,
        log: Log,
    ) -> Result<Option<Exporter>, ExportError> {
        if cfg.metrics.is_none() && cfg.push.is_none() {
            return Ok(None);
        }
        let render = RenderOptions::from(cfg);
        let web = cfg
            .web_config
            .as_deref()
            .map(web::WebConfig::load)
            .transpose()?;
        let pusher = cfg
            .push
            .as_ref()
            .map(|p| push::Pusher::new(p.clone(), render.clone()))
            .transpose()?;
        // One thread is plenty: a scrape renders on the blocking pool, and
        // everything else is waiting on sockets.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ExportError::Runtime)?;
        let listener = match &cfg.metrics {
            Some(addr) => {
                Some(
                    rt.block_on(server::bind(addr))
                        .map_err(|source| ExportError::Bind {
                            addr: addr.clone(),
                            source,
                        })?,
                )
            }
            None => None,
        };
        let local_addr = listener.as_ref().and_then(|l| l.local_addr().ok());
        if let (Some(w), Some(a)) = (&web, local_addr)
            && !w.users.is_empty()
            && w.tls.is_none()
            && !a.ip().is_loopback()
        {
            log(format!(
                "basic auth without TLS on {a}: passwords cross the network in clear \
                 (add tls_server_config to the web config)"
            ));
        }
        let (stop, stopped) = watch::channel(false);
        let (web_tx, web_rx) = watch::channel(None);
        let opts = server::ServeOptions {
            render,
            web,
            web_updates: Some(web_rx),
            ..Default::default()
        };
        let thread = std::thread::Builder::new()
            .name("routetop-export".into())
            .spawn(move || {
                rt.block_on(async move {
                    let serve = async {
                        if let Some(l) = listener {
                            let r = server::serve_listener(
                                l,
                                snapshots.clone(),
                                opts,
                                wait_true(stopped.clone()),
                                log.clone(),
                            )
                            .await;
                            if let Err(e) = r {
                                log(format!("/metrics server stopped: {e}"));
                            }
                        }
                    };
                    let push = async {
                        if let Some(p) = pusher {
                            push::push_loop(
                                p,
                                snapshots.clone(),
                                wait_true(stopped.clone()),
                                log.clone(),
                            )
                            .await;
                        }
                    };
                    tokio::join!(serve, push);
                })
            })
            .map_err(ExportError::Runtime)?;
        Ok(Some(Exporter {
            stop,
            thread: Some(thread),
            local_addr,
            web: local_addr.map(|_| WebReload {
                tx: Arc::new(web_tx),
            }),
        }))
    }

    /// How to give the `/metrics` server a new web config (when serving).
    pub fn web_reload(&self) -> Option<WebReload> {
        self.web.clone()
    }

    /// The address `/metrics` is served on (useful with port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// Graceful stop: open scrapes finish, the final push is sent (with
    /// retries, bounded in time), then the thread ends.
    pub fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Resolves when `rx` holds `true` (or its sender is gone): the shutdown
/// signal as a future, the shape `serve_listener` and `push_loop` take.
pub async fn wait_true(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// `--once --push`: pushes the batch result once (retrying a few times).
/// Failures are never fatal: they come back as messages for stderr.
pub fn push_once(cfg: &ExportConfig, snap: &Snapshot) -> Vec<String> {
    let Some(p) = &cfg.push else {
        return Vec::new();
    };
    let render = RenderOptions::from(cfg);
    let msgs = Arc::new(Mutex::new(Vec::new()));
    let sink = msgs.clone();
    let log: Log = Arc::new(move |m| sink.lock().unwrap_or_else(|p| p.into_inner()).push(m));
    match push::Pusher::new(p.clone(), render) {
        Ok(mut pusher) => pusher.push_blocking(snap, &log),
        Err(e) => log(format!("push: {e}")),
    }
    let mut m = msgs.lock().unwrap_or_else(|p| p.into_inner());
    std::mem::take(&mut *m)
}
