//! Ranking rows along a failure direction, and the confidence baseline it has to beat.

use super::Model;
use crate::data::{Dataset, Split};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RankedRow {
    pub row: usize,
    pub decision_value: f64,
}

/// The class's rows of `split`, hardest (most negative decision value) first. Ties keep row
/// order so rankings are reproducible.
pub fn rank_rows(
    dataset: &Dataset,
    model: &Model,
    class: u32,
    split: Split,
) -> Option<Vec<RankedRow>> {
    let rows = dataset.rows_of(class, split);
    let values = model.decision_values(dataset, class, rows)?;
    let mut ranked: Vec<RankedRow> = rows
        .iter()
        .copied()
        .zip(values)
        .map(|(row, decision_value)| RankedRow {
            row,
            decision_value,
        })
        .collect();
    ranked.sort_by(|a, b| a.decision_value.total_cmp(&b.decision_value));
    Some(ranked)
}

pub const BASELINE_KS: [usize; 4] = [10, 25, 50, 100];

/// Error rates among the K hardest rows by the SVM and among the K least confident rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineRow {
    pub k: usize,
    pub svm_error_rate: f64,
    /// None when the data has no confidence column.
    pub confidence_error_rate: Option<f64>,
}

fn error_rate(dataset: &Dataset, rows: impl Iterator<Item = usize>) -> f64 {
    let (mut errors, mut n) = (0usize, 0usize);
    for row in rows {
        n += 1;
        errors += (dataset.correct[row] == Some(false)) as usize;
    }
    if n == 0 {
        0.0
    } else {
        errors as f64 / n as f64
    }
}

/// For each K (capped at the number of rows; K beyond it is left out).
pub fn baseline(dataset: &Dataset, ranked: &[RankedRow], ks: &[usize]) -> Vec<BaselineRow> {
    let by_confidence: Option<Vec<usize>> = dataset.confidence.as_ref().map(|confidence| {
        let mut rows: Vec<usize> = ranked.iter().map(|r| r.row).collect();
        rows.sort_by(|&a, &b| confidence[a].total_cmp(&confidence[b]).then(a.cmp(&b)));
        rows
    });
    ks.iter()
        .filter(|&&k| k <= ranked.len())
        .map(|&k| BaselineRow {
            k,
            svm_error_rate: error_rate(dataset, ranked[..k].iter().map(|r| r.row)),
            confidence_error_rate: by_confidence
                .as_ref()
                .map(|rows| error_rate(dataset, rows[..k].iter().copied())),
        })
        .collect()
}
