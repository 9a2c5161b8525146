//! The one error type of descent-data: every message names the file and exactly what is wrong.

use std::fmt;
use std::path::PathBuf;

/// Why a data set could not be loaded.
#[derive(Debug)]
pub enum DataError {
    /// The file could not be opened or read.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file was read but its content is not what the format requires (IDX header, sizes,
    /// gzip stream, label range, train/test shape mismatch, ...).
    Format { path: PathBuf, message: String },
    /// A CSV problem at a 1-based `line` and, when it concerns one field, a 1-based `column`.
    Csv {
        path: PathBuf,
        line: u64,
        column: Option<usize>,
        message: String,
    },
}

impl DataError {
    pub(crate) fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        DataError::Format {
            path: path.into(),
            message: message.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            DataError::Format { path, message } => write!(f, "{}: {message}", path.display()),
            DataError::Csv {
                path,
                line,
                column: Some(column),
                message,
            } => {
                write!(f, "{}:{line}:{column}: {message}", path.display())
            }
            DataError::Csv {
                path,
                line,
                column: None,
                message,
            } => {
                write!(f, "{}:{line}: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
