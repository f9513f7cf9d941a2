//! The live engine: input events in, snapshots out.
//!
//! Runs on its own thread ([`run`](fn@run)), fed by the followers through a bounded
//! channel of [`InputEvent`]s. Lines are parsed, routed and counted as they
//! arrive; at a fixed cadence (one *step*, ≤ 1 s) the engine closes the step
//! (folding it into windows, series and since-start histograms) and
//! publishes an immutable [`Snapshot`] on a watch channel. Publishing
//! replaces the previous value and never waits: a slow or absent reader
//! costs nothing, and ingestion never waits on a view.
//!
//! Formats of `auto` inputs are detected from their first lines by the
//! policy `--once` follows too (`format/detect.rs`): lines are held until
//! they can decide, no more will come, or a step has passed, then parsed in
//! order, so no line is counted before its format is known and none is
//! lost while waiting; lines no format fits are counted as unparsed and the
//! next ones are tried.
//!
//! A backlog (`InputEvent::Backlog`: a file's range of whole lines, sent
//! when a file holds `backfill_min` bytes or more unread) is counted on all
//! cores by the run's pool (`backfill.rs`); the engine takes no other event
//! until it has merged it ([`LiveEngine::pump_backfill`]), and publishes
//! its progress meanwhile. With arrival time its requests arrive at the
//! merge, all in that step; with log time its last lines, those within the
//! windows' reach, come back to be counted one by one.
//!
//! Time: with arrival time (the default) a step is a step of the clock and
//! since-start rates are over the time since counting began; with log time
//! (`--window-by log`) a line from a later log second closes the steps
//! before it and since-start rates are over the log's span, as `--once`
//! computes them. Windows cover the same time for every route (see
//! `window.rs`). *Lag* is the write-to-read delay of live traffic; a
//! *replay* — log time, or lines logged more than [`REPLAY_BEFORE_START`]
//! before routetop started — has no lag, only how far into the log it is.
//!
//! # Files
//!
//! - `engine.rs`: the engine's state ([`LiveEngine`]), its settings and
//!   commands, each source's, and the events applied to it: formats,
//!   positions in files (`--state`), steps.
//! - `ingest.rs`: lines to counts: held for detection, parsed, counted in
//!   the shard, the recent state of their route and the objectives.
//! - `fill.rs`: a backlog counted on the pool and merged.
//! - `publish.rs`: the snapshot of the state.
//! - `saved.rs`: the state saved and restored (`--state`).
//! - `run.rs`: the engine thread's loop.
//!
//! [`InputEvent`]: crate::engine::event::InputEvent
//! [`Snapshot`]: crate::engine::snapshot::Snapshot

mod engine;
mod fill;
mod ingest;
mod publish;
mod run;
mod saved;

pub use engine::{Control, LiveConfig, LiveEngine, REPLAY_BEFORE_START, ROUTE_SERIES};
pub use run::{Checkpoint, run};

#[cfg(test)]
mod state_tests;
#[cfg(test)]
mod tests;
