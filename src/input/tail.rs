//! The byte-level tailer of one log path: which file the path names now,
//! how far we have read each file it named, and the rotations in between.
//!
//! A path is followed through *generations*: each is one open file (device,
//! inode) with its read offset, the partial-line carry and a fingerprint.
//! When the path stops naming the current file (rename, delete, re-pointed
//! symlink) the generation is not closed: writers such as nginx keep writing
//! to their open descriptor until told to reopen, so it is drained for a
//! grace period and only then let go. The new file at the path becomes the
//! current generation, read from its start. Everything is read with `pread`
//! at our own offset, so backfill (`--from-start`) and live following are the
//! same loop.
//!
//! Copytruncate keeps the inode, so identity cannot tell it; size can only
//! when the file has not yet regrown past our offset. The fingerprint — the
//! last [`FP_LEN`] bytes before our offset, as we read them — tells it in
//! every case: after each read we check the file still holds those bytes
//! where we read them. If not, the file was truncated (and perhaps regrown)
//! under us, and the bytes we just read may belong to the new content, so
//! they are dropped and the file is read again from its start. The lines
//! between our offset and the end of the old content are looked for in the
//! copy (`access.log.1`, `access.log-20240101`, …: a sibling holding our
//! fingerprint at our offset) and read from there. What a copytruncate
//! writer appends between the copy and the truncate is lost by design of
//! copytruncate itself; nobody can read it.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod copies;
mod file;

use super::lines::{Cutter, Sink, Stopped};
use crate::engine::{FileMark, InputEvent, InputState, MARK_FP_LEN, SourceId};
pub(crate) use copies::{find_copy_of, siblings};
use file::read_full_at;
pub(crate) use file::{FP_LEN, FileId, file_id, holds};

/// Why a read stopped.
#[derive(Debug)]
pub(crate) enum Fail {
    Stopped,
    Io(io::Error),
}

impl From<Stopped> for Fail {
    fn from(_: Stopped) -> Fail {
        Fail::Stopped
    }
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Fail {
        Fail::Io(e)
    }
}

/// What a read of a generation found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pumped {
    /// Read to the end of what is there.
    Eof,
    /// Stopped at the byte budget; there is more.
    More,
    /// The file is shorter than our offset or no longer holds the bytes we
    /// read before it: it was truncated.
    Truncated,
}

/// One file a path named, and how far we read it.
pub(crate) struct Gen {
    file: File,
    pub(crate) id: FileId,
    pub(crate) offset: u64,
    /// The last bytes before `offset`, as read.
    pub(crate) fp: Vec<u8>,
    cut: Cutter,
    /// For a file rotated away: when to stop draining it.
    pub(crate) until: Option<Instant>,
    /// Started at its end: the header its lines were written under
    /// (`preamble.rs`), to send before them; empty when there is none.
    pub(crate) preamble: Vec<u8>,
}

impl Gen {
    /// A file read from its start.
    pub(crate) fn new(file: File, id: FileId, max_line: usize) -> Gen {
        Gen {
            file,
            id,
            offset: 0,
            fp: Vec::with_capacity(FP_LEN),
            cut: Cutter::new(max_line),
            until: None,
            preamble: Vec::new(),
        }
    }

    /// A file we read before (and let go), resumed where we stopped.
    pub(crate) fn resume(file: File, id: FileId, offset: u64, fp: Vec<u8>, max_line: usize) -> Gen {
        Gen {
            offset,
            fp,
            ..Gen::new(file, id, max_line)
        }
    }

    /// Where this file is read up to, as a mark (its fingerprint is the
    /// bytes before the offset, as read).
    pub(crate) fn mark(&self) -> FileMark {
        let carried = self.cut.carried();
        // `fp` ends at the offset: it is the mark's only without a carry.
        let fp = match carried {
            0 => self.fp[self.fp.len().saturating_sub(MARK_FP_LEN)..].to_vec(),
            _ => Vec::new(),
        };
        FileMark {
            file: self.id,
            end: self.offset - carried,
            fp,
        }
    }

    pub(crate) fn into_file(self) -> File {
        self.file
    }

