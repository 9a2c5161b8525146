//! Training-step cost of the MNIST model (784-128-10, ReLU, softmax cross-entropy) against its
//! GEMM floor: the same five GEMMs (two forward, `dW2`, `dH`, `dW1`) on the same shapes, timed
//! alone. The ratio `step / gemms` is the overhead of everything else in a step (bias and
//! activation epilogues, activation backward, column sums, the loss). The step lends the batch
//! to the tape (`Mlp::loss_and_grad_lend`), as a training loop should.
//!
//! `cargo bench -p descent-autograd --bench train_step` (options: `--steps N`, `--threads T`).

use std::hint::black_box;
use std::time::Instant;

use descent_autograd::{Activation, Init, Loss, Mlp, MlpConfig, Par, Targets};
use descent_kernels::{MatMut, MatRef, Op, gemm};
use descent_rng::Rng;

const SIZES: [usize; 3] = [784, 128, 10];

/// Buffers of the five GEMMs of one step, shaped for `batch`.
struct GemmFloor {
    batch: usize,
    w1: Vec<f32>,
    w2: Vec<f32>,
    h: Vec<f32>,
    z: Vec<f32>,
    dw1: Vec<f32>,
    dw2: Vec<f32>,
    dh: Vec<f32>,
}

impl GemmFloor {
    fn new(batch: usize, rng: &mut Rng) -> Self {
        let [i, h, o] = SIZES;
        let mut rand = |n: usize| (0..n).map(|_| rng.normal(0.0, 0.05)).collect::<Vec<f32>>();
        Self {
            batch,
            w1: rand(i * h),
            w2: rand(h * o),
            h: vec![0.0; batch * h],
            z: vec![0.0; batch * o],
            dw1: vec![0.0; i * h],
            dw2: vec![0.0; h * o],
            dh: vec![0.0; batch * h],
        }
    }

    /// `H = X W1`, `Z = H W2`, `dW2 = H^T Z`, `dH = Z W2^T`, `dW1 = X^T dH`.
    fn run(&mut self, x: &[f32], par: Par) {
        let ([i, h, o], b) = (SIZES, self.batch);
        let view = MatRef::contiguous;
        let (id, tr) = (Op::Identity, Op::Transpose);
        let x = view(x, b, i);
        gemm(
            MatMut::contiguous(&mut self.h, b, h),
            0.0,
            1.0,
            x,
            id,
            view(&self.w1, i, h),
            id,
            par,
        );
        let hm = view(&self.h, b, h);
        gemm(
            MatMut::contiguous(&mut self.z, b, o),
            0.0,
            1.0,
            hm,
            id,
            view(&self.w2, h, o),
            id,
            par,
        );
        let zm = view(&self.z, b, o);
        gemm(
            MatMut::contiguous(&mut self.dw2, h, o),
            0.0,
            1.0,
            hm,
            tr,
            zm,
            id,
            par,
        );
        gemm(
            MatMut::contiguous(&mut self.dh, b, h),
            0.0,
            1.0,
            zm,
            id,
            view(&self.w2, h, o),
            tr,
            par,
        );
        let dhm = view(&self.dh, b, h);
        gemm(
            MatMut::contiguous(&mut self.dw1, i, h),
            0.0,
            1.0,
            x,
            tr,
            dhm,
            id,
            par,
        );
    }
}

/// Seconds per call of `f`, the median of 5 runs of `steps` calls after a warm-up.
fn seconds_per_call(steps: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..steps.min(20) {
        f();
    }
    let mut runs: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..steps {
                f();
            }
            t.elapsed().as_secs_f64() / steps as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[2]
}

fn arg(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
}

fn main() {
    let threads: Vec<usize> = arg("--threads").map_or(vec![1, 2], |t| vec![t]);
    let mut rng = Rng::seed_from(1);
    println!("batch threads  step_ms  gemms_ms  step/gemms  epoch_s(60k, fwd+bwd)");
    for batch in [32, 128, 512] {
        let steps = arg("--steps").unwrap_or(60_000 / batch / 4);
        let mut x: Vec<f32> = (0..batch * SIZES[0]).map(|_| rng.uniform_f32()).collect();
        let labels: Vec<u32> = (0..batch).map(|_| rng.below(10) as u32).collect();
        for &t in &threads {
            let par = Par::threads(t);
            let config = MlpConfig {
                sizes: SIZES.to_vec(),
                activation: Activation::Relu,
                loss: Loss::CrossEntropy,
                init: Init::PytorchDefault,
            };
            let mut mlp = Mlp::new(&config, 1);
            let step = seconds_per_call(steps, || {
                black_box(mlp.loss_and_grad_lend(&mut x, batch, Targets::Classes(&labels), par));
            });
            let mut floor = GemmFloor::new(batch, &mut rng);
            let gemms = seconds_per_call(steps, || floor.run(&x, par));
            let epoch = step * (60_000usize.div_ceil(batch)) as f64;
            println!(
                "{batch:5} {t:7} {:8.3} {:9.3} {:11.3} {epoch:10.3}",
                step * 1e3,
                gemms * 1e3,
                step / gemms
            );
        }
    }
}
