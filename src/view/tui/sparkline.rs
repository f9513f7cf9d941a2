//! Sparklines: the three global ones under the header (req/s, 5xx/s,
//! p99), and the one-line text sparkline each table row carries.
//!
//! Row sparklines are plain strings of block characters rather than
//! widgets: one per visible row per frame, they must cost next to
//! nothing, and a string drops into a table cell.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use super::app::{App, short_duration};
use super::style::Theme;
use crate::engine::snapshot::Snapshot;
use crate::view::human;

const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` values as block characters scaled to their own max
/// (right-aligned: the newest value is the last character). Any non-zero
/// value shows at least `▁`, so rare traffic is not invisible.
pub fn spark_string(values: &[u64], width: usize) -> String {
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0);
    let mut s = String::with_capacity(width * 3);
    for _ in tail.len()..width {
        s.push(' ');
    }
    for &v in tail {
        let level = if max == 0 || v == 0 {
            0
        } else {
            // u128: v * 8 cannot overflow whatever the counts.
            ((v as u128 * 8).div_ceil(max as u128) as usize).clamp(1, 8)
        };
        s.push(BARS[level]);
    }
    s
}

/// Req/s, 5xx/s and p99 over the series of the total, side by side.
pub fn render_global(frame: &mut Frame, area: Rect, app: &App, snap: &Snapshot) {
    let theme = Theme { color: app.color };
    let series = &snap.total.series;
    let step = series.step.as_secs_f64();
    let parts = Layout::horizontal([Constraint::Ratio(1, 3); 3])
        .spacing(2)
        .split(area);
    let per_sec = |v: u64| {
        if step > 0.0 {
            v as f64 / step
        } else {
            v as f64
        }
    };
    let span = if series.requests.is_empty() || series.step.is_zero() {
        String::new()
    } else {
        let secs = series
            .step
            .as_secs()
            .saturating_mul(parts[0].width.min(series.requests.len() as u16) as u64);
        format!("  last {}", short_duration(secs))
    };
    let last = |v: &[u64]| v.last().copied();
    let charts: [(&str, String, &[u64], Color); 3] = [
        (
            "req/s",
            last(&series.requests).map_or("—".into(), |v| human::rate(per_sec(v))),
            &series.requests,
            Color::Cyan,
        ),
        (
            "5xx/s",
            last(&series.errors_5xx).map_or("—".into(), |v| human::rate(per_sec(v))),
            &series.errors_5xx,
            Color::Red,
        ),
        (
            "p99",
            last(&series.p99_us).map_or("—".into(), human::latency),
            &series.p99_us,
            Color::Yellow,
        ),
    ];
    for ((label, now, data, color), area) in charts.into_iter().zip(parts.iter()) {
        let [title, chart] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(*area);
        let line = Line::from(vec![
            Span::styled(label, theme.dim()),
            Span::raw(" "),
            Span::styled(now, theme.bold()),
            Span::styled(span.as_str(), theme.dim()),
        ]);
        frame.render_widget(Paragraph::new(line), title);
        let w = chart.width as usize;
        let tail = &data[data.len().saturating_sub(w)..];
        if tail.is_empty() {
            frame.render_widget(
                Paragraph::new(Span::styled("no data yet", theme.dim())),
                chart,
            );
        } else {
            frame.render_widget(
                Sparkline::default()
                    .data(tail.iter().copied())
                    .style(theme.fg(color)),
                chart,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_string_scales_and_pads() {
        assert_eq!(spark_string(&[], 4), "    ");
        assert_eq!(spark_string(&[0, 0], 3), "   ");
        assert_eq!(spark_string(&[1, 8], 2), "▁█");
        assert_eq!(spark_string(&[1, 2, 4, 8], 3), "▂▄█");
        assert_eq!(spark_string(&[1, 1000], 2), "▁█");
        assert_eq!(spark_string(&[u64::MAX, u64::MAX / 2], 2), "█▄");
    }
}
