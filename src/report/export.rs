//! Row exports (hardest rows, training weights, pool selections) as CSV or Parquet.

use crate::analysis::intervene::{RowWeight, Selected};
use crate::analysis::rank::RankedRow;
use crate::data::{Dataset, Ids};
use crate::error::{Error, Result};
use crate::files::write_atomically;
use arrow::array::{
    ArrayRef, BooleanArray, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    UInt32Array,
};
use arrow::datatypes::{Field, Schema};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Parquet,
}

impl FileKind {
    /// From the output's extension.
    pub fn of(path: &Path) -> Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(FileKind::Csv),
            Some("parquet") | Some("pq") => Ok(FileKind::Parquet),
            _ => Err(Error::usage(format!(
                "{}: the output must end in .csv or .parquet",
                path.display()
            ))),
        }
    }
}

/// Columns under construction, in order.
#[derive(Default)]
pub struct Columns(Vec<(String, ArrayRef)>);

impl Columns {
    pub fn push(&mut self, name: &str, array: ArrayRef) -> &mut Self {
        self.0.push((name.to_string(), array));
        self
    }

    pub fn batch(self) -> Result<RecordBatch> {
        let fields: Vec<Field> = self
            .0
            .iter()
            .map(|(name, a)| Field::new(name, a.data_type().clone(), true))
            .collect();
        let arrays = self.0.into_iter().map(|(_, a)| a).collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| Error::Internal(format!("building the export: {e}")))
    }
}

/// Writes `batch` as CSV or Parquet by the file's extension. Its `image` column is rewritten
/// relative to the output's folder (as the input contract reads paths: relative to the file
/// that holds them), so the export can be read from anywhere.
pub fn write_batch(path: &Path, batch: &RecordBatch) -> Result<()> {
    let kind = FileKind::of(path)?;
    let rebased = image_paths_from(path.parent().unwrap_or(Path::new(".")), batch)?;
    let batch = rebased.as_ref().unwrap_or(batch);
    write_atomically(path, |file| match kind {
        FileKind::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(file);
            writer.write(batch).map_err(std::io::Error::other)
        }
        FileKind::Parquet => {
            let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None)
                .map_err(std::io::Error::other)?;
            writer.write(batch).map_err(std::io::Error::other)?;
            writer.close().map_err(std::io::Error::other)?;
            Ok(())
        }
    })
}

/// `batch` with its `image` paths made relative to `folder`; None when it has none.
fn image_paths_from(folder: &Path, batch: &RecordBatch) -> Result<Option<RecordBatch>> {
    let Some(index) = batch.schema().index_of("image").ok() else {
        return Ok(None);
    };
    let Some(images) = batch.column(index).as_any().downcast_ref::<StringArray>() else {
        return Ok(None);
    };
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let rebased: StringArray = images
        .iter()
        .map(|p| {
            p.map(|p| {
                crate::files::path_from(folder, Path::new(p))
                    .to_string_lossy()
                    .replace('\\', "/")
            })
        })
        .collect();
    let mut columns = batch.columns().to_vec();
    columns[index] = Arc::new(rebased);
    RecordBatch::try_new(batch.schema(), columns)
        .map(Some)
        .map_err(|e| crate::Error::Internal(e.to_string()))
}

fn ids_column(dataset: &Dataset, rows: &[usize]) -> ArrayRef {
    match &dataset.ids {
        Ids::Text(values) => Arc::new(StringArray::from_iter_values(
            rows.iter().map(|&r| &values[r]),
        )),
        Ids::UInt(values) => Arc::new(arrow::array::UInt64Array::from_iter_values(
            rows.iter().map(|&r| values[r]),
        )),
        Ids::Int(values) => Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|&r| values[r]),
        )),
        Ids::RowNumbers => Arc::new(Int64Array::from_iter_values(rows.iter().map(|&r| r as i64))),
    }
}

