//! The reverse sweep: one match arm per [`Op`], each applying the chain rule
//! `dX += (dY/dX)^T dY` for every input that requires a gradient.
//!
//! The first contribution to a gradient overwrites its buffer (GEMMs run with `beta = 0`), later
//! ones accumulate, so nothing is zero-filled and a parameter gradient is written straight into
//! its slice of the flat buffer.

use descent_kernels::elementwise::{activation_backward, axpy, col_sums};
use descent_kernels::{
    Activation, MatMut, MatRef, MomentumSink, Op as MatOp, Par, gemm, gemm_into_momentum,
};

use crate::loss::{bce_grad, cross_entropy_grad, mse_grad, write_or_add};
use crate::tape::{GradSlot, Node, Op, ParamGrad, ParamMeta, Tape, Var};

/// A gradient buffer to write or accumulate into.
struct Target<'a> {
    buf: &'a mut [f32],
    accumulate: bool,
}

impl Target<'_> {
    /// The GEMM `beta` that writes (`0`) or accumulates (`1`).
    fn beta(&self) -> f32 {
        if self.accumulate { 1.0 } else { 0.0 }
    }

    /// `buf (+)= f(i)` for every element `i`.
    fn put(&mut self, f: impl Fn(usize) -> f32) {
        write_or_add(self.buf, self.accumulate, (0..self.buf.len()).map(f));
    }

    /// `buf (+)= src`.
    fn put_slice(&mut self, src: &[f32]) {
        if self.accumulate {
            axpy(1.0, src, self.buf);
        } else {
            self.buf.copy_from_slice(src);
        }
    }

    fn mat(&mut self, rows: usize, cols: usize) -> MatMut<'_> {
        MatMut::contiguous(self.buf, rows, cols)
    }
}

/// Read-only forward state during the sweep.
struct Values<'a> {
    nodes: &'a [Node],
    params: &'a [f32],
    meta: &'a [ParamMeta],
    par: Par,
}

impl<'a> Values<'a> {
    #[inline(always)]
    fn value(&self, v: Var) -> &'a [f32] {
        match self.nodes[v.0].op {
            Op::Param(p) => &self.params[self.meta[p.0].range()],
            _ => &self.nodes[v.0].value,
        }
    }

    #[inline]
    fn shape(&self, v: Var) -> (usize, usize) {
        (self.nodes[v.0].rows, self.nodes[v.0].cols)
    }

    #[inline(always)]
    fn mat(&self, v: Var) -> MatRef<'a> {
        let (r, c) = self.shape(v);
        MatRef::contiguous(self.value(v), r, c)
    }
}

/// Mutable gradient state during the sweep.
struct Grads<'a, 's> {
    nodes: &'a [Node],
    slots: &'a mut [GradSlot],
    params: &'a mut [f32],
    meta: &'a [ParamMeta],
    state: &'a mut [ParamGrad],
    /// Where the first gradient of a parameter goes instead, when it comes from a product.
    sink: Option<&'a mut MomentumSink<'s>>,
}

impl Grads<'_, '_> {
    /// The slice of the momentum sink for parameter `v` and the sink's momentum, when there is
    /// a sink and this is `v`'s first gradient of the sweep (which marks it absorbed).
    fn absorb(&mut self, v: Var) -> Option<(&mut [f32], f32)> {
        let sink = self.sink.as_deref_mut()?;
        let Op::Param(p) = self.nodes[v.0].op else {
            return None;
        };
        if !self.nodes[v.0].requires_grad || self.state[p.0] != ParamGrad::Unset {
            return None;
        }
        self.state[p.0] = ParamGrad::Absorbed;
        Some((&mut sink.buffer[self.meta[p.0].range()], sink.momentum))
    }

    /// The gradient buffer of `v`, or `None` when `v` needs no gradient.
    fn target(&mut self, v: Var) -> Option<Target<'_>> {
        let node = &self.nodes[v.0];
        if !node.requires_grad {
            return None;
        }
        if let Op::Param(p) = node.op {
            let accumulate = match std::mem::replace(&mut self.state[p.0], ParamGrad::Stored) {
                ParamGrad::Unset => false,
                ParamGrad::Stored => true,
                ParamGrad::Absorbed => {
                    panic!(
                        "a parameter whose gradient went into the momentum sink got a second one"
                    )
                }
            };
            return Some(Target {
                buf: &mut self.params[self.meta[p.0].range()],
                accumulate,
            });
        }
        let slot = &mut self.slots[v.0];
        let accumulate = std::mem::replace(&mut slot.set, true);
        if !accumulate {
            slot.data.resize(node.len(), 0.0);
        }
        Some(Target {
            buf: &mut slot.data,
            accumulate,
        })
    }
}

/// Scratch buffers reused across sweeps.
struct Scratch<'a> {
    /// `dZ` of an activation.
    big: &'a mut Vec<f32>,
    /// A bias gradient added onto an earlier contribution.
    small: &'a mut Vec<f32>,
}

