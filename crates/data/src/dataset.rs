//! The in-memory table of samples, subsets and the seeded train/test split.

use std::sync::Arc;

use descent_rng::Rng;

/// One table of samples; cheap to share as `Arc<Dataset>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub name: String,
    /// `n_samples x n_features`, row-major.
    pub features: Features,
    pub targets: Targets,
}

/// The inputs of every sample, row-major.
#[derive(Clone, Debug, PartialEq)]
pub enum Features {
    /// Real-valued features, used as they are.
    F32 { values: Vec<f32>, n_features: usize },
    /// 8-bit pixels kept compact in memory; a batch sees `x / 255`.
    Pixels { values: Vec<u8>, n_features: usize },
}

/// What the model should predict for every sample.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// Regression targets, `n_samples x dim`, row-major.
    Values { values: Vec<f32>, dim: usize },
    /// Class labels in `0..n_classes`.
    Classes { labels: Vec<u32>, n_classes: usize },
}

/// A training set and an optional held-out test set.
#[derive(Clone, Debug)]
pub struct Split {
    pub train: Arc<Dataset>,
    pub test: Option<Arc<Dataset>>,
}

impl Features {
    fn n_features(&self) -> usize {
        match self {
            Features::F32 { n_features, .. } | Features::Pixels { n_features, .. } => *n_features,
        }
    }

    fn n_rows(&self) -> usize {
        let (len, width) = match self {
            Features::F32 { values, n_features } => (values.len(), *n_features),
            Features::Pixels { values, n_features } => (values.len(), *n_features),
        };
        len.checked_div(width).unwrap_or(0)
    }

    fn select(&self, indices: &[usize]) -> Features {
        match self {
            Features::F32 { values, n_features } => Features::F32 {
                values: gather_rows(values, *n_features, indices),
                n_features: *n_features,
            },
            Features::Pixels { values, n_features } => Features::Pixels {
                values: gather_rows(values, *n_features, indices),
                n_features: *n_features,
            },
        }
    }
}

impl Targets {
    fn n_rows(&self) -> usize {
        match self {
            Targets::Values { values, dim } => values.len().checked_div(*dim).unwrap_or(0),
            Targets::Classes { labels, .. } => labels.len(),
        }
    }

    fn select(&self, indices: &[usize]) -> Targets {
        match self {
            Targets::Values { values, dim } => Targets::Values {
                values: gather_rows(values, *dim, indices),
                dim: *dim,
            },
            Targets::Classes { labels, n_classes } => Targets::Classes {
                labels: indices.iter().map(|&i| labels[i]).collect(),
                n_classes: *n_classes,
            },
        }
    }
}

fn gather_rows<T: Copy>(values: &[T], width: usize, indices: &[usize]) -> Vec<T> {
    let mut out = Vec::with_capacity(indices.len() * width);
    for &i in indices {
        out.extend_from_slice(&values[i * width..(i + 1) * width]);
    }
    out
}

