//! The BLIS loop nest and its parallel split over output blocks.
//!
//! ```text
//! for jc in 0..n step NC            // B block columns
//!   for pc in 0..k step KC          // depth, in order: never split
//!     pack B[pc.., jc..] (KC x NC) into NR-wide panels
//!     for ic in 0..m step MC
//!       pack A[ic.., pc..] (MC x KC) into MR-tall panels (skipped when n is small)
//!       for jr in 0..NC step NR
//!         for ir in 0..MC step MR
//!           micro-kernel -> write-back (alpha, beta on the first K block;
//!                                       bias + activation on the last)
//! ```
//!
//! Every element of `C` is produced by the same sequence of FMAs whichever task computes it, so
//! results are bit-identical for any thread count.

use super::depth_halves;
use super::microkernel::{Tile, WriteBack, kernel, write_back, write_back_full_width};
use super::operand::{Operand, Output};
use super::pack::{pack_a, pack_b};
use super::small;
use super::workspace::with_workspace;
use super::zmm_kernel::{self, zmm_tile};
use super::{KC, MC, MR, NC, NR};
use crate::{Activation, Par};
use std::ops::Range;

/// Work (`m * n * k`) per parallel task below which splitting costs more than it saves (2^18
/// multiply-adds: 5-10 µs of one core, several times a rayon fork-join).
const PAR_GRAIN: usize = 1 << 18;
/// A is read in place (not packed) when it feeds at most this many NR-wide panels
/// (`n <= 64`): packing would cost as much as the multiply.
const PACK_A_MIN_N: usize = 4 * NR;
/// Up to this many panels (`n <= 256`) and from a depth block of [`IN_PLACE_A_MIN_K`], A is also
/// read in place when its rows are contiguous, when the product runs as one task, or when its
/// block (at most MC rows by one depth block) fits in [`IN_PLACE_A_MAX_BYTES`] and so stays in
/// L1 while the tiles walk across `n`.
/// Alone on Zen 5 (1 thread; `m` 32-3000, `k` 16-784; zmm and AVX2 tiles), in place was 0-35%
/// faster than packed up to `n = 256`, about equal at 384-512 and 2-5% slower at 1024 with deep
/// `k`. In training: the MLP's first-layer forward (`B x 128 x 784`) and, at batch 32, its
/// weight gradient (`784 x 128 x 32`, A transposed, an 18 KiB block) run in place.
const IN_PLACE_A_MAX_N: usize = 16 * NR;
/// See [`IN_PLACE_A_MAX_N`]: two thirds of a 48 KiB L1d. A transposed A with a larger block (the
/// weight gradient at batch 128, 72 KiB) is faster in place on one task (training at batch 128
/// on 1 thread: 2-4% per epoch, batch 512 2-3%), but split over two tasks it made training at
/// batch 128 on 2 threads 5-7% slower (why is not known), so split products pack it.
const IN_PLACE_A_MAX_BYTES: usize = 32 << 10;
/// See [`IN_PLACE_A_MAX_N`]. The MLP's 10-deep input gradient (`128 x 128 x 10`) was faster in
/// place alone (3.0 against 3.2 µs) but training at batch 128 on 2 threads 1-3% slower per epoch.
const IN_PLACE_A_MIN_K: usize = 16;
/// Blocks with at most this many rows read full-width panels of a row-major B in place.
const DIRECT_B_MAX_ROWS: usize = 64;

/// One GEMM call, shape-checked: `C[m x n] = f(alpha * A[m x k] * B[k x n] + beta * C + bias)`.
pub(super) struct Problem<'a> {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub a: Operand,
    pub b: Operand,
    pub c: Output,
    pub alpha: f32,
    pub beta: f32,
    pub epilogue: Option<(Option<&'a [f32]>, Activation)>,
}

