//! Whole-network behaviour of `Mlp`: gradients under every loss and activation, agreement with
//! the same network composed from unfused tape ops, layout, evaluation and convergence.

use descent_autograd::gradcheck::{compare, numeric_gradient};
use descent_autograd::{Activation, Init, Loss, Mlp, MlpConfig, Par, Tape, Targets};
use descent_kernels::Op as MatOp;
use descent_rng::Rng;

fn config(sizes: &[usize], activation: Activation, loss: Loss) -> MlpConfig {
    MlpConfig {
        sizes: sizes.to_vec(),
        activation,
        loss,
        // Non-zero biases: with zero biases a row whose relus are all off puts the next
        // layer's pre-activations exactly on the kink, where no finite difference agrees.
        init: Init::PytorchDefault,
    }
}

fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::seed_from(seed);
    (0..n).map(|_| rng.normal(0.0, 1.0)).collect()
}

/// Targets suited to `loss` for `rows x out` outputs.
struct Data {
    labels: Vec<u32>,
    values: Vec<f32>,
}

impl Data {
    fn new(loss: Loss, rows: usize, out: usize, seed: u64) -> Self {
        let mut rng = Rng::seed_from(seed);
        let labels = (0..rows).map(|_| rng.below(out as u64) as u32).collect();
        let values = (0..rows * out)
            .map(|_| match loss {
                Loss::BceWithLogits => rng.uniform_f32(),
                _ => rng.normal(0.0, 1.0),
            })
            .collect();
        Self { labels, values }
    }

    fn targets(&self, loss: Loss) -> Targets<'_> {
        match loss {
            Loss::CrossEntropy => Targets::Classes(&self.labels),
            _ => Targets::Values(&self.values),
        }
    }
}

/// Checks `Mlp::loss_and_grad` of the network `sizes` against central differences under every
/// loss, on 6 random rows.
fn check_gradients(sizes: &[usize], act: Activation, seed: u64) {
    let rows = 6;
    let x = random(rows * sizes[0], seed);
    for loss in [Loss::Mse, Loss::BceWithLogits, Loss::CrossEntropy] {
        let data = Data::new(loss, rows, sizes[sizes.len() - 1], seed + 1);
        let mut mlp = Mlp::new(&config(sizes, act, loss), seed + 2);
        let l = mlp.loss_and_grad(&x, rows, data.targets(loss), Par::Seq);
        assert!(l.is_finite() && l > 0.0);
        let analytic = mlp.grads().to_vec();
        let numeric = numeric_gradient(
            &mut mlp,
            Mlp::params_mut,
            |m| m.loss_and_grad(&x, rows, data.targets(loss), Par::Seq),
            1e-3,
        );
        let result = compare(&analytic, &numeric, 1e-3, 1e-2);
        assert!(result.passed(), "{sizes:?} {loss:?} {act:?}: {result:?}");
    }
}

#[test]
fn mlp_gradients_match_finite_differences_under_every_loss_and_activation() {
    for act in [
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Relu,
        Activation::LeakyRelu(0.1),
    ] {
        check_gradients(&[5, 7, 6, 3], act, 1);
    }
}

#[test]
fn linear_model_gradients_match_finite_differences_under_every_loss() {
    // No hidden layer: `loss_and_grad` takes the direct step instead of the tape.
    check_gradients(&[5, 3], Activation::Identity, 11);
}

