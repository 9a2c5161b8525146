//! The layout of a run directory and the rules that make runs resumable and shardable:
//!
//! ```text
//! <dir>/spec.toml                  the spec as run
//! <dir>/run.json                   fingerprint of the expanded trials (refuses a changed spec)
//! <dir>/trials/<id>/trial.toml     the trial's full config (id = hash of it)
//! <dir>/trials/<id>/metrics.csv
//! <dir>/trials/<id>/result.json    its presence (complete) means "finished"
//! <dir>/summary.csv, plots/, report.md, report.html
//! ```
//!
//! A trial's folder appears whole: its files are written into a temporary folder that one
//! rename turns into `trials/<id>`.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::atomic::{
    Durability, STALE_TEMP_AGE, TEMP_PREFIX, remove_temp_files, write_atomic, write_dir_atomic,
};
use super::metrics::metrics_csv;
use super::result::TrialResult;
use crate::expand::Trial;
use crate::hash::hex_id;
use crate::train::MetricRow;

/// A run directory.
#[derive(Clone, Debug)]
pub struct RunDir {
    root: PathBuf,
    /// How trial files are written (spec, manifest and reports are always synced).
    durability: Durability,
}

/// `run.json`: what the directory holds results of.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct RunManifest {
    name: String,
    /// FNV-1a of the ordered trial ids: equal iff the spec expands to the same trials.
    fingerprint: String,
    trials: usize,
}

/// Why a run directory cannot be used.
#[derive(Debug)]
pub enum StoreError {
    Io {
        path: PathBuf,
        error: io::Error,
    },
    /// The directory holds results of a different spec.
    SpecChanged {
        dir: PathBuf,
        message: String,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            StoreError::SpecChanged { dir, message } => write!(
                f,
                "{} holds results of a different spec: {message}\n\
                 Refusing to mix them. Run with --out <new dir>, or delete {} to start over.",
                dir.display(),
                dir.display()
            ),
        }
    }
}

impl std::error::Error for StoreError {}

/// Attaches the path to an io error.
pub(crate) fn at(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |error| StoreError::Io {
        path: path.to_path_buf(),
        error,
    }
}

