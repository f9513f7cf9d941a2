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

/// Files a path or glob names now, in `rotation_order`'s order. A plain path is
/// returned as is (whether it exists is for the caller to find out); a glob
/// that matches nothing gives an empty list.
pub fn expand(pattern: &str) -> Result<Vec<PathBuf>, String> {
    if !InputSpec::Path(pattern.to_string()).is_glob() {
        return Ok(vec![PathBuf::from(pattern)]);
    }
    let paths = glob::glob(pattern).map_err(|e| format!("bad glob `{pattern}`: {e}"))?;
    let mut out: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| is_regular(p))
        .collect();
    out.sort_by_cached_key(|p| rotation_order(p));
    Ok(out)
}

/// Where a file goes in a glob's list: by path, except that a rotated set
/// reads oldest first, as its lines were written. A name ending in `.N`
/// (digits), before any `.gz`, `.zst`, `.bz2` or `.xz`, is rotation `N` of
/// the name before it: `access.log.3.gz`, `access.log.2.gz`, `access.log.1`,
/// then `access.log` itself (the current file, newest). Other names
/// (`a.log`, `access.log-20240101.gz`: a date sorts as written) keep the
/// plain order of their path.
pub fn rotation_order(p: &Path) -> (PathBuf, std::cmp::Reverse<u64>) {
    let plain = (p.to_path_buf(), std::cmp::Reverse(0));
    // A name that is not UTF-8 keeps the plain order.
    let Some(s) = p.to_str() else {
        return plain;
    };
    let stem = [".gz", ".zst", ".bz2", ".xz"]
        .iter()
        .find_map(|ext| s.strip_suffix(ext))
        .unwrap_or(s);
    let Some((base, n)) = stem.rsplit_once('.') else {
        return plain;
    };
    let numbered = !base.is_empty() && (1..=9).contains(&n.len());
    match n.parse::<u64>() {
        // Rotation 0 is the current file: after every numbered one.
        Ok(n) if numbered && n < u64::MAX => (PathBuf::from(base), std::cmp::Reverse(n + 1)),
        _ => plain,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_set_is_read_oldest_first() {
        let mut names = vec![
            "log/access.log",
            "log/access.log.1",
            "log/access.log.10.gz",
            "log/access.log.2.gz",
            "log/access.log.3.zst",
            "log/access.log.9.bz2",
            "log/error.log",
            "log/error.log.1.xz",
            "log/a.log",
            "log/access.log-20240102.gz",
            "log/access.log-20240101.gz",
        ];
        names.sort_by_cached_key(|n| rotation_order(Path::new(n)));
        assert_eq!(
            names,
            [
                "log/a.log",
                "log/access.log.10.gz",
                "log/access.log.9.bz2",
                "log/access.log.3.zst",
                "log/access.log.2.gz",
                "log/access.log.1",
                "log/access.log",
                "log/access.log-20240101.gz",
                "log/access.log-20240102.gz",
                "log/error.log.1.xz",
                "log/error.log",
            ]
        );
    }
}
