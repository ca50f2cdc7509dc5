//! Checking a caption: is the model really worse on images that look like the hard caption?

use super::linalg::cosine;
use crate::data::Dataset;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearestAccuracy {
    /// How many rows were averaged (K, or fewer when the class is smaller).
    pub k: usize,
    pub accuracy: f64,
}

/// Model accuracy on the `k` rows (of `rows`) nearest by cosine to `query`, in raw embedding
/// space (images and the caption's text embedding, as CLIP compares them).
pub fn accuracy_near(
    dataset: &Dataset,
    rows: &[usize],
    query: &[f32],
    k: usize,
) -> Option<NearestAccuracy> {
    if rows.is_empty() || k == 0 {
        return None;
    }
    let mut scored: Vec<(f64, usize)> = rows
        .iter()
        .map(|&i| (cosine(dataset.embeddings.row(i), query), i))
        .collect();
    let k = k.min(scored.len());
    // Most similar first; a partial sort is enough.
    scored.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let correct = scored[..k]
        .iter()
        .filter(|(_, i)| dataset.correct[*i] == Some(true))
        .count();
    Some(NearestAccuracy {
        k,
        accuracy: correct as f64 / k as f64,
    })
}

pub fn accuracy(dataset: &Dataset, rows: &[usize]) -> Option<f64> {
    if rows.is_empty() {
        return None;
    }
    let correct = rows
        .iter()
        .filter(|&&i| dataset.correct[i] == Some(true))
        .count();
    Some(correct as f64 / rows.len() as f64)
}

/// The nearest rows of the whole dataset to a query: how the model does on them and which
/// classes they come from (a failure mode may cut across classes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearestInDataset {
    pub k: usize,
    pub accuracy: f64,
    /// (class, rows among the k), most rows first, ties by class.
    pub classes: Vec<(u32, usize)>,
}

/// Summarises `rows` (the nearest, found by `index::CosineIndex`); None when empty.
pub fn summarize_nearest(dataset: &Dataset, rows: &[usize]) -> Option<NearestInDataset> {
    let accuracy = accuracy(dataset, rows)?;
    let mut counts = std::collections::BTreeMap::new();
    for &row in rows {
        if let Some(label) = dataset.labels[row] {
            *counts.entry(label).or_insert(0usize) += 1;
        }
    }
    let mut classes: Vec<(u32, usize)> = counts.into_iter().collect();
    classes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Some(NearestInDataset {
        k: rows.len(),
        accuracy,
        classes,
    })
}
