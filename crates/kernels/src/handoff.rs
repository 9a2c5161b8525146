//! A one-job mailbox between the owner of a warm scope and the threads spinning for it.
//!
//! `rayon::join` hands its second closure over through the owner's work-stealing deque and
//! signals its end through rayon's sleep machinery. With the other threads already spinning
//! (`with_warm_pool`), that round trip still cost about 1.2 µs per join on this project's
//! 2-vCPU VM (two halves of 0.65 µs joined in 1.9 µs), against 0.1-0.3 µs for a job posted in
//! one cache line that a spinning thread polls. A training step at batch 32 runs four joins; in
//! `descent bench train` the mailbox took the 2-thread epoch from 0.099-0.102 to 0.096-0.098 s.
//!
//! States: `EMPTY -> POSTED` (owner), `POSTED -> CLAIMED -> DONE` (a spinning thread), or
//! `POSTED -> EMPTY` (the owner takes the job back when nobody claimed it in time), and
//! `DONE -> EMPTY` (owner). Only the owner posts, so a post never races another one.

use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicU8, Ordering};
use std::thread;

const EMPTY: u8 = 0;
const POSTED: u8 = 1;
const CLAIMED: u8 = 2;
const DONE: u8 = 3;

/// A closure and the slot for its result, on the owner's stack for the duration of one join.
struct StackJob<F, R> {
    f: UnsafeCell<Option<F>>,
    result: UnsafeCell<Option<thread::Result<R>>>,
}

impl<F: FnOnce() -> R, R> StackJob<F, R> {
    fn new(f: F) -> Self {
        Self {
            f: UnsafeCell::new(Some(f)),
            result: UnsafeCell::new(None),
        }
    }

    /// Runs the closure, catching a panic into the result.
    ///
    /// # Safety
    /// `data` points to a live `StackJob<F, R>` whose closure has not run, and no other
    /// thread touches it until this returns.
    unsafe fn run(data: *const ()) {
        // SAFETY: guaranteed by the caller.
        let job = unsafe { &*data.cast::<Self>() };
        // SAFETY: exclusive access, guaranteed by the caller.
        let f = unsafe { (*job.f.get()).take() }.expect("a handed-off job runs once");
        let result = catch_unwind(AssertUnwindSafe(f));
        // SAFETY: as above.
        unsafe { *job.result.get() = Some(result) };
    }

    /// The closure's value, or its panic resumed on this thread.
    fn into_result(self) -> R {
        match self.result.into_inner().expect("a handed-off job has run") {
            Ok(r) => r,
            Err(payload) => resume_unwind(payload),
        }
    }
}

/// A type-erased pointer to a posted [`StackJob`] and its `run`.
#[derive(Clone, Copy)]
struct JobRef {
    data: *const (),
    run: unsafe fn(*const ()),
}

/// The mailbox: one state byte and the posted job, on its own cache lines.
#[repr(align(128))]
pub(crate) struct Handoff {
    state: AtomicU8,
    job: UnsafeCell<Option<JobRef>>,
}

// SAFETY: `job` is written by the owner only in `EMPTY` (before the Release store of `POSTED`)
// and read by the one thread whose claim (`POSTED -> CLAIMED`, Acquire) succeeded; the job it
// points to is kept alive by the owner until the state is `DONE` or taken back.
unsafe impl Sync for Handoff {}
// SAFETY: as for `Sync`: the raw pointer in `job` is only followed under that protocol.
unsafe impl Send for Handoff {}

impl Handoff {
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicU8::new(EMPTY),
            job: UnsafeCell::new(None),
        }
    }

    /// `(a(), b())` with `b` offered to a spinning thread while this thread runs `a`; when
    /// nobody has claimed `b` by then, this thread runs it. `None` (nothing run) when a job is
    /// already posted: a join nested inside `a` then takes another route.
    ///
    /// Must only be called by the scope's owner thread.
    pub(crate) fn join<A, B, RA, RB>(&self, a: A, b: B) -> Result<(RA, RB), (A, B)>
    where
        A: FnOnce() -> RA,
        B: FnOnce() -> RB + Send,
        RB: Send,
    {
        if self.state.load(Ordering::Relaxed) != EMPTY {
            return Err((a, b));
        }
        let job = StackJob::new(b);
        // SAFETY: the state is EMPTY and only this (the owner) thread posts: no one reads `job`.
        unsafe {
            *self.job.get() = Some(JobRef {
                data: (&raw const job).cast(),
                run: StackJob::<B, RB>::run,
            });
        }
        self.state.store(POSTED, Ordering::Release);
        let ra = catch_unwind(AssertUnwindSafe(a));
        // `job` lives on this stack: whatever `a` did, it must be finished or taken back first.
        if self
            .state
            .compare_exchange(POSTED, EMPTY, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            // SAFETY: taken back before any thread claimed it: this thread has it alone.
            unsafe { StackJob::<B, RB>::run((&raw const job).cast()) };
        } else {
            // Meanwhile help, as `rayon::join` does: the job may have split off work of its own
            // (a nested `rayon::join` on the thread running it) that this thread can steal.
            while self.state.load(Ordering::Acquire) != DONE {
                if rayon::yield_now() != Some(rayon::Yield::Executed) {
                    std::hint::spin_loop();
                }
            }
            self.state.store(EMPTY, Ordering::Relaxed);
        }
        let ra = ra.unwrap_or_else(|payload| resume_unwind(payload));
        Ok((ra, job.into_result()))
    }

    /// Runs the posted job if there is one and this thread claims it first; returns whether it
    /// ran one.
    pub(crate) fn try_run(&self) -> bool {
        if self.state.load(Ordering::Relaxed) != POSTED
            || self
                .state
                .compare_exchange(POSTED, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return false;
        }
        // SAFETY: the claim succeeded, so the owner wrote `job` before posting (Acquire above)
        // and keeps the job alive until it sees DONE; no other thread can claim it.
        unsafe {
            let job = (*self.job.get()).expect("a posted handoff has a job");
            (job.run)(job.data);
        }
        self.state.store(DONE, Ordering::Release);
        true
    }
}
