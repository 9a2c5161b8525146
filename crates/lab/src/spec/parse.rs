//! Reading a whole spec: the top level, `[model]`, `[train]`, `[optimizers.*]`, `[lr_find]`,
//! and the checks that need more than one section (optimizer hyperparameters, schedules).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use super::catalog;
use super::data::read_data;
use super::error::{Diagnostics, SpecErrors};
use super::param::Param;
use super::reader::{Located, TableReader};
use super::source::SpecSource;
use super::sweep::read_sweep;
use super::tree::{Node, NodeValue, parse_document};
use super::types::{AxisValues, Budget, LrFindSpec, ModelSpec, ScheduleSpec, Spec, TrainSpec};

/// Reads and checks a spec; every mistake found is returned, each with file:line:column.
pub fn parse_spec(source: SpecSource) -> Result<Spec, SpecErrors> {
    let mut d = Diagnostics::new(&source);
    let root = match parse_document(&source.text) {
        Ok(root) => root,
        Err((message, span)) => {
            d.error(span, format!("invalid TOML: {message}"));
            return Err(d.finish(()).unwrap_err());
        }
    };
    let spec = read_root(&mut d, &root);
    let spec = d.finish(spec)?;
    Ok(spec.expect("a spec is complete when no error was recorded"))
}

fn read_root(d: &mut Diagnostics, root: &Node) -> Option<Spec> {
    let source = d.source();
    let NodeValue::Table(entries) = &root.value else {
        unreachable!("a TOML document is a table")
    };
    let mut t = TableReader::new(entries, 0..0, "the top level");
    let name = t.string(d, "name");
    if let Some(n) = &name {
        check_name(d, n);
    }
    let seed = t.u64(d, "seed").map_or(0, |s| s.value);
    let repeats = t.positive_count(d, "repeats").map_or(1, |r| r.value);
    let data = section(d, &mut t, "data").and_then(|s| read_data(d, s, seed, &source.base_dir));
    let data_classes = data.as_ref().map(|s| s.spec.source.has_classes());
    let model = section(d, &mut t, "model").map(|s| read_model(d, s, data_classes));
    let train = section(d, &mut t, "train").and_then(|s| read_train(d, s));
    let (train, schedule_span) = match train {
        Some((train, span)) => (Some(train), span),
        None => (None, 0..0),
    };
    let sweep = section(d, &mut t, "sweep").and_then(|s| read_sweep(d, s));
    let optimizers = optional_section(d, &mut t, "optimizers").map(|s| read_optimizers(d, s));
    let lr_find =
        optional_section(d, &mut t, "lr_find").map_or_else(default_lr_find, |s| read_lr_find(d, s));
    t.finish(d);
    let (data, model, train, sweep) = (data?, model?, train?, sweep?);
    let optimizers = optimizers.unwrap_or_default();
    check_optimizer_hyper(d, &sweep, &optimizers);
    check_schedules(d, &train, schedule_span, &sweep);
    let name = name.map_or_else(|| default_name(&source.name), |n| n.value);
    Some(Spec {
        name,
        seed,
        repeats,
        data: data.spec,
        data_dir: data.location,
        model,
        train,
        batch_size: data.batch_size,
        sweep,
        optimizers: optimizers
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().map(|(k, p)| (k, p.value)).collect()))
            .collect(),
        lr_find,
        source: source.clone(),
    })
}

/// The spec file's stem, used when `name` is left out.
fn default_name(source_name: &str) -> String {
    Path::new(source_name)
        .file_stem()
        .map_or_else(|| "sweep".to_string(), |s| s.to_string_lossy().into_owned())
}

fn check_name(d: &mut Diagnostics, name: &Located<String>) {
    let ok = !name.value.is_empty()
        && name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.value.starts_with('.');
    if !ok {
        d.error(
            name.span.clone(),
            "`name` names a folder: use letters, digits, '-', '_' and '.' only",
        );
    }
}

