//! What a batch run (`--once`) counted: each worker's finished shard, the
//! line accounting of every source, and what became of each source; from
//! them the [`Summary`] the report prints and, for `--push`, the same
//! [`Snapshot`] the live views read.

use std::sync::Arc;
use std::time::SystemTime;

use super::aggregates::Aggregates;
use super::event::{InputState, SourceId};
use super::input_stats::InputStats;
use super::minutes::Minutes;
use super::registry::SharedRegistry;
use super::shard::Finished;
use super::snapshot::{self, InputSnap, Snapshot};
use super::summary::{QUANTILES, Summary};

/// What became of a source of a batch run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceReport {
    pub name: String,
    /// Format used; `None` when the input had no lines to detect one from.
    pub format: Option<String>,
    /// Auto-detection result: sample lines matched / looked at.
    pub detected: Option<(usize, usize)>,
    pub has_latency: bool,
    pub has_upstream: bool,
    /// Its format gives each response's size.
    pub has_bytes: bool,
    /// The variants of a messy file's format, in the order tried; empty
    /// for a format of one kind of line.
    pub variants: Vec<String>,
}

/// Lines in block `seq` of source `SourceId`: what turns a bad line's
/// position (block, line in block) into its line number.
pub type BlockLines = (SourceId, u32, u64);

/// Everything a batch run counted.
pub struct Batch {
    /// Each worker's aggregates, not merged: the summary groups keys across
    /// them (merging first would copy every busy histogram once more).
    pub aggs: Vec<Aggregates>,
    /// Line accounting per source, over all workers, with line numbers.
    pub inputs: Vec<InputStats>,
    pub sources: Vec<SourceReport>,
    /// The workers' requests per objective per log minute, if counted.
    pub minutes: Option<Box<Minutes>>,
    registry: SharedRegistry,
    bounds_us: Arc<[u64]>,
}

impl Batch {
    /// Gathers the workers' shards. `blocks` says how many lines each block
    /// held, for the line numbers of kept bad lines.
    pub fn new(
        shards: Vec<Finished>,
        blocks: Vec<BlockLines>,
        sources: Vec<SourceReport>,
        registry: SharedRegistry,
        bounds_us: Arc<[u64]>,
    ) -> Batch {
        let mut aggs = Vec::with_capacity(shards.len());
        let mut inputs: Vec<InputStats> = Vec::new();
        let mut minutes: Option<Box<Minutes>> = None;
        for shard in shards {
            match (&mut minutes, shard.minutes) {
                (Some(all), Some(m)) => all.merge(&m),
                (all, m) => *all = all.take().or(m),
            }
            if inputs.len() < shard.inputs.len() {
                inputs.resize_with(shard.inputs.len(), InputStats::default);
            }
            for (a, b) in inputs.iter_mut().zip(&shard.inputs) {
                a.merge(b);
            }
            aggs.push(shard.agg);
        }
        number_lines(&mut inputs, blocks);
        inputs.resize_with(sources.len(), InputStats::default);
        Batch {
            aggs,
            inputs,
            sources,
            minutes,
            registry,
            bounds_us,
        }
    }

    /// The per-route and per-key summary, built on `threads` threads.
    pub fn summary(&self, threads: usize) -> Summary {
        let reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        let shards: Vec<&Aggregates> = self.aggs.iter().collect();
        Summary::build(&shards, &reg, threads)
    }

    /// The same data as the views' snapshot (for `--push` after `--once`);
    /// built on demand, since a report alone does not need it.
    pub fn snapshot(&self) -> Snapshot {
        let agg = Aggregates::merged(&self.aggs);
        let reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        let since = snapshot::since_start(&agg, &reg, None);
        Snapshot {
            seq: 1,
            taken_at: Some(SystemTime::now()),
            span: agg.span,
            quantiles: QUANTILES,
            buckets_us: self.bounds_us.clone(),
            inputs: self
                .sources
                .iter()
                .zip(&self.inputs)
                .enumerate()
                .map(|(i, (src, st))| InputSnap {
                    format: src.format.clone(),
                    has_latency: src.has_latency,
                    has_upstream: src.has_upstream,
                    has_bytes: st.logs_bytes(src.has_bytes),
                    variants: snapshot::variant_lines(&src.variants, st),
                    ..snapshot::input_snap(i as u16, &src.name, None, InputState::Done, st, 0)
                })
                .collect(),
            total: since.total,
            routes: since.routes.into_iter().map(|(_, r)| r).collect(),
            keys: since.keys,
            overflow: since.overflow,
            facets: since.facets,
            ..Default::default()
        }
    }
}

/// Turns (block, line in block) positions of kept bad lines into line
/// numbers.
fn number_lines(inputs: &mut [InputStats], mut blocks: Vec<BlockLines>) {
    blocks.sort_unstable();
    for (src, input) in inputs.iter_mut().enumerate() {
        for s in &mut input.samples {
            let before: u64 = blocks
                .iter()
                .filter(|(bs, seq, _)| *bs as usize == src && *seq < s.pos.seq)
                .map(|(_, _, n)| n)
                .sum();
            s.line_no = before + s.pos.local + 1;
        }
    }
}
