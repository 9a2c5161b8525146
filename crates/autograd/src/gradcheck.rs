//! Gradient checking by central finite differences.
//!
//! `g_i ~ (L(theta + h e_i) - L(theta - h e_i)) / (2 h)`, with `h` the step actually
//! representable in f32 at `theta_i` and the difference taken in f64. The truncation error is
//! `O(h^2 L''')` and the rounding error about `eps_f32 |L| / h`, so with f32 losses `h ~ 1e-2`
//! to `1e-3` and a relative tolerance of about `1e-2` separate real bugs from noise.

/// How far analytic gradients are from numeric ones.
#[derive(Clone, Copy, Debug)]
pub struct GradCheck {
    /// Largest `|a - n| / (abs_tol + rel_tol max(|a|, |n|))`: the check passes when `<= 1`.
    pub worst_ratio: f64,
    /// Where that happened, and the two values there.
    pub worst_index: usize,
    pub analytic: f64,
    pub numeric: f64,
    /// Number of elements compared.
    pub checked: usize,
}

impl GradCheck {
    pub fn passed(&self) -> bool {
        self.worst_ratio <= 1.0
    }
}

/// The central-difference gradient of `loss` with respect to every element of the flat buffer
/// `params(model)`, perturbing one element at a time by `h` (restored afterwards).
pub fn numeric_gradient<M>(
    model: &mut M,
    params: impl Fn(&mut M) -> &mut [f32],
    mut loss: impl FnMut(&mut M) -> f32,
    h: f32,
) -> Vec<f64> {
    let n = params(model).len();
    (0..n)
        .map(|i| {
            let theta = params(model)[i];
            let (up, down) = (theta + h, theta - h);
            params(model)[i] = up;
            let l_up = f64::from(loss(model));
            params(model)[i] = down;
            let l_down = f64::from(loss(model));
            params(model)[i] = theta;
            (l_up - l_down) / (f64::from(up) - f64::from(down))
        })
        .collect()
}

/// Compares analytic gradients with numeric ones elementwise.
pub fn compare(analytic: &[f32], numeric: &[f64], abs_tol: f64, rel_tol: f64) -> GradCheck {
    assert_eq!(analytic.len(), numeric.len(), "compare: lengths differ");
    let mut check = GradCheck {
        worst_ratio: 0.0,
        worst_index: 0,
        analytic: 0.0,
        numeric: 0.0,
        checked: analytic.len(),
    };
    for (i, (&a, &n)) in analytic.iter().zip(numeric).enumerate() {
        let a = f64::from(a);
        let ratio = (a - n).abs() / (abs_tol + rel_tol * a.abs().max(n.abs()));
        if ratio > check.worst_ratio || ratio.is_nan() {
            check = GradCheck {
                worst_ratio: ratio,
                worst_index: i,
                analytic: a,
                numeric: n,
                checked: check.checked,
            };
        }
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_gradient_of_a_cubic() {
        // L = sum x_i^3, dL/dx_i = 3 x_i^2.
        let mut x = vec![0.5f32, -1.0, 2.0];
        let g = numeric_gradient(
            &mut x,
            |x| &mut x[..],
            |x| x.iter().map(|v| v * v * v).sum(),
            1e-2,
        );
        for (g, want) in g.iter().zip([0.75, 3.0, 12.0]) {
            assert!((g - want).abs() < 2e-3 * want, "{g} vs {want}");
        }
        assert_eq!(x, [0.5, -1.0, 2.0], "parameters are restored");
    }

    #[test]
    fn compare_flags_a_wrong_gradient_and_nan() {
        let ok = compare(&[1.0, -2.0], &[1.001, -2.0], 1e-4, 1e-2);
        assert!(ok.passed(), "{ok:?}");
        let bad = compare(&[1.0, -2.0], &[1.0, -2.2], 1e-4, 1e-2);
        assert!(!bad.passed() && bad.worst_index == 1, "{bad:?}");
        assert!(!compare(&[f32::NAN], &[0.0], 1e-4, 1e-2).passed());
    }
}
