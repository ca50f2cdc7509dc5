//! The input contract: a dataset of embeddings with labels, predictions and splits, loaded and
//! validated once, so everything downstream can trust it.

mod columns;
mod load;
pub mod npy;
mod npz;
pub(crate) mod pair;
mod parquet_input;
mod partition;
mod split;
pub mod write;

pub mod captions;

pub use load::{
    available_memory, has_column, load_dataset, load_outcomes, read_class_names, ColumnNames,
    LoadOptions, Outcomes,
};

use arrow::buffer::ScalarBuffer;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Which part of the protocol a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Used for the standardisation statistics and for training-weight interventions.
    Train,
    /// The SVM is fitted (and C cross-validated) on these.
    Val,
    /// Ranked, checked and reported on.
    Test,
    /// Unlabelled candidates for data interventions.
    Pool,
}

impl Split {
    pub const ALL: [Split; 4] = [Split::Train, Split::Val, Split::Test, Split::Pool];

    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
            Split::Pool => "pool",
        }
    }

    /// Accepts the four names and the common spellings of "val".
    pub fn parse(text: &str) -> Option<Split> {
        match text.trim().to_ascii_lowercase().as_str() {
            "train" | "training" => Some(Split::Train),
            "val" | "valid" | "validation" => Some(Split::Val),
            "test" | "testing" => Some(Split::Test),
            "pool" | "unlabeled" | "unlabelled" => Some(Split::Pool),
            _ => None,
        }
    }
}

/// Row-major embeddings, `dim` f32 values a row, held in one or more chunks. `ScalarBuffer`s,
/// so the values can live in a Vec or stay in the record batches they were read in (a
/// memory-mapped Arrow file, Parquet's decoded batches) without another copy.
#[derive(Debug, Clone)]
pub struct Embeddings {
    dim: usize,
    rows: usize,
    chunks: Vec<ScalarBuffer<f32>>,
    /// Rows in every chunk but the last, when they agree: `row` is then one division.
    uniform_rows: Option<usize>,
    /// First row of each chunk, for the general case.
    starts: Vec<usize>,
}

impl Embeddings {
    pub fn new(dim: usize, values: ScalarBuffer<f32>) -> Self {
        Self::from_chunks(dim, vec![values])
    }

    /// Panics unless every chunk holds whole rows of `dim` values.
    pub fn from_chunks(dim: usize, chunks: Vec<ScalarBuffer<f32>>) -> Self {
        assert!(
            dim > 0 && chunks.iter().all(|c| c.len() % dim == 0),
            "embedding buffer is not n x dim"
        );
        let mut chunks: Vec<ScalarBuffer<f32>> =
            chunks.into_iter().filter(|c| !c.is_empty()).collect();
        if chunks.is_empty() {
            chunks.push(ScalarBuffer::from(Vec::new()));
        }
        let mut starts = Vec::with_capacity(chunks.len());
        let mut rows = 0;
        for chunk in &chunks {
            starts.push(rows);
            rows += chunk.len() / dim;
        }
        let first = (chunks[0].len() / dim).max(1);
        let last = chunks[chunks.len() - 1].len() / dim;
        let uniform_rows = (chunks[..chunks.len() - 1]
            .iter()
            .all(|c| c.len() / dim == first)
            && last <= first)
            .then_some(first);
        Embeddings {
            dim,
            rows,
            chunks,
            uniform_rows,
            starts,
        }
    }

    pub fn from_vec(dim: usize, values: Vec<f32>) -> Self {
        Self::new(dim, ScalarBuffer::from(values))
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn row(&self, i: usize) -> &[f32] {
        let (chunk, first) = match self.uniform_rows {
            Some(n) => (i / n, (i / n) * n),
            None => {
                let k = self.starts.partition_point(|&s| s <= i) - 1;
                (k, self.starts[k])
            }
        };
        let start = (i - first) * self.dim;
        &self.chunks[chunk][start..start + self.dim]
    }

    /// The buffers holding the values, chunk by chunk (to join embeddings read from several
    /// files without copying them).
    pub(crate) fn into_chunks(self) -> Vec<ScalarBuffer<f32>> {
        self.chunks
    }

    /// How many chunks hold the values.
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// All values, copied into one Vec (for writers).
    pub fn to_vec(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.rows * self.dim);
        for chunk in &self.chunks {
            out.extend_from_slice(chunk);
        }
        out
    }

