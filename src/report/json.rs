//! The JSON report: a stable, documented schema (docs/report-schema.md). Fields are only ever
//! added; `schema_version` changes if one is removed or changes meaning.

use crate::analysis::captions::Reference;
use crate::analysis::cv::CvScore;
use crate::analysis::direction::Outcome;
use crate::analysis::findings::{Caveat, Check, ClassFindings, Status};
use crate::analysis::metrics::ErrorPrediction;
use crate::analysis::rank::{BaselineRow, RankedRow};
use crate::analysis::Model;
use crate::data::captions::CaptionBank;
use crate::data::{Dataset, Id, Split, SplitSource};
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub faultline_version: &'static str,
    pub dataset: DatasetSummary,
    pub captions: Option<BankSummary>,
    pub fit: FitSummary,
    pub classes: Vec<ClassReport>,
}

#[derive(Debug, Serialize)]
pub struct DatasetSummary {
    pub path: String,
    pub rows: usize,
    pub dim: usize,
    pub classes: usize,
    pub splits: SplitCounts,
    pub split_source: SplitSource,
    pub has_confidence: bool,
    pub has_images: bool,
}

#[derive(Debug, Serialize)]
pub struct SplitCounts {
    pub train: usize,
    pub val: usize,
    pub test: usize,
    pub pool: usize,
}

#[derive(Debug, Serialize)]
pub struct BankSummary {
    pub path: String,
    pub captions: usize,
}

#[derive(Debug, Serialize)]
pub struct FitSummary {
    /// The split whose mean and std standardise every row.
    pub standardized_on: Split,
    pub c_grid: Vec<f64>,
    pub folds: usize,
    pub seed: u32,
    pub cached: bool,
}

#[derive(Debug, Serialize)]
pub struct Counts {
    pub val: usize,
    pub val_errors: usize,
    pub test: usize,
    pub test_errors: usize,
}

#[derive(Debug, Serialize)]
pub struct Accuracy {
    pub val: Option<f64>,
    pub test: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct SvmSummary {
    pub c: f64,
    pub cv_balanced_accuracy: f64,
    pub chance_threshold: f64,
    pub converged: bool,
    pub cv: Vec<CvScore>,
}

#[derive(Debug, Serialize)]
pub struct CaptionOut {
    pub text: String,
    pub score: f64,
    /// `score` in units of the class's decision spread (null when it has none).
    pub sigma: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct RowOut {
    pub id: Id,
    pub decision_value: f64,
    /// `decision_value` in units of the class's decision spread.
    pub sigma: Option<f64>,
    pub correct: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prediction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ClassReport {
    pub index: u32,
    pub name: String,
    pub status: Status,
    pub reason: Option<String>,
    /// Why the ranking is not a finding or should be read with care (empty when neither).
    pub caveats: Vec<Caveat>,
    pub counts: Counts,
    pub accuracy: Accuracy,
    pub svm: Option<SvmSummary>,
    pub test_metrics: Option<ErrorPrediction>,
    pub baseline: Vec<BaselineRow>,
    /// Standard deviation of the test rows' decision values: the unit of every `sigma`.
    pub decision_spread: Option<f64>,
    pub reference_caption: Option<Reference>,
    pub hard_captions: Vec<CaptionOut>,
    pub easy_captions: Vec<CaptionOut>,
    pub check: Option<Check>,
    pub hardest: Vec<RowOut>,
    pub easiest: Vec<RowOut>,
}

pub fn row_out(dataset: &Dataset, ranked: &RankedRow, spread: Option<f64>) -> RowOut {
    let row = ranked.row;
    RowOut {
        id: dataset.ids.get(row),
        decision_value: ranked.decision_value,
        sigma: spread.map(|s| ranked.decision_value / s),
        correct: dataset.correct[row] == Some(true),
        confidence: dataset.confidence.as_ref().map(|c| c[row]),
        prediction: dataset
            .predictions
            .as_ref()
            .and_then(|p| p[row])
            .map(|p| dataset.class_names[p as usize].clone()),
        image: dataset.image(row).map(|p| p.display().to_string()),
    }
}

pub fn class_report(
    dataset: &Dataset,
    f: &ClassFindings,
    top_rows: usize,
    top_captions: usize,
) -> ClassReport {
    let reason = match (&f.fit.outcome, f.status) {
        (Outcome::Skipped { reason }, _) => Some(reason.clone()),
        (Outcome::Fitted(d), Status::NoCoherentFailureMode) => Some(format!(
            "CV balanced accuracy {:.3} is below the chance threshold {:.3}: the errors look unstructured",
            d.cv_balanced_accuracy, d.chance_threshold
        )),
        _ => None,
    };
    let caption = |c: &crate::analysis::captions::ScoredCaption| CaptionOut {
        text: c.text.clone(),
        score: c.score,
        sigma: f.sigma(c.score),
    };
    ClassReport {
        index: f.class,
        name: f.name.clone(),
        status: f.status,
        reason,
        caveats: f.caveats.clone(),
        counts: Counts {
            val: f.fit.val_rows,
            val_errors: f.fit.val_errors,
            test: f.test_rows,
            test_errors: f.test_errors,
        },
        accuracy: Accuracy {
            val: f.val_accuracy,
            test: f.test_accuracy,
        },
        svm: f.fit.direction().map(|d| SvmSummary {
            c: d.c,
            cv_balanced_accuracy: d.cv_balanced_accuracy,
            chance_threshold: d.chance_threshold,
            converged: d.converged,
            cv: d.cv.clone(),
        }),
        test_metrics: f.test_metrics.clone(),
        baseline: f.baseline.clone(),
        decision_spread: f.spread,
        reference_caption: f.captions.as_ref().map(|c| c.reference.clone()),
        hard_captions: f
            .captions
            .as_ref()
            .map(|c| c.hardest(top_captions).iter().map(caption).collect())
            .unwrap_or_default(),
        easy_captions: f
            .captions
            .as_ref()
            .map(|c| c.easiest(top_captions).into_iter().map(caption).collect())
            .unwrap_or_default(),
        check: f.check.clone(),
        hardest: f
            .hardest(top_rows)
            .iter()
            .map(|r| row_out(dataset, r, f.spread))
            .collect(),
        easiest: f
            .easiest(top_rows)
            .iter()
            .map(|r| row_out(dataset, r, f.spread))
            .collect(),
    }
}

pub fn report(
    dataset: &Dataset,
    model: &Model,
    bank: Option<&CaptionBank>,
    findings: &[ClassFindings],
    cached: bool,
    top_rows: usize,
    top_captions: usize,
) -> Report {
    let [train, val, test, pool] = dataset.split_counts();
    Report {
        schema_version: SCHEMA_VERSION,
        faultline_version: env!("CARGO_PKG_VERSION"),
        dataset: DatasetSummary {
            path: dataset.source.display().to_string(),
            rows: dataset.len(),
            dim: dataset.dim(),
            classes: dataset.num_classes(),
            splits: SplitCounts {
                train,
                val,
                test,
                pool,
            },
            split_source: dataset.split_source.clone(),
            has_confidence: dataset.confidence.is_some(),
            has_images: dataset.images.is_some(),
        },
        captions: bank.map(|b| BankSummary {
            path: b.source.display().to_string(),
            captions: b.len(),
        }),
        fit: FitSummary {
            standardized_on: model.standardizer.fitted_on,
            c_grid: model.options.c_grid.clone(),
            folds: model.options.folds,
            seed: model.options.seed,
            cached,
        },
        classes: findings
            .iter()
            .map(|f| class_report(dataset, f, top_rows, top_captions))
            .collect(),
    }
}
