//! The training loop itself.

use std::ops::Range;
use std::time::Instant;

use descent_autograd::Mlp;
use descent_data::{Batch, Batcher, Dataset, Split};
use descent_kernels::with_warm_pool;
use descent_optim::{
    Hyper, NormType, Optimizer, Scheduler, build_optimizer, build_scheduler, clip_grad_norm,
};
use descent_rng::Rng;

use super::evaluate::Evaluator;
use super::norms::grad_norms;
use super::outcome::{EpochTiming, MetricRow, TrainOutcome, TrainStatus};
use super::setup::{TrainError, TrainSetup};
use super::targets::{check_fit, step_inputs};

/// The RNG stream of `seed` that seeds the per-epoch shuffles (the model's initialisation uses
/// `seed` itself), so the two never share random numbers.
const SHUFFLE_STREAM: u64 = 0x5348_5546; // "SHUF"

/// Trains `setup.model` on `data.train`, one optimizer step per batch:
/// `g = grad L(theta; batch)`, optional clipping of `g` to `clip_norm`, then
/// `theta <- optimizer(theta, g, lr_t)` with `lr_t` from the schedule. Every metric row is
/// passed to `on_row` as soon as it exists. Stops when the budget is spent, a tolerance is met
/// or the loss diverges (the diverging step is not applied).
pub fn train(
    setup: &TrainSetup,
    data: &Split,
    on_row: &mut dyn FnMut(&MetricRow),
) -> Result<TrainOutcome, TrainError> {
    let train_set: &Dataset = &data.train;
    if train_set.is_empty() {
        return Err(TrainError::Config(format!(
            "the training set {} is empty",
            train_set.name
        )));
    }
    check_fit(&setup.model, train_set)?;
    if let Some(test) = &data.test {
        check_fit(&setup.model, test)?;
    }
    let shuffle_seed = Rng::derive(setup.seed, SHUFFLE_STREAM).next_u64();
    // A full batch holds every row whatever the order: only mini-batches are shuffled.
    let full_batch = setup.batch_size == 0 || setup.batch_size >= train_set.len();
    let batcher = Batcher::new(train_set.len(), setup.batch_size, !full_batch, shuffle_seed)
        .with_threads(setup.par.degree());
    let total_steps = setup.budget.total_steps(batcher.batches_per_epoch());
    if total_steps == 0 {
        return Err(TrainError::Config(format!(
            "the budget {:?} allows no step",
            setup.budget
        )));
    }
    let mut optimizer = build_optimizer(&setup.optimizer, &setup.optimizer_hyper)?;
    optimizer.set_threads(setup.par.degree());
    let scheduler = match &setup.schedule {
        Some((kind, hyper)) => build_scheduler(kind, hyper, setup.lr, total_steps)?,
        None => build_scheduler("constant", &Hyper::new(), setup.lr, total_steps)?,
    };
    let model = Mlp::new(&setup.model, setup.seed);
    let mut run = Run {
        setup,
        data,
        total_steps,
        blocks: model.layer_ranges(),
        model,
        optimizer,
        scheduler,
        batcher,
        fixed_batch: full_batch,
        batch: Batch::default(),
        next: Batch::default(),
        evaluator: data.test.as_deref().map(Evaluator::new),
        start: Instant::now(),
        step: 0,
        initial_loss: None,
        window: LossWindow::default(),
        rows: Vec::new(),
        steps_to_target: None,
    };
    let mut epoch_timings = Vec::new();
    let mut status = TrainStatus::Completed;
    // With several threads, a step's kernels are too short for rayon's threads to sleep
    // between them and be woken again.
    with_warm_pool(setup.par, || {
        for epoch in 1.. {
            if run.step == total_steps {
                break;
            }
            let mut timing = EpochTiming {
                epoch,
                ..EpochTiming::default()
            };
            let stopped = run.epoch(epoch, &mut timing, on_row);
            // Untimed, there is nothing to list (and a full-batch run has an epoch per step).
            if setup.phase_timing {
                epoch_timings.push(timing);
            }
            if let Some(stop) = stopped {
                status = stop;
                break;
            }
        }
    });
    Ok(run.finish(status, epoch_timings))
}

/// A stopwatch read in laps: one clock read per phase boundary, or none at all when phase
/// timing is off (every lap then reads 0 s).
struct Lap(Option<Instant>);

impl Lap {
    fn start(enabled: bool) -> Self {
        Self(enabled.then(Instant::now))
    }

    /// Seconds since the start or the previous lap; starts the next lap.
    fn lap(&mut self) -> f64 {
        let Some(last) = &mut self.0 else {
            return 0.0;
        };
        let now = Instant::now();
        let seconds = (now - *last).as_secs_f64();
        *last = now;
        seconds
    }
}

