//! Seeded, portable random numbers for descent.
//!
//! Every random draw in descent comes from an [`Rng`] seeded from a trial's seed, never from
//! the operating system or thread-local state. The generator is ChaCha8 (`rand_chacha`), whose
//! output stream is specified bit for bit and identical on every platform; the conversions to
//! floats below are written out here so that they cannot change under a dependency update.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// A seeded ChaCha8 generator with the few distributions descent needs.
#[derive(Clone, Debug)]
pub struct Rng {
    inner: ChaCha8Rng,
}

impl Rng {
    /// A generator seeded with `seed` (stream 0).
    pub fn seed_from(seed: u64) -> Self {
        Self {
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// An independent generator for sub-stream `stream` of `seed`: the same `(seed, stream)`
    /// always yields the same sequence, and different streams never overlap in practice
    /// (ChaCha's 64-bit stream id selects a disjoint key-stream).
    pub fn derive(seed: u64, stream: u64) -> Self {
        let mut inner = ChaCha8Rng::seed_from_u64(seed);
        inner.set_stream(stream);
        Self { inner }
    }

    /// A uniformly random `u32`.
    pub fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    /// A uniformly random `u64`.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform on `[0, 1)` with 24 random mantissa bits: `u = (x >> 8) * 2^-24`.
    pub fn uniform_f32(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// Uniform on `[0, 1)` with 53 random mantissa bits: `u = (x >> 11) * 2^-53`.
    pub fn uniform_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on `[low, high)`: `low + (high - low) * u`.
    pub fn uniform_range(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.uniform_f32()
    }

    /// Standard normal by the Box–Muller transform, computed in f64:
    /// `z = sqrt(-2 ln(1 - u1)) * cos(2 pi u2)` with `u1, u2 ~ U[0, 1)`.
    pub fn normal_f32(&mut self) -> f32 {
        let u1 = self.uniform_f64();
        let u2 = self.uniform_f64();
        ((-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }

    /// Normal with mean `mean` and standard deviation `std`.
    pub fn normal(&mut self, mean: f32, std: f32) -> f32 {
        mean + std * self.normal_f32()
    }

    /// Uniform integer in `0..n` without modulo bias (Lemire's multiply-and-reject).
    ///
    /// # Panics
    /// If `n == 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        let threshold = n.wrapping_neg() % n;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(n);
            if (product as u64) >= threshold {
                return (product >> 64) as u64;
            }
        }
    }

    /// Fisher–Yates shuffle of `items` in place.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::derive(7, 3);
        let mut b = Rng::derive(7, 3);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut c = Rng::derive(7, 4);
        assert_ne!(Rng::derive(7, 3).next_u64(), c.next_u64());
    }

    #[test]
    fn uniform_moments() {
        let mut rng = Rng::seed_from(1);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| f64::from(rng.uniform_f32())).collect();
        assert!(draws.iter().all(|&u| (0.0..1.0).contains(&u)));
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|u| (u - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.005, "mean {mean}");
        assert!((var - 1.0 / 12.0).abs() < 0.002, "var {var}");
    }

    #[test]
    fn normal_moments() {
        let mut rng = Rng::seed_from(2);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| f64::from(rng.normal_f32())).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "var {var}");
    }

    #[test]
    fn below_is_unbiased_and_in_range() {
        let mut rng = Rng::seed_from(3);
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[rng.below(6) as usize] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn shuffle_is_a_permutation_and_seeded() {
        let mut v: Vec<u32> = (0..100).collect();
        Rng::seed_from(4).shuffle(&mut v);
        let mut w: Vec<u32> = (0..100).collect();
        Rng::seed_from(4).shuffle(&mut w);
        assert_eq!(v, w);
        assert_ne!(v, (0..100).collect::<Vec<_>>());
        v.sort_unstable();
        assert_eq!(v, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn known_first_draws() {
        // Pins the stream: a change of generator or conversion breaks every seed reproduction.
        let mut rng = Rng::seed_from(0);
        let first = [rng.next_u64(), rng.next_u64()];
        assert_eq!(first, [13080132717333068652, 8594738769458413623]);
        let mut u = Rng::seed_from(0);
        assert_eq!(
            u.uniform_f32(),
            (13080132717333068652u64 as u32 >> 8) as f32 / 16_777_216.0
        );
    }
}
