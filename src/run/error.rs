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

/// Every exit code and what it means, for the man page (`run/generate.rs`);
/// `exit_codes_are_documented` holds [`Error::exit_code`] to it.
pub const EXIT_CODES: &[(u8, &str)] = &[
    (
        0,
        "success (with --once: a report was written and at least one line parsed, or --allow-empty)",
    ),
    (
        1,
        "the run failed: an input could not be read to the end, a listen address or a --state file was taken, an I/O error",
    ),
    (
        EXIT_SETTINGS,
        "bad settings: a flag, ROUTETOP_* variable or config file value was refused; nothing was read",
    ),
    (
        3,
        "--once read lines but none parsed (a wrong -f?); the report was written",
    ),
    (
        4,
        "--once left out inputs it could not read or whose format it could not detect; the report covers the rest",
    ),
    (
        5,
        "--once --slo: an objective is not met over the lines read; the report was written",
    ),
];

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigError;

    #[test]
    fn exit_codes_are_documented() {
        let errors = [
            Error::Config(ConfigError("x".into())),
            Error::Batch(BatchError::Input("x".into())),
            Error::Input("x".into()),
            Error::Io(io::Error::other("x")),
            Error::NothingParsed("x".into()),
            Error::Partial("x".into()),
            Error::SloViolated("x".into()),
        ];
        let mut codes: Vec<u8> = errors.iter().map(Error::exit_code).collect();
        codes.push(0);
        codes.sort_unstable();
        codes.dedup();
        let documented: Vec<u8> = EXIT_CODES.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, documented);
    }
}
