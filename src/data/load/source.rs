//! An input file, opened once: its format read from its first bytes, its footer (Parquet) or
//! its mapping (Arrow IPC file) made once, then its record batches.

use super::mapped::MappedArrowFile;
use crate::data::parquet_input::ParquetFile;
use crate::error::{Error, Result};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use std::fs::File;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

enum Format {
    Parquet,
    ArrowFile,
    ArrowStream,
    /// A CSV or TSV table (by its name: text has no magic bytes), for metadata beside a NumPy
    /// embeddings file.
    Csv(u8),
}

/// Rows read to infer a CSV's column types.
const CSV_INFERENCE_ROWS: usize = 10_000;

/// The format by the file's magic bytes, read from the open file, which is left at its start.
fn sniff(path: &Path, file: &mut File) -> Result<Format> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if extension.eq_ignore_ascii_case("csv") {
        return Ok(Format::Csv(b','));
    }
    if extension.eq_ignore_ascii_case("tsv") {
        return Ok(Format::Csv(b'\t'));
    }
    let mut head = [0u8; 6];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    file.rewind().map_err(|e| Error::io(path, e))?;
    if n == 0 {
        return Err(Error::input(path, "the file is empty"));
    }
    if head[..n].starts_with(b"PAR1") {
        Ok(Format::Parquet)
    } else if head[..n].starts_with(b"ARROW1") {
        Ok(Format::ArrowFile)
    } else if head[..n.min(4)] == [0xff, 0xff, 0xff, 0xff][..n.min(4)] {
        Ok(Format::ArrowStream)
    } else {
        Err(Error::input(
            path,
            "not a Parquet or Arrow IPC file (expected the PAR1 or ARROW1 magic bytes), nor named .csv or .tsv",
        ))
    }
}

/// An open input file that yields record batches of the wanted columns.
pub(crate) enum BatchSource {
    Parquet(PathBuf, ParquetRecordBatchReaderBuilder<ParquetFile>),
    ArrowFile(PathBuf, MappedArrowFile),
    ArrowStream(
        PathBuf,
        arrow::ipc::reader::StreamReader<std::io::BufReader<File>>,
    ),
    // Boxed: a CSV reader is larger than the other sources.
    Csv(PathBuf, SchemaRef, Box<arrow::csv::Reader<File>>),
}

impl BatchSource {
    /// Opens the file once: the format, the footer or the mapping, and the schema.
    pub fn open(path: &Path) -> Result<Self> {
        let mut file = crate::files::open_regular(path).map_err(|e| Error::io(path, e))?;
        let format = sniff(path, &mut file)?;
        let bad = |kind: &str, e: &dyn std::fmt::Display| {
            Error::input(path, format!("not a readable {kind} file: {e}"))
        };
        Ok(match format {
            Format::Parquet => BatchSource::Parquet(
                path.to_path_buf(),
                ParquetRecordBatchReaderBuilder::try_new(
                    ParquetFile::new(file).map_err(|e| Error::io(path, e))?,
                )
                .map_err(|e| bad("Parquet", &e))?,
            ),
            Format::ArrowFile => BatchSource::ArrowFile(
                path.to_path_buf(),
                MappedArrowFile::open(&file).map_err(|e| bad("Arrow IPC", &e))?,
            ),
            Format::ArrowStream => BatchSource::ArrowStream(
                path.to_path_buf(),
                arrow::ipc::reader::StreamReader::try_new_buffered(file, None)
                    .map_err(|e| bad("Arrow IPC stream", &e))?,
            ),
            Format::Csv(delimiter) => {
                let format = arrow::csv::reader::Format::default()
                    .with_header(true)
                    .with_delimiter(delimiter);
                let (schema, _) = format
                    .infer_schema(&mut file, Some(CSV_INFERENCE_ROWS))
                    .map_err(|e| bad("CSV", &e))?;
                file.rewind().map_err(|e| Error::io(path, e))?;
                // A column empty on every row read for inference (image paths only on the test
                // rows, which come last) may hold text further down: read it as text.
                let fields: Vec<_> = schema
                    .fields()
                    .iter()
                    .map(|f| match f.data_type() {
                        arrow::datatypes::DataType::Null => std::sync::Arc::new(
                            f.as_ref()
                                .clone()
                                .with_data_type(arrow::datatypes::DataType::Utf8),
                        ),
                        _ => f.clone(),
                    })
                    .collect();
                let schema = std::sync::Arc::new(arrow::datatypes::Schema::new_with_metadata(
                    fields,
                    schema.metadata().clone(),
                ));
                let reader = arrow::csv::ReaderBuilder::new(schema.clone())
                    .with_format(format)
                    .with_batch_size(16 * 1024)
                    .build(file)
                    .map_err(|e| bad("CSV", &e))?;
                BatchSource::Csv(path.to_path_buf(), schema, Box::new(reader))
            }
        })
    }

