//! What the live inputs tell the engine, in order per source: a source was
//! added, lines arrived, its state changed. Defined here, where the events
//! are consumed; the input layer above produces them.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

/// Index of an input (file, stdin) in the run.
pub type SourceId = u16;
/// At most this many sources are told apart; ids fit 12 bits of a key.
pub const MAX_SOURCES: usize = 4096;

/// What live inputs send to the engine, in order per source.
#[derive(Debug)]
pub enum InputEvent {
    /// A new source: a named input, or a file a glob matched. Sent before
    /// any of its lines. `input` is the index of the configured input it
    /// comes from, which says how its lines are parsed.
    Added {
        source: SourceId,
        name: String,
        input: usize,
    },
    /// Complete lines, each ending in `\n` (only the last line of a closed
    /// stdin may lack it), in the order they were written.
    Lines { source: SourceId, data: Vec<u8> },
    /// Lines of a file, with where they end in it: one event, so that no
    /// state is ever saved with the lines counted but not their position
    /// (a restart would count them again).
    FileLines {
        source: SourceId,
        data: Vec<u8>,
        at: FileMark,
    },
    /// A line too long to hold: its first bytes and its full length.
    Oversized {
        source: SourceId,
        head: Vec<u8>,
        len: u64,
    },
    /// The input's state changed (following, waiting, rotated, done, error).
    State { source: SourceId, state: InputState },
    /// The file was rotated (counted for the `rotations` figure).
    Rotated { source: SourceId },
    /// The whole lines of `file` in `from..to`, sent instead of the lines
    /// themselves when a file holds a backlog (`backfill.rs`): counted on
    /// all cores before any later event. `at` is where they end (`to`).
    Backlog {
        source: SourceId,
        file: Arc<File>,
        /// The path the file is followed at: a copytruncate meanwhile
        /// leaves the bytes not read yet in a copy beside it.
        path: PathBuf,
        from: u64,
        to: u64,
        at: FileMark,
        /// The file is compressed (read once with `--from-start`): the
        /// backlog is its whole stream, decompressed (`from..to` are its
        /// compressed bytes, for progress), and has no mark.
        compressed: bool,
    },
    /// Lines from before where a file is read from, not counted, sent
    /// before its first lines: the header lines its lines were written
    /// under (a W3C log's last `#Fields:` block before the end it is
    /// followed from), which say how they parse.
    Preamble { source: SourceId, data: Vec<u8> },
    /// Where the source's lines sent so far end in their file, when no
    /// `FileLines` said it: a file's first position, or after an
    /// `Oversized` line (files only; stdin has no position). Once the
    /// engine has counted the lines before it, this is where a restart
    /// resumes (`--state`).
    Mark { source: SourceId, at: FileMark },
}

/// A place in a file: the end of the last line sent from it, with the
/// bytes just before that end as the file held them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMark {
    /// (device, inode).
    pub file: (u64, u64),
    /// Byte offset just past the last whole line.
    pub end: u64,
    /// Up to [`MARK_FP_LEN`] bytes ending at `end`: a file that still
    /// holds them there is the one the mark was made in, and was not
    /// truncated or rewritten since.
    pub fp: Vec<u8>,
}

/// Bytes of fingerprint a [`FileMark`] keeps.
pub const MARK_FP_LEN: usize = 1024;

/// What an input is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputState {
    /// Read to the end once (batch), or stdin closed.
    Done,
    /// Following: reading new lines as they are written.
    Following,
    /// The path does not exist (yet); checked periodically.
    Waiting,
    /// Rotated recently; the new file is being followed (the old one may
    /// still be drained for a grace period).
    Rotated,
    /// Cannot be read; the message says why.
    Error(String),
    /// Cannot be read, and nothing more will come: stdin that is binary or
    /// failed, a compressed file read once that is damaged (a followed file
    /// in [`InputState::Error`] may be fixed and is retried; these are
    /// not). Ends a run as [`InputState::Done`] does.
    Closed(String),
}

impl InputState {
    /// Nothing more will come from the input (a run whose inputs have all
    /// ended ends).
    pub fn ended(&self) -> bool {
        matches!(self, InputState::Done | InputState::Closed(_))
    }

    /// Why it cannot be read, if it cannot.
    pub fn error(&self) -> Option<&str> {
        match self {
            InputState::Error(e) | InputState::Closed(e) => Some(e),
            _ => None,
        }
    }

    pub fn label(&self) -> &str {
        match self {
            InputState::Done => "done",
            InputState::Following => "following",
            InputState::Waiting => "waiting",
            InputState::Rotated => "rotated",
            InputState::Error(_) | InputState::Closed(_) => "error",
        }
    }
}
