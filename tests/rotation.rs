//! Regression tests of the live follower, one per rotation case, each named
//! after it. A writer thread appends numbered lines (one `write()` each)
//! while the follower runs and the case happens mid-stream; the test then
//! checks the exact set — and where one writer writes sequentially, the exact
//! sequence — of lines received: lost = 0, doubled = 0, no garbage.

mod common;

use std::fs::{self, File};
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc::channel;
use std::thread::JoinHandle;
use std::time::Duration;

use common::*;
use routetop::engine::InputState;

/// Starts a follower on `path` (at its end) and waits until it is following.
fn follow_file(path: &std::path::Path, opts: routetop::input::FollowOptions, cap: usize) -> Follow {
    let mut f = Follow::start(vec![input(&path_str(path))], opts, cap);
    f.until_state(0, InputState::Following);
    f
}

/// A log `name` in a new temporary directory, holding `content`: lines
/// written before following starts are never read (it starts at the end).
fn log_file(name: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tmp();
    let path = join(&dir, name);
    fs::write(&path, content).unwrap();
    (dir, path)
}

/// The 100 lines a log holds before following starts (numbers no case
/// writes, so one read by mistake shows).
fn old_lines() -> Vec<u8> {
    lines(1_000_000..1_000_100)
}

/// The writer thread of a case: appends lines `first` to `path` (one
/// `write()` each, a pause every 50), then does the case's `rest` with the
/// path and the open file.
fn writer(
    path: &Path,
    first: Range<u64>,
    rest: impl FnOnce(&Path, File) + Send + 'static,
) -> JoinHandle<()> {
    let p = path.to_path_buf();
    std::thread::spawn(move || {
        let mut w = append(&p);
        write_lines(&mut w, first, 50);
        rest(&p, w)
    })
}

#[test]
fn rotation_rename_then_create() {
    let (_dir, path) = log_file("access.log", &old_lines());
    let mut f = follow_file(&path, opts(), 64);
    let writer = writer(&path, 0..3000, |p, w| {
        // logrotate `create`: rename, create the new file, writer reopens.
        fs::rename(p, p.with_extension("log.1")).unwrap();
        drop(w);
        write_lines(&mut append(p), 3000..6000, 50);
    });
    f.finish_exact(writer, 6000);
    assert_eq!(f.rotations(0), 1, "{}", f.dump());
}

#[test]
fn rotation_rename_writer_keeps_old_fd() {
    let (_dir, path) = log_file("access.log", b"");
    let mut o = opts();
    o.grace = Duration::from_secs(3);
    let mut f = follow_file(&path, o, 64);
    let writer = writer(&path, 0..2000, |p, mut w| {
        fs::rename(p, p.with_extension("log.1")).unwrap();
        // nginx before `-s reopen`: the old descriptor keeps being written
        // to for a while, and the new file is created meanwhile.
        write_lines(&mut w, 2000..3000, 50);
        let mut new = append(p);
        write_lines(&mut w, 3000..4000, 50);
        std::thread::sleep(Duration::from_millis(200));
        write_lines(&mut w, 4000..5000, 50);
        drop(w);
        write_lines(&mut new, 5000..7000, 50);
    });
    f.until_lines(Some(0), 7000);
    writer.join().unwrap();
    f.stop();
    let got = f.numbers(Some(0));
    assert_same_set(&got, 0..7000);
    assert_ordered_within(&got, &[0..5000, 5000..7000]);
}

#[test]
fn copytruncate() {
    let (_dir, path) = log_file("app.log", &old_lines());
    let mut f = follow_file(&path, opts(), 64);
    // copytruncate needs an O_APPEND writer (`append`): after the truncate
    // its writes land at the new end, not at the old offset.
    let writer = writer(&path, 0..3000, |p, mut w| {
        // logrotate copies then truncates; it is the writer's pause here
        // that makes the copy complete (else copytruncate itself loses
        // what is written in between, whoever reads).
        common::copytruncate(p, &p.with_extension("log.1"));
        write_lines(&mut w, 3000..6000, 50);
    });
    f.finish_exact(writer, 6000);
    assert!(f.rotations(0) >= 1, "{}", f.dump());
}

