//! Row-major f32 matrices: an owned [`Mat`] and borrowed views with a row stride.
//!
//! Element `(i, j)` of a view lives at `data[i * row_stride + j]`; columns are contiguous.

use crate::AlignedVec;

/// An owned, contiguous, row-major matrix, its first element on a cache-line boundary
/// ([`AlignedVec`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Mat {
    data: AlignedVec,
    rows: usize,
    cols: usize,
}

/// A borrowed read-only view.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
}

/// A borrowed mutable view.
#[derive(Debug)]
pub struct MatMut<'a> {
    data: &'a mut [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
}

#[inline]
fn check_view(len: usize, rows: usize, cols: usize, row_stride: usize) {
    assert!(
        row_stride >= cols || rows <= 1,
        "row stride {row_stride} < cols {cols}"
    );
    let needed = if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * row_stride + cols
    };
    assert!(
        len >= needed,
        "view {rows}x{cols} (stride {row_stride}) needs {needed} elements, slice has {len}"
    );
}

impl Mat {
    /// A `rows x cols` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            data: AlignedVec::from_elem(0.0, rows * cols),
            rows,
            cols,
        }
    }

    /// A matrix holding `data` (row-major, length `rows * cols`), copied into aligned storage.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), rows * cols, "Mat::from_vec: length mismatch");
        Self {
            data: AlignedVec::from_slice(&data),
            rows,
            cols,
        }
    }

    /// Builds a matrix from `f(i, j)`, row by row.
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> f32) -> Self {
        let mut m = Self::zeros(rows, cols);
        for (k, x) in m.data.iter_mut().enumerate() {
            *x = f(k / cols, k % cols);
        }
        m
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The elements, row-major, as a `Vec` (a copy).
    pub fn into_vec(self) -> Vec<f32> {
        self.data.to_vec()
    }

    pub fn as_ref(&self) -> MatRef<'_> {
        MatRef {
            data: &self.data,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.cols,
        }
    }

    pub fn as_mut(&mut self) -> MatMut<'_> {
        MatMut {
            data: &mut self.data,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.cols,
        }
    }
}

impl<'a> MatRef<'a> {
    /// A view of `rows x cols` elements of `data` with the given row stride.
    #[inline]
    pub fn new(data: &'a [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        check_view(data.len(), rows, cols, row_stride);
        Self {
            data,
            rows,
            cols,
            row_stride,
        }
    }

    /// A contiguous view (`row_stride == cols`).
    #[inline]
    pub fn contiguous(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self::new(data, rows, cols, cols)
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn row_stride(&self) -> usize {
        self.row_stride
    }

    /// The underlying slice, starting at element `(0, 0)`.
    pub fn data(&self) -> &'a [f32] {
        self.data
    }

    pub fn get(&self, i: usize, j: usize) -> f32 {
        debug_assert!(i < self.rows && j < self.cols);
        self.data[i * self.row_stride + j]
    }

    /// Row `i` as a slice of `cols` elements.
    pub fn row(&self, i: usize) -> &'a [f32] {
        &self.data[i * self.row_stride..i * self.row_stride + self.cols]
    }

    /// The sub-view of rows `r0..r0+rows` and columns `c0..c0+cols`.
    pub fn submatrix(&self, r0: usize, c0: usize, rows: usize, cols: usize) -> MatRef<'a> {
        assert!(
            r0 + rows <= self.rows && c0 + cols <= self.cols,
            "submatrix out of bounds"
        );
        if rows == 0 || cols == 0 {
            return MatRef {
                data: &[],
                rows,
                cols,
                row_stride: self.row_stride,
            };
        }
        let start = r0 * self.row_stride + c0;
        MatRef {
            data: &self.data[start..],
            rows,
            cols,
            row_stride: self.row_stride,
        }
    }

    /// A contiguous owned copy.
    pub fn to_owned(&self) -> Mat {
        Mat::from_fn(self.rows, self.cols, |i, j| self.get(i, j))
    }
}

impl<'a> MatMut<'a> {
    /// A mutable view of `rows x cols` elements of `data` with the given row stride.
    #[inline]
    pub fn new(data: &'a mut [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        check_view(data.len(), rows, cols, row_stride);
        Self {
            data,
            rows,
            cols,
            row_stride,
        }
    }

    /// A contiguous mutable view (`row_stride == cols`).
    #[inline]
    pub fn contiguous(data: &'a mut [f32], rows: usize, cols: usize) -> Self {
        Self::new(data, rows, cols, cols)
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn row_stride(&self) -> usize {
        self.row_stride
    }

    /// The underlying slice, starting at element `(0, 0)`.
    pub fn data_mut(&mut self) -> &mut [f32] {
        self.data
    }

    pub fn get(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.row_stride + j]
    }

    pub fn set(&mut self, i: usize, j: usize, value: f32) {
        self.data[i * self.row_stride + j] = value;
    }

    /// Row `i` as a mutable slice of `cols` elements.
    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data[i * self.row_stride..i * self.row_stride + self.cols]
    }

    /// A read-only view of the same elements.
    pub fn as_ref(&self) -> MatRef<'_> {
        MatRef {
            data: self.data,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
        }
    }

    /// Reborrows this view for a shorter lifetime.
    pub fn reborrow(&mut self) -> MatMut<'_> {
        MatMut {
            data: self.data,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
        }
    }
}
