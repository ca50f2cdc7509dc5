//! Choosing C by stratified k-fold cross-validation on balanced accuracy.

use super::metrics::balanced_accuracy;
use super::svm::{fit, Rows, SvmParams};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The reference method's grid: 1e-6, 1e-5, ..., 1.
pub fn default_c_grid() -> Vec<f64> {
    (-6..=0).map(|e| 10f64.powi(e)).collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvScore {
    pub c: f64,
    /// Mean over folds of the held-out balanced accuracy.
    pub balanced_accuracy: f64,
}

/// Held-out balanced accuracy for every C, each fold walking the grid upwards with warm starts.
/// Folds run in parallel. `grid` must be ascending.
pub fn cross_validate(
    data: Rows,
    y: &[bool],
    folds: &[usize],
    grid: &[f64],
    params: &SvmParams,
) -> Vec<CvScore> {
    let k = folds.iter().copied().max().map_or(0, |m| m + 1);
    let per_fold: Vec<Vec<f64>> = (0..k)
        .into_par_iter()
        .map(|fold| {
            let train: Vec<usize> = (0..y.len()).filter(|&i| folds[i] != fold).collect();
            let held: Vec<usize> = (0..y.len()).filter(|&i| folds[i] == fold).collect();
            let train_rows: Vec<usize> = train.iter().map(|&i| data.rows[i]).collect();
            let train_y: Vec<bool> = train.iter().map(|&i| y[i]).collect();
            let held_y: Vec<bool> = held.iter().map(|&i| y[i]).collect();
            let train_data = Rows {
                rows: &train_rows,
                ..data
            };
            let mut warm: Option<(Vec<f64>, f64)> = None;
            grid.iter()
                .map(|&c| {
                    let solution = fit(
                        train_data,
                        &train_y,
                        &params.with_c(c),
                        warm.as_ref().map(|(a, c)| (a.as_slice(), *c)),
                    );
                    let predicted: Vec<bool> = held
                        .iter()
                        .map(|&i| solution.model.predict_one(data.row(i)))
                        .collect();
                    warm = Some((solution.alpha, c));
                    balanced_accuracy(&held_y, &predicted).unwrap_or(0.0)
                })
                .collect()
        })
        .collect();
    grid.iter()
        .enumerate()
        .map(|(j, &c)| CvScore {
            c,
            balanced_accuracy: per_fold.iter().map(|s| s[j]).sum::<f64>() / k.max(1) as f64,
        })
        .collect()
}

/// The best score; ties go to the smaller C (the first in an ascending grid), as in the
/// reference's argmax.
pub fn best(scores: &[CvScore]) -> Option<&CvScore> {
    let mut best: Option<&CvScore> = None;
    for s in scores {
        if best.is_none_or(|b| s.balanced_accuracy > b.balanced_accuracy) {
            best = Some(s);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_pick_the_smaller_c() {
        let scores = [
            CvScore {
                c: 1e-3,
                balanced_accuracy: 0.7,
            },
            CvScore {
                c: 1e-2,
                balanced_accuracy: 0.8,
            },
            CvScore {
                c: 1e-1,
                balanced_accuracy: 0.8,
            },
        ];
        assert_eq!(best(&scores).unwrap().c, 1e-2);
    }

    #[test]
    fn grid_is_the_reference_grid() {
        let grid = default_c_grid();
        assert_eq!(grid.len(), 7);
        assert!((grid[0] - 1e-6).abs() < 1e-18 && grid[6] == 1.0);
    }
}
