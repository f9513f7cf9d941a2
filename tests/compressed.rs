//! Compressed and rotated inputs in `--once` (the real binary): gzip, zstd,
//! bzip2 and xz recognised by their magic bytes and decompressed as read,
//! with reports identical to the plain file's; a rotated set read in one run
//! through a glob; binary, truncated and corrupt files named on stderr;
//! stdin looked at the same way in follow mode too.
//! Fixtures are compressed here with the crates routetop decodes with, from
//! the bundled samples.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn routetop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("run routetop")
}

#[derive(Clone, Copy, Debug)]
enum Z {
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

const EVERY: [Z; 4] = [Z::Gzip, Z::Zstd, Z::Bzip2, Z::Xz];

impl Z {
    fn ext(self) -> &'static str {
        match self {
            Z::Gzip => "gz",
            Z::Zstd => "zst",
            Z::Bzip2 => "bz2",
            Z::Xz => "xz",
        }
    }

    fn compress(self, data: &[u8]) -> Vec<u8> {
        match self {
            Z::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Z::Zstd => zstd::encode_all(data, 3).unwrap(),
            Z::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Z::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
        }
    }
}

/// Each sample's name and format (`-f`) when it must be given.
fn samples() -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(root().join("sample-logs/expected.json")).unwrap();
    let exp: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    exp.iter()
        .map(|(k, v)| {
            let spec = v.get("format_spec").and_then(Value::as_str);
            (k.clone(), spec.map(str::to_string))
        })
        .collect()
}

/// The JSON report of `args`, which must succeed, with `from` written `to`
/// (an input's name).
fn report(args: &[&str], from: &str, to: &str) -> Value {
    let out = routetop(args);
    assert!(
        out.status.success(),
        "{args:?}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap().replace(from, to);
    serde_json::from_str(&text).unwrap()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// The error lines of a run's stderr (`routetop: ...`), without the
/// parse-error summary's sample lines.
fn said(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("routetop: ") && !l.contains(" lines not parsed "))
        .map(str::to_string)
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every sample, in every compression: the JSON report is the plain file's,
/// every figure (apart from the input's name, the only difference).
#[test]
fn every_compression_reports_exactly_what_the_plain_file_does() {
    let dir = tempfile::tempdir().unwrap();
    for (name, spec) in samples() {
        let plain = format!("sample-logs/{name}");
        let mut args = vec!["--once", "-o", "json"];
        if let Some(f) = &spec {
            args.extend(["-f", f.as_str()]);
        }
        let want = report(&[&args[..], &[plain.as_str()]].concat(), "", "");
        assert!(u(&want["totals"]["requests"]) > 0, "{name}");
        let data = std::fs::read(root().join(&plain)).unwrap();
        for z in EVERY {
            let p = dir.path().join(format!("{name}.{}", z.ext()));
            std::fs::write(&p, z.compress(&data)).unwrap();
            let got = report(&[&args[..], &[s(&p)]].concat(), s(&p), &plain);
            assert_eq!(got, want, "{name} as {z:?}");
        }
    }
}

/// A file is what its bytes say, not its name: a `.gz` holding text is read
/// as text, and a gzip stream named `.log` is decompressed.
#[test]
fn a_file_is_read_as_its_magic_bytes_say_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let plain = "sample-logs/combined_rt.log";
    let data = std::fs::read(root().join(plain)).unwrap();
    let want = report(&["--once", "-o", "json", plain], "", "");
    let text_gz = dir.path().join("text.gz");
    std::fs::write(&text_gz, &data).unwrap();
    let got = report(&["--once", "-o", "json", s(&text_gz)], s(&text_gz), plain);
    assert_eq!(got, want);
    let gzip_log = dir.path().join("gzip.log");
    std::fs::write(&gzip_log, Z::Gzip.compress(&data)).unwrap();
    let got = report(&["--once", "-o", "json", s(&gzip_log)], s(&gzip_log), plain);
    assert_eq!(got, want);
}

/// `cat a.gz b.gz > ab.gz` (and pbzip2, several zstd frames, several xz
/// streams): every member is read, in order.
#[test]
fn concatenated_members_are_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let plain = "sample-logs/combined_rt.log";
    let data = std::fs::read(root().join(plain)).unwrap();
    let want = report(&["--once", "-o", "json", plain], "", "");
    let cut = data.len() / 3;
    let cut = cut + data[cut..].iter().position(|&b| b == b'\n').unwrap() + 1;
    for z in EVERY {
        let mut both = z.compress(&data[..cut]);
        both.extend(z.compress(&data[cut..]));
        let p = dir.path().join(format!("two.{}", z.ext()));
        std::fs::write(&p, both).unwrap();
        let got = report(&["--once", "-o", "json", s(&p)], s(&p), plain);
        assert_eq!(got, want, "{z:?}");
    }
}

