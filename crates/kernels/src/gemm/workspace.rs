//! Thread-local packing buffers, grown on demand and reused, so that a GEMM call allocates
//! nothing once each thread has seen its largest block.

use std::cell::RefCell;

/// Packing buffers of one thread.
#[derive(Default)]
pub(super) struct Workspace {
    a: Vec<f32>,
    b: Vec<f32>,
}

/// Alignment of packed panels, in f32 elements (64 bytes = one cache line).
const ALIGN: usize = 16;

thread_local! {
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::default());
    static DEPTH_HALF: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static PRODUCT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

impl Workspace {
    /// Cache-line aligned buffers of `a_len` and `b_len` elements (contents unspecified).
    pub fn buffers(&mut self, a_len: usize, b_len: usize) -> (&mut [f32], &mut [f32]) {
        (aligned(&mut self.a, a_len), aligned(&mut self.b, b_len))
    }
}

fn aligned(buf: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buf.len() < len + ALIGN {
        buf.resize(len + ALIGN, 0.0);
    }
    let offset = buf.as_ptr().align_offset(ALIGN * size_of::<f32>());
    &mut buf[offset..offset + len]
}

/// Runs `f` with this thread's workspace (a fresh one if it is already in use further up the
/// stack, which only a re-entrant call from inside a GEMM task could cause).
pub(super) fn with_workspace<T>(f: impl FnOnce(&mut Workspace) -> T) -> T {
    WORKSPACE.with(|ws| match ws.try_borrow_mut() {
        Ok(mut ws) => f(&mut ws),
        Err(_) => f(&mut Workspace::default()),
    })
}

/// Runs `f` with this thread's cache-line aligned buffer for the second depth half of a
/// depth-split product (`len` elements, contents unspecified; a fresh one if it is already in
/// use).
pub(super) fn with_depth_half<T>(len: usize, f: impl FnOnce(&mut [f32]) -> T) -> T {
    with_scratch(&DEPTH_HALF, len, f)
}

/// Runs `f` with this thread's cache-line aligned buffer for a whole product computed apart
/// from its `C` (`len` elements, contents unspecified; a fresh one if it is already in use).
pub(super) fn with_product<T>(len: usize, f: impl FnOnce(&mut [f32]) -> T) -> T {
    with_scratch(&PRODUCT, len, f)
}

fn with_scratch<T>(
    key: &'static std::thread::LocalKey<RefCell<Vec<f32>>>,
    len: usize,
    f: impl FnOnce(&mut [f32]) -> T,
) -> T {
    key.with(|buf| match buf.try_borrow_mut() {
        Ok(mut buf) => f(aligned(&mut buf, len)),
        Err(_) => f(aligned(&mut Vec::new(), len)),
    })
}
