//! Behaviour of the training loop: cadence of metric rows, stop rules, divergence, clipping,
//! the schedule, determinism across thread counts, momentum absorbed in the backward and
//! configuration errors.

use std::sync::Arc;

use descent_autograd::{Activation, Init, Loss, Mlp, MlpConfig, Par};
use descent_data::{Split, blobs, linear, moons, train_test_split};
use descent_lab::train::{
    Budget, MetricRow, StopRules, TrainError, TrainOutcome, TrainSetup, TrainStatus, train,
};
use descent_optim::HyperValue;

fn setup(
    sizes: Vec<usize>,
    activation: Activation,
    loss: Loss,
    lr: f32,
    batch_size: usize,
    budget: Budget,
) -> TrainSetup {
    TrainSetup {
        model: MlpConfig {
            sizes,
            activation,
            loss,
            init: Init::PytorchDefault,
        },
        optimizer: "sgd".into(),
        optimizer_hyper: Default::default(),
        lr,
        schedule: None,
        batch_size,
        budget,
        eval_every: 0,
        clip_norm: None,
        stop: StopRules::default(),
        seed: 7,
        par: Par::Seq,
        phase_timing: true,
    }
}

fn only_train(data: descent_data::Dataset) -> Split {
    Split {
        train: Arc::new(data),
        test: None,
    }
}

fn run(setup: &TrainSetup, data: &Split) -> (TrainOutcome, Vec<MetricRow>) {
    let mut rows = Vec::new();
    let outcome = train(setup, data, &mut |row| rows.push(row.clone())).unwrap();
    assert_eq!(outcome.rows, rows, "on_row sees exactly the recorded rows");
    (outcome, rows)
}

fn linear_regression(lr: f32, budget: Budget) -> TrainSetup {
    setup(vec![1, 1], Activation::Identity, Loss::Mse, lr, 0, budget)
}

/// A 2-8-3 ReLU classifier in batches of 32 (for 100 blobs: 4 steps per epoch).
fn blobs_classifier(budget: Budget) -> TrainSetup {
    setup(
        vec![2, 8, 3],
        Activation::Relu,
        Loss::CrossEntropy,
        0.05,
        32,
        budget,
    )
}

#[test]
fn rows_per_epoch_per_period_and_at_the_last_step() {
    // 100 samples in batches of 32: 4 steps per epoch (the last one of 4 rows).
    let data = only_train(blobs(100, 3, 2, 1.0, 1));
    let mut s = blobs_classifier(Budget::Steps(10));
    let (outcome, rows) = run(&s, &data);
    assert_eq!(outcome.status, TrainStatus::Completed);
    assert_eq!(outcome.steps, 10);
    let at: Vec<(usize, usize)> = rows.iter().map(|r| (r.step, r.epoch)).collect();
    assert_eq!(
        at,
        vec![(4, 1), (8, 2), (10, 3)],
        "epoch ends, then the last step"
    );
    assert_eq!(
        outcome
            .epoch_timings
            .iter()
            .map(|t| t.epoch)
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );

    s.eval_every = 3;
    let (_, rows) = run(&s, &data);
    assert_eq!(
        rows.iter().map(|r| r.step).collect::<Vec<_>>(),
        vec![3, 6, 9, 10]
    );
    assert!(rows.windows(2).all(|w| w[0].wall_s <= w[1].wall_s));

    s.budget = Budget::Epochs(2);
    s.eval_every = 0;
    let (outcome, rows) = run(&s, &data);
    assert_eq!((outcome.steps, rows.len()), (8, 2));
}

#[test]
fn train_loss_is_the_sample_weighted_window_mean() {
    // Full batch with lr 0: every step sees the same loss, so every window mean equals it.
    let data = only_train(linear(50, 3));
    let mut s = linear_regression(0.0, Budget::Steps(6));
    s.eval_every = 2;
    let (outcome, rows) = run(&s, &data);
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.train_loss == rows[0].train_loss));
    assert_eq!(outcome.best_train_loss, rows[0].train_loss);
}

