//! Content coding of expositions: which coding a scraper accepts
//! (`Accept-Encoding`), and gzip built from pieces compressed on their own.
//!
//! A 2 000-route exposition is ~12 MB of text that compresses ~10:1, and
//! Prometheus always asks for gzip. Each [`Piece`] is raw deflate ending on
//! a sync flush (byte-aligned, no final block) from a fresh compressor, so
//! it never refers back to bytes before it: pieces concatenate into one
//! valid deflate stream, closed by an empty final block, inside one gzip
//! member whose CRC is combined from the pieces'. That lets
//! [`super::RenderCache`] compress a snapshot's families once and, on a
//! scrape of the same snapshot, compress only the max gauge, which changes
//! per scrape.

use flate2::{Compress, CompressError, Compression, Crc, FlushCompress};

/// Compression level of every piece. On an exposition — long runs of
/// repeated label sets — zlib-rs' level 2 ("deflate_fast") compresses
/// ~25:1 at ~2 GB/s: about as fast as level 1 (static Huffman codes only,
/// a third larger output) and an order of magnitude faster than level 6
/// for a 15% smaller output. `benches/export.rs` has the figures.
pub const LEVEL: u32 = 2;

/// A content coding of the `/metrics` body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
}

impl Encoding {
    /// The `Content-Encoding` value, none for identity.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
        }
    }

    /// gzip when `Accept-Encoding` accepts it (`gzip`, `x-gzip` or `*`
    /// with a q-value above 0) at least as much as identity; identity
    /// otherwise, and when there is no header. Identity is what a client
    /// gets even when it refuses it (`identity;q=0`): answering something
    /// beats a 406 for an exporter.
    pub fn negotiate(accept_encoding: Option<&str>) -> Encoding {
        let Some(accept) = accept_encoding else {
            return Encoding::Identity;
        };
        let (mut gzip, mut identity, mut star) = (None::<f32>, None::<f32>, None::<f32>);
        for part in accept.split(',') {
            let mut params = part.split(';').map(str::trim);
            let coding = params.next().unwrap_or("");
            let mut q = 1.0f32;
            for p in params {
                if let Some((k, v)) = p.split_once('=')
                    && k.trim().eq_ignore_ascii_case("q")
                {
                    // A q-value that does not parse counts as 0: refused.
                    q = v
                        .trim()
                        .parse()
                        .ok()
                        .filter(|q: &f32| q.is_finite())
                        .unwrap_or(0.0);
                }
            }
            let slot =
                if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                    &mut gzip
                } else if coding.eq_ignore_ascii_case("identity") {
                    &mut identity
                } else if coding == "*" {
                    &mut star
                } else {
                    continue;
                };
            *slot = Some(slot.map_or(q, |s| s.max(q)));
        }
        // A coding not named takes `*`'s q-value; identity not named (and
        // no `*`) is acceptable but least preferred.
        let g = gzip.or(star).unwrap_or(0.0);
        let i = identity.or(star).unwrap_or(0.0);
        if g > 0.0 && g >= i {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }
}

/// Raw deflate of some bytes, ending byte-aligned on a sync flush, and the
/// CRC-32 and length of those bytes.
#[derive(Debug, Default)]
pub struct Piece {
    deflate: Vec<u8>,
    crc: Crc,
}

impl Piece {
    /// Compresses `data` with a fresh compressor (so the piece refers to
    /// nothing before it).
    pub fn new(data: &[u8]) -> Result<Piece, CompressError> {
        let mut c = Compress::new(Compression::new(LEVEL), false);
        let mut out = Vec::with_capacity(data.len() / 8 + 64);
        loop {
            if out.len() == out.capacity() {
                out.reserve(out.capacity().max(4096));
            }
            let done = c.total_in() as usize;
            c.compress_vec(&data[done..], &mut out, FlushCompress::Sync)?;
            // A sync flush is complete when all input is in and the
            // compressor stopped with room left in the output.
            if c.total_in() as usize == data.len() && out.len() < out.capacity() {
                break;
            }
        }
        let mut crc = Crc::new();
        crc.update(data);
        Ok(Piece { deflate: out, crc })
    }