#[test]
fn the_direct_step_of_a_linear_model_gives_the_tapes_bits() {
    // `forward_loss` + `backward` always record the graph on the tape: the reference.
    let cases = [
        (Loss::Mse, 1, 1, 100, false),
        (Loss::Mse, 3, 2, 7, false),
        (Loss::Mse, 3, 3, 9, true),
        (Loss::BceWithLogits, 4, 1, 33, false),
        (Loss::BceWithLogits, 4, 3, 9, true),
        (Loss::CrossEntropy, 6, 4, 50, true),
        (Loss::CrossEntropy, 64, 10, 700, true),
    ];
    for (loss, n_in, n_out, rows, labels) in cases {
        let x = random(rows * n_in, 50);
        let data = Data::new(loss, rows, n_out, 51);
        let targets = if labels {
            Targets::Classes(&data.labels)
        } else {
            Targets::Values(&data.values)
        };
        let cfg = config(&[n_in, n_out], Activation::Identity, loss);
        for par in [Par::Seq, Par::threads(2)] {
            let (mut direct, mut tape) = (Mlp::new(&cfg, 5), Mlp::new(&cfg, 5));
            let mut lent = x.clone();
            for step in 0..3 {
                let ld = if step == 1 {
                    direct.loss_and_grad_lend(&mut lent, rows, targets, par)
                } else {
                    direct.loss_and_grad(&x, rows, targets, par)
                };
                let lt = tape.forward_loss(&x, rows, targets, par);
                tape.backward();
                let case = format!("{loss:?} {n_in}->{n_out} x{rows} {par:?} step {step}");
                assert_eq!(ld.to_bits(), lt.to_bits(), "{case}");
                assert_eq!(direct.grads(), tape.grads(), "{case}");
                assert!(direct.grads().iter().all(|g| g.is_finite()), "{case}");
                assert_eq!(lent, x, "{case}");
                for m in [&mut direct, &mut tape] {
                    let (p, g) = m.params_and_grads_mut();
                    p.iter_mut().zip(g.iter()).for_each(|(p, g)| *p -= 0.5 * g);
                }
            }
        }
    }
}

#[test]
fn fused_mlp_equals_the_same_network_from_unfused_ops() {
    // Rebuild the Mlp's computation from matmul + bias_add + activation + loss on a separate
    // tape with a copy of its parameters: values and gradients must agree.
    let (rows, sizes) = (5, [4, 6, 3]);
    let x = random(rows * 4, 4);
    let labels = [0u32, 2, 1, 1, 0];
    let mut mlp = Mlp::new(&config(&sizes, Activation::Tanh, Loss::CrossEntropy), 9);
    let fused_loss = mlp.loss_and_grad(&x, rows, Targets::Classes(&labels), Par::Seq);

    let mut tape = Tape::new();
    let p: Vec<_> = [(4, 6), (1, 6), (6, 3), (1, 3)]
        .iter()
        .map(|&(r, c)| tape.add_param(r, c))
        .collect();
    tape.params_mut().copy_from_slice(mlp.params());
    let input = tape.input(&x, rows, 4);
    let v: Vec<_> = p.iter().map(|&id| tape.param(id)).collect();
    let h = tape.matmul(input, MatOp::Identity, v[0], MatOp::Identity);
    let h = tape.bias_add(h, v[1]);
    let h = tape.tanh(h);
    let z = tape.matmul(h, MatOp::Identity, v[2], MatOp::Identity);
    let z = tape.bias_add(z, v[3]);
    let loss = tape.cross_entropy(z, &labels);
    tape.backward(loss);

    assert!((tape.scalar(loss) - fused_loss).abs() < 1e-6);
    for (a, b) in tape.grads().iter().zip(mlp.grads()) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}

#[test]
fn layer_ranges_tile_the_flat_buffer_in_order() {
    let mlp = Mlp::new(
        &config(&[784, 128, 10], Activation::Relu, Loss::CrossEntropy),
        0,
    );
    let ranges = mlp.layer_ranges();
    let names: Vec<_> = ranges.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "layer0.weight",
            "layer0.bias",
            "layer1.weight",
            "layer1.bias"
        ]
    );
    let lens: Vec<_> = ranges.iter().map(|(_, r)| r.len()).collect();
    assert_eq!(lens, [784 * 128, 128, 128 * 10, 10]);
    assert_eq!(ranges[0].1.start, 0);
    assert!(ranges.windows(2).all(|w| w[0].1.end == w[1].1.start));
    assert_eq!(ranges[3].1.end, mlp.params().len());
    assert_eq!(mlp.grads().len(), mlp.params().len());
    // The flat buffers start on a cache line, so the first weight (read in place by the forward
    // GEMM, written by the weight-gradient GEMM) is line-aligned wherever the allocator puts it.
    let line_aligned = |s: &[f32]| (s.as_ptr() as usize).is_multiple_of(64);
    assert!(line_aligned(mlp.params()) && line_aligned(mlp.grads()));
}

