//! Rendering a snapshot as an exposition: the families (`families.rs`)
//! encoded as text (`text.rs`), and the cache that renders (and gzips) a
//! snapshot's families once however many scrapes come for it.

use std::sync::Arc;

use flate2::CompressError;
use hyper::body::Bytes;

use super::families::{self, ScrapeState, families};
use super::gzip::{self, Piece};
use super::specs::RenderOptions;
use super::text::{self, Format};
use crate::engine::snapshot::Snapshot;

/// Renders `snap` in the Prometheus text format (0.0.4). `state` is the
/// consumer's memory between renders (see [`ScrapeState`]).
pub fn render(snap: &Snapshot, opts: &RenderOptions, state: &mut ScrapeState) -> String {
    render_as(snap, opts, state, Format::Text)
}

/// Renders `snap` in the given exposition format.
pub fn render_as(
    snap: &Snapshot,
    opts: &RenderOptions,
    state: &mut ScrapeState,
    format: Format,
) -> String {
    text::encode(&families(snap, opts, state), format)
}

/// Reuses the encoded snapshot-only families while the snapshot stays the
/// same: scrapes (several Prometheus servers, or a fast scraper) often
/// come more than once per published snapshot, and then only the max
/// gauge — which depends on the scraper's state — is rendered again (and,
/// for gzip, compressed again: the rest is compressed once per snapshot,
/// see `gzip.rs`). One cache per set of [`RenderOptions`]; the output is
/// exactly [`render_as`]'s, gzipped or not.
#[derive(Default)]
pub struct RenderCache {
    key: Option<(Arc<Snapshot>, Format)>,
    /// Families sorting before the max gauge, and after it (with the end
    /// of the exposition). Shared, not copied, by every response that
    /// serves them ([`RenderCache::render_parts`]).
    head: Bytes,
    tail: Bytes,
    /// `head` and `tail` compressed, at the first gzip scrape of the
    /// snapshot.
    gz: Option<(Piece, Piece)>,
}

impl RenderCache {
    /// The exposition as text.
    pub fn render(
        &mut self,
        snap: &Arc<Snapshot>,
        opts: &RenderOptions,
        state: &mut ScrapeState,
        format: Format,
    ) -> String {
        let parts = self.render_parts(snap, opts, state, format);
        let mut out = Vec::with_capacity(parts.iter().map(Bytes::len).sum());
        for p in &parts {
            out.extend_from_slice(p);
        }
        // The parts are whole encoded families, each valid UTF-8.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// The exposition as text in three parts, to be sent one after the
    /// other: the snapshot's families before the max gauge and after it
    /// are shared by every response of the snapshot (reference-counted),
    /// so 64 slow scrapers of a 12 MB exposition hold one copy of it, not
    /// 64.
    pub fn render_parts(
        &mut self,
        snap: &Arc<Snapshot>,
        opts: &RenderOptions,
        state: &mut ScrapeState,
        format: Format,
    ) -> [Bytes; 3] {
        let max = self.update(snap, opts, state, format);
        [self.head.clone(), Bytes::from(max), self.tail.clone()]
    }

    /// The exposition as one gzip member: what [`RenderCache::render`]
    /// returns, compressed.
    pub fn render_gzip(
        &mut self,
        snap: &Arc<Snapshot>,
        opts: &RenderOptions,
        state: &mut ScrapeState,
        format: Format,
    ) -> Result<Vec<u8>, CompressError> {
        let max = self.update(snap, opts, state, format);
        let max = Piece::new(max.as_bytes())?;
        let (head, tail) = match self.gz.take() {
            Some(p) => p,
            None => (Piece::new(&self.head)?, Piece::new(&self.tail)?),
        };
        let out = gzip::member(&[&head, &max, &tail]);
        self.gz = Some((head, tail));
        Ok(out)
    }

    /// Renders the snapshot-only parts again if `snap` or `format` changed;
    /// returns the max gauge, rendered for this scrape.
    fn update(
        &mut self,
        snap: &Arc<Snapshot>,
        opts: &RenderOptions,
        state: &mut ScrapeState,
        format: Format,
    ) -> String {
        let hit = matches!(&self.key, Some((s, f)) if Arc::ptr_eq(s, snap) && *f == format);
        if !hit {
            let fams = families::snapshot_families(snap, opts);
            let max_name = families::max_gauge_name(opts);
            let at = fams.partition_point(|f| f.name() < max_name.as_str());
            self.head = Bytes::from(text::encode_part(&fams[..at], format));
            let mut tail = text::encode_part(&fams[at..], format);
            text::end(&mut tail, format);
            self.tail = Bytes::from(tail);
            self.gz = None;
            self.key = Some((snap.clone(), format));
        }
        families::max_gauge(snap, opts, state)
            .map(|m| text::encode_part(std::slice::from_ref(&m), format))
            .unwrap_or_default()
    }
}
