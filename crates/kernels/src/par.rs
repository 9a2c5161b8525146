//! Explicit parallelism, in the style of faer's `Par`, and a scope that keeps a rayon pool's
//! threads awake between the short parallel kernels of a training step.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::Yield;

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
}

/// Runs `f` while the other threads of the current rayon pool stay awake: each spins (with
/// `spin_loop` hints) and runs whatever work the pool has, until `f` returns.
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
    let stop = Arc::clone(&scope.stop);
    rayon::spawn_broadcast(move |_| {
        if WARM_SCOPES.get() > 0 {
            return;
        }
        while !stop.load(Ordering::Acquire) {
            if rayon::yield_now() != Some(Yield::Executed) {
                std::hint::spin_loop();
            }
        }
    });
    f()
}

/// The owner's side of a [`with_warm_pool`] scope: marks the thread busy and, when dropped
/// (also on a panic), releases the spinning threads.
struct WarmScope {
    stop: Arc<AtomicBool>,
}

impl WarmScope {
    fn enter() -> Self {
        WARM_SCOPES.set(WARM_SCOPES.get() + 1);
        Self {
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Drop for WarmScope {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        WARM_SCOPES.set(WARM_SCOPES.get() - 1);
    }
}
