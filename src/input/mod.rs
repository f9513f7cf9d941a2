//! Inputs: what the user names (paths, globs, `-`) and how their bytes reach
//! the engine. [`batch`] reads inputs to the end on all cores for `--once`.

pub mod batch;

use std::path::{Path, PathBuf};

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
