//! Runs a [`Rule`] over flat buffers: lazy state, parameter groups, SIMD lanes, rayon tasks.
//!
//! One step is one pass over memory. Each state (momentum, second moment, ...) is one buffer as
//! long as the parameters. With several threads the buffers are cut into one contiguous range
//! per task, of equal length (to a multiple of 16 elements, one cache line), and every task
//! updates its range of the parameters and of each state. Within a range the rule runs eight
//! lanes at a time; a tail shorter than eight is padded into full lanes, so every element goes
//! through exactly the same instructions wherever it sits. Element-wise rules thus give
//! bit-identical results at any thread count.
//!
//! Equal ranges keep the threads balanced and, at two threads, close to the halves of the
//! weight-gradient GEMM, whose rows (a contiguous half of the gradient) each thread has just
//! written: the update then reads its gradients from its own core's cache.

use std::ops::Range;

use descent_kernels::elementwise::{load_padded, store_prefix};
use descent_kernels::{AlignedVec, MomentumSink};
use wide::f32x8;

use crate::chunks::{CHUNK, task_count};
use crate::error::OptimError;
use crate::groups::{self, ParamGroup, Segment};
use crate::lanes::{LANES, flush_subnormal, sign};
use crate::optimizer::{Optimizer, assert_sink_for};
use crate::rule::{Common, MAX_STATES, MAX_SWITCH_BITS, Rule, StateLanes, Switches};

/// The ranges of a task in every state buffer (empty beyond the rule's state count).
type StateSlices<'a> = [&'a mut [f32]; MAX_STATES];

/// Task ranges start at multiples of this many elements (64 bytes: no cache line is shared).
const TASK_ALIGN: usize = 16;

/// The elements one span updates: parameters, gradients, and the state slices from `offset`.
struct Span<'s, 'a> {
    p: &'s mut [f32],
    g: &'s [f32],
    states: &'s mut StateSlices<'a>,
    offset: usize,
}

/// Per-segment scalars: the rule's, plus the generic gradient pre-processing.
#[derive(Clone, Copy)]
struct SpanConsts<C> {
    rule: C,
    /// -0.0 in every lane for `maximize` (negation flips the sign bit), +0.0 otherwise.
    sign_flip: f32x8,
    /// The L1 coefficient (0: off).
    l1: f32,
}

/// An [`Optimizer`] made of an element-wise [`Rule`].
pub(crate) struct Driver<R: Rule> {
    rule: R,
    common: Common,
    groups: Vec<ParamGroup>,
    threads: usize,
    step: u64,
    /// Parameter count fixed by the first step.
    len: Option<usize>,
    /// One buffer per state, as long as the parameters, cache-line aligned like the tape's
    /// parameters and gradients: the 8-lane vectors of a span starting on a multiple of 8
    /// elements then never straddle two lines.
    states: Vec<AlignedVec>,
    segments: Vec<Segment>,
    /// The parameter count `segments` were cut for (`None`: to be cut at the next step).
    segments_len: Option<usize>,
    consts: Vec<SpanConsts<R::Consts>>,
}

impl<R: Rule> Driver<R> {
    pub(crate) fn new(rule: R, common: Common) -> Self {
        Driver {
            rule,
            common,
            groups: Vec::new(),
            threads: 0,
            step: 0,
            len: None,
            states: Vec::new(),
            segments: Vec::new(),
            segments_len: None,
            consts: Vec::new(),
        }
    }

    fn allocate_state(&mut self, len: usize) {
        let count = self.rule.state_count();
        let initial = self.rule.initial_state();
        self.states = (0..count)
            .map(|k| AlignedVec::from_elem(initial[k], len))
            .collect();
        self.len = Some(len);
    }

    /// Allocates the state on the first step; later steps must keep the parameter count.
    fn check_len(&mut self, len: usize) {
        match self.len {
            None => self.allocate_state(len),
            Some(n) => assert_eq!(
                n,
                len,
                "{}: state is for {n} parameters, step got {len}",
                R::NAME
            ),
        }
    }

    fn cut_segments(&mut self, len: usize) {
        if self.segments_len != Some(len) {
            groups::segments(
                &self.groups,
                len,
                self.common.weight_decay,
                &mut self.segments,
            );
            self.segments_len = Some(len);
        }
    }

