//! 16 bytes compared at once: the byte classes of request paths.
//!
//! [`Bytes16`] holds 16 bytes; comparing them gives [`Lanes16`], one lane
//! per byte, and [`Lanes16::bits`] turns that into a 16-bit mask (bit `i`
//! for byte `i`). On x86_64 each operation is one SSE2 instruction (SSE2 is
//! part of the baseline, so no runtime check); elsewhere the [`scalar`]
//! versions run. [`scalar`] is also the reference the SSE2 versions are
//! tested against, on every byte value in every lane.

#[cfg(target_arch = "x86_64")]
pub use sse2::{Bytes16, Lanes16};

#[cfg(not(target_arch = "x86_64"))]
pub use scalar::{Bytes16, Lanes16};

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    // Every `unsafe` block below calls an SSE2 intrinsic. SSE2 is part of
    // the x86_64 baseline, so each is available on every CPU this code
    // runs on; only `load` reads memory (see there).

    /// 16 bytes in a register.
    #[derive(Clone, Copy)]
    pub struct Bytes16(__m128i);

    /// One lane per byte, all ones where a comparison held.
    #[derive(Clone, Copy)]
    pub struct Lanes16(__m128i);

    #[inline(always)]
    fn splat(b: u8) -> __m128i {
        // SAFETY: SSE2 is baseline on x86_64; no memory is read.
        unsafe { _mm_set1_epi8(b as i8) }
    }

    impl Bytes16 {
        #[inline(always)]
        pub fn load(c: &[u8; 16]) -> Bytes16 {
            // SAFETY: SSE2 is baseline; the load reads exactly the 16 bytes
            // of `c`, and `loadu` has no alignment requirement.
            Bytes16(unsafe { _mm_loadu_si128(c.as_ptr().cast::<__m128i>()) })
        }

        /// Lanes whose byte is `b`.
        #[inline(always)]
        pub fn eq(self, b: u8) -> Lanes16 {
            // SAFETY: SSE2 is baseline; registers only.
            Lanes16(unsafe { _mm_cmpeq_epi8(self.0, splat(b)) })
        }

        /// Lanes with `lo <= byte <= hi`, for ASCII bounds with
        /// `1 <= lo <= hi <= 126`. Bytes ≥ 0x80 are negative as `i8`, so
        /// below every such bound: they fall in no range, as they should.
        #[inline(always)]
        pub fn within(self, lo: u8, hi: u8) -> Lanes16 {
            debug_assert!((1..=126).contains(&lo) && lo <= hi && hi <= 126);
            // SAFETY: SSE2 is baseline; registers only.
            Lanes16(unsafe {
                _mm_and_si128(
                    _mm_cmpgt_epi8(self.0, splat(lo - 1)),
                    _mm_cmpgt_epi8(splat(hi + 1), self.0),
                )
            })
        }

        /// Every byte with bit 5 set: ASCII letters in lower case (other
        /// bytes change too, so compare the result with letter ranges
        /// only).
        #[inline(always)]
        pub fn folded(self) -> Bytes16 {
            // SAFETY: SSE2 is baseline; registers only.
            Bytes16(unsafe { _mm_or_si128(self.0, splat(0x20)) })
        }
    }

    impl Lanes16 {
        /// One bit per lane, lane 0 in bit 0.
        #[inline(always)]
        pub fn bits(self) -> u64 {
            // SAFETY: SSE2 is baseline; registers only.
            unsafe { _mm_movemask_epi8(self.0) as u16 as u64 }
        }

        /// Lanes of `self` that are not in `other`.
        #[inline(always)]
        pub fn and_not(self, other: Lanes16) -> Lanes16 {
            // SAFETY: SSE2 is baseline; registers only.
            Lanes16(unsafe { _mm_andnot_si128(other.0, self.0) })
        }
    }

    impl std::ops::BitOr for Lanes16 {
        type Output = Lanes16;
        #[inline(always)]
        fn bitor(self, o: Lanes16) -> Lanes16 {
            // SAFETY: SSE2 is baseline; registers only.
            Lanes16(unsafe { _mm_or_si128(self.0, o.0) })
        }
    }
}

