//! CPython 3.11's `random.Random`, reimplemented for the methods genlog uses.
//!
//! This module owns bit-exactness with Python: the generator's output is only
//! byte-identical to `genlog.py` if every draw consumes the same MT19937
//! words in the same order and every float is computed with the same
//! operations.  Each method below mirrors the CPython source it is named
//! after (`Modules/_randommodule.c` for seeding, `genrand_uint32`,
//! `random()` and `getrandbits()`; `Lib/random.py` for the rest), including
//! its quirks, such as `_randbelow` drawing `n.bit_length()` bits rather
//! than `(n - 1).bit_length()`.

/// MT19937 state size in 32-bit words.
const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// A `random.Random` instance: MT19937 state plus the Box-Muller cache that
/// `gauss()` keeps between calls (`gauss_next`).
#[derive(Clone)]
pub struct PyRandom {
    mt: [u32; N],
    index: usize,
    gauss_next: Option<f64>,
}

impl std::fmt::Debug for PyRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PyRandom")
            .field("index", &self.index)
            .field("gauss_next", &self.gauss_next)
            .finish_non_exhaustive()
    }
}

impl PyRandom {
    /// `random.Random(seed)` for an int seed: CPython seeds with the 32-bit
    /// little-endian words of `abs(seed)` (a single `0` word for zero), so
    /// `-5` and `5` give the same stream.
    pub fn new(seed: i128) -> Self {
        let mut mag = seed.unsigned_abs();
        let mut key = Vec::with_capacity(4);
        while mag != 0 {
            key.push(mag as u32);
            mag >>= 32;
        }
        if key.is_empty() {
            key.push(0);
        }
        Self::from_key(&key)
    }

    /// `init_by_array(key)`: the seeding routine behind [`PyRandom::new`],
    /// public so that streams which must never collide with a Python-seeded
    /// one can use a key no int seed produces.
    pub fn from_key(key: &[u32]) -> Self {
        let mut r = PyRandom {
            mt: [0; N],
            index: N,
            gauss_next: None,
        };
        r.init_genrand(19_650_218);
        let mt = &mut r.mt;
        let key_len = key.len().max(1);
        let mut i = 1usize;
        let mut j = 0usize;
        for _ in 0..N.max(key_len) {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            let k = key.get(j).copied().unwrap_or(0);
            mt[i] = (mt[i] ^ prev.wrapping_mul(1_664_525))
                .wrapping_add(k)
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key_len {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            mt[i] = (mt[i] ^ prev.wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        // Guarantees a non-zero initial state, as CPython does.
        mt[0] = 0x8000_0000;
        r.index = N;
        r
    }

    fn init_genrand(&mut self, s: u32) {
        self.mt[0] = s;
        for i in 1..N {
            let prev = self.mt[i - 1] ^ (self.mt[i - 1] >> 30);
            self.mt[i] = 1_812_433_253u32.wrapping_mul(prev).wrapping_add(i as u32);
        }
        self.index = N;
    }

    /// Regenerates the whole state block at once: cheaper per word than a
    /// rolling update, and the order of outputs is the same.
    fn twist(&mut self) {
        #[inline(always)]
        fn mix(upper: u32, lower: u32, far: u32) -> u32 {
            let y = (upper & UPPER_MASK) | (lower & LOWER_MASK);
            far ^ (y >> 1) ^ if y & 1 == 0 { 0 } else { MATRIX_A }
        }
        let mt = &mut self.mt;
        for kk in 0..N - M {
            mt[kk] = mix(mt[kk], mt[kk + 1], mt[kk + M]);
        }
        for kk in N - M..N - 1 {
            mt[kk] = mix(mt[kk], mt[kk + 1], mt[kk + M - N]);
        }
        mt[N - 1] = mix(mt[N - 1], mt[0], mt[M - 1]);
        self.index = 0;
    }

    /// `genrand_uint32`: the next tempered MT19937 output.
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    /// `random()`: 53 random bits (27 from one word, 26 from the next) as
    /// a float in [0, 1).
    #[inline]
    pub fn random(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `getrandbits(k)` for `k <= 64`.  Above 32 bits CPython fills words
    /// least significant first and drops the low bits of the last (most
    /// significant) word only; `k == 0` draws nothing.
    #[inline]
    pub fn getrandbits(&mut self, k: u32) -> u64 {
        assert!(k <= 64, "getrandbits: k = {k} is above the 64 supported");
        if k == 0 {
            return 0;
        }
        if k <= 32 {
            return u64::from(self.next_u32() >> (32 - k));
        }
        let low = u64::from(self.next_u32());
        let high = u64::from(self.next_u32() >> (64 - k));
        low | (high << 32)
    }

    /// `_randbelow_with_getrandbits(n)`: rejection sampling on
    /// `n.bit_length()` bits.  `n` must be positive.
    #[inline]
    pub fn randbelow(&mut self, n: u64) -> u64 {
        assert!(n > 0, "randbelow: empty range");
        let k = 64 - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `randrange(start, stop)` with the default step of 1.
    pub fn randrange(&mut self, start: i64, stop: i64) -> i64 {
        assert!(stop > start, "randrange: empty range ({start}, {stop})");
        let width = stop.abs_diff(start);
        start.wrapping_add(self.randbelow(width) as i64)
    }

    /// `choice(seq)`.
    pub fn choice<'a, T>(&mut self, seq: &'a [T]) -> &'a T {
        &seq[self.randbelow(seq.len() as u64) as usize]
    }

    /// `shuffle(x)`: Fisher-Yates from the end, as CPython walks
    /// `reversed(range(1, len(x)))`.
    pub fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            let j = self.randbelow(i as u64 + 1) as usize;
            x.swap(i, j);
        }
    }

    /// `uniform(a, b)`.
    #[inline]
    pub fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.random()
    }

