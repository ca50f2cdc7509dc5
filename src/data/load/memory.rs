//! The memory probe: fail before reading gigabytes that cannot fit.

use crate::error::{Error, Result};
use std::path::Path;

/// Memory the process may still use: `FAULTLINE_MEMORY_LIMIT` (bytes) when set, else the
/// kernel's MemAvailable; None when neither is known.
pub fn available_memory() -> Option<u64> {
    if let Some(limit) = std::env::var("FAULTLINE_MEMORY_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return Some(limit);
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Fails before reading gigabytes when the embeddings cannot fit, instead of meeting the OOM
/// killer halfway: the message says how much is needed and what to do.
pub(super) fn check_memory(path: &Path, rows: usize, dim: usize) -> Result<()> {
    let needed = rows as u64 * dim as u64 * 4;
    let Some(available) = available_memory() else {
        return Ok(());
    };
    if needed <= available {
        return Ok(());
    }
    let gb = |b: u64| b as f64 / 1e9;
    Err(Error::input(
        path,
        format!(
            "the embeddings ({rows} rows x {dim} dims) need {:.1} GB of memory and {:.1} GB are \
             available; convert the data to an uncompressed Arrow IPC file, which faultline \
             memory-maps instead of reading into memory (pyarrow.feather.write_feather(table, \
             \"data.arrow\", compression=\"uncompressed\")), or use a machine with more memory",
            gb(needed),
            gb(available)
        ),
    ))
}
