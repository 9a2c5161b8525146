//! The differentiable ops a [`Tape`] records: each checks shapes, computes its forward value
//! with the kernels, and notes its inputs for the reverse sweep (`backward.rs`).

use descent_kernels::elementwise::activate_into;
use descent_kernels::{Activation, MatMut, Op as MatOp, linear_forward};

use crate::loss;
use crate::tape::{Op, Tape, Var, op_shape};

impl Tape {
    /// `C = op_a(A) op_b(B)`.
    pub fn matmul(&mut self, a: Var, op_a: MatOp, b: Var, op_b: MatOp) -> Var {
        let (m, k) = op_shape(self.shape(a), op_a);
        let (k2, n) = op_shape(self.shape(b), op_b);
        assert_eq!(k, k2, "matmul: inner dimensions {k} and {k2} differ");
        let rg = self.requires_grad(a) || self.requires_grad(b);
        let op = Op::MatMul { a, op_a, b, op_b };
        self.record(op, (m, n), rg, |t, out| {
            let c = MatMut::contiguous(out, m, n);
            descent_kernels::gemm(c, 0.0, 1.0, t.mat(a), op_a, t.mat(b), op_b, t.par);
        })
    }

    /// `Y = X + 1 b` for a `1 x cols` row vector `b`.
    pub fn bias_add(&mut self, x: Var, bias: Var) -> Var {
        let (rows, cols) = self.shape(x);
        assert_eq!(
            self.shape(bias),
            (1, cols),
            "bias_add: bias must be 1x{cols}"
        );
        let rg = self.requires_grad(x) || self.requires_grad(bias);
        self.record(Op::BiasAdd { x, bias }, (rows, cols), rg, |t, out| {
            let b = t.value(bias);
            for (o, xr) in out
                .chunks_exact_mut(cols)
                .zip(t.value(x).chunks_exact(cols))
            {
                for ((o, &xv), &bv) in o.iter_mut().zip(xr).zip(b) {
                    *o = xv + bv;
                }
            }
        })
    }

    fn binary(&mut self, op: Op, a: Var, b: Var, f: impl Fn(f32, f32) -> f32) -> Var {
        let shape = self.shape(a);
        assert_eq!(shape, self.shape(b), "{op:?}: shapes differ");
        let rg = self.requires_grad(a) || self.requires_grad(b);
        self.record(op, shape, rg, |t, out| {
            for ((o, &x), &y) in out.iter_mut().zip(t.value(a)).zip(t.value(b)) {
                *o = f(x, y);
            }
        })
    }

    /// `Y = A + B`.
    pub fn add(&mut self, a: Var, b: Var) -> Var {
        self.binary(Op::Add(a, b), a, b, |x, y| x + y)
    }

    /// `Y = A - B`.
    pub fn sub(&mut self, a: Var, b: Var) -> Var {
        self.binary(Op::Sub(a, b), a, b, |x, y| x - y)
    }

    /// `Y = A * B` elementwise.
    pub fn mul(&mut self, a: Var, b: Var) -> Var {
        self.binary(Op::Mul(a, b), a, b, |x, y| x * y)
    }

    /// `Y = alpha X`.
    pub fn scale(&mut self, x: Var, alpha: f32) -> Var {
        let rg = self.requires_grad(x);
        self.record(Op::Scale(x, alpha), self.shape(x), rg, |t, out| {
            for (o, &v) in out.iter_mut().zip(t.value(x)) {
                *o = alpha * v;
            }
        })
    }

    /// `y = sum_ij X_ij`, accumulated in f64.
    pub fn sum(&mut self, x: Var) -> Var {
        let rg = self.requires_grad(x);
        self.record(Op::Sum(x), (1, 1), rg, |t, out| {
            out[0] = t.value(x).iter().map(|&v| f64::from(v)).sum::<f64>() as f32;
        })
    }

    /// `y = (1/N) sum_ij X_ij`, accumulated in f64.
    pub fn mean(&mut self, x: Var) -> Var {
        let rg = self.requires_grad(x);
        self.record(Op::Mean(x), (1, 1), rg, |t, out| {
            let v = t.value(x);
            out[0] = (v.iter().map(|&v| f64::from(v)).sum::<f64>() / v.len() as f64) as f32;
        })
    }

