//! A follower's backlog counted by the batch worker pool (`batch.rs`): the
//! live engine's [`Backfill`]. One backlog is one input of a pool read,
//! with the engine's registry (routes registered in input order, as
//! `--once` registers them), its settings (a histogram per key, which the
//! engine merges into its routes'), and the source's format, or `auto`
//! detection by the policy `--once` follows.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::Duration;

use super::batch::{Watch, read_all, source_format};
use crate::engine::MARK_FP_LEN;
use crate::engine::backfill::{Backfill, Backfilled, CopyHint, Job, Progress, TailBlock};
use crate::format::detect::{self, Verdict};
use crate::format::prefix::Strip;
use crate::format::{FieldOverride, Format, Scratch};
use crate::input::opener::Range;
use crate::input::{BLOCK, BatchInput, Opener};

/// Counts backlogs on `threads` workers.
pub struct Pool {
    pub threads: usize,
    /// For detecting `auto` sources' formats.
    pub json: Vec<FieldOverride>,
    pub strip: Option<Strip>,
}

impl Backfill for Pool {
    fn run(&self, job: Job) -> Backfilled {
        let Job {
            name,
            file,
            compressed,
            copy,
            from,
            to,
            head,
            format,
            registry,
            router,
            mut engine,
            progress,
            cancel,
            log_horizon,
            slo_minutes,
        } = job;
        engine.key_hists = true;
        // Log-time windows: the lines within the horizon of the last one
        // are the engine's to count (`tail`).
        let split = log_horizon.map(|h| {
            let f = format.clone().or_else(|| self.detect(&file, from, to));
            f.map_or(from, |f| split_at(&file, from, to, &f, h))
        });
        let read_tail = |at| tail(&file, (at, to), copy.clone(), &progress);
        let (to, tail) = match split.and_then(|at| Some((at, read_tail(at)?))) {
            Some((at, rx)) => (at, Some(rx)),
            // No thread to read the tail with: the pool counts it all.
            None => (to, None),
        };
        let split = tail.as_ref().map(|_| (to, fp_before(&file, to)));
        let open = match compressed {
            // Its compressed bytes are the progress shown. (A compressed
            // file sends no line before its backlog: `head` is empty.)
            true => Opener::Stream(Box::new(Counted {
                inner: Range::new(file, 0, u64::MAX, None),
                progress: progress.clone(),
            })),
            false => Opener::Range {
                head,
                file,
                from,
                to,
                copy,
            },
        };
        let input = BatchInput {
            name,
            open,
            input: 0,
        };
        let (json, strip) = (&self.json, self.strip.as_ref());
        let start = Box::new(move |_: &BatchInput, lines: &[u8], more: bool| {
            source_format(&format, json, strip, lines, more)
        });
        let watch = Watch {
            cancel: Some(&cancel),
            progress: Some(&progress),
            minutes: &slo_minutes,
        };
        let read = read_all(
            vec![input],
            start,
            router,
            &engine,
            registry,
            self.threads,
            watch,
        );
        let mut batch = read.batch;
        let parser = read.parsers.into_iter().next().flatten();
        Backfilled {
            aggs: std::mem::take(&mut batch.aggs),
            input: batch.inputs.into_iter().next().unwrap_or_default(),
            format: parser.as_ref().map(|p| Arc::clone(&p.format)),
            fields: parser.and_then(|p| p.fields),
            error: read.failed.first().map(|e| e.to_string()),
            minutes: batch.minutes.take(),
            split,
            tail,
        }
    }
}

impl Pool {
    /// The format `auto` finds in the backlog's first block, if any.
    fn detect(&self, file: &File, from: u64, to: u64) -> Option<Arc<Format>> {
        let mut buf = vec![0u8; (BLOCK as u64).min(to - from) as usize];
        let n = read_at(file, &mut buf, from);
        let whole = memchr::memrchr(b'\n', &buf[..n]).map_or(0, |i| i + 1);
        match detect::detect_start_with(&buf[..whole], &self.json, true, self.strip.as_ref()) {
            Verdict::Found(d) => Some(Arc::new(d.format)),
            _ => None,
        }
    }
}

