//! Datasets whose embeddings are NumPy files: `--embeddings EMB.npy` beside a metadata table,
//! and clip-retrieval's output folder (`img_emb/img_emb_N.npy` with `metadata/metadata_N.parquet`).

use super::Parts;
use crate::data::npy::read_embeddings;
use crate::data::{Embeddings, Ids};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// clip-retrieval's layout under `path`: its metadata tables and its embedding files, each in
/// the order of their number (`_2` before `_10`), paired one to one. None when `path` is not such
/// a folder.
pub(super) fn clip_retrieval_folder(path: &Path) -> Result<Option<(Vec<PathBuf>, Vec<PathBuf>)>> {
    let (emb_dir, meta_dir) = (path.join("img_emb"), path.join("metadata"));
    if !path.is_dir() || !emb_dir.is_dir() || !meta_dir.is_dir() {
        return Ok(None);
    }
    let numbered = |dir: &Path, prefix: &str, extension: &str| -> Result<Vec<(u64, PathBuf)>> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let number = name
                .strip_prefix(prefix)
                .and_then(|n| n.strip_suffix(extension))
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(number) = number {
                found.push((number, entry.path()));
            }
        }
        found.sort();
        Ok(found)
    };
    let embeddings = numbered(&emb_dir, "img_emb_", ".npy")?;
    let tables = numbered(&meta_dir, "metadata_", ".parquet")?;
    if embeddings.is_empty() {
        return Err(Error::input(&emb_dir, "holds no img_emb_N.npy files"));
    }
    let numbers = |v: &[(u64, PathBuf)]| v.iter().map(|(n, _)| *n).collect::<Vec<_>>();
    if numbers(&embeddings) != numbers(&tables) {
        return Err(Error::input(
            path,
            format!(
                "img_emb/ has parts {:?} and metadata/ has parts {:?}: clip-retrieval writes them in pairs, matched by number",
                numbers(&embeddings),
                numbers(&tables)
            ),
        ));
    }
    Ok(Some((
        tables.into_iter().map(|(_, p)| p).collect(),
        embeddings.into_iter().map(|(_, p)| p).collect(),
    )))
}

/// The embeddings of the rows in `parts`, read from `files` (in row order), matched by position,
/// or by id when one file has an ids file beside it.
pub(super) fn embeddings_for(data: &Path, files: &[PathBuf], parts: &Parts) -> Result<Embeddings> {
    let rows = parts.labels.len();
    let mut loaded = Vec::with_capacity(files.len());
    let mut carried_ids = None;
    for file in files {
        let read = read_embeddings(file)?;
        if files.len() == 1 {
            carried_ids = read.ids;
        }
        loaded.push((file, read.embeddings));
    }
    let dim = loaded[0].1.dim();
    if let Some((file, e)) = loaded.iter().find(|(_, e)| e.dim() != dim) {
        return Err(Error::input(
            file,
            format!(
                "has {} dimensions but {} has {dim}",
                e.dim(),
                loaded[0].0.display()
            ),
        ));
    }
    if let Some((ids_source, ids)) = carried_ids {
        let (file, embeddings) = loaded.pop().expect("one file");
        return by_id(data, file, &ids_source, ids, embeddings, &parts.ids);
    }
    // clip-retrieval's parts pair one table with one embedding file: each pair must agree, or
    // rows would shift silently between parts whose totals happen to match.
    if files.len() > 1 && files.len() == parts.table_rows.len() {
        for ((table, table_rows), (file, e)) in parts.table_rows.iter().zip(&loaded) {
            if *table_rows != e.len() {
                return Err(Error::input(
                    file,
                    format!(
                        "has {} rows but its metadata {} has {table_rows}: each part's embeddings and metadata must have the same rows",
                        e.len(),
                        table.display()
                    ),
                ));
            }
        }
    }
    let total: usize = loaded.iter().map(|(_, e)| e.len()).sum();
    if total != rows {
        let (what, hint) = match files {
            [file] => (
                format!("{} has {total} rows", file.display()),
                format!(
                    " (or put the embeddings' ids in {} to match them by the data's id column)",
                    file.with_extension("ids.npy").display()
                ),
            ),
            _ => (
                format!("the embedding files have {total} rows"),
                String::new(),
            ),
        };
        return Err(Error::input(
            data,
            format!(
                "has {rows} rows and {what}: rows are matched by position, so the counts must agree{hint}"
            ),
        ));
    }
    let chunks = loaded
        .into_iter()
        .flat_map(|(_, e)| e.into_chunks())
        .collect();
    Ok(Embeddings::from_chunks(dim, chunks))
}

/// Each data row's embedding, found by its id among the ids of the embeddings.
fn by_id(
    data: &Path,
    file: &Path,
    ids_source: &str,
    ids: Ids,
    embeddings: Embeddings,
    data_ids: &Ids,
) -> Result<Embeddings> {
    if ids.count() != Some(embeddings.len()) {
        return Err(Error::input(
            file,
            format!(
                "has {} rows but {ids_source} gives {} ids",
                embeddings.len(),
                ids.count().unwrap_or(0),
            ),
        ));
    }
    let Some(rows) = data_ids.count() else {
        return Err(Error::input(
            data,
            format!(
                "has no id column, but {ids_source} gives the embeddings' ids: add the ids (or remove them to match rows by position)"
            ),
        ));
    };
    let mut at: HashMap<String, usize> = HashMap::with_capacity(embeddings.len());
    for i in 0..embeddings.len() {
        let id = ids.get(i).to_string();
        if let Some(first) = at.insert(id.clone(), i) {
            return Err(Error::input(
                file,
                format!(
                    "{ids_source}: id {} appears twice (rows {first} and {i})",
                    crate::text::visible(&id)
                ),
            ));
        }
    }
    let mut order = Vec::with_capacity(rows);
    let mut missing = Vec::new();
    for row in 0..rows {
        match at.get(&data_ids.get(row).to_string()) {
            Some(&i) => order.push(i),
            None => missing.push(row),
        }
    }
    if let Some(&first) = missing.first() {
        return Err(Error::input(
            data,
            format!(
                "{} of its ids have no embedding in {ids_source} (first: id {} on row {first})",
                missing.len(),
                crate::text::visible(&data_ids.get(first).to_string())
            ),
        ));
    }
    // The same rows in the same order: the embeddings are used as they are.
    if order.len() == embeddings.len() && order.iter().enumerate().all(|(r, &i)| r == i) {
        return Ok(embeddings);
    }
    let dim = embeddings.dim();
    let mut values = Vec::with_capacity(rows * dim);
    for &i in &order {
        values.extend_from_slice(embeddings.row(i));
    }
    Ok(Embeddings::new(dim, values.into()))
}
