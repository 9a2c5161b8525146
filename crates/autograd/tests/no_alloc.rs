//! A training step allocates nothing after warm-up, counted by a global allocator that wraps
//! the system one. This binary holds one test so no other test allocates concurrently.

use descent_autograd::{Activation, Init, Loss, Mlp, MlpConfig, Par, Targets};
use descent_rng::Rng;
use descent_testkit::{CountingAllocator, allocations};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn training_steps_allocate_nothing_after_three_warm_up_steps() {
    // One worker: thread-local kernel buffers warm up on the thread that counts, whichever
    // worker `install` lands on (the side-job path still forks and joins).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let (rows, n_in, n_out) = (32, 64, 10);
    let mut rng = Rng::seed_from(1);
    let x: Vec<f32> = (0..rows * n_in).map(|_| rng.normal(0.0, 1.0)).collect();
    let labels: Vec<u32> = (0..rows).map(|_| rng.below(n_out as u64) as u32).collect();
    let values: Vec<f32> = (0..rows * n_out).map(|_| rng.uniform_f32()).collect();

    for (loss, targets) in [
        (Loss::CrossEntropy, Targets::Classes(&labels)),
        (Loss::Mse, Targets::Values(&values)),
        (Loss::BceWithLogits, Targets::Values(&values)),
    ] {
        let config = MlpConfig {
            sizes: vec![n_in, 48, 24, n_out],
            activation: Activation::Relu,
            loss,
            init: Init::PytorchDefault,
        };
        let mut mlp = Mlp::new(&config, 3);
        let mut lent = x.clone();
        let mut counts = Vec::with_capacity(9);
        let mut losses = [0.0f32; 9];
        for (step, loss_slot) in losses.iter_mut().enumerate() {
            let before = allocations();
            // Every way of feeding the batch: copied into the tape, lent to it, or lent with a
            // side job beside the step (training's next-batch gather).
            *loss_slot = match step % 3 {
                0 => mlp.loss_and_grad(&x, rows, targets, Par::Seq),
                1 => mlp.loss_and_grad_lend(&mut lent, rows, targets, Par::Seq),
                _ => pool.install(|| {
                    mlp.loss_and_grad_lend_beside(
                        &mut lent,
                        rows,
                        targets,
                        Par::Rayon(2),
                        None,
                        || {},
                    )
                }),
            };
            // A plain SGD step between, as in training (no allocation either).
            let (p, g) = mlp.params_and_grads_mut();
            p.iter_mut().zip(g.iter()).for_each(|(p, g)| *p -= 0.05 * g);
            counts.push(allocations() - before);
        }
        assert!(
            counts[0] > 0,
            "{loss:?}: the first step sets up the tape: {counts:?}"
        );
        assert_eq!(
            counts[3..],
            [0, 0, 0, 0, 0, 0],
            "{loss:?}: allocations per step {counts:?}"
        );
        assert!(
            losses[8] < losses[0],
            "{loss:?}: training moved: {losses:?}"
        );
    }
}
