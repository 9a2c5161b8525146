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
/// in Rust's shortest round-trip form, missing values as empty fields, `wall_s` with six
/// decimals.
pub fn metrics_csv(rows: &[MetricRow], layer_names: &[String]) -> String {
    // Written straight into one buffer (no String per field); writing to a String cannot fail.
    // Formatting was a tenth of a tiny trial's cost, so numbers go through ryu and itoa rather
    // than `Display`, and the learning rate, which rarely changes from row to row, is
    // formatted once per value.
    let mut out = String::with_capacity((rows.len() + 2) * (64 + 12 * layer_names.len()));
    out.push_str(&FIXED.join(","));
    for name in layer_names {
        let _ = write!(out, ",grad_norm[{name}]");
    }
    out.push('\n');
    let mut text = Numbers::default();
    let mut lr = (f32::NAN, String::new());
    for r in rows {
        text.uint(&mut out, r.step as u64);
        out.push(',');
        text.uint(&mut out, r.epoch as u64);
        out.push(',');
        if r.lr.to_bits() != lr.0.to_bits() {
            lr.0 = r.lr;
            lr.1.clear();
            text.float(&mut lr.1, r.lr);
        }
        out.push_str(&lr.1);
        out.push(',');
        text.float(&mut out, r.train_loss);
        out.push(',');
        for x in [r.test_loss, r.test_accuracy] {
            if let Some(x) = x {
                text.float(&mut out, x);
            }
            out.push(',');
        }
        text.float(&mut out, r.grad_norm);
        out.push(',');
        text.micros(&mut out, r.wall_s);
        for &g in &r.layer_grad_norms {
            out.push(',');
            text.float(&mut out, g);
        }
        out.push('\n');
    }
    out
}

/// Number formatting buffers.
#[derive(Default)]
struct Numbers {
    floats: ryu::Buffer,
    ints: itoa::Buffer,
}

impl Numbers {
    /// `x` in its shortest round-trip form.
    fn float(&mut self, out: &mut String, x: f32) {
        out.push_str(self.floats.format(x));
    }

    fn uint(&mut self, out: &mut String, n: u64) {
        out.push_str(self.ints.format(n));
    }

    /// `seconds` (not negative) with six decimals, like `{:.6}`.
    fn micros(&mut self, out: &mut String, seconds: f64) {
        let micros = (seconds * 1e6).round() as u64;
        self.uint(out, micros / 1_000_000);
        out.push('.');
        let fraction = self.ints.format(micros % 1_000_000);
        out.extend(std::iter::repeat_n('0', 6 - fraction.len()));
        out.push_str(fraction);
    }
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
        let rows = [
            row(10, Some(0.75)),
            row(20, None),
            MetricRow {
                lr: 0.05,
                ..row(30, None)
            },
            row(40, None),
        ];
        let text = metrics_csv(&rows, &["fc1".to_string(), "fc2".to_string()]);
        assert_eq!(
            text,
            "step,epoch,lr,train_loss,test_loss,test_accuracy,grad_norm,wall_s,\
             grad_norm[fc1],grad_norm[fc2]\n\
             10,1,0.1,0.25,0.75,0.25,1.5,0.125000,1.0,0.5\n\
             20,1,0.1,0.25,,,1.5,0.125000,1.0,0.5\n\
             30,1,0.05,0.25,,,1.5,0.125000,1.0,0.5\n\
             40,1,0.1,0.25,,,1.5,0.125000,1.0,0.5\n"
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
            Numbers::default().micros(&mut out, seconds);
            assert_eq!(out, format!("{seconds:.6}"), "{seconds}");
        }
    }
}
