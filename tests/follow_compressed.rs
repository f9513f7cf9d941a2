//! Compressed files in follow mode: read once to their end with
//! `--from-start` (never followed), left alone otherwise; a glob that finds
//! a compressed file later (logrotate compressing `access.log.1`) never
//! reads it, since its lines were read already.

mod common;

use std::io::Write;

use common::*;
use routetop::engine::InputState;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The source of the file whose name ends in `name`, once added.
fn source_of(f: &mut Follow, name: &str) -> routetop::engine::SourceId {
    f.until(name, |g| {
        g.iter()
            .any(|e| matches!(e, Got::Added(_, n) if n.ends_with(name)))
    });
    f.sources()
        .iter()
        .find(|(_, n)| n.ends_with(name))
        .unwrap_or_else(|| panic!("no source {name}:\n{}", f.dump()))
        .0
}

/// `routetop --from-start 'access.log*'` over a rotated set: the compressed
/// files are read once, every line exactly once and in order within each,
/// and end `Done`; the plain files are read and followed. A compressed file
/// the glob finds later is not read; a plain one is.
#[test]
fn from_start_reads_compressed_files_of_a_rotated_set_once() {
    let dir = tmp();
    std::fs::write(join(&dir, "access.log.4.gz"), gzip(&lines(0..3000))).unwrap();
    let zst = zstd::encode_all(&lines(3000..6000)[..], 3).unwrap();
    std::fs::write(join(&dir, "access.log.3.zst"), zst).unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&lines(6000..7000)).unwrap();
    std::fs::write(join(&dir, "access.log.2.bz2"), bz.finish().unwrap()).unwrap();
    std::fs::write(join(&dir, "access.log.1"), lines(7000..8000)).unwrap();
    std::fs::write(join(&dir, "access.log"), lines(8000..9000)).unwrap();
    let glob = path_str(&dir.path().join("access.log*"));
    let mut o = opts();
    o.from_start = true;
    let mut f = Follow::start(vec![input(&glob)], o, 64);
    f.until_lines(None, 9000);
    for name in ["access.log.4.gz", "access.log.3.zst", "access.log.2.bz2"] {
        let source = source_of(&mut f, name);
        f.until_state(source, InputState::Done);
    }
    let names: Vec<String> = f
        .sources()
        .into_iter()
        .map(|(_, n)| n.rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "access.log.4.gz",
            "access.log.3.zst",
            "access.log.2.bz2",
            "access.log.1",
            "access.log"
        ]
    );
    // The current file is followed.
    append(&join(&dir, "access.log"))
        .write_all(&lines(9000..9100))
        .unwrap();
    f.until_lines(None, 9100);
    // Found later: a compressed file (not read), then a plain one (read
    // whole); the rescan that finds the plain one finds the other too.
    std::fs::write(join(&dir, "access.log.5.gz"), gzip(&lines(20_000..20_100))).unwrap();
    std::fs::write(join(&dir, "access.log.6"), lines(30_000..30_100)).unwrap();
    f.until_lines(None, 9200);
    f.stop();
    let got = f.numbers(None);
    let mut want: Vec<u64> = (0..9100).chain(30_000..30_100).collect();
    let mut sorted = got.clone();
    sorted.sort_unstable();
    want.sort_unstable();
    assert_eq!(sorted, want, "every line once, none of access.log.5.gz");
    assert_ordered_within(
        &got,
        &[
            0..3000,
            3000..6000,
            6000..7000,
            7000..8000,
            8000..9100,
            30_000..30_100,
        ],
    );
    assert!(
        !f.sources()
            .iter()
            .any(|(_, n)| n.ends_with("access.log.5.gz")),
        "{}",
        f.dump()
    );
}

/// A truncated compressed file read from the start: its lines before the
/// damage are sent, then the input is in error, naming the damage.
#[test]
fn a_truncated_compressed_file_sends_its_lines_then_an_error() {
    let dir = tmp();
    let data = lines(0..50_000);
    let gz = gzip(&data);
    let cut = &gz[..gz.len() / 2];
    let path = join(&dir, "cut.gz");
    std::fs::write(&path, cut).unwrap();
    // What a decoder yields before the damage, read as routetop reads.
    let mut d = flate2::read::MultiGzDecoder::new(cut);
    let mut out = Vec::new();
    let mut buf = vec![0u8; routetop::input::decode::PIECE];
    while let Ok(n) = std::io::Read::read(&mut d, &mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    let whole = out.iter().filter(|&&b| b == b'\n').count() as u64;
    assert!(whole > 1000, "{whole}");
    let mut o = opts();
    o.from_start = true;
    let mut f = Follow::start(vec![input(&path_str(&path))], o, 64);
    let source = source_of(&mut f, "cut.gz");
    let msg = format!("reading {}: gzip stream truncated", path.display());
    f.until_state(source, InputState::Closed(msg));
    f.stop();
    let got: Vec<u64> = f
        .got
        .iter()
        .filter_map(|e| match e {
            Got::Line(_, l) => parse(l),
            _ => None,
        })
        .collect();
    assert_exact(&got, 0..whole);
}

/// Without `--from-start` there is nothing to follow in a compressed file:
/// named on the command line it is an input in error saying so; found by a
/// glob it is left out, and the plain files are followed.
#[test]
fn without_from_start_a_compressed_file_is_not_followed() {
    let dir = tmp();
    std::fs::write(join(&dir, "access.log.2.gz"), gzip(&lines(0..100))).unwrap();
    std::fs::write(join(&dir, "old.gz"), gzip(&lines(0..100))).unwrap();
    std::fs::write(join(&dir, "access.log"), lines(100..200)).unwrap();
    let named = path_str(&join(&dir, "old.gz"));
    let glob = path_str(&dir.path().join("access.log*"));
    let mut f = Follow::start(vec![input(&named), input(&glob)], opts(), 64);
    let old = source_of(&mut f, "old.gz");
    f.until_state(
        old,
        InputState::Error(
            "gzip compressed: not followed (nothing is appended to it); --from-start reads it once, or --once"
                .into(),
        ),
    );
    // Following: opened at its end, so what is appended from now on is
    // read (its source is announced before the file is opened).
    let current = source_of(&mut f, "/access.log");
    f.until_state(current, InputState::Following);
    append(&join(&dir, "access.log"))
        .write_all(&lines(200..250))
        .unwrap();
    f.until_lines(None, 50);
    f.stop();
    assert_exact(&f.numbers(None), 200..250);
    let names: Vec<String> = f.sources().into_iter().map(|(_, n)| n).collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

/// Regression: `--from-start a.gz a.gz` read the compressed file twice,
/// counting every line twice. It is read once; another path to it (a
/// hard link) is an input that says where it is read.
#[test]
fn a_compressed_file_named_twice_is_read_once() {
    let dir = tmp();
    let path = join(&dir, "a.gz");
    std::fs::write(&path, gzip(&lines(0..3000))).unwrap();
    let link = join(&dir, "b.gz");
    std::fs::hard_link(&path, &link).unwrap();
    let mut o = opts();
    o.from_start = true;
    let named = path_str(&path);
    let inputs = vec![input(&named), input(&named), input(&path_str(&link))];
    let mut f = Follow::start(inputs, o, 64);
    f.until_lines(None, 3000);
    let other = source_of(&mut f, "/b.gz");
    let why = format!("same file as {named}, read there");
    f.until_state(other, InputState::Error(why));
    f.until_state(0, InputState::Done);
    f.stop();
    assert_exact(&f.numbers(None), 0..3000);
}
