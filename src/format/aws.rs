//! AWS access logs, each a fixed layout of space-separated fields read by
//! [`Fields`]: Application Load Balancer (`alb`), Classic Load Balancer
//! (`elb`) and S3 server access logs (`s3`).
//!
//! Layouts as AWS documents them:
//! - ALB: <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html>
//! - ELB: <https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html>
//! - S3: <https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html>
//!
//! Fields added at the end of a line by later versions of a layout are
//! ignored, so new AWS fields do not break parsing. The backend is the
//! load balancers' `target:port`/`backend:port` (`-`, no target reached,
//! is none); the host is the load balancers' request URL's (they log it
//! absolute: `GET https://shop.example.com:443/path`, without the port:
//! what the client asked for, on plain HTTP too, where ALB's `domain_name`,
//! the TLS SNI, is `-`; and reading it costs nothing, where `domain_name`
//! is seven fields further on) and S3's bucket.

use super::fields::{self, Fields};
use super::record::{ErrorKind, Record, TimeCache};
use super::scan::Scan;
use super::value::{self, Unit};

/// ALB's first field, the request type.
fn alb_type(t: &[u8]) -> bool {
    matches!(t, b"http" | b"https" | b"h2" | b"grpcs" | b"ws" | b"wss")
}

/// The load balancers' three processing times (seconds): `-1` in any of
/// them means no response was had (the client or target went away): the
/// request counts, untimed. Latency is their sum (the request's time at the
/// load balancer), upstream the target's/backend's own time.
#[inline(always)]
fn lb_times(req: &[u8], target: &[u8], resp: &[u8], bad: &mut bool) -> (Option<u64>, Option<u64>) {
    if req == b"-1" || target == b"-1" || resp == b"-1" {
        return (None, None);
    }
    let r = value::timer_us(req, Unit::Sec, bad);
    let t = value::timer_us(target, Unit::Sec, bad);
    let s = value::timer_us(resp, Unit::Sec, bad);
    let latency = match (r, t, s) {
        (Some(r), Some(t), Some(s)) => Some((r + t + s).min(value::MAX_LATENCY_US)),
        _ => None,
    };
    (latency, t)
}

/// The fields both load balancers share after their addresses: times,
/// statuses, byte counts and the request line (whose absolute URL names
/// the host).
#[inline(always)]
fn lb_rest<'a, S: Scan>(
    f: &mut Fields<'a, S>,
    time: Option<i64>,
    bad_time: bool,
) -> Result<Record<'a>, ErrorKind> {
    let no = ErrorKind::NoMatch;
    let (req, target, resp) = (
        f.token().ok_or(no)?,
        f.token().ok_or(no)?,
        f.token().ok_or(no)?,
    );
    // elb_status_code is what the client saw; the target's is ignored.
    let status = f.token().ok_or(no)?;
    f.token().ok_or(no)?;
    f.token().ok_or(no)?; // received_bytes
    let sent = f.token().ok_or(no)?;
    let request = f.quoted().ok_or(no)?;
    let status = value::parse_status(status).ok_or(ErrorKind::BadValue)?;
    let bytes = value::parse_bytes(sent).ok_or(ErrorKind::BadValue)?;
    let mut bad_timer = false;
    let (latency_us, upstream_us) = lb_times(req, target, resp, &mut bad_timer);
    let mut r = fields::request_record(
        request,
        status,
        bytes,
        (latency_us, upstream_us),
        time,
        bad_timer,
        bad_time,
    );
    r.host = value::url_host(r.target);
    Ok(r)
}

/// An ISO 8601 timestamp field: its value, and whether it is bad.
#[inline(always)]
fn iso_time(raw: &[u8], cache: &mut TimeCache) -> (Option<i64>, bool) {
    let t = fields::iso_time(raw, cache);
    (t, t.is_none())
}

