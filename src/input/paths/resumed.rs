//! Saved state resumed (`--state`) in the paths: where a file nobody
//! reads starts (at its saved mark while its fingerprint holds, else at
//! its end or its start), and the files rotated away from a followed path
//! while routetop was down, found again among the path's siblings and
//! drained before its current file.

use std::fs::File;
use std::time::{Instant, SystemTime};

use super::{Paths, Resumed};
use crate::engine::{InputEvent, InputState, SourceId};
use crate::input::lines::{Sink, Stopped};
use crate::input::tail::{FileId, Gen, file_id, find_copy, siblings};

impl Paths {
    /// A file nobody reads: resumed where we let it go if we read it before,
    /// else from its end (first open of a file that existed at start) or
    /// its start.
    pub(super) fn fresh(
        &mut self,
        file: File,
        id: FileId,
        at_end: bool,
        source: SourceId,
        path: &std::path::Path,
    ) -> Result<Gen, String> {
        let max_line = self.max_line;
        if let Some(r) = &mut self.resume {
            if let Some(k) = r.marks.iter().position(|(_, m)| m.file == id) {
                let (_, m) = r.marks.swap_remove(k);
                let g = Gen::resume(file, id, m.end, m.fp, max_line);
                if g.fp_holds().unwrap_or(false) {
                    return Ok(g);
                }
                // Truncated or rewritten while routetop was down: none of
                // what it holds now was counted. What it held after the
                // mark may be in a copy beside it (copytruncate), which is
                // drained from the mark first.
                if let Some((copy, copy_id)) = find_copy(path, &g) {
                    let mut c = Gen::resume(copy, copy_id, g.offset, g.fp.clone(), max_line);
                    c.until = Some(Instant::now());
                    self.recovered.push((source, c));
                }
                return Ok(Gen::new(g.into_file(), id, max_line));
            }
            // A file at a path of the last run that it never counted from
            // (the path was rotated while routetop was down), or a new file
            // written to since the state was saved: every line of it is new.
            if r.sources.contains(&source) || written_since(&file, r.saved_at) {
                return Ok(Gen::new(file, id, max_line));
            }
        }
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

    /// After the first look at every path when resuming: files that were
    /// rotated away from a followed path while routetop was down are found
    /// in the path's directory — the one counted from, by its identity and
    /// fingerprint, drained from its mark; the ones rotated after it (no
    /// mark, written since the state was saved), read whole, oldest first —
    /// and drained before the path's current file, as rotation while
    /// running is. Globs find their rotated files themselves.
    pub(in crate::input) fn recover_rotated(
        &mut self,
        now: Instant,
        sink: &Sink,
    ) -> Result<(), Stopped> {
        let Some(r) = &self.resume else {
            return Ok(());
        };
        let saved_at = r.saved_at;
        let max_line = self.max_line;
        // Saved inputs no path names now: their counts stay, nothing more
        // will come (a glob that matches one later takes its id back).
        for &id in r.names.values().flatten() {
            sink.send(InputEvent::State {
                source: id,
                state: InputState::Done,
            })?;
        }
        for i in 0..self.tailers.len() {
            let t = &self.tailers[i];
            if t.from_glob || !r_has(&self.resume, t.source) {
                continue;
            }
            let (source, path) = (t.source, t.path.clone());
            let mut found: Vec<(SystemTime, Gen)> = Vec::new();
            for (file, fid, mtime, len) in rotated_beside(&path) {
                if self.owner(fid).is_some() {
                    continue;
                }
                let Some(r) = &mut self.resume else { break };
                let mark = r
                    .marks
                    .iter()
                    .position(|(s, m)| *s == source && m.file == fid);
                let g = match mark {
                    Some(k) => {
                        let (_, m) = r.marks.swap_remove(k);
                        let g = Gen::resume(file, fid, m.end, m.fp, max_line);
                        if !g.fp_holds().unwrap_or(false) {
                            continue;
                        }
                        // Counted to its end, and not written since the
                        // save: rotated during the last run, which drained
                        // it. Nothing to read, and no rotation to say (each
                        // restart said "rotated" again, and kept its mark).
                        if g.offset >= len && mtime <= saved_at {
                            continue;
                        }
                        // The file counted from is the oldest of them.
                        found.push((SystemTime::UNIX_EPOCH, g));
                        continue;
                    }
                    None if mtime > saved_at => Gen::new(file, fid, max_line),
                    None => continue,
                };
                found.push((mtime, g));
            }
            found.sort_by_key(|(t, _)| *t);
            let until = now + self.grace;
            for (_, mut g) in found {
                sink.send(InputEvent::Mark {
                    source,
                    at: g.mark(),
                })?;
                g.until = Some(until);
                self.tailers[i].old.push(g);
            }
        }
        Ok(())
    }
}

/// Whether `source` was a source of the resumed run.
fn r_has(resume: &Option<Resumed>, source: SourceId) -> bool {
    resume.as_ref().is_some_and(|r| r.sources.contains(&source))
}

/// Whether `file` was created (or, where the filesystem does not say,
/// modified) after `t`.
fn written_since(file: &File, t: SystemTime) -> bool {
    let Ok(m) = file.metadata() else {
        return false;
    };
    m.created().or_else(|_| m.modified()).is_ok_and(|b| b > t)
}

/// [`siblings`] with their identity, modification time and length.
fn rotated_beside(path: &std::path::Path) -> Vec<(File, FileId, SystemTime, u64)> {
    siblings(path)
        .into_iter()
        .map(|(file, m)| {
            let mtime = m.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            (file, file_id(&m), mtime, m.len())
        })
        .collect()
}
