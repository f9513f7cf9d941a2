//! What a JSON line's values mean to routetop: the fields a record needs
//! ([`Slot`]), the key paths that fill them by default (nginx, Caddy,
//! Traefik, Cloudflare, Google Cloud, generic names), best first, and the
//! user's `--json-field` overrides ([`FieldOverride`]).

use super::walk::Val;
use crate::format::value::Unit;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Request,
    Method,
    Target,
    Status,
    Bytes,
    Latency,
    Upstream,
    Time,
    Host,
    Backend,
}

pub(super) const N_SLOTS: usize = 10;

impl Slot {
    pub fn parse(s: &str) -> Option<Slot> {
        Some(match s {
            "request" => Slot::Request,
            "method" => Slot::Method,
            "path" | "target" | "uri" => Slot::Target,
            "status" => Slot::Status,
            "bytes" => Slot::Bytes,
            "latency" | "request_time" | "duration" => Slot::Latency,
            "upstream" | "upstream_time" => Slot::Upstream,
            "time" => Slot::Time,
            "host" => Slot::Host,
            "backend" => Slot::Backend,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Target {
    pub(super) slot: Slot,
    pub(super) unit: Unit,
    /// Lower wins when several mapped keys are present.
    pub(super) rank: u8,
}

/// The value each slot holds so far in a line, and the rank of the key
/// that gave it.
pub(super) type Found = [Option<(Val, u8)>; N_SLOTS];

/// Keeps `v` as the value of `t`'s slot, unless a key of a better rank
/// for that slot gave one already.
#[inline(always)]
pub(super) fn keep(found: &mut Found, t: Target, v: Val) {
    let f = &mut found[t.slot as usize];
    if f.is_none_or(|(_, r)| t.rank < r) {
        *f = Some((Val { unit: t.unit, ..v }, t.rank));
    }
}

/// A user override: `status=resp.code`, `latency=Duration:ns`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldOverride {
    pub slot: String,
    pub path: String,
    pub unit: Option<String>,
}

impl std::str::FromStr for FieldOverride {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (slot, rest) = s.split_once('=').ok_or_else(|| {
            format!("`{s}`: expected FIELD=PATH[:UNIT], e.g. latency=Duration:ns")
        })?;
        let (path, unit) = match rest.rsplit_once(':') {
            Some((p, u)) if Unit::parse(u).is_some() => (p, Some(u.to_string())),
            _ => (rest, None),
        };
        if Slot::parse(slot).is_none() {
            return Err(format!(
                "`{slot}`: unknown JSON field; one of request, method, path, status, bytes, latency, upstream, time, host, backend"
            ));
        }
        if path.is_empty() {
            return Err(format!("`{s}`: empty JSON path"));
        }
        Ok(FieldOverride {
            slot: slot.to_string(),
            path: path.to_string(),
            unit: unit.map(|u| u.to_string()),
        })
    }
}

/// Default names, best first within each field. Durations: nginx and Caddy
/// write seconds, Traefik nanoseconds.
pub(super) const DEFAULTS: &[(&str, Slot, Unit)] = &[
    ("status", Slot::Status, Unit::Sec),
    ("DownstreamStatus", Slot::Status, Unit::Sec),
    ("status_code", Slot::Status, Unit::Sec),
    ("response.status", Slot::Status, Unit::Sec),
    ("request", Slot::Request, Unit::Sec),
    ("request_method", Slot::Method, Unit::Sec),
    ("method", Slot::Method, Unit::Sec),
    ("request.method", Slot::Method, Unit::Sec),
    ("RequestMethod", Slot::Method, Unit::Sec),
    ("request_uri", Slot::Target, Unit::Sec),
    ("uri", Slot::Target, Unit::Sec),
    ("request.uri", Slot::Target, Unit::Sec),
    ("RequestPath", Slot::Target, Unit::Sec),
    ("path", Slot::Target, Unit::Sec),
    ("request_time", Slot::Latency, Unit::Sec),
    ("duration", Slot::Latency, Unit::Sec),
    ("Duration", Slot::Latency, Unit::Ns),
    ("duration_ms", Slot::Latency, Unit::Ms),
    ("upstream_response_time", Slot::Upstream, Unit::Sec),
    ("body_bytes_sent", Slot::Bytes, Unit::Sec),
    ("bytes_sent", Slot::Bytes, Unit::Sec),
    ("size", Slot::Bytes, Unit::Sec),
    ("DownstreamContentSize", Slot::Bytes, Unit::Sec),
    ("time_local", Slot::Time, Unit::Sec),
    ("time_iso8601", Slot::Time, Unit::Sec),
    ("msec", Slot::Time, Unit::Sec),
    ("ts", Slot::Time, Unit::Sec),
    ("StartUTC", Slot::Time, Unit::Sec),
    ("time", Slot::Time, Unit::Sec),
    ("timestamp", Slot::Time, Unit::Sec),
    ("@timestamp", Slot::Time, Unit::Sec),
    // Cloudflare Logpush, HTTP requests dataset
    // (https://developers.cloudflare.com/logs/reference/log-fields/zone/http_requests/):
    // the edge's time to first byte is the latency, the origin's response
    // time the upstream (ms, or ns in the older `OriginResponseTime`);
    // `EdgeStartTimestamp` is RFC 3339, Unix seconds or Unix nanoseconds.
    ("ClientRequestMethod", Slot::Method, Unit::Sec),
    ("ClientRequestURI", Slot::Target, Unit::Sec),
    ("EdgeResponseStatus", Slot::Status, Unit::Sec),
    ("EdgeResponseBytes", Slot::Bytes, Unit::Sec),
    ("EdgeTimeToFirstByteMs", Slot::Latency, Unit::Ms),
    ("OriginResponseDurationMs", Slot::Upstream, Unit::Ms),
    ("OriginResponseTime", Slot::Upstream, Unit::Ns),
    ("EdgeStartTimestamp", Slot::Time, Unit::Sec),
    // Google Cloud HTTP(S) load balancer entries in Cloud Logging
    // (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#HttpRequest):
    // `responseSize` is a string, `latency` a duration like `"0.123456s"`.
    ("httpRequest.requestMethod", Slot::Method, Unit::Sec),
    ("httpRequest.requestUrl", Slot::Target, Unit::Sec),
    ("httpRequest.status", Slot::Status, Unit::Sec),
    ("httpRequest.responseSize", Slot::Bytes, Unit::Sec),
    ("httpRequest.latency", Slot::Latency, Unit::Sec),
    // Hosts and backends: nginx `escape=json` and generic names, Caddy
    // (https://caddyserver.com/docs/caddyfile/directives/log#format-modules),
    // Traefik (https://doc.traefik.io/traefik/observability/access-logs/#json-format-fields:
    // the service's URL, else its address), Cloudflare (the host the
    // client asked for; the origin's address) and Google Cloud (the
    // backend service, a label of the entry's resource; the host is read
    // from `requestUrl` when no field names it).
    ("host", Slot::Host, Unit::Sec),
    ("http_host", Slot::Host, Unit::Sec),
    ("server_name", Slot::Host, Unit::Sec),
    ("request.host", Slot::Host, Unit::Sec),
    ("RequestHost", Slot::Host, Unit::Sec),
    ("ClientRequestHost", Slot::Host, Unit::Sec),
    ("upstream_addr", Slot::Backend, Unit::Sec),
    ("ServiceURL", Slot::Backend, Unit::Sec),
    ("ServiceAddr", Slot::Backend, Unit::Sec),
    ("OriginIP", Slot::Backend, Unit::Sec),
    (
        "resource.labels.backend_service_name",
        Slot::Backend,
        Unit::Sec,
    ),
];
