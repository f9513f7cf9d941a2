//! Saved state on disk (`--state`): loading it at start, and the writer
//! thread that saves what the engine hands it.
//!
//! A save is atomic: the bytes go to `FILE.tmp`, which is flushed to disk
//! (`fsync`), renamed over `FILE` and the directory flushed, so a crash at
//! any instant leaves either the previous state or the new one, whole —
//! and each holds offsets and counts taken at the same engine instant
//! (`engine/persist.rs`). The snapshot taken with a state is published to
//! the views that must never show more than is saved (`/metrics`, pushes)
//! only once the state is on disk: a counter a scraper saw is never above
//! what a restart after a crash resumes from.
//!
//! A state file that cannot be used (truncated, damaged, not routetop's,
//! another format version, other buckets) is moved aside to `FILE.bad`
//! with one message, and routetop starts fresh; it never stops a start.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use rustix::fs::{FlockOperation, flock};
use rustix::io::Errno;
use tokio::sync::watch;

use crate::engine::live::Checkpoint;
use crate::engine::persist::{Saved, SavedMark};
use crate::engine::snapshot::Snapshot;
use crate::input::Resume;

/// Where messages go (stderr, or held while the dashboard runs).
pub type Log = Arc<dyn Fn(String) + Send + Sync>;

/// Takes `FILE.lock` (created beside `FILE` if need be) for as long as the
/// returned file is held: two processes given one `--state` each saved
/// over the other's file, and the survivor's restart then resumed another
/// input's counts. A lock held by another process is an error naming it;
/// a lock that cannot be taken for another reason (a read-only directory,
/// a file system without locks) is said and gone on without, since saving
/// says its own errors.
pub fn lock(path: &Path, log: &Log) -> Result<Option<File>, String> {
    let lock_path = with_suffix(path, ".lock");
    let f = match OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
    {
        Ok(f) => f,
        Err(e) => {
            log(format!(
                "state: cannot create the lock {}: {e}; going on without it",
                lock_path.display()
            ));
            return Ok(None);
        }
    };
    match flock(&f, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(f)),
        Err(e) if e == Errno::WOULDBLOCK => Err(format!(
            "state: {} is in use by another routetop process (it holds {}); give each process its own --state",
            path.display(),
            lock_path.display()
        )),
        Err(e) => {
            log(format!(
                "state: cannot lock {}: {e}; going on without it",
                lock_path.display()
            ));
            Ok(None)
        }
    }
}

/// Reads the state at `path`. `None` when there is none (first start) or
/// it cannot be used (then it is set aside, and said so).
pub fn load(path: &Path, log: &Log) -> Option<Saved> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            log(format!(
                "state: {} does not exist yet; starting fresh",
                path.display()
            ));
            return None;
        }
        Err(e) => {
            // Unreadable (permissions): not moved, since it may be fine.
            log(format!(
                "state: cannot read {}: {e}; starting fresh",
                path.display()
            ));
            return None;
        }
    };
    match Saved::decode(&bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            set_aside(path, &e.to_string(), log);
            None
        }
    }
}

/// Moves an unusable state file to `FILE.bad` (replacing an older one),
/// saying why.
pub fn set_aside(path: &Path, why: &str, log: &Log) {
    let bad = with_suffix(path, ".bad");
    let moved = match fs::rename(path, &bad) {
        Ok(()) => format!("kept as {}", bad.display()),
        Err(e) => format!("could not be moved to {}: {e}", bad.display()),
    };
    log(format!(
        "state: {} cannot be used ({why}); starting fresh ({moved})",
        path.display()
    ));
}

/// What the follower needs of a loaded state.
pub fn resume_of(saved: &Saved) -> Resume {
    Resume {
        saved_at: SystemTime::UNIX_EPOCH + Duration::from_millis(saved.saved_at_ms),
        sources: saved
            .sources
            .iter()
            .map(|s| {
                let marks = s.marks.iter().map(SavedMark::file_mark).collect();
                (s.name.clone(), s.id, marks)
            })
            .collect(),
    }
}

/// One line saying what was resumed.
pub fn resumed_note(path: &Path, saved: &Saved) -> String {
    let requests: u64 = saved.keys.iter().map(|k| k.count).sum();
    let age = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH + Duration::from_millis(saved.saved_at_ms))
        .map_or(0, |d| d.as_secs());
    format!(
        "state: resuming from {} (saved {age}s ago: {requests} requests, {} inputs)",
        path.display(),
        saved.sources.len()
    )
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Writes `bytes` as `path`, atomically and durably.
pub fn store(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = with_suffix(path, ".tmp");
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        // Route names and bad lines are the logs' content: not for others.
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// The writer thread: saves each state the engine hands it (the newest,
/// when several are waiting), then publishes the snapshot taken with it.
pub struct Writer {
    tx: Option<Sender<(Saved, Arc<Snapshot>)>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub fn start(
        path: PathBuf,
        durable: watch::Sender<Arc<Snapshot>>,
        log: Log,
    ) -> io::Result<Writer> {
        let (tx, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("routetop-state".into())
            .spawn(move || write_loop(&path, &rx, &durable, &log))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// What the engine calls to save, every `every` and at its end.
    pub fn checkpoint(&self, every: Duration) -> Option<Checkpoint> {
        let tx = self.tx.clone()?;
        Some(Checkpoint {
            every,
            save: Box::new(move |saved, snap| {
                let _ = tx.send((saved, snap));
            }),
        })
    }

    /// Waits until every state handed over is saved (after the engine
    /// stopped: its last state is the final one).
    pub fn finish(mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn write_loop(
    path: &Path,
    rx: &Receiver<(Saved, Arc<Snapshot>)>,
    durable: &watch::Sender<Arc<Snapshot>>,
    log: &Log,
) {
    let mut last_error: Option<String> = None;
    while let Ok(mut next) = rx.recv() {
        // Only the newest matters: it holds everything the older ones do.
        while let Ok(newer) = rx.try_recv() {
            next = newer;
        }
        let (saved, snap) = next;
        match store(path, &saved.encode()) {
            Ok(()) => {
                if last_error.take().is_some() {
                    log(format!("state: saving to {} works again", path.display()));
                }
                durable.send_replace(snap);
            }
            Err(e) => {
                let msg = e.to_string();
                // Once per distinct error, not every interval.
                if last_error.as_deref() != Some(&msg) {
                    log(format!(
                        "state: cannot save to {}: {msg} (/metrics and pushes keep the counts of the last save until saving works again)",
                        path.display()
                    ));
                }
                last_error = Some(msg);
            }
        }
    }
}
