//! Which files make up a dataset: one file, or the Parquet files below a folder.

use crate::error::{Error, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The files that make up a dataset: the file itself, or every Parquet file below a directory
/// in path order (hidden files and `_SUCCESS`-style markers skipped, as Spark and Hive write them;
/// `key=value` folders add partition columns, see `partition`).
pub(crate) fn input_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut visited = HashSet::new();
    collect_parquet(path, &mut files, &mut visited)?;
    files.sort();
    if files.is_empty() {
        return Err(Error::input(path, "the directory holds no .parquet files"));
    }
    Ok(files)
}

fn collect_parquet(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    visited: &mut HashSet<PathBuf>,
) -> Result<()> {
    // Canonical paths guard against symlink loops.
    let canonical = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
    if !visited.insert(canonical) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            collect_parquet(&path, out, visited)?;
        } else if name.ends_with(".parquet") || name.ends_with(".pq") {
            out.push(path);
        }
    }
    Ok(())
}
