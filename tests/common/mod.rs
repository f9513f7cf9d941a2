//! Shared by the follow tests: a follower on a test runtime, an event
//! collector that waits on conditions (never fixed sleeps), and a writer of
//! numbered lines whose output can be checked for loss and duplication.

#![allow(dead_code)]

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::time::{Duration, Instant};

use routetop::engine::SourceId;
use routetop::engine::{InputEvent, InputState};
use routetop::input::follow::{self, FollowHandle, FollowOptions};
use routetop::input::{Input, InputSpec};

/// Generous: conditions are normally met in milliseconds, but CI shares two
/// cores between several builds.
pub const TIMEOUT: Duration = Duration::from_secs(30);

pub fn input(spec: &str) -> Input {
    Input::new(InputSpec::parse(spec))
}

/// Fast timers so rotations are noticed quickly in tests.
pub fn opts() -> FollowOptions {
    FollowOptions {
        from_start: false,
        poll: Duration::from_millis(50),
        rescan: Duration::from_millis(100),
        grace: Duration::from_millis(600),
        max_line: 4096,
        resume: None,
        backfill_min: u64::MAX,
        backfill_compressed: false,
    }
}

/// Line `n` of a test log: unique, fixed width, long enough to look like a
/// log line.
pub fn line(n: u64) -> Vec<u8> {
    format!(
        "L{n:08} GET /api/items/{n} HTTP/1.1 200 {:>40}\n",
        n * 7919 % 100_000
    )
    .into_bytes()
}

pub fn lines(range: std::ops::Range<u64>) -> Vec<u8> {
    range.flat_map(line).collect()
}

/// Appends numbered lines with one `write()` each (as nginx does), pausing
/// every `burst` lines so the follower reads while the writer writes.
pub fn write_lines(f: &mut File, range: std::ops::Range<u64>, burst: u64) {
    for n in range {
        f.write_all(&line(n)).expect("write");
        if burst > 0 && n % burst == burst - 1 {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
}

/// Truncates `path` to nothing, in place.
pub fn truncate(path: &Path) {
    File::options()
        .write(true)
        .open(path)
        .expect("open to truncate")
        .set_len(0)
        .expect("truncate");
}

/// What logrotate's `copytruncate` does: copies `path` to `to`, then
/// truncates `path`.
pub fn copytruncate(path: &Path, to: &Path) {
    std::fs::copy(path, to).expect("copy");
    truncate(path);
}

pub fn append(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append")
}

/// Everything the follower sent, in order.
#[derive(Debug)]
pub enum Got {
    Added(SourceId, String),
    Line(SourceId, Vec<u8>),
    Oversized(SourceId, Vec<u8>, u64),
    State(SourceId, InputState),
    Rotated(SourceId),
    /// A backlog of this many bytes came (its lines follow as `Line`s).
    Backlog(SourceId, u64),
}

pub struct Follow {
    pub rt: tokio::runtime::Runtime,
    pub rx: Receiver<InputEvent>,
    pub handle: Option<FollowHandle>,
    pub got: Vec<Got>,
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("runtime")
}

impl Follow {
    pub fn start(inputs: Vec<Input>, opts: FollowOptions, cap: usize) -> Follow {
        Follow::start_with(inputs, opts, cap, Box::new(std::io::empty()))
    }

    pub fn start_with(
        inputs: Vec<Input>,
        opts: FollowOptions,
        cap: usize,
        stdin: Box<dyn std::io::Read + Send>,
    ) -> Follow {
        let rt = runtime();
        let (tx, rx) = sync_channel(cap);
        let handle = follow::spawn_with_stdin(inputs, opts, tx, rt.handle(), stdin).expect("spawn");
        Follow {
            rt,
            rx,
            handle: Some(handle),
            got: Vec::new(),
        }
    }

    fn take(&mut self, ev: InputEvent) {
        match ev {
            InputEvent::Added { source, name, .. } => self.got.push(Got::Added(source, name)),
            InputEvent::Lines { source, data } | InputEvent::FileLines { source, data, .. } => {
                assert!(!data.is_empty(), "empty Lines event");
                let mut rest = &data[..];
                while !rest.is_empty() {
                    let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
                    self.got.push(Got::Line(source, rest[..end].to_vec()));
                    rest = &rest[end..];
                }
            }
            InputEvent::Oversized { source, head, len } => {
                self.got.push(Got::Oversized(source, head, len))
            }
            InputEvent::State { source, state } => self.got.push(Got::State(source, state)),
            InputEvent::Rotated { source } => self.got.push(Got::Rotated(source)),
            // Positions matter to saved state only (tests/state.rs), a
            // file's header before its start to the engine only.
            InputEvent::Mark { .. } | InputEvent::Preamble { .. } => {}
            // A backlog is its lines, read here as the engine's pool reads
            // them: from the descriptor the follower sent.
            InputEvent::Backlog {
                source,
                file,
                from,
                to,
                ..
            } => {
                let mut data = vec![0u8; (to - from) as usize];
                std::os::unix::fs::FileExt::read_exact_at(&*file, &mut data, from)
                    .expect("read a backlog");
                self.got.push(Got::Backlog(source, data.len() as u64));
                self.take(InputEvent::Lines { source, data });
            }
        }
    }

    /// Collects events until `done` holds; panics after [`TIMEOUT`].
    pub fn until(&mut self, what: &str, done: impl Fn(&[Got]) -> bool) {
        let end = Instant::now() + TIMEOUT;
        while !done(&self.got) {
            let left = end.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left.max(Duration::from_millis(1))) {
                Ok(ev) => self.take(ev),
                Err(RecvTimeoutError::Timeout) if Instant::now() < end => {}
                Err(e) => panic!("waiting for {what}: {e:?}; got so far:\n{}", self.dump()),
            }
        }
    }

    /// Waits for `n` numbered lines from `source` (any source if `None`).
    pub fn until_lines(&mut self, source: Option<SourceId>, n: usize) {
        self.until(&format!("{n} lines"), |g| count_lines(g, source) >= n);
    }

    /// Waits for lines `0..n` from source 0 while `writer` writes them,
    /// stops, and checks that each came exactly once, in order: the end of
    /// every one-writer case.
    pub fn finish_exact(&mut self, writer: std::thread::JoinHandle<()>, n: u64) {
        self.until_lines(Some(0), n as usize);
        writer.join().expect("writer");
        self.stop();
        assert_exact(&self.numbers(Some(0)), 0..n);
    }

    pub fn until_state(&mut self, source: SourceId, state: InputState) {
        self.until(&format!("source {source} {state:?}"), |g| {
            g.iter()
                .any(|e| matches!(e, Got::State(s, st) if *s == source && *st == state))
        });
    }

    /// Stops the follower and collects what it had sent.
    pub fn stop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown();
        }
        while let Ok(ev) = self.rx.try_recv() {
            self.take(ev);
        }
    }

    /// The line numbers received from `source` (all sources if `None`), in
    /// order; panics on any line that is not a whole numbered line.
    pub fn numbers(&self, source: Option<SourceId>) -> Vec<u64> {
        self.got
            .iter()
            .filter_map(|e| match e {
                Got::Line(s, l) if source.is_none_or(|x| x == *s) => Some(l),
                _ => None,
            })
            .map(|l| {
                parse(l).unwrap_or_else(|| panic!("garbage line {:?}", String::from_utf8_lossy(l)))
            })
            .collect()
    }

    pub fn rotations(&self, source: SourceId) -> usize {
        self.got
            .iter()
            .filter(|e| matches!(e, Got::Rotated(s) if *s == source))
            .count()
    }

    pub fn sources(&self) -> Vec<(SourceId, String)> {
        self.got
            .iter()
            .filter_map(|e| match e {
                Got::Added(s, n) => Some((*s, n.clone())),
                _ => None,
            })
            .collect()
    }

    pub fn dump(&self) -> String {
        let mut s = String::new();
        for e in self.got.iter().filter(|e| !matches!(e, Got::Line(..))) {
            s.push_str(&format!("  {e:?}\n"));
        }
        s.push_str(&format!("  ({} lines)\n", count_lines(&self.got, None)));
        s
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown();
        }
    }
}

