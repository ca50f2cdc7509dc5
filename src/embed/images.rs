//! `faultline embed images`: the batch job. Images are decoded and preprocessed in parallel
//! while the model runs on the previous batch. Output is written in chunks, each renamed into
//! place when complete, so an interrupted run (Ctrl-C, a kill, a crash, a preempted node)
//! resumes where it stopped when the same command is run again. `--shard I/N` takes the I-th of
//! N contiguous slices, so any scheduler can spread a large job over GPUs or machines; the
//! shards' files load as one dataset.

use super::inputs::{list_images, ImageList, IMAGE_COLUMN};
use super::model::{Device, ImageModel};
use super::preprocess::preprocess_file;
use super::progress::Progress;
use crate::error::{Error, Result};
use crate::files::write_atomically;
use arrow::array::{ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow::datatypes::{DataType, Field, Schema};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Shard, String> {
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("--shard takes I/N (like 0/4), got '{text}'"))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| format!("bad shard index '{i}'"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("bad shard count '{n}'"))?;
        if count == 0 || index >= count {
            return Err(format!("--shard {text}: needs 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// The rows of `n` this shard takes: a contiguous slice.
    pub fn rows(&self, n: usize) -> std::ops::Range<usize> {
        (self.index * n / self.count)..((self.index + 1) * n / self.count)
    }
}

pub struct ImageJob {
    pub model: PathBuf,
    pub input: PathBuf,
    pub out: PathBuf,
    pub batch_size: usize,
    pub chunk_rows: usize,
    pub shard: Option<Shard>,
    pub strict: bool,
    pub device: Device,
    pub threads: Option<usize>,
    pub quiet: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub row: usize,
    pub path: String,
    pub reason: String,
}

#[derive(Debug)]
pub struct ImageSummary {
    pub out: PathBuf,
    pub rows: usize,
    pub embedded: usize,
    pub resumed: usize,
    pub skipped: Vec<Skipped>,
    pub dim: usize,
    pub images_per_second: f64,
}

/// What a resumed run must agree with, or its chunks belong to another job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Manifest {
    input: String,
    input_rows: usize,
    range: (usize, usize),
    chunk_rows: usize,
    images: String,
    model: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct ChunkRecord {
    embedded: usize,
    dim: usize,
    skipped: Vec<Skipped>,
}

fn fingerprint(paths: &[&Path]) -> String {
    let mut text = String::new();
    for path in paths {
        let meta = std::fs::metadata(path);
        let (len, modified) = meta
            .map(|m| {
                (
                    m.len(),
                    m.modified()
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_secs()),
                )
            })
            .unwrap_or((0, 0));
        text.push_str(&format!("{}:{len}:{modified};", path.display()));
    }
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

fn images_hash(list: &ImageList, range: &std::ops::Range<usize>) -> String {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for path in &list.paths[range.clone()] {
        hasher.update(path.as_os_str().as_encoded_bytes());
        hasher.update(b"\0");
    }
    format!("{:016x}", hasher.digest())
}

/// The output file: with `--shard` and a folder (existing, or named with a trailing slash),
/// one `part-I-of-N.parquet` in it.
pub fn output_path(out: &Path, shard: Option<Shard>) -> PathBuf {
    let is_folder = out.is_dir() || out.as_os_str().to_string_lossy().ends_with('/');
    match shard {
        Some(s) if is_folder => out.join(format!("part-{:05}-of-{:05}.parquet", s.index, s.count)),
        _ => out.to_path_buf(),
    }
}

fn parts_dir(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "embeddings".into());
    // Hidden, so a folder of shards being written never loads half-done chunks as data.
    out.with_file_name(format!(".{name}.parts"))
}

/// Image paths as the output's loader will resolve them: an absolute path in the list stays
/// absolute; a relative one (relative to the list) is rewritten relative to the output's folder,
/// climbing with `..` when needed, so the dataset keeps working when moved with its images.
fn output_image_paths(list: &ImageList, rows: &[u32], out: &Path) -> ArrayRef {
    let out_dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Arc::new(StringArray::from_iter_values(rows.iter().map(|&r| {
        let path = &list.paths[r as usize];
        let shown = if list.absolute[r as usize] {
            path.clone()
        } else {
            crate::files::path_from(out_dir, path)
        };
        shown.to_string_lossy().replace('\\', "/")
    })))
}

fn chunk_batch(
    list: &ImageList,
    rows: &[u32],
    embeddings: Vec<f32>,
    dim: usize,
    out: &Path,
) -> Result<RecordBatch> {
    let indices = UInt32Array::from(rows.to_vec());
    let schema = list.table.schema();
    let mut fields: Vec<Field> = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (field, column) in schema.fields().iter().zip(list.table.columns()) {
        if field.name() == IMAGE_COLUMN {
            fields.push(Field::new(IMAGE_COLUMN, DataType::Utf8, false));
            columns.push(output_image_paths(list, rows, out));
        } else {
            let taken = arrow::compute::take(column.as_ref(), &indices, None)
                .map_err(|e| Error::Internal(e.to_string()))?;
            fields.push(field.as_ref().clone());
            columns.push(taken);
        }
    }
    let (field, embedding) = crate::data::write::embedding_column(embeddings, dim)?;
    fields.push(field);
    columns.push(embedding);
    RecordBatch::try_new(
        Arc::new(Schema::new(fields).with_metadata(schema.metadata().clone())),
        columns,
    )
    .map_err(|e| Error::Internal(e.to_string()))
}

fn write_batches(path: &Path, batches: impl Iterator<Item = Result<RecordBatch>>) -> Result<usize> {
    let mut rows = 0;
    let mut pending = batches.peekable();
    let first = match pending.peek() {
        Some(Ok(b)) => b.schema(),
        Some(Err(_)) => return pending.next().expect("peeked").map(|_| 0),
        None => return Ok(0),
    };
    let mut failure = None;
    write_atomically(path, |file| {
        let mut writer = parquet::arrow::ArrowWriter::try_new(file, first, None)
            .map_err(std::io::Error::other)?;
        for batch in pending {
            match batch {
                Ok(batch) => {
                    rows += batch.num_rows();
                    writer.write(&batch).map_err(std::io::Error::other)?;
                }
                Err(e) => {
                    failure = Some(e);
                    return Err(std::io::Error::other("reading a finished chunk failed"));
                }
            }
        }
        writer.close().map_err(std::io::Error::other)?;
        Ok(())
    })
    .map_err(|e| failure.take().unwrap_or(e))?;
    Ok(rows)
}

fn read_parquet(path: &Path) -> Result<Vec<RecordBatch>> {
    let file = crate::files::open_regular(path).map_err(|e| Error::io(path, e))?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| Error::input(path, format!("a finished chunk is unreadable: {e}")))?;
    reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::input(path, format!("a finished chunk is unreadable: {e}")))
}

