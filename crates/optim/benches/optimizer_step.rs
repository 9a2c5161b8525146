//! One optimizer step over 101,770 parameters (the MNIST 784-128-10 MLP: every buffer stays in
//! cache), 1M and 16M parameters, single thread, for every optimizer, next to a plain copy of a
//! buffer of the same length as the bandwidth yardstick.
//!
//! Throughput is the bytes a step must move: params read + written, grads read, every state
//! buffer read + written (`4 * n * (3 + 2 * states)`); Lookahead adds its slow-weight pass
//! (slow and fast read + written) every k = 5 steps. The copy moves `4 * n` read + `4 * n`
//! written, as does `scale_copy` (`dst = k * src`, STREAM's scale kernel).
//! `sgd_momentum_absorbed` is the step of SGD with momentum whose gradients the backward already
//! folded into the momentum (`step_absorbed` over the whole buffer): params read + written,
//! momentum read (`12 * n`). Run:
//! `cargo bench -p descent-optim --bench optimizer_step`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use descent_optim::{Hyper, HyperValue, build_optimizer};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [(&str, usize); 3] = [("101770", 101_770), ("1M", 1 << 20), ("16M", 1 << 24)];

/// A benchmarked configuration: label, optimizer name, extra hyperparameters.
type Case = (&'static str, &'static str, Vec<(&'static str, HyperValue)>);

fn cases() -> Vec<Case> {
    vec![
        ("sgd", "sgd", vec![]),
        ("sgd_momentum", "momentum", vec![]),
        ("sgd_nesterov", "nesterov", vec![]),
        ("adam", "adam", vec![]),
        (
            "adam_amsgrad",
            "adam",
            vec![("amsgrad", HyperValue::Bool(true))],
        ),
        ("adamw", "adamw", vec![]),
        ("adagrad", "adagrad", vec![]),
        ("adadelta", "adadelta", vec![]),
        ("rmsprop", "rmsprop", vec![]),
        (
            "rmsprop_centered_momentum",
            "rmsprop",
            vec![
                ("centered", HyperValue::Bool(true)),
                ("momentum", HyperValue::Number(0.9)),
            ],
        ),
        ("adamax", "adamax", vec![]),
        ("nadam", "nadam", vec![]),
        ("radam", "radam", vec![]),
        ("rprop", "rprop", vec![]),
        ("lion", "lion", vec![]),
        (
            "lookahead_adam",
            "lookahead",
            vec![("inner", HyperValue::Text("adam".into()))],
        ),
    ]
}

/// A fixed, varied fill in [-0.5, 0.5).
fn filled(n: usize, salt: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 7919 + salt * 104_729) % 1000) as f32 / 1000.0 - 0.5)
        .collect()
}

fn bench(c: &mut Criterion) {
    for (size_label, n) in SIZES {
        let mut group = c.benchmark_group(format!("optimizer_step/{size_label}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));

        let src = filled(n, 1);
        let mut dst = vec![0.0f32; n];
        group.throughput(Throughput::Bytes(8 * n as u64));
        group.bench_function(BenchmarkId::new("copy", size_label), |b| {
            b.iter(|| {
                dst.copy_from_slice(black_box(&src));
                black_box(&mut dst);
            })
        });
        // STREAM's "scale" kernel: the same bytes through a plain load/multiply/store loop
        // (no memcpy tricks such as non-temporal stores), a second, stricter yardstick.
        group.bench_function(BenchmarkId::new("scale_copy", size_label), |b| {
            b.iter(|| {
                let k = black_box(1.0f32);
                dst.iter_mut()
                    .zip(black_box(&src))
                    .for_each(|(d, s)| *d = k * s);
                black_box(&mut dst);
            })
        });
        drop(dst);

        let grads = filled(n, 2);
        for (label, name, extra) in cases() {
            let hyper: Hyper = extra.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            let mut optimizer = build_optimizer(name, &hyper).expect("bench optimizer builds");
            optimizer.set_threads(1);
            let mut params = filled(n, 3);
            optimizer.step(&mut params, &grads, 1e-3);
            let states = optimizer.state_per_param() as u64;
            let bytes = if name == "lookahead" {
                // Inner streams (states less the slow weights) plus 16 bytes per element every 5 steps.
                4 * n as u64 * (3 + 2 * (states - 1)) + 16 * n as u64 / 5
            } else {
                4 * n as u64 * (3 + 2 * states)
            };
            group.throughput(Throughput::Bytes(bytes));
            group.bench_function(BenchmarkId::new(label, size_label), |b| {
                b.iter(|| optimizer.step(black_box(&mut params), black_box(&grads), 1e-3))
            });
        }
        let mut momentum = build_optimizer("momentum", &Hyper::new()).expect("SGD builds");
        momentum.set_threads(1);
        let mut params = filled(n, 3);
        momentum.step(&mut params, &grads, 1e-3);
        let everything = 0..n;
        group.throughput(Throughput::Bytes(12 * n as u64));
        group.bench_function(BenchmarkId::new("sgd_momentum_absorbed", size_label), |b| {
            let absorbed = std::slice::from_ref(&everything);
            b.iter(|| momentum.step_absorbed(black_box(&mut params), &grads, absorbed, 1e-3))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
