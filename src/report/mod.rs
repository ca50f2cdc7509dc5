//! Turning findings into text and files: the JSON schema, tables, Markdown, and exports. Every
//! file is written to a temporary sibling and renamed, so a reader sees the old file or the new
//! one, never half of one.

pub mod export;
pub mod json;
pub mod markdown;
pub mod table;

use crate::error::{Error, Result};
use std::io::{BufWriter, Write};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Markdown,
}

/// The folder `path` will be written in; an error naming `path` when it does not exist.
pub fn output_folder(path: &Path) -> Result<&Path> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the output folder does not exist",
            ),
        ));
    }
    Ok(parent)
}

/// Writes `path` through a temporary file in the same folder, renamed into place on success.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut std::fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    let parent = output_folder(path)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".faultline-")
        .suffix(".partial")
        .tempfile_in(parent)
        .map_err(|e| Error::io(path, e))?;
    {
        let mut writer = BufWriter::new(temp.as_file_mut());
        write(&mut writer).map_err(|e| Error::io(path, e))?;
        writer.flush().map_err(|e| Error::io(path, e))?;
    }
    temp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    temp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Formats an optional ratio as a fixed-width number or a dash.
pub(crate) fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"))
}

/// C in compact scientific form: 1e-3, 1.
pub(crate) fn c_value(c: f64) -> String {
    if c >= 1.0 {
        format!("{c}")
    } else {
        format!("{c:e}")
    }
}
