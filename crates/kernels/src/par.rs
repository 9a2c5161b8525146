//! Explicit parallelism, in the style of faer's `Par`, and a scope that keeps a rayon pool's
//! threads awake between the short parallel kernels of a training step.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::Yield;

use crate::handoff::Handoff;

/// How many threads a kernel may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Par {
    /// Run on the calling thread only.
    Seq,
    /// Use up to this many threads of the current rayon pool.
    Rayon(usize),
}

impl Par {
    /// `Par::Seq` for `threads <= 1`, else `Par::Rayon(threads)`.
    pub fn threads(threads: usize) -> Self {
        if threads <= 1 {
            Par::Seq
        } else {
            Par::Rayon(threads)
        }
    }

    /// The number of threads this allows.
    pub fn degree(self) -> usize {
        match self {
            Par::Seq => 1,
            Par::Rayon(n) => n.max(1),
        }
    }
}

thread_local! {
    /// How many [`with_warm_pool`] scopes this thread is running (their owner is busy).
    static WARM_SCOPES: Cell<usize> = const { Cell::new(0) };
    /// The outermost scope this thread owns (null: none), for [`join`]'s handoff.
    static OWNED_SCOPE: Cell<*const Shared> = const { Cell::new(std::ptr::null()) };
}

/// Polls of the handoff (each after a `spin_loop` pause, ~27 ns here) between two looks for
/// other rayon work when a spinning thread is idle: a posted job is picked up within about a
/// hundred nanoseconds, and other work within ~7 µs.
const HANDOFF_POLLS: usize = 256;

/// What a scope's owner shares with its spinning threads.
struct Shared {
    stop: AtomicBool,
    handoff: Handoff,
}

/// Runs `f` while the other threads of the current rayon pool stay awake: each spins (with
/// `spin_loop` hints), takes the jobs that [`join`] hands over from this thread, and runs
/// whatever other work the pool has, until `f` returns.
///
/// A training step forks a few parallel kernels of 10-300 µs each. Between them, rayon's idle
/// threads go to sleep within tens of µs, and waking one costs 40-90 µs on a virtual machine
/// (measured here: a `join` of two 20 µs halves took 57 µs after a 1 ms pause, 21 µs with the
/// threads kept awake), which made 2 threads slower than 1. The price is that the other
/// threads use their cores fully while `f` runs, which is what asking for them meant.
///
/// Without parallelism (`par.degree() <= 1`), outside a rayon pool, or inside a scope this
/// thread already owns (the pool is awake), this is just `f()`. A thread that owns a scope
/// never spins for another one, so scopes running side by side (two trials in one pool)
/// cannot wait on each other.
pub fn with_warm_pool<T>(par: Par, f: impl FnOnce() -> T) -> T {
    if par.degree() <= 1 || rayon::current_thread_index().is_none() || WARM_SCOPES.get() > 0 {
        return f();
    }
    let scope = WarmScope::enter();
    let shared = Arc::clone(&scope.shared);
    rayon::spawn_broadcast(move |_| {
        if WARM_SCOPES.get() > 0 {
            return;
        }
        while !shared.stop.load(Ordering::Acquire) {
            if shared.handoff.try_run() || rayon::yield_now() == Some(Yield::Executed) {
                continue;
            }
            // Idle: watch the mailbox closely for a while before looking at the pool again.
            for _ in 0..HANDOFF_POLLS {
                std::hint::spin_loop();
                if shared.handoff.try_run() {
                    break;
                }
            }
        }
    });
    f()
}

/// `rayon::join(a, b)`, with a faster handover on the owner thread of a [`with_warm_pool`]
/// scope: `b` is posted to the scope's spinning threads through a one-job mailbox (see
/// `handoff.rs`), and taken back and run here if none has claimed it when `a` is done.
/// Elsewhere, or for a join nested inside another one's `a`, it is `rayon::join`. Which thread
/// runs which closure never changes what they compute.
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    let shared = OWNED_SCOPE.get();
    if shared.is_null() {
        return rayon::join(a, b);
    }
    // SAFETY: set by this thread's live `WarmScope`, whose `Arc` keeps it alive; only this
    // thread, the scope's owner, posts to its handoff.
    match unsafe { &*shared }.handoff.join(a, b) {
        Ok(results) => results,
        Err((a, b)) => rayon::join(a, b),
    }
}

/// [`join`] for the two parts of a split buffer, `first` lying before `second` in memory: the
/// calling thread runs `second`, another thread `first`; the results come back in that order.
///
/// Every splitting kernel (GEMM tasks and depth halves, the optimizer's ranges) hands the
/// calling thread the last part, so each thread works on the same part of a weight in every
/// kernel of a step. The calling thread also runs a training step's one-thread work, the output
/// layers and the loss, whose parameters lie at the end of the flat buffers: with the last part
/// the optimizer updates them where they already are. At batch 32 on 2 threads (MNIST
/// 784-128-10) this took the optimizer phase from 11-12 to 10-10.5 ms per epoch, against the
/// calling thread running the first parts.
pub fn join_split<A, B, RA, RB>(first: A, second: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    let (second, first) = join(second, first);
    (first, second)
}

/// The owner's side of a [`with_warm_pool`] scope: marks the thread busy and, when dropped
/// (also on a panic), releases the spinning threads.
struct WarmScope {
    shared: Arc<Shared>,
}

impl WarmScope {
    fn enter() -> Self {
        WARM_SCOPES.set(WARM_SCOPES.get() + 1);
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            handoff: Handoff::new(),
        });
        OWNED_SCOPE.set(Arc::as_ptr(&shared));
        Self { shared }
    }
}

impl Drop for WarmScope {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        OWNED_SCOPE.set(std::ptr::null());
        WARM_SCOPES.set(WARM_SCOPES.get() - 1);
    }
}
