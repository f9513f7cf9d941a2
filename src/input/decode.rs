//! What a file's first bytes say it is — text, a compressed stream, or
//! binary — and a reader that yields its text.
//!
//! A file is recognised by its magic bytes, never by its name: a `.gz` that
//! holds text is read as text, and a gzip stream named `access.log` is
//! decompressed. Recognised: gzip (`1f 8b`, every member of a concatenated
//! file), zstd (`28 b5 2f fd`, every frame), bzip2 (`BZh1`…`BZh9`, every
//! stream) and xz (`fd 37 7a 58 5a 00`, every stream). Decoders, chosen for
//! speed: flate2 with the zlib-rs backend (already used for `/metrics`),
//! the C libzstd, libbz2-rs-sys (a pure-Rust libbzip2) and the C liblzma.
//!
//! Anything else whose first [`SNIFF`] bytes are mostly text is text. A file
//! with more than one in [`BINARY_SHARE`] of those bytes a control byte that
//! text does not use (NUL, and the C0 controls other than tab, newline,
//! vertical tab, form feed, carriage return and escape) is binary: an image,
//! an executable, an unknown compression. Random bytes hold ~11 % such
//! bytes, text none; a text log with a few bad bytes (a crash's NULs, a
//! stray control character) stays well below the 5 % line. Bytes ≥ 0x80
//! are not counted: UTF-8 and Latin-1 logs are text.
//!
//! A damaged stream (truncated, corrupt) reads to the damage and then
//! fails with an error that names the compression; what was decoded before
//! it is read as usual.

use std::fs::File;
use std::io::{self, BufReader, Read};

/// Bytes looked at to tell text from binary.
pub const SNIFF: usize = 4096;

/// A file is binary when more than one in this many of its first bytes are
/// control bytes that text does not use.
pub const BINARY_SHARE: usize = 20;

/// What a file's first bytes say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
    Binary,
}

impl Kind {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Gzip => "gzip",
            Kind::Zstd => "zstd",
            Kind::Bzip2 => "bzip2",
            Kind::Xz => "xz",
            Kind::Binary => "binary",
        }
    }

    pub fn is_compressed(self) -> bool {
        !matches!(self, Kind::Text | Kind::Binary)
    }
}

/// What `head`, a file's first bytes (up to [`SNIFF`], fewer only for a
/// shorter file), says the file is.
pub fn sniff(head: &[u8]) -> Kind {
    const XZ: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0];
    if head.starts_with(&[0x1f, 0x8b]) {
        return Kind::Gzip;
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Kind::Zstd;
    }
    if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
        return Kind::Bzip2;
    }
    if head.starts_with(XZ) {
        return Kind::Xz;
    }
    let head = &head[..head.len().min(SNIFF)];
    let odd = head.iter().filter(|&&b| not_text(b)).count();
    if odd * BINARY_SHARE > head.len() {
        Kind::Binary
    } else {
        Kind::Text
    }
}

/// A byte text does not hold: NUL and the C0 controls other than
/// `\t \n \v \f \r` and ESC (colour codes in some logs), and DEL.
fn not_text(b: u8) -> bool {
    matches!(b, 0..=8 | 0x0e..=0x1a | 0x1c..=0x1f | 0x7f)
}

/// Whether `head`, the first bytes of a stream, could still begin a
/// compressed stream's magic bytes: a live pipe (`tail -f | routetop`) is
/// read only until this is false, never held for [`SNIFF`] bytes.
pub fn needs_more(head: &[u8]) -> bool {
    const MAGICS: &[&[u8]] = &[
        &[0x1f, 0x8b],
        &[0x28, 0xb5, 0x2f, 0xfd],
        b"BZh1",
        &[0xfd, b'7', b'z', b'X', b'Z', 0],
    ];
    MAGICS
        .iter()
        .any(|m| head.len() < m.len() && m.starts_with(head))
}

