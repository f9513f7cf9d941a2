//! The mapped key paths of a JSON format, looked up by the bytes of a key
//! as they stand in the line.
//!
//! Every key of every line is looked up, mapped or not (a Cloudflare line
//! has ten, a Google Cloud entry a dozen across its nested objects), so
//! this is the walker's hottest step. A `HashMap<Box<[u8]>, _>` hashed
//! every byte of the key and then compared it through a `memcmp` call;
//! the walker also copied each top-level key into the path buffer first.
//! Here a key is known by its length and its first and last eight bytes,
//! read as two words straight from the line: they pick the slot (one
//! multiply) and, for keys of up to 16 bytes, are the whole comparison;
//! longer keys compare their middle bytes too, only once the words match.
//! A key of no mapped path misses on the words nearly always.

/// What a path maps to: the slot it fills (an index the caller gives
/// meaning to) and whether objects under it are worth descending into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<T> {
    pub target: Option<T>,
    pub prefix: bool,
}

#[derive(Debug)]
struct Key<T> {
    bytes: Box<[u8]>,
    sig: Sig,
    entry: Entry<T>,
}

/// A key's length and its first and last eight bytes (zero-padded when
/// shorter; the two overlap when it is shorter than 16).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sig {
    len: usize,
    head: u64,
    tail: u64,
}

impl Sig {
    #[inline(always)]
    fn of(key: &[u8]) -> Sig {
        let len = key.len();
        let word = |b: &[u8]| -> u64 {
            match <[u8; 8]>::try_from(b) {
                Ok(w) => u64::from_le_bytes(w),
                Err(_) => {
                    let mut w = [0u8; 8];
                    w[..b.len()].copy_from_slice(b);
                    u64::from_le_bytes(w)
                }
            }
        };
        if len >= 8 {
            Sig {
                len,
                head: word(&key[..8]),
                tail: word(&key[len - 8..]),
            }
        } else {
            let w = word(key);
            Sig {
                len,
                head: w,
                tail: w,
            }
        }
    }

    #[inline(always)]
    fn slot(self, mask: usize) -> usize {
        let h = (self.head ^ self.tail.rotate_left(29) ^ self.len as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 40) as usize & mask
    }
}

/// An open-addressed table of key paths (linear probing, at most a
/// quarter full, so a miss ends within a slot or two).
#[derive(Debug)]
pub struct Keys<T> {
    keys: Vec<Key<T>>,
    /// Index into `keys` + 1; 0 is empty.
    slots: Vec<u32>,
    mask: usize,
}

impl<T: Copy> Keys<T> {
    /// The table of `paths`; a path given twice keeps its first target and
    /// is a prefix if either says so.
    pub fn new(paths: impl IntoIterator<Item = (Vec<u8>, Entry<T>)>) -> Keys<T> {
        let mut keys: Vec<Key<T>> = Vec::new();
        for (bytes, entry) in paths {
            if let Some(k) = keys.iter_mut().find(|k| *k.bytes == *bytes) {
                k.entry.target = k.entry.target.or(entry.target);
                k.entry.prefix |= entry.prefix;
                continue;
            }
            keys.push(Key {
                sig: Sig::of(&bytes),
                bytes: bytes.into(),
                entry,
            });
        }
        let size = (keys.len() * 4).next_power_of_two().max(16);
        let mask = size - 1;
        let mut slots = vec![0u32; size];
        for (i, k) in keys.iter().enumerate() {
            let mut s = k.sig.slot(mask);
            while slots[s] != 0 {
                s = (s + 1) & mask;
            }
            slots[s] = (i + 1) as u32;
        }
        Keys { keys, slots, mask }
    }

    /// The entry of `key`, if it is a mapped path or a prefix of one.
    #[cfg(test)]
    pub fn get(&self, key: &[u8]) -> Option<Entry<T>> {
        self.find(key).map(|i| self.at(i))
    }

    /// Where `key`'s entry is (for [`Keys::at`]), if it has one.
    #[inline(always)]
    pub fn find(&self, key: &[u8]) -> Option<u32> {
        let sig = Sig::of(key);
        let mut s = sig.slot(self.mask);
        loop {
            let i = *self.slots.get(s)?;
            let k = self.keys.get((i as usize).checked_sub(1)?)?;
            if k.sig == sig && (sig.len <= 16 || same_middle(&k.bytes, key)) {
                return Some(i - 1);
            }
            s = (s + 1) & self.mask;
        }
    }

    /// The entry [`Keys::find`] found at `i`.
    #[inline(always)]
    pub fn at(&self, i: u32) -> Entry<T> {
        self.keys[i as usize].entry
    }
}