/// The same operations a byte at a time: the version on CPUs other than
/// x86_64, and the reference the SSE2 version is tested against.
pub mod scalar {
    /// 16 bytes.
    #[derive(Clone, Copy, Debug)]
    pub struct Bytes16([u8; 16]);

    /// One bit per byte, set where a comparison held.
    #[derive(Clone, Copy, Debug)]
    pub struct Lanes16(u16);

    impl Bytes16 {
        #[inline]
        pub fn load(c: &[u8; 16]) -> Bytes16 {
            Bytes16(*c)
        }

        #[inline]
        fn lanes(self, f: impl Fn(u8) -> bool) -> Lanes16 {
            Lanes16(
                self.0
                    .iter()
                    .enumerate()
                    .fold(0, |m, (i, &b)| m | (u16::from(f(b)) << i)),
            )
        }

        #[inline]
        pub fn eq(self, b: u8) -> Lanes16 {
            self.lanes(|x| x == b)
        }

        #[inline]
        pub fn within(self, lo: u8, hi: u8) -> Lanes16 {
            self.lanes(|x| (lo..=hi).contains(&x))
        }

        #[inline]
        pub fn folded(self) -> Bytes16 {
            Bytes16(self.0.map(|b| b | 0x20))
        }
    }

    impl Lanes16 {
        #[inline]
        pub fn bits(self) -> u64 {
            u64::from(self.0)
        }

        #[inline]
        pub fn and_not(self, other: Lanes16) -> Lanes16 {
            Lanes16(self.0 & !other.0)
        }
    }

    impl std::ops::BitOr for Lanes16 {
        type Output = Lanes16;
        #[inline]
        fn bitor(self, o: Lanes16) -> Lanes16 {
            Lanes16(self.0 | o.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Bytes16, scalar};

    /// 16 chunks that put every byte value in every lane.
    fn every_byte_in_every_lane() -> impl Iterator<Item = [u8; 16]> {
        (0..=255u8).map(|start| std::array::from_fn(|i| start.wrapping_add(i as u8 * 17)))
    }

    #[test]
    fn eq_matches_the_reference() {
        for c in every_byte_in_every_lane() {
            let (v, r) = (Bytes16::load(&c), scalar::Bytes16::load(&c));
            for b in 0..=255u8 {
                assert_eq!(v.eq(b).bits(), r.eq(b).bits(), "{c:?} == {b}");
                assert_eq!(
                    v.folded().eq(b).bits(),
                    r.folded().eq(b).bits(),
                    "{c:?} folded == {b}"
                );
            }
        }
    }

    #[test]
    fn within_matches_the_reference_for_every_ascii_range() {
        for c in every_byte_in_every_lane() {
            let (v, r) = (Bytes16::load(&c), scalar::Bytes16::load(&c));
            for lo in 1..=126u8 {
                for hi in lo..=126u8 {
                    assert_eq!(
                        v.within(lo, hi).bits(),
                        r.within(lo, hi).bits(),
                        "{c:?} in {lo}..={hi}"
                    );
                }
            }
        }
    }

    #[test]
    fn lane_logic_matches_the_reference() {
        for c in every_byte_in_every_lane() {
            let (v, r) = (Bytes16::load(&c), scalar::Bytes16::load(&c));
            for (a, b) in [(b'a', b'/'), (b'0', b'9'), (0, 255), (b'?', b'#')] {
                assert_eq!((v.eq(a) | v.eq(b)).bits(), (r.eq(a) | r.eq(b)).bits());
                assert_eq!(
                    v.eq(a).and_not(v.eq(b)).bits(),
                    r.eq(a).and_not(r.eq(b)).bits()
                );
                assert_eq!(
                    v.within(b'a', b'z').and_not(v.eq(a)).bits(),
                    r.within(b'a', b'z').and_not(r.eq(a)).bits()
                );
            }
        }
    }
}
