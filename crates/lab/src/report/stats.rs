//! Per-configuration and per-optimizer statistics over seeds.

use std::collections::BTreeMap;

use super::load::StoredRun;
use crate::plot::format_number;
use crate::spec::Param;
use crate::store::Status;

/// One configuration (all swept values but the repeat) over its seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigStats {
    /// `optimizer=adam lr=0.00316 ...`, numbers as the plots write them (for tables and legends;
    /// configurations are grouped by their exact values).
    pub label: String,
    pub optimizer: String,
    pub lr: f64,
    /// The swept values other than optimizer and lr (`batch_size=32 hidden=[64]`), or "".
    pub others: String,
    /// Indices of its trials (finished or not).
    pub trials: Vec<usize>,
    /// Final train losses of the seeds that finished ok.
    pub final_losses: Vec<f64>,
    pub diverged: usize,
    pub failed: usize,
    pub unfinished: usize,
    /// Mean of the seeds' best test accuracy.
    pub test_accuracy: Option<f64>,
    /// Steps to the target loss, mean over the seeds that reached it, and how many did.
    pub steps_to_target: Option<f64>,
    pub reached_target: usize,
    pub wall_s: f64,
}

impl ConfigStats {
    /// Mean final loss over ok seeds.
    pub fn mean_loss(&self) -> Option<f64> {
        mean(&self.final_losses)
    }

    /// Sample standard deviation of the final loss (0 for one seed).
    pub fn std_loss(&self) -> Option<f64> {
        let m = self.mean_loss()?;
        let n = self.final_losses.len();
        Some(if n < 2 {
            0.0
        } else {
            (self
                .final_losses
                .iter()
                .map(|x| (x - m).powi(2))
                .sum::<f64>()
                / (n - 1) as f64)
                .sqrt()
        })
    }

    /// Ranked by mean final loss; a configuration with any diverged/failed seed ranks last.
    fn rank_key(&self) -> f64 {
        match self.mean_loss() {
            Some(m) if self.diverged == 0 && self.failed == 0 => m,
            _ => f64::INFINITY,
        }
    }
}

/// One optimizer over every configuration that uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerStats {
    pub optimizer: String,
    /// Configurations in expansion order.
    pub configs: Vec<ConfigStats>,
    /// Index into `configs` of the best one (lowest mean final loss, no divergence).
    pub best: Option<usize>,
    pub trials: usize,
    pub diverged: usize,
    pub failed: usize,
    pub wall_s: f64,
}

impl OptimizerStats {
    pub fn best_config(&self) -> Option<&ConfigStats> {
        self.best.map(|b| &self.configs[b])
    }
}

/// `key=value` for the swept values except `skip`, numbers as [`format_number`] writes them
/// (`lr=0.000316227766017` -> `lr=3.2e-4`, `lr=0.00316227766017` -> `lr=0.00316`).
pub(crate) fn shown_values(swept: &[(String, Param)], skip: &[&str]) -> String {
    swept
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| match v {
            Param::Number(x) => format!("{k}={}", format_number(*x)),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// Groups the run's trials by configuration and by optimizer (optimizers in first-seen order).
pub fn optimizer_stats(run: &StoredRun) -> Vec<OptimizerStats> {
    let mut configs: Vec<ConfigStats> = Vec::new();
    let mut by_label: BTreeMap<String, usize> = BTreeMap::new();
    for (i, trial) in run.trials.iter().enumerate() {
        let c = *by_label.entry(trial.group_label()).or_insert_with(|| {
            configs.push(ConfigStats {
                label: shown_values(&trial.swept, &[]),
                optimizer: trial.config.optimizer.clone(),
                lr: trial.config.lr,
                others: shown_values(&trial.swept, &["optimizer", "lr"]),
                trials: Vec::new(),
                final_losses: Vec::new(),
                diverged: 0,
                failed: 0,
                unfinished: 0,
                test_accuracy: None,
                steps_to_target: None,
                reached_target: 0,
                wall_s: 0.0,
            });
            configs.len() - 1
        });
        let config = &mut configs[c];
        config.trials.push(i);
        match &run.results[i] {
            None => config.unfinished += 1,
            Some(r) => {
                config.wall_s += r.wall_s;
                match r.status {
                    Status::Ok => config
                        .final_losses
                        .extend(r.final_train_loss.map(f64::from)),
                    Status::Diverged => config.diverged += 1,
                    Status::Failed => config.failed += 1,
                }
            }
        }
    }
    for config in &mut configs {
        let results: Vec<_> = config
            .trials
            .iter()
            .filter_map(|&i| run.results[i].as_ref())
            .collect();
        let accs: Vec<f64> = results
            .iter()
            .filter_map(|r| r.best_test_accuracy.map(f64::from))
            .collect();
        config.test_accuracy = mean(&accs);
        let steps: Vec<f64> = results
            .iter()
            .filter_map(|r| r.steps_to_target.map(|s| s as f64))
            .collect();
        config.reached_target = steps.len();
        config.steps_to_target = mean(&steps);
    }
    let mut out: Vec<OptimizerStats> = Vec::new();
    for config in configs {
        let o = match out.iter().position(|o| o.optimizer == config.optimizer) {
            Some(o) => o,
            None => {
                out.push(OptimizerStats {
                    optimizer: config.optimizer.clone(),
                    configs: Vec::new(),
                    best: None,
                    trials: 0,
                    diverged: 0,
                    failed: 0,
                    wall_s: 0.0,
                });
                out.len() - 1
            }
        };
        let o = &mut out[o];
        o.trials += config.trials.len();
        o.diverged += config.diverged;
        o.failed += config.failed;
        o.wall_s += config.wall_s;
        o.configs.push(config);
    }
    for o in &mut out {
        o.best = o
            .configs
            .iter()
            .enumerate()
            .filter(|(_, c)| c.rank_key().is_finite())
            .min_by(|a, b| a.1.rank_key().total_cmp(&b.1.rank_key()))
            .map(|(i, _)| i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(losses: &[f64], diverged: usize) -> ConfigStats {
        ConfigStats {
            label: String::new(),
            optimizer: "sgd".into(),
            lr: 0.1,
            others: String::new(),
            trials: (0..losses.len() + diverged).collect(),
            final_losses: losses.to_vec(),
            diverged,
            failed: 0,
            unfinished: 0,
            test_accuracy: None,
            steps_to_target: None,
            reached_target: 0,
            wall_s: 0.0,
        }
    }

    #[test]
    fn mean_and_sample_std_over_seeds() {
        let c = config(&[1.0, 2.0, 3.0, 4.0], 0);
        assert_eq!(c.mean_loss(), Some(2.5));
        let std = c.std_loss().unwrap();
        assert!((std - (5.0f64 / 3.0).sqrt()).abs() < 1e-12, "{std}");
        assert_eq!(config(&[0.5], 0).std_loss(), Some(0.0));
        assert_eq!(config(&[], 2).mean_loss(), None);
    }

    #[test]
    fn a_configuration_with_a_diverged_seed_never_ranks_best() {
        assert_eq!(config(&[0.01], 1).rank_key(), f64::INFINITY);
        assert_eq!(config(&[0.2, 0.4], 0).rank_key(), 0.30000000000000004);
    }
}
