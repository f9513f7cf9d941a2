//! Colours with a meaning, and text made safe to draw.
//!
//! Colour says something here: 5xx red, 4xx yellow, slow latencies yellow
//! then red, input states by health. With colour off (`NO_COLOR`, or the
//! caller's choice) the same styles keep their modifiers (bold, reverse)
//! so the selection and warnings stay visible.
//!
//! Route names and sample lines come from the logs, i.e. from whoever sent
//! the requests: [`escape`] makes control characters visible (`\x1b`)
//! instead of letting them reach the terminal or silently vanish.

use std::borrow::Cow;
use std::fmt::Write;

use ratatui::style::{Color, Modifier, Style};

use crate::engine::summary::Row;
use crate::view::human;

/// p50/p90/p99/max at or above this are drawn as slow (yellow).
pub const SLOW_US: u64 = 250_000;
/// … and at or above this as very slow (red).
pub const VERY_SLOW_US: u64 = 1_000_000;

/// Whether colour is wanted: `NO_COLOR` set to anything non-empty turns
/// it off (<https://no-color.org>).
pub fn color_from_env() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Styles for a colour choice.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    /// Table header, selected row, status bar: reverse video reads the same
    /// with or without colour.
    pub fn reverse(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// 5xx share: any is red, 1 % and more is bold red.
    pub fn err5(self, ratio: f64) -> Style {
        if ratio <= 0.0 {
            Style::new()
        } else if ratio >= 0.01 {
            self.fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            self.fg(Color::Red)
        }
    }

    /// 4xx share: any is yellow, 10 % and more bold.
    pub fn err4(self, ratio: f64) -> Style {
        if ratio <= 0.0 {
            Style::new()
        } else if ratio >= 0.10 {
            self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            self.fg(Color::Yellow)
        }
    }

    pub fn latency(self, us: u64) -> Style {
        if us >= VERY_SLOW_US {
            self.fg(Color::Red).add_modifier(Modifier::BOLD)
        } else if us >= SLOW_US {
            self.fg(Color::Yellow)
        } else {
            Style::new()
        }
    }

    /// A status code's colour by class.
    pub fn status(self, code: u16) -> Style {
        match Row::class_of(code) {
            5 => self.fg(Color::Red),
            4 => self.fg(Color::Yellow),
            3 => self.fg(Color::Cyan),
            2 => self.fg(Color::Green),
            _ => Style::new(),
        }
    }

    pub fn good(self) -> Style {
        self.fg(Color::Green)
    }
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn bad(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// An objective's state: green met, yellow burning, red violated.
    pub fn slo(self, s: crate::engine::slo::SloState) -> Style {
        use crate::engine::slo::SloState;
        match s {
            SloState::Met => self.good(),
            SloState::Burning => self.warn(),
            SloState::Violated => self.bad(),
        }
    }

    /// Apdex by the usual bands: from 0.94 excellent (plain), from 0.85
    /// good, from 0.70 fair (yellow), below poor (red).
    pub fn apdex(self, score: f64) -> Style {
        if score >= 0.85 {
            Style::new()
        } else if score >= 0.70 {
            self.warn()
        } else {
            self.bad()
        }
    }
}

/// Text from the logs, safe to draw: control characters (C0, DEL, C1) and
/// invisible formatting characters (bidi overrides, zero-width) become
/// `\x1b`-style escapes; everything else is kept. Borrowed when clean, which
/// is nearly always.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            let n = c as u32;
            if n <= 0xff {
                let _ = write!(out, "\\x{n:02x}");
            } else {
                let _ = write!(out, "\\u{{{n:x}}}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The characters route names escape too (one rule, `route::is_hidden`).
fn needs_escape(c: char) -> bool {
    crate::route::is_hidden(c)
}

/// Requests per second, `—` when there is no time base (or the number
/// is not a number).
pub fn rate(r: Option<f64>) -> String {
    match r {
        Some(r) if r.is_finite() && r >= 0.0 => human::rate(r),
        _ => "—".into(),
    }
}

/// A latency cell: `—` for routes without a timer in their format.
pub fn latency(timed: u64, us: u64) -> String {
    if timed == 0 {
        "—".into()
    } else {
        human::latency(us)
    }
}

/// A share, `—` when there is nothing to share.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        human::percent(part as f64 / whole as f64)
    }
}

/// Cuts `s` to `width` display cells, ending with `…` when cut.
pub fn ellipsize(s: &str, width: usize) -> Cow<'_, str> {
    use unicode_width::UnicodeWidthStr;
    if s.width() <= width {
        return Cow::Borrowed(s);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_controls_visible() {
        assert!(matches!(escape("/api/users/:id"), Cow::Borrowed(_)));
        assert_eq!(escape("/a\u{1b}[2J/b"), "/a\\x1b[2J/b");
        assert_eq!(escape("x\r\n\t\u{7f}\u{9b}"), "x\\x0d\\x0a\\x09\\x7f\\x9b");
        assert_eq!(escape("evil\u{202e}txt"), "evil\\u{202e}txt");
        assert_eq!(escape("café/日本"), "café/日本");
    }

    #[test]
    fn cells_degrade_without_data() {
        assert_eq!(rate(None), "—");
        assert_eq!(rate(Some(f64::NAN)), "—");
        assert_eq!(rate(Some(f64::INFINITY)), "—");
        assert_eq!(rate(Some(1234.0)), "1.2k");
        assert_eq!(latency(0, 5), "—");
        assert_eq!(latency(1, 350_000), "350ms");
        assert_eq!(percent(1, 0), "—");
        assert_eq!(percent(1, 200), "0.5%");
        assert_eq!(ellipsize("/api/users", 6), "/api/…");
        assert_eq!(ellipsize("/api", 6), "/api");
        assert_eq!(ellipsize("日本語", 4), "日…");
        assert_eq!(ellipsize("abc", 0), "");
    }

    #[test]
    fn no_color_keeps_modifiers_only() {
        let t = Theme { color: false };
        assert_eq!(t.err5(0.5).fg, None);
        assert!(t.err5(0.5).add_modifier.contains(Modifier::BOLD));
        let t = Theme { color: true };
        assert_eq!(t.err5(0.001).fg, Some(Color::Red));
        assert_eq!(t.err4(0.01).fg, Some(Color::Yellow));
        assert_eq!(t.latency(VERY_SLOW_US).fg, Some(Color::Red));
        assert_eq!(t.latency(SLOW_US).fg, Some(Color::Yellow));
        assert_eq!(t.latency(SLOW_US - 1).fg, None);
    }
}
