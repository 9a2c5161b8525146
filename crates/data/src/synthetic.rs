//! Seeded synthetic data sets: the tutorial's linear problem, XOR, moons, spirals and blobs.

use std::f32::consts::PI;

use descent_rng::Rng;

use crate::dataset::{Dataset, Features, Targets};

/// The tutorial regression problem: `x ~ U[0, 1)`, `y = 3x + 2 + e` with `e ~ U[0, 1)`
/// (so the best fit is `w = 3`, `b = 2.5` and the noise variance is `1/12`). All `x` are drawn
/// first, then all `e`, like the tutorial's `X = rand(n, 1); y = 3X + 2 + rand(n, 1)`.
pub fn linear(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng::seed_from(seed);
    let x: Vec<f32> = (0..n).map(|_| rng.uniform_f32()).collect();
    let y: Vec<f32> = x
        .iter()
        .map(|&xi| 3.0 * xi + 2.0 + rng.uniform_f32())
        .collect();
    Dataset::new(
        format!("linear(n={n},seed={seed})"),
        Features::F32 {
            values: x,
            n_features: 1,
        },
        Targets::Values { values: y, dim: 1 },
    )
}

/// The four XOR points `(0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0` as regression targets (for MSE).
pub fn xor() -> Dataset {
    Dataset::new(
        "xor",
        Features::F32 {
            values: vec![0., 0., 0., 1., 1., 0., 1., 1.],
            n_features: 2,
        },
        Targets::Values {
            values: vec![0., 1., 1., 0.],
            dim: 1,
        },
    )
}

/// Two interleaving half circles (class 0: `(cos t, sin t)`, class 1: `(1 - cos t, 0.5 - sin t)`,
/// `t` evenly spaced on `[0, pi]`) plus Gaussian noise of standard deviation `noise`; rows are
/// shuffled. Class 0 gets `ceil(n/2)` points.
pub fn moons(n: usize, noise: f32, seed: u64) -> Dataset {
    let mut rng = Rng::seed_from(seed);
    let n_outer = n.div_ceil(2);
    let mut rows = Vec::with_capacity(n);
    for (class, count) in [(0u32, n_outer), (1, n - n_outer)] {
        for i in 0..count {
            let t = PI * i as f32 / (count.max(2) - 1) as f32;
            let (x, y) = if class == 0 {
                (t.cos(), t.sin())
            } else {
                (1.0 - t.cos(), 0.5 - t.sin())
            };
            rows.push((
                [x + rng.normal(0.0, noise), y + rng.normal(0.0, noise)],
                class,
            ));
        }
    }
    classes_dataset(
        format!("moons(n={n},noise={noise},seed={seed})"),
        rows,
        2,
        &mut rng,
    )
}

/// `k` interleaved spiral arms (class `j`: radius `r` evenly spaced on `[0, 1]`, angle
/// `4j + 4r + noise * z` with `z ~ N(0, 1)`, point `(r sin a, r cos a)`); `n` points in all,
/// spread as evenly as possible over the arms; rows are shuffled.
///
/// # Panics
/// If `k == 0`.
pub fn spirals(n: usize, k: usize, noise: f32, seed: u64) -> Dataset {
    assert!(k > 0, "spirals needs at least one class");
    let mut rng = Rng::seed_from(seed);
    let mut rows = Vec::with_capacity(n);
    for class in 0..k {
        let count = n / k + usize::from(class < n % k);
        for i in 0..count {
            let r = i as f32 / (count.max(2) - 1) as f32;
            let angle = 4.0 * class as f32 + 4.0 * r + noise * rng.normal_f32();
            rows.push(([r * angle.sin(), r * angle.cos()], class as u32));
        }
    }
    classes_dataset(
        format!("spirals(n={n},k={k},noise={noise},seed={seed})"),
        rows,
        k,
        &mut rng,
    )
}

/// `k` Gaussian blobs in `dim` dimensions: centres uniform in `[-10, 10)^dim`, each point its
/// class centre plus `N(0, std^2)` noise per coordinate; sample `i` belongs to class `i mod k`
/// before the rows are shuffled.
///
/// # Panics
/// If `k == 0` or `dim == 0`.
pub fn blobs(n: usize, k: usize, dim: usize, std: f32, seed: u64) -> Dataset {
    assert!(k > 0 && dim > 0, "blobs needs k > 0 classes and dim > 0");
    let mut rng = Rng::seed_from(seed);
    let centres: Vec<f32> = (0..k * dim)
        .map(|_| rng.uniform_range(-10.0, 10.0))
        .collect();
    let mut labels: Vec<u32> = (0..n).map(|i| (i % k) as u32).collect();
    rng.shuffle(&mut labels);
    let mut values = Vec::with_capacity(n * dim);
    for &label in &labels {
        let centre = &centres[label as usize * dim..(label as usize + 1) * dim];
        values.extend(centre.iter().map(|&c| c + rng.normal(0.0, std)));
    }
    Dataset::new(
        format!("blobs(n={n},k={k},dim={dim},std={std},seed={seed})"),
        Features::F32 {
            values,
            n_features: dim,
        },
        Targets::Classes {
            labels,
            n_classes: k,
        },
    )
}

