//! The runner and result store: resume after a crash, thread-count independence, shards,
//! refusal of a changed spec, and the report built from what is stored.

use std::fs;
use std::path::{Path, PathBuf};

use descent_lab::expand::{Trial, expand};
use descent_lab::report::build_report;
use descent_lab::runner::{BuildInfo, Progress, RunCounts, RunOptions, run_sweep};
use descent_lab::shard::Shard;
use descent_lab::spec::{Spec, SpecSource, parse_spec};
use descent_lab::store::{Durability, RunDir, Status, StoreError, TrialResult};

/// 3 optimizers x 3 lrs x 2 seeds on moons; lr 300 diverges for every optimizer.
const SPEC: &str = r#"
name = "tiny"
seed = 3
repeats = 2

[data]
dataset = "moons"
samples = 80
test_fraction = 0.25
batch_size = 16

[model]
hidden = [6]
activation = "relu"

[train]
epochs = 4
eval_every = 4
target_loss = 0.5
divergence_factor = 20

[sweep]
optimizer = ["sgd", "momentum", "adam"]
lr = [0.01, 0.3, 300.0]
"#;

struct Quiet;

impl Progress for Quiet {
    fn begin(&self, _: usize, _: usize) {}
    fn trial_done(&self, _: &Trial, _: &TrialResult) {}
}

