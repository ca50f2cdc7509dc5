//! Everything the report says about one class, computed from a fitted model.

use super::captions::{score_captions, CaptionScores};
use super::check::{accuracy, accuracy_near, NearestAccuracy};
use super::direction::{ClassFit, Outcome};
use super::metrics::{error_prediction, ErrorPrediction};
use super::rank::{baseline, rank_rows, BaselineRow, RankedRow, BASELINE_KS};
use super::Model;
use crate::data::captions::CaptionBank;
use crate::data::{Dataset, Split};
use rayon::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq)]
pub struct FindingOptions {
    /// Hardest and easiest test rows to keep.
    pub top_rows: usize,
    /// Hard and easy captions to keep.
    pub top_captions: usize,
    /// K of the nearest-image check.
    pub check_k: usize,
}

impl Default for FindingOptions {
    fn default() -> Self {
        FindingOptions {
            top_rows: 10,
            top_captions: 5,
            check_k: 50,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Fitted,
    Skipped,
    NoCoherentFailureMode,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Fitted => "fitted",
            Status::Skipped => "skipped",
            Status::NoCoherentFailureMode => "no coherent failure mode",
        }
    }
}

/// Why a class's ranking should not be read as a finding, or read with care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaveatKind {
    /// CV balanced accuracy below the chance threshold: the errors look unstructured.
    NoCoherentFailureMode,
    /// The model's own confidence finds the class's errors clearly better than the direction.
    WeakerThanConfidence,
    /// The chosen C is the smallest or largest of the grid.
    EdgeOfCGrid,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Caveat {
    pub kind: CaveatKind,
    /// One sentence saying what and why, with the numbers.
    pub text: String,
    /// The same in a few words, for a narrow screen.
    pub short: String,
}

/// How much worse (error-rate points among the K hardest) the direction must be than the
/// confidence baseline to be called weaker.
const WEAKER_BY: f64 = 0.10;

fn caveats(fit: &ClassFit, baseline: &[BaselineRow]) -> Vec<Caveat> {
    let Some(d) = fit.direction() else {
        return Vec::new();
    };
    let mut caveats = Vec::new();
    if !d.coherent {
        caveats.push(Caveat {
            kind: CaveatKind::NoCoherentFailureMode,
            text: format!(
                "no coherent failure mode: CV balanced accuracy {:.3} is below the chance threshold {:.3}, so this ranking is not a finding",
                d.cv_balanced_accuracy, d.chance_threshold
            ),
            short: format!(
                "no coherent failure mode (CV {:.2} < chance {:.2})",
                d.cv_balanced_accuracy, d.chance_threshold
            ),
        });
    }
    // Judged at K = 50 (the check's K), or the largest K below it the class fills.
    let weaker = baseline.iter().rfind(|b| b.k <= 50).and_then(|b| {
        let conf = b.confidence_error_rate?;
        (conf - b.svm_error_rate >= WEAKER_BY).then_some((b.k, b.svm_error_rate, conf))
    });
    if let Some((k, svm, conf)) = weaker {
        caveats.push(Caveat {
            kind: CaveatKind::WeakerThanConfidence,
            text: format!(
                "weaker than the model's confidence: {:.0}% of the {k} least confident test images are errors, {:.0}% of the direction's {k} hardest",
                conf * 100.0,
                svm * 100.0
            ),
            short: format!(
                "confidence finds errors better: {:.0}% vs {:.0}% in the {k} hardest",
                conf * 100.0,
                svm * 100.0
            ),
        });
    }
    let grid = d.cv.iter().map(|s| s.c);
    let (low, high) = grid.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
        (lo.min(c), hi.max(c))
    });
    if d.cv.len() > 1 && (d.c == low || d.c == high) {
        let side = if d.c == low { "smallest" } else { "largest" };
        caveats.push(Caveat {
            kind: CaveatKind::EdgeOfCGrid,
            text: format!(
                "C = {} is the {side} in the grid ({}..{}): the cross-validation wanted to go further; try a wider --c-grid",
                crate::text::c_value(d.c),
                crate::text::c_value(low),
                crate::text::c_value(high)
            ),
            short: format!("C = {} at the grid's edge", crate::text::c_value(d.c)),
        });
    }
    caveats
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub hard_caption: String,
    pub easy_caption: String,
    pub near_hard: NearestAccuracy,
    pub near_easy: NearestAccuracy,
    pub class_accuracy: f64,
}

#[derive(Debug, Clone)]
pub struct ClassFindings {
    pub class: u32,
    pub name: String,
    pub fit: ClassFit,
    pub status: Status,
    pub test_rows: usize,
    pub test_errors: usize,
    pub val_accuracy: Option<f64>,
    pub test_accuracy: Option<f64>,
    /// How well the SVM predicts errors on test rows.
    pub test_metrics: Option<ErrorPrediction>,
    pub baseline: Vec<BaselineRow>,
    /// The whole test ranking, hardest first (empty when skipped).
    pub ranking: Vec<RankedRow>,
    /// The spread (standard deviation) of the test rows' decision values: the unit of the
    /// scale-free score. None without a ranking or when every row scores the same.
    pub spread: Option<f64>,
    pub captions: Option<CaptionScores>,
    pub check: Option<Check>,
    /// Why this class's ranking is not a finding, or should be read with care.
    pub caveats: Vec<Caveat>,
}

