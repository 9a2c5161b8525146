//! Building schedules by name from PyTorch-named hyperparameters.

use super::closed_form::{ClosedForm, OneCycle};
use super::plateau::{Plateau, PlateauConfig};
use super::{Kind, Scheduler};
use crate::error::{OptimError, closest};
use crate::hyper::{Hyper, HyperReader};

/// Every name [`build_scheduler`] takes (case-insensitive), each also under its PyTorch class
/// name: `constant` (ConstantLR; the short name defaults to factor 1, i.e. a fixed lr), `step`
/// (StepLR), `multistep` (MultiStepLR), `exponential` (ExponentialLR), `polynomial`
/// (PolynomialLR), `cosine` (CosineAnnealingLR), `cosine_restarts`
/// (CosineAnnealingWarmRestarts), `linear` (LinearLR), `onecycle` (OneCycleLR), `plateau`
/// (ReduceLROnPlateau) and `warmup` (a LinearLR warm-up, then the schedule named by `then`).
/// `SequentialLR` in general is [`Scheduler::sequential`].
pub const SCHEDULE_NAMES: &[&str] = &[
    "constant",
    "step",
    "multistep",
    "exponential",
    "polynomial",
    "cosine",
    "cosine_restarts",
    "linear",
    "onecycle",
    "plateau",
    "warmup",
];

/// PyTorch class names, in the order of [`SCHEDULE_NAMES`] (none for `warmup`).
const CLASS_NAMES: &[&str] = &[
    "ConstantLR",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "LinearLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
];

/// Builds the schedule `kind` (see [`SCHEDULE_NAMES`]) over `base_lr`.
///
/// Missing hyperparameters take PyTorch's defaults. Where PyTorch has no default,
/// `total_steps` (the run's optimizer steps; 0 = unknown) stands in: `T_max` of the cosine and
/// `total_steps` of OneCycle; OneCycle's `max_lr` defaults to `base_lr`. `warmup` takes
/// `warmup_steps` (default 5), `start_factor` (1/3) and `then` ("constant"); its other keys go to the
/// `then` schedule, which gets `total_steps - warmup_steps` as its total.
pub fn build_scheduler(
    kind: &str,
    hyper: &Hyper,
    base_lr: f32,
    total_steps: usize,
) -> Result<Scheduler, OptimError> {
    let b = f64::from(base_lr);
    let lower = kind.to_ascii_lowercase();
    let (short, class) = match SCHEDULE_NAMES.iter().position(|n| *n == lower) {
        Some(i) => (SCHEDULE_NAMES[i], CLASS_NAMES.get(i).copied()),
        None => match CLASS_NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(kind))
        {
            Some(i) => (SCHEDULE_NAMES[i], Some(CLASS_NAMES[i])),
            None if lower == "sequentiallr" => {
                return Err(OptimError::Missing {
                    owner: "SequentialLR".into(),
                    key: "schedulers".into(),
                });
            }
            None => {
                let names = SCHEDULE_NAMES.iter().chain(CLASS_NAMES).copied();
                return Err(OptimError::UnknownName {
                    what: "schedule",
                    name: kind.to_string(),
                    suggestion: closest(kind, names).unwrap_or("constant").to_string(),
                });
            }
        },
    };
    if short == "warmup" {
        return warmup(kind, hyper, base_lr, total_steps);
    }
    let name = class.unwrap_or(short);
    let mut r = HyperReader::new(kind, hyper);
    let scheduler = match short {
        "plateau" => Scheduler::new(name, b, Kind::Plateau(Plateau::new(plateau(&mut r)?, b))),
        _ => Scheduler::new(
            name,
            b,
            Kind::Closed(closed_form(short, kind != short, &mut r, b, total_steps)?),
        ),
    };
    r.finish()?;
    Ok(scheduler)
}

