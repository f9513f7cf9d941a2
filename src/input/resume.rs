//! What a restart resumes from (`--state`), as the follower needs it: the
//! last run's sources and how far each of their files was counted. Its own
//! file because both the follower's options (`follow.rs`) and the path
//! bookkeeping (`paths.rs`) use it.

use std::time::SystemTime;

use crate::engine::{FileMark, SourceId};

/// Where a restart resumes (`--state`): the sources of the last run, and
/// how far each of their files was counted.
#[derive(Clone, Debug)]
pub struct Resume {
    /// When the state was saved: a file written to after it without a mark
    /// holds lines nobody counted.
    pub saved_at: SystemTime,
    /// Each saved source: its name, its id (given back to the path of that
    /// name) and its files' marks.
    pub sources: Vec<(String, SourceId, Vec<FileMark>)>,
}
