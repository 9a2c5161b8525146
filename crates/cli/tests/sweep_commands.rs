//! The sweep commands as a user runs them: exit codes, messages, files.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn descent(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_descent"))
        .args(args)
        .current_dir(cwd)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .expect("descent runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("descent-cli-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

const SMALL: &str = r#"name = "small"
repeats = 2

[data]
dataset = "blobs"
samples = 60
batch_size = 10

[model]
hidden = [5]

[train]
epochs = 2
eval_every = 3

[sweep]
optimizer = ["sgd", "adam"]
lr = [0.01, 0.1]
"#;

#[test]
fn a_bad_spec_exits_2_with_file_line_column_and_writes_nothing() {
    let dir = temp_dir("bad");
    fs::write(dir.join("bad.toml"), SMALL.replace("\"adam\"", "\"adamm\"")).unwrap();
    for args in [
        &["run", "bad.toml", "--out", "out"][..],
        &["validate", "bad.toml"],
        &["lr-find", "bad.toml", "--out", "out"],
    ] {
        let command = args[0];
        let out = descent(args, &dir);
        assert_eq!(out.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("bad.toml:17:21: error: unknown optimizer `adamm`"),
            "{command}: {stderr}"
        );
        assert!(stderr.contains("did you mean `adam`?"), "{stderr}");
        assert!(
            !dir.join("out").exists() && !dir.join("runs").exists(),
            "{command} wrote nothing"
        );
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn validate_prints_the_trials() {
    let dir = temp_dir("validate");
    fs::write(dir.join("small.toml"), SMALL).unwrap();
    let out = descent(&["validate", "small.toml"], &dir);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("8 trial(s):"), "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.contains("optimizer=")).count(),
        8
    );
    assert!(
        stdout.contains("optimizer=adam lr=0.1  repeat 1"),
        "{stdout}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn run_then_report_leave_the_documented_files_and_resume_keeps_them() {
    let dir = temp_dir("run");
    fs::write(dir.join("small.toml"), SMALL).unwrap();
    let out = descent(&["run", "small.toml", "--threads", "2"], &dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("[8/8]"),
        "plain progress lines off a terminal: {stdout}"
    );
    let run = dir.join("runs").join("small");
    for f in [
        "spec.toml",
        "summary.csv",
        "report.md",
        "report.html",
        "plots/learning_curves.svg",
    ] {
        assert!(run.join(f).is_file(), "{f}");
    }
    let again = descent(&["run", "small.toml"], &dir);
    assert!(String::from_utf8_lossy(&again.stdout).contains("ran 0 trial(s)"));
    assert!(String::from_utf8_lossy(&again.stdout).contains("kept 8 finished"));
    fs::remove_file(run.join("report.md")).unwrap();
    let report = descent(&["report", "runs/small"], &dir);
    assert_eq!(report.status.code(), Some(0));
    assert!(run.join("report.md").is_file());
    // A changed spec on the same directory is refused (exit 2).
    fs::write(
        dir.join("small.toml"),
        SMALL.replace("[0.01, 0.1]", "[0.01]"),
    )
    .unwrap();
    let changed = descent(&["run", "small.toml"], &dir);
    assert_eq!(changed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&changed.stderr).contains("different spec"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shards_come_from_the_flag_or_the_job_array_environment() {
    let dir = temp_dir("shard");
    fs::write(dir.join("small.toml"), SMALL).unwrap();
    let out = descent(
        &["run", "small.toml", "--shard", "1/4", "--no-report"],
        &dir,
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ran 2 trial(s)"));
    let out = Command::new(env!("CARGO_BIN_EXE_descent"))
        .args(["run", "small.toml", "--no-report"])
        .current_dir(&dir)
        .env("JOB_COMPLETION_INDEX", "1")
        .env("DESCENT_SHARDS", "4")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ran 2 trial(s)")
            && String::from_utf8_lossy(&out.stdout).contains("kept 0"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let bad = descent(&["run", "small.toml", "--shard", "5/4"], &dir);
    assert_eq!(bad.status.code(), Some(2));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lr_find_writes_its_curve_and_suggests_a_learning_rate() {
    let dir = temp_dir("lrfind");
    let spec = SMALL.replace(
        "[sweep]",
        "[lr_find]\nmin_lr = 1e-5\nmax_lr = 100.0\nsteps = 60\n\n[sweep]",
    );
    fs::write(dir.join("small.toml"), spec).unwrap();
    let out = descent(
        &[
            "lr-find",
            "small.toml",
            "--optimizer",
            "sgd",
            "--out",
            "lrf",
        ],
        &dir,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("suggested lr"), "{stdout}");
    let csv = fs::read_to_string(dir.join("lrf").join("lr_find.csv")).unwrap();
    assert!(csv.lines().count() > 10, "{csv}");
    assert!(dir.join("lrf").join("lr_find.png").is_file());
    fs::remove_dir_all(&dir).unwrap();
}