#[test]
fn gradient_norms_global_and_per_layer() {
    let data = only_train(blobs(64, 4, 3, 1.0, 2));
    let mut s = setup(
        vec![3, 16, 8, 4],
        Activation::Tanh,
        Loss::CrossEntropy,
        0.1,
        16,
        Budget::Epochs(1),
    );
    s.eval_every = 1;
    let (outcome, rows) = run(&s, &data);
    assert_eq!(
        outcome.layer_names,
        [
            "layer0.weight",
            "layer0.bias",
            "layer1.weight",
            "layer1.bias",
            "layer2.weight",
            "layer2.bias"
        ]
    );
    for row in &rows {
        assert_eq!(row.layer_grad_norms.len(), 6);
        let from_layers = row
            .layer_grad_norms
            .iter()
            .map(|n| n * n)
            .sum::<f32>()
            .sqrt();
        assert!(
            (from_layers - row.grad_norm).abs() <= 1e-5 * row.grad_norm,
            "{row:?}"
        );
        assert!(row.grad_norm > 0.0);
    }
}

#[test]
fn divergence_stops_before_applying_the_step() {
    // Plain GD on this quadratic diverges for lr > 2 / 2.5 (largest Hessian eigenvalue).
    let data = only_train(linear(100, 1));
    let (outcome, rows) = run(&linear_regression(5.0, Budget::Steps(1000)), &data);
    let TrainStatus::Diverged { step, reason } = &outcome.status else {
        panic!("{:?}", outcome.status)
    };
    assert!(reason.contains("x the initial loss"), "{reason}");
    assert!(*step > 2 && *step < 100, "step {step}");
    assert_eq!(outcome.steps, step - 1);
    assert_eq!(rows.last().unwrap().step, *step);

    let mut capped = linear_regression(0.01, Budget::Steps(10));
    capped.stop.max_loss = Some(1e-3);
    let (outcome, _) = run(&capped, &data);
    let TrainStatus::Diverged { step: 1, reason } = &outcome.status else {
        panic!("{:?}", outcome.status)
    };
    assert!(reason.ends_with("exceeds max_loss 0.001"), "{reason}");
    assert_eq!(outcome.steps, 0);
}

#[test]
fn tolerances_stop_early_and_targets_are_recorded() {
    let data = only_train(linear(100, 2));
    let mut s = linear_regression(0.1, Budget::Steps(5000));
    s.eval_every = 1;
    s.stop.target_loss = Some(0.2);
    let (outcome, rows) = run(&s, &data);
    assert_eq!(
        outcome.status,
        TrainStatus::Completed,
        "a target alone does not stop"
    );
    let first = rows.iter().find(|r| r.train_loss <= 0.2).unwrap().step;
    assert_eq!(outcome.steps_to_target, Some(first));

    s.stop = StopRules {
        loss_tolerance: Some(0.2),
        ..StopRules::default()
    };
    let (outcome, rows) = run(&s, &data);
    assert_eq!(outcome.status, TrainStatus::ReachedTolerance);
    assert_eq!(outcome.steps, first);
    assert!(rows[..rows.len() - 1].iter().all(|r| r.train_loss > 0.2));

    s.stop = StopRules {
        change_tolerance: Some(1e-7),
        ..StopRules::default()
    };
    let (outcome, rows) = run(&s, &data);
    assert_eq!(outcome.status, TrainStatus::ReachedTolerance);
    let n = rows.len();
    assert!(n < 5000 && (rows[n - 1].train_loss - rows[n - 2].train_loss).abs() < 1e-7);
}

