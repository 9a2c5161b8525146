//! IDX reading and MNIST directory loading against small files written by the tests
//! themselves, including every kind of broken file the readers must explain.

use std::fs;
use std::path::{Path, PathBuf};

use descent_data::{
    Batch, Batcher, Features, IdxImages, Targets, load_mnist_dir, read_idx_images, read_idx_labels,
    write_idx,
};

/// A fresh, empty directory for one test under Cargo's per-target temporary directory.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("descent-data-idx")
        .join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes an MNIST-shaped directory: `n_train` / `n_test` images of `side x side` pixels where
/// image `i` is filled with the value `i` and labelled `i % 10`.
fn tiny_mnist(dir: &Path, n_train: usize, n_test: usize, side: usize, gzip: bool) {
    let suffix = if gzip { ".gz" } else { "" };
    for (prefix, n) in [("train", n_train), ("t10k", n_test)] {
        let pixels: Vec<u8> = (0..n).flat_map(|i| vec![i as u8; side * side]).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        write_idx(
            &dir.join(format!("{prefix}-images-idx3-ubyte{suffix}")),
            &[n, side, side],
            &pixels,
            gzip,
        )
        .unwrap();
        write_idx(
            &dir.join(format!("{prefix}-labels-idx1-ubyte{suffix}")),
            &[n],
            &labels,
            gzip,
        )
        .unwrap();
    }
}

fn error_text(result: Result<impl std::fmt::Debug, descent_data::DataError>) -> String {
    result.expect_err("the file is broken").to_string()
}

/// The raw bytes of an IDX images file with the given header words and data length.
fn raw_idx(words: &[u32], data_len: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    bytes.extend(std::iter::repeat_n(7u8, data_len));
    bytes
}

#[test]
fn round_trip_raw_and_gzip() {
    let dir = scratch("round_trip");
    let pixels: Vec<u8> = (0..24).collect();
    for gzip in [false, true] {
        let path = dir.join(format!("images-{gzip}"));
        write_idx(&path, &[2, 3, 4], &pixels, gzip).unwrap();
        let images = read_idx_images(&path).unwrap();
        assert_eq!(
            images,
            IdxImages {
                count: 2,
                rows: 3,
                cols: 4,
                pixels: pixels.clone()
            }
        );
        let labels_path = dir.join(format!("labels-{gzip}"));
        write_idx(&labels_path, &[3], &[9, 0, 4], gzip).unwrap();
        assert_eq!(read_idx_labels(&labels_path).unwrap(), vec![9, 0, 4]);
    }
    assert!(
        fs::read(dir.join("images-true"))
            .unwrap()
            .starts_with(&[0x1f, 0x8b])
    );
}