    /// `Y = f(X)` elementwise.
    pub fn activation(&mut self, x: Var, act: Activation) -> Var {
        let rg = self.requires_grad(x);
        self.record(Op::Act(x, act), self.shape(x), rg, |t, out| {
            activate_into(act, t.value(x), out);
        })
    }

    /// `Y = max(X, 0)`.
    pub fn relu(&mut self, x: Var) -> Var {
        self.activation(x, Activation::Relu)
    }

    /// `Y = X` where positive, else `slope X`.
    pub fn leaky_relu(&mut self, x: Var, slope: f32) -> Var {
        self.activation(x, Activation::LeakyRelu(slope))
    }

    /// `Y = 1 / (1 + e^-X)`.
    pub fn sigmoid(&mut self, x: Var) -> Var {
        self.activation(x, Activation::Sigmoid)
    }

    /// `Y = tanh(X)`.
    pub fn tanh(&mut self, x: Var) -> Var {
        self.activation(x, Activation::Tanh)
    }

    /// Fused linear layer `Y = f(X W + 1 b)`: one GEMM with bias and activation applied in the
    /// kernel's epilogue. `X` is `[B x in]`, `W` is `[in x out]`, `b` is `[1 x out]`.
    pub fn linear(&mut self, x: Var, w: Var, bias: Option<Var>, act: Activation) -> Var {
        let (rows, k) = self.shape(x);
        let (k2, n) = self.shape(w);
        assert_eq!(k, k2, "linear: X has {k} columns but W has {k2} rows");
        if let Some(b) = bias {
            assert_eq!(self.shape(b), (1, n), "linear: bias must be 1x{n}");
        }
        let rg = self.requires_grad(x)
            || self.requires_grad(w)
            || bias.is_some_and(|b| self.requires_grad(b));
        let op = Op::Linear { x, w, bias, act };
        self.record(op, (rows, n), rg, |t, out| {
            let c = MatMut::contiguous(out, rows, n);
            let bias = bias.map(|b| t.value(b));
            linear_forward(
                c,
                t.mat(x),
                MatOp::Identity,
                t.mat(w),
                MatOp::Identity,
                bias,
                act,
                t.par,
            );
        })
    }

    /// Mean squared error `(1/N) sum (p - t)^2` over all elements (`1 x 1`).
    pub fn mse(&mut self, pred: Var, target: Var) -> Var {
        assert_eq!(self.shape(pred), self.shape(target), "mse: shapes differ");
        let rg = self.requires_grad(pred) || self.requires_grad(target);
        self.record(Op::Mse { pred, target }, (1, 1), rg, |t, out| {
            out[0] = loss::mse(t.value(pred), t.value(target));
        })
    }

    /// Binary cross-entropy on logits, mean over all elements (`1 x 1`).
    pub fn bce_with_logits(&mut self, logits: Var, target: Var) -> Var {
        assert_eq!(self.shape(logits), self.shape(target), "bce: shapes differ");
        let rg = self.requires_grad(logits) || self.requires_grad(target);
        self.record(
            Op::BceWithLogits { logits, target },
            (1, 1),
            rg,
            |t, out| {
                out[0] = loss::bce_with_logits(t.value(logits), t.value(target));
            },
        )
    }

    /// Softmax cross-entropy of `[B x C]` logits against `B` integer labels, mean over rows
    /// (`1 x 1`). Fused and stable: the log-softmax is kept for the backward pass.
    pub fn cross_entropy(&mut self, logits: Var, labels: &[u32]) -> Var {
        let rg = self.requires_grad(logits);
        let i = self.push(Op::CrossEntropy { logits }, 1, 1, rg);
        self.nodes[i].value.resize(1, 0.0);
        let mut log_probs = std::mem::take(&mut self.nodes[i].aux);
        let loss = loss::cross_entropy(self.mat(logits), labels, &mut log_probs);
        let node = &mut self.nodes[i];
        node.value[0] = loss;
        node.aux = log_probs;
        node.labels.clear();
        node.labels.extend_from_slice(labels);
        Var(i)
    }
}
