//! The block reader's own cases.

use std::fs::File;
use std::sync::Arc;

use super::*;
use crate::engine::backfill::CopyHint;
use crate::input::tail::file_id;

/// Regression: a copytruncate while the backfill's workers read a
/// backlog lost the bytes they had not read yet (the file was cut to
/// nothing under them). They are read on from the copy.
#[test]
fn a_backlog_truncated_under_the_workers_is_read_on_from_its_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let text: Vec<u8> = (0..5000)
        .flat_map(|i| format!("line {i} of the backlog\n").into_bytes())
        .collect();
    std::fs::write(&path, &text).unwrap();
    let file = File::open(&path).unwrap();
    let id = file_id(&file.metadata().unwrap());
    let to = text.len() as u64;
    let hint = CopyHint {
        path: path.clone(),
        file: id,
        end: to,
        fp: text[text.len() - 1024..].to_vec(),
    };
    let range = |copy| Range::new(Arc::new(file.try_clone().unwrap()), 0, to, copy);
    let (mut with, mut without) = (range(Some(hint)), range(None));
    // The workers have read the first 4 KiB when logrotate copies and
    // truncates.
    let mut got = vec![0u8; 4096];
    with.read_exact(&mut got).unwrap();
    let mut got2 = vec![0u8; 4096];
    without.read_exact(&mut got2).unwrap();
    std::fs::copy(&path, dir.path().join("access.log.1")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    with.read_to_end(&mut got).unwrap();
    assert_eq!(
        got, text,
        "every byte of the backlog, the rest from the copy"
    );
    without.read_to_end(&mut got2).unwrap();
    assert_eq!(got2.len(), 4096, "without a hint it ends at the truncation");
}
