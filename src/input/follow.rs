//! Live follow mode, input side: files, globs and stdin followed like
//! `tail -F`, through every kind of rotation, as [`InputEvent`]s on the
//! engine's channel.
//!
//! One thread (the *follower*) owns every followed path (`tail::Tailer`) and
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
//! into one pass at most every `MIN_PASS`, which keeps batches large (many
//! lines per event) when a writer does one `write()` per line; while data
//! keeps coming, the watcher is dropped and files are read on that period
//! instead (`watch.rs`).
//!
//! Because one thread owns all paths, a file is only ever read through one
//! of them (`paths.rs`): when a glob finds `access.log.1` that is the file
//! `access.log` was rotated away from, it takes over that file at the offset
//! already reached instead of reading it again from the start.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::blocks::{BLOCK, MAX_LINE_LIMIT};
use super::lines::{Sink, Stopped};
use super::paths::{Io, Paths};
use super::resume::Resume;
use super::spec::{Input, InputSpec, expand};
use super::stdin;
use super::watch::{Busy, EVENT, MIN_PASS, REOPEN, STOP, Wake, Watcher};
use crate::engine::{DEFAULT_MAX_LINE, InputEvent, InputState, SourceId};

/// While events flow, paths are re-checked for rotation at most this often
/// (the `poll` timer re-checks them anyway).
const CHECK_MIN: Duration = Duration::from_millis(50);

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
    /// Where the last run stopped counting (`--state`), if it did.
    pub resume: Option<Resume>,
    /// A file with this many unread bytes or more (read from its start,
    /// resumed far behind its end, found by a glob, appended to in bulk)
    /// sends its whole lines as one [`InputEvent::Backlog`], which the
    /// engine counts on all cores; `u64::MAX`: never (the engine must have
    /// a backfill pool otherwise).
    pub backfill_min: u64,
    /// A compressed file read once (`from_start`) whose compressed size is
    /// `backfill_min` or more goes as one backlog too, the whole stream
    /// (the pool decompresses it), rather than through a thread of its
    /// own. Only where the engine can count it whole: with arrival-time
    /// windows (a stream cannot be probed for a log-time tail).
    pub backfill_compressed: bool,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            from_start: false,
            poll: Duration::from_millis(250),
            rescan: Duration::from_secs(1),
            grace: Duration::from_secs(10),
            max_line: DEFAULT_MAX_LINE,
            resume: None,
            backfill_min: u64::MAX,
            backfill_compressed: false,
        }
    }
}

/// The running follower. Dropping it stops following.
pub struct FollowHandle {
    wake: Arc<Wake>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    inputs: Arc<Mutex<Option<Vec<Option<Input>>>>>,
}

impl FollowHandle {
    /// A new list of inputs (SIGHUP re-read the config), by configured
    /// index: an index that was `Some` and is now `None` is removed (its
    /// files are let go, keeping their offsets should it come back), a new
    /// `Some` starts following as the inputs given at start did, and the
    /// others go on where they are. Indices are never reused: the engine
    /// knows each input's format by its index.
    pub fn set_inputs(&self, inputs: Vec<Option<Input>>) {
        *self.inputs.lock().unwrap_or_else(|p| p.into_inner()) = Some(inputs);
        self.wake.set(REOPEN);
    }

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
    inputs: Vec<Input>,
    opts: FollowOptions,
    tx: SyncSender<InputEvent>,
    rt: &tokio::runtime::Handle,
) -> io::Result<FollowHandle> {
    spawn_with_stdin(inputs, opts, tx, rt, Box::new(io::stdin()))
}