/// Reads the closed-form schedule `short`; `pytorch_name` picks PyTorch's ConstantLR defaults.
fn closed_form(
    short: &str,
    pytorch_name: bool,
    r: &mut HyperReader<'_>,
    base_lr: f64,
    total_steps: usize,
) -> Result<ClosedForm, OptimError> {
    let required_count = |r: &mut HyperReader<'_>, key: &'static str, fallback: usize| match r
        .optional_count(key, 1)?
    {
        Some(n) => Ok(n),
        None if fallback > 0 => Ok(fallback),
        None => Err(OptimError::Missing {
            owner: r.owner().to_string(),
            key: key.to_string(),
        }),
    };
    Ok(match short {
        "constant" => {
            let (factor, iters) = if pytorch_name {
                (1.0 / 3.0, 5)
            } else {
                (1.0, 0)
            };
            let factor = r.number("factor", factor)?;
            if !(0.0..=1.0).contains(&factor) {
                return Err(r.invalid("factor", factor, "must be in [0, 1]"));
            }
            ClosedForm::Constant {
                factor,
                total_iters: r.count("total_iters", iters, 0)?,
            }
        }
        "step" => ClosedForm::Step {
            step_size: required_count(r, "step_size", 0)?,
            gamma: r.non_negative("gamma", 0.1)?,
        },
        "multistep" => {
            let milestones = r.list("milestones", &[])?;
            if milestones.iter().any(|m| m.fract() != 0.0 || *m < 0.0) {
                return Err(r.invalid(
                    "milestones",
                    format!("{milestones:?}"),
                    "must be whole numbers >= 0",
                ));
            }
            ClosedForm::MultiStep {
                milestones: milestones.iter().map(|m| *m as usize).collect(),
                gamma: r.non_negative("gamma", 0.1)?,
            }
        }
        "exponential" => match r.optional_number("gamma")? {
            Some(gamma) if gamma >= 0.0 => ClosedForm::Exponential { gamma },
            Some(gamma) => return Err(r.invalid("gamma", gamma, "must be >= 0")),
            None => {
                return Err(OptimError::Missing {
                    owner: r.owner().to_string(),
                    key: "gamma".into(),
                });
            }
        },
        "polynomial" => ClosedForm::Polynomial {
            total_iters: r.count("total_iters", 5, 1)?,
            power: r.non_negative("power", 1.0)?,
        },
        "cosine" => ClosedForm::Cosine {
            t_max: required_count(r, "T_max", total_steps)?,
            eta_min: r.non_negative("eta_min", 0.0)?,
        },
        "cosine_restarts" => ClosedForm::CosineRestarts {
            t_0: required_count(r, "T_0", 0)?,
            t_mult: r.count("T_mult", 1, 1)?,
            eta_min: r.non_negative("eta_min", 0.0)?,
        },
        "linear" => {
            let start_factor = r.number("start_factor", 1.0 / 3.0)?;
            if !(start_factor > 0.0 && start_factor <= 1.0) {
                return Err(r.invalid("start_factor", start_factor, "must be in (0, 1]"));
            }
            let end_factor = r.number("end_factor", 1.0)?;
            if !(0.0..=1.0).contains(&end_factor) {
                return Err(r.invalid("end_factor", end_factor, "must be in [0, 1]"));
            }
            ClosedForm::Linear {
                start_factor,
                end_factor,
                total_iters: r.count("total_iters", 5, 1)?,
            }
        }
        "onecycle" => ClosedForm::OneCycle(one_cycle(r, base_lr, total_steps)?),
        other => unreachable!("{other} is not a closed-form schedule"),
    })
}

fn one_cycle(
    r: &mut HyperReader<'_>,
    base_lr: f64,
    total_steps: usize,
) -> Result<OneCycle, OptimError> {
    let max_lr = r.non_negative("max_lr", base_lr)?;
    let epochs = r.optional_count("epochs", 1)?;
    let per_epoch = r.optional_count("steps_per_epoch", 1)?;
    let total = match (r.optional_count("total_steps", 1)?, epochs.zip(per_epoch)) {
        (Some(n), _) => n,
        (None, Some((e, s))) => e * s,
        (None, None) if total_steps > 0 => total_steps,
        (None, None) => {
            return Err(OptimError::Missing {
                owner: r.owner().to_string(),
                key: "total_steps".into(),
            });
        }
    };
    let pct_start = r.number("pct_start", 0.3)?;
    if !(0.0..=1.0).contains(&pct_start) {
        return Err(r.invalid("pct_start", pct_start, "must be in [0, 1]"));
    }
    let cosine = r.choice("anneal_strategy", "cos", &["cos", "linear"])? == "cos";
    let div_factor = r.number("div_factor", 25.0)?;
    let final_div_factor = r.number("final_div_factor", 1e4)?;
    if div_factor <= 0.0 || final_div_factor <= 0.0 {
        return Err(r.invalid(
            "div_factor",
            div_factor,
            "div_factor and final_div_factor must be > 0",
        ));
    }
    let three_phase = r.boolean("three_phase", false)?;
    if r.boolean("cycle_momentum", false)? {
        return Err(r.invalid(
            "cycle_momentum",
            true,
            "momentum cycling is not supported (schedules drive the lr only)",
        ));
    }
    Ok(OneCycle::new(
        max_lr,
        total,
        pct_start,
        cosine,
        div_factor,
        final_div_factor,
        three_phase,
    ))
}

