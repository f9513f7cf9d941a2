//! Keys → [`Action`], in one place, plus the list the help overlay shows.
//!
//! The mapping depends on the mode (typing a filter, answering the reset
//! question, help open), never on ad-hoc checks in the loop. A test keeps
//! [`HELP`] and [`action_for`] in step: every documented key does
//! something.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{Action, App};

/// Help lines: (keys, what they do). The overlay prints these verbatim.
pub const HELP: &[(&str, &str)] = &[
    ("q  Ctrl-C", "quit"),
    ("?", "show / hide this help"),
    ("↑ ↓  k j", "select route (scroll in the errors view)"),
    ("PgUp PgDn", "page up / down"),
    ("Home End  g G", "first / last route"),
    ("Enter", "route details (drill-down)"),
    ("Esc", "back; on the table, clear filters"),
    ("s  →  >", "sort by next column on screen"),
    ("S  ←  <", "sort by previous column on screen"),
    ("i", "reverse sort direction"),
    (
        "/",
        "filter routes (text or regex; Enter keeps, Esc cancels)",
    ),
    ("c", "status class: all, 4xx+5xx, 5xx, 4xx, 3xx, 2xx, other"),
    ("w", "window: 1m, 5m, since start"),
    ("e", "parse errors and sample bad lines"),
    (
        "o",
        "service-level objectives: compliance, budget, burn rates",
    ),
    ("b", "backends over all routes: requests, 5xx, latency"),
    ("p  Space", "pause / resume the display (ingestion goes on)"),
    ("r", "reset the dashboard's figures (asks first)"),
];

/// The action for a key in the app's current mode, if any.
pub fn action_for(key: KeyEvent, app: &App) -> Option<Action> {
    // Release events only come from terminals with the kitty protocol;
    // acting on them would double every key.
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C')) {
        return Some(Action::Quit);
    }
    if app.editing.is_some() {
        return match key.code {
            KeyCode::Enter => Some(Action::FilterAccept),
            KeyCode::Esc => Some(Action::FilterCancel),
            KeyCode::Backspace => Some(Action::FilterBackspace),
            KeyCode::Char('u') if ctrl => Some(Action::FilterClear),
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                Some(Action::FilterInput(c))
            }
            _ => None,
        };
    }
    if app.confirm_reset {
        return match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => Some(Action::ResetConfirm),
            _ => Some(Action::ResetCancel),
        };
    }
    if app.help {
        return match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Char('?') | KeyCode::Esc | KeyCode::Enter => Some(Action::Help),
            _ => None,
        };
    }
    if ctrl {
        return None;
    }
    Some(match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Home,
        KeyCode::End | KeyCode::Char('G') => Action::End,
        KeyCode::Enter => Action::Open,
        KeyCode::Esc => Action::Back,
        KeyCode::Char('s') | KeyCode::Right | KeyCode::Char('>') => Action::SortNext,
        KeyCode::Char('S') | KeyCode::Left | KeyCode::Char('<') => Action::SortPrev,
        KeyCode::Char('i') => Action::SortReverse,
        KeyCode::Char('/') => Action::FilterStart,
        KeyCode::Char('c') => Action::StatusNext,
        KeyCode::Char('w') => Action::WindowNext,
        KeyCode::Char('e') => Action::ParseErrors,
        KeyCode::Char('o') => Action::Slo,
        KeyCode::Char('b') => Action::Backends,
        KeyCode::Char('p') | KeyCode::Char(' ') => Action::Pause,
        KeyCode::Char('r') => Action::Reset,
        _ => return None,
    })
}

/// The keys a [`HELP`] label names, parsed back into key events (for the
/// test that every documented key works).
#[cfg(test)]
pub(crate) fn parse_label(label: &str) -> Vec<KeyEvent> {
    label
        .split_whitespace()
        .map(|k| {
            let code = match k {
                "Ctrl-C" => return KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                "↑" => KeyCode::Up,
                "↓" => KeyCode::Down,
                "←" => KeyCode::Left,
                "→" => KeyCode::Right,
                "PgUp" => KeyCode::PageUp,
                "PgDn" => KeyCode::PageDown,
                "Home" => KeyCode::Home,
                "End" => KeyCode::End,
                "Enter" => KeyCode::Enter,
                "Esc" => KeyCode::Esc,
                "Space" => KeyCode::Char(' '),
                k if k.chars().count() == 1 => KeyCode::Char(k.chars().next().unwrap_or(' ')),
                other => panic!("help names a key the test cannot parse: {other}"),
            };
            KeyEvent::new(code, KeyModifiers::NONE)
        })
        .collect()
}
