//! `faultline demo --write DIR`: the demo as files a user can open with any Parquet reader.

use super::{render_thumbnail, Demo};
use crate::data::write::{write_caption_bank, write_dataset};
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::path::Path;

pub const DATASET_FILE: &str = "demo.parquet";
pub const CAPTIONS_FILE: &str = "captions.parquet";

/// Writes the thumbnails under `dir` (skipping ones already there) and points the dataset's
/// image paths at them, for the explorer on the in-memory demo.
pub fn materialise_thumbnails(demo: &mut Demo, dir: &Path) -> Result<()> {
    write_thumbnails(demo, dir, true)?;
    if let Some(images) = demo.dataset.images.as_mut() {
        for path in images.iter_mut().flatten() {
            *path = dir.join(&*path);
        }
    }
    Ok(())
}

fn write_thumbnails(demo: &Demo, dir: &Path, skip_existing: bool) -> Result<()> {
    let images = demo.dataset.images.as_ref().expect("the demo has images");
    images
        .par_iter()
        .enumerate()
        .filter_map(|(row, path)| path.as_ref().map(|p| (row, p)))
        .try_for_each(|(row, relative)| {
            let path = dir.join(relative);
            if skip_existing && path.exists() {
                return Ok(());
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            let (class, colour, context) = demo.truth[row];
            render_thumbnail(class as usize, colour, context)
                .save(&path)
                .map_err(|e| Error::io(&path, std::io::Error::other(e)))
        })
}

/// Writes `DIR/demo.parquet`, `DIR/captions.parquet` and `DIR/images/{split}/{row}.png`.
pub fn write_demo(demo: &Demo, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let dataset = &demo.dataset;
    write_thumbnails(demo, dir, false)?;
    write_dataset(dataset, &dir.join(DATASET_FILE))?;
    write_caption_bank(
        &demo.captions,
        &dataset.class_names,
        &dir.join(CAPTIONS_FILE),
    )
}
