//! `metrics.csv`: one row per metric row of a trial, per-layer gradient norms last.

use std::io;
use std::path::Path;

use crate::train::MetricRow;

const FIXED: &[&str] = &[
    "step",
    "epoch",
    "lr",
    "train_loss",
    "test_loss",
    "test_accuracy",
    "grad_norm",
    "wall_s",
];

/// The CSV text of `rows`; layer columns are named `grad_norm[<layer>]`. Floats are written
/// in Rust's shortest round-trip form, missing values as empty fields.
pub fn metrics_csv(rows: &[MetricRow], layer_names: &[String]) -> String {
    let mut out = FIXED.join(",");
    for name in layer_names {
        out.push_str(&format!(",grad_norm[{name}]"));
    }
    out.push('\n');
    let opt = |x: Option<f32>| x.map_or(String::new(), |x| x.to_string());
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{:.6}",
            r.step,
            r.epoch,
            r.lr,
            r.train_loss,
            opt(r.test_loss),
            opt(r.test_accuracy),
            r.grad_norm,
            r.wall_s
        ));
        for g in &r.layer_grad_norms {
            out.push_str(&format!(",{g}"));
        }
        out.push('\n');
    }
    out
}

/// Reads a `metrics.csv` written by [`metrics_csv`].
pub fn read_metrics(path: &Path) -> io::Result<Vec<MetricRow>> {
    let bad = |what: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {what}", path.display()),
        )
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let mut rows = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        let field = |i: usize| record.get(i).unwrap_or("");
        let num = |i: usize| -> io::Result<f64> {
            field(i).parse::<f64>().map_err(|_| {
                bad(format!(
                    "line {}: column {} is not a number",
                    line + 2,
                    FIXED[i]
                ))
            })
        };
        let opt = |i: usize| -> io::Result<Option<f32>> {
            if field(i).is_empty() {
                Ok(None)
            } else {
                num(i).map(|x| Some(x as f32))
            }
        };
        rows.push(MetricRow {
            step: num(0)? as usize,
            epoch: num(1)? as usize,
            lr: num(2)? as f32,
            train_loss: num(3)? as f32,
            test_loss: opt(4)?,
            test_accuracy: opt(5)?,
            grad_norm: num(6)? as f32,
            wall_s: num(7)?,
            layer_grad_norms: (FIXED.len()..record.len())
                .map(|i| field(i).parse::<f32>().unwrap_or(f32::NAN))
                .collect(),
        });
    }
    Ok(rows)
}