    /// The values' bytes in native order, chunk by chunk (for hashing).
    pub fn byte_chunks(&self) -> impl Iterator<Item = &[u8]> {
        self.chunks.iter().map(|c| c.inner().as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_found_in_uniform_and_ragged_chunks() {
        let chunk = |rows: std::ops::Range<u32>| {
            ScalarBuffer::from(
                rows.flat_map(|r| [r as f32, -(r as f32)])
                    .collect::<Vec<f32>>(),
            )
        };
        let uniform = Embeddings::from_chunks(2, vec![chunk(0..3), chunk(3..6), chunk(6..7)]);
        let ragged = Embeddings::from_chunks(2, vec![chunk(0..2), chunk(2..7), chunk(7..7)]);
        assert_eq!(uniform.len(), 7);
        assert_eq!(ragged.len(), 7);
        for i in 0..7 {
            assert_eq!(uniform.row(i), [i as f32, -(i as f32)]);
            assert_eq!(ragged.row(i), [i as f32, -(i as f32)]);
        }
        assert_eq!(ragged.to_vec(), uniform.to_vec());
    }
}

/// Example ids as the user gave them, or row numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Ids {
    RowNumbers,
    Int(Vec<i64>),
    /// A uint64 column with values beyond int64 (hashes, for example).
    UInt(Vec<u64>),
    Text(Vec<String>),
}

/// One example id, for reports and exports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Id {
    Int(i64),
    UInt(u64),
    Text(String),
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Id::Int(v) => write!(f, "{v}"),
            Id::UInt(v) => write!(f, "{v}"),
            Id::Text(v) => f.write_str(v),
        }
    }
}

impl Ids {
    /// How many ids there are (None: row numbers, as many as the rows).
    pub fn count(&self) -> Option<usize> {
        match self {
            Ids::RowNumbers => None,
            Ids::Int(v) => Some(v.len()),
            Ids::UInt(v) => Some(v.len()),
            Ids::Text(v) => Some(v.len()),
        }
    }

    pub fn get(&self, row: usize) -> Id {
        match self {
            Ids::RowNumbers => Id::Int(row as i64),
            Ids::Int(values) => Id::Int(values[row]),
            Ids::UInt(values) => Id::UInt(values[row]),
            Ids::Text(values) => Id::Text(values[row].clone()),
        }
    }
}

/// Where the split assignment came from; reported so nobody mistakes a generated split for theirs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SplitSource {
    Column { name: String },
    Generated { seed: u64 },
}

/// A validated dataset. Every non-pool row has a label and a correctness flag.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The file or directory the user named.
    pub source: PathBuf,
    pub embeddings: Embeddings,
    /// True class index; `None` only on pool rows.
    pub labels: Vec<Option<u32>>,
    /// Predicted class index, when the input has predictions.
    pub predictions: Option<Vec<Option<u32>>>,
    /// Whether the model got the row right; `None` only on unlabelled pool rows.
    pub correct: Vec<Option<bool>>,
    pub splits: Vec<Split>,
    pub split_source: SplitSource,
    /// Probability the model gave the true label.
    pub confidence: Option<Vec<f32>>,
    /// Image paths, resolved against the dataset's folder.
    pub images: Option<Vec<Option<PathBuf>>>,
    pub ids: Ids,
    pub class_names: Vec<String>,
    /// Rows by split and class, built on first use so per-class lookups never scan the data.
    /// Labels and splits must not change once it is built.
    pub row_index: OnceLock<RowIndex>,
}

/// For each split, for each class, its rows in row order.
#[derive(Debug, Clone)]
pub struct RowIndex {
    by_split: [Vec<Vec<usize>>; 4],
}

impl RowIndex {
    fn build(labels: &[Option<u32>], splits: &[Split], num_classes: usize) -> RowIndex {
        let mut by_split: [Vec<Vec<usize>>; 4] = Default::default();
        for lists in &mut by_split {
            *lists = vec![Vec::new(); num_classes];
        }
        for (i, (label, split)) in labels.iter().zip(splits).enumerate() {
            if let Some(label) = label {
                by_split[*split as usize][*label as usize].push(i);
            }
        }
        RowIndex { by_split }
    }
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn dim(&self) -> usize {
        self.embeddings.dim()
    }

    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Rows of `split` whose true class is `class`, in row order.
    pub fn rows_of(&self, class: u32, split: Split) -> &[usize] {
        &self.rows_by_class(split)[class as usize]
    }

    /// For each class, its rows of `split` in row order.
    pub fn rows_by_class(&self, split: Split) -> &[Vec<usize>] {
        &self
            .row_index
            .get_or_init(|| RowIndex::build(&self.labels, &self.splits, self.num_classes()))
            .by_split[split as usize]
    }

    pub fn split_counts(&self) -> [usize; 4] {
        let mut counts = [0; 4];
        for split in &self.splits {
            counts[*split as usize] += 1;
        }
        counts
    }

    /// Looks a class up by exact name, then case-insensitively, then by index.
    pub fn class_index(&self, name: &str) -> Option<u32> {
        if let Some(i) = self.class_names.iter().position(|n| n == name) {
            return Some(i as u32);
        }
        if let Some(i) = self
            .class_names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
        {
            return Some(i as u32);
        }
        name.parse::<u32>()
            .ok()
            .filter(|&i| (i as usize) < self.num_classes())
    }

    pub fn image(&self, row: usize) -> Option<&PathBuf> {
        self.images.as_ref().and_then(|images| images[row].as_ref())
    }
}
