//! Fitted models cached in the user's cache directory (never beside the input), keyed by the
//! content that determines the fit, so a second run on the same data starts instantly.
//!
//! An entry is a header line, `FORMAT CHECKSUM`, then the model as JSON; the checksum (XXH3-128
//! of the JSON) is checked on every read, so an entry edited or damaged on disk is refitted and
//! rewritten, never trusted because it still parses.

use super::cache_dir;
use crate::analysis::direction::FitOptions;
use crate::analysis::{fit_model_with_progress, Model};
use crate::data::Dataset;
use crate::error::Result;
use crate::files::write_atomically;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use xxhash_rust::xxh3::Xxh3;

/// Bumped whenever the fit or the cache format changes, which invalidates old entries.
const FORMAT: &str = "faultline-model-v4";

fn checksum(payload: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(payload))
}

/// An entry's bytes: the header line, then the payload.
fn seal(payload: &[u8]) -> Vec<u8> {
    let mut entry = format!("{FORMAT} {}\n", checksum(payload)).into_bytes();
    entry.extend_from_slice(payload);
    entry
}

/// The payload of an entry written by this version and unchanged since; None otherwise.
fn unseal(entry: &[u8]) -> Option<&[u8]> {
    let newline = entry.iter().position(|&b| b == b'\n')?;
    let header = std::str::from_utf8(&entry[..newline]).ok()?;
    let payload = &entry[newline + 1..];
    let (format, sum) = header.split_once(' ')?;
    (format == FORMAT && sum == checksum(payload)).then_some(payload)
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
    // Only a regular file is read (a FIFO put there would hang the read) or replaced.
    let entry = crate::files::read(&path);
    if let Some(payload) = entry.as_deref().ok().and_then(|e| unseal(e)) {
        if let Ok(model) = serde_json::from_slice::<Model>(payload) {
            if model.options == *options && model.classes.len() == dataset.num_classes() {
                done.store(model.classes.len(), Ordering::Relaxed);
                return Ok((model, CacheUse::Hit));
            }
        }
    }
    let model = fit_model_with_progress(dataset, options, done)?;
    let replaceable = std::fs::symlink_metadata(&path).map_or(true, |m| m.is_file());
    if replaceable && std::fs::create_dir_all(&dir).is_ok() {
        let _ = write_atomically(&path, |file| {
            let json = serde_json::to_vec(&model).map_err(std::io::Error::other)?;
            file.write_all(&seal(&json))
        });
    }
    Ok((model, CacheUse::Miss))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_changed_in_any_byte_is_refused() {
        let payload = br#"{"weights":[0.25,-1.5]}"#;
        let entry = seal(payload);
        assert_eq!(unseal(&entry), Some(&payload[..]));
        for i in 0..entry.len() {
            let mut edited = entry.clone();
            edited[i] ^= 0x01;
            assert_eq!(unseal(&edited), None, "byte {i} edited");
        }
        assert_eq!(unseal(payload), None, "an entry without the header");
        let old = [
            b"faultline-model-v1 ".as_slice(),
            &entry[FORMAT.len() + 1..],
        ]
        .concat();
        assert_eq!(unseal(&old), None, "another format version");
    }
}
