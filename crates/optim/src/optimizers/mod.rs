//! The optimizer zoo and its by-name constructor.

mod adadelta;
mod adagrad;
mod adam;
mod adamax;
mod adamw;
mod lion;
mod lookahead;
mod moments;
mod nadam;
mod radam;
mod rmsprop;
mod rprop;
mod sgd;

use crate::driver::Driver;
use crate::error::{OptimError, closest};
use crate::hyper::{Hyper, HyperReader};
use crate::optimizer::Optimizer;
use crate::rule::{Common, Rule};

/// Every name [`build_optimizer`] takes (case-insensitive). `momentum` is SGD with momentum 0.9,
/// `nesterov` SGD with Nesterov momentum 0.9; `lookahead` wraps the optimizer named by its
/// `inner` hyperparameter. PyTorch's class names (`SGD`, `AdamW`, `RMSprop`, ...) are these in
/// another case.
pub const OPTIMIZER_NAMES: &[&str] = &[
    "sgd",
    "momentum",
    "nesterov",
    "adam",
    "adamw",
    "adagrad",
    "adadelta",
    "rmsprop",
    "adamax",
    "nadam",
    "radam",
    "rprop",
    "lion",
    "lookahead",
];

/// Builds the optimizer `name` (see [`OPTIMIZER_NAMES`]) from PyTorch-named hyperparameters.
///
/// A missing hyperparameter takes PyTorch's default (the paper's for Lion and Lookahead). `lr`
/// is accepted for compatibility with PyTorch dicts but the lr in force is the one passed to each
/// [`Optimizer::step`]. Beyond PyTorch every optimizer takes `l1` (L1 regularisation strength,
/// adds `l1 * sign(p)` to the gradient); Rprop also takes `weight_decay`.
pub fn build_optimizer(name: &str, hyper: &Hyper) -> Result<Box<dyn Optimizer>, OptimError> {
    let key = name.to_ascii_lowercase();
    if key == "lookahead" {
        return lookahead::build(name, hyper);
    }
    let mut r = HyperReader::new(name, hyper);
    r.non_negative("lr", 0.0)?;
    let optimizer = match key.as_str() {
        "sgd" => boxed(sgd::Sgd::read(&mut r, 0.0, false)?),
        "momentum" => boxed(sgd::Sgd::read(&mut r, 0.9, false)?),
        "nesterov" => boxed(sgd::Sgd::read(&mut r, 0.9, true)?),
        "adam" => boxed(adam::Adam::read(&mut r, false)?),
        "adamw" => {
            let (rule, common) = adam::Adam::read(&mut r, true)?;
            boxed((adamw::AdamW(rule), common))
        }
        "adagrad" => boxed(adagrad::Adagrad::read(&mut r)?),
        "adadelta" => boxed(adadelta::Adadelta::read(&mut r)?),
        "rmsprop" => boxed(rmsprop::Rmsprop::read(&mut r)?),
        "adamax" => boxed(adamax::Adamax::read(&mut r)?),
        "nadam" => boxed(nadam::Nadam::read(&mut r)?),
        "radam" => boxed(radam::Radam::read(&mut r)?),
        "rprop" => boxed(rprop::Rprop::read(&mut r)?),
        "lion" => boxed(lion::Lion::read(&mut r)?),
        _ => {
            return Err(OptimError::UnknownName {
                what: "optimizer",
                name: name.to_string(),
                suggestion: closest(name, OPTIMIZER_NAMES.iter().copied())
                    .unwrap_or("sgd")
                    .to_string(),
            });
        }
    };
    r.finish()?;
    Ok(optimizer)
}

/// PyTorch's default lr for the optimizer `name` (the paper's for Lion); `None` for unknown names
/// and for `lookahead` (whose lr is its inner optimizer's).
pub fn default_lr(name: &str) -> Option<f32> {
    Some(match name.to_ascii_lowercase().as_str() {
        "sgd" | "momentum" | "nesterov" | "adam" | "adamw" | "radam" => 1e-3,
        "adagrad" | "rmsprop" | "rprop" => 1e-2,
        "adadelta" => 1.0,
        "adamax" | "nadam" => 2e-3,
        "lion" => 1e-4,
        _ => return None,
    })
}

fn boxed<R: Rule>((rule, common): (R, Common)) -> Box<dyn Optimizer> {
    Box::new(Driver::new(rule, common))
}
