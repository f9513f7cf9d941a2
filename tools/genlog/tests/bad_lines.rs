//! `--bad-every`: the good lines must stay exactly the lines of the run
//! without bad ones (so expected figures computed from a clean run still
//! hold for its good lines), with one bad line after every N-th good line,
//! each kind in its turn and recognisably that kind.

use std::collections::HashMap;

use routetop_genlog::{BadKind, LONG_LINE_LEN, LogFormat, Options, generate_vec};

fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    assert_eq!(v.pop(), Some(&b""[..]), "output ends with a newline");
    v
}

/// The status field of a good line in `fmt`.
fn status(fmt: LogFormat, line: &str) -> &str {
    match fmt {
        LogFormat::CombinedRt => line.split("\" ").nth(1).and_then(|s| s.split(' ').next()),
        LogFormat::Seed000 => line.rsplit('-').nth(1),
        LogFormat::Json => line
            .split("\"status\":")
            .nth(1)
            .and_then(|s| s.split(',').next()),
    }
    .unwrap_or_else(|| panic!("no status in {line}"))
}

fn check(fmt: LogFormat, every: u64, long: bool, good_lines: u64) {
    let clean_opts = Options {
        lines: good_lines,
        routes: 300,
        format: fmt,
        seed: 11,
        ..Options::default()
    };
    let bad_opts = Options {
        bad_every: every,
        bad_long: long,
        ..clean_opts.clone()
    };
    let clean = generate_vec(&clean_opts).expect("valid options");
    let mixed = generate_vec(&bad_opts).expect("valid options");
    let clean = lines(&clean);
    let mixed = lines(&mixed);
    let n_bad = bad_opts.bad_line_count();
    assert_eq!(n_bad, good_lines / every);
    assert_eq!(mixed.len() as u64, good_lines + n_bad);

    let mut good = Vec::new();
    let mut seen: HashMap<BadKind, u64> = HashMap::new();
    let mut k = 0u64;
    for (i, line) in mixed.iter().enumerate() {
        // Every (every + 1)-th line is bad: after good lines every, 2 every...
        if !(i as u64 + 1).is_multiple_of(every + 1) {
            good.push(*line);
            continue;
        }
        let kind = bad_opts.bad_kind(k);
        k += 1;
        *seen.entry(kind).or_default() += 1;
        let prev = std::str::from_utf8(mixed[i - 1]).expect("good lines are UTF-8");
        let text = std::str::from_utf8(line);
        match kind {
            BadKind::Garbage => {
                let t = text.expect("garbage is ASCII");
                assert!(
                    !t.is_empty() && t.bytes().all(|b| (0x20..0x7f).contains(&b)),
                    "{t}"
                );
                assert!(clean.iter().all(|c| c != line));
            }
            BadKind::Empty => assert!(line.is_empty()),
            BadKind::Truncated => {
                assert!(prev.as_bytes().starts_with(line));
                assert!(line.len() >= prev.len() / 4 && line.len() < prev.len() * 3 / 4 + 1);
            }
            BadKind::InvalidUtf8 => {
                assert!(text.is_err());
                assert!(line.starts_with(b"\xff\xfe"));
            }
            BadKind::RequestDash => {
                let t = text.expect("ASCII");
                let req = match fmt {
                    LogFormat::CombinedRt => "] \"-\" 400 0 ",
                    LogFormat::Seed000 => "]---400-0.000",
                    LogFormat::Json => "\"request\":\"-\",\"status\":400,",
                };
                assert!(t.contains(req), "{t}");
            }
            BadKind::RequestTls => {
                let hello: &[u8] = match fmt {
                    LogFormat::Json => b"\\u0016\\u0003\\u0001\\u0002\\u0000",
                    _ => b"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03",
                };
                assert!(line.windows(hello.len()).any(|w| w == hello));
            }
            BadKind::StatusOutOfRange => {
                let t = text.expect("ASCII");
                assert_eq!(status(fmt, t), "2000");
                let orig = status(fmt, prev);
                let rebuilt = match fmt {
                    LogFormat::CombinedRt => t.replacen("\" 2000 ", &format!("\" {orig} "), 1),
                    LogFormat::Seed000 => {
                        let cut = t.rfind("-2000-").expect("status field");
                        format!("{}-{orig}-{}", &t[..cut], &t[cut + 6..])
                    }
                    LogFormat::Json => {
                        t.replacen("\"status\":2000,", &format!("\"status\":{orig},"), 1)
                    }
                };
                assert_eq!(rebuilt, prev);
            }
            BadKind::TooLong => {
                let t = text.expect("ASCII");
                assert_eq!(t.len(), LONG_LINE_LEN);
                assert!(t.contains("pad=aaaa"));
            }
        }
    }
    assert_eq!(good, clean, "good lines are exactly the clean run's");
    for kind in BadKind::cycle(long) {
        assert!(
            seen.get(kind).copied().unwrap_or(0) > 0,
            "{kind:?} never written"
        );
    }
    assert_eq!(seen.contains_key(&BadKind::TooLong), long);
}

#[test]
fn every_kind_in_every_format() {
    for fmt in LogFormat::ALL {
        check(fmt, 7, false, 500);
        check(fmt, 3, true, 200);
    }
}

#[test]
fn bad_lines_across_chunks_and_at_the_end() {
    // 45 000 good lines: three chunks of draws; N divides the count, so a
    // bad line is the very last line.
    check(LogFormat::CombinedRt, 1000, true, 45_000);
    check(LogFormat::CombinedRt, 1, false, 50);
}

#[test]
fn off_by_default_and_deterministic() {
    let opts = Options {
        lines: 3000,
        bad_every: 10,
        bad_long: true,
        ..Options::default()
    };
    assert_eq!(Options::default().bad_every, 0);
    assert_eq!(
        generate_vec(&opts).expect("valid options"),
        generate_vec(&opts).expect("valid options")
    );
    // A different seed moves the bad lines' random parts too.
    let other = Options {
        seed: 2,
        ..opts.clone()
    };
    assert_ne!(
        generate_vec(&opts).expect("valid options"),
        generate_vec(&other).expect("valid options")
    );
}