#[test]
fn same_seed_same_network_and_gradients_at_any_thread_count() {
    let cfg = config(&[20, 16, 4], Activation::Relu, Loss::CrossEntropy);
    let (a, b, c) = (Mlp::new(&cfg, 5), Mlp::new(&cfg, 5), Mlp::new(&cfg, 6));
    assert_eq!(a.params(), b.params());
    assert_ne!(a.params(), c.params());

    let rows = 37;
    let x = random(rows * 20, 8);
    let labels: Vec<u32> = (0..rows as u32).map(|i| i % 4).collect();
    let (mut seq, mut par) = (a, b);
    let l1 = seq.loss_and_grad(&x, rows, Targets::Classes(&labels), Par::Seq);
    let l2 = par.loss_and_grad(&x, rows, Targets::Classes(&labels), Par::Rayon(2));
    assert_eq!(l1.to_bits(), l2.to_bits());
    assert_eq!(seq.grads(), par.grads());
}

#[test]
fn evaluate_in_chunks_equals_one_full_pass() {
    // 2500 rows = three evaluation chunks (1024, 1024, 452).
    let rows = 2500;
    let x = random(rows * 8, 10);
    let mut rng = Rng::seed_from(11);
    let labels: Vec<u32> = (0..rows).map(|_| rng.below(3) as u32).collect();
    let mut mlp = Mlp::new(
        &config(&[8, 12, 3], Activation::Tanh, Loss::CrossEntropy),
        12,
    );
    let full_loss = mlp.loss_and_grad(&x, rows, Targets::Classes(&labels), Par::Seq);
    let grads = mlp.grads().to_vec();

    let (loss, acc) = mlp.evaluate(&x, rows, Targets::Classes(&labels), Par::Seq);
    assert!(
        (loss - full_loss).abs() < 1e-5 * full_loss,
        "{loss} vs {full_loss}"
    );
    assert_eq!(mlp.grads(), grads, "evaluate leaves the gradients alone");

    let out = mlp.forward(&x, rows, Par::Seq).to_vec();
    let correct = out
        .chunks_exact(3)
        .zip(&labels)
        .filter(|(row, y)| {
            let best = (0..3).fold(0, |b, j| if row[j] > row[b] { j } else { b });
            best == **y as usize
        })
        .count();
    assert_eq!(acc, Some(correct as f32 / rows as f32));
}

#[test]
fn evaluate_reports_accuracy_only_for_classification() {
    let x = [0.0f32, 1.0, 2.0, 3.0];
    let mut mse = Mlp::new(&config(&[1, 1], Activation::Identity, Loss::Mse), 1);
    assert_eq!(
        mse.evaluate(&x, 4, Targets::Values(&[0.0; 4]), Par::Seq).1,
        None
    );
    // One BCE logit against 0/1 labels: accuracy is the share of correctly signed logits.
    let mut bce = Mlp::new(
        &config(&[1, 1], Activation::Identity, Loss::BceWithLogits),
        1,
    );
    let (w, b) = (2.0f32, -3.0f32); // logit = 2x - 3: negative for x = 0, 1; positive for 2, 3.
    bce.params_mut().copy_from_slice(&[w, b]);
    let (_, acc) = bce.evaluate(&x, 4, Targets::Classes(&[0, 1, 1, 1]), Par::Seq);
    assert_eq!(acc, Some(0.75));
    let (loss, acc) = bce.evaluate(&x, 4, Targets::Values(&[0.0, 0.0, 1.0, 1.0]), Par::Seq);
    assert_eq!(acc, Some(1.0));
    // l = mean ln(1 + e^-|z|) for correctly signed logits z = -3, -1, 1, 3.
    let want = (2.0 * (1.0 + (-3.0f64).exp()).ln() + 2.0 * (1.0 + (-1.0f64).exp()).ln()) / 4.0;
    assert!((f64::from(loss) - want).abs() < 1e-6, "{loss} vs {want}");
}

#[test]
fn gradient_descent_on_a_linear_model_reaches_least_squares() {
    // y = 3x + 2 + noise; MSE gradient descent converges to the closed-form OLS fit.
    let n = 100;
    let mut rng = Rng::seed_from(1);
    let x: Vec<f32> = (0..n).map(|_| rng.uniform_f32()).collect();
    let y: Vec<f32> = x
        .iter()
        .map(|&x| 3.0 * x + 2.0 + rng.uniform_f32())
        .collect();
    let mean = |v: &[f32]| v.iter().map(|&a| f64::from(a)).sum::<f64>() / n as f64;
    let (mx, my) = (mean(&x), mean(&y));
    let sxy: f64 = x
        .iter()
        .zip(&y)
        .map(|(&a, &b)| (f64::from(a) - mx) * (f64::from(b) - my))
        .sum();
    let sxx: f64 = x.iter().map(|&a| (f64::from(a) - mx).powi(2)).sum();
    let (w_ols, b_ols) = (sxy / sxx, my - sxy / sxx * mx);

    let mut mlp = Mlp::new(&config(&[1, 1], Activation::Identity, Loss::Mse), 0);
    for _ in 0..20_000 {
        mlp.loss_and_grad(&x, n, Targets::Values(&y), Par::Seq);
        let (p, g) = mlp.params_and_grads_mut();
        p.iter_mut().zip(g.iter()).for_each(|(p, g)| *p -= 0.5 * g);
    }
    let (w, b) = (f64::from(mlp.params()[0]), f64::from(mlp.params()[1]));
    assert!(
        (w - w_ols).abs() < 1e-3 && (b - b_ols).abs() < 1e-3,
        "{w} {b} vs {w_ols} {b_ols}"
    );
}

