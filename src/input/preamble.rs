//! The header a file's lines were written under, when following starts
//! at its end: a W3C extended log (IIS, CloudFront, any `#Fields:` file)
//! names its columns only in a `#Fields:` line, written at the file's start
//! and again after each restart, so the lines after the end a follower
//! starts from cannot be parsed (nor detected) without the last such line
//! before it. This is the one thing the input layer knows of a format: it
//! finds that header block and sends it (`InputEvent::Preamble`); the
//! engine decides what it means and counts none of it.
//!
//! Bounded: only a file whose first byte is `#` (every W3C log starts with
//! a directive) is looked back into, and by at most [`LOOK_BACK`] bytes
//! before the start, read backwards in [`CHUNK`]s; a header further back
//! is not found, and the lines are detected from themselves as before.

use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::format::scan;
use crate::format::w3c::FIELDS;

/// How far before the start a `#Fields:` line is looked for.
pub const LOOK_BACK: u64 = 4 << 20;

/// Bytes read per step backwards.
const CHUNK: u64 = 64 << 10;

/// The longest header line taken (a `#Fields:` line names a few dozen
/// columns); a longer one is not a header this finds.
pub const MAX_HEADER_LINE: u64 = 16 << 10;

/// The header block in force at `end` (a line start) of `file`: the last
/// `#Fields:` line before it and the directive lines (`#…`) just before
/// that one (`#Software:` says who wrote it), each ending in `\n`. Empty
/// when the file does not start with `#`, none is found within
/// [`LOOK_BACK`], or it cannot be read.
pub fn header_before(file: &File, end: u64) -> Vec<u8> {
    // A byte order mark may come first (`scan::without_bom`).
    let mut first = [0u8; 4];
    let n = file.read_at(&mut first, 0).unwrap_or(0);
    let start = scan::without_bom(&first[..n]);
    if end == 0 || start.first() != Some(&b'#') {
        return Vec::new();
    }
    let Some(at) = last_fields_line(file, end) else {
        return Vec::new();
    };
    // The `#Fields:` line itself, whole (it ends before `end`).
    let mut line = vec![0u8; (end - at).min(MAX_HEADER_LINE) as usize];
    if file.read_exact_at(&mut line, at).is_err() {
        return Vec::new();
    }
    let Some(nl) = memchr::memchr(b'\n', &line) else {
        return Vec::new();
    };
    line.truncate(nl + 1);
    // The directive lines right before it, in the bytes before it.
    let from = at.saturating_sub(MAX_HEADER_LINE);
    let mut before = vec![0u8; (at - from) as usize];
    if file.read_exact_at(&mut before, from).is_err() {
        return line;
    }
    let mut start = before.len();
    // `before` ends with the `\n` before the `#Fields:` line; walk back a
    // whole line at a time while it is a directive.
    while start > 0 {
        let line_start = memchr::memrchr(b'\n', &before[..start - 1]).map(|i| i + 1);
        let ls = match line_start {
            Some(i) => i,
            // The first line of the window: whole only at the file's start.
            None if from == 0 => 0,
            None => break,
        };
        // A byte order mark only where one is written: at the file's
        // start.
        let first = match from + ls as u64 {
            0 => scan::without_bom(&before[ls..]).first(),
            _ => before.get(ls),
        };
        if first != Some(&b'#') {
            break;
        }
        start = ls;
    }
    let mut out = before[start..].to_vec();
    out.extend_from_slice(&line);
    out
}

