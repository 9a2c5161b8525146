//! Atomic file writes: a reader (or a run resumed after a crash) sees either the old file or the
//! complete new one, never a torn write.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

/// Prefix of the temporary files [`write_atomic`] creates (and resume sweeps away).
pub const TEMP_PREFIX: &str = ".tmp-";

/// How far an atomic write goes to make its result durable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Temporary file + `rename` only. A reader, or a run resumed after the process was killed
    /// (SIGKILL, Ctrl-C, out of memory), sees the old file or the whole new one: the page cache
    /// outlives the process. After a power loss or kernel crash the latest files may be missing
    /// or empty; an unreadable `result.json` counts as unfinished, so such trials are redone.
    /// About 5x cheaper per trial than [`Durability::Synced`] (no journal commit per file).
    #[default]
    Renamed,
    /// Additionally `fsync` each file before its rename and each folder after, so that what
    /// was written also survives a power loss.
    Synced,
}

/// Writes `bytes` to `path` atomically and durably: a temporary file in the same folder,
/// `fsync`, then `rename` over `path` (atomic on POSIX file systems), then `fsync` of the folder
/// so the rename itself survives a power loss.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_files_atomic(&[(path, bytes)], Durability::Synced)
}

/// Writes each `(path, bytes)` atomically as [`write_atomic`] does, in order. With
/// [`Durability::Synced`], one folder `fsync` per distinct folder at the end instead of one per
/// file (renames in one folder reach the journal in order, so the last file's presence implies
/// the earlier ones').
pub fn write_files_atomic(files: &[(&Path, &[u8])], durability: Durability) -> io::Result<()> {
    let mut dirs: Vec<&Path> = Vec::new();
    for (path, bytes) in files {
        let dir = replace_file(path, bytes, durability)?;
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    if durability == Durability::Synced {
        for dir in dirs {
            File::open(dir)?.sync_all()?;
        }
    }
    Ok(())
}

/// Temporary file (+ fsync when synced) + rename; returns the folder.
fn replace_file<'p>(path: &'p Path, bytes: &[u8], durability: Durability) -> io::Result<&'p Path> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let temp = dir.join(format!(
        "{TEMP_PREFIX}{}-{}",
        file_name.to_string_lossy(),
        writer_tag()
    ));
    let result = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        if durability == Durability::Synced {
            file.sync_all()?;
        }
        drop(file);
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map(|()| dir)
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

/// Removes temporary files of interrupted writes in `dir` last modified at least `min_age` ago.
pub fn remove_temp_files(dir: &Path, min_age: Duration) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            continue;
        }
        let age = entry
            .metadata()?
            .modified()?
            .elapsed()
            .unwrap_or(Duration::ZERO);
        if age >= min_age {
            match fs::remove_file(entry.path()) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    Ok(())
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
}
