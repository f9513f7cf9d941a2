//! What each metric family is: its name, help text, type and labels, written
//! once in [`SPECS`] for both `families.rs`, which builds the families of a
//! snapshot from it, and [`descs`], which declares them to a
//! `prometheus::Registry`; and the options that shape every family.

use prometheus::proto::{MetricFamily, MetricType};

use std::sync::Arc;

use super::options::StatusLabel;
#[cfg(doc)]
use crate::engine::facet::FacetKind;
use crate::engine::slo::Objective;

/// What shapes the families (besides the snapshot).
#[derive(Clone, Debug, PartialEq)]
pub struct RenderOptions {
    /// Prefix of the `http_*` families, without the `_`.
    pub namespace: Option<String>,
    /// Export `http_request_duration_seconds_max`.
    pub max_gauge: bool,
    /// What the per-key families' `status` label says.
    pub status: StatusLabel,
    /// Export `http_request_duration_window_seconds`.
    pub summary: bool,
    /// Service-level objectives (`--slo`): their families when any.
    pub slo: Arc<[Objective]>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            namespace: None,
            max_gauge: true,
            status: StatusLabel::Code,
            summary: true,
            slo: Arc::from([]),
        }
    }
}

impl RenderOptions {
    /// Whether the options export `spec` (the max gauge and the summary can
    /// be turned off).
    pub(crate) fn exports(&self, spec: &Spec) -> bool {
        match spec.name {
            n if n == MAX.name => self.max_gauge,
            n if n == WINDOW.name => self.summary,
            n if [SLO_TARGET.name, SLO_GOOD.name, SLO_TOTAL.name].contains(&n) => {
                !self.slo.is_empty()
            }
            _ => true,
        }
    }
}

/// A family as declared: its name, help, type and the labels each of its
/// metrics carries, written once for both `families()` (which fills it)
/// and [`descs`] (which declares it to a `prometheus::Registry`).
#[derive(Debug)]
pub(crate) struct Spec {
    /// Without the namespace.
    pub name: &'static str,
    /// [`WINDOW`]'s has [`OVER`] in it, replaced by the window it covers.
    pub help: &'static str,
    pub kind: MetricType,
    /// Label names in order. The per-key families add `source` when the
    /// snapshot has several inputs; a `Desc` lists the labels always there.
    pub labels: &'static [&'static str],
    /// Prefixed by `--namespace` (the `http_*` families).
    pub namespaced: bool,
}

/// Labels of the per-key families (and `source` with several inputs).
pub(crate) const KEY_LABELS: &[&str] = &["route", "method", "status"];

/// Placeholder in [`WINDOW`]'s help for the window its quantiles cover.
pub(super) const OVER: &str = "{over}";
/// What [`descs`] says in its place: a `Desc` is made before any snapshot.
pub(crate) const DESC_OVER: &str = "over the shortest window (since start in a batch)";