pub fn count_lines(got: &[Got], source: Option<SourceId>) -> usize {
    got.iter()
        .filter(|e| matches!(e, Got::Line(s, _) if source.is_none_or(|x| x == *s)))
        .count()
}

/// The number of a whole line made by [`line`].
pub fn parse(l: &[u8]) -> Option<u64> {
    let n: u64 = std::str::from_utf8(l.get(1..9)?).ok()?.parse().ok()?;
    (l.first() == Some(&b'L') && l == line(n).as_slice()).then_some(n)
}

/// Asserts `got` is exactly `want`, in order: reports lost and doubled
/// lines first, as those are the figures that matter.
pub fn assert_exact(got: &[u64], want: std::ops::Range<u64>) {
    assert_same_set(got, want.clone());
    let want: Vec<u64> = want.collect();
    if got != want.as_slice() {
        let at = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "lines out of order from index {at}: got {:?}, want {:?}",
            &got[at..(at + 5).min(got.len())],
            &want[at..(at + 5).min(want.len())]
        );
    }
}

/// Asserts every number of `want` arrived exactly once (order aside).
pub fn assert_same_set(got: &[u64], want: std::ops::Range<u64>) {
    let mut seen = vec![0u32; (want.end - want.start) as usize];
    let mut stray = Vec::new();
    for &n in got {
        if want.contains(&n) {
            seen[(n - want.start) as usize] += 1;
        } else {
            stray.push(n);
        }
    }
    let lost: Vec<u64> = (want.clone())
        .filter(|n| seen[(n - want.start) as usize] == 0)
        .collect();
    let doubled: Vec<u64> = (want.clone())
        .filter(|n| seen[(n - want.start) as usize] > 1)
        .collect();
    assert!(
        lost.is_empty() && doubled.is_empty() && stray.is_empty(),
        "lines lost: {} (first {:?}), doubled: {} (first {:?}), unexpected: {:?}",
        lost.len(),
        &lost[..lost.len().min(5)],
        doubled.len(),
        &doubled[..doubled.len().min(5)],
        &stray[..stray.len().min(5)]
    );
}

/// Asserts each of `parts` arrived in order relative to itself.
pub fn assert_ordered_within(got: &[u64], parts: &[std::ops::Range<u64>]) {
    for p in parts {
        let sub: Vec<u64> = got.iter().copied().filter(|n| p.contains(n)).collect();
        assert!(
            sub.windows(2).all(|w| w[0] < w[1]),
            "lines of {p:?} out of order"
        );
    }
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

pub fn path_str(p: &Path) -> String {
    p.to_str().expect("utf-8 temp path").to_string()
}

pub fn join(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}