/// The sample-weighted mean of the batch losses since the last metric row.
#[derive(Default)]
struct LossWindow {
    sum: f64,
    rows: usize,
}

impl LossWindow {
    fn add(&mut self, loss: f32, rows: usize) {
        self.sum += f64::from(loss) * rows as f64;
        self.rows += rows;
    }

    /// The mean, resetting the window.
    fn take(&mut self) -> f32 {
        let mean = (self.sum / self.rows as f64) as f32;
        *self = Self::default();
        mean
    }
}

/// The state of one run between steps.
struct Run<'a> {
    setup: &'a TrainSetup,
    data: &'a Split,
    total_steps: usize,
    blocks: Vec<(String, Range<usize>)>,
    model: Mlp,
    optimizer: Box<dyn Optimizer>,
    scheduler: Scheduler,
    batcher: Batcher,
    /// Every batch is the whole set in storage order (a full, unshuffled batch).
    fixed_batch: bool,
    batch: Batch,
    /// The batch after `batch`, gathered beside the step (see [`Run::epoch`]).
    next: Batch,
    evaluator: Option<Evaluator>,
    start: Instant,
    step: usize,
    initial_loss: Option<f32>,
    window: LossWindow,
    rows: Vec<MetricRow>,
    steps_to_target: Option<usize>,
}

