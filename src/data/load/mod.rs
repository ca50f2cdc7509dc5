//! Reading a dataset from Parquet, Arrow IPC or a directory of Parquet shards, one job per
//! module: `discover` (which files), `source` (each file opened once: format, footer or mapping,
//! batches), `mapped` (Arrow IPC files read in place), `memory` (the probe before reading),
//! `accumulate` (columns into typed vectors, file by file) and `resolve` (the checks across the
//! whole dataset: classes, ids, splits).

mod accumulate;
mod discover;
mod hf;
mod mapped;
mod memory;
mod numpy;
mod resolve;
mod source;

pub(crate) use discover::input_files;
pub use memory::available_memory;
pub(crate) use source::BatchSource;

use super::partition::Partitions;
use super::{Dataset, Embeddings, Ids, Split, SplitSource};
use crate::error::{Error, Result};
use crate::panic_guard::guard;
use accumulate::Accumulator;
use arrow::datatypes::SchemaRef;
use resolve::check_unique;
use std::path::{Path, PathBuf};

/// Column names in the input; each can be renamed by a flag.
#[derive(Debug, Clone)]
pub struct ColumnNames {
    pub embedding: String,
    pub label: String,
    pub prediction: String,
    pub correct: String,
    pub split: String,
    pub confidence: String,
    pub image: String,
    pub id: String,
}

/// Class names from a file, one per line (blank lines skipped); names must be unique.
pub fn read_class_names(path: &Path) -> Result<Vec<String>> {
    let text = crate::files::read_to_string(path).map_err(|e| Error::io(path, e))?;
    // Editors on Windows start UTF-8 files with a byte order mark; it is not part of a name.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let names: Vec<String> = text
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if names.is_empty() {
        return Err(Error::input(path, "the class names file is empty"));
    }
    check_unique(path, &names)?;
    Ok(names)
}