    /// Compressed bytes.
    fn len(&self) -> usize {
        self.deflate.len()
    }
}

/// gzip header: magic, deflate, no flags, no mtime, no extra flags, OS
/// unknown (RFC 1952), as for a stream.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
/// An empty final block with fixed Huffman codes: ends the deflate stream.
const LAST_BLOCK: [u8; 2] = [0x03, 0x00];

/// One gzip member of `pieces` in order: what gunzip gives back is their
/// inputs concatenated.
pub fn member(pieces: &[&Piece]) -> Vec<u8> {
    let n: usize = pieces.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(n + HEADER.len() + LAST_BLOCK.len() + 8);
    out.extend_from_slice(&HEADER);
    let mut crc = Crc::new();
    for p in pieces {
        out.extend_from_slice(&p.deflate);
        crc.combine(&p.crc);
    }
    out.extend_from_slice(&LAST_BLOCK);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE is the length modulo 2^32 (RFC 1952).
    out.extend_from_slice(&crc.amount().to_le_bytes());
    out
}

/// `data` as one gzip member.
pub fn gzip(data: &[u8]) -> Result<Vec<u8>, CompressError> {
    Ok(member(&[&Piece::new(data)?]))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn gunzip(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        // `GzDecoder` reads one member: the pieces must make exactly one.
        flate2::read::GzDecoder::new(b)
            .read_to_end(&mut out)
            .expect("valid gzip");
        out
    }

    #[test]
    fn pieces_make_one_member_of_their_concatenation() {
        let a = b"http_requests_total{route=\"/a\"} 1\n".repeat(500);
        let b = b"".to_vec();
        let c = b"http_requests_total{route=\"/a\"} 2\n# EOF\n".repeat(3);
        let (pa, pb, pc) = (
            Piece::new(&a).unwrap(),
            Piece::new(&b).unwrap(),
            Piece::new(&c).unwrap(),
        );
        let gz = member(&[&pa, &pb, &pc]);
        assert_eq!(gunzip(&gz), [a.as_slice(), &b, &c].concat());
        // Every member is checked by its trailer: a flipped CRC byte fails.
        let mut bad = gz.clone();
        let at = bad.len() - 8;
        bad[at] ^= 1;
        let mut out = Vec::new();
        assert!(
            flate2::read::GzDecoder::new(bad.as_slice())
                .read_to_end(&mut out)
                .is_err()
        );
        assert!(pa.len() < a.len() / 20, "{} of {}", pa.len(), a.len());
    }

    #[test]
    fn empty_and_large_inputs_round_trip() {
        assert_eq!(gunzip(&gzip(b"").unwrap()), b"");
        // Larger than any first guess of the output's size, and not
        // compressible: the output grows as needed.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..300_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert_eq!(gunzip(&gzip(&noise).unwrap()), noise);
    }

    #[test]
    fn accept_encoding_negotiation() {
        use Encoding::{Gzip, Identity};
        for (accept, want) in [
            (None, Identity),
            (Some(""), Identity),
            // What Prometheus sends.
            (Some("gzip"), Gzip),
            (Some("GZIP"), Gzip),
            (Some("x-gzip"), Gzip),
            (Some("deflate, gzip;q=1.0, *;q=0.5"), Gzip),
            (Some("br, zstd"), Identity),
            (Some("*"), Gzip),
            (Some("gzip;q=0"), Identity),
            (Some("gzip; q=0.000"), Identity),
            (Some("*;q=0"), Identity),
            (Some("gzip;q=0, *"), Identity),
            (Some("*, gzip;q=0"), Identity),
            (Some("identity"), Identity),
            (Some("identity;q=0.5, gzip"), Gzip),
            (Some("identity, gzip;q=0.5"), Identity),
            (Some("gzip;q=0.5, identity;q=0.5"), Gzip),
            (Some("identity;q=0, *;q=0.1"), Gzip),
            (Some("gzip;q=bad"), Identity),
            (Some("gzip;q=NaN"), Identity),
        ] {
            assert_eq!(Encoding::negotiate(accept), want, "{accept:?}");
        }
    }
}
