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

pub fn embedding_array(embeddings: &Embeddings) -> ArrayRef {
    let item = Arc::new(Field::new("item", DataType::Float32, false));
    let values = Float32Array::new(embeddings.to_vec().into(), None);
    Arc::new(
        FixedSizeListArray::try_new(item, embeddings.dim() as i32, Arc::new(values), None)
            .expect("values are n x dim"),
    )
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
    let class_index = |v: &Vec<Option<u32>>| -> ArrayRef {
        Arc::new(Int32Array::from_iter(v.iter().map(|c| c.map(|c| c as i32))))
    };
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
        columns.push((
            "confidence",
            Arc::new(Float32Array::from_iter(
                c.iter().map(|&v| (!v.is_nan()).then_some(v)),
            )),
        ));
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
    write_parquet(path, &batch(columns, metadata)?)
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
