//! The aggregation engine: parsed lines → per-key statistics.
//!
//! A key is (source, route, method, status). Each key keeps the request
//! count, bytes, the exact latency sum and maximum, a latency [`Hist`], exact
//! counters for the configured histogram buckets (so Prometheus `le` counts
//! are exact, not HDR-rounded) and, when the format has one, the same for the
//! upstream time.
//!
//! Ingestion is sharded: each parsing thread owns a shard ([`BatchShard`],
//! or the live engine's one [`LiveShard`]: its own
//! aggregates, scratch buffers and a cache of route ids, `resolve.rs`) and
//! only touches the shared [`Registry`] — route and method names — on a
//! cache miss, which is once per route per thread (past the route cap, once
//! per batch of folded names). At the end of a batch run the summary groups
//! keys across the shards (`summary::Summary::build`), without merging
//! them first.
//!
//! Memory is bounded on any input: routes are capped by the route table,
//! methods by the method table, statuses are 0–999, and the number of keys is
//! capped too, per shard (beyond it, new keys fold into the overflow route).
//! Per key: ~120 B fixed + buckets (8 B each) + the histogram (≤ 1 KiB while
//! it is an exact list of up to 256 values, 26 KiB once HDR: `hist.rs`) and,
//! once HDR, up to [`PENDING`] latencies waiting to enter it (2 KiB; the
//! same again for the upstream time when the log has one).

mod aggregates;
pub mod apdex;
mod apdex_figures;
pub mod backfill;
mod batch;
mod deferred;
mod epoch;
mod event;
pub mod facet;
pub mod hist;
mod input_stats;
mod key;
pub mod live;
pub mod minutes;
mod options;
pub mod persist;
mod registry;
mod resolve;
mod shard;
pub mod slo;
mod slo_figures;
pub mod snapshot;
mod stats;
pub mod summary;
pub mod window;

#[cfg(test)]
mod tests;

pub use aggregates::{Aggregates, Entry};
pub use batch::{Batch, BlockLines, SourceReport};
pub use event::{FileMark, InputEvent, InputState, MARK_FP_LEN, MAX_SOURCES, SourceId};
pub use hist::Hist;
pub use input_stats::{BadLine, InputStats, LinePos, MAX_SAMPLES, SAMPLE_BYTES};
pub use key::{Ingested, Key, METHOD_NONE, METHOD_OTHER, MethodTable, STANDARD_METHODS};
pub use options::{DEFAULT_BUCKETS, DEFAULT_MAX_LINE, EngineConfig};
pub use registry::{Registry, SharedRegistry};
pub use shard::{BatchShard, Finished, LiveShard};
pub use stats::{PENDING, Stats, Timer};
