//! Actions on the app, applied as keys would apply them: sorting,
//! filtering, windows, selection, pause, screens, reset, quit.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::*;
use crate::view::tui::Command;
use crate::view::tui::app::{Action, Effect, Screen, StatusFilter};
use crate::view::tui::columns::WindowChoice;
use crate::view::tui::columns::{self, Column};

const USERS: &str = "/api/users/:id";
const LOGIN: &str = "/login";
const HEALTH: &str = "/healthz";

#[test]
fn default_sort_is_busiest_first() {
    let app = fixture_app();
    assert_eq!(app.sort.column, Column::Rate);
    assert!(app.sort.descending);
    // 1m window: users 600, login 120, healthz 60 requests.
    assert_eq!(route_names(&app), [USERS, LOGIN, HEALTH]);
}

#[test]
fn sort_by_each_column_orders_rows_by_it() {
    // Expected descending orders in the 1m window of the fixture.
    let cases: &[(Column, [&str; 3])] = &[
        (Column::Rate, [USERS, LOGIN, HEALTH]),
        (Column::Requests, [USERS, LOGIN, HEALTH]),
        (Column::C2xx, [USERS, LOGIN, HEALTH]),
        (Column::C4xx, [USERS, LOGIN, HEALTH]),
        (Column::C5xx, [USERS, LOGIN, HEALTH]),
        (Column::Err5, [USERS, LOGIN, HEALTH]),
        (Column::P50, [LOGIN, USERS, HEALTH]),
        (Column::P90, [LOGIN, USERS, HEALTH]),
        (Column::P99, [LOGIN, USERS, HEALTH]),
        (Column::Max, [LOGIN, USERS, HEALTH]),
        (Column::Bytes, [LOGIN, USERS, HEALTH]),
        (Column::Total, [USERS, LOGIN, HEALTH]),
        // Text columns start ascending.
        (Column::Route, [USERS, HEALTH, LOGIN]),
        // By most frequent method: GET, GET, POST.
        (Column::Method, [USERS, HEALTH, LOGIN]),
    ];
    for (col, want) in cases {
        let mut app = fixture_app();
        app.apply(Action::SortBy(*col));
        assert_eq!(app.sort.column, *col);
        assert_eq!(route_names(&app), want, "sorted by {col:?}");
    }
    // The columns of objectives and Apdex, with them configured: the
    // worst state first (violated, then burning with more bad requests),
    // and the lowest Apdex first.
    let extra: &[(Column, [&str; 3])] = &[
        (Column::Slo, [USERS, LOGIN, HEALTH]),
        (Column::Apdex, [LOGIN, USERS, HEALTH]),
    ];
    for (col, want) in extra {
        let mut app = app_with(objectives_snapshot());
        app.apply(Action::SortBy(*col));
        assert_eq!(app.sort.column, *col);
        assert_eq!(route_names(&app), want, "sorted by {col:?}");
    }
    // Every sortable column is covered above.
    assert_eq!(
        Column::sortable().count(),
        cases.len() + extra.len() + 1,
        "3xx: all zero, see ties test"
    );
}

#[test]
fn slo_and_apdex_columns_exist_only_when_configured() {
    let wide = |app: &App| draw(app, 250, 12).lines().nth(4).unwrap_or("").to_string();
    let plain = fixture_app();
    let _ = draw(&plain, 250, 12);
    let header = wide(&plain);
    assert!(
        !header.contains("SLO") && !header.contains("Apdex"),
        "{header}"
    );
    let mut with = app_with(objectives_snapshot());
    let screen = draw(&with, 250, 12);
    assert!(
        screen.contains(" SLO ") && screen.contains("Apdex"),
        "{screen}"
    );
    // Sorting cycles through them only when shown.
    let mut seen = Vec::new();
    for _ in 0..Column::sortable().count() {
        press(&mut with, "s");
        seen.push(with.sort.column);
    }
    assert!(seen.contains(&Column::Slo) && seen.contains(&Column::Apdex));
    let mut plain = plain;
    let mut seen = Vec::new();
    for _ in 0..Column::sortable().count() {
        press(&mut plain, "s");
        seen.push(plain.sort.column);
    }
    assert!(!seen.contains(&Column::Slo) && !seen.contains(&Column::Apdex));
}

