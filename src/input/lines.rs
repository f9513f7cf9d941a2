//! Cutting a live byte stream into complete lines, and handing them to the
//! engine with back-pressure.
//!
//! Both live readers (the file tailer and the stdin reader) read blocks of
//! bytes that end anywhere, usually mid-line. [`Cutter`] keeps the partial
//! last line (the *carry*) until its newline arrives, so a line written in
//! two `write()`s is still sent as one line, and never half of it. The carry
//! is bounded: once a line outgrows `max_line` it is not held any more; its
//! head is kept, the rest is skipped up to the next newline, and the line is
//! reported as [`InputEvent::Oversized`] — the next good line is read
//! normally. This is the batch reader's rule (`blocks.rs`), applied to a
//! stream that never ends.
//!
//! A line longer than `max_line` that arrives whole inside one block is
//! reported the same way, so what the engine sees does not depend on how the
//! writer's bytes happened to fall into reads. Finding it costs one `memchr`
//! pass over each block, a small fraction of parsing it.
//!
//! [`Sink`] sends events on the engine's bounded channel. A full channel
//! (slow engine) makes the reader wait: lines are never dropped or
//! reordered. It waits with `try_send` and short sleeps rather than a
//! blocking `send` so that a stop request is seen even while the engine is
//! not reading.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::Duration;

use crate::engine::{FileMark, InputEvent, MARK_FP_LEN, SAMPLE_BYTES, SourceId};

/// The follower was asked to stop, or the engine went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stopped;

/// The engine's end of the channel, shared by all live readers.
#[derive(Clone)]
pub(crate) struct Sink {
    tx: SyncSender<InputEvent>,
    stop: Arc<AtomicBool>,
}

impl Sink {
    pub(crate) fn new(tx: SyncSender<InputEvent>, stop: Arc<AtomicBool>) -> Sink {
        Sink { tx, stop }
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Sends `ev`, waiting while the channel is full.
    pub(crate) fn send(&self, mut ev: InputEvent) -> Result<(), Stopped> {
        let mut pause = Duration::from_micros(20);
        loop {
            match self.tx.try_send(ev) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Disconnected(_)) => return Err(Stopped),
                Err(TrySendError::Full(back)) => {
                    if self.stopped() {
                        return Err(Stopped);
                    }
                    ev = back;
                    std::thread::sleep(pause);
                    // The channel holds many large batches, so waking up a
                    // couple of milliseconds late never starves the engine.
                    pause = (pause * 2).min(Duration::from_millis(2));
                }
            }
        }
    }
}

/// A line being skipped because it is too long to hold.
#[derive(Debug)]
struct Skip {
    /// First bytes of the line, or `None` for a line we joined in the middle
    /// (started following mid-line): that one is not ours to report.
    head: Option<Vec<u8>>,
    /// Bytes of the line seen so far (without the newline).
    len: u64,
}

/// Carry and oversized-line state of one byte stream.
#[derive(Debug)]
pub(crate) struct Cutter {
    carry: Vec<u8>,
    skip: Option<Skip>,
    max_line: usize,
}

impl Cutter {
    pub(crate) fn new(max_line: usize) -> Cutter {
        Cutter {
            carry: Vec::new(),
            skip: None,
            max_line,
        }
    }

    /// A stream that starts in the middle of a line: everything up to the
    /// first newline is dropped silently.
    pub(crate) fn mid_line(max_line: usize) -> Cutter {
        Cutter {
            skip: Some(Skip { head: None, len: 0 }),
            ..Cutter::new(max_line)
        }
    }

    /// Bytes of a partial line held (read, not yet sent).
    pub(crate) fn carried(&self) -> u64 {
        self.carry.len() as u64
    }

    /// Between two lines: nothing carried, no long line being skipped.
    pub(crate) fn at_line_start(&self) -> bool {
        self.carry.is_empty() && self.skip.is_none()
    }

    /// Copies the carried partial line to the front of `buf` and returns its
    /// length: the caller reads new bytes after it and passes the whole to
    /// [`Cutter::cut`]. The carry is never longer than `max_line`, which is
    /// at most half of any read buffer, so there is always room to read.
    pub(crate) fn load(&self, buf: &mut [u8]) -> usize {
        let n = self.carry.len();
        buf[..n].copy_from_slice(&self.carry);
        n
    }

