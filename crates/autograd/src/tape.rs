//! The tape: a flat list of nodes recorded in evaluation order, each holding its [`Op`], shape
//! and forward value; the parameters and their gradients in one flat buffer each.
//!
//! Buffers are pooled by position: [`Tape::reset`] forgets the recorded graph but keeps every
//! node's storage, so re-recording a graph of the same shapes (a training step) reuses it and
//! allocates nothing.

use std::ops::Range;

use descent_kernels::{Activation, AlignedVec, MatRef, Op as MatOp, Par};

/// Where a sweep has put a parameter's gradient so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParamGrad {
    /// Nothing yet (zero-filled when the sweep ends).
    Unset,
    /// Written into [`Tape::grads`]; later contributions accumulate there.
    Stored,
    /// Folded into a momentum sink instead (see [`Tape::sweep`]); it takes no second one.
    Absorbed,
}

/// A node of the tape (a 2-D tensor), valid until the next [`Tape::reset`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Var(pub(crate) usize);

/// A parameter: an offset plus a shape in the tape's flat parameter buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamId(pub(crate) usize);

/// What produced a node. Shapes are `rows x cols`; `N` is a node's element count and `B` the
/// rows of a batch. Each variant names the formula of its forward value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// A constant fed from outside; never differentiated.
    Input,
    /// A parameter of the flat buffer, used in place.
    Param(ParamId),
    /// `C = op_a(A) op_b(B)`.
    MatMul {
        a: Var,
        op_a: MatOp,
        b: Var,
        op_b: MatOp,
    },
    /// `Y = X + 1 b`: the `1 x cols` row vector `b` is added to every row of `X`.
    BiasAdd { x: Var, bias: Var },
    /// `Y = A + B`.
    Add(Var, Var),
    /// `Y = A - B`.
    Sub(Var, Var),
    /// `Y = A * B` elementwise.
    Mul(Var, Var),
    /// `Y = alpha X`.
    Scale(Var, f32),
    /// `y = sum_ij X_ij` (`1 x 1`).
    Sum(Var),
    /// `y = (1/N) sum_ij X_ij` (`1 x 1`).
    Mean(Var),
    /// `Y = f(X)` elementwise for the activation `f`.
    Act(Var, Activation),
    /// Fused linear layer `Y = f(X W + 1 b)` with `W` stored `[in x out]`.
    Linear {
        x: Var,
        w: Var,
        bias: Option<Var>,
        act: Activation,
    },
    /// `l = (1/N) sum (p - t)^2`.
    Mse { pred: Var, target: Var },
    /// `l = (1/N) sum max(z, 0) - z t + ln(1 + e^-|z|)`, the stable form of binary
    /// cross-entropy on `sigma(z)`.
    BceWithLogits { logits: Var, target: Var },
    /// `l = (1/B) sum_i (logsumexp_j z_ij - z_{i y_i})` on integer labels `y`.
    CrossEntropy { logits: Var },
}

/// Storage of one node; reused across recordings.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) op: Op,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) requires_grad: bool,
    /// Forward value (empty for [`Op::Param`], whose value lives in the flat buffer).
    pub(crate) value: Vec<f32>,
    /// Extra forward state: the log-probabilities of [`Op::CrossEntropy`].
    pub(crate) aux: Vec<f32>,
    /// The integer labels of [`Op::CrossEntropy`].
    pub(crate) labels: Vec<u32>,
}

impl Node {
    pub(crate) fn len(&self) -> usize {
        self.rows * self.cols
    }
}

/// The gradient buffer of one node; `set` says it holds a contribution of the current sweep.
#[derive(Clone, Debug, Default)]
pub(crate) struct GradSlot {
    pub(crate) data: Vec<f32>,
    pub(crate) set: bool,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct ParamMeta {
    pub(crate) offset: usize,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
}

impl ParamMeta {
    pub(crate) fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.rows * self.cols
    }
}

/// A reverse-mode tape with its flat parameter and gradient buffers.
#[derive(Clone, Debug)]
pub struct Tape {
    pub(crate) nodes: Vec<Node>,
    pub(crate) node_grads: Vec<GradSlot>,
    /// Nodes of the current recording: `nodes[..len]`.
    pub(crate) len: usize,
    /// Parameters and gradients, each one cache-line aligned buffer (the weight blocks are read
    /// and written in whole vectors by the GEMMs and the optimizer).
    pub(crate) params: AlignedVec,
    pub(crate) param_grads: AlignedVec,
    pub(crate) param_meta: Vec<ParamMeta>,
    /// What the current sweep has done with each parameter's gradient.
    pub(crate) param_grad_state: Vec<ParamGrad>,
    /// Scratch for an activation's backward (`dZ`); reused.
    pub(crate) scratch: Vec<f32>,
    /// Scratch for a bias gradient accumulated onto an earlier contribution; reused.
    pub(crate) scratch_small: Vec<f32>,
    pub(crate) par: Par,
}

