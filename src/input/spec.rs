//! What the user names as inputs — a path, a glob or `-` for stdin — and
//! what each is called in views and reports.

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

/// An input as given: what to read, and what to call it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub spec: InputSpec,
    /// Shown instead of the path (config `name`).
    pub name: Option<String>,
}

impl Input {
    /// An input without a name of its own.
    pub fn new(spec: InputSpec) -> Input {
        Input { spec, name: None }
    }

    /// What file `path`, found by this input, is called: its path, or the
    /// input's name; `name:path` when the input names `several` files.
    /// `--once` knows how many files a glob matches; a follower does not (a
    /// glob may match more later), so it says `several` for every glob.
    pub fn file_name(&self, path: &Path, several: bool) -> String {
        let shown = path.display().to_string();
        match (&self.name, several) {
            (Some(n), false) => n.clone(),
            (Some(n), true) => format!("{n}:{shown}"),
            (None, _) => shown,
        }
    }
}
