//! The structural index of a block of log text: for every 64 bytes, one
//! bit mask each of the newlines, the quotes and backslashes, and the
//! spaces (see `format/scan.rs` for how the parser uses it).
//!
//! [`index`] uses AVX2 when the CPU has it (checked at run time, once per
//! block), else SSE2 (x86_64 baseline), else [`index_scalar`], which is
//! also the reference the others are tested against on every byte value
//! at every position of a word.

/// The marks of 64 bytes: bit `i` is set when byte `i` is of that kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineMarks {
    pub newline: u64,
    /// `"` or `\`.
    pub quote: u64,
    pub space: u64,
}

/// Replaces `out` with the marks of `data`, one [`LineMarks`] per 64 bytes
/// (the last one zero-padded: padding marks nothing).
pub fn index(data: &[u8], out: &mut Vec<LineMarks>) {
    out.clear();
    out.reserve(data.len().div_ceil(64));
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            unsafe { index_avx2(data, out) };
        } else {
            index_with(data, out, word_sse2);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    index_with(data, out, word_scalar);
}

/// [`index`] a byte at a time: the reference.
pub fn index_scalar(data: &[u8], out: &mut Vec<LineMarks>) {
    out.clear();
    index_with(data, out, word_scalar);
}

/// [`index`] compiled for AVX2, so that [`word_avx2`] is inlined into its
/// loop (a call per word cost more than the word itself).
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn index_avx2(data: &[u8], out: &mut Vec<LineMarks>) {
    // SAFETY: this function only runs on CPUs with AVX2, which is all
    // `word_avx2` requires.
    index_with(data, out, |c| unsafe { word_avx2(c) });
}

/// Appends the marks of `data` computed by `word`: always inlined, so that
/// it is compiled for the caller's target features.
#[inline(always)]
fn index_with(data: &[u8], out: &mut Vec<LineMarks>, word: impl Fn(&[u8; 64]) -> LineMarks) {
    let (chunks, rest) = data.as_chunks::<64>();
    out.extend(chunks.iter().map(&word));
    if !rest.is_empty() {
        let mut pad = [0u8; 64];
        pad[..rest.len()].copy_from_slice(rest);
        out.push(word(&pad));
    }
}

/// The marks of 64 bytes, 16 at a time.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn word_sse2(c: &[u8; 64]) -> LineMarks {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86_64 baseline, so these intrinsics are
    // available on every CPU this code runs on. Each load reads 16 bytes at
    // `c + 16 k` for k < 4, inside the 64-byte array; `loadu` has no
    // alignment requirement.
    unsafe {
        let (nl, q, bs, sp) = (
            _mm_set1_epi8(b'\n' as i8),
            _mm_set1_epi8(b'"' as i8),
            _mm_set1_epi8(b'\\' as i8),
            _mm_set1_epi8(b' ' as i8),
        );
        let mut out = LineMarks::default();
        for k in 0..4 {
            let v = _mm_loadu_si128(c.as_ptr().add(16 * k).cast::<__m128i>());
            let mask = |m| _mm_movemask_epi8(m) as u16 as u64;
            out.newline |= mask(_mm_cmpeq_epi8(v, nl)) << (16 * k);
            out.quote |=
                mask(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs))) << (16 * k);
            out.space |= mask(_mm_cmpeq_epi8(v, sp)) << (16 * k);
        }
        out
    }
}

/// The marks of 64 bytes, 32 at a time: half the instructions of SSE2
/// (indexing was ~5 % of a batch run's CPU with SSE2).
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn word_avx2(c: &[u8; 64]) -> LineMarks {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8,
    };
    let (nl, q, bs, sp) = (
        _mm256_set1_epi8(b'\n' as i8),
        _mm256_set1_epi8(b'"' as i8),
        _mm256_set1_epi8(b'\\' as i8),
        _mm256_set1_epi8(b' ' as i8),
    );
    let mut out = LineMarks::default();
    for k in 0..2 {
        // SAFETY: reads 32 bytes at `c + 32 k` for k < 2, inside the
        // 64-byte array; `loadu` has no alignment requirement.
        let v = unsafe { _mm256_loadu_si256(c.as_ptr().add(32 * k).cast::<__m256i>()) };
        let mask = |m| _mm256_movemask_epi8(m) as u32 as u64;
        out.newline |= mask(_mm256_cmpeq_epi8(v, nl)) << (32 * k);
        out.quote |= mask(_mm256_or_si256(
            _mm256_cmpeq_epi8(v, q),
            _mm256_cmpeq_epi8(v, bs),
        )) << (32 * k);
        out.space |= mask(_mm256_cmpeq_epi8(v, sp)) << (32 * k);
    }
    out
}

/// The marks of 64 bytes, a byte at a time.
fn word_scalar(c: &[u8; 64]) -> LineMarks {
    let mut out = LineMarks::default();
    for (i, &b) in c.iter().enumerate() {
        out.newline |= u64::from(b == b'\n') << i;
        out.quote |= u64::from(b == b'"' || b == b'\\') << i;
        out.space |= u64::from(b == b' ') << i;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value at every position of a word, in blocks that end
    /// at every offset of a word (so the padded tail is covered too).
    #[test]
    fn every_byte_at_every_position_matches_the_reference() {
        let data: Vec<u8> = (0..64 * 256 + 63)
            .map(|i| ((i / 64 + i * 7) % 256) as u8)
            .collect();
        for cut in [0, 1, 63, 64, 65, 64 * 256 - 1, data.len()] {
            let d = &data[..cut];
            let (mut got, mut want) = (Vec::new(), Vec::new());
            index(d, &mut got);
            index_scalar(d, &mut want);
            assert_eq!(got, want, "{cut} bytes");
            #[cfg(target_arch = "x86_64")]
            {
                let mut sse = Vec::new();
                index_with(d, &mut sse, word_sse2);
                assert_eq!(sse, want, "{cut} bytes, SSE2");
            }
        }
    }

    #[test]
    fn marks_what_it_says() {
        let mut m = Vec::new();
        index(b"a \"b\\\"\nc", &mut m);
        assert_eq!(
            m,
            [LineMarks {
                newline: 1 << 6,
                quote: 0b10_0100 | 1 << 4,
                space: 0b10,
            }]
        );
    }
}
