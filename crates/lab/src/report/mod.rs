//! `descent report DIR`: summary.csv, plots and report.md/report.html rebuilt from what a run
//! directory stores (also after shards ran on different machines).

mod doc;
mod figures;
mod load;
mod stats;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use doc::{Block, to_html, to_markdown};
pub use figures::{FigureFile, draw_figures};
pub use load::{ReportError, StoredRun};
pub use stats::{ConfigStats, OptimizerStats, optimizer_stats};

use crate::plot::format_number;
use crate::store::{STALE_TEMP_AGE, Status, remove_temp_files, summary_csv, write_atomic};

/// What [`build_report`] wrote.
#[derive(Clone, Debug)]
pub struct ReportFiles {
    pub summary: PathBuf,
    pub markdown: PathBuf,
    pub html: PathBuf,
    pub plots: Vec<PathBuf>,
    pub finished: usize,
    pub total: usize,
}

/// Rebuilds `summary.csv`, `plots/` and `report.{md,html}` in run directory `dir`.
pub fn build_report(dir: &Path) -> Result<ReportFiles, ReportError> {
    let run = StoredRun::load(dir)?;
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e: std::io::Error| ReportError::Io(format!("{}: {e}", p.display()))
    };
    let pairs: Vec<_> = run
        .trials
        .iter()
        .zip(run.results.iter().map(Option::as_ref))
        .collect();
    let summary = dir.join("summary.csv");
    write_atomic(&summary, summary_csv(&pairs).as_bytes()).map_err(io(&summary))?;
    let stats = optimizer_stats(&run);
    let plots_dir = dir.join("plots");
    if plots_dir.is_dir() {
        remove_temp_files(&plots_dir, STALE_TEMP_AGE).map_err(io(&plots_dir))?;
    }
    let figures = draw_figures(&run, &stats, &plots_dir).map_err(ReportError::Plot)?;
    let blocks = report_blocks(&run, &stats, &figures);
    let title = format!("descent report: {}", run.spec.name);
    let markdown = dir.join("report.md");
    write_atomic(&markdown, to_markdown(&title, &blocks).as_bytes()).map_err(io(&markdown))?;
    let html = dir.join("report.html");
    write_atomic(&html, to_html(&title, &blocks).as_bytes()).map_err(io(&html))?;
    Ok(ReportFiles {
        summary,
        markdown,
        html,
        plots: figures
            .iter()
            .map(|f| plots_dir.join(format!("{}.svg", f.stem)))
            .collect(),
        finished: run.finished(),
        total: run.trials.len(),
    })
}

/// Most configurations listed one by one in the report.
const MAX_CONFIG_ROWS: usize = 100;

/// `mean ± std` of a configuration's final loss, or "-" when no seed finished ok.
fn mean_std(c: &ConfigStats) -> String {
    match (c.mean_loss(), c.std_loss()) {
        (Some(m), Some(s)) => format!("{} ± {}", format_number(m), format_number(s)),
        _ => "-".into(),
    }
}

fn opt_number(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), format_number)
}

