//! Service-level objectives per route (`--slo`): which routes an objective
//! covers, and its compliance over a set of counts — exact, from the key
//! counters (a latency threshold is one of the bucket bounds: the config
//! adds every threshold to the buckets, so "at most 300 ms" is a sum of
//! exact bucket counts, not an HDR estimate).
//!
//! Routes are matched by pattern, first match wins: a route belongs to the
//! first pattern (in the order given) that matches it, and every objective
//! of that pattern applies to it. `*` alone, given last, is the default for
//! the rest.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use super::slo_figures::{BURN_WINDOWS, Compliance, SloSnap, SloState};
use super::snapshot::KeySnap;

/// Which routes an objective covers: a glob (`*` matches any run of
/// characters, `/` included) or a regex (`~REGEX`).
#[derive(Clone, Debug)]
pub enum Pattern {
    Glob(String),
    Regex(regex::Regex),
}

impl PartialEq for Pattern {
    fn eq(&self, o: &Pattern) -> bool {
        self.to_string() == o.to_string()
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Glob(g) => f.write_str(g),
            Pattern::Regex(r) => write!(f, "~{}", r.as_str()),
        }
    }
}

impl Pattern {
    pub fn parse(s: &str) -> Result<Pattern, String> {
        match s.strip_prefix('~') {
            Some(r) => regex::Regex::new(r)
                .map(Pattern::Regex)
                .map_err(|e| format!("bad regex {r:?}: {e}")),
            None if s.is_empty() => Err("empty route pattern".into()),
            None => Ok(Pattern::Glob(s.to_string())),
        }
    }

    pub fn matches(&self, route: &str) -> bool {
        match self {
            Pattern::Glob(g) => glob_match(g.as_bytes(), route.as_bytes()),
            Pattern::Regex(r) => r.is_match(route),
        }
    }
}

/// `*` matches any run of bytes (`/` included); everything else itself.
fn glob_match(p: &[u8], s: &[u8]) -> bool {
    // Greedy with one backtrack point: linear-ish, no recursion.
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Which statuses are failures for an availability objective.
#[derive(Clone, Debug, PartialEq)]
pub struct BadStatuses(Vec<(u16, u16)>);

impl Default for BadStatuses {
    /// 5xx.
    fn default() -> Self {
        BadStatuses(vec![(500, 599)])
    }
}

impl BadStatuses {
    /// `5xx`, `429`, `500-504`, comma-separated.
    pub fn parse(s: &str) -> Result<BadStatuses, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let range = if let Some(c) = part.strip_suffix("xx") {
                c.parse::<u16>()
                    .ok()
                    .filter(|c| (1..=9).contains(c))
                    .map(|c| (c * 100, c * 100 + 99))
            } else if let Some((a, b)) = part.split_once('-') {
                a.parse().ok().zip(b.parse().ok())
            } else {
                part.parse().ok().map(|c| (c, c))
            };
            match range {
                Some((a, b)) if a <= b && b <= 999 => out.push((a, b)),
                _ => return Err(format!("bad status {part:?}: expected 5xx, 429 or 500-504")),
            }
        }
        if out.is_empty() {
            return Err("no bad status given".into());
        }
        Ok(BadStatuses(out))
    }

    pub fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|&(a, b)| (a..=b).contains(&status))
    }
}

/// What an objective measures.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// Share of requests whose status is not bad.
    Availability(BadStatuses),
    /// Share of timed requests that took at most this long (µs).
    Latency(u64),
}

/// One objective: `target` (a ratio below 1) of the requests of the routes
/// `pattern` covers must be good.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// As given (`/api/*:99%<300ms`), or the config file's `name`: the
    /// `slo` label and what reports show.
    pub name: String,
    pub pattern: Pattern,
    pub target: f64,
    pub kind: Kind,
    /// The period the error budget is for (default 30 days).
    pub period: Duration,
}

/// The default SLO period.
pub const DEFAULT_PERIOD: Duration = Duration::from_secs(30 * 86_400);

