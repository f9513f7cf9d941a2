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
//!
//! A file whose first bytes are not text (`decode.rs`) is never followed:
//! nothing is appended to a compressed file, and a rotated set's compressed
//! files hold lines already read (a file `access.log*` finds compressed
//! later is `access.log.1` compressed by logrotate: reading it would count
//! its lines twice). With `--from-start`, a compressed file present at start
//! is read once, to its end, on a thread of its own (`stdin.rs`), in
//! parallel with the others, or as one backlog of its whole stream for the
//! pool (`FollowOptions::backfill_compressed`); otherwise one named on the command line is
//! reported as not followed (an input error saying why), and one a glob
//! finds is left out. A binary file is an input error, not read
//! (`paths/not_text.rs`).
//!
//! Resuming saved state (`--state`), a file is taken up at its saved mark,
//! and files rotated away while routetop was down are found again and
//! drained first (`paths/resumed.rs`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::lines::{Sink, Stopped};
use super::resume::Resume;
use super::spec::{Input, InputSpec, expand};
use super::tail::{FileId, Gen, Seen, Tailer, file_id};
use crate::engine::{FileMark, InputEvent, InputState, MAX_SOURCES, SourceId};

mod not_text;
mod resumed;

/// Bytes read from one file before the others get their turn.
const BUDGET: u64 = 8 << 20;

/// Files let go after rotation that are remembered, with their offset.
const CLOSED_KEPT: usize = 64;

/// Every followed path, which file each names now, and which path reads
/// which file; the follower (`follow.rs`) runs the loop around it.
pub(super) struct Paths {
    pub(super) inputs: Vec<Input>,
    /// Per input: still configured (a reload may remove one).
    active: Vec<bool>,
    pub(super) tailers: Vec<Tailer>,
    /// Source of every path ever followed: a path that comes back keeps it.
    ids: HashMap<PathBuf, SourceId>,
    next_id: usize,
    closed: VecDeque<Closed>,
    /// The set of files to watch changed since the watcher was built.
    pub(super) watch_dirty: bool,
    /// Paths an input named that another input's tailer reads already
    /// (`a.log a.log`): taken up by the input if that tailer's input is
    /// removed (a reload).
    again: Vec<(usize, PathBuf)>,
    /// A file rotated away is still read this long.
    grace: Duration,
    max_line: usize,
    /// Saved state being resumed (`--state`).
    resume: Option<Resumed>,
    /// Copies found by `fresh` while resuming, to drain before the file.
    recovered: Vec<(SourceId, Gen)>,
    /// Paths of files that are not text, not followed: never looked at
    /// again.
    not_text: HashSet<PathBuf>,
    /// Compressed files read once (`--from-start`), by identity, with the
    /// path they were read at: another path to one is not read again.
    read_once: HashMap<FileId, PathBuf>,
    /// Files a glob found that look like a copytruncate copy of a followed
    /// file, since when: one whose original is not truncated within the
    /// grace period is a file of its own.
    copies: HashMap<PathBuf, Instant>,
    /// The inputs named at start are being opened (`--from-start` reads a
    /// compressed file only then).
    pub(super) starting: bool,
    /// Unread bytes of a file from which they go to the engine as one
    /// backlog, counted on all cores (`FollowOptions::backfill_min`).
    pub(super) backfill_min: u64,
    /// Compressed files read once go as backlogs too
    /// (`FollowOptions::backfill_compressed`).
    pub(super) backfill_compressed: bool,
}