#[test]
fn a_sigmoid_network_learns_xor() {
    let x = [0.0f32, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
    let y = [0.0f32, 1.0, 1.0, 0.0];
    let mut mlp = Mlp::new(&config(&[2, 4, 1], Activation::Sigmoid, Loss::Mse), 1);
    let initial = mlp.loss_and_grad(&x, 4, Targets::Values(&y), Par::Seq);
    let mut loss = initial;
    for _ in 0..3000 {
        loss = mlp.loss_and_grad(&x, 4, Targets::Values(&y), Par::Seq);
        let (p, g) = mlp.params_and_grads_mut();
        p.iter_mut().zip(g.iter()).for_each(|(p, g)| *p -= 0.5 * g);
    }
    assert!(initial > 0.2 && loss < 1e-3, "{initial} -> {loss}");
}

#[test]
fn forward_loss_then_backward_equals_loss_and_grad() {
    let x = random(9 * 4, 20);
    let labels = [0u32, 1, 2, 0, 1, 2, 0, 1, 2];
    let cfg = config(&[4, 5, 3], Activation::Sigmoid, Loss::CrossEntropy);
    let (mut a, mut b) = (Mlp::new(&cfg, 2), Mlp::new(&cfg, 2));
    let la = a.loss_and_grad(&x, 9, Targets::Classes(&labels), Par::Seq);
    let lb = b.forward_loss(&x, 9, Targets::Classes(&labels), Par::Seq);
    assert!(
        b.grads().iter().all(|&g| g == 0.0),
        "no gradient before backward"
    );
    b.backward();
    assert_eq!(la.to_bits(), lb.to_bits());
    assert_eq!(a.grads(), b.grads());
    assert!(a.grads().iter().any(|&g| g != 0.0));
}

#[test]
#[should_panic(expected = "without a recorded forward_loss")]
fn backward_after_evaluate_is_refused() {
    let mut mlp = Mlp::new(&config(&[2, 2], Activation::Tanh, Loss::Mse), 0);
    mlp.forward_loss(&[1.0, 2.0], 1, Targets::Values(&[0.5, 0.5]), Par::Seq);
    mlp.evaluate(&[1.0, 2.0], 1, Targets::Values(&[0.5, 0.5]), Par::Seq);
    mlp.backward();
}

#[test]
fn lending_the_batch_equals_copying_it_and_hands_the_buffer_back() {
    let rows = 7;
    let x = random(rows * 6, 30);
    let labels = [1u32, 0, 3, 2, 2, 1, 0];
    let cfg = config(&[6, 8, 4], Activation::LeakyRelu(0.01), Loss::CrossEntropy);
    let (mut a, mut b) = (Mlp::new(&cfg, 4), Mlp::new(&cfg, 4));
    let mut lent = x.clone();
    let ptr = lent.as_ptr();
    for _ in 0..3 {
        let la = a.loss_and_grad(&x, rows, Targets::Classes(&labels), Par::Seq);
        let lb = b.loss_and_grad_lend(&mut lent, rows, Targets::Classes(&labels), Par::Seq);
        assert_eq!(la.to_bits(), lb.to_bits());
        assert_eq!(a.grads(), b.grads());
        assert_eq!((lent.as_ptr(), &lent), (ptr, &x));
        for m in [&mut a, &mut b] {
            let (p, g) = m.params_and_grads_mut();
            p.iter_mut().zip(g.iter()).for_each(|(p, g)| *p -= 0.1 * g);
        }
    }
}

#[test]
fn class_labels_as_regression_targets_are_one_hot_rows_or_the_label_itself() {
    let rows = 4;
    let x = random(rows * 3, 40);
    let labels = [2u32, 0, 1, 2];
    let one_hot: Vec<f32> = labels
        .iter()
        .flat_map(|&y| (0..3).map(move |j| (j == y as usize) as u8 as f32))
        .collect();
    for loss in [Loss::Mse, Loss::BceWithLogits] {
        let cfg = config(&[3, 5, 3], Activation::Tanh, loss);
        let (mut a, mut b) = (Mlp::new(&cfg, 1), Mlp::new(&cfg, 1));
        let la = a.loss_and_grad(&x, rows, Targets::Classes(&labels), Par::Seq);
        let lb = b.loss_and_grad(&x, rows, Targets::Values(&one_hot), Par::Seq);
        assert_eq!(la.to_bits(), lb.to_bits(), "{loss:?}");
        assert_eq!(a.grads(), b.grads(), "{loss:?}");
    }
    let binary = [1u32, 0, 0, 1];
    let cfg = config(&[3, 1], Activation::Identity, Loss::BceWithLogits);
    let (mut a, mut b) = (Mlp::new(&cfg, 1), Mlp::new(&cfg, 1));
    let la = a.loss_and_grad(&x, rows, Targets::Classes(&binary), Par::Seq);
    let lb = b.loss_and_grad(&x, rows, Targets::Values(&[1.0, 0.0, 0.0, 1.0]), Par::Seq);
    assert_eq!(la.to_bits(), lb.to_bits());
}

#[test]
fn mse_on_class_labels_scores_accuracy_by_argmax() {
    let mut mlp = Mlp::new(&config(&[2, 2], Activation::Identity, Loss::Mse), 0);
    // Outputs = inputs (identity weights, zero bias).
    mlp.params_mut()
        .copy_from_slice(&[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    let x = [0.9, 0.1, 0.2, 0.8, 0.7, 0.3];
    let (loss, acc) = mlp.evaluate(&x, 3, Targets::Classes(&[0, 1, 1]), Par::Seq);
    assert_eq!(acc, Some(2.0 / 3.0));
    // Squared errors against one-hot rows: 0.01+0.01, 0.04+0.04, 0.49+0.49 over 6 outputs.
    assert!((loss - 1.08 / 6.0).abs() < 1e-6, "{loss}");
}

/// The side job beside a step (training's next-batch gather) runs, and the step's loss and
/// gradients are those of the plain step (batch copied, one backward sweep) to the bit, on one
/// thread or two, under every loss.
#[test]
fn a_side_job_beside_the_step_changes_no_bit() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let rows = 9;
    let x = random(rows * 6, 50);
    let labels = [1u32, 0, 3, 2, 2, 1, 0, 3, 1];
    let values = random(rows * 4, 51);
    for (sizes, loss, targets) in [
        (
            &[6, 8, 4][..],
            Loss::CrossEntropy,
            Targets::Classes(&labels),
        ),
        (&[6, 9, 7, 4][..], Loss::Mse, Targets::Values(&values)),
        (
            &[6, 5, 4][..],
            Loss::BceWithLogits,
            Targets::Values(&values),
        ),
        // No hidden layer: the side job runs first, then the linear model's step.
        (&[6, 4][..], Loss::CrossEntropy, Targets::Classes(&labels)),
    ] {
        let cfg = config(sizes, Activation::Tanh, loss);
        for par in [Par::Seq, Par::Rayon(2)] {
            let (mut a, mut b) = (Mlp::new(&cfg, 8), Mlp::new(&cfg, 8));
            let mut xb = x.clone();
            for step in 0..3 {
                let la = pool.install(|| a.loss_and_grad(&x, rows, targets, par));
                let mut side_ran = false;
                let lb = pool.install(|| {
                    b.loss_and_grad_lend_beside(&mut xb, rows, targets, par, None, || {
                        side_ran = true
                    })
                });
                assert!(side_ran, "{sizes:?} {par:?} step {step}");
                assert_eq!(la.to_bits(), lb.to_bits(), "{sizes:?} {par:?} step {step}");
                assert_eq!(a.grads(), b.grads(), "{sizes:?} {par:?} step {step}");
                assert_eq!(xb, x);
                for m in [&mut a, &mut b] {
                    let (p, g) = m.params_and_grads_mut();
                    p.iter_mut().zip(g.iter()).for_each(|(p, g)| *p -= 0.1 * g);
                }
            }
        }
    }
}
