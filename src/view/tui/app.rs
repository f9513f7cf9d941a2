//! Dashboard state: what the user chose to see (sort, filter, window,
//! selection, screen, pause) and the snapshot on display. UI state only:
//! every number shown is computed by the engine; this module only picks,
//! orders and freezes.
//!
//! All changes go through [`App::apply`] with an [`Action`] (keys are
//! mapped to actions once, in `keys.rs`), so tests drive the dashboard
//! exactly as a user would, without a terminal.

use std::cell::Cell;
use std::sync::Arc;

use super::columns::{self, Column, WindowChoice};
pub use super::filter::{Filter, Sort, StatusFilter};
use crate::engine::snapshot::{RouteSnap, Snapshot};

/// Everything a key can do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    /// Sort by the next / previous column (text columns ascending first,
    /// numbers descending first).
    SortNext,
    SortPrev,
    /// Sort by this column (same rule for the direction).
    SortBy(Column),
    SortReverse,
    /// Start typing a filter (`/`).
    FilterStart,
    FilterInput(char),
    FilterBackspace,
    FilterClear,
    /// Keep the typed filter (Enter).
    FilterAccept,
    /// Restore the filter from before `/` (Esc while typing).
    FilterCancel,
    StatusNext,
    WindowNext,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    /// Drill into the selected route (Enter).
    Open,
    /// Back to the table; on the table, clear the filters (Esc).
    Back,
    /// The objectives screen (`o`).
    Slo,
    Backends,
    ParseErrors,
    Help,
    Pause,
    /// Ask to reset the dashboard's figures (`r`); `ResetConfirm` does it
    /// (the engine keeps its counters: only what this view shows restarts).
    Reset,
    ResetConfirm,
    ResetCancel,
}

/// What the event loop must do after an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Quit,
    Send(Command),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen {
    Table,
    /// A route's details, by name so it survives re-sorting and new
    /// snapshots.
    Drill(Arc<str>),
    ParseErrors,
    /// Service-level objectives (`o`).
    Slo,
    /// Every backend over all routes (`b`).
    Backends,
}

/// Requests from the dashboard to the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Zero every counter, window and series (`r`, confirmed).
    ResetCounters,
}

/// The dashboard's state.
pub struct App {
    /// The snapshot on screen (frozen while paused).
    shown: Arc<Snapshot>,
    /// The newest snapshot received.
    latest: Arc<Snapshot>,
    pub paused: bool,
    pub screen: Screen,
    pub help: bool,
    pub sort: Sort,
    pub filter: Filter,
    /// `Some(filter before /)` while typing a filter.
    pub editing: Option<String>,
    pub status: StatusFilter,
    pub window: WindowChoice,
    /// Asking "reset the dashboard's figures? y/n".
    pub confirm_reset: bool,
    /// One-line notice in the footer (cleared by the next key).
    pub notice: Option<String>,
    /// The snapshot source is gone (engine stopped): the last one stays.
    pub ended: bool,
    pub color: bool,
    /// Position in `rows`.
    selected: usize,
    /// The selected route, so that the selection follows it when the
    /// order changes under it.
    selected_route: Option<Arc<str>>,
    /// `shown.routes` indices passing the filters, in sort order.
    rows: Vec<usize>,
    /// First line of the parse-errors view.
    pub errors_scroll: usize,
    /// First visible row and rows per page, as last laid out: the renderer
    /// knows the viewport, the actions need it for paging and scrolling.
    pub(crate) offset: Cell<usize>,
    pub(crate) page: Cell<usize>,
    /// Last scroll position of the parse-errors view, as last laid out.
    pub(crate) errors_max: Cell<usize>,
    /// The figures shown are since the last reset, not since start.
    pub since_reset: bool,
    /// The backends screen's order: most 5xx first, else most requests.
    pub backends_by_errors: bool,
    /// Where `/metrics` is served, when it is (the footer says so).
    pub metrics_at: Option<String>,
    /// The table's columns as last laid out (see [`columns::mask`]), for
    /// `s`/`S` to cycle through what is on screen; every column until the
    /// table is drawn.
    pub(crate) visible_columns: Cell<u32>,
}

impl App {
    pub fn new(snapshot: Arc<Snapshot>, color: bool) -> App {
        let mut app = App {
            window: default_window(&snapshot),
            shown: snapshot.clone(),
            latest: snapshot,
            paused: false,
            screen: Screen::Table,
            help: false,
            sort: Sort::by(Column::Rate),
            filter: Filter::default(),
            editing: None,
            status: StatusFilter::All,
            confirm_reset: false,
            notice: None,
            ended: false,
            color,
            selected: 0,
            selected_route: None,
            rows: Vec::new(),
            errors_scroll: 0,
            offset: Cell::new(0),
            page: Cell::new(10),
            errors_max: Cell::new(0),
            visible_columns: Cell::new(u32::MAX),
            metrics_at: None,
            since_reset: false,
            backends_by_errors: true,
        };
        app.show_latest();
        app
    }

