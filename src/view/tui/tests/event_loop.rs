//! The event loop with a scripted terminal: keys from a channel, a
//! `TestBackend` screen, real watch and command channels.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, KeyCode};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::{mpsc, watch};

use super::*;
use crate::view::tui::{Command, Signals, event_loop};

struct Rig {
    keys: mpsc::UnboundedSender<io::Result<Event>>,
    snaps: watch::Sender<Arc<Snapshot>>,
    commands: mpsc::UnboundedReceiver<Command>,
    task: tokio::task::JoinHandle<(io::Result<()>, String)>,
}

fn start() -> Rig {
    let (keys, mut key_rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let events = futures_util::stream::poll_fn(move |cx| key_rx.poll_recv(cx));
    let (snaps, mut snap_rx) = watch::channel(Arc::new(testkit::snapshot()));
    let (cmd_tx, commands) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut terminal = Terminal::new(TestBackend::new(100, 24)).expect("backend");
        let app = App::new(snap_rx.borrow_and_update().clone(), false);
        let mut signals = Signals::new().expect("signals");
        let r = event_loop(
            &mut terminal,
            app,
            Box::pin(events),
            &mut snap_rx,
            &cmd_tx,
            &mut signals,
            Duration::from_millis(100),
        )
        .await;
        (r, terminal.backend().to_string())
    });
    Rig {
        keys,
        snaps,
        commands,
        task,
    }
}

fn send_key(rig: &Rig, c: char) {
    send(&rig.keys, c);
}

fn send(keys: &mpsc::UnboundedSender<io::Result<Event>>, c: char) {
    keys.send(Ok(Event::Key(key(KeyCode::Char(c)))))
        .expect("loop alive");
}

#[tokio::test]
async fn keys_commands_snapshots_and_quit() {
    let mut rig = start();
    send_key(&rig, 'r');
    send_key(&rig, 'y');
    let cmd = tokio::time::timeout(Duration::from_secs(5), rig.commands.recv()).await;
    assert_eq!(cmd.expect("in time"), Some(Command::ResetCounters));

    // A new snapshot is drawn at the next tick.
    rig.snaps
        .send(with_routes(43, vec![plain_route("/fresh", 7, 1_000)]))
        .expect("loop alive");
    tokio::time::sleep(Duration::from_millis(300)).await;
    send_key(&rig, 'q');
    let (r, screen) = tokio::time::timeout(Duration::from_secs(5), rig.task)
        .await
        .expect("quits in time")
        .expect("no panic");
    r.expect("clean exit");
    assert!(screen.contains("/fresh"), "{screen}");
    assert!(!screen.contains("/login"), "{screen}");
}

#[tokio::test]
async fn engine_gone_keeps_last_snapshot_until_quit() {
    let Rig {
        keys,
        snaps,
        commands,
        task,
    } = start();
    drop(snaps);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!task.is_finished(), "the dashboard outlives the engine");
    // Reset has nobody to go to: said in the footer, no error.
    drop(commands);
    send(&keys, 'r');
    send(&keys, 'y');
    tokio::time::sleep(Duration::from_millis(100)).await;
    send(&keys, 'q');
    let (r, screen) = task.await.expect("no panic");
    r.expect("clean exit");
    assert!(screen.contains("ENDED"), "{screen}");
    assert!(screen.contains("/api/users/:id"), "{screen}");
    assert!(screen.contains("reset is not available"), "{screen}");
}

#[tokio::test]
async fn terminal_gone_or_failing_ends_the_loop() {
    let rig = start();
    drop(rig.keys);
    let (r, _) = rig.task.await.expect("no panic");
    r.expect("end of terminal events is a normal end");

    let rig = start();
    rig.keys
        .send(Err(io::Error::other("tty gone")))
        .expect("loop alive");
    let (r, _) = rig.task.await.expect("no panic");
    assert_eq!(r.expect_err("error surfaces").to_string(), "tty gone");
}