/// Runs the problem: small ones directly on this thread ([`small`]), others with up to
/// `par.degree()` tasks, each on a block of rows (or of columns, when `C` is wider than tall:
/// each task then re-packs the smaller A instead of the larger B).
pub(super) fn run(p: &Problem<'_>, par: Par) {
    if p.m == 0 || p.n == 0 {
        return;
    }
    if small::is_small(p) {
        small::run(p);
        return;
    }
    run_with_kernel(p, par, zmm_kernel::enabled());
}

/// [`run`] for a problem too big for the direct kernel, with the AVX-512 tile kernels (`wide`)
/// or the AVX2 tiles only; both give the same bits.
pub(super) fn run_with_kernel(p: &Problem<'_>, par: Par, wide: bool) {
    let tasks = task_count(p.m, p.n, p.k, par);
    if depth_halves::applies(p.m, p.n, p.k) {
        depth_halves::run(p, tasks, wide);
    } else {
        run_output_blocks(p, tasks, wide);
    }
}

/// The usual split: `tasks` tasks over blocks of rows, or of columns when `C` is wider than tall.
pub(super) fn run_output_blocks(p: &Problem<'_>, tasks: usize, wide: bool) {
    let units = split_units(p.m, p.n);
    let split = Split {
        cols: p.m < p.n,
        units,
        tasks: tasks.min(units),
        wide,
    };
    run_tasks(p, &split, 0..split.tasks);
}

/// Whether every element of an `m x n x k` product's `C` is written once, from its whole sum:
/// the direct kernel, or one depth block (`k <= KC`) without depth halves. `beta * C` then
/// meets the finished product.
pub(super) fn writes_once(m: usize, n: usize, k: usize) -> bool {
    small::is_small_shape(m, n, k) || (k <= KC && !depth_halves::applies(m, n, k))
}

/// How many parallel tasks an `m x n x k` product runs on with `par` (a function of the shape
/// and `par` only): one per `PAR_GRAIN` of work, at most `par.degree()` and one per output
/// row tile (or column panel); 1 for the direct kernel's small products.
pub(super) fn task_count(m: usize, n: usize, k: usize, par: Par) -> usize {
    if m == 0 || n == 0 || small::is_small_shape(m, n, k) {
        return 1;
    }
    (m * n * k.max(1) / PAR_GRAIN)
        .clamp(1, par.degree())
        .min(split_units(m, n))
}

/// The units the output is split into: column panels when `C` is wider than tall, else row
/// tiles.
fn split_units(m: usize, n: usize) -> usize {
    if m < n {
        n.div_ceil(NR)
    } else {
        m.div_ceil(MR)
    }
}

/// How a problem is cut into tasks, and which tile kernel they run.
struct Split {
    /// Split over column panels (else over row tiles).
    cols: bool,
    units: usize,
    tasks: usize,
    /// Run the AVX-512 tile kernels instead of the AVX2 ones.
    wide: bool,
}

fn run_tasks(p: &Problem<'_>, split: &Split, ts: Range<usize>) {
    if ts.len() > 1 {
        let mid = ts.start + ts.len() / 2;
        crate::join_split(
            || run_tasks(p, split, ts.start..mid),
            || run_tasks(p, split, mid..ts.end),
        );
        return;
    }
    let (units, tasks) = (split.units, split.tasks);
    let (u0, u1) = (ts.start * units / tasks, ts.end * units / tasks);
    if split.cols {
        block(p, 0..p.m, u0 * NR..(u1 * NR).min(p.n), split);
    } else {
        block(p, u0 * MR..(u1 * MR).min(p.m), 0..p.n, split);
    }
}

