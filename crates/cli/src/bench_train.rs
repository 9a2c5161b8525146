//! `descent bench train`: epoch time of the MNIST MLP (784-128-10 ReLU, softmax cross-entropy,
//! SGD momentum 0.9, lr 0.1), data loading excluded, with a per-phase breakdown and the GEMM
//! floor. The same training as `benches/peers/torch_mlp.py`, which prints a summary line of the
//! same shape.

mod gemm_floor;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use descent_autograd::{Activation, Init, Loss, Mlp, MlpConfig, Par, Targets};
use descent_data::{Batch, Batcher, Dataset, data_root, load_mnist_dir};
use descent_kernels::with_warm_pool;
use descent_lab::train::{Budget, EpochTiming, StopRules, TrainSetup, train};
use descent_optim::HyperValue;
use serde_json::json;

use gemm_floor::{EpochFloor, epoch_floor, fastest, step_speeds};

/// Layer sizes of the benchmark model.
const SIZES: [usize; 3] = [784, 128, 10];

#[derive(clap::Args, Debug)]
pub struct BenchTrainArgs {
    /// Directory with the four MNIST IDX files (raw or .gz) [default: $DESCENT_DATA/mnist]
    #[arg(long)]
    data: Option<PathBuf>,
    /// Rows per training step
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Threads for the kernels and the optimizer
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Epochs to train (the summary uses the median epoch after the first)
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    /// Seed of the initialisation and the shuffle
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// One JSON object per epoch, then the summary line
    #[arg(long)]
    json: bool,
}

/// The closing `--json` line, keys in this order (`"summary": true` first, like the peers').
#[derive(serde::Serialize)]
struct Summary {
    summary: bool,
    threads: usize,
    /// Median epoch time after the first epoch.
    epoch_s: f64,
    test_acc: f32,
    #[serde(rename = "impl")]
    implementation: &'static str,
    batch: usize,
    epochs: usize,
    epoch_times_s: Vec<f64>,
    phases_s: Phases,
    gemm_gflop_per_epoch: f64,
    gemm_floor_s: f64,
    floor_ratio: f64,
    every_epoch_floor_ratio: Vec<f64>,
    gemms: Vec<serde_json::Value>,
    load_avg_1m: Option<f64>,
}

/// Median seconds per epoch in each phase (forward: the separate forward+loss pass).
#[derive(serde::Serialize)]
struct Phases {
    batching: f64,
    forward: f64,
    backward: f64,
    optimizer: f64,
}

/// One epoch's times with the forward/backward split.
struct EpochReport {
    timing: EpochTiming,
    forward_s: f64,
    test_accuracy: f32,
}

impl EpochReport {
    fn epoch_s(&self) -> f64 {
        self.timing.train_s()
    }

    /// Forward+backward minus the separately measured forward+loss pass.
    fn backward_s(&self) -> f64 {
        (self.timing.forward_backward_s - self.forward_s).max(0.0)
    }
}

/// Runs the benchmark; errors (missing data, bad arguments) go to stderr with a failure code.
pub fn run(args: &BenchTrainArgs) -> ExitCode {
    match bench(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: &BenchTrainArgs) -> Result<(), String> {
    if args.batch == 0 || args.threads == 0 || args.epochs == 0 {
        return Err("--batch, --threads and --epochs must be positive".into());
    }
    let dir = match &args.data {
        Some(dir) => dir.clone(),
        None => data_root()
            .ok_or("no --data DIR and $DESCENT_DATA is not set")?
            .join("mnist"),
    };
    let load_start = Instant::now();
    let data = load_mnist_dir(&dir).map_err(|e| e.to_string())?;
    let load_s = load_start.elapsed().as_secs_f64();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .map_err(|e| format!("cannot start {} threads: {e}", args.threads))?;
    let par = Par::threads(args.threads);
    let model = MlpConfig {
        sizes: SIZES.to_vec(),
        activation: Activation::Relu,
        loss: Loss::CrossEntropy,
        init: Init::PytorchDefault,
    };
    let setup = TrainSetup {
        model: model.clone(),
        optimizer: "sgd".into(),
        optimizer_hyper: [("momentum".to_string(), HyperValue::Number(0.9))].into(),
        lr: 0.1,
        schedule: None,
        batch_size: args.batch,
        budget: Budget::Epochs(args.epochs),
        eval_every: 0,
        clip_norm: None,
        stop: StopRules::default(),
        seed: args.seed,
        par,
        phase_timing: true,
    };
    if !args.json {
        println!(
            "descent bench train: MNIST 784-128-10 ReLU, batch {}, SGD momentum 0.9 lr 0.1, {} thread(s), {} epoch(s)",
            args.batch, args.threads, args.epochs
        );
        println!(
            "data: {} train / {} test rows from {} in {load_s:.2} s (not timed)",
            data.train.len(),
            data.test.as_ref().map_or(0, |t| t.len()),
            dir.display()
        );
    }
    // Everything measured with the pool's threads kept awake, as training keeps them, so the
    // floor and the forward pass see the same thread wake-ups (none) as the epochs.
    let (outcome, forward_s, floor) = pool.install(|| {
        with_warm_pool(par, || {
            let before = step_speeds(&SIZES, args.batch, par);
            let outcome = train(&setup, &data, &mut |_| {}).map_err(|e| e.to_string())?;
            let forward_s = forward_pass_seconds(&model, &data.train, args.batch, par);
            let after = step_speeds(&SIZES, args.batch, par);
            let speeds = fastest(before, &after);
            let floor = epoch_floor(&SIZES, data.train.len(), args.batch, speeds);
            Ok::<_, String>((outcome, forward_s, floor))
        })
    })?;
    let epochs: Vec<EpochReport> = outcome
        .epoch_timings
        .iter()
        .zip(&outcome.rows)
        .map(|(timing, row)| EpochReport {
            timing: *timing,
            forward_s,
            test_accuracy: row.test_accuracy.unwrap_or(f32::NAN),
        })
        .collect();
    if args.json {
        print_json(args, &epochs, &floor);
    } else {
        print_table(&epochs, &floor, args.threads);
    }
    Ok(())
}

/// Seconds of one epoch's forward passes with the loss and no backward (`Mlp::forward_loss` on
/// every batch, gathering not timed); the faster of two passes.
fn forward_pass_seconds(model: &MlpConfig, data: &Dataset, batch_size: usize, par: Par) -> f64 {
    let mut mlp = Mlp::new(model, 0);
    let mut batcher = Batcher::new(data.len(), batch_size, true, 0);
    let mut batch = Batch::default();
    (0..2)
        .map(|epoch| {
            batcher.start_epoch(epoch);
            let mut seconds = 0.0;
            while batcher.next_batch(data, &mut batch) {
                let start = Instant::now();
                mlp.forward_loss(&batch.x, batch.rows, Targets::Classes(&batch.labels), par);
                seconds += start.elapsed().as_secs_f64();
            }
            seconds
        })
        .fold(f64::INFINITY, f64::min)
}

/// The median of the epochs after the first (all epochs when there is only one).
fn median_after_first(epochs: &[EpochReport], value: impl Fn(&EpochReport) -> f64) -> f64 {
    let timed = if epochs.len() > 1 {
        &epochs[1..]
    } else {
        epochs
    };
    let mut values: Vec<f64> = timed.iter().map(value).collect();
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        0.5 * (values[mid - 1] + values[mid])
    }
}