pub(super) const REQUESTS: Spec = Spec {
    name: "http_requests_total",
    help: "Requests logged, by route template, method and status.",
    kind: MetricType::COUNTER,
    labels: KEY_LABELS,
    namespaced: true,
};
pub(super) const DURATION: Spec = Spec {
    name: "http_request_duration_seconds",
    help: "Request latency from the access log (request time), exact bucket counts since start.",
    kind: MetricType::HISTOGRAM,
    labels: KEY_LABELS,
    namespaced: true,
};
pub(super) const BYTES: Spec = Spec {
    name: "http_response_size_bytes_total",
    help: "Response bytes sent, as logged.",
    kind: MetricType::COUNTER,
    labels: KEY_LABELS,
    namespaced: true,
};
pub(super) const UPSTREAM: Spec = Spec {
    name: "http_upstream_duration_seconds",
    help: "Upstream response time from the access log, exact bucket counts since start.",
    kind: MetricType::HISTOGRAM,
    labels: KEY_LABELS,
    namespaced: true,
};
pub(super) const WINDOW: Spec = Spec {
    name: "http_request_duration_window_seconds",
    help: "Request latency quantiles per route {over} (sum and count since start). \
           Quantiles do not aggregate across routes or hosts: use the \
           http_request_duration_seconds buckets for that.",
    kind: MetricType::SUMMARY,
    labels: &["route"],
    namespaced: true,
};
pub(super) const MAX: Spec = Spec {
    name: "http_request_duration_seconds_max",
    help: "Slowest request per route since the previous scrape (at least over the latest step).",
    kind: MetricType::GAUGE,
    labels: &["route"],
    namespaced: true,
};
pub(super) const BUILD: Spec = Spec {
    name: "routetop_build_info",
    help: "routetop build: version, git commit, build date, compiler (as routetop --version); the value is 1.",
    kind: MetricType::GAUGE,
    labels: &["version", "revision", "build_date", "rustc"],
    namespaced: false,
};
pub(super) const INPUTS: Spec = Spec {
    name: "routetop_inputs",
    help: "Inputs by state: done, following, waiting (not there yet), rotated, error.",
    kind: MetricType::GAUGE,
    labels: &["state"],
    namespaced: false,
};
pub(super) const LINES: Spec = Spec {
    name: "routetop_lines_read_total",
    help: "Lines read, per input.",
    kind: MetricType::COUNTER,
    labels: &["source"],
    namespaced: false,
};
pub(super) const UNPARSED: Spec = Spec {
    name: "routetop_lines_unparsed_total",
    help: "Lines that did not parse as a request, per input and reason.",
    kind: MetricType::COUNTER,
    labels: &["reason", "source"],
    namespaced: false,
};
pub(super) const VARIANT_LINES: Spec = Spec {
    name: "routetop_lines_parsed_by_variant_total",
    help: "Lines parsed as requests by each variant of a messy file's format (auto: several line templates, each line by the first that fits), per input; only inputs read by several.",
    kind: MetricType::COUNTER,
    labels: &["source", "variant"],
    namespaced: false,
};
pub(super) const ODD_VALUES: Spec = Spec {
    name: "routetop_odd_values_total",
    help: "Requests counted without a value they had, per input and kind: bad_timer (a timer that is NaN, infinite, negative or not a number), bad_time (a timestamp that is not a time).",
    kind: MetricType::COUNTER,
    labels: &["kind", "source"],
    namespaced: false,
};
pub(super) const ROTATIONS: Spec = Spec {
    name: "routetop_rotations_total",
    help: "Log rotations seen, per input.",
    kind: MetricType::COUNTER,
    labels: &["source"],
    namespaced: false,
};
pub(super) const ROUTES: Spec = Spec {
    name: "routetop_routes",
    help: "Routes tracked (including (overflow)).",
    kind: MetricType::GAUGE,
    labels: &[],
    namespaced: false,
};
pub(super) const ROUTES_LIMIT: Spec = Spec {
    name: "routetop_routes_limit",
    help: "Routes tracked before new ones fold into the (overflow) route (--max-routes).",
    kind: MetricType::GAUGE,
    labels: &[],
    namespaced: false,
};
pub(super) const OVERFLOW_ROUTES: Spec = Spec {
    name: "routetop_overflow_routes",
    help: "Distinct routes folded into (overflow) by the route cap (a lower bound when large).",
    kind: MetricType::GAUGE,
    labels: &[],
    namespaced: false,
};
pub(super) const OVERFLOW_REQUESTS: Spec = Spec {
    name: "routetop_overflow_requests_total",
    help: "Requests counted under the (overflow) route.",
    kind: MetricType::COUNTER,
    labels: &[],
    namespaced: false,
};
pub(super) const INGEST_LAG: Spec = Spec {
    name: "routetop_ingest_lag_seconds",
    help: "Write-to-read delay of live traffic: age of the newest line when it was read. Absent while replaying a log.",
    kind: MetricType::GAUGE,
    labels: &[],
    namespaced: false,
};
pub(super) const SNAPSHOT_TIME: Spec = Spec {
    name: "routetop_snapshot_timestamp_seconds",
    help: "When the exported statistics were computed (Unix time).",
    kind: MetricType::GAUGE,
    labels: &[],
    namespaced: false,
};

pub(super) const SLO_TARGET: Spec = Spec {
    name: "routetop_slo_objective_ratio",
    help: "Service-level objective (--slo): the share of good requests it asks for.",
    kind: MetricType::GAUGE,
    labels: &["slo"],
    namespaced: false,
};
pub(super) const SLO_GOOD: Spec = Spec {
    name: "routetop_slo_good_total",
    help: "Requests that met the objective (not failed; at or under its latency threshold), of the routes it covers.",
    kind: MetricType::COUNTER,
    labels: &["slo"],
    namespaced: false,
};
pub(super) const SLO_TOTAL: Spec = Spec {
    name: "routetop_slo_total",
    help: "Requests an objective counts (latency objectives: timed requests), of the routes it covers.",
    kind: MetricType::COUNTER,
    labels: &["slo"],
    namespaced: false,
};

