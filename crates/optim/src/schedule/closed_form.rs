//! Schedules whose lr is a closed-form function of the step count t (0-based: t is the number of
//! scheduler steps taken, so t = 0 is the first optimizer step) and the base lr.
//!
//! PyTorch computes most of these recursively ("chainable": each step multiplies the previous lr
//! by a ratio); in exact arithmetic that equals the closed form here, and the recorded PyTorch
//! trajectories agree with these closed forms to ~1e-11. Where the two genuinely differ, in a
//! `SequentialLR`, PyTorch restarts the next schedule with `step(0)`, i.e. its closed form at 0;
//! [`super::Scheduler::sequential`] does the same.

use std::f64::consts::PI;

/// One closed-form schedule. Every formula maps (base lr `b`, step `t`) to the lr.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ClosedForm {
    /// `ConstantLR`: `b * factor` for `t < total_iters`, then `b`.
    Constant { factor: f64, total_iters: usize },
    /// `StepLR`: `b * gamma^floor(t / step_size)`.
    Step { step_size: usize, gamma: f64 },
    /// `MultiStepLR`: `b * gamma^(number of milestones <= t)` (a repeated milestone counts twice).
    MultiStep { milestones: Vec<usize>, gamma: f64 },
    /// `ExponentialLR`: `b * gamma^t`.
    Exponential { gamma: f64 },
    /// `PolynomialLR`: `b * (1 - min(t, total_iters) / total_iters)^power`.
    Polynomial { total_iters: usize, power: f64 },
    /// `CosineAnnealingLR`: `eta_min + (b - eta_min) * (1 + cos(pi t / T_max)) / 2`. Past `T_max`
    /// this rises again (period `2 T_max`), exactly as PyTorch's recursive form does.
    Cosine { t_max: usize, eta_min: f64 },
    /// `CosineAnnealingWarmRestarts` (SGDR, Loshchilov & Hutter 2017): with periods
    /// `T_i = T_0 * T_mult^i` and `T_cur` the steps since the last restart,
    /// `eta_min + (b - eta_min) * (1 + cos(pi T_cur / T_i)) / 2`.
    CosineRestarts {
        t_0: usize,
        t_mult: usize,
        eta_min: f64,
    },
    /// `LinearLR`: `b * (start + (end - start) * min(t, total_iters) / total_iters)`.
    Linear {
        start_factor: f64,
        end_factor: f64,
        total_iters: usize,
    },
    /// `OneCycleLR` (Smith & Topin 2017); ignores `b`, see [`OneCycle`].
    OneCycle(OneCycle),
}

/// `OneCycleLR`: from `initial = max_lr / div_factor` up to `max_lr` over the first
/// `pct_start * total_steps - 1` steps, then down to `initial / final_div_factor` at step
/// `total_steps - 1` (three_phase: up, back down to `initial` by `2 pct_start total - 2`, then
/// down to the minimum). Within a phase from `a` to `z` at fraction `x` of the way:
/// cos: `z + (a - z) * (1 + cos(pi x)) / 2`; linear: `a + (z - a) * x`.
/// Steps past `total_steps - 1` (where PyTorch raises) keep the final lr.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OneCycle {
    pub total_steps: usize,
    pub cosine: bool,
    /// `(end_step, start_lr, end_lr)` per phase.
    pub phases: Vec<(f64, f64, f64)>,
}

impl OneCycle {
    pub(crate) fn new(
        max_lr: f64,
        total_steps: usize,
        pct_start: f64,
        cosine: bool,
        div_factor: f64,
        final_div_factor: f64,
        three_phase: bool,
    ) -> OneCycle {
        let initial = max_lr / div_factor;
        let min_lr = initial / final_div_factor;
        let up_end = pct_start * total_steps as f64 - 1.0;
        let last = total_steps as f64 - 1.0;
        let phases = if three_phase {
            vec![
                (up_end, initial, max_lr),
                (2.0 * pct_start * total_steps as f64 - 2.0, max_lr, initial),
                (last, initial, min_lr),
            ]
        } else {
            vec![(up_end, initial, max_lr), (last, max_lr, min_lr)]
        };
        OneCycle {
            total_steps,
            cosine,
            phases,
        }
    }

    fn lr_at(&self, t: usize) -> f64 {
        let t = t.min(self.total_steps - 1) as f64;
        let mut start = 0.0;
        for (i, &(end, from, to)) in self.phases.iter().enumerate() {
            if t <= end || i == self.phases.len() - 1 {
                let x = (t - start) / (end - start);
                return if self.cosine {
                    to + (from - to) / 2.0 * ((PI * x).cos() + 1.0)
                } else {
                    (to - from) * x + from
                };
            }
            start = end;
        }
        unreachable!("the last phase always matches")
    }
}

impl ClosedForm {
    /// The lr at step `t` from base lr `b`.
    pub(crate) fn lr_at(&self, b: f64, t: usize) -> f64 {
        match self {
            ClosedForm::Constant {
                factor,
                total_iters,
            } => {
                if t < *total_iters {
                    b * factor
                } else {
                    b
                }
            }
            ClosedForm::Step { step_size, gamma } => b * gamma.powf((t / step_size) as f64),
            ClosedForm::MultiStep { milestones, gamma } => {
                b * gamma.powf(milestones.iter().filter(|&&m| m <= t).count() as f64)
            }
            ClosedForm::Exponential { gamma } => b * gamma.powf(t as f64),
            ClosedForm::Polynomial { total_iters, power } => {
                b * (1.0 - t.min(*total_iters) as f64 / *total_iters as f64).powf(*power)
            }
            ClosedForm::Cosine { t_max, eta_min } => cosine(b, *eta_min, t as f64 / *t_max as f64),
            ClosedForm::CosineRestarts {
                t_0,
                t_mult,
                eta_min,
            } => {
                let (mut t_cur, mut t_i) = (t, *t_0);
                if *t_mult == 1 {
                    t_cur %= t_i;
                } else {
                    while t_cur >= t_i {
                        t_cur -= t_i;
                        t_i *= t_mult;
                    }
                }
                cosine(b, *eta_min, t_cur as f64 / t_i as f64)
            }
            ClosedForm::Linear {
                start_factor,
                end_factor,
                total_iters,
            } => {
                let x = t.min(*total_iters) as f64 / *total_iters as f64;
                b * (start_factor + (end_factor - start_factor) * x)
            }
            ClosedForm::OneCycle(one_cycle) => one_cycle.lr_at(t),
        }
    }
}

/// Half-cosine from `b` (x = 0) to `eta_min` (x = 1).
fn cosine(b: f64, eta_min: f64, x: f64) -> f64 {
    eta_min + (b - eta_min) * (1.0 + (PI * x).cos()) / 2.0
}