#[test]
fn clipping_bounds_the_update() {
    let data = only_train(linear(100, 4));
    let mut s = linear_regression(0.5, Budget::Steps(1));
    s.clip_norm = Some(1e-3);
    let (outcome, rows) = run(&s, &data);
    assert!(
        rows[0].grad_norm > 1.0,
        "the norm is reported before clipping"
    );
    let start = Mlp::new(&s.model, s.seed).params().to_vec();
    let moved: f32 = start
        .iter()
        .zip(&outcome.final_params)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f32>()
        .sqrt();
    assert!((moved - 0.5 * 1e-3).abs() < 1e-6, "update norm {moved}");
}

#[test]
fn the_schedule_sets_each_steps_lr() {
    let data = only_train(linear(20, 5));
    let mut s = linear_regression(0.1, Budget::Steps(4));
    s.eval_every = 1;
    s.schedule = Some((
        "exponential".into(),
        [("gamma".to_string(), HyperValue::Number(0.5))].into(),
    ));
    let (_, rows) = run(&s, &data);
    let lrs: Vec<f32> = rows.iter().map(|r| r.lr).collect();
    assert_eq!(lrs, vec![0.1, 0.05, 0.025, 0.0125]);
}

#[test]
fn same_seed_same_run_at_any_thread_count() {
    let split = train_test_split(&moons(400, 0.1, 3), 0.25, 3);
    let mut s = setup(
        vec![2, 32, 2],
        Activation::Relu,
        Loss::CrossEntropy,
        0.1,
        16,
        Budget::Epochs(20),
    );
    s.optimizer_hyper = [("momentum".to_string(), HyperValue::Number(0.9))].into();
    let (a, _) = run(&s, &split);
    s.par = Par::threads(2);
    let (b, _) = run(&s, &split);
    assert_eq!(a.final_params, b.final_params);
    let strip = |o: &TrainOutcome| {
        o.rows
            .iter()
            .map(|r| (r.train_loss, r.test_loss, r.test_accuracy))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&a), strip(&b));
    s.seed += 1;
    let (c, _) = run(&s, &split);
    assert_ne!(a.final_params, c.final_params);
    // And the run learns: moons are separable by a small ReLU net.
    assert!(
        a.best_test_accuracy.unwrap() > 0.95,
        "{:?}",
        a.best_test_accuracy
    );
}

/// Everything of a row but its wall time, as bits.
fn row_values(rows: &[MetricRow]) -> Vec<Vec<u64>> {
    rows.iter()
        .map(|r| {
            let floats = [
                r.lr,
                r.train_loss,
                r.test_loss.unwrap_or(f32::NAN),
                r.grad_norm,
            ];
            [r.step as u64]
                .into_iter()
                .chain(
                    floats
                        .iter()
                        .chain(&r.layer_grad_norms)
                        .map(|x| u64::from(x.to_bits())),
                )
                .collect()
        })
        .collect()
}

#[test]
fn momentum_absorbed_in_the_backward_changes_no_bit() {
    // SGD with momentum takes the weight gradients into its momentum, in the backward, on
    // every step on one thread without a row or clipping. Clipping at a norm no gradient
    // reaches changes no gradient but stores them all: the runs must agree to the bit (and
    // with 2 threads, which store every gradient). A diverging run reports the same gradient
    // norms (recomputed for its last row).
    let split = train_test_split(&moons(400, 0.1, 3), 0.25, 3);
    let mut s = setup(
        vec![2, 32, 16, 2],
        Activation::Relu,
        Loss::CrossEntropy,
        0.1,
        16,
        Budget::Epochs(4),
    );
    s.optimizer_hyper = [("momentum".to_string(), HyperValue::Number(0.9))].into();
    s.eval_every = 7;
    for (par, lr) in [(Par::Seq, 0.1), (Par::threads(2), 0.1), (Par::Seq, 40.0)] {
        s.par = par;
        s.lr = lr;
        s.clip_norm = None;
        let (absorbed, _) = run(&s, &split);
        s.clip_norm = Some(f32::MAX);
        let (stored, _) = run(&s, &split);
        let bits = |o: &TrainOutcome| {
            o.final_params
                .iter()
                .map(|p| p.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&absorbed), bits(&stored), "{par:?} lr {lr}");
        assert_eq!(
            row_values(&absorbed.rows),
            row_values(&stored.rows),
            "{par:?} lr {lr}"
        );
        assert_eq!(absorbed.status, stored.status);
        let diverges = lr > 1.0;
        assert_eq!(
            matches!(absorbed.status, TrainStatus::Diverged { step, .. } if step % 7 != 0),
            diverges,
            "lr {lr}: {:?} (the divergence must fall between rows)",
            absorbed.status
        );
    }
}