#[test]
fn every_sortable_column_sorts_consistently() {
    // Many routes with varied numbers: whatever the column, adjacent rows
    // respect the column's order, and ties fall back to the name.
    let routes: Vec<_> = (0..40u64)
        .map(|i| {
            plain_route(
                &format!("/r{:02}", (i * 17) % 40),
                (i * 7) % 11,
                (i % 5) * 1_000,
            )
        })
        .collect();
    let mut app = app_with((*with_routes(1, routes)).clone());
    for col in Column::sortable() {
        for descending in [true, false] {
            app.apply(Action::SortBy(col));
            if app.sort.descending != descending {
                app.apply(Action::SortReverse);
            }
            let snap = app.snapshot();
            for pair in app.rows().windows(2) {
                let (a, b) = (&snap.routes[pair[0]], &snap.routes[pair[1]]);
                let o = columns::compare(col, snap, app.window, a, b);
                let o = if descending { o.reverse() } else { o };
                assert_ne!(o, std::cmp::Ordering::Greater, "{col:?} desc={descending}");
                if o == std::cmp::Ordering::Equal && col != Column::Route {
                    assert!(a.route < b.route, "ties by name: {col:?}");
                }
            }
        }
    }
}

#[test]
fn sort_next_prev_and_reverse() {
    let mut app = fixture_app();
    press(&mut app, "s");
    assert_eq!(app.sort.column, Column::Requests);
    assert!(app.sort.descending, "numbers start descending");
    press(&mut app, "S");
    press(&mut app, "S");
    assert_eq!(app.sort.column, Column::Method);
    assert!(!app.sort.descending, "text starts ascending");
    press(&mut app, "SS");
    assert_eq!(
        app.sort.column,
        Column::Total,
        "wraps around, skipping the trend"
    );
    press(&mut app, "s");
    assert_eq!(app.sort.column, Column::Route);
    // Cycling forward visits every sortable column on screen once (not
    // the objectives' and Apdex's: not configured here).
    let shown: Vec<Column> = Column::sortable()
        .filter(|&c| columns::mask(&[c]) & Column::absent(app.snapshot()) == 0)
        .collect();
    let mut seen = vec![app.sort.column];
    for _ in 1..shown.len() {
        press(&mut app, "s");
        seen.push(app.sort.column);
    }
    assert_eq!(seen, shown);
    assert!(!seen.contains(&Column::Trend));

    let mut app = fixture_app();
    let before = route_names(&app);
    press(&mut app, "i");
    assert!(!app.sort.descending);
    let mut reversed = before.clone();
    reversed.reverse();
    assert_eq!(route_names(&app), reversed);
    press(&mut app, "i");
    assert_eq!(route_names(&app), before);
    // The trend is not a sort key.
    app.apply(Action::SortBy(Column::Trend));
    assert_eq!(app.sort.column, Column::Rate);
}

#[test]
fn equal_rows_keep_a_stable_order_across_snapshots() {
    let names = ["/c", "/a", "/d", "/b"];
    let mk = |order: &[&str], seq| {
        with_routes(seq, order.iter().map(|n| plain_route(n, 10, 5)).collect())
    };
    let mut app = App::new(mk(&names, 1), false);
    assert_eq!(route_names(&app), ["/a", "/b", "/c", "/d"]);
    // The engine lists routes in no particular order: same display.
    app.on_snapshot(mk(&["/d", "/b", "/a", "/c"], 2));
    assert_eq!(route_names(&app), ["/a", "/b", "/c", "/d"]);
    press(&mut app, "i");
    // Reversing a column of ties keeps names ascending (they are ties).
    assert_eq!(route_names(&app), ["/a", "/b", "/c", "/d"]);
}

