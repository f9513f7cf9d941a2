//! Saved state (`--state`): what a restarted routetop needs to go on
//! counting exactly where the last one stopped — every since-start
//! aggregate and, per input, how far each file was counted — as one value
//! ([`Saved`]), and its encoding in bytes.
//!
//! Offsets and aggregates are taken by the engine at one instant, between
//! two events, so they always agree: every line before a saved offset is in
//! the saved counts and none after it. The file that holds them is written
//! by `run/state.rs` (atomically); this module does no IO.
//!
//! What is kept: per key (source, route, method, status) the exact
//! counters, sums, maxima and bucket counters; per route and in total the
//! since-start latency histogram (HDR, exact to its precision), its maximum
//! and the drill-down's power-of-two distribution; the route and method
//! names the ids stand for, the folded-route count; per input its line
//! accounting, first bad lines and file marks. Windows and series are not
//! kept: they describe the last minutes, which a restart interrupts anyway.
//! The size follows the caps: at most `--max-routes` routes and the key cap
//! of entries (a few hundred bytes each), one histogram per route.
//!
//! Encoding: a magic line, then gzip of JSON. gzip's CRC-32 and length make
//! a truncated or damaged file fail to decode rather than load wrong
//! numbers; JSON keeps the format readable (`zcat` after the first line)
//! and tolerant of fields added later.

use std::io::Read;

use serde::{Deserialize, Serialize};

use super::event::FileMark;
use super::facet::{FacetCounts, FacetKind, Facets};
use super::hist::{Hist, new_hdr};
use super::input_stats::{BadLine, InputStats, LinePos};
use super::stats::{Stats, Timer};
use crate::format::ErrorKind;

/// Version of the saved state's shape; another version is not loaded.
pub const STATE_VERSION: u32 = 1;

/// First bytes of a state file.
const MAGIC: &[u8] = b"routetop state\n";

/// Everything a restart restores.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct Saved {
    pub version: u32,
    /// When it was taken, Unix milliseconds.
    pub saved_at_ms: u64,
    /// Seconds spent counting so far (all runs): since-start rates of
    /// arrival time go on over it.
    pub counting_secs: f64,
    /// The bucket bounds the bucket counters are for.
    pub bounds_us: Vec<u64>,
    /// The route cap they were counted under.
    pub max_routes: usize,
    /// Route names by id (id 0 is the overflow route).
    pub routes: Vec<String>,
    /// Method names by id.
    pub methods: Vec<String>,
    /// Hashes of the distinct routes folded into the overflow.
    pub folded: Vec<u64>,
    pub keys_folded: u64,
    pub span: Option<(i64, i64)>,
    pub keys: Vec<SavedKey>,
    /// Since-start latency of each route that has one.
    pub route_latency: Vec<SavedLatency>,
    pub total_latency: SavedLatency,
    pub sources: Vec<SavedSource>,
    /// Per facet kind (backend, host): its pairs and folded names. Not in
    /// files of earlier versions, which load without them.
    #[serde(default)]
    pub facets: Vec<SavedFacet>,
}

/// One facet kind's counts (`facet.rs`).
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct SavedFacet {
    /// [`FacetKind::as_str`].
    pub kind: String,
    /// Hashes of the distinct names folded into `(other)`.
    pub folded: Vec<u64>,
    pub pairs: Vec<SavedPair>,
}

/// The counters of one (route, facet value).
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct SavedPair {
    /// Route id, as in [`Saved::routes`].
    pub route: u32,
    /// The value's name (`(other)` for the folded ones).
    pub name: String,
    pub requests: u64,
    pub errors_5xx: u64,
    pub timed: u64,
    pub lat_sum_us: u64,
    pub lat_max_us: u64,
}

/// The facets of `facets`, for [`Saved::facets`].
pub fn save_facets(facets: &Facets) -> Vec<SavedFacet> {
    FacetKind::ALL
        .iter()
        .map(|&k| {
            let t = facets.table(k);
            let mut pairs: Vec<SavedPair> = t
                .pairs()
                .map(|(route, name, c)| SavedPair {
                    route,
                    name: name.to_string(),
                    requests: c.requests,
                    errors_5xx: c.errors_5xx,
                    timed: c.timed,
                    lat_sum_us: c.lat_sum_us,
                    lat_max_us: c.lat_max_us,
                })
                .collect();
            pairs.sort_by(|a, b| (a.route, &a.name).cmp(&(b.route, &b.name)));
            SavedFacet {
                kind: k.as_str().to_string(),
                folded: t.folded_hashes(),
                pairs,
            }
        })
        .collect()
}