fn class_names(dataset: &Dataset, classes: impl Iterator<Item = Option<u32>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(
        classes.map(|c| c.map(|c| dataset.class_names[c as usize].as_str())),
    ))
}

fn common_columns(columns: &mut Columns, dataset: &Dataset, rows: &[usize]) {
    columns.push("id", ids_column(dataset, rows));
    columns.push(
        "row",
        Arc::new(UInt32Array::from_iter_values(
            rows.iter().map(|&r| r as u32),
        )),
    );
    columns.push(
        "label",
        class_names(dataset, rows.iter().map(|&r| dataset.labels[r])),
    );
    if let Some(p) = &dataset.predictions {
        columns.push(
            "prediction",
            class_names(dataset, rows.iter().map(|&r| p[r])),
        );
    }
    columns.push(
        "correct",
        Arc::new(BooleanArray::from_iter(
            rows.iter().map(|&r| dataset.correct[r]),
        )),
    );
    let confidence = dataset.confidence.as_ref();
    columns.push(
        "confidence",
        Arc::new(Float32Array::from_iter(
            rows.iter()
                .map(|&r| confidence.map(|c| c[r]).filter(|v| !v.is_nan())),
        )),
    );
    columns.push(
        "image",
        Arc::new(StringArray::from_iter(
            rows.iter()
                .map(|&r| dataset.image(r).map(|p| p.display().to_string())),
        )),
    );
}

/// The ranked rows (hardest first) with their rank, decision value and, with the class's
/// spread, the scale-free score (`sigma`, as the report shows it).
pub fn ranked_rows(
    dataset: &Dataset,
    ranked: &[RankedRow],
    spread: Option<f64>,
) -> Result<RecordBatch> {
    let rows: Vec<usize> = ranked.iter().map(|r| r.row).collect();
    let mut columns = Columns::default();
    columns.push(
        "rank",
        Arc::new(UInt32Array::from_iter_values(1..=ranked.len() as u32)),
    );
    common_columns(&mut columns, dataset, &rows);
    columns.push(
        "decision_value",
        Arc::new(Float64Array::from_iter_values(
            ranked.iter().map(|r| r.decision_value),
        )),
    );
    columns.push(
        "sigma",
        Arc::new(Float64Array::from_iter(
            ranked.iter().map(|r| spread.map(|s| r.decision_value / s)),
        )),
    );
    columns.batch()
}

pub fn weights(dataset: &Dataset, weights: &[RowWeight]) -> Result<RecordBatch> {
    let rows: Vec<usize> = weights.iter().map(|w| w.row).collect();
    let mut columns = Columns::default();
    common_columns(&mut columns, dataset, &rows);
    columns.push(
        "mode",
        Arc::new(StringArray::from_iter(
            weights.iter().map(|w| w.mode.as_deref()),
        )),
    );
    columns.push(
        "decision_value",
        Arc::new(Float64Array::from_iter(
            weights.iter().map(|w| w.decision_value),
        )),
    );
    columns.push(
        "weight",
        Arc::new(Float64Array::from_iter_values(
            weights.iter().map(|w| w.weight),
        )),
    );
    columns.batch()
}

pub fn selection(dataset: &Dataset, selected: &[Selected]) -> Result<RecordBatch> {
    let rows: Vec<usize> = selected.iter().map(|s| s.row).collect();
    let mut columns = Columns::default();
    columns.push(
        "class",
        class_names(dataset, selected.iter().map(|s| Some(s.class))),
    );
    columns.push(
        "mode",
        Arc::new(StringArray::from_iter_values(
            selected.iter().map(|s| s.mode.as_str()),
        )),
    );
    columns.push(
        "rank",
        Arc::new(UInt32Array::from_iter_values(
            selected.iter().map(|s| s.rank as u32),
        )),
    );
    common_columns(&mut columns, dataset, &rows);
    columns.push(
        "decision_value",
        Arc::new(Float64Array::from_iter_values(
            selected.iter().map(|s| s.decision_value),
        )),
    );
    columns.batch()
}