    fn plan_step(&mut self, len: usize, lr: f32) {
        self.cut_segments(len);
        self.consts.clear();
        for seg in &self.segments {
            self.consts.push(SpanConsts {
                rule: self
                    .rule
                    .consts(self.step, lr * seg.lr_scale, seg.weight_decay),
                sign_flip: if self.common.maximize {
                    f32x8::splat(-0.0)
                } else {
                    f32x8::ZERO
                },
                l1: self.common.l1,
            });
        }
    }
}

impl<R: Rule> Optimizer for Driver<R> {
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        self.step_absorbed(params, grads, &[], lr);
    }

    fn momentum_sink(&mut self, len: usize) -> Option<MomentumSink<'_>> {
        let momentum = self.rule.absorbable_momentum()?;
        if self.common.l1 != 0.0 || self.common.maximize {
            return None;
        }
        self.cut_segments(len);
        if self.segments.iter().any(|s| s.weight_decay != 0.0) {
            return None;
        }
        self.check_len(len);
        Some(MomentumSink {
            buffer: &mut self.states[0],
            momentum: if self.step == 0 { 0.0 } else { momentum },
        })
    }

    fn step_absorbed(
        &mut self,
        params: &mut [f32],
        grads: &[f32],
        absorbed: &[Range<usize>],
        lr: f32,
    ) {
        let len = params.len();
        assert_eq!(
            len,
            grads.len(),
            "{}: {len} parameters but {} gradients",
            R::NAME,
            grads.len()
        );
        assert_sink_for(absorbed, || self.momentum_sink(len).is_some(), R::NAME);
        self.check_len(len);
        self.step += 1;
        self.rule.begin_step(self.step);
        self.plan_step(len, lr);
        let plan = Plan {
            rule: &self.rule,
            segments: &self.segments,
            consts: &self.consts,
            states: self.rule.state_count(),
            absorbed,
        };
        let mut buffers = self.states.iter_mut();
        let states: StateSlices<'_> =
            std::array::from_fn(|_| buffers.next().map_or(&mut [][..], |b| &mut b[..]));
        // At most one task per CHUNK elements: a short buffer is not worth a fork-join.
        let tasks = task_count(len.div_ceil(CHUNK), self.threads);
        plan.run_tasks(0, params, grads, states, tasks);
    }

    fn name(&self) -> &'static str {
        R::NAME
    }

    fn state_per_param(&self) -> usize {
        self.rule.state_count()
    }

    fn set_param_groups(&mut self, groups: &[ParamGroup]) -> Result<(), OptimError> {
        self.groups = groups::validate(groups)?;
        self.segments_len = None;
        Ok(())
    }

    fn set_threads(&mut self, threads: usize) {
        self.threads = threads;
    }

    fn steps_taken(&self) -> u64 {
        self.step
    }

    fn reset(&mut self) {
        self.step = 0;
        self.len = None;
        self.states = Vec::new();
    }
}

/// What one step needs, shared read-only by every task.
struct Plan<'a, R: Rule> {
    rule: &'a R,
    segments: &'a [Segment],
    consts: &'a [SpanConsts<R::Consts>],
    states: usize,
    /// Ranges whose gradients are already in the first state buffer (sorted, disjoint).
    absorbed: &'a [Range<usize>],
}