/// `--once 'dir/access.log*'` reads the whole rotated set in one run, the
/// oldest file first, plain and compressed alike: each file's counts are
/// its own, and the totals their sum.
#[test]
fn a_rotated_set_is_read_in_one_run_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let samples = [
        ("access.log", "combined_rt.log", None),
        ("access.log.1", "apache-combined-D.log", None),
        ("access.log.2.gz", "nginx-upstream.log", Some(Z::Gzip)),
        ("access.log.3.zst", "apache-common.log", Some(Z::Zstd)),
        ("access.log.4.bz2", "dashed.log", Some(Z::Bzip2)),
        ("access.log.10.xz", "apache-vcombined.log", Some(Z::Xz)),
    ];
    let mut want_requests = 0;
    for (file, sample, z) in samples {
        let data = std::fs::read(root().join("sample-logs").join(sample)).unwrap();
        let plain = report(
            &["--once", "-o", "json", &format!("sample-logs/{sample}")],
            "",
            "",
        );
        want_requests += u(&plain["totals"]["requests"]);
        let bytes = z.map_or(data.clone(), |z| z.compress(&data));
        std::fs::write(dir.path().join(file), bytes).unwrap();
    }
    let glob = format!("{}/access.log*", s(dir.path()));
    for j in ["1", "2", "3"] {
        let r = report(&["--once", "-o", "json", "-j", j, &glob], "", "");
        let names: Vec<String> = r["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let n = i["name"].as_str().unwrap();
                n.rsplit('/').next().unwrap().to_string()
            })
            .collect();
        assert_eq!(
            names,
            [
                "access.log.10.xz",
                "access.log.4.bz2",
                "access.log.3.zst",
                "access.log.2.gz",
                "access.log.1",
                "access.log",
            ]
        );
        for input in r["inputs"].as_array().unwrap() {
            assert_eq!(u(&input["lines"]), 2000, "{input}");
        }
        assert_eq!(u(&r["totals"]["requests"]), want_requests, "-j{j}");
    }
}

/// Regression: a binary file was "cannot detect the format" with hundreds
/// of lines of junk counted as unparsed. It is named once, not read, and
/// the other inputs are reported (exit 4, a partial report); alone, it is
/// an error.
#[test]
fn a_binary_file_is_named_once_and_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("image.log");
    // An unknown compression: bytes as random as any compressed stream.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let junk: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect();
    std::fs::write(&bin, &junk).unwrap();
    let msg = format!(
        "routetop: {} is a binary file, not text nor a gzip, zstd, bzip2 or xz stream: not read",
        s(&bin)
    );
    let out = routetop(&[
        "--once",
        "-o",
        "json",
        s(&bin),
        "sample-logs/combined_rt.log",
    ]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(u(&r["totals"]["requests"]), 2000);
    assert_eq!(u(&r["inputs"][0]["lines"]), 0);
    assert_eq!(
        said(&out),
        [
            msg.clone(),
            "routetop: partial report: 1 input could not be read or parsed (said above)".into()
        ]
    );
    let out = routetop(&["--once", s(&bin)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(said(&out), [msg]);
}

/// The whole lines a damaged stream yields before its damage, read as
/// routetop reads it (in `PIECE`s: a decoder's last call before the damage
/// returns nothing), and whether a partial line follows them.
fn decoded_before_damage(z: Z, bytes: &[u8]) -> (u64, bool) {
    let mut r: Box<dyn Read> = match z {
        Z::Gzip => Box::new(flate2::read::MultiGzDecoder::new(bytes)),
        Z::Zstd => Box::new(zstd::stream::read::Decoder::new(bytes).unwrap()),
        Z::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(bytes)),
        Z::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(bytes)),
    };
    let mut out = Vec::new();
    let mut buf = vec![0u8; routetop::input::decode::PIECE];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return (memchr_count(&out), false),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    let whole = memchr_count(&out);
    (whole, out.last().is_some_and(|&b| b != b'\n'))
}