/// Whether `a` and `b` are the same bytes: compared as overlapping words
/// from both ends (and the middle past 32 bytes), in line: keys are short,
/// and a slice compare is a `memcmp` call.
#[inline(always)]
pub(super) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if b.len() != n {
        return false;
    }
    let w8 = |s: &[u8], at: usize| s.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok());
    let w4 = |s: &[u8], at: usize| s.get(at..at + 4).and_then(|w| <[u8; 4]>::try_from(w).ok());
    let w16 = |s: &[u8], at: usize| {
        s.get(at..at + 16)
            .and_then(|w| <[u8; 16]>::try_from(w).ok())
            .map(u128::from_le_bytes)
    };
    match n {
        33.. => w8(a, 0) == w8(b, 0) && w8(a, n - 8) == w8(b, n - 8) && same_middle(a, b),
        // Most long keys (`EdgeResponseStatus`, `OriginResponseDurationMs`):
        // two overlapping 16-byte words.
        16.. => w16(a, 0) == w16(b, 0) && w16(a, n - 16) == w16(b, n - 16),
        8.. => w8(a, 0) == w8(b, 0) && w8(a, n - 8) == w8(b, n - 8),
        4.. => w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4),
        _ => a.iter().zip(b).all(|(x, y)| x == y),
    }
}

/// Whether two keys of the same length (over 32 bytes) agree between
/// their first and last eight bytes: a word at a time, the last word
/// overlapping, in line (a slice compare is a `memcmp` call, which cost
/// as much as the rest of the lookup).
#[inline(always)]
fn same_middle(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if b.len() != n {
        return false;
    }
    let word = |s: &[u8], at: usize| -> u64 {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let mut at = 8;
    while at + 8 < n - 8 {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    // The last word of the middle, ending where the tail word starts.
    let last = (n - 16).max(8);
    word(a, last) == word(b, last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn entry(t: u8) -> Entry<u8> {
        Entry {
            target: Some(t),
            prefix: t.is_multiple_of(3),
        }
    }

    /// The table answers as a `HashMap` of the same paths does, for the
    /// paths themselves and for keys that differ from one in a single
    /// byte, in length, or only in their middle (where the words do not
    /// look).
    #[test]
    fn lookups_agree_with_a_hash_map() {
        // Names of the shapes real logs have (the defaults' among them).
        let mut paths: Vec<Vec<u8>> = [
            "status",
            "request",
            "request.method",
            "httpRequest.requestUrl",
            "EdgeTimeToFirstByteMs",
            "OriginResponseDurationMs",
            "resource.labels.backend_service_name",
            "@timestamp",
            "ts",
        ]
        .iter()
        .map(|p| p.as_bytes().to_vec())
        .collect();
        for len in 0..40 {
            paths.push((0..len).map(|i| b'a' + (i % 26) as u8).collect());
        }
        paths.push(b"0123456789abcdefXXXX0123456789abcdef".to_vec());
        let table = Keys::new(
            paths
                .iter()
                .enumerate()
                .map(|(i, p)| (p.clone(), entry(i as u8))),
        );
        let mut reference: HashMap<Vec<u8>, Entry<u8>> = HashMap::new();
        for (i, p) in paths.iter().enumerate() {
            reference.entry(p.clone()).or_insert(entry(i as u8));
        }
        let mut probes: Vec<Vec<u8>> = paths.clone();
        for p in &paths {
            for i in 0..p.len() {
                let mut q = p.clone();
                q[i] ^= 1;
                probes.push(q);
                probes.push(p[..i].to_vec());
            }
            let mut longer = p.clone();
            longer.push(0);
            probes.push(longer);
        }
        probes.push(b"0123456789abcdefYYYY0123456789abcdef".to_vec());
        probes.push(b"0123456789abcdef0123456789abcdef".to_vec());
        for q in &probes {
            assert_eq!(table.get(q), reference.get(q).copied(), "{q:?}");
        }
    }

    #[test]
    fn a_path_given_twice_keeps_its_first_target_and_either_prefix() {
        let t = Keys::new([
            (
                b"request".to_vec(),
                Entry {
                    target: Some(1u8),
                    prefix: false,
                },
            ),
            (
                b"request".to_vec(),
                Entry {
                    target: None,
                    prefix: true,
                },
            ),
            (
                b"request".to_vec(),
                Entry {
                    target: Some(2),
                    prefix: false,
                },
            ),
        ]);
        assert_eq!(
            t.get(b"request"),
            Some(Entry {
                target: Some(1),
                prefix: true
            })
        );
        assert_eq!(Keys::<u8>::new([]).get(b"request"), None);
    }
}