/// The file is truncated and written past our offset before the follower
/// looks again: its size never looks smaller. The follower is held by a
/// full channel (a slow engine) while this happens, so it is behind the old
/// end when the regrown content appears at its offset.
#[test]
fn copytruncate_regrow_past_offset() {
    let (_dir, path) = log_file("app.log", &old_lines());
    let mut f = follow_file(&path, opts(), 1);
    let (go_tx, go_rx) = channel::<()>();
    let (done_tx, done_rx) = channel::<()>();
    let p = path.clone();
    let writer = std::thread::spawn(move || {
        let mut w = append(&p);
        write_lines(&mut w, 0..1000, 0);
        go_rx.recv().unwrap();
        // The test no longer reads: the follower fills the channel with
        // these and then waits, part way into them.
        write_lines(&mut w, 1000..4000, 20);
        common::copytruncate(&p, &p.with_extension("log.1"));
        // Regrow well past the old end in one write.
        w.write_all(&lines(4000..12000)).unwrap();
        done_tx.send(()).unwrap();
        write_lines(&mut w, 12000..13000, 50);
    });
    f.until("first lines", |g| count_lines(g, Some(0)) > 0);
    go_tx.send(()).unwrap();
    done_rx.recv().unwrap();
    f.finish_exact(writer, 13000);
    assert!(f.rotations(0) >= 1, "{}", f.dump());
}

#[test]
fn delete_and_recreate() {
    let (_dir, path) = log_file("access.log", b"");
    let mut f = follow_file(&path, opts(), 64);
    let writer = writer(&path, 0..3000, |p, w| {
        fs::remove_file(p).unwrap();
        drop(w);
        write_lines(&mut append(p), 3000..6000, 50);
    });
    f.finish_exact(writer, 6000);
    assert_eq!(f.rotations(0), 1, "{}", f.dump());
}

#[test]
fn file_missing_at_start() {
    let dir = tmp();
    let path = join(&dir, "later.log");
    // Its directory too: then only the periodic stat can find it.
    let deep = join(&dir, "not/yet/later.log");
    let mut f = Follow::start(
        vec![input(&path_str(&path)), input(&path_str(&deep))],
        opts(),
        64,
    );
    f.until_state(0, InputState::Waiting);
    f.until_state(1, InputState::Waiting);
    let (p, d) = (path.clone(), deep.clone());
    let writer = std::thread::spawn(move || {
        let mut w = append(&p);
        write_lines(&mut w, 0..3000, 50);
        fs::create_dir_all(d.parent().unwrap()).unwrap();
        let mut w = append(&d);
        write_lines(&mut w, 3000..4000, 50);
    });
    f.until_lines(None, 4000);
    writer.join().unwrap();
    f.stop();
    // A file that appears is new: read from its first line.
    assert_exact(&f.numbers(Some(0)), 0..3000);
    assert_exact(&f.numbers(Some(1)), 3000..4000);
}

#[test]
fn partial_line_completed_later() {
    let dir = tmp();
    let path = join(&dir, "access.log");
    // Following starts while the last line is half written: it is read
    // whole once finished, not from its middle.
    let l0 = line(0);
    let mut start = lines(1_000_000..1_000_010);
    start.extend_from_slice(&l0[..10]);
    fs::write(&path, &start).unwrap();
    let mut f = follow_file(&path, opts(), 64);
    let mut w = append(&path);
    w.write_all(&l0[10..]).unwrap();
    // One write holding a whole line and half the next: the follower takes
    // both in one read, so once line 1 is out the half is in its carry.
    let l2 = line(2);
    let mut one = line(1);
    one.extend_from_slice(&l2[..20]);
    w.write_all(&one).unwrap();
    f.until_lines(Some(0), 2);
    w.write_all(&l2[20..]).unwrap();
    // Then many lines, each in two writes with pauses between.
    let writer = std::thread::spawn(move || {
        for n in 3..3000 {
            let l = line(n);
            let cut = (n as usize * 13) % l.len();
            w.write_all(&l[..cut]).unwrap();
            if n % 20 == 0 {
                std::thread::sleep(Duration::from_micros(300));
            }
            w.write_all(&l[cut..]).unwrap();
        }
    });
    f.finish_exact(writer, 3000);
}

