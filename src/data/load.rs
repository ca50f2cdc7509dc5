//! Reading a dataset from Parquet, Arrow IPC or a directory of Parquet shards.

use super::columns::{self, Place, RawClasses, RawIds};
use super::parquet_input::ParquetFile;
use super::partition::Partitions;
use super::split::stratified_val_test_split;
use super::{Dataset, Embeddings, Ids, Split, SplitSource};
use crate::error::{Error, Result};
use crate::panic_guard::guard;
use arrow::array::{ArrayRef, RecordBatch};
use arrow::buffer::{Buffer, ScalarBuffer};
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
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
    let parts = accumulate(path, options, true)?;
    let embeddings = parts.embeddings.expect("the embedding column is required");
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
    let parts = accumulate(path, options, false)?;
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
struct Parts {
    embeddings: Option<Embeddings>,
    labels: Vec<Option<u32>>,
    predictions: Option<Vec<Option<u32>>>,
    correct: Vec<Option<bool>>,
    splits: Vec<Split>,
    split_source: SplitSource,
    confidence: Option<Vec<f32>>,
    images: Option<Vec<Option<PathBuf>>>,
    ids: Ids,
    class_names: Vec<String>,
}

fn accumulate(path: &Path, options: &LoadOptions, with_embeddings: bool) -> Result<Parts> {
    let files = input_files(path)?;
    let partitions = Partitions::discover(path, &files);
    let in_memory_rows = parquet_rows(&files);
    let mut acc = Accumulator::new(&options.columns, with_embeddings);
    let mut memory_checked = false;
    for file in &files {
        guard(file, || {
            let reader = BatchSource::open(file)?;
            let class_names = reader.file_metadata(CLASS_NAMES_KEY);
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
                    check_memory(path, in_memory_rows, dim)?;
                    memory_checked = true;
                }
            }
            Ok(())
        })?;
    }
    acc.finish(path, options)
}

/// Rows of the Parquet files (decoded into memory; Arrow IPC files are memory-mapped instead).
fn parquet_rows(files: &[PathBuf]) -> usize {
    files
        .iter()
        .filter(|f| matches!(sniff(f), Ok(Format::Parquet)))
        .filter_map(|f| {
            let file = crate::files::open_regular(f).ok()?;
            let builder =
                ParquetRecordBatchReaderBuilder::try_new(ParquetFile::new(file).ok()?).ok()?;
            usize::try_from(builder.metadata().file_metadata().num_rows()).ok()
        })
        .sum()
}

/// Memory the process may still use: `FAULTLINE_MEMORY_LIMIT` (bytes) when set, else the
/// kernel's MemAvailable; None when neither is known.
pub fn available_memory() -> Option<u64> {
    if let Some(limit) = std::env::var("FAULTLINE_MEMORY_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return Some(limit);
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Fails before reading gigabytes when the embeddings cannot fit, instead of meeting the OOM
/// killer halfway: the message says how much is needed and what to do.
fn check_memory(path: &Path, rows: usize, dim: usize) -> Result<()> {
    let needed = rows as u64 * dim as u64 * 4;
    let Some(available) = available_memory() else {
        return Ok(());
    };
    if needed <= available {
        return Ok(());
    }
    let gb = |b: u64| b as f64 / 1e9;
    Err(Error::input(
        path,
        format!(
            "the embeddings ({rows} rows x {dim} dims) need {:.1} GB of memory and {:.1} GB are \
             available; convert the data to an uncompressed Arrow IPC file, which faultline \
             memory-maps instead of reading into memory (pyarrow.feather.write_feather(table, \
             \"data.arrow\", compression=\"uncompressed\")), or use a machine with more memory",
            gb(needed),
            gb(available)
        ),
    ))
}

/// The files that make up a dataset: the file itself, or every Parquet file below a directory
/// in path order (hidden files and `_SUCCESS`-style markers skipped, as Spark and Hive write them;
/// `key=value` folders add partition columns, see `partition`).
pub(crate) fn input_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut visited = HashSet::new();
    collect_parquet(path, &mut files, &mut visited)?;
    files.sort();
    if files.is_empty() {
        return Err(Error::input(path, "the directory holds no .parquet files"));
    }
    Ok(files)
}

fn collect_parquet(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    visited: &mut HashSet<PathBuf>,
) -> Result<()> {
    // Canonical paths guard against symlink loops.
    let canonical = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
    if !visited.insert(canonical) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            collect_parquet(&path, out, visited)?;
        } else if name.ends_with(".parquet") || name.ends_with(".pq") {
            out.push(path);
        }
    }
    Ok(())
}

