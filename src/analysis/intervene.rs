//! Interventions: per-example training weights, and pool rows to label or add.

use super::findings::{status_of, Status};
use super::Model;
use crate::data::{Dataset, Split};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightScheme {
    /// 2·σ(−d/s), s the spread of the class's train decision values, rescaled to mean 1 per
    /// class: a smooth push toward the failure side.
    Soft,
    /// 2 where the decision value is negative (the SVM expects a failure), else 1.
    DoubleWhereNegative,
    /// The rows on each side of the hyperplane share half the class's total weight.
    Balanced,
}

impl WeightScheme {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "soft" => Some(WeightScheme::Soft),
            "double-where-negative" => Some(WeightScheme::DoubleWhereNegative),
            "balanced" => Some(WeightScheme::Balanced),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            WeightScheme::Soft => "soft",
            WeightScheme::DoubleWhereNegative => "double-where-negative",
            WeightScheme::Balanced => "balanced",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowWeight {
    pub row: usize,
    pub class: u32,
    /// None for classes without a coherent failure direction (weight 1).
    pub decision_value: Option<f64>,
    pub weight: f64,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn scheme_weights(scheme: WeightScheme, decisions: &[f64]) -> Vec<f64> {
    let n = decisions.len() as f64;
    match scheme {
        WeightScheme::DoubleWhereNegative => decisions
            .iter()
            .map(|&d| if d < 0.0 { 2.0 } else { 1.0 })
            .collect(),
        WeightScheme::Balanced => {
            let hard = decisions.iter().filter(|&&d| d < 0.0).count() as f64;
            let easy = n - hard;
            if hard == 0.0 || easy == 0.0 {
                return vec![1.0; decisions.len()];
            }
            decisions
                .iter()
                .map(|&d| {
                    if d < 0.0 {
                        n / (2.0 * hard)
                    } else {
                        n / (2.0 * easy)
                    }
                })
                .collect()
        }
        WeightScheme::Soft => {
            let mean = decisions.iter().sum::<f64>() / n;
            let spread = (decisions.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n).sqrt();
            let spread = if spread > 0.0 { spread } else { 1.0 };
            let raw: Vec<f64> = decisions
                .iter()
                .map(|&d| 2.0 * sigmoid(-d / spread))
                .collect();
            let raw_mean = raw.iter().sum::<f64>() / n;
            raw.iter().map(|w| w / raw_mean).collect()
        }
    }
}

/// A weight for every labelled train row, in row order.
pub fn training_weights(dataset: &Dataset, model: &Model, scheme: WeightScheme) -> Vec<RowWeight> {
    let mut weights: Vec<Option<RowWeight>> = vec![None; dataset.len()];
    for (class, rows) in dataset.rows_by_class(Split::Train).iter().enumerate() {
        let class = class as u32;
        let coherent = status_of(&model.classes[class as usize]) == Status::Fitted;
        let decisions = coherent
            .then(|| model.decision_values(dataset, class, rows))
            .flatten();
        let values = match &decisions {
            Some(d) if !d.is_empty() => scheme_weights(scheme, d),
            _ => vec![1.0; rows.len()],
        };
        for (k, &row) in rows.iter().enumerate() {
            weights[row] = Some(RowWeight {
                row,
                class,
                decision_value: decisions.as_ref().map(|d| d[k]),
                weight: values[k],
            });
        }
    }
    weights.into_iter().flatten().collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Selected {
    pub class: u32,
    /// 1 = most aligned with the failure direction.
    pub rank: usize,
    pub row: usize,
    pub decision_value: f64,
}

/// The pool rows a class would claim: its label when the pool row has one, else the model's
/// prediction, else (no predictions at all) every pool row.
fn pool_rows_for(dataset: &Dataset, class: u32) -> Vec<usize> {
    (0..dataset.len())
        .filter(|&i| dataset.splits[i] == Split::Pool)
        .filter(|&i| match dataset.labels[i] {
            Some(label) => label == class,
            None => match &dataset.predictions {
                Some(p) => p[i] == Some(class),
                None => true,
            },
        })
        .collect()
}

/// For every class with a coherent failure direction, the `k` pool rows with the most negative
/// decision values.
pub fn select_pool(dataset: &Dataset, model: &Model, k: usize) -> Vec<Selected> {
    let mut selected = Vec::new();
    for class in 0..dataset.num_classes() as u32 {
        if status_of(&model.classes[class as usize]) != Status::Fitted {
            continue;
        }
        let rows = pool_rows_for(dataset, class);
        let Some(values) = model.decision_values(dataset, class, &rows) else {
            continue;
        };
        let mut ranked: Vec<(f64, usize)> = values.into_iter().zip(rows).collect();
        ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        selected.extend(
            ranked
                .into_iter()
                .take(k)
                .enumerate()
                .map(|(r, (d, row))| Selected {
                    class,
                    rank: r + 1,
                    row,
                    decision_value: d,
                }),
        );
    }
    selected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_weight_the_failure_side_up() {
        let d = [-2.0, -1.0, 0.5, 1.0, 3.0];
        assert_eq!(
            scheme_weights(WeightScheme::DoubleWhereNegative, &d),
            vec![2.0, 2.0, 1.0, 1.0, 1.0]
        );
        let balanced = scheme_weights(WeightScheme::Balanced, &d);
        let hard: f64 = balanced[..2].iter().sum();
        let easy: f64 = balanced[2..].iter().sum();
        assert!((hard - easy).abs() < 1e-12 && (hard + easy - 5.0).abs() < 1e-12);
        let soft = scheme_weights(WeightScheme::Soft, &d);
        assert!((soft.iter().sum::<f64>() / 5.0 - 1.0).abs() < 1e-12);
        assert!(soft.windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn balanced_without_two_sides_is_uniform() {
        assert_eq!(
            scheme_weights(WeightScheme::Balanced, &[1.0, 2.0]),
            vec![1.0, 1.0]
        );
    }
}