/// A compressed file's bytes, counted as read ([`Progress::add_raw`]).
struct Counted {
    inner: Range,
    progress: Arc<Progress>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add_raw(n as u64);
        Ok(n)
    }
}

/// Bytes a probe for a line's log time reads.
const PROBE: usize = 64 << 10;

/// Where, in `from..to` (whole lines), the lines logged within `horizon` of
/// the last line begin: a line start, found by bisection on the log times
/// of lines at probed offsets (a log is written in time order; a line out
/// of order near the cut only moves it). `to` when no line has a time
/// (there are no log-time windows to fill); `from` for a format whose
/// files carry their own header (W3C: a probe in the middle cannot know
/// which `#Fields:` applies), read line by line as before.
fn split_at(file: &File, from: u64, to: u64, format: &Format, horizon: Duration) -> u64 {
    if format.has_headers() {
        return from;
    }
    let Some(last) = last_time(file, from, to, format) else {
        return to;
    };
    let cutoff = last.saturating_sub(horizon.as_secs() as i64);
    let time_at = |off: u64| probe(file, from, to, off, format);
    if time_at(from).is_none_or(|(_, t)| t >= cutoff) {
        return from;
    }
    // The line at `lo` is older than the cutoff; the lines from `hi` on are
    // not (or `hi` is `to`).
    let (mut lo, mut hi) = (from, to);
    while hi - lo > PROBE as u64 {
        let mid = lo + (hi - lo) / 2;
        match time_at(mid) {
            Some((start, t)) if start < hi && t < cutoff => lo = start,
            _ => hi = mid,
        }
    }
    // The first line after `lo`: a few lines older than the cutoff may go
    // the line-by-line way, which counts any line right.
    probe_start(file, from, to, lo + 1).unwrap_or(to)
}

/// The log time of the backlog's last line that has one.
fn last_time(file: &File, from: u64, to: u64, format: &Format) -> Option<i64> {
    let start = to.saturating_sub(PROBE as u64).max(from);
    let mut buf = vec![0u8; (to - start) as usize];
    let n = read_at(file, &mut buf, start);
    let skip = match start {
        s if s == from => 0,
        _ => memchr::memchr(b'\n', &buf[..n]).map_or(n, |i| i + 1),
    };
    let mut scratch = Scratch::default();
    buf[skip..n]
        .split(|&b| b == b'\n')
        .rev()
        .find_map(|l| format.parse(l, &mut scratch).ok()?.time)
}

/// The start of the first line beginning at or after `off`, and the log
/// time of the first line with one from there (within a probe's bytes).
fn probe(file: &File, from: u64, to: u64, off: u64, format: &Format) -> Option<(u64, i64)> {
    let start = probe_start(file, from, to, off)?;
    let mut buf = vec![0u8; (PROBE as u64).min(to - start) as usize];
    let n = read_at(file, &mut buf, start);
    let whole = memchr::memrchr(b'\n', &buf[..n]).map_or(0, |i| i + 1);
    let mut scratch = Scratch::default();
    let t = buf[..whole]
        .split(|&b| b == b'\n')
        .find_map(|l| format.parse(l, &mut scratch).ok()?.time)?;
    Some((start, t))
}

/// The start of the first line beginning at or after `off` in `from..to`.
fn probe_start(file: &File, from: u64, to: u64, off: u64) -> Option<u64> {
    if off <= from {
        return Some(from);
    }
    // A line begins at `off` if the byte before it ends one.
    let mut at = off - 1;
    let mut buf = vec![0u8; PROBE];
    while at < to {
        let n = read_at(file, &mut buf[..(PROBE as u64).min(to - at) as usize], at);
        if n == 0 {
            return None;
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Some(at + i as u64 + 1).filter(|&s| s < to);
        }
        at += n as u64;
    }
    None
}