/// What is left to resume of the last run's state.
struct Resumed {
    saved_at: SystemTime,
    /// Saved sources not followed yet: name → ids, in saved order (two
    /// inputs may share a config `name`: each takes the next id back).
    names: HashMap<String, VecDeque<SourceId>>,
    /// Sources of the last run: a file at their path without a mark was
    /// never counted from.
    sources: Vec<SourceId>,
    /// Marks not taken up yet, with their source.
    marks: Vec<(SourceId, FileMark)>,
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

/// Keeps the offset of a file let go, in case a path names it again.
fn remember(closed: &mut VecDeque<Closed>, mut g: Gen) {
    if closed.len() >= CLOSED_KEPT {
        closed.pop_front();
    }
    closed.push_back(Closed {
        id: g.id,
        offset: g.offset,
        fp: std::mem::take(&mut g.fp),
    });
}

impl Paths {
    pub(super) fn new(
        inputs: Vec<Input>,
        grace: Duration,
        max_line: usize,
        resume: Option<Resume>,
    ) -> Paths {
        let resume = resume.map(|r| Resumed {
            saved_at: r.saved_at,
            names: r.sources.iter().fold(HashMap::new(), |mut m, (n, id, _)| {
                m.entry(n.clone())
                    .or_insert_with(VecDeque::new)
                    .push_back(*id);
                m
            }),
            sources: r.sources.iter().map(|(_, id, _)| *id).collect(),
            marks: r
                .sources
                .into_iter()
                .flat_map(|(_, id, marks)| marks.into_iter().map(move |m| (id, m)))
                .collect(),
        });
        // Ids of the last run are given back by name; new sources come
        // after them.
        let next_id = resume
            .as_ref()
            .and_then(|r| r.sources.iter().max())
            .map_or(0, |&m| m as usize + 1);
        Paths {
            active: vec![true; inputs.len()],
            inputs,
            tailers: Vec::new(),
            ids: HashMap::new(),
            next_id,
            resume,
            recovered: Vec::new(),
            closed: VecDeque::new(),
            again: Vec::new(),
            read_once: HashMap::new(),
            watch_dirty: true,
            grace,
            max_line,
            not_text: HashSet::new(),
            copies: HashMap::new(),
            starting: true,
            backfill_min: u64::MAX,
            backfill_compressed: false,
        }
    }

    /// A source id not given before (past [`MAX_SOURCES`], the last one is
    /// shared).
    pub(super) fn new_id(&mut self) -> SourceId {
        let id = self.next_id.min(MAX_SOURCES - 1) as SourceId;
        self.next_id += 1;
        id
    }

    /// Whether `path` of input `input` was a source of the resumed run.
    fn was_saved(&self, input: usize, path: &Path) -> bool {
        let i = &self.inputs[input];
        let name = i.file_name(path, i.spec.is_glob());
        self.resume
            .as_ref()
            .is_some_and(|r| r.names.get(&name).is_some_and(|ids| !ids.is_empty()))
    }

    /// Whether input `i` is configured now.
    pub(super) fn is_active(&self, i: usize) -> bool {
        self.active.get(i).copied().unwrap_or(false)
    }

    /// Whether a configured input is a glob (to be expanded again).
    pub(super) fn has_globs(&self) -> bool {
        self.inputs
            .iter()
            .zip(&self.active)
            .any(|(i, &a)| a && i.spec.is_glob())
    }

    /// Input `i` is (again) configured as `input`.
    pub(super) fn put_input(&mut self, i: usize, input: Input) {
        while self.inputs.len() <= i {
            self.inputs.push(input.clone());
            self.active.push(false);
        }
        self.inputs[i] = input;
        self.active[i] = true;
    }

    /// Input `i` is no longer configured: its files are let go (their
    /// offsets remembered, should it come back), its sources are done.
    /// Returns the paths it read for other inputs that named them too, to
    /// follow on through theirs.
    pub(super) fn remove_input(
        &mut self,
        i: usize,
        sink: &Sink,
    ) -> Result<Vec<(usize, PathBuf)>, Stopped> {
        if let Some(a) = self.active.get_mut(i) {
            *a = false;
        }
        self.again.retain(|(input, _)| *input != i);
        let mut orphans = Vec::new();
        let mut k = 0;
        while k < self.tailers.len() {
            if self.tailers[k].input != i {
                k += 1;
                continue;
            }
            let mut t = self.tailers.remove(k);
            orphans.extend(self.again.extract_if(.., |(_, p)| *p == t.path));
            for mut g in t.old.drain(..).chain(t.cur.take()) {
                g.finish(t.source, sink)?;
                remember(&mut self.closed, g);
            }
            sink.send(InputEvent::State {
                source: t.source,
                state: InputState::Done,
            })?;
            self.watch_dirty = true;
        }
        Ok(orphans)
    }

    /// The id of a new source called `name`: the saved one of that name
    /// when resuming, else a new one.
    pub(super) fn id_for_name(&mut self, name: &str) -> SourceId {
        match self
            .resume
            .as_mut()
            .and_then(|r| r.names.get_mut(name)?.pop_front())
        {
            Some(id) => id,
            None => self.new_id(),
        }
    }