impl Tape {
    /// Reverse sweep from `root`, seeded with `d root / d root = 1` in every element.
    ///
    /// Overwrites the flat gradient buffer: afterwards [`Tape::grads`] holds `d sum(root) / d
    /// theta` for every parameter (zero for parameters the graph does not use), and
    /// [`Tape::grad`] the gradient of every intermediate node the sweep reached.
    pub fn backward(&mut self, root: Var) {
        self.begin_backward(root);
        self.sweep(root.0 + 1, 0, None);
        self.end_backward();
    }

    /// Starts a sweep from `root` (seeded with ones) that [`Tape::sweep`] carries out, in one
    /// or several parts, and [`Tape::end_backward`] closes: [`Tape::backward`] in pieces.
    pub(crate) fn begin_backward(&mut self, root: Var) {
        let end = root.0 + 1;
        assert!(end <= self.len, "backward: root is not on the current tape");
        for slot in &mut self.node_grads[..end] {
            slot.set = false;
        }
        self.param_grad_state.fill(ParamGrad::Unset);
        let seed = &mut self.node_grads[root.0];
        seed.data.clear();
        seed.data.resize(self.nodes[root.0].len(), 1.0);
        seed.set = true;
    }

    /// Propagates the gradients of the nodes `from..end`, last first, to their inputs (a part
    /// of the sweep started by [`Tape::begin_backward`]; the parts run from the root down).
    ///
    /// With a `sink`, the gradient of a parameter that a matrix product gives first goes into
    /// the parameter's range of the sink as `b = momentum * b + g`
    /// ([`descent_kernels::gemm_into_momentum`]) and not into [`Tape::grads`]; the parameter is
    /// then marked absorbed. Only for graphs where such a parameter gets no second
    /// contribution (each weight of an [`crate::Mlp`] feeds one product).
    pub(crate) fn sweep(
        &mut self,
        end: usize,
        from: usize,
        mut sink: Option<&mut MomentumSink<'_>>,
    ) {
        let Tape {
            nodes,
            node_grads,
            params,
            param_grads,
            param_meta,
            param_grad_state,
            scratch,
            scratch_small,
            par,
            ..
        } = self;
        let values = Values {
            nodes,
            params,
            meta: param_meta,
            par: *par,
        };
        let mut scratch = Scratch {
            big: scratch,
            small: scratch_small,
        };
        for i in (from..end).rev() {
            if !nodes[i].requires_grad || !node_grads[i].set {
                continue;
            }
            let (earlier, rest) = node_grads.split_at_mut(i);
            let mut grads = Grads {
                nodes,
                slots: earlier,
                params: param_grads,
                meta: param_meta,
                state: param_grad_state,
                sink: sink.as_deref_mut(),
            };
            backward_node(&nodes[i], &rest[0].data, &values, &mut grads, &mut scratch);
        }
    }

    /// Ends a sweep: parameters it did not reach get a zero gradient.
    pub(crate) fn end_backward(&mut self) {
        for (meta, state) in self.param_meta.iter().zip(&self.param_grad_state) {
            if *state == ParamGrad::Unset {
                self.param_grads[meta.range()].fill(0.0);
            }
        }
    }
}

