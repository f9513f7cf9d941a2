//! A shard's cache of route names: name → (route id, a mark), with short
//! names stored in the table's own slots.
//!
//! Nearly every line looks a name up here, often twice (the path, then its
//! template). With `Box<[u8]>` keys each hit read the name from its own heap
//! allocation after finding the slot: one more dependent cache miss per
//! lookup, since the log streaming through the cache evicts a table that
//! is otherwise small (`memcmp` on key bytes was ~4 % of the CPU). Here a
//! slot is one 64-byte line holding the hash, the id, the mark and a name of
//! up to [`INLINE`] bytes; longer names live in a side list. Callers pass
//! the name's hash ([`fold_hash`]), so a name hashed for one lookup is not
//! hashed again for the next or for the folded-name count.
//!
//! Memory: 64 B per name plus hashbrown's control byte; names are capped by
//! the route table (`--max-routes`).

use hashbrown::HashTable;

use crate::route::RouteId;
#[cfg(doc)]
use crate::route::fold_hash;

/// Names up to this long are stored in their slot.
const INLINE: usize = 40;

#[repr(C, align(64))]
struct Slot {
    hash: u64,
    id: RouteId,
    mark: u32,
    len: u32,
    /// Index in `Names::long` when `len > INLINE`.
    long: u32,
    inline: [u8; INLINE],
}

#[derive(Default)]
pub(super) struct Names {
    table: HashTable<Slot>,
    long: Vec<Box<[u8]>>,
}

impl Names {
    #[inline]
    fn key<'a>(long: &'a [Box<[u8]>], s: &'a Slot) -> &'a [u8] {
        let n = s.len as usize;
        if n <= INLINE {
            &s.inline[..n]
        } else {
            &long[s.long as usize]
        }
    }

    /// The id and mark of `name` (of hash `hash`).
    #[inline]
    pub(super) fn get(&self, hash: u64, name: &[u8]) -> Option<(RouteId, u32)> {
        let long = &self.long;
        self.table
            .find(hash, |s| s.hash == hash && Names::key(long, s) == name)
            .map(|s| (s.id, s.mark))
    }

    /// The id of `name`, setting its mark to `mark` if given.
    #[inline]
    pub(super) fn get_marking(
        &mut self,
        hash: u64,
        name: &[u8],
        mark: Option<u32>,
    ) -> Option<RouteId> {
        let long = &self.long;
        let s = self
            .table
            .find_mut(hash, |s| s.hash == hash && Names::key(long, s) == name)?;
        if let Some(m) = mark {
            s.mark = m;
        }
        Some(s.id)
    }

    pub(super) fn contains(&self, hash: u64, name: &[u8]) -> bool {
        self.get(hash, name).is_some()
    }

    /// Adds `name`, which must not be present.
    pub(super) fn insert(&mut self, hash: u64, name: &[u8], id: RouteId, mark: u32) {
        let mut slot = Slot {
            hash,
            id,
            mark,
            len: name.len() as u32,
            long: 0,
            inline: [0; INLINE],
        };
        if name.len() <= INLINE {
            slot.inline[..name.len()].copy_from_slice(name);
        } else {
            slot.long = self.long.len() as u32;
            self.long.push(name.into());
        }
        self.table.insert_unique(hash, slot, |s| s.hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::fold_hash;

    #[test]
    fn short_and_long_names_are_found_and_marked() {
        let mut n = Names::default();
        let long = "/x".repeat(100);
        let names: Vec<Vec<u8>> = (0..300)
            .map(|i| format!("/r{i}{}", if i % 3 == 0 { &long } else { "" }).into_bytes())
            .collect();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(n.get(fold_hash(name), name), None);
            n.insert(fold_hash(name), name, i as RouteId, 0);
        }
        for (i, name) in names.iter().enumerate() {
            let h = fold_hash(name);
            assert_eq!(n.get(h, name), Some((i as RouteId, 0)));
            assert_eq!(n.get_marking(h, name, Some(7)), Some(i as RouteId));
            assert_eq!(n.get(h, name), Some((i as RouteId, 7)));
            assert!(n.contains(h, name));
        }
        // A name differing only in its last byte, or a prefix, is absent.
        let mut other = names[3].clone();
        *other.last_mut().unwrap() ^= 1;
        assert!(!n.contains(fold_hash(&other), &other));
        assert!(!n.contains(fold_hash(&names[3][..5]), &names[3][..5]));
        // Exactly INLINE bytes and one more.
        for len in [INLINE, INLINE + 1] {
            let name = vec![b'a'; len];
            n.insert(fold_hash(&name), &name, 999, 1);
            assert_eq!(n.get(fold_hash(&name), &name), Some((999, 1)));
        }
        assert_eq!(std::mem::size_of::<Slot>(), 64);
    }
}