impl Dataset {
    /// Builds a data set, checking that features and targets describe the same number of rows.
    ///
    /// # Panics
    /// If the buffers are not whole rows or the row counts differ.
    pub fn new(name: impl Into<String>, features: Features, targets: Targets) -> Self {
        let name = name.into();
        let width = features.n_features();
        let feature_len = match &features {
            Features::F32 { values, .. } => values.len(),
            Features::Pixels { values, .. } => values.len(),
        };
        assert!(
            width > 0 && feature_len % width == 0,
            "{name}: features are not whole rows"
        );
        if let Targets::Values { values, dim } = &targets {
            assert!(
                *dim > 0 && values.len() % dim == 0,
                "{name}: targets are not whole rows"
            );
        }
        assert_eq!(
            features.n_rows(),
            targets.n_rows(),
            "{name}: feature and target rows differ"
        );
        Self {
            name,
            features,
            targets,
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.targets.n_rows()
    }

    /// True when the set holds no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of input features per sample.
    pub fn n_features(&self) -> usize {
        self.features.n_features()
    }

    /// Width of the model output: the target dimension for regression, the class count for
    /// classification.
    pub fn target_dim(&self) -> usize {
        match &self.targets {
            Targets::Values { dim, .. } => *dim,
            Targets::Classes { n_classes, .. } => *n_classes,
        }
    }

    /// The samples at `indices`, in that order, as a new data set named `name`.
    pub fn select(&self, name: impl Into<String>, indices: &[usize]) -> Dataset {
        Dataset {
            name: name.into(),
            features: self.features.select(indices),
            targets: self.targets.select(indices),
        }
    }

    /// The first `min(n, len)` samples (a quick way to train on part of a large set).
    pub fn subset(&self, n: usize) -> Dataset {
        let n = n.min(self.len());
        let indices: Vec<usize> = (0..n).collect();
        self.select(format!("{}[..{n}]", self.name), &indices)
    }
}

/// Splits `dataset` into train and test sets after a seeded shuffle: the test set gets
/// `round(test_fraction * len)` samples (at least one when the fraction is positive and the
/// set is not empty), the train set the rest.
///
/// # Panics
/// If `test_fraction` is not in `[0, 1)`.
pub fn train_test_split(dataset: &Dataset, test_fraction: f64, seed: u64) -> Split {
    assert!(
        (0.0..1.0).contains(&test_fraction),
        "test_fraction must be in [0, 1), got {test_fraction}"
    );
    let n = dataset.len();
    let mut order: Vec<usize> = (0..n).collect();
    Rng::seed_from(seed).shuffle(&mut order);
    let mut n_test = (test_fraction * n as f64).round() as usize;
    if test_fraction > 0.0 && n > 1 {
        n_test = n_test.clamp(1, n - 1);
    }
    let (test_idx, train_idx) = order.split_at(n_test);
    let train = Arc::new(dataset.select(format!("{}/train", dataset.name), train_idx));
    let test =
        (n_test > 0).then(|| Arc::new(dataset.select(format!("{}/test", dataset.name), test_idx)));
    Split { train, test }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> Dataset {
        Dataset::new(
            "numbered",
            Features::F32 {
                values: (0..2 * n).map(|v| v as f32).collect(),
                n_features: 2,
            },
            Targets::Classes {
                labels: (0..n as u32).collect(),
                n_classes: n,
            },
        )
    }

    #[test]
    fn sizes_and_subset() {
        let d = numbered(10);
        assert_eq!((d.len(), d.n_features(), d.target_dim()), (10, 2, 10));
        let s = d.subset(3);
        assert_eq!(s.len(), 3);
        assert_eq!(
            s.features,
            Features::F32 {
                values: vec![0., 1., 2., 3., 4., 5.],
                n_features: 2
            }
        );
        assert_eq!(d.subset(100).len(), 10);
    }

    #[test]
    fn split_partitions_rows_and_keeps_pairs() {
        let d = numbered(50);
        let split = train_test_split(&d, 0.2, 9);
        let test = split.test.as_ref().unwrap();
        assert_eq!((split.train.len(), test.len()), (40, 10));
        let mut seen: Vec<u32> = Vec::new();
        for part in [&split.train, test] {
            let (Features::F32 { values, .. }, Targets::Classes { labels, .. }) =
                (&part.features, &part.targets)
            else {
                unreachable!()
            };
            for (row, &label) in labels.iter().enumerate() {
                assert_eq!(
                    values[2 * row],
                    2.0 * label as f32,
                    "features travel with their label"
                );
            }
            seen.extend(labels);
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..50).collect::<Vec<_>>());
        let again = train_test_split(&d, 0.2, 9);
        assert_eq!(again.train.targets, split.train.targets);
        assert_ne!(
            train_test_split(&d, 0.2, 10).train.targets,
            split.train.targets
        );
    }

    #[test]
    fn zero_fraction_has_no_test_set() {
        let split = train_test_split(&numbered(5), 0.0, 1);
        assert!(split.test.is_none());
        assert_eq!(split.train.len(), 5);
    }

    #[test]
    #[should_panic(expected = "feature and target rows differ")]
    fn mismatched_rows_panic() {
        Dataset::new(
            "bad",
            Features::F32 {
                values: vec![0.0; 4],
                n_features: 2,
            },
            Targets::Values {
                values: vec![0.0; 3],
                dim: 1,
            },
        );
    }
}