#[test]
fn symlinked_path() {
    let dir = tmp();
    let link = join(&dir, "current.log");
    let (t1, t2) = (join(&dir, "log-1"), join(&dir, "log-2"));
    fs::write(&t1, b"").unwrap();
    std::os::unix::fs::symlink(&t1, &link).unwrap();
    let mut f = follow_file(&link, opts(), 64);
    let writer = std::thread::spawn(move || {
        let mut w = append(&t1);
        write_lines(&mut w, 0..3000, 50);
        // Re-point the link atomically: a rotation.
        let tmp_link = t2.with_extension("tmp");
        fs::write(&t2, b"").unwrap();
        std::os::unix::fs::symlink(&t2, &tmp_link).unwrap();
        fs::rename(&tmp_link, &link).unwrap();
        drop(w);
        let mut w = append(&t2);
        write_lines(&mut w, 3000..6000, 50);
    });
    f.finish_exact(writer, 6000);
    assert_eq!(f.rotations(0), 1, "{}", f.dump());
}

#[test]
fn glob_picks_up_new_file() {
    let dir = tmp();
    let a = join(&dir, "a.log");
    fs::write(&a, lines(1_000_000..1_000_050)).unwrap();
    let pattern = path_str(&join(&dir, "*.log"));
    let mut f = Follow::start(vec![input(&pattern)], opts(), 64);
    f.until_state(0, InputState::Following);
    let d = dir.path().to_path_buf();
    let writer = std::thread::spawn(move || {
        let mut w = append(&d.join("a.log"));
        write_lines(&mut w, 0..1000, 50);
        let mut w = append(&d.join("b.log"));
        write_lines(&mut w, 1000..2000, 50);
        // Not matched by the glob: never read.
        let mut w = append(&d.join("c.txt"));
        write_lines(&mut w, 5000..5100, 50);
        let mut w = append(&d.join("c.log"));
        write_lines(&mut w, 2000..3000, 50);
    });
    f.until_lines(None, 3000);
    writer.join().unwrap();
    f.stop();
    assert_same_set(&f.numbers(None), 0..3000);
    let names: Vec<String> = f.sources().into_iter().map(|(_, n)| n).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for (i, want) in [0..1000, 1000..2000, 2000..3000].into_iter().enumerate() {
        assert_exact(&f.numbers(Some(i as u16)), want);
    }
}

/// A glob that matches rotated files too (`app.log*`): the rotated file is
/// found under its new name, and must not be read again from the start.
#[test]
fn glob_rotated_file_not_read_twice() {
    let (dir, path) = log_file("app.log", b"");
    let pattern = path_str(&join(&dir, "app.log*"));
    let mut f = Follow::start(vec![input(&pattern)], opts(), 64);
    f.until_state(0, InputState::Following);
    let writer = writer(&path, 0..2000, |p, mut w| {
        fs::rename(p, p.with_extension("log.1")).unwrap();
        // Still written a while after the rename.
        write_lines(&mut w, 2000..2500, 50);
        write_lines(&mut append(p), 2500..4000, 50);
        fs::rename(p.with_extension("log.1"), p.with_extension("log.2")).unwrap();
        fs::rename(p, p.with_extension("log.1")).unwrap();
        write_lines(&mut append(p), 4000..6000, 50);
    });
    f.until_lines(None, 6000);
    writer.join().unwrap();
    // Long enough for a rescan to find every rotated file.
    std::thread::sleep(Duration::from_millis(300));
    f.stop();
    let got = f.numbers(None);
    assert_same_set(&got, 0..6000);
    assert_ordered_within(&got, &[0..2500, 2500..4000, 4000..6000]);
}

#[test]
fn from_start_handoff_exact() {
    // Several read blocks of backfill.
    let (_dir, path) = log_file("access.log", &lines(0..30_000));
    let mut o = opts();
    o.from_start = true;
    // The writer starts with the follower: lines arrive during backfill.
    let writer = writer(&path, 30_000..40_000, |_, _| {});
    let mut f = Follow::start(vec![input(&path_str(&path))], o, 8);
    f.finish_exact(writer, 40_000);
}

