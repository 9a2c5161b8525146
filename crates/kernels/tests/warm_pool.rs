//! `with_warm_pool`: the result of the scope, parallel work inside it, scopes side by side in
//! one pool (no waiting on each other), a scope inside a scope, and the pool's threads released
//! afterwards.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use descent_kernels::{Par, with_warm_pool};

/// Runs `f` on its own thread and fails the test if it does not finish within a minute (a
/// scope that never released its spinning threads would hang instead).
fn within_a_minute<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || tx.send(f()).expect("the test is waiting"));
    rx.recv_timeout(Duration::from_secs(60))
        .expect("did not finish within a minute: a warm scope kept its threads")
}

/// `sum 0..n` split over the pool by recursive joins.
fn parallel_sum(range: std::ops::Range<u64>) -> u64 {
    if range.end - range.start <= 1000 {
        return range.sum();
    }
    let mid = range.start + (range.end - range.start) / 2;
    let (a, b) = rayon::join(
        || parallel_sum(range.start..mid),
        || parallel_sum(mid..range.end),
    );
    a + b
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool starts")
}

/// Runs `f` in a fresh pool of two threads (within a minute); returns its result and how many
/// of the pool's threads answer a broadcast afterwards (both, when the scopes released them).
fn in_two_threads_then_free<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> (T, usize) {
    within_a_minute(|| {
        let pool = pool(2);
        let result = pool.install(f);
        (result, pool.broadcast(|ctx| ctx.index()).len())
    })
}

#[test]
fn scope_returns_the_result_and_releases_the_threads() {
    let (inside, after) = in_two_threads_then_free(|| {
        with_warm_pool(Par::Rayon(2), || {
            (0..50).map(|_| parallel_sum(0..100_000)).max()
        })
    });
    assert_eq!(inside, Some(100_000 * 99_999 / 2));
    assert_eq!(after, 2);
}

#[test]
fn scopes_side_by_side_do_not_wait_on_each_other() {
    let sums = within_a_minute(|| {
        pool(4).install(|| {
            rayon::join(
                || with_warm_pool(Par::Rayon(2), || parallel_sum(0..2_000_000)),
                || with_warm_pool(Par::Rayon(2), || parallel_sum(0..1_000)),
            )
        })
    });
    assert_eq!(sums, (2_000_000 * 1_999_999 / 2, 1_000 * 999 / 2));
}

#[test]
fn a_scope_inside_a_scope_runs_and_releases() {
    let (sum, after) = in_two_threads_then_free(|| {
        with_warm_pool(Par::Rayon(2), || {
            with_warm_pool(Par::Rayon(2), || parallel_sum(0..1_000_000))
        })
    });
    assert_eq!(sum, 1_000_000 * 999_999 / 2);
    assert_eq!(after, 2);
}

#[test]
fn sequential_or_outside_a_pool_is_just_the_call() {
    assert_eq!(with_warm_pool(Par::Seq, || 7), 7);
    assert_eq!(with_warm_pool(Par::Rayon(2), || parallel_sum(0..10)), 45);
}
