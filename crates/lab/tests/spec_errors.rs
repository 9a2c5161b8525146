//! Every class of spec mistake is reported at its exact file:line:column, with a hint where
//! there is one.

use std::path::{Path, PathBuf};

use descent_lab::spec::{Spec, SpecError, SpecSource, parse_spec};

const VALID: &str = r#"name = "t"
seed = 1
repeats = 2

[data]
dataset = "linear"
samples = 50
batch_size = 0

[model]
hidden = [4]
activation = "tanh"

[train]
steps = 20
eval_every = 5

[sweep]
optimizer = ["sgd", "adam"]
lr = { log_range = [0.001, 0.1], points = 3 }
"#;

fn parse(text: &str) -> Result<Spec, Vec<SpecError>> {
    parse_spec(SpecSource::from_text("exp/t.toml", Path::new("."), text)).map_err(|e| e.0)
}

/// The errors of `text`, each as `file:line:col: message`.
fn errors(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(_) => panic!("spec unexpectedly valid:\n{text}"),
        Err(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.location(), e.message))
            .collect(),
    }
}

fn one_error(text: &str) -> SpecError {
    let errors = parse(text).expect_err("spec should be invalid");
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn the_valid_spec_parses_with_defaults_filled_in() {
    let spec = parse(VALID).unwrap();
    assert_eq!(spec.name, "t");
    assert_eq!(spec.repeats, 2);
    assert_eq!(spec.model.loss, "mse", "regression data defaults to MSE");
    assert_eq!(spec.model.init, "pytorch_default");
    assert_eq!(spec.train.divergence_factor, 1e3);
    assert_eq!(spec.batch_size, 0);
}

#[test]
fn unknown_keys_point_at_the_key_and_suggest_the_closest_name() {
    let e = one_error(&VALID.replace("eval_every = 5", "eval_evry = 5"));
    assert_eq!(e.location(), "exp/t.toml:16:1");
    assert_eq!(e.message, "unknown key `eval_evry` in [train]");
    assert_eq!(e.help.as_deref(), Some("did you mean `eval_every`?"));

    let e = one_error(&VALID.replace("seed = 1", "sed = 1"));
    assert_eq!(e.location(), "exp/t.toml:2:1");
    assert_eq!(e.help.as_deref(), Some("did you mean `seed`?"));

    // A key that belongs to another dataset kind is unknown for this one.
    let e = one_error(&VALID.replace("samples = 50", "samples = 50\nnoise = 0.1"));
    assert_eq!(e.location(), "exp/t.toml:8:1");
    assert_eq!(e.message, "unknown key `noise` in [data]");
}

#[test]
fn unknown_optimizer_names_the_closest_one() {
    let e = one_error(&VALID.replace(r#"["sgd", "adam"]"#, r#"["sgd", "adma"]"#));
    assert_eq!(e.location(), "exp/t.toml:19:21");
    assert_eq!(e.message, "unknown optimizer `adma`");
    assert_eq!(e.help.as_deref(), Some("did you mean `adam`?"));

    let e = one_error(&format!("{VALID}\n[optimizers.rmsprpo]\nalpha = 0.9\n"));
    assert_eq!(e.location(), "exp/t.toml:22:13");
    assert_eq!(e.help.as_deref(), Some("did you mean `rmsprop`?"));
}

#[test]
fn non_positive_learning_rates_are_refused_where_written() {
    let text = VALID.replace(
        "lr = { log_range = [0.001, 0.1], points = 3 }",
        "lr = [0.1, 0.0, -1e-3]",
    );
    assert_eq!(
        errors(&text),
        [
            "exp/t.toml:20:12: `lr` must be a positive number, got 0",
            "exp/t.toml:20:17: `lr` must be a positive number, got -0.001",
        ]
    );
    let text = VALID.replace("[0.001, 0.1]", "[0.0, 0.1]");
    assert_eq!(
        errors(&text),
        ["exp/t.toml:20:21: `log_range` bounds must be > 0 (it is spaced in log scale)"]
    );
}

#[test]
fn empty_sweeps_are_refused() {
    let e = one_error(&VALID.replace(r#"["sgd", "adam"]"#, "[]"));
    assert_eq!(e.location(), "exp/t.toml:19:13");
    assert_eq!(e.message, "empty sweep: `optimizer` has no values");

    let no_axes = VALID.split("[sweep]").next().unwrap().to_string() + "[sweep]\n";
    let e = one_error(&no_axes);
    assert_eq!(e.location(), "exp/t.toml:18:1");
    assert!(e.message.starts_with("empty sweep"), "{}", e.message);

    let e = one_error(&VALID.replace("points = 3", "points = 0"));
    assert_eq!(e.location(), "exp/t.toml:20:43");
    assert_eq!(e.message, "`points` must be at least 1");
}

#[test]
fn type_errors_name_the_expected_and_found_types() {
    let e = one_error(&VALID.replace("steps = 20", "steps = \"20\""));
    assert_eq!(e.location(), "exp/t.toml:15:9");
    assert_eq!(
        e.message,
        "`steps` must be a non-negative integer, found the string \"20\""
    );

    let e = one_error(&VALID.replace("hidden = [4]", "hidden = 4"));
    assert_eq!(e.location(), "exp/t.toml:11:10");

    let text = VALID
        .replace("[model]\nhidden = [4]\nactivation = \"tanh\"\n", "")
        .replace("repeats = 2", "repeats = 2\nmodel = 3");
    let e = one_error(&text);
    assert_eq!(e.location(), "exp/t.toml:4:9");
    assert_eq!(e.message, "[model] must be a table, found an integer");
}

#[test]
fn a_missing_section_is_named() {
    let text = VALID.replace("[train]\nsteps = 20\neval_every = 5\n", "");
    let e = one_error(&text);
    assert_eq!(e.location(), "exp/t.toml:1:1");
    assert_eq!(e.message, "missing section [train]");
}

#[test]
fn toml_syntax_errors_are_located() {
    let e = one_error(&VALID.replace("seed = 1", "seed = "));
    assert_eq!(e.location(), "exp/t.toml:2:8");
    assert!(e.message.starts_with("invalid TOML"), "{}", e.message);
}

#[test]
fn optimizer_hyperparameters_are_checked_by_the_optimizer() {
    let e = one_error(&format!("{VALID}\n[optimizers.adam]\nbeta = [0.9, 0.99]\n"));
    assert_eq!(e.location(), "exp/t.toml:23:8");
    assert!(
        e.message.contains("unknown hyperparameter `beta`"),
        "{}",
        e.message
    );
    assert!(e.message.contains("betas"), "suggests betas: {}", e.message);

    // A swept hyperparameter the optimizer rejects points at the offending value.
    let e = one_error(&VALID.replace("[sweep]", "[sweep]\nmomentum = [0.0, 0.9]"));
    assert_eq!(e.location(), "exp/t.toml:19:13");
    assert!(e.message.contains("adam"), "{}", e.message);
}

#[test]
fn random_only_distributions_in_a_grid_and_bad_schedules_are_refused() {
    let e = one_error(&VALID.replace(
        "{ log_range = [0.001, 0.1], points = 3 }",
        "{ log_uniform = [0.001, 0.1] }",
    ));
    assert_eq!(e.location(), "exp/t.toml:20:22");
    assert!(
        e.message.contains("needs `method = \"random\"`"),
        "{}",
        e.message
    );

    let e = one_error(&VALID.replace(
        "eval_every = 5",
        "eval_every = 5\nschedule = { kind = \"cosin\" }",
    ));
    assert_eq!(e.location(), "exp/t.toml:17:12");
    assert!(e.message.contains("cosin"), "{}", e.message);
}

#[test]
fn a_missing_data_folder_lists_every_place_searched_and_how_to_get_the_files() {
    let text = VALID.replace(
        "dataset = \"linear\"\nsamples = 50",
        "dataset = \"mnist\"\npath = \"no/such/dir\"",
    );
    let e = one_error(&text);
    assert_eq!(e.location(), "exp/t.toml:7:8");
    assert!(
        e.message.starts_with("MNIST data not found; searched:"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("no/such/dir (no such folder)"),
        "{}",
        e.message
    );
    let help = e.help.unwrap();
    assert!(
        help.contains("train-images-idx3-ubyte") && help.contains("DESCENT_DATA"),
        "{help}"
    );

    // Without `path`: $DESCENT_DATA/mnist and ./data/mnist are both named.
    let text = VALID.replace(
        "dataset = \"linear\"\nsamples = 50",
        "dataset = \"fashion_mnist\"",
    );
    let e = one_error(&text);
    assert_eq!(e.location(), "exp/t.toml:6:11");
    assert!(
        e.message.contains(
            &PathBuf::from("data")
                .join("fashion-mnist")
                .display()
                .to_string()
        ),
        "{}",
        e.message
    );
}

#[test]
fn all_mistakes_are_reported_at_once_in_file_order() {
    let text = VALID
        .replace("seed = 1", "seed = -1")
        .replace("activation = \"tanh\"", "activation = \"tahn\"")
        .replace("steps = 20", "steps = 0");
    let errs = errors(&text);
    assert_eq!(errs.len(), 3, "{errs:#?}");
    assert!(errs[0].starts_with("exp/t.toml:2:8:"));
    assert!(errs[1].starts_with("exp/t.toml:12:14: unknown activation `tahn`"));
    assert!(errs[2].starts_with("exp/t.toml:15:9: `steps` must be at least 1"));
}

#[test]
fn the_rendered_error_shows_the_line_and_a_caret() {
    let e = one_error(&VALID.replace(r#"["sgd", "adam"]"#, r#"["sgd", "adma"]"#));
    let text = e.to_string();
    assert_eq!(
        text,
        "exp/t.toml:19:21: error: unknown optimizer `adma`\n   |\n19 | optimizer = [\"sgd\", \"adma\"]\n   |                     ^^^^^^\n   = help: did you mean `adam`?"
    );
}

#[test]
fn cross_entropy_on_regression_data_is_refused_at_the_loss() {
    let e = one_error(&VALID.replace(
        r#"activation = "tanh""#,
        "activation = \"tanh\"\nloss = \"cross_entropy\"",
    ));
    assert_eq!(e.location(), "exp/t.toml:13:8");
    assert_eq!(
        e.message,
        "loss `cross_entropy` needs class labels, but this data set has target values"
    );
    // The same loss on labelled data is fine.
    let blobs = VALID
        .replace("dataset = \"linear\"\nsamples = 50", "dataset = \"blobs\"")
        .replace(
            r#"activation = "tanh""#,
            "activation = \"tanh\"\nloss = \"cross_entropy\"",
        );
    assert_eq!(parse(&blobs).unwrap().model.loss, "cross_entropy");
}
