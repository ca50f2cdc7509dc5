//! Caption banks: candidate captions with their CLIP text embeddings.

use super::columns::{self, names_to_indices, Place, RawClasses, RowLocator};
use super::load::{input_files, missing_column, BatchSource};
use super::Embeddings;
use crate::error::{Error, Result};
use crate::panic_guard::guard;
use std::path::{Path, PathBuf};

/// Candidate captions, each for every class or for one.
#[derive(Debug, Clone)]
pub struct CaptionBank {
    pub source: PathBuf,
    pub texts: Vec<String>,
    /// The class a caption belongs to; `None` means it applies to every class.
    pub classes: Vec<Option<u32>>,
    pub embeddings: Embeddings,
}

impl CaptionBank {
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Captions that apply to `class`, in bank order.
    pub fn for_class(&self, class: u32) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.classes[i].is_none_or(|c| c == class))
            .collect()
    }
}

pub const TEXT: &str = "text";
pub const EMBEDDING: &str = "embedding";
pub const CLASS: &str = "class";

/// Loads a bank whose embeddings must have `dim` values and whose `class` column (names or
/// indices) must name classes of the dataset.
pub fn load_caption_bank(path: &Path, class_names: &[String], dim: usize) -> Result<CaptionBank> {
    let mut texts = Vec::new();
    let mut values = Vec::new();
    let mut raw_classes: Option<RawClasses> = None;
    let mut bank_dim = None;
    let mut has_class = None;
    let mut files = RowLocator::default();
    for file in input_files(path)? {
        guard(&file, || -> Result<()> {
            let source = BatchSource::open(&file)?;
            let schema = source.schema();
            for required in [TEXT, EMBEDDING] {
                if schema.index_of(required).is_err() {
                    return Err(missing_column(&file, required, &schema));
                }
            }
            let file_has_class = schema.index_of(CLASS).is_ok();
            if *has_class.get_or_insert(file_has_class) != file_has_class {
                return Err(Error::input(
                    &file,
                    "shards disagree on having a 'class' column",
                ));
            }
            let start = texts.len();
            files.push(&file, start);
            let wanted = [TEXT.to_string(), EMBEDDING.to_string(), CLASS.to_string()];
            for batch in source.batches(&wanted)? {
                let batch = batch?;
                let first_row = texts.len() - start;
                let place = |column| Place {
                    file: &file,
                    column,
                    first_row,
                };
                let text_column = batch.column_by_name(TEXT).expect("projected");
                let batch_texts = columns::strings(place(TEXT), text_column)?;
                for (i, t) in batch_texts.into_iter().enumerate() {
                    match t {
                        Some(t) if !t.trim().is_empty() => texts.push(t),
                        _ => return Err(place(TEXT).at(i, "caption text is null or empty")),
                    }
                }
                let embedding = batch.column_by_name(EMBEDDING).expect("projected");
                columns::append_embeddings(
                    place(EMBEDDING),
                    embedding,
                    &mut bank_dim,
                    &mut values,
                )?;
                if bank_dim != Some(dim) {
                    return Err(place(EMBEDDING).whole(format!(
                        "caption embeddings have {} dimensions but the dataset's have {dim}",
                        bank_dim.unwrap_or(0)
                    )));
                }
                if let Some(class) = batch.column_by_name(CLASS) {
                    columns::append_classes(place(CLASS), class, &mut raw_classes)?;
                }
            }
            Ok(())
        })?;
    }
    if texts.is_empty() {
        return Err(Error::input(path, "the caption bank has no rows"));
    }
    let classes = match raw_classes {
        None => vec![None; texts.len()],
        Some(RawClasses::Int(values)) => values
            .iter()
            .enumerate()
            .map(|(row, v)| match v {
                None => Ok(None),
                Some(v) if *v >= 0 && (*v as usize) < class_names.len() => Ok(Some(*v as u32)),
                Some(v) => Err(files.cell_error(
                    CLASS,
                    row,
                    format!(
                        "class index {v} is out of range: the dataset has {} classes",
                        class_names.len()
                    ),
                )),
            })
            .collect::<Result<_>>()?,
        Some(RawClasses::Text(values)) => names_to_indices(class_names, CLASS, &values, &files)?,
    };
    Ok(CaptionBank {
        source: path.to_path_buf(),
        texts,
        classes,
        embeddings: Embeddings::from_chunks(dim, values),
    })
}
