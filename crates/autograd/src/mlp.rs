//! A multi-layer perceptron driven through the tape: fused linear layers, an activation between
//! them, a linear output and a loss.
//!
//! One training step records `input -> (param, param, linear) x L -> loss` and sweeps it back:
//! per layer one GEMM forward (bias and activation in its epilogue), one for `dW = X^T dZ`
//! (written into the flat gradient buffer) and one for `dX = dZ W^T` (skipped for the first
//! layer, whose input needs no gradient). The tape's pooled buffers make every step after the
//! first allocation-free. A model without hidden layers (linear, logistic or softmax
//! regression) steps without recording ([`crate::linear_model`]): the same kernels, the same
//! bits, none of the bookkeeping that dominates a step of a tiny model.

use std::ops::Range;

use descent_kernels::{Activation, MomentumSink, Par};
use descent_rng::Rng;

use crate::linear_model::LinearStep;
use crate::loss::{cross_entropy_labels, fill_targets};
use crate::{Init, Linear, Loss, Tape, Targets, Var};

/// Rows per forward pass in [`Mlp::evaluate`], bounding its memory.
const EVAL_CHUNK_ROWS: usize = 1024;

/// The shape and training objective of an [`Mlp`].
#[derive(Clone, Debug, PartialEq)]
pub struct MlpConfig {
    /// Layer widths `[in, h1, ..., out]`; at least two entries, all positive.
    pub sizes: Vec<usize>,
    /// Activation after every hidden layer (the output layer is linear).
    pub activation: Activation,
    /// The loss on the outputs.
    pub loss: Loss,
    /// How weights and biases are drawn.
    pub init: Init,
}

/// A multi-layer perceptron whose parameters live in one flat buffer.
#[derive(Clone, Debug)]
pub struct Mlp {
    config: MlpConfig,
    tape: Tape,
    layers: Vec<Linear>,
    /// The loss node of the last [`Mlp::forward_loss`], awaiting [`Mlp::backward`].
    loss: Option<Var>,
    /// Buffers of the direct step of a model without hidden layers.
    linear_step: LinearStep,
    /// The parameter ranges whose gradients the last step folded into a momentum sink.
    absorbed: Vec<Range<usize>>,
}

