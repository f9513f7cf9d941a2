//! Apache `LogFormat` strings → template pieces.
//!
//! Accepted verbatim, including the C-style escapes of httpd.conf (`\"`) and
//! the whole directive (`LogFormat "%h %l ..." combined`). Directives follow
//! mod_log_config: `%[<>][!][codes]{arg}X`.

use super::template::{Class, Field, Piece};
use super::value::Unit;

/// Strips a `LogFormat "..." nickname` directive and resolves `\"`-style
/// escapes, which users paste from httpd.conf or shell history.
pub fn unwrap_directive(s: &str) -> String {
    let t = s.trim();
    let inner = match t.strip_prefix("LogFormat") {
        Some(rest) => {
            let rest = rest.trim_start();
            match rest.strip_prefix('"') {
                Some(body) => {
                    // Up to the last unescaped quote.
                    let b = body.as_bytes();
                    let mut end = None;
                    let mut i = 0;
                    while i < b.len() {
                        match b[i] {
                            b'\\' => i += 1,
                            b'"' => end = Some(i),
                            _ => {}
                        }
                        i += 1;
                    }
                    &body[..end.unwrap_or(body.len())]
                }
                None => rest,
            }
        }
        None => {
            let b = t.as_bytes();
            if b.len() >= 2 && b[0] == b'\'' && b[b.len() - 1] == b'\'' {
                &t[1..t.len() - 1]
            } else {
                t
            }
        }
    };
    let mut out = String::with_capacity(inner.len());
    let mut it = inner.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub fn pieces(fmt: &str, base: usize) -> Result<Vec<Piece>, (usize, String)> {
    let b = fmt.as_bytes();
    let mut out = Vec::new();
    let mut lit = Vec::new();
    let mut i = 0;
    // `%>s` beats `%s` / `%<s` when both appear: it is what the client got.
    let final_status = fmt.contains("%>s");
    // `%D` (µs) beats `%T` (s) when both appear.
    let has_d = fmt.contains("%D");
    while i < b.len() {
        if b[i] != b'%' {
            lit.push(b[i]);
            i += 1;
            continue;
        }
        let at = i;
        i += 1;
        if b.get(i) == Some(&b'%') {
            lit.push(b'%');
            i += 1;
            continue;
        }
        let mut modifier = None;
        // Conditions (`!`, status lists) and `<`/`>` modifiers, any order.
        while let Some(&c) = b.get(i) {
            match c {
                b'<' | b'>' => {
                    modifier = Some(c);
                    i += 1;
                }
                b'!' | b',' | b'0'..=b'9' => i += 1,
                _ => break,
            }
        }
        let mut arg = None;
        if b.get(i) == Some(&b'{') {
            let Some(close) = fmt[i..].find('}') else {
                return Err((base + at, "`%{` without a closing `}`".into()));
            };
            arg = Some(&fmt[i + 1..i + close]);
            i += close + 1;
        }
        // A char, not a byte: a non-ASCII one (never a directive) is named
        // whole in the error, which slices the format at its end.
        let Some(d) = fmt[i..].chars().next() else {
            return Err((base + at, "`%` at the end of the format".into()));
        };
        i += d.len_utf8();
        let known = d
            .is_ascii()
            .then(|| directive(d as u8, arg, modifier, final_status, has_d));
        let spec = known.flatten().ok_or_else(|| {
            (
                base + at,
                format!("unknown Apache directive `{}`", &fmt[at..i]),
            )
        })?;
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(&mut lit)));
        }
        out.push(Piece::Field {
            field: spec.0,
            class: spec.1,
            name: fmt[at..i].to_string(),
            at: base + at,
        });
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(glue_path_query(out))
}

/// `%U%q` (path immediately followed by `?query`) is one request target:
/// nothing separates the two, but together they are a single value.
fn glue_path_query(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    for p in pieces {
        if let (Some(Piece::Field { field, name, .. }), Piece::Field { name: next, .. }) =
            (out.last_mut(), &p)
            && name == "%U"
            && next == "%q"
        {
            *field = Field::Target;
            name.push_str("%q");
            continue;
        }
        out.push(p);
    }
    out
}

