//! Tutorial example 3: MNIST, 784-128-10 ReLU, softmax cross-entropy, batch 128, SGD with
//! momentum 0.9 at lr 0.1, 3 epochs: test accuracy >= 97.0% (PyTorch: 97.06%).
//! Needs `$DESCENT_DATA/mnist`; skips with a message when it is absent.

use descent_autograd::{Activation, Init, Loss, MlpConfig, Par};
use descent_data::{data_root, load_mnist_dir};
use descent_lab::train::{Budget, StopRules, TrainSetup, TrainStatus, train};
use descent_optim::HyperValue;

#[test]
fn mnist_mlp_reaches_97_percent() {
    let Some(dir) = data_root()
        .map(|root| root.join("mnist"))
        .filter(|d| d.is_dir())
    else {
        println!(
            "skipping: $DESCENT_DATA/mnist not found (set DESCENT_DATA to the data directory)"
        );
        return;
    };
    let data = load_mnist_dir(&dir).unwrap();
    let setup = TrainSetup {
        model: MlpConfig {
            sizes: vec![784, 128, 10],
            activation: Activation::Relu,
            loss: Loss::CrossEntropy,
            init: Init::PytorchDefault,
        },
        optimizer: "sgd".into(),
        optimizer_hyper: [("momentum".to_string(), HyperValue::Number(0.9))].into(),
        lr: 0.1,
        schedule: None,
        batch_size: 128,
        budget: Budget::Epochs(3),
        eval_every: 0,
        clip_norm: None,
        stop: StopRules::default(),
        seed: 0,
        par: Par::threads(2),
    };
    let mut rows = Vec::new();
    let outcome = train(&setup, &data, &mut |row| rows.push(row.clone())).unwrap();
    for row in &rows {
        println!(
            "epoch {} step {}: train loss {:.4}, test loss {:.4}, test accuracy {:.2}%, |g| {:.3}",
            row.epoch,
            row.step,
            row.train_loss,
            row.test_loss.unwrap(),
            100.0 * row.test_accuracy.unwrap(),
            row.grad_norm
        );
    }
    assert_eq!(outcome.status, TrainStatus::Completed);
    assert_eq!(outcome.steps, 3 * 469);
    assert_eq!(rows.len(), 3, "one row per epoch");
    let accuracy = rows.last().unwrap().test_accuracy.unwrap();
    assert!(accuracy >= 0.970, "test accuracy {accuracy}");
    assert!(
        rows.windows(2).all(|w| w[1].train_loss < w[0].train_loss),
        "train loss falls every epoch"
    );
}