fn plateau(r: &mut HyperReader<'_>) -> Result<PlateauConfig, OptimError> {
    let maximize = r.choice("mode", "min", &["min", "max"])? == "max";
    let relative = r.choice("threshold_mode", "rel", &["rel", "abs"])? == "rel";
    let factor = r.number("factor", 0.1)?;
    if !(0.0..1.0).contains(&factor) {
        return Err(r.invalid("factor", factor, "must be in [0, 1)"));
    }
    Ok(PlateauConfig {
        maximize,
        relative,
        factor,
        patience: r.count("patience", 10, 0)?,
        threshold: r.non_negative("threshold", 1e-4)?,
        cooldown: r.count("cooldown", 0, 0)?,
        min_lr: r.non_negative("min_lr", 0.0)?,
        eps: r.non_negative("eps", 1e-8)?,
    })
}

/// A LinearLR warm-up from `start_factor * base_lr` over `warmup_steps`, then `then`.
fn warmup(
    kind: &str,
    hyper: &Hyper,
    base_lr: f32,
    total_steps: usize,
) -> Result<Scheduler, OptimError> {
    let own = ["warmup_steps", "start_factor", "then"];
    let split = |mine: bool| -> Hyper {
        hyper
            .iter()
            .filter(|(k, _)| own.contains(&k.as_str()) == mine)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let (mine, rest) = (split(true), split(false));
    let mut r = HyperReader::new(kind, &mine);
    let steps = r.count("warmup_steps", 5, 1)?;
    let start_factor = r.number("start_factor", 1.0 / 3.0)?;
    let then = r.text("then")?.unwrap_or("constant").to_string();
    r.finish()?;
    if then.eq_ignore_ascii_case("warmup") {
        return Err(OptimError::InvalidValue {
            owner: kind.to_string(),
            key: "then".into(),
            value: "\"warmup\"".into(),
            reason: "a warm-up cannot follow a warm-up".into(),
        });
    }
    let mut linear = Hyper::new();
    linear.insert(
        "start_factor".into(),
        crate::HyperValue::Number(start_factor),
    );
    linear.insert(
        "total_iters".into(),
        crate::HyperValue::Number(steps as f64),
    );
    let ramp = build_scheduler("linear", &linear, base_lr, steps)?;
    let after = build_scheduler(&then, &rest, base_lr, total_steps.saturating_sub(steps))?;
    Scheduler::sequential(vec![ramp, after], vec![steps])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HyperValue;

    #[test]
    fn unknown_names_and_keys_get_suggestions() {
        let err = build_scheduler("cosin", &Hyper::new(), 0.1, 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown schedule `cosin`; did you mean `cosine`?"
        );
        let mut h = Hyper::new();
        h.insert("T_mx".into(), HyperValue::Number(3.0));
        let err = build_scheduler("CosineAnnealingLR", &h, 0.1, 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "CosineAnnealingLR: unknown hyperparameter `T_mx`; did you mean `T_max`?"
        );
    }

    #[test]
    fn required_values_without_fallback_are_named() {
        let err = build_scheduler("StepLR", &Hyper::new(), 0.1, 100).unwrap_err();
        assert_eq!(
            err.to_string(),
            "StepLR: hyperparameter `step_size` is required here"
        );
        let err = build_scheduler("cosine", &Hyper::new(), 0.1, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cosine: hyperparameter `T_max` is required here"
        );
    }
}
