//! The report for people (a table) and for spreadsheets (CSV).

use std::io::{self, Write};

use super::data::{ReportData, secs};
use crate::engine::facet::{FacetKind, OTHER};
use crate::engine::slo::SloState;
use crate::engine::summary::{Row, ratio};
use crate::view::human;
use unicode_width::UnicodeWidthStr;

/// Terminal columns `s` takes: a CJK character or an emoji takes two, so
/// padding by characters pushed the columns after a route right.
fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

pub(super) fn table(out: &mut impl Write, d: &ReportData, top: Option<usize>) -> io::Result<()> {
    let s = d.summary;
    let t = &s.totals;
    let names: Vec<&str> = d.sources.iter().map(|s| s.name.as_str()).collect();
    // What each input was read as; an input without a format says why
    // (an empty `[]` said nothing).
    let formats: Vec<String> = d
        .sources
        .iter()
        .zip(d.inputs)
        .map(|(s, st)| match (&s.format, st.lines) {
            (Some(f), _) => f.clone(),
            (None, 0) => "no lines".to_string(),
            (None, _) => "format unknown".to_string(),
        })
        .fold(Vec::new(), |mut v, f| {
            if !v.contains(&f) {
                v.push(f);
            }
            v
        });
    write!(out, "{} requests", t.requests)?;
    if let (Some((a, b)), Some(secs)) = (s.span, s.span_seconds()) {
        write!(
            out,
            " from {} to {} UTC ({}), {}/s",
            human::utc(a),
            human::utc(b),
            human::duration(secs),
            human::rate(s.rate(t.requests).unwrap_or(0.0))
        )?;
    }
    write!(
        out,
        "; 5xx {}, 4xx {}",
        human::percent(t.err5()),
        human::percent(t.err4())
    )?;
    // Statuses outside 100–599 (nginx's `000`, `499`-like custom codes
    // above 599) have no column: said here when there are any.
    if t.classes[0] > 0 {
        write!(out, ", other status {}", t.classes[0])?;
    }
    writeln!(out)?;
    writeln!(out, "inputs: {} [{}]", names.join(", "), formats.join("; "))?;
    writeln!(out)?;

    let lat = d.has_latency();
    let sized = d.has_bytes();
    let shown = top.unwrap_or(usize::MAX).min(s.routes.len());
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(shown + 2);
    // `--slo` and `--apdex` add a column each, after the others.
    let (has_slo, has_apdex) = (!d.slo.is_empty(), d.apdex.is_some());
    let cells = |name: String, methods: String, r: &Row, route: Option<&str>| -> Vec<String> {
        let l = |v: u64| {
            if lat && r.timed > 0 {
                human::latency(v)
            } else {
                "-".into()
            }
        };
        let mut v = vec![
            name,
            methods,
            r.requests.to_string(),
            s.rate(r.requests).map_or("-".into(), human::rate),
            human::percent(r.err4()),
            human::percent(r.err5()),
            l(r.q_us[0]),
            l(r.q_us[1]),
            l(r.q_us[2]),
            l(r.q_us[3]),
            l(r.lat_max_us),
            match sized {
                true => human::bytes(r.bytes),
                false => "-".into(),
            },
        ];
        if has_slo {
            // The total has no state of its own: the objectives' lines
            // below say it.
            let state = route.and_then(|r| d.slo_state(r));
            v.push(state.map_or("-".into(), |s| s.label().to_string()));
        }
        if has_apdex {
            v.push(d.apdex_of(route).map_or("-".into(), |a| format!("{a:.2}")));
        }
        v
    };
    for r in &s.routes[..shown] {
        let m = match r.methods.len() {
            0 => "-".to_string(),
            1 => r.methods[0].to_string(),
            n => format!("{}+{}", r.methods[0], n - 1),
        };
        rows.push(cells(r.route.to_string(), m, &r.row, Some(&r.route)));
    }
    if shown < s.routes.len() {
        let rest = s.routes.len() - shown;
        let reqs: u64 = s.routes[shown..].iter().map(|r| r.row.requests).sum();
        let mut more = vec![format!("({rest} more routes, {reqs} requests)")];
        more.resize(rows.first().map_or(1, Vec::len), String::new());
        rows.push(more);
    }
    rows.push(cells("TOTAL".into(), String::new(), t, None));
    let mut header = vec![
        "ROUTE", "METHOD", "REQS", "REQ/S", "4XX%", "5XX%", "P50", "P90", "P99", "P99.9", "MAX",
        "BYTES",
    ];
    if has_slo {
        header.push("SLO");
    }
    if has_apdex {
        header.push("APDEX");
    }
    let mut w: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            // Route names past 60 columns overflow rather than widen the table.
            let n = width(c);
            if i > 0 || n <= 60 {
                w[i] = w[i].max(n);
            }
        }
    }
    let line = |out: &mut dyn Write, cols: &[String]| -> io::Result<()> {
        let mut text = String::new();
        for (i, c) in cols.iter().enumerate() {
            let pad = w[i].saturating_sub(width(c));
            if i < 2 {
                text.push_str(c);
                text.push_str(&" ".repeat(pad));
            } else {
                text.push_str(&" ".repeat(pad));
                text.push_str(c);
            }
            text.push_str("  ");
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(
        out,
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    )?;
    for r in &rows {
        line(out, r)?;
    }
    if !d.slo.is_empty() {
        writeln!(out)?;
        slo(out, d)?;
    }
    facets(out, d)?;
    let o = &s.overflow;
    let by_routes = o.requests.saturating_sub(o.keys_folded);
    if by_routes > 0 {
        writeln!(
            out,
            "\nroute cap {} reached: {}{} more routes folded into (overflow), {} requests",
            o.max_routes,
            if o.at_least { "at least " } else { "" },
            o.folded_routes,
            by_routes
        )?;
    }
    if o.keys_folded > 0 {
        // Only a flood of methods and statuses gets here (64 keys per route
        // on average): memory stays bounded, and the report says so.
        writeln!(
            out,
            "\nkey cap reached: {} requests of further (route, method, status) combinations counted under (overflow)",
            o.keys_folded
        )?;
    }
    Ok(())
}

/// Values of each facet kind the table shows, busiest first.
const FACETS_SHOWN: usize = 10;

/// A section per facet kind any request carried (backends, hosts): each
/// value over all routes, its share of all requests, 5xx, mean and max.
fn facets(out: &mut impl Write, d: &ReportData) -> io::Result<()> {
    let s = d.summary;
    for kind in FacetKind::ALL {
        let f = s.facets.kind(kind);
        if f.totals.is_empty() {
            continue;
        }
        let shown = f.totals.len().min(FACETS_SHOWN);
        let mut rows: Vec<[String; 6]> = vec![[
            kind.as_str().to_uppercase(),
            "REQS".into(),
            "SHARE".into(),
            "5XX%".into(),
            "MEAN".into(),
            "MAX".into(),
        ]];
        for v in &f.totals[..shown] {
            let c = &v.counts;
            let timed = |us: u64| match c.timed {
                0 => "-".to_string(),
                _ => human::latency(us),
            };
            rows.push([
                v.name.to_string(),
                c.requests.to_string(),
                human::percent(ratio(c.requests, s.totals.requests)),
                human::percent(ratio(c.errors_5xx, c.requests)),
                timed(c.mean_us().unwrap_or(0.0).round() as u64),
                timed(c.lat_max_us),
            ]);
        }
        let mut w = [0usize; 6];
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                // Names past 60 columns overflow rather than widen it.
                let n = width(c);
                if i > 0 || n <= 60 {
                    w[i] = w[i].max(n);
                }
            }
        }
        writeln!(out)?;
        for r in &rows {
            let mut text = r[0].clone();
            text.push_str(&" ".repeat(w[0].saturating_sub(width(&r[0]))));
            for (c, w) in r.iter().zip(w).skip(1) {
                text.push_str(&format!("  {c:>w$}"));
            }
            writeln!(out, "{}", text.trim_end())?;
        }
        if shown < f.totals.len() {
            let rest = &f.totals[shown..];
            let reqs: u64 = rest.iter().map(|v| v.counts.requests).sum();
            writeln!(
                out,
                "({} more {}, {reqs} requests)",
                rest.len(),
                kind.title().to_lowercase()
            )?;
        }
        if f.folded > 0 {
            writeln!(
                out,
                "{} cap {} reached: {}{} more counted under {OTHER}",
                kind.as_str(),
                f.cap,
                if f.at_least { "at least " } else { "" },
                f.folded
            )?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- CSV

/// RFC 4180 quoting.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub(super) fn csv(out: &mut impl Write, d: &ReportData, top: Option<usize>) -> io::Result<()> {
    let s = d.summary;
    write!(
        out,
        "route,methods,requests,rps,bytes,status_1xx,status_2xx,status_3xx,status_4xx,status_5xx,status_other,error_rate_4xx,error_rate_5xx,timed,latency_sum,p50,p90,p99,p999,max"
    )?;
    // `--slo` and `--apdex` add a column each, at the end (the total's
    // objective state is empty: the lines on stderr say it).
    let (has_slo, has_apdex) = (!d.slo.is_empty(), d.apdex.is_some());
    let extra = |route: Option<&str>| {
        let mut x = String::new();
        if has_slo {
            x.push(',');
            match route.and_then(|r| d.slo_state(r)) {
                Some(SloState::Violated) => x.push_str("violated"),
                Some(_) => x.push_str("met"),
                None => {}
            }
        }
        if has_apdex {
            x.push(',');
            if let Some(a) = d.apdex_of(route) {
                x.push_str(&a.to_string());
            }
        }
        x
    };
    writeln!(
        out,
        "{}{}",
        if has_slo { ",slo" } else { "" },
        if has_apdex { ",apdex" } else { "" }
    )?;
    // `route`: `None` for the total.
    let row = |out: &mut dyn Write, route: Option<&str>, methods: &str, r: &Row| {
        let name = route.unwrap_or("(total)");
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        let lat = |us: u64| {
            if r.timed > 0 {
                secs(us).to_string()
            } else {
                String::new()
            }
        };
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}{}",
            csv_field(name),
            csv_field(methods),
            r.requests,
            opt(s.rate(r.requests)),
            r.bytes,
            r.classes[1],
            r.classes[2],
            r.classes[3],
            r.classes[4],
            r.classes[5],
            r.classes[0],
            r.err4(),
            r.err5(),
            r.timed,
            lat(r.lat_sum_us),
            lat(r.q_us[0]),
            lat(r.q_us[1]),
            lat(r.q_us[2]),
            lat(r.q_us[3]),
            lat(r.lat_max_us),
            extra(route),
        )
    };
    let shown = top.unwrap_or(usize::MAX).min(s.routes.len());
    for r in &s.routes[..shown] {
        let methods: Vec<&str> = r.methods.iter().map(|m| &**m).collect();
        row(out, Some(&r.route), &methods.join(" "), &r.row)?;
    }
    row(out, None, "", &s.totals)
}

