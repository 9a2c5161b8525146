//! The benchmarked shapes: squares and the four GEMMs of training a 784-128-10 MLP.

use descent_kernels::Op;

/// `C[m x n] = op_a(A)[m x k] * op_b(B)[k x n]`.
#[derive(Clone, Debug)]
pub struct Shape {
    pub name: String,
    /// What the shape is, for the report (e.g. `[32 x 784]·[784 x 128]`).
    pub formula: String,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub op_a: Op,
    pub op_b: Op,
    /// The square's side, for the plot.
    pub square: Option<usize>,
    /// Output-layer shapes (n = 10) have their own target (>= 1.0x faer).
    pub output_layer: bool,
}

impl Shape {
    fn new(name: String, (m, n, k): (usize, usize, usize), op_a: Op, op_b: Op) -> Self {
        let a = if op_a == Op::Transpose {
            format!("[{k} x {m}]^T")
        } else {
            format!("[{m} x {k}]")
        };
        let b = if op_b == Op::Transpose {
            format!("[{n} x {k}]^T")
        } else {
            format!("[{k} x {n}]")
        };
        Self {
            name,
            formula: format!("{a}·{b}"),
            m,
            n,
            k,
            op_a,
            op_b,
            square: None,
            output_layer: false,
        }
    }

    /// Stored shape of A.
    pub fn a_rows(&self) -> usize {
        if self.op_a == Op::Transpose {
            self.k
        } else {
            self.m
        }
    }

    pub fn a_cols(&self) -> usize {
        if self.op_a == Op::Transpose {
            self.m
        } else {
            self.k
        }
    }

    /// Stored shape of B.
    pub fn b_rows(&self) -> usize {
        if self.op_b == Op::Transpose {
            self.n
        } else {
            self.k
        }
    }

    pub fn b_cols(&self) -> usize {
        if self.op_b == Op::Transpose {
            self.k
        } else {
            self.n
        }
    }
}

/// Squares 64..2048 (..1024 when `quick`), then for batch B in {32, 128, 512}: forward
/// `[B x 784]·[784 x 128]`, weight gradient `[784 x B]·[B x 128]` (A transposed), input gradient
/// `[B x 128]·[128 x 784]` (B transposed) and the output layer `[B x 128]·[128 x 10]`.
pub fn shapes(quick: bool) -> Vec<Shape> {
    let max = if quick { 1024 } else { 2048 };
    let mut out: Vec<Shape> = [64, 128, 256, 512, 1024, 2048]
        .into_iter()
        .filter(|&s| s <= max)
        .map(|s| Shape {
            square: Some(s),
            ..Shape::new(format!("square {s}"), (s, s, s), Op::Identity, Op::Identity)
        })
        .collect();
    for b in [32, 128, 512] {
        let (id, tr) = (Op::Identity, Op::Transpose);
        out.push(Shape::new(format!("forward B={b}"), (b, 128, 784), id, id));
        out.push(Shape::new(
            format!("weight grad B={b}"),
            (784, 128, b),
            tr,
            id,
        ));
        out.push(Shape::new(
            format!("input grad B={b}"),
            (b, 784, 128),
            id,
            tr,
        ));
        out.push(Shape {
            output_layer: true,
            ..Shape::new(format!("output layer B={b}"), (b, 10, 128), id, id)
        });
    }
    out
}
