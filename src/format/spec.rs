//! A format as the user gives it ([`FormatSpec`]: `auto`, a preset, an
//! nginx `log_format` or Apache `LogFormat` string, `json`, `regex:…`), the
//! presets, and the one-line error of a format that cannot be compiled.

use std::fmt;

use super::w3c::Flavour;

/// A format as the user gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatSpec {
    Auto,
    /// A preset name.
    Preset(&'static str),
    Nginx(String),
    Apache(String),
    Json,
    Regex(String),
    /// W3C extended (`w3c`, `iis`, `cloudfront`): columns from the file's
    /// own `#Fields:` header.
    W3c(Flavour),
}

/// Presets: name, what it is, and the format string it stands for.
pub const PRESETS: &[(&str, &str, &str)] = &[
    (
        "combined",
        "nginx/Apache combined",
        r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#,
    ),
    ("common", "NCSA common (CLF)", r#"%h %l %u %t "%r" %>s %b"#),
    (
        "vcombined",
        "Apache vhost_combined (vhost:port first)",
        r#"%v:%p %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#,
    ),
    (
        "combined_rt",
        "nginx combined + $request_time",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time"#,
    ),
    (
        "combined_upstream",
        "nginx combined + $request_time $upstream_response_time",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time"#,
    ),
    (
        "main",
        "nginx's default 'main' (combined + \"$http_x_forwarded_for\")",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#,
    ),
    (
        "combined_D",
        "Apache combined + %D (microseconds)",
        r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D"#,
    ),
    // Traefik's `format: common` access log: CLF, then the request count,
    // router, backend URL and duration
    // (https://doc.traefik.io/traefik/observability/access-logs/#clf-common-log-format).
    // `%{Backend}n` is the backend (format/apache.rs); the router is not.
    (
        "traefik_clf",
        "Traefik CLF access log (duration in ms)",
        r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %k "%{Router}n" "%{Backend}n" %{ms}Tms"#,
    ),
    // ingress-nginx's default `upstreaminfo` log_format
    // (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/log-format/).
    (
        "ingress_nginx",
        "ingress-nginx upstreaminfo",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#,
    ),
    // Hand-written parsers (format/builtin.rs): the third column is the
    // layout they read, for --list-formats; it is not compiled.
    (
        "alb",
        "AWS Application Load Balancer (times in s)",
        r#"type time elb client:port target:port request_processing_time target_processing_time response_processing_time elb_status_code target_status_code received_bytes sent_bytes "request" "user_agent" ..."#,
    ),
    (
        "elb",
        "AWS Classic Load Balancer (times in s)",
        r#"time elb client:port backend:port request_processing_time backend_processing_time response_processing_time elb_status_code backend_status_code received_bytes sent_bytes "request" "user_agent" ..."#,
    ),
    (
        "s3",
        "AWS S3 server access log (times in ms)",
        r#"bucket_owner bucket [time] remote_ip requester request_id operation key "request_uri" http_status error_code bytes_sent object_size total_time turn_around_time ..."#,
    ),
    (
        "haproxy",
        "HAProxy option httplog, syslog prefix or not (times in ms)",
        r#"client:port [accept_date] frontend backend/server TR/Tw/Tc/Tr/Ta status bytes - - tsc ac/fc/bc/sc/rc sq/bq {req headers} {resp headers} "request""#,
    ),
    (
        "envoy",
        "Envoy / Istio default access log (times in ms)",
        r#"[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ..."#,
    ),
];

impl FormatSpec {
    pub fn parse(s: &str) -> Result<FormatSpec, FormatError> {
        let t = s.trim();
        if t.is_empty() || t == "auto" {
            return Ok(FormatSpec::Auto);
        }
        if let Some((name, _, _)) = PRESETS.iter().find(|(n, _, _)| *n == t) {
            return Ok(FormatSpec::Preset(name));
        }
        if let Some(f) = Flavour::by_name(t) {
            return Ok(FormatSpec::W3c(f));
        }
        if matches!(t, "json" | "caddy" | "traefik") {
            return Ok(FormatSpec::Json);
        }
        if let Some(p) = t.strip_prefix("regex:") {
            return Ok(FormatSpec::Regex(p.to_string()));
        }
        // As `regex:` names its kind: what people write by its analogy,
        // and a way to say which kind a string is when its look does not
        // (it was read with `nginx:` as literal text that no line starts
        // with).
        if let Some(p) = t.strip_prefix("nginx:") {
            return Ok(FormatSpec::Nginx(p.trim_start().to_string()));
        }
        if let Some(p) = t.strip_prefix("apache:") {
            return Ok(FormatSpec::Apache(p.trim_start().to_string()));
        }
        let has_nginx_var = t
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'{' || w[1] == b'_'));
        if t.starts_with("log_format") || has_nginx_var {
            return Ok(FormatSpec::Nginx(s.to_string()));
        }
        if t.starts_with("LogFormat") || t.contains('%') {
            return Ok(FormatSpec::Apache(s.to_string()));
        }
        let names: Vec<&str> = PRESETS
            .iter()
            .map(|p| p.0)
            .chain(Flavour::PRESETS.iter().map(|p| p.0))
            .collect();
        Err(FormatError {
            spec: s.to_string(),
            at: None,
            msg: format!(
                "unknown format; expected auto, a preset ({}), json, regex:PATTERN, an nginx log_format string or an Apache LogFormat string",
                names.join(", ")
            ),
        })
    }
}

/// A format that cannot be compiled, with the offending position when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FormatError {
    pub spec: String,
    pub at: Option<usize>,
    pub msg: String,
}

impl fmt::Display for FormatError {
    /// One line, naming the offending part and its column in the format:
    /// error messages end up in logs and systemd journals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad format: {}", self.msg)?;
        if let Some(at) = self.at {
            let flat: String = self
                .spec
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            // Counted in the spec itself: `at` is a byte offset there, and
            // a C1 control (two bytes) is one space in `flat`.
            let col = self
                .spec
                .get(..at.min(self.spec.len()))
                .map_or(0, |p| p.chars().count())
                + 1;
            write!(f, " (column {col} of '{flat}')")?;
        }
        Ok(())
    }
}
