//! CPU hints shared by the engine and the route table: loading a cache
//! line ahead of the code that will read it.

/// Hints the CPU to load `p`'s cache line.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint; it never faults or changes memory,
    // whatever the address (Intel SDM, PREFETCHh), and `p` comes from a
    // reference anyway. SSE is part of the x86_64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
