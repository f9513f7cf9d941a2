//! What requests are aggregated by: a [`Key`] of source, route, method and
//! status, and the method ids (standard methods have fixed ids so the hot
//! path needs no lock for them; others are registered up to a cap).

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::event::SourceId;
use crate::route::RouteId;

/// Standard methods get fixed ids so the hot path needs no lock for them.
pub const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];
/// Method of lines whose request line was not a request.
pub const METHOD_NONE: u8 = 9;
/// Methods beyond the table's capacity.
pub const METHOD_OTHER: u8 = 10;
/// A line's method awaiting admission in a batch run (`shard.rs`): never
/// in a recorded key.
pub(super) const METHOD_PENDING: u8 = u8::MAX;
const MAX_METHODS: usize = 32;

// Always inlined: per-line work (see `run/once.rs::parse_block`).
#[inline(always)]
pub fn standard_method(m: &[u8]) -> Option<u8> {
    Some(match m {
        b"GET" => 0,
        b"HEAD" => 1,
        b"POST" => 2,
        b"PUT" => 3,
        b"DELETE" => 4,
        b"CONNECT" => 5,
        b"OPTIONS" => 6,
        b"TRACE" => 7,
        b"PATCH" => 8,
        b"" => METHOD_NONE,
        _ => return None,
    })
}

/// Method names ↔ ids; WebDAV and custom methods are registered up to a cap.
pub struct MethodTable {
    names: Vec<Arc<str>>,
}

impl Default for MethodTable {
    fn default() -> Self {
        let mut names: Vec<Arc<str>> = STANDARD_METHODS.iter().map(|m| Arc::from(*m)).collect();
        names.push(Arc::from("-"));
        names.push(Arc::from("OTHER"));
        MethodTable { names }
    }
}

impl MethodTable {
    pub fn intern(&mut self, m: &[u8]) -> u8 {
        if let Some(id) = self.get(m) {
            return id;
        }
        if !self.has_room_for(m) {
            return METHOD_OTHER;
        }
        self.names
            .push(Arc::from(String::from_utf8_lossy(m).as_ref()));
        (self.names.len() - 1) as u8
    }

    /// The id of `m` if it has one now.
    pub fn get(&self, m: &[u8]) -> Option<u8> {
        standard_method(m).or_else(|| {
            self.names
                .iter()
                .position(|n| n.as_bytes() == m)
                .map(|i| i as u8)
        })
    }

    /// Whether [`MethodTable::intern`] would register `m` (not yet
    /// registered) now: a name it can hold and room for it. Once not, never
    /// again: names are never removed.
    pub fn has_room_for(&self, m: &[u8]) -> bool {
        self.names.len() < MAX_METHODS && m.len() <= 32 && m.iter().all(|c| c.is_ascii_graphic())
    }

    pub fn name(&self, id: u8) -> &Arc<str> {
        &self.names[id as usize]
    }

    pub fn names(&self) -> &[Arc<str>] {
        &self.names
    }
}

/// The methods a batch shard met that the table did not hold and could
/// still take, awaiting admission in the order of their first lines, as
/// routes are (`resolve.rs`): which methods get a place under the cap must
/// not depend on which worker read which block first. Lines with such a
/// method are held until then (`shard.rs`).
#[derive(Default)]
pub(super) struct PendingMethods {
    index: FxHashMap<Box<[u8]>, u32>,
}

impl PendingMethods {
    /// The index of method `m` among the pending ones, in the order of
    /// their first lines.
    pub(super) fn index(&mut self, m: &[u8]) -> u32 {
        if let Some(&i) = self.index.get(m) {
            return i;
        }
        let i = self.index.len() as u32;
        self.index.insert(m.into(), i);
        i
    }

    /// Registers the pending methods in the order of their first lines
    /// (call once every earlier block is done, under the registry's
    /// lock); returns their ids by index ([`METHOD_OTHER`] for those
    /// past the cap).
    pub(super) fn admit(&mut self, table: &mut MethodTable) -> Vec<u8> {
        let mut names: Vec<(u32, Box<[u8]>)> = self.index.drain().map(|(m, i)| (i, m)).collect();
        names.sort_unstable_by_key(|&(i, _)| i);
        names.iter().map(|(_, m)| table.intern(m)).collect()
    }
}

/// What requests are aggregated by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub source: SourceId,
    pub route: RouteId,
    pub method: u8,
    pub status: u16,
}

impl Key {
    /// Everything but the route, in 30 bits: source (12), method (8),
    /// status (10; statuses are 0–999).
    #[inline]
    pub(super) fn rest(self) -> u32 {
        ((self.source as u32 & 0xFFF) << 18)
            | ((self.method as u32) << 10)
            | (self.status as u32 & 0x3FF)
    }
}

/// One request as the engine counted it, for callers that keep more views
/// of it (windows, series).
#[derive(Clone, Copy, Debug)]
pub struct Ingested {
    pub key: Key,
    pub status: u16,
    pub bytes: Option<u64>,
    pub latency_us: Option<u64>,
    pub upstream_us: Option<u64>,
    pub time: Option<i64>,
}