#[test]
fn filter_by_text_is_live_and_case_insensitive() {
    let mut app = fixture_app();
    press(&mut app, "/LOG");
    assert!(app.editing.is_some());
    assert_eq!(route_names(&app), [LOGIN], "applies while typing");
    press(&mut app, "\n");
    assert!(app.editing.is_none());
    assert_eq!(app.filter.text, "LOG");
    assert_eq!(route_names(&app), [LOGIN]);
    // Keys are text while typing: q does not quit, s does not sort.
    press(&mut app, "/");
    let q = action_for(key(KeyCode::Char('q')), &app);
    assert_eq!(q, Some(Action::FilterInput('q')));
    // Backspace and Ctrl-U.
    app.apply(Action::FilterBackspace);
    assert_eq!(app.filter.text, "LO");
    let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    let a = action_for(ctrl_u, &app).expect("ctrl-u");
    app.apply(a);
    assert_eq!(app.filter.text, "");
    assert_eq!(route_names(&app).len(), 3);
}

#[test]
fn filter_escape_restores_and_esc_on_table_clears() {
    let mut app = fixture_app();
    press(&mut app, "/users\n");
    press(&mut app, "/xyz");
    assert!(route_names(&app).is_empty());
    press(&mut app, "\x1b");
    assert_eq!(
        app.filter.text, "users",
        "Esc while typing restores the filter"
    );
    assert_eq!(route_names(&app), [USERS]);
    press(&mut app, "\x1b");
    assert!(app.filter.is_empty(), "Esc on the table clears it");
    assert_eq!(route_names(&app).len(), 3);
}

#[test]
fn filter_by_regex_and_invalid_regex() {
    let mut app = fixture_app();
    press(&mut app, "/^/(login|healthz)$\n");
    assert!(!app.filter.invalid);
    assert_eq!(route_names(&app), [LOGIN, HEALTH]);
    // Not a regex: matched literally, flagged, no panic.
    let mut app = app_with(
        (*with_routes(1, vec![plain_route("/a(b", 1, 1), plain_route("/ab", 2, 1)])).clone(),
    );
    press(&mut app, "/a(");
    assert!(app.filter.invalid);
    assert_eq!(route_names(&app), ["/a(b"]);
    press(&mut app, "b");
    assert!(app.filter.invalid);
    assert_eq!(route_names(&app), ["/a(b"]);
}

#[test]
fn status_class_filter_cycles() {
    let mut app = fixture_app();
    let mut seen = Vec::new();
    for _ in 0..7 {
        seen.push((app.status, route_names(&app)));
        press(&mut app, "c");
    }
    assert_eq!(app.status, StatusFilter::All, "seven steps come back");
    let want: Vec<(StatusFilter, Vec<&str>)> = vec![
        (StatusFilter::All, vec![USERS, LOGIN, HEALTH]),
        (StatusFilter::Errors, vec![USERS, LOGIN]),
        (StatusFilter::Only(5), vec![USERS, LOGIN]),
        (StatusFilter::Only(4), vec![USERS, LOGIN]),
        (StatusFilter::Only(3), vec![]),
        (StatusFilter::Only(2), vec![USERS, LOGIN, HEALTH]),
        // `other`: 000–099 and 600–999; none in the fixture.
        (StatusFilter::Only(0), vec![]),
    ];
    let seen: Vec<(StatusFilter, Vec<&str>)> = seen
        .iter()
        .map(|(s, v)| (*s, v.iter().map(|x| x.as_str()).collect()))
        .collect();
    assert_eq!(seen, want);
    // Classes are read in the chosen window: a route with 5xx only long
    // ago leaves the 5xx filter when the window is recent.
    let mut old_errors = plain_route("/old", 10, 5);
    old_errors.total.classes = [0, 0, 9, 0, 0, 1];
    let mut app = App::new(with_routes(1, vec![old_errors]), false);
    press(&mut app, "cc");
    assert!(route_names(&app).is_empty());
    press(&mut app, "ww");
    assert_eq!(app.window, WindowChoice::SinceStart);
    assert_eq!(route_names(&app), ["/old"]);
}