fn report_blocks(run: &StoredRun, stats: &[OptimizerStats], figures: &[FigureFile]) -> Vec<Block> {
    let spec = &run.spec;
    let mut blocks = vec![Block::Paragraph(format!(
        "{} of {} trials finished ({} configurations x {} seed(s)). Best configuration per optimizer = lowest mean final train loss over seeds among configurations with no diverged seed.",
        run.finished(),
        run.trials.len(),
        run.trials.len() / spec.repeats.max(1),
        spec.repeats
    ))];
    blocks.push(Block::Heading("Optimizers".into()));
    let target = spec.train.target_loss;
    let others = stats
        .iter()
        .flat_map(|o| &o.configs)
        .any(|c| !c.others.is_empty());
    let mut header = vec![
        "optimizer",
        "best lr",
        "with",
        "final loss (mean ± std)",
        "best test acc",
        match target {
            Some(_) => "steps to target (reached)",
            None => "steps to target",
        },
        "diverged",
        "failed",
        "trials",
        "wall time (s)",
    ];
    if !others {
        header.remove(2);
    }
    let rows = stats
        .iter()
        .map(|o| {
            let best = o.best_config();
            let mut row = vec![
                o.optimizer.clone(),
                best.map_or_else(
                    || "none: all diverged or failed".into(),
                    |c| format_number(c.lr),
                ),
                best.map_or_else(|| "-".into(), |c| c.others.clone()),
                best.map_or_else(|| "-".into(), mean_std),
                best.and_then(|c| c.test_accuracy)
                    .map_or_else(|| "-".into(), |a| format!("{:.2}%", 100.0 * a)),
                match (target, best) {
                    (Some(_), Some(c)) => format!(
                        "{} ({}/{})",
                        opt_number(c.steps_to_target),
                        c.reached_target,
                        c.trials.len()
                    ),
                    _ => "-".into(),
                },
                o.diverged.to_string(),
                o.failed.to_string(),
                o.trials.to_string(),
                format!("{:.2}", o.wall_s),
            ];
            if !others {
                row.remove(2);
            }
            row
        })
        .collect();
    blocks.push(Block::Table(
        header.iter().map(|s| s.to_string()).collect(),
        rows,
    ));
    if let Some(t) = target {
        blocks.push(Block::Paragraph(format!("Target train loss: {t}.")));
    }
    let configs: Vec<&ConfigStats> = stats.iter().flat_map(|o| &o.configs).collect();
    if configs.len() > 1 && configs.len() <= MAX_CONFIG_ROWS {
        blocks.push(Block::Heading("Configurations".into()));
        let rows = configs
            .iter()
            .map(|c| {
                vec![
                    c.label.clone(),
                    mean_std(c),
                    c.test_accuracy
                        .map_or_else(|| "-".into(), |a| format!("{:.2}%", 100.0 * a)),
                    format!("{}/{}", c.reached_target, c.trials.len()),
                    c.diverged.to_string(),
                    c.failed.to_string(),
                ]
            })
            .collect();
        let header = [
            "configuration",
            "final loss (mean ± std of ok seeds)",
            "best test acc",
            "reached target",
            "diverged",
            "failed",
        ];
        blocks.push(Block::Table(
            header.iter().map(|s| s.to_string()).collect(),
            rows,
        ));
    }
    let failures: Vec<Vec<String>> = run
        .trials
        .iter()
        .zip(&run.results)
        .filter_map(|(t, r)| {
            let r = r.as_ref()?;
            (r.status == Status::Failed).then(|| {
                vec![
                    t.id.clone(),
                    stats::shown_values(&t.swept, &[]),
                    r.reason.clone().unwrap_or_default(),
                ]
            })
        })
        .take(20)
        .collect();
    if !failures.is_empty() {
        blocks.push(Block::Heading("Failed trials".into()));
        blocks.push(Block::Table(
            vec!["id".into(), "config".into(), "reason".into()],
            failures,
        ));
    }
    blocks.push(Block::Heading("Plots".into()));
    for f in figures {
        blocks.push(Block::Figure {
            stem: f.stem.clone(),
            caption: format!("{}. {}", f.title, f.caption),
            svg: f.svg.clone(),
        });
    }
    blocks.push(Block::Heading("Where it ran".into()));
    blocks.push(Block::List(provenance(run)));
    blocks.push(Block::Heading("Spec".into()));
    blocks.push(Block::Code("toml".into(), spec.source.text.clone()));
    blocks
}

/// Distinct machines, thread counts, versions and commits over the finished trials.
fn provenance(run: &StoredRun) -> Vec<(String, String)> {
    let results: Vec<_> = run.results.iter().flatten().collect();
    let distinct = |f: &dyn Fn(&crate::store::Provenance) -> String| {
        let set: BTreeSet<String> = results.iter().map(|r| f(&r.provenance)).collect();
        if set.is_empty() {
            "-".to_string()
        } else {
            set.into_iter().collect::<Vec<_>>().join("; ")
        }
    };
    let total_wall: f64 = results.iter().map(|r| r.wall_s).sum();
    vec![
        (
            "machines".into(),
            distinct(&|p| {
                format!(
                    "{} ({}, {} logical CPUs)",
                    p.hostname, p.cpu, p.logical_cpus
                )
            }),
        ),
        ("threads".into(), distinct(&|p| p.threads.to_string())),
        (
            "descent version".into(),
            distinct(&|p| p.descent_version.clone()),
        ),
        ("git commit".into(), distinct(&|p| p.git_commit.clone())),
        (
            "summed trial wall time".into(),
            format!("{total_wall:.2} s"),
        ),
    ]
}
