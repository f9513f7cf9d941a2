//! Which file each followed path names now, and which path reads it.
//!
//! Rotation is seen here: a path that names another file (rename, delete,
//! re-pointed symlink) retires its file to a grace-period drain and takes up
//! the new one. A file is only ever read through one path: when a path
//! names a file another path is already reading or draining (a glob finding
//! `access.log.1` after `access.log` was renamed to it), the file is taken
//! over at the offset reached, not read again. Files let go after their
//! grace period are remembered with their offset, for a glob that finds them
//! late; copytruncate copies are remembered the same way once read.

use std::collections::VecDeque;
use std::fs::File;
use std::path::PathBuf;
use std::time::Instant;

use super::follow::Follower;
use super::lines::Stopped;
use super::tail::{FileId, Gen, Seen, Tailer, file_id};
use super::{InputEvent, InputSpec, expand};
use crate::engine::SourceId;

/// Files let go after rotation that are remembered, with their offset.
const CLOSED_KEPT: usize = 64;

/// A file let go after its grace period.
pub(super) struct Closed {
    id: FileId,
    offset: u64,
    fp: Vec<u8>,
}

/// Where a file that a path now names is already being read.
enum Owner {
    Cur(usize),
    Old(usize, usize),
}

/// Keeps the offset of a file let go, in case a path names it again.
pub(super) fn remember(closed: &mut VecDeque<Closed>, mut g: Gen) {
    if closed.len() >= CLOSED_KEPT {
        closed.pop_front();
    }
    closed.push_back(Closed {
        id: g.id,
        offset: g.offset,
        fp: std::mem::take(&mut g.fp),
    });
}

impl Follower {
    /// The source of `path`, announced to the engine the first time.
    pub(super) fn source_for(&mut self, input: usize, path: PathBuf) -> Result<SourceId, Stopped> {
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

    pub(super) fn add(
        &mut self,
        input: usize,
        path: PathBuf,
        at_end: bool,
        now: Instant,
    ) -> Result<(), Stopped> {
        let from_glob = self.inputs[input].spec.is_glob();
        let source = self.source_for(input, path.clone())?;
        self.tailers
            .push(Tailer::new(source, path, from_glob, at_end));
        self.watch_dirty = true;
        self.check(self.tailers.len() - 1, now, &mut Vec::new())
    }

    /// Picks up files a glob matches now and did not before.
    pub(super) fn rescan(&mut self, now: Instant) -> Result<(), Stopped> {
        for i in 0..self.inputs.len() {
            let InputSpec::Path(p) = &self.inputs[i].spec else {
                continue;
            };
            if !self.inputs[i].spec.is_glob() {
                continue;
            }
            let Ok(paths) = expand(p) else { continue };
            for path in paths {
                if self.tailers.iter().any(|t| t.path == path) || self.unsettled_copy(&path, now)? {
                    continue;
                }
                self.add(i, path, false, now)?;
            }
        }
        Ok(())
    }

    /// Is `path` a copytruncate copy of a file we follow, made but not yet
    /// followed by the truncation? Its content is what we read (or will
    /// recover from it when we see the truncation), so it is left alone
    /// until then: recovery reads it to its end and remembers it, and the
    /// glob then takes it up from there.
    fn unsettled_copy(&mut self, path: &std::path::Path, now: Instant) -> Result<bool, Stopped> {
        let Ok(file) = File::open(path) else {
            return Ok(false);
        };
        let Ok(id) = file.metadata().map(|m| file_id(&m)) else {
            return Ok(false);
        };
        let copied = |t: &Tailer| {
            t.cur
                .as_ref()
                .is_some_and(|g| g.id != id && g.copied_to(&file))
        };
        let Some(j) = self.tailers.iter().position(copied) else {
            return Ok(false);
        };
        // Truncated already? Then the check recovers from the copy.
        self.check(j, now, &mut Vec::new())?;
        Ok(!self.closed.iter().any(|c| c.id == id))
    }

    pub(super) fn check_all(&mut self, now: Instant) -> Result<(), Stopped> {
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
                    let closed = &mut self.closed;
                    t.truncated(until, &mut self.buf, &self.sink, &mut |g| {
                        remember(closed, g)
                    })?;
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
    fn fresh(&mut self, file: File, id: FileId, at_end: bool) -> Result<Gen, String> {
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
}
