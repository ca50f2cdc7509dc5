//! Helpers for integration tests: run the binary, write small datasets.
#![allow(dead_code)]

use arrow::array::{
    ArrayRef, FixedSizeListArray, Float32Array, Int64Array, ListArray, RecordBatch, StringArray,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Schema};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

pub fn faultline(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .env("FAULTLINE_CACHE_DIR", cache)
        .output()
        .expect("the binary runs")
}

/// Runs faultline and asserts it succeeded.
pub fn run_ok(args: &[&str], cache: &Path) -> Output {
    let out = faultline(args, cache);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn fixed_list(dim: usize, values: Vec<f32>) -> ArrayRef {
    let item = Arc::new(Field::new("item", DataType::Float32, true));
    Arc::new(FixedSizeListArray::new(
        item,
        dim as i32,
        Arc::new(Float32Array::from(values)),
        None,
    ))
}

pub fn variable_list(rows: Vec<Vec<f32>>) -> ArrayRef {
    let item = Arc::new(Field::new("item", DataType::Float32, true));
    let offsets = OffsetBuffer::from_lengths(rows.iter().map(|r| r.len()));
    let values: Vec<f32> = rows.into_iter().flatten().collect();
    Arc::new(ListArray::new(
        item,
        offsets,
        Arc::new(Float32Array::from(values)),
        None,
    ))
}

pub fn ints(values: Vec<Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from(values))
}

pub fn strings(values: Vec<Option<&str>>) -> ArrayRef {
    Arc::new(StringArray::from(values))
}

pub fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

pub fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

pub fn write_arrow(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = arrow::ipc::writer::FileWriter::try_new(file, &batch.schema()).unwrap();
    writer.write(batch).unwrap();
    writer.finish().unwrap();
}

/// An Arrow IPC file of `batch` cut into record batches of the given sizes (the rest last).
pub fn write_arrow_in_batches(path: &Path, batch: &RecordBatch, sizes: &[usize]) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = arrow::ipc::writer::FileWriter::try_new(file, &batch.schema()).unwrap();
    let mut start = 0;
    for &size in sizes {
        writer.write(&batch.slice(start, size)).unwrap();
        start += size;
    }
    writer
        .write(&batch.slice(start, batch.num_rows() - start))
        .unwrap();
    writer.finish().unwrap();
}

/// A small valid dataset: `n` rows, 4 dims, 2 classes, errors along dimension 0.
pub fn small_columns(n: usize) -> Vec<(&'static str, ArrayRef)> {
    let mut values = Vec::new();
    let mut labels = Vec::new();
    let mut predictions = Vec::new();
    for i in 0..n {
        let class = (i % 2) as i64;
        let hard = i % 5 == 0;
        let x = [
            if hard { 1.0 } else { -1.0 },
            (i as f32 * 0.37).sin(),
            (i as f32 * 0.11).cos(),
            class as f32,
        ];
        values.extend(x.iter().map(|v| v + 0.01 * ((i * 7 % 13) as f32)));
        labels.push(Some(class));
        predictions.push(Some(if hard && i % 3 != 0 { 1 - class } else { class }));
    }
    vec![
        ("embedding", fixed_list(4, values)),
        ("label", ints(labels)),
        ("prediction", ints(predictions)),
    ]
}

pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn path(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// Makes a FIFO at `path` (a path where a regular file is expected, in the hostile-input tests).
pub fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "{path:?}");
}

/// A .npy as NumPy writes it (format 1.0, header padded to a multiple of 64 bytes).
pub fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

/// Float32 rows as a .npy.
pub fn npy_f32(rows: usize, dim: usize, values: &[f32]) -> Vec<u8> {
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    npy("<f4", &format!("({rows}, {dim})"), &data)
}

/// Int64 ids as a .npy.
pub fn npy_ids(ids: &[i64]) -> Vec<u8> {
    let data: Vec<u8> = ids.iter().flat_map(|v| v.to_le_bytes()).collect();
    npy("<i8", &format!("({},)", ids.len()), &data)
}
