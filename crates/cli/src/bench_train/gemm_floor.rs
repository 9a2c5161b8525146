//! The GEMM floor of an MLP epoch: the epoch's GEMM FLOPs divided by descent's own GEMM speed on
//! the same shapes, measured in the same run.

use std::time::Instant;

use descent_kernels::{Mat, Op, Par, gemm};
use descent_rng::Rng;

/// One GEMM of a training step: `C[m x n] = op_a(A) op_b(B)` with inner dimension `k`.
#[derive(Clone, Copy, Debug)]
pub struct GemmShape {
    pub what: &'static str,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub op_a: Op,
    pub op_b: Op,
}

impl GemmShape {
    /// `2 m n k`.
    pub fn flops(&self) -> f64 {
        2.0 * (self.m * self.n * self.k) as f64
    }
}

/// The GEMMs of one training step of an MLP with layer `sizes` on `rows` rows, weights stored
/// `[in x out]`: per layer the forward `X W`, the weight gradient `X^T dZ` and, except for the
/// first layer, the input gradient `dZ W^T`.
pub fn step_gemms(sizes: &[usize], rows: usize) -> Vec<GemmShape> {
    let mut shapes = Vec::new();
    for (layer, io) in sizes.windows(2).enumerate() {
        let (fan_in, fan_out) = (io[0], io[1]);
        shapes.push(GemmShape {
            what: "forward X W",
            m: rows,
            n: fan_out,
            k: fan_in,
            op_a: Op::Identity,
            op_b: Op::Identity,
        });
        shapes.push(GemmShape {
            what: "weight grad X^T dZ",
            m: fan_in,
            n: fan_out,
            k: rows,
            op_a: Op::Transpose,
            op_b: Op::Identity,
        });
        if layer > 0 {
            shapes.push(GemmShape {
                what: "input grad dZ W^T",
                m: rows,
                n: fan_in,
                k: fan_out,
                op_a: Op::Identity,
                op_b: Op::Transpose,
            });
        }
    }
    shapes
}

/// A measured GEMM speed.
#[derive(Clone, Copy, Debug)]
pub struct GemmSpeed {
    pub shape: GemmShape,
    /// Seconds per call in the fastest timing round.
    pub seconds: f64,
}

impl GemmSpeed {
    pub fn gflops(&self) -> f64 {
        self.shape.flops() / self.seconds / 1e9
    }
}

/// Timing rounds per shape; the fastest round counts (the floor is the best this GEMM does).
const ROUNDS: usize = 7;
/// Minimum duration of one timing round.
const ROUND_S: f64 = 0.02;

/// Times `gemm` on `shape` with `par` (random operands, `beta = 0`): calls per round are chosen
/// so a round lasts at least [`ROUND_S`]; the result is the fastest round's time per call.
pub fn measure(shape: GemmShape, par: Par) -> GemmSpeed {
    let mut rng = Rng::seed_from(0);
    let mut random = |rows, cols| Mat::from_fn(rows, cols, |_, _| rng.uniform_range(-1.0, 1.0));
    let a = match shape.op_a {
        Op::Identity => random(shape.m, shape.k),
        Op::Transpose => random(shape.k, shape.m),
    };
    let b = match shape.op_b {
        Op::Identity => random(shape.k, shape.n),
        Op::Transpose => random(shape.n, shape.k),
    };
    let mut c = Mat::zeros(shape.m, shape.n);
    let mut call = || {
        gemm(
            c.as_mut(),
            0.0,
            1.0,
            a.as_ref(),
            shape.op_a,
            b.as_ref(),
            shape.op_b,
            par,
        )
    };
    call();
    let start = Instant::now();
    let mut calls = 0usize;
    while start.elapsed().as_secs_f64() < ROUND_S {
        call();
        calls += 1;
    }
    let seconds = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..calls {
                call();
            }
            t.elapsed().as_secs_f64() / calls as f64
        })
        .fold(f64::INFINITY, f64::min);
    GemmSpeed { shape, seconds }
}

