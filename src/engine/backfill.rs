//! A follower's backlog, counted on all cores: what the live engine asks of
//! the batch workers (`run/backfill.rs`) and what it gets back to merge.
//!
//! When a followed file holds more unread bytes than a threshold (read
//! with `--from-start`, resumed far behind its end, a new file a glob
//! found, a bulk append), the follower sends one
//! [`InputEvent::Backlog`](super::InputEvent::Backlog) for the whole lines
//! of it instead of the lines themselves, and reads on from where the
//! backlog ends. The engine hands the range to a [`Backfill`] as a [`Job`],
//! takes no other event until it is done (so no line after the backlog is
//! counted before it), publishes [`Progress`] in its snapshots meanwhile,
//! and merges the [`Backfilled`] counts: since-start counters, buckets and
//! histograms, line accounting, the format detected, the W3C header left in
//! force, and the backlog's mark.

use std::fs::File;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use super::aggregates::Aggregates;
use super::input_stats::InputStats;
use super::minutes::Minutes;
use super::options::EngineConfig;
use super::registry::SharedRegistry;
use super::slo::Objective;
use crate::format::Format;
use crate::route::Router;

/// Unread bytes from which a follower backfills by default: below it the
/// live engine's one thread reads them about as soon (16 MiB is ~80 000
/// lines, ~60 ms on one core), and starting the workers costs more than
/// it saves.
pub const BACKFILL_MIN: u64 = 16 << 20;

/// How far a backfill has read, updated by its workers after each block.
#[derive(Debug, Default)]
pub struct Progress {
    bytes: AtomicU64,
    lines: AtomicU64,
    /// Of a compressed backlog: its compressed bytes read.
    raw: AtomicU64,
}

impl Progress {
    pub fn add(&self, bytes: u64, lines: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.lines.fetch_add(lines, Ordering::Relaxed);
    }

    /// `n` more compressed bytes read.
    pub fn add_raw(&self, n: u64) {
        self.raw.fetch_add(n, Ordering::Relaxed);
    }

    /// Compressed bytes read so far.
    pub fn raw(&self) -> u64 {
        self.raw.load(Ordering::Relaxed)
    }

    /// (bytes, lines) read so far.
    pub fn read(&self) -> (u64, u64) {
        (
            self.bytes.load(Ordering::Relaxed),
            self.lines.load(Ordering::Relaxed),
        )
    }
}

/// One backlog to count: the whole lines of `file` in `from..to`, after the
/// lines of `head`.
pub struct Job {
    /// The source's name, for messages.
    pub name: String,
    pub file: Arc<File>,
    /// The file is compressed: the backlog is its whole stream,
    /// decompressed (`from..to` its compressed bytes).
    pub compressed: bool,
    /// Where to read the rest if the file is truncated (copytruncate)
    /// before the workers are done with it.
    pub copy: Option<CopyHint>,
    pub from: u64,
    pub to: u64,
    /// Whole lines the engine held before the backlog, waiting for the
    /// source's format to be detected: they are the backlog's first lines.
    pub head: Vec<u8>,
    /// The source's format; `None` to detect it from the backlog (`auto`).
    pub format: Option<Arc<Format>>,
    /// The live engine's: routes are registered in it, in input order.
    pub registry: SharedRegistry,
    pub router: Arc<Router>,
    /// The live engine's settings, with a histogram per key (the engine
    /// keeps them per route: it merges each key's into its route's).
    pub engine: EngineConfig,
    pub progress: Arc<Progress>,
    /// Set when the run stops: the workers take no more blocks and the
    /// counts are dropped.
    pub cancel: Arc<AtomicBool>,
    /// Log-time windows (`--window-by log`): the lines logged within this
    /// much of the backlog's last line go to the engine's line-by-line
    /// path instead ([`Backfilled::tail`]), which files each in the step
    /// of its own time.
    pub log_horizon: Option<Duration>,
    /// With a log horizon and objectives (`--slo`): the objectives whose
    /// requests per minute of log time the workers count
    /// ([`Backfilled::minutes`]), so the horizon need not reach back the
    /// longest burn window.
    pub slo_minutes: Vec<Objective>,
}

/// How to find the copy a copytruncate makes of a backlog's file: a
/// sibling of `path` (not the file `file`, device and inode) that holds
/// `fp` just before `end`, the backlog's end, as the file did.
#[derive(Clone, Debug)]
pub struct CopyHint {
    pub path: std::path::PathBuf,
    pub file: (u64, u64),
    pub end: u64,
    pub fp: Vec<u8>,
}

/// What a backlog counted.
#[derive(Default)]
pub struct Backfilled {
    /// Each worker's aggregates, keys of source 0 (the engine gives them
    /// the source's id).
    pub aggs: Vec<Aggregates>,
    /// The line accounting, kept bad lines numbered from the backlog's
    /// first line (1).
    pub input: InputStats,
    /// The format the lines were read by at the end (detected, or as the
    /// last W3C `#Fields:` header made it); `None` if none was found.
    pub format: Option<Arc<Format>>,
    /// That `#Fields:` line, if a header changed the format.
    pub fields: Option<Vec<u8>>,
    /// Why the backlog could not be read to its end, if it could not.
    pub error: Option<String>,
    /// The requests per objective per log minute of the lines the pool
    /// counted, if [`Job::slo_minutes`] asked for them.
    pub minutes: Option<Box<Minutes>>,
    /// With a log horizon: where the lines the pool counted end (the
    /// tail's start) and the bytes before it, for a mark…
    pub split: Option<(u64, Vec<u8>)>,
    /// … and the backlog's last lines, in blocks of whole lines, for the
    /// engine to count one by one after the rest (the channel closes after
    /// the last).
    pub tail: Option<Receiver<TailBlock>>,
}

/// Whole lines of a backlog's tail, and where they end in the file, with
/// the bytes before that end (up to [`MARK_FP_LEN`](super::MARK_FP_LEN)):
/// each block's position is committed once it is counted, so a state
/// saved during the tail, or a stop, stays exact.
pub struct TailBlock {
    pub lines: Vec<u8>,
    pub end: u64,
    pub fp: Vec<u8>,
}

/// Counts backlogs on all cores (`run/backfill.rs`).
pub trait Backfill: Send + Sync {
    /// Counts `job`'s lines; blocks until done or cancelled.
    fn run(&self, job: Job) -> Backfilled;
}