    /// A file that existed when following started: start after its last
    /// complete line, so a line being written now is read whole once it is
    /// finished (starting at the very end would send its tail as a line).
    pub(crate) fn at_end(file: File, id: FileId, max_line: usize) -> io::Result<Gen> {
        let size = file.metadata()?.len();
        let mut g = Gen::new(file, id, max_line);
        let want = (max_line.max(FP_LEN) + 1) as u64;
        let from = size.saturating_sub(want);
        let mut tail = vec![0u8; (size - from) as usize];
        g.file.read_exact_at(&mut tail, from)?;
        let (offset, cut) = match memchr::memrchr(b'\n', &tail) {
            Some(i) => (from + i as u64 + 1, Cutter::new(max_line)),
            // No newline in the last max_line bytes: the whole file is a
            // partial line we can read whole, or the middle of a line too
            // long to hold, which we join at its end and skip.
            None if from == 0 => (0, Cutter::new(max_line)),
            None => (size, Cutter::mid_line(max_line)),
        };
        let before = &tail[..(offset - from) as usize];
        g.fp.extend_from_slice(&before[before.len().saturating_sub(FP_LEN)..]);
        g.offset = offset;
        g.cut = cut;
        g.preamble = super::preamble::header_before(&g.file, offset);
        Ok(g)
    }

    /// Reads new bytes (at most about `budget`) and sends the complete
    /// lines; `backfill_min` or more unread bytes go as one backlog first
    /// ([`Gen::backlog`]).
    pub(crate) fn pump(
        &mut self,
        (source, path): (SourceId, &Path),
        buf: &mut [u8],
        sink: &Sink,
        budget: u64,
        backfill_min: u64,
    ) -> Result<Pumped, Fail> {
        let size = self.file.metadata()?.len();
        if size < self.offset {
            return Ok(Pumped::Truncated);
        }
        if size == self.offset {
            return Ok(Pumped::Eof);
        }
        if size - self.offset >= backfill_min && self.cut.at_line_start() {
            self.backlog((source, path), size, buf, sink)?;
        }
        let mut done = 0u64;
        loop {
            let c = self.cut.load(buf);
            let n = loop {
                match self.file.read_at(&mut buf[c..], self.offset) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            };
            if n == 0 {
                return Ok(Pumped::Eof);
            }
            // Checked after the read, not before: a truncation between a
            // check and the read would go unseen. If the bytes before our
            // offset are still there now, what we just read came after them.
            if !self.fp_holds()? {
                return Ok(Pumped::Truncated);
            }
            self.advance(&buf[c..c + n]);
            self.cut
                .cut(&buf[..c + n], source, sink, Some((self.id, self.offset)))?;
            done += n as u64;
            // `pread` on a regular file comes back short only at its end.
            if c + n < buf.len() {
                return Ok(Pumped::Eof);
            }
            if done >= budget {
                return Ok(Pumped::More);
            }
        }
    }

    /// Sends the whole lines from our offset up to the last newline before
    /// `size` as one [`InputEvent::Backlog`], which the engine counts on all
    /// cores (`engine/backfill.rs`), and moves our offset past them: the
    /// next read starts at the first byte after the backlog, so no line is
    /// lost or doubled at the hand-off, and a file renamed or grown since
    /// is followed from there as any other. Nothing is sent when the file
    /// no longer holds our fingerprint (the next read sees the truncation)
    /// or the last block holds no newline.
    fn backlog(
        &mut self,
        (source, path): (SourceId, &Path),
        size: u64,
        buf: &mut [u8],
        sink: &Sink,
    ) -> Result<(), Fail> {
        if !self.fp_holds()? {
            return Ok(());
        }
        let from = size.saturating_sub(buf.len() as u64).max(self.offset);
        let n = read_full_at(&self.file, &mut buf[..(size - from) as usize], from)?;
        let Some(i) = memchr::memrchr(b'\n', &buf[..n]) else {
            return Ok(());
        };
        let end = from + i as u64 + 1;
        let fp_from = end.saturating_sub(FP_LEN as u64);
        let mut fp = vec![0u8; (end - fp_from) as usize];
        if read_full_at(&self.file, &mut fp, fp_from)? < fp.len() {
            return Ok(());
        }
        let at = FileMark {
            file: self.id,
            end,
            fp: fp[fp.len().saturating_sub(MARK_FP_LEN)..].to_vec(),
        };
        sink.send(InputEvent::Backlog {
            source,
            file: Arc::new(self.file.try_clone()?),
            path: path.to_path_buf(),
            from: self.offset,
            to: end,
            at,
            compressed: false,
        })?;
        self.offset = end;
        self.fp = fp;
        Ok(())
    }

