//! A worker's memory of the keys of the last JSON line it walked, so that
//! the next line's keys are recognised by a compare in place.
//!
//! A producer writes every line of a JSON log from one template: the same
//! keys in the same order, only the values change. Finding a key's closing
//! quote and looking the key up in the table of mapped paths
//! (`keys.rs`) was about half of the walk's time per key. Here the walker
//! first asks whether the bytes at its cursor are the key that stood at
//! the same place in the walk of the last line (same index in walk order,
//! same depth), followed by its closing quote: one compare of a few words,
//! and the key's entry is the one the table gave then.
//!
//! Why the answer is the table's: a key is recalled only while every key
//! before it in this line was recalled too (a miss replaces the memory
//! from there on with this line's keys), so its parents are the same keys
//! at the same depths: its dotted path, and whether the walk descended to
//! reach it, are those of the last line. A key is compared as it stands in
//! the line, escapes and all: a remembered key never ends in an odd run of
//! backslashes (its closing quote would be escaped), so the same bytes
//! before a quote are the whole string there too. The memory belongs to one format (its owner id): a worker
//! reading two JSON inputs of different mappings starts afresh on each
//! switch.

use super::keys::same_bytes;

/// Keys remembered at most, and their bytes: a line beyond them is walked
/// as if they were the last (what a log of a hundred keys loses is the
/// recall of its last ones).
const MAX_KEYS: usize = 128;
const MAX_BYTES: usize = 4096;

/// One key of the last line, in walk order.
#[derive(Clone, Copy, Debug)]
struct Seen {
    /// Where its bytes are in [`Recall::bytes`], stored as `"key":`.
    start: u32,
    /// The key's length, without the quotes and colon.
    len: u32,
    depth: u8,
    /// What the format's table said of it.
    entry: Option<u32>,
}

#[derive(Debug, Default)]
pub struct Recall {
    owner: u64,
    seen: Vec<Seen>,
    bytes: Vec<u8>,
}

impl Recall {
    /// Starts a line of the format of id `owner` (from 1).
    #[inline(always)]
    pub(super) fn begin(&mut self, owner: u64) {
        if self.owner != owner {
            self.owner = owner;
            self.seen.clear();
            self.bytes.clear();
        }
    }

    /// If the key at `line[at]` (a `"`) is the `k`-th key of the last
    /// line's walk, at the same `depth`: the offset of its closing quote
    /// and the entry it had.
    #[inline(always)]
    pub(super) fn recall(
        &self,
        k: usize,
        line: &[u8],
        at: usize,
        depth: u8,
    ) -> Option<(usize, Option<u32>)> {
        // `"key"`: the stored bytes but the colon.
        self.stored(k, line, at, depth, 2)
            .map(|(after, entry)| (after - 1, entry))
    }

    /// [`Recall::recall`] of a key written compactly, `"key":` with its
    /// value right after the colon: one compare of the quotes, the key and
    /// the colon together. The offset of the value's first byte, and the
    /// entry.
    #[inline(always)]
    pub(super) fn recall_compact(
        &self,
        k: usize,
        line: &[u8],
        at: usize,
        depth: u8,
    ) -> Option<(usize, Option<u32>)> {
        self.stored(k, line, at, depth, 3)
    }

    /// Whether `line` from `at` holds the first `len + extra` stored bytes
    /// (`"key":`) of the `k`-th key of the last line's walk, at the same
    /// `depth`: the offset after them, and the key's entry.
    #[inline(always)]
    fn stored(
        &self,
        k: usize,
        line: &[u8],
        at: usize,
        depth: u8,
        extra: usize,
    ) -> Option<(usize, Option<u32>)> {
        let s = self.seen.get(k)?;
        if s.depth != depth {
            return None;
        }
        let n = s.len as usize + extra;
        let from = s.start as usize;
        let known = self.bytes.get(from..from + n)?;
        same_bytes(line.get(at..at + n)?, known).then_some((at + n, s.entry))
    }

    /// Remembers `key` as the `k`-th key of this line's walk (the memory
    /// of the last line from there on is dropped).
    pub(super) fn learn(&mut self, k: usize, key: &[u8], depth: u8, entry: Option<u32>) {
        if let Some(s) = self.seen.get(k) {
            self.bytes.truncate(s.start as usize);
            self.seen.truncate(k);
        }
        // Past the bounds the rest of the line is not remembered, and
        // indexes after a gap would not be walk order.
        if self.seen.len() != k || k >= MAX_KEYS || self.bytes.len() + key.len() + 3 > MAX_BYTES {
            return;
        }
        self.seen.push(Seen {
            start: self.bytes.len() as u32,
            len: key.len() as u32,
            depth,
            entry,
        });
        // As a compact line writes it (`recall_compact`).
        self.bytes.push(b'"');
        self.bytes.extend_from_slice(key);
        self.bytes.extend_from_slice(b"\":");
    }
}