impl Run<'_> {
    /// Runs the steps of epoch `epoch` (1-based) that the budget allows, accumulating phase
    /// times into `timing`; returns the status when a stop rule ends the run.
    fn epoch(
        &mut self,
        epoch: usize,
        timing: &mut EpochTiming,
        on_row: &mut dyn FnMut(&MetricRow),
    ) -> Option<TrainStatus> {
        let steps_per_epoch = self.batcher.batches_per_epoch();
        self.batcher.start_epoch(epoch - 1);
        // Every step but the epoch's (and the budget's) last gathers the next batch beside it
        // when the model runs a side job on another thread; so after the first step of an
        // epoch, the batch is already there.
        let gathers_beside = !self.fixed_batch && self.model.runs_beside(self.setup.par);
        let mut clock = Lap::start(self.setup.phase_timing);
        for batch_index in 0..steps_per_epoch {
            if self.step == self.total_steps {
                break;
            }
            // A fixed batch is gathered once and reused: `loss_and_grad_lend` hands `x` back
            // unchanged. With a second thread, the next batch of the epoch is gathered beside
            // the step, while the step runs its one-thread part (its batching time then counts
            // in forward/backward), and the rows of the batch after it are prefetched, so that
            // the next gather finds them near; on one thread the next batch's rows are
            // prefetched there.
            let batch_ready =
                (gathers_beside && batch_index > 0) || (self.fixed_batch && self.step > 0);
            if !batch_ready {
                self.batcher.next_batch(&self.data.train, &mut self.batch);
                timing.batching_s += clock.lap();
            }
            let next_in_epoch = !self.fixed_batch
                && batch_index + 1 < steps_per_epoch
                && self.step + 1 < self.total_steps;
            let gather_next = next_in_epoch && gathers_beside;
            // A step on one thread whose gradients nothing reads but the optimizer (no row, no
            // clipping) lets an optimizer with a momentum sink take the weight gradients straight
            // into its momentum: the same bits, one buffer less to move (MNIST at batch 32:
            // optimizer phase 22-27 -> 14 ms per epoch). On two threads it measured slower, in
            // this VM's slow mode (optimizer 26-28 -> 37-39 ms) and, in epochs alternating
            // within one run, in its normal mode too (optimizer -0.3 ms, rest of the step
            // +1.5-3 ms per epoch), so steps there store their gradients.
            let row_due = self.row_due(self.step + 1, batch_index + 1 == steps_per_epoch);
            let absorb = !row_due && self.setup.clip_norm.is_none() && self.setup.par.degree() == 1;
            let Run {
                setup,
                data,
                model,
                optimizer,
                batcher,
                batch,
                next,
                ..
            } = self;
            let sink = if absorb {
                optimizer.momentum_sink(model.num_params())
            } else {
                None
            };
            let (x, rows, targets) = step_inputs(&data.train, batch);
            let loss = model.loss_and_grad_lend_beside(x, rows, targets, setup.par, sink, || {
                if gather_next {
                    batcher.next_batch(&data.train, next);
                }
                // The rows of the first batch not gathered yet.
                if next_in_epoch {
                    batcher.prefetch_next(&data.train);
                }
            });
            timing.forward_backward_s += clock.lap();

            self.step += 1;
            self.window.add(loss, self.batch.rows);
            let initial = *self.initial_loss.get_or_insert(loss);
            let lr = self.scheduler.lr();
            if let Some(reason) = self.setup.stop.divergence(loss, initial) {
                if !self.model.absorbed().is_empty() {
                    // The row needs the gradients the momentum took: the same batch and
                    // parameters give them again (the run ends here, the momentum unused).
                    self.restore_grads();
                }
                let norms = grad_norms(self.model.grads(), &self.blocks);
                self.emit_row(epoch, lr, norms, None, on_row);
                return Some(TrainStatus::Diverged {
                    step: self.step,
                    reason,
                });
            }
            if gather_next {
                std::mem::swap(&mut self.batch, &mut self.next);
            }
            let (params, grads, absorbed) = self.model.step_buffers();
            let norms = row_due.then(|| grad_norms(grads, &self.blocks));
            if let Some(max_norm) = self.setup.clip_norm {
                clip_grad_norm(grads, max_norm, NormType::L2);
            }
            self.optimizer.step_absorbed(params, grads, absorbed, lr);
            self.scheduler.step(Some(loss));
            timing.optimizer_s += clock.lap();

            if let Some(norms) = norms {
                let test = self.evaluate_test();
                timing.evaluation_s += clock.lap();
                let previous = self.rows.last().map(|r| r.train_loss);
                let train_loss = self.emit_row(epoch, lr, norms, test, on_row);
                // Recording the row belongs to no phase.
                clock = Lap::start(self.setup.phase_timing);
                let on_target = self.setup.stop.target_loss.is_some_and(|t| train_loss <= t);
                if on_target && self.steps_to_target.is_none() {
                    self.steps_to_target = Some(self.step);
                }
                if self.setup.stop.reached_tolerance(train_loss, previous) {
                    return Some(TrainStatus::ReachedTolerance);
                }
            }
        }
        None
    }

    /// A row is due every `eval_every` steps, or at the end of each epoch when `eval_every` is
    /// 0, and always at the last step of the budget: whether step `step` (1-based) ends with
    /// one.
    fn row_due(&self, step: usize, epoch_end: bool) -> bool {
        let every = self.setup.eval_every;
        let periodic = if every == 0 {
            epoch_end
        } else {
            step.is_multiple_of(every)
        };
        periodic || step == self.total_steps
    }

    /// Computes the gradients of the current batch again, storing all of them (after a step
    /// that folded some into the optimizer's momentum; the parameters are unchanged).
    fn restore_grads(&mut self) {
        let (x, rows, targets) = step_inputs(&self.data.train, &mut self.batch);
        self.model
            .loss_and_grad_lend(x, rows, targets, self.setup.par);
    }

    /// Test loss and accuracy now (`None` without a test set).
    fn evaluate_test(&mut self) -> Option<(f32, Option<f32>)> {
        let (evaluator, test) = (self.evaluator.as_mut()?, self.data.test.as_deref()?);
        Some(evaluator.run(&mut self.model, test, self.setup.par))
    }

    /// Records a metric row and hands it to `on_row`; returns its train loss.
    fn emit_row(
        &mut self,
        epoch: usize,
        lr: f32,
        (grad_norm, layer_grad_norms): (f32, Vec<f32>),
        test: Option<(f32, Option<f32>)>,
        on_row: &mut dyn FnMut(&MetricRow),
    ) -> f32 {
        let row = MetricRow {
            step: self.step,
            epoch,
            lr,
            train_loss: self.window.take(),
            test_loss: test.map(|(loss, _)| loss),
            test_accuracy: test.and_then(|(_, accuracy)| accuracy),
            grad_norm,
            layer_grad_norms,
            wall_s: self.start.elapsed().as_secs_f64(),
        };
        on_row(&row);
        let train_loss = row.train_loss;
        self.rows.push(row);
        train_loss
    }

    fn finish(self, status: TrainStatus, epoch_timings: Vec<EpochTiming>) -> TrainOutcome {
        let last = self.rows.last();
        let steps = match status {
            TrainStatus::Diverged { step, .. } => step - 1,
            _ => self.step,
        };
        TrainOutcome {
            steps_to_target: self.steps_to_target,
            final_train_loss: last.map_or(f32::NAN, |r| r.train_loss),
            best_train_loss: self
                .rows
                .iter()
                .map(|r| r.train_loss)
                .fold(f32::NAN, f32::min),
            final_test_loss: last.and_then(|r| r.test_loss),
            best_test_accuracy: self
                .rows
                .iter()
                .filter_map(|r| r.test_accuracy)
                .reduce(f32::max),
            steps,
            wall_s: self.start.elapsed().as_secs_f64(),
            layer_names: self.blocks.into_iter().map(|(name, _)| name).collect(),
            final_params: self.model.params().to_vec(),
            epoch_timings,
            status,
            rows: self.rows,
        }
    }
}
