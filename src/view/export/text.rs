//! Exposition of metric families as text: the Prometheus text format 0.0.4
//! and OpenMetrics 1.0, chosen by the scraper's `Accept` header.
//!
//! Why not `prometheus::TextEncoder`: it has no OpenMetrics, and it
//! re-escapes every label and allocates every number once per *sample*; a
//! histogram repeats its labels on every bucket line, so at 2 000 routes that
//! dominates a scrape. Here a metric's labels are escaped once and reused
//! for all its lines, and numbers are written in place. The text format
//! output is byte-identical to `TextEncoder`'s (a test checks it).

use std::fmt::Write;

use prometheus::proto::{LabelPair, Metric, MetricFamily, MetricType};

/// An exposition format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`: what every Prometheus and the
    /// Pushgateway read.
    Text,
    /// `application/openmetrics-text; version=1.0.0`.
    OpenMetrics,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }

    /// OpenMetrics when the `Accept` header asks for it with a quality at
    /// least that of the text format (Prometheus sends both, preferring
    /// OpenMetrics); the text format otherwise.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Text;
        };
        let (mut om, mut text) = (None::<f32>, None::<f32>);
        for part in accept.split(',') {
            let mut params = part.split(';').map(str::trim);
            let media = params.next().unwrap_or("").to_ascii_lowercase();
            let mut q = 1.0f32;
            let mut version = None;
            for p in params {
                if let Some(v) = p.strip_prefix("q=") {
                    q = v.parse().unwrap_or(0.0);
                } else if let Some(v) = p.strip_prefix("version=") {
                    version = Some(v.to_string());
                }
            }
            match media.as_str() {
                // 0.0.1 is an early draft we do not write.
                "application/openmetrics-text"
                    if version.as_deref().is_none_or(|v| v.starts_with("1.")) =>
                {
                    om = Some(om.map_or(q, |o| o.max(q)))
                }
                "text/plain" | "*/*" | "text/*" => text = Some(text.map_or(q, |t| t.max(q))),
                _ => {}
            }
        }
        match (om, text) {
            (Some(o), t) if o > 0.0 && o >= t.unwrap_or(0.0) => Format::OpenMetrics,
            _ => Format::Text,
        }
    }
}

/// Writes `families` (empty ones are skipped) in `format`.
pub fn encode(families: &[MetricFamily], format: Format) -> String {
    let mut out = encode_part(families, format);
    end(&mut out, format);
    out
}

/// Families without the end of the exposition: pieces to join, then
/// [`end`].
pub fn encode_part(families: &[MetricFamily], format: Format) -> String {
    let mut out = String::with_capacity(size_hint(families));
    for f in families.iter().filter(|f| !f.get_metric().is_empty()) {
        family(&mut out, f, format);
    }
    out
}

/// Ends an exposition (OpenMetrics' `# EOF`).
pub fn end(out: &mut String, format: Format) {
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
}

/// Close to the output's length, so the (multi-MiB) string is allocated
/// once instead of doubling its way up.
fn size_hint(families: &[MetricFamily]) -> usize {
    let mut n = 64;
    for f in families {
        let per_metric = match f.get_field_type() {
            MetricType::HISTOGRAM => f
                .get_metric()
                .first()
                .map_or(3, |m| m.get_histogram().get_bucket().len() + 3),
            MetricType::SUMMARY => 6,
            _ => 1,
        };
        n += f.help().len() + 2 * f.name().len() + 32;
        for m in f.get_metric() {
            let labels: usize = m
                .get_label()
                .iter()
                .map(|l| l.name().len() + l.value().len() + 4)
                .sum();
            n += per_metric * (f.name().len() + labels + 40);
        }
    }
    n
}

fn family(out: &mut String, f: &MetricFamily, format: Format) {
    let t = f.get_field_type();
    let name = f.name();
    let om = format == Format::OpenMetrics;
    // OpenMetrics names a counter family without `_total` and an info
    // family without `_info`; the samples keep them.
    let (meta_name, type_name) = match t {
        MetricType::COUNTER if om => (name.strip_suffix("_total").unwrap_or(name), "counter"),
        MetricType::GAUGE if om && name.ends_with("_info") => {
            (name.strip_suffix("_info").unwrap_or(name), "info")
        }
        MetricType::COUNTER => (name, "counter"),
        MetricType::GAUGE => (name, "gauge"),
        MetricType::HISTOGRAM => (name, "histogram"),
        MetricType::SUMMARY => (name, "summary"),
        MetricType::UNTYPED => (name, if om { "unknown" } else { "untyped" }),
    };
    if !f.help().is_empty() {
        out.push_str("# HELP ");
        out.push_str(meta_name);
        out.push(' ');
        // The text format escapes `\` and newline in HELP; OpenMetrics
        // also `"`.
        escape(out, f.help(), om);
        out.push('\n');
    }
    out.push_str("# TYPE ");
    out.push_str(meta_name);
    out.push(' ');
    out.push_str(type_name);
    out.push('\n');
    let mut labels = String::new();
    // Every histogram of a family has the same bounds: format them once.
    let mut les: Vec<(f64, String)> = Vec::new();
    for m in f.get_metric() {
        labels.clear();
        label_text(&mut labels, m.get_label());
        match t {
            MetricType::COUNTER => {
                sample(out, name, "", &labels, None, m.get_counter().get_value())
            }
            MetricType::GAUGE => sample(out, name, "", &labels, None, m.get_gauge().get_value()),
            // Never produced by `families`; the model still has the type.
            MetricType::UNTYPED => {}
            MetricType::HISTOGRAM => histogram(out, name, &labels, m, om, &mut les),
            MetricType::SUMMARY => {
                let s = m.get_summary();
                for q in s.get_quantile() {
                    let v = bound(q.quantile(), om);
                    sample(out, name, "", &labels, Some(("quantile", &v)), q.value());
                }
                sample(out, name, "_sum", &labels, None, s.sample_sum());
                sample(out, name, "_count", &labels, None, s.sample_count() as f64);
            }
        }
    }
}

