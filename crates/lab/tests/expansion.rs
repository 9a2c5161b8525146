//! Trial expansion: counts for grid and random search, log grids, seeds, stable ids.

use std::collections::HashSet;
use std::path::Path;

use descent_lab::expand::{Trial, expand, trial_id};
use descent_lab::spec::{Param, Spec, SpecSource, parse_spec};

const GRID: &str = r#"
name = "g"
seed = 7
repeats = 3

[data]
dataset = "blobs"
samples = 60

[model]
hidden = [8]

[train]
epochs = 1

[sweep]
optimizer = ["sgd", "adam", "rmsprop", "adagrad"]
lr = { log_range = [0.001, 1.0], points = 4 }
batch_size = [8, 16]

[optimizers.adam]
betas = [0.8, 0.99]
"#;

fn spec(text: &str) -> Spec {
    parse_spec(SpecSource::from_text("s.toml", Path::new("."), text)).unwrap()
}

fn ids(trials: &[Trial]) -> Vec<String> {
    trials.iter().map(|t| t.id.clone()).collect()
}

#[test]
fn a_grid_is_the_product_of_its_axes_times_the_repeats() {
    let trials = expand(&spec(GRID));
    assert_eq!(trials.len(), 4 * 4 * 2 * 3);
    assert_eq!(
        trials.iter().map(|t| t.index).collect::<Vec<_>>(),
        (0..96).collect::<Vec<_>>()
    );
    // The last axis varies fastest, repeats innermost.
    let first: Vec<String> = trials[..7]
        .iter()
        .map(|t| format!("{} r{}", t.group_label(), t.config.repeat))
        .collect();
    assert_eq!(
        first,
        [
            "optimizer=sgd lr=0.001 batch_size=8 r0",
            "optimizer=sgd lr=0.001 batch_size=8 r1",
            "optimizer=sgd lr=0.001 batch_size=8 r2",
            "optimizer=sgd lr=0.001 batch_size=16 r0",
            "optimizer=sgd lr=0.001 batch_size=16 r1",
            "optimizer=sgd lr=0.001 batch_size=16 r2",
            "optimizer=sgd lr=0.01 batch_size=8 r0",
        ]
    );
    let lrs: Vec<f64> = trials
        .iter()
        .step_by(6)
        .take(4)
        .map(|t| t.config.lr)
        .collect();
    assert_eq!(
        lrs,
        [0.001, 0.01, 0.1, 1.0],
        "log grid points are exact decimals"
    );
    assert_eq!(
        ids(&trials).into_iter().collect::<HashSet<_>>().len(),
        96,
        "ids are unique"
    );
}

#[test]
fn fixed_hyperparameters_apply_to_their_optimizer_only() {
    let trials = expand(&spec(GRID));
    let adam = trials
        .iter()
        .find(|t| t.config.optimizer == "adam")
        .unwrap();
    assert_eq!(
        adam.config.hyper.get("betas"),
        Some(&Param::List(vec![Param::Number(0.8), Param::Number(0.99)]))
    );
    let sgd = trials.iter().find(|t| t.config.optimizer == "sgd").unwrap();
    assert!(sgd.config.hyper.is_empty());
}

#[test]
fn repeats_share_seeds_across_configurations_and_differ_from_each_other() {
    let trials = expand(&spec(GRID));
    let seeds: Vec<u64> = trials[..3].iter().map(|t| t.config.seed).collect();
    assert_eq!(seeds.iter().collect::<HashSet<_>>().len(), 3);
    for t in &trials {
        assert_eq!(
            t.config.seed, seeds[t.config.repeat],
            "common random numbers per repeat"
        );
    }
    let other = expand(&spec(&GRID.replace("seed = 7", "seed = 8")));
    assert_ne!(other[0].config.seed, trials[0].config.seed);
}

#[test]
fn ids_are_stable_hashes_of_the_trial_config() {
    let a = expand(&spec(GRID));
    // Comments, key order and spacing do not change any id.
    let reordered = GRID
        .replace(
            "seed = 7\nrepeats = 3",
            "repeats = 3   # three seeds\nseed = 7",
        )
        .replace("name = \"g\"", "# a comment\nname = \"g\"");
    assert_eq!(ids(&expand(&spec(&reordered))), ids(&a));
    for t in &a {
        assert_eq!(trial_id(&t.config), t.id);
        assert_eq!(t.id.len(), 16);
    }
    // Changing a setting changes every affected id.
    let b = expand(&spec(&GRID.replace("hidden = [8]", "hidden = [9]")));
    assert!(ids(&b).iter().all(|id| !ids(&a).contains(id)));
    // The id of this exact configuration is pinned: FNV-1a of canonical JSON, portable across
    // machines, runs and thread counts. (If TrialConfig changes on purpose, update it.)
    assert_eq!(a[0].id, "156318175c15f46f");
}

#[test]
fn random_search_draws_reproducibly_within_bounds() {
    let text = GRID
        .replace("[sweep]", "[sweep]\nmethod = \"random\"\ntrials = 10")
        .replace(
            "{ log_range = [0.001, 1.0], points = 4 }",
            "{ log_uniform = [1e-4, 1e-1] }",
        );
    let a = expand(&spec(&text));
    assert_eq!(a.len(), 10 * 3);
    assert!(a.iter().all(|t| (1e-4..1e-1).contains(&t.config.lr)));
    assert!(a.iter().all(|t| [8, 16].contains(&t.config.batch_size)));
    let distinct: HashSet<u64> = a.iter().map(|t| t.config.lr.to_bits()).collect();
    assert_eq!(distinct.len(), 10);
    assert_eq!(ids(&expand(&spec(&text))), ids(&a));
    let reseeded = expand(&spec(&text.replace("seed = 7", "seed = 9")));
    assert_ne!(reseeded[0].config.lr, a[0].config.lr);
}
