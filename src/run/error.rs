//! Errors that end a run, each shown as one line.

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
}
