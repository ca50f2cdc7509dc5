//! Hugging Face `datasets` folders, as `save_to_disk` writes them: a `Dataset` (`state.json`
//! listing its Arrow stream shards, `dataset_info.json` describing its features) or a
//! `DatasetDict` (`dataset_dict.json` naming its splits, a `Dataset` folder for each).
//!
//! The shards are read as any Arrow IPC stream. Class names come from the label column's
//! `ClassLabel` feature; a `DatasetDict`'s split names (`train`, `validation`, `test`) become
//! the split column of their rows, unless the rows carry one.

use crate::data::partition::Partitions;
use crate::error::{Error, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A Hugging Face folder's shards, in order, the split each came from (a `DatasetDict`'s),
/// and the label's class names (a JSON array, as the `class_names` metadata holds them).
pub(super) struct HfLayout {
    pub tables: Vec<PathBuf>,
    pub partitions: Partitions,
    pub class_names: Option<String>,
}

fn read_json(path: &Path) -> Result<Value> {
    let text = crate::files::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::input(path, format!("not readable JSON: {e}")))
}

/// The shards `state.json` lists, in order.
fn shards(folder: &Path) -> Result<Vec<PathBuf>> {
    let state_path = folder.join("state.json");
    let state = read_json(&state_path)?;
    let files = state["_data_files"].as_array().ok_or_else(|| {
        Error::input(
            &state_path,
            "has no '_data_files' list: not a datasets save_to_disk folder",
        )
    })?;
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let name = file["filename"]
            .as_str()
            .ok_or_else(|| Error::input(&state_path, "a '_data_files' entry has no 'filename'"))?;
        // Shards are named relative to the folder; nothing outside it is read.
        let relative = Path::new(name);
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(Error::input(
                &state_path,
                format!(
                    "shard '{}' is not a file of this folder",
                    crate::text::visible(name)
                ),
            ));
        }
        out.push(folder.join(relative));
    }
    if out.is_empty() {
        return Err(Error::input(&state_path, "lists no shards"));
    }
    Ok(out)
}

/// The `ClassLabel` names of `column` in a folder's `dataset_info.json`, if it says.
fn class_label_names(folder: &Path, column: &str) -> Result<Option<Vec<String>>> {
    let info_path = folder.join("dataset_info.json");
    if !info_path.is_file() {
        return Ok(None);
    }
    let info = read_json(&info_path)?;
    let feature = &info["features"][column];
    if feature["_type"] != "ClassLabel" {
        return Ok(None);
    }
    let names = feature["names"].as_array().ok_or_else(|| {
        Error::input(
            &info_path,
            format!(
                "the ClassLabel feature '{}' has no names",
                crate::text::visible(column)
            ),
        )
    })?;
    names
        .iter()
        .map(|n| {
            n.as_str()
                .map(str::to_string)
                .ok_or_else(|| Error::input(&info_path, "a ClassLabel name is not a string"))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// The layout of a Hugging Face folder at `path`, or None when it is not one.
pub(super) fn hf_folder(
    path: &Path,
    label_column: &str,
    split_column: &str,
) -> Result<Option<HfLayout>> {
    if !path.is_dir() {
        return Ok(None);
    }
    let dict_path = path.join("dataset_dict.json");
    let (folders, split_of): (Vec<PathBuf>, Vec<Option<String>>) = if dict_path.is_file() {
        let dict = read_json(&dict_path)?;
        let splits = dict["splits"]
            .as_array()
            .ok_or_else(|| Error::input(&dict_path, "has no 'splits' list"))?;
        let mut folders = Vec::new();
        let mut names = Vec::new();
        for split in splits {
            let name = split
                .as_str()
                .filter(|n| !n.is_empty() && !n.contains(['/', '\\']) && *n != ".." && *n != ".")
                .ok_or_else(|| Error::input(&dict_path, "a split name is not a folder name"))?;
            folders.push(path.join(name));
            names.push(Some(name.to_string()));
        }
        (folders, names)
    } else if path.join("state.json").is_file() {
        (vec![path.to_path_buf()], vec![None])
    } else {
        return Ok(None);
    };
    let mut tables = Vec::new();
    let mut values = Vec::new();
    let mut class_names: Option<(PathBuf, Vec<String>)> = None;
    for (folder, split) in folders.iter().zip(&split_of) {
        let files = shards(folder)?;
        if let Some(names) = class_label_names(folder, label_column)? {
            match &class_names {
                Some((first, first_names)) if *first_names != names => {
                    return Err(Error::input(
                        &folder.join("dataset_info.json"),
                        format!(
                            "its ClassLabel names differ from those of {}",
                            first.display()
                        ),
                    ))
                }
                Some(_) => {}
                None => class_names = Some((folder.clone(), names)),
            }
        }
        for file in files {
            let pairs = split
                .iter()
                .map(|s| (split_column.to_string(), Some(s.clone())))
                .collect();
            values.push((file.clone(), pairs));
            tables.push(file);
        }
    }
    Ok(Some(HfLayout {
        tables,
        partitions: Partitions::from_values(values.into_iter()),
        class_names: class_names
            .map(|(_, names)| serde_json::to_string(&names).expect("strings serialise")),
    }))
}
