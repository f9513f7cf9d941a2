//! What requests are aggregated by: a [`Key`] of source, route, method and
//! status, and the method ids (standard methods have fixed ids so the hot
//! path needs no lock for them; others are registered up to a cap).

use std::sync::Arc;

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
        if let Some(id) = standard_method(m) {
            return id;
        }
        if let Some(i) = self.names.iter().position(|n| n.as_bytes() == m) {
            return i as u8;
        }
        if self.names.len() >= MAX_METHODS
            || m.len() > 32
            || !m.iter().all(|c| c.is_ascii_graphic())
        {
            return METHOD_OTHER;
        }
        self.names
            .push(Arc::from(String::from_utf8_lossy(m).as_ref()));
        (self.names.len() - 1) as u8
    }

    pub fn name(&self, id: u8) -> &Arc<str> {
        &self.names[id as usize]
    }

    pub fn names(&self) -> &[Arc<str>] {
        &self.names
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
