//! Every screen rendered from fixed snapshots, compared with insta
//! snapshots (`src/view/tui/tests/snapshots/`). Review changes with
//! `cargo insta review`, or `INSTA_UPDATE=always cargo test --lib tui`
//! and read the diff.

use std::sync::Arc;
use std::time::Duration;

use insta::assert_snapshot;

use super::*;
use crate::engine::InputState;
use crate::engine::snapshot::Sample;
use crate::format::ErrorKind;
use crate::view::tui::app::{Action, Screen, StatusFilter};
use crate::view::tui::columns::Column;
use crate::view::tui::columns::WindowChoice;

#[test]
fn table_80x24() {
    assert_snapshot!(draw(&fixture_app(), 80, 24));
}

#[test]
fn table_120x32() {
    assert_snapshot!(draw(&fixture_app(), 120, 32));
}

#[test]
fn table_large_220x50() {
    assert_snapshot!(draw(&fixture_app(), 220, 50));
}

#[test]
fn empty_80x24() {
    assert_snapshot!(draw(&app_with(testkit::empty()), 80, 24));
}

#[test]
fn empty_drill_and_errors() {
    let mut app = app_with(testkit::empty());
    press(&mut app, "\n");
    assert_eq!(app.screen, Screen::Table, "no row, nothing to open");
    press(&mut app, "e");
    assert_snapshot!(draw(&app, 80, 24));
}

#[test]
fn drill_120x40() {
    let mut app = fixture_app();
    press(&mut app, "\n");
    assert_snapshot!(draw(&app, 120, 40));
}

#[test]
fn drill_80x24() {
    let mut app = fixture_app();
    press(&mut app, "j\n");
    assert_snapshot!(draw(&app, 80, 24));
}

/// Statuses outside 100–599 are shown as logged (`000`, not `0`) and
/// counted as `other` in the drill-down, so the classes add up.
#[test]
fn drill_shows_other_status_class_and_three_digit_codes() {
    let mut r = plain_route("/odd", 10, 5_000);
    r.total.classes = [3, 0, 7, 0, 0, 0];
    r.statuses = Arc::from(vec![(200, 7), (0, 2), (999, 1)]);
    let mut app = app_with((*with_routes(43, vec![r])).clone());
    press(&mut app, "\n");
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("10 reqs  2xx 7  4xx 0  5xx 0  other 3"),
        "{screen}"
    );
    for code in ["200", "000", "999"] {
        assert!(
            screen
                .lines()
                .any(|l| l.contains(&format!("│{code} ")) || l.contains(&format!(" {code} "))),
            "{code} missing:\n{screen}"
        );
    }
}

#[test]
fn drill_route_gone() {
    let mut app = fixture_app();
    press(&mut app, "\n");
    app.on_snapshot(with_routes(43, vec![]));
    assert_snapshot!(draw(&app, 80, 24));
}

#[test]
fn errors_100x30() {
    let mut app = fixture_app();
    press(&mut app, "e");
    assert_snapshot!(draw(&app, 100, 30));
}

#[test]
fn errors_wrong_format_80x24() {
    let mut snap = testkit::snapshot();
    let inp = &mut snap.inputs[0];
    inp.errors = [0, 0, 11_000, 0, 0];
    inp.samples = (1..=4)
        .map(|n| Sample {
            line_no: n,
            kind: ErrorKind::NoMatch,
            text: format!(
                "{{\"status\":200,\"uri\":\"/x/{n}\",\"t\":\"\u{7}\u{1b}]0;pwned\u{7}\"}} {}",
                "pad ".repeat(20)
            ),
            len: 400,
            why: "expected $remote_addr at byte 0".into(),
        })
        .collect();
    let mut app = app_with(snap);
    press(&mut app, "e");
    assert_snapshot!(draw(&app, 80, 24));
}

#[test]
fn help_80x24() {
    let mut app = fixture_app();
    press(&mut app, "?");
    assert_snapshot!(draw(&app, 80, 24));
}

#[test]
fn paused_with_newer_snapshots() {
    let mut app = fixture_app();
    press(&mut app, "p");
    app.on_snapshot(with_routes(45, vec![plain_route("/new", 5, 1_000)]));
    assert_snapshot!(draw(&app, 100, 24));
}

#[test]
fn filtered_by_text() {
    let mut app = fixture_app();
    press(&mut app, "/users\n");
    assert_snapshot!(draw(&app, 100, 24));
}

#[test]
fn filter_being_typed_invalid_regex() {
    let mut app = fixture_app();
    press(&mut app, "/api/(");
    assert_snapshot!(draw(&app, 100, 24));
}

#[test]
fn filter_matches_nothing() {
    let mut app = fixture_app();
    press(&mut app, "/nothing-here\n");
    assert_snapshot!(draw(&app, 80, 24));
}