/// [`spawn`], reading [`InputSpec::Stdin`] from `stdin` (tests, embedding).
pub fn spawn_with_stdin(
    inputs: Vec<Input>,
    mut opts: FollowOptions,
    tx: SyncSender<InputEvent>,
    rt: &tokio::runtime::Handle,
    stdin: Box<dyn Read + Send>,
) -> io::Result<FollowHandle> {
    // The carry must leave room to read in the block buffer.
    opts.max_line = opts.max_line.clamp(1, MAX_LINE_LIMIT);
    let stop = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(Wake::default());
    let new_inputs = Arc::new(Mutex::new(None));
    let mut paths = Paths::new(inputs, opts.grace, opts.max_line, opts.resume.take());
    paths.backfill_min = opts.backfill_min;
    paths.backfill_compressed = opts.backfill_compressed;
    let follower = Follower {
        new_inputs: new_inputs.clone(),
        sink: Sink::new(tx, stop.clone()),
        wake: wake.clone(),
        watcher: Watcher::new(rt.clone()),
        paths,
        stdin: Some(stdin),
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
        inputs: new_inputs,
    })
}

/// The follower thread: its loop, and what it owns.
struct Follower {
    opts: FollowOptions,
    sink: Sink,
    wake: Arc<Wake>,
    watcher: Watcher,
    paths: Paths,
    stdin: Option<Box<dyn Read + Send>>,
    buf: Vec<u8>,
    /// A new list of inputs (`FollowHandle::set_inputs`), taken at the next
    /// reopen.
    new_inputs: Arc<Mutex<Option<Vec<Option<Input>>>>>,
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
        let mut has_globs = self.paths.has_globs();
        let mut next_poll = start + self.opts.poll;
        let mut next_rescan = start + self.opts.rescan;
        let mut last_check = start;
        let mut last_pass = start;
        let mut busy = Busy::default();
        loop {
            let pass = Instant::now();
            let flags = self.wake.take();
            if flags & STOP != 0 || self.sink.stopped() {
                return Err(Stopped);
            }
            let reopen = flags & REOPEN != 0;
            let new_inputs = match reopen {
                true => self
                    .new_inputs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take(),
                false => None,
            };
            if let Some(list) = new_inputs {
                self.set_inputs(list, pass)?;
                has_globs = self.paths.has_globs();
            }
            let mut check = reopen || pass >= next_poll;
            // Rotation shows as events when watching; when polling, look as
            // often as events would have made us.
            check |= (flags & EVENT != 0 || busy.polling)
                && pass.duration_since(last_check) >= CHECK_MIN;
            if pass >= next_poll {
                next_poll = pass + self.opts.poll;
            }
            if check {
                self.paths
                    .check_all(pass, Io::new(&self.sink, &mut self.buf))?;
                last_check = pass;
            }
            if has_globs && (reopen || pass >= next_rescan) {
                self.paths
                    .rescan(pass, Io::new(&self.sink, &mut self.buf))?;
                next_rescan = pass + self.opts.rescan;
            }
            let (mut more, got) = self
                .paths
                .pump_all(pass, Io::new(&self.sink, &mut self.buf))?;
            self.paths.publish(pass, &self.sink)?;
            match busy.after_pass(got, pass.duration_since(last_pass)) {
                Some(true) => self.watcher.stop(),
                Some(false) => self.paths.watch_dirty = true,
                None => {}
            }
            last_pass = pass;
            if reopen {
                self.paths.watch_dirty = true;
            }
            if self.paths.watch_dirty && !busy.polling {
                self.paths.watch_dirty = false;
                let paths = self.paths.tailers.iter().map(|t| t.path.clone()).collect();
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
            if busy.polling {
                until = until.min(pass + MIN_PASS);
            }
            for t in &self.paths.tailers {
                if let Some(d) = t.deadline(self.opts.grace) {
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
        for i in 0..self.paths.inputs.len() {
            self.start_input(i, now)?;
        }
        self.paths.starting = false;
        // Files rotated away from their path while routetop was down.
        self.paths.recover_rotated(now, &self.sink)?;
        Ok(())
    }

    /// Opens input `i`: at the end of its files unless `--from-start`.
    fn start_input(&mut self, i: usize, now: Instant) -> Result<(), Stopped> {
        let at_end = !self.opts.from_start;
        let input = self.paths.inputs[i].clone();
        match &input.spec {
            InputSpec::Stdin => self.start_stdin(i, &input)?,
            InputSpec::Path(p) if input.spec.is_glob() => match expand(p) {
                Ok(paths) => {
                    for path in paths {
                        let io = Io::new(&self.sink, &mut self.buf);
                        self.paths.add(i, path, at_end, now, io)?;
                    }
                }
                Err(msg) => {
                    let source = self.paths.source_for(i, PathBuf::from(p), &self.sink)?;
                    self.sink.send(InputEvent::State {
                        source,
                        state: InputState::Error(msg),
                    })?;
                }
            },
            InputSpec::Path(p) if is_pipe(p) => self.start_pipe(i, PathBuf::from(p))?,
            InputSpec::Path(p) => {
                let io = Io::new(&self.sink, &mut self.buf);
                self.paths.add(i, PathBuf::from(p), at_end, now, io)?
            }
        }
        Ok(())
    }

    /// Input `i` names a pipe: followed as stdin is (`stdin::spawn_pipe`),
    /// to its end, whatever `--from-start` says (a pipe holds only what is
    /// written to it from now on).
    fn start_pipe(&mut self, i: usize, path: PathBuf) -> Result<(), Stopped> {
        let name = path.display().to_string();
        let source = self.paths.id_for_name(&name);
        let sink = self.sink.clone();
        match stdin::spawn_pipe(source, path, i, sink, self.opts.max_line) {
            Ok(_) => Ok(()),
            Err(e) => self.unread(source, name, i, format!("cannot start its reader: {e}")),
        }
    }

    /// Says stream `name` (stdin, a pipe) of input `i` cannot be read.
    fn unread(
        &self,
        source: SourceId,
        name: String,
        i: usize,
        error: String,
    ) -> Result<(), Stopped> {
        self.sink.send(InputEvent::Added {
            source,
            name,
            input: i,
        })?;
        self.sink.send(InputEvent::State {
            source,
            state: InputState::Error(error),
        })
    }

    /// Applies a new list of inputs (see [`FollowHandle::set_inputs`]).
    fn set_inputs(&mut self, list: Vec<Option<Input>>, now: Instant) -> Result<(), Stopped> {
        for (i, new) in list.into_iter().enumerate() {
            let active = self.paths.is_active(i);
            match new {
                None if active => {
                    // Its files, read for other inputs too, are read on
                    // through them: taken up where they were let go.
                    for (j, path) in self.paths.remove_input(i, &self.sink)? {
                        let io = Io::new(&self.sink, &mut self.buf);
                        self.paths.add(j, path, !self.opts.from_start, now, io)?;
                    }
                }
                Some(input) if !active => {
                    self.paths.put_input(i, input);
                    self.start_input(i, now)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn start_stdin(&mut self, i: usize, input: &Input) -> Result<(), Stopped> {
        let name = input.name.clone().unwrap_or_else(|| "stdin".into());
        let source = self.paths.id_for_name(&name);
        let error = match self.stdin.take() {
            Some(r) => match stdin::spawn(
                source,
                name.clone(),
                i,
                r,
                self.sink.clone(),
                self.opts.max_line,
            ) {
                Ok(_) => return Ok(()),
                Err(e) => format!("cannot start the stdin reader: {e}"),
            },
            None => "stdin is named more than once".into(),
        };
        self.unread(source, name, i, error)
    }
}

/// Whether `path` names a FIFO (a named pipe, or a shell's process
/// substitution `<(…)`) or a character device: a stream, not a file to
/// tail (its reads consume it, and it has no size nor offsets).
fn is_pipe(path: &str) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| {
        let t = m.file_type();
        t.is_fifo() || t.is_char_device()
    })
}