/// Decoded batches: rows that worked with their values, and rows that did not with the reason.
type Decoded = (Vec<u32>, Vec<f32>, Vec<Skipped>);

fn decode_batch(list: &ImageList, rows: &[usize], model: &ImageModel) -> Decoded {
    let len = model.config.tensor_len();
    let results: Vec<(usize, std::result::Result<Vec<f32>, String>)> = rows
        .par_iter()
        .map(|&row| {
            let mut values = vec![0.0f32; len];
            let outcome = preprocess_file(&list.paths[row], &model.config, &mut values);
            (row, outcome.map(|_| values))
        })
        .collect();
    let mut kept = Vec::new();
    let mut pixels = Vec::with_capacity(rows.len() * len);
    let mut skipped = Vec::new();
    for (row, outcome) in results {
        match outcome {
            Ok(values) => {
                kept.push(row as u32);
                pixels.extend(values);
            }
            Err(reason) => skipped.push(Skipped {
                row,
                path: list.paths[row].display().to_string(),
                reason,
            }),
        }
    }
    (kept, pixels, skipped)
}

/// Where a row of the list is, as its user would find it: "row 20 (line 21 of list.csv)" for a
/// CSV (rows counted from 1, after the header line), "row 20" for Parquet, the file for a folder.
fn where_is(list: &ImageList, row: usize) -> String {
    let text = |e: &str| {
        list.source
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case(e))
    };
    if list.source.is_dir() {
        list.paths[row].display().to_string()
    } else if text("csv") || text("tsv") || text("txt") {
        format!(
            "row {} (line {} of {})",
            row + 1,
            row + 2,
            list.source.display()
        )
    } else {
        format!("row {} of {}", row + 1, list.source.display())
    }
}