#[test]
fn sorted_by_p99_ascending_since_start_5xx_only() {
    let mut app = fixture_app();
    app.apply(Action::SortBy(Column::P99));
    press(&mut app, "iwwcc");
    assert_eq!(app.window, WindowChoice::SinceStart);
    assert_eq!(app.status, StatusFilter::Only(5));
    assert_snapshot!(draw(&app, 120, 24));
}

#[test]
fn batch_snapshot_without_windows() {
    let mut snap = testkit::snapshot();
    snap.windows.clear();
    snap.uptime = Duration::ZERO;
    for r in snap.routes.iter_mut().chain([&mut snap.total]) {
        r.windows.clear();
        r.series = Default::default();
    }
    for i in &mut snap.inputs {
        i.state = InputState::Done;
    }
    assert_snapshot!(draw(&app_with(snap), 100, 24));
}

#[test]
fn reset_question() {
    let mut app = fixture_app();
    press(&mut app, "r");
    assert_snapshot!(draw(&app, 80, 24));
}

/// Route names come from whoever sends requests: escape sequences must
/// show as text, huge numbers must not break the layout.
#[test]
fn hostile_routes_and_huge_numbers() {
    let mut snap = testkit::snapshot();
    let mut evil = plain_route(
        "/x\u{1b}[2J\u{1b}]0;owned\u{7}\r\n/\u{202e}gnp.exe",
        u64::MAX,
        u64::MAX,
    );
    evil.total.bytes = u64::MAX;
    evil.total.lat_max_us = u64::MAX;
    evil.total.timed = u64::MAX;
    evil.methods = Arc::from(vec![(Arc::from("G\u{1b}[31mET"), u64::MAX)]);
    Arc::make_mut(&mut evil.series).requests = vec![u64::MAX, 0, u64::MAX / 3];
    for w in &mut evil.windows {
        w.row = evil.total.clone();
        w.rate = f64::INFINITY;
    }
    snap.routes.push(evil);
    snap.inputs[0].name = "/var/log/\u{1b}[5mblink.log".into();
    let mut app = app_with(snap);
    let screen = draw(&app, 120, 24);
    assert!(!screen.contains('\u{1b}'), "raw ESC reached the screen");
    assert!(screen.contains(r"/x\x1b[2J\x1b]0;ow"), "{screen}");
    // Numbers too big for their cell are marked, not cut to a wrong value.
    assert!(screen.contains("18E"), "{screen}");
    assert!(screen.contains("#######"), "{screen}");
    assert_snapshot!(screen);
    press(&mut app, "G\n");
    let drill = draw(&app, 120, 40);
    assert!(!drill.contains('\u{1b}'));
    assert!(drill.contains("18EB"), "{drill}");
    assert_snapshot!("hostile_drill", drill);
    press(&mut app, "\x1be");
    assert!(!draw(&app, 80, 24).contains('\u{1b}'));
}

/// Tiny terminals: nothing to read, but nothing may panic either.
#[test]
fn tiny_terminals_do_not_panic() {
    let mut app = fixture_app();
    for keys in ["", "\n", "\x1be", "\x1b?"] {
        press(&mut app, keys);
        for (w, h) in [(1, 1), (10, 3), (20, 5), (40, 10), (80, 6)] {
            draw(&app, w, h);
        }
    }
}

/// Colour carries meaning: checked on the buffer's styles, which the text
/// snapshots do not show.
#[test]
fn colours_mean_something_and_no_color_removes_them() {
    use ratatui::style::Color;
    let cell_fg = |color: bool, text: &str| -> Vec<Option<Color>> {
        let app = App::new(Arc::new(testkit::snapshot()), color);
        let mut t = Terminal::new(TestBackend::new(120, 24)).expect("backend");
        t.draw(|f| render(f, &app)).expect("draw");
        let buf = t.backend().buffer().clone();
        let mut found = Vec::new();
        for y in 0..buf.area.height {
            let line: String = (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            if let Some(pos) = line.find(text) {
                let x = line[..pos].chars().count() as u16;
                let fg = buf[(x, y)].fg;
                found.push(if fg == Color::Reset { None } else { Some(fg) });
            }
        }
        found
    };
    // /login p99 in the 1m window is 310ms: slow (yellow).
    assert!(cell_fg(true, "310ms").contains(&Some(Color::Yellow)));
    // /api/users/:id 5xx share 1.7% in 1m: red.
    assert!(cell_fg(true, "1.7%").contains(&Some(Color::Red)));
    assert!(cell_fg(false, "310ms").iter().all(|c| c.is_none()));
    assert!(cell_fg(false, "1.7%").iter().all(|c| c.is_none()));
}
