//! The report's plots, built from the stored metrics of each optimizer's best configuration.

use std::collections::BTreeMap;
use std::path::Path;

use super::load::StoredRun;
use super::stats::OptimizerStats;
use crate::plot::{
    ChartGrid, Crosses, Figure, Heatmap, LineChart, Series, format_number, save_figure,
};
use crate::store::Status;
use crate::train::MetricRow;

/// A plot written to `plots/<stem>.svg` and `.png`.
pub struct FigureFile {
    pub stem: String,
    pub title: String,
    /// What the plot shows, for the report text.
    pub caption: String,
    pub svg: String,
}

/// Most distinct learning rates a heatmap shows (random search gives continuous values).
const MAX_HEATMAP_COLUMNS: usize = 30;

/// Draws every plot the run supports into `plots_dir`.
pub fn draw_figures(
    run: &StoredRun,
    stats: &[OptimizerStats],
    plots_dir: &Path,
) -> Result<Vec<FigureFile>, String> {
    let best: Vec<(usize, &OptimizerStats, Vec<Vec<MetricRow>>)> = stats
        .iter()
        .enumerate()
        .filter_map(|(color, o)| {
            let config = o.best_config()?;
            let rows: Vec<Vec<MetricRow>> = config
                .trials
                .iter()
                .filter(|&&i| {
                    run.results[i]
                        .as_ref()
                        .is_some_and(|r| r.status == Status::Ok)
                })
                .map(|&i| run.metrics(i))
                .filter(|rows| !rows.is_empty())
                .collect();
            (!rows.is_empty()).then_some((color, o, rows))
        })
        .collect();
    let seeds = run.spec.repeats;
    let mut out = Vec::new();
    let mut save = |stem: &str,
                    title: &str,
                    caption: String,
                    fig: &dyn DynFigure,
                    size: (u32, u32)|
     -> Result<(), String> {
        let svg = fig.save(plots_dir, stem, size)?;
        out.push(FigureFile {
            stem: stem.into(),
            title: title.into(),
            caption,
            svg,
        });
        Ok(())
    };
    if !best.is_empty() {
        let chart = curves(
            &best,
            "Learning curves: best lr per optimizer",
            "train loss",
            true,
            |r| Some(r.train_loss),
        );
        let caption = format!(
            "Train loss against step for each optimizer at its best configuration; line = mean over {seeds} seed(s), band = min to max."
        );
        save(
            "learning_curves",
            "Learning curves",
            caption,
            &chart,
            (1000, 620),
        )?;
    }
    if best
        .iter()
        .any(|(_, _, rows)| rows.iter().flatten().any(|r| r.test_accuracy.is_some()))
    {
        let chart = LineChart {
            legend_bottom: true,
            ..curves(
                &best,
                "Test accuracy: best lr per optimizer",
                "test accuracy",
                false,
                |r| r.test_accuracy,
            )
        };
        save(
            "test_accuracy",
            "Test accuracy",
            "Test accuracy against step at each optimizer's best configuration (mean over seeds, band = min to max).".into(),
            &chart,
            (1000, 620),
        )?;
    }
    let lrs = distinct_lrs(stats);
    if lrs.len() > 1 {
        save(
            "lr_sensitivity",
            "Learning-rate sensitivity",
            "Mean final train loss against learning rate (log-log); crosses mark diverged trials, drawn at the top.".into(),
            &sensitivity(stats, run),
            (1000, 620),
        )?;
        if lrs.len() <= MAX_HEATMAP_COLUMNS {
            save(
                "heatmap",
                "Optimizer x learning rate",
                "Mean final train loss per optimizer and learning rate (best over other swept keys; brighter = lower).".into(),
                &heatmap(stats, &lrs),
                (1100, 140 + 60 * stats.len() as u32),
            )?;
        }
    }
    if !best.is_empty() {
        let grid = grad_norms(&best, run);
        let rows = grid.charts.len().div_ceil(grid.columns) as u32;
        save(
            "grad_norms",
            "Per-layer gradient norms",
            "L2 norm of each layer's gradient against step for each optimizer's best trial (first seed): vanishing gradients fall toward zero, exploding ones climb.".into(),
            &grid,
            (1200, 380 * rows.max(1)),
        )?;
        save(
            "schedule",
            "Learning-rate schedule",
            "The learning rate each optimizer's best trial used at every metric row.".into(),
            &schedule(&best),
            (1000, 520),
        )?;
    }
    Ok(out)
}

/// Object-safe saving, so figures of different types share one list.
trait DynFigure {
    fn save(&self, dir: &Path, stem: &str, size: (u32, u32)) -> Result<String, String>;
}

impl<F: Figure> DynFigure for F {
    fn save(&self, dir: &Path, stem: &str, size: (u32, u32)) -> Result<String, String> {
        save_figure(self, dir, stem, size)
    }
}

fn legend(o: &OptimizerStats) -> String {
    match o.best_config() {
        Some(c) => format!("{} (lr {})", o.optimizer, format_number(c.lr)),
        None => o.optimizer.clone(),
    }
}

