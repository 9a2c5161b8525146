//! After warm-up a training step allocates nothing: gathering the batch, forward, backward,
//! gradient norms, clipping, the optimizer and the schedule all reuse their buffers, and so do
//! steps whose weight gradients go straight into SGD's momentum. Counted with a global
//! allocator: 40 more steps must not add a single allocation.

use descent_testkit::CountingAllocator;
use std::sync::Arc;

use descent_autograd::{Activation, Init, Loss, MlpConfig, Par};
use descent_data::{Split, blobs};
use descent_lab::train::{Budget, StopRules, TrainSetup, train};
use descent_optim::HyperValue;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Allocations made by a run of `steps` steps within the first epoch, one metric row at the end:
/// Adam with clipping, or (`absorbing`) SGD with momentum and no clipping, whose steps without
/// a row fold the weight gradients into the momentum.
fn allocations(steps: usize, absorbing: bool) -> usize {
    // 1000 samples in batches of 10: all steps below stay inside epoch 1.
    let data = Split {
        train: Arc::new(blobs(1000, 4, 8, 1.0, 3)),
        test: None,
    };
    let mut setup = TrainSetup {
        model: MlpConfig {
            sizes: vec![8, 32, 4],
            activation: Activation::Relu,
            loss: Loss::CrossEntropy,
            init: Init::HeUniform,
        },
        optimizer: "adam".into(),
        optimizer_hyper: [("weight_decay".to_string(), HyperValue::Number(1e-4))].into(),
        lr: 1e-3,
        schedule: Some(("cosine".into(), Default::default())),
        batch_size: 10,
        budget: Budget::Steps(steps),
        eval_every: 0,
        clip_norm: Some(1.0),
        stop: StopRules {
            target_loss: Some(1e-9),
            ..StopRules::default()
        },
        seed: 1,
        par: Par::Seq,
        phase_timing: false,
    };
    if absorbing {
        setup.optimizer = "sgd".into();
        setup.optimizer_hyper = [("momentum".to_string(), HyperValue::Number(0.9))].into();
        setup.clip_norm = None;
    }
    let before = descent_testkit::allocations();
    let outcome = train(&setup, &data, &mut |_| {}).unwrap();
    let after = descent_testkit::allocations();
    assert_eq!((outcome.steps, outcome.rows.len()), (steps, 1));
    drop(outcome);
    after - before
}

#[test]
fn steps_after_warm_up_allocate_nothing() {
    for absorbing in [false, true] {
        allocations(10, absorbing); // process-wide one-time set-up (lazy statics, thread locals)
        let short = allocations(10, absorbing);
        let long = allocations(50, absorbing);
        assert!(short > 0, "the counter sees the run's set-up");
        assert_eq!(
            long,
            short,
            "absorbing {absorbing}: 40 extra steps allocated {} times",
            long as isize - short as isize
        );
    }
}