/// Adds saved facets to `facets`, each saved route id `r` counted under
/// `route(r)`. A kind this version does not know is skipped.
pub fn restore_facets(facets: &mut Facets, saved: &[SavedFacet], route: impl Fn(u32) -> u32) {
    for f in saved {
        let Some(k) = FacetKind::ALL.into_iter().find(|k| k.as_str() == f.kind) else {
            continue;
        };
        let t = facets.table_mut(k);
        t.note_folded(f.folded.iter().copied());
        for p in &f.pairs {
            let c = FacetCounts {
                requests: p.requests,
                errors_5xx: p.errors_5xx,
                timed: p.timed,
                lat_sum_us: p.lat_sum_us,
                lat_max_us: p.lat_max_us,
            };
            t.add(route(p.route), p.name.as_bytes(), &c);
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct SavedKey {
    pub source: u16,
    pub route: u32,
    pub method: u8,
    pub status: u16,
    pub count: u64,
    pub bytes: u64,
    pub latency: SavedTimer,
    pub upstream: Option<SavedTimer>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct SavedTimer {
    pub timed: u64,
    pub sum_us: u64,
    pub max_us: u64,
    pub buckets: Vec<u64>,
}

/// A since-start latency histogram and what goes with it.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct SavedLatency {
    pub route: u32,
    pub max_us: u64,
    /// Requests by bit length of their µs.
    pub log2: Vec<u64>,
    pub hist: SavedHist,
}

/// A [`Hist`]: the exact list while small, else the HDR's non-empty
/// buckets as (highest value of the bucket, count) — recording those
/// values again fills the same buckets.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum SavedHist {
    Small(Vec<u32>),
    Buckets(Vec<(u64, u64)>),
}

impl Default for SavedHist {
    fn default() -> Self {
        SavedHist::Small(Vec::new())
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct SavedSource {
    pub id: u16,
    pub name: String,
    /// W3C: the format's preset and the `#Fields:` line in force.
    #[serde(default)]
    pub fields: Option<(String, Vec<u8>)>,
    pub line_no: u64,
    pub rotations: u64,
    pub lines: u64,
    pub requests: u64,
    /// Requests that gave a size (all but [`InputStats::sizeless`]); absent in state
    /// saved before it was kept: then taken as every request, as bytes
    /// were shown then.
    #[serde(default)]
    pub sized: Option<u64>,
    /// By [`ErrorKind`] name.
    pub errors: Vec<(String, u64)>,
    /// By [`crate::format::Odd`] index.
    pub odd: Vec<u64>,
    pub samples: Vec<SavedBadLine>,
    pub marks: Vec<SavedMark>,
    /// Requests per variant of a messy file's format, by index: of the
    /// variants of [`SavedSource::format`].
    #[serde(default)]
    pub variants: Vec<u64>,
    /// A format of several variants as `auto` found it: its name and the
    /// names of its variants in order (spares included), so a restart
    /// reads on by the same variants, which the counts above are by, and
    /// does not detect another set from the lines after its mark.
    #[serde(default)]
    pub format: Option<(String, Vec<String>)>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct SavedBadLine {
    pub line: u64,
    pub kind: String,
    pub text: Vec<u8>,
    pub len: u64,
    pub why: String,
}

/// How far one file was counted (see [`super::FileMark`]).
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct SavedMark {
    pub dev: u64,
    pub ino: u64,
    pub end: u64,
    pub fp: Vec<u8>,
}

impl SavedMark {
    /// The mark as the follower and the engine hold it.
    pub fn file_mark(&self) -> FileMark {
        FileMark {
            file: (self.dev, self.ino),
            end: self.end,
            fp: self.fp.clone(),
        }
    }
}

/// Why saved state cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("not a routetop state file")]
    Foreign,
    #[error("damaged or truncated ({0})")]
    Damaged(String),
    #[error(
        "saved by another version of the state format ({0}; this routetop reads {STATE_VERSION})"
    )]
    Version(u32),
}

impl Saved {
    /// The bytes of a state file.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        let mut gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::fast());
        // Writing into a Vec cannot fail; neither can serialising plain
        // data (no maps with non-string keys).
        let _ = serde_json::to_writer(&mut gz, self);
        let _ = gz.finish();
        out
    }

    /// Reads a state file's bytes.
    pub fn decode(bytes: &[u8]) -> Result<Saved, LoadError> {
        let body = bytes.strip_prefix(MAGIC).ok_or(LoadError::Foreign)?;
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(body)
            .read_to_end(&mut json)
            .map_err(|e| LoadError::Damaged(e.to_string()))?;
        // The version first, so that a newer shape says so rather than
        // failing to parse.
        #[derive(Deserialize)]
        struct Head {
            version: u32,
        }
        let head: Head =
            serde_json::from_slice(&json).map_err(|e| LoadError::Damaged(e.to_string()))?;
        if head.version != STATE_VERSION {
            return Err(LoadError::Version(head.version));
        }
        serde_json::from_slice(&json).map_err(|e| LoadError::Damaged(e.to_string()))
    }
}

pub(super) fn save_timer(t: &Timer) -> SavedTimer {
    SavedTimer {
        timed: t.timed,
        sum_us: t.sum_us,
        max_us: t.max_us,
        buckets: t.buckets.to_vec(),
    }
}

/// A key's statistics from their saved form, with `n_buckets` counters
/// (the caller checked the bounds are the saved ones).
pub(super) fn restore_stats(k: &SavedKey, n_buckets: usize) -> Stats {
    let timer = |t: &SavedTimer| {
        let mut b = t.buckets.clone();
        b.resize(n_buckets, 0);
        Timer::restored(t.timed, t.sum_us, t.max_us, b)
    };
    Stats {
        count: k.count,
        bytes: k.bytes,
        upstream: k.upstream.as_ref().map(|t| Box::new(timer(t))),
        latency: timer(&k.latency),
    }
}

pub(super) fn save_hist(h: &Hist) -> SavedHist {
    match h {
        Hist::Small(v) => SavedHist::Small(v.clone()),
        Hist::Big(h) => SavedHist::Buckets(
            h.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect(),
        ),
    }
}

pub(super) fn restore_hist(s: &SavedHist) -> Hist {
    match s {
        SavedHist::Small(v) => Hist::Small(v.clone()),
        SavedHist::Buckets(b) => {
            let mut h = new_hdr();
            for &(v, n) in b {
                h.saturating_record_n(v, n);
            }
            Hist::Big(h)
        }
    }
}

pub(super) fn save_input(s: &InputStats) -> (Vec<(String, u64)>, Vec<u64>, Vec<SavedBadLine>) {
    let errors = ErrorKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), s.errors[k.index()]))
        .filter(|(_, n)| *n > 0)
        .collect();
    let samples = s
        .samples
        .iter()
        .map(|b| SavedBadLine {
            line: b.pos.local,
            kind: b.kind.as_str().into(),
            text: b.text.clone(),
            len: b.len,
            why: b.why.clone(),
        })
        .collect();
    (errors, s.odd.to_vec(), samples)
}

