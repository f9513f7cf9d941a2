//! Follow mode: the followers feed the engine thread, the engine publishes a
//! snapshot every step, the views read the snapshots. Runs until the user
//! quits the dashboard, SIGINT or SIGTERM arrives, or — headless — every
//! input has ended (stdin closed).
//!
//! ```text
//! followers ──InputEvent──▶ engine thread ──watch<Arc<Snapshot>>──▶ dashboard | headless | /metrics
//!     ▲                          ▲
//!     └── SIGHUP: reopen,        └── Control: reset (dashboard), new route rules and
//!         new inputs                  input formats (SIGHUP; formats first, acknowledged)
//! ```
//!
//! Shutdown order matters for exact counts: the followers stop first (they
//! finish sending what they read), then the engine drains its queue and
//! publishes the final snapshot, which the views print or push.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::backfill;
use super::error::Error;
use super::state;
use crate::config::{Config, ConfigError, WindowBy};
use crate::engine::EngineConfig;
use crate::engine::live::{self, Control, LiveConfig, LiveEngine};
use crate::engine::snapshot::Snapshot;
use crate::format::Format;
use crate::input::follow::{self, FollowHandle, FollowOptions};
use crate::input::{Input, InputSpec};
use crate::route::Router;
use crate::view::export;
use crate::view::headless::{self, HeadlessOptions};
use crate::view::tui::{self, TuiOptions};

/// Input events queued between the followers and the engine: a full queue
/// holds the readers back (files wait on disk; nothing is dropped).
const EVENT_QUEUE: usize = 16;

/// Re-reads the settings (SIGHUP).
pub type Reload = Box<dyn Fn() -> Result<Config, ConfigError> + Send + Sync>;

/// Which view runs in the foreground.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum View {
    Dashboard,
    Headless,
    /// No foreground view (an exporter-only daemon): wait for a signal.
    Quiet,
}

/// Dashboard when stdout is a terminal, unless --headless; headless when
/// it is not and no other view was asked for.
fn choose_view(config: &Config, stdout_is_tty: bool, other_view: bool) -> View {
    if config.live.headless {
        View::Headless
    } else if stdout_is_tty {
        View::Dashboard
    } else if other_view {
        View::Quiet
    } else {
        View::Headless
    }
}

/// The live engine's settings, from the run's.
fn live_config(config: &Config) -> LiveConfig {
    LiveConfig {
        engine: EngineConfig {
            max_facets: config.max_facets,
            ..EngineConfig::new(config.max_routes, config.max_line, &config.buckets)
        },
        windows: config.live.windows.clone(),
        step: config.live.step,
        publish: config.live.publish,
        series: config.live.series,
        formats: config.formats(),
        json: config.json_fields.clone(),
        strip: config.strip_prefix.clone(),
        log_time: config.live.window_by == WindowBy::Log,
        slo: config.slo.clone(),
        apdex_t_us: config.apdex,
    }
}

/// Everything follow mode runs, started.
pub struct Running {
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    /// With `--state`, the snapshots whose state is saved: what `/metrics`
    /// and pushes serve (`state.rs`).
    pub saved: Option<watch::Receiver<Arc<Snapshot>>>,
    pub control: Sender<Control>,
    follower: Option<FollowHandle>,
    stop: Arc<AtomicBool>,
    engine: Option<std::thread::JoinHandle<Arc<Snapshot>>>,
    writer: Option<state::Writer>,
    /// `--state`'s lock (`state::lock`), held until after the last save:
    /// the last field, so dropped last.
    _state_lock: Option<std::fs::File>,
}

impl Running {
    /// Starts the followers and the engine thread.
    pub fn start(config: &Config, rt: &tokio::runtime::Handle) -> Result<Running, Error> {
        Running::start_logged(config, rt, export::stderr_log())
    }

