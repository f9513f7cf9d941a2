//! Envoy's default access log format and Istio's, which adds fields after
//! the response flags and at the end.
//!
//! Envoy (<https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#default-format-string>):
//! `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%
//! %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED%
//! %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%
//! "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%"
//! "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"`.
//!
//! Istio (<https://istio.io/latest/docs/tasks/observability/logs/access-log/#default-access-log-format>)
//! adds `%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
//! "%UPSTREAM_TRANSPORT_FAILURE_REASON%"` after the flags, and the upstream
//! cluster and addresses at the end (ignored).
//!
//! The host is `%REQ(:AUTHORITY)%`, the backend `%UPSTREAM_HOST%` (the
//! address that answered); `-` is none, and so is either on a line cut
//! short before it.
//!
//! DURATION (ms) is the latency, the upstream service time (ms) the
//! upstream time; `-` is untimed. Response code `0` (no response was sent)
//! counts as status 000.

use super::fields::{self, Fields};
use super::record::{ErrorKind, Record, TimeCache};
use super::scan::Scan;
use super::value::{self, Unit};

#[inline(always)]
pub fn parse<'a, S: Scan>(
    line: &'a [u8],
    cache: &mut TimeCache,
    scan: S,
) -> Result<Record<'a>, ErrorKind> {
    let no = ErrorKind::NoMatch;
    let mut f = Fields::new(line, scan);
    let start = f.bracketed().ok_or(no)?;
    let request = f.quoted().ok_or(no)?;
    let status = f.token().ok_or(no)?;
    f.token().ok_or(no)?; // response flags
    let mut received = f.token().ok_or(no)?;
    if !received.iter().all(u8::is_ascii_digit) {
        // Istio: response code details, connection termination details,
        // then the quoted upstream failure reason.
        f.token().ok_or(no)?;
        f.quoted().ok_or(no)?;
        received = f.token().ok_or(no)?;
    }
    let sent = f.token().ok_or(no)?;
    let duration = f.token().ok_or(no)?;
    let upstream = f.token().ok_or(no)?;
    // X-Forwarded-For: the quoted fields are the shape that tells Envoy's
    // log from other lines starting with a bracketed time.
    f.quoted().ok_or(no)?;
    if value::parse_u64(received).is_none() {
        return Err(no);
    }
    let status = match status {
        b"0" => 0,
        s => value::parse_status(s).ok_or(ErrorKind::BadValue)?,
    };
    let bytes = value::parse_u64(sent).ok_or(ErrorKind::BadValue)?;
    let mut bad_timer = false;
    let latency_us = value::timer_us(duration, Unit::Ms, &mut bad_timer);
    let upstream_us = value::timer_us(upstream, Unit::Ms, &mut bad_timer);
    let time = fields::iso_time(start, cache);
    let mut r = fields::request_record(
        request,
        status,
        bytes,
        (latency_us, upstream_us),
        time,
        bad_timer,
        time.is_none(),
    );
    // `"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%"
    // "%UPSTREAM_HOST%"`.
    // The user agent is long; the others are a few dozen bytes at most.
    if f.quoted().and_then(|_| f.quoted()).is_some()
        && let Some(authority) = f.quoted()
    {
        r.host = value::dash_empty(authority);
        r.backend = f.quoted().map_or(&b""[..], value::dash_empty);
    }
    Ok(r)
}
