//! `metrics.csv`: one row per metric row of a trial, per-layer gradient norms last.

use std::fmt::Write;
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
    // Written straight into one buffer (no String per field); writing to a String cannot fail.
    let mut out = FIXED.join(",");
    for name in layer_names {
        let _ = write!(out, ",grad_norm[{name}]");
    }
    out.push('\n');
    // Floats in their shortest round-trip form (ryu: a few times faster than `Display`, which
    // was a tenth of a tiny trial's cost); `wall_s` in microseconds.
    let mut floats = ryu::Buffer::new();
    let mut float = |out: &mut String, x: f32| out.push_str(floats.format(x));
    for r in rows {
        let _ = write!(out, "{},{},", r.step, r.epoch);
        for x in [r.lr, r.train_loss] {
            float(&mut out, x);
            out.push(',');
        }
        for x in [r.test_loss, r.test_accuracy] {
            if let Some(x) = x {
                float(&mut out, x);
            }
            out.push(',');
        }
        float(&mut out, r.grad_norm);
        out.push(',');
        push_micros(&mut out, r.wall_s);
        for &g in &r.layer_grad_norms {
            out.push(',');
            float(&mut out, g);
        }
        out.push('\n');
    }
    out
}

/// `seconds` (not negative) with six decimals, through integers: `{:.6}` took longer than the
/// rest of a row.
fn push_micros(out: &mut String, seconds: f64) {
    let micros = (seconds * 1e6).round() as u64;
    let _ = write!(out, "{}.{:06}", micros / 1_000_000, micros % 1_000_000);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_written_in_full_and_read_back() {
        let row = |step, test: Option<f32>| MetricRow {
            step,
            epoch: 1,
            lr: 0.1,
            train_loss: 0.25,
            test_loss: test,
            test_accuracy: test.map(|t| 1.0 - t),
            grad_norm: 1.5,
            layer_grad_norms: vec![1.0, 0.5],
            wall_s: 0.125,
        };
        let rows = [row(10, Some(0.75)), row(20, None)];
        let text = metrics_csv(&rows, &["fc1".to_string(), "fc2".to_string()]);
        assert_eq!(
            text,
            "step,epoch,lr,train_loss,test_loss,test_accuracy,grad_norm,wall_s,\
             grad_norm[fc1],grad_norm[fc2]\n\
             10,1,0.1,0.25,0.75,0.25,1.5,0.125000,1.0,0.5\n\
             20,1,0.1,0.25,,,1.5,0.125000,1.0,0.5\n"
        );
        let path = std::env::temp_dir().join(format!("descent-metrics-{}.csv", std::process::id()));
        std::fs::write(&path, &text).unwrap();
        assert_eq!(read_metrics(&path).unwrap(), rows);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn wall_times_have_six_decimals_like_fixed_point_formatting() {
        for seconds in [0.0, 0.125, 12.3456789, 4e-7, 1.9999996, 86400.5] {
            let mut out = String::new();
            push_micros(&mut out, seconds);
            assert_eq!(out, format!("{seconds:.6}"), "{seconds}");
        }
    }
}
