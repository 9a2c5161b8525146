//! The AVX-512 pair kernel: one `R x 2NR = 6 x 32` tile over two neighbouring NR-wide B panels,
//! on CPUs that have AVX-512F (detected at run time; the build itself targets AVX2).
//!
//! `acc[i][h] = sum_{p < kc} A[i, p] * B_h[p, 0..16]` for the two panels `h = 0, 1`: 12 zmm
//! accumulators (6 rows x 2 vectors of 16), one FMA per depth step and element, in order of
//! `p`. That is the same operation sequence per element as the 8-lane [`kernel`] (an FMA is
//! one rounding whatever the vector width), so the pair kernel changes speed only: every
//! element of `C` is bit-identical to the AVX2 path's. The accumulators then go through the
//! AVX2 write-back ([`write_back_full_width`]) as two `R x 16` tiles.
//!
//! Per depth step: 2 loads of B, R broadcasts of A, 2R FMAs of 16 lanes; twice the work per
//! instruction of the AVX2 tile, which is what Zen 4/5 and Intel server cores run at full
//! width.
//!
//! [`kernel`]: super::microkernel::kernel

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{__m512, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_set1_ps};

use super::microkernel::WriteBack;
#[cfg(target_arch = "x86_64")]
use super::microkernel::{Tile, write_back_full_width};
use super::operand::Output;
#[cfg(target_arch = "x86_64")]
use super::{MR, NR};
#[cfg(target_arch = "x86_64")]
use wide::f32x8;

/// Environment variable that turns the pair kernel off (`DESCENT_GEMM_AVX512=0`), e.g. to
/// measure the AVX2 path on an AVX-512 machine. Results are the same either way.
pub const DISABLE_ENV: &str = "DESCENT_GEMM_AVX512";

/// Whether GEMMs use the pair kernel: the CPU has AVX-512F and [`DISABLE_ENV`] is not `0`
/// (decided once per process).
#[cfg(target_arch = "x86_64")]
pub(super) fn enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| {
        let off = std::env::var(DISABLE_ENV).is_ok_and(|v| v.trim() == "0");
        !off && std::arch::is_x86_feature_detected!("avx512f")
    })
}

/// Other architectures have no pair kernel.
#[cfg(not(target_arch = "x86_64"))]
pub(super) fn enabled() -> bool {
    false
}

/// Where the two full-width B panels of a pair tile start; both have row stride `b_rs`.
#[derive(Clone, Copy)]
pub(super) struct PairB {
    pub b0: *const f32,
    pub b1: *const f32,
    pub b_rs: usize,
}

/// A pair tile: A panel, its two B panels, and where it lands in C.
#[derive(Clone, Copy)]
pub(super) struct PairJob {
    pub kc: usize,
    pub a: *const f32,
    pub a_rs: usize,
    pub a_cs: usize,
    pub b: PairB,
    pub row0: usize,
    pub col0: usize,
    pub rows: usize,
}

/// Computes the `t.rows x 32` tile at `(t.row0, t.col0)` and writes it back.
///
/// # Safety
/// The CPU must have AVX-512F ([`enabled`]); `t.rows <= 6` rows of A and `kc x 16` elements of
/// each B panel must be readable; the `rows x 32` block of C must be writable (and covered by
/// the bias, if any).
#[cfg(target_arch = "x86_64")]
pub(super) unsafe fn pair_tile(t: &PairJob, c: Output, wb: &WriteBack<'_>) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match (t.a_rs == 1 && t.a_cs == MR, t.b.b_rs == NR) {
            (true, true) => pair_rows::<true, true>(t, c, wb),
            (true, false) => pair_rows::<true, false>(t, c, wb),
            (false, true) => pair_rows::<false, true>(t, c, wb),
            (false, false) => pair_rows::<false, false>(t, c, wb),
        }
    }
}

/// [`pair_tile`] with packed strides as constants (`PACKED_A`: `a_rs = 1, a_cs = MR`;
/// `PACKED_B`: `b_rs = NR`), so the depth loop walks each panel with one pointer.
///
/// # Safety
/// As for [`pair_tile`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn pair_rows<const PACKED_A: bool, const PACKED_B: bool>(
    t: &PairJob,
    c: Output,
    wb: &WriteBack<'_>,
) {
    let mut t = *t;
    if PACKED_A {
        (t.a_rs, t.a_cs) = (1, MR);
    }
    if PACKED_B {
        t.b.b_rs = NR;
    }
    // SAFETY: forwarded from the caller.
    unsafe {
        match t.rows {
            6 => pair::<6>(&t, c, wb),
            5 => pair::<5>(&t, c, wb),
            4 => pair::<4>(&t, c, wb),
            3 => pair::<3>(&t, c, wb),
            2 => pair::<2>(&t, c, wb),
            _ => pair::<1>(&t, c, wb),
        }
    }
}

/// Never called: [`enabled`] is false off x86_64.
///
/// # Safety
/// None needed; it panics.
#[cfg(not(target_arch = "x86_64"))]
pub(super) unsafe fn pair_tile(_: &PairJob, _: Output, _: &WriteBack<'_>) {
    unreachable!("the pair kernel needs x86_64")
}

/// [`pair_tile`] for `R` rows.
///
/// # Safety
/// As for [`pair_tile`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn pair<const R: usize>(t: &PairJob, c: Output, wb: &WriteBack<'_>) {
    let (a_rs, a_cs, b_rs) = (t.a_rs, t.a_cs, t.b.b_rs);
    let mut acc = [[unsafe { std::mem::zeroed::<__m512>() }; 2]; R];
    let (mut a, mut b0, mut b1) = (t.a, t.b.b0, t.b.b1);
    // One depth step: 2 B vectors, R broadcasts, 2R FMAs (`fma(a, b, acc)`, as `mul_add`).
    // Plain pointer walks, no manual unrolling: that made LLVM hoist the broadcasts of four
    // steps and spill them.
    for _ in 0..t.kc {
        // SAFETY: fewer than `kc` steps were taken, and the caller guarantees the panels'
        // extent.
        unsafe {
            let (v0, v1) = (_mm512_loadu_ps(b0), _mm512_loadu_ps(b1));
            for (i, row) in acc.iter_mut().enumerate() {
                let ai = _mm512_set1_ps(*a.add(i * a_rs));
                row[0] = _mm512_fmadd_ps(ai, v0, row[0]);
                row[1] = _mm512_fmadd_ps(ai, v1, row[1]);
            }
            a = a.wrapping_add(a_cs);
            b0 = b0.wrapping_add(b_rs);
            b1 = b1.wrapping_add(b_rs);
        }
    }
    // A zmm is two ymm halves in lane order: columns 0..8 and 8..16 of its panel.
    let halves: [Tile<R>; 2] = std::array::from_fn(|half| {
        std::array::from_fn(|i| {
            // SAFETY: `__m512` and `[f32x8; 2]` are both 64 bytes of 16 f32 lanes.
            unsafe { std::mem::transmute::<__m512, [f32x8; NR / 8]>(acc[i][half]) }
        })
    });
    for (half, tile) in halves.iter().enumerate() {
        // SAFETY: the caller guarantees the `rows x 32` block of C (and the bias) is valid.
        unsafe { write_back_full_width::<R>(tile, c, t.row0, t.col0 + half * NR, t.rows, wb) };
    }
}
