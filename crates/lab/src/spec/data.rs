//! `[data]`: which data set, its generator settings, subsets, and where its files are.

use std::path::{Path, PathBuf};

use super::error::Diagnostics;
use super::reader::{Located, TableReader};
use super::types::{DataSource, DataSpec};

/// The names `dataset` accepts.
pub const DATASET_NAMES: &[&str] = &[
    "linear",
    "xor",
    "moons",
    "spirals",
    "blobs",
    "mnist",
    "fashion_mnist",
    "idx",
    "csv",
];

/// The four files of an MNIST-format folder (each may also end in `.gz`).
pub const IDX_FILES: &[&str] = &[
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The `[data]` section read: the data's identity, its folder or file, and the batch size.
pub(crate) struct DataSection {
    pub spec: DataSpec,
    pub location: Option<PathBuf>,
    pub batch_size: usize,
}

pub(crate) fn read_data(
    d: &mut Diagnostics,
    mut t: TableReader,
    spec_seed: u64,
    base_dir: &Path,
) -> Option<DataSection> {
    let dataset = t.choice(d, "dataset", DATASET_NAMES);
    let path = t.string(d, "path");
    let batch_size = t.count(d, "batch_size").map_or(0, |b| b.value);
    let shuffle = t.bool(d, "shuffle").is_none_or(|b| b.value);
    let seed = t.u64(d, "seed").map_or(spec_seed, |s| s.value);
    let train_samples = t.positive_count(d, "train_samples").map(|n| n.value);
    let test_samples = t.positive_count(d, "test_samples").map(|n| n.value);
    let Some(dataset) = dataset else {
        if !d.has_errors() {
            t.missing(
                d,
                "dataset",
                &format!("one of: {}", DATASET_NAMES.join(", ")),
            );
        }
        t.take_rest();
        return None;
    };
    let source = read_source(d, &mut t, &dataset.value);
    t.finish(d);
    let location = if d.source().check_data_files {
        locate(d, &dataset, path.as_ref(), base_dir)
    } else {
        None
    };
    Some(DataSection {
        spec: DataSpec {
            source: source?,
            train_samples,
            test_samples,
            shuffle,
            seed,
        },
        location,
        batch_size,
    })
}

fn read_source(d: &mut Diagnostics, t: &mut TableReader, dataset: &str) -> Option<DataSource> {
    let mut samples = |d: &mut Diagnostics, default| t_count(d, t, "samples", default);
    Some(match dataset {
        "linear" => DataSource::Linear {
            samples: samples(d, 100),
            test_fraction: fraction(d, t, 0.0),
        },
        "xor" => DataSource::Xor,
        "moons" => DataSource::Moons {
            samples: samples(d, 500),
            noise: non_negative(d, t, "noise", 0.1),
            test_fraction: fraction(d, t, 0.2),
        },
        "spirals" => DataSource::Spirals {
            samples: samples(d, 600),
            classes: t_count(d, t, "classes", 3),
            noise: non_negative(d, t, "noise", 0.2),
            test_fraction: fraction(d, t, 0.2),
        },
        "blobs" => DataSource::Blobs {
            samples: samples(d, 600),
            classes: t_count(d, t, "classes", 3),
            dim: t_count(d, t, "dim", 2),
            std: non_negative(d, t, "std", 1.0),
            test_fraction: fraction(d, t, 0.2),
        },
        "mnist" => DataSource::Mnist,
        "fashion_mnist" => DataSource::FashionMnist,
        "idx" => DataSource::Idx,
        "csv" => {
            let target = t.string(d, "target");
            let classification = t.bool(d, "classification").is_some_and(|b| b.value);
            let test_fraction = fraction(d, t, 0.2);
            let Some(target) = target else {
                t.missing(d, "target", "name the CSV column that holds the target");
                return None;
            };
            DataSource::Csv {
                target: target.value,
                classification,
                test_fraction,
            }
        }
        _ => return None,
    })
}

fn t_count(d: &mut Diagnostics, t: &mut TableReader, key: &'static str, default: usize) -> usize {
    t.positive_count(d, key).map_or(default, |n| n.value)
}

fn non_negative(d: &mut Diagnostics, t: &mut TableReader, key: &'static str, default: f64) -> f64 {
    match t.number(d, key) {
        Some(x) if x.value < 0.0 => {
            d.error(x.span, format!("`{key}` must be >= 0"));
            default
        }
        Some(x) => x.value,
        None => default,
    }
}

fn fraction(d: &mut Diagnostics, t: &mut TableReader, default: f64) -> f64 {
    match t.number(d, "test_fraction") {
        Some(x) if !(0.0..1.0).contains(&x.value) => {
            d.error(x.span, "`test_fraction` must be in [0, 1)");
            default
        }
        Some(x) => x.value,
        None => default,
    }
}

/// Finds the data's folder or file; a missing one is an error listing every place searched.
fn locate(
    d: &mut Diagnostics,
    dataset: &Located<String>,
    path: Option<&Located<String>>,
    base_dir: &Path,
) -> Option<PathBuf> {
    let (default_subdir, label) = match dataset.value.as_str() {
        "mnist" => (Some("mnist"), "MNIST"),
        "fashion_mnist" => (Some("fashion-mnist"), "Fashion-MNIST"),
        "idx" => (None, "IDX"),
        "csv" => (None, "CSV"),
        _ => {
            if let Some(p) = path {
                d.error(
                    p.span.clone(),
                    format!(
                        "dataset `{}` is generated and takes no `path`",
                        dataset.value
                    ),
                );
            }
            return None;
        }
    };
    let is_csv = dataset.value == "csv";
    let mut candidates: Vec<PathBuf> = Vec::new();
    let span = match path {
        Some(p) => {
            candidates.push(base_dir.join(&p.value));
            p.span.clone()
        }
        None => {
            let Some(sub) = default_subdir else {
                d.error(
                    dataset.span.clone(),
                    format!("dataset `{}` needs `path`", dataset.value),
                );
                return None;
            };
            if let Some(root) = descent_data::data_root() {
                candidates.push(root.join(sub));
            }
            candidates.push(Path::new("data").join(sub));
            dataset.span.clone()
        }
    };
    if let Some(found) = candidates.iter().find(|c| {
        if is_csv {
            c.is_file()
        } else {
            missing_idx_files(c).is_empty()
        }
    }) {
        return Some(found.clone());
    }
    let mut searched = String::new();
    for c in &candidates {
        let what = if is_csv {
            "no such file".to_string()
        } else if !c.is_dir() {
            "no such folder".to_string()
        } else {
            format!("missing {}", missing_idx_files(c).join(", "))
        };
        searched.push_str(&format!("\n  {} ({what})", c.display()));
    }
    if path.is_none() && descent_data::data_root().is_none() {
        searched.push_str("\n  $DESCENT_DATA is not set");
    }
    let how = if is_csv {
        "set `path` to the CSV file, relative to the spec's folder".to_string()
    } else {
        format!(
            "put the four {label} IDX files ({}, raw or .gz) in a folder and set `path` to it \
             (relative to the spec), or set DESCENT_DATA to a folder holding `{}/`; \
             e.g. torchvision's MNIST download leaves them in MNIST/raw",
            IDX_FILES.join(", "),
            default_subdir.unwrap_or("<name>")
        )
    };
    d.error_help(
        span,
        format!("{label} data not found; searched:{searched}"),
        how,
    );
    None
}

/// The IDX files absent from `dir` (each counts as present raw or gzipped).
fn missing_idx_files(dir: &Path) -> Vec<&'static str> {
    IDX_FILES
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file() && !dir.join(format!("{f}.gz")).is_file())
        .collect()
}
