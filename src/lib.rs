//! routetop: per-route QPS, errors and latency percentiles from web-server
//! access logs.
//!
//! One pipeline, one direction:
//!
//! ```text
//! inputs (files, globs, stdin) → lines (bytes)
//!   → format (compiled once → Record) → route (templating + cap)
//!   → engine (HDR aggregates per source/route/method/status)
//!   → summary / snapshot → views (report, dashboard, /metrics)
//! ```
//!
//! [`run`] executes a validated [`Config`]; the binary is a thin wrapper, so
//! tests drive everything in-process.

pub mod app;
pub mod cli;
pub mod config;
pub mod engine;
pub mod format;
pub mod input;
pub mod live_settings;
pub mod route;
// The one module allowed `unsafe`: every intrinsic and prefetch, behind
// safe functions (see its docs).
#[allow(unsafe_code)]
pub mod simd;
pub mod view;

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

pub use config::Config;
use config::Mode;
use engine::snapshot::{self, InputState, Snapshot};
use engine::summary::Summary;
use engine::{EngineConfig, InputStats, Registry};
use input::InputSpec;
use input::batch::{self, BatchInput, Opener, SourceReport};
use route::Router;

/// Errors that end a run, each shown as one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Batch(#[from] batch::BatchError),
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Runs the configured mode, writing to stdout and stderr.
pub fn run(config: Config) -> Result<(), Error> {
    run_reloadable(config, None)
}

/// [`run`], with a way to re-read the settings on SIGHUP (follow mode).
pub fn run_reloadable(config: Config, reload: Option<app::Reload>) -> Result<(), Error> {
    let stdout = io::stdout();
    let stderr = io::stderr();
    let r = match &config.mode {
        Mode::Follow => app::follow(&config, reload, &mut stdout.lock()),
        Mode::Once { .. } => run_with(&config, &mut stdout.lock(), &mut stderr.lock()),
    };
    match r {
        // `routetop --once big.log | head`: a closed pipe is the reader's
        // choice, not a failure.
        Err(Error::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Runs the configured mode with explicit output streams.
pub fn run_with(config: &Config, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Error> {
    match &config.mode {
        Mode::Once { output, top } => {
            let mut report = once(config)?;
            let data = view::report::ReportData {
                summary: &report.summary,
                sources: &report.sources,
                inputs: &report.inputs,
            };
            // `report::write` buffers (stdout is line-buffered, and a JSON
            // report of many routes is ~100 000 lines: 50 ms of write calls
            // unbuffered) and flushes. A JSON report uses both cores.
            view::report::write(out, &data, *output, *top)?;
            if config.export.push.is_none() {
                // Nothing reads the aggregates after the summary without
                // --push. Freeing every key's histograms took ~1.5 ms on 1 M
                // lines: do it on another thread while the rest is written
                // and the process ends (if no thread can be had, the failed
                // spawn drops them here).
                let aggs = std::mem::take(&mut report.aggs);
                let _ = std::thread::Builder::new().spawn(move || drop(aggs));
            }
            view::report::parse_errors(err, &report.sources, &report.inputs)?;
            // `--push`: after the report, so a slow or absent Pushgateway
            // never delays it; failures are reported, not fatal.
            if config.export.push.is_some() {
                for msg in view::export::push_once(&config.export, &report.snapshot()) {
                    writeln!(err, "routetop: {msg}")?;
                }
            }
            Ok(())
        }
        Mode::Follow => app::follow(config, None, out),
    }
}

/// The result of reading inputs to the end.
pub struct BatchReport {
    pub summary: Summary,
    pub sources: Vec<SourceReport>,
    pub inputs: Vec<InputStats>,
    aggs: Vec<engine::Aggregates>,
    registry: engine::SharedRegistry,
    bounds_us: Arc<[u64]>,
}

impl BatchReport {
    /// The same data as the views' snapshot (for `--push` after `--once`);
    /// built on demand, since a report alone does not need it.
    pub fn snapshot(&self) -> Snapshot {
        let agg = engine::Aggregates::merged(&self.aggs);
        let reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        let since = snapshot::since_start(&agg, &reg, None);
        Snapshot {
            seq: 1,
            taken_at: Some(std::time::SystemTime::now()),
            span: agg.span,
            quantiles: engine::summary::QUANTILES,
            buckets_us: self.bounds_us.clone(),
            inputs: self
                .sources
                .iter()
                .zip(&self.inputs)
                .enumerate()
                .map(|(i, (src, st))| snapshot::InputSnap {
                    format: src.format.clone(),
                    has_latency: src.has_latency,
                    has_upstream: src.has_upstream,
                    ..snapshot::input_snap(i as u16, &src.name, None, InputState::Done, st, 0)
                })
                .collect(),
            total: since.total,
            routes: since.routes.into_iter().map(|(_, r)| r).collect(),
            keys: since.keys,
            overflow: since.overflow,
            ..Default::default()
        }
    }
}

/// Reads every input to the end and summarises it (`--once`).
pub fn once(config: &Config) -> Result<BatchReport, Error> {
    let router = Arc::new(Router::new(&config.routes, config.templating).map_err(Error::Input)?);
    let registry = Arc::new(Mutex::new(Registry::new(config.max_routes)));
    // Exact histogram bucket counters only matter to Prometheus: a report
    // without --push skips them (one cache miss less per line).
    let buckets: &[f64] = if config.export.push.is_some() {
        &config.buckets
    } else {
        &[]
    };
    let engine = EngineConfig::new(config.max_routes, config.max_line, buckets);
    let mut inputs = Vec::new();
    for ic in &config.inputs {
        match &ic.spec {
            InputSpec::Stdin => inputs.push(BatchInput {
                name: ic.name.clone().unwrap_or_else(|| "stdin".into()),
                open: Opener::Stdin,
                format: ic.format.clone(),
            }),
            InputSpec::Path(p) => {
                let files = input::expand(p).map_err(Error::Input)?;
                if files.is_empty() {
                    return Err(Error::Input(format!("no file matches {p}")));
                }
                let many = files.len() > 1;
                for f in files {
                    let shown = f.display().to_string();
                    inputs.push(BatchInput {
                        name: match (&ic.name, many) {
                            (Some(n), false) => n.clone(),
                            (Some(n), true) => format!("{n}:{shown}"),
                            (None, _) => shown,
                        },
                        open: Opener::File(f),
                        format: ic.format.clone(),
                    });
                }
            }
        }
    }
    let result = batch::run(
        inputs,
        &config.json_fields,
        router,
        registry.clone(),
        &engine,
        config.threads,
    )?;
    let reg = registry.lock().unwrap_or_else(|p| p.into_inner());
    let shards: Vec<&engine::Aggregates> = result.aggs.iter().collect();
    let summary = Summary::build(&shards, &reg, config.threads);
    let mut stats = result.inputs;
    stats.resize_with(result.sources.len(), InputStats::default);
    drop(reg);
    Ok(BatchReport {
        summary,
        sources: result.sources,
        inputs: stats,
        aggs: result.aggs,
        registry,
        bounds_us: engine.bounds_us.clone(),
    })
}

/// `--list-formats` text.
pub fn format_list() -> String {
    let mut s = String::from("Presets (-f NAME):\n");
    for (name, what, fmt) in format::PRESETS {
        s.push_str(&format!("  {name:<18} {what}\n  {:<18} {fmt}\n", ""));
    }
    s.push_str(
        "\nAlso: auto (default), json, regex:PATTERN, or any nginx log_format / Apache LogFormat string.\n",
    );
    s
}
