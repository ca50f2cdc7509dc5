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