#[test]
fn window_toggle_cycles_and_changes_numbers() {
    let mut app = fixture_app();
    assert_eq!(app.window, WindowChoice::Recent(0));
    assert_eq!(app.window_label(), "1m");
    let rate = |app: &App| {
        let r = app.selected_route().expect("row");
        columns::window_row(app.snapshot(), r, app.window).1
    };
    assert_eq!(rate(&app), Some(10.0));
    press(&mut app, "w");
    assert_eq!(app.window_label(), "5m");
    assert_eq!(rate(&app), Some(10.0));
    press(&mut app, "w");
    assert_eq!(app.window, WindowChoice::SinceStart);
    assert_eq!(app.window_label(), "since start");
    // 12 000 requests over 3 725 s of uptime.
    let r = rate(&app).expect("rate");
    assert!((r - 12_000.0 / 3_725.0).abs() < 1e-9, "{r}");
    press(&mut app, "w");
    assert_eq!(app.window, WindowChoice::Recent(0));

    // Batch snapshots have no windows: since start only.
    let mut batch = testkit::snapshot();
    batch.windows.clear();
    let mut app = app_with(batch);
    assert_eq!(app.window, WindowChoice::SinceStart);
    press(&mut app, "w");
    assert_eq!(app.window, WindowChoice::SinceStart);
}

#[test]
fn selection_moves_pages_and_clamps() {
    let routes: Vec<_> = (0..30u64)
        .map(|i| plain_route(&format!("/r{i:02}"), 100 - i, 1))
        .collect();
    let mut app = App::new(with_routes(1, routes.clone()), false);
    app.page.set(10);
    press(&mut app, "k");
    assert_eq!(app.selected(), 0, "no wrap above the first row");
    press(&mut app, "jj");
    assert_eq!(app.selected(), 2);
    app.apply(Action::PageDown);
    assert_eq!(app.selected(), 12);
    app.apply(Action::PageUp);
    app.apply(Action::PageUp);
    assert_eq!(app.selected(), 0);
    press(&mut app, "G");
    assert_eq!(app.selected(), 29);
    press(&mut app, "j");
    assert_eq!(app.selected(), 29, "no wrap below the last row");
    press(&mut app, "g");
    assert_eq!(app.selected(), 0);

    // Rows disappear under the selection: it clamps to the last row.
    press(&mut app, "G");
    app.on_snapshot(with_routes(2, routes[..5].to_vec()));
    assert_eq!(app.selected(), 4);
    assert_eq!(app.selected_route().map(|r| &*r.route), Some("/r04"));
    // All rows gone (counters reset): nothing selected, keys harmless.
    app.on_snapshot(with_routes(3, vec![]));
    assert!(app.selected_route().is_none());
    press(&mut app, "jkgG\n");
    assert_eq!(app.screen, Screen::Table);
    // The selection follows its route when the order changes.
    app.on_snapshot(with_routes(4, routes[..5].to_vec()));
    press(&mut app, "jj");
    assert_eq!(app.selected_route().map(|r| &*r.route), Some("/r02"));
    let mut reordered = routes[..5].to_vec();
    reordered[2].windows[0].rate = 1e9;
    app.on_snapshot(with_routes(5, reordered));
    assert_eq!(app.selected(), 0, "/r02 is now the busiest");
    assert_eq!(app.selected_route().map(|r| &*r.route), Some("/r02"));
}