impl RunDir {
    /// A handle on an existing (or to be created) directory; nothing is touched.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            durability: Durability::default(),
        }
    }

    /// The same directory, writing trial files with `durability`.
    pub fn with_durability(self, durability: Durability) -> Self {
        Self { durability, ..self }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn spec_path(&self) -> PathBuf {
        self.root.join("spec.toml")
    }

    pub fn trial_dir(&self, id: &str) -> PathBuf {
        self.root.join("trials").join(id)
    }

    pub fn result_path(&self, id: &str) -> PathBuf {
        self.trial_dir(id).join("result.json")
    }

    pub fn metrics_path(&self, id: &str) -> PathBuf {
        self.trial_dir(id).join("metrics.csv")
    }

    /// Creates the directory for `trials` of the spec `spec_text` named `name`, or reopens it
    /// when it already holds the same trials; a directory made by a different spec is refused.
    /// Concurrent shards may call this at once: every write is atomic and identical.
    pub fn prepare(
        root: impl Into<PathBuf>,
        name: &str,
        spec_text: &str,
        trials: &[Trial],
    ) -> Result<RunDir, StoreError> {
        let dir = RunDir::new(root);
        let ids: Vec<&str> = trials.iter().map(|t| t.id.as_str()).collect();
        let manifest = RunManifest {
            name: name.to_string(),
            fingerprint: hex_id(ids.join(",").as_bytes()),
            trials: trials.len(),
        };
        let manifest_path = dir.root.join("run.json");
        match fs::read_to_string(&manifest_path) {
            Ok(text) => {
                let stored: RunManifest =
                    serde_json::from_str(&text).map_err(|e| StoreError::SpecChanged {
                        dir: dir.root.clone(),
                        message: format!("run.json is unreadable ({e})"),
                    })?;
                if stored != manifest {
                    let old_spec = fs::read_to_string(dir.spec_path()).unwrap_or_default();
                    return Err(StoreError::SpecChanged {
                        dir: dir.root.clone(),
                        message: describe_change(&stored, &manifest, &old_spec, spec_text),
                    });
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(at(&manifest_path)(e)),
        }
        let trials_dir = dir.root.join("trials");
        fs::create_dir_all(&trials_dir).map_err(at(&trials_dir))?;
        // Stale ones only: a shard starting at the same moment may be writing here.
        remove_temp_files(&dir.root, STALE_TEMP_AGE).map_err(at(&dir.root))?;
        remove_temp_files(&trials_dir, STALE_TEMP_AGE).map_err(at(&trials_dir))?;
        write_atomic(&dir.spec_path(), spec_text.as_bytes()).map_err(at(&dir.spec_path()))?;
        let json = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
        write_atomic(&manifest_path, json.as_bytes()).map_err(at(&manifest_path))?;
        Ok(dir)
    }

    /// Reads a finished trial's result (`None` when the trial has not finished).
    pub fn read_result(&self, id: &str) -> Option<TrialResult> {
        let text = fs::read_to_string(self.result_path(id)).ok()?;
        serde_json::from_str(&text)
            .ok()
            .filter(|r: &TrialResult| r.id == id)
    }

    /// `true` when `result.json` exists and is complete.
    pub fn is_finished(&self, id: &str) -> bool {
        self.read_result(id).is_some()
    }

    /// The ids of the trials that have a directory (started, maybe finished): one listing
    /// instead of a failed `result.json` lookup per trial never started.
    pub fn started_trials(&self) -> Result<HashSet<String>, StoreError> {
        let trials = self.root.join("trials");
        let entries = match fs::read_dir(&trials) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HashSet::new()),
            Err(e) => return Err(at(&trials)(e)),
        };
        let mut ids = HashSet::new();
        for entry in entries {
            let entry = entry.map_err(at(&trials))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with(TEMP_PREFIX) {
                ids.insert(name);
            }
        }
        Ok(ids)
    }

    /// Writes a trial's folder, `trial.toml`, `metrics.csv` and `result.json`, atomically (it
    /// replaces whatever an interrupted attempt left there).
    pub fn write_trial(
        &self,
        trial: &Trial,
        rows: &[MetricRow],
        result: &TrialResult,
    ) -> Result<(), StoreError> {
        let dir = self.trial_dir(&trial.id);
        let toml = format!(
            "# trial {} (id = FNV-1a 64 of this config's canonical JSON)\n{}",
            trial.index,
            toml::to_string(&trial.config).expect("a trial config serialises to TOML")
        );
        let metrics = metrics_csv(rows, &result.layer_names);
        let json = serde_json::to_string_pretty(result).expect("a result serialises");
        write_dir_atomic(
            &dir,
            &[
                ("trial.toml", toml.as_bytes()),
                ("metrics.csv", metrics.as_bytes()),
                ("result.json", json.as_bytes()),
            ],
            self.durability,
        )
        .map_err(at(&dir))
    }
}

fn describe_change(
    stored: &RunManifest,
    new: &RunManifest,
    old_spec: &str,
    new_spec: &str,
) -> String {
    let mut message = format!(
        "it was made for `{}` ({} trials, fingerprint {}); this spec is `{}` ({} trials, fingerprint {})",
        stored.name, stored.trials, stored.fingerprint, new.name, new.trials, new.fingerprint
    );
    let old_lines: Vec<&str> = old_spec.lines().collect();
    let new_lines: Vec<&str> = new_spec.lines().collect();
    let first_diff =
        (0..old_lines.len().max(new_lines.len())).find(|&i| old_lines.get(i) != new_lines.get(i));
    if let Some(i) = first_diff {
        message.push_str(&format!(
            "\n  first difference at line {}:\n    was: {}\n    now: {}",
            i + 1,
            old_lines.get(i).unwrap_or(&"<end of file>"),
            new_lines.get(i).unwrap_or(&"<end of file>")
        ));
    }
    message
}
