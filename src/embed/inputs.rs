//! What `embed images` reads: a CSV or Parquet list with an `image` column (every other column
//! is carried through to the output), or a folder of images in ImageFolder layout
//! (`split/class/file` or `class/file`) that fills `split` and `label`.

use crate::error::{Error, Result};
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const IMAGE_COLUMN: &str = "image";
pub const EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "webp"];

pub struct ImageList {
    pub source: PathBuf,
    /// Every input column, one row per image, in a single batch.
    pub table: RecordBatch,
    /// Where each row's image is read from.
    pub paths: Vec<PathBuf>,
    /// Whether the list named each image by an absolute path.
    pub absolute: Vec<bool>,
}

impl ImageList {
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

pub fn list_images(input: &Path) -> Result<ImageList> {
    let meta = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
    if meta.is_dir() {
        return list_folder(input);
    }
    let table = crate::panic_guard::guard(input, || read_table(input))?;
    let column = table
        .column_by_name(IMAGE_COLUMN)
        .ok_or_else(|| {
            let names: Vec<String> = table
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            Error::column(
                input,
                IMAGE_COLUMN,
                format!("missing: the list needs an image path column (it has {names:?})"),
            )
        })?
        .clone();
    if table.column_by_name("embedding").is_some() {
        return Err(Error::column(
            input,
            "embedding",
            "the list already has an embedding column; drop it or rename it",
        ));
    }
    let column = arrow::compute::cast(&column, &DataType::Utf8)
        .map_err(|e| Error::column(input, IMAGE_COLUMN, format!("not text: {e}")))?;
    let strings = column.as_string::<i32>();
    let base = input.parent().unwrap_or(Path::new("."));
    let mut paths = Vec::with_capacity(strings.len());
    let mut absolute = Vec::with_capacity(strings.len());
    for row in 0..strings.len() {
        if strings.is_null(row) || strings.value(row).trim().is_empty() {
            return Err(Error::cell(input, IMAGE_COLUMN, row, "empty image path"));
        }
        let value = Path::new(strings.value(row));
        absolute.push(value.is_absolute());
        paths.push(base.join(value));
    }
    Ok(ImageList {
        source: input.to_path_buf(),
        table,
        paths,
        absolute,
    })
}

fn read_table(path: &Path) -> Result<RecordBatch> {
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("tsv"));
    let batches: Vec<RecordBatch> = if is_csv {
        let delimiter = if path.extension().is_some_and(|e| e == "tsv") {
            b'\t'
        } else {
            b','
        };
        let format = arrow::csv::reader::Format::default()
            .with_header(true)
            .with_delimiter(delimiter);
        let mut file = crate::files::open_regular(path).map_err(|e| Error::io(path, e))?;
        let (schema, _) = format
            .infer_schema(&mut file, Some(10_000))
            .map_err(|e| Error::input(path, format!("not a readable CSV: {e}")))?;
        let file = crate::files::open_regular(path).map_err(|e| Error::io(path, e))?;
        let reader = arrow::csv::ReaderBuilder::new(Arc::new(schema))
            .with_format(format)
            .build(file)
            .map_err(|e| Error::input(path, format!("not a readable CSV: {e}")))?;
        reader
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::input(path, format!("not a readable CSV: {e}")))?
    } else {
        let file = crate::files::open_regular(path).map_err(|e| Error::io(path, e))?;
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| {
                Error::input(
                    path,
                    format!("not a Parquet file (or a CSV with a .csv name): {e}"),
                )
            })?
            .build()
            .map_err(|e| Error::input(path, e.to_string()))?;
        reader
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::input(path, format!("corrupt Parquet data: {e}")))?
    };
    let schema = match batches.first() {
        Some(b) => b.schema(),
        None => return Err(Error::input(path, "the list has no rows")),
    };
    let table = arrow::compute::concat_batches(&schema, &batches)
        .map_err(|e| Error::input(path, e.to_string()))?;
    if table.num_rows() == 0 {
        return Err(Error::input(path, "the list has no rows"));
    }
    Ok(table)
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Image files under `root`, sorted, following symlinks to files but never into a folder
/// twice (a symlink loop ends, it does not hang).
fn walk(root: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let real = std::fs::canonicalize(&dir).map_err(|e| Error::io(&dir, e))?;
        if !seen.insert(real) {
            continue;
        }
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let path = entry.path();
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            // Follows symlinks; a dangling one is reported when its image is read.
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => stack.push(path),
                Ok(_) if is_image(&path) => found.push(path),
                Err(_) if is_image(&path) => found.push(path),
                _ => {}
            }
        }
    }
    found.sort();
    Ok(found)
}

fn list_folder(root: &Path) -> Result<ImageList> {
    let files = walk(root)?;
    if files.is_empty() {
        return Err(Error::input(
            root,
            format!("no images ({}) in this folder", EXTENSIONS.join(", ")),
        ));
    }
    let relative: Vec<Vec<String>> = files
        .iter()
        .map(|f| {
            f.strip_prefix(root)
                .unwrap_or(f)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .collect();
    let split_names = ["train", "val", "test", "pool", "validation"];
    let with_split = relative
        .iter()
        .all(|parts| parts.len() == 3 && split_names.contains(&parts[0].as_str()));
    let with_class = with_split || relative.iter().all(|parts| parts.len() == 2);
    let mut columns: Vec<(String, ArrayRef)> = vec![(
        IMAGE_COLUMN.into(),
        Arc::new(StringArray::from_iter_values(
            relative.iter().map(|parts| parts.join("/")),
        )),
    )];
    if with_class {
        let at = usize::from(with_split);
        columns.push((
            "label".into(),
            Arc::new(StringArray::from_iter_values(
                relative.iter().map(|p| p[at].clone()),
            )),
        ));
    }
    if with_split {
        columns.push((
            "split".into(),
            Arc::new(StringArray::from_iter_values(relative.iter().map(|p| {
                if p[0] == "validation" {
                    "val".to_string()
                } else {
                    p[0].clone()
                }
            }))),
        ));
    }
    let schema = Schema::new(
        columns
            .iter()
            .map(|(n, a)| Field::new(n, a.data_type().clone(), false))
            .collect::<Vec<_>>(),
    );
    let table = RecordBatch::try_new(
        Arc::new(schema),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .map_err(|e| Error::Internal(e.to_string()))?;
    // Found under a folder: the output names them relative to its own folder.
    let absolute = vec![false; files.len()];
    Ok(ImageList {
        source: root.to_path_buf(),
        table,
        paths: files,
        absolute,
    })
}
