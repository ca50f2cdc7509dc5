//! Errors that reach the user. Input problems carry the file, the column and the first bad row so
//! the message alone is enough to fix the file; they exit with code 2.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in an input file a problem was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub file: PathBuf,
    pub column: Option<String>,
    /// Zero-based row over the whole dataset (all shards, in read order).
    pub row: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(column) = &self.column {
            write!(f, ", column '{column}'")?;
        }
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user's input is wrong: a file, a column, a value, an option.
    #[error("{location}: {message}")]
    Input { location: Location, message: String },
    /// A flag or argument that cannot be honoured (unknown class, bad K, ...).
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a file failed at the OS level.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Standard output could not take the result (a full disk, a closed device); a broken
    /// pipe is not one of these, since the reader chose to stop.
    #[error("writing to standard output: {0}")]
    Stdout(#[source] std::io::Error),
    /// A failure inside faultline itself; never caused by input.
    #[error("internal error: {0}")]
    Internal(String),
    /// The result was delivered, and a gate the user asked for (`--fail-on`, `--fail-on-gap`)
    /// failed: what CI should stop on.
    #[error("gate failed: {0}")]
    Gate(String),
}

impl Error {
    pub fn input(file: &Path, message: impl Into<String>) -> Self {
        Error::Input {
            location: Location {
                file: file.to_path_buf(),
                column: None,
                row: None,
            },
            message: message.into(),
        }
    }

    pub fn column(file: &Path, column: &str, message: impl Into<String>) -> Self {
        Error::Input {
            location: Location {
                file: file.to_path_buf(),
                column: Some(column.to_string()),
                row: None,
            },
            message: message.into(),
        }
    }

    pub fn cell(file: &Path, column: &str, row: usize, message: impl Into<String>) -> Self {
        Error::Input {
            location: Location {
                file: file.to_path_buf(),
                column: Some(column.to_string()),
                row: Some(row),
            },
            message: message.into(),
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    /// The process exit code: 1 for a failed gate, 2 for anything the user can fix in the input
    /// or the command, 3 for a result that could not be delivered and for faultline's own
    /// failures. CI can tell "the model got worse" (1) from "the job is broken" (2, 3).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Gate(_) => 1,
            Error::Input { .. } | Error::Usage(_) | Error::Io { .. } => 2,
            Error::Stdout(_) | Error::Internal(_) => 3,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