/// Always printed, --quiet or not: each one is a row missing from the output.
fn report_skipped(list: &ImageList, skipped: &[Skipped]) {
    use std::io::IsTerminal;
    // On a terminal, clear the progress line first.
    let clear = if std::io::stderr().is_terminal() {
        "\r\x1b[2K"
    } else {
        ""
    };
    for s in skipped {
        let line = if list.source.is_dir() {
            format!("skipped {}: {}", s.path, s.reason)
        } else {
            format!(
                "skipped {}: {}: {}",
                where_is(list, s.row),
                s.path,
                s.reason
            )
        };
        let _ = std::io::Write::write_all(&mut std::io::stderr(), clear.as_bytes());
        crate::text::message(&line);
    }
}

struct RemoveIfNoChunks<'a>(&'a Path);

impl Drop for RemoveIfNoChunks<'_> {
    fn drop(&mut self) {
        let has_chunks = std::fs::read_dir(self.0).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("chunk-") && name.ends_with(".parquet")
            })
        });
        if !has_chunks {
            let _ = std::fs::remove_dir_all(self.0);
        }
    }
}

/// Tests of resumption set FAULTLINE_TEST_CRASH_AFTER_CHUNK=K to die like a killed process
/// right after chunk K is written (only in builds with the `test-hooks` feature).
#[cfg(feature = "test-hooks")]
fn simulate_crash(chunk: usize) {
    if std::env::var("FAULTLINE_TEST_CRASH_AFTER_CHUNK")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        == Some(chunk)
    {
        std::process::abort();
    }
}

