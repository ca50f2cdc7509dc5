//! Column-by-column accumulation of every file's batches (the checks that need the whole
//! dataset are in `resolve`).

use super::resolve::{names_preview, parse_class_names};
use super::{column_list, missing_column, ColumnNames, CLASS_NAMES_KEY};
use crate::data::columns::{self, Place, RawClasses, RawIds, RowLocator};
use crate::error::{Error, Result};
use arrow::array::{ArrayRef, RecordBatch};
use arrow::buffer::ScalarBuffer;
use arrow::datatypes::SchemaRef;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Column-by-column accumulation of every file's batches.
pub(super) struct Accumulator<'a> {
    pub(super) names: &'a ColumnNames,
    /// Read (and require) the embedding column.
    pub(super) with_embeddings: bool,
    pub(super) wanted: Vec<String>,
    /// Which optional columns the first file had; every later shard must agree.
    pub(super) present: Option<HashSet<String>>,
    /// The class names the first file's metadata gave, parsed, and that file.
    pub(super) class_names_meta: Option<(PathBuf, Vec<String>)>,
    /// Where each file's rows begin.
    pub(super) files: RowLocator,
    pub(super) rows: usize,
    pub(super) dim: Option<usize>,
    pub(super) embeddings: Vec<ScalarBuffer<f32>>,
    pub(super) labels: Option<RawClasses>,
    pub(super) predictions: Option<RawClasses>,
    pub(super) correct: Vec<Option<bool>>,
    pub(super) splits: Vec<Option<String>>,
    pub(super) confidence: Vec<Option<f32>>,
    pub(super) images: Vec<Option<String>>,
    pub(super) ids: Option<RawIds>,
}

impl<'a> Accumulator<'a> {
    pub(super) fn new(names: &'a ColumnNames, with_embeddings: bool) -> Self {
        let mut wanted = vec![
            names.embedding.clone(),
            names.label.clone(),
            names.prediction.clone(),
            names.correct.clone(),
            names.split.clone(),
            names.confidence.clone(),
            names.image.clone(),
            names.id.clone(),
        ];
        if !with_embeddings {
            wanted.remove(0);
        }
        Accumulator {
            names,
            with_embeddings,
            wanted,
            present: None,
            class_names_meta: None,
            files: RowLocator::default(),
            rows: 0,
            dim: None,
            embeddings: Vec::new(),
            labels: None,
            predictions: None,
            correct: Vec::new(),
            splits: Vec::new(),
            confidence: Vec::new(),
            images: Vec::new(),
            ids: None,
        }
    }

    pub(super) fn has(&self, column: &str) -> bool {
        self.present.as_ref().is_some_and(|p| p.contains(column))
    }

    pub(super) fn begin_file(
        &mut self,
        file: &Path,
        schema: SchemaRef,
        class_names: Option<String>,
    ) -> Result<()> {
        let names: HashSet<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let embedding = self.with_embeddings.then_some(&self.names.embedding);
        for required in embedding.into_iter().chain([&self.names.label]) {
            if !names.contains(required) {
                let text_table = file.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("tsv")
                });
                if text_table && *required == self.names.embedding {
                    return Err(Error::input(
                        file,
                        "a CSV holds no embeddings: give them as a NumPy file with --embeddings EMB.npy (rows in the CSV's order)",
                    ));
                }
                return Err(missing_column(file, required, &schema));
            }
        }
        if !names.contains(&self.names.prediction) && !names.contains(&self.names.correct) {
            return Err(Error::input(
                file,
                format!(
                    "needs a '{}' column (the model's predicted class) or a '{}' column (bool); columns present: {}",
                    self.names.prediction,
                    self.names.correct,
                    column_list(&schema)
                ),
            ));
        }
        let present: HashSet<String> = self
            .wanted
            .iter()
            .filter(|w| names.contains(*w))
            .cloned()
            .collect();
        match &self.present {
            None => self.present = Some(present),
            Some(first) if *first != present => {
                let mut diff: Vec<_> = first.symmetric_difference(&present).cloned().collect();
                diff.sort();
                return Err(Error::input(
                    file,
                    format!(
                        "this shard's columns differ from the first shard's ({}): {}",
                        self.files.first_file().unwrap_or(file).display(),
                        diff.join(", ")
                    ),
                ));
            }
            Some(_) => {}
        }
        if let Some(json) = class_names {
            let names = parse_class_names(file, &json)?;
            match &self.class_names_meta {
                None => self.class_names_meta = Some((file.to_path_buf(), names)),
                Some((first, first_names)) if *first_names != names => {
                    return Err(Error::input(
                        file,
                        format!(
                            "this shard's '{CLASS_NAMES_KEY}' metadata ({}) differs from that of {} ({}); \
                             shards must name the classes alike (or give --classes FILE)",
                            names_preview(&names),
                            first.display(),
                            names_preview(first_names),
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        self.files.push(file, self.rows);
        Ok(())
    }

    pub(super) fn add_batch(
        &mut self,
        file: &Path,
        batch: &RecordBatch,
        first_row: usize,
    ) -> Result<()> {
        let names = self.names;
        let place = |column: &'a str| Place {
            file,
            column,
            first_row,
        };
        let column = |name: &str| -> Option<&ArrayRef> { batch.column_by_name(name) };
        let n = batch.num_rows();

        if let Some(array) = column(&names.embedding) {
            columns::append_embeddings(
                place(&names.embedding),
                array,
                &mut self.dim,
                &mut self.embeddings,
            )?;
        }
        if let Some(array) = column(&names.label) {
            columns::append_classes(place(&names.label), array, &mut self.labels)?;
        }
        if let Some(array) = column(&names.prediction) {
            columns::append_classes(place(&names.prediction), array, &mut self.predictions)?;
        }
        if let Some(array) = column(&names.id) {
            columns::append_ids(place(&names.id), array, &mut self.ids)?;
        }
        if let Some(array) = column(&names.correct) {
            self.correct
                .extend(columns::booleans(place(&names.correct), array)?);
        }
        if let Some(array) = column(&names.split) {
            self.splits
                .extend(columns::strings(place(&names.split), array)?);
        }
        if let Some(array) = column(&names.confidence) {
            let values = columns::finite_f32(place(&names.confidence), array)?;
            if let Some(i) = values
                .iter()
                .position(|v| v.is_some_and(|v| !(0.0..=1.0).contains(&v)))
            {
                return Err(place(&names.confidence).at(
                    i,
                    format!("confidence {} is outside [0, 1]", values[i].unwrap_or(0.0)),
                ));
            }
            self.confidence.extend(values);
        }
        if let Some(array) = column(&names.image) {
            self.images
                .extend(columns::strings(place(&names.image), array)?);
        }
        self.rows += n;
        Ok(())
    }

    /// Maps a global row back to (file, row within that file) for messages.
    pub(super) fn locate(&self, row: usize) -> (&Path, usize) {
        self.files.locate(row)
    }

    pub(super) fn cell_error(&self, column: &str, row: usize, message: impl Into<String>) -> Error {
        self.files.cell_error(column, row, message)
    }
}
