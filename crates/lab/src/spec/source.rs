//! The text of a spec and where it came from, for turning byte offsets into line:column.

use std::path::{Path, PathBuf};

/// A spec's text with the name it is reported under and the folder its relative paths start at.
#[derive(Clone, Debug)]
pub struct SpecSource {
    /// How errors name the file, e.g. `experiments/xor.toml` or `<built-in quickstart>`.
    pub name: String,
    /// Relative data paths in the spec are resolved against this folder.
    pub base_dir: PathBuf,
    /// The TOML text.
    pub text: String,
    /// Check that data files exist (off when re-reading a stored spec for a report, possibly
    /// on a machine without the data).
    pub check_data_files: bool,
}

impl SpecSource {
    /// Reads `path`; relative paths inside resolve against the file's folder.
    pub fn from_file(path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Self {
            name: path.display().to_string(),
            base_dir,
            text,
            check_data_files: true,
        })
    }

    /// A spec held in memory (e.g. the built-in quickstart), resolving paths against `base_dir`.
    pub fn from_text(name: &str, base_dir: &Path, text: &str) -> Self {
        Self {
            name: name.to_string(),
            base_dir: base_dir.to_path_buf(),
            text: text.to_string(),
            check_data_files: true,
        }
    }

    /// The same spec, read without checking that its data files exist.
    pub fn without_data_check(self) -> Self {
        Self {
            check_data_files: false,
            ..self
        }
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    /// The full text of 1-based line `line` (without its newline).
    pub fn line_text(&self, line: usize) -> &str {
        self.text.lines().nth(line - 1).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let s = SpecSource::from_text("t", Path::new("."), "a = 1\nnäme = 2\n");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(4), (1, 5));
        assert_eq!(s.line_col(6), (2, 1));
        // 'ä' is two bytes but one column.
        assert_eq!(s.line_col(6 + "näme ".len()), (2, 6));
        assert_eq!(s.line_text(2), "näme = 2");
    }
}
