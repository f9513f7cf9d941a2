//! Deterministic nginx access-log generator: a byte-exact Rust port of
//! genlog.py, the reference generator routetop's sample logs and
//! benchmarks were made with, plus optional bad-line injection.
//!
//! This file owns the public API ([`Options`], [`LogFormat`], [`generate`])
//! and the line loop.  The port's contract is that for the same options the
//! output is byte-for-byte what `python3 genlog.py` (CPython 3.11) prints,
//! so data generated in-process by benches is the same data the scripts and
//! docs describe.  As in genlog.py (whose docstring claims more), a shorter
//! run is a byte prefix of a longer one only when its `lines` is a multiple
//! of 20 000: the per-line choices are drawn in batches of that size.
//! Everything that must match Python lives in [`pyrandom`]
//! (`random.Random`), `model` (the tables and the set-up draws) and `text`
//! (`%.3f`, `%d`, `gmtime`); this file keeps genlog.py's order of draws:
//! per chunk of 20 000 lines, six `choices()` batches first, then the lines.
//!
//! # Formats
//!
//! | [`LogFormat`] | nginx `log_format` |
//! |---|---|
//! | `CombinedRt` (`combined_rt`) | `'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time'` |
//! | `Seed000` (`seed000`, alias `dashed`) | `'$remote_addr-[$time_local]-$request-$status-$request_time'` |
//! | `Json` (`json`) | `escape=json '{"remote_addr":"$remote_addr",...,"request_time":$request_time}'` |
//!
//! # Traffic model (genlog.py's)
//!
//! `routes` URL templates (API, pages, static assets, then docs slugs) with
//! Zipf popularity; numeric IDs substituted per request; ~12 % of GETs to
//! list routes carry a query; status mix ~84 % 200; log-normal latency per
//! route scaled by status; Poisson arrivals at `rate` lines/s from `start`.
//!
//! # Bad lines
//!
//! With [`Options::bad_every`] = N > 0, one bad line follows every N-th good
//! line.  Bad lines draw from their own random stream, so the good lines are
//! exactly the lines of the run without them, in order.  The kinds cycle in
//! this order ([`BadKind`]):
//!
//! 1. `garbage`: random printable text, not a log line;
//! 2. `empty`: an empty line;
//! 3. `truncated`: the preceding good line cut between 1/4 and 3/4 of its
//!    length (a writer that died mid-line);
//! 4. `invalid_utf8`: bytes `FF FE`, a few more non-UTF-8 bytes, then text;
//! 5. `request_dash`: a well-formed line whose request is `-` (nginx logs
//!    this for a connection closed before a request), status 400;
//! 6. `request_tls`: a well-formed line whose request is a TLS ClientHello
//!    sent to a plain-HTTP port, escaped as nginx does (`\x16\x03\x01...`,
//!    `\u0016...` in JSON), status 400;
//! 7. `status_out_of_range`: the preceding good line with status `2000`;
//! 8. `too_long` (only with [`Options::bad_long`]): the preceding good line
//!    with a query string padding it to exactly [`LONG_LINE_LEN`] bytes
//!    (newline not counted), over a 64 KiB line limit.

pub mod bad;
pub mod cli;
mod model;
pub mod pyrandom;
mod text;

use std::io::{self, Write};

use bad::BadLines;
pub use bad::{BadKind, LONG_LINE_LEN};
use model::{METHOD_GET, METHOD_HEAD, METHOD_MIX, PROTO_MIX, QUERIES, STATUS_MIX, World};
use pyrandom::PyRandom;

/// Lines per batch of `choices()` draws in genlog.py.  Part of the output
/// contract: the batches decide the order of the draws.
const CHUNK: usize = 20_000;

/// Output buffered before a write; bounds memory when long bad lines are
/// frequent, and is large enough that writes are not the bottleneck.
const FLUSH_AT: usize = 1 << 20;

/// The log formats genlog.py writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// nginx `combined` plus `$request_time`.
    #[default]
    CombinedRt,
    /// The dashed `'$remote_addr-[$time_local]-$request-$status-$request_time'`.
    Seed000,
    /// nginx `escape=json` with the combined fields.
    Json,
}

impl LogFormat {
    /// Every format, in genlog.py's `--help` order.
    pub const ALL: [LogFormat; 3] = [LogFormat::CombinedRt, LogFormat::Seed000, LogFormat::Json];