    /// Does the file still hold our fingerprint just before our offset?
    pub(crate) fn fp_holds(&self) -> io::Result<bool> {
        holds(&self.file, self.offset, &self.fp)
    }

    /// The file's length now; `None` when it cannot be read.
    pub(crate) fn len_now(&self) -> Option<u64> {
        self.file.metadata().ok().map(|m| m.len())
    }

    /// Does `other`, another file, hold what this one held before our
    /// offset, at the same place? Then it is a copy of this one.
    pub(crate) fn copied_to(&self, other: &File) -> bool {
        !self.fp.is_empty() && holds(other, self.offset, &self.fp).unwrap_or(false)
    }

    fn advance(&mut self, new: &[u8]) {
        self.offset += new.len() as u64;
        if new.len() >= FP_LEN {
            self.fp.clear();
            self.fp.extend_from_slice(&new[new.len() - FP_LEN..]);
        } else {
            let excess = (self.fp.len() + new.len()).saturating_sub(FP_LEN);
            self.fp.drain(..excess);
            self.fp.extend_from_slice(new);
        }
    }

    /// This file's content is finished (let go after rotation, or replaced
    /// by truncation): a partial last line is sent rather than lost.
    pub(crate) fn finish(&mut self, source: SourceId, sink: &Sink) -> Result<(), Stopped> {
        self.cut
            .finish(source, sink, true, Some((self.id, self.offset)))
    }
}

/// What the path names now, compared with the current generation.
#[derive(Debug)]
pub(crate) enum Seen {
    Same,
    Missing,
    /// Another file (rotation), already opened.
    Other(File, FileId),
    Failed(String),
}

/// One followed path.
pub(crate) struct Tailer {
    pub(crate) source: SourceId,
    /// The configured input it comes from.
    pub(crate) input: usize,
    pub(crate) path: PathBuf,
    /// Found by a glob: dropped when the path is gone for good.
    pub(crate) from_glob: bool,
    pub(crate) cur: Option<Gen>,
    /// Rotated-away files still drained, oldest first.
    pub(crate) old: Vec<Gen>,
    /// Open the first file at its end (it existed when following started).
    pub(crate) at_end: bool,
    pub(crate) open_error: Option<String>,
    pub(crate) read_error: Option<String>,
    pub(crate) rotated_until: Option<Instant>,
    pub(crate) missing_since: Option<Instant>,
    /// Last state sent to the engine.
    pub(crate) sent: Option<InputState>,
}

impl Tailer {
    pub(crate) fn new(
        source: SourceId,
        input: usize,
        path: PathBuf,
        from_glob: bool,
        at_end: bool,
    ) -> Tailer {
        Tailer {
            source,
            input,
            path,
            from_glob,
            cur: None,
            old: Vec::new(),
            at_end,
            open_error: None,
            read_error: None,
            rotated_until: None,
            missing_since: None,
            sent: None,
        }
    }

    /// The state to show, glob matches gone for good aside.
    pub(crate) fn state(&self) -> InputState {
        if let Some(e) = self.open_error.as_ref().or(self.read_error.as_ref()) {
            InputState::Error(e.clone())
        } else if self.cur.is_none() {
            InputState::Waiting
        } else if !self.old.is_empty() || self.rotated_until.is_some() {
            InputState::Rotated
        } else {
            InputState::Following
        }
    }

