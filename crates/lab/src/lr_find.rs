//! The learning-rate range test (Smith 2017, "Cyclical learning rates"; popularised by fastai):
//! train from `min_lr` while multiplying the lr by a constant each step, so after `steps`
//! steps it reaches `max_lr` (`lr_k = min_lr * (max_lr / min_lr)^(k / (steps - 1))`); smooth
//! the batch losses; stop once the smoothed loss exceeds `stop_factor` x its minimum; suggest
//! the lr where the smoothed loss falls fastest against `log lr`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use descent_autograd::Par;
use descent_data::Split;

use crate::dataset::load_data;
use crate::expand::expand;
use crate::plot::{LineChart, Series, format_number, save_figure};
use crate::setup::train_setup;
use crate::spec::{Budget, Param, ScheduleSpec, Spec};
use crate::store::write_atomic;
use crate::train::train;

/// One step of the ramp.
#[derive(Clone, Debug, PartialEq)]
pub struct LrPoint {
    pub step: usize,
    pub lr: f64,
    pub loss: f64,
    /// Bias-corrected exponential moving average of the loss.
    pub smoothed: f64,
}

/// What the range test found.
#[derive(Clone, Debug, PartialEq)]
pub struct LrFindResult {
    pub optimizer: String,
    /// The points up to where the test stopped.
    pub points: Vec<LrPoint>,
    /// Step at which the smoothed loss blew past `stop_factor` x its minimum (or went NaN).
    pub stopped_at: Option<usize>,
    /// The lr of the steepest descent of the smoothed loss.
    pub steepest_lr: Option<f64>,
    /// The lr of the lowest smoothed loss, divided by 10 (a common, more cautious pick).
    pub min_loss_lr_div10: Option<f64>,
}

/// Runs the range test on `spec`'s data and model with `optimizer` (default: the first swept
/// one), its first configuration otherwise.
pub fn lr_find(spec: &Spec, optimizer: Option<&str>, par: Par) -> Result<LrFindResult, String> {
    let trials = expand(spec);
    let trial = match optimizer {
        Some(name) => trials
            .iter()
            .find(|t| t.config.optimizer == name)
            .ok_or_else(|| format!("the spec sweeps no optimizer `{name}`"))?,
        None => trials.first().ok_or("the spec expands to no trial")?,
    };
    let f = &spec.lr_find;
    let mut config = trial.config.clone();
    config.lr = f.min_lr;
    let steps = f.steps.max(2);
    let gamma = (f.max_lr / f.min_lr).powf(1.0 / (steps - 1) as f64);
    config.train.schedule = Some(ScheduleSpec {
        kind: "exponential".into(),
        hyper: BTreeMap::from([("gamma".to_string(), Param::Number(gamma))]),
    });
    config.train.budget = Budget::Steps(steps);
    config.train.eval_every = 1;
    config.train.target_loss = None;
    config.train.loss_tolerance = None;
    config.train.change_tolerance = None;
    config.train.divergence_factor = 10.0 * f.stop_factor;
    let data = load_data(&spec.data, spec.data_dir.as_deref()).map_err(|e| e.to_string())?;
    let train_only = Split {
        train: Arc::clone(&data.train),
        test: None,
    };
    let setup = train_setup(&config, &train_only, par)?;
    let outcome = train(&setup, &train_only, &mut |_| {}).map_err(|e| e.to_string())?;
    let lrs: Vec<f64> = outcome.rows.iter().map(|r| f64::from(r.lr)).collect();
    let losses: Vec<f64> = outcome
        .rows
        .iter()
        .map(|r| f64::from(r.train_loss))
        .collect();
    let mut result = analyse(&lrs, &losses, f.smoothing, f.stop_factor);
    result.optimizer = config.optimizer;
    Ok(result)
}

