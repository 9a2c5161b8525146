//! The real MNIST files under `$DESCENT_DATA/mnist`, when present (skipped otherwise).

use descent_data::{Features, Targets, load_mnist_dir, mnist_dir};

#[test]
fn real_mnist_has_the_published_shape() {
    let Some(dir) = mnist_dir() else {
        println!(
            "skipping: $DESCENT_DATA/mnist not found (set DESCENT_DATA to the data directory)"
        );
        return;
    };
    let split = load_mnist_dir(&dir).unwrap();
    let test = split.test.as_ref().unwrap();
    assert_eq!((split.train.len(), test.len()), (60_000, 10_000));
    assert_eq!(
        (split.train.n_features(), split.train.target_dim()),
        (784, 10)
    );
    let Targets::Classes { labels, .. } = &split.train.targets else {
        panic!()
    };
    // Published class counts of the training set.
    let mut counts = [0usize; 10];
    for &l in labels {
        counts[l as usize] += 1;
    }
    assert_eq!(
        counts,
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    let Features::Pixels { values, .. } = &split.train.features else {
        panic!()
    };
    assert_eq!(values.iter().copied().max(), Some(255));
}