/// The loop nest on the output block `rows x cols`.
fn block(p: &Problem<'_>, rows: Range<usize>, cols: Range<usize>, split: &Split) {
    let wide = split.wide;
    // Equal depth blocks (784 -> 4 x 196, not 3 x 256 + 16): no tiny last block whose
    // write-back would cost as much as its FMAs. Depends on k only, so never on the split.
    let kc_max = p.k.div_ceil(p.k.div_ceil(KC).max(1));
    // Rows of the largest A block.
    let mc_max = MC.min(rows.len());
    let a_block_bytes = mc_max * kc_max * size_of::<f32>();
    let in_place_a = p.n <= IN_PLACE_A_MAX_N
        && kc_max >= IN_PLACE_A_MIN_K
        && (p.a.cs == 1 || a_block_bytes <= IN_PLACE_A_MAX_BYTES || split.tasks == 1);
    let packed_a = p.n > PACK_A_MIN_N && !in_place_a;
    let a_len = if packed_a {
        mc_max.next_multiple_of(MR) * kc_max
    } else {
        0
    };
    // With few rows, each B panel serves only a few tiles: full-width panels of a row-major
    // B are then read in place instead of packed (only the ragged edge panel is packed).
    let direct_b = p.b.cs == 1 && rows.len() <= DIRECT_B_MAX_ROWS;
    let b_len = if direct_b {
        NR * kc_max
    } else {
        NC.min(cols.len()).next_multiple_of(NR) * kc_max
    };
    with_workspace(|ws| {
        let (abuf, bbuf) = ws.buffers(a_len, b_len);
        for jc in cols.clone().step_by(NC) {
            let nc = NC.min(cols.end - jc);
            // `k == 0` still runs one (empty) depth block so beta and the epilogue apply.
            let mut pc = 0;
            loop {
                let kc = kc_max.min(p.k - pc);
                let last = pc + kc == p.k;
                let wb = WriteBack {
                    alpha: p.alpha,
                    beta: if pc == 0 { p.beta } else { 1.0 },
                    epilogue: if last { p.epilogue } else { None },
                };
                if !direct_b {
                    // SAFETY: the block `pc..pc + kc` x `jc..jc + nc` lies inside B.
                    unsafe { pack_b(bbuf, p.b.offset(pc, jc, kc, nc), kc, nc) };
                }
                for ic in rows.clone().step_by(MC) {
                    let mc = MC.min(rows.end - ic);
                    let a = p.a.offset(ic, pc, mc, kc);
                    if packed_a {
                        // SAFETY: the block `ic..ic + mc` x `pc..pc + kc` lies inside A.
                        unsafe { pack_a(abuf, a, mc, kc) };
                    }
                    let mut jr = 0;
                    while jr < nc {
                        // With the zmm kernels, two full panels side by side make one tile.
                        let two = wide && nc - jr >= 2 * NR;
                        let ncols = if two { 2 * NR } else { NR.min(nc - jr) };
                        let (b_ptr, b_next, b_rs) = if !direct_b {
                            let panel = bbuf[jr / NR * NR * kc..].as_ptr();
                            (panel, panel.wrapping_add(NR * kc), NR)
                        } else if ncols >= NR {
                            let panel = p.b.at(pc, jc + jr);
                            (panel, panel.wrapping_add(NR), p.b.rs)
                        } else {
                            let edge = p.b.offset(pc, jc + jr, kc, ncols);
                            // SAFETY: the edge panel lies inside B.
                            unsafe { pack_b(bbuf, edge, kc, ncols) };
                            (bbuf.as_ptr(), bbuf.as_ptr(), NR)
                        };
                        for (tile_index, (ir, rows)) in row_tiles(mc).enumerate() {
                            let (a_ptr, a_rs, a_cs) = if packed_a {
                                (abuf[tile_index * MR * kc..].as_ptr(), 1, MR)
                            } else {
                                (a.at(ir, 0), a.rs, a.cs)
                            };
                            let t = TileJob {
                                kc,
                                a: a_ptr,
                                a_rs,
                                a_cs,
                                b: b_ptr,
                                b_rs,
                                row0: ic + ir,
                                col0: jc + jr,
                                rows,
                                cols: ncols,
                            };
                            // SAFETY: the A panel has `t.rows` readable rows; every B panel
                            // is NR columns wide (packed and zero-padded, or in place and
                            // full); the tile lies inside C. `wide` implies AVX-512F.
                            unsafe {
                                if wide {
                                    zmm_tile(&t, b_next, p.c, &wb);
                                    continue;
                                }
                                match (packed_a, b_rs == NR) {
                                    (true, true) => tile_rows::<true, true>(&t, p.c, &wb),
                                    (true, false) => tile_rows::<true, false>(&t, p.c, &wb),
                                    (false, true) => tile_rows::<false, true>(&t, p.c, &wb),
                                    (false, false) => tile_rows::<false, false>(&t, p.c, &wb),
                                }
                            }
                        }
                        jr += if two { 2 * NR } else { NR };
                    }
                }
                pc += kc;
                if last {
                    break;
                }
            }
        }
    });
}