/// Where the last line starting with `#Fields:` before `end` starts.
fn last_fields_line(file: &File, end: u64) -> Option<u64> {
    let pat: Vec<u8> = [&b"\n"[..], FIELDS].concat();
    let floor = end.saturating_sub(LOOK_BACK);
    let mut hi = end;
    let mut buf = Vec::new();
    while hi > floor {
        let lo = hi.saturating_sub(CHUNK).max(floor);
        // Overlapping the chunk after by the pattern's length, so a match
        // across the boundary is found; one byte before, so a line starting
        // at `lo` is seen with its `\n`.
        let from = lo.saturating_sub(1);
        let to = (hi + pat.len() as u64).min(end);
        buf.resize((to - from) as usize, 0);
        file.read_exact_at(&mut buf, from).ok()?;
        if let Some(i) = memchr::memmem::rfind(&buf, &pat) {
            return Some(from + i as u64 + 1);
        }
        if from == 0 && scan::without_bom(&buf).starts_with(FIELDS) {
            return Some(0);
        }
        hi = lo;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(data: &[u8]) -> (tempfile::NamedTempFile, File) {
        let mut t = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut t, data).unwrap();
        let f = File::open(t.path()).unwrap();
        (t, f)
    }

    const HEAD1: &str = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2024-03-10 00:00:00\n#Fields: date time cs-method cs-uri-stem sc-status time-taken\n";
    const HEAD2: &str = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2024-03-10 06:00:00\n#Fields: date time cs-method cs-uri-stem cs-uri-query sc-status sc-bytes time-taken\n";

    fn data(n: usize, cols: usize) -> String {
        (0..n)
            .map(|i| {
                let extra = if cols == 8 { " - 10" } else { "" };
                format!("2024-03-10 00:00:00 GET /a/{i}{extra} 200 5\n")
            })
            .collect()
    }

    /// The last header block before the start is the one in force: a
    /// restart's new `#Fields:` replaces the file's first; lines after the
    /// start are not looked at.
    #[test]
    fn the_last_header_block_before_the_start_is_found_whole() {
        let before = format!("{HEAD1}{}{HEAD2}{}", data(100, 6), data(50, 8));
        let text = format!("{before}{HEAD1}{}", data(3, 6));
        let (_t, f) = file(text.as_bytes());
        assert_eq!(header_before(&f, before.len() as u64), HEAD2.as_bytes());
        assert_eq!(header_before(&f, text.len() as u64), HEAD1.as_bytes());
        // Right after the header itself, and at the file's start.
        assert_eq!(header_before(&f, HEAD1.len() as u64), HEAD1.as_bytes());
        assert_eq!(header_before(&f, 0), b"");
    }

    /// A file that starts with a byte order mark (IIS logs saved by
    /// Windows tools): its first header block is found whole, the mark
    /// kept (the format's `header` reads past it), and so is a header
    /// that is the file's first line.
    #[test]
    fn a_header_after_a_byte_order_mark_is_found() {
        let text = format!("\u{feff}{HEAD1}{}", data(3, 6));
        let (_t, f) = file(text.as_bytes());
        let want = format!("\u{feff}{HEAD1}");
        assert_eq!(header_before(&f, text.len() as u64), want.as_bytes());
        let fields = HEAD1.lines().last().unwrap();
        let text = format!("\u{feff}{fields}\n{}", data(3, 6));
        let (_t, f) = file(text.as_bytes());
        let want = format!("\u{feff}{fields}\n");
        assert_eq!(header_before(&f, text.len() as u64), want.as_bytes());
        // Within the file (one appended to another), a line with a mark is
        // not a directive: the block starts after it.
        let text = format!("{HEAD1}{}\u{feff}{HEAD2}{}", data(3, 6), data(3, 8));
        let (_t, f) = file(text.as_bytes());
        let after_software = &HEAD2[HEAD2.find('\n').unwrap() + 1..];
        assert_eq!(
            header_before(&f, text.len() as u64),
            after_software.as_bytes()
        );
    }

    /// A header further back than many chunks is found; one beyond
    /// `LOOK_BACK` is not; a file not starting with `#` is not looked into.
    #[test]
    fn the_search_reaches_look_back_and_no_further() {
        let line = "2024-03-10 00:00:00 GET /a 200 5\n";
        let within = (LOOK_BACK as usize - HEAD1.len()) / line.len();
        let text = format!("{HEAD1}{}", line.repeat(within));
        let (_t, f) = file(text.as_bytes());
        assert_eq!(header_before(&f, text.len() as u64), HEAD1.as_bytes());
        // Lines alone longer than LOOK_BACK: the header starts before it.
        let beyond = LOOK_BACK as usize / line.len() + 1;
        let text = format!("{HEAD1}{}", line.repeat(beyond));
        let (_t, f) = file(text.as_bytes());
        assert_eq!(header_before(&f, text.len() as u64), b"");
        let text = format!("x\n{HEAD1}{}", data(3, 6));
        let (_t, f) = file(text.as_bytes());
        assert_eq!(header_before(&f, text.len() as u64), b"");
    }

    /// The `\n#Fields:` of a header line split across two chunks is found.
    #[test]
    fn a_header_across_a_chunk_boundary_is_found() {
        for shift in 0..12u64 {
            let pad_len = (CHUNK * 2 - shift) as usize;
            let mut text = String::from("#Version: 1.0\n");
            while text.len() + 40 < pad_len {
                text.push_str("2024-03-10 00:00:00 GET /pad 200 5\n");
            }
            text.push_str(&"#".repeat(pad_len - text.len() - 1));
            text.push('\n');
            let head = "#Fields: date time cs-method cs-uri-stem sc-status time-taken\n";
            text.push_str(head);
            text.push_str(&data(2000, 6));
            let (_t, f) = file(text.as_bytes());
            // The `#…` padding line is a directive line too.
            let got = header_before(&f, text.len() as u64);
            assert!(got.ends_with(head.as_bytes()), "shift {shift}");
            assert!(got.starts_with(b"###"), "shift {shift}");
        }
    }
}