/// Reads what it can of `buf.len()` bytes at `at` (a short count at the
/// file's end or on an error, which the follower reports).
fn read_at(file: &File, buf: &mut [u8], at: u64) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], at + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    n
}

/// The bytes before `end` (a mark's fingerprint).
fn fp_before(file: &File, end: u64) -> Vec<u8> {
    let start = end.saturating_sub(MARK_FP_LEN as u64);
    let mut fp = vec![0u8; (end - start) as usize];
    let n = read_at(file, &mut fp, start);
    fp.truncate(n);
    fp
}

/// Sends the whole lines of `from..to` in blocks, from a thread of their
/// own, for the engine to count one by one; stops when the engine drops
/// the receiver (the run stopped). Read as the pool reads (a
/// [`Range`]): a copytruncate meanwhile is read on from the copy `copy`
/// finds, so no line is lost or doubled. `None` if no thread can be had.
fn tail(
    file: &Arc<File>,
    (from, to): (u64, u64),
    copy: Option<CopyHint>,
    progress: &Arc<Progress>,
) -> Option<Receiver<TailBlock>> {
    let (tx, rx) = sync_channel::<TailBlock>(4);
    let mut range = Range::new(file.clone(), from, to, copy);
    let progress = progress.clone();
    let read = move || {
        // `fp`: the bytes before `at` as read (a mark's fingerprint is what
        // was read, not what the file holds now, as the follower's).
        let (mut at, mut carry, mut fp) = (from, Vec::new(), Vec::new());
        while at < to {
            let mut buf = std::mem::take(&mut carry);
            let have = buf.len();
            buf.resize(have + (BLOCK as u64).min(to - at) as usize, 0);
            let n = fill(&mut range, &mut buf, have) - have;
            if n == 0 {
                break;
            }
            at += n as u64;
            buf.truncate(have + n);
            let whole = match at >= to {
                true => buf.len(),
                false => memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1),
            };
            carry = buf.split_off(whole);
            if buf.is_empty() {
                continue;
            }
            fp.extend_from_slice(&buf[buf.len().saturating_sub(MARK_FP_LEN)..]);
            fp.drain(..fp.len().saturating_sub(MARK_FP_LEN));
            let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
            progress.add(buf.len() as u64, lines);
            let block = TailBlock {
                fp: fp.clone(),
                lines: buf,
                end: at - carry.len() as u64,
            };
            if tx.send(block).is_err() {
                return;
            }
        }
    };
    std::thread::Builder::new()
        .name("routetop-backfill-tail".into())
        .spawn(read)
        .ok()?;
    Some(rx)
}

