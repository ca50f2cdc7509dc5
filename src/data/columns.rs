//! Converting Arrow columns into plain typed vectors, rejecting bad values with the file, column
//! and row where they occur.

use crate::error::{Error, Result};
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, FixedSizeListArray, GenericListArray, OffsetSizeTrait,
    PrimitiveArray,
};
use arrow::buffer::ScalarBuffer;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float16Type, Float32Type, Float64Type, Int64Type, UInt64Type};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where each file's rows begin among the rows of several files read one after another, so a
/// row of the whole is named by its file and its row there.
#[derive(Debug, Default)]
pub(crate) struct RowLocator {
    /// (file, first row of the whole that it holds), in reading order.
    files: Vec<(PathBuf, usize)>,
}

impl RowLocator {
    /// The next file, whose first row is `start` of the whole.
    pub fn push(&mut self, file: &Path, start: usize) {
        self.files.push((file.to_path_buf(), start));
    }

    pub fn first_file(&self) -> Option<&Path> {
        self.files.first().map(|(f, _)| f.as_path())
    }

    /// The file holding `row` of the whole, and the row's number in it.
    pub fn locate(&self, row: usize) -> (&Path, usize) {
        let k = self.files.partition_point(|(_, start)| *start <= row) - 1;
        (&self.files[k].0, row - self.files[k].1)
    }

    /// Each file and the number of rows it holds, in reading order; `total` is the whole's.
    pub fn rows_per_file(&self, total: usize) -> Vec<(PathBuf, usize)> {
        let ends = self.files.iter().skip(1).map(|(_, start)| *start);
        self.files
            .iter()
            .zip(ends.chain(std::iter::once(total)))
            .map(|((file, start), end)| (file.clone(), end - start))
            .collect()
    }

    /// An error about one cell, named by its file, column and row there.
    pub fn cell_error(&self, column: &str, row: usize, message: impl Into<String>) -> Error {
        let (file, local) = self.locate(row);
        Error::cell(file, column, local, message)
    }
}

/// Class names read from a column, as indices into `class_names` (exact names; nulls stay
/// null); an unknown name is an error naming its file, column and row.
pub(crate) fn names_to_indices(
    class_names: &[String],
    column: &str,
    values: &[Option<String>],
    rows: &RowLocator,
) -> Result<Vec<Option<u32>>> {
    let index: HashMap<&str, u32> = class_names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect();
    values
        .iter()
        .enumerate()
        .map(|(row, v)| match v {
            None => Ok(None),
            Some(name) => index.get(name.as_str()).map(|&i| Some(i)).ok_or_else(|| {
                rows.cell_error(column, row, format!("unknown class name '{name}'"))
            }),
        })
        .collect()
}

/// Where a batch sits: the file it came from and the row of its first element in that file.
#[derive(Clone, Copy)]
pub(crate) struct Place<'a> {
    pub file: &'a Path,
    pub column: &'a str,
    pub first_row: usize,
}

impl Place<'_> {
    pub fn at(&self, i: usize, message: impl Into<String>) -> Error {
        Error::cell(self.file, self.column, self.first_row + i, message)
    }

    pub fn whole(&self, message: impl Into<String>) -> Error {
        Error::column(self.file, self.column, message)
    }

    fn first_null(&self, array: &dyn Array, what: &str) -> Result<()> {
        if array.null_count() > 0 {
            let i = (0..array.len()).find(|&i| array.is_null(i)).unwrap_or(0);
            return Err(self.at(i, format!("{what} is null")));
        }
        Ok(())
    }
}

/// Appends one batch of embeddings to `out`, fixing the dimension on the first row seen.
pub(crate) fn append_embeddings(
    place: Place,
    array: &ArrayRef,
    dim: &mut Option<usize>,
    out: &mut Vec<ScalarBuffer<f32>>,
) -> Result<()> {
    place.first_null(array.as_ref(), "the embedding")?;
    match array.data_type() {
        DataType::FixedSizeList(_, size) => {
            let list: &FixedSizeListArray = array.as_fixed_size_list();
            let size = *size as usize;
            expect_dim(place, 0, size, dim)?;
            append_floats(place, list.values(), size, out)
        }
        DataType::List(_) => append_list(place, array.as_list::<i32>(), dim, out),
        DataType::LargeList(_) => append_list(place, array.as_list::<i64>(), dim, out),
        other => Err(place.whole(format!(
            "expected a list of floats (FixedSizeList or List of Float16/32/64), found {other}"
        ))),
    }
}

