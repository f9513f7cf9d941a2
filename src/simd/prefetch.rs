//! A cache-line prefetch hint.
//!
//! There is no scalar reference to compare with: a prefetch has no result,
//! only a time. Its test shows that any address, even null or past the end
//! of an allocation, is safe to hint.

/// Hints the CPU to load `p`'s cache line into every cache level.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHh is only a hint: it never faults and never changes
    // memory, whatever the address (Intel SDM, "PREFETCHh"), so any pointer
    // is sound. SSE is part of the x86_64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::prefetch;

    #[test]
    fn any_address_is_safe_to_hint() {
        let v = [1u64, 2, 3];
        prefetch(v.as_ptr());
        prefetch(v.as_ptr().wrapping_add(1 << 20));
        prefetch(std::ptr::null::<u8>());
        prefetch(usize::MAX as *const u8);
        assert_eq!(v, [1, 2, 3]);
    }
}