    /// The snapshot to draw.
    pub fn snapshot(&self) -> &Snapshot {
        &self.shown
    }

    /// Snapshots received since the display was frozen.
    pub fn behind(&self) -> u64 {
        self.latest.seq.saturating_sub(self.shown.seq)
    }

    /// Visible routes (indices into `snapshot().routes`), in order.
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn selected_route(&self) -> Option<&RouteSnap> {
        self.rows.get(self.selected).map(|&i| &self.shown.routes[i])
    }

    /// A new snapshot from the engine: shown at once unless paused.
    pub fn on_snapshot(&mut self, snap: Arc<Snapshot>) {
        self.latest = snap;
        if !self.paused {
            self.show_latest();
        }
    }

    fn show_latest(&mut self) {
        let windows_changed = self.shown.windows != self.latest.windows;
        // After a reset the engine sends the figures since it beside the
        // since-start ones (which /metrics goes on reading): show those.
        self.shown = match &self.latest.reset {
            Some(r) => Arc::new(r.apply(&self.latest)),
            None => self.latest.clone(),
        };
        self.since_reset = self.latest.reset.is_some();
        if windows_changed {
            self.window = match self.window {
                WindowChoice::Recent(i) if i < self.shown.windows.len() => self.window,
                _ => default_window(&self.shown),
            };
        }
        self.refresh();
    }