impl<R: Rule> Plan<'_, R> {
    /// Updates the elements `base..base + p.len()` on `tasks` rayon tasks: equal contiguous
    /// ranges, split in halves by `descent_kernels::join_split` (the last half on the calling
    /// thread, as in the GEMM's split).
    fn run_tasks(
        &self,
        base: usize,
        p: &mut [f32],
        g: &[f32],
        mut states: StateSlices<'_>,
        tasks: usize,
    ) {
        if tasks <= 1 {
            return self.run_range(base, p, g, &mut states);
        }
        let first_tasks = tasks / 2;
        let mid = (p.len() * first_tasks / tasks)
            .next_multiple_of(TASK_ALIGN)
            .min(p.len());
        let (p_first, p_second) = p.split_at_mut(mid);
        let (g_first, g_second) = g.split_at(mid);
        let mut second: StateSlices<'_> = Default::default();
        for (first, second) in states.iter_mut().zip(&mut second) {
            let whole = std::mem::take(first);
            let (head, tail) = whole.split_at_mut(mid.min(whole.len()));
            (*first, *second) = (head, tail);
        }
        descent_kernels::join_split(
            || self.run_tasks(base, p_first, g_first, states, first_tasks),
            || self.run_tasks(base + mid, p_second, g_second, second, tasks - first_tasks),
        );
    }

    /// Updates the elements `base..base + p.len()`: each overlapping segment with its scalars,
    /// the absorbed parts of it by [`Plan::run_absorbed`].
    fn run_range(&self, base: usize, p: &mut [f32], g: &[f32], states: &mut StateSlices<'_>) {
        let end = base + p.len();
        let first = self.segments.partition_point(|s| s.range.end <= base);
        for (seg, c) in self.segments[first..].iter().zip(&self.consts[first..]) {
            if seg.range.start >= end {
                break;
            }
            let global = seg.range.start.max(base)..seg.range.end.min(end);
            for (piece, absorbed) in pieces(global, self.absorbed) {
                let span = piece.start - base..piece.end - base;
                if absorbed {
                    self.run_absorbed(&c.rule, &mut p[span.clone()], &mut states[0][span]);
                } else {
                    self.run_span(
                        c,
                        Span {
                            p: &mut p[span.clone()],
                            g: &g[span.clone()],
                            states,
                            offset: span.start,
                        },
                    );
                }
            }
        }
    }

    /// The update of parameters `p` whose momentum `s0` already took in the gradient: the
    /// rule's [`Rule::update_absorbed`], then (unless the rule opts out) the subnormal flush of
    /// `s0`, eight lanes at a time, the tail zero-padded, as [`Plan::run_lanes_l1`]. The
    /// flushed momentum is stored unconditionally: on 101,770 parameters in cache the step took
    /// 5.9-6.4 µs that way, 6.8-7.0 µs storing only vectors (or blocks of 8) that held a zero or
    /// a subnormal, and 11.3 µs from stored gradients.
    fn run_absorbed(&self, c: &R::Consts, p: &mut [f32], s0: &mut [f32]) {
        let (rule, c) = (*self.rule, *c);
        let step = |p: &mut f32x8, s: f32x8| {
            rule.update_absorbed(&c, p, s);
            if R::FLUSH_SUBNORMAL_STATE {
                flush_subnormal(s)
            } else {
                s
            }
        };
        let full = p.len() - p.len() % LANES;
        let (p_lanes, s_lanes) = (
            p[..full].as_chunks_mut::<LANES>().0,
            s0[..full].as_chunks_mut::<LANES>().0,
        );
        for (pl, sl) in p_lanes.iter_mut().zip(s_lanes) {
            let mut pv = f32x8::new(*pl);
            *sl = step(&mut pv, f32x8::new(*sl)).to_array();
            *pl = pv.to_array();
        }
        if full < p.len() {
            let mut pv = load_padded(&p[full..]);
            let sv = step(&mut pv, load_padded(&s0[full..]));
            store_prefix(pv, &mut p[full..]);
            store_prefix(sv, &mut s0[full..]);
        }
    }

    /// Updates one span, with the state count made a constant so the per-state loads and
    /// stores unroll.
    fn run_span(&self, c: &SpanConsts<R::Consts>, span: Span<'_, '_>) {
        const { assert!(MAX_STATES == 3, "run_span needs one arm per state count") };
        match self.states {
            0 => self.run_switched::<0>(c, span),
            1 => self.run_switched::<1>(c, span),
            2 => self.run_switched::<2>(c, span),
            3 => self.run_switched::<3>(c, span),
            n => unreachable!("{}: {n} state buffers, at most {MAX_STATES}", R::NAME),
        }
    }

    /// [`Plan::run_span`] with the rule's switches made a constant: one branch-free loop per
    /// combination (arms beyond the rule's `SWITCH_BITS` are never instantiated).
    fn run_switched<const N: usize>(&self, c: &SpanConsts<R::Consts>, span: Span<'_, '_>) {
        const { assert!(R::SWITCH_BITS <= MAX_SWITCH_BITS && MAX_SWITCH_BITS == 4) };
        macro_rules! arms {
            ($($bits:literal => $($s:literal)*;)*) => {
                match self.rule.switches(&c.rule) {
                    0 => self.run_lanes::<N, 0>(c, span),
                    $($($s if const { R::SWITCH_BITS >= $bits } => {
                        self.run_lanes::<N, $s>(c, span)
                    })*)*
                    s => unreachable!("{}: switches {s:#b} beyond {} bits", R::NAME, R::SWITCH_BITS),
                }
            };
        }
        arms! {
            1 => 1;
            2 => 2 3;
            3 => 4 5 6 7;
            4 => 8 9 10 11 12 13 14 15;
        }
    }

    /// [`Plan::run_span`] for a rule with `N` state buffers and switches `S`, with the L1 term
    /// made a constant too.
    fn run_lanes<const N: usize, const S: Switches>(
        &self,
        c: &SpanConsts<R::Consts>,
        span: Span<'_, '_>,
    ) {
        if c.l1 != 0.0 {
            self.run_lanes_l1::<N, S, true>(c, span);
        } else {
            self.run_lanes_l1::<N, S, false>(c, span);
        }
    }

    /// [`Plan::run_lanes`] with or without the L1 term: whole eight-lane groups through arrays
    /// of equal length (no bounds checks in the loop), then the zero-padded tail.
    fn run_lanes_l1<const N: usize, const S: Switches, const L1: bool>(
        &self,
        c: &SpanConsts<R::Consts>,
        span: Span<'_, '_>,
    ) {
        let Span {
            p,
            g,
            states,
            offset,
        } = span;
        // Local copies: scalars read through `self` would be reloaded after every store (the
        // compiler cannot tell they do not alias the buffers).
        let (rule, c) = (*self.rule, *c);
        let n = p.len();
        let full = n - n % LANES;
        let mut s = [f32x8::ZERO; MAX_STATES];
        {
            let p_lanes = p[..full].as_chunks_mut::<LANES>().0;
            let count = p_lanes.len();
            let g_lanes = &g[..full].as_chunks::<LANES>().0[..count];
            let mut slots = states.iter_mut();
            let s_lanes: [&mut [[f32; LANES]]; N] = std::array::from_fn(|_| {
                let state = slots.next().expect("N <= MAX_STATES");
                &mut state[offset..offset + full].as_chunks_mut::<LANES>().0[..count]
            });
            for i in 0..count {
                let mut pv = f32x8::new(p_lanes[i]);
                for k in 0..N {
                    s[k] = f32x8::new(s_lanes[k][i]);
                }
                apply::<R, N, S, L1>(&rule, &c, &mut pv, f32x8::new(g_lanes[i]), &mut s);
                p_lanes[i] = pv.to_array();
                for k in 0..N {
                    s_lanes[k][i] = s[k].to_array();
                }
            }
        }
        if full < n {
            let tail = full..n;
            let mut pv = load_padded(&p[tail.clone()]);
            for k in 0..N {
                s[k] = load_padded(&states[k][offset + full..offset + n]);
            }
            apply::<R, N, S, L1>(&rule, &c, &mut pv, load_padded(&g[tail.clone()]), &mut s);
            store_prefix(pv, &mut p[tail.clone()]);
            for k in 0..N {
                store_prefix(s[k], &mut states[k][offset + full..offset + n]);
            }
        }
    }
}