impl Objective {
    /// The flag form: `PATTERN:TARGET%` (availability) or
    /// `PATTERN:TARGET%<DURATION` (latency, `<` as Prometheus' `le`: at or
    /// under). The pattern is everything before the last `:` that is
    /// followed by a target.
    pub fn parse(
        s: &str,
        parse_duration: impl Fn(&str) -> Result<Duration, String>,
    ) -> Result<Objective, String> {
        let (pattern, rest) = s.rsplit_once(':').ok_or_else(|| {
            format!("--slo {s:?}: expected PATTERN:TARGET% or PATTERN:TARGET%<DURATION")
        })?;
        let (target, threshold) = match rest.split_once('<') {
            Some((t, d)) => (t, Some(d)),
            None => (rest, None),
        };
        let target = parse_target(target).map_err(|e| format!("--slo {s:?}: {e}"))?;
        let kind = match threshold {
            Some(d) => {
                let d = parse_duration(d.trim().trim_start_matches('='))
                    .map_err(|e| format!("--slo {s:?}: {e}"))?;
                if d.is_zero() {
                    return Err(format!(
                        "--slo {s:?}: the latency threshold must be above 0"
                    ));
                }
                Kind::Latency(d.as_micros() as u64)
            }
            None => Kind::Availability(BadStatuses::default()),
        };
        Ok(Objective {
            name: s.to_string(),
            pattern: Pattern::parse(pattern).map_err(|e| format!("--slo {s:?}: {e}"))?,
            target,
            kind,
            period: DEFAULT_PERIOD,
        })
    }

    /// The latency threshold, for the bucket bounds.
    pub fn threshold_us(&self) -> Option<u64> {
        match self.kind {
            Kind::Latency(us) => Some(us),
            Kind::Availability(_) => None,
        }
    }
}

/// `99.9%` or `0.999`: a ratio in (0, 1).
pub fn parse_target(s: &str) -> Result<f64, String> {
    let s = s.trim();
    let v = match s.strip_suffix('%') {
        // The decimal point moved two places, in the text: 99.9 / 100 in
        // binary is 0.9990000000000001, which is not what was written (and
        // would be what /metrics shows).
        Some(p) => {
            let p = p.trim();
            let (int, frac) = p.split_once('.').unwrap_or((p, ""));
            match int.len() <= 2
                && !int.is_empty()
                && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
            {
                true => format!("0.{int:0>2}{frac}").parse::<f64>(),
                false => p.parse::<f64>().map(|v| v / 100.0),
            }
        }
        None => s.parse::<f64>(),
    }
    .map_err(|_| format!("bad target {s:?}: expected a percentage such as 99.9%"))?;
    if !(v > 0.0 && v < 1.0) {
        return Err(format!("target {s:?} must be above 0% and below 100%"));
    }
    Ok(v)
}

/// Per objective, which pattern governs each route: a route counts for
/// the objectives of the first pattern that matches it.
pub struct Matcher<'a> {
    objectives: &'a [Objective],
    /// Distinct patterns in order, and the objectives of each.
    patterns: Vec<(&'a Pattern, Vec<usize>)>,
}

impl<'a> Matcher<'a> {
    pub fn new(objectives: &'a [Objective]) -> Matcher<'a> {
        let mut patterns: Vec<(&Pattern, Vec<usize>)> = Vec::new();
        for (i, o) in objectives.iter().enumerate() {
            match patterns.iter_mut().find(|(p, _)| **p == o.pattern) {
                Some((_, v)) => v.push(i),
                None => patterns.push((&o.pattern, vec![i])),
            }
        }
        Matcher {
            objectives,
            patterns,
        }
    }

    /// The objectives that apply to `route`.
    pub fn of(&self, route: &str) -> &[usize] {
        self.patterns
            .iter()
            .find(|(p, _)| p.matches(route))
            .map_or(&[], |(_, v)| v.as_slice())
    }

    /// Each objective's compliance over the since-start key counters
    /// (`bounds_us`: their bucket bounds, which hold every threshold).
    pub fn evaluate(&self, keys: &[KeySnap], bounds_us: &[u64]) -> Vec<Compliance> {
        self.evaluate_routes(keys, bounds_us)
            .into_iter()
            .map(|o| o.total)
            .collect()
    }

    /// [`evaluate`](Self::evaluate), with each objective's compliance per
    /// route it covers too (routes by name, ascending).
    pub fn evaluate_routes(&self, keys: &[KeySnap], bounds_us: &[u64]) -> Vec<PerRoute> {
        let mut routes: Vec<BTreeMap<Arc<str>, Compliance>> =
            vec![BTreeMap::new(); self.objectives.len()];
        let mut last: Option<(&str, &[usize])> = None;
        for k in keys {
            let of = match last {
                Some((r, of)) if r == &*k.route => of,
                _ => {
                    let of = self.of(&k.route);
                    last = Some((&k.route, of));
                    of
                }
            };
            for &i in of {
                let (good, total) = match &self.objectives[i].kind {
                    Kind::Availability(bad) => {
                        (if bad.contains(k.status) { 0 } else { k.count }, k.count)
                    }
                    // Buckets up to the threshold (a bound: see the module
                    // docs) hold the requests at or under it.
                    Kind::Latency(us) => {
                        let upto = bounds_us.partition_point(|&b| b <= *us);
                        (k.buckets.iter().take(upto).sum::<u64>(), k.timed)
                    }
                };
                if total == 0 {
                    continue;
                }
                let c = routes[i].entry(k.route.clone()).or_default();
                c.good += good;
                c.total += total;
            }
        }
        routes
            .into_iter()
            .map(|r| PerRoute {
                total: r.values().fold(Compliance::default(), |mut t, c| {
                    t.good += c.good;
                    t.total += c.total;
                    t
                }),
                routes: r.into_iter().collect(),
            })
            .collect()
    }
}

/// An objective's since-start compliance, in all and per route.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PerRoute {
    pub total: Compliance,
    /// Routes with requests the objective counts, by name ascending.
    pub routes: Vec<(Arc<str>, Compliance)>,
}

