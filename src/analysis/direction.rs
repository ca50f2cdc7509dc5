//! One failure direction per class: a linear SVM on the class's val rows that predicts whether
//! the model got each row right, with C chosen by cross-validation.

use super::cv::{best, cross_validate, default_c_grid, CvScore};
use super::folds::stratified_folds;
use super::modes::{propose, Candidate, ModeOptions};
use super::preprocess::Standardizer;
use super::svm::{fit, LinearSvm, Rows, SvmParams};
use crate::data::{Dataset, Split};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// Candidate values of C, ascending.
    pub c_grid: Vec<f64>,
    pub folds: usize,
    /// `random_state` of the fold assignment, which is scikit-learn's
    /// `StratifiedKFold(folds, shuffle=True, random_state=seed)`.
    pub seed: u32,
    pub svm: SvmParams,
    /// Further modes, shared modes, and the statistics that decide which are real.
    pub modes: ModeOptions,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            c_grid: default_c_grid(),
            folds: 2,
            seed: 0,
            svm: SvmParams::default(),
            modes: ModeOptions::default(),
        }
    }
}

/// A rough level of CV balanced accuracy that chance alone rarely reaches: 0.5 plus the larger
/// of 0.05 and two standard errors of balanced accuracy under chance, 0.25·√(1/e + 1/c) for e
/// errors and c correct rows. Informational (the report keeps it); whether a direction is a
/// finding is decided by the test on held-out rows (`assess`).
pub fn chance_threshold(errors: usize, correct: usize) -> f64 {
    let se = 0.25 * (1.0 / errors.max(1) as f64 + 1.0 / correct.max(1) as f64).sqrt();
    0.5 + 0.05f64.max(2.0 * se)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Direction {
    pub c: f64,
    pub cv: Vec<CvScore>,
    pub cv_balanced_accuracy: f64,
    pub chance_threshold: f64,
    /// The final fit met the tolerance within the iteration limit.
    pub converged: bool,
    /// The SVM in the standardised, normalised space; positive decision = "model is right".
    pub svm: LinearSvm,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Skipped { reason: String },
    Fitted(Direction),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassFit {
    pub class: u32,
    pub val_rows: usize,
    pub val_errors: usize,
    pub outcome: Outcome,
    /// Further modes proposed from the val rows (pairs of halves; see `modes`).
    pub candidates: Vec<Candidate>,
}

impl ClassFit {
    pub fn direction(&self) -> Option<&Direction> {
        match &self.outcome {
            Outcome::Fitted(d) => Some(d),
            Outcome::Skipped { .. } => None,
        }
    }
}

/// Why a class cannot be fitted, if it cannot: cross-validation needs at least one error and one
/// correct row in every fold.
pub fn skip_reason(rows: usize, errors: usize, folds: usize) -> Option<String> {
    let correct = rows - errors;
    if rows == 0 {
        Some("no val rows".into())
    } else if errors == 0 {
        Some(format!("no errors among its {rows} val rows"))
    } else if correct == 0 {
        Some(format!("no correct rows: all {rows} val rows are errors"))
    } else if errors < folds {
        Some(format!(
            "only {errors} error among {rows} val rows; {folds}-fold cross-validation needs at least {folds}"
        ))
    } else if correct < folds {
        Some(format!(
            "only {correct} correct row among {rows} val rows; {folds}-fold cross-validation needs at least {folds}"
        ))
    } else {
        None
    }
}

/// Fits one class from its transformed val rows (row-major, `dim` wide) and correctness flags.
pub fn fit_class(features: &[f32], dim: usize, correct: &[bool], options: &FitOptions) -> Outcome {
    let errors = correct.iter().filter(|&&c| !c).count();
    if let Some(reason) = skip_reason(correct.len(), errors, options.folds) {
        return Outcome::Skipped { reason };
    }
    let all: Vec<usize> = (0..correct.len()).collect();
    let data = Rows {
        x: features,
        dim,
        rows: &all,
    };
    let folds = stratified_folds(correct, options.folds, options.seed);
    let cv = cross_validate(data, correct, &folds, &options.c_grid, &options.svm);
    let chosen = best(&cv).expect("the grid is not empty").clone();
    let final_fit = fit(data, correct, &options.svm.with_c(chosen.c), None);
    let threshold = chance_threshold(errors, correct.len() - errors);
    Outcome::Fitted(Direction {
        c: chosen.c,
        cv_balanced_accuracy: chosen.balanced_accuracy,
        cv,
        chance_threshold: threshold,
        converged: final_fit.converged,
        svm: final_fit.model,
    })
}

/// Fits every class in parallel, counting finished classes in `done` (for progress bars).
pub fn fit_all_with_progress(
    dataset: &Dataset,
    standardizer: &Standardizer,
    options: &FitOptions,
    done: &AtomicUsize,
) -> Vec<ClassFit> {
    let by_class = dataset.rows_by_class(Split::Val);
    by_class
        .par_iter()
        .enumerate()
        .map(|(class, rows)| {
            let correct: Vec<bool> = rows
                .iter()
                .map(|&i| dataset.correct[i].expect("val rows are labelled"))
                .collect();
            let errors = correct.iter().filter(|&&c| !c).count();
            let (outcome, candidates) = if skip_reason(rows.len(), errors, options.folds).is_some()
            {
                (fit_class(&[], dataset.dim(), &correct, options), Vec::new())
            } else {
                let features = standardizer.transform_rows(&dataset.embeddings, rows);
                let outcome = fit_class(&features, dataset.dim(), &correct, options);
                let candidates = match &outcome {
                    Outcome::Fitted(d) => propose(
                        &features,
                        dataset.dim(),
                        &correct,
                        &d.svm,
                        d.c,
                        &options.svm,
                        &options.modes,
                    ),
                    Outcome::Skipped { .. } => Vec::new(),
                };
                (outcome, candidates)
            };
            done.fetch_add(1, Ordering::Relaxed);
            ClassFit {
                class: class as u32,
                val_rows: rows.len(),
                val_errors: errors,
                outcome,
                candidates,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degenerate_classes_are_skipped_with_a_reason() {
        let options = FitOptions::default();
        for (correct, expect) in [
            (vec![], "no val rows"),
            (vec![true; 5], "no errors"),
            (vec![false; 5], "no correct rows"),
            (vec![true, true, true, false], "only 1 error"),
            (vec![false, false, false, true], "only 1 correct"),
        ] {
            let features = vec![0.5f32; correct.len() * 2];
            match fit_class(&features, 2, &correct, &options) {
                Outcome::Skipped { reason } => assert!(reason.contains(expect), "{reason}"),
                other => panic!("expected a skip, got {other:?}"),
            }
        }
    }

    #[test]
    fn chance_threshold_grows_for_small_classes() {
        assert!((chance_threshold(10_000, 10_000) - 0.55).abs() < 1e-12);
        let small = chance_threshold(4, 20);
        assert!(small > 0.7 && small < 0.8, "{small}");
    }
}
