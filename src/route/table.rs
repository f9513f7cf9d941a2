//! Route names ↔ dense ids, and the cardinality cap: once `--max-routes`
//! routes exist, new ones fold into the `(overflow)` route, and how many
//! distinct routes were folded is counted so the overflow is visible rather
//! than silent.
//!
//! A route is its *display name*: the text every view shows and every
//! label carries ([`display_name`]: bytes that are not printable UTF-8
//! become `\xHH`, the form nginx itself writes). Two raw names that
//! display alike — `/x/\xFF` written by nginx and a raw `0xFF` byte from
//! another writer — are one route, so no two ids ever share a name: three
//! paths differing only in invalid bytes used to become three series with
//! identical labels in `/metrics`.

use std::borrow::Cow;
use std::sync::Arc;

use rustc_hash::FxHashMap;

#[cfg(doc)]
use super::folded::FOLDED_TRACKED;
use super::folded::{FoldedNames, fold_hash};

/// Route of requests beyond the cardinality cap.
pub const OVERFLOW_ROUTE: &str = "(overflow)";

pub type RouteId = u32;
pub const OVERFLOW_ID: RouteId = 0;

/// Route names ↔ dense ids, with the cardinality cap.
pub struct RouteTable {
    /// By display name (one entry per id: raw names that display alike are
    /// looked up through their display name, not stored).
    ids: FxHashMap<Box<[u8]>, RouteId>,
    names: Vec<Arc<str>>,
    cap: usize,
    /// Distinct names folded into the overflow.
    folded: FoldedNames,
}

impl RouteTable {
    pub fn new(cap: usize) -> RouteTable {
        RouteTable {
            ids: FxHashMap::default(),
            names: vec![Arc::from(OVERFLOW_ROUTE)],
            cap,
            folded: FoldedNames::default(),
        }
    }

    /// The id of route `name`, registering it if the cap allows, else
    /// [`OVERFLOW_ID`].
    pub fn intern(&mut self, name: &[u8]) -> RouteId {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let shown = display_name(name);
        if let Cow::Owned(s) = &shown
            && let Some(&id) = self.ids.get(s.as_bytes())
        {
            return id;
        }
        if self.ids.len() >= self.cap {
            let _ = self.folded.add(&[fold_hash(name)]);
            return OVERFLOW_ID;
        }
        let id = self.names.len() as RouteId;
        let shown: Arc<str> = Arc::from(shown);
        self.ids.insert(shown.as_bytes().into(), id);
        self.names.push(shown);
        id
    }

    /// Counts folded routes by their [`fold_hash`]es (shards that know the
    /// table is full fold names themselves and report them in batches).
    /// Returns whether the count has reached its bound (see
    /// [`FoldedNames::add`]).
    pub fn note_folded(&mut self, hashes: &[u64]) -> bool {
        self.folded.add(hashes)
    }

    /// The hashes of the folded routes counted so far (see
    /// [`FoldedNames::hashes`]).
    pub fn folded_hashes(&self) -> Vec<u64> {
        self.folded.hashes()
    }

    /// Whether the cap is reached: no name will get an id any more, so the
    /// registered ones are final.
    pub fn is_full(&self) -> bool {
        self.ids.len() >= self.cap
    }

    /// Registered (display) names and their ids.
    pub fn ids(&self) -> impl Iterator<Item = (&[u8], RouteId)> {
        self.ids.iter().map(|(k, &v)| (&**k, v))
    }

    /// Existing id of `name` (or of the name it displays as), without
    /// registering.
    pub fn get(&self, name: &[u8]) -> Option<RouteId> {
        if let Some(&id) = self.ids.get(name) {
            return Some(id);
        }
        match display_name(name) {
            Cow::Owned(s) => self.ids.get(s.as_bytes()).copied(),
            Cow::Borrowed(_) => None,
        }
    }

    pub fn name(&self, id: RouteId) -> &Arc<str> {
        &self.names[id as usize]
    }

    /// All names, indexed by id (id 0 is the overflow route).
    pub fn names(&self) -> &[Arc<str>] {
        &self.names
    }

    /// Routes registered (not counting the overflow route).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Distinct routes folded into the overflow, and whether that is a lower
    /// bound (more than [`FOLDED_TRACKED`] were seen).
    pub fn folded(&self) -> (u64, bool) {
        self.folded.count()
    }
}

/// Characters a name never shows as themselves: controls (C0, DEL, C1),
/// and the invisible ones that change how the text around them reads —
/// bidirectional overrides and isolates (`/admin\u{202e}txt.exe` shows
/// as `/adminexe.txt`), zero-width spaces and joiners, the byte order
/// mark — so that a hostile URL can neither break a terminal line nor
/// pass for another route.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Whether route bytes show as themselves: valid UTF-8 without a
/// [hidden](is_hidden) character. A shard asks for every name it folds past the route cap,
/// so printable ASCII (nearly every name) is decided 8 bytes at a time:
/// a byte-at-a-time loop cost 4 % more instructions on a log of 100 000
/// routes (callgrind, `--once -j1`).
#[inline]
pub fn is_displayable(b: &[u8]) -> bool {
    is_printable_ascii(b) || std::str::from_utf8(b).is_ok_and(|s| !s.chars().any(is_hidden))
}

/// Every byte in `0x20..0x7f`.
#[inline]
pub fn is_printable_ascii(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let (words, rest) = b.as_chunks::<8>();
    let mut bad = 0;
    for w in words {
        let x = u64::from_le_bytes(*w);
        // High bit of a byte set: below 0x20 (the subtraction borrows), or
        // 0x7f and above (the addition reaches the high bit, or it was
        // set). A borrow or carry only crosses from a byte that is bad
        // itself, so no printable word is ever flagged.
        bad |= (x.wrapping_sub(0x20 * ONES) & !x) | x.wrapping_add(ONES) | x;
    }
    bad & HIGH == 0 && rest.iter().all(|c| (0x20..0x7f).contains(c))
}

/// Route bytes → text for tables, labels and reports: each byte of invalid
/// UTF-8 and of a [hidden](is_hidden) character becomes `\xHH`, so a
/// hostile URL cannot break a terminal or a report line, and names that
/// differ in those bytes stay apart. Other text, non-ASCII included, is
/// kept as it is (borrowed: nothing to escape).
pub fn display_name(b: &[u8]) -> Cow<'_, str> {
    if is_displayable(b) {
        // Checked just above; never fails.
        return String::from_utf8_lossy(b);
    }
    let mut out = String::with_capacity(b.len() + 16);
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            if is_hidden(c) {
                let mut buf = [0; 4];
                for &byte in c.encode_utf8(&mut buf).as_bytes() {
                    out.push_str(&format!("\\x{byte:02X}"));
                }
            } else {
                out.push(c);
            }
        }
        for &byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02X}"));
        }
    }
    Cow::Owned(out)
}
