//! The distinct route names folded into the overflow route, counted from
//! batches of name hashes.
//!
//! Past the cap, a log with many distinct routes (100 000 in the benchmark)
//! folds a name on nearly every other line. Each shard used to dedup names
//! in its own hash set, probing a table of up to 100 000 hashes at a random
//! place on every folded line: a cache miss each time, ~8 % of the CPU on
//! that file. Sorting each shard's batch of hashes and merging it into one
//! sorted list was sequential, but the sorts were ~2.5 % of the CPU. Now a
//! shard appends each folded name's hash to a buffer and hands a full one
//! to this set, which inserts the whole batch with the slot of the hash a
//! few places ahead being prefetched: the misses overlap instead of
//! stalling one by one, and nothing is sorted.
//!
//! Memory: an open-addressing table of `u64`s with room for twice
//! [`FOLDED_TRACKED`] names, 2 MiB (allocated on the first folded name:
//! nothing for a log under the cap), plus a shard's buffer ([`FOLDED_BATCH`] × 8 B =
//! 512 KiB). Past the bound the count is reported as a lower bound. Two
//! names with the same 64-bit hash count once: negligible below 100 000
//! names.

use crate::simd::prefetch;

/// How many distinct folded routes are counted exactly before the count
/// becomes "at least": bounds the memory of a hostile flood of routes.
pub const FOLDED_TRACKED: usize = 100_000;

/// What the folded-route count remembers of a route name.
#[inline]
pub fn fold_hash(name: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(name)
}

/// Hashes a shard collects before adding them here.
pub const FOLDED_BATCH: usize = 1 << 16;

/// Table slots: at most half of them are ever used.
const SLOTS: usize = (2 * FOLDED_TRACKED).next_power_of_two();

/// Hashes ahead whose slot is prefetched while one is inserted.
const AHEAD: usize = 16;

pub struct FoldedNames {
    /// Open addressing, linear probing; 0 is an empty slot (a hash of 0 is
    /// `zero`).
    table: Vec<u64>,
    /// Hashes in `table`, plus one for `zero`.
    len: usize,
    zero: bool,
    /// Mixed into a hash before it picks its slot: names come from the
    /// log, and FxHash is no defence against names made to crowd one
    /// stretch of the table (every probe would then walk it).
    seed: u64,
}

impl Default for FoldedNames {
    fn default() -> Self {
        use std::hash::BuildHasher;
        FoldedNames {
            table: Vec::new(),
            len: 0,
            zero: false,
            seed: std::collections::hash_map::RandomState::new().hash_one(0u64),
        }
    }
}

impl FoldedNames {
    /// Adds the hashes in `batch` ([`fold_hash`]es, repeats
    /// allowed). Returns whether the bound is reached: later names change
    /// nothing.
    pub fn add(&mut self, batch: &[u64]) -> bool {
        for (i, &h) in batch.iter().enumerate() {
            if self.len >= FOLDED_TRACKED {
                // Which names count past the bound does not matter: the
                // count is only "at least" from then on.
                break;
            }
            if self.table.is_empty() {
                // At its full size at once: growing freed (unmapped) each
                // smaller table, and every unmapping interrupted the other
                // cores to flush their TLBs (~4 % of the CPU, by `perf`).
                self.table = vec![0; SLOTS];
            }
            if let Some(&next) = batch.get(i + AHEAD) {
                prefetch(&self.table[self.slot_of(next)]);
            }
            self.insert(h);
        }
        self.len >= FOLDED_TRACKED
    }

    /// Distinct names counted, and whether that is a lower bound (more than
    /// [`FOLDED_TRACKED`] were seen).
    pub fn count(&self) -> (u64, bool) {
        (self.len as u64, self.len >= FOLDED_TRACKED)
    }

    /// The hashes counted (saved state: adding them again restores the
    /// count).
    pub fn hashes(&self) -> Vec<u64> {
        let mut out: Vec<u64> = self.table.iter().copied().filter(|&h| h != 0).collect();
        if self.zero {
            out.push(0);
        }
        out
    }

