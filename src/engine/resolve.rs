//! Request target → route id, for one shard: templating, the shard's cache
//! of route names, and folding into the overflow route past the cap.
//!
//! Only the first sight of a route name takes the registry's lock. Past
//! the cap, once the route table is full (it never changes again), a shard
//! copies its names and folds any other name itself, collecting the folded
//! names' hashes and reporting them in batches (see [`FoldedNames`]): a
//! flood of distinct routes (100 000 in the benchmark) took the lock on
//! most lines, from every worker. (Remembering the lookup keys that fold,
//! to fold their next line without templating, was measured slower on the
//! 100 000-route benchmark: the table of 32 Ki keys missed the cache on
//! every lookup, which cost more than the templating it saved.)
//!
//! Each cached name also records whether it is its own route when taken as
//! a request path (`/`, `/static/app.js`, `/login`: over half the lines of
//! a typical log). Such a path skips templating: its line costs one lookup
//! of the path instead of templating plus a lookup of the result. Paths
//! are looked up with their numeric segments already written `:id`
//! ([`Router::lookup_key`]), so `/api/users/123/orders` is such a path too.
//! A path not found is templated only when its byte classes say templating
//! might change it ([`Router::is_own_key`]): on a log with many routes past
//! the cap, most lines fold without templating.
//!
//! In a batch run the routes admitted under the cap must not depend on
//! which worker got which block first: the report of a file is the same
//! on every run and at any `-j`. There the resolver is *ordered*: a name
//! that is neither registered nor certain to fold (the table has room) is
//! not registered at once but gets a provisional id, flagged
//! [`Resolved::Provisional`], in the order of its first line in the block. When every
//! earlier block is done, the worker registers its provisional names in
//! that order ([`Resolver::admit`]), exactly as one thread reading the
//! whole input would have, and their lines join their routes (or the
//! overflow). Once the table is full every unregistered name folds, in
//! whatever order the blocks come: provisional ids only arise while the
//! first routes are being found.

mod names;

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::registry::SharedRegistry;
#[cfg(doc)]
use crate::route::FoldedNames;
use crate::route::{
    FOLDED_BATCH, OVERFLOW_ID, RouteId, RouteTable, Router, fold_hash, is_displayable,
};

/// The route of a request target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Resolved {
    /// A registered route, or [`OVERFLOW_ID`].
    Route(RouteId),
    /// A name awaiting admission (ordered resolution, see the module docs):
    /// its index among the shard's provisional names, in the order of their
    /// first lines.
    Provisional(RouteId),
}

pub(super) struct Resolver {
    router: Arc<Router>,
    /// Route name → (id, the `router_gen` under which the name, as a path,
    /// was seen to be its own route; 0 if it was not).
    cache: names::Names,
    /// Bumped when the rules change: which paths are their own route
    /// depends on them, while ids stay valid (they are keyed by name).
    router_gen: u32,
    /// The route table is full and every registered name is in `cache`.
    routes_final: bool,
    /// Some registered name holds a `\xHH` escape, so a name that is not
    /// printable (which displays with one) may be a registered route under
    /// its display name ([`RouteTable::intern`]). Nearly never: then a
    /// folded name needs no look at its bytes.
    escaped_routes: bool,
    /// Hashes of the names folded since the last report, repeats and all:
    /// appending is sequential, deduplicating them one by one was not.
    folded: Vec<u64>,
    /// The registry's folded count is at its bound: nothing to collect.
    folded_full: bool,
    buf: Vec<u8>,
    /// The lookup key of a path with numeric segments (see
    /// [`Router::lookup_key`]).
    key_buf: Vec<u8>,
    /// Ordered resolution (batch runs): the provisional names of the block
    /// being read → their index. `None`: names are registered at once.
    unadmitted: Option<FxHashMap<Box<[u8]>, RouteId>>,
}

impl Resolver {
    /// Names are registered as soon as they are seen (the live engine).
    pub(super) fn new(router: Arc<Router>) -> Resolver {
        Resolver {
            router,
            cache: names::Names::default(),
            router_gen: 1,
            routes_final: false,
            escaped_routes: false,
            folded: Vec::new(),
            folded_full: false,
            buf: Vec::with_capacity(256),
            key_buf: Vec::with_capacity(64),
            unadmitted: None,
        }
    }

    /// Names are admitted in input order (batch workers; see the module
    /// docs).
    pub(super) fn ordered(router: Arc<Router>) -> Resolver {
        Resolver {
            unadmitted: Some(FxHashMap::default()),
            ..Resolver::new(router)
        }
    }

    /// Whether names await [`Resolver::admit`].
    pub(super) fn has_unadmitted(&self) -> bool {
        self.unadmitted.as_ref().is_some_and(|u| !u.is_empty())
    }

    /// How many names await [`Resolver::admit`].
    pub(super) fn unadmitted(&self) -> usize {
        self.unadmitted.as_ref().map_or(0, |u| u.len())
    }