enum Format {
    Parquet,
    ArrowFile,
    ArrowStream,
}

fn sniff(path: &Path) -> Result<Format> {
    use std::io::Read;
    let mut head = [0u8; 6];
    let mut file = crate::files::open_regular(path).map_err(|e| Error::io(path, e))?;
    let n = file.read(&mut head).map_err(|e| Error::io(path, e))?;
    if n == 0 {
        return Err(Error::input(path, "the file is empty"));
    }
    if head.starts_with(b"PAR1") {
        Ok(Format::Parquet)
    } else if head.starts_with(b"ARROW1") {
        Ok(Format::ArrowFile)
    } else if head[..n.min(4)] == [0xff, 0xff, 0xff, 0xff][..n.min(4)] {
        Ok(Format::ArrowStream)
    } else {
        Err(Error::input(
            path,
            "not a Parquet or Arrow IPC file (expected the PAR1 or ARROW1 magic bytes)",
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
}

impl BatchSource {
    pub fn open(path: &Path) -> Result<Self> {
        let format = sniff(path)?;
        let file = crate::files::open_regular(path).map_err(|e| Error::io(path, e))?;
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
        })
    }

    pub fn schema(&self) -> SchemaRef {
        match self {
            BatchSource::Parquet(_, b) => b.schema().clone(),
            BatchSource::ArrowFile(_, m) => m.schema.clone(),
            BatchSource::ArrowStream(_, r) => r.schema(),
        }
    }

    /// Class names from Parquet key-value metadata, which pyarrow writes for schema metadata too.
    fn file_metadata(&self, key: &str) -> Option<String> {
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
        }
    }
}

/// An Arrow IPC file, memory-mapped: its record batches borrow the mapping, so an uncompressed
/// file's embedding column is used where it lies, never copied (the OS pages it in on use).
/// The file must not be truncated while faultline runs, as with any memory-mapped input.
pub(crate) struct MappedArrowFile {
    buffer: Buffer,
    schema: SchemaRef,
    version: arrow::ipc::MetadataVersion,
    dictionaries: Vec<arrow::ipc::Block>,
    blocks: Vec<arrow::ipc::Block>,
}

impl MappedArrowFile {
    fn open(file: &File) -> std::result::Result<MappedArrowFile, arrow::error::ArrowError> {
        use arrow::error::ArrowError;
        // SAFETY: the mapping is read-only; the input contract says inputs are not modified
        // while faultline reads them.
        let mmap = unsafe { memmap2::Mmap::map(file) }
            .map_err(|e| ArrowError::IoError(e.to_string(), e))?;
        let len = mmap.len();
        if len < 18 {
            return Err(ArrowError::ParseError("too short for an Arrow file".into()));
        }
        let ptr = std::ptr::NonNull::new(mmap.as_ptr() as *mut u8)
            .ok_or_else(|| ArrowError::ParseError("empty mapping".into()))?;
        // SAFETY: ptr and len describe the mapping, which the Arc keeps alive as long as any
        // buffer sliced from it.
        let buffer = unsafe { Buffer::from_custom_allocation(ptr, len, std::sync::Arc::new(mmap)) };
        let trailer = len - 10;
        let footer_len = arrow::ipc::reader::read_footer_length(
            buffer[trailer..].try_into().expect("ten bytes"),
        )?;
        let footer_start = trailer
            .checked_sub(footer_len)
            .ok_or_else(|| ArrowError::ParseError("footer longer than the file".into()))?;
        let footer = arrow::ipc::root_as_footer(&buffer[footer_start..trailer])
            .map_err(|e| ArrowError::ParseError(format!("unreadable footer: {e}")))?;
        let schema = footer
            .schema()
            .ok_or_else(|| ArrowError::ParseError("no schema in the footer".into()))?;
        let schema = std::sync::Arc::new(arrow::ipc::convert::try_fb_to_schema(schema)?);
        let version = footer.version();
        let dictionaries = footer
            .dictionaries()
            .map(|d| d.iter().copied().collect())
            .unwrap_or_default();
        let blocks = footer
            .recordBatches()
            .map(|b| b.iter().copied().collect())
            .unwrap_or_default();
        Ok(MappedArrowFile {
            buffer,
            schema,
            version,
            dictionaries,
            blocks,
        })
    }