    /// The source of `path`, announced to the engine the first time.
    pub(super) fn source_for(
        &mut self,
        input: usize,
        path: PathBuf,
        sink: &Sink,
    ) -> Result<SourceId, Stopped> {
        if let Some(&id) = self.ids.get(&path) {
            return Ok(id);
        }
        let input_of = &self.inputs[input];
        let name = input_of.file_name(&path, input_of.spec.is_glob());
        let id = self.id_for_name(&name);
        self.ids.insert(path, id);
        sink.send(InputEvent::Added {
            source: id,
            name,
            input,
        })?;
        Ok(id)
    }

    /// Follows `path`, found by input `input`: from its end (`at_end`) or
    /// its start.
    pub(super) fn add(
        &mut self,
        input: usize,
        path: PathBuf,
        at_end: bool,
        now: Instant,
        io: Io,
    ) -> Result<(), Stopped> {
        // A path named twice (`a.log a.log`, or a glob and a path that
        // find it) is one file read once, through its first tailer: a
        // second would share its source and count its lines again.
        if self.tailers.iter().any(|t| t.path == path) {
            if !self.inputs[input].spec.is_glob() {
                self.again.push((input, path));
            }
            return Ok(());
        }
        // A file that is not text is looked at once: a compressed one read
        // once is not read again for a second name of its path.
        if self.not_text.contains(&path) {
            return Ok(());
        }
        let from_glob = self.inputs[input].spec.is_glob();
        if let Some((kind, file)) = Paths::non_text(&path) {
            return self.add_not_text(input, path, kind, file, at_end, io.sink);
        }
        let source = self.source_for(input, path.clone(), io.sink)?;
        self.tailers
            .push(Tailer::new(source, input, path, from_glob, at_end));
        self.watch_dirty = true;
        self.check(self.tailers.len() - 1, now, &mut Vec::new(), io)
    }

    /// Picks up files a glob matches now and did not before.
    pub(super) fn rescan(&mut self, now: Instant, mut io: Io) -> Result<(), Stopped> {
        for i in 0..self.inputs.len() {
            let InputSpec::Path(p) = &self.inputs[i].spec else {
                continue;
            };
            if !self.active[i] {
                continue;
            }
            if !self.inputs[i].spec.is_glob() {
                continue;
            }
            let Ok(paths) = expand(p) else { continue };
            for path in paths {
                if self.tailers.iter().any(|t| t.path == path)
                    || self.not_text.contains(&path)
                    || self.unsettled_copy(&path, now, io.reborrow())?
                {
                    continue;
                }
                self.add(i, path, false, now, io.reborrow())?;
            }
        }
        Ok(())
    }

    /// Is `path` a copytruncate copy of a file we follow, made but not yet
    /// followed by the truncation? Its content is what we read (or will
    /// recover from it when we see the truncation), so it is left alone
    /// until then: recovery reads it to its end and remembers it, and the
    /// glob then takes it up from there.
    ///
    /// A copy holds what the original held before our offset, at the same
    /// place, and is never longer than the original until the truncation
    /// (the original only grows meanwhile; logrotate truncates right after
    /// copying): a longer file, or one whose original is still not
    /// truncated after the grace period, is a file of its own whose first
    /// lines happen to be the same.
    fn unsettled_copy(
        &mut self,
        path: &std::path::Path,
        now: Instant,
        io: Io,
    ) -> Result<bool, Stopped> {
        let Ok(file) = File::open(path) else {
            return Ok(false);
        };
        let Ok((id, len)) = file.metadata().map(|m| (file_id(&m), m.len())) else {
            return Ok(false);
        };
        let copied = |t: &Tailer| {
            t.cur.as_ref().is_some_and(|g| {
                g.id != id && g.len_now().is_some_and(|n| n >= len) && g.copied_to(&file)
            })
        };
        let Some(j) = self.tailers.iter().position(copied) else {
            self.copies.remove(path);
            return Ok(false);
        };
        let since = *self.copies.entry(path.to_path_buf()).or_insert(now);
        if now.duration_since(since) > self.grace {
            self.copies.remove(path);
            return Ok(false);
        }
        // Truncated already? Then the check recovers from the copy.
        self.check(j, now, &mut Vec::new(), io)?;
        let unsettled = !self.closed.iter().any(|c| c.id == id);
        if !unsettled {
            self.copies.remove(path);
        }
        Ok(unsettled)
    }

    pub(super) fn check_all(&mut self, now: Instant, mut io: Io) -> Result<(), Stopped> {
        for i in 0..self.tailers.len() {
            self.check(i, now, &mut Vec::new(), io.reborrow())?;
        }
        Ok(())
    }