fn directive(
    d: u8,
    arg: Option<&str>,
    modifier: Option<u8>,
    final_status: bool,
    has_d: bool,
) -> Option<(Field, Class)> {
    use Class::*;
    use Field::*;
    Some(match d {
        // The virtual host: the server's canonical name, the one of
        // `UseCanonicalName`.
        b'v' | b'V' => (Host, Token),
        b'h' | b'a' | b'A' | b'l' | b'u' | b'H' | b'L' | b'X' | b'R' | b'f' => (Ignore, Token),
        // The Host header as the client sent it.
        b'i' if arg.is_some_and(|a| a.eq_ignore_ascii_case("host")) => (Host, Free),
        // The backend: mod_proxy_balancer's worker (the URL it proxied
        // to), and a note named `Backend` (what the `traefik_clf` preset
        // calls Traefik's backend URL).
        b'e' if arg == Some("BALANCER_WORKER_NAME") => (Backend, Free),
        b'n' if arg.is_some_and(|a| a.eq_ignore_ascii_case("backend")) => (Backend, Free),
        b't' => match arg {
            None => (TimeLocal, Fixed(28)),
            Some("sec") | Some("msec") | Some("usec") | Some("msec_frac") | Some("usec_frac") => (
                if arg == Some("sec") {
                    TimeEpoch
                } else {
                    Ignore
                },
                Digits,
            ),
            Some(f)
                if f.trim_start_matches("begin:").trim_start_matches("end:")
                    == "%d/%b/%Y:%H:%M:%S %z" =>
            {
                (TimeLocal, Fixed(26))
            }
            Some(_) => (Ignore, Free),
        },
        b'r' => (Request, Free),
        b'm' => (Method, Token),
        b'U' => (Path, Free),
        b'q' => (Ignore, Free),
        b's' => {
            if modifier == Some(b'>') || !final_status {
                (Status, Class::Code)
            } else {
                (Ignore, Digits)
            }
        }
        b'b' => (Bytes, DigitsOrDash),
        b'B' => (Bytes, Digits),
        b'I' | b'O' | b'S' | b'p' | b'P' | b'k' => (Ignore, DigitsOrDash),
        b'D' => (Latency(Unit::Us), WholeTimer),
        b'T' => {
            let unit = match arg {
                None | Some("s") => Unit::Sec,
                Some("ms") => Unit::Ms,
                Some("us") => Unit::Us,
                Some(_) => return None,
            };
            if has_d && unit == Unit::Sec {
                (Ignore, Digits)
            } else {
                (Latency(unit), WholeTimer)
            }
        }
        b'i' | b'o' | b'e' | b'n' | b'C' | b'c' | b'x' | b'^' => (Ignore, Free),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_and_escapes() {
        assert_eq!(
            unwrap_directive(r#"LogFormat "%h %l %u %t \"%r\" %>s %b" common"#),
            r#"%h %l %u %t "%r" %>s %b"#
        );
        assert_eq!(unwrap_directive(r#"%h \"%r\" %>s"#), r#"%h "%r" %>s"#);
    }

    #[test]
    fn directives() {
        let p = pieces("%h %{Referer}i %>s %{ms}T %%", 0).unwrap();
        let fields: Vec<_> = p
            .iter()
            .filter_map(|p| match p {
                Piece::Field { field, .. } => Some(*field),
                _ => None,
            })
            .collect();
        assert_eq!(
            fields,
            vec![
                Field::Ignore,
                Field::Ignore,
                Field::Status,
                Field::Latency(Unit::Ms)
            ]
        );
        assert!(matches!(p.last(), Some(Piece::Lit(l)) if l == b" %"));
        let e = pieces("%h %Z", 0).unwrap_err();
        assert_eq!(e.0, 3);
        assert!(e.1.contains("%Z"));
        // %D wins over %T; %>s over %s.
        let p = pieces("%s %>s %T %D", 0).unwrap();
        let fields: Vec<_> = p
            .iter()
            .filter_map(|p| match p {
                Piece::Field { field, .. } => Some(*field),
                _ => None,
            })
            .collect();
        assert_eq!(
            fields,
            vec![
                Field::Ignore,
                Field::Status,
                Field::Ignore,
                Field::Latency(Unit::Us)
            ]
        );
    }
}