    /// [`Running::start`], with messages (saved state) going to `log`.
    pub fn start_logged(
        config: &Config,
        rt: &tokio::runtime::Handle,
        log: state::Log,
    ) -> Result<Running, Error> {
        let router =
            Arc::new(Router::new(&config.routes, config.templating).map_err(Error::Input)?);
        let mut engine = LiveEngine::new(live_config(config), router);
        // Backlogs counted on all cores (`backfill.rs`).
        let backfill_min = config.live.backfill_min;
        engine.set_backfill(Arc::new(backfill::Pool {
            threads: config.threads,
            json: config.json_fields.clone(),
            strip: config.strip_prefix.clone(),
        }));
        // Saved state first: the engine goes on from its counts, the
        // follower from its offsets, before any line is read.
        let mut resume = None;
        let mut first = Snapshot::default();
        let mut writer = None;
        let mut saved_rx = None;
        let mut state_lock = None;
        if let Some(path) = &config.live.state {
            state_lock = state::lock(path, &log).map_err(Error::Input)?;
            if let Some(saved) = state::load(path, &log) {
                match engine.restore(&saved) {
                    Ok(()) => {
                        log(state::resumed_note(path, &saved));
                        resume = Some(state::resume_of(&saved));
                    }
                    Err(why) => state::set_aside(path, &why, &log),
                }
            }
            // Views start from the restored counts, never from zero: a
            // scraper would see every counter reset.
            first = engine.snapshot();
            let (tx, rx) = watch::channel(Arc::new(first.clone()));
            writer = Some(state::Writer::start(path.clone(), tx, log.clone())?);
            saved_rx = Some(rx);
        }
        let (tx, rx) = sync_channel(EVENT_QUEUE);
        let opts = FollowOptions {
            from_start: config.live.from_start,
            max_line: config.max_line,
            resume,
            backfill_min,
            // A compressed stream has no log-time tail to cut off.
            backfill_compressed: config.live.window_by != WindowBy::Log,
            ..FollowOptions::default()
        };
        let follower = follow::spawn(config.input_list(), opts, tx, rt)?;
        let (control, control_rx) = std::sync::mpsc::channel();
        let (snap_tx, snapshots) = watch::channel(Arc::new(first));
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let checkpoint = writer
            .as_ref()
            .and_then(|w| w.checkpoint(config.live.state_interval));
        let engine = std::thread::Builder::new()
            .name("routetop-engine".into())
            .spawn(move || live::run(engine, rx, control_rx, snap_tx, s, checkpoint))?;
        Ok(Running {
            snapshots,
            saved: saved_rx,
            control,
            follower: Some(follower),
            stop,
            engine: Some(engine),
            writer,
            _state_lock: state_lock,
        })
    }

    pub fn reopen(&self) {
        if let Some(f) = &self.follower {
            f.reopen();
        }
    }

    /// The new inputs of a reload (see [`FollowHandle::set_inputs`]).
    pub fn set_inputs(&self, inputs: Vec<Option<Input>>) {
        if let Some(f) = &self.follower {
            f.set_inputs(inputs);
        }
    }

    /// Stops the followers, then the engine; returns the final snapshot
    /// (every line read is in it).
    pub fn stop(mut self) -> Arc<Snapshot> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Arc<Snapshot> {
        if let Some(f) = self.follower.take() {
            f.shutdown();
        }
        self.stop.store(true, Ordering::Release);
        let last = match self.engine.take().map(|e| e.join()) {
            Some(Ok(last)) => last,
            // The engine thread panicked (a bug): show what was published.
            _ => self.snapshots.borrow().clone(),
        };
        // The engine handed over its final state as it stopped.
        if let Some(w) = self.writer.take() {
            w.finish();
        }
        last
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.engine.is_some() {
            self.shutdown();
        }
    }
}