pub fn run(job: &ImageJob) -> Result<ImageSummary> {
    if job.batch_size == 0 || job.chunk_rows == 0 {
        return Err(Error::usage(
            "--batch-size and --chunk-rows must be at least 1",
        ));
    }
    let list = list_images(&job.input)?;
    let out = output_path(&job.out, job.shard);
    if out.is_dir() {
        return Err(Error::usage(format!(
            "--out {} is a folder; name a .parquet file (or use --shard I/N to write part files into it)",
            out.display()
        )));
    }
    if let (Ok(a), Ok(b)) = (
        std::fs::canonicalize(&out),
        std::fs::canonicalize(&job.input),
    ) {
        if a == b {
            return Err(Error::usage("--out must not be the input file"));
        }
    }
    crate::files::output_folder(&out)?;
    let range = job.shard.map_or(0..list.len(), |s| s.rows(list.len()));
    let model = ImageModel::open(&job.model, job.device, job.threads)?;

    let parts = parts_dir(&out);
    let manifest = Manifest {
        input: std::path::absolute(&job.input)
            .unwrap_or_else(|_| job.input.clone())
            .display()
            .to_string(),
        input_rows: list.len(),
        range: (range.start, range.end),
        chunk_rows: job.chunk_rows,
        images: images_hash(&list, &range),
        model: fingerprint(&[
            model.graph_path(),
            &job.model.join("preprocessor_config.json"),
            &job.model.join("onnx").join("preprocessor_config.json"),
        ]),
    };
    let manifest_path = parts.join("manifest.json");
    if parts.exists() {
        let previous: Option<Manifest> = crate::files::read_to_string(&manifest_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        if previous.as_ref() != Some(&manifest) {
            return Err(Error::usage(format!(
                "{} holds an unfinished run of a different job (other input, model, shard or \
                 --chunk-rows); rerun that job to finish it, or delete the folder to start over",
                parts.display()
            )));
        }
    } else {
        std::fs::create_dir_all(&parts).map_err(|e| Error::io(&parts, e))?;
        let text = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
        write_atomically(&manifest_path, |f| {
            std::io::Write::write_all(f, text.as_bytes())
        })?;
    }

    // A failure before any chunk is finished leaves nothing behind; after one, the folder is
    // what a rerun resumes from.
    let _cleanup = RemoveIfNoChunks(&parts);
    let chunks: Vec<std::ops::Range<usize>> = range
        .clone()
        .step_by(job.chunk_rows)
        .map(|start| start..(start + job.chunk_rows).min(range.end))
        .collect();
    let chunk_file = |k: usize| parts.join(format!("chunk-{k:06}.parquet"));
    let record_file = |k: usize| parts.join(format!("chunk-{k:06}.json"));
    let mut skipped = Vec::new();
    let mut resumed = 0;
    let mut dim = 0;
    let mut done_chunks = vec![false; chunks.len()];
    for (k, rows) in chunks.iter().enumerate() {
        if chunk_file(k).exists() {
            let record: ChunkRecord = crate::files::read_to_string(&record_file(k))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .ok_or_else(|| {
                    Error::input(&record_file(k), "a finished chunk's record is missing or corrupt; delete the chunk to redo it")
                })?;
            resumed += rows.len();
            dim = record.dim;
            skipped.extend(record.skipped);
            done_chunks[k] = true;
        }
    }
    if resumed > 0 && !job.quiet {
        crate::text::message(&format!(
            "resuming: {resumed} of {} rows already done in {}",
            range.len(),
            parts.display()
        ));
    }
    let mut progress = Progress::new("embedded", range.len(), resumed, job.quiet);
    for (k, rows) in chunks.iter().enumerate() {
        if done_chunks[k] {
            continue;
        }
        let batches: Vec<Vec<usize>> = rows
            .clone()
            .collect::<Vec<_>>()
            .chunks(job.batch_size)
            .map(<[usize]>::to_vec)
            .collect();
        let mut kept: Vec<u32> = Vec::new();
        let mut embeddings: Vec<f32> = Vec::new();
        let mut chunk_skipped = Vec::new();
        // Decode batch b+1 while the model runs batch b.
        std::thread::scope(|scope| -> Result<()> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Decoded>(1);
            let list = &list;
            let model_ref = &model;
            scope.spawn(move || {
                for batch in &batches {
                    if tx.send(decode_batch(list, batch, model_ref)).is_err() {
                        return;
                    }
                }
            });
            for (rows_ok, pixels, bad) in rx {
                // With --strict the first bad image is the error, not a "skipped" line.
                if job.strict {
                    if let Some(first) = bad.first() {
                        return Err(Error::input(
                            Path::new(&first.path),
                            format!("{}: {} (--strict stops at the first bad image; finished chunks are kept)", where_is(list, first.row), first.reason),
                        ));
                    }
                }
                report_skipped(list, &bad);
                let n = rows_ok.len() + bad.len();
                if !rows_ok.is_empty() {
                    let (values, d) = model.embed(&pixels, rows_ok.len())?;
                    dim = d;
                    embeddings.extend(values);
                    kept.extend(rows_ok);
                }
                chunk_skipped.extend(bad);
                progress.advance(n);
            }
            Ok(())
        })?;
        // The record first: a chunk counts as done only once its data file is in place.
        let record = ChunkRecord {
            embedded: kept.len(),
            dim,
            skipped: chunk_skipped.clone(),
        };
        let text = serde_json::to_string(&record).expect("record serialises");
        write_atomically(&record_file(k), |f| {
            std::io::Write::write_all(f, text.as_bytes())
        })?;
        if !kept.is_empty() {
            let batch = chunk_batch(&list, &kept, embeddings, dim, &out)?;
            write_batches(&chunk_file(k), std::iter::once(Ok(batch)))?;
        } else {
            // Nothing usable in this chunk: an empty marker keeps resume simple.
            std::fs::write(chunk_file(k), b"").map_err(|e| Error::io(&chunk_file(k), e))?;
        }
        skipped.extend(chunk_skipped);
        #[cfg(feature = "test-hooks")]
        simulate_crash(k);
    }
    progress.finish();

    let finished: Vec<PathBuf> = (0..chunks.len())
        .map(chunk_file)
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        .collect();
    if finished.is_empty() {
        return Err(Error::input(
            &job.input,
            format!(
                "none of the {} images could be read (see the messages above)",
                range.len()
            ),
        ));
    }
    let batches = finished.iter().flat_map(|p| match read_parquet(p) {
        Ok(batches) => batches.into_iter().map(Ok).collect::<Vec<_>>(),
        Err(e) => vec![Err(e)],
    });
    let embedded = write_batches(&out, batches)?;
    std::fs::remove_dir_all(&parts).map_err(|e| Error::io(&parts, e))?;
    Ok(ImageSummary {
        out,
        rows: range.len(),
        embedded,
        resumed,
        skipped,
        dim,
        images_per_second: progress.rate(),
    })
}