/// `type time elb client:port target:port request_processing_time
/// target_processing_time response_processing_time elb_status_code
/// target_status_code received_bytes sent_bytes "request" "user_agent" …`
#[inline(always)]
pub fn parse_alb<'a, S: Scan>(
    line: &'a [u8],
    cache: &mut TimeCache,
    scan: S,
) -> Result<Record<'a>, ErrorKind> {
    let mut f = Fields::new(line, scan);
    let no = ErrorKind::NoMatch;
    if !alb_type(f.token().ok_or(no)?) {
        return Err(no);
    }
    let time = f.token().ok_or(no)?;
    // The timestamp is the shape that tells ALB from other logs whose
    // first word is `http`: it must at least start like a date.
    if !time.first().is_some_and(u8::is_ascii_digit) {
        return Err(no);
    }
    let (time, bad_time) = iso_time(time, cache);
    f.skip(2).ok_or(no)?; // elb, client:port
    let target = f.token().ok_or(no)?;
    let mut r = lb_rest(&mut f, time, bad_time)?;
    r.backend = value::dash_empty(target);
    Ok(r)
}

/// `time elb client:port backend:port request_processing_time
/// backend_processing_time response_processing_time elb_status_code
/// backend_status_code received_bytes sent_bytes "request" "user_agent" …`
#[inline(always)]
pub fn parse_elb<'a, S: Scan>(
    line: &'a [u8],
    cache: &mut TimeCache,
    scan: S,
) -> Result<Record<'a>, ErrorKind> {
    let mut f = Fields::new(line, scan);
    let no = ErrorKind::NoMatch;
    // The line starts with its timestamp: nothing else marks it as ELB's,
    // so one that is not a time is not this format.
    let (time, _) = iso_time(f.token().ok_or(no)?, cache);
    let time = Some(time.ok_or(no)?);
    f.skip(2).ok_or(no)?; // elb, client:port
    let backend = f.token().ok_or(no)?;
    let mut r = lb_rest(&mut f, time, false)?;
    r.backend = value::dash_empty(backend);
    Ok(r)
}

/// `bucket_owner bucket [time] remote_ip requester request_id operation key
/// "request_uri" http_status error_code bytes_sent object_size total_time
/// turn_around_time "referer" "user_agent" …`. Latency is total_time (ms,
/// first byte received to last byte sent), upstream turn_around_time (ms,
/// S3's own processing).
#[inline(always)]
pub fn parse_s3<'a, S: Scan>(
    line: &'a [u8],
    cache: &mut TimeCache,
    scan: S,
) -> Result<Record<'a>, ErrorKind> {
    let mut f = Fields::new(line, scan);
    let no = ErrorKind::NoMatch;
    f.token().ok_or(no)?; // bucket_owner
    let bucket = f.token().ok_or(no)?;
    let raw_time = f.bracketed().ok_or(no)?;
    f.skip(3).ok_or(no)?; // remote_ip, requester, request_id
    // `REST.GET.OBJECT`, `WEBSITE.HEAD.OBJECT`, `S3.EXPIRE.OBJECT`: the
    // word that tells S3's log from other bracketed-time logs.
    let op = f.token().ok_or(no)?;
    // `contains`, not a `memchr` call: the word is a dozen bytes, less
    // than the call's setup.
    if !(op.first().is_some_and(u8::is_ascii_uppercase) && op.contains(&b'.')) {
        return Err(no);
    }
    f.token().ok_or(no)?; // key
    let request = f.quoted().ok_or(no)?;
    let status = f.token().ok_or(no)?;
    f.token().ok_or(no)?; // error_code
    let sent = f.token().ok_or(no)?;
    f.token().ok_or(no)?; // object_size
    let total = f.token().ok_or(no)?;
    let turn = f.token().ok_or(no)?;
    // `-`: an operation S3 ran itself (lifecycle), with no HTTP response.
    let status = value::parse_status(status).ok_or(ErrorKind::BadValue)?;
    let bytes = value::parse_bytes(sent).ok_or(ErrorKind::BadValue)?;
    let time = cache.get(raw_time, value::parse_time_local);
    let mut bad_timer = false;
    let latency_us = value::timer_us(total, Unit::Ms, &mut bad_timer);
    let upstream_us = value::timer_us(turn, Unit::Ms, &mut bad_timer);
    let mut r = fields::request_record(
        request,
        status,
        bytes,
        (latency_us, upstream_us),
        time,
        bad_timer,
        time.is_none(),
    );
    r.host = value::dash_empty(bucket);
    Ok(r)
}
