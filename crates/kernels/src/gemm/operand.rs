//! Raw strided operands: `op(X)` of a row-major view as a pointer with a row and a column
//! stride, so the GEMM driver handles both [`Op`]s (and any view stride) with one code path.

use crate::{MatRef, Op};

/// Element `(i, j)` of the operand lives at `ptr + i * rs + j * cs`.
#[derive(Clone, Copy)]
pub(super) struct Operand {
    pub ptr: *const f32,
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

// SAFETY: an `Operand` is created from a shared borrow that outlives the GEMM call and is only
// read through.
unsafe impl Send for Operand {}
unsafe impl Sync for Operand {}

impl Operand {
    /// `op(x)` as a strided operand.
    pub fn new(x: MatRef<'_>, op: Op) -> Self {
        let (ptr, rows, cols, rs) = (x.data().as_ptr(), x.rows(), x.cols(), x.row_stride());
        match op {
            Op::Identity => Self {
                ptr,
                rows,
                cols,
                rs,
                cs: 1,
            },
            Op::Transpose => Self {
                ptr,
                rows: cols,
                cols: rows,
                rs: 1,
                cs: rs,
            },
        }
    }

    /// The `rows x cols` sub-operand starting at `(i, j)`.
    pub fn offset(&self, i: usize, j: usize, rows: usize, cols: usize) -> Self {
        debug_assert!(i + rows <= self.rows && j + cols <= self.cols);
        Self {
            ptr: self.ptr.wrapping_add(i * self.rs + j * self.cs),
            rows,
            cols,
            ..*self
        }
    }

    /// Pointer to element `(i, j)` (valid to read only inside the operand).
    #[inline(always)]
    pub fn at(&self, i: usize, j: usize) -> *const f32 {
        self.ptr.wrapping_add(i * self.rs + j * self.cs)
    }
}

/// The output `C`: row-major with row stride `rs`; tasks write disjoint tiles.
#[derive(Clone, Copy)]
pub(super) struct Output {
    pub ptr: *mut f32,
    pub rs: usize,
}

// SAFETY: created from the exclusive borrow of `C` for the GEMM call; parallel tasks write
// disjoint blocks of it.
unsafe impl Send for Output {}
unsafe impl Sync for Output {}

impl Output {
    /// Pointer to element `(i, j)` (valid to access only inside `C`).
    #[inline(always)]
    pub fn at(&self, i: usize, j: usize) -> *mut f32 {
        self.ptr.wrapping_add(i * self.rs + j)
    }
}