    /// Rows this file decodes into memory, from its footer: a Parquet file's; none for Arrow
    /// IPC files, which are memory-mapped (a stream's count is not known before reading it).
    pub fn rows_in_memory(&self) -> usize {
        match self {
            BatchSource::Parquet(_, b) => {
                usize::try_from(b.metadata().file_metadata().num_rows()).unwrap_or(0)
            }
            _ => 0,
        }
    }

    pub fn schema(&self) -> SchemaRef {
        match self {
            BatchSource::Parquet(_, b) => b.schema().clone(),
            BatchSource::ArrowFile(_, m) => m.schema.clone(),
            BatchSource::ArrowStream(_, r) => r.schema(),
            BatchSource::Csv(_, schema, _) => schema.clone(),
        }
    }

    /// Class names from Parquet key-value metadata, which pyarrow writes for schema metadata too.
    pub fn file_metadata(&self, key: &str) -> Option<String> {
        if let Some(v) = self.schema().metadata().get(key) {
            return Some(v.clone());
        }
        match self {
            BatchSource::Parquet(_, b) => b
                .metadata()
                .file_metadata()
                .key_value_metadata()?
                .iter()
                .find(|kv| kv.key == key)
                .and_then(|kv| kv.value.clone()),
            _ => None,
        }
    }

    /// Batches holding only the named columns (those present), in file order.
    pub fn batches(
        self,
        wanted: &[String],
    ) -> Result<Box<dyn Iterator<Item = Result<RecordBatch>>>> {
        let schema = self.schema();
        let indices: Vec<usize> = wanted
            .iter()
            .filter_map(|name| schema.index_of(name).ok())
            .collect();
        match self {
            BatchSource::Parquet(path, builder) => {
                let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
                let reader = builder
                    .with_projection(mask)
                    .with_batch_size(16 * 1024)
                    .build()
                    .map_err(|e| Error::input(&path, format!("cannot read Parquet: {e}")))?;
                Ok(Box::new(reader.map(move |b| {
                    b.map_err(|e| Error::input(&path, format!("corrupt Parquet data: {e}")))
                })))
            }
            BatchSource::ArrowFile(path, mapped) => {
                Ok(Box::new(mapped.batches(indices).map(move |b| {
                    b.map_err(|e| Error::input(&path, format!("corrupt Arrow data: {e}")))
                })))
            }
            BatchSource::ArrowStream(path, reader) => Ok(Box::new(reader.map(move |b| {
                b.and_then(|b| b.project(&indices))
                    .map_err(|e| Error::input(&path, format!("corrupt Arrow data: {e}")))
            }))),
            // Types were inferred from the first rows; a later row that does not parse is named
            // by the reader's message (its line).
            BatchSource::Csv(path, _, reader) => Ok(Box::new(reader.map(move |b| {
                b.and_then(|b| b.project(&indices))
                    .map_err(|e| Error::input(&path, format!("unreadable CSV: {e}")))
            }))),
        }
    }
}