/// Runs follow mode until quit, a signal, or (headless) the end of every
/// input.
pub fn follow(config: &Config, reload: Option<Reload>, out: &mut dyn Write) -> Result<(), Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("routetop-rt")
        .build()?;
    let exporting = config.export.metrics.is_some() || config.export.push.is_some();
    let view = choose_view(config, std::io::stdout().is_terminal(), exporting);
    // /metrics, --push and saved state on threads of their own. Under the
    // dashboard their messages wait until it has closed, instead of
    // writing over it.
    let held = Arc::new(Mutex::new(Vec::new()));
    let log: export::Log = match view {
        View::Dashboard => {
            let held = held.clone();
            Arc::new(move |m| lock(&held).push(m))
        }
        _ => export::stderr_log(),
    };
    let running = Running::start_logged(config, rt.handle(), log.clone())?;
    let snapshots = running.snapshots.clone();
    // With saved state, the exporter serves only what is saved.
    let exported = running.saved.clone().unwrap_or_else(|| snapshots.clone());
    let control = running.control.clone();
    let running = Arc::new(Mutex::new(Some(running)));
    let exporter = export::Exporter::start(&config.export, exported, log.clone())
        .map_err(|e| Error::Input(e.to_string()))?;
    // The bound address (the port, when 0 was asked for).
    let metrics_at = exporter
        .as_ref()
        .and_then(|e| e.local_addr())
        .map(|a| a.to_string());
    if let Some(hint) = no_subcommands_hint(config) {
        log(hint);
    }
    // A glob that matches nothing yet has no input to show a state for.
    for i in config.input_list() {
        if let InputSpec::Path(p) = &i.spec
            && i.spec.is_glob()
            && crate::input::expand(p).is_ok_and(|f| f.is_empty())
        {
            log(format!(
                "input {p}: no file matches yet; the glob is looked at again every second"
            ));
        }
    }

    let news = Arc::new(Mutex::new(headless::InputNews::default()));
    let result: Result<(), Error> = rt.block_on(async {
        // SIGHUP: re-read the config (new route rules apply from now on)
        // and look at every input again.
        let hup = {
            let running = running.clone();
            let control = control.clone();
            // Messages go where the exporter's go: held under the dashboard.
            let log = log.clone();
            let web = exporter.as_ref().and_then(|e| e.web_reload());
            let mut inputs = Inputs::new(config);
            let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    if let Some(reload) = &reload {
                        match reload() {
                            Ok(c) => {
                                apply_reload(
                                    &c,
                                    &control,
                                    &running,
                                    &mut inputs,
                                    web.as_ref(),
                                    &log,
                                )
                                .await
                            }
                            Err(e) => log(format!("SIGHUP: keeping the old settings: {e}")),
                        }
                    }
                    if let Some(r) = lock(&running).as_ref() {
                        r.reopen();
                    }
                }
            })
        };
        // Without the dashboard, nothing else shows which input cannot be
        // read: say it on stderr, at start and on every change.
        let inputs = match view {
            View::Dashboard => None,
            View::Headless | View::Quiet => Some(tokio::spawn(headless::report_inputs(
                snapshots.clone(),
                news.clone(),
                |l| eprintln!("routetop: {l}"),
            ))),
        };
        let r = match view {
            View::Dashboard => {
                let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel();
                let forward = tokio::spawn(async move {
                    while let Some(c) = cmd_rx.recv().await {
                        match c {
                            tui::Command::ResetCounters => {
                                let _ = control.send(Control::Reset);
                            }
                        }
                    }
                });
                let opts = TuiOptions {
                    tick: Duration::from_millis(1000 / u64::from(config.live.refresh.max(1))),
                    metrics_at: metrics_at.clone(),
                    ..TuiOptions::default()
                };
                let r = tui::run(snapshots, cmd_tx, opts).await;
                forward.abort();
                r.map_err(Error::from)
            }
            View::Headless => {
                let opts = HeadlessOptions {
                    interval: config.live.interval,
                    top: 5,
                };
                headless::run(snapshots, &opts, out, wait_for_stop())
                    .await
                    .map_err(Error::from)
            }
            View::Quiet => {
                wait_for_stop().await;
                Ok(())
            }
        };
        hup.abort();
        if let Some(t) = inputs {
            t.abort();
        }
        r
    });
    let last = lock(&running).take().map(Running::stop);
    // The run may have ended on its inputs' last change (binary stdin, a
    // damaged compressed file) before the task saying them saw it.
    if let (View::Headless | View::Quiet, Some(last)) = (view, &last) {
        for l in lock(&news).lines(last) {
            eprintln!("routetop: {l}");
        }
    }
    // After the engine's final snapshot: the last push carries every line.
    if let Some(e) = exporter {
        e.stop();
    }
    for m in lock(&held).drain(..) {
        eprintln!("routetop: {m}");
    }
    if let (View::Headless, Some(last)) = (view, last) {
        write!(out, "{}", headless::final_summary(&last))?;
        out.flush()?;
    }
    rt.shutdown_timeout(Duration::from_millis(500));
    result
}

