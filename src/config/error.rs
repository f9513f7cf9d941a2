//! The one error type of settings: a message that names the flag or the
//! place in the config file.

use crate::format::FormatError;

/// A setting that cannot be used, said in one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl From<FormatError> for ConfigError {
    fn from(e: FormatError) -> Self {
        ConfigError(e.to_string())
    }
}