    /// One draw of `choices(population, cum_weights=cum_weights, k=...)`:
    /// the index into the population.  `total` must be
    /// `cum_weights[-1] + 0.0`, hoisted out because Python computes it once
    /// per `choices` call.
    #[inline]
    pub fn choices_index(&mut self, cum_weights: &[f64], total: f64) -> usize {
        let x = self.random() * total;
        bisect_right(cum_weights, x, 0, cum_weights.len() - 1)
    }

    /// `gauss(mu, sigma)`: Box-Muller, returning one value of each pair and
    /// caching the other for the next call.
    #[inline]
    pub fn gauss(&mut self, mu: f64, sigma: f64) -> f64 {
        let z = match self.gauss_next.take() {
            Some(z) => z,
            None => {
                let x2pi = self.random() * std::f64::consts::TAU;
                let g2rad = (-2.0 * (1.0 - self.random()).ln()).sqrt();
                self.gauss_next = Some(x2pi.sin() * g2rad);
                x2pi.cos() * g2rad
            }
        };
        mu + z * sigma
    }

    /// `expovariate(lambd)`.
    #[inline]
    pub fn expovariate(&mut self, lambd: f64) -> f64 {
        -(1.0 - self.random()).ln() / lambd
    }
}

/// `bisect.bisect_right(a, x, lo, hi)`.
#[inline]
pub fn bisect_right(a: &[f64], x: f64, mut lo: usize, mut hi: usize) -> usize {
    while lo < hi {
        let mid = (lo + hi) / 2;
        if x < a[mid] {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// `itertools.accumulate` of the weights, as genlog's `cum()`: a running
/// float sum in order, so the rounding matches Python's.
pub fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut c = 0.0;
    weights
        .into_iter()
        .map(|w| {
            c += w;
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bisect_right_matches_python_on_ties() {
        let a = [1.0, 3.0, 3.0, 6.0];
        assert_eq!(bisect_right(&a, 0.5, 0, 3), 0);
        assert_eq!(bisect_right(&a, 1.0, 0, 3), 1);
        assert_eq!(bisect_right(&a, 3.0, 0, 3), 3);
        // hi caps the answer at n - 1 even above the last weight.
        assert_eq!(bisect_right(&a, 9.0, 0, 3), 3);
    }

    #[test]
    fn getrandbits_zero_draws_nothing() {
        let mut a = PyRandom::new(3);
        let mut b = PyRandom::new(3);
        assert_eq!(a.getrandbits(0), 0);
        assert_eq!(a.next_u32(), b.next_u32());
    }
}