/// The configured inputs as the follower and the engine number them: by
/// index, never reused (a removed input leaves `None` in its place), each
/// with its compiled format.
struct Inputs(Vec<Option<(Input, Option<Arc<Format>>)>>);

impl Inputs {
    fn new(config: &Config) -> Inputs {
        Inputs(
            config
                .input_list()
                .into_iter()
                .zip(config.formats())
                .map(Some)
                .collect(),
        )
    }

    /// Takes the inputs of `config`: kept ones keep their index, removed
    /// ones leave `None`, new ones are appended. Returns (added, removed).
    fn update(&mut self, config: &Config) -> (Vec<String>, Vec<String>) {
        let new: Vec<(Input, Option<Arc<Format>>)> = config
            .input_list()
            .into_iter()
            .zip(config.formats())
            .collect();
        let mut removed = Vec::new();
        for slot in &mut self.0 {
            if let Some((i, _)) = slot
                && !new.iter().any(|(n, _)| n == i)
            {
                removed.push(i.spec.display());
                *slot = None;
            }
        }
        let mut added = Vec::new();
        for (i, f) in new {
            if !self.0.iter().flatten().any(|(o, _)| *o == i) {
                added.push(i.spec.display());
                self.0.push(Some((i, f)));
            }
        }
        (added, removed)
    }
}

/// A re-read config (SIGHUP): new route rules, the inputs added and
/// removed, the web config. What fails to apply keeps what runs, and says
/// why.
async fn apply_reload(
    c: &Config,
    control: &Sender<Control>,
    running: &Arc<Mutex<Option<Running>>>,
    inputs: &mut Inputs,
    web: Option<&export::WebReload>,
    log: &export::Log,
) {
    match Router::new(&c.routes, c.templating) {
        Ok(r) => {
            let _ = control.send(Control::Router(Arc::new(r)));
        }
        Err(e) => log(format!("SIGHUP: keeping the old route rules: {e}")),
    }
    let (added, removed) = inputs.update(c);
    if !added.is_empty() || !removed.is_empty() {
        // The engine learns the new inputs' formats before the follower
        // adds a file of theirs.
        let formats = inputs
            .0
            .iter()
            .map(|s| s.as_ref().and_then(|(_, f)| f.clone()))
            .collect();
        let (done, applied) = std::sync::mpsc::channel();
        let _ = control.send(Control::Formats(formats, done));
        let applied =
            tokio::task::spawn_blocking(move || applied.recv_timeout(Duration::from_secs(10)))
                .await;
        if matches!(applied, Ok(Ok(()))) {
            let list = inputs
                .0
                .iter()
                .map(|s| s.as_ref().map(|(i, _)| i.clone()))
                .collect();
            if let Some(r) = lock(running).as_ref() {
                r.set_inputs(list);
            }
            let mut what = Vec::new();
            if !added.is_empty() {
                what.push(format!("following {}", added.join(", ")));
            }
            if !removed.is_empty() {
                what.push(format!("no longer following {}", removed.join(", ")));
            }
            log(format!("SIGHUP: {}", what.join("; ")));
        }
    }
    if let Some(w) = web
        && let Err(e) = w.reload(c.export.web_config.as_deref())
    {
        log(format!("SIGHUP: keeping the old web config: {e}"));
    }
}

/// `routetop completions bash` waited, silently, for two files of those
/// names: inputs that do not exist and look like words rather than paths
/// get a note that there are no subcommands.
fn no_subcommands_hint(config: &Config) -> Option<String> {
    let words: Vec<String> = config
        .input_list()
        .iter()
        .filter_map(|i| match &i.spec {
            InputSpec::Path(p)
                if !i.spec.is_glob()
                    && !p.contains(['/', '.'])
                    && std::fs::symlink_metadata(p).is_err() =>
            {
                Some(format!("`{p}`"))
            }
            _ => None,
        })
        .collect();
    match words.len() {
        0 => None,
        n => Some(format!(
            "{} {} no file here; routetop has no subcommands: every argument is a log file (followed, and waited for until it exists), a glob or - (see routetop --help)",
            words.join(", "),
            if n == 1 { "names" } else { "name" }
        )),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Resolves on SIGINT or SIGTERM.
async fn wait_for_stop() {
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    match term {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