/// Shuffles 2-D labelled points and packs them into a classification data set.
fn classes_dataset(
    name: String,
    mut rows: Vec<([f32; 2], u32)>,
    k: usize,
    rng: &mut Rng,
) -> Dataset {
    rng.shuffle(&mut rows);
    Dataset::new(
        name,
        Features::F32 {
            values: rows.iter().flat_map(|(p, _)| *p).collect(),
            n_features: 2,
        },
        Targets::Classes {
            labels: rows.iter().map(|&(_, c)| c).collect(),
            n_classes: k,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32_features(d: &Dataset) -> &[f32] {
        match &d.features {
            Features::F32 { values, .. } => values,
            Features::Pixels { .. } => panic!("expected f32 features"),
        }
    }

    fn labels(d: &Dataset) -> &[u32] {
        match &d.targets {
            Targets::Classes { labels, .. } => labels,
            Targets::Values { .. } => panic!("expected classes"),
        }
    }

    #[test]
    fn linear_follows_the_tutorial_law() {
        let d = linear(10_000, 3);
        let x = f32_features(&d);
        let Targets::Values { values: y, dim: 1 } = &d.targets else {
            panic!()
        };
        let residual: Vec<f64> = x
            .iter()
            .zip(y)
            .map(|(&x, &y)| f64::from(y - 3.0 * x - 2.0))
            .collect();
        assert!(x.iter().all(|v| (0.0..1.0).contains(v)));
        assert!(residual.iter().all(|r| (-1e-5..1.0 + 1e-5).contains(r)));
        let mean = residual.iter().sum::<f64>() / residual.len() as f64;
        let var = residual.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / residual.len() as f64;
        assert!((mean - 0.5).abs() < 0.01, "noise mean {mean}");
        assert!((var - 1.0 / 12.0).abs() < 0.003, "noise variance {var}");
        assert_eq!(linear(100, 3), linear(100, 3));
        assert_ne!(linear(100, 3), linear(100, 4));
    }

    #[test]
    fn xor_truth_table() {
        let d = xor();
        assert_eq!(f32_features(&d), &[0., 0., 0., 1., 1., 0., 1., 1.]);
        assert_eq!(
            d.targets,
            Targets::Values {
                values: vec![0., 1., 1., 0.],
                dim: 1
            }
        );
    }

    #[test]
    fn moons_without_noise_lie_on_their_circles() {
        let d = moons(101, 0.0, 5);
        assert_eq!(d.len(), 101);
        let x = f32_features(&d);
        let mut counts = [0; 2];
        for (p, &c) in x.chunks(2).zip(labels(&d)) {
            counts[c as usize] += 1;
            let (cx, cy) = if c == 0 { (0.0, 0.0) } else { (1.0, 0.5) };
            let r = ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt();
            assert!(
                (r - 1.0).abs() < 1e-5,
                "class {c} point {p:?} off its circle"
            );
        }
        assert_eq!(counts, [51, 50]);
        assert_ne!(moons(50, 0.1, 1), moons(50, 0.1, 2));
    }

    #[test]
    fn spirals_radius_grows_along_each_arm() {
        let d = spirals(300, 3, 0.0, 2);
        let x = f32_features(&d);
        let mut counts = [0; 3];
        for (p, &c) in x.chunks(2).zip(labels(&d)) {
            counts[c as usize] += 1;
            let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
            assert!(r <= 1.0 + 1e-6);
            if r > 1e-3 {
                // Without noise the angle is 4c + 4r exactly.
                let angle = 4.0 * c as f32 + 4.0 * r;
                assert!(
                    (p[0] - r * angle.sin()).abs() < 1e-4 && (p[1] - r * angle.cos()).abs() < 1e-4
                );
            }
        }
        assert_eq!(counts, [100, 100, 100]);
    }

    #[test]
    fn blobs_cluster_around_their_centres() {
        let (k, dim) = (4, 3);
        let d = blobs(4000, k, dim, 0.5, 8);
        let x = f32_features(&d);
        let mut sums = vec![0.0f64; k * dim];
        let mut counts = vec![0usize; k];
        for (p, &c) in x.chunks(dim).zip(labels(&d)) {
            counts[c as usize] += 1;
            for j in 0..dim {
                sums[c as usize * dim + j] += f64::from(p[j]);
            }
        }
        assert_eq!(counts, vec![1000; 4]);
        // Within-class spread matches std: mean squared distance to the class mean ~ dim * std^2.
        let mut spread = 0.0;
        for (p, &c) in x.chunks(dim).zip(labels(&d)) {
            for j in 0..dim {
                let mean = sums[c as usize * dim + j] / 1000.0;
                spread += (f64::from(p[j]) - mean).powi(2);
            }
        }
        let per_coordinate = spread / (4000.0 * dim as f64);
        assert!(
            (per_coordinate - 0.25).abs() < 0.02,
            "variance {per_coordinate}"
        );
    }
}
