//! The live terminal dashboard: route table, sparklines, drill-down,
//! parse errors, help.
//!
//! It reads the engine's published snapshots and nothing else: the engine
//! never waits for it, and a slow terminal cannot slow ingestion. One async
//! loop ([`run`]) selects over terminal events, snapshot updates and a
//! redraw tick: keys redraw at once, new snapshots are drawn at the next
//! tick (4–10 Hz), so the cost is per frame, never per log line.
//!
//! Wiring: `run/follow.rs` runs [`run`] on the snapshot channel in follow
//! mode and turns [`Command::ResetCounters`] into the engine's reset.
//!
//! Layout: `app.rs` (state and actions), `keys.rs` (keys → actions),
//! `columns.rs` (table columns and sorting), `render.rs` and the screen
//! parts it calls, `terminal.rs` (raw mode guard and panic hook).

mod app;
mod backends;
mod backfill;
mod columns;
mod drill;
mod errors;
mod filter;
mod footer;
mod header;
mod help;
mod keys;
mod render;
mod slo;
mod sparkline;
mod style;
mod table;
mod terminal;

#[cfg(test)]
mod tests;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use tokio::sync::{mpsc, watch};

use crate::engine::snapshot::Snapshot;

pub use app::{Action, App, Command, Effect, Screen, Sort, StatusFilter};
pub use columns::{Column, WindowChoice};
pub use keys::{HELP, action_for};
pub use render::render;
pub use style::color_from_env;
pub use terminal::TerminalGuard;

/// Redraw rates outside this range are clamped: below 4 Hz the screen
/// feels stuck, above 10 Hz it only costs CPU.
pub const MIN_TICK: Duration = Duration::from_millis(100);
pub const MAX_TICK: Duration = Duration::from_millis(250);

#[derive(Clone, Debug)]
pub struct TuiOptions {
    /// Redraw period for new snapshots (clamped to 100–250 ms). Keys
    /// redraw immediately whatever this is.
    pub tick: Duration,
    /// Colours on; [`color_from_env`] honours `NO_COLOR`.
    pub color: bool,
    /// Where `/metrics` is served (`0.0.0.0:9898`), shown in the footer.
    pub metrics_at: Option<String>,
}

impl Default for TuiOptions {
    fn default() -> Self {
        TuiOptions {
            tick: Duration::from_millis(200),
            color: color_from_env(),
            metrics_at: None,
        }
    }
}

/// Runs the dashboard until the user quits (`q`, Ctrl-C), a SIGINT or
/// SIGTERM arrives, or the terminal goes away. The terminal is
/// restored in every case, panics included.
///
/// Keys are read from the controlling terminal, so the logs may come from
/// stdin. When the snapshot sender is dropped (the engine stopped) the last
/// snapshot stays on screen, marked ENDED, until the user quits.
pub async fn run(
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    commands: mpsc::UnboundedSender<Command>,
    opts: TuiOptions,
) -> io::Result<()> {
    // Signals first: once the handlers are in, SIGINT and SIGTERM end the
    // loop (and restore the terminal) instead of killing the process.
    let mut signals = Signals::new()?;
    let guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    let mut app = App::new(snapshots.borrow_and_update().clone(), opts.color);
    app.metrics_at = opts.metrics_at.clone();
    let events = EventStream::new();
    let result = event_loop(
        &mut terminal,
        app,
        events,
        &mut snapshots,
        &commands,
        &mut signals,
        opts.tick,
    )
    .await;
    drop(terminal);
    drop(guard);
    result
}

async fn event_loop<B, E>(
    terminal: &mut Terminal<B>,
    mut app: App,
    mut events: E,
    snapshots: &mut watch::Receiver<Arc<Snapshot>>,
    commands: &mpsc::UnboundedSender<Command>,
    signals: &mut Signals,
    tick: Duration,
) -> io::Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    E: futures_util::Stream<Item = io::Result<Event>> + Unpin,
{
    let mut ticker = tokio::time::interval(tick.clamp(MIN_TICK, MAX_TICK));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut stale = true;
    let mut snapshots_open = true;
    let draw = |terminal: &mut Terminal<B>, app: &App| -> io::Result<()> {
        terminal
            .draw(|f| render(f, app))
            .map(|_| ())
            .map_err(io::Error::other)
    };
    draw(terminal, &app)?;
    loop {
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(key))) => {
                    let Some(action) = action_for(key, &app) else { continue };
                    match app.apply(action) {
                        Some(Effect::Quit) => return Ok(()),
                        Some(Effect::Send(c)) if commands.send(c).is_err() => {
                            app.notice = Some("reset is not available: the engine has stopped".into());
                        }
                        Some(Effect::Send(_)) => {}
                        None => {}
                    }
                    // Key to screen now, not at the next tick.
                    draw(terminal, &app)?;
                    stale = false;
                }
                Some(Ok(Event::Resize(..))) => {
                    terminal.autoresize().map_err(io::Error::other)?;
                    draw(terminal, &app)?;
                    stale = false;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                // No terminal to read keys from any more: nobody is watching.
                None => return Ok(()),
            },
            changed = snapshots.changed(), if snapshots_open => {
                match changed {
                    Ok(()) => {
                        let snap = snapshots.borrow_and_update().clone();
                        app.on_snapshot(snap);
                    }
                    Err(_) => {
                        snapshots_open = false;
                        app.ended = true;
                    }
                }
                stale = true;
            }
            _ = ticker.tick() => {
                if stale {
                    draw(terminal, &app)?;
                    stale = false;
                }
            }
            _ = signals.recv() => return Ok(()),
        }
    }
}

/// SIGINT and SIGTERM as one stream. In raw mode Ctrl-C arrives as a key,
/// so SIGINT here comes from `kill`, not from the keyboard. SIGHUP is not
/// here: in routetop it means "re-read the config" (handled by
/// `run/follow.rs`),
/// and a terminal that really hangs up ends the dashboard anyway, since
/// reading keys and drawing then fail.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn new() -> io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(unix)]
    async fn recv(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }

    #[cfg(not(unix))]
    fn new() -> io::Result<Signals> {
        Ok(Signals {})
    }

    #[cfg(not(unix))]
    async fn recv(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
