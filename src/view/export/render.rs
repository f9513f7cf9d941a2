//! Rendering a snapshot as an exposition: the families (`families.rs`)
//! encoded as text (`text.rs`), and the cache that renders (and gzips) a
//! snapshot's families once however many scrapes come for it.

use std::sync::Arc;

use flate2::CompressError;

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
    /// of the exposition).
    head: String,
    tail: String,
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
        let max = self.update(snap, opts, state, format);
        let mut out = String::with_capacity(self.head.len() + max.len() + self.tail.len());
        out.push_str(&self.head);
        out.push_str(&max);
        out.push_str(&self.tail);
        out
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
            None => (
                Piece::new(self.head.as_bytes())?,
                Piece::new(self.tail.as_bytes())?,
            ),
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
            self.head = text::encode_part(&fams[..at], format);
            self.tail = text::encode_part(&fams[at..], format);
            text::end(&mut self.tail, format);
            self.gz = None;
            self.key = Some((snap.clone(), format));
        }
        families::max_gauge(snap, opts, state)
            .map(|m| text::encode_part(std::slice::from_ref(&m), format))
            .unwrap_or_default()
    }
}
