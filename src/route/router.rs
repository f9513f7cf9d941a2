//! [`Router`]: from a request target to the name of its route. The query
//! string and fragment are dropped, user rules are tried first (`--route
//! 'REGEX=TEMPLATE'`, first match wins), then automatic templating
//! (`template.rs`). It is immutable and shared by all parsing threads.

use regex::bytes::{Regex, RegexSet};

use super::own;
use super::shape::{self, query_start};
use super::template::{cut, template_into};
use crate::format::regexfmt::one_line_error;
use crate::format::value::NO_REQUEST;

/// Route of lines whose request is not a request (`-`, TLS on a plain port).
pub const INVALID_ROUTE: &str = "(invalid)";

/// The route of the request `-`: the connection closed before a request
/// was read (nginx's 408 and 400 lines). Its target is
/// `format::value::NO_REQUEST`; a target field logged as `-` is
/// `(invalid)`.
pub const NO_REQUEST_ROUTE: &str = "(no request)";

/// A user rule as written: `REGEX=TEMPLATE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRule {
    pub pattern: String,
    pub template: String,
}

impl std::str::FromStr for RouteRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // The template is a path, so it has no `=`; the regex may.
        let (pattern, template) = s.rsplit_once('=').ok_or_else(|| {
            format!("`{s}`: expected REGEX=TEMPLATE, e.g. '^/api/users/[^/]+$=/api/users/:name'")
        })?;
        if pattern.is_empty() || template.is_empty() {
            return Err(format!("`{s}`: empty regex or template"));
        }
        Ok(RouteRule {
            pattern: pattern.to_string(),
            template: template.to_string(),
        })
    }
}

struct Rule {
    re: Regex,
    template: Vec<u8>,
    /// The template refers to capture groups (`$1`, `${name}`).
    expand: bool,
}

pub struct Router {
    rules: Vec<Rule>,
    set: Option<RegexSet>,
    templating: bool,
}

impl Router {
    pub fn new(rules: &[RouteRule], templating: bool) -> Result<Router, String> {
        let mut compiled = Vec::with_capacity(rules.len());
        for r in rules {
            let re = Regex::new(&r.pattern)
                .map_err(|e| format!("route rule `{}`: {}", r.pattern, one_line_error(&e)))?;
            compiled.push(Rule {
                re,
                template: r.template.as_bytes().to_vec(),
                expand: r.template.contains('$'),
            });
        }
        let set = if rules.is_empty() {
            None
        } else {
            Some(RegexSet::new(rules.iter().map(|r| &r.pattern)).map_err(|e| one_line_error(&e))?)
        };
        Ok(Router {
            rules: compiled,
            set,
            templating,
        })
    }

    /// The part of `target` its route depends on: the path, without scheme
    /// and authority, query string or fragment (`None` for a target that
    /// is not a path). Two targets with the same key get the same route
    /// from the same router, whatever the rules and templating.
    #[inline]
    pub fn route_key(target: &[u8]) -> Option<&[u8]> {
        let path = path_of(target)?;
        Some(&path[..query_start(path)])
    }

    /// The key to look the route of `target` up by: its [`route_key`],
    /// with every all-digit segment written `:id` when that cannot change
    /// the route (templating on, no user rules: a rule's regex may look at
    /// the digits), in `buf` if so. Numeric ids are the most common part of
    /// a path that varies: on the 1 M-line benchmark log 406 358 distinct
    /// paths have 200 such keys, each of them a route name, so nearly every
    /// line is one lookup, not templating and a lookup.
    ///
    /// [`route_key`]: Router::route_key
    // Always inlined: per-line work (see `run/once.rs::parse_block`).
    #[inline(always)]
    pub fn lookup_key<'a>(&self, target: &'a [u8], buf: &'a mut Vec<u8>) -> Option<&'a [u8]> {
        if !(self.templating && self.set.is_none()) {
            return Router::route_key(target);
        }
        // Origin-form, nearly every target: one pass finds where its path
        // ends and which segments are numbers.
        let path = if target.first() == Some(&b'/') {
            target
        } else {
            Router::route_key(target)?
        };
        if let Some(key) = shape::lookup_key(path, buf) {
            return Some(key);
        }
        Router::route_key(target)
    }

    /// Whether the route of `target` is certainly its
    /// [`Router::lookup_key`], without templating it (`false` when unsure;
    /// see `route/own.rs`).
    // Always inlined: per-line work (see `run/once.rs::parse_block`).
    #[inline(always)]
    pub fn is_own_key(&self, target: &[u8]) -> bool {
        self.templating
            && self.set.is_none()
            && target.first() == Some(&b'/')
            && own::own_template(target)
    }

    /// Writes the route of `target` into `out` (cleared first).
    pub fn route(&self, target: &[u8], out: &mut Vec<u8>) {
        out.clear();
        if target == NO_REQUEST {
            out.extend_from_slice(NO_REQUEST_ROUTE.as_bytes());
            return;
        }
        let Some(path) = path_of(target) else {
            out.extend_from_slice(INVALID_ROUTE.as_bytes());
            return;
        };
        if path == b"*" {
            out.push(b'*');
            return;
        }
        if let Some(set) = &self.set {
            let path = &path[..query_start(path)];
            if let Some(i) = set.matches(path).iter().next() {
                let rule = &self.rules[i];
                if rule.expand {
                    if let Some(caps) = rule.re.captures(path) {
                        caps.expand(&rule.template, out);
                    }
                } else {
                    out.extend_from_slice(&rule.template);
                }
                cut(out);
                return;
            }
        }
        if !self.templating {
            out.extend_from_slice(&path[..query_start(path)]);
            cut(out);
            return;
        }
        // The segment scan stops at `?` and `#` itself: no separate pass.
        template_into(path, out);
        cut(out);
    }
}

/// The path part of a request target (query and fragment still attached):
/// no `scheme://authority` (proxies log absolute-form targets). `None` when
/// the target is not a path.
fn path_of(target: &[u8]) -> Option<&[u8]> {
    // Nearly every target is origin-form: skip the scheme comparisons.
    if target.first() == Some(&b'/') {
        return Some(target);
    }
    let mut p = target;
    if p.len() > 7
        && (p[..7].eq_ignore_ascii_case(b"http://")
            || p[..8.min(p.len())].eq_ignore_ascii_case(b"https://"))
    {
        let skip = if p[4] == b':' { 7 } else { 8 };
        let rest = &p[skip..];
        let end = query_start(rest);
        p = match rest[..end].iter().position(|&c| c == b'/') {
            Some(i) => &rest[i..],
            None => b"/",
        };
    }
    match p.first() {
        Some(b'/') => Some(p),
        Some(b'*') if p.len() == 1 => Some(p),
        _ => None,
    }
}
