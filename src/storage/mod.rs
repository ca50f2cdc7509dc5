//! Application storage: where faultline keeps what it writes for the user outside their data,
//! above the analysis core (which only computes). The fit cache (`fit_cache`), the explorer's
//! triage state and the demo's thumbnails live in the user's cache and state directories, never
//! beside an input; environment variables move them (tests point them at temporary folders).

pub(crate) mod fit_cache;

use std::path::PathBuf;

/// `FAULTLINE_CACHE_DIR` (an empty value counts as unset), else the platform cache directory
/// (`~/.cache/faultline` on Linux).
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FAULTLINE_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dirs::cache_dir().map(|d| d.join("faultline"))
}

/// `FAULTLINE_STATE_DIR`, else the platform state (or local data) directory
/// (`~/.local/state/faultline` on Linux).
pub fn state_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FAULTLINE_STATE_DIR") {
        return Some(PathBuf::from(dir));
    }
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("faultline"))
}

/// Where the explorer keeps a dataset's triage (marks and notes), by the dataset's key.
pub fn triage_file(key: &str) -> Option<PathBuf> {
    state_dir().map(|d| d.join("triage").join(format!("{key}.json")))
}

/// Where the demo's thumbnails for `seed` are drawn once and kept.
pub fn demo_thumbnails_dir(seed: u64) -> Option<PathBuf> {
    cache_dir().map(|d| d.join(format!("demo-thumbnails-{seed}")))
}