    /// Cuts `data` (the loaded carry followed by new bytes): sends the
    /// complete lines as one batch and keeps the partial tail as the new
    /// carry. `at` is the file and offset `data` ends at (files only):
    /// then a [`InputEvent::Mark`] follows the lines, saying where they end.
    pub(crate) fn cut(
        &mut self,
        data: &[u8],
        source: SourceId,
        sink: &Sink,
        at: Option<((u64, u64), u64)>,
    ) -> Result<(), Stopped> {
        // Everything up to the last newline is sent (or skipped as part of
        // an oversized line): that is where counting resumes. The mark
        // travels with the last lines when they end there.
        let mut mark = match (at, memchr::memrchr(b'\n', data)) {
            (Some((file, end)), Some(i)) => Some(FileMark {
                file,
                end: end - (data.len() - i - 1) as u64,
                fp: data[(i + 1).saturating_sub(MARK_FP_LEN)..=i].to_vec(),
            }),
            _ => None,
        };
        self.cut_lines(data, source, sink, &mut mark)?;
        if let Some(at) = mark {
            sink.send(InputEvent::Mark { source, at })?;
        }
        Ok(())
    }

    fn cut_lines(
        &mut self,
        data: &[u8],
        source: SourceId,
        sink: &Sink,
        mark: &mut Option<FileMark>,
    ) -> Result<(), Stopped> {
        let mut data = data;
        if let Some(skip) = &mut self.skip {
            let end = memchr::memchr(b'\n', data);
            // The head is the line's first bytes, however they were split.
            if let Some(head) = &mut skip.head {
                let want = SAMPLE_BYTES.saturating_sub(head.len());
                head.extend_from_slice(&data[..want.min(end.unwrap_or(data.len()))]);
            }
            match end {
                None => {
                    skip.len += data.len() as u64;
                    self.carry.clear();
                    return Ok(());
                }
                Some(i) => {
                    skip.len += i as u64;
                    let skip = self.skip.take();
                    if let Some(Skip {
                        head: Some(head),
                        len,
                    }) = skip
                    {
                        sink.send(InputEvent::Oversized { source, head, len })?;
                    }
                    data = &data[i + 1..];
                }
            }
        }
        let tail = match memchr::memrchr(b'\n', data) {
            Some(i) => {
                self.send_lines(&data[..=i], source, sink, mark)?;
                &data[i + 1..]
            }
            None => data,
        };
        if tail.len() > self.max_line {
            self.skip = Some(Skip {
                head: Some(tail[..SAMPLE_BYTES.min(tail.len())].to_vec()),
                len: tail.len() as u64,
            });
            self.carry.clear();
        } else {
            self.carry.clear();
            self.carry.extend_from_slice(tail);
        }
        Ok(())
    }

    /// Sends complete lines as one batch, with the ones over `max_line` cut
    /// out and reported as oversized in their place. `mark` (where `lines`
    /// ends in its file) goes with the last lines when they end the batch.
    fn send_lines(
        &self,
        lines: &[u8],
        source: SourceId,
        sink: &Sink,
        mark: &mut Option<FileMark>,
    ) -> Result<(), Stopped> {
        let mut start = 0;
        let mut line = 0;
        for nl in memchr::memchr_iter(b'\n', lines) {
            let len = nl - line;
            if len > self.max_line {
                if line > start {
                    sink.send(InputEvent::Lines {
                        source,
                        data: lines[start..line].to_vec(),
                    })?;
                }
                sink.send(InputEvent::Oversized {
                    source,
                    head: lines[line..line + SAMPLE_BYTES.min(len)].to_vec(),
                    len: len as u64,
                })?;
                start = nl + 1;
            }
            line = nl + 1;
        }
        if start < lines.len() {
            let data = lines[start..].to_vec();
            sink.send(match mark.take() {
                Some(at) => InputEvent::FileLines { source, data, at },
                None => InputEvent::Lines { source, data },
            })?;
        }
        Ok(())
    }