fn expect_dim(place: Place, i: usize, len: usize, dim: &mut Option<usize>) -> Result<()> {
    match *dim {
        None if len == 0 => Err(place.at(i, "the embedding is empty (dimension 0)")),
        None => {
            *dim = Some(len);
            Ok(())
        }
        Some(d) if d != len => Err(place.at(
            i,
            format!("the embedding has {len} values but earlier rows have {d}"),
        )),
        Some(_) => Ok(()),
    }
}

fn append_list<O: OffsetSizeTrait>(
    place: Place,
    list: &GenericListArray<O>,
    dim: &mut Option<usize>,
    out: &mut Vec<ScalarBuffer<f32>>,
) -> Result<()> {
    let offsets = list.value_offsets();
    for i in 0..list.len() {
        let len = (offsets[i + 1] - offsets[i]).as_usize();
        expect_dim(place, i, len, dim)?;
    }
    let start = offsets[0].as_usize();
    let end = offsets[list.len()].as_usize();
    let values = list.values().slice(start, end - start);
    append_floats(place, &values, dim.unwrap_or(1), out)
}

/// True when every value is finite; written to vectorise (no early exit inside a block), since
/// it reads every embedding value of the dataset.
fn all_finite(values: &[f32]) -> bool {
    values
        .chunks(4096)
        .all(|block| block.iter().fold(true, |ok, v| ok & v.is_finite()))
}

/// Appends the flat child values of an embedding column as one chunk: float32 values are kept
/// as they were read (no copy), other widths converted. `per_row` maps a bad value to its row.
fn append_floats(
    place: Place,
    values: &ArrayRef,
    per_row: usize,
    out: &mut Vec<ScalarBuffer<f32>>,
) -> Result<()> {
    if values.null_count() > 0 {
        let i = (0..values.len()).find(|&i| values.is_null(i)).unwrap_or(0);
        return Err(place.at(i / per_row, "the embedding contains a null value"));
    }
    let chunk: ScalarBuffer<f32> = match values.data_type() {
        DataType::Float32 => values.as_primitive::<Float32Type>().values().clone(),
        DataType::Float64 => {
            let wide = values.as_primitive::<Float64Type>().values();
            let narrow: Vec<f32> = wide.iter().map(|&v| v as f32).collect();
            // A finite float64 beyond float32's range turns into inf: say that, not "inf".
            if !all_finite(&narrow) {
                let bad = narrow.iter().position(|v| !v.is_finite()).unwrap_or(0);
                if wide[bad].is_finite() {
                    return Err(place.at(
                        bad / per_row,
                        format!(
                            "the embedding value {:e} overflows float32 (largest {:e})",
                            wide[bad],
                            f32::MAX
                        ),
                    ));
                }
            }
            narrow.into()
        }
        DataType::Float16 => values
            .as_primitive::<Float16Type>()
            .values()
            .iter()
            .map(|v| v.to_f32())
            .collect::<Vec<f32>>()
            .into(),
        other => {
            return Err(place.whole(format!(
                "expected embedding values of Float16, Float32 or Float64, found {other}"
            )))
        }
    };
    if !all_finite(&chunk) {
        let bad = chunk.iter().position(|v| !v.is_finite()).unwrap_or(0);
        return Err(place.at(
            bad / per_row,
            format!("the embedding contains {}", chunk[bad]),
        ));
    }
    out.push(chunk);
    Ok(())
}

/// A class column as read: integer indices or names, nulls kept for the caller to judge.
#[derive(Debug)]
pub(crate) enum RawClasses {
    Int(Vec<Option<i64>>),
    Text(Vec<Option<String>>),
}

impl RawClasses {
    pub fn kind(&self) -> &'static str {
        match self {
            RawClasses::Int(_) => "integer",
            RawClasses::Text(_) => "string",
        }
    }
}

fn is_text(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, value) => is_text(value),
        _ => false,
    }
}

