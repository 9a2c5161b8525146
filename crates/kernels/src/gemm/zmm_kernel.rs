//! The AVX-512 tile kernels, on CPUs that have AVX-512F (detected at run time; the build itself
//! targets AVX2): an `R x 32` tile over two neighbouring NR-wide B panels (12 zmm accumulators
//! for `R = 6`), or an `R x 16` tile over one panel, full or the zero-padded edge (6).
//!
//! `acc[i][v] = sum_{p < kc} A[i, p] * B_v[p, 0..16]` for the `V` panels: one FMA per depth
//! step and element, in order of `p`. That is the same operation sequence per element as the
//! 8-lane [`kernel`] (an FMA is one rounding whatever the vector width), so these kernels
//! change speed only: every element of `C` is bit-identical to the AVX2 path's. The
//! accumulators then go through the AVX2 write-back ([`write_back_full_width`], or
//! [`write_back`] for an edge) as `R x 16` tiles.
//!
//! Per depth step: `V` loads of B, `R` broadcasts of A, `V R` FMAs of 16 lanes; twice the work
//! per instruction of the AVX2 tile, which is what Zen 4/5 and Intel server cores run at full
//! width.
//!
//! [`kernel`]: super::microkernel::kernel

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{__m512, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_set1_ps};

use super::driver::TileJob;
use super::microkernel::WriteBack;
#[cfg(target_arch = "x86_64")]
use super::microkernel::{Tile, write_back, write_back_full_width};
use super::operand::Output;
#[cfg(target_arch = "x86_64")]
use super::{MR, NR};
#[cfg(target_arch = "x86_64")]
use wide::f32x8;

/// Environment variable that turns the zmm kernels off (`DESCENT_GEMM_AVX512=0`), e.g. to
/// measure the AVX2 path on an AVX-512 machine. Results are the same either way.
pub const DISABLE_ENV: &str = "DESCENT_GEMM_AVX512";

/// Whether GEMMs use the zmm kernels: the CPU has AVX-512F and [`DISABLE_ENV`] is not `0`
/// (decided once per process).
#[cfg(target_arch = "x86_64")]
pub(super) fn enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| {
        let off = std::env::var(DISABLE_ENV).is_ok_and(|v| v.trim() == "0");
        !off && std::arch::is_x86_feature_detected!("avx512f")
    })
}

/// Other architectures have no zmm kernels.
#[cfg(not(target_arch = "x86_64"))]
pub(super) fn enabled() -> bool {
    false
}

/// Computes the `t.rows x t.cols` tile at `(t.row0, t.col0)` and writes it back: two panels
/// (`t.b`, then `b_next`) when `t.cols = 2 NR`, else the one panel at `t.b`.
///
/// Inlined into the driver: called, it copied the just-written job with vector loads, which
/// stalled on store forwarding (14% of a short-depth product).
///
/// # Safety
/// The CPU must have AVX-512F ([`enabled`]); `t.rows <= 6` rows of A and `kc x 16` elements of
/// each B panel used must be readable (a panel is NR wide even at the edge: packed and
/// zero-padded); the `rows x cols` block of C must be writable (and covered by the bias).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) unsafe fn zmm_tile(t: &TileJob, b_next: *const f32, c: Output, wb: &WriteBack<'_>) {
    let packed_a = t.a_rs == 1 && t.a_cs == MR;
    // SAFETY: forwarded from the caller.
    unsafe {
        match (t.cols > NR, packed_a, t.b_rs == NR) {
            (true, true, true) => tile_rows::<2, true, true>(t, b_next, c, wb),
            (true, true, false) => tile_rows::<2, true, false>(t, b_next, c, wb),
            (true, false, true) => tile_rows::<2, false, true>(t, b_next, c, wb),
            (true, false, false) => tile_rows::<2, false, false>(t, b_next, c, wb),
            (false, true, _) => tile_rows::<1, true, false>(t, b_next, c, wb),
            (false, false, _) => tile_rows::<1, false, false>(t, b_next, c, wb),
        }
    }
}