pub(super) fn restore_input(s: &SavedSource) -> InputStats {
    let mut out = InputStats {
        lines: s.lines,
        requests: s.requests,
        sizeless: s.requests.saturating_sub(s.sized.unwrap_or(s.requests)),
        ..InputStats::default()
    };
    for (name, n) in &s.errors {
        if let Some(k) = ErrorKind::ALL.iter().find(|k| k.as_str() == name) {
            out.errors[k.index()] += n;
        }
    }
    for (a, b) in out.odd.iter_mut().zip(&s.odd) {
        *a = *b;
    }
    for (a, b) in out.variants.iter_mut().zip(&s.variants) {
        *a = *b;
    }
    for b in &s.samples {
        let Some(kind) = ErrorKind::ALL.iter().find(|k| k.as_str() == b.kind) else {
            continue;
        };
        out.samples.push(BadLine {
            pos: LinePos {
                seq: 0,
                local: b.line,
            },
            line_no: 0,
            kind: *kind,
            text: b.text.clone(),
            len: b.len,
            why: b.why.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Saved {
        Saved {
            version: STATE_VERSION,
            saved_at_ms: 1_700_000_000_000,
            counting_secs: 12.5,
            bounds_us: vec![5000, 10000],
            max_routes: 10,
            routes: vec!["(overflow)".into(), "/a".into()],
            methods: vec!["GET".into()],
            keys: vec![SavedKey {
                source: 0,
                route: 1,
                method: 0,
                status: 200,
                count: 3,
                bytes: 30,
                latency: SavedTimer {
                    timed: 3,
                    sum_us: 9000,
                    max_us: 4000,
                    buckets: vec![3, 0],
                },
                upstream: None,
            }],
            ..Saved::default()
        }
    }

    #[test]
    fn state_decodes_to_what_was_encoded() {
        let s = sample();
        assert_eq!(Saved::decode(&s.encode()).unwrap(), s);
    }

    #[test]
    fn truncated_damaged_foreign_and_newer_state_is_refused() {
        let bytes = sample().encode();
        for cut in [0, 5, MAGIC.len(), MAGIC.len() + 10, bytes.len() - 1] {
            assert!(Saved::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        let mid = MAGIC.len() + (bytes.len() - MAGIC.len()) / 2;
        flipped[mid] ^= 0x40;
        assert!(Saved::decode(&flipped).is_err());
        assert!(matches!(
            Saved::decode(b"{\"version\":1}"),
            Err(LoadError::Foreign)
        ));
        let newer = Saved {
            version: STATE_VERSION + 1,
            ..sample()
        };
        assert!(matches!(
            Saved::decode(&newer.encode()),
            Err(LoadError::Version(v)) if v == STATE_VERSION + 1
        ));
    }

    #[test]
    fn hdr_histogram_survives_saving_bucket_for_bucket() {
        let mut h = Hist::default();
        for us in (1..5000u64).map(|i| i * 37 % 900_000 + 1) {
            h.record(us);
        }
        assert!(matches!(h, Hist::Big(_)));
        let back = restore_hist(&save_hist(&h));
        assert_eq!(back.count(), h.count());
        for q in [0.5, 0.9, 0.99, 0.999] {
            assert_eq!(back.quantile(q, u64::MAX), h.quantile(q, u64::MAX), "q {q}");
        }
        assert_eq!(save_hist(&back), save_hist(&h));
    }
}