#[test]
fn bad_headers_are_named_exactly() {
    let dir = scratch("bad_headers");
    let cases: [(&str, Vec<u8>, &str); 7] = [
        (
            "empty",
            vec![],
            "file is 0 bytes long, too short for the 4-byte IDX magic number",
        ),
        (
            "labels_as_images",
            raw_idx(&[0x801, 5], 5),
            "bad magic number 0x00000801, expected 0x00000803 for IDX images: 1 dimensions where IDX images have 3",
        ),
        (
            "text",
            b"hello world, not idx".to_vec(),
            "bad magic number 0x68656c6c, expected 0x00000803 for IDX images: not an IDX file",
        ),
        (
            "float_type",
            raw_idx(&[0xd03, 1, 1, 1], 4),
            "element type 0x0d is not unsigned byte (0x08)",
        ),
        (
            "short_header",
            raw_idx(&[0x803, 2], 0),
            "header truncated: 8 bytes, but 3 dimensions need a 16-byte header",
        ),
        (
            "truncated_data",
            raw_idx(&[0x803, 3, 2, 2], 10),
            "truncated: the header promises 3 x 2 x 2 = 12 bytes of data, but only 10 follow the 16-byte header",
        ),
        (
            "trailing",
            raw_idx(&[0x803, 1, 2, 2], 6),
            "2 unexpected trailing bytes after the 4 bytes of data (1 x 2 x 2) that the header promises",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap();
        let message = error_text(read_idx_images(&path));
        assert!(
            message.starts_with(&path.display().to_string()),
            "{message}"
        );
        assert!(message.contains(expected), "{name}: got {message:?}");
    }
    let zero = dir.join("zero_size");
    fs::write(&zero, raw_idx(&[0x803, 4, 0, 28], 0)).unwrap();
    assert!(error_text(read_idx_images(&zero)).ends_with("image size 0 x 28 is empty"));
    let images_as_labels = dir.join("images_as_labels");
    fs::write(&images_as_labels, raw_idx(&[0x803, 1, 1, 1], 1)).unwrap();
    assert!(error_text(read_idx_labels(&images_as_labels)).contains(
        "bad magic number 0x00000803, expected 0x00000801 for IDX labels: 3 dimensions where IDX labels have 1"
    ));
}

#[test]
fn truncated_gzip_and_missing_file() {
    let dir = scratch("gzip");
    let path = dir.join("cut.gz");
    write_idx(
        &path,
        &[50, 8, 8],
        &(0..3200).map(|i| (i * 7 % 251) as u8).collect::<Vec<_>>(),
        true,
    )
    .unwrap();
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(error_text(read_idx_images(&path)).contains("corrupt or truncated gzip stream"));
    let missing = dir.join("nope");
    let message = error_text(read_idx_labels(&missing));
    assert!(
        message.starts_with(&missing.display().to_string()),
        "{message}"
    );
}

#[test]
fn mnist_directory_loads_and_batches() {
    for gzip in [false, true] {
        let dir = scratch(&format!("mnist_ok_{gzip}"));
        tiny_mnist(&dir, 12, 5, 4, gzip);
        let split = load_mnist_dir(&dir).unwrap();
        let test = split.test.as_ref().unwrap();
        assert_eq!((split.train.len(), test.len()), (12, 5));
        assert_eq!(
            (split.train.n_features(), split.train.target_dim()),
            (16, 10)
        );
        let Features::Pixels { values, .. } = &split.train.features else {
            panic!("pixels stay u8")
        };
        assert_eq!(values[16 * 11], 11);
        let Targets::Classes { labels, .. } = &test.targets else {
            panic!()
        };
        assert_eq!(labels, &[0, 1, 2, 3, 4]);
        let mut batcher = Batcher::new(12, 5, false, 0);
        let mut batch = Batch::default();
        batcher.start_epoch(0);
        assert!(batcher.next_batch(&split.train, &mut batch));
        assert_eq!(batch.x[16 * 3], 3.0 / 255.0);
        assert_eq!(batch.labels, vec![0, 1, 2, 3, 4]);
    }
}

#[test]
fn mnist_directory_errors_name_the_file() {
    let dir = scratch("mnist_missing");
    tiny_mnist(&dir, 4, 2, 3, true);
    fs::remove_file(dir.join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let message = error_text(load_mnist_dir(&dir));
    assert!(message.contains("t10k-labels-idx1-ubyte: missing: neither t10k-labels-idx1-ubyte nor t10k-labels-idx1-ubyte.gz exists"), "{message}");

    let dir = scratch("mnist_count");
    tiny_mnist(&dir, 4, 2, 3, false);
    write_idx(
        &dir.join("train-labels-idx1-ubyte"),
        &[3],
        &[1, 2, 3],
        false,
    )
    .unwrap();
    let message = error_text(load_mnist_dir(&dir));
    assert!(
        message.contains("train-labels-idx1-ubyte: 3 labels, but "),
        "{message}"
    );
    assert!(
        message.ends_with("train-images-idx3-ubyte holds 4 images"),
        "{message}"
    );

    let dir = scratch("mnist_label_range");
    tiny_mnist(&dir, 4, 2, 3, false);
    write_idx(&dir.join("t10k-labels-idx1-ubyte"), &[2], &[3, 10], false).unwrap();
    let message = error_text(load_mnist_dir(&dir));
    assert!(
        message.ends_with("t10k-labels-idx1-ubyte: label 10 at index 1 is not a class in 0..10"),
        "{message}"
    );

    let dir = scratch("mnist_sizes");
    tiny_mnist(&dir, 4, 2, 3, false);
    write_idx(
        &dir.join("t10k-images-idx3-ubyte"),
        &[2, 4, 4],
        &[0; 32],
        false,
    )
    .unwrap();
    let message = error_text(load_mnist_dir(&dir));
    assert!(
        message
            .ends_with("t10k-images-idx3-ubyte: test images have 16 pixels each, train images 9"),
        "{message}"
    );
}
