//! Live follow mode, input side: files, globs and stdin followed like
//! `tail -F`, through every kind of rotation, as [`InputEvent`]s on the
//! engine's channel.
//!
//! One thread (the *follower*) owns every followed path ([`Tailer`]) and
//! reads them all with `pread` at its own offsets; stdin has a thread of its
//! own. The follower sleeps until linemux reports a filesystem event, a
//! timer fires (the `poll` safety net, glob `rescan`, grace deadlines) or the
//! handle asks for something. linemux's line reader is not used: measured
//! here, it misses the new file after rename-then-create under load, splits a
//! partial line in two, reads garbage after truncate-then-regrow and drops
//! non-UTF-8 lines. Its event side only says "look".
//!
//! A pass reads rotated-away files before current ones, so a sequential
//! writer's lines come out in order across a rotation. Bursts of events fold
//! into one pass at most every [`MIN_PASS`], which keeps batches large (many
//! lines per event) when a writer does one `write()` per line.
//!
//! Because one thread owns all paths, a file is only ever read by one of
//! them: when a glob finds `access.log.1` that is the file `access.log` was
//! rotated away from, it takes over that file at the offset already reached
//! instead of reading it again from the start.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::batch::BLOCK;
use super::lines::{Sink, Stopped};
use super::tail::{Fail, FileId, Gen, Pumped, Seen, Tailer};
use super::watch::{EVENT, REOPEN, STOP, Wake, Watcher};
use super::{InputEvent, InputSpec, InputState, expand, stdin};
use crate::config::{DEFAULT_MAX_LINE, InputConfig};
use crate::engine::{MAX_SOURCES, SourceId};

/// Wake-ups closer together than this fold into one pass.
const MIN_PASS: Duration = Duration::from_millis(5);
/// While events flow, paths are re-checked for rotation at most this often
/// (the `poll` timer re-checks them anyway).
const CHECK_MIN: Duration = Duration::from_millis(50);
/// Bytes read from one file before the others get their turn.
const BUDGET: u64 = 8 << 20;
/// Files let go after rotation that are remembered, with their offset, in
/// case a glob finds them again later.
const CLOSED_KEPT: usize = 64;

/// How to follow.
#[derive(Clone, Debug)]
pub struct FollowOptions {
    /// Read the content files already have, then follow (else start at
    /// their end). Files that appear later are always read whole.
    pub from_start: bool,
    /// Safety-net `stat` of every path, for events the watcher misses.
    pub poll: Duration,
    /// Globs are expanded again this often, to pick up new files.
    pub rescan: Duration,
    /// A file rotated away is still read this long: writers such as nginx
    /// keep writing to it until told to reopen their logs.
    pub grace: Duration,
    /// Longest line held; longer ones become [`InputEvent::Oversized`].
    pub max_line: usize,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            from_start: false,
            poll: Duration::from_millis(250),
            rescan: Duration::from_secs(1),
            grace: Duration::from_secs(10),
            max_line: DEFAULT_MAX_LINE,
        }
    }
}

