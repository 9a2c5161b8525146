//! The names a spec may use for optimizers, schedules, activations, initialisers and losses,
//! and their translation into the types of descent-optim and descent-autograd.

use descent_autograd::{Activation, Init, Loss};
use descent_optim::{HyperValue, OptimError};

use super::param::Param;
use super::types::ModelSpec;

/// `activation` names.
pub const ACTIVATION_NAMES: &[&str] = &["relu", "leaky_relu", "sigmoid", "tanh", "identity"];
/// `init` names.
pub const INIT_NAMES: &[&str] = &[
    "pytorch_default",
    "normal",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
    "he_normal",
    "he_uniform",
];
/// `loss` names.
pub const LOSS_NAMES: &[&str] = &["mse", "bce", "cross_entropy"];

/// Every optimizer name descent-optim builds.
pub fn optimizer_names() -> &'static [&'static str] {
    descent_optim::OPTIMIZER_NAMES
}

/// The activation named `name` (one of [`ACTIVATION_NAMES`]).
pub fn activation(name: &str, negative_slope: f64) -> Option<Activation> {
    Some(match name {
        "relu" => Activation::Relu,
        "leaky_relu" => Activation::LeakyRelu(negative_slope as f32),
        "sigmoid" => Activation::Sigmoid,
        "tanh" => Activation::Tanh,
        "identity" => Activation::Identity,
        _ => return None,
    })
}

/// The initialiser named in `model` (one of [`INIT_NAMES`]).
pub fn init(model: &ModelSpec) -> Option<Init> {
    Some(match model.init.as_str() {
        "pytorch_default" => Init::PytorchDefault,
        "normal" => Init::Normal {
            std: model.init_std as f32,
        },
        "uniform" => Init::Uniform {
            bound: model.init_bound as f32,
        },
        "xavier_normal" => Init::XavierNormal,
        "xavier_uniform" => Init::XavierUniform,
        "he_normal" => Init::HeNormal,
        "he_uniform" => Init::HeUniform,
        _ => return None,
    })
}

/// The loss named `name` (one of [`LOSS_NAMES`]).
pub fn loss(name: &str) -> Option<Loss> {
    Some(match name {
        "mse" => Loss::Mse,
        "bce" => Loss::BceWithLogits,
        "cross_entropy" => Loss::CrossEntropy,
        _ => return None,
    })
}

/// A spec value as an optimizer/schedule hyperparameter; `None` for shapes no hyperparameter
/// takes (tables, nested or mixed lists).
pub fn hyper_value(p: &Param) -> Option<HyperValue> {
    Some(match p {
        Param::Bool(b) => HyperValue::Bool(*b),
        Param::Int(_) | Param::Number(_) => HyperValue::Number(p.as_f64()?),
        Param::Text(s) => HyperValue::Text(s.clone()),
        Param::List(items) => {
            HyperValue::List(items.iter().map(Param::as_f64).collect::<Option<_>>()?)
        }
        Param::Table(_) => return None,
    })
}

/// Converts a whole map of hyperparameters, naming the first key whose value has no
/// hyperparameter shape.
pub fn hyper_map<'a>(
    params: impl IntoIterator<Item = (&'a String, &'a Param)>,
) -> Result<descent_optim::Hyper, String> {
    params
        .into_iter()
        .map(|(k, v)| {
            hyper_value(v)
                .map(|h| (k.clone(), h))
                .ok_or_else(|| k.clone())
        })
        .collect()
}

/// The hyperparameter key an optimizer error is about, if any.
pub fn error_key(e: &OptimError) -> Option<&str> {
    match e {
        OptimError::UnknownHyper { key, .. }
        | OptimError::WrongType { key, .. }
        | OptimError::InvalidValue { key, .. }
        | OptimError::Missing { key, .. } => Some(key),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_translates() {
        for name in ACTIVATION_NAMES {
            assert!(activation(name, 0.01).is_some(), "{name}");
        }
        for name in LOSS_NAMES {
            assert!(loss(name).is_some(), "{name}");
        }
        let mut model = ModelSpec {
            hidden: vec![],
            activation: "relu".into(),
            negative_slope: 0.01,
            loss: "mse".into(),
            init: String::new(),
            init_std: 0.01,
            init_bound: 0.1,
        };
        for name in INIT_NAMES {
            model.init = name.to_string();
            assert!(init(&model).is_some(), "{name}");
        }
    }
}