/// The first bytes of a live stream: read until [`needs_more`] is false
/// or the stream ends, then as much as that last read gave.
pub fn read_stream_head(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = vec![0u8; SNIFF];
    let mut n = 0;
    while n == 0 || needs_more(&head[..n]) {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(n);
    Ok(head)
}

/// The first bytes of `r` (up to [`SNIFF`]; fewer only at its end).
pub fn read_head(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = vec![0u8; SNIFF];
    let mut n = 0;
    while n < SNIFF {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(n);
    Ok(head)
}

/// The text of a file of kind `kind` whose first bytes, `head`, were read
/// already: `head` then the rest of `file`, decompressed when `kind` says
/// so. `None` for a binary file.
pub fn text_reader<R: Read + Send + 'static>(
    kind: Kind,
    head: Vec<u8>,
    file: R,
) -> Option<Box<dyn Read + Send>> {
    let raw = io::Cursor::new(head).chain(file);
    // Decoders read in small pieces: a large buffer keeps the system calls
    // few.
    let buffered = |raw| BufReader::with_capacity(1 << 16, raw);
    Some(match kind {
        Kind::Text => Box::new(raw),
        Kind::Gzip => Box::new(Named {
            kind,
            r: flate2::bufread::MultiGzDecoder::new(buffered(raw)),
        }),
        Kind::Zstd => match zstd::stream::read::Decoder::with_buffer(buffered(raw)) {
            Ok(d) => Box::new(Named { kind, r: d }),
            Err(e) => Box::new(Failed(Some(e))),
        },
        Kind::Bzip2 => Box::new(Named {
            kind,
            r: bzip2::bufread::MultiBzDecoder::new(buffered(raw)),
        }),
        Kind::Xz => Box::new(Named {
            kind,
            r: liblzma::bufread::XzDecoder::new_multi_decoder(buffered(raw)),
        }),
        Kind::Binary => return None,
    })
}

/// The most a decoder is asked for at once. A decoder that fails returns
/// none of what it decoded in the same call (libzstd does so), so it is
/// asked for one zstd block's worth at a time: what it decoded before a
/// damaged block has been returned already.
pub const PIECE: usize = 128 << 10;

/// A decoder whose errors say which compression failed, and that a stream
/// ending early is a truncated file rather than a bare "unexpected end";
/// read in [`PIECE`]s.
struct Named<R> {
    kind: Kind,
    r: R,
}

impl<R: Read> Read for Named<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(PIECE);
        self.r.read(&mut buf[..n]).map_err(|e| {
            let what = match e.kind() {
                io::ErrorKind::UnexpectedEof => "truncated".to_string(),
                _ => format!("corrupt: {e}"),
            };
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} stream {what}", self.kind.name()),
            )
        })
    }
}

