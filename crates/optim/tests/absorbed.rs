//! A step whose gradients were folded into the momentum beforehand (`momentum_sink`, then
//! `step_absorbed`) gives the bits of the ordinary step from stored gradients, on any thread
//! count, with parameter groups, zeros, negative zeros and subnormals; optimizers that cannot
//! take it offer no sink.

use std::ops::Range;

use descent_optim::{Hyper, HyperValue, Optimizer, ParamGroup, build_optimizer};

/// Three task chunks and a ragged tail, as in `determinism.rs`.
const LEN: usize = 3 * 32768 + 13;

fn hyper(entries: &[(&str, HyperValue)]) -> Hyper {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn sgd(threads: usize, extra: &[(&str, HyperValue)]) -> Box<dyn Optimizer> {
    let mut entries = vec![("momentum", HyperValue::Number(0.9))];
    entries.extend_from_slice(extra);
    let mut optimizer = build_optimizer("sgd", &hyper(&entries)).unwrap();
    optimizer.set_threads(threads);
    optimizer
        .set_param_groups(&[ParamGroup {
            range: 32760..32790,
            lr_scale: 0.5,
            weight_decay: None,
        }])
        .unwrap();
    optimizer
}

/// Gradients of step `t`, with exact zeros, negative zeros and subnormals among them (the
/// momentum then holds values the subnormal flush has to handle).
fn grads(t: u64) -> Vec<f32> {
    let mut rng = descent_rng::Rng::derive(7, t);
    (0..LEN)
        .map(|i| match i % 61 {
            0 => 0.0,
            1 => -0.0,
            2 => f32::MIN_POSITIVE * 0.25,
            3 => -f32::MIN_POSITIVE * 1.5,
            _ => rng.normal(0.0, 0.1),
        })
        .collect()
}

/// Ranges not aligned to eight lanes, one across the parameter group and a task edge.
fn absorbed() -> Vec<Range<usize>> {
    vec![5..1003, 32700..40001, 65551..65553, 90000..LEN]
}

fn run(threads: usize, absorb: bool, lrs: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let mut optimizer = sgd(threads, &[]);
    let mut params: Vec<f32> = (0..LEN).map(|i| (i % 97) as f32 * 0.01 - 0.5).collect();
    let ranges = absorbed();
    for (t, &lr) in lrs.iter().enumerate() {
        let mut g = grads(t as u64);
        if absorb {
            let sink = optimizer
                .momentum_sink(LEN)
                .expect("SGD with momentum has a sink");
            assert_eq!(sink.momentum, if t == 0 { 0.0 } else { 0.9 });
            for r in &ranges {
                for i in r.clone() {
                    // What gemm_into_momentum writes: the gradient plus the rounded decay.
                    sink.buffer[i] = g[i] + sink.momentum * sink.buffer[i];
                    g[i] = f32::NAN;
                }
            }
            optimizer.step_absorbed(&mut params, &g, &ranges, lr);
        } else {
            optimizer.step(&mut params, &g, lr);
        }
    }
    let momentum = optimizer.momentum_sink(LEN).unwrap().buffer.to_vec();
    (params, momentum)
}

fn assert_same_bits(a: &[f32], b: &[f32], what: &str) {
    let first = a
        .iter()
        .zip(b)
        .position(|(x, y)| x.to_bits() != y.to_bits());
    assert!(first.is_none(), "{what}: first difference at {first:?}");
}

#[test]
fn absorbed_steps_match_ordinary_steps_to_the_bit() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    let lrs = [0.1, 0.1, 0.05, 0.02, 0.02];
    pool.install(|| {
        let (params, momentum) = run(1, false, &lrs);
        for threads in [1, 2, 3] {
            let (p, m) = run(threads, true, &lrs);
            assert_same_bits(&params, &p, &format!("params, {threads} threads"));
            assert_same_bits(&momentum, &m, &format!("momentum, {threads} threads"));
        }
        // The flush ran: a subnormal gradient leaves a zero momentum, not a subnormal one.
        assert!(
            momentum
                .iter()
                .all(|m| m.abs() >= f32::MIN_POSITIVE || *m == 0.0)
        );
        assert_eq!(momentum[612], 0.0);
    });
}

#[test]
fn only_plain_momentum_sgd_offers_a_sink() {
    let num = HyperValue::Number;
    let offers = |mut o: Box<dyn Optimizer>| o.momentum_sink(LEN).is_some();
    assert!(offers(sgd(1, &[])));
    assert!(!offers(sgd(1, &[("nesterov", HyperValue::Bool(true))])));
    assert!(!offers(sgd(1, &[("dampening", num(0.1))])));
    assert!(!offers(sgd(1, &[("weight_decay", num(1e-4))])));
    assert!(!offers(sgd(1, &[("l1", num(1e-4))])));
    assert!(!offers(sgd(1, &[("maximize", HyperValue::Bool(true))])));
    assert!(!offers(sgd(1, &[("momentum", num(0.0))])));
    let mut decayed_group = sgd(1, &[]);
    decayed_group
        .set_param_groups(&[ParamGroup {
            range: 0..4,
            lr_scale: 1.0,
            weight_decay: Some(0.01),
        }])
        .unwrap();
    assert!(!offers(decayed_group));
    for name in ["adam", "adamw", "rmsprop", "lion", "lookahead"] {
        assert!(
            !offers(build_optimizer(name, &Hyper::new()).unwrap()),
            "{name}"
        );
    }
}

#[test]
#[should_panic(expected = "no momentum sink")]
fn absorbed_ranges_without_a_sink_panic() {
    let mut adam = build_optimizer("adam", &Hyper::new()).unwrap();
    let absorbed = vec![0..4, 4..8];
    adam.step_absorbed(&mut [0.0; 8], &[0.0; 8], &absorbed, 0.1);
}