/// GEMM work of one epoch and its floor time.
#[derive(Clone, Debug)]
pub struct EpochFloor {
    /// Speed of every GEMM of a full-size step.
    pub speeds: Vec<GemmSpeed>,
    pub flops: f64,
    pub seconds: f64,
}

/// The speed of every GEMM of a full-size step of an MLP with layer `sizes` on `batch` rows.
pub fn step_speeds(sizes: &[usize], batch: usize, par: Par) -> Vec<GemmSpeed> {
    step_gemms(sizes, batch)
        .into_iter()
        .map(|s| measure(s, par))
        .collect()
}

/// Each shape at the faster of two measurements of the same step's GEMMs. Taken before and
/// after the epochs, it keeps a slow spell of a shared machine during one measurement from
/// lowering the floor's speed, which would flatter every epoch's ratio.
pub fn fastest(first: Vec<GemmSpeed>, second: &[GemmSpeed]) -> Vec<GemmSpeed> {
    first
        .into_iter()
        .zip(second)
        .map(|(a, b)| if b.seconds < a.seconds { *b } else { a })
        .collect()
}

/// The floor of an epoch of `n_samples` rows in batches of `batch` (the last one partial):
/// `sum over shapes of FLOPs_epoch(shape) / speed(shape)`, with `speeds` measured at full batch
/// size ([`step_speeds`]).
pub fn epoch_floor(
    sizes: &[usize],
    n_samples: usize,
    batch: usize,
    speeds: Vec<GemmSpeed>,
) -> EpochFloor {
    let (full, rest) = (n_samples / batch, n_samples % batch);
    let mut flops = 0.0;
    let mut seconds = 0.0;
    for (i, speed) in speeds.iter().enumerate() {
        let per_step = |rows: usize| step_gemms(sizes, rows)[i].flops();
        let shape_flops =
            full as f64 * per_step(batch) + if rest > 0 { per_step(rest) } else { 0.0 };
        flops += shape_flops;
        seconds += shape_flops / (speed.gflops() * 1e9);
    }
    EpochFloor {
        speeds,
        flops,
        seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnist_epoch_has_the_published_gemm_work() {
        let shapes = step_gemms(&[784, 128, 10], 128);
        assert_eq!(shapes.len(), 5);
        let per_sample: f64 = step_gemms(&[784, 128, 10], 1)
            .iter()
            .map(GemmShape::flops)
            .sum();
        // 2 * (2 * 784 * 128 + 3 * 128 * 10) FLOPs per sample, 60000 samples: ~24.5 GFLOP.
        assert_eq!(per_sample, 2.0 * (2.0 * 784.0 * 128.0 + 3.0 * 1280.0));
        assert!((per_sample * 60_000.0 / 1e9 - 24.5).abs() < 0.1);
    }

    #[test]
    fn the_floor_takes_each_shape_at_its_faster_measurement() {
        let shapes = step_gemms(&[784, 128, 10], 32);
        let timed = |seconds: &[f64]| -> Vec<GemmSpeed> {
            shapes
                .iter()
                .zip(seconds)
                .map(|(&shape, &seconds)| GemmSpeed { shape, seconds })
                .collect()
        };
        let before = timed(&[4e-5, 3e-5, 2e-6, 2e-6, 1e-6]);
        let after = timed(&[5e-5, 2e-5, 2e-6, 3e-6, 5e-7]);
        let best: Vec<f64> = fastest(before, &after).iter().map(|s| s.seconds).collect();
        assert_eq!(best, [4e-5, 2e-5, 2e-6, 2e-6, 5e-7]);
        // 60000 rows = 1875 full steps of 32: the floor is 1875 times the fastest step.
        let floor = epoch_floor(&[784, 128, 10], 60_000, 32, timed(&best));
        let step: f64 = best.iter().sum();
        assert!((floor.seconds - 1875.0 * step).abs() < 1e-12 * floor.seconds.max(1.0) + 1e-9);
    }
}
