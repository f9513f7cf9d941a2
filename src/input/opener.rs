//! What a batch run reads (`--once`, and the pool's backlogs): its
//! inputs as named ([`BatchInput`], globs expanded), how each is opened
//! ([`Opener`]: a file, stdin, a range of an open file, a stream), and the
//! errors that end one input without stopping the others
//! ([`BatchError`]). `blocks.rs` reads them in blocks of whole lines.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use super::spec::{Input, InputSpec, expand};
use super::tail::{FileId, file_id, find_copy_of, holds};
use crate::engine::backfill::CopyHint;

pub enum Opener {
    File(PathBuf),
    Stdin,
    /// `head`, then the bytes of an open text file from one offset to
    /// another (a follower's backlog): read as text, never sniffed for a
    /// compression, whatever its first bytes.
    Range {
        head: Vec<u8>,
        file: Arc<File>,
        from: u64,
        to: u64,
        /// Where the rest is if the file is truncated meanwhile.
        copy: Option<CopyHint>,
    },
    /// A stream read as a named file is: text, or decompressed as its
    /// first bytes say (a compressed file a follower reads once).
    Stream(Box<dyn Read + Send>),
}

/// One input of a batch run: a file (a glob's matches are one each) or
/// stdin.
pub struct BatchInput {
    pub name: String,
    pub open: Opener,
    /// The index of the input (as given) it comes from.
    pub input: usize,
}

/// What a batch run's inputs name now ([`BatchInput::expand`]).
#[derive(Default)]
pub struct Expanded {
    /// The files and stdin to read, in order.
    pub inputs: Vec<BatchInput>,
    /// Inputs that name no file (a glob that matches none, a bad glob).
    pub skipped: Vec<BatchError>,
    /// Files named again (the same path twice, `./a.log` beside `a.log`,
    /// a glob and a path that find one file): read once, where first
    /// named, as the follower reads them. Said, not an error.
    pub again: Vec<String>,
}

impl BatchInput {
    /// The files and stdin `inputs` name now, globs expanded, in order, and
    /// the inputs that name none: one input that cannot be read does not
    /// stop the others. A file named twice is read once (its lines would
    /// count twice); a path that cannot be looked at yet is kept, for its
    /// open to say why it cannot be read.
    pub fn expand(inputs: &[Input]) -> Expanded {
        let mut out = Expanded::default();
        let mut seen: HashMap<FileId, String> = HashMap::new();
        for (i, input) in inputs.iter().enumerate() {
            match &input.spec {
                InputSpec::Stdin => out.inputs.push(BatchInput {
                    name: input.name.clone().unwrap_or_else(|| "stdin".into()),
                    open: Opener::Stdin,
                    input: i,
                }),
                InputSpec::Path(p) => {
                    let files = match expand(p) {
                        Ok(f) if f.is_empty() => {
                            out.skipped
                                .push(BatchError::Input(format!("no file matches {p}")));
                            continue;
                        }
                        Ok(f) => f,
                        Err(e) => {
                            out.skipped.push(BatchError::Input(e));
                            continue;
                        }
                    };
                    let several = files.len() > 1;
                    for f in files {
                        let name = input.file_name(&f, several);
                        if let Ok(m) = std::fs::metadata(&f) {
                            match seen.entry(file_id(&m)) {
                                Entry::Occupied(first) => {
                                    out.again.push(if *first.get() == name {
                                        format!("{name} is named twice: read once")
                                    } else {
                                        format!(
                                            "{name} is the same file as {}: read there, once",
                                            first.get()
                                        )
                                    });
                                    continue;
                                }
                                Entry::Vacant(v) => {
                                    v.insert(name.clone());
                                }
                            }
                        }
                        out.inputs.push(BatchInput {
                            name,
                            open: Opener::File(f),
                            input: i,
                        });
                    }
                }
            }
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{0}")]
    Input(String),
    #[error("cannot read {name}: {err}")]
    Open { name: String, err: io::Error },
    #[error("error reading {name}: {err}")]
    Read { name: String, err: io::Error },
    #[error("{name} is a binary file, not text nor a gzip, zstd, bzip2 or xz stream: not read")]
    Binary { name: String },
}

/// An open file's bytes from `at` up to `to`, read with `pread` (the
/// follower reads on from `to` through its own descriptor meanwhile): a
/// backlog, by the pool's workers or its log-time tail's reader
/// (`run/backfill.rs`). A file truncated meanwhile (copytruncate) is read
/// on from its copy, the sibling that holds what it held before the
/// backlog's end (found as the follower finds it, `tail::find_copy`);
/// without one, it ends early. `to` may be before that end (where its
/// log-time tail begins): the hint says where the backlog ends.
pub struct Range {
    file: Arc<File>,
    at: u64,
    to: u64,
    copy: Option<CopyHint>,
}

impl Range {
    /// `file`'s bytes `from..to`; `copy` says where the rest is after a
    /// copytruncate.
    pub fn new(file: Arc<File>, from: u64, to: u64, copy: Option<CopyHint>) -> Range {
        Range {
            file,
            at: from,
            to,
            copy,
        }
    }
}

impl Read for Range {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let want = buf.len().min(self.to.saturating_sub(self.at) as usize);
            if want == 0 {
                return Ok(0);
            }
            let n = self.file.read_at(&mut buf[..want], self.at)?;
            // Checked after the read, as the follower does (`tail.rs`): if
            // the file still holds the bytes before the backlog's end, what
            // was read is the backlog's, not a regrown file's.
            let cut = match &self.copy {
                Some(h) => n == 0 || !holds(&self.file, h.end, &h.fp)?,
                None => false,
            };
            if cut && let Some(h) = self.copy.take() {
                match find_copy_of(&h.path, h.end, &h.fp, h.file) {
                    Some((copy, _)) => self.file = Arc::new(copy),
                    // What was read may be another content's: the backlog
                    // ends here.
                    None => self.to = self.at,
                }
                continue;
            }
            self.at += n as u64;
            return Ok(n);
        }
    }
}

/// Opens a file to read; a directory is refused here (on Linux opening one
/// succeeds and only the first read fails, with a less helpful message).
pub(super) fn open_file(p: &std::path::Path) -> io::Result<File> {
    let f = File::open(p)?;
    if f.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    Ok(f)
}
