//! descent-data: seeded synthetic sets, MNIST / Fashion-MNIST IDX files (raw or `.gz`), CSV
//! tables, train/test splits and batching into reused buffers.
//!
//! A [`Dataset`] is loaded once and shared behind an `Arc`; pixels stay u8 in memory and are
//! divided by 255 only when a [`Batcher`] gathers a batch.

mod batch;
mod csv_file;
mod dataset;
mod error;
mod idx;
mod mnist;
mod synthetic;

pub use batch::{Batch, Batcher, gather};
pub use csv_file::load_csv;
pub use dataset::{Dataset, Features, Split, Targets, train_test_split};
pub use error::DataError;
pub use idx::{IdxImages, read_idx_images, read_idx_labels, write_idx};
pub use mnist::{data_root, load_mnist_dir, mnist_dir};
pub use synthetic::{blobs, linear, moons, spirals, xor};