fn spec(text: &str) -> Spec {
    parse_spec(SpecSource::from_text("tiny.toml", Path::new("."), text)).unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("descent-runs-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn run(text: &str, out: &Path, threads: usize, shard: Shard) -> Result<RunCounts, String> {
    let spec = spec(text);
    let trials = expand(&spec);
    run_trials(&spec, &trials, out, threads, shard)
}

fn run_trials(
    spec: &Spec,
    trials: &[Trial],
    out: &Path,
    threads: usize,
    shard: Shard,
) -> Result<RunCounts, String> {
    let opts = RunOptions {
        out: out.to_path_buf(),
        threads,
        shard,
        build: BuildInfo {
            version: "test".into(),
            git_commit: "test".into(),
        },
        durability: Durability::Renamed,
    };
    run_sweep(spec, trials, &opts, &Quiet).map_err(|e| e.to_string())
}

/// `summary.csv` without its last column (wall time).
fn summary_without_wall(dir: &Path) -> String {
    fs::read_to_string(dir.join("summary.csv"))
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect()
}

/// Every trial's metrics.csv without the wall_s column (8th).
fn metrics_without_wall(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fs::read_dir(dir.join("trials"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let text = fs::read_to_string(e.path().join("metrics.csv")).unwrap();
            let stripped = text
                .lines()
                .map(|l| {
                    let mut f: Vec<&str> = l.split(',').collect();
                    f.remove(7);
                    f.join(",") + "\n"
                })
                .collect();
            (e.file_name().into_string().unwrap(), stripped)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_sweep_records_every_trial_marks_divergence_and_reports() {
    let dir = temp_dir("full");
    let counts = run(SPEC, &dir, 2, Shard::ALL).unwrap();
    assert_eq!(counts.ran, 18);
    assert_eq!(counts.failed, 0);
    assert!(
        counts.diverged >= 6,
        "lr 300 diverges for all three optimizers: {counts:?}"
    );
    let run_dir = RunDir::new(&dir);
    for t in expand(&spec(SPEC)) {
        let r = run_dir.read_result(&t.id).expect("finished");
        assert!(dir.join("trials").join(&t.id).join("trial.toml").is_file());
        if t.config.lr == 300.0 {
            assert_eq!(r.status, Status::Diverged, "{}", t.group_label());
            assert!(r.diverged_at_step.is_some());
        }
        if t.config.optimizer == "adam" && t.config.lr == 0.01 {
            assert_eq!(r.status, Status::Ok);
            assert!(r.final_train_loss.unwrap() < 0.7, "adam learns: {r:?}");
            assert!(r.best_test_accuracy.unwrap() > 0.6);
        }
    }
    let files = build_report(&dir).unwrap();
    assert_eq!((files.finished, files.total), (18, 18));
    let md = fs::read_to_string(&files.markdown).unwrap();
    assert!(md.contains("| adam |"), "{md}");
    for optimizer in ["sgd", "momentum", "adam"] {
        assert!(
            !md.contains(&format!("| {optimizer} | 300 |")),
            "a diverged lr is never best: {md}"
        );
    }
    for optimizer in ["sgd", "momentum", "adam"] {
        let row = md
            .lines()
            .find(|l| l.starts_with(&format!("| {optimizer} |")))
            .unwrap();
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // | optimizer | best lr | loss | test acc | steps to target | diverged | failed | trials | wall |
        assert!(
            cells[6].parse::<usize>().unwrap() >= 2,
            "lr 300 diverged twice: {row}"
        );
        assert_eq!((cells[7], cells[8]), ("0", "6"), "{row}");
    }
    assert!(md.contains("![learning_curves](plots/learning_curves.svg)"));
    let html = fs::read_to_string(&files.html).unwrap();
    assert!(
        html.contains("<svg") && !html.contains("src=\""),
        "HTML inlines its plots"
    );
    for stem in [
        "learning_curves",
        "lr_sensitivity",
        "heatmap",
        "test_accuracy",
        "grad_norms",
        "schedule",
    ] {
        let png = fs::read(dir.join("plots").join(format!("{stem}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{stem}.png");
        assert!(dir.join("plots").join(format!("{stem}.svg")).is_file());
    }
    let summary = fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 19);
    assert!(summary.starts_with("index,id,optimizer,lr,repeat,seed,status,"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn results_are_identical_at_one_and_two_threads() {
    let (one, two) = (temp_dir("t1"), temp_dir("t2"));
    run(SPEC, &one, 1, Shard::ALL).unwrap();
    run(SPEC, &two, 2, Shard::ALL).unwrap();
    build_report(&one).unwrap();
    build_report(&two).unwrap();
    assert_eq!(summary_without_wall(&one), summary_without_wall(&two));
    assert_eq!(metrics_without_wall(&one), metrics_without_wall(&two));
    fs::remove_dir_all(&one).unwrap();
    fs::remove_dir_all(&two).unwrap();
}

#[test]
fn resuming_after_a_crash_redoes_only_unfinished_trials_and_gives_the_same_summary() {
    let (clean, crashed) = (temp_dir("clean"), temp_dir("crashed"));
    run(SPEC, &clean, 2, Shard::ALL).unwrap();
    build_report(&clean).unwrap();
    run(SPEC, &crashed, 2, Shard::ALL).unwrap();
    // Simulate a crash: three trials lose their result.json (one keeps a half-written
    // metrics.csv and a stray temporary file), one trial directory vanishes entirely.
    let trials = expand(&spec(SPEC));
    for t in &trials[..3] {
        fs::remove_file(crashed.join("trials").join(&t.id).join("result.json")).unwrap();
    }
    let half = crashed.join("trials").join(&trials[0].id);
    fs::write(half.join("metrics.csv"), "step,epoch\n1,").unwrap();
    fs::write(half.join(".tmp-result.json-999"), "{\"id\":").unwrap();
    fs::remove_dir_all(crashed.join("trials").join(&trials[5].id)).unwrap();
    // A trial folder being staged when another process was killed (kept while it may still
    // be in use; never taken for a trial).
    let staging = crashed
        .join("trials")
        .join(format!(".tmp-{}-otherhost-999", trials[5].id));
    fs::create_dir(&staging).unwrap();
    fs::write(staging.join("trial.toml"), "x").unwrap();
    // One left by a killed process of this machine (no pid reaches 4e9): it can never finish,
    // so it goes at once where /proc lists the processes.
    let orphan = crashed.join("trials").join(format!(
        ".tmp-{}-{}-4000000000",
        trials[6].id,
        descent_lab::machine::hostname()
    ));
    fs::create_dir(&orphan).unwrap();
    let counts = run(SPEC, &crashed, 2, Shard::ALL).unwrap();
    assert!(!orphan.exists() || !Path::new("/proc/self").exists());
    assert_eq!((counts.ran, counts.skipped), (4, 14));
    assert!(!half.join(".tmp-result.json-999").exists());
    assert!(staging.exists());
    fs::remove_dir_all(&staging).unwrap();
    build_report(&crashed).unwrap();
    assert_eq!(summary_without_wall(&clean), summary_without_wall(&crashed));
    assert_eq!(metrics_without_wall(&clean), metrics_without_wall(&crashed));
    // A second resume has nothing left to do.
    let again = run(SPEC, &crashed, 2, Shard::ALL).unwrap();
    assert_eq!((again.ran, again.skipped), (0, 18));
    fs::remove_dir_all(&clean).unwrap();
    fs::remove_dir_all(&crashed).unwrap();
}

#[test]
fn two_shards_then_a_report_equal_the_unsharded_run() {
    let (whole, sharded) = (temp_dir("whole"), temp_dir("sharded"));
    run(SPEC, &whole, 2, Shard::ALL).unwrap();
    build_report(&whole).unwrap();
    let first = run(SPEC, &sharded, 1, Shard::parse("1/2").unwrap()).unwrap();
    let partial = build_report(&sharded).unwrap();
    assert_eq!((first.ran, partial.finished), (9, 9));
    let second = run(SPEC, &sharded, 1, Shard::parse("2/2").unwrap()).unwrap();
    assert_eq!(second.ran, 9);
    build_report(&sharded).unwrap();
    assert_eq!(summary_without_wall(&whole), summary_without_wall(&sharded));
    assert_eq!(metrics_without_wall(&whole), metrics_without_wall(&sharded));
    fs::remove_dir_all(&whole).unwrap();
    fs::remove_dir_all(&sharded).unwrap();
}

#[test]
fn a_changed_spec_is_refused_on_an_existing_directory() {
    let dir = temp_dir("changed");
    run(SPEC, &dir, 2, Shard::parse("1/9").unwrap()).unwrap();
    let changed = SPEC.replace("lr = [0.01, 0.3, 300.0]", "lr = [0.01, 0.3]");
    let err = run(&changed, &dir, 2, Shard::ALL).unwrap_err();
    assert!(err.contains("holds results of a different spec"), "{err}");
    assert!(
        err.contains("(18 trials") && err.contains("(12 trials"),
        "{err}"
    );
    assert!(err.contains("now: lr = [0.01, 0.3]"), "{err}");
    // Comments alone do not count as a change.
    run(
        &SPEC.replace("[model]", "# the network\n[model]"),
        &dir,
        2,
        Shard::parse("1/9").unwrap(),
    )
    .unwrap();
    let spec = spec(&changed);
    let trials = expand(&spec);
    assert!(matches!(
        RunDir::prepare(&dir, &spec.name, &spec.source.text, &trials),
        Err(StoreError::SpecChanged { .. })
    ));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_trial_that_cannot_run_is_recorded_as_failed_not_a_crash() {
    let dir = temp_dir("failed");
    // Cross-entropy on regression targets: the spec parser refuses it, so the trials are edited
    // after expansion, as a spec the parser cannot judge might produce. The training loop
    // rejects each one.
    let mut spec = spec(&SPEC.replace(
        "dataset = \"moons\"\nsamples = 80\ntest_fraction = 0.25",
        "dataset = \"linear\"",
    ));
    let mut trials = expand(&spec);
    spec.model.loss = "cross_entropy".into();
    for trial in &mut trials {
        trial.config.model.loss = "cross_entropy".into();
    }
    let counts = run_trials(&spec, &trials, &dir, 2, Shard::parse("1/6").unwrap()).unwrap();
    assert_eq!((counts.ran, counts.failed), (3, 3));
    let files = build_report(&dir).unwrap();
    let md = fs::read_to_string(files.markdown).unwrap();
    assert!(md.contains("## Failed trials"), "{md}");
    fs::remove_dir_all(&dir).unwrap();
}