/// Reads `r` into `buf[from..]` until full or at its end; the fill level.
/// An error ends it too: the engine counts the lines read before it, and
/// the follower, reading on, reports the file's errors.
fn fill(r: &mut impl Read, buf: &mut [u8], mut from: usize) -> usize {
    while from < buf.len() {
        match r.read(&mut buf[from..]) {
            Ok(0) => break,
            Ok(n) => from += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    from
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::FormatSpec;

    /// Line `i` of a log at 100 lines per second from 10:00:00.
    fn line(i: u64) -> String {
        let s = i / 100;
        format!(
            "10.0.0.1 - - [05/Dec/2026:{:02}:{:02}:{:02} +0000] \"GET /a/{} HTTP/1.1\" 200 5 \"-\" \"t\"\n",
            10 + s / 3600,
            s / 60 % 60,
            s % 60,
            i % 7
        )
    }

    fn log(n: u64) -> (tempfile::NamedTempFile, Vec<u64>) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let mut starts = Vec::new();
        let mut at = 0u64;
        for i in 0..n {
            let l = line(i);
            starts.push(at);
            at += l.len() as u64;
            std::io::Write::write_all(&mut f, l.as_bytes()).unwrap();
        }
        (f, starts)
    }

    fn format(spec: &str) -> Format {
        Format::compile(&FormatSpec::parse(spec).unwrap(), &[]).unwrap()
    }

    /// The tail starts at a line, at most a probe's bytes before the first
    /// line within the horizon of the last (every line between is older:
    /// counting them one by one is right, only slower).
    #[test]
    fn split_is_the_first_line_within_the_horizon_or_a_probe_before() {
        let (f, starts) = log(100_000);
        let size = f.as_file().metadata().unwrap().len();
        let fmt = format("combined");
        // Last line: 999 s in; 60 s before it: line 93 900 is the first.
        let at = split_at(f.as_file(), 0, size, &fmt, Duration::from_secs(60));
        let first = starts[93_900];
        assert!(starts.contains(&at), "{at} is a line start");
        assert!(at <= first && first - at <= PROBE as u64, "{at} vs {first}");
        // From a later start, the same place.
        let from = starts[50_000];
        assert_eq!(
            split_at(f.as_file(), from, size, &fmt, Duration::from_secs(60)),
            at
        );
        // A horizon past the first line: all of it the line-by-line way.
        assert_eq!(
            split_at(f.as_file(), 0, size, &fmt, Duration::from_secs(2000)),
            0
        );
    }

    #[test]
    fn without_times_nothing_is_split_off_and_w3c_is_all_tail() {
        let (f, _) = log(1_000);
        let size = f.as_file().metadata().unwrap().len();
        // `common` has a time; a regex without one has none.
        let timeless = format(
            "regex:^(?P<remote_addr>\\S+) .*\"(?P<method>\\S+) (?P<path>\\S+) .*\" (?P<status>\\d+) ",
        );
        assert_eq!(
            split_at(f.as_file(), 0, size, &timeless, Duration::from_secs(60)),
            size
        );
        let w3c = format("w3c");
        assert_eq!(
            split_at(f.as_file(), 0, size, &w3c, Duration::from_secs(60)),
            0
        );
    }

    /// Regression: a copytruncate while the log-time tail was read lost
    /// its unread lines (the file was cut to nothing under the reader), or
    /// counted the regrown file's lines in their place. They are read on
    /// from the copy, each block's mark the bytes read before its end.
    #[test]
    fn a_tail_truncated_under_its_reader_is_read_on_from_its_copy() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        // 12 MiB: the reader holds at most 5 blocks of 1 MiB read ahead of
        // the first one taken, so the rest is read after the truncation.
        let text: Vec<u8> = (0..12u64 << 20 >> 5)
            .flat_map(|i| format!("{i:>20} tail line.\n").into_bytes())
            .collect();
        assert_eq!(text.len(), 12 << 20);
        std::fs::write(&path, &text).unwrap();
        let file = Arc::new(File::open(&path).unwrap());
        let to = text.len() as u64;
        let hint = CopyHint {
            path: path.clone(),
            file: (
                file.metadata().unwrap().dev(),
                file.metadata().unwrap().ino(),
            ),
            end: to,
            fp: text[text.len() - MARK_FP_LEN..].to_vec(),
        };
        let progress = Arc::new(Progress::default());
        let from = 1000 * 32;
        let rx = tail(&file, (from, to), Some(hint), &progress).unwrap();
        let first = rx.recv().unwrap();
        // logrotate copies and truncates; the writer goes on, past `to`.
        std::fs::copy(&path, dir.path().join("access.log.1")).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        let regrown: Vec<u8> = (0..14u64 << 20 >> 5)
            .flat_map(|i| format!("{i:>20} regrown...\n").into_bytes())
            .collect();
        std::fs::write(&path, &regrown).unwrap();
        let mut got = Vec::new();
        for b in std::iter::once(first).chain(rx.iter()) {
            got.extend_from_slice(&b.lines);
            assert_eq!(b.end, from + got.len() as u64);
            assert_eq!(b.fp, text[b.end as usize - MARK_FP_LEN..b.end as usize]);
        }
        assert!(got == text[from as usize..], "every line of the tail, once");
        assert_eq!(progress.read(), (to - from, (to - from) / 32));
    }
}