fn histogram(
    out: &mut String,
    name: &str,
    labels: &str,
    m: &Metric,
    om: bool,
    les: &mut Vec<(f64, String)>,
) {
    let h = m.get_histogram();
    // A bucket line is `prefix` + `tail` + count: both built once (the
    // prefix per metric, the tails per family), so each line is three
    // copies and an integer.
    let mut prefix = String::with_capacity(name.len() + labels.len() + 16);
    prefix.push_str(name);
    prefix.push_str("_bucket");
    prefix.push_str(labels);
    prefix.push_str(if labels.is_empty() {
        "{le=\""
    } else {
        ",le=\""
    });
    let mut inf = false;
    for (i, b) in h.get_bucket().iter().enumerate() {
        let le = b.upper_bound();
        inf |= le == f64::INFINITY;
        match les.get_mut(i) {
            Some(c) if c.0 == le => {}
            Some(c) => *c = (le, bound(le, om) + "\"} "),
            None => les.push((le, bound(le, om) + "\"} ")),
        }
        out.push_str(&prefix);
        out.push_str(&les[i].1);
        number(out, b.cumulative_count() as f64);
        out.push('\n');
    }
    if !inf {
        out.push_str(&prefix);
        out.push_str("+Inf\"} ");
        number(out, h.get_sample_count() as f64);
        out.push('\n');
    }
    sample(out, name, "_sum", labels, None, h.get_sample_sum());
    sample(
        out,
        name,
        "_count",
        labels,
        None,
        h.get_sample_count() as f64,
    );
}

/// `{a="x",b="y"` (no closing brace, so an `le` or `quantile` can follow),
/// or empty without labels.
fn label_text(out: &mut String, pairs: &[LabelPair]) {
    for (i, p) in pairs.iter().enumerate() {
        out.push(if i == 0 { '{' } else { ',' });
        out.push_str(p.name());
        out.push_str("=\"");
        escape(out, p.value(), true);
        out.push('"');
    }
}

fn sample(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &str,
    extra: Option<(&str, &str)>,
    value: f64,
) {
    out.push_str(name);
    out.push_str(suffix);
    out.push_str(labels);
    if let Some((k, v)) = extra {
        out.push(if labels.is_empty() { '{' } else { ',' });
        out.push_str(k);
        out.push_str("=\"");
        out.push_str(v);
        out.push('"');
    }
    if !labels.is_empty() || extra.is_some() {
        out.push('}');
    }
    out.push(' ');
    number(out, value);
    out.push('\n');
}

/// Numbers as Rust prints them (what `TextEncoder` writes), except the
/// infinities, which Prometheus spells `+Inf`/`-Inf`. Whole numbers — every
/// count — take a faster path that prints the same digits.
fn number(out: &mut String, v: f64) {
    if v.fract() == 0.0 && v.abs() < 9.0e15 && !(v == 0.0 && v.is_sign_negative()) {
        out.push_str(itoa::Buffer::new().format(v as i64));
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        let _ = write!(out, "{v}");
    }
}

/// A bucket bound or quantile as a label value. OpenMetrics wants floats
/// in canonical form (`1.0`, not `1`), so that `le` values match across
/// clients.
fn bound(v: f64, om: bool) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let s = v.to_string();
    if om && !s.contains(['.', 'e', 'E', 'N']) {
        s + ".0"
    } else {
        s
    }
}

/// Escapes `\`, newline and (if `quote`) `"`; every other character,
/// control characters included, is legal as is in both formats.
fn escape(out: &mut String, s: &str, quote: bool) {
    let find = |b: &[u8]| {
        if quote {
            memchr::memchr3(b'\\', b'\n', b'"', b)
        } else {
            memchr::memchr2(b'\\', b'\n', b)
        }
    };
    let mut rest = s;
    // The three are ASCII, so `i` is always a char boundary.
    while let Some(i) = find(rest.as_bytes()) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'\\' => "\\\\",
            b'\n' => "\\n",
            _ => "\\\"",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}
