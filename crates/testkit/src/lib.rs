//! Test support shared by descent's test suites.
//!
//! [`CountingAllocator`] wraps the system allocator and counts every allocation, so a test can
//! prove that a hot path allocates nothing after warm-up. Install it in a test binary of its
//! own (it sees every thread of the process):
//!
//! ```text
//! #[global_allocator]
//! static GLOBAL: descent_testkit::CountingAllocator = descent_testkit::CountingAllocator;
//! let before = descent_testkit::allocations();
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting `alloc`, `alloc_zeroed` and `realloc` calls.
pub struct CountingAllocator;

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations counted so far in this process (by every thread), when [`CountingAllocator`]
/// is the global allocator; always 0 otherwise.
pub fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::SeqCst)
}