#[test]
fn binary_labels_train_a_single_logit() {
    let split = train_test_split(&moons(400, 0.1, 8), 0.25, 8);
    let mut s = setup(
        vec![2, 16, 1],
        Activation::Tanh,
        Loss::BceWithLogits,
        0.5,
        32,
        Budget::Epochs(40),
    );
    s.optimizer_hyper = [("momentum".to_string(), HyperValue::Number(0.9))].into();
    let (outcome, _) = run(&s, &split);
    assert!(
        outcome.best_test_accuracy.unwrap() > 0.95,
        "{:?}",
        outcome.best_test_accuracy
    );
}

#[test]
fn configuration_errors_are_explained() {
    let data = only_train(blobs(10, 3, 2, 1.0, 1));
    let wrong_inputs = setup(
        vec![5, 3],
        Activation::Relu,
        Loss::CrossEntropy,
        0.1,
        0,
        Budget::Steps(1),
    );
    let Err(TrainError::Config(message)) = train(&wrong_inputs, &data, &mut |_| {}) else {
        panic!()
    };
    assert!(
        message.starts_with("the model takes 5 inputs but blobs("),
        "{message}"
    );
    let wrong_outputs = setup(
        vec![2, 4],
        Activation::Relu,
        Loss::CrossEntropy,
        0.1,
        0,
        Budget::Steps(1),
    );
    let Err(TrainError::Config(message)) = train(&wrong_outputs, &data, &mut |_| {}) else {
        panic!()
    };
    assert!(
        message.starts_with("CrossEntropy loss with 4 outputs does not fit blobs("),
        "{message}"
    );
    assert!(message.ends_with("(3 classes)"), "{message}");
    let empty_layer = setup(
        vec![2, 0, 3],
        Activation::Relu,
        Loss::CrossEntropy,
        0.1,
        0,
        Budget::Steps(1),
    );
    let Err(TrainError::Config(message)) = train(&empty_layer, &data, &mut |_| {}) else {
        panic!()
    };
    assert_eq!(message, "layer sizes must be positive: [2, 0, 3]");
    let mut unknown = setup(
        vec![2, 3],
        Activation::Relu,
        Loss::CrossEntropy,
        0.1,
        0,
        Budget::Steps(1),
    );
    unknown.optimizer = "adamm".into();
    assert!(matches!(
        train(&unknown, &data, &mut |_| {}),
        Err(TrainError::Optim(_))
    ));
    let nothing = setup(
        vec![2, 3],
        Activation::Relu,
        Loss::CrossEntropy,
        0.1,
        0,
        Budget::Epochs(0),
    );
    assert!(matches!(
        train(&nothing, &data, &mut |_| {}),
        Err(TrainError::Config(_))
    ));
}

#[test]
fn phase_timing_is_measured_only_when_asked_and_never_changes_the_run() {
    let data = only_train(blobs(100, 3, 2, 1.0, 1));
    let mut s = blobs_classifier(Budget::Epochs(2));
    let (timed, _) = run(&s, &data);
    assert_eq!(timed.epoch_timings.len(), 2);
    assert!(
        timed
            .epoch_timings
            .iter()
            .all(|t| t.forward_backward_s > 0.0 && t.optimizer_s > 0.0 && t.batching_s > 0.0)
    );
    s.phase_timing = false;
    let (untimed, _) = run(&s, &data);
    assert!(untimed.epoch_timings.is_empty());
    assert_eq!(untimed.final_params, timed.final_params);
}