    /// The `--format` name.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::CombinedRt => "combined_rt",
            LogFormat::Seed000 => "seed000",
            LogFormat::Json => "json",
        }
    }

    /// Parses a `--format` name; `dashed` is accepted for `seed000`.
    pub fn from_name(name: &str) -> Option<LogFormat> {
        match name {
            "combined_rt" => Some(LogFormat::CombinedRt),
            "seed000" | "dashed" => Some(LogFormat::Seed000),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// The nginx `log_format` directive that produces `fmt`, as genlog.py's
/// `LOG_FORMATS`.
pub fn log_format(fmt: LogFormat) -> &'static str {
    match fmt {
        LogFormat::CombinedRt => {
            r#"log_format main '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time';"#
        }
        LogFormat::Seed000 => {
            "log_format main '$remote_addr-[$time_local]-$request-$status-$request_time';"
        }
        LogFormat::Json => {
            r#"log_format json escape=json '{"remote_addr":"$remote_addr","remote_user":"$remote_user","time_local":"$time_local","request":"$request","status":$status,"body_bytes_sent":$body_bytes_sent,"http_referer":"$http_referer","http_user_agent":"$http_user_agent","request_time":$request_time}';"#
        }
    }
}

/// What to generate.  [`Default`] is genlog.py's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Good lines to write (bad lines come on top).
    pub lines: u64,
    /// RNG seed.  genlog.py takes any int; 64 bits is the range supported.
    pub seed: i64,
    pub format: LogFormat,
    /// Distinct URL templates, at least 1.
    pub routes: usize,
    /// Mean lines per second of log time, > 0.
    pub rate: f64,
    /// First timestamp, Unix seconds UTC.
    pub start: i64,
    /// Zipf exponent of route popularity.
    pub zipf: f64,
    /// Host in internal referers.
    pub host: String,
    /// One bad line after every `bad_every` good lines; 0 = none.
    pub bad_every: u64,
    /// Include the [`BadKind::TooLong`] kind in the cycle.
    pub bad_long: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lines: 1_000_000,
            seed: 1,
            format: LogFormat::CombinedRt,
            routes: 200,
            rate: 100.0,
            start: 1_710_028_800,
            zipf: 1.0,
            host: "shop.example.com".to_string(),
            bad_every: 0,
            bad_long: false,
        }
    }
}

impl Options {
    /// Rejects what genlog.py rejects (`routes < 1`), what makes it raise
    /// (`rate` 0, Zipf weights that overflow) and what makes no sense
    /// (`rate` negative or NaN, `zipf` not finite).
    pub fn validate(&self) -> Result<(), String> {
        if self.routes < 1 {
            return Err("--routes must be >= 1 and --lines >= 0".into());
        }
        if self.rate.is_nan() || self.rate <= 0.0 {
            return Err(format!("--rate must be > 0 (got {})", self.rate));
        }
        if !self.zipf.is_finite() {
            return Err(format!("--zipf must be finite (got {})", self.zipf));
        }
        model::route_weights(self.routes, self.zipf).map(drop)
    }

    /// Bad lines a run writes: one per full `bad_every` good lines.
    pub fn bad_line_count(&self) -> u64 {
        self.lines.checked_div(self.bad_every).unwrap_or(0)
    }

    /// The kind of the `k`-th bad line (0-based).
    pub fn bad_kind(&self, k: u64) -> BadKind {
        let cycle = BadKind::cycle(self.bad_long);
        cycle[(k % cycle.len() as u64) as usize]
    }
}

/// One log line's fields, as genlog.py formats them.
#[derive(Clone, Copy)]
pub(crate) struct Line<'a> {
    pub ip: &'a [u8],
    pub user: &'a str,
    pub ts: &'a [u8],
    pub request: &'a [u8],
    pub status: u32,
    pub body: i64,
    pub referer: &'a str,
    pub user_agent: &'a str,
    pub request_time: f64,
}