fn memchr_count(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

/// A truncated `.gz` (a copy cut short, a disk full) and a corrupt `.zst`:
/// the lines decoded before the damage count, exactly, then one error names
/// the file and the damage; exit 4.
#[test]
fn a_damaged_stream_counts_its_lines_before_the_damage_then_names_it() {
    let dir = tempfile::tempdir().unwrap();
    // Large enough that the damage comes after many decoded lines.
    let data = std::fs::read(root().join("sample-logs/caddy.log")).unwrap();
    let gz = Z::Gzip.compress(&data);
    let truncated = &gz[..gz.len() / 2];
    let mut zst = Z::Zstd.compress(&data);
    let mid = zst.len() / 2;
    for b in &mut zst[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let cases = [
        (
            "cut.gz",
            Z::Gzip,
            truncated.to_vec(),
            "gzip stream truncated",
        ),
        ("bad.zst", Z::Zstd, zst, "zstd stream corrupt: "),
    ];
    for (file, z, bytes, why) in cases {
        let p = dir.path().join(file);
        std::fs::write(&p, &bytes).unwrap();
        let (whole, partial) = decoded_before_damage(z, &bytes);
        assert!(whole > 100, "{file}: {whole} lines before the damage");
        let out = routetop(&["--once", "-o", "json", s(&p)]);
        assert_eq!(out.status.code(), Some(4), "{file}: {out:?}");
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        let input = &r["inputs"][0];
        // A last partial line is read like a log cut mid-line: one bad line.
        assert_eq!(u(&input["lines"]), whole + u64::from(partial), "{file}");
        assert_eq!(
            u(&r["totals"]["requests"]),
            whole,
            "{file}: every whole line decoded counts"
        );
        let said = said(&out);
        assert_eq!(said.len(), 2, "{said:?}");
        let want = format!("routetop: error reading {}: {why}", s(&p));
        assert!(said[0].starts_with(&want), "{file}: {said:?}");
        assert_eq!(
            said[1],
            "routetop: partial report: 1 input could not be read or parsed (said above)"
        );
    }
}

/// stdin is looked at like a file: `cat access.log.gz | routetop --once -`.
#[test]
fn compressed_stdin_is_decompressed() {
    let plain = "sample-logs/combined_rt.log";
    let data = std::fs::read(root().join(plain)).unwrap();
    let want = report(&["--once", "-o", "json", plain], "", "");
    let mut child = Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(["--once", "-o", "json", "-"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let gz = Z::Zstd.compress(&data);
    let writer = std::thread::spawn(move || stdin.write_all(&gz));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout)
        .unwrap()
        .replace("\"stdin\"", &format!("\"{plain}\""));
    let got: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(got, want);
}

/// Regression: in follow mode stdin was read as text whatever it held, so
/// `cat access.log.gz | routetop --headless` counted the compressed bytes
/// as unparsed lines. Its first bytes are looked at as `--once -` does:
/// each compression is decompressed, with the counts of the plain file.
#[test]
fn compressed_stdin_is_decompressed_in_follow_mode_too() {
    let data = std::fs::read(root().join("sample-logs/combined_rt.log")).unwrap();
    for z in EVERY {
        let mut child = Command::new(env!("CARGO_BIN_EXE_routetop"))
            .args(["--headless", "--interval", "1h", "--step", "100ms"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let packed = z.compress(&data);
        let writer = std::thread::spawn(move || stdin.write_all(&packed));
        // Ends by itself once stdin is read to its end.
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert!(out.status.success(), "{z:?}: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("since start: 2000 requests (")
                && first.ends_with("lines 2000  unparsed 0"),
            "{z:?}: {text}"
        );
    }
}

/// Binary on stdin in follow mode is said once, by what it is, not read
/// as lines, and ends a headless run.
#[test]
fn binary_stdin_in_follow_mode_is_said_and_not_read() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_routetop"))
        .args(["--headless", "--interval", "1h", "--step", "100ms"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Mostly NULs and control bytes: no text, no known magic.
    let junk: Vec<u8> = (0..4096u32).map(|i| (i % 7) as u8).collect();
    stdin.write_all(&junk).unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let want = "routetop: input stdin: cannot read it: binary, not text nor a gzip, zstd, bzip2 or xz stream: not read";
    let got = rx.recv_timeout(std::time::Duration::from_secs(20));
    assert_eq!(got.as_deref(), Ok(want));
    // Regression: nothing more is read from it, so its end was never seen
    // and the run went on forever (`cat file.bin | routetop --headless`).
    // Nothing more can come from it: the run ends, stdin still open.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    drop(stdin);
    assert!(
        status.is_some_and(|s| s.success()),
        "a headless run on binary stdin did not end: {status:?}"
    );
}
