//! Atomic file writes: a reader (or a run resumed after a crash) sees either the old file or the
//! complete new one, never a torn write.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// Prefix of the temporary files and folders [`write_atomic`] and [`write_dir_atomic`] create
/// (and resume sweeps away).
pub const TEMP_PREFIX: &str = ".tmp-";

/// How far an atomic write goes to make its result durable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Temporary file or folder + `rename` only. A reader, or a run resumed after the process
    /// was killed (SIGKILL, Ctrl-C, out of memory), sees the old file or the whole new one: the
    /// page cache outlives the process. After a power loss or kernel crash the latest files may be missing
    /// or empty; an unreadable `result.json` counts as unfinished, so such trials are redone.
    /// About 5x cheaper per trial than [`Durability::Synced`] (no journal commit per file).
    #[default]
    Renamed,
    /// Additionally `fsync` each file and the temporary folder before the rename and the
    /// parent folder after, so that what was written also survives a power loss.
    Synced,
}

/// Writes `bytes` to `path` atomically and durably: a temporary file in the same folder,
/// `fsync`, then `rename` over `path` (atomic on POSIX file systems), then `fsync` of the folder
/// so the rename itself survives a power loss.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (dir, temp) = temp_sibling(path)?;
    let result = (|| {
        write_file(&temp, bytes, Durability::Synced)?;
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result?;
    File::open(dir)?.sync_all()
}

/// Creates the folder `path` holding `files` (`(name, bytes)`) atomically: they are written
/// into a temporary sibling folder, which one `rename` then moves to `path`. A reader, or a run
/// resumed after the process was killed, sees no folder or the complete one. A folder already
/// at `path` (what an interrupted attempt left) is replaced.
pub fn write_dir_atomic(
    path: &Path,
    files: &[(&str, &[u8])],
    durability: Durability,
) -> io::Result<()> {
    let (parent, temp) = temp_sibling(path)?;
    let result = (|| {
        if let Err(e) = fs::create_dir(&temp) {
            // Left by a killed process with the same tag (a reused pid).
            if e.kind() != io::ErrorKind::AlreadyExists {
                return Err(e);
            }
            fs::remove_dir_all(&temp)?;
            fs::create_dir(&temp)?;
        }
        for (file, bytes) in files {
            write_file(&temp.join(file), bytes, durability)?;
        }
        if durability == Durability::Synced {
            File::open(&temp)?.sync_all()?;
        }
        if let Err(e) = fs::rename(&temp, path) {
            if !path.is_dir() {
                return Err(e);
            }
            fs::remove_dir_all(path)?;
            fs::rename(&temp, path)?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&temp);
    }
    result?;
    if durability == Durability::Synced {
        File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// Creates (or truncates) `path` and writes `bytes` (+ `fsync` when synced).
fn write_file(path: &Path, bytes: &[u8], durability: Durability) -> io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    if durability == Durability::Synced {
        file.sync_all()?;
    }
    Ok(())
}

/// The folder holding `path` (`.` for a bare name) and the temporary path this process writes
/// `path` under, beside it.
fn temp_sibling(path: &Path) -> io::Result<(&Path, PathBuf)> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let temp = format!("{TEMP_PREFIX}{}-{}", name.to_string_lossy(), writer_tag());
    Ok((dir, dir.join(temp)))
}

/// `<host>-<pid>`: distinct for every process writing into a shared run directory, also from
/// different machines (shards on a network file system).
pub fn writer_tag() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| format!("{}-{}", crate::machine::hostname(), std::process::id()))
}

/// Temporary files younger than this may belong to a write in progress (e.g. another shard
/// starting at the same moment), so cleaning leaves them alone.
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(600);

/// Removes temporary files and folders of interrupted writes in `dir`: those last modified at
/// least `min_age` ago, and at once those of a process of this machine that no longer runs.
pub fn remove_temp_files(dir: &Path, min_age: Duration) -> io::Result<()> {
    let this_host = format!("-{}-", crate::machine::hostname());
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(TEMP_PREFIX) {
            continue;
        }
        let age = entry
            .metadata()?
            .modified()?
            .elapsed()
            .unwrap_or(Duration::ZERO);
        if age >= min_age || orphaned(&name, &this_host) {
            let removed = if entry.file_type()?.is_dir() {
                fs::remove_dir_all(entry.path())
            } else {
                fs::remove_file(entry.path())
            };
            match removed {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Whether the temporary `name` (`...-<host>-<pid>`, with `this_host` = `-<host>-`) belongs to
/// a process of this machine that no longer runs, so its write can never finish. Only where
/// `/proc` lists processes; elsewhere, never.
fn orphaned(name: &str, this_host: &str) -> bool {
    let Some((_, pid)) = name.rsplit_once(this_host) else {
        return false;
    };
    pid.parse::<u32>().is_ok_and(|pid| {
        let proc = Path::new("/proc");
        pid != std::process::id()
            && proc.join("self").exists()
            && !proc.join(pid.to_string()).exists()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = std::env::temp_dir().join(format!("descent-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.txt");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second");
        fs::write(dir.join(format!("{TEMP_PREFIX}a.txt-1")), b"torn").unwrap();
        remove_temp_files(&dir, STALE_TEMP_AGE).unwrap();
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            2,
            "a fresh temporary file is kept"
        );
        remove_temp_files(&dir, Duration::ZERO).unwrap();
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["a.txt"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_folder_appears_whole_and_replaces_an_unfinished_one() {
        let root = std::env::temp_dir().join(format!("descent-atomic-dir-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        let trial = root.join("t1");
        // What an interrupted attempt left: a torn file and a stray temporary.
        fs::create_dir(&trial).unwrap();
        fs::write(trial.join("metrics.csv"), "step,ep").unwrap();
        fs::write(trial.join(".tmp-result.json-x"), "{").unwrap();
        // And a staging folder of this very process (a reused pid after a kill).
        let (_, staging) = temp_sibling(&trial).unwrap();
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("junk"), "x").unwrap();
        let files: [(&str, &[u8]); 2] = [("metrics.csv", b"step\n1\n"), ("result.json", b"{}")];
        for durability in [Durability::Renamed, Durability::Synced] {
            write_dir_atomic(&trial, &files, durability).unwrap();
            let mut names: Vec<_> = fs::read_dir(&trial)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            assert_eq!(names, ["metrics.csv", "result.json"]);
            assert_eq!(
                fs::read_to_string(trial.join("metrics.csv")).unwrap(),
                "step\n1\n"
            );
            let left: Vec<_> = fs::read_dir(&root)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            assert_eq!(left, ["t1"], "no staging folder left behind");
        }
        // One of a process of this machine that is gone (no pid reaches 4e9) goes at once.
        let orphan = root.join(format!(
            "{TEMP_PREFIX}t3-{}-4000000000",
            crate::machine::hostname()
        ));
        fs::create_dir(&orphan).unwrap();
        remove_temp_files(&root, STALE_TEMP_AGE).unwrap();
        assert!(!orphan.exists() || !Path::new("/proc/self").exists());
        // A stale staging folder of another writer is swept; a fresh one is kept.
        let other = root.join(format!("{TEMP_PREFIX}t2-otherhost-1"));
        fs::create_dir(&other).unwrap();
        fs::write(other.join("trial.toml"), "x").unwrap();
        remove_temp_files(&root, STALE_TEMP_AGE).unwrap();
        assert!(other.exists());
        remove_temp_files(&root, Duration::ZERO).unwrap();
        assert!(!other.exists());
        assert!(trial.join("result.json").exists());
        fs::remove_dir_all(&root).unwrap();
    }
}
