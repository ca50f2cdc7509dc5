//! Classification metrics for error prediction, with scikit-learn's conventions.

use serde::{Deserialize, Serialize};

/// Balanced accuracy: the mean recall of the classes present in `truth` (scikit-learn's
/// `balanced_accuracy_score`). `None` for empty input.
pub fn balanced_accuracy(truth: &[bool], predicted: &[bool]) -> Option<f64> {
    let mut hit = [0usize; 2];
    let mut total = [0usize; 2];
    for (&t, &p) in truth.iter().zip(predicted) {
        total[t as usize] += 1;
        hit[t as usize] += (t == p) as usize;
    }
    let recalls: Vec<f64> = (0..2)
        .filter(|&c| total[c] > 0)
        .map(|c| hit[c] as f64 / total[c] as f64)
        .collect();
    if recalls.is_empty() {
        None
    } else {
        Some(recalls.iter().sum::<f64>() / recalls.len() as f64)
    }
}

/// How well a direction predicts the model's errors on held-out rows, "error" being positive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorPrediction {
    pub balanced_accuracy: Option<f64>,
    /// Of the rows predicted to be errors, the share that are (None when none are predicted).
    pub error_precision: Option<f64>,
    /// Of the actual errors, the share predicted (None when there are none).
    pub error_recall: Option<f64>,
}

/// `correct[i]` is the truth, `predicted_correct[i]` the SVM's call.
pub fn error_prediction(correct: &[bool], predicted_correct: &[bool]) -> ErrorPrediction {
    let mut true_pos = 0usize;
    let mut predicted_pos = 0usize;
    let mut actual_pos = 0usize;
    for (&c, &p) in correct.iter().zip(predicted_correct) {
        let (error, flagged) = (!c, !p);
        actual_pos += error as usize;
        predicted_pos += flagged as usize;
        true_pos += (error && flagged) as usize;
    }
    let ratio = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
    ErrorPrediction {
        balanced_accuracy: balanced_accuracy(correct, predicted_correct),
        error_precision: ratio(true_pos, predicted_pos),
        error_recall: ratio(true_pos, actual_pos),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_accuracy_is_mean_recall() {
        // class true: 3 of 4 right; class false: 1 of 2 right -> (0.75 + 0.5) / 2
        let truth = [true, true, true, true, false, false];
        let pred = [true, true, true, false, false, true];
        assert!((balanced_accuracy(&truth, &pred).unwrap() - 0.625).abs() < 1e-12);
        assert_eq!(balanced_accuracy(&[true, true], &[true, false]), Some(0.5));
        assert_eq!(balanced_accuracy(&[], &[]), None);
    }

    #[test]
    fn error_precision_and_recall() {
        let correct = [true, false, false, true];
        let predicted = [false, false, true, true];
        let m = error_prediction(&correct, &predicted);
        assert_eq!(m.error_precision, Some(0.5));
        assert_eq!(m.error_recall, Some(0.5));
        let none_flagged = error_prediction(&[true, false], &[true, true]);
        assert_eq!(none_flagged.error_precision, None);
        assert_eq!(none_flagged.error_recall, Some(0.0));
    }
}