/// Never called: [`enabled`] is false off x86_64.
///
/// # Safety
/// None needed; it panics.
#[cfg(not(target_arch = "x86_64"))]
pub(super) unsafe fn zmm_tile(_: &TileJob, _: *const f32, _: Output, _: &WriteBack<'_>) {
    unreachable!("the zmm kernels need x86_64")
}

/// [`zmm_tile`] for `V` panels, with packed strides as constants (`PACKED_A`: `a_rs = 1,
/// a_cs = MR`; `PACKED_B`: `b_rs = NR`), dispatched on the row count.
///
/// # Safety
/// As for [`zmm_tile`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn tile_rows<const V: usize, const PACKED_A: bool, const PACKED_B: bool>(
    t: &TileJob,
    b_next: *const f32,
    c: Output,
    wb: &WriteBack<'_>,
) {
    let t = t.with_packed_strides::<PACKED_A, PACKED_B>();
    let panels = [t.b, b_next];
    // SAFETY: forwarded from the caller.
    unsafe {
        match t.rows {
            6 => tile::<6, V>(&t, panels, c, wb),
            5 => tile::<5, V>(&t, panels, c, wb),
            4 => tile::<4, V>(&t, panels, c, wb),
            3 => tile::<3, V>(&t, panels, c, wb),
            2 => tile::<2, V>(&t, panels, c, wb),
            _ => tile::<1, V>(&t, panels, c, wb),
        }
    }
}

/// [`zmm_tile`] for `R` rows and `V` panels.
///
/// # Safety
/// As for [`zmm_tile`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn tile<const R: usize, const V: usize>(
    t: &TileJob,
    panels: [*const f32; 2],
    c: Output,
    wb: &WriteBack<'_>,
) {
    let (a_rs, a_cs, b_rs) = (t.a_rs, t.a_cs, t.b_rs);
    let mut acc = [[unsafe { std::mem::zeroed::<__m512>() }; V]; R];
    let mut a = t.a;
    let mut b: [*const f32; V] = std::array::from_fn(|v| panels[v]);
    // One depth step: V B vectors, R broadcasts, V R FMAs (`fma(a, b, acc)`, as `mul_add`).
    // Plain pointer walks, no manual unrolling: that made LLVM hoist the broadcasts of four
    // steps and spill them.
    for _ in 0..t.kc {
        // SAFETY: fewer than `kc` steps were taken, and the caller guarantees the panels'
        // extent.
        unsafe {
            let bv: [__m512; V] = std::array::from_fn(|v| _mm512_loadu_ps(b[v]));
            for (i, row) in acc.iter_mut().enumerate() {
                let ai = _mm512_set1_ps(*a.add(i * a_rs));
                for (acc, &bv) in row.iter_mut().zip(&bv) {
                    *acc = _mm512_fmadd_ps(ai, bv, *acc);
                }
            }
            a = a.wrapping_add(a_cs);
            for panel in &mut b {
                *panel = panel.wrapping_add(b_rs);
            }
        }
    }
    // A zmm is two ymm halves in lane order: columns 0..8 and 8..16 of its panel.
    let tiles: [Tile<R>; V] = std::array::from_fn(|v| {
        std::array::from_fn(|i| {
            // SAFETY: `__m512` and `[f32x8; 2]` are both 64 bytes of 16 f32 lanes.
            unsafe { std::mem::transmute::<__m512, [f32x8; NR / 8]>(acc[i][v]) }
        })
    });
    for (v, tile) in tiles.iter().enumerate() {
        let (col0, cols) = (t.col0 + v * NR, t.cols.min(NR));
        // SAFETY: the caller guarantees the `rows x cols` block of C (and the bias) is valid.
        unsafe {
            if cols == NR {
                write_back_full_width::<R>(tile, c, t.row0, col0, t.rows, wb);
            } else {
                write_back::<R>(tile, c, t.row0, col0, t.rows, cols, wb);
            }
        }
    }
}
