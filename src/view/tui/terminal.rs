//! Terminal setup and, above all, teardown: raw mode and the alternate
//! screen must be undone however the dashboard ends (return, error,
//! panic), or the user is left with a shell that echoes nothing.
//!
//! [`TerminalGuard`] restores on drop; a panic hook (installed once)
//! restores before the panic message is printed, so the message lands on
//! the normal screen where it can be read. Signals are the event loop's
//! business: it turns SIGINT/SIGTERM into a normal return, which
//! drops the guard.

use std::io::{self, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

/// Whether the terminal is in dashboard mode; restoring is done once.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Raw mode + alternate screen + hidden cursor for as long as it lives.
pub struct TerminalGuard {
    _private: (),
}

impl TerminalGuard {
    /// Switches the terminal to dashboard mode. Raw mode is set on the
    /// controlling terminal (`/dev/tty` when stdin is a pipe of logs).
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let guard = TerminalGuard { _private: () };
        // On failure the guard is dropped here and undoes the raw mode.
        execute!(io::stdout(), EnterAlternateScreen, Hide)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves dashboard mode if the terminal is in it; safe to call anytime,
/// from any thread, any number of times.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        // Best effort: there is nobody left to report a failure to.
        let mut out = io::stdout();
        let _ = execute!(out, LeaveAlternateScreen, Show);
        let _ = out.flush();
        let _ = disable_raw_mode();
    }
}

fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}