/// One line per objective (`--slo`): met or not, compliance against the
/// target, requests, and the error budget left.
pub(super) fn slo(out: &mut impl Write, d: &ReportData) -> io::Result<()> {
    let w = d.slo.iter().map(|(o, _)| width(&o.name)).max().unwrap_or(0);
    for (o, p) in d.slo {
        let c = &p.total;
        let verdict = match (c.ratio(), c.violated(o.target)) {
            (None, _) => "NO DATA ",
            (_, true) => "VIOLATED",
            (_, false) => "met     ",
        };
        let pct = |r: f64| format!("{:.3}%", r * 100.0);
        let what = match o.threshold_us() {
            Some(us) => format!("at or under {}", human::latency(us)),
            None => "not failed".to_string(),
        };
        let pad = " ".repeat(w.saturating_sub(width(&o.name)));
        write!(out, "SLO {}{pad}  {verdict}", o.name)?;
        match c.ratio() {
            Some(r) => writeln!(
                out,
                "  {} {what} (target {}): {} of {}; error budget left {}",
                pct(r),
                pct(o.target),
                c.good,
                c.total,
                c.budget_left(o.target)
                    .map_or("-".into(), |b| format!("{:.1}%", b * 100.0))
            )?,
            None => writeln!(out, "  no requests")?,
        }
    }
    Ok(())
}