#[test]
fn oversized_line_then_good_line() {
    let (_dir, path) = log_file("access.log", b"");
    let mut o = opts();
    o.max_line = 1024;
    let mut f = follow_file(&path, o, 64);
    let big = |len: usize, c: u8| {
        let mut v = vec![c; len];
        v[..4].copy_from_slice(b"BIG ");
        v
    };
    let (b1, b2) = (big(5000, b'x'), big(3 << 20, b'y'));
    let (w1, w2) = (b1.clone(), b2.clone());
    let writer = writer(&path, 0..1000, move |_, mut w| {
        // Written in pieces, so the follower holds part of it first.
        for piece in w1.chunks(700) {
            w.write_all(piece).unwrap();
            std::thread::sleep(Duration::from_micros(300));
        }
        w.write_all(b"\n").unwrap();
        write_lines(&mut w, 1000..2000, 50);
        // Longer than a read block.
        w.write_all(&w2).unwrap();
        w.write_all(b"\n").unwrap();
        write_lines(&mut w, 2000..3000, 50);
    });
    f.finish_exact(writer, 3000);
    // Each oversized line comes out in its place, as its head and length.
    let mut last = None;
    let mut seen = Vec::new();
    for e in &f.got {
        match e {
            Got::Line(_, l) => last = parse(l),
            Got::Oversized(_, head, len) => seen.push((last, head.clone(), *len)),
            _ => {}
        }
    }
    assert_eq!(seen.len(), 2, "{}", f.dump());
    assert_eq!((seen[0].0, seen[0].2), (Some(999), 5000));
    assert_eq!((seen[1].0, seen[1].2), (Some(1999), 3 << 20));
    assert_eq!(seen[0].1, b1[..512]);
    assert_eq!(seen[1].1, b2[..512]);
}

#[test]
fn stdin_eof_ends_input() {
    let dir = tmp();
    let path = join(&dir, "access.log");
    fs::write(&path, b"").unwrap();
    let (reader, mut pipe) = std::io::pipe().unwrap();
    let mut f = Follow::start_with(
        vec![input("-"), input(&path_str(&path))],
        opts(),
        64,
        Box::new(reader),
    );
    f.until_state(1, InputState::Following);
    let writer = std::thread::spawn(move || {
        for n in 0..5000 {
            pipe.write_all(&line(n)).unwrap();
            if n % 50 == 0 {
                std::thread::sleep(Duration::from_micros(300));
            }
        }
        // The last line has no newline: it is still a line at EOF.
        pipe.write_all(b"last line, no newline").unwrap();
    });
    f.until_state(0, InputState::Done);
    writer.join().unwrap();
    // The other input goes on.
    let mut w = append(&path);
    write_lines(&mut w, 0..100, 0);
    f.until_lines(Some(1), 100);
    f.stop();
    let stdin: Vec<&[u8]> = f
        .got
        .iter()
        .filter_map(|e| match e {
            Got::Line(0, l) => Some(l.as_slice()),
            _ => None,
        })
        .collect();
    assert_eq!(stdin.last(), Some(&&b"last line, no newline"[..]));
    let got: Vec<u64> = stdin[..stdin.len() - 1]
        .iter()
        .map(|l| parse(l).expect("whole line"))
        .collect();
    assert_exact(&got, 0..5000);
    assert_exact(&f.numbers(Some(1)), 0..100);
}

#[test]
fn invalid_utf8_is_just_bytes() {
    let dir = tmp();
    let path = join(&dir, "access.log");
    fs::write(&path, b"").unwrap();
    let mut f = follow_file(&path, opts(), 64);
    let odd: &[u8] = b"\xff\xfe GET /caf\xe9 \x00 200\n";
    let mut w = append(&path);
    w.write_all(odd).unwrap();
    write_lines(&mut w, 0..10, 0);
    f.until("lines", |g| count_lines(g, Some(0)) >= 11);
    f.stop();
    assert!(
        matches!(&f.got.iter().find(|e| matches!(e, Got::Line(..))), Some(Got::Line(0, l)) if l == odd),
        "{:?}",
        f.got
    );
}