/// The row tiles `(first row, rows)` of an `mc`-row block: `ceil(mc / MR)` tiles of MR rows,
/// except that a remainder of 1 or 2 rows is merged with the last full tile and split evenly
/// (`6 + 2 -> 4 + 4`): a 1- or 2-row tile has too few accumulators to hide the FMA latency.
pub(super) fn row_tiles(mc: usize) -> impl Iterator<Item = (usize, usize)> {
    let full = mc / MR;
    let rest = mc % MR;
    let rebalance = full > 0 && rest > 0 && rest <= 2;
    let plain = if rebalance { full - 1 } else { full };
    let mut sizes = [0; 3];
    match (rebalance, rest) {
        (true, _) => sizes[..2].copy_from_slice(&[(MR + rest).div_ceil(2), (MR + rest) / 2]),
        (false, 0) => {}
        (false, _) => sizes[0] = rest,
    }
    let tail = sizes.into_iter().filter(|&r| r > 0);
    std::iter::repeat_n(MR, plain)
        .chain(tail)
        .scan(0, |start, rows| {
            let tile = (*start, rows);
            *start += rows;
            Some(tile)
        })
}

/// One micro-tile: its A and B panels and where it lands in C.
#[derive(Clone, Copy)]
pub(super) struct TileJob {
    pub kc: usize,
    pub a: *const f32,
    pub a_rs: usize,
    pub a_cs: usize,
    pub b: *const f32,
    pub b_rs: usize,
    pub row0: usize,
    pub col0: usize,
    pub rows: usize,
    pub cols: usize,
}

impl TileJob {
    /// The job with the strides of packed panels as constants for the compiler (`PACKED_A`:
    /// `a_rs = 1, a_cs = MR`; `PACKED_B`: `b_rs = NR`).
    #[inline(always)]
    pub(super) fn with_packed_strides<const PACKED_A: bool, const PACKED_B: bool>(&self) -> Self {
        let mut t = *self;
        if PACKED_A {
            (t.a_rs, t.a_cs) = (1, MR);
        }
        if PACKED_B {
            t.b_rs = NR;
        }
        t
    }
}

/// [`tile`] with `R = t.rows`; packed panels (`PACKED_A`: `a_rs = 1, a_cs = MR`; `PACKED_B`:
/// `b_rs = NR`) get their strides as constants for the compiler.
///
/// # Safety
/// As for [`tile`].
#[inline(always)]
unsafe fn tile_rows<const PACKED_A: bool, const PACKED_B: bool>(
    t: &TileJob,
    c: Output,
    wb: &WriteBack<'_>,
) {
    let t = t.with_packed_strides::<PACKED_A, PACKED_B>();
    // SAFETY: forwarded from the caller.
    unsafe {
        if t.cols == NR {
            tile_rows_of_width::<true>(&t, c, wb);
        } else {
            tile_rows_of_width::<false>(&t, c, wb);
        }
    }
}

/// [`tile`] with `R = t.rows`, for full-width tiles (`FULL`: `t.cols = NR`) or edge tiles; each
/// combination is its own instance, so a tile's write-back code holds only what it needs.
///
/// # Safety
/// As for [`tile`].
#[inline(always)]
unsafe fn tile_rows_of_width<const FULL: bool>(t: &TileJob, c: Output, wb: &WriteBack<'_>) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match t.rows {
            6 => tile::<6, FULL>(t, c, wb),
            5 => tile::<5, FULL>(t, c, wb),
            4 => tile::<4, FULL>(t, c, wb),
            3 => tile::<3, FULL>(t, c, wb),
            2 => tile::<2, FULL>(t, c, wb),
            _ => tile::<1, FULL>(t, c, wb),
        }
    }
}

