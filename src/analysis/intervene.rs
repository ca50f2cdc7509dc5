//! Interventions: per-example training weights, and pool rows to label or add, aimed at one
//! failure mode or at all of them.

use super::{Along, Model};
use crate::data::{Dataset, Split};
use serde::Serialize;

/// Which failure modes an intervention aims at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every mode of every class that is a finding (significant on held-out rows).
    Findings,
    /// Every mode of one class that is a finding.
    Class(u32),
    /// One mode of one class (position 0 is mode 1).
    ClassMode { class: u32, position: usize },
    /// A shared mode, in every class it hurts.
    Shared(usize),
}

impl Along {
    /// How exports name the mode: "1", "2", "shared 1".
    pub fn tag(self) -> String {
        match self {
            Along::Mode(p) => format!("{}", p + 1),
            Along::Shared(p) => format!("shared {}", p + 1),
        }
    }
}

/// For each class, the modes the target aims at.
fn targeted(model: &Model, classes: usize, target: Target) -> Vec<Vec<Along>> {
    let mut out = vec![Vec::new(); classes];
    let findings = |class: u32| -> Vec<Along> {
        model
            .modes(class)
            .iter()
            .enumerate()
            .filter(|(_, m)| m.evidence.significant)
            .map(|(p, _)| Along::Mode(p))
            .collect()
    };
    match target {
        Target::Findings => {
            for (class, modes) in out.iter_mut().enumerate() {
                *modes = findings(class as u32);
            }
        }
        Target::Class(class) => {
            if let Some(modes) = out.get_mut(class as usize) {
                *modes = findings(class);
            }
        }
        Target::ClassMode { class, position } => {
            if let Some(modes) = out.get_mut(class as usize) {
                modes.push(Along::Mode(position));
            }
        }
        Target::Shared(position) => {
            if let Some(shared) = model.assessment.shared.get(position) {
                for hurt in &shared.classes {
                    out[hurt.class as usize].push(Along::Shared(position));
                }
            }
        }
    }
    out
}

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
    /// The mode that gave the weight ("1", "2", "shared 1"); None where no mode is targeted
    /// (weight 1).
    pub mode: Option<String>,
    /// The row's decision value along that mode.
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

