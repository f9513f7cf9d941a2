//! Route names ↔ dense ids, and the cardinality cap: once `--max-routes`
//! routes exist, new ones fold into the `(overflow)` route, and how many
//! distinct routes were folded is counted so the overflow is visible rather
//! than silent.

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
        if self.ids.len() >= self.cap {
            let _ = self.folded.add(&[fold_hash(name)]);
            return OVERFLOW_ID;
        }
        let id = self.names.len() as RouteId;
        self.names.push(Arc::from(display_name(name)));
        self.ids.insert(name.into(), id);
        id
    }

    /// Counts folded routes by their [`fold_hash`]es (shards that know the
    /// table is full fold names themselves and report them in batches).
    /// Returns whether the count has reached its bound (see
    /// [`FoldedNames::add`]).
    pub fn note_folded(&mut self, hashes: &[u64]) -> bool {
        self.folded.add(hashes)
    }

    /// Whether the cap is reached: no name will get an id any more, so the
    /// registered ones are final.
    pub fn is_full(&self) -> bool {
        self.ids.len() >= self.cap
    }

    /// Registered names and their ids.
    pub fn ids(&self) -> impl Iterator<Item = (&[u8], RouteId)> {
        self.ids.iter().map(|(k, &v)| (&**k, v))
    }

    /// Existing id of `name`, without registering.
    pub fn get(&self, name: &[u8]) -> Option<RouteId> {
        self.ids.get(name).copied()
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

/// Route bytes → text for tables and labels: invalid UTF-8 becomes U+FFFD and
/// control characters are escaped, so a hostile URL cannot break a terminal
/// or a report line.
pub fn display_name(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if !s.chars().any(char::is_control) {
        return s.into_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.push_str(&format!("\\x{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}
