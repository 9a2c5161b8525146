//! Loading a spec's data once per sweep (shared by every trial through `Arc`s).

use std::path::Path;
use std::sync::Arc;

use descent_data::{DataError, Dataset, Split, train_test_split};

use crate::spec::{DataSource, DataSpec};

/// Loads or generates the data `spec` names; files come from `location` (the folder or CSV
/// file the spec resolved). MNIST stays `u8` pixels.
pub fn load_data(spec: &DataSpec, location: Option<&Path>) -> Result<Split, DataError> {
    let seed = spec.seed;
    let whole = |ds: Dataset| Split {
        train: Arc::new(ds),
        test: None,
    };
    let split = |ds: Dataset, fraction: f64| {
        if fraction > 0.0 {
            train_test_split(&ds, fraction, seed)
        } else {
            whole(ds)
        }
    };
    let file = || location.expect("the spec resolves the data's location");
    let loaded = match &spec.source {
        DataSource::Linear {
            samples,
            test_fraction,
        } => split(descent_data::linear(*samples, seed), *test_fraction),
        DataSource::Xor => whole(descent_data::xor()),
        DataSource::Moons {
            samples,
            noise,
            test_fraction,
        } => split(
            descent_data::moons(*samples, *noise as f32, seed),
            *test_fraction,
        ),
        DataSource::Spirals {
            samples,
            classes,
            noise,
            test_fraction,
        } => split(
            descent_data::spirals(*samples, *classes, *noise as f32, seed),
            *test_fraction,
        ),
        DataSource::Blobs {
            samples,
            classes,
            dim,
            std,
            test_fraction,
        } => split(
            descent_data::blobs(*samples, *classes, *dim, *std as f32, seed),
            *test_fraction,
        ),
        DataSource::Mnist | DataSource::FashionMnist | DataSource::Idx => {
            descent_data::load_mnist_dir(file())?
        }
        DataSource::Csv {
            target,
            classification,
            test_fraction,
        } => split(
            descent_data::load_csv(file(), target, *classification)?,
            *test_fraction,
        ),
    };
    Ok(Split {
        train: match spec.train_samples {
            Some(n) => Arc::new(loaded.train.subset(n)),
            None => loaded.train,
        },
        test: match (loaded.test, spec.test_samples) {
            (Some(test), Some(n)) => Some(Arc::new(test.subset(n))),
            (test, _) => test,
        },
    })
}