impl Default for Tape {
    fn default() -> Self {
        Self::new()
    }
}

impl Tape {
    /// An empty tape with no parameters, running its kernels sequentially.
    pub fn new() -> Self {
        Self {
            nodes: Vec::new(),
            node_grads: Vec::new(),
            len: 0,
            params: AlignedVec::new(),
            param_grads: AlignedVec::new(),
            param_meta: Vec::new(),
            param_grad_state: Vec::new(),
            scratch: Vec::new(),
            scratch_small: Vec::new(),
            par: Par::Seq,
        }
    }

    /// The parallelism passed to every kernel from now on.
    pub fn set_par(&mut self, par: Par) {
        self.par = par;
    }

    /// Forgets the recorded graph, keeping all storage for the next recording.
    pub fn reset(&mut self) {
        self.len = 0;
    }

    // ----- parameters -----

    /// Registers a `rows x cols` parameter (zero-initialised) at the end of the flat buffer.
    pub fn add_param(&mut self, rows: usize, cols: usize) -> ParamId {
        let offset = self.params.len();
        self.params.resize(offset + rows * cols, 0.0);
        self.param_grads.resize(offset + rows * cols, 0.0);
        self.param_meta.push(ParamMeta { offset, rows, cols });
        self.param_grad_state.push(ParamGrad::Unset);
        ParamId(self.param_meta.len() - 1)
    }