/// A slow engine (a channel of one, read slowly) holds the follower back:
/// nothing is dropped or reordered.
#[test]
fn slow_engine_back_pressure() {
    let dir = tmp();
    let path = join(&dir, "access.log");
    fs::write(&path, b"").unwrap();
    let mut f = follow_file(&path, opts(), 1);
    let p = path.clone();
    let writer = std::thread::spawn(move || {
        let mut w = append(&p);
        write_lines(&mut w, 0..20_000, 500);
    });
    // One event at a time, with a pause after each.
    while count_lines(&f.got, Some(0)) < 20_000 {
        let before = f.got.len();
        f.until("an event", |g| g.len() > before);
        std::thread::sleep(Duration::from_micros(200));
    }
    writer.join().unwrap();
    f.stop();
    assert_exact(&f.numbers(Some(0)), 0..20_000);
}

/// SIGHUP: reopening while the writer writes neither loses nor repeats.
#[test]
fn reopen_keeps_offsets() {
    let (_dir, path) = log_file("access.log", b"");
    let mut f = follow_file(&path, opts(), 64);
    let writer = writer(&path, 0..2000, |p, w| {
        fs::rename(p, p.with_extension("log.1")).unwrap();
        drop(w);
        write_lines(&mut append(p), 2000..4000, 50);
    });
    for _ in 0..20 {
        f.handle.as_ref().unwrap().reopen();
        std::thread::sleep(Duration::from_millis(5));
    }
    f.finish_exact(writer, 4000);
}

/// The glob finds the rotated file only after its grace period, when the
/// follower has let it go: it is resumed where reading stopped, not read
/// again.
#[test]
fn glob_rotated_file_found_after_grace() {
    let dir = tmp();
    let path = join(&dir, "app.log");
    fs::write(&path, b"").unwrap();
    let pattern = path_str(&join(&dir, "app.log*"));
    let mut o = opts();
    o.grace = Duration::from_millis(100);
    o.rescan = Duration::from_millis(1500);
    let mut f = Follow::start(vec![input(&pattern)], o, 64);
    f.until_state(0, InputState::Following);
    let mut w = append(&path);
    write_lines(&mut w, 0..2000, 50);
    fs::rename(&path, path.with_extension("log.1")).unwrap();
    let mut new = append(&path);
    write_lines(&mut new, 2000..3000, 50);
    // Let go of the old file after its grace period...
    f.until("the rotation", |g| {
        g.iter()
            .any(|e| matches!(e, Got::State(0, InputState::Following)))
            && g.iter().any(|e| matches!(e, Got::Rotated(0)))
            && count_lines(g, None) >= 3000
    });
    f.until("the old file let go", |g| {
        let mut rotated = false;
        g.iter().any(|e| {
            rotated |= matches!(e, Got::State(0, InputState::Rotated));
            rotated && matches!(e, Got::State(0, InputState::Following))
        })
    });
    // ...then written to once more, and found by the glob.
    write_lines(&mut w, 3000..3500, 50);
    f.until_lines(None, 3500);
    f.stop();
    let got = f.numbers(None);
    assert_same_set(&got, 0..3500);
    assert_eq!(f.sources().len(), 2, "{}", f.dump());
}

/// linemux events wake the follower: with a poll of a minute, a line is
/// still delivered at once — also after a busy spell, during which the
/// follower reads on a timer and drops its watcher, then watches again.
#[test]
fn events_wake_follower() {
    let dir = tmp();
    let path = join(&dir, "access.log");
    fs::write(&path, b"").unwrap();
    let mut o = opts();
    o.poll = Duration::from_secs(60);
    o.rescan = Duration::from_secs(60);
    let mut f = follow_file(&path, o, 64);
    let mut w = append(&path);
    write_lines(&mut w, 0..1, 0);
    f.until_lines(Some(0), 1);
    write_lines(&mut w, 1..20_000, 200);
    f.until_lines(Some(0), 20_000);
    // Quiet for a while: back to events.
    std::thread::sleep(Duration::from_millis(600));
    write_lines(&mut w, 20_000..20_001, 0);
    f.until_lines(Some(0), 20_001);
    f.stop();
    assert_exact(&f.numbers(Some(0)), 0..20_001);
}

