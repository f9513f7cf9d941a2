//! The live engine's thread: input events applied as they come, a
//! snapshot published every step, state saved at its cadence.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::engine::{Control, LiveEngine};
use crate::engine::event::InputEvent;
use crate::engine::persist::Saved;
use crate::engine::snapshot::Snapshot;

/// Saving state (`--state`): every `every`, the engine hands `save` the
/// state and the snapshot of the same instant; and once more at the end.
pub struct Checkpoint {
    pub every: Duration,
    pub save: Box<dyn FnMut(Saved, Arc<Snapshot>) + Send>,
}

/// The engine loop: applies input events as they come and publishes a
/// snapshot every step, until the input channel closes or `stop` is set.
/// Publishes a final snapshot before returning it.
pub fn run(
    mut engine: LiveEngine,
    events: Receiver<InputEvent>,
    control: Receiver<Control>,
    publish: watch::Sender<Arc<Snapshot>>,
    stop: Arc<AtomicBool>,
    mut checkpoint: Option<Checkpoint>,
) -> Arc<Snapshot> {
    let (step, every) = (engine.cfg.step, engine.cfg.publish.min(engine.cfg.step));
    let start = Instant::now();
    let (mut next_step, mut next_publish) = (start + step, start + every);
    let mut next_save = checkpoint.as_ref().map(|c| start + c.every);
    let mut open = true;
    while open && !stop.load(Ordering::Relaxed) {
        let due = next_step.min(next_publish);
        let wait = due.saturating_duration_since(Instant::now());
        if engine.backfilling() {
            // No event is taken while a backlog is counted (none may be
            // counted before it): its progress is published meanwhile.
            engine.pump_backfill(wait);
            if !engine.backfilling() {
                // Done: every view sees it now, not a publish period later
                // (or the next backlog's progress, if one was queued).
                open = engine.after_backfill(&events, every);
                publish.send_replace(Arc::new(engine.snapshot()));
            }
        } else {
            match events.recv_timeout(wait) {
                Ok(ev) => {
                    engine.handle(ev);
                    // What is queued, but never past the next deadline.
                    open = engine.drain(&events, due);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => open = false,
            }
        }
        while let Ok(c) = control.try_recv() {
            match c {
                Control::Reset => {
                    engine.reset();
                    // The dashboard shows the reset now, not at the next
                    // line or step.
                    publish.send_replace(Arc::new(engine.snapshot()));
                }
                Control::Router(r) => engine.set_router(r),
                Control::Formats(f, done) => {
                    engine.cfg.formats = f;
                    let _ = done.send(());
                }
            }
        }
        let now = Instant::now();
        let mut stepped = false;
        if now >= next_step {
            engine.tick();
            stepped = true;
            // A huge backlog can make the engine late: skip steps, don't spin.
            next_step = (next_step + step).max(now);
        }
        if now >= next_publish || !open {
            // Between steps, only new input changes a snapshot; at a step,
            // time moves windows and series on. When everything has settled
            // (no traffic within any window or series), nothing changes at
            // all, and an idle routetop costs next to nothing.
            if engine.news || (stepped && engine.has_news()) || !open {
                publish.send_replace(Arc::new(engine.snapshot()));
            }
            next_publish = (next_publish + every).max(now);
        }
        if let (Some(c), Some(due)) = (&mut checkpoint, &mut next_save)
            && now >= *due
        {
            // Between an oversized line and its position (the next event
            // of its source, already sent): take it first, briefly.
            let until = Instant::now() + Duration::from_secs(1);
            while engine.unmarked() && Instant::now() < until {
                match events.recv_timeout(Duration::from_millis(50)) {
                    Ok(ev) => engine.handle(ev),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            // The snapshot of the saved instant goes with it: views that
            // must never show more than is saved (/metrics) show that one.
            let snap = Arc::new(engine.snapshot());
            publish.send_replace(snap.clone());
            (c.save)(engine.save(), snap);
            *due = (*due + c.every).max(now);
        }
    }
    // Stopping: the followers were stopped first, so whatever they sent is
    // queued; count all of it before the final snapshot. A backlog being
    // counted when the run is stopped is dropped, not waited for (it may be
    // minutes of work): its source stops counting where it began.
    let stopped = stop.load(Ordering::Relaxed);
    if stopped {
        engine.cancel_backfill();
    }
    while let Ok(ev) = events.try_recv() {
        engine.handle(ev);
        if stopped {
            engine.cancel_backfill();
        }
    }
    engine.finish_backfill();
    engine.flush();
    engine.tick();
    let last = Arc::new(engine.snapshot());
    publish.send_replace(last.clone());
    if let Some(c) = &mut checkpoint {
        (c.save)(engine.save(), last.clone());
    }
    last
}