/// Appends a label or prediction batch. Floats are accepted when integral, since pandas turns an
/// integer column with missing values into float64.
pub(crate) fn append_classes(
    place: Place,
    array: &ArrayRef,
    out: &mut Option<RawClasses>,
) -> Result<()> {
    let array = &numbers_undictionaried(place, array)?;
    let data_type = array.data_type();
    if is_text(data_type) {
        let strings = to_utf8(place, array)?;
        let strings = strings.as_string::<i32>();
        let values = out.get_or_insert_with(|| RawClasses::Text(Vec::new()));
        let RawClasses::Text(values) = values else {
            return Err(place.whole("string values in a column that earlier held integers"));
        };
        values.extend(strings.iter().map(|v| v.map(str::to_string)));
        return Ok(());
    }
    let ints: Vec<Option<i64>> = if data_type.is_integer() {
        if let Some((i, v)) = beyond_i64(array) {
            return Err(place.at(i, format!("class index {v} is too large")));
        }
        let cast = cast(array, &DataType::Int64).map_err(|e| place.whole(e.to_string()))?;
        cast.as_primitive::<Int64Type>().iter().collect()
    } else if data_type.is_floating() {
        let floats = to_f64(place, array)?;
        let mut ints = Vec::with_capacity(floats.len());
        for (i, v) in floats.iter().enumerate() {
            ints.push(match v {
                None => None,
                Some(v) if v.is_nan() => None,
                Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => Some(v as i64),
                Some(v) => return Err(place.at(i, format!("{v} is not a class index"))),
            });
        }
        ints
    } else if matches!(data_type, DataType::Null) {
        vec![None; array.len()]
    } else {
        return Err(place.whole(format!(
            "expected integer class indices or string class names, found {data_type}"
        )));
    };
    let values = out.get_or_insert_with(|| RawClasses::Int(Vec::new()));
    let RawClasses::Int(values) = values else {
        return Err(place.whole("integer values in a column that earlier held strings"));
    };
    values.extend(ints);
    Ok(())
}

/// A dictionary-encoded column of numbers (pandas' categorical integers) as its plain values;
/// any other column as it is (strings stay dictionary-encoded: `to_utf8` reads those).
fn numbers_undictionaried(place: Place, array: &ArrayRef) -> Result<ArrayRef> {
    match array.data_type() {
        DataType::Dictionary(_, value) if value.is_integer() || value.is_floating() => {
            cast(array, value).map_err(|e| place.whole(e.to_string()))
        }
        _ => Ok(array.clone()),
    }
}

/// The first uint64 value that int64 cannot hold (a cast would make it null), with its index.
fn beyond_i64(array: &ArrayRef) -> Option<(usize, u64)> {
    if array.data_type() != &DataType::UInt64 {
        return None;
    }
    array
        .as_primitive::<UInt64Type>()
        .iter()
        .enumerate()
        .find_map(|(i, v)| v.filter(|&v| v > i64::MAX as u64).map(|v| (i, v)))
}

/// An id column as read: signed integers, unsigned ones beyond int64 (a uint64 column of hashes),
/// or strings; nulls kept for the caller to judge.
#[derive(Debug)]
pub(crate) enum RawIds {
    Int(Vec<Option<i64>>),
    UInt(Vec<Option<u64>>),
    Text(Vec<Option<String>>),
}

/// Appends an id batch. Integers stay int64 until a uint64 value needs more; then the column
/// becomes uint64, which holds every earlier value unless one was negative.
pub(crate) fn append_ids(place: Place, array: &ArrayRef, out: &mut Option<RawIds>) -> Result<()> {
    let array = numbers_undictionaried(place, array)?;
    let data_type = array.data_type();
    if is_text(data_type) {
        let strings = to_utf8(place, &array)?;
        let values = out.get_or_insert_with(|| RawIds::Text(Vec::new()));
        let RawIds::Text(values) = values else {
            return Err(place.whole("string ids in a column that earlier held integers"));
        };
        values.extend(
            strings
                .as_string::<i32>()
                .iter()
                .map(|v| v.map(str::to_string)),
        );
        return Ok(());
    }
    if !data_type.is_integer() {
        return Err(place.whole(format!("expected integer or string ids, found {data_type}")));
    }
    if beyond_i64(&array).is_some() || matches!(out, Some(RawIds::UInt(_))) {
        let unsigned = widen_to_unsigned(place, out.take())?;
        *out = Some(unsigned);
        let Some(RawIds::UInt(values)) = out else {
            unreachable!("just made unsigned")
        };
        if data_type == &DataType::UInt64 {
            values.extend(array.as_primitive::<UInt64Type>().iter());
        } else {
            let signed = cast(&array, &DataType::Int64).map_err(|e| place.whole(e.to_string()))?;
            for (i, v) in signed.as_primitive::<Int64Type>().iter().enumerate() {
                values.push(match v {
                    Some(v) if v < 0 => return Err(negative_among_unsigned(place, i, v)),
                    v => v.map(|v| v as u64),
                });
            }
        }
        return Ok(());
    }
    let signed = cast(&array, &DataType::Int64).map_err(|e| place.whole(e.to_string()))?;
    let values = out.get_or_insert_with(|| RawIds::Int(Vec::new()));
    let RawIds::Int(values) = values else {
        return Err(place.whole("integer ids in a column that earlier held strings"));
    };
    values.extend(signed.as_primitive::<Int64Type>().iter());
    Ok(())
}