impl Mlp {
    /// Builds the network; layer `i` is initialised from `Rng::derive(seed, i)`.
    pub fn new(config: &MlpConfig, seed: u64) -> Self {
        let sizes = &config.sizes;
        assert!(
            sizes.len() >= 2,
            "Mlp needs at least [inputs, outputs], got {sizes:?}"
        );
        assert!(
            sizes.iter().all(|&s| s > 0),
            "Mlp layer sizes must be positive: {sizes:?}"
        );
        let mut tape = Tape::new();
        let last = sizes.len() - 2;
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, io)| {
                let act = if i == last {
                    Activation::Identity
                } else {
                    config.activation
                };
                let mut rng = Rng::derive(seed, i as u64);
                Linear::new(&mut tape, io[0], io[1], act, config.init, &mut rng)
            })
            .collect();
        Self {
            config: config.clone(),
            tape,
            layers,
            loss: None,
            linear_step: LinearStep::default(),
            absorbed: Vec::new(),
        }
    }

    pub fn config(&self) -> &MlpConfig {
        &self.config
    }

    pub fn layers(&self) -> &[Linear] {
        &self.layers
    }

    /// Number of inputs per row.
    pub fn inputs(&self) -> usize {
        self.config.sizes[0]
    }

    /// Number of outputs per row.
    pub fn outputs(&self) -> usize {
        *self.config.sizes.last().expect("sizes has >= 2 entries")
    }

    /// Number of parameters (weights and biases of all layers).
    pub fn num_params(&self) -> usize {
        self.tape.params().len()
    }

    /// All parameters, flat: per layer its `[in x out]` weight then its bias.
    pub fn params(&self) -> &[f32] {
        self.tape.params()
    }

    pub fn params_mut(&mut self) -> &mut [f32] {
        self.tape.params_mut()
    }

    /// The gradient of the last [`Mlp::loss_and_grad`], laid out like [`Mlp::params`]. The
    /// ranges in [`Mlp::absorbed`] hold stale values: their gradients went into a momentum
    /// buffer instead.
    pub fn grads(&self) -> &[f32] {
        self.tape.grads()
    }

    /// Parameters and gradients at once (clip the gradients, then step the parameters).
    pub fn params_and_grads_mut(&mut self) -> (&mut [f32], &mut [f32]) {
        self.tape.params_and_grads_mut()
    }

    /// [`Mlp::params_and_grads_mut`] with [`Mlp::absorbed`]: what an optimizer's absorbing step
    /// takes.
    pub fn step_buffers(&mut self) -> (&mut [f32], &mut [f32], &[Range<usize>]) {
        let (params, grads) = self.tape.params_and_grads_mut();
        (params, grads, &self.absorbed)
    }

    /// `("layer{i}.weight", range)` and `("layer{i}.bias", range)` for every layer, in buffer
    /// order.
    pub fn layer_ranges(&self) -> Vec<(String, Range<usize>)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| {
                [
                    (format!("layer{i}.weight"), self.tape.param_range(l.weight)),
                    (format!("layer{i}.bias"), self.tape.param_range(l.bias)),
                ]
            })
            .collect()
    }

    /// Forward and backward on a batch of `rows` inputs (`x` is `rows x inputs`, row-major);
    /// fills [`Mlp::grads`] with the gradient of the mean loss and returns that loss.
    /// Allocates nothing after the first call with the largest batch.
    pub fn loss_and_grad(&mut self, x: &[f32], rows: usize, targets: Targets<'_>, par: Par) -> f32 {
        if let Some(loss) = self.step_linear_model(x, rows, targets, par) {
            return loss;
        }
        let loss = self.forward_loss(x, rows, targets, par);
        self.backward();
        loss
    }

    /// [`Mlp::loss_and_grad`] without copying the batch into the tape: `x`'s buffer is lent to
    /// the tape's input node for the step and handed back (same allocation, same contents).
    pub fn loss_and_grad_lend(
        &mut self,
        x: &mut Vec<f32>,
        rows: usize,
        targets: Targets<'_>,
        par: Par,
    ) -> f32 {
        self.loss_and_grad_lend_beside(x, rows, targets, par, None, || {})
    }

    /// The parameter ranges (the weights, in buffer order) whose gradients the last
    /// [`Mlp::loss_and_grad_lend_beside`] folded into its momentum sink; empty after a step
    /// without one.
    pub fn absorbed(&self) -> &[Range<usize>] {
        &self.absorbed
    }

    /// Whether [`Mlp::loss_and_grad_lend_beside`] runs its side job on another thread with
    /// `par`: with a hidden layer and more than one thread.
    pub fn runs_beside(&self, par: Par) -> bool {
        self.layers.len() >= 2 && par.degree() > 1
    }

    /// [`Mlp::loss_and_grad_lend`] with `side` run beside the part of the step that has no
    /// parallel kernel: the layers after the first and the loss, forward and backward (small
    /// GEMMs and element-wise work on little data: one thread's job, while the pool's other
    /// threads wait). With `par` above one thread and a hidden layer, another thread of the
    /// pool runs `side` meanwhile (training gathers its next batch there). On one thread `side`
    /// runs just before that part (training prefetches its next batch's rows there, while the
    /// memory system has little else to do); without a hidden layer, first. The loss and the
    /// gradients are the same to the bit either way.
    ///
    /// With a `sink` (an optimizer's momentum buffer, as long as the parameters), each weight's
    /// gradient is folded into the weight's range of it, `b = momentum * b + g`, by the
    /// weight-gradient GEMM ([`descent_kernels::gemm_into_momentum`]), instead of being
    /// stored; [`Mlp::absorbed`] then lists those ranges. The biases' gradients are stored as
    /// usual. A model without hidden layers ignores the sink.
    pub fn loss_and_grad_lend_beside(
        &mut self,
        x: &mut Vec<f32>,
        rows: usize,
        targets: Targets<'_>,
        par: Par,
        mut sink: Option<MomentumSink<'_>>,
        side: impl FnOnce() + Send,
    ) -> f32 {
        self.absorbed.clear();
        if self.layers.len() < 2 {
            side();
            return self
                .step_linear_model(x, rows, targets, par)
                .expect("a model without a hidden layer steps as a linear model");
        }
        self.tape.set_par(par);
        self.start_recording();
        let input = self.tape.input_swap(x, rows, self.inputs());
        let first = self.layers[0].forward(&mut self.tape, input);
        // The sweep runs in two parts: down to the first layer's node, then that node.
        let rest_of_step = |mlp: &mut Self, sink: Option<&mut MomentumSink<'_>>| {
            let logits = mlp.record_layers(first, 1);
            let loss = mlp.record_loss(logits, rows, targets);
            mlp.tape.begin_backward(loss);
            mlp.tape.sweep(loss.0 + 1, first.0 + 1, sink);
            loss
        };
        let loss = if self.runs_beside(par) {
            let sink = sink.as_mut();
            descent_kernels::join(|| rest_of_step(self, sink), side).0
        } else {
            side();
            rest_of_step(self, sink.as_mut())
        };
        self.tape.sweep(first.0 + 1, 0, sink.as_mut());
        self.tape.end_backward();
        self.absorbed.extend(self.tape.absorbed_ranges());
        self.tape.swap_input(input, x);
        self.tape.scalar(loss)
    }

    /// The forward half of [`Mlp::loss_and_grad`] (for timing the phases apart): records the
    /// batch and its loss and returns the mean loss; [`Mlp::backward`] completes the step.
    pub fn forward_loss(&mut self, x: &[f32], rows: usize, targets: Targets<'_>, par: Par) -> f32 {
        self.tape.set_par(par);
        let logits = self.record_forward(x, rows);
        let loss = self.record_loss(logits, rows, targets);
        self.loss = Some(loss);
        self.tape.scalar(loss)
    }

    /// The backward half of [`Mlp::loss_and_grad`]: fills [`Mlp::grads`] from the loss recorded
    /// by the last [`Mlp::forward_loss`].
    ///
    /// # Panics
    /// If no loss is recorded (no `forward_loss` since the last `backward`, `forward` or
    /// `evaluate`).
    pub fn backward(&mut self) {
        let loss = self
            .loss
            .take()
            .expect("Mlp::backward without a recorded forward_loss");
        self.tape.backward(loss);
    }

    /// The outputs (logits for the cross-entropy losses) for `rows` inputs, `rows x outputs`.
    pub fn forward(&mut self, x: &[f32], rows: usize, par: Par) -> &[f32] {
        self.tape.set_par(par);
        let out = self.record_forward(x, rows);
        self.tape.value(out)
    }

    /// Mean loss over `rows` samples and, for classification, the accuracy: argmax over the
    /// outputs (or the sign of a single logit, `> 0.5` for one MSE output) against class
    /// labels, or thresholded BCE outputs against `> 0.5` targets. Runs in chunks of 1024 rows
    /// reusing the same buffers. Leaves [`Mlp::grads`] untouched.
    pub fn evaluate(
        &mut self,
        x: &[f32],
        rows: usize,
        targets: Targets<'_>,
        par: Par,
    ) -> (f32, Option<f32>) {
        assert!(rows > 0, "evaluate: no rows");
        let (n_in, n_out) = (self.inputs(), self.outputs());
        assert_eq!(x.len(), rows * n_in, "evaluate: x is not {rows}x{n_in}");
        self.tape.set_par(par);
        let mut loss_sum = 0.0f64;
        let mut hits = Hits::default();
        for start in (0..rows).step_by(EVAL_CHUNK_ROWS) {
            let n = EVAL_CHUNK_ROWS.min(rows - start);
            let xs = &x[start * n_in..(start + n) * n_in];
            let ts = match targets {
                Targets::Classes(l) => Targets::Classes(&l[start..start + n]),
                Targets::Values(v) => Targets::Values(&v[start * n_out..(start + n) * n_out]),
            };
            let logits = self.record_forward(xs, n);
            let loss = self.record_loss(logits, n, ts);
            loss_sum += f64::from(self.tape.scalar(loss)) * n as f64;
            hits.count(self.config.loss, self.tape.value(logits), n_out, ts);
        }
        ((loss_sum / rows as f64) as f32, hits.accuracy())
    }

    /// A linear model (no hidden layer) steps without recording a graph ([`LinearStep`]: the
    /// same loss and gradient to the bit); `None` for a deeper model.
    fn step_linear_model(
        &mut self,
        x: &[f32],
        rows: usize,
        targets: Targets<'_>,
        par: Par,
    ) -> Option<f32> {
        let &[layer] = self.layers.as_slice() else {
            return None;
        };
        self.loss = None;
        Some(self.linear_step.loss_and_grad(
            &mut self.tape,
            &layer,
            self.config.loss,
            x,
            rows,
            targets,
            par,
        ))
    }

    fn start_recording(&mut self) {
        self.loss = None;
        self.tape.reset();
    }

    fn record_forward(&mut self, x: &[f32], rows: usize) -> Var {
        self.start_recording();
        let input = self.tape.input(x, rows, self.inputs());
        self.record_layers(input, 0)
    }

    /// Records the layers from `first_layer` on, fed by `input`.
    fn record_layers(&mut self, input: Var, first_layer: usize) -> Var {
        let mut h = input;
        for layer in &self.layers[first_layer..] {
            h = layer.forward(&mut self.tape, h);
        }
        h
    }

    fn record_loss(&mut self, logits: Var, rows: usize, targets: Targets<'_>) -> Var {
        let out = self.outputs();
        let tape = &mut self.tape;
        let loss = self.config.loss;
        if let Some(labels) = cross_entropy_labels(loss, targets) {
            return tape.cross_entropy(logits, labels);
        }
        let t = tape.input_with(rows, out, |t| fill_targets(targets, rows, out, t));
        if loss == Loss::Mse {
            tape.mse(logits, t)
        } else {
            tape.bce_with_logits(logits, t)
        }
    }
}

