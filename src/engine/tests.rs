//! Engine tests: counts and percentiles through the real parse → route →
//! aggregate path.