fn negative_among_unsigned(place: Place, i: usize, v: i64) -> Error {
    place.at(
        i,
        format!("id {v} is negative, but the column also holds ids beyond int64 (uint64)"),
    )
}

/// The ids read so far as uint64.
fn widen_to_unsigned(place: Place, ids: Option<RawIds>) -> Result<RawIds> {
    match ids {
        None => Ok(RawIds::UInt(Vec::new())),
        Some(RawIds::UInt(v)) => Ok(RawIds::UInt(v)),
        Some(RawIds::Text(_)) => {
            Err(place.whole("integer ids in a column that earlier held strings"))
        }
        Some(RawIds::Int(v)) => {
            if let Some(&Some(bad)) = v.iter().find(|x| x.is_some_and(|x| x < 0)) {
                return Err(place.whole(format!(
                    "id {bad} in an earlier batch is negative, but this batch holds ids beyond int64 (uint64)"
                )));
            }
            Ok(RawIds::UInt(
                v.into_iter().map(|x| x.map(|x| x as u64)).collect(),
            ))
        }
    }
}

pub(crate) fn to_utf8(place: Place, array: &ArrayRef) -> Result<ArrayRef> {
    if !is_text(array.data_type()) {
        return Err(place.whole(format!("expected strings, found {}", array.data_type())));
    }
    cast(array, &DataType::Utf8).map_err(|e| place.whole(e.to_string()))
}

fn to_f64(place: Place, array: &ArrayRef) -> Result<PrimitiveArray<Float64Type>> {
    let cast = cast(array, &DataType::Float64).map_err(|e| place.whole(e.to_string()))?;
    Ok(cast.as_primitive::<Float64Type>().clone())
}

/// A required numeric column: no nulls, no NaN or infinity.
pub(crate) fn finite_f32(place: Place, array: &ArrayRef) -> Result<Vec<Option<f32>>> {
    let data_type = array.data_type();
    if !(data_type.is_floating() || data_type.is_integer()) {
        return Err(place.whole(format!("expected numbers, found {data_type}")));
    }
    let values = to_f64(place, array)?;
    let mut out = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) if !v.is_finite() => return Err(place.at(i, format!("value is {v}"))),
            v => out.push(v.map(|v| v as f32)),
        }
    }
    Ok(out)
}

pub(crate) fn booleans(place: Place, array: &ArrayRef) -> Result<Vec<Option<bool>>> {
    match array.data_type() {
        DataType::Boolean => {
            let values: &BooleanArray = array.as_boolean();
            Ok(values.iter().collect())
        }
        t if t.is_integer() => {
            let cast = cast(array, &DataType::Int64).map_err(|e| place.whole(e.to_string()))?;
            let ints = cast.as_primitive::<Int64Type>();
            let mut out = Vec::with_capacity(ints.len());
            for (i, v) in ints.iter().enumerate() {
                out.push(match v {
                    None => None,
                    Some(0) => Some(false),
                    Some(1) => Some(true),
                    Some(v) => return Err(place.at(i, format!("{v} is not a boolean (0 or 1)"))),
                });
            }
            Ok(out)
        }
        other => Err(place.whole(format!("expected booleans, found {other}"))),
    }
}

pub(crate) fn strings(place: Place, array: &ArrayRef) -> Result<Vec<Option<String>>> {
    let utf8 = to_utf8(place, array)?;
    Ok(utf8
        .as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}
