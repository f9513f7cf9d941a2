//! nginx `log_format` strings → template pieces.
//!
//! Accepted verbatim as users copy them: either the bare format
//! (`'$remote_addr - $remote_user [$time_local] "$request" ...'`) or the whole
//! directive, `log_format main escape=json '...' '...';`, whose quoted parts
//! nginx concatenates. Every `$variable` is accepted; the ones routetop uses
//! get a meaning, the rest are matched by shape and ignored.

use super::template::{Class, Field, Piece};
use super::value::Unit;

/// Strips a `log_format NAME [escape=...]` directive down to its format,
/// concatenating the quoted parts. Returns the input unchanged otherwise.
pub fn unwrap_directive(s: &str) -> Result<String, (usize, String)> {
    let t = s.trim();
    let Some(rest) = t.strip_prefix("log_format") else {
        return Ok(strip_outer_quotes(t).to_string());
    };
    let mut out = String::new();
    let mut parts = 0;
    let b = rest.as_bytes();
    let base = s.len() - s.trim_start().len() + "log_format".len();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != q {
                    if b[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return Err((base + i, "unterminated quoted part in log_format".into()));
                }
                out.push_str(&unescape_conf(&rest[start..j]));
                parts += 1;
                i = j + 1;
            }
            b';' => break,
            _ => i += 1,
        }
    }
    if parts == 0 {
        // `log_format main $remote_addr...` without quotes: words after the name.
        let mut words = rest.trim().trim_end_matches(';').split_whitespace();
        words.next(); // name
        let words: Vec<&str> = words
            .filter(|w| !w.starts_with("escape=") && !w.starts_with("if="))
            .collect();
        if words.is_empty() {
            return Err((base, "log_format directive without a format string".into()));
        }
        return Ok(words.join(" "));
    }
    Ok(out)
}

/// Users often keep the shell or config quotes: `'$remote_addr ...'`.
fn strip_outer_quotes(t: &str) -> &str {
    let b = t.as_bytes();
    if b.len() >= 2 && (b[0] == b'\'' && b[b.len() - 1] == b'\'') {
        &t[1..t.len() - 1]
    } else {
        t
    }
}

/// nginx config strings know `\"`, `\'`, `\\`, `\n`, `\t`.
fn unescape_conf(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Meaning and shape of an nginx variable.
pub fn variable(name: &str) -> (Field, Class) {
    use Class::*;
    use Field::*;
    match name {
        "request" => (Request, Free),
        "request_method" => (Method, Token),
        "request_uri" => (Target, Free),
        "uri" | "document_uri" => (Path, Free),
        "status" => (Status, Class::Code),
        // nginx writes digits; `-` is read as 0 here as in Apache's `%b`, one
        // policy for byte counts.
        "body_bytes_sent" => (Bytes, DigitsOrDash),
        "bytes_sent"
        | "request_length"
        | "connection"
        | "connection_requests"
        | "remote_port"
        | "server_port"
        | "pid"
        | "content_length" => (Ignore, DigitsOrDash),
        "request_time" => (Latency(Unit::Sec), Timer),
        "upstream_response_time" => (Upstream(Unit::Sec), TimerList),
        "upstream_connect_time"
        | "upstream_header_time"
        | "upstream_queue_time"
        | "upstream_status"
        | "upstream_response_length"
        | "upstream_bytes_received"
        | "upstream_bytes_sent" => (Ignore, TimerList),
        // Several upstreams: `10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80`; the
        // last is the one that answered.
        "upstream_addr" => (Backend, Class::List),
        // nginx 1.27.3+: the last upstream contacted, one address.
        "upstream_last_addr" => (Backend, Token),
        // ingress-nginx's upstream names, between brackets, maybe empty:
        // the service that answered (`default-web-80`); the alternative
        // (canary) name is nearly always empty.
        "proxy_upstream_name" => (Backend, Class::Name),
        "proxy_alternative_upstream_name" => (Ignore, Class::Name),
        // The virtual host: the request's Host (or the server name when it
        // has none), the Host header as sent, the matching server block.
        "host" | "http_host" | "server_name" => (Host, Token),
        "time_local" => (TimeLocal, Fixed(26)),
        "time_iso8601" => (TimeIso, Fixed(25)),
        "msec" => (TimeEpoch, Decimal),
        "remote_addr"
        | "realip_remote_addr"
        | "server_addr"
        | "remote_user"
        | "hostname"
        | "scheme"
        | "server_protocol"
        | "request_id"
        | "ssl_protocol"
        | "ssl_cipher"
        | "pipe"
        | "gzip_ratio"
        | "binary_remote_addr"
        | "proxy_protocol_addr"
        | "https"
        | "request_completion" => (Ignore, Token),
        _ => (Ignore, Free),
    }
}

/// Parses an nginx format (already unwrapped) into pieces; `$var` and
/// `${var}` are variables, everything else is literal.
pub fn pieces(fmt: &str, base: usize) -> Result<Vec<Piece>, (usize, String)> {
    let b = fmt.as_bytes();
    let mut out = Vec::new();
    let mut lit = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            lit.push(b[i]);
            i += 1;
            continue;
        }
        let at = i;
        let (name, next) = if b.get(i + 1) == Some(&b'{') {
            let Some(close) = fmt[i + 2..].find('}') else {
                return Err((base + at, "`${` without a closing `}`".into()));
            };
            (&fmt[i + 2..i + 2 + close], i + 3 + close)
        } else {
            let n = b[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            (&fmt[i + 1..i + 1 + n], i + 1 + n)
        };
        if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
            return Err((base + at, "`$` must be followed by a variable name".into()));
        }
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(&mut lit)));
        }
        let (field, class) = variable(name);
        out.push(Piece::Field {
            field,
            class,
            name: format!("${name}"),
            at: base + at,
        });
        i = next;
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_parts_are_concatenated() {
        let d = r#"log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" '
                    '"$http_user_agent" "$http_x_forwarded_for"';"#;
        assert_eq!(
            unwrap_directive(d).unwrap(),
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#
        );
        assert_eq!(
            unwrap_directive("log_format j escape=json '{\"s\":$status}';").unwrap(),
            "{\"s\":$status}"
        );
        assert_eq!(
            unwrap_directive("'$status $request'").unwrap(),
            "$status $request"
        );
        assert!(unwrap_directive("log_format x '$status").is_err());
    }

    #[test]
    fn variables_and_braces() {
        let p = pieces("${status}x$request_time", 0).unwrap();
        assert_eq!(p.len(), 3);
        assert!(matches!(
            &p[0],
            Piece::Field {
                field: Field::Status,
                ..
            }
        ));
        assert!(matches!(&p[1], Piece::Lit(l) if l == b"x"));
        assert!(pieces("a $ b", 0).is_err());
        assert_eq!(pieces("a ${nope", 0).unwrap_err().0, 2);
    }
}
