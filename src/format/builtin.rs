//! The formats read by hand-written parsers rather than a template: logs
//! whose layout a `log_format` string cannot say (load balancers, proxies,
//! S3). Each is a preset name; this is where a name becomes its parser.

use super::record::{ErrorKind, Record, TimeCache};
use super::scan::Scan;
use super::{aws, envoy, haproxy};

/// A hand-written parser, by preset name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Alb,
    Elb,
    S3,
    Haproxy,
    Envoy,
}

impl Builtin {
    /// The parser of a preset name, when a hand-written one reads it.
    pub fn of(name: &str) -> Option<Builtin> {
        Some(match name {
            "alb" => Builtin::Alb,
            "elb" => Builtin::Elb,
            "s3" => Builtin::S3,
            "haproxy" => Builtin::Haproxy,
            "envoy" => Builtin::Envoy,
            _ => return None,
        })
    }

    /// Whether its lines start with a syslog header it reads itself
    /// (HAProxy logs through syslog by design, so its parser takes the
    /// header as part of the line): detection then does not strip that
    /// header as a log shipper's prefix.
    pub fn reads_syslog_header(self) -> bool {
        matches!(self, Builtin::Haproxy)
    }

    /// Whether its lines are better parsed through a block's index
    /// (`Format::reads_block_index`): Envoy's, whose seven quoted fields
    /// the index finds with a shift each, where the plain scan calls
    /// `memchr` for each (benches/formats.rs, blocks 1.81x of combined
    /// plain, 1.51x via the index, in one run). The others read one or
    /// two quoted fields, and indexing their long lines costs more than
    /// cutting them with `memchr`.
    pub fn reads_block_index(self) -> bool {
        matches!(self, Builtin::Envoy)
    }

    /// Every one of them carries a request time and an upstream time.
    pub fn has_latency(self) -> bool {
        true
    }

    pub fn has_upstream(self) -> bool {
        true
    }

    #[inline(always)]
    pub fn parse<'a, S: Scan>(
        self,
        line: &'a [u8],
        cache: &mut TimeCache,
        scan: S,
    ) -> Result<Record<'a>, ErrorKind> {
        match self {
            Builtin::Alb => aws::parse_alb(line, cache, scan),
            Builtin::Elb => aws::parse_elb(line, cache, scan),
            Builtin::S3 => aws::parse_s3(line, cache, scan),
            Builtin::Haproxy => haproxy::parse(line, cache, scan),
            Builtin::Envoy => envoy::parse(line, cache, scan),
        }
    }
}

#[cfg(test)]
mod tests;