/// Mean line and min-max band over seeds of `metric` against step.
fn curves(
    best: &[(usize, &OptimizerStats, Vec<Vec<MetricRow>>)],
    title: &str,
    y_label: &str,
    log_y: bool,
    metric: impl Fn(&MetricRow) -> Option<f32>,
) -> LineChart {
    let series = best
        .iter()
        .map(|(color, o, seeds)| {
            let mut by_step: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
            for row in seeds.iter().flatten() {
                if let Some(v) = metric(row) {
                    by_step.entry(row.step).or_default().push(f64::from(v));
                }
            }
            let points = by_step
                .iter()
                .map(|(&s, v)| (s as f64, v.iter().sum::<f64>() / v.len() as f64))
                .collect();
            let band = if seeds.len() > 1 {
                by_step
                    .iter()
                    .map(|(&s, v)| {
                        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        (s as f64, lo, hi)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Series {
                label: legend(o),
                points,
                band,
                dots: false,
                color: *color,
            }
        })
        .collect();
    LineChart {
        title: title.into(),
        x_label: "step".into(),
        y_label: y_label.into(),
        log_y,
        series,
        ..LineChart::default()
    }
}

fn distinct_lrs(stats: &[OptimizerStats]) -> Vec<f64> {
    let mut lrs: Vec<f64> = stats
        .iter()
        .flat_map(|o| o.configs.iter().map(|c| c.lr))
        .collect();
    lrs.sort_by(f64::total_cmp);
    lrs.dedup();
    lrs
}

/// Per optimizer and lr: the lowest mean final loss over configurations at that lr, or why
/// there is none.
fn loss_at(o: &OptimizerStats, lr: f64) -> Result<f64, String> {
    let at: Vec<_> = o.configs.iter().filter(|c| c.lr == lr).collect();
    if at.is_empty() {
        return Err("-".into());
    }
    at.iter()
        .filter(|c| c.diverged == 0 && c.failed == 0)
        .filter_map(|c| c.mean_loss())
        .min_by(f64::total_cmp)
        .ok_or_else(|| {
            if at.iter().any(|c| c.diverged > 0) {
                "diverged"
            } else {
                "n/a"
            }
            .to_string()
        })
}

fn sensitivity(stats: &[OptimizerStats], run: &StoredRun) -> LineChart {
    let lrs = distinct_lrs(stats);
    let mut crosses = Crosses {
        label: "diverged".into(),
        points: Vec::new(),
    };
    let series = stats
        .iter()
        .enumerate()
        .map(|(color, o)| {
            for c in &o.configs {
                for &i in &c.trials {
                    if run.results[i]
                        .as_ref()
                        .is_some_and(|r| r.status == Status::Diverged)
                    {
                        crosses.points.push((c.lr, f64::NAN, color));
                    }
                }
            }
            Series {
                label: o.optimizer.clone(),
                points: lrs
                    .iter()
                    .filter_map(|&lr| loss_at(o, lr).ok().map(|l| (lr, l)))
                    .collect(),
                dots: true,
                color,
                ..Series::default()
            }
        })
        .collect();
    LineChart {
        title: "Learning-rate sensitivity".into(),
        x_label: "learning rate".into(),
        y_label: "final train loss (mean over seeds)".into(),
        log_x: true,
        log_y: true,
        series,
        crosses,
        ..LineChart::default()
    }
}

fn heatmap(stats: &[OptimizerStats], lrs: &[f64]) -> Heatmap {
    Heatmap {
        title: "Final train loss: optimizer x learning rate".into(),
        x_label: "learning rate".into(),
        y_label: "optimizer".into(),
        columns: lrs.iter().map(|&lr| format_number(lr)).collect(),
        rows: stats.iter().map(|o| o.optimizer.clone()).collect(),
        values: stats
            .iter()
            .map(|o| lrs.iter().map(|&lr| loss_at(o, lr)).collect())
            .collect(),
        log_color: true,
        lower_is_better: true,
    }
}

fn grad_norms(
    best: &[(usize, &OptimizerStats, Vec<Vec<MetricRow>>)],
    run: &StoredRun,
) -> ChartGrid {
    let charts = best
        .iter()
        .map(|(_, o, seeds)| {
            let rows = &seeds[0];
            let names = o
                .best_config()
                .and_then(|c| c.trials.iter().find_map(|&i| run.results[i].as_ref()))
                .map(|r| r.layer_names.clone())
                .unwrap_or_default();
            let n_layers = rows.first().map_or(0, |r| r.layer_grad_norms.len());
            let series = (0..n_layers)
                .map(|k| Series {
                    label: names
                        .get(k)
                        .cloned()
                        .unwrap_or_else(|| format!("block {k}")),
                    points: rows
                        .iter()
                        .map(|r| (r.step as f64, f64::from(r.layer_grad_norms[k])))
                        .collect(),
                    color: k,
                    ..Series::default()
                })
                .collect();
            LineChart {
                title: legend(o),
                x_label: "step".into(),
                y_label: "gradient L2 norm".into(),
                log_y: true,
                series,
                ..LineChart::default()
            }
        })
        .collect();
    ChartGrid { charts, columns: 2 }
}

fn schedule(best: &[(usize, &OptimizerStats, Vec<Vec<MetricRow>>)]) -> LineChart {
    LineChart {
        title: "Learning-rate schedule (best trial per optimizer)".into(),
        x_label: "step".into(),
        y_label: "learning rate".into(),
        log_y: true,
        series: best
            .iter()
            .map(|(color, o, seeds)| Series {
                label: legend(o),
                points: seeds[0]
                    .iter()
                    .map(|r| (r.step as f64, f64::from(r.lr)))
                    .collect(),
                color: *color,
                ..Series::default()
            })
            .collect(),
        ..LineChart::default()
    }
}