    /// Registers the provisional names in the order they were first seen
    /// (call once every earlier block is done); returns their final ids,
    /// by provisional index ([`OVERFLOW_ID`] for a name that folded).
    pub(super) fn admit(&mut self, registry: &SharedRegistry) -> Vec<RouteId> {
        let Some(unadmitted) = &mut self.unadmitted else {
            return Vec::new();
        };
        let mut names: Vec<(RouteId, Box<[u8]>)> =
            unadmitted.drain().map(|(name, i)| (i, name)).collect();
        names.sort_unstable_by_key(|&(i, _)| i);
        let mut reg = registry.lock().unwrap_or_else(|p| p.into_inner());
        // Interning counts a name that folds, as it does for any name.
        let ids: Vec<RouteId> = names.iter().map(|(_, n)| reg.routes.intern(n)).collect();
        if reg.routes.is_full() && !self.routes_final {
            self.take_final(&reg.routes);
        }
        drop(reg);
        for ((_, name), &id) in names.iter().zip(&ids) {
            if id != OVERFLOW_ID {
                self.remember(name, id);
            }
        }
        ids
    }

    /// Caches registered name `name` unless it is there already.
    fn remember(&mut self, name: &[u8], id: RouteId) {
        let h = fold_hash(name);
        if !self.cache.contains(h, name) {
            self.cache.insert(h, name, id, 0);
        }
    }

    /// The table is full: caches every registered name, and from now on
    /// folds any other name without the lock.
    fn take_final(&mut self, routes: &RouteTable) {
        for (name, id) in routes.ids() {
            self.remember(name, id);
        }
        self.escaped_routes = routes.names().iter().any(|n| n.contains("\\x"));
        self.routes_final = true;
    }

    pub(super) fn set_router(&mut self, router: Arc<Router>) {
        self.router = router;
        self.router_gen += 1;
    }

    /// The route of request target `target`.
    // Always inlined: per-line work (see `run/once.rs::parse_block`).
    #[inline(always)]
    pub(super) fn id(&mut self, target: &[u8], registry: &SharedRegistry) -> Resolved {
        let gen_ = self.router_gen;
        let key = self
            .router
            .lookup_key(target, &mut self.key_buf)
            .map(|k| (k, fold_hash(k)));
        // A registered name not yet seen to be its own route.
        let mut unmarked = false;
        if let Some((k, h)) = key {
            match self.cache.get(h, k) {
                Some((id, seen)) if seen == gen_ => return Resolved::Route(id),
                Some(_) => unmarked = true,
                None => {}
            }
        }
        // A path that is its own route up to its numeric segments needs
        // no templating: its route is the key (most lines of a log past
        // the cap, which fold here).
        let own = key.filter(|_| self.router.is_own_key(target));
        if let Some((k, h)) = own
            && self.routes_final
            && !unmarked
            && (!self.escaped_routes || is_displayable(k))
        {
            // Not registered (the lookup missed), and the table is final.
            self.fold(h, registry);
            return Resolved::Route(OVERFLOW_ID);
        }
        let (hash, verbatim) = match own {
            Some((k, h)) => {
                self.buf.clear();
                self.buf.extend_from_slice(k);
                (h, true)
            }
            None => {
                self.router.route(target, &mut self.buf);
                match key {
                    Some((k, h)) if k == self.buf.as_slice() => (h, true),
                    _ => (fold_hash(&self.buf), false),
                }
            }
        };
        // A path that is its own route and was not found above is not
        // there: no second lookup.
        if (!verbatim || unmarked)
            && let Some(id) = self
                .cache
                .get_marking(hash, &self.buf, verbatim.then_some(gen_))
        {
            return Resolved::Route(id);
        }
        // A name that displays as another (invalid UTF-8, control bytes) may
        // be a registered route under its display name: the table decides.
        if self.routes_final && (!self.escaped_routes || is_displayable(&self.buf)) {
            // The table never changes again, so this name folds for good.
            self.fold(hash, registry);
            return Resolved::Route(OVERFLOW_ID);
        }
        if let Some(unadmitted) = &self.unadmitted
            && let Some(&i) = unadmitted.get(self.buf.as_slice())
        {
            return Resolved::Provisional(i);
        }
        let mut reg = registry.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(unadmitted) = &mut self.unadmitted
            && !reg.routes.is_full()
            && reg.routes.get(&self.buf).is_none()
        {
            // Whether it gets a place depends on the blocks before this
            // one: decided in `admit`.
            drop(reg);
            let i = unadmitted.len() as RouteId;
            unadmitted.insert(self.buf.as_slice().into(), i);
            return Resolved::Provisional(i);
        }
        let id = reg.routes.intern(&self.buf);
        if id == OVERFLOW_ID && reg.routes.is_full() && !self.routes_final {
            self.take_final(&reg.routes);
        }
        drop(reg);
        // The registry folds a name only once its table is full, and then
        // this shard folds names itself: only registered names are cached.
        if id != OVERFLOW_ID {
            let seen = if verbatim { gen_ } else { 0 };
            self.cache.insert(hash, &self.buf, id, seen);
        }
        Resolved::Route(id)
    }

    /// Counts a line folded under the route name of hash `hash`.
    #[inline]
    fn fold(&mut self, hash: u64, registry: &SharedRegistry) {
        if !self.folded_full {
            self.folded.push(hash);
            if self.folded.len() >= FOLDED_BATCH {
                self.report_folded(registry);
            }
        }
    }

    /// Reports the routes this shard folded on its own to the registry's
    /// count.
    pub(super) fn report_folded(&mut self, registry: &SharedRegistry) {
        if self.folded.is_empty() {
            return;
        }
        let mut reg = registry.lock().unwrap_or_else(|p| p.into_inner());
        self.folded_full = reg.routes.note_folded(&self.folded);
        drop(reg);
        self.folded.clear();
    }
}