    /// The slot where `h`'s probe starts.
    #[inline]
    fn slot_of(&self, h: u64) -> usize {
        let mixed = (h ^ self.seed).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> (64 - SLOTS.trailing_zeros())) as usize
    }

    #[inline]
    fn insert(&mut self, h: u64) {
        if h == 0 {
            self.len += usize::from(!self.zero);
            self.zero = true;
            return;
        }
        let mask = self.table.len() - 1;
        let mut i = self.slot_of(h);
        loop {
            match self.table[i] {
                0 => {
                    self.table[i] = h;
                    self.len += 1;
                    return;
                }
                x if x == h => return,
                _ => i = (i + 1) & mask,
            }
        }
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
        s.add(&[]);
        assert_eq!(s.count(), (7, false));

        // Consecutive values: the worst case for slots taken from the
        // hash's bits as they are.
        let big: Vec<u64> = (100..FOLDED_TRACKED as u64 + 150).rev().collect();
        assert!(s.add(&big));
        assert_eq!(s.count(), (FOLDED_TRACKED as u64, true));
        assert!(s.add(&[3]));
        assert_eq!(s.count(), (FOLDED_TRACKED as u64, true));
    }

    use proptest::collection::vec;
    use proptest::prelude::*;

    /// What a batch holds: a hash, or one made to start its probe at
    /// `slot` (with `low` in the bits below the slot's), the kind of input
    /// that crowds one stretch of the table.
    #[derive(Clone, Copy, Debug)]
    enum Item {
        Hash(u64),
        AtSlot { slot: usize, low: u64 },
    }

    impl Item {
        /// The hash, made for `s`'s table.
        fn hash(self, s: &FoldedNames) -> u64 {
            match self {
                Item::Hash(h) => h,
                Item::AtSlot { slot, low } => {
                    // The inverse of `slot_of`'s multiplier (odd, so it
                    // has one modulo 2^64), by Newton's iteration.
                    const K: u64 = 0x9E37_79B9_7F4A_7C15;
                    let mut inv = K;
                    for _ in 0..6 {
                        inv = inv.wrapping_mul(2u64.wrapping_sub(K.wrapping_mul(inv)));
                    }
                    let shift = 64 - SLOTS.trailing_zeros();
                    let mixed = (slot as u64) << shift | low & ((1 << shift) - 1);
                    mixed.wrapping_mul(inv) ^ s.seed
                }
            }
        }
    }

    /// 1 to 6 batches of up to 1 000 hashes: mostly of names `/r/N` from a
    /// pool of 1 to 30 000 (small pools repeat names within and across
    /// batches), some raw values: 0 (counted apart from the table), small
    /// consecutive ones, any; and hashes whose probes start in the first or
    /// last 40 slots (long probe runs, wrapping round the table's end).
    fn batches() -> impl Strategy<Value = Vec<Vec<Item>>> {
        (1..=30_000u32).prop_flat_map(|pool| {
            let item = prop_oneof![
                12 => (0..pool).prop_map(|i| Item::Hash(fold_hash(format!("/r/{i}").as_bytes()))),
                1 => Just(Item::Hash(0)),
                1 => (0..64u64).prop_map(Item::Hash),
                1 => any::<u64>().prop_map(Item::Hash),
                2 => (prop_oneof![0..40usize, SLOTS - 40..SLOTS], 0..8u64)
                    .prop_map(|(slot, low)| Item::AtSlot { slot, low }),
            ];
            vec(vec(item, 0..=1_000), 1..=6)
        })
    }

    proptest! {
        // 24 cases of up to 6 000 hashes: ~0.15 s in a debug build
        // (settings: `crate::props`).
        #![proptest_config(crate::props::config(24))]

        /// Batches of hashes with repeats, within and across batches: the
        /// count is that of a reference set.
        #[test]
        fn counts_like_a_set(batches in batches()) {
            let mut s = FoldedNames::default();
            let mut reference = std::collections::HashSet::new();
            for (i, batch) in batches.iter().enumerate() {
                let hashes: Vec<u64> = batch.iter().map(|item| item.hash(&s)).collect();
                for (item, &h) in batch.iter().zip(&hashes) {
                    if let Item::AtSlot { slot, .. } = item {
                        prop_assert_eq!(s.slot_of(h), *slot);
                    }
                }
                reference.extend(hashes.iter().copied());
                prop_assert!(!s.add(&hashes));
                prop_assert_eq!(s.count(), (reference.len() as u64, false), "batch {}", i);
            }
        }
    }
}