/// A decoder that could not be made: its error, once.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// Opens `file` as [`sniff`] says: its kind, and the reader of its text
/// (`None` when binary).
pub fn open(mut file: File) -> io::Result<(Kind, Option<Box<dyn Read + Send>>)> {
    let head = read_head(&mut file)?;
    let kind = sniff(&head);
    Ok((kind, text_reader(kind, head, file)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A pipe that gives `chunks`, one per read, and fails the test when
    /// read past them (a live pipe would block there).
    struct Pipe(Vec<Vec<u8>>);

    impl Read for Pipe {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            assert!(!self.0.is_empty(), "read past what the writer wrote");
            let c = self.0.remove(0);
            buf[..c.len()].copy_from_slice(&c);
            Ok(c.len())
        }
    }

    /// Stdin followed live: its first line is not held back for SNIFF
    /// bytes; bytes that may begin a magic are read on until they decide.
    #[test]
    fn a_live_pipe_is_read_only_until_its_first_bytes_decide() {
        let line = b"10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n";
        let head = read_stream_head(&mut Pipe(vec![line.to_vec()])).unwrap();
        assert_eq!((head.as_slice(), sniff(&head)), (&line[..], Kind::Text));
        // A gzip magic split over two reads, then more than it needs.
        let gz = vec![vec![0x1f], vec![0x8b, 8, 0]];
        let head = read_stream_head(&mut Pipe(gz)).unwrap();
        assert_eq!(
            (head.as_slice(), sniff(&head)),
            (&[0x1f, 0x8b, 8, 0][..], Kind::Gzip)
        );
        let head = read_stream_head(&mut Pipe(vec![b"BZ".to_vec(), b"h9x".to_vec()])).unwrap();
        assert_eq!(sniff(&head), Kind::Bzip2);
        // `B` then not a magic: text, decided without another read.
        let head = read_stream_head(&mut Pipe(vec![b"B".to_vec(), b"ad".to_vec()])).unwrap();
        assert_eq!((head.as_slice(), sniff(&head)), (&b"Bad"[..], Kind::Text));
        assert!(!needs_more(b"Bx"));
        assert!(needs_more(b"BZ") && needs_more(b""));
        // The stream ends before deciding: what there is.
        let head = read_stream_head(&mut Pipe(vec![vec![0x28], vec![]])).unwrap();
        assert_eq!(head, [0x28]);
    }

    fn text() -> Vec<u8> {
        let mut t = Vec::new();
        for i in 0..5000 {
            writeln!(
                t,
                "10.0.0.1 - - [10/Mar/2024:00:00:00 +0000] \"GET /a/{i} HTTP/1.1\" 200 {i}"
            )
            .unwrap();
        }
        t
    }

    fn compress(kind: Kind, data: &[u8]) -> Vec<u8> {
        match kind {
            Kind::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Kind::Zstd => zstd::encode_all(data, 1).unwrap(),
            Kind::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Kind::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Kind::Text | Kind::Binary => data.to_vec(),
        }
    }

    fn decode(bytes: &[u8]) -> (Kind, io::Result<Vec<u8>>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, bytes).unwrap();
        let (kind, r) = open(File::open(&p).unwrap()).unwrap();
        let mut out = Vec::new();
        let res = match r {
            Some(mut r) => r.read_to_end(&mut out).map(|_| out),
            None => Ok(Vec::new()),
        };
        (kind, res)
    }

    const COMPRESSED: [Kind; 4] = [Kind::Gzip, Kind::Zstd, Kind::Bzip2, Kind::Xz];

    #[test]
    fn every_compression_is_recognised_and_decoded_whole() {
        let t = text();
        for kind in COMPRESSED {
            let (got, out) = decode(&compress(kind, &t));
            assert_eq!(got, kind);
            assert!(out.unwrap() == t, "{kind:?}");
        }
    }

    #[test]
    fn concatenated_streams_are_read_whole() {
        // `cat a.gz b.gz > c.gz`, pbzip2, `zstd` of several frames, `xz`
        // of several streams: all the members, in order.
        let t = text();
        let (a, b) = t.split_at(t.len() / 3);
        for kind in COMPRESSED {
            let mut both = compress(kind, a);
            both.extend(compress(kind, b));
            let (got, out) = decode(&both);
            assert_eq!(got, kind);
            assert!(out.unwrap() == t, "{kind:?}");
        }
    }

    #[test]
    fn a_truncated_stream_reads_to_the_damage_then_fails_naming_it() {
        let t = text();
        for kind in COMPRESSED {
            let full = compress(kind, &t);
            let cut = &full[..full.len() * 2 / 3];
            let (got, out) = decode(cut);
            assert_eq!(got, kind);
            let err = out.unwrap_err().to_string();
            assert_eq!(err, format!("{} stream truncated", kind.name()), "{kind:?}");
        }
    }

    #[test]
    fn a_text_log_with_a_few_bad_bytes_is_text() {
        let mut t = text();
        for i in 0..100 {
            t[i * 40] = 0;
        }
        assert_eq!(sniff(&t), Kind::Text);
        assert_eq!(sniff(b""), Kind::Text);
        assert_eq!(sniff(b"GET / 200\n"), Kind::Text);
    }

    #[test]
    fn binary_is_a_share_of_control_bytes_over_one_in_twenty() {
        // 4096 bytes: 204 odd ones are text, 205 binary.
        let mut b = vec![b'a'; SNIFF];
        for i in 0..204 {
            b[i * 20] = 1;
        }
        assert_eq!(sniff(&b), Kind::Text);
        b[4095] = 0x7f;
        assert_eq!(sniff(&b), Kind::Binary);
        // Pseudo-random bytes (an unknown compression, an image).
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let rnd: Vec<u8> = (0..SNIFF)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        assert_eq!(sniff(&rnd), Kind::Binary);
        // A magic number needs its whole signature.
        assert_eq!(sniff(b"BZh0 is not bzip2\n"), Kind::Text);
        assert_eq!(sniff(b"BZh"), Kind::Text);
    }
}
