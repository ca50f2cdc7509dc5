//! Hive-style partition folders (`split=val/label=3/part-0.parquet`), as Spark's `partitionBy`,
//! Ray and pyarrow's `write_to_dataset(partition_cols=…)` write them: the partition columns live
//! in the folder names, not in the files, so the loader adds them back as constant columns.

use crate::error::{Error, Result};
use arrow::array::{new_null_array, ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// What Hive writes for a null partition value.
const NULL_VALUE: &str = "__HIVE_DEFAULT_PARTITION__";

/// The partition values of every file of a dataset, with one type per key inferred from all of
/// its values (as pyarrow does): integers, booleans, else strings.
#[derive(Debug, Default)]
pub(crate) struct Partitions {
    values: HashMap<PathBuf, Vec<(String, Option<String>)>>,
    types: HashMap<String, DataType>,
}

impl Partitions {
    pub fn discover(root: &Path, files: &[PathBuf]) -> Partitions {
        Self::from_values(
            files
                .iter()
                .map(|file| (file.clone(), partition_values(root, file))),
        )
    }

    /// Columns whose value is constant within each file, given per file (a Hugging Face
    /// `DatasetDict`'s split, from its folder).
    pub fn from_values(
        files: impl Iterator<Item = (PathBuf, Vec<(String, Option<String>)>)>,
    ) -> Partitions {
        let mut values = HashMap::new();
        let mut seen: HashMap<String, Vec<String>> = HashMap::new();
        for (file, pairs) in files {
            for (key, value) in &pairs {
                let entry = seen.entry(key.clone()).or_default();
                if let Some(v) = value {
                    entry.push(v.clone());
                }
            }
            values.insert(file, pairs);
        }
        let types = seen
            .into_iter()
            .map(|(key, values)| (key, infer_type(&values)))
            .collect();
        Partitions { values, types }
    }

    /// The partition columns of `file` that are wanted and not stored in the file itself.
    fn added<'a>(
        &'a self,
        file: &Path,
        present: &Schema,
        wanted: &'a [String],
    ) -> impl Iterator<Item = (&'a str, Option<&'a str>, &'a DataType)> + 'a {
        let pairs = self.values.get(file).map(Vec::as_slice).unwrap_or(&[]);
        let stored: Vec<bool> = pairs
            .iter()
            .map(|(key, _)| present.index_of(key).is_ok())
            .collect();
        pairs
            .iter()
            .zip(stored)
            .filter(move |((key, _), stored)| !stored && wanted.contains(key))
            .map(|((key, value), _)| (key.as_str(), value.as_deref(), &self.types[key]))
    }

    /// The file's schema with its partition columns added.
    pub fn schema(&self, file: &Path, schema: SchemaRef, wanted: &[String]) -> SchemaRef {
        let extra: Vec<Field> = self
            .added(file, &schema, wanted)
            .map(|(key, _, data_type)| Field::new(key, data_type.clone(), true))
            .collect();
        if extra.is_empty() {
            return schema;
        }
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .chain(extra)
            .collect();
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
    }

    /// The batch with its file's partition columns added, one value repeated on every row.
    pub fn batch(&self, file: &Path, batch: RecordBatch, wanted: &[String]) -> Result<RecordBatch> {
        let n = batch.num_rows();
        let added: Vec<(Field, ArrayRef)> = self
            .added(file, &batch.schema(), wanted)
            .map(|(key, value, data_type)| {
                let field = Field::new(key, data_type.clone(), true);
                (field, constant(value, data_type, n))
            })
            .collect();
        if added.is_empty() {
            return Ok(batch);
        }
        let schema = batch.schema();
        let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        let mut columns = batch.columns().to_vec();
        for (field, column) in added {
            fields.push(field);
            columns.push(column);
        }
        let schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
        RecordBatch::try_new(schema, columns)
            .map_err(|e| Error::input(file, format!("cannot add the partition columns: {e}")))
    }
}

/// `key=value` folder names between `root` and `file`, percent-decoded.
fn partition_values(root: &Path, file: &Path) -> Vec<(String, Option<String>)> {
    let relative = file.strip_prefix(root).unwrap_or(file);
    let Some(folders) = relative.parent() else {
        return Vec::new();
    };
    folders
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => name.to_str(),
            _ => None,
        })
        .filter_map(|name| name.split_once('='))
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, value)| {
            let value = (value != NULL_VALUE).then(|| percent_decode(value));
            (percent_decode(key), value)
        })
        .collect()
}

fn infer_type(values: &[String]) -> DataType {
    if !values.is_empty() && values.iter().all(|v| v.parse::<i64>().is_ok()) {
        DataType::Int64
    } else if !values.is_empty() && values.iter().all(|v| v == "true" || v == "false") {
        DataType::Boolean
    } else {
        DataType::Utf8
    }
}

fn constant(value: Option<&str>, data_type: &DataType, n: usize) -> ArrayRef {
    let Some(value) = value else {
        return new_null_array(data_type, n);
    };
    match data_type {
        DataType::Int64 => Arc::new(Int64Array::from_value(
            value.parse().expect("inferred from this value"),
            n,
        )),
        DataType::Boolean => Arc::new(BooleanArray::from(vec![value == "true"; n])),
        _ => Arc::new(StringArray::from_iter_values(std::iter::repeat_n(value, n))),
    }
}

/// Spark and pyarrow escape characters such as '/', '=' and '%' in partition values as `%XX`.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_give_typed_values() {
        let root = Path::new("/data");
        let files = vec![
            PathBuf::from("/data/split=val/label=3/part-0.parquet"),
            PathBuf::from("/data/split=pool/label=__HIVE_DEFAULT_PARTITION__/part-0.parquet"),
            PathBuf::from("/data/split=te%2Fst/label=12/x.parquet"),
        ];
        let partitions = Partitions::discover(root, &files);
        assert_eq!(partitions.types["split"], DataType::Utf8);
        assert_eq!(partitions.types["label"], DataType::Int64);
        assert_eq!(
            partition_values(root, &files[2]),
            vec![
                ("split".to_string(), Some("te/st".to_string())),
                ("label".to_string(), Some("12".to_string()))
            ]
        );
        assert_eq!(partition_values(root, &files[1])[1].1, None);
    }

    #[test]
    fn percent_decoding_leaves_malformed_escapes() {
        assert_eq!(percent_decode("a%3Db"), "a=b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn booleans_and_stored_columns() {
        let root = Path::new("r");
        let file = PathBuf::from("r/correct=true/label=cat/a.parquet");
        let partitions = Partitions::discover(root, std::slice::from_ref(&file));
        let wanted = vec!["correct".to_string(), "label".to_string()];
        // A column the file stores itself is read from the file, not the folder name.
        let stored = Arc::new(Schema::new(vec![Field::new("label", DataType::Utf8, true)]));
        let schema = partitions.schema(&file, stored, &wanted);
        assert_eq!(schema.fields().len(), 2);
        assert_eq!(
            schema.field_with_name("correct").unwrap().data_type(),
            &DataType::Boolean
        );
    }
}