    fn block_data(
        &self,
        block: &arrow::ipc::Block,
    ) -> std::result::Result<Buffer, arrow::error::ArrowError> {
        let start = usize::try_from(block.offset()).ok();
        let len = usize::try_from(block.metaDataLength() as i64 + block.bodyLength()).ok();
        match (start, len) {
            (Some(start), Some(len))
                if start
                    .checked_add(len)
                    .is_some_and(|end| end <= self.buffer.len()) =>
            {
                Ok(self.buffer.slice_with_length(start, len))
            }
            _ => Err(arrow::error::ArrowError::ParseError(
                "a record batch lies outside the file".into(),
            )),
        }
    }

    fn batches(
        self,
        projection: Vec<usize>,
    ) -> impl Iterator<Item = std::result::Result<RecordBatch, arrow::error::ArrowError>> {
        let mut decoder = arrow::ipc::reader::FileDecoder::new(self.schema.clone(), self.version)
            .with_projection(projection);
        let mut failed = None;
        for block in &self.dictionaries {
            if let Err(e) = self
                .block_data(block)
                .and_then(|data| decoder.read_dictionary(block, &data))
            {
                failed = Some(e);
                break;
            }
        }
        let mut next = 0;
        std::iter::from_fn(move || {
            if let Some(e) = failed.take() {
                next = self.blocks.len();
                return Some(Err(e));
            }
            let block = self.blocks.get(next)?;
            next += 1;
            let decoded = self
                .block_data(block)
                .and_then(|data| decoder.read_record_batch(block, &data));
            match decoded {
                Ok(Some(batch)) => Some(Ok(batch)),
                Ok(None) => Some(Err(arrow::error::ArrowError::ParseError(
                    "a record batch block holds no record batch".into(),
                ))),
                Err(e) => Some(Err(e)),
            }
        })
    }
}

/// Column-by-column accumulation of every file's batches.
struct Accumulator<'a> {
    names: &'a ColumnNames,
    /// Read (and require) the embedding column.
    with_embeddings: bool,
    wanted: Vec<String>,
    /// Which optional columns the first file had; every later shard must agree.
    present: Option<HashSet<String>>,
    /// The class names the first file's metadata gave, parsed, and that file.
    class_names_meta: Option<(PathBuf, Vec<String>)>,
    /// (file, first global row of that file)
    files: Vec<(PathBuf, usize)>,
    rows: usize,
    dim: Option<usize>,
    embeddings: Vec<ScalarBuffer<f32>>,
    labels: Option<RawClasses>,
    predictions: Option<RawClasses>,
    correct: Vec<Option<bool>>,
    splits: Vec<Option<String>>,
    confidence: Vec<Option<f32>>,
    images: Vec<Option<String>>,
    ids: Option<RawIds>,
}

