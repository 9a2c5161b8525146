//! Tutorial example 1: linear regression by full-batch gradient descent on
//! `y = 3x + 2 + U[0, 1)` noise, 100 samples.
//!
//! The tutorial's numpy code (seeded with `np.random.seed(0)`) divides the bias gradient by N
//! twice. Its data and initial `w, b` are regenerated here bit for bit with numpy's legacy
//! MT19937 stream, so the bug's numbers (MSE ~0.85, w ~5.5, b ~0.87) are reproduced exactly,
//! and descent's correct gradients are then run on the very same data.

use std::sync::Arc;

use descent_autograd::{Activation, Init, Loss, MlpConfig, Par};
use descent_data::{Dataset, Features, Split, Targets, linear};
use descent_lab::train::{Budget, StopRules, TrainSetup, TrainStatus, train};

/// numpy's legacy `RandomState`: MT19937 seeded by `init_genrand`, `rand()` from two draws
/// `(a >> 5, b >> 6)` as `(a * 2^26 + b) / 2^53`.
struct NumpyRandomState {
    state: [u32; 624],
    index: usize,
}

impl NumpyRandomState {
    fn new(seed: u32) -> Self {
        let mut state = [0u32; 624];
        state[0] = seed;
        for i in 1..624 {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Self { state, index: 624 }
    }

    fn next_u32(&mut self) -> u32 {
        if self.index == 624 {
            for k in 0..624 {
                let y = (self.state[k] & 0x8000_0000) | (self.state[(k + 1) % 624] & 0x7fff_ffff);
                let twist = if y & 1 == 1 { 0x9908_b0df } else { 0 };
                self.state[k] = self.state[(k + 397) % 624] ^ (y >> 1) ^ twist;
            }
            self.index = 0;
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    fn rand(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }
}

/// The tutorial's data and start: `X = rand(100, 1); y = 3X + 2 + rand(100, 1); w, b = rand()`.
struct Tutorial {
    x: Vec<f64>,
    y: Vec<f64>,
    noise: Vec<f64>,
    w0: f64,
    b0: f64,
}

impl Tutorial {
    fn seeded(seed: u32) -> Self {
        let mut rng = NumpyRandomState::new(seed);
        let x: Vec<f64> = (0..100).map(|_| rng.rand()).collect();
        let noise: Vec<f64> = (0..100).map(|_| rng.rand()).collect();
        let y = x
            .iter()
            .zip(&noise)
            .map(|(x, e)| 3.0 * x + 2.0 + e)
            .collect();
        let (w0, b0) = (rng.rand(), rng.rand());
        Self {
            x,
            y,
            noise,
            w0,
            b0,
        }
    }

    /// The tutorial's loop in f64: `dw = (2/N) X^T r`, and `db = (2/N) mean(r)` when
    /// `double_division` (the bug) or the correct `db = (2/N) sum(r)`. Returns `(w, b, mse)`.
    fn gradient_descent(&self, lr: f64, steps: usize, double_division: bool) -> (f64, f64, f64) {
        let n = self.x.len() as f64;
        let (mut w, mut b) = (self.w0, self.b0);
        for _ in 0..steps {
            let r: Vec<f64> = self
                .x
                .iter()
                .zip(&self.y)
                .map(|(x, y)| w * x + b - y)
                .collect();
            let dw = 2.0 / n * self.x.iter().zip(&r).map(|(x, r)| x * r).sum::<f64>();
            let r_sum: f64 = r.iter().sum();
            let db = if double_division {
                2.0 / n * (r_sum / n)
            } else {
                2.0 / n * r_sum
            };
            w -= lr * dw;
            b -= lr * db;
        }
        (w, b, mse(&self.x, &self.y, w, b))
    }

    fn dataset(&self) -> Dataset {
        Dataset::new(
            "tutorial-linear",
            Features::F32 {
                values: self.x.iter().map(|&v| v as f32).collect(),
                n_features: 1,
            },
            Targets::Values {
                values: self.y.iter().map(|&v| v as f32).collect(),
                dim: 1,
            },
        )
    }
}

fn mse(x: &[f64], y: &[f64], w: f64, b: f64) -> f64 {
    x.iter()
        .zip(y)
        .map(|(x, y)| (w * x + b - y).powi(2))
        .sum::<f64>()
        / x.len() as f64
}

/// Ordinary least squares `(w, b)` of `y` on `x`: the minimum gradient descent must reach.
fn least_squares(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = x.iter().map(|x| (x - mx).powi(2)).sum();
    let w = sxy / sxx;
    (w, my - w * mx)
}

fn variance(v: &[f64]) -> f64 {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    v.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / v.len() as f64
}

/// Full-batch plain gradient descent with descent: a 1 -> 1 linear model under MSE.
fn descent_fit(data: Dataset, lr: f32, steps: usize, seed: u64) -> (f64, f64) {
    let setup = TrainSetup {
        model: MlpConfig {
            sizes: vec![1, 1],
            activation: Activation::Identity,
            loss: Loss::Mse,
            init: Init::PytorchDefault,
        },
        optimizer: "sgd".into(),
        optimizer_hyper: Default::default(),
        lr,
        schedule: None,
        batch_size: 0,
        budget: Budget::Steps(steps),
        eval_every: 100,
        clip_norm: None,
        stop: StopRules::default(),
        seed,
        par: Par::Seq,
        phase_timing: false,
    };
    let outcome = train(
        &setup,
        &Split {
            train: Arc::new(data),
            test: None,
        },
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(outcome.status, TrainStatus::Completed);
    assert_eq!(outcome.steps, steps);
    // Parameter layout: the [1 x 1] weight, then the bias.
    (
        f64::from(outcome.final_params[0]),
        f64::from(outcome.final_params[1]),
    )
}

#[test]
fn the_tutorial_bug_reproduced_exactly() {
    let t = Tutorial::seeded(0);
    let (w, b, loss) = t.gradient_descent(0.01, 1000, true);
    // The numbers the tutorial reports (numpy gives 5.5488, 0.8715, 0.8470 on this data).
    assert!(
        (w - 5.549).abs() < 1e-3 && (b - 0.872).abs() < 1e-3 && (loss - 0.847).abs() < 1e-3,
        "{w} {b} {loss}"
    );
    // Fixing the gradient alone is not enough at this budget: lr 0.01 x 1000 steps leaves the
    // slow direction of the problem (Hessian eigenvalue 0.13) unconverged.
    let (w, b, _) = t.gradient_descent(0.01, 1000, false);
    assert!((w - 3.0).abs() > 0.3 && (b - 2.5).abs() > 0.2, "{w} {b}");
}

#[test]
fn descent_fits_the_tutorial_data() {
    let t = Tutorial::seeded(0);
    let (w_ls, b_ls) = least_squares(&t.x, &t.y);
    // lr 0.1 for the same 1000 steps: (1 - 0.1 * 0.131)^1000 ~ 2e-6 of the start error remains.
    let (w, b) = descent_fit(t.dataset(), 0.1, 1000, 0);
    assert!(
        (w - w_ls).abs() < 1e-3 && (b - b_ls).abs() < 1e-3,
        "descent {w} {b}, least squares {w_ls} {b_ls}"
    );
    assert!((w - 3.0).abs() <= 0.15, "w = {w}");
    assert!((b - 2.5).abs() <= 0.15, "b = {b}");
    let loss = mse(&t.x, &t.y, w, b);
    // The MSE matches the variance of this sample's noise (0.0766) within 5%. The issue's
    // 1/12 = 0.0833 is the population value; this sample's noise is 8% below it, and no (w, b)
    // can get below the least-squares MSE, so 1/12 +- 5% is out of reach on this data.
    let noise_variance = variance(&t.noise);
    assert!(
        (loss / noise_variance - 1.0).abs() < 0.05,
        "mse {loss}, noise variance {noise_variance}"
    );
    assert!(loss < 1.0 / 12.0 * 0.95, "mse {loss}");
}

#[test]
fn descent_fits_its_own_linear_sets() {
    // descent's `linear(100, seed)` data, 20 seeds: gradient descent always reaches the least
    // squares fit; whether that fit lands in the bands is a property of the sample.
    let mut within_all_bands = 0;
    for seed in 0..20 {
        let data = linear(100, seed);
        let (Features::F32 { values: x, .. }, Targets::Values { values: y, .. }) =
            (&data.features, &data.targets)
        else {
            unreachable!()
        };
        let x: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let y: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
        let (w_ls, b_ls) = least_squares(&x, &y);
        let (w, b) = descent_fit(data, 0.1, 1000, seed);
        assert!(
            (w - w_ls).abs() < 1e-3 && (b - b_ls).abs() < 1e-3,
            "seed {seed}: {w} {b} vs {w_ls} {b_ls}"
        );
        let loss = mse(&x, &y, w, b);
        let in_bands =
            (w - 3.0).abs() <= 0.15 && (b - 2.5).abs() <= 0.15 && (loss * 12.0 - 1.0).abs() <= 0.05;
        within_all_bands += usize::from(in_bands);
    }
    println!(
        "linear(100, seed), seeds 0..20: {within_all_bands}/20 fits inside w 3+-0.15, b 2.5+-0.15, mse 1/12+-5%"
    );
    assert!(
        within_all_bands >= MEASURED_WITHIN_BANDS,
        "{within_all_bands}/20"
    );
}

/// Seeds (of 20) whose least-squares fit meets all three of the bands, as measured.
const MEASURED_WITHIN_BANDS: usize = 7;