/// Correct / total predictions accumulated over evaluation chunks.
#[derive(Default)]
struct Hits {
    correct: usize,
    total: usize,
}

impl Hits {
    fn count(&mut self, loss: Loss, out: &[f32], n_out: usize, targets: Targets<'_>) {
        // A single output is a logit (BCE, threshold 0) or a regressed label (MSE, 0.5).
        let threshold = if loss == Loss::BceWithLogits {
            0.0
        } else {
            0.5
        };
        match targets {
            Targets::Classes(labels) if n_out == 1 => {
                for (&z, &y) in out.iter().zip(labels) {
                    self.add((z > threshold) == (y != 0));
                }
            }
            Targets::Classes(labels) => {
                for (row, &y) in out.chunks_exact(n_out).zip(labels) {
                    self.add(argmax(row) == y as usize);
                }
            }
            Targets::Values(values) if loss == Loss::BceWithLogits => {
                for (&z, &t) in out.iter().zip(values) {
                    self.add((z > 0.0) == (t > 0.5));
                }
            }
            Targets::Values(_) => {}
        }
    }

    fn add(&mut self, hit: bool) {
        self.correct += hit as usize;
        self.total += 1;
    }

    fn accuracy(&self) -> Option<f32> {
        (self.total > 0).then(|| self.correct as f32 / self.total as f32)
    }
}

/// Index of the first maximum of `row`.
fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (j, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = j;
        }
    }
    best
}
