//! The W3C look-back (`input/preamble.rs`): the header block in force at a
//! line start of a file, found by reading backwards in chunks, against a
//! plain forward reading of the same bytes (the last line before the end
//! that starts with `#Fields:`, whole, and the `#` lines right before it
//! within one header line's length). The input is a file's bytes after
//! three bytes of layout: how many KiB of data lines to insert (so that
//! headers fall on both sides of the 64 KiB chunks and across their
//! boundaries), where, and at which line start following begins. What it
//! finds must also be a header to the W3C parser.
#![no_main]

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use routetop::format::{Format, FormatSpec, Header};
use routetop::input::{LOOK_BACK, MAX_HEADER_LINE, header_before};

const FIELDS: &[u8] = b"#Fields:";
const PAD: &[u8] = b"2024-03-10 00:00:00 GET /pad 200 5\n";

/// One scratch file per fuzzing process, rewritten for each input.
fn scratch() -> &'static File {
    static FILE: OnceLock<File> = OnceLock::new();
    FILE.get_or_init(|| {
        let path =
            std::env::temp_dir().join(format!("routetop-fuzz-preamble-{}", std::process::id()));
        let f = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .expect("a scratch file");
        // Unlinked: the open handle keeps it until the process ends.
        let _ = std::fs::remove_file(&path);
        f
    })
}

/// Where each line starts: 0, and after each `\n` (so the end, when the
/// bytes end in one).
fn line_starts(data: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        data.iter()
            .enumerate()
            .filter(|&(_, &c)| c == b'\n')
            .map(|(i, _)| i + 1),
    );
    v
}

/// `data` from line start `s`, without a byte order mark when `s` is the
/// file's start (the one place one is written).
fn from_line(data: &[u8], s: usize) -> &[u8] {
    let rest = &data[s..];
    match s {
        0 => rest.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(rest),
        _ => rest,
    }
}

/// The header block in force at `end`, read forwards.
fn reference(data: &[u8], end: usize) -> Vec<u8> {
    if end == 0 || from_line(data, 0).first() != Some(&b'#') {
        return Vec::new();
    }
    let starts: Vec<usize> = line_starts(data).into_iter().filter(|&s| s < end).collect();
    let floor = end.saturating_sub(LOOK_BACK as usize);
    let Some(&at) = starts
        .iter()
        .rev()
        .find(|&&s| from_line(&data[..end], s).starts_with(FIELDS) && s >= floor)
    else {
        return Vec::new();
    };
    let max = MAX_HEADER_LINE as usize;
    let window = &data[at..end.min(at + max)];
    let Some(nl) = window.iter().position(|&c| c == b'\n') else {
        return Vec::new();
    };
    let line = &window[..=nl];
    // `#` lines right before it, each starting inside the window of one
    // header line's length before it (or at the file's start).
    let from = at.saturating_sub(max);
    let mut start = at;
    for &s in starts.iter().rev().filter(|&&s| s < at) {
        let inside = s > from || (s == from && from == 0);
        if !inside || from_line(data, s).first() != Some(&b'#') {
            break;
        }
        start = s;
    }
    [&data[start..at], line].concat()
}

fuzz_target!(|input: &[u8]| {
    let [pad_kib, pad_at, end_pick, data @ ..] = input else {
        return;
    };
    // The data, with whole data lines inserted at a line start.
    let starts = line_starts(data);
    let cut = starts
        .get(*pad_at as usize % starts.len().max(1))
        .copied()
        .unwrap_or(0);
    let pad_len = *pad_kib as usize * 1024;
    let mut bytes = Vec::with_capacity(data.len() + pad_len + PAD.len());
    bytes.extend_from_slice(&data[..cut]);
    while bytes.len() < cut + pad_len {
        bytes.extend_from_slice(PAD);
    }
    bytes.extend_from_slice(&data[cut..]);
    // Following starts at a line start (or the end when it is one).
    let ends = line_starts(&bytes);
    let end = ends
        .get(*end_pick as usize % ends.len().max(1))
        .copied()
        .unwrap_or(0);

    let f = scratch();
    f.set_len(0).expect("truncate the scratch file");
    f.write_all_at(&bytes, 0).expect("write the scratch file");
    let got = header_before(f, end as u64);
    assert_eq!(
        got,
        reference(&bytes, end),
        "look-back at {end} of {} bytes",
        bytes.len()
    );

    // Every line of it is a directive; the last, a `#Fields:` line the W3C
    // parser takes as the header of the lines after it.
    if got.is_empty() {
        return;
    }
    assert!(got.ends_with(b"\n"), "a header block ends with its newline");
    let spec = FormatSpec::parse("w3c").expect("the w3c preset parses");
    let format = Format::compile(&spec, &[]).expect("the w3c preset compiles");
    let lines: Vec<&[u8]> = got[..got.len() - 1].split(|&c| c == b'\n').collect();
    for (i, line) in lines.iter().enumerate() {
        // The block's first line may be the file's, after a byte order mark.
        let bare = if i == 0 { from_line(line, 0) } else { line };
        assert_eq!(bare.first(), Some(&b'#'), "a non-directive line {line:?}");
        let h = format.header(line);
        if i + 1 == lines.len() {
            assert!(
                matches!(h, Some(Header::Fields(_))),
                "the block's last line is not a #Fields: header: {line:?}"
            );
        } else {
            assert!(
                h.is_some(),
                "a directive the parser does not take: {line:?}"
            );
        }
    }
});