    /// The stream ended (stdin closed, or a rotated file is being let go):
    /// a partial last line is sent as a line of its own rather than lost —
    /// with a newline added when `terminate`, as the event contract wants
    /// for files — and a line being skipped is reported as oversized.
    /// `at`: the file and the offset the stream ended at (files only).
    pub(crate) fn finish(
        &mut self,
        source: SourceId,
        sink: &Sink,
        terminate: bool,
        at: Option<((u64, u64), u64)>,
    ) -> Result<(), Stopped> {
        // A mark only when a partial line is sent: without one, the last
        // mark already says where the sent lines end.
        let fp = at
            .filter(|_| !self.carry.is_empty())
            .map(|_| self.carry[self.carry.len().saturating_sub(MARK_FP_LEN)..].to_vec());
        if let Some(Skip {
            head: Some(head),
            len,
        }) = self.skip.take()
        {
            sink.send(InputEvent::Oversized { source, head, len })?;
        }
        if !self.carry.is_empty() {
            let mut data = std::mem::take(&mut self.carry);
            if terminate {
                data.push(b'\n');
            }
            sink.send(match (at, fp) {
                (Some((file, end)), Some(fp)) => InputEvent::FileLines {
                    source,
                    data,
                    at: FileMark { file, end, fp },
                },
                _ => InputEvent::Lines { source, data },
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;

    fn sink() -> (Sink, std::sync::mpsc::Receiver<InputEvent>) {
        let (tx, rx) = sync_channel(64);
        (Sink::new(tx, Arc::new(AtomicBool::new(false))), rx)
    }

    /// Feeds `pieces` through a cutter the way a reader does and returns
    /// what came out, as text.
    fn run(mut cut: Cutter, pieces: &[&[u8]], finish: bool) -> Vec<String> {
        let (sink, rx) = sink();
        let mut buf = vec![0u8; 4096];
        for p in pieces {
            let c = cut.load(&mut buf);
            buf[c..c + p.len()].copy_from_slice(p);
            cut.cut(&buf[..c + p.len()], 0, &sink, None).unwrap();
        }
        if finish {
            cut.finish(0, &sink, false, None).unwrap();
        }
        drop(sink);
        rx.iter()
            .map(|ev| match ev {
                InputEvent::Lines { data, .. } | InputEvent::FileLines { data, .. } => {
                    String::from_utf8_lossy(&data).into_owned()
                }
                InputEvent::Oversized { head, len, .. } => {
                    format!("OVERSIZED {len} {}", head.len())
                }
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn partial_line_is_carried() {
        let out = run(Cutter::new(300), &[b"a\nb", b"c\nd", b"\n"], false);
        assert_eq!(out, ["a\n", "bc\n", "d\n"]);
    }

    #[test]
    fn oversized_then_good_line() {
        let long = vec![b'x'; 700];
        let out = run(
            Cutter::new(300),
            &[b"ok\n", &long[..400], &long[400..], b"\ngood\n"],
            false,
        );
        assert_eq!(out, ["ok\n", "OVERSIZED 700 512", "good\n"]);
    }

    #[test]
    fn oversized_inside_one_block() {
        let mut data = b"a\n".to_vec();
        data.extend_from_slice(&[b'x'; 400]);
        data.extend_from_slice(b"\nb\nc\n");
        let out = run(Cutter::new(300), &[&data], false);
        assert_eq!(out, ["a\n", "OVERSIZED 400 400", "b\nc\n"]);
    }

    #[test]
    fn mid_line_start_is_dropped_silently() {
        let out = run(
            Cutter::mid_line(300),
            &[b"tail of old", b" line\nnew\n"],
            false,
        );
        assert_eq!(out, ["new\n"]);
    }

    #[test]
    fn finish_sends_unterminated_last_line() {
        let out = run(Cutter::new(300), &[b"a\nlast"], true);
        assert_eq!(out, ["a\n", "last"]);
    }

    /// A state saved between a file's lines and their position would count
    /// them again after a restart (seen as 200 lines counted twice under
    /// SIGKILL): the lines and where they end come in one event.
    #[test]
    fn file_lines_carry_their_position_in_the_same_event() {
        let (sink, rx) = sink();
        let mut cut = Cutter::new(300);
        let mut buf = vec![0u8; 4096];
        let c = cut.load(&mut buf);
        buf[c..c + 6].copy_from_slice(b"a\nbc\nd");
        cut.cut(&buf[..c + 6], 3, &sink, Some(((1, 2), 107)))
            .unwrap();
        // An oversized line last: its position follows it.
        let long = [vec![b'x'; 400], b"\n".to_vec()].concat();
        let c = cut.load(&mut buf);
        buf[c..c + long.len()].copy_from_slice(&long);
        let n = c + long.len();
        cut.cut(&buf[..n], 3, &sink, Some(((1, 2), 508))).unwrap();
        drop(sink);
        let got: Vec<String> = rx
            .iter()
            .map(|ev| match ev {
                InputEvent::FileLines { data, at, .. } => format!(
                    "lines {:?} to {} fp {:?}",
                    String::from_utf8_lossy(&data),
                    at.end,
                    String::from_utf8_lossy(&at.fp)
                ),
                InputEvent::Oversized { len, .. } => format!("oversized {len}"),
                InputEvent::Mark { at, .. } => format!("mark {}", at.end),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            got,
            [
                "lines \"a\\nbc\\n\" to 106 fp \"a\\nbc\\n\"",
                "oversized 401",
                "mark 508"
            ]
        );
    }
}