/// Smooths `losses` (EMA with factor `beta`, bias-corrected: `s_k = a_k / (1 - beta^(k+1))`,
/// `a_k = beta a_{k-1} + (1 - beta) loss_k`), cuts at the first non-finite loss or smoothed
/// loss above `stop_factor x min`, and picks the steepest descent of `s` against `log10 lr`
/// (central differences, ignoring the first and last tenth where the EMA lags or blows up).
pub fn analyse(lrs: &[f64], losses: &[f64], beta: f64, stop_factor: f64) -> LrFindResult {
    let mut points = Vec::new();
    let mut avg = 0.0;
    let mut best = f64::INFINITY;
    let mut stopped_at = None;
    for (k, (&lr, &loss)) in lrs.iter().zip(losses).enumerate() {
        if !loss.is_finite() {
            stopped_at = Some(k + 1);
            break;
        }
        avg = beta * avg + (1.0 - beta) * loss;
        let smoothed = avg / (1.0 - beta.powi(k as i32 + 1));
        if k > 0 && smoothed > stop_factor * best {
            stopped_at = Some(k + 1);
            break;
        }
        best = best.min(smoothed);
        points.push(LrPoint {
            step: k + 1,
            lr,
            loss,
            smoothed,
        });
    }
    let n = points.len();
    let skip = n / 10;
    let steepest_lr = (skip.max(1)..n.saturating_sub(skip.max(1)))
        .map(|i| {
            let (a, b) = (&points[i - 1], &points[i + 1]);
            let slope = (b.smoothed - a.smoothed) / (b.lr.log10() - a.lr.log10());
            (slope, points[i].lr)
        })
        .filter(|(s, _)| s.is_finite())
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, lr)| lr);
    let min_loss_lr_div10 = points
        .iter()
        .min_by(|a, b| a.smoothed.total_cmp(&b.smoothed))
        .map(|p| p.lr / 10.0);
    LrFindResult {
        optimizer: String::new(),
        points,
        stopped_at,
        steepest_lr,
        min_loss_lr_div10,
    }
}

/// Writes `lr_find.csv` and the plot `lr_find.{svg,png}` into `dir`.
pub fn write_lr_find(result: &LrFindResult, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut csv = String::from("step,lr,loss,smoothed_loss\n");
    for p in &result.points {
        csv.push_str(&format!("{},{},{},{}\n", p.step, p.lr, p.loss, p.smoothed));
    }
    let path = dir.join("lr_find.csv");
    write_atomic(&path, csv.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut vlines = Vec::new();
    if let Some(lr) = result.steepest_lr {
        vlines.push((lr, format!("steepest descent: {}", format_number(lr))));
    }
    // Batch losses far above the smoothed curve (the blow-up at the end) would squash the
    // interesting part of the plot: they are left out beyond 3x the highest smoothed loss.
    let cap = 3.0
        * result
            .points
            .iter()
            .map(|p| p.smoothed)
            .fold(f64::NEG_INFINITY, f64::max);
    let chart = LineChart {
        title: format!("LR range test ({})", result.optimizer),
        x_label: "learning rate".into(),
        y_label: "train loss".into(),
        log_x: true,
        log_y: false,
        series: vec![
            Series {
                label: "batch loss".into(),
                points: result
                    .points
                    .iter()
                    .map(|p| (p.lr, if p.loss <= cap { p.loss } else { f64::NAN }))
                    .collect(),
                color: 7,
                ..Series::default()
            },
            Series {
                label: "smoothed".into(),
                points: result.points.iter().map(|p| (p.lr, p.smoothed)).collect(),
                color: 0,
                ..Series::default()
            },
        ],
        vlines,
        ..LineChart::default()
    };
    save_figure(&chart, dir, "lr_find", (1000, 600)).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_steep_part_of_a_synthetic_loss_curve_and_stops_on_blow_up() {
        // loss falls fastest around lr = 1e-2 (a logistic step in log10 lr), then explodes
        // past lr = 1.
        let lrs: Vec<f64> = (0..200)
            .map(|k| 1e-5 * 10f64.powf(k as f64 * 6.0 / 199.0))
            .collect();
        let losses: Vec<f64> = lrs
            .iter()
            .map(|&lr| {
                let x = lr.log10();
                let base = 1.0 / (1.0 + (4.0 * (x + 2.0)).exp()) + 0.1;
                if lr > 1.0 {
                    base * 10f64.powf(3.0 * x) * 50.0
                } else {
                    base
                }
            })
            .collect();
        let r = analyse(&lrs, &losses, 0.9, 4.0);
        let steep = r.steepest_lr.unwrap();
        assert!((1e-3..1e-1).contains(&steep), "steepest at {steep}");
        let stop = r.stopped_at.unwrap();
        assert!(lrs[stop - 1] > 1.0, "stopped at lr {}", lrs[stop - 1]);
        assert_eq!(r.points.len(), stop - 1);
        assert!(r.min_loss_lr_div10.unwrap() < 1.0);
    }

    #[test]
    fn smoothing_is_bias_corrected() {
        let r = analyse(&[1e-3, 1e-2], &[2.0, 2.0], 0.98, 4.0);
        assert!((r.points[0].smoothed - 2.0).abs() < 1e-12);
        assert!((r.points[1].smoothed - 2.0).abs() < 1e-12);
        let nan = analyse(&[1e-3, 1e-2], &[1.0, f64::NAN], 0.98, 4.0);
        assert_eq!(nan.stopped_at, Some(2));
    }
}