#[test]
fn pause_freezes_the_display_not_the_intake() {
    let mut app = fixture_app();
    press(&mut app, "p");
    assert!(app.paused);
    app.on_snapshot(with_routes(43, vec![plain_route("/new", 1, 1)]));
    app.on_snapshot(with_routes(44, vec![plain_route("/newer", 1, 1)]));
    assert_eq!(app.snapshot().seq, 42, "display frozen");
    assert_eq!(app.behind(), 2);
    assert_eq!(route_names(&app), [USERS, LOGIN, HEALTH]);
    // Sorting and filtering still work on the frozen data.
    press(&mut app, "/health\n");
    assert_eq!(route_names(&app), [HEALTH]);
    press(&mut app, "\x1b ");
    assert!(!app.paused, "space resumes");
    assert_eq!(app.snapshot().seq, 44, "resumes on the newest snapshot");
    assert_eq!(route_names(&app), ["/newer"]);
    assert_eq!(app.behind(), 0);
}

#[test]
fn drill_down_and_back() {
    let mut app = fixture_app();
    press(&mut app, "j\n");
    assert_eq!(app.screen, Screen::Drill(Arc::from(LOGIN)));
    assert_eq!(app.drill_route().map(|r| &*r.route), Some(LOGIN));
    // Up/Down switch route in the drill-down.
    press(&mut app, "j");
    assert_eq!(app.screen, Screen::Drill(Arc::from(HEALTH)));
    press(&mut app, "\x1b");
    assert_eq!(app.screen, Screen::Table);
    assert_eq!(app.selected_route().map(|r| &*r.route), Some(HEALTH));
    // The route vanishing leaves the screen open with nothing to show.
    press(&mut app, "\n");
    app.on_snapshot(with_routes(50, vec![plain_route("/other", 1, 1)]));
    assert!(app.drill_route().is_none());
    assert!(matches!(app.screen, Screen::Drill(_)));
}

#[test]
fn parse_errors_view_scrolls_within_bounds() {
    let mut app = fixture_app();
    press(&mut app, "e");
    assert_eq!(app.screen, Screen::ParseErrors);
    app.errors_max.set(5);
    press(&mut app, "jjjjjjjjj");
    assert_eq!(app.errors_scroll, 5);
    press(&mut app, "k");
    assert_eq!(app.errors_scroll, 4);
    press(&mut app, "g");
    assert_eq!(app.errors_scroll, 0);
    press(&mut app, "G");
    assert_eq!(app.errors_scroll, 5);
    press(&mut app, "e");
    assert_eq!(app.screen, Screen::Table, "e toggles back");
    // Selection untouched by scrolling errors.
    assert_eq!(app.selected(), 0);
}

#[test]
fn help_overlay_takes_keys_until_closed() {
    let mut app = fixture_app();
    press(&mut app, "?");
    assert!(app.help);
    press(&mut app, "jsw");
    assert_eq!(
        (app.selected(), app.sort.column),
        (0, Column::Rate),
        "keys are not acted on"
    );
    press(&mut app, "\x1b");
    assert!(!app.help);
    press(&mut app, "?");
    assert_eq!(
        action_for(key(KeyCode::Char('q')), &app),
        Some(Action::Quit)
    );
}

#[test]
fn reset_asks_then_sends_the_command() {
    let mut app = fixture_app();
    assert_eq!(app.apply(Action::Reset), None);
    assert!(app.confirm_reset);
    // Anything but y cancels.
    let a = action_for(key(KeyCode::Char('n')), &app).expect("action");
    assert_eq!(app.apply(a), None);
    assert!(!app.confirm_reset);
    press(&mut app, "r");
    let a = action_for(key(KeyCode::Char('y')), &app).expect("action");
    assert_eq!(app.apply(a), Some(Effect::Send(Command::ResetCounters)));
    assert!(!app.confirm_reset);
}

