//! Sources: every `.rs` file under `src/` except the binary (`src/main.rs`),
//! read into memory by path.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// File texts by path relative to the repository root, with `/` separators
/// (`src/format/json.rs`).
pub(crate) struct Sources {
    pub(crate) files: BTreeMap<String, String>,
}

impl Sources {
    pub(crate) fn read(root: &Path) -> Sources {
        let mut files = BTreeMap::new();
        let mut dirs = vec![root.join("src")];
        while let Some(dir) = dirs.pop() {
            let entries =
                fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
            for entry in entries {
                let path = entry
                    .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
                    .path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|x| x != "rs") {
                    continue;
                }
                let rel = path
                    .strip_prefix(root)
                    .expect("a file under src/")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                if rel == "src/main.rs" {
                    continue;
                }
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                files.insert(rel, text);
            }
        }
        Sources { files }
    }
}