/// The running follower. Dropping it stops following.
pub struct FollowHandle {
    wake: Arc<Wake>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FollowHandle {
    /// SIGHUP: look at every path again now (a path that names another file
    /// is followed as rotated), re-expand globs, retry inputs in error and
    /// renew the filesystem watches. Files still named by their path keep
    /// their offset: nothing is read twice.
    pub fn reopen(&self) {
        self.wake.set(REOPEN);
    }

    /// Stops following and waits for the follower thread (not for a stdin
    /// reader blocked in `read`, which ends with the process). Partial lines
    /// are not sent.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.wake.set(STOP);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for FollowHandle {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// Starts following `inputs`, sending events on `tx`. A full `tx` holds the
/// readers back (nothing is dropped). `rt` runs the filesystem watcher;
/// nothing blocking ever runs on it.
pub fn spawn(
    inputs: Vec<InputConfig>,
    opts: FollowOptions,
    tx: SyncSender<InputEvent>,
    rt: &tokio::runtime::Handle,
) -> io::Result<FollowHandle> {
    spawn_with_stdin(inputs, opts, tx, rt, Box::new(io::stdin()))
}

/// [`spawn`], reading [`InputSpec::Stdin`] from `stdin` (tests, embedding).
pub fn spawn_with_stdin(
    inputs: Vec<InputConfig>,
    mut opts: FollowOptions,
    tx: SyncSender<InputEvent>,
    rt: &tokio::runtime::Handle,
    stdin: Box<dyn Read + Send>,
) -> io::Result<FollowHandle> {
    // The carry must leave room to read in the block buffer.
    opts.max_line = opts.max_line.clamp(1, BLOCK / 2);
    let stop = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(Wake::default());
    let follower = Follower {
        sink: Sink::new(tx, stop.clone()),
        wake: wake.clone(),
        watcher: Watcher::new(rt.clone()),
        watch_dirty: true,
        inputs,
        stdin: Some(stdin),
        tailers: Vec::new(),
        ids: HashMap::new(),
        next_id: 0,
        closed: VecDeque::new(),
        buf: vec![0u8; BLOCK],
        opts,
    };
    let thread = std::thread::Builder::new()
        .name("routetop-follow".into())
        .spawn(move || follower.run())?;
    Ok(FollowHandle {
        wake,
        stop,
        thread: Some(thread),
    })
}

/// A file let go after its grace period.
struct Closed {
    id: FileId,
    offset: u64,
    fp: Vec<u8>,
}

/// Where a file that a path now names is already being read.
enum Owner {
    Cur(usize),
    Old(usize, usize),
}

struct Follower {
    opts: FollowOptions,
    sink: Sink,
    wake: Arc<Wake>,
    watcher: Watcher,
    watch_dirty: bool,
    inputs: Vec<InputConfig>,
    stdin: Option<Box<dyn Read + Send>>,
    tailers: Vec<Tailer>,
    /// Source of every path ever followed: a path that comes back keeps it.
    ids: HashMap<PathBuf, SourceId>,
    next_id: usize,
    closed: VecDeque<Closed>,
    buf: Vec<u8>,
}

impl Follower {
    fn run(mut self) {
        self.wake.register();
        let _ = self.main();
        // Dropping `self` aborts the watcher task.
    }

    fn main(&mut self) -> Result<(), Stopped> {
        let start = Instant::now();
        self.start(start)?;
        let has_globs = self.inputs.iter().any(|i| i.spec.is_glob());
        let mut next_poll = start + self.opts.poll;
        let mut next_rescan = start + self.opts.rescan;
        let mut last_check = start;
        loop {
            let pass = Instant::now();
            let flags = self.wake.take();
            if flags & STOP != 0 || self.sink.stopped() {
                return Err(Stopped);
            }
            let reopen = flags & REOPEN != 0;
            let mut check = reopen || pass >= next_poll;
            check |= flags & EVENT != 0 && pass.duration_since(last_check) >= CHECK_MIN;
            if pass >= next_poll {
                next_poll = pass + self.opts.poll;
            }
            if check {
                self.check_all(pass)?;
                last_check = pass;
            }
            if has_globs && (reopen || pass >= next_rescan) {
                self.rescan(pass)?;
                next_rescan = pass + self.opts.rescan;
            }
            let mut more = self.pump_all(pass)?;
            self.publish(pass)?;
            if reopen || self.watch_dirty {
                self.watch_dirty = false;
                let paths = self.tailers.iter().map(|t| t.path.clone()).collect();
                // Without a watcher (inotify limits) the poll still works.
                let _ = self.watcher.rebuild(paths, &self.wake);
                // Bytes written while no watch was in place raised no event.
                more = true;
            }
            if more {
                continue;
            }
            let mut until = next_poll;
            if has_globs {
                until = until.min(next_rescan);
            }
            for t in &self.tailers {
                let glob_gone = t.missing_since.filter(|_| t.from_glob);
                let gone = glob_gone.map(|m| m + self.opts.grace);
                for d in t
                    .old
                    .iter()
                    .filter_map(|g| g.until)
                    .chain(t.rotated_until)
                    .chain(gone)
                {
                    until = until.min(d);
                }
            }
            let now = Instant::now();
            if until > now {
                std::thread::park_timeout(until - now);
            }
            let since = pass.elapsed();
            if since < MIN_PASS && !self.sink.stopped() {
                std::thread::sleep(MIN_PASS - since);
            }
        }
    }

    /// Opens every input as named at start.
    fn start(&mut self, now: Instant) -> Result<(), Stopped> {
        let at_end = !self.opts.from_start;
        for i in 0..self.inputs.len() {
            let ic = self.inputs[i].clone();
            match &ic.spec {
                InputSpec::Stdin => self.start_stdin(&ic)?,
                InputSpec::Path(p) if ic.spec.is_glob() => match expand(p) {
                    Ok(paths) => {
                        for path in paths {
                            self.add(i, path, true, at_end, now)?;
                        }
                    }
                    Err(msg) => {
                        let source = self.source_for(i, PathBuf::from(p))?;
                        self.sink.send(InputEvent::State {
                            source,
                            state: InputState::Error(msg),
                        })?;
                    }
                },
                InputSpec::Path(p) => self.add(i, PathBuf::from(p), false, at_end, now)?,
            }
        }
        Ok(())
    }

    fn start_stdin(&mut self, ic: &InputConfig) -> Result<(), Stopped> {
        let source = self.new_id();
        let name = ic.name.clone().unwrap_or_else(|| "stdin".into());
        let error = match self.stdin.take() {
            Some(r) => match stdin::spawn(
                source,
                name.clone(),
                ic.format.clone(),
                r,
                self.sink.clone(),
                self.opts.max_line,
            ) {
                Ok(_) => return Ok(()),
                Err(e) => format!("cannot start the stdin reader: {e}"),
            },
            None => "stdin is named more than once".into(),
        };
        self.sink.send(InputEvent::Added {
            source,
            name,
            format: ic.format.clone(),
        })?;
        self.sink.send(InputEvent::State {
            source,
            state: InputState::Error(error),
        })
    }

    fn new_id(&mut self) -> SourceId {
        let id = self.next_id.min(MAX_SOURCES - 1) as SourceId;
        self.next_id += 1;
        id
    }

    /// The source of `path`, announced to the engine the first time.
    fn source_for(&mut self, input: usize, path: PathBuf) -> Result<SourceId, Stopped> {
        if let Some(&id) = self.ids.get(&path) {
            return Ok(id);
        }
        let id = self.new_id();
        let ic = &self.inputs[input];
        let shown = path.display().to_string();
        let name = match (&ic.name, ic.spec.is_glob()) {
            (Some(n), false) => n.clone(),
            (Some(n), true) => format!("{n}:{shown}"),
            (None, _) => shown,
        };
        let format = ic.format.clone();
        self.ids.insert(path, id);
        self.sink.send(InputEvent::Added {
            source: id,
            name,
            format,
        })?;
        Ok(id)
    }

    fn add(
        &mut self,
        input: usize,
        path: PathBuf,
        from_glob: bool,
        at_end: bool,
        now: Instant,
    ) -> Result<(), Stopped> {
        let source = self.source_for(input, path.clone())?;
        self.tailers
            .push(Tailer::new(source, path, from_glob, at_end));
        self.watch_dirty = true;
        self.check(self.tailers.len() - 1, now, &mut Vec::new())
    }

    /// Picks up files a glob matches now and did not before.
    fn rescan(&mut self, now: Instant) -> Result<(), Stopped> {
        for i in 0..self.inputs.len() {
            let InputSpec::Path(p) = &self.inputs[i].spec else {
                continue;
            };
            if !self.inputs[i].spec.is_glob() {
                continue;
            }
            let Ok(paths) = expand(p) else { continue };
            for path in paths {
                if !self.tailers.iter().any(|t| t.path == path) {
                    self.add(i, path, true, false, now)?;
                }
            }
        }
        Ok(())
    }

    fn check_all(&mut self, now: Instant) -> Result<(), Stopped> {
        for i in 0..self.tailers.len() {
            self.check(i, now, &mut Vec::new())?;
        }
        Ok(())
    }

    /// Compares what tailer `i`'s path names now with what it reads, and
    /// follows the change. `visiting` guards against checking in circles
    /// while resolving who owns a file.
    fn check(&mut self, i: usize, now: Instant, visiting: &mut Vec<usize>) -> Result<(), Stopped> {
        let until = now + self.opts.grace;
        let seen = self.tailers[i].look();
        let t = &mut self.tailers[i];
        match seen {
            Seen::Same => {
                t.open_error = None;
                t.missing_since = None;
                // A file truncated and regrown to exactly our offset gives no
                // sign to a read; the fingerprint does.
                if t.cur
                    .as_ref()
                    .is_some_and(|g| !g.fp_holds().unwrap_or(true))
                {
                    match t.truncated(until, &mut self.buf, &self.sink) {
                        Err(Fail::Stopped) => return Err(Stopped),
                        Err(Fail::Io(_)) | Ok(()) => {}
                    }
                }
            }
            Seen::Missing => {
                t.open_error = None;
                t.at_end = false;
                if t.cur.is_some() {
                    t.retire(until, &self.sink)?;
                    self.watch_dirty = true;
                }
                t.missing_since.get_or_insert(now);
            }
            Seen::Failed(msg) => t.open_error = Some(msg),
            Seen::Other(file, id) => {
                visiting.push(i);
                let owned = self.take_owned(i, id, now, visiting)?;
                visiting.pop();
                let next = match owned {
                    Ok(g) => Ok(g),
                    Err(None) => self.fresh(file, id, self.tailers[i].at_end),
                    Err(Some(j)) => Err(format!(
                        "same file as {}, read there",
                        self.tailers[j].path.display()
                    )),
                };
                let t = &mut self.tailers[i];
                match next {
                    Ok(g) => {
                        t.retire(until, &self.sink)?;
                        t.cur = Some(g);
                        t.open_error = None;
                        t.missing_since = None;
                        t.at_end = false;
                        self.watch_dirty = true;
                    }
                    Err(msg) => t.open_error = Some(msg),
                }
            }
        }
        Ok(())
    }

    /// If file `id` is already being read by another path, takes it over
    /// (`Ok`). `Err(Some(j))`: tailer `j` still reads it as its current
    /// file (two paths name one file); `Err(None)`: nobody reads it.
    #[allow(clippy::type_complexity)]
    fn take_owned(
        &mut self,
        i: usize,
        id: FileId,
        now: Instant,
        visiting: &mut Vec<usize>,
    ) -> Result<Result<Gen, Option<usize>>, Stopped> {
        // The owner may not have noticed yet that its path moved on: let it
        // look first, which retires the file if so.
        if let Some(Owner::Cur(j)) = self.owner(id)
            && j != i
            && !visiting.contains(&j)
        {
            visiting.push(j);
            let r = self.check(j, now, visiting);
            visiting.pop();
            r?;
        }
        Ok(match self.owner(id) {
            Some(Owner::Old(j, k)) => {
                let mut g = self.tailers[j].old.remove(k);
                g.until = None;
                Ok(g)
            }
            Some(Owner::Cur(j)) if j != i => Err(Some(j)),
            _ => Err(None),
        })
    }

    fn owner(&self, id: FileId) -> Option<Owner> {
        for (j, t) in self.tailers.iter().enumerate() {
            if t.cur.as_ref().is_some_and(|g| g.id == id) {
                return Some(Owner::Cur(j));
            }
            if let Some(k) = t.old.iter().position(|g| g.id == id) {
                return Some(Owner::Old(j, k));
            }
        }
        None
    }

    /// A file nobody reads: resumed where we let it go if we read it before,
    /// else from its end (first open of a file that existed at start) or
    /// its start.
    fn fresh(&mut self, file: std::fs::File, id: FileId, at_end: bool) -> Result<Gen, String> {
        let max_line = self.opts.max_line;
        if let Some(k) = self.closed.iter().position(|c| c.id == id)
            && let Some(c) = self.closed.remove(k)
        {
            let g = Gen::resume(file, id, c.offset, c.fp, max_line);
            // An inode number can be reused by an unrelated file.
            if g.fp_holds().unwrap_or(false) {
                return Ok(g);
            }
            return Ok(Gen::new(g.into_file(), id, max_line));
        }
        if at_end {
            Gen::at_end(file, id, max_line).map_err(|e| e.to_string())
        } else {
            Ok(Gen::new(file, id, max_line))
        }
    }

    /// Reads what is new in every file. True when some file has more than
    /// one pass could take.
    fn pump_all(&mut self, now: Instant) -> Result<bool, Stopped> {
        let mut more = false;
        let until = now + self.opts.grace;
        let Follower {
            tailers,
            buf,
            sink,
            closed,
            ..
        } = self;
        for t in tailers.iter_mut() {
            // Rotated-away files first: they hold the older lines.
            let mut k = 0;
            while k < t.old.len() {
                let g = &mut t.old[k];
                let r = g.pump(t.source, buf, sink, BUDGET);
                let done = match r {
                    Ok(Pumped::More) => {
                        more = true;
                        false
                    }
                    Ok(_) => g.until.is_none_or(|u| u <= now),
                    Err(Fail::Stopped) => return Err(Stopped),
                    // Cannot be read any more: nothing left to drain.
                    Err(Fail::Io(_)) => true,
                };
                if done {
                    let mut g = t.old.remove(k);
                    g.finish(t.source, sink)?;
                    if closed.len() >= CLOSED_KEPT {
                        closed.pop_front();
                    }
                    closed.push_back(Closed {
                        id: g.id,
                        offset: g.offset,
                        fp: std::mem::take(&mut g.fp),
                    });
                } else {
                    k += 1;
                }
            }
            let Some(g) = t.cur.as_mut() else { continue };
            match g.pump(t.source, buf, sink, BUDGET) {
                Ok(r) => {
                    t.read_error = None;
                    match r {
                        Pumped::More => more = true,
                        Pumped::Eof => {}
                        Pumped::Truncated => {
                            match t.truncated(until, buf, sink) {
                                Err(Fail::Stopped) => return Err(Stopped),
                                Err(Fail::Io(_)) | Ok(()) => {}
                            }
                            more = true;
                        }
                    }
                }
                Err(Fail::Stopped) => return Err(Stopped),
                Err(Fail::Io(e)) => t.read_error = Some(format!("read error: {e}")),
            }
        }
        Ok(more)
    }

    /// Sends state changes, and lets go of glob matches gone for good.
    fn publish(&mut self, now: Instant) -> Result<(), Stopped> {
        let grace = self.opts.grace;
        let mut k = 0;
        while k < self.tailers.len() {
            let t = &mut self.tailers[k];
            if t.rotated_until.is_some_and(|u| u <= now) {
                t.rotated_until = None;
            }
            let gone = t.from_glob
                && t.cur.is_none()
                && t.old.is_empty()
                && t.missing_since.is_some_and(|m| m + grace <= now);
            let state = if gone {
                InputState::Done
            } else if let Some(e) = t.open_error.as_ref().or(t.read_error.as_ref()) {
                InputState::Error(e.clone())
            } else if t.cur.is_none() {
                InputState::Waiting
            } else if !t.old.is_empty() || t.rotated_until.is_some() {
                InputState::Rotated
            } else {
                InputState::Following
            };
            if t.sent.as_ref() != Some(&state) {
                t.sent = Some(state.clone());
                self.sink.send(InputEvent::State {
                    source: t.source,
                    state,
                })?;
            }
            if gone {
                self.tailers.remove(k);
                self.watch_dirty = true;
            } else {
                k += 1;
            }
        }
        Ok(())
    }
}
