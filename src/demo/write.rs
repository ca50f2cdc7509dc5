//! `faultline demo --write DIR`: the demo as files a user can open with any Parquet reader.

use super::{render_thumbnail, Demo};
use crate::data::write::{write_caption_bank, write_dataset_with, ExtraModel};
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::path::Path;

pub const DATASET_FILE: &str = "demo.parquet";
pub const CAPTIONS_FILE: &str = "captions.parquet";
/// The retrained model's columns in the demo's dataset (`faultline diff --before prediction
/// --after prediction_after`).
pub const AFTER_PREDICTION: &str = "prediction_after";
pub const AFTER_CONFIDENCE: &str = "confidence_after";

/// Writes the thumbnails under `dir` unless it exists (it only ever appears whole) and points
/// the dataset's image paths at them, for the explorer on the in-memory demo.
pub fn materialise_thumbnails(demo: &mut Demo, dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let written = crate::files::write_folder(dir, |temp| write_thumbnails(demo, temp));
        // Another explorer may have put the same thumbnails in place first.
        if written.is_err() && !dir.is_dir() {
            return written;
        }
    }
    if let Some(images) = demo.dataset.images.as_mut() {
        for path in images.iter_mut().flatten() {
            *path = dir.join(&*path);
        }
    }
    Ok(())
}

fn write_thumbnails(demo: &Demo, dir: &Path) -> Result<()> {
    let images = demo.dataset.images.as_ref().expect("the demo has images");
    images
        .par_iter()
        .enumerate()
        .filter_map(|(row, path)| path.as_ref().map(|p| (row, p)))
        .try_for_each(|(row, relative)| {
            let path = dir.join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            render_thumbnail(&demo.truth[row])
                .save(&path)
                .map_err(|e| Error::io(&path, std::io::Error::other(e)))
        })
}

/// Writes `DIR/demo.parquet` (with the retrained model's columns), `DIR/captions.parquet` and `DIR/images/{split}/{row}.png`, all
/// or nothing: into a temporary folder beside DIR, renamed into place when complete. DIR must
/// not exist yet or be empty, so no file of the user's is ever replaced.
pub fn write_demo(demo: &Demo, dir: &Path) -> Result<()> {
    let non_empty = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if non_empty {
        return Err(Error::usage(format!(
            "{}: the folder exists and is not empty; write the demo to a new or empty folder",
            dir.display()
        )));
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    crate::files::write_folder(dir, |temp| {
        let dataset = &demo.dataset;
        write_thumbnails(demo, temp)?;
        let after = ExtraModel {
            outcomes: &demo.after,
            prediction_column: AFTER_PREDICTION,
            confidence_column: AFTER_CONFIDENCE,
        };
        write_dataset_with(dataset, &[after], &temp.join(DATASET_FILE))?;
        write_caption_bank(
            &demo.captions,
            &dataset.class_names,
            &temp.join(CAPTIONS_FILE),
        )
    })
}