impl ClassFindings {
    /// True when the ranking is worth reading as a failure mode: fitted, coherent, and not
    /// beaten by the model's own confidence.
    pub fn is_finding(&self) -> bool {
        self.status == Status::Fitted
            && !self
                .caveats
                .iter()
                .any(|c| c.kind == CaveatKind::WeakerThanConfidence)
    }

    /// `value` (a decision value or a caption score) in units of the class's spread: the same
    /// at any C (the SVM's scale cancels), so -2 means "two spreads towards the errors".
    pub fn sigma(&self, value: f64) -> Option<f64> {
        self.spread.map(|s| value / s)
    }

    pub fn hardest(&self, n: usize) -> &[RankedRow] {
        &self.ranking[..n.min(self.ranking.len())]
    }

    pub fn easiest(&self, n: usize) -> Vec<RankedRow> {
        self.ranking.iter().rev().take(n).copied().collect()
    }
}

/// Population standard deviation of the ranking's decision values (f64, two passes).
fn spread(ranking: &[RankedRow]) -> Option<f64> {
    if ranking.is_empty() {
        return None;
    }
    let n = ranking.len() as f64;
    let mean = ranking.iter().map(|r| r.decision_value).sum::<f64>() / n;
    let variance = ranking
        .iter()
        .map(|r| (r.decision_value - mean).powi(2))
        .sum::<f64>()
        / n;
    let spread = variance.sqrt();
    (spread.is_finite() && spread > 0.0).then_some(spread)
}

pub fn status_of(fit: &ClassFit) -> Status {
    match &fit.outcome {
        Outcome::Skipped { .. } => Status::Skipped,
        Outcome::Fitted(d) if d.coherent => Status::Fitted,
        Outcome::Fitted(_) => Status::NoCoherentFailureMode,
    }
}

pub fn class_findings(
    dataset: &Dataset,
    model: &Model,
    bank: Option<&CaptionBank>,
    class: u32,
    options: &FindingOptions,
) -> ClassFindings {
    let fit = model.classes[class as usize].clone();
    let name = dataset.class_names[class as usize].clone();
    let test = dataset.rows_of(class, Split::Test);
    let test_errors = test
        .iter()
        .filter(|&&i| dataset.correct[i] == Some(false))
        .count();
    let val_accuracy =
        (fit.val_rows > 0).then(|| (fit.val_rows - fit.val_errors) as f64 / fit.val_rows as f64);
    let test_accuracy = accuracy(dataset, test);
    let ranking = rank_rows(dataset, model, class, Split::Test).unwrap_or_default();
    let test_metrics = (!ranking.is_empty()).then(|| {
        let truth: Vec<bool> = ranking
            .iter()
            .map(|r| dataset.correct[r.row] == Some(true))
            .collect();
        let predicted: Vec<bool> = ranking.iter().map(|r| r.decision_value > 0.0).collect();
        error_prediction(&truth, &predicted)
    });
    let baseline_rows = baseline(dataset, &ranking, &BASELINE_KS);
    let spread = spread(&ranking);
    let captions = match (bank, fit.direction()) {
        (Some(bank), Some(direction)) => {
            score_captions(bank, class, &name, &model.standardizer, direction)
        }
        _ => None,
    };
    let check = captions.as_ref().zip(bank).and_then(|(scores, bank)| {
        let hard = scores.ranked.first()?;
        let easy = scores.ranked.last()?;
        Some(Check {
            hard_caption: hard.text.clone(),
            easy_caption: easy.text.clone(),
            near_hard: accuracy_near(
                dataset,
                test,
                bank.embeddings.row(hard.index),
                options.check_k,
            )?,
            near_easy: accuracy_near(
                dataset,
                test,
                bank.embeddings.row(easy.index),
                options.check_k,
            )?,
            class_accuracy: test_accuracy?,
        })
    });
    let caveats = caveats(&fit, &baseline_rows);
    ClassFindings {
        caveats,
        class,
        name,
        status: status_of(&fit),
        fit,
        test_rows: test.len(),
        test_errors,
        val_accuracy,
        test_accuracy,
        test_metrics,
        baseline: baseline_rows,
        ranking,
        spread,
        captions,
        check,
    }
}

/// Findings for the given classes (all when `classes` is None), in parallel.
pub fn all_findings(
    dataset: &Dataset,
    model: &Model,
    bank: Option<&CaptionBank>,
    classes: Option<&[u32]>,
    options: &FindingOptions,
) -> Vec<ClassFindings> {
    let all: Vec<u32> = match classes {
        Some(c) => c.to_vec(),
        None => (0..dataset.num_classes() as u32).collect(),
    };
    all.par_iter()
        .map(|&c| class_findings(dataset, model, bank, c, options))
        .collect()
}