    /// The ranges of the parameters whose gradients the last sweep folded into a momentum sink,
    /// in buffer order.
    pub(crate) fn absorbed_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.param_meta
            .iter()
            .zip(&self.param_grad_state)
            .filter(|&(_, &state)| state == ParamGrad::Absorbed)
            .map(|(meta, _)| meta.range())
    }

    /// `(rows, cols)` of a parameter.
    pub fn param_shape(&self, p: ParamId) -> (usize, usize) {
        let m = self.param_meta[p.0];
        (m.rows, m.cols)
    }

    /// Where a parameter lives in [`Tape::params`] and [`Tape::grads`].
    pub fn param_range(&self, p: ParamId) -> Range<usize> {
        self.param_meta[p.0].range()
    }

    /// All parameters, flat.
    pub fn params(&self) -> &[f32] {
        &self.params
    }

    /// All parameters, flat and mutable (for an optimizer step).
    pub fn params_mut(&mut self) -> &mut [f32] {
        &mut self.params
    }

    /// All parameter gradients, flat, as left by the last [`Tape::backward`].
    pub fn grads(&self) -> &[f32] {
        &self.param_grads
    }

    /// Parameters (mutable) and gradients (mutable, e.g. for clipping) at the same time.
    pub fn params_and_grads_mut(&mut self) -> (&mut [f32], &mut [f32]) {
        (&mut self.params, &mut self.param_grads)
    }

    // ----- reading nodes -----

    /// `(rows, cols)` of a node.
    #[inline]
    pub fn shape(&self, v: Var) -> (usize, usize) {
        let n = &self.nodes[self.check(v)];
        (n.rows, n.cols)
    }

    /// The forward value of a node (row-major).
    #[inline(always)]
    pub fn value(&self, v: Var) -> &[f32] {
        let n = &self.nodes[self.check(v)];
        match n.op {
            Op::Param(p) => &self.params[self.param_meta[p.0].range()],
            _ => &n.value,
        }
    }

    /// The single element of a `1 x 1` node (a loss).
    pub fn scalar(&self, v: Var) -> f32 {
        assert_eq!(self.shape(v), (1, 1), "scalar() of a non-1x1 node");
        self.value(v)[0]
    }

    /// The gradient of the last backward root with respect to node `v`, if the sweep reached it
    /// (for a parameter node, its slice of the flat gradient buffer).
    pub fn grad(&self, v: Var) -> Option<&[f32]> {
        let i = self.check(v);
        match self.nodes[i].op {
            Op::Param(p) => Some(&self.param_grads[self.param_meta[p.0].range()]),
            _ => self.node_grads[i]
                .set
                .then_some(&self.node_grads[i].data[..]),
        }
    }

    /// The op that produced a node.
    pub fn op(&self, v: Var) -> Op {
        self.nodes[self.check(v)].op
    }

    #[inline]
    pub(crate) fn mat(&self, v: Var) -> MatRef<'_> {
        let (r, c) = self.shape(v);
        MatRef::contiguous(self.value(v), r, c)
    }

    #[inline]
    fn check(&self, v: Var) -> usize {
        assert!(v.0 < self.len, "Var {} is not on the current tape", v.0);
        v.0
    }

    #[inline]
    pub(crate) fn requires_grad(&self, v: Var) -> bool {
        self.nodes[self.check(v)].requires_grad
    }

    // ----- recording -----

    /// Appends a node slot (reusing pooled storage) sized `rows x cols`; returns its index.
    /// Inlined so that `op` is written field by field: passed by reference, the wide copy of a
    /// freshly stored `Op` stalls on store forwarding (a tenth of a tiny model's step).
    #[inline(always)]
    pub(crate) fn push(&mut self, op: Op, rows: usize, cols: usize, requires_grad: bool) -> usize {
        let i = self.len;
        if i == self.nodes.len() {
            self.nodes.push(Node {
                op,
                rows,
                cols,
                requires_grad,
                value: Vec::new(),
                aux: Vec::new(),
                labels: Vec::new(),
            });
            self.node_grads.push(GradSlot::default());
        }
        let node = &mut self.nodes[i];
        node.op = op;
        node.rows = rows;
        node.cols = cols;
        node.requires_grad = requires_grad;
        self.len += 1;
        i
    }

    /// Records a node whose value `compute(tape, out)` writes into `out`.
    pub(crate) fn record(
        &mut self,
        op: Op,
        (rows, cols): (usize, usize),
        requires_grad: bool,
        compute: impl FnOnce(&Tape, &mut [f32]),
    ) -> Var {
        let i = self.push(op, rows, cols, requires_grad);
        let mut out = std::mem::take(&mut self.nodes[i].value);
        // Every op overwrites all elements, so stale contents are harmless.
        out.resize(rows * cols, 0.0);
        compute(self, &mut out);
        self.nodes[i].value = out;
        Var(i)
    }

    /// A constant `rows x cols` input, copied from `data`.
    pub fn input(&mut self, data: &[f32], rows: usize, cols: usize) -> Var {
        assert_eq!(data.len(), rows * cols, "input: data is not {rows}x{cols}");
        self.input_with(rows, cols, |out| out.copy_from_slice(data))
    }

    /// A constant `rows x cols` input written in place by `fill`.
    pub fn input_with(&mut self, rows: usize, cols: usize, fill: impl FnOnce(&mut [f32])) -> Var {
        self.record(Op::Input, (rows, cols), false, |_, out| fill(out))
    }

    /// A constant `rows x cols` input that takes over `data`'s buffer instead of copying it;
    /// `data` receives the node's previous buffer. [`Tape::swap_input`] exchanges them back.
    pub fn input_swap(&mut self, data: &mut Vec<f32>, rows: usize, cols: usize) -> Var {
        assert_eq!(
            data.len(),
            rows * cols,
            "input_swap: data is not {rows}x{cols}"
        );
        let i = self.push(Op::Input, rows, cols, false);
        std::mem::swap(&mut self.nodes[i].value, data);
        Var(i)
    }

    /// Exchanges the buffer of input node `v` with `data`: hands back a buffer taken by
    /// [`Tape::input_swap`] (the node is not to be read afterwards).
    pub fn swap_input(&mut self, v: Var, data: &mut Vec<f32>) {
        let i = self.check(v);
        assert_eq!(self.nodes[i].op, Op::Input, "swap_input: not an input node");
        std::mem::swap(&mut self.nodes[i].value, data);
    }

    /// The parameter `p` as a node (no copy).
    pub fn param(&mut self, p: ParamId) -> Var {
        let m = self.param_meta[p.0];
        Var(self.push(Op::Param(p), m.rows, m.cols, true))
    }
}

/// `(rows, cols)` of `op(X)` for `X` of shape `shape`.
pub(crate) fn op_shape((r, c): (usize, usize), op: MatOp) -> (usize, usize) {
    match op {
        MatOp::Identity => (r, c),
        MatOp::Transpose => (c, r),
    }
}