fn print_table(epochs: &[EpochReport], floor: &EpochFloor, threads: usize) {
    println!(
        "GEMMs of a full step, descent's speed in this run ({}; each the faster of a measurement before and one after the epochs):",
        descent_kernels::gemm_kernel_name()
    );
    for s in &floor.speeds {
        println!(
            "  {:<20} {:>4} x {:>4} x {:>4}  {:>7.1} GFLOP/s",
            s.shape.what,
            s.shape.m,
            s.shape.n,
            s.shape.k,
            s.gflops()
        );
    }
    println!(
        "GEMM work per epoch {:.2} GFLOP -> floor {:.3} s",
        floor.flops / 1e9,
        floor.seconds
    );
    println!("epoch  epoch_s  batching  forward*  backward*  optimizer  x_floor  test_acc");
    for e in epochs {
        println!(
            "{:>5}  {:>7.3}  {:>8.3}  {:>8.3}  {:>9.3}  {:>9.3}  {:>7.2}  {:>7.2}%",
            e.timing.epoch,
            e.epoch_s(),
            e.timing.batching_s,
            e.forward_s,
            e.backward_s(),
            e.timing.optimizer_s,
            e.epoch_s() / floor.seconds,
            100.0 * e.test_accuracy
        );
    }
    println!(
        "* forward: a separate forward+loss pass over one epoch; backward = (forward+backward) - forward"
    );
    if threads > 1 {
        println!(
            "  with {threads} threads each epoch's later batches are gathered beside the step before: in backward, not batching"
        );
    }
    let epoch_s = median_after_first(epochs, EpochReport::epoch_s);
    println!(
        "median epoch after the first: {epoch_s:.3} s ({:.2}x the GEMM floor), test accuracy {:.2}%",
        epoch_s / floor.seconds,
        100.0 * epochs.last().map_or(f32::NAN, |e| e.test_accuracy)
    );
    if let Some(load) = load_average() {
        println!("machine load (1-minute average) at the end: {load:.2}");
    }
}

/// The 1-minute load average (Linux `/proc/loadavg`): timings on a busy machine say so.
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn print_json(args: &BenchTrainArgs, epochs: &[EpochReport], floor: &EpochFloor) {
    for e in epochs {
        println!(
            "{}",
            json!({
                "epoch": e.timing.epoch,
                "epoch_s": e.epoch_s(),
                "batching_s": e.timing.batching_s,
                "forward_s": e.forward_s,
                "backward_s": e.backward_s(),
                "optimizer_s": e.timing.optimizer_s,
                "floor_ratio": e.epoch_s() / floor.seconds,
                "test_acc": e.test_accuracy,
            })
        );
    }
    let epoch_s = median_after_first(epochs, EpochReport::epoch_s);
    let summary = Summary {
        summary: true,
        threads: args.threads,
        epoch_s,
        test_acc: epochs.last().map_or(f32::NAN, |e| e.test_accuracy),
        implementation: "descent",
        batch: args.batch,
        epochs: args.epochs,
        epoch_times_s: epochs.iter().map(EpochReport::epoch_s).collect(),
        phases_s: Phases {
            batching: median_after_first(epochs, |e| e.timing.batching_s),
            forward: epochs.first().map_or(f64::NAN, |e| e.forward_s),
            backward: median_after_first(epochs, EpochReport::backward_s),
            optimizer: median_after_first(epochs, |e| e.timing.optimizer_s),
        },
        gemm_gflop_per_epoch: floor.flops / 1e9,
        gemm_floor_s: floor.seconds,
        floor_ratio: epoch_s / floor.seconds,
        every_epoch_floor_ratio: epochs.iter().map(|e| e.epoch_s() / floor.seconds).collect(),
        gemms: floor
            .speeds
            .iter()
            .map(|s| json!({"what": s.shape.what, "m": s.shape.m, "n": s.shape.n, "k": s.shape.k, "gflops": s.gflops()}))
            .collect(),
        load_avg_1m: load_average(),
    };
    println!(
        "{}",
        serde_json::to_string(&summary).expect("plain data serialises")
    );
}
