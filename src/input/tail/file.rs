//! A followed file's identity and the fingerprint check: what tells a
//! file that was truncated or replaced under us from one that grew.

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};

/// Bytes of fingerprint kept before the offset. A log line carries a
/// timestamp and a request, so a kilobyte of it is never reproduced by
/// accident at the same place in regrown content.
pub(crate) const FP_LEN: usize = 1024;

/// A file's identity: (device, inode).
pub(crate) type FileId = (u64, u64);

pub(crate) fn file_id(m: &Metadata) -> FileId {
    (m.dev(), m.ino())
}

/// Reads `buf.len()` bytes at `at`, or fewer at the file's end.
pub(super) fn read_full_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], at + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Does `file` hold `fp` just before `offset`?
pub(crate) fn holds(file: &File, offset: u64, fp: &[u8]) -> io::Result<bool> {
    if fp.is_empty() {
        return Ok(true);
    }
    let Some(at) = offset.checked_sub(fp.len() as u64) else {
        return Ok(false);
    };
    let mut now = [0u8; FP_LEN];
    let now = &mut now[..fp.len().min(FP_LEN)];
    match file.read_exact_at(now, at) {
        Ok(()) => Ok(now == fp),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}
