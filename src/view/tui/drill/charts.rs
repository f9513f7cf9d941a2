//! The drill-down's two latency charts: the route's latency buckets as
//! horizontal bars, and its percentiles over time. Both read one
//! `RouteSnap`; the rest of the screen (counts, facets, breakdowns) is
//! `drill.rs`'s.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};

use crate::engine::snapshot::RouteSnap;
use crate::view::human;
use crate::view::tui::app::short_duration;
use crate::view::tui::style::{self, Theme};

/// Horizontal bars over the route's latency buckets, merged in pairs until
/// they fit the height.
pub(super) fn render_latency_hist(frame: &mut Frame, area: Rect, route: &RouteSnap, theme: Theme) {
    let block = Block::bordered().title(Span::styled(
        " Latency distribution (since start) ",
        theme.title(),
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut buckets = route.latency.clone();
    if buckets.is_empty() || route.total.timed == 0 {
        frame.render_widget(
            Paragraph::new(Span::styled("no timed requests", theme.dim())),
            inner,
        );
        return;
    }
    while buckets.len() > inner.height.max(1) as usize {
        buckets = buckets
            .chunks(2)
            .map(|c| {
                let n = c.iter().map(|b| b.2).fold(0, u64::saturating_add);
                (c[0].0, c[c.len() - 1].1, n)
            })
            .collect();
    }
    let total: u64 = buckets
        .iter()
        .map(|b| b.2)
        .fold(0, u64::saturating_add)
        .max(1);
    let max = buckets.iter().map(|b| b.2).max().unwrap_or(1).max(1);
    let labels: Vec<String> = buckets
        .iter()
        .map(|b| format!("≤{}", human::latency(b.1)))
        .collect();
    let label_w = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let bar_w = (inner.width as usize).saturating_sub(label_w + 12).max(1);
    let lines: Vec<Line> = buckets
        .iter()
        .zip(labels)
        .map(|(&(_, hi, n), label)| {
            let len = ((n as u128 * bar_w as u128).div_ceil(max as u128) as usize).min(bar_w);
            Line::from(vec![
                Span::raw(format!("{label:>label_w$} ")),
                Span::styled(
                    "█".repeat(len),
                    if hi < style::SLOW_US {
                        theme.good()
                    } else {
                        theme.latency(hi)
                    },
                ),
                Span::raw(" ".repeat(bar_w - len)),
                Span::raw(format!(" {:>5}", human::count(n))),
                Span::styled(
                    format!(" {:>4}", human::percent(n as f64 / total as f64)),
                    theme.dim(),
                ),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// p50/p90/p99 per series step, in ms on the y axis. Steps without timed
/// requests (0) are left out rather than drawn as a fall to zero.
pub(super) fn render_percentiles(frame: &mut Frame, area: Rect, route: &RouteSnap, theme: Theme) {
    let s = &route.series;
    let step = short_duration(s.step.as_secs().max(1));
    // The title doubles as the legend: colours, or marks without colour.
    let mark = |m: &'static str| if theme.color { "" } else { m };
    let title = Line::from(vec![
        Span::raw(" "),
        Span::styled(format!("p50{}", mark(" •")), theme.fg(Color::Green)),
        Span::raw("  "),
        Span::styled(format!("p90{}", mark(" ⠒")), theme.fg(Color::Yellow)),
        Span::raw("  "),
        Span::styled(format!("p99{}", mark(" █")), theme.fg(Color::Red)),
        Span::styled(format!(" per {step} "), theme.title()),
    ]);
    let n = s.p99_us.len().max(s.p90_us.len()).max(s.p50_us.len());
    if n == 0 {
        frame.render_widget(
            Paragraph::new(Span::styled("no series yet", theme.dim()))
                .block(Block::bordered().title(title)),
            area,
        );
        return;
    }
    let points = |v: &[u64]| -> Vec<(f64, f64)> {
        let skip = n - v.len();
        v.iter()
            .enumerate()
            .filter(|(_, us)| **us > 0)
            .map(|(i, &us)| ((i + skip) as f64, us as f64 / 1000.0))
            .collect()
    };
    let (p50, p90, p99) = (points(&s.p50_us), points(&s.p90_us), points(&s.p99_us));
    let max_ms = p50
        .iter()
        .chain(&p90)
        .chain(&p99)
        .map(|p| p.1)
        .fold(0.0f64, f64::max)
        .max(0.001);
    // Without colour the three lines need different dots to be told apart.
    let (m50, m90, m99) = if theme.color {
        (Marker::Braille, Marker::Braille, Marker::Braille)
    } else {
        (Marker::Dot, Marker::Braille, Marker::Block)
    };
    let datasets: Vec<Dataset> = [
        ("p50", m50, Color::Green, &p50),
        ("p90", m90, Color::Yellow, &p90),
        ("p99", m99, Color::Red, &p99),
    ]
    .into_iter()
    .map(|(name, marker, color, data)| {
        Dataset::default()
            .name(name)
            .marker(marker)
            .graph_type(GraphType::Line)
            .style(theme.fg(color))
            .data(data)
    })
    .collect();
    let ago = short_duration(s.step.as_secs().saturating_mul(n as u64 - 1));
    let y_label = |ms: f64| human::latency((ms * 1000.0) as u64);
    let chart = Chart::new(datasets)
        .block(Block::bordered().title(title))
        .x_axis(
            Axis::default()
                .bounds([0.0, (n - 1).max(1) as f64])
                .labels([Span::raw(format!("-{ago}")), Span::raw("now")])
                .style(theme.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, max_ms * 1.05])
                .labels([
                    Span::raw("0"),
                    Span::raw(y_label(max_ms / 2.0)),
                    Span::raw(y_label(max_ms)),
                ])
                .style(theme.dim()),
        )
        .legend_position(None);
    frame.render_widget(chart, area);
}