impl Default for ColumnNames {
    fn default() -> Self {
        ColumnNames {
            embedding: "embedding".into(),
            label: "label".into(),
            prediction: "prediction".into(),
            correct: "correct".into(),
            split: "split".into(),
            confidence: "confidence".into(),
            image: "image".into(),
            id: "id".into(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub columns: ColumnNames,
    /// One class name per line; overrides names found in the data.
    pub classes_file: Option<PathBuf>,
    /// Seed of the val/test split made when the data has no split column.
    pub split_seed: u64,
    /// Embeddings from a NumPy .npy (rows x dim) instead of the data's embedding column; the
    /// data is then the metadata (labels, predictions, ...), matched by row order, or by id
    /// when an ids file (`EMB.ids.npy`) sits beside it.
    pub embeddings_file: Option<PathBuf>,
}

/// What a dataset says about a model's outcomes on its rows, without the embeddings (a second
/// model's predictions on the same examples, for `faultline diff`).
#[derive(Debug, Clone)]
pub struct Outcomes {
    pub source: PathBuf,
    pub labels: Vec<Option<u32>>,
    pub predictions: Option<Vec<Option<u32>>>,
    pub correct: Vec<Option<bool>>,
    /// From the data's split column; None when it has none.
    pub splits: Option<Vec<Split>>,
    pub confidence: Option<Vec<f32>>,
    pub ids: Ids,
    pub class_names: Vec<String>,
}

/// The metadata key (schema or file key-value) holding a JSON array of class names.
pub const CLASS_NAMES_KEY: &str = "class_names";

pub fn load_dataset(path: &Path, options: &LoadOptions) -> Result<Dataset> {
    let layout = Layout::of(path, options)?;
    let parts = accumulate(path, &layout, options, layout.npy.is_empty())?;
    let embeddings = match parts.embeddings {
        Some(embeddings) => embeddings,
        None => numpy::embeddings_for(path, &layout.npy, &parts)?,
    };
    Ok(Dataset {
        source: path.to_path_buf(),
        embeddings,
        labels: parts.labels,
        predictions: parts.predictions,
        correct: parts.correct,
        splits: parts.splits,
        split_source: parts.split_source,
        confidence: parts.confidence,
        images: parts.images,
        ids: parts.ids,
        class_names: parts.class_names,
        row_index: Default::default(),
    })
}

/// The labels, predictions, correctness, splits, confidences and ids of a dataset, validated
/// as `load_dataset` validates them, without reading its embeddings.
pub fn load_outcomes(path: &Path, options: &LoadOptions) -> Result<Outcomes> {
    let layout = Layout::of(path, options)?;
    let parts = accumulate(path, &layout, options, false)?;
    let from_column = matches!(parts.split_source, SplitSource::Column { .. });
    Ok(Outcomes {
        source: path.to_path_buf(),
        labels: parts.labels,
        predictions: parts.predictions,
        correct: parts.correct,
        splits: from_column.then_some(parts.splits),
        confidence: parts.confidence,
        ids: parts.ids,
        class_names: parts.class_names,
    })
}

/// Whether the dataset at `path` (its first file) has the column `name`.
pub fn has_column(path: &Path, name: &str) -> Result<bool> {
    let files = input_files(path)?;
    let Some(first) = files.first() else {
        return Ok(false);
    };
    let partitions = Partitions::discover(path, &files);
    guard(first, || {
        let reader = BatchSource::open(first)?;
        let wanted = [name.to_string()];
        Ok(partitions
            .schema(first, reader.schema(), &wanted)
            .index_of(name)
            .is_ok())
    })
}

/// Everything a dataset's files hold, validated; the embeddings only when `with_embeddings`.
pub(super) struct Parts {
    pub(super) embeddings: Option<Embeddings>,
    pub(super) labels: Vec<Option<u32>>,
    pub(super) predictions: Option<Vec<Option<u32>>>,
    pub(super) correct: Vec<Option<bool>>,
    pub(super) splits: Vec<Split>,
    pub(super) split_source: SplitSource,
    pub(super) confidence: Option<Vec<f32>>,
    pub(super) images: Option<Vec<Option<PathBuf>>>,
    pub(super) ids: Ids,
    pub(super) class_names: Vec<String>,
    /// Each table and the rows it held, in reading order (to pair tables with embedding files).
    pub(super) table_rows: Vec<(PathBuf, usize)>,
}

/// Files held open at once. A dataset of more shards (a Spark output) has its footers read in a
/// first pass for the memory probe, then each file is opened again for its read; up to this
/// many, every file is opened once and its footer parsed once.
const MAX_OPEN_FILES: usize = 256;

/// Where a dataset's tables and embeddings are.
struct Layout {
    /// The tables (Parquet, Arrow IPC, CSV) with labels and predictions, in row order.
    tables: Vec<PathBuf>,
    /// NumPy files holding the embeddings, in row order; empty when the tables hold them.
    npy: Vec<PathBuf>,
    /// Columns given by the folders: Hive's `key=value` folders, a Hugging Face split.
    partitions: Partitions,
    /// Class names from beside the tables (a Hugging Face ClassLabel), as a JSON array; the
    /// tables' own `class_names` metadata wins.
    class_names: Option<String>,
}

impl Layout {
    fn of(path: &Path, options: &LoadOptions) -> Result<Layout> {
        let tables_only = |tables: Vec<PathBuf>, npy: Vec<PathBuf>| Layout {
            partitions: Partitions::discover(path, &tables),
            tables,
            npy,
            class_names: None,
        };
        if let Some(npy) = &options.embeddings_file {
            return Ok(tables_only(input_files(path)?, vec![npy.clone()]));
        }
        if let Some((tables, npy)) = numpy::clip_retrieval_folder(path)? {
            return Ok(tables_only(tables, npy));
        }
        let columns = &options.columns;
        if let Some(hf) = hf::hf_folder(path, &columns.label, &columns.split)? {
            return Ok(Layout {
                tables: hf.tables,
                npy: Vec::new(),
                partitions: hf.partitions,
                class_names: hf.class_names,
            });
        }
        Ok(tables_only(input_files(path)?, Vec::new()))
    }
}

fn accumulate(
    path: &Path,
    layout: &Layout,
    options: &LoadOptions,
    with_embeddings: bool,
) -> Result<Parts> {
    let files = &layout.tables;
    let partitions = &layout.partitions;
    // The rows the files decode into memory come from their footers, so the memory probe runs
    // before any embedding is read.
    let (mut opened, in_memory_rows): (Vec<Option<BatchSource>>, usize) =
        if files.len() <= MAX_OPEN_FILES {
            let sources = files
                .iter()
                .map(|f| guard(f, || BatchSource::open(f)))
                .collect::<Result<Vec<_>>>()?;
            let rows = sources.iter().map(BatchSource::rows_in_memory).sum();
            (sources.into_iter().map(Some).collect(), rows)
        } else {
            let rows = files
                .iter()
                .map(|f| guard(f, || Ok(BatchSource::open(f)?.rows_in_memory())))
                .sum::<Result<usize>>()?;
            (files.iter().map(|_| None).collect(), rows)
        };
    let mut acc = Accumulator::new(&options.columns, with_embeddings);
    let mut memory_checked = false;
    for (file, source) in files.iter().zip(opened.iter_mut()) {
        guard(file, || {
            let reader = match source.take() {
                Some(reader) => reader,
                None => BatchSource::open(file)?,
            };
            let class_names = reader
                .file_metadata(CLASS_NAMES_KEY)
                .or_else(|| layout.class_names.clone());
            acc.begin_file(
                file,
                partitions.schema(file, reader.schema(), &acc.wanted),
                class_names,
            )?;
            let file_start = acc.rows;
            for batch in reader.batches(&acc.wanted)? {
                let batch = partitions.batch(file, batch?, &acc.wanted)?;
                acc.add_batch(file, &batch, acc.rows - file_start)?;
                if let (false, Some(dim)) = (memory_checked, acc.dim) {
                    memory::check_memory(path, in_memory_rows, dim)?;
                    memory_checked = true;
                }
            }
            Ok(())
        })?;
    }
    acc.finish(path, options)
}

pub(crate) fn column_list(schema: &SchemaRef) -> String {
    schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn missing_column(file: &Path, column: &str, schema: &SchemaRef) -> Error {
    Error::column(
        file,
        column,
        format!(
            "missing required column (columns present: {})",
            column_list(schema)
        ),
    )
}
