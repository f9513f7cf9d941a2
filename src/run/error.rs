//! Errors that end a run, each shown as one line, and the exit code each
//! gives (`main.rs`; the README lists them under `--once`).

use std::io;

use crate::config::ConfigError;
use crate::input::BatchError;

/// Errors that end a run, each shown as one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Batch(#[from] BatchError),
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Io(#[from] io::Error),
    /// `--once` read lines but not one parsed (a wrong `-f`, say), and
    /// `--allow-empty` was not given. The report was written.
    #[error("{0}")]
    NothingParsed(String),
    /// `--once` left out inputs it could not read or whose format it could
    /// not detect (each reported on stderr); the report covers the rest.
    #[error("{0}")]
    Partial(String),
    /// `--once --slo`: an objective is not met over the lines read. The
    /// report was written.
    #[error("{0}")]
    SloViolated(String),
}

/// Exit code of bad settings (before any input is read).
pub const EXIT_SETTINGS: u8 = 2;

impl Error {
    /// The process exit code: 1 a failed run, 2 bad settings, 3 lines read
    /// but none parsed, 4 a partial report, 5 an objective not met.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) => EXIT_SETTINGS,
            Error::NothingParsed(_) => 3,
            Error::Partial(_) => 4,
            Error::SloViolated(_) => 5,
            Error::Batch(_) | Error::Input(_) | Error::Io(_) => 1,
        }
    }
}