impl Line<'_> {
    pub(crate) fn render(&self, fmt: LogFormat, buf: &mut Vec<u8>) {
        match fmt {
            LogFormat::CombinedRt => {
                buf.extend_from_slice(self.ip);
                buf.extend_from_slice(b" - ");
                buf.extend_from_slice(self.user.as_bytes());
                buf.extend_from_slice(b" [");
                buf.extend_from_slice(self.ts);
                buf.extend_from_slice(b"] \"");
                buf.extend_from_slice(self.request);
                buf.extend_from_slice(b"\" ");
                text::push_u64(buf, u64::from(self.status));
                buf.push(b' ');
                text::push_i64(buf, self.body);
                buf.extend_from_slice(b" \"");
                buf.extend_from_slice(self.referer.as_bytes());
                buf.extend_from_slice(b"\" \"");
                buf.extend_from_slice(self.user_agent.as_bytes());
                buf.extend_from_slice(b"\" ");
                text::push_fixed3(buf, self.request_time);
            }
            LogFormat::Seed000 => {
                buf.extend_from_slice(self.ip);
                buf.extend_from_slice(b"-[");
                buf.extend_from_slice(self.ts);
                buf.extend_from_slice(b"]-");
                buf.extend_from_slice(self.request);
                buf.push(b'-');
                text::push_u64(buf, u64::from(self.status));
                buf.push(b'-');
                text::push_fixed3(buf, self.request_time);
            }
            LogFormat::Json => {
                buf.extend_from_slice(b"{\"remote_addr\":\"");
                buf.extend_from_slice(self.ip);
                buf.extend_from_slice(b"\",\"remote_user\":\"");
                buf.extend_from_slice(self.user.as_bytes());
                buf.extend_from_slice(b"\",\"time_local\":\"");
                buf.extend_from_slice(self.ts);
                buf.extend_from_slice(b"\",\"request\":\"");
                buf.extend_from_slice(self.request);
                buf.extend_from_slice(b"\",\"status\":");
                text::push_u64(buf, u64::from(self.status));
                buf.extend_from_slice(b",\"body_bytes_sent\":");
                text::push_i64(buf, self.body);
                buf.extend_from_slice(b",\"http_referer\":\"");
                buf.extend_from_slice(self.referer.as_bytes());
                buf.extend_from_slice(b"\",\"http_user_agent\":\"");
                buf.extend_from_slice(self.user_agent.as_bytes());
                buf.extend_from_slice(b"\",\"request_time\":");
                text::push_fixed3(buf, self.request_time);
                buf.push(b'}');
            }
        }
        buf.push(b'\n');
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Writes the log `opts` describes to `out`, in writes of about 1 MiB (no
/// need to wrap `out` in a `BufWriter`).
///
/// Fails with [`io::ErrorKind::InvalidInput`] on options genlog.py would
/// reject or crash on (see [`Options::validate`]) before writing anything,
/// and mid-run if the log time leaves the range `gmtime` handles (only
/// with extreme `start`/`rate`).
pub fn generate(opts: &Options, out: &mut impl Write) -> io::Result<()> {
    opts.validate().map_err(invalid)?;
    let mut rng = PyRandom::new(i128::from(opts.seed));
    let tpl_seed = i128::from(opts.seed) * 1_000_003 + 7;
    let w =
        World::build(&mut rng, tpl_seed, opts.routes, opts.zipf, &opts.host).map_err(invalid)?;
    let mut bad = (opts.bad_every > 0).then(|| BadLines::new(opts.seed, opts.bad_long));

    // Python's `cum_weights[-1] + 0.0`, once per `choices()` call.
    let total = |cw: &[f64]| cw.last().copied().unwrap_or(0.0) + 0.0;
    let (route_t, st_t, m_t, p_t, ua_t, ip_t) = (
        total(&w.route_cw),
        total(&w.st_cw),
        total(&w.m_cw),
        total(&w.p_cw),
        total(&w.ua_cw),
        total(&w.ip_cw),
    );

    let mut routes = vec![0usize; CHUNK];
    let mut sts = vec![0u8; CHUNK];
    let mut ms = vec![0u8; CHUNK];
    let mut ps = vec![0u8; CHUNK];
    let mut uas = vec![0u8; CHUNK];
    let mut ipl = vec![0usize; CHUNK];

    let mut buf: Vec<u8> = Vec::with_capacity(FLUSH_AT + 128 * 1024);
    let mut req: Vec<u8> = Vec::with_capacity(256);
    let mut ts: Vec<u8> = Vec::with_capacity(32);
    let mut t = opts.start as f64;
    let mut last_sec: Option<i64> = None;
    let inv_rate = 1.0 / opts.rate;
    let mut good: u64 = 0;
    let mut left = opts.lines;

    while left > 0 {
        let n = left.min(CHUNK as u64) as usize;
        left -= n as u64;
        // genlog.py's six `choices(..., k=n)` batches, in its order, before
        // the chunk's lines: why only whole chunks are prefixes of a
        // longer run.
        for r in &mut routes[..n] {
            *r = rng.choices_index(&w.route_cw, route_t);
        }
        for s in &mut sts[..n] {
            *s = rng.choices_index(&w.st_cw, st_t) as u8;
        }
        for m in &mut ms[..n] {
            *m = rng.choices_index(&w.m_cw, m_t) as u8;
        }
        for p in &mut ps[..n] {
            *p = rng.choices_index(&w.p_cw, p_t) as u8;
        }
        for u in &mut uas[..n] {
            *u = rng.choices_index(&w.ua_cw, ua_t) as u8;
        }
        for ip in &mut ipl[..n] {
            *ip = rng.choices_index(&w.ip_cw, ip_t);
        }

        for i in 0..n {
            let r = routes[i];
            let tpl = &w.tpls[r];
            let mut m = ms[i] as usize;
            req.clear();
            // genlog.py draws the path's IDs before it looks at the method,
            // but settling the method takes no draws, so writing it first
            // keeps the order of draws and spares a copy.
            if tpl.kind == model::Kind::Static {
                m = METHOD_GET;
            }
            req.extend_from_slice(METHOD_MIX[m].0.as_bytes());
            req.push(b' ');
            match tpl.nids {
                0 => req.extend_from_slice(&tpl.pieces[0]),
                1 => {
                    let id = rng.getrandbits(tpl.bits) + 1;
                    req.extend_from_slice(&tpl.pieces[0]);
                    text::push_u64(&mut req, id);
                    req.extend_from_slice(&tpl.pieces[1]);
                }
                _ => {
                    let id = rng.getrandbits(tpl.bits) + 1;
                    let id2 = rng.getrandbits(model::ID_BITS[0]) + 1;
                    req.extend_from_slice(&tpl.pieces[0]);
                    text::push_u64(&mut req, id);
                    req.extend_from_slice(&tpl.pieces[1]);
                    text::push_u64(&mut req, id2);
                    req.extend_from_slice(&tpl.pieces[2]);
                }
            }
            if tpl.kind != model::Kind::Static
                && tpl.listy
                && m == METHOD_GET
                && rng.random() < 0.12
            {
                req.push(b'?');
                let q = rng.getrandbits(16) as usize % QUERIES.len();
                req.extend_from_slice(QUERIES[q].as_bytes());
            }
            req.push(b' ');
            req.extend_from_slice(PROTO_MIX[ps[i] as usize].0.as_bytes());

            let row = &STATUS_MIX[sts[i] as usize];
            let rt = match row.latency {
                // 504: the upstream timeout, ~60 s.
                None => 60.0 + rng.random() * 0.05,
                Some(lf) => {
                    let rt = (w.r_mu[r] + w.r_sigma[r] * rng.gauss(0.0, 1.0)).exp() * lf;
                    if rt > 120.0 { 120.0 } else { rt }
                }
            };
            let mut body = if row.body == 0.0 {
                0
            } else {
                (w.r_body[r] as f64 * row.body * (0.5 + rng.random())) as i64
            };
            if m == METHOD_HEAD {
                body = 0;
            }
            t += rng.expovariate(1.0) * inv_rate;
            // Python's gmtime() gives up past ~6e16 s; stopping at 1e16
            // (year ~300 million) keeps the cast and the date arithmetic
            // exact, where a saturated cast would print a wrong date.
            if t.is_nan() || t.abs() >= 1e16 {
                return Err(invalid(format!("timestamp {t} out of range")));
            }
            let sec = t as i64;
            if last_sec != Some(sec) {
                last_sec = Some(sec);
                ts.clear();
                text::push_timestamp(&mut ts, sec);
            }
            let (referer, user) = match opts.format {
                LogFormat::Seed000 => ("-", "-"),
                _ => {
                    let referer = w.refs[(rng.random() * 100.0) as usize].as_str();
                    let user = w.users[(rng.random() * 100.0) as usize];
                    (referer, user)
                }
            };
            let line = Line {
                ip: &w.ips[ipl[i]],
                user,
                ts: &ts,
                request: &req,
                status: u32::from(row.status),
                body,
                referer,
                user_agent: World::user_agent(uas[i] as usize),
                request_time: rt,
            };
            let line_start = buf.len();
            line.render(opts.format, &mut buf);
            good += 1;
            if let Some(bad) = bad.as_mut()
                && good.is_multiple_of(opts.bad_every)
            {
                bad.emit(&mut buf, opts.format, &line, line_start, &w.ips);
            }
            if buf.len() >= FLUSH_AT {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
    }
    out.write_all(&buf)?;
    out.flush()
}

/// [`generate`] into memory.
pub fn generate_vec(opts: &Options) -> io::Result<Vec<u8>> {
    let mut v = Vec::new();
    generate(opts, &mut v)?;
    Ok(v)
}