/// Propagates the gradient `dy` of `node` to its inputs.
fn backward_node(
    node: &Node,
    dy: &[f32],
    v: &Values<'_>,
    g: &mut Grads<'_, '_>,
    s: &mut Scratch<'_>,
) {
    let (rows, cols) = (node.rows, node.cols);
    match node.op {
        Op::Input | Op::Param(_) => {}
        Op::MatMul { a, op_a, b, op_b } => {
            matmul_backward(
                MatRef::contiguous(dy, rows, cols),
                (a, op_a),
                (b, op_b),
                v,
                g,
            );
        }
        Op::BiasAdd { x, bias } => {
            // dX = dY, db = 1^T dY (column sums).
            if let Some(mut t) = g.target(x) {
                t.put_slice(dy);
            }
            if let Some(t) = g.target(bias) {
                bias_grad(MatRef::contiguous(dy, rows, cols), t, s.small);
            }
        }
        Op::Add(a, b) => {
            if let Some(mut t) = g.target(a) {
                t.put_slice(dy);
            }
            if let Some(mut t) = g.target(b) {
                t.put_slice(dy);
            }
        }
        Op::Sub(a, b) => {
            if let Some(mut t) = g.target(a) {
                t.put_slice(dy);
            }
            if let Some(mut t) = g.target(b) {
                t.put(|i| -dy[i]);
            }
        }
        Op::Mul(a, b) => {
            // dA = dY * B, dB = dY * A.
            let (av, bv) = (v.value(a), v.value(b));
            if let Some(mut t) = g.target(a) {
                t.put(|i| dy[i] * bv[i]);
            }
            if let Some(mut t) = g.target(b) {
                t.put(|i| dy[i] * av[i]);
            }
        }
        Op::Scale(x, alpha) => {
            if let Some(mut t) = g.target(x) {
                t.put(|i| alpha * dy[i]);
            }
        }
        Op::Sum(x) => {
            if let Some(mut t) = g.target(x) {
                t.put(|_| dy[0]);
            }
        }
        Op::Mean(x) => {
            let n = v.value(x).len() as f32;
            if let Some(mut t) = g.target(x) {
                t.put(|_| dy[0] / n);
            }
        }
        Op::Act(x, act) => {
            // dX = dY * f'(X), with f' read from the output Y.
            if let Some(t) = g.target(x) {
                if t.accumulate {
                    s.big.resize(dy.len(), 0.0);
                    activation_backward(act, &node.value, dy, s.big);
                    axpy(1.0, s.big, t.buf);
                } else {
                    activation_backward(act, &node.value, dy, t.buf);
                }
            }
        }
        Op::Linear { x, w, bias, act } => {
            // dZ = dY * f'(Y); dW = X^T dZ; db = 1^T dZ; dX = dZ W^T.
            let dz = if act == Activation::Identity {
                dy
            } else {
                s.big.resize(dy.len(), 0.0);
                activation_backward(act, &node.value, dy, s.big);
                &s.big[..]
            };
            let dz = MatRef::contiguous(dz, rows, cols);
            if let Some(t) = bias.and_then(|b| g.target(b)) {
                bias_grad(dz, t, s.small);
            }
            matmul_backward(dz, (x, MatOp::Identity), (w, MatOp::Identity), v, g);
        }
        Op::Mse { pred, target } => {
            // dl/dp = 2 (p - t) / N = -dl/dt.
            let (p, t) = (v.value(pred), v.value(target));
            if let Some(d) = g.target(pred) {
                mse_grad(dy[0], p, t, d.buf, d.accumulate);
            }
            if let Some(d) = g.target(target) {
                mse_grad(-dy[0], p, t, d.buf, d.accumulate);
            }
        }
        Op::BceWithLogits { logits, target } => {
            // dl/dz = (sigma(z) - t) / N; dl/dt = -z / N.
            let (z, t) = (v.value(logits), v.value(target));
            if let Some(d) = g.target(logits) {
                bce_grad(dy[0], z, t, d.buf, d.accumulate);
            }
            if let Some(mut d) = g.target(target) {
                let k = dy[0] / z.len() as f32;
                d.put(|i| -k * z[i]);
            }
        }
        Op::CrossEntropy { logits } => {
            // dl/dz_ij = (softmax(z)_ij - [j == y_i]) / B, softmax = exp(log-softmax).
            if let Some(d) = g.target(logits) {
                cross_entropy_grad(dy[0], &node.aux, &node.labels, d.buf, d.accumulate);
            }
        }
    }
}

/// Gradients of `C = op_a(A) op_b(B)` given `dC`:
/// `dA = dC op_b(B)^T` (or its transpose `op_b(B) dC^T` when `A` is used transposed) and
/// `dB = op_a(A)^T dC` (or `dC^T op_a(A)` when `B` is used transposed).
fn matmul_backward(
    dc: MatRef<'_>,
    (a, op_a): (Var, MatOp),
    (b, op_b): (Var, MatOp),
    v: &Values<'_>,
    g: &mut Grads<'_, '_>,
) {
    let (am, bm) = (v.mat(a), v.mat(b));
    let da = match op_a {
        MatOp::Identity => ((dc, MatOp::Identity), (bm, flip(op_b))),
        MatOp::Transpose => ((bm, op_b), (dc, MatOp::Transpose)),
    };
    product_gradient(a, (am.rows(), am.cols()), da, g, v.par);
    let db = match op_b {
        MatOp::Identity => ((am, flip(op_a)), (dc, MatOp::Identity)),
        MatOp::Transpose => ((dc, MatOp::Transpose), (am, op_a)),
    };
    product_gradient(b, (bm.rows(), bm.cols()), db, g, v.par);
}

/// The gradient of operand `x` (`rows x cols`) of a product, `lhs * rhs`: folded into the
/// momentum sink when [`Grads::absorb`] takes it, else written or accumulated into its buffer.
fn product_gradient(
    x: Var,
    (rows, cols): (usize, usize),
    ((lhs, op_l), (rhs, op_r)): ((MatRef<'_>, MatOp), (MatRef<'_>, MatOp)),
    g: &mut Grads<'_, '_>,
    par: Par,
) {
    if let Some((buf, momentum)) = g.absorb(x) {
        let dx = MatMut::contiguous(buf, rows, cols);
        gemm_into_momentum(dx, momentum, lhs, op_l, rhs, op_r, par);
    } else if let Some(mut t) = g.target(x) {
        let beta = t.beta();
        gemm(t.mat(rows, cols), beta, 1.0, lhs, op_l, rhs, op_r, par);
    }
}

/// `db (+)= 1^T dZ`, the column sums of `dz`.
fn bias_grad(dz: MatRef<'_>, t: Target<'_>, small: &mut Vec<f32>) {
    if t.accumulate {
        small.resize(dz.cols(), 0.0);
        col_sums(dz, small);
        axpy(1.0, small, t.buf);
    } else {
        col_sums(dz, t.buf);
    }
}

fn flip(op: MatOp) -> MatOp {
    match op {
        MatOp::Identity => MatOp::Transpose,
        MatOp::Transpose => MatOp::Identity,
    }
}