    /// Looks at what the path names now. Follows symlinks, so a re-pointed
    /// link reads as another file: a rotation.
    pub(crate) fn look(&self) -> Seen {
        let m = match fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if is_missing(&e) => return Seen::Missing,
            Err(e) => return Seen::Failed(e.to_string()),
        };
        if self.cur.as_ref().is_some_and(|g| g.id == file_id(&m)) {
            return Seen::Same;
        }
        if !m.is_file() {
            return Seen::Failed("not a regular file".into());
        }
        // The identity that counts is the one of the file we opened: the
        // path may have changed again since the stat.
        match File::open(&self.path).and_then(|f| f.metadata().map(|m| (f, file_id(&m)))) {
            Ok((f, id)) if self.cur.as_ref().is_some_and(|g| g.id == id) => {
                drop(f);
                Seen::Same
            }
            Ok((f, id)) => Seen::Other(f, id),
            Err(e) if is_missing(&e) => Seen::Missing,
            Err(e) => Seen::Failed(e.to_string()),
        }
    }

    /// The current file went away from the path: keep draining it until
    /// `until`, when the writer should have reopened.
    pub(crate) fn retire(&mut self, until: Instant, sink: &Sink) -> Result<(), Stopped> {
        if let Some(mut g) = self.cur.take() {
            g.until = Some(until);
            self.old.push(g);
            sink.send(InputEvent::Rotated {
                source: self.source,
            })?;
        }
        Ok(())
    }

    /// Reads what is new: rotated-away files first (they hold the older
    /// lines), letting go of those past their grace period, then the current
    /// file. Returns (more than `budget` was waiting, new bytes were read).
    pub(crate) fn pump(
        &mut self,
        now: Instant,
        grace: Duration,
        buf: &mut [u8],
        sink: &Sink,
        (budget, backfill_min): (u64, u64),
        let_go: &mut dyn FnMut(Gen),
    ) -> Result<(bool, bool), Stopped> {
        let (mut more, mut got) = (false, false);
        let mut k = 0;
        while k < self.old.len() {
            let g = &mut self.old[k];
            let before = g.offset;
            let r = g.pump((self.source, &self.path), buf, sink, budget, backfill_min);
            got |= g.offset != before;
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
                let mut g = self.old.remove(k);
                g.finish(self.source, sink)?;
                let_go(g);
            } else {
                k += 1;
            }
        }
        let Some(g) = self.cur.as_mut() else {
            return Ok((more, got));
        };
        let before = g.offset;
        let r = g.pump((self.source, &self.path), buf, sink, budget, backfill_min);
        got |= g.offset != before;
        match r {
            Ok(r) => {
                self.read_error = None;
                match r {
                    Pumped::More => more = true,
                    Pumped::Eof => {}
                    Pumped::Truncated => {
                        self.truncated(now + grace, buf, sink, let_go)?;
                        (more, got) = (true, true);
                    }
                }
            }
            Err(Fail::Stopped) => return Err(Stopped),
            Err(Fail::Io(e)) => self.read_error = Some(format!("read error: {e}")),
        }
        Ok((more, got))
    }

    /// The next time something is due without any event: an old file's
    /// grace period ends, the rotated state ends, a vanished glob match is
    /// let go.
    pub(crate) fn deadline(&self, grace: Duration) -> Option<Instant> {
        let gone = self
            .missing_since
            .filter(|_| self.from_glob)
            .map(|m| m + grace);
        self.old
            .iter()
            .filter_map(|g| g.until)
            .chain(self.rotated_until)
            .chain(gone)
            .min()
    }

    /// The current file was truncated under us (copytruncate): read what we
    /// had not read yet from the copy, finish the old content and start
    /// again from the beginning of the file.
    /// The copy, read to its end, goes to `let_go`: a glob may match it,
    /// and must not read it again.
    pub(crate) fn truncated(
        &mut self,
        until: Instant,
        buf: &mut [u8],
        sink: &Sink,
        let_go: &mut dyn FnMut(Gen),
    ) -> Result<(), Stopped> {
        let Some(g) = self.cur.as_mut() else {
            return Ok(());
        };
        sink.send(InputEvent::Rotated {
            source: self.source,
        })?;
        self.rotated_until = Some(until);
        if let Some(copy) = find_copy(&self.path, g) {
            let mut from_copy = Gen {
                file: copy.0,
                id: copy.1,
                offset: g.offset,
                fp: std::mem::take(&mut g.fp),
                cut: std::mem::replace(&mut g.cut, Cutter::new(0)),
                until: None,
                preamble: Vec::new(),
            };
            // The copy is complete once the original was truncated; a read
            // error here only costs the lines we could not recover. No byte
            // budget: one call reads it to its end.
            let _ = from_copy.pump((self.source, &self.path), buf, sink, u64::MAX, u64::MAX);
            g.cut = std::mem::replace(&mut from_copy.cut, Cutter::new(0));
            let_go(from_copy);
        }
        // `finish` leaves the cutter empty, as for a new file.
        g.finish(self.source, sink)?;
        g.offset = 0;
        g.fp.clear();
        Ok(())
    }
}

fn is_missing(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// Finds the copy a copytruncate rotation left of `path`: a sibling whose
/// name starts with the path's name and which holds our fingerprint just
/// before our offset. The most recently modified one wins.
pub(crate) fn find_copy(path: &Path, g: &Gen) -> Option<(File, FileId)> {
    find_copy_of(path, g.offset, &g.fp, g.id)
}