/// Rename-then-create while lines come slowly, so the follower relies on
/// events rather than its busy-time timer.
#[test]
fn rotation_rename_then_create_quiet() {
    let dir = tmp();
    let path = join(&dir, "access.log");
    fs::write(&path, b"").unwrap();
    let mut f = follow_file(&path, opts(), 64);
    let p = path.clone();
    let writer = std::thread::spawn(move || {
        let mut w = append(&p);
        for n in 0..40 {
            if n == 20 {
                fs::rename(&p, p.with_extension("log.1")).unwrap();
                w = append(&p);
            }
            write_lines(&mut w, n..n + 1, 0);
            std::thread::sleep(Duration::from_millis(25));
        }
    });
    f.finish_exact(writer, 40);
    assert_eq!(f.rotations(0), 1, "{}", f.dump());
}

/// copytruncate with a glob that matches the copy too (`app.log*`): the
/// copy is a new file holding lines already read, and must not be read
/// again — whether the glob finds it before or after the truncation.
#[test]
fn copytruncate_glob_matches_copy() {
    let (dir, path) = log_file("app.log", &old_lines());
    let pattern = path_str(&join(&dir, "app.log*"));
    let mut f = Follow::start(vec![input(&pattern)], opts(), 64);
    f.until_state(0, InputState::Following);
    let writer = writer(&path, 0..2000, |p, mut w| {
        // Found by a rescan before the truncation...
        fs::copy(p, p.with_extension("log.1")).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        truncate(p);
        write_lines(&mut w, 2000..4000, 50);
        // ...and after it.
        common::copytruncate(p, &p.with_extension("log.2"));
        write_lines(&mut w, 4000..6000, 50);
    });
    f.until_lines(None, 6000);
    writer.join().unwrap();
    // Long enough for rescans to find both copies.
    f.until("both copies found", |g| {
        g.iter().filter(|e| matches!(e, Got::Added(..))).count() == 3
    });
    std::thread::sleep(Duration::from_millis(300));
    f.stop();
    assert_exact(&f.numbers(None), 0..6000);
}

/// An input that cannot be read is reported, not fatal: the others go on.
#[test]
fn unreadable_input_is_an_error_state() {
    let dir = tmp();
    let sub = join(&dir, "a-directory");
    fs::create_dir(&sub).unwrap();
    let path = join(&dir, "access.log");
    fs::write(&path, b"").unwrap();
    let mut f = Follow::start(
        vec![input(&path_str(&sub)), input(&path_str(&path))],
        opts(),
        64,
    );
    f.until("an error state", |g| {
        g.iter()
            .any(|e| matches!(e, Got::State(0, InputState::Error(m)) if m.contains("regular file")))
    });
    f.until_state(1, InputState::Following);
    let mut w = append(&path);
    write_lines(&mut w, 0..10, 0);
    f.until_lines(Some(1), 10);
    f.stop();
    assert_exact(&f.numbers(Some(1)), 0..10);
}

/// A path two inputs name is read once, through the first; when a reload
/// removes that input, the other follows on from where it was let go:
/// nothing lost, nothing read twice.
#[test]
fn a_path_two_inputs_name_is_read_on_when_the_first_is_removed() {
    let (_dir, path) = log_file("access.log", &old_lines());
    let named = |n: &str| routetop::input::Input {
        name: Some(n.into()),
        ..input(&path_str(&path))
    };
    let mut f = Follow::start(vec![named("x"), named("y")], opts(), 64);
    f.until_state(0, InputState::Following);
    let mut w = append(&path);
    write_lines(&mut w, 0..100, 0);
    f.until_lines(None, 100);
    if let Some(h) = &f.handle {
        h.set_inputs(vec![None, Some(named("y"))]);
    }
    f.until_state(0, InputState::Done);
    write_lines(&mut w, 100..200, 0);
    f.until_lines(None, 200);
    f.stop();
    assert_exact(&f.numbers(None), 0..200);
}