    /// Compares what tailer `i`'s path names now with what it reads, and
    /// follows the change. `visiting` guards against checking in circles
    /// while resolving who owns a file.
    fn check(
        &mut self,
        i: usize,
        now: Instant,
        visiting: &mut Vec<usize>,
        mut io: Io,
    ) -> Result<(), Stopped> {
        let until = now + self.grace;
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
                    t.truncated(until, io.buf, io.sink, &mut |g| remember(closed, g))?;
                }
            }
            Seen::Missing => {
                t.open_error = None;
                t.at_end = false;
                if t.cur.is_some() {
                    t.retire(until, io.sink)?;
                    self.watch_dirty = true;
                }
                t.missing_since.get_or_insert(now);
            }
            Seen::Failed(msg) => t.open_error = Some(msg),
            Seen::Other(file, id) => {
                visiting.push(i);
                let owned = self.take_owned(i, id, now, visiting, io.reborrow())?;
                visiting.pop();
                let next = match owned {
                    Ok(g) => Ok(g),
                    Err(None) => {
                        let t = &self.tailers[i];
                        let (at_end, source, path) = (t.at_end, t.source, t.path.clone());
                        let g = self.fresh(file, id, at_end, source, &path);
                        // A copy to drain first (resuming after a
                        // copytruncate while routetop was down).
                        for (s, c) in std::mem::take(&mut self.recovered) {
                            if let Some(t) = self.tailers.iter_mut().find(|t| t.source == s) {
                                t.old.push(c);
                            }
                        }
                        g
                    }
                    Err(Some(j)) => Err(format!(
                        "same file as {}, read there",
                        self.tailers[j].path.display()
                    )),
                };
                let t = &mut self.tailers[i];
                match next {
                    Ok(mut g) => {
                        t.retire(until, io.sink)?;
                        if !g.preamble.is_empty() {
                            io.sink.send(InputEvent::Preamble {
                                source: t.source,
                                data: std::mem::take(&mut g.preamble),
                            })?;
                        }
                        // Where counting of this file starts: a restart
                        // knows the file from here on, even before a line.
                        io.sink.send(InputEvent::Mark {
                            source: t.source,
                            at: g.mark(),
                        })?;
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
        io: Io,
    ) -> Result<Result<Gen, Option<usize>>, Stopped> {
        // The owner may not have noticed yet that its path moved on: let it
        // look first, which retires the file if so.
        if let Some(Owner::Cur(j)) = self.owner(id)
            && j != i
            && !visiting.contains(&j)
        {
            visiting.push(j);
            let r = self.check(j, now, visiting, io);
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

    /// Reads what is new in every file. Returns (some file has more than a
    /// pass could take, some file had new bytes).
    pub(super) fn pump_all(&mut self, now: Instant, io: Io) -> Result<(bool, bool), Stopped> {
        let (mut more, mut got) = (false, false);
        let Paths {
            tailers,
            closed,
            grace,
            backfill_min,
            ..
        } = self;
        let mut let_go = |g: Gen| remember(closed, g);
        for t in tailers.iter_mut() {
            let limits = (BUDGET, *backfill_min);
            let (m, g) = t.pump(now, *grace, io.buf, io.sink, limits, &mut let_go)?;
            more |= m;
            got |= g;
        }
        Ok((more, got))
    }

    /// Sends state changes, and lets go of glob matches gone for good.
    pub(super) fn publish(&mut self, now: Instant, sink: &Sink) -> Result<(), Stopped> {
        let grace = self.grace;
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
            let state = if gone { InputState::Done } else { t.state() };
            if t.sent.as_ref() != Some(&state) {
                t.sent = Some(state.clone());
                sink.send(InputEvent::State {
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

/// Where reading a path sends its lines, and the buffer it reads into.
pub(super) struct Io<'a> {
    pub(super) sink: &'a Sink,
    pub(super) buf: &'a mut Vec<u8>,
}

impl<'a> Io<'a> {
    pub(super) fn new(sink: &'a Sink, buf: &'a mut Vec<u8>) -> Io<'a> {
        Io { sink, buf }
    }

    /// The same, for one call.
    pub(super) fn reborrow(&mut self) -> Io<'_> {
        Io {
            sink: self.sink,
            buf: self.buf,
        }
    }
}