/// `range` cut at the borders of the sorted, disjoint `absorbed` ranges: each piece with
/// whether it lies in one of them.
fn pieces(
    range: Range<usize>,
    absorbed: &[Range<usize>],
) -> impl Iterator<Item = (Range<usize>, bool)> {
    let first = absorbed.partition_point(|a| a.end <= range.start);
    let mut at = range.start;
    let mut rest = absorbed[first..].iter();
    let mut next = rest.next();
    std::iter::from_fn(move || {
        if at >= range.end {
            return None;
        }
        let piece = match next {
            Some(a) if a.start <= at => {
                let end = a.end.min(range.end);
                next = rest.next();
                (at..end, true)
            }
            Some(a) if a.start < range.end => (at..a.start, false),
            _ => (at..range.end, false),
        };
        at = piece.0.end;
        Some(piece)
    })
}

/// `g <- (maximize ? -g : g) + l1 * sign(p)`, then the rule, then (unless the rule opts out)
/// `s <- flush_subnormal(s)` for each of the `N` state buffers (see [`Rule::FLUSH_SUBNORMAL_STATE`]).
#[inline(always)]
fn apply<R: Rule, const N: usize, const S: Switches, const L1: bool>(
    rule: &R,
    c: &SpanConsts<R::Consts>,
    p: &mut f32x8,
    g: f32x8,
    s: &mut StateLanes,
) {
    let mut g = g ^ c.sign_flip;
    if L1 {
        g += f32x8::splat(c.l1) * sign(*p);
    }
    rule.update::<S>(&c.rule, p, g, s);
    if R::FLUSH_SUBNORMAL_STATE {
        for lanes in &mut s[..N] {
            *lanes = flush_subnormal(*lanes);
        }
    }
}
