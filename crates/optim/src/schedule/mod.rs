//! Learning-rate schedules: closed forms, the stateful plateau schedule and sequential
//! composition (warm-up, then any other).

mod build;
mod closed_form;
mod plateau;

pub use build::{SCHEDULE_NAMES, build_scheduler};

use crate::error::OptimError;
use closed_form::ClosedForm;
use plateau::Plateau;

/// A learning-rate schedule driven step by step: read [`Scheduler::lr`] for the next optimizer
/// step, then call [`Scheduler::step`] after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheduler {
    name: String,
    base_lr: f64,
    /// Scheduler steps taken.
    t: usize,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Closed(ClosedForm),
    Plateau(Plateau),
    /// `parts[i]` runs from `milestones[i - 1]` (0 for the first) until `milestones[i]`.
    Sequential {
        parts: Vec<Scheduler>,
        milestones: Vec<usize>,
        active: usize,
    },
}

impl Scheduler {
    fn new(name: &str, base_lr: f64, kind: Kind) -> Scheduler {
        Scheduler {
            name: name.to_string(),
            base_lr,
            t: 0,
            kind,
        }
    }

    /// `SequentialLR`: `parts[0]` until step `milestones[0]`, then `parts[1]` restarted from its
    /// own step 0 (PyTorch calls `step(0)` on it), and so on. `milestones` must be increasing
    /// and one shorter than `parts`.
    pub fn sequential(
        parts: Vec<Scheduler>,
        milestones: Vec<usize>,
    ) -> Result<Scheduler, OptimError> {
        let invalid = |reason: &str| OptimError::InvalidValue {
            owner: "SequentialLR".into(),
            key: "milestones".into(),
            value: format!("{milestones:?}"),
            reason: reason.into(),
        };
        if parts.is_empty() {
            return Err(OptimError::Missing {
                owner: "SequentialLR".into(),
                key: "schedulers".into(),
            });
        }
        if milestones.len() + 1 != parts.len() {
            return Err(invalid(&format!(
                "need one milestone fewer than the {} schedulers",
                parts.len()
            )));
        }
        if milestones.windows(2).any(|w| w[0] >= w[1]) || milestones.first() == Some(&0) {
            return Err(invalid("must be positive and increasing"));
        }
        let base_lr = parts[0].base_lr;
        Ok(Scheduler::new(
            "SequentialLR",
            base_lr,
            Kind::Sequential {
                parts,
                milestones,
                active: 0,
            },
        ))
    }

    /// The schedule's name as PyTorch spells its class (`"CosineAnnealingLR"`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The base lr the schedule scales.
    pub fn base_lr(&self) -> f32 {
        self.base_lr as f32
    }

    /// Scheduler steps taken so far.
    pub fn steps_taken(&self) -> usize {
        self.t
    }

    /// The lr in force for the next optimizer step.
    pub fn lr(&self) -> f32 {
        match &self.kind {
            Kind::Closed(form) => form.lr_at(self.base_lr, self.t) as f32,
            Kind::Plateau(plateau) => plateau.lr as f32,
            Kind::Sequential { parts, active, .. } => parts[*active].lr(),
        }
    }

    /// Advances one step (after each optimizer step). A plateau schedule reads `metric` and
    /// ignores a step without one; the others ignore `metric`.
    pub fn step(&mut self, metric: Option<f32>) {
        self.t += 1;
        match &mut self.kind {
            Kind::Closed(_) => {}
            Kind::Plateau(plateau) => {
                if let Some(m) = metric {
                    plateau.observe(f64::from(m));
                }
            }
            Kind::Sequential {
                parts,
                milestones,
                active,
            } => {
                if milestones.get(*active) == Some(&self.t) {
                    *active += 1;
                } else {
                    parts[*active].step(metric);
                }
            }
        }
    }

    /// The lr at optimizer step `step` (0-based) computed without running the schedule, for
    /// plots; `None` for a plateau schedule (or a sequence containing one).
    pub fn lr_at(&self, step: usize) -> Option<f32> {
        match &self.kind {
            Kind::Closed(form) => Some(form.lr_at(self.base_lr, step) as f32),
            Kind::Plateau(_) => None,
            Kind::Sequential {
                parts, milestones, ..
            } => {
                let i = milestones.partition_point(|&m| m <= step);
                let start = if i == 0 { 0 } else { milestones[i - 1] };
                parts[i].lr_at(step - start)
            }
        }
    }
}
