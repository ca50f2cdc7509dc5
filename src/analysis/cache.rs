//! Fitted models cached in the user's cache directory (never beside the input), keyed by the
//! content that determines the fit, so a second run on the same data starts instantly.

use super::direction::FitOptions;
use super::{fit_model_with_progress, Model};
use crate::data::Dataset;
use crate::error::Result;
use crate::report::write_atomically;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use xxhash_rust::xxh3::Xxh3;

/// Bumped whenever the fit or the cache format changes, which invalidates old entries.
const FORMAT: &str = "faultline-model-v1";

/// `FAULTLINE_CACHE_DIR`, else the platform cache directory (`~/.cache/faultline` on Linux).
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FAULTLINE_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    dirs::cache_dir().map(|d| d.join("faultline"))
}

/// Hash of everything the fit reads: embeddings, labels, correctness, splits and options.
pub fn cache_key(dataset: &Dataset, options: &FitOptions) -> String {
    let mut h = Xxh3::new();
    h.update(FORMAT.as_bytes());
    h.update(&(dataset.dim() as u64).to_le_bytes());
    h.update(&(dataset.num_classes() as u64).to_le_bytes());
    for bytes in dataset.embeddings.byte_chunks() {
        h.update(bytes);
    }
    let labels: Vec<u8> = dataset
        .labels
        .iter()
        .flat_map(|l| l.map_or(u32::MAX, |v| v).to_le_bytes())
        .collect();
    h.update(&labels);
    let flags: Vec<u8> = dataset
        .correct
        .iter()
        .zip(&dataset.splits)
        .map(|(c, s)| (c.map_or(2, |v| v as u8)) | ((*s as u8) << 2))
        .collect();
    h.update(&flags);
    h.update(
        serde_json::to_string(options)
            .unwrap_or_default()
            .as_bytes(),
    );
    format!("{:032x}", h.digest128())
}

/// Where the cache stands for this run, for the report and `--verbose` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    Hit,
    Miss,
    Disabled,
}

/// The cached model when there is one, else a fresh fit that is then cached. A cache that
/// cannot be read or written is ignored: it only ever saves time.
pub fn fit_cached(
    dataset: &Dataset,
    options: &FitOptions,
    use_cache: bool,
) -> Result<(Model, CacheUse)> {
    fit_cached_with_progress(dataset, options, use_cache, &AtomicUsize::new(0))
}

/// Like [`fit_cached`], counting fitted classes in `done` (all at once on a cache hit).
pub fn fit_cached_with_progress(
    dataset: &Dataset,
    options: &FitOptions,
    use_cache: bool,
    done: &AtomicUsize,
) -> Result<(Model, CacheUse)> {
    let dir = cache_dir().filter(|_| use_cache);
    let Some(dir) = dir else {
        return Ok((
            fit_model_with_progress(dataset, options, done)?,
            CacheUse::Disabled,
        ));
    };
    let path = dir.join(format!("{}.json", cache_key(dataset, options)));
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok(model) = serde_json::from_slice::<Model>(&bytes) {
            if model.options == *options && model.classes.len() == dataset.num_classes() {
                done.store(model.classes.len(), Ordering::Relaxed);
                return Ok((model, CacheUse::Hit));
            }
        }
    }
    let model = fit_model_with_progress(dataset, options, done)?;
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = write_atomically(&path, |file| {
            let json = serde_json::to_vec(&model).map_err(std::io::Error::other)?;
            file.write_all(&json)
        });
    }
    Ok((model, CacheUse::Miss))
}
