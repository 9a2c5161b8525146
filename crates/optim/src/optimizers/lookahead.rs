//! Lookahead, a wrapper around any other optimizer.
//!
//! Reference: Zhang, Lucas, Hinton & Ba (2019), "Lookahead Optimizer: k steps forward, 1 step
//! back", Algorithm 1. The inner ("fast") optimizer updates the parameters p as usual; slow
//! weights `phi` start as the parameters before the first step, and after every k-th inner step:
//!
//! ```text
//! phi = phi + alpha * (p - phi)
//! p   = phi
//! ```
//!
//! Defaults (paper): k = 5, alpha = 0.5. Where implementations differ: the inner optimizer's
//! state (momentum, moments) is carried across synchronisations, not reset (the paper's
//! experiments and most implementations keep it; some offer a "pullback" of the momentum, which
//! is not done here).

use rayon::prelude::*;
use wide::f32x8;

use crate::chunks::{CHUNK, chunks_per_task, task_count};
use crate::error::OptimError;
use crate::groups::ParamGroup;
use crate::hyper::{Hyper, HyperReader};
use crate::lanes::LANES;
use crate::optimizer::Optimizer;

/// Lookahead over an inner optimizer.
pub(crate) struct Lookahead {
    inner: Box<dyn Optimizer>,
    /// Synchronisation period, default 5.
    k: u64,
    /// Slow-weight step, default 0.5.
    alpha: f32,
    /// Slow weights; empty until the first step.
    slow: Vec<f32>,
    steps: u64,
    threads: usize,
}

/// Builds Lookahead from `k`, `alpha` and `inner` (an optimizer name, default `"adam"`); every
/// other key is the inner optimizer's.
pub(crate) fn build(name: &str, hyper: &Hyper) -> Result<Box<dyn Optimizer>, OptimError> {
    let own = ["inner", "k", "alpha"];
    let mine: Hyper = hyper
        .iter()
        .filter(|(key, _)| own.contains(&key.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let rest: Hyper = hyper
        .iter()
        .filter(|(key, _)| !own.contains(&key.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut r = HyperReader::new(name, &mine);
    let inner_name = r.text("inner")?.unwrap_or("adam").to_string();
    let k = r.count("k", 5, 1)? as u64;
    let alpha = r.number("alpha", 0.5)?;
    if !(0.0..=1.0).contains(&alpha) {
        return Err(r.invalid("alpha", alpha, "must be in [0, 1]"));
    }
    r.finish()?;
    if inner_name.eq_ignore_ascii_case("lookahead") {
        return Err(OptimError::InvalidValue {
            owner: name.to_string(),
            key: "inner".into(),
            value: "\"lookahead\"".into(),
            reason: "Lookahead cannot wrap itself".into(),
        });
    }
    let inner = crate::optimizers::build_optimizer(&inner_name, &rest)?;
    Ok(Box::new(Lookahead {
        inner,
        k,
        alpha: alpha as f32,
        slow: Vec::new(),
        steps: 0,
        threads: 0,
    }))
}

impl Optimizer for Lookahead {
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        if self.slow.is_empty() {
            self.slow = params.to_vec();
        }
        assert_eq!(
            self.slow.len(),
            params.len(),
            "Lookahead: slow weights are for {} parameters",
            self.slow.len()
        );
        self.inner.step(params, grads, lr);
        self.steps += 1;
        if self.steps.is_multiple_of(self.k) {
            synchronise(&mut self.slow, params, self.alpha, self.threads);
        }
    }

    fn name(&self) -> &'static str {
        "Lookahead"
    }

    fn state_per_param(&self) -> usize {
        self.inner.state_per_param() + 1
    }

    fn set_param_groups(&mut self, groups: &[ParamGroup]) -> Result<(), OptimError> {
        self.inner.set_param_groups(groups)
    }

    fn set_threads(&mut self, threads: usize) {
        self.threads = threads;
        self.inner.set_threads(threads);
    }

    fn steps_taken(&self) -> u64 {
        self.steps
    }

    fn reset(&mut self) {
        self.inner.reset();
        self.slow = Vec::new();
        self.steps = 0;
    }
}

/// `slow = slow + alpha * (fast - slow); fast = slow`, chunk by chunk.
fn synchronise(slow: &mut [f32], fast: &mut [f32], alpha: f32, threads: usize) {
    let run = |(s, f): (&mut [f32], &mut [f32])| pull(s, f, alpha);
    let n_chunks = fast.len().div_ceil(CHUNK);
    let tasks = task_count(n_chunks, threads);
    if tasks == 1 {
        slow.chunks_mut(CHUNK)
            .zip(fast.chunks_mut(CHUNK))
            .for_each(run);
    } else {
        slow.par_chunks_mut(CHUNK)
            .zip(fast.par_chunks_mut(CHUNK))
            .with_min_len(chunks_per_task(n_chunks, tasks))
            .for_each(run);
    }
}

/// `slow <- slow + alpha * (fast - slow)` (one fused multiply-add per element), then
/// `fast <- slow`, eight lanes at a time and the tail one by one.
fn pull(slow: &mut [f32], fast: &mut [f32], alpha: f32) {
    let (slow_lanes, slow_tail) = slow.as_chunks_mut::<LANES>();
    let (fast_lanes, fast_tail) = fast.as_chunks_mut::<LANES>();
    let a = f32x8::splat(alpha);
    for (s, f) in slow_lanes.iter_mut().zip(fast_lanes) {
        let sv = f32x8::new(*s);
        *s = (f32x8::new(*f) - sv).mul_add(a, sv).to_array();
        *f = *s;
    }
    for (s, f) in slow_tail.iter_mut().zip(fast_tail) {
        *s = (*f - *s).mul_add(alpha, *s);
        *f = *s;
    }
}
