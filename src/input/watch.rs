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

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;

use linemux::MuxedEvents;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

/// Something happened to a watched file.
pub(crate) const EVENT: u32 = 1;
/// SIGHUP: reopen inputs, re-expand globs.
pub(crate) const REOPEN: u32 = 2;
/// Stop following.
pub(crate) const STOP: u32 = 4;

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

    fn stop(&mut self) {
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