/// A weight for every labelled train row, in row order. A class with several targeted modes
/// gives each row its largest weight over them (soft weights are then rescaled to mean 1 in
/// the class again); classes without one weigh 1.
pub fn training_weights(
    dataset: &Dataset,
    model: &Model,
    scheme: WeightScheme,
    target: Target,
) -> Vec<RowWeight> {
    let aims = targeted(model, dataset.num_classes(), target);
    let mut weights: Vec<Option<RowWeight>> = vec![None; dataset.len()];
    for (class, rows) in dataset.rows_by_class(Split::Train).iter().enumerate() {
        let class = class as u32;
        // (weight, mode, decision value) per row: the largest over the targeted modes.
        let mut best: Vec<(f64, Option<Along>, Option<f64>)> = vec![(1.0, None, None); rows.len()];
        let mut first = true;
        for &along in &aims[class as usize] {
            let Some(decisions) = model.values_along(dataset, class, along, rows) else {
                continue;
            };
            if decisions.is_empty() {
                continue;
            }
            let values = scheme_weights(scheme, &decisions);
            for (k, (&w, &d)) in values.iter().zip(&decisions).enumerate() {
                if first || w > best[k].0 {
                    best[k] = (w, Some(along), Some(d));
                }
            }
            first = false;
        }
        if scheme == WeightScheme::Soft && !first && !rows.is_empty() {
            let mean = best.iter().map(|b| b.0).sum::<f64>() / rows.len() as f64;
            best.iter_mut().for_each(|b| b.0 /= mean);
        }
        for (&row, (weight, along, decision_value)) in rows.iter().zip(best) {
            weights[row] = Some(RowWeight {
                row,
                class,
                mode: along.map(Along::tag),
                decision_value,
                weight,
            });
        }
    }
    weights.into_iter().flatten().collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Selected {
    pub class: u32,
    /// The mode the row was selected for ("1", "2", "shared 1").
    pub mode: String,
    /// 1 = most aligned with the mode's failure direction.
    pub rank: usize,
    pub row: usize,
    pub decision_value: f64,
}

/// For each class, the pool rows it would claim: its label when the pool row has one, else the
/// model's prediction, else (no predictions at all) every class claims the row. One pass over
/// the dataset, not one per class.
fn pool_rows_by_class(dataset: &Dataset) -> Vec<Vec<usize>> {
    let mut by_class = vec![Vec::new(); dataset.num_classes()];
    let mut unclaimed = Vec::new();
    for i in (0..dataset.len()).filter(|&i| dataset.splits[i] == Split::Pool) {
        let claim = match dataset.labels[i] {
            Some(label) => Some(label),
            None => match &dataset.predictions {
                Some(p) => p[i],
                None => {
                    unclaimed.push(i);
                    continue;
                }
            },
        };
        if let Some(class) = claim {
            by_class[class as usize].push(i);
        }
    }
    if !unclaimed.is_empty() {
        for rows in &mut by_class {
            rows.extend(&unclaimed);
            rows.sort_unstable();
        }
    }
    by_class
}

/// For every targeted mode, the `k` pool rows its class claims with the most negative decision
/// values along it; a row already chosen for an earlier mode of the class is not chosen twice.
pub fn select_pool(dataset: &Dataset, model: &Model, k: usize, target: Target) -> Vec<Selected> {
    let aims = targeted(model, dataset.num_classes(), target);
    let mut selected = Vec::new();
    for (class, rows) in pool_rows_by_class(dataset).into_iter().enumerate() {
        let mut taken = std::collections::HashSet::new();
        let class = class as u32;
        for &along in &aims[class as usize] {
            let Some(values) = model.values_along(dataset, class, along, &rows) else {
                continue;
            };
            let mut ranked: Vec<(f64, usize)> = values
                .into_iter()
                .zip(rows.iter().copied())
                .filter(|(_, row)| !taken.contains(row))
                .collect();
            let k = k.min(ranked.len());
            if k == 0 {
                continue;
            }
            // Only the first k need sorting.
            let order =
                |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
            ranked.select_nth_unstable_by(k - 1, order);
            ranked.truncate(k);
            ranked.sort_by(order);
            for (r, (d, row)) in ranked.into_iter().enumerate() {
                taken.insert(row);
                selected.push(Selected {
                    class,
                    mode: along.tag(),
                    rank: r + 1,
                    row,
                    decision_value: d,
                });
            }
        }
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
    fn pool_selection_is_each_class_most_negative_rows() {
        use crate::demo::{generate, DemoOptions};
        let mut dataset = generate(&DemoOptions::default()).dataset;
        // Unlabelled pool rows are claimed by their prediction; drop some predictions so a few
        // rows belong to no class.
        let predictions = dataset.predictions.as_mut().unwrap();
        for i in (0..predictions.len()).step_by(13) {
            if dataset.splits[i] == Split::Pool {
                predictions[i] = None;
            }
        }
        let model = crate::analysis::fit_model(
            &dataset,
            &crate::analysis::direction::FitOptions::default(),
        )
        .unwrap();
        let selected = select_pool(
            &dataset,
            &model,
            7,
            Target::ClassMode {
                class: 0,
                position: 0,
            },
        )
        .into_iter()
        .chain(select_pool(
            &dataset,
            &model,
            7,
            Target::ClassMode {
                class: 1,
                position: 0,
            },
        ))
        .collect::<Vec<_>>();
        assert!(!selected.is_empty());
        for class in 0..2u32 {
            // The definition, one class at a time over every row.
            let rows: Vec<usize> = (0..dataset.len())
                .filter(|&i| dataset.splits[i] == Split::Pool)
                .filter(|&i| {
                    dataset.labels[i].or(dataset.predictions.as_ref().unwrap()[i]) == Some(class)
                })
                .collect();
            let values = model.decision_values(&dataset, class, &rows).unwrap();
            let mut expected: Vec<(f64, usize)> = values.into_iter().zip(rows).collect();
            expected.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            expected.truncate(7);
            let got: Vec<(f64, usize)> = selected
                .iter()
                .filter(|s| s.class == class)
                .map(|s| (s.decision_value, s.row))
                .collect();
            assert_eq!(got, expected, "class {class}");
        }
    }

    #[test]
    fn balanced_without_two_sides_is_uniform() {
        assert_eq!(
            scheme_weights(WeightScheme::Balanced, &[1.0, 2.0]),
            vec![1.0, 1.0]
        );
    }
}
