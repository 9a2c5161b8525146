//! `descent bench train` as a user runs it, on a tiny MNIST-shaped directory written here.

use std::path::{Path, PathBuf};
use std::process::Command;

use descent_data::write_idx;

/// `n_train` / `n_test` 28 x 28 images of varied pixels, labels `i % 10`, in a fresh directory.
fn tiny_mnist(n_train: usize, n_test: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("descent-bench-train");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (prefix, n) in [("train", n_train), ("t10k", n_test)] {
        let pixels: Vec<u8> = (0..n * 784).map(|i| (i * 37 % 251) as u8).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        write_idx(
            &dir.join(format!("{prefix}-images-idx3-ubyte")),
            &[n, 28, 28],
            &pixels,
            false,
        )
        .unwrap();
        write_idx(
            &dir.join(format!("{prefix}-labels-idx1-ubyte")),
            &[n],
            &labels,
            false,
        )
        .unwrap();
    }
    dir
}

/// Equal up to the last bits that a JSON round trip may change (serde_json parses floats
/// without guaranteeing the nearest value).
fn assert_near(got: &serde_json::Value, want: f64) {
    let got = got.as_f64().unwrap();
    assert!((got - want).abs() <= 1e-12 * want.abs(), "{got} vs {want}");
}

fn bench_train(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_descent"))
        .args(["bench", "train"])
        .args(args)
        .env_remove("DESCENT_DATA")
        .output()
        .expect("descent runs")
}

#[test]
fn json_gives_one_line_per_epoch_then_the_summary_with_the_floor() {
    let dir = tiny_mnist(200, 50);
    let out = bench_train(&[
        "--data",
        dir.to_str().unwrap(),
        "--batch",
        "64",
        "--epochs",
        "3",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "3 epochs and the summary");
    let summary = &lines[3];
    assert_eq!(summary["summary"], true);
    assert_eq!(summary["threads"], 1);
    assert_eq!(summary["batch"], 64);
    let floor_s = summary["gemm_floor_s"].as_f64().unwrap();
    assert!(floor_s > 0.0);
    let mut epoch_times = Vec::new();
    for (i, epoch) in lines[..3].iter().enumerate() {
        assert_eq!(epoch["epoch"], i + 1);
        let epoch_s = epoch["epoch_s"].as_f64().unwrap();
        assert!(epoch_s > 0.0);
        assert_near(&epoch["floor_ratio"], epoch_s / floor_s);
        epoch_times.push(epoch_s);
    }
    // Median after the first epoch of two values: their mean.
    let median = (epoch_times[1] + epoch_times[2]) / 2.0;
    assert_near(&summary["epoch_s"], median);
    assert_near(&summary["floor_ratio"], median / floor_s);
    assert_eq!(
        summary["every_epoch_floor_ratio"].as_array().unwrap().len(),
        3
    );
    // 200 rows x (2 x 784 x 128 + 3 x 128 x 10) multiply-adds, 2 FLOPs each.
    let gflop = 200.0 * 2.0 * (2.0 * 784.0 * 128.0 + 3.0 * 1280.0) / 1e9;
    assert_near(&summary["gemm_gflop_per_epoch"], gflop);
}

#[test]
fn a_missing_data_directory_is_named_and_fails() {
    let out = bench_train(&["--data", "/nonexistent/mnist", "--epochs", "1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/mnist"), "{err}");
}
