//! Wake-ups for the follower thread: filesystem events from linemux, and
//! requests from the handle (reopen, stop).
//!
//! linemux's [`MuxedEvents`] is used only to learn *that* something changed,
//! never to read: its line reader loses and mangles lines across rotations
//! (see `follow.rs`). An event carries no work; it sets a bit. However many
//! events arrive while the follower is busy, they fold into one pass, so
//! memory does not grow with the write rate. The events are drained on the
//! tokio runtime as fast as notify produces them (linemux keeps them in an
//! unbounded queue, so leaving them queued is what would grow without
//! bound).
//!
//! A watch made on a path is bound to the file the path named then (inotify
//! watches inodes); after a rotation linemux can miss the new file. The
//! follower therefore rebuilds the watcher whenever the set of files it
//! follows changes, and polls with `stat` on a timer as a safety net, so a
//! missed event costs latency, never lines.
//!
//! Events are for quiet files. While data keeps arriving, the watcher is
//! dropped and the files are read on a short timer instead ([`Busy`]): a
//! flood of one event per `write()` would otherwise cost more than reading.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;
use std::time::Duration;

use linemux::MuxedEvents;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

/// Something happened to a watched file.
pub(crate) const EVENT: u32 = 1;
/// SIGHUP: reopen inputs, re-expand globs.
pub(crate) const REOPEN: u32 = 2;
/// Stop following.
pub(crate) const STOP: u32 = 4;

/// Wake-ups closer together than this fold into one pass; also the period
/// of reads while polling.
pub(crate) const MIN_PASS: Duration = Duration::from_millis(5);
/// Passes in a row that found data right after the previous one before the
/// watcher is dropped for polling...
const HOT_PASSES: u32 = 10;
/// ...and passes in a row without data before it is rebuilt.
const QUIET_PASSES: u32 = 40;

/// Pending wake-up reasons of the follower thread.
#[derive(Default)]
pub(crate) struct Wake {
    flags: AtomicU32,
    thread: OnceLock<Thread>,
}

impl Wake {
    /// Called by the follower thread before it first parks.
    pub(crate) fn register(&self) {
        let _ = self.thread.set(std::thread::current());
    }

    pub(crate) fn set(&self, flag: u32) {
        // Only the first setter of a bit unparks: the follower clears the
        // bits before it reads files, so a bit already set means a pass is
        // coming anyway.
        if self.flags.fetch_or(flag, Ordering::AcqRel) & flag == 0
            && let Some(t) = self.thread.get()
        {
            t.unpark();
        }
    }

    /// Takes the pending bits (STOP stays set).
    pub(crate) fn take(&self) -> u32 {
        self.flags.fetch_and(STOP, Ordering::AcqRel)
    }
}

/// The linemux watcher of the current set of paths, drained by a task on the
/// runtime.
pub(crate) struct Watcher {
    rt: Handle,
    task: Option<JoinHandle<()>>,
}

impl Watcher {
    pub(crate) fn new(rt: Handle) -> Watcher {
        Watcher { rt, task: None }
    }

    /// Replaces the watcher with one on `paths` (missing ones are watched
    /// through their directory by linemux). Must be called from a plain
    /// thread, not from the runtime: registering stats the paths.
    pub(crate) fn rebuild(&mut self, paths: Vec<PathBuf>, wake: &Arc<Wake>) -> io::Result<()> {
        self.stop();
        let mut events = MuxedEvents::new()?;
        for p in paths {
            // A path whose directory is missing cannot be watched; the
            // periodic stat finds it when it appears.
            let _ = self.rt.block_on(events.add_file(p));
        }
        let wake = wake.clone();
        self.task = Some(self.rt.spawn(async move {
            loop {
                match events.next_event().await {
                    // An error is an event too: a queue overflow means
                    // "something happened, look".
                    Ok(Some(_)) | Err(_) => wake.set(EVENT),
                    // Nothing watched any more.
                    Ok(None) => return,
                }
            }
        }));
        Ok(())
    }

    /// Drops the watcher (and its queue).
    pub(crate) fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            // Dropping the task drops the watcher, which ends notify's thread.
            t.abort();
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Events or polling. inotify reports every `write()`; with a writer doing
/// one write per line that is hundreds of thousands of events a second,
/// each allocated by notify, queued without bound by linemux and `stat`ed
/// by it — most of the follower's CPU, and kernel work added to every write
/// of the writer. When data keeps coming anyway, events say nothing new: the
/// watcher is dropped (its queue with it) and files are read every
/// [`MIN_PASS`] instead, which costs the same whatever the write rate. Once
/// the files are quiet again, events take over, so an idle follower costs
/// nothing.
#[derive(Default)]
pub(crate) struct Busy {
    pub(crate) polling: bool,
    hot: u32,
    quiet: u32,
}

impl Busy {
    /// Returns `Some(true)` to start polling, `Some(false)` to watch again.
    pub(crate) fn after_pass(&mut self, got: bool, since_last: Duration) -> Option<bool> {
        if self.polling {
            self.quiet = if got { 0 } else { self.quiet + 1 };
            if self.quiet >= QUIET_PASSES {
                *self = Busy::default();
                return Some(false);
            }
        } else {
            self.hot = if got && since_last <= 2 * MIN_PASS {
                self.hot + 1
            } else {
                0
            };
            if self.hot >= HOT_PASSES {
                *self = Busy {
                    polling: true,
                    ..Busy::default()
                };
                return Some(true);
            }
        }
        None
    }
}