/// Computes an `R`-row tile and writes its valid part back ([`write_back_full_width`] when
/// `FULL`).
///
/// # Safety
/// As for [`kernel`] with `R` rows and for [`write_back`].
#[inline(always)]
unsafe fn tile<const R: usize, const FULL: bool>(t: &TileJob, c: Output, wb: &WriteBack<'_>) {
    unsafe {
        let acc: Tile<R> = kernel::<R>(t.kc, t.a, t.a_rs, t.a_cs, t.b, t.b_rs);
        if FULL {
            write_back_full_width::<R>(&acc, c, t.row0, t.col0, t.rows, wb);
        } else {
            write_back::<R>(&acc, c, t.row0, t.col0, t.rows, t.cols, wb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::operand::{Operand, Output};
    use crate::{MatRef, Op};
    use descent_rng::Rng;

    /// `C` after one product of `(m, n, k)` through [`run_with_kernel`], from the same operands
    /// and starting `C` whichever kernel runs.
    fn product(
        shape: (usize, usize, usize),
        ops: (Op, Op),
        mode: (f32, bool),
        wide: bool,
    ) -> Vec<f32> {
        let ((m, n, k), (op_a, op_b), (beta, fused)) = (shape, ops, mode);
        let mut rng = Rng::seed_from((m * 1_000_000 + n * 1000 + k) as u64);
        let mut random =
            |len: usize| -> Vec<f32> { (0..len).map(|_| rng.normal(0.0, 1.0)).collect() };
        let (a, b, bias, mut c) = (random(m * k), random(k * n), random(n), random(m * n));
        let (a_rows, a_cols) = if op_a == Op::Identity { (m, k) } else { (k, m) };
        let (b_rows, b_cols) = if op_b == Op::Identity { (k, n) } else { (n, k) };
        let problem = Problem {
            m,
            n,
            k,
            a: Operand::new(MatRef::contiguous(&a, a_rows, a_cols), op_a),
            b: Operand::new(MatRef::contiguous(&b, b_rows, b_cols), op_b),
            c: Output {
                ptr: c.as_mut_ptr(),
                rs: n,
            },
            alpha: 0.75,
            beta,
            epilogue: fused.then_some((Some(&bias[..]), Activation::Relu)),
        };
        assert!(
            !small::is_small(&problem),
            "{m}x{n}x{k} would take the direct kernel"
        );
        run_with_kernel(&problem, Par::Seq, wide);
        c
    }

    /// The AVX-512 tile kernels change speed only: on odd shapes (edge rows and column panels,
    /// one and several depth blocks, packed and in-place operands, both transposes), with and
    /// without `beta` and the fused bias + ReLU, their `C` equals the AVX2 tiles' bit for bit.
    #[test]
    fn zmm_kernels_give_the_avx2_bits() {
        if !zmm_kernel::enabled() {
            eprintln!("skipped: this CPU has no AVX-512F (or DESCENT_GEMM_AVX512=0)");
            return;
        }
        let shapes = [
            (37, 70, 45),
            (6, 96, 300),
            (130, 33, 17),
            (64, 200, 784),
            (13, 48, 9),
            (37, 300, 45),
        ];
        let ops = [
            (Op::Identity, Op::Identity),
            (Op::Transpose, Op::Identity),
            (Op::Identity, Op::Transpose),
        ];
        for shape in shapes {
            for op in ops {
                for mode in [(0.0, false), (0.5, true)] {
                    let avx2 = product(shape, op, mode, false);
                    let zmm = product(shape, op, mode, true);
                    let same = avx2
                        .iter()
                        .zip(&zmm)
                        .all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(
                        same,
                        "{shape:?} {op:?} {mode:?}: the zmm kernels' bits differ"
                    );
                }
            }
        }
    }
}