/// Minutes kept per objective: the longest window.
const RING_MINUTES: usize = 4320;

/// Good and total requests per objective per minute over the longest
/// window, for burn rates. Memory: 4 320 minutes × 16 bytes = 69 KB per
/// objective, whatever the number of routes (a route costs one small list
/// of the objectives it counts for).
pub struct Tracker {
    objectives: Vec<Objective>,
    /// Route id → the objectives it counts for (resolved on first sight).
    by_route: Vec<Option<Box<[u16]>>>,
    /// Per objective: (minute, good, total) by `minute % RING_MINUTES`.
    rings: Vec<Vec<(u64, u64, u64)>>,
    /// The latest minute seen.
    now: u64,
    /// The since-start figures of the keys they were computed from (the
    /// same `Arc` while no line arrives: snapshots are published several
    /// times a second, the keys change less often).
    since: Option<(Arc<[KeySnap]>, Vec<PerRoute>)>,
}

impl Tracker {
    pub fn new(objectives: Vec<Objective>) -> Tracker {
        let n = objectives.len();
        Tracker {
            objectives,
            by_route: Vec::new(),
            rings: vec![Vec::new(); n],
            now: 0,
            since: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.objectives.is_empty()
    }

    pub fn objectives(&self) -> &[Objective] {
        &self.objectives
    }

    /// The objectives route `id` counts for; `name` resolves it once.
    fn of(&mut self, id: u32, name: impl FnOnce() -> String) -> &[u16] {
        let i = id as usize;
        if self.by_route.len() <= i {
            self.by_route.resize_with(i + 1, || None);
        }
        if self.by_route[i].is_none() {
            let name = name();
            let m = Matcher::new(&self.objectives);
            self.by_route[i] = Some(m.of(&name).iter().map(|&o| o as u16).collect());
        }
        self.by_route[i].as_deref().unwrap_or(&[])
    }

    /// Counts one request of route `id` in minute `minute`. Per line when
    /// objectives are given: no allocation, the route's objectives are
    /// resolved once.
    pub fn record(
        &mut self,
        id: u32,
        name: impl FnOnce() -> String,
        minute: u64,
        status: u16,
        latency_us: Option<u64>,
    ) {
        let timed = u64::from(latency_us.is_some());
        let at_most = |t: u64| u64::from(latency_us.is_some_and(|us| us <= t));
        self.record_many(id, name, minute, status, (1, timed), at_most);
    }

    /// [`Tracker::record`] of `count` requests of one key at once (a
    /// backfill's): `timed` of them carried a latency, and `at_most(t)`
    /// says how many of those took `t` µs or less (from the key's bucket
    /// counters: every threshold is a bound, see the module docs).
    pub fn record_many(
        &mut self,
        id: u32,
        name: impl FnOnce() -> String,
        minute: u64,
        status: u16,
        (count, timed): (u64, u64),
        at_most: impl Fn(u64) -> u64,
    ) {
        self.now = self.now.max(minute);
        self.of(id, name);
        let Tracker {
            objectives,
            by_route,
            rings,
            ..
        } = self;
        let Some(Some(of)) = by_route.get(id as usize) else {
            return;
        };
        for &o in of.iter() {
            let (good, total) = match &objectives[o as usize].kind {
                Kind::Availability(bad) => (if bad.contains(status) { 0 } else { count }, count),
                Kind::Latency(t) => (at_most(*t), timed),
            };
            if total == 0 {
                continue;
            }
            let ring = &mut rings[o as usize];
            if ring.is_empty() {
                ring.resize(RING_MINUTES, (u64::MAX, 0, 0));
            }
            let slot = &mut ring[(minute % RING_MINUTES as u64) as usize];
            if slot.0 != minute {
                *slot = (minute, 0, 0);
            }
            slot.1 += good;
            slot.2 += total;
        }
    }

    /// Adds `other`'s counts (of the same objectives: a backfill worker's,
    /// `minutes.rs`), minute by minute. Where the two hold different
    /// minutes in one slot, the newer stays, as it would have had the
    /// lines come one by one in time order.
    pub fn add(&mut self, other: &Tracker) {
        self.now = self.now.max(other.now);
        for (o, ring) in other.rings.iter().enumerate() {
            for &(minute, good, total) in ring.iter().filter(|s| s.0 != u64::MAX) {
                self.add_slot(o, minute, (good, total));
            }
        }
    }

    /// Adds `other`'s counts of minute 0 into `minute` (a backfill's lines
    /// that had no time, counted in the engine's minute).
    pub fn add_at(&mut self, other: &Tracker, minute: u64) {
        for (o, ring) in other.rings.iter().enumerate() {
            if let Some(&(0, good, total)) = ring.first() {
                self.now = self.now.max(minute);
                self.add_slot(o, minute, (good, total));
            }
        }
    }

    fn add_slot(&mut self, o: usize, minute: u64, (good, total): (u64, u64)) {
        let Some(ring) = self.rings.get_mut(o) else {
            return;
        };
        if ring.is_empty() {
            ring.resize(RING_MINUTES, (u64::MAX, 0, 0));
        }
        let slot = &mut ring[(minute % RING_MINUTES as u64) as usize];
        if slot.0 == u64::MAX || slot.0 < minute {
            *slot = (minute, 0, 0);
        }
        if slot.0 == minute {
            slot.1 += good;
            slot.2 += total;
        }
    }

    /// (minute, good, total) of objective `o`'s counted minutes, oldest
    /// first.
    #[cfg(test)]
    pub(super) fn minutes(&self, o: usize) -> Vec<(u64, u64, u64)> {
        let mut v: Vec<_> = self.rings[o]
            .iter()
            .copied()
            .filter(|s| s.0 != u64::MAX)
            .collect();
        v.sort_unstable();
        v
    }

    /// Time moved on to `minute` (no request needed).
    pub fn advance(&mut self, minute: u64) {
        self.now = self.now.max(minute);
    }

    /// (good, total) of objective `o` over the `len` minutes ending with
    /// `end` (included).
    fn window(&self, o: usize, end: u64, len: u64) -> (u64, u64) {
        let ring = &self.rings[o];
        if ring.is_empty() {
            return (0, 0);
        }
        let from = end.saturating_sub(len - 1);
        (from..=end)
            .map(|m| ring[(m % RING_MINUTES as u64) as usize])
            .filter(|&(t, _, _)| t != u64::MAX && t >= from && t <= end)
            .fold((0, 0), |(g, n), (_, a, b)| (g + a, n + b))
    }

    /// Each objective's figures: since start from `keys` (exact, as
    /// `--once`), burn rates from the minutes counted live.
    pub fn snapshot(&mut self, keys: &Arc<[KeySnap]>, bounds_us: &[u64]) -> Vec<SloSnap> {
        let since = match &self.since {
            Some((k, since)) if Arc::ptr_eq(k, keys) => since.clone(),
            _ => {
                let since = Matcher::new(&self.objectives).evaluate_routes(keys, bounds_us);
                self.since = Some((keys.clone(), since.clone()));
                since
            }
        };
        self.objectives
            .iter()
            .zip(since)
            .enumerate()
            .map(|(i, (o, since))| {
                let budget = 1.0 - o.target;
                let burn_of = |(good, total): (u64, u64)| {
                    (total > 0).then(|| (total - good) as f64 / total as f64 / budget)
                };
                let mut burn = [None; BURN_WINDOWS.len()];
                for (b, (len, _)) in burn.iter_mut().zip(BURN_WINDOWS) {
                    *b = burn_of(self.window(i, self.now, len));
                }
                let burn_series = (0..30u64)
                    .rev()
                    .map(|back| {
                        burn_of(self.window(i, self.now.saturating_sub(back), 5)).unwrap_or(0.0)
                    })
                    .collect();
                SloSnap {
                    name: o.name.clone(),
                    target: o.target,
                    since: since.total,
                    routes: since.routes,
                    burn,
                    burn_series,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dur(s: &str) -> Result<Duration, String> {
        match s.strip_suffix("ms") {
            Some(n) => n
                .parse()
                .map(Duration::from_millis)
                .map_err(|e| e.to_string()),
            None => Err(format!("bad duration {s}")),
        }
    }

    #[test]
    fn glob_star_matches_any_run_slashes_included() {
        let g = |p: &str, s: &str| Pattern::parse(p).unwrap().matches(s);
        assert!(g("/api/*", "/api/users/:id"));
        assert!(g("*", ""));
        assert!(g("/a*b*c", "/aXbYbZc"));
        assert!(!g("/api/*", "/apix"));
        assert!(g("*/:id", "/users/:id"));
        assert!(!g("/users", "/users/:id"));
        assert!(g("~^/api/v[12]/", "/api/v2/x"));
        assert!(!g("~^/api/v[12]/", "/api/v3/x"));
    }

    #[test]
    fn flag_forms_parse() {
        let o = Objective::parse("/api/*:99%<300ms", dur).unwrap();
        assert_eq!(o.target, 0.99);
        assert_eq!(o.kind, Kind::Latency(300_000));
        let o = Objective::parse("/api/*:99.9%", dur).unwrap();
        assert_eq!(o.target, 0.999);
        assert_eq!(parse_target("5%"), Ok(0.05));
        assert_eq!(parse_target("99.99 %"), Ok(0.9999));
        assert_eq!(parse_target("0.95"), Ok(0.95));
        assert_eq!(o.kind, Kind::Availability(BadStatuses::default()));
        // The pattern may hold colons (routes do: /users/:id).
        let o = Objective::parse("/users/:id:99%", dur).unwrap();
        assert_eq!(o.pattern.to_string(), "/users/:id");
        for bad in [
            "/a",
            "/a:100%",
            "/a:0%",
            "/a:x%",
            ":99%",
            "/a:99%<0ms",
            "~(:99%",
        ] {
            assert!(Objective::parse(bad, dur).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_statuses_parse() {
        let b = BadStatuses::parse("5xx, 429,400-404").unwrap();
        assert!(b.contains(503) && b.contains(429) && b.contains(402));
        assert!(!b.contains(499) && !b.contains(200));
        assert!(BadStatuses::parse("").is_err());
        assert!(BadStatuses::parse("0xx").is_err());
        assert!(BadStatuses::parse("500-400").is_err());
    }

    fn key(route: &str, status: u16, count: u64, buckets: Vec<u64>) -> KeySnap {
        KeySnap {
            route: route.into(),
            method: "GET".into(),
            status,
            count,
            timed: buckets.iter().sum::<u64>() + 1,
            buckets,
            ..KeySnap::default()
        }
    }

    #[test]
    fn first_matching_pattern_wins_and_latency_counts_buckets_at_or_under() {
        let objs = vec![
            Objective::parse("/api/*:99%<300ms", dur).unwrap(),
            Objective::parse("/api/*:99.9%", dur).unwrap(),
            Objective::parse("*:90%", dur).unwrap(),
        ];
        let m = Matcher::new(&objs);
        assert_eq!(m.of("/api/x"), &[0, 1]);
        assert_eq!(m.of("/health"), &[2]);
        let bounds = [100_000, 300_000, 1_000_000];
        // Each key: buckets (≤100ms, ≤300ms, ≤1s), plus 1 request above 1 s.
        let keys = [
            key("/api/x", 200, 10, vec![5, 3, 1]),
            key("/api/x", 503, 2, vec![0, 0, 1]),
            key("/health", 500, 4, vec![3, 0, 0]),
            key("/health", 200, 6, vec![5, 0, 0]),
        ];
        let c = m.evaluate(&keys, &bounds);
        // Latency: timed 10 + 2 = 12, at or under 300 ms: 8 + 0.
        assert_eq!(c[0], Compliance { good: 8, total: 12 });
        assert_eq!(
            c[1],
            Compliance {
                good: 10,
                total: 12
            }
        );
        assert_eq!(c[2], Compliance { good: 6, total: 10 });
        assert!(c[2].violated(0.9));
        assert_eq!(
            c[2].budget_left(0.9).map(|b| (b * 1000.0).round()),
            Some(-3000.0)
        );
        assert!(!Compliance { good: 0, total: 0 }.violated(0.9));
    }

    #[test]
    fn burn_rates_are_the_bad_share_of_each_window_over_the_budget() {
        let objs = vec![
            Objective::parse("/api/*:99%", dur).unwrap(),
            Objective::parse("/api/*:90%<300ms", dur).unwrap(),
        ];
        let mut t = Tracker::new(objs);
        // Minute m: 100 requests, m of them 5xx; latencies 100 ms, except
        // 10 at 400 ms in minute 9.
        for m in 0..10u64 {
            for i in 0..100u64 {
                let status = if i < m { 503 } else { 200 };
                let us = if m == 9 && i < 10 { 400_000 } else { 100_000 };
                t.record(1, || "/api/x".into(), m, status, Some(us));
            }
        }
        // An untimed request counts for availability only.
        t.record(1, || "/api/x".into(), 9, 200, None);
        // Another route is not covered.
        t.record(2, || "/other".into(), 9, 500, Some(1));
        let s = t.snapshot(&Arc::from(Vec::<KeySnap>::new()), &[]);
        // 5m = minutes 5..=9: bad 5+6+7+8+9 = 35 of 501, budget 1 %.
        let b5 = s[0].burn[0].unwrap();
        assert!((b5 - 35.0 / 501.0 / 0.01).abs() < 1e-9, "{b5}");
        // 30m and longer: every minute, bad 45 of 1001.
        for w in 1..5 {
            assert!((s[0].burn[w].unwrap() - 45.0 / 1001.0 / 0.01).abs() < 1e-9);
        }
        // Latency: 10 of 500 over 300 ms in the last 5 minutes, budget 10 %.
        assert!((s[1].burn[0].unwrap() - 10.0 / 500.0 / 0.1).abs() < 1e-9);
        // The series ends with the current 5-minute rate.
        assert_eq!(s[0].burn_series.len(), 30);
        assert_eq!(s[0].burn_series.last().copied(), s[0].burn[0]);
        // Minutes past the longest window drop out.
        t.advance(9 + 4320);
        assert_eq!(
            t.snapshot(&Arc::from(Vec::<KeySnap>::new()), &[])[0].burn[4],
            None
        );
    }

    /// Workers' minutes add up minute by minute; where two hold different
    /// minutes in one slot (4 320 apart) the newer stays; the untimed
    /// minute 0 goes into the minute given.
    #[test]
    fn added_trackers_sum_each_minute_and_keep_the_newer_of_a_slot() {
        let objectives = vec![Objective::parse("*:99%", dur).unwrap()];
        let (mut a, mut b, mut untimed) = (
            Tracker::new(objectives.clone()),
            Tracker::new(objectives.clone()),
            Tracker::new(objectives),
        );
        let name = || "/x".to_string();
        a.record(1, name, 10, 200, None);
        a.record(1, name, 11, 500, None);
        b.record(1, name, 11, 200, None);
        b.record(1, name, 10 + 4320, 503, None);
        untimed.record(1, name, 0, 500, None);
        a.add(&b);
        assert_eq!(a.minutes(0), vec![(11, 1, 2), (4330, 0, 1)]);
        assert_eq!(a.now, 4330);
        a.add_at(&untimed, 11);
        assert_eq!(a.minutes(0), vec![(11, 1, 3), (4330, 0, 1)]);
        // An older minute does not replace a newer one.
        let mut c = Tracker::new(vec![Objective::parse("*:99%", dur).unwrap()]);
        c.record(1, name, 10, 200, None);
        a.add(&c);
        assert_eq!(a.minutes(0), vec![(11, 1, 3), (4330, 0, 1)]);
    }
}
