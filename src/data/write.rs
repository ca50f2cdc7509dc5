//! Writing datasets and caption banks in the input contract (used by the demo and by `embed`).

use super::captions::CaptionBank;
use super::load::CLASS_NAMES_KEY;
use super::{Dataset, Embeddings, Ids};
use crate::error::{Error, Result};
use crate::files::write_atomically;
use arrow::array::{
    ArrayRef, FixedSizeListArray, Float32Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Schema};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The input contract's embedding column, as every writer writes it (datasets, caption banks,
/// `embed` outputs): `embedding`, a fixed-size list of `dim` non-null float32 per row.
pub fn embedding_column(values: Vec<f32>, dim: usize) -> Result<(Field, ArrayRef)> {
    let item = Arc::new(Field::new("item", DataType::Float32, false));
    let size = i32::try_from(dim)
        .map_err(|_| Error::Internal(format!("{dim} dimensions do not fit a list size")))?;
    let array = FixedSizeListArray::try_new(
        item.clone(),
        size,
        Arc::new(Float32Array::new(values.into(), None)),
        None,
    )
    .map_err(|e| Error::Internal(e.to_string()))?;
    let field = Field::new("embedding", DataType::FixedSizeList(item, size), false);
    Ok((field, Arc::new(array)))
}

pub fn embedding_array(embeddings: &Embeddings) -> ArrayRef {
    embedding_column(embeddings.to_vec(), embeddings.dim())
        .expect("an Embeddings holds rows x dim values")
        .1
}

pub(crate) fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<()> {
    write_atomically(path, |file| {
        let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None)
            .map_err(std::io::Error::other)?;
        writer.write(batch).map_err(std::io::Error::other)?;
        writer.close().map_err(std::io::Error::other)?;
        Ok(())
    })
}

fn batch(columns: Vec<(&str, ArrayRef)>, metadata: HashMap<String, String>) -> Result<RecordBatch> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, a)| Field::new(*name, a.data_type().clone(), a.null_count() > 0))
        .collect();
    let schema = Schema::new(fields).with_metadata(metadata);
    RecordBatch::try_new(
        Arc::new(schema),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .map_err(|e| Error::Internal(format!("building a record batch: {e}")))
}

/// Integer labels and predictions, class names in the schema metadata.
pub fn write_dataset(dataset: &Dataset, path: &Path) -> Result<()> {
    write_parquet(path, &dataset_batch(dataset, &[])?)
}

/// A second model's outcomes on the same rows, written beside the first model's columns.
pub struct ExtraModel<'a> {
    pub outcomes: &'a Dataset,
    pub prediction_column: &'a str,
    pub confidence_column: &'a str,
}

/// [`write_dataset`] with further models' predictions (and confidences, when they have them)
/// in the named columns: the one-file input of `faultline diff --before .. --after ..`.
pub fn write_dataset_with(dataset: &Dataset, extra: &[ExtraModel], path: &Path) -> Result<()> {
    write_parquet(path, &dataset_batch(dataset, extra)?)
}

fn class_index(v: &[Option<u32>]) -> ArrayRef {
    Arc::new(Int32Array::from_iter(v.iter().map(|c| c.map(|c| c as i32))))
}

fn confidence_array(c: &[f32]) -> ArrayRef {
    Arc::new(Float32Array::from_iter(
        c.iter().map(|&v| (!v.is_nan()).then_some(v)),
    ))
}

fn dataset_batch(dataset: &Dataset, extra: &[ExtraModel]) -> Result<RecordBatch> {
    let mut columns: Vec<(&str, ArrayRef)> = Vec::new();
    match &dataset.ids {
        Ids::RowNumbers => {}
        Ids::Int(v) => columns.push(("id", Arc::new(Int64Array::from(v.clone())))),
        Ids::UInt(v) => columns.push(("id", Arc::new(arrow::array::UInt64Array::from(v.clone())))),
        Ids::Text(v) => columns.push(("id", Arc::new(StringArray::from(v.clone())))),
    }
    columns.push(("embedding", embedding_array(&dataset.embeddings)));
    columns.push(("label", class_index(&dataset.labels)));
    if let Some(p) = &dataset.predictions {
        columns.push(("prediction", class_index(p)));
    } else {
        columns.push((
            "correct",
            Arc::new(arrow::array::BooleanArray::from(dataset.correct.clone())),
        ));
    }
    columns.push((
        "split",
        Arc::new(StringArray::from_iter_values(
            dataset.splits.iter().map(|s| s.name()),
        )),
    ));
    if let Some(c) = &dataset.confidence {
        columns.push(("confidence", confidence_array(c)));
    }
    for model in extra {
        let predictions = model.outcomes.predictions.as_ref().ok_or_else(|| {
            Error::Internal("a second model is written by its predictions".into())
        })?;
        columns.push((model.prediction_column, class_index(predictions)));
        if let Some(c) = &model.outcomes.confidence {
            columns.push((model.confidence_column, confidence_array(c)));
        }
    }
    if let Some(images) = &dataset.images {
        columns.push((
            "image",
            Arc::new(StringArray::from_iter(
                images
                    .iter()
                    .map(|p| p.as_ref().map(|p| p.display().to_string())),
            )),
        ));
    }
    let metadata = HashMap::from([(
        CLASS_NAMES_KEY.to_string(),
        serde_json::to_string(&dataset.class_names).expect("strings serialise"),
    )]);
    batch(columns, metadata)
}

/// `text`, `embedding` and `class` (names; null = every class).
pub fn write_caption_bank(bank: &CaptionBank, class_names: &[String], path: &Path) -> Result<()> {
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("text", Arc::new(StringArray::from(bank.texts.clone()))),
        ("embedding", embedding_array(&bank.embeddings)),
        (
            "class",
            Arc::new(StringArray::from_iter(
                bank.classes
                    .iter()
                    .map(|c| c.map(|c| class_names[c as usize].as_str())),
            )),
        ),
    ];
    write_parquet(path, &batch(columns, HashMap::new())?)
}