impl<'a> Accumulator<'a> {
    fn new(names: &'a ColumnNames, with_embeddings: bool) -> Self {
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
            files: Vec::new(),
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

    fn has(&self, column: &str) -> bool {
        self.present.as_ref().is_some_and(|p| p.contains(column))
    }

    fn begin_file(
        &mut self,
        file: &Path,
        schema: SchemaRef,
        class_names: Option<String>,
    ) -> Result<()> {
        let names: HashSet<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let embedding = self.with_embeddings.then_some(&self.names.embedding);
        for required in embedding.into_iter().chain([&self.names.label]) {
            if !names.contains(required) {
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
                        self.files[0].0.display(),
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
        self.files.push((file.to_path_buf(), self.rows));
        Ok(())
    }

    fn add_batch(&mut self, file: &Path, batch: &RecordBatch, first_row: usize) -> Result<()> {
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
    fn locate(&self, row: usize) -> (&Path, usize) {
        let k = self.files.partition_point(|(_, start)| *start <= row) - 1;
        (&self.files[k].0, row - self.files[k].1)
    }

    fn cell_error(&self, column: &str, row: usize, message: impl Into<String>) -> Error {
        let (file, local) = self.locate(row);
        Error::cell(file, column, local, message)
    }

    fn finish(mut self, source: &Path, options: &LoadOptions) -> Result<Parts> {
        let names = self.names;
        if self.rows == 0 {
            return Err(Error::input(source, "the dataset has no rows"));
        }
        let dim = self.dim.unwrap_or(0);
        let class_names_given = self.given_class_names(options)?;
        let labels_raw = self.labels.take().expect("label column is required");
        let predictions_raw = self.predictions.take();
        if let Some(p) = &predictions_raw {
            if p.kind() != labels_raw.kind() {
                return Err(Error::column(
                    &self.files[0].0,
                    &names.prediction,
                    format!(
                        "predictions are {} but labels are {}; both must be class indices or both class names",
                        p.kind(),
                        labels_raw.kind()
                    ),
                ));
            }
        }
        let (class_names, labels, predictions) =
            self.resolve_classes(class_names_given, labels_raw, predictions_raw)?;

        let has_split = self.has(&names.split);
        let mut splits = Vec::with_capacity(self.rows);
        if has_split {
            for (row, value) in self.splits.iter().enumerate() {
                let split = value.as_deref().and_then(Split::parse).ok_or_else(|| {
                    self.cell_error(
                        &names.split,
                        row,
                        format!(
                            "split is {}; expected train, val, test or pool",
                            value
                                .as_deref()
                                .map_or("null".to_string(), |v| format!("'{v}'"))
                        ),
                    )
                })?;
                splits.push(split);
            }
        }

        let has_correct = self.has(&names.correct);
        let mut correct = Vec::with_capacity(self.rows);
        for row in 0..self.rows {
            let is_pool = has_split && splits[row] == Split::Pool;
            let value = if has_correct {
                self.correct[row]
            } else {
                let predictions = predictions
                    .as_ref()
                    .expect("checked: prediction or correct");
                match (labels[row], predictions[row]) {
                    (Some(l), Some(p)) => Some(l == p),
                    _ => None,
                }
            };
            if !is_pool {
                if labels[row].is_none() {
                    return Err(self.cell_error(
                        &names.label,
                        row,
                        "label is null; only rows of the 'pool' split may lack a label",
                    ));
                }
                if value.is_none() {
                    let column = if has_correct {
                        &names.correct
                    } else {
                        &names.prediction
                    };
                    return Err(self.cell_error(
                        column,
                        row,
                        format!("{column} is null; only rows of the 'pool' split may lack it"),
                    ));
                }
            }
            correct.push(value);
        }

        let split_source = if has_split {
            SplitSource::Column {
                name: names.split.clone(),
            }
        } else {
            let label_ids: Vec<u32> = labels.iter().map(|l| l.unwrap_or(0)).collect();
            let flags: Vec<bool> = correct.iter().map(|c| c.unwrap_or(false)).collect();
            splits = stratified_val_test_split(&label_ids, &flags, options.split_seed);
            SplitSource::Generated {
                seed: options.split_seed,
            }
        };

        let confidence = if self.has(&names.confidence) {
            for (row, value) in self.confidence.iter().enumerate() {
                if value.is_none() && splits[row] != Split::Pool {
                    return Err(self.cell_error(&names.confidence, row, "confidence is null"));
                }
            }
            Some(
                self.confidence
                    .iter()
                    .map(|v| v.unwrap_or(f32::NAN))
                    .collect(),
            )
        } else {
            None
        };

        let base = if std::fs::metadata(source)
            .map(|m| m.is_dir())
            .unwrap_or(false)
        {
            source.to_path_buf()
        } else {
            source.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let images = self.has(&names.image).then(|| {
            self.images
                .iter()
                .map(|v| v.as_ref().map(|p| base.join(p)))
                .collect()
        });

        let ids = self.resolve_ids()?;
        let embeddings = self.with_embeddings.then(|| {
            let embeddings = Embeddings::from_chunks(dim, std::mem::take(&mut self.embeddings));
            debug_assert_eq!(embeddings.len(), self.rows, "{:?}", self.files);
            embeddings
        });
        Ok(Parts {
            embeddings,
            labels,
            predictions,
            correct,
            splits,
            split_source,
            confidence,
            images,
            ids,
            class_names,
        })
    }

    fn given_class_names(&self, options: &LoadOptions) -> Result<Option<Vec<String>>> {
        if let Some(path) = &options.classes_file {
            return read_class_names(path).map(Some);
        }
        Ok(self
            .class_names_meta
            .as_ref()
            .map(|(_, names)| names.clone()))
    }

    #[allow(clippy::type_complexity)]
    fn resolve_classes(
        &self,
        given: Option<Vec<String>>,
        labels: RawClasses,
        predictions: Option<RawClasses>,
    ) -> Result<(Vec<String>, Vec<Option<u32>>, Option<Vec<Option<u32>>>)> {
        let names = self.names;
        match (labels, predictions) {
            (RawClasses::Int(labels), predictions) => {
                let predictions = predictions.map(|p| match p {
                    RawClasses::Int(p) => p,
                    RawClasses::Text(_) => unreachable!("kinds checked"),
                });
                let mut max = -1i64;
                let mut max_at = (names.label.as_str(), 0);
                for (column, values) in [
                    (&names.label, Some(&labels)),
                    (&names.prediction, predictions.as_ref()),
                ] {
                    for (row, v) in values.into_iter().flatten().enumerate() {
                        if let Some(v) = *v {
                            if v < 0 {
                                return Err(self.cell_error(
                                    column,
                                    row,
                                    format!("class index {v} is negative"),
                                ));
                            }
                            if let Some(given) = &given {
                                if v as usize >= given.len() {
                                    return Err(self.cell_error(
                                        column,
                                        row,
                                        format!("class index {v} is out of range: there are {} class names", given.len()),
                                    ));
                                }
                            }
                            if v > u32::MAX as i64 / 2 {
                                return Err(self.cell_error(
                                    column,
                                    row,
                                    format!("class index {v} is too large"),
                                ));
                            }
                            if v > max {
                                max = v;
                                max_at = (column.as_str(), row);
                            }
                        }
                    }
                }
                // Counting distinct indices costs a pass: only made when the indices are large.
                let distinct = || -> usize {
                    let values = labels.iter().chain(predictions.iter().flatten());
                    values.flatten().collect::<HashSet<_>>().len()
                };
                if given.is_none() && !plausible_class_count(max as u64 + 1, distinct) {
                    let (column, row) = max_at;
                    return Err(self.cell_error(
                        column,
                        row,
                        format!(
                            "class index {max} is far beyond the {} distinct classes in the data \
                             (without class names, indices must be below {MAX_UNNAMED_CLASSES} or \
                             {UNNAMED_SPREAD} times the number of distinct classes); map the labels \
                             to 0..N-1, or give the names with --classes FILE",
                            distinct()
                        ),
                    ));
                }
                let class_names =
                    given.unwrap_or_else(|| (0..=max).map(|i| format!("class {i}")).collect());
                let to_u32 = |v: &Vec<Option<i64>>| v.iter().map(|x| x.map(|x| x as u32)).collect();
                Ok((
                    class_names,
                    to_u32(&labels),
                    predictions.as_ref().map(to_u32),
                ))
            }
            (RawClasses::Text(labels), predictions) => {
                let predictions = predictions.map(|p| match p {
                    RawClasses::Text(p) => p,
                    RawClasses::Int(_) => unreachable!("kinds checked"),
                });
                let class_names = match given {
                    Some(given) => given,
                    None => {
                        let mut set = BTreeSet::new();
                        for v in labels.iter().chain(predictions.iter().flatten()).flatten() {
                            if !set.contains(v.as_str()) {
                                set.insert(v.clone());
                            }
                        }
                        set.into_iter().collect()
                    }
                };
                let index: HashMap<&str, u32> = class_names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.as_str(), i as u32))
                    .collect();
                let map =
                    |column: &str, values: &Vec<Option<String>>| -> Result<Vec<Option<u32>>> {
                        values
                            .iter()
                            .enumerate()
                            .map(|(row, v)| match v {
                                None => Ok(None),
                                Some(name) => {
                                    index.get(name.as_str()).map(|&i| Some(i)).ok_or_else(|| {
                                        self.cell_error(
                                            column,
                                            row,
                                            format!("unknown class name '{name}'"),
                                        )
                                    })
                                }
                            })
                            .collect()
                    };
                let label_ids = map(&names.label, &labels)?;
                let prediction_ids = match &predictions {
                    Some(p) => Some(map(&names.prediction, p)?),
                    None => None,
                };
                Ok((class_names, label_ids, prediction_ids))
            }
        }
    }

    fn resolve_ids(&mut self) -> Result<Ids> {
        Ok(match self.ids.take() {
            None => Ids::RowNumbers,
            Some(RawIds::Int(values)) => Ids::Int(self.unique_ids(values, |v| v.to_string())?),
            Some(RawIds::UInt(values)) => Ids::UInt(self.unique_ids(values, |v| v.to_string())?),
            Some(RawIds::Text(values)) => Ids::Text(self.unique_ids(values, |v| format!("'{v}'"))?),
        })
    }

    /// The ids when none is null or repeated; else an error at the second occurrence that
    /// names the first by its row in its own file (and that file, when another), as the
    /// error's location does.
    fn unique_ids<T: std::hash::Hash + Eq + Clone>(
        &self,
        values: Vec<Option<T>>,
        show: impl Fn(&T) -> String,
    ) -> Result<Vec<T>> {
        let column = &self.names.id;
        let mut seen: HashMap<&T, usize> = HashMap::with_capacity(values.len());
        for (row, v) in values.iter().enumerate() {
            let v = v
                .as_ref()
                .ok_or_else(|| self.cell_error(column, row, "id is null"))?;
            if let Some(first) = seen.insert(v, row) {
                let (first_file, first_local) = self.locate(first);
                let place = if first_file == self.locate(row).0 {
                    format!("row {first_local}")
                } else {
                    format!("row {first_local} of {}", first_file.display())
                };
                return Err(self.cell_error(
                    column,
                    row,
                    format!("id {} repeats {place}", show(v)),
                ));
            }
        }
        drop(seen);
        Ok(values.into_iter().flatten().collect())
    }
}

/// Class indices without names: the names `class 0..=max` are made for every index, so an
/// index must stay near the number of classes actually present (a label column of ids or
/// hashes would otherwise allocate gigabytes of empty classes).
const MAX_UNNAMED_CLASSES: u64 = 65_536;
const UNNAMED_SPREAD: u64 = 16;

fn plausible_class_count(classes: u64, distinct: impl FnOnce() -> usize) -> bool {
    classes <= MAX_UNNAMED_CLASSES || classes <= UNNAMED_SPREAD * distinct() as u64
}

fn parse_class_names(file: &Path, json: &str) -> Result<Vec<String>> {
    let names: Vec<String> = serde_json::from_str(json).map_err(|e| {
        Error::input(
            file,
            format!("metadata '{CLASS_NAMES_KEY}' is not a JSON array of strings: {e}"),
        )
    })?;
    check_unique(file, &names)?;
    Ok(names)
}

/// The first few names, for a message.
fn names_preview(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(4).map(|n| format!("'{n}'")).collect();
    let more = names.len().saturating_sub(4);
    if more > 0 {
        format!("{}, ... {} names", shown.join(", "), names.len())
    } else {
        shown.join(", ")
    }
}

fn check_unique(file: &Path, names: &[String]) -> Result<()> {
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(Error::input(
                file,
                format!("class name '{name}' appears twice"),
            ));
        }
    }
    Ok(())
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
