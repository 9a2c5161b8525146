//! Task splits and threading never change a result: every optimizer gives bit-identical
//! parameters on 1, 2, 3 and 4 threads, and every element gets exactly the update it would get in
//! a buffer of its own (so task edges and padded tail lanes are invisible).

use descent_optim::{
    Hyper, HyperValue, NormType, OPTIMIZER_NAMES, ParamGroup, build_optimizer, clip_grad_norm,
};

/// Three chunks of 32768 and a ragged tail: 3 tasks split it at 32784 and 65552, inside and
/// after the parameter group below.
const LEN: usize = 3 * 32768 + 13;

fn fill(n: usize, salt: u64, t: u64) -> Vec<f32> {
    let mut rng = descent_rng::Rng::derive(salt, t);
    (0..n).map(|_| rng.normal(0.0, 0.1)).collect()
}

fn run(name: &str, threads: usize, len: usize, groups: &[ParamGroup]) -> Vec<f32> {
    let mut hyper = Hyper::new();
    if name == "lookahead" {
        hyper.insert("k".into(), HyperValue::Number(2.0));
    }
    let mut optimizer = build_optimizer(name, &hyper).unwrap();
    optimizer.set_threads(threads);
    optimizer.set_param_groups(groups).unwrap();
    let mut params = fill(len, 1, 0);
    for t in 0..4 {
        optimizer.step(&mut params, &fill(len, 2, t), 0.01);
    }
    params
}

#[test]
fn every_optimizer_is_bit_identical_on_any_thread_count() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    let groups = [ParamGroup {
        range: 32760..32790,
        lr_scale: 0.5,
        weight_decay: Some(0.01),
    }];
    pool.install(|| {
        for name in OPTIMIZER_NAMES {
            let one = run(name, 1, LEN, &groups);
            assert!(one.iter().all(|x| x.is_finite()), "{name}");
            for threads in [2, 3, 4, 0] {
                let many = run(name, threads, LEN, &groups);
                assert!(
                    one.iter()
                        .zip(&many)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{name} on {threads} threads"
                );
            }
        }
    });
}

#[test]
fn elements_update_the_same_wherever_they_sit() {
    for name in OPTIMIZER_NAMES {
        let whole = run(name, 0, LEN, &[]);
        // The first 11 elements alone: a single padded tail of 8 + 3 lanes.
        let head = run(name, 1, 11, &[]);
        assert!(
            head.iter()
                .zip(&whole)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{name}"
        );
    }
}

#[test]
fn clipping_norms_are_bit_identical_on_any_thread_count() {
    let grads = fill(LEN, 3, 0);
    let norms: Vec<(u32, Vec<u32>)> = [1, 2, 4]
        .into_iter()
        .map(|threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut g = grads.clone();
                let norm = clip_grad_norm(&mut g, 1.0, NormType::L2);
                (norm.to_bits(), g.iter().map(|x| x.to_bits()).collect())
            })
        })
        .collect();
    assert!(norms.windows(2).all(|w| w[0] == w[1]));
    // And the norm is right: sqrt of the f64 sum of squares.
    let exact = grads
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    assert!((f64::from(f32::from_bits(norms[0].0)) - exact).abs() < 1e-6 * exact);
}