#[test]
fn quit_keys() {
    let mut app = fixture_app();
    assert_eq!(
        action_for(key(KeyCode::Char('q')), &app),
        Some(Action::Quit)
    );
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(action_for(ctrl_c, &app), Some(Action::Quit));
    press(&mut app, "/ab");
    assert_eq!(
        action_for(ctrl_c, &app),
        Some(Action::Quit),
        "even while typing"
    );
    assert_eq!(app.apply(Action::Quit), Some(Effect::Quit));
    // Key releases (kitty protocol terminals) are not presses.
    let mut release = key(KeyCode::Char('q'));
    release.kind = KeyEventKind::Release;
    assert_eq!(action_for(release, &fixture_app()), None);
}

/// Regression: at 120 columns `s` sorted by columns that were not on
/// screen (the rows moved by numbers nobody could see). Once drawn, `s`
/// and `S` cycle through the visible sortable columns only, all of them.
#[test]
fn sort_cycles_only_through_visible_columns() {
    use crate::view::tui::columns::fit;
    let mut app = fixture_app();
    let _ = draw(&app, 120, 32);
    let route_w = app
        .rows()
        .iter()
        .map(|&i| app.snapshot().routes[i].route.chars().count())
        .max()
        .unwrap() as u16;
    let on_screen: Vec<Column> = fit(120, route_w, Column::absent(app.snapshot()))
        .into_iter()
        .map(|(c, _)| c)
        .filter(|c| Column::sortable().any(|s| s == *c))
        .collect();
    assert!(
        on_screen.len() < Column::sortable().count(),
        "120 columns must hide some: {on_screen:?}"
    );
    let mut seen = Vec::new();
    for _ in 0..on_screen.len() {
        press(&mut app, "s");
        seen.push(app.sort.column);
    }
    let mut want = on_screen.clone();
    // Starting from Req/s, forward: the ones after it, then round.
    let at = want.iter().position(|c| *c == Column::Rate).unwrap();
    want.rotate_left(at + 1);
    assert_eq!(seen, want);
    press(&mut app, "S");
    assert_eq!(app.sort.column, want[want.len() - 2]);
}

/// Regression: the columns were fitted to the routes on screen, so a sort
/// that brought a longer name up swapped a column out (at 120 columns,
/// Max for the narrower Bytes), and `s` then skipped it: Max could never
/// be sorted by; scrolling moved columns too. Columns now fit every row the
/// filter keeps: the header is the same whichever rows are on screen and
/// under every sort, and `s` reaches every column in it.
#[test]
fn the_sort_cycle_reaches_every_column_shown_whatever_is_on_screen() {
    let mut snap = testkit::snapshot();
    // Long, and last by requests: on screen only under some sorts.
    let quiet = snap
        .routes
        .iter_mut()
        .min_by_key(|r| r.total.requests)
        .expect("routes");
    quiet.route = "/api/a/rather/long/route/name/of/39/cols".into();
    let mut app = app_with(snap);
    // Two rows of the table body: which routes are on screen depends on
    // the sort.
    let header = |app: &App| {
        let screen = draw(app, 120, 9);
        screen
            .lines()
            .find(|l| l.contains("Route") && l.contains("Req/s"))
            .unwrap_or_else(|| panic!("no header in\n{screen}"))
            .to_string()
    };
    let first = header(&app);
    // The sort marker moves; the columns must not.
    let words = |h: &str| -> Vec<String> {
        h.replace(['▲', '▼', '"'], " ")
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    // One row on screen: each route in turn, the long one too.
    for _ in 0..app.rows().len() {
        app.apply(Action::Down);
        assert_eq!(words(&header(&app)), words(&first));
    }
    let mut seen = Vec::new();
    for _ in 0..Column::sortable().count() {
        press(&mut app, "s");
        seen.push(app.sort.column);
        let h = header(&app);
        assert_eq!(words(&h), words(&first), "sorted by {:?}", app.sort.column);
    }
    let shown = app.visible_columns.get();
    for c in Column::sortable() {
        if shown & columns::mask(&[c]) != 0 {
            assert!(
                seen.contains(&c),
                "{c:?} shown but never sorted by: {seen:?}"
            );
        }
    }
}