// Per backend and per host over all routes, never per (route, value):
// their cardinality is the cap's, not routes × cap. Only with values.
pub(super) const BACKEND_REQUESTS: Spec = Spec {
    name: "routetop_backend_requests_total",
    help: "Requests per backend (what served the request: upstream address, load balancer target, proxy backend), over all routes; values past --max-facets are backend=\"(other)\".",
    kind: MetricType::COUNTER,
    labels: &["backend"],
    namespaced: false,
};
pub(super) const BACKEND_ERRORS: Spec = Spec {
    name: "routetop_backend_server_errors_total",
    help: "Requests with a 5xx status per backend, over all routes.",
    kind: MetricType::COUNTER,
    labels: &["backend"],
    namespaced: false,
};
pub(super) const BACKEND_DURATION: Spec = Spec {
    name: "routetop_backend_request_duration_seconds",
    help: "Request latency per backend over all routes: sum and count of timed requests since start.",
    kind: MetricType::SUMMARY,
    labels: &["backend"],
    namespaced: false,
};
pub(super) const BACKEND_LIMIT: Spec = Spec {
    name: "routetop_backends_limit",
    help: "Values of backend tracked before new ones count as (other) (--max-facets).",
    kind: MetricType::GAUGE,
    labels: &[],
    namespaced: false,
};
pub(super) const BACKEND_FOLDED: Spec = Spec {
    name: "routetop_overflow_backends",
    help: "Distinct values of backend counted as (other) by the cap (a lower bound when large).",
    kind: MetricType::GAUGE,
    labels: &[],
    namespaced: false,
};
pub(super) const HOST_REQUESTS: Spec = Spec {
    name: "routetop_host_requests_total",
    help: "Requests per host (the virtual host the request was addressed to), over all routes; values past --max-facets are host=\"(other)\".",
    kind: MetricType::COUNTER,
    labels: &["host"],
    namespaced: false,
};
pub(super) const HOST_ERRORS: Spec = Spec {
    name: "routetop_host_server_errors_total",
    help: "Requests with a 5xx status per host, over all routes.",
    kind: MetricType::COUNTER,
    labels: &["host"],
    namespaced: false,
};
pub(super) const HOST_DURATION: Spec = Spec {
    name: "routetop_host_request_duration_seconds",
    help: "Request latency per host over all routes: sum and count of timed requests since start.",
    kind: MetricType::SUMMARY,
    labels: &["host"],
    namespaced: false,
};
pub(super) const HOST_LIMIT: Spec = Spec {
    name: "routetop_hosts_limit",
    help: "Values of host tracked before new ones count as (other) (--max-facets).",
    kind: MetricType::GAUGE,
    labels: &[],
    namespaced: false,
};
pub(super) const HOST_FOLDED: Spec = Spec {
    name: "routetop_overflow_hosts",
    help: "Distinct values of host counted as (other) by the cap (a lower bound when large).",
    kind: MetricType::GAUGE,
    labels: &[],
    namespaced: false,
};

/// The families of each facet kind, in [`FacetKind::ALL`]'s order:
/// requests, 5xx, duration, limit, folded.
pub(super) const FACET_SPECS: [[&Spec; 5]; 2] = [
    [
        &BACKEND_REQUESTS,
        &BACKEND_ERRORS,
        &BACKEND_DURATION,
        &BACKEND_LIMIT,
        &BACKEND_FOLDED,
    ],
    [
        &HOST_REQUESTS,
        &HOST_ERRORS,
        &HOST_DURATION,
        &HOST_LIMIT,
        &HOST_FOLDED,
    ],
];

/// Every family `families()` can emit, which [`descs`] declares (the max
/// gauge and the summary only when they are on). A family built in `families` and missing
/// here, or listed here and never built, fails
/// `descs_are_what_families_emit` in `tests.rs`.
pub(crate) const SPECS: &[&Spec] = &[
    &REQUESTS,
    &DURATION,
    &BYTES,
    &UPSTREAM,
    &WINDOW,
    &MAX,
    &BUILD,
    &INPUTS,
    &LINES,
    &UNPARSED,
    &VARIANT_LINES,
    &ODD_VALUES,
    &ROTATIONS,
    &ROUTES,
    &ROUTES_LIMIT,
    &OVERFLOW_ROUTES,
    &OVERFLOW_REQUESTS,
    &INGEST_LAG,
    &SNAPSHOT_TIME,
    &SLO_TARGET,
    &SLO_GOOD,
    &SLO_TOTAL,
    &BACKEND_REQUESTS,
    &BACKEND_ERRORS,
    &BACKEND_DURATION,
    &BACKEND_LIMIT,
    &BACKEND_FOLDED,
    &HOST_REQUESTS,
    &HOST_ERRORS,
    &HOST_DURATION,
    &HOST_LIMIT,
    &HOST_FOLDED,
];

impl Spec {
    /// The family's name under `opts`.
    pub(crate) fn name(&self, opts: &RenderOptions) -> String {
        if self.namespaced {
            namespaced(opts, self.name)
        } else {
            self.name.to_string()
        }
    }

    /// An empty family: name, help and type.
    pub(super) fn family(&self, opts: &RenderOptions) -> MetricFamily {
        let mut f = MetricFamily::default();
        f.set_name(self.name(opts));
        f.set_help(self.help.to_string());
        f.set_field_type(self.kind);
        f
    }
}

fn namespaced(opts: &RenderOptions, name: &str) -> String {
    match &opts.namespace {
        Some(n) => format!("{n}_{name}"),
        None => name.to_string(),
    }
}

/// Descriptors of every family `families()` can produce (`SPECS`), for
/// `prometheus::Registry` consistency checks: the same names, help texts
/// (the summary's says `DESC_OVER` for its window) and labels. The
/// per-key families may also carry `source` (several inputs); descriptors
/// list the labels always there.
pub fn descs(opts: &RenderOptions) -> Vec<prometheus::core::Desc> {
    SPECS
        .iter()
        .filter(|s| opts.exports(s))
        .filter_map(|s| {
            prometheus::core::Desc::new(
                s.name(opts),
                s.help.replace(OVER, DESC_OVER),
                s.labels.iter().map(|l| l.to_string()).collect(),
                Default::default(),
            )
            .ok()
        })
        .collect()
}