    /// Applies an action; says what the loop must do, if anything.
    pub fn apply(&mut self, action: Action) -> Option<Effect> {
        if !matches!(action, Action::FilterInput(_) | Action::FilterBackspace) {
            self.notice = None;
        }
        match action {
            Action::Quit => return Some(Effect::Quit),
            Action::SortNext | Action::SortPrev if self.screen == Screen::Backends => {
                self.backends_by_errors = !self.backends_by_errors;
            }
            Action::SortNext => self.sort_step(true),
            Action::SortPrev => self.sort_step(false),
            Action::SortBy(c) => {
                if c != Column::Trend {
                    self.sort = Sort::by(c);
                    self.refresh();
                }
            }
            Action::SortReverse => {
                self.sort.descending = !self.sort.descending;
                self.refresh();
            }
            Action::FilterStart => {
                self.editing = Some(self.filter.text.clone());
                self.screen = Screen::Table;
            }
            Action::FilterInput(c) => {
                if self.editing.is_some() && !c.is_control() {
                    let mut t = std::mem::take(&mut self.filter.text);
                    t.push(c);
                    self.set_filter(t);
                }
            }
            Action::FilterBackspace => {
                let mut t = std::mem::take(&mut self.filter.text);
                t.pop();
                self.set_filter(t);
            }
            Action::FilterClear => self.set_filter(String::new()),
            Action::FilterAccept => self.editing = None,
            Action::FilterCancel => {
                if let Some(before) = self.editing.take() {
                    self.set_filter(before);
                }
            }
            Action::StatusNext => {
                self.status = self.status.next();
                self.refresh();
            }
            Action::WindowNext => {
                let n = self.shown.windows.len();
                self.window = match self.window {
                    WindowChoice::Recent(i) if i + 1 < n => WindowChoice::Recent(i + 1),
                    WindowChoice::Recent(_) => WindowChoice::SinceStart,
                    WindowChoice::SinceStart if n > 0 => WindowChoice::Recent(0),
                    WindowChoice::SinceStart => WindowChoice::SinceStart,
                };
                self.refresh();
            }
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-(self.page.get().max(1) as isize)),
            Action::PageDown => self.move_by(self.page.get().max(1) as isize),
            Action::Home => self.move_to(0),
            Action::End => self.move_to(usize::MAX),
            Action::Open => {
                if self.screen == Screen::Table
                    && let Some(r) = self.selected_route()
                {
                    self.screen = Screen::Drill(r.route.clone());
                }
            }
            Action::Back => match self.screen {
                Screen::Table => {
                    if !self.filter.is_empty() || self.status != StatusFilter::All {
                        self.filter = Filter::default();
                        self.status = StatusFilter::All;
                        self.refresh();
                    }
                }
                _ => self.screen = Screen::Table,
            },
            Action::Backends => {
                self.screen = if self.screen == Screen::Backends {
                    Screen::Table
                } else {
                    Screen::Backends
                };
            }
            Action::Slo => {
                self.screen = if self.screen == Screen::Slo {
                    Screen::Table
                } else {
                    Screen::Slo
                };
            }
            Action::ParseErrors => {
                self.screen = if self.screen == Screen::ParseErrors {
                    Screen::Table
                } else {
                    self.errors_scroll = 0;
                    Screen::ParseErrors
                };
            }
            Action::Help => self.help = !self.help,
            Action::Pause => {
                self.paused = !self.paused;
                if !self.paused {
                    self.show_latest();
                }
            }
            Action::Reset => self.confirm_reset = true,
            Action::ResetConfirm => {
                self.confirm_reset = false;
                self.notice =
                    Some("reset: the dashboard counts from now (/metrics keeps counting)".into());
                return Some(Effect::Send(Command::ResetCounters));
            }
            Action::ResetCancel => self.confirm_reset = false,
        }
        None
    }

    /// The next (previous) sortable column on screen: sorting by a column
    /// the terminal is too narrow to show would order rows by numbers
    /// nobody can see.
    fn sort_step(&mut self, forward: bool) {
        let cols: Vec<Column> = Column::sortable().collect();
        // Columns not configured (`--slo`, `--apdex`) are never shown, even
        // before the first frame.
        let shown = self.visible_columns.get() & !Column::absent(self.snapshot());
        let i = cols
            .iter()
            .position(|c| *c == self.sort.column)
            .unwrap_or(0);
        let n = cols.len();
        let next = (1..=n)
            .map(|k| {
                cols[if forward {
                    (i + k) % n
                } else {
                    (i + n - k) % n
                }]
            })
            .find(|c| shown & columns::mask(&[*c]) != 0);
        if let Some(c) = next {
            self.sort = Sort::by(c);
            self.refresh();
        }
    }

    fn set_filter(&mut self, text: String) {
        self.filter = Filter::new(text);
        self.refresh();
    }

    /// Up/Down and paging: rows on the table, routes in the drill-down,
    /// lines in the parse-errors view.
    fn move_by(&mut self, delta: isize) {
        let from = if self.screen == Screen::ParseErrors {
            self.errors_scroll
        } else {
            self.selected
        };
        self.move_to(from.saturating_add_signed(delta));
    }

    fn move_to(&mut self, to: usize) {
        if self.screen == Screen::ParseErrors {
            self.errors_scroll = to.min(self.errors_max.get());
            return;
        }
        if self.rows.is_empty() {
            return;
        }
        self.selected = to.min(self.rows.len() - 1);
        let route = self.shown.routes[self.rows[self.selected]].route.clone();
        if let Screen::Drill(_) = self.screen {
            self.screen = Screen::Drill(route.clone());
        }
        self.selected_route = Some(route);
    }

    /// Recomputes the visible rows after the snapshot, the sort or a filter
    /// changed, keeping the selected route selected when it is still
    /// there, else the same position (clamped).
    fn refresh(&mut self) {
        let snap = &*self.shown;
        let window = self.window;
        let Sort { column, descending } = self.sort;
        let mut keyed: Vec<(columns::SortKey, usize)> = snap
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                self.filter.matches(&r.route)
                    && self
                        .status
                        .keeps(&columns::window_row(snap, r, window).0.classes)
            })
            .map(|(i, r)| (columns::sort_key(column, snap, window, r), i))
            .collect();
        keyed.sort_unstable_by(|(ka, a), (kb, b)| {
            let o = ka.cmp(kb);
            let o = if descending { o.reverse() } else { o };
            // Route names break ties, so rows keep their place between
            // frames instead of shuffling. (In the route column the key is
            // the name: equal keys are equal names, whatever the direction.)
            o.then_with(|| snap.routes[*a].route.cmp(&snap.routes[*b].route))
        });
        self.rows.clear();
        self.rows.extend(keyed.into_iter().map(|(_, i)| i));
        let found = self.selected_route.as_ref().and_then(|name| {
            self.rows
                .iter()
                .position(|&i| snap.routes[i].route == *name)
        });
        self.selected = match found {
            Some(p) => p,
            None => self.selected.min(self.rows.len().saturating_sub(1)),
        };
        self.selected_route = self
            .rows
            .get(self.selected)
            .map(|&i| snap.routes[i].route.clone());
    }

    /// The route of the drill-down screen, if it is still in the snapshot.
    pub fn drill_route(&self) -> Option<&RouteSnap> {
        match &self.screen {
            Screen::Drill(name) => self.shown.routes.iter().find(|r| r.route == *name),
            _ => None,
        }
    }

    /// Short name of the window in use: `1m`, `5m`, `since start`.
    pub fn window_label(&self) -> String {
        match self.window {
            WindowChoice::Recent(i) => self
                .shown
                .windows
                .get(i)
                .map_or_else(|| "?".into(), |d| short_duration(d.as_secs())),
            WindowChoice::SinceStart if self.since_reset => "since reset".into(),
            WindowChoice::SinceStart => "since start".into(),
        }
    }
}

fn default_window(s: &Snapshot) -> WindowChoice {
    if s.windows.is_empty() {
        WindowChoice::SinceStart
    } else {
        WindowChoice::Recent(0)
    }
}

/// `30s`, `1m`, `5m`, `1h`, `1m30s`: window lengths are round numbers.
pub fn short_duration(s: u64) -> String {
    match s {
        0 => "0s".into(),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s if s < 60 => format!("{s}s"),
        s => format!("{}m{:02}s", s / 60, s % 60),
    }
}
