//! Trial expansion: the sweep's grid (or random draws) times `repeats`, each trial with its
//! full configuration and a stable id (the FNV-1a hash of the configuration's canonical JSON).

use std::collections::BTreeMap;

use descent_rng::Rng;
use serde::{Deserialize, Serialize};

use crate::hash::hex_id;
use crate::spec::{
    AxisValues, Budget, DataSpec, ModelSpec, Param, ScheduleSpec, Spec, SweepMethod, TrainSpec,
};

/// Everything that determines one trial's result. Serialised as `trial.toml`; its canonical
/// JSON (fields in this order, maps sorted) is what the trial id hashes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialConfig {
    pub optimizer: String,
    pub lr: f64,
    pub batch_size: usize,
    /// Which of the `repeats` seeds this is (0-based).
    pub repeat: usize,
    /// Seed of the model's initial weights and the batch order.
    pub seed: u64,
    /// Optimizer hyperparameters (fixed `[optimizers.<name>]` ones and swept ones).
    pub hyper: BTreeMap<String, Param>,
    pub model: ModelSpec,
    pub train: TrainSpec,
    pub data: DataSpec,
}

/// One trial of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// Position in the expansion (rows of `summary.csv` follow it).
    pub index: usize,
    /// 16 hex digits: FNV-1a 64 of the canonical JSON of `config`.
    pub id: String,
    pub config: TrialConfig,
    /// The swept keys' values, in the order of the `[sweep]` axes.
    pub swept: Vec<(String, Param)>,
}

impl Trial {
    /// A label for the configuration without the repeat: `optimizer=adam lr=0.01`.
    pub fn group_label(&self) -> String {
        self.swept
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The seed of repeat `repeat`: the same for every configuration, so optimizers are compared
/// from the same initial weights and batch order (common random numbers).
pub fn repeat_seed(spec_seed: u64, repeat: usize) -> u64 {
    Rng::derive(spec_seed, repeat as u64).next_u64()
}

/// The stream of the random-search draws (distinct from every repeat's stream).
const SAMPLING_STREAM: u64 = u64::MAX;

/// Every trial of `spec`, in a fixed order: configurations (grid order: the last axis varies
/// fastest; or draw order), each followed by its repeats.
pub fn expand(spec: &Spec) -> Vec<Trial> {
    let points = match spec.sweep.method {
        SweepMethod::Grid => grid_points(spec),
        SweepMethod::Random { trials } => random_points(spec, trials),
    };
    let mut trials = Vec::with_capacity(points.len() * spec.repeats);
    for swept in points {
        for repeat in 0..spec.repeats {
            let config = trial_config(spec, &swept, repeat);
            let id = trial_id(&config);
            trials.push(Trial {
                index: trials.len(),
                id,
                config,
                swept: swept.clone(),
            });
        }
    }
    trials
}

/// The id of a configuration: FNV-1a 64 of its canonical JSON, as 16 hex digits.
pub fn trial_id(config: &TrialConfig) -> String {
    let json = serde_json::to_string(config).expect("a trial config serialises");
    hex_id(json.as_bytes())
}

fn grid_points(spec: &Spec) -> Vec<Vec<(String, Param)>> {
    let mut points: Vec<Vec<(String, Param)>> = vec![Vec::new()];
    for axis in &spec.sweep.axes {
        let AxisValues::Points(values) = &axis.values else {
            unreachable!("the spec only allows distributions for random search")
        };
        points = points
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut p = p.clone();
                    p.push((axis.key.clone(), v.value.clone()));
                    p
                })
            })
            .collect();
    }
    points
}

fn random_points(spec: &Spec, trials: usize) -> Vec<Vec<(String, Param)>> {
    let mut rng = Rng::derive(spec.seed, SAMPLING_STREAM);
    (0..trials)
        .map(|_| {
            spec.sweep
                .axes
                .iter()
                .map(|axis| {
                    let value = match &axis.values {
                        AxisValues::Points(values) => values
                            [rng.below(values.len() as u64) as usize]
                            .value
                            .clone(),
                        AxisValues::LogUniform(lo, hi) => {
                            let u = rng.uniform_f64();
                            Param::Number((lo.ln() + u * (hi.ln() - lo.ln())).exp())
                        }
                        AxisValues::Uniform(lo, hi) => {
                            Param::Number(lo + rng.uniform_f64() * (hi - lo))
                        }
                    };
                    (axis.key.clone(), value)
                })
                .collect()
        })
        .collect()
}

fn trial_config(spec: &Spec, swept: &[(String, Param)], repeat: usize) -> TrialConfig {
    let mut config = TrialConfig {
        optimizer: String::new(),
        lr: 0.0,
        batch_size: spec.batch_size,
        repeat,
        seed: repeat_seed(spec.seed, repeat),
        hyper: BTreeMap::new(),
        model: spec.model.clone(),
        train: spec.train.clone(),
        data: spec.data.clone(),
    };
    for (key, value) in swept {
        apply(&mut config, key, value);
    }
    if let Some(fixed) = spec.optimizers.get(&config.optimizer) {
        for (k, v) in fixed {
            config.hyper.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    config
}

/// Sets swept `key` on `config` (the spec has checked each value's type).
fn apply(config: &mut TrialConfig, key: &str, value: &Param) {
    let number = || value.as_f64().expect("checked numeric");
    let count = || number() as usize;
    let text = || match value {
        Param::Text(s) => s.clone(),
        other => other.to_string(),
    };
    match key {
        "optimizer" => config.optimizer = text(),
        "lr" => config.lr = number(),
        "batch_size" => config.batch_size = count(),
        "hidden" => {
            config.model.hidden = match value {
                Param::List(items) => items
                    .iter()
                    .map(|w| w.as_f64().expect("checked width") as usize)
                    .collect(),
                _ => unreachable!("checked list"),
            }
        }
        "activation" => config.model.activation = text(),
        "init" => config.model.init = text(),
        "clip_norm" => config.train.clip_norm = Some(number()),
        "epochs" => config.train.budget = Budget::Epochs(count()),
        "steps" => config.train.budget = Budget::Steps(count()),
        "schedule" => {
            let Param::Table(map) = value else {
                unreachable!("checked table")
            };
            let mut hyper = map.clone();
            let kind = match hyper.remove("kind") {
                Some(Param::Text(kind)) => kind,
                _ => unreachable!("checked kind"),
            };
            config.train.schedule = Some(ScheduleSpec { kind, hyper });
        }
        _ => {
            config.hyper.insert(key.to_string(), value.clone());
        }
    }
}
