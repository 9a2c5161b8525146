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

/// On the owner thread of a warm scope, `join` hands `b` to a spinning thread: `a` can wait
/// for `b` to start, which it never could if `b` only ran after `a`. Both results come back.
#[test]
fn join_runs_the_second_closure_on_another_thread_meanwhile() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let (concurrent, after) = in_two_threads_then_free(|| {
        with_warm_pool(Par::Rayon(2), || {
            (0..200)
                .map(|_| {
                    let started = AtomicBool::new(false);
                    let owner = thread::current().id();
                    let (saw_b, b_elsewhere) = descent_kernels::join(
                        || {
                            let deadline = std::time::Instant::now() + Duration::from_secs(5);
                            while !started.load(Ordering::Acquire) {
                                if std::time::Instant::now() > deadline {
                                    return false;
                                }
                                std::hint::spin_loop();
                            }
                            true
                        },
                        || {
                            started.store(true, Ordering::Release);
                            thread::current().id() != owner
                        },
                    );
                    saw_b && b_elsewhere
                })
                .filter(|&ok| ok)
                .count()
        })
    });
    assert_eq!(concurrent, 200, "b did not run beside a");
    assert_eq!(after, 2);
}

/// `join_split` runs its second (last) part on the calling thread, inside a warm scope and
/// inside a plain pool, and returns the results in the parts' order. The first part waits
/// (up to 5 s) for the second to start, so a `join_split` that ran the first part here would
/// leave the second to the other thread.
#[test]
fn join_split_keeps_the_last_part_on_the_calling_thread() {
    use std::sync::atomic::{AtomicBool, Ordering};
    fn split_once() -> ((&'static str, bool), (&'static str, thread::ThreadId)) {
        let started = AtomicBool::new(false);
        descent_kernels::join_split(
            || {
                let deadline = std::time::Instant::now() + Duration::from_secs(5);
                while !started.load(Ordering::Acquire) && std::time::Instant::now() < deadline {
                    std::hint::spin_loop();
                }
                ("first", started.load(Ordering::Acquire))
            },
            || {
                started.store(true, Ordering::Release);
                ("second", thread::current().id())
            },
        )
    }
    let (runs, after) = in_two_threads_then_free(|| {
        let plain = split_once();
        let warm = with_warm_pool(Par::Rayon(2), split_once);
        (thread::current().id(), [plain, warm])
    });
    let (caller, splits) = runs;
    for ((first, saw_second), (second, second_thread)) in splits {
        assert_eq!((first, second), ("first", "second"));
        assert!(saw_second);
        assert_eq!(
            second_thread, caller,
            "the last part left the calling thread"
        );
    }
    assert_eq!(after, 2);
}

/// Results are right whichever route a join takes: handed over, taken back, nested inside
/// another join's `a` (rayon's route) or in `b` on the other thread, and outside any scope.
#[test]
fn join_computes_the_same_on_every_route() {
    fn sum(range: std::ops::Range<u64>) -> u64 {
        if range.end - range.start <= 64 {
            return range.sum();
        }
        let mid = range.start + (range.end - range.start) / 2;
        let (a, b) = descent_kernels::join(|| sum(range.start..mid), || sum(mid..range.end));
        a + b
    }
    let want = |n: u64| n * (n - 1) / 2;
    assert_eq!(sum(0..10_000), want(10_000));
    let (sums, after) = in_two_threads_then_free(move || {
        with_warm_pool(Par::Rayon(2), || {
            (1..300u64).map(|n| sum(0..n * 37)).collect::<Vec<_>>()
        })
    });
    assert!(sums.iter().zip(1u64..).all(|(&s, n)| s == want(n * 37)));
    assert_eq!(after, 2);
}

/// A panic in either closure reaches the caller of `join`, after the other closure has
/// finished (it may borrow the caller's stack), and the scope still releases its threads.
#[test]
fn join_passes_panics_on_after_both_sides_finish() {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (outcomes, after) = in_two_threads_then_free(|| {
        with_warm_pool(Par::Rayon(2), || {
            [true, false]
                .map(|panic_in_a| {
                    let finished = AtomicUsize::new(0);
                    let slow = || {
                        thread::sleep(Duration::from_millis(20));
                        finished.fetch_add(1, Ordering::SeqCst);
                    };
                    let caught = catch_unwind(AssertUnwindSafe(|| {
                        if panic_in_a {
                            descent_kernels::join(|| panic!("in a"), slow);
                        } else {
                            descent_kernels::join(slow, || panic!("in b"));
                        }
                    }));
                    let message = caught
                        .err()
                        .and_then(|p| p.downcast_ref::<&str>().map(|s| s.to_string()));
                    (message, finished.load(Ordering::SeqCst))
                })
                .to_vec()
        })
    });
    assert_eq!(
        outcomes,
        [(Some("in a".to_string()), 1), (Some("in b".to_string()), 1)]
    );
    assert_eq!(after, 2);
}