/// A required sub-table.
fn section<'t>(
    d: &mut Diagnostics,
    t: &mut TableReader<'t>,
    key: &'static str,
) -> Option<TableReader<'t>> {
    let section = optional_section(d, t, key);
    if section.is_none() && !t.has(key) {
        d.error_help(
            t.span.clone(),
            format!("missing section [{key}]"),
            format!("add a [{key}] section (see experiments/README.md)"),
        );
    }
    section
}

fn optional_section<'t>(
    d: &mut Diagnostics,
    t: &mut TableReader<'t>,
    key: &'static str,
) -> Option<TableReader<'t>> {
    let node = t.node(key)?;
    TableReader::of(d, node, format!("[{key}]"))
}

/// `[model]`; `classes` says whether the data set has class labels (`None`: the data section
/// could not be read, so nothing is checked against it).
fn read_model(d: &mut Diagnostics, mut t: TableReader, classes: Option<bool>) -> ModelSpec {
    let hidden = match t.node("hidden") {
        Some(node) => match &node.value {
            NodeValue::Array(items) => items
                .iter()
                .filter_map(|n| match n.value {
                    NodeValue::Int(w) if w >= 1 => Some(w as usize),
                    _ => {
                        super::reader::type_error(d, n, "hidden", "a layer width >= 1");
                        None
                    }
                })
                .collect(),
            _ => {
                super::reader::type_error(
                    d,
                    node,
                    "hidden",
                    "an array of layer widths, e.g. [64, 32]",
                );
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    let activation = t.choice(d, "activation", catalog::ACTIVATION_NAMES);
    let negative_slope = t.number(d, "negative_slope").map_or(0.01, |x| x.value);
    let loss = t.choice(d, "loss", catalog::LOSS_NAMES);
    let init = t.choice(d, "init", catalog::INIT_NAMES);
    let init_std = t.positive(d, "init_std").map_or(0.01, |x| x.value);
    let init_bound = t.positive(d, "init_bound").map_or(0.1, |x| x.value);
    t.finish(d);
    if let Some(l) = &loss
        && l.value == "cross_entropy"
        && classes == Some(false)
    {
        d.error_help(
            l.span.clone(),
            "loss `cross_entropy` needs class labels, but this data set has target values",
            "use `mse` for regression (or a classification data set)",
        );
    }
    let default_loss = if classes.unwrap_or(true) {
        "cross_entropy"
    } else {
        "mse"
    };
    ModelSpec {
        hidden,
        activation: activation.map_or_else(|| "relu".into(), |a| a.value),
        negative_slope,
        loss: loss.map_or_else(|| default_loss.into(), |l| l.value),
        init: init.map_or_else(|| "pytorch_default".into(), |i| i.value),
        init_std,
        init_bound,
    }
}

/// `[train]`, with the span of its `schedule` (for errors found when the schedule is built).
fn read_train(d: &mut Diagnostics, mut t: TableReader) -> Option<(TrainSpec, Range<usize>)> {
    let epochs = t.positive_count(d, "epochs");
    let steps = t.positive_count(d, "steps");
    let budget = match (epochs, steps) {
        (Some(e), None) => Some(Budget::Epochs(e.value)),
        (None, Some(s)) => Some(Budget::Steps(s.value)),
        (Some(_), Some(s)) => {
            d.error(
                s.span,
                "give either `epochs` or `steps` in [train], not both",
            );
            None
        }
        (None, None) => {
            if !t.has("epochs") && !t.has("steps") {
                t.missing(d, "epochs", "set `epochs = N` or `steps = N`");
            }
            None
        }
    };
    let eval_every = t.positive_count(d, "eval_every").map_or(10, |n| n.value);
    let schedule = t.node("schedule").and_then(|node| read_schedule(d, node));
    let clip_norm = t.positive(d, "clip_norm").map(|x| x.value);
    let target_loss = t.number(d, "target_loss").map(|x| x.value);
    let loss_tolerance = t.positive(d, "loss_tolerance").map(|x| x.value);
    let change_tolerance = t.positive(d, "change_tolerance").map(|x| x.value);
    let divergence_factor = t.positive(d, "divergence_factor").map_or(1e3, |x| x.value);
    let max_loss = t.positive(d, "max_loss").map(|x| x.value);
    t.finish(d);
    let schedule_span = schedule.as_ref().map_or(0..0, |s| s.span.clone());
    let train = TrainSpec {
        budget: budget?,
        eval_every,
        schedule: schedule.map(|s| s.value),
        clip_norm,
        target_loss,
        loss_tolerance,
        change_tolerance,
        divergence_factor,
        max_loss,
    };
    Some((train, schedule_span))
}

/// `schedule = { kind = "cosine", ... }` (the other keys are the schedule's hyperparameters).
fn read_schedule(d: &mut Diagnostics, node: &Node) -> Option<Located<ScheduleSpec>> {
    let Param::Table(mut map) = Param::from_node(d, node, "schedule")? else {
        super::reader::type_error(d, node, "schedule", "a table, e.g. { kind = \"cosine\" }");
        return None;
    };
    let kind = match map.remove("kind") {
        Some(Param::Text(kind)) => kind,
        _ => {
            d.error(node.span.clone(), "`schedule` needs `kind = \"...\"`");
            return None;
        }
    };
    Some(Located {
        value: ScheduleSpec { kind, hyper: map },
        span: node.span.clone(),
    })
}

type FixedHyper = BTreeMap<String, BTreeMap<String, Located<Param>>>;

fn read_optimizers(d: &mut Diagnostics, mut t: TableReader) -> FixedHyper {
    let mut out = FixedHyper::new();
    for entry in t.take_rest() {
        let name = Located {
            value: entry.key.clone(),
            span: entry.key_span.clone(),
        };
        if !super::reader::check_choice(d, &name, "optimizer", catalog::optimizer_names()) {
            continue;
        }
        let NodeValue::Table(keys) = &entry.value.value else {
            super::reader::type_error(d, &entry.value, &entry.key, "a table of hyperparameters");
            continue;
        };
        let hyper = keys
            .iter()
            .filter_map(|e| {
                let value = Param::from_node(d, &e.value, &e.key)?;
                Some((
                    e.key.clone(),
                    Located {
                        value,
                        span: e.value.span.clone(),
                    },
                ))
            })
            .collect();
        out.insert(entry.key.clone(), hyper);
    }
    out
}

fn default_lr_find() -> LrFindSpec {
    LrFindSpec {
        min_lr: 1e-7,
        max_lr: 10.0,
        steps: 100,
        smoothing: 0.9,
        stop_factor: 4.0,
    }
}

fn read_lr_find(d: &mut Diagnostics, mut t: TableReader) -> LrFindSpec {
    let default = default_lr_find();
    let min_lr = t.positive(d, "min_lr").map_or(default.min_lr, |x| x.value);
    let max_lr = t.positive(d, "max_lr");
    if let Some(max) = &max_lr
        && max.value <= min_lr
    {
        d.error(max.span.clone(), "`max_lr` must be above `min_lr`");
    }
    let steps = t
        .positive_count(d, "steps")
        .map_or(default.steps, |x| x.value);
    let smoothing = match t.number(d, "smoothing") {
        Some(s) if !(0.0..1.0).contains(&s.value) => {
            d.error(s.span, "`smoothing` must be in [0, 1)");
            default.smoothing
        }
        s => s.map_or(default.smoothing, |s| s.value),
    };
    let stop_factor = t
        .positive(d, "stop_factor")
        .map_or(default.stop_factor, |x| x.value);
    t.finish(d);
    LrFindSpec {
        min_lr,
        max_lr: max_lr.map_or(default.max_lr, |x| x.value),
        steps,
        smoothing,
        stop_factor,
    }
}

/// Builds every swept optimizer with its fixed hyperparameters and with each swept
/// hyperparameter value, reporting what the optimizer rejects where it was written.
fn check_optimizer_hyper(d: &mut Diagnostics, sweep: &super::types::SweepSpec, fixed: &FixedHyper) {
    let names: Vec<&str> = sweep
        .axes
        .iter()
        .filter(|a| a.key == "optimizer")
        .flat_map(|a| match &a.values {
            AxisValues::Points(points) => points
                .iter()
                .filter_map(|p| match &p.value {
                    Param::Text(s) if catalog::optimizer_names().contains(&s.as_str()) => {
                        Some(s.as_str())
                    }
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let hyper_axes: Vec<_> = sweep
        .axes
        .iter()
        .filter(|a| !super::sweep::is_trial_key(&a.key))
        .collect();
    for name in names {
        let fixed_here = fixed.get(name);
        let base: Vec<(&String, &Param)> = fixed_here
            .map(|m| m.iter().map(|(k, v)| (k, &v.value)).collect())
            .unwrap_or_default();
        let fixed_span = |key: &str| fixed_here.and_then(|m| m.get(key)).map(|v| v.span.clone());
        if let Err(msg) = build(name, base.iter().copied()) {
            let span = msg.1.as_deref().and_then(fixed_span).unwrap_or(0..0);
            d.error(span, msg.0);
            continue;
        }
        for axis in &hyper_axes {
            let values: Vec<(Param, Range<usize>)> = match &axis.values {
                AxisValues::Points(points) => points
                    .iter()
                    .map(|p| (p.value.clone(), p.span.clone()))
                    .collect(),
                AxisValues::LogUniform(lo, hi) | AxisValues::Uniform(lo, hi) => vec![
                    (Param::Number(*lo), axis.key_span.clone()),
                    (Param::Number(*hi), axis.key_span.clone()),
                ],
            };
            for (value, span) in values {
                let mut all = base.clone();
                all.retain(|(k, _)| **k != axis.key);
                all.push((&axis.key, &value));
                if let Err((msg, _)) = build(name, all.into_iter()) {
                    d.error(span, format!("swept `{}` = {value}: {msg}", axis.key));
                    break;
                }
            }
        }
    }
}

/// Builds optimizer `name`; on error, its message and the hyperparameter it is about.
fn build<'a>(
    name: &str,
    params: impl Iterator<Item = (&'a String, &'a Param)>,
) -> Result<(), (String, Option<String>)> {
    let hyper = catalog::hyper_map(params).map_err(|k| {
        (
            format!("`{k}` has no hyperparameter shape (number, bool, text or list of numbers)"),
            Some(k),
        )
    })?;
    descent_optim::build_optimizer(name, &hyper)
        .map(drop)
        .map_err(|e| (e.to_string(), catalog::error_key(&e).map(str::to_string)))
}

/// Builds each schedule the sweep can use, reporting unknown kinds and bad hyperparameters.
fn check_schedules(
    d: &mut Diagnostics,
    train: &TrainSpec,
    train_schedule_span: Range<usize>,
    sweep: &super::types::SweepSpec,
) {
    let mut schedules: Vec<(ScheduleSpec, Range<usize>)> = Vec::new();
    if let Some(s) = &train.schedule {
        schedules.push((s.clone(), train_schedule_span));
    }
    for axis in sweep.axes.iter().filter(|a| a.key == "schedule") {
        if let AxisValues::Points(points) = &axis.values {
            for p in points {
                if let Param::Table(map) = &p.value {
                    let mut hyper = map.clone();
                    if let Some(Param::Text(kind)) = hyper.remove("kind") {
                        schedules.push((ScheduleSpec { kind, hyper }, p.span.clone()));
                    }
                }
            }
        }
    }
    for (schedule, span) in schedules {
        let check = catalog::hyper_map(&schedule.hyper)
            .map_err(|k| format!("schedule: `{k}` has no hyperparameter shape"))
            .and_then(|hyper| {
                descent_optim::build_scheduler(&schedule.kind, &hyper, 0.1, 1000)
                    .map(drop)
                    .map_err(|e| e.to_string())
            });
        if let Err(msg) = check {
            d.error(span, format!("schedule: {msg}"));
        }
    }
}
