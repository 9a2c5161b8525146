//! The CSV loader on the shipped fixture and on broken tables written by the tests.

use std::fs;
use std::path::{Path, PathBuf};

use descent_data::{Features, Targets, load_csv};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/houses.csv")
}

fn broken(name: &str, text: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("descent-data-csv");
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn error_text(path: &Path, target: &str, classification: bool) -> String {
    load_csv(path, target, classification)
        .expect_err("the table is broken")
        .to_string()
}

#[test]
fn regression_target_by_name() {
    let d = load_csv(&fixture(), "price", false).unwrap();
    assert_eq!((d.len(), d.n_features(), d.target_dim()), (5, 4, 1));
    let Features::F32 { values, .. } = &d.features else {
        panic!()
    };
    assert_eq!(&values[..8], &[3.0, 72.5, 12.0, 1.0, 2.0, 48.0, 30.0, 0.0]);
    assert_eq!(
        d.targets,
        Targets::Values {
            values: vec![210.0, 120.5, 330.0, 80.0, 480.75],
            dim: 1
        }
    );
    assert_eq!(d.name, "houses");
}

#[test]
fn classification_target_by_name() {
    let d = load_csv(&fixture(), "bucket", true).unwrap();
    assert_eq!(
        d.targets,
        Targets::Classes {
            labels: vec![1, 0, 2, 0, 2],
            n_classes: 3
        }
    );
    assert_eq!(d.n_features(), 4);
    let Features::F32 { values, .. } = &d.features else {
        panic!()
    };
    assert_eq!(&values[..4], &[3.0, 72.5, 12.0, 210.0]);
}

#[test]
fn errors_give_line_and_column() {
    let path = fixture();
    let message = error_text(&path, "cost", false);
    assert_eq!(
        message,
        format!(
            "{}:1: no column named 'cost'; the columns are: rooms, area_m2, age_years, price, bucket",
            path.display()
        )
    );
    let message = error_text(&path, "area_m2", true);
    assert_eq!(
        message,
        format!(
            "{}:2:2: column 'area_m2': \"72.5\" is not a class label (a non-negative integer)",
            path.display()
        )
    );

    let path = broken("word.csv", "a,b,y\n1,2,3\n4,five,6\n");
    assert_eq!(
        error_text(&path, "y", false),
        format!(
            "{}:3:2: column 'b': \"five\" is not a number",
            path.display()
        )
    );

    let path = broken("nan.csv", "a,y\n1,2\nNaN,3\n");
    assert_eq!(
        error_text(&path, "y", false),
        format!(
            "{}:3:1: column 'a': \"NaN\" is not a finite number",
            path.display()
        )
    );

    let path = broken("ragged.csv", "a,b,y\n1,2,3\n4,5\n");
    assert_eq!(
        error_text(&path, "y", false),
        format!("{}:3: 2 fields, but the header has 3", path.display())
    );

    let path = broken("header_only.csv", "a,y\n");
    assert_eq!(
        error_text(&path, "y", false),
        format!("{}:2: no data rows", path.display())
    );

    let path = broken("target_only.csv", "y\n1\n");
    assert!(
        error_text(&path, "y", false)
            .ends_with(":1: needs at least one feature column besides the target")
    );
}
