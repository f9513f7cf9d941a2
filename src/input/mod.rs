//! Inputs: what the user names (paths, globs, `-`) and how their bytes reach
//! the engine. [`batch`] reads inputs to the end on all cores for `--once`;
//! live followers ([`follow`]) send [`InputEvent`]s to the engine thread.

pub mod batch;
pub mod follow;
mod lines;
mod paths;
mod stdin;
mod tail;
mod watch;

pub use follow::{FollowHandle, FollowOptions};

use std::path::{Path, PathBuf};

use crate::engine::SourceId;
pub use crate::engine::snapshot::InputState;
use crate::format::FormatSpec;

/// What live inputs send to the engine, in order per source.
#[derive(Debug)]
pub enum InputEvent {
    /// A new source: a named input, or a file a glob matched. Sent before
    /// any of its lines.
    Added {
        source: SourceId,
        name: String,
        format: FormatSpec,
    },
    /// Complete lines, each ending in `\n` (only the last line of a closed
    /// stdin may lack it), in the order they were written.
    Lines { source: SourceId, data: Vec<u8> },
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
}

/// An input as given on the command line or in the config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputSpec {
    Stdin,
    /// A file path or a glob pattern.
    Path(String),
}

impl InputSpec {
    pub fn parse(s: &str) -> InputSpec {
        if s == "-" {
            InputSpec::Stdin
        } else {
            InputSpec::Path(s.to_string())
        }
    }

    pub fn is_glob(&self) -> bool {
        matches!(self, InputSpec::Path(p) if p.contains(['*', '?', '[']))
    }

    pub fn display(&self) -> String {
        match self {
            InputSpec::Stdin => "stdin".into(),
            InputSpec::Path(p) => p.clone(),
        }
    }
}

/// Files a path or glob names now, sorted. A plain path is returned as is
/// (whether it exists is for the caller to find out); a glob that matches
/// nothing gives an empty list.
pub fn expand(pattern: &str) -> Result<Vec<PathBuf>, String> {
    if !InputSpec::Path(pattern.to_string()).is_glob() {
        return Ok(vec![PathBuf::from(pattern)]);
    }
    let paths = glob::glob(pattern).map_err(|e| format!("bad glob `{pattern}`: {e}"))?;
    let mut out: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| is_regular(p))
        .collect();
    out.sort();
    Ok(out)
}

fn is_regular(p: &Path) -> bool {
    std::fs::metadata(p).map(|m| m.is_file()).unwrap_or(false)
}
