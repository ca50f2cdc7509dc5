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
    pub captions: Option<CaptionScores>,
    pub check: Option<Check>,
}

impl ClassFindings {
    pub fn hardest(&self, n: usize) -> &[RankedRow] {
        &self.ranking[..n.min(self.ranking.len())]
    }

    pub fn easiest(&self, n: usize) -> Vec<RankedRow> {
        self.ranking.iter().rev().take(n).copied().collect()
    }
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
    ClassFindings {
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
