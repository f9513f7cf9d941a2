//! The distinct route names folded into the overflow route, counted from
//! batches of name hashes.
//!
//! Past the cap, a log with many distinct routes (100 000 in the benchmark)
//! folds a name on nearly every other line. Each shard used to dedup names
//! in its own hash set and report new ones to the registry's set, so every
//! folded line probed a table of up to 100 000 hashes at a random place: a
//! cache miss each time, ~8 % of the CPU on that file. A shared lock-free
//! table was no better (the miss is the cost, not the lock). So a shard now
//! only appends each folded name's hash to a buffer, sorts a full buffer,
//! and merges it here into one sorted list under the registry's lock:
//! sequential memory traffic only.
//!
//! Memory: at most [`FOLDED_TRACKED`] hashes (800 KB) here, briefly one
//! batch more and the sort's scratch while merging, plus a shard's buffer
//! ([`FOLDED_BATCH`] × 8 B = 512 KiB). Past the bound the count is
//! reported as a lower bound. Two names with the same 64-bit hash count
//! once: negligible below 100 000 names.

use super::FOLDED_TRACKED;

/// Hashes a shard collects before merging them here.
pub const FOLDED_BATCH: usize = 1 << 16;

#[derive(Default)]
pub struct FoldedNames {
    /// Distinct name hashes, ascending.
    sorted: Vec<u64>,
}

impl FoldedNames {
    /// Adds the hashes in `batch` ([`super::fold_hash`]es, repeats
    /// allowed). Returns whether the bound is reached: later names change
    /// nothing. Any order works; a sorted batch (as shards send, sorted
    /// outside the lock) makes this one merge of two runs, which is what
    /// the standard stable sort does with two ascending runs.
    pub fn add(&mut self, batch: &[u64]) -> bool {
        if self.sorted.len() < FOLDED_TRACKED && !batch.is_empty() {
            self.sorted.extend_from_slice(batch);
            self.sorted.sort();
            self.sorted.dedup();
            // Which names stay past the bound does not matter: the count
            // is only "at least" from then on.
            self.sorted.truncate(FOLDED_TRACKED);
        }
        self.sorted.len() >= FOLDED_TRACKED
    }

    /// Distinct names counted, and whether that is a lower bound (more than
    /// [`FOLDED_TRACKED`] were seen).
    pub fn count(&self) -> (u64, bool) {
        let n = self.sorted.len();
        (n as u64, n >= FOLDED_TRACKED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_distinct_hashes_across_batches_up_to_the_bound() {
        let mut s = FoldedNames::default();
        assert_eq!(s.count(), (0, false));
        assert!(!s.add(&[9, 5, 7, 5, 0]));
        assert_eq!(s.count(), (4, false));
        // Repeats of earlier batches, new ones below, between and above.
        s.add(&[7, 1, 6, 6, 9, 12, 0]);
        assert_eq!(s.count(), (7, false));
        assert_eq!(s.sorted, [0, 1, 5, 6, 7, 9, 12]);
        s.add(&[]);
        assert_eq!(s.count(), (7, false));

        let big: Vec<u64> = (100..FOLDED_TRACKED as u64 + 150).rev().collect();
        assert!(s.add(&big));
        assert_eq!(s.count(), (FOLDED_TRACKED as u64, true));
        assert!(s.add(&[3]));
        assert_eq!(s.count(), (FOLDED_TRACKED as u64, true));
    }
}
