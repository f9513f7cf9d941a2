//! Files whose first bytes are not text (`decode.rs`): a compressed file
//! is read once, to its end, with `--from-start` at start (on a thread of
//! its own, or as one backlog of its whole stream for the pool), else
//! reported (named on the command line) or left out (found by a glob); a
//! binary file is an input error. See the module docs of `paths` for why
//! a compressed file is never followed.

use std::collections::hash_map::Entry;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Paths;
use crate::engine::{FileMark, InputEvent, InputState, SourceId};
use crate::input::decode::{self, Kind};
use crate::input::lines::{Sink, Stopped};
use crate::input::stdin;
use crate::input::tail::file_id;

impl Paths {
    /// Takes up `path`, a file of `kind` that is not text (see the module
    /// docs): read once at start with `--from-start` (`!at_end`), else
    /// reported or left out.
    pub(super) fn add_not_text(
        &mut self,
        input: usize,
        path: PathBuf,
        kind: Kind,
        file: File,
        at_end: bool,
        sink: &Sink,
    ) -> Result<(), Stopped> {
        self.not_text.insert(path.clone());
        let from_glob = self.inputs[input].spec.is_glob();
        let why = match kind {
            Kind::Binary => {
                "binary file, not text nor a gzip, zstd, bzip2 or xz stream: not read".to_string()
            }
            // Resuming (`--state`): a compressed file of the last run was
            // read then (see the README's "Saved state" for one it was
            // stopped in the middle of).
            _ if self.starting && !at_end && self.was_saved(input, &path) => {
                let source = self.source_for(input, path.clone(), sink)?;
                return sink.send(InputEvent::State {
                    source,
                    state: InputState::Done,
                });
            }
            _ if self.starting && !at_end => {
                let source = self.source_for(input, path.clone(), sink)?;
                // Another path to a file read once already (`./a.gz`
                // beside `a.gz`, a symlink): its lines are counted there.
                if let Ok(m) = file.metadata() {
                    match self.read_once.entry(file_id(&m)) {
                        Entry::Occupied(first) => {
                            let why = format!("same file as {}, read there", first.get().display());
                            return sink.send(InputEvent::State {
                                source,
                                state: InputState::Error(why),
                            });
                        }
                        Entry::Vacant(v) => {
                            v.insert(path.clone());
                        }
                    }
                }
                if let Some(backlog) = self.compressed_backlog(source, &path, &file) {
                    sink.send(backlog)?;
                    return sink.send(InputEvent::State {
                        source,
                        state: InputState::Done,
                    });
                }
                let name = path.display().to_string();
                return match read_once(source, name, input, kind, file, sink, self.max_line) {
                    Ok(()) => Ok(()),
                    Err(e) => sink.send(InputEvent::State {
                        source,
                        state: InputState::Error(format!("cannot start its reader: {e}")),
                    }),
                };
            }
            _ if from_glob => return Ok(()),
            _ => format!(
                "{} compressed: not followed (nothing is appended to it); --from-start reads it once, or --once",
                kind.name()
            ),
        };
        let source = self.source_for(input, path, sink)?;
        sink.send(InputEvent::State {
            source,
            state: InputState::Error(why),
        })
    }

    /// A compressed file read once, as one backlog of its whole stream
    /// (`FollowOptions::backfill_compressed`), if it is one: counted on all
    /// cores, it has no mark (it is not read again after a restart).
    fn compressed_backlog(&self, source: SourceId, path: &Path, file: &File) -> Option<InputEvent> {
        let m = file.metadata().ok()?;
        if !self.backfill_compressed || m.len() < self.backfill_min {
            return None;
        }
        Some(InputEvent::Backlog {
            source,
            file: Arc::new(file.try_clone().ok()?),
            path: path.to_path_buf(),
            from: 0,
            to: m.len(),
            at: FileMark {
                file: file_id(&m),
                end: m.len(),
                fp: Vec::new(),
            },
            compressed: true,
        })
    }

    /// The kind of the file at `path` and the file, if it is a regular file
    /// whose first bytes are not text; `None` for text, and for anything that
    /// cannot be opened or read (the tailer says why, and waits for it).
    pub(super) fn non_text(path: &Path) -> Option<(Kind, File)> {
        let mut file = File::open(path).ok()?;
        if !file.metadata().ok()?.is_file() {
            return None;
        }
        let head = decode::read_head(&mut file).ok()?;
        match decode::sniff(&head) {
            Kind::Text => None,
            kind => {
                // Read again from the start by the reader.
                use std::io::{Seek, SeekFrom};
                file.seek(SeekFrom::Start(0)).ok()?;
                Some((kind, file))
            }
        }
    }
}

/// Reads a compressed file to its end on a thread of its own, sending its
/// lines as source `source`; it ends `Done`, or in error at a damaged
/// stream (its lines before the damage sent).
fn read_once(
    source: SourceId,
    name: String,
    input: usize,
    kind: Kind,
    file: File,
    sink: &Sink,
    max_line: usize,
) -> std::io::Result<()> {
    let Some(reader) = decode::text_reader(kind, Vec::new(), file) else {
        return Err(std::io::Error::other("not a compressed file"));
    };
    stdin::spawn_stream(source, name, input, reader, sink.clone(), max_line, false).map(drop)
}
