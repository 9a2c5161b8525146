//! CSV tables of numbers: a header row, numeric columns, the target chosen by column name.

use std::path::Path;

use crate::dataset::{Dataset, Features, Targets};
use crate::error::DataError;

/// Loads a CSV file with a header row. Every column except `target_column` becomes a feature
/// (`f32`). With `classification` the target must hold class labels `0, 1, 2, ...` (written as
/// non-negative integers) and `n_classes = max label + 1`; otherwise it is a 1-dimensional
/// regression target. Fields are trimmed; every value must be a finite number. Errors give the
/// line and, for a bad field, the 1-based column and its name.
pub fn load_csv(
    path: &Path,
    target_column: &str,
    classification: bool,
) -> Result<Dataset, DataError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| csv_error(path, e))?;
    let header = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let Some(target) = header.iter().position(|h| h == target_column) else {
        let columns: Vec<&str> = header.iter().collect();
        return Err(DataError::Csv {
            path: path.into(),
            line: 1,
            column: None,
            message: format!(
                "no column named '{target_column}'; the columns are: {}",
                columns.join(", ")
            ),
        });
    };
    if header.len() < 2 {
        return Err(DataError::Csv {
            path: path.into(),
            line: 1,
            column: None,
            message: "needs at least one feature column besides the target".into(),
        });
    }
    let mut features = Vec::new();
    let mut target_values = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, e))?;
        let line = record.position().map_or(0, |p| p.line());
        for (column, field) in record.iter().enumerate() {
            let bad = |what: &str| DataError::Csv {
                path: path.into(),
                line,
                column: Some(column + 1),
                message: format!("column '{}': {field:?} {what}", &header[column]),
            };
            let value: f64 = field.parse().map_err(|_| bad("is not a number"))?;
            if !value.is_finite() {
                return Err(bad("is not a finite number"));
            }
            if column != target {
                features.push(value as f32);
            } else if classification {
                if value < 0.0 || value.fract() != 0.0 || value > f64::from(u32::MAX - 1) {
                    return Err(bad("is not a class label (a non-negative integer)"));
                }
                target_values.push(value);
            } else {
                target_values.push(value);
            }
        }
    }
    if target_values.is_empty() {
        return Err(DataError::Csv {
            path: path.into(),
            line: 2,
            column: None,
            message: "no data rows".into(),
        });
    }
    let targets = if classification {
        let labels: Vec<u32> = target_values.iter().map(|&v| v as u32).collect();
        let n_classes = labels.iter().max().map_or(0, |&m| m as usize + 1);
        Targets::Classes { labels, n_classes }
    } else {
        Targets::Values {
            values: target_values.iter().map(|&v| v as f32).collect(),
            dim: 1,
        }
    };
    let name = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    Ok(Dataset::new(
        name,
        Features::F32 {
            values: features,
            n_features: header.len() - 1,
        },
        targets,
    ))
}

/// Maps a csv crate error (I/O, ragged row, invalid UTF-8) to a [`DataError`] with its line.
fn csv_error(path: &Path, error: csv::Error) -> DataError {
    let line = error.position().map_or(0, |p| p.line());
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("{len} fields, but the header has {expected_len}")
        }
        csv::ErrorKind::Io(e) => {
            return DataError::io(path, std::io::Error::new(e.kind(), e.to_string()));
        }
        _ => error.to_string(),
    };
    DataError::Csv {
        path: path.into(),
        line,
        column: None,
        message,
    }
}
