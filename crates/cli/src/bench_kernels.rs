//! `descent bench kernels`: GFLOP/s of the native GEMM next to faer on the same shapes in the
//! same run (the two backends alternate within every repeat, so machine load hits both alike),
//! at 1 thread and at all cores by default. Writes `reports/kernels.md` and
//! `reports/kernels.svg`; `--json` prints one object per measurement.

mod report;
mod shapes;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use descent_kernels::{Backend, Mat, Par, gemm_with};
use serde_json::json;

use shapes::{Shape, shapes};

#[derive(clap::Args, Debug)]
pub struct BenchKernelsArgs {
    /// Thread counts to measure, e.g. `1,2` [default: 1 and all cores]
    #[arg(long, value_delimiter = ',')]
    threads: Vec<usize>,
    /// Fewer sizes (no 2048^2) and repeats: well under a minute
    #[arg(long)]
    quick: bool,
    /// One JSON object per measurement on stdout instead of the table
    #[arg(long)]
    json: bool,
    /// Directory for kernels.md and kernels.svg
    #[arg(long, default_value = "reports")]
    out: PathBuf,
}

/// One measured (shape, threads) pair: median GFLOP/s of each backend, and the median over
/// rounds of the native/faer ratio within a round (robust to load that comes and goes).
pub struct Measurement {
    pub shape: Shape,
    pub threads: usize,
    pub native: f64,
    pub faer: f64,
    pub ratio: f64,
}

/// Runs the benchmark; errors go to stderr with a failure code.
pub fn run(args: &BenchKernelsArgs) -> ExitCode {
    match bench(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: &BenchKernelsArgs) -> Result<(), String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut threads = if args.threads.is_empty() {
        vec![1, cores]
    } else {
        args.threads.clone()
    };
    threads.sort_unstable();
    threads.dedup();
    if threads.contains(&0) {
        return Err("--threads must be positive".into());
    }
    let load_before = report::load_average();
    let repeats = if args.quick { 41 } else { 101 };
    let mut results = Vec::new();
    for &t in &threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .map_err(|e| format!("cannot start {t} threads: {e}"))?;
        pool.install(|| -> Result<(), String> {
            for shape in shapes(args.quick) {
                let (native, faer, ratio) = measure(&shape, Par::threads(t), repeats);
                if args.json {
                    for (backend, gflops) in [("native", native), ("faer", faer)] {
                        let line = json!({"shape": shape.name, "m": shape.m, "n": shape.n,
                            "k": shape.k, "threads": t, "backend": backend, "gflops": gflops});
                        writeln!(std::io::stdout(), "{line}")
                            .map_err(|e| format!("stdout: {e}"))?;
                    }
                } else {
                    eprintln!(
                        "{:<28} {t} thread(s): native {native:6.1}  faer {faer:6.1} GFLOP/s",
                        shape.name
                    );
                }
                results.push(Measurement {
                    shape,
                    threads: t,
                    native,
                    faer,
                    ratio,
                });
            }
            Ok(())
        })?;
    }
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let load = format!("{} before, {} after", load_before, report::load_average());
    let table = report::write(&args.out, &results, &command, repeats, &load)?;
    if !args.json {
        println!("{table}");
    }
    Ok(())
}

/// Median GFLOP/s of native and faer over `repeats` rounds, and the median of the per-round
/// ratio native/faer; in every round each backend runs a batch of calls lasting about 1 ms (at
/// least one call), the two back to back.
fn measure(shape: &Shape, par: Par, repeats: usize) -> (f64, f64, f64) {
    let a = filled(shape.a_rows(), shape.a_cols(), 1);
    let b = filled(shape.b_rows(), shape.b_cols(), 2);
    let mut c = Mat::zeros(shape.m, shape.n);
    let flops = 2.0 * (shape.m * shape.n * shape.k) as f64;
    let mut call = |backend| {
        gemm_with(
            backend,
            c.as_mut(),
            0.0,
            1.0,
            a.as_ref(),
            shape.op_a,
            b.as_ref(),
            shape.op_b,
            par,
        );
    };
    // Warm-up: packing buffers, thread pools, caches.
    let start = Instant::now();
    call(Backend::Native);
    call(Backend::Faer);
    let per_call = start.elapsed().as_secs_f64() / 2.0;
    let calls = ((1e-3 / per_call.max(1e-9)) as usize).clamp(1, 10_000);
    // Short batches, many rounds: neighbouring native/faer batches then see the same load.
    // Large shapes (over 1 ms per call) get fewer rounds: about 2 s per backend, at least 7.
    let repeats = repeats.min(((2.0 / per_call.max(1e-9)) as usize).max(7));
    let mut seconds = [Vec::new(), Vec::new()];
    for round in 0..repeats {
        // Alternate which backend goes first, so neither always runs right after the other.
        let mut order = [(0, Backend::Native), (1, Backend::Faer)];
        if round % 2 == 1 {
            order.reverse();
        }
        for (i, backend) in order {
            let start = Instant::now();
            for _ in 0..calls {
                call(backend);
            }
            seconds[i].push(start.elapsed().as_secs_f64() / calls as f64);
        }
    }
    let mut ratios: Vec<f64> = seconds[1]
        .iter()
        .zip(&seconds[0])
        .map(|(f, n)| f / n)
        .collect();
    let gflops = |s: &mut Vec<f64>| flops / median(s) / 1e9;
    let [native, faer] = &mut seconds;
    (gflops(native), gflops(faer), median(&mut ratios))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A deterministic matrix with entries in [-1, 1) (values do not affect the timing).
fn filled(rows: usize, cols: usize, seed: u64) -> Mat {
    let mut rng = descent_rng::Rng::seed_from(seed);
    Mat::from_fn(rows, cols, |_, _| rng.uniform_range(-1.0, 1.0))
}
