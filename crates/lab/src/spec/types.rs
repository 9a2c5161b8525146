//! The validated spec: what every section means once read (defaults filled in).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::param::Param;
use super::reader::Located;
use super::source::SpecSource;

/// A whole sweep: data, model, training settings, the swept axes and fixed hyperparameters.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Results go to `runs/<name>/` unless `--out` says otherwise.
    pub name: String,
    /// Root of every seed in the sweep (default 0).
    pub seed: u64,
    /// Seeds per configuration (default 1).
    pub repeats: usize,
    pub data: DataSpec,
    /// Where the data files are (not part of any trial's identity).
    pub data_dir: Option<PathBuf>,
    pub model: ModelSpec,
    pub train: TrainSpec,
    /// Default batch size, unless swept (0 = full batch).
    pub batch_size: usize,
    pub sweep: SweepSpec,
    /// Fixed hyperparameters per optimizer name (`[optimizers.adam]`).
    pub optimizers: BTreeMap<String, BTreeMap<String, Param>>,
    pub lr_find: LrFindSpec,
    pub source: SpecSource,
}

/// Which data set, how much of it, and its seed. Serialised into every trial's config; the
/// data's location on disk is deliberately not part of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSpec {
    #[serde(flatten)]
    pub source: DataSource,
    /// Use only the first N training samples.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub train_samples: Option<usize>,
    /// Use only the first N test samples.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub test_samples: Option<usize>,
    /// Shuffle the training set each epoch (default true).
    pub shuffle: bool,
    /// Seed of the synthetic generators and of train/test splits (default: the spec's seed).
    pub seed: u64,
}

/// The data sets descent knows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dataset", rename_all = "snake_case")]
pub enum DataSource {
    /// `y = 3x + 2 + U[0,1)` noise, `x ~ U[0,1)`.
    Linear { samples: usize, test_fraction: f64 },
    /// The four XOR points.
    Xor,
    Moons {
        samples: usize,
        noise: f64,
        test_fraction: f64,
    },
    Spirals {
        samples: usize,
        classes: usize,
        noise: f64,
        test_fraction: f64,
    },
    Blobs {
        samples: usize,
        classes: usize,
        dim: usize,
        std: f64,
        test_fraction: f64,
    },
    /// The four MNIST IDX files (default folder `$DESCENT_DATA/mnist`).
    Mnist,
    /// Fashion-MNIST (default folder `$DESCENT_DATA/fashion-mnist`).
    FashionMnist,
    /// Any folder holding MNIST-format IDX files (`path` required).
    Idx,
    /// A CSV file with a header row (`path` and `target` required).
    Csv {
        target: String,
        classification: bool,
        test_fraction: f64,
    },
}

impl DataSource {
    /// `true` when the targets are class labels (cross-entropy by default), else values (MSE).
    pub fn has_classes(&self) -> bool {
        match self {
            DataSource::Linear { .. } | DataSource::Xor => false,
            DataSource::Csv { classification, .. } => *classification,
            _ => true,
        }
    }
}

/// The network: an MLP from the data's feature count through `hidden` to the target size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub hidden: Vec<usize>,
    pub activation: String,
    /// Slope for `leaky_relu` (default 0.01).
    pub negative_slope: f64,
    pub loss: String,
    pub init: String,
    /// Standard deviation for `init = "normal"` (default 0.01).
    pub init_std: f64,
    /// Bound `a` of `U[-a, a]` for `init = "uniform"` (default 0.1).
    pub init_bound: f64,
}

/// How long to train and when to stop early.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSpec {
    pub budget: Budget,
    /// Steps between metric rows.
    pub eval_every: usize,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub schedule: Option<ScheduleSpec>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub clip_norm: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub target_loss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub loss_tolerance: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub change_tolerance: Option<f64>,
    pub divergence_factor: f64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_loss: Option<f64>,
}

/// Training length.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    Epochs(usize),
    Steps(usize),
}

/// A learning-rate schedule: its kind and PyTorch-named hyperparameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleSpec {
    pub kind: String,
    #[serde(flatten)]
    pub hyper: BTreeMap<String, Param>,
}

/// The swept axes and how they combine.
#[derive(Clone, Debug)]
pub struct SweepSpec {
    pub method: SweepMethod,
    /// In file order; `optimizer` and `lr` are always present.
    pub axes: Vec<Axis>,
}

/// Every combination, or N random draws.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SweepMethod {
    Grid,
    Random { trials: usize },
}

/// One swept key and its values.
#[derive(Clone, Debug)]
pub struct Axis {
    pub key: String,
    pub key_span: std::ops::Range<usize>,
    pub values: AxisValues,
}

/// The values of an axis.
#[derive(Clone, Debug)]
pub enum AxisValues {
    /// An explicit list (or a `range`/`log_range` grid): random search picks among them.
    Points(Vec<Located<Param>>),
    /// Random search only: `exp(U[ln lo, ln hi))`.
    LogUniform(f64, f64),
    /// Random search only: `U[lo, hi)`.
    Uniform(f64, f64),
}

/// `[lr_find]`: the learning-rate range test.
#[derive(Clone, Debug, PartialEq)]
pub struct LrFindSpec {
    pub min_lr: f64,
    pub max_lr: f64,
    pub steps: usize,
    /// EMA factor of the smoothed loss (default 0.9: a ~10-step window for the default 100 steps).
    pub smoothing: f64,
    /// Stop once the smoothed loss exceeds this multiple of its minimum (default 4).
    pub stop_factor: f64,
}
