//! Where a rotation put the file it moved away: a copytruncate's copy
//! (found by our fingerprint at our offset), and the files beside a path
//! that a rotation may have renamed it to.

use std::fs::{self, File};
use std::path::Path;
use std::time::SystemTime;

use super::file::{FP_LEN, FileId, file_id, holds};

/// Compressed copies cannot hold our fingerprint; skip reading them.
const COMPRESSED: [&str; 6] = [".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z"];

/// `tail::find_copy` of the file `id` at `path`, by what it held just before
/// `offset` (`fp`, at most [`FP_LEN`] bytes).
pub(crate) fn find_copy_of(
    path: &Path,
    offset: u64,
    fp: &[u8],
    not: FileId,
) -> Option<(File, FileId)> {
    if fp.is_empty() {
        return None;
    }
    let fp = &fp[fp.len().saturating_sub(FP_LEN)..];
    let mut found: Option<(SystemTime, File, FileId)> = None;
    for (file, m) in siblings(path) {
        let id = file_id(&m);
        if m.len() < offset || id == not || !holds(&file, offset, fp).unwrap_or(false) {
            continue;
        }
        let mtime = m.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if found.as_ref().is_none_or(|(t, _, _)| mtime > *t) {
            found = Some((mtime, file, id));
        }
    }
    found.map(|(_, f, id)| (f, id))
}

/// The regular files beside `path` whose names extend its own
/// (`access.log.1`, `access.log-20240101`), not compressed ([`COMPRESSED`]),
/// open, with their metadata: where a rotation puts the file it moves away
/// (a copytruncate's copy, a renamed file). None when the directory cannot
/// be read.
pub(crate) fn siblings(path: &Path) -> Vec<(File, fs::Metadata)> {
    let Some(base) = path.file_name().and_then(|b| b.to_str()) else {
        return Vec::new();
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name == base || !name.starts_with(base) || COMPRESSED.iter().any(|s| name.ends_with(s)) {
            continue;
        }
        let Ok(file) = File::open(entry.path()) else {
            continue;
        };
        match file.metadata() {
            Ok(m) if m.is_file() => out.push((file, m)),
            _ => {}
        }
    }
    out
}
