//! The names every shard shares: route names (and the route cap) and method
//! names, behind one lock taken only on a shard's cache miss.

use std::sync::{Arc, Mutex};

use super::key::MethodTable;
use crate::route::RouteTable;

/// Names shared by all shards.
pub struct Registry {
    pub routes: RouteTable,
    pub methods: MethodTable,
}

impl Registry {
    pub fn new(max_routes: usize) -> Registry {
        Registry {
            routes: RouteTable::new(max_routes),
            methods: MethodTable::default(),
        }
    }
}

pub type SharedRegistry = Arc<Mutex<Registry>>;
