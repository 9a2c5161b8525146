//! MNIST and Fashion-MNIST from a directory holding the four standard IDX files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::dataset::{Dataset, Features, Split, Targets};
use crate::error::DataError;
use crate::idx::{IdxImages, read_idx_images, read_idx_labels};

/// MNIST and Fashion-MNIST both have ten classes.
const N_CLASSES: u32 = 10;

/// The data directory named by `$DESCENT_DATA` (unset or empty: `None`). MNIST lives in its
/// `mnist` subdirectory.
pub fn data_root() -> Option<PathBuf> {
    std::env::var_os("DESCENT_DATA")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `$DESCENT_DATA/mnist` when that directory exists.
pub fn mnist_dir() -> Option<PathBuf> {
    data_root()
        .map(|root| root.join("mnist"))
        .filter(|dir| dir.is_dir())
}

/// Loads `train-{images-idx3,labels-idx1}-ubyte` and `t10k-...` from `dir`, each raw or with a
/// `.gz` suffix. Checks every file (see [`read_idx_images`]), that each image file has as many
/// images as its label file has labels, that labels are below 10, and that train and test images
/// have the same size. Pixels stay u8; the data set is named after the directory.
pub fn load_mnist_dir(dir: &Path) -> Result<Split, DataError> {
    let name = dir
        .file_name()
        .map_or_else(|| "mnist".to_string(), |n| n.to_string_lossy().into_owned());
    let train = load_part(dir, "train", &name)?;
    let test = load_part(dir, "t10k", &name)?;
    if train.n_features() != test.n_features() {
        return Err(DataError::format(
            find_file(dir, "t10k-images-idx3-ubyte")?,
            format!(
                "test images have {} pixels each, train images {}",
                test.n_features(),
                train.n_features()
            ),
        ));
    }
    Ok(Split {
        train: Arc::new(train),
        test: Some(Arc::new(test)),
    })
}

fn load_part(dir: &Path, prefix: &str, name: &str) -> Result<Dataset, DataError> {
    let images_path = find_file(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels_path = find_file(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let IdxImages {
        count,
        rows,
        cols,
        pixels,
    } = read_idx_images(&images_path)?;
    let labels = read_idx_labels(&labels_path)?;
    if labels.len() != count {
        return Err(DataError::format(
            &labels_path,
            format!(
                "{} labels, but {} holds {count} images",
                labels.len(),
                images_path.display()
            ),
        ));
    }
    if let Some((index, &label)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| u32::from(l) >= N_CLASSES)
    {
        return Err(DataError::format(
            &labels_path,
            format!("label {label} at index {index} is not a class in 0..{N_CLASSES}"),
        ));
    }
    Ok(Dataset::new(
        format!("{name}/{prefix}"),
        Features::Pixels {
            values: pixels,
            n_features: rows * cols,
        },
        Targets::Classes {
            labels: labels.into_iter().map(u32::from).collect(),
            n_classes: N_CLASSES as usize,
        },
    ))
}

/// `dir/stem` if it exists, else `dir/stem.gz` if it exists, else an error naming both.
fn find_file(dir: &Path, stem: &str) -> Result<PathBuf, DataError> {
    let raw = dir.join(stem);
    if raw.is_file() {
        return Ok(raw);
    }
    let gz = dir.join(format!("{stem}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    Err(DataError::format(
        raw,
        format!("missing: neither {stem} nor {stem}.gz exists"),
    ))
}
