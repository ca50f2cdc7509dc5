//! The JSON report: a stable, documented schema (docs/report-schema.md). Fields are only ever
//! added; `schema_version` changes if one is removed or changes meaning.

use crate::analysis::assess::{Evidence, ModeSource};
use crate::analysis::captions::{Reference, ScoredCaption};
use crate::analysis::check::NearestAccuracy;
use crate::analysis::cv::CvScore;
use crate::analysis::direction::Outcome;
use crate::analysis::findings::{
    Caveat, Check, ClassFindings, FindingOptions, ModeFindings, RowsGap, SharedFindings, Status,
    TemplateScore,
};
use crate::analysis::metrics::ErrorPrediction;
use crate::analysis::rank::{BaselineRow, RankedRow};
use crate::analysis::stats::{SideGap, BOOTSTRAP_REPLICATES};
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
    pub statistics: Statistics,
    pub classes: Vec<ClassReport>,
    /// Failure modes shared across classes, most errors explained first.
    pub shared_modes: Vec<SharedReport>,
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

#[derive(Debug, Clone, Serialize)]
pub struct CaptionOut {
    pub text: String,
    pub score: f64,
    /// `score` in units of the class's decision spread (null when it has none).
    pub sigma: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
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

/// The evidence that a mode is real, as the report states it.
#[derive(Debug, Serialize)]
pub struct EvidenceOut {
    /// One-sided Mann-Whitney p-value of the mode's ranking of held-out test rows.
    pub p_value: Option<f64>,
    /// Benjamini-Hochberg q-value over every test of the dataset (`statistics.hypotheses`).
    pub q_value: Option<f64>,
    /// AUC of the ranking as an error detector on the tested rows.
    pub auc: Option<f64>,
    /// "all_test_rows", or "sibling_easier_half" for a half of a split.
    pub tested_on: &'static str,
    pub tested_rows: usize,
    pub exact: Option<bool>,
    /// Test rows on the hard side (decision value below zero) and the errors among them.
    pub hard_rows: usize,
    pub hard_errors: usize,
    /// Share of the class's test errors on the hard side.
    pub coverage: Option<f64>,
    /// Error rate on the hard side over the class's test error rate.
    pub lift: Option<f64>,
    pub significant: bool,
}

fn evidence_out(e: &Evidence, tested_on: &'static str) -> EvidenceOut {
    EvidenceOut {
        p_value: e.p_value,
        q_value: e.q_value,
        auc: e.test.map(|t| t.auc),
        tested_on,
        tested_rows: e.tested_rows,
        exact: e.test.map(|t| t.exact),
        hard_rows: e.hard_rows,
        hard_errors: e.hard_errors,
        coverage: e.coverage,
        lift: e.lift,
        significant: e.significant,
    }
}

#[derive(Debug, Serialize)]
pub struct ModeReport {
    /// 1 for the paper's direction; further modes count on by coverage.
    pub mode: usize,
    /// "paper": the SVM over all of the class's val errors; "split": a half of a split of an
    /// earlier mode's errors (see README, "Several failure modes").
    pub source: &'static str,
    /// Significant after the correction, and not beaten by the model's confidence.
    pub finding: bool,
    pub evidence: EvidenceOut,
    /// For mode 1: the modes (numbers) it blends, when its errors split into several.
    pub blends: Vec<usize>,
    /// The shared mode (number in `shared_modes`) that explains this one.
    pub shared_mode: Option<usize>,
    pub caveats: Vec<Caveat>,
    pub test_metrics: Option<ErrorPrediction>,
    pub baseline: Vec<BaselineRow>,
    pub decision_spread: Option<f64>,
    pub hard_captions: Vec<CaptionOut>,
    pub easy_captions: Vec<CaptionOut>,
    pub check: Option<Check>,
    /// Accuracy of the K hardest vs the K easiest test rows, with the gap's interval.
    pub rows_gap: Option<RowsGap>,
    /// Accuracy of the test rows on the hard side (decision value below zero) and on the easy
    /// side, and the gap (easy − hard) with its interval: what `--fail-on-gap` reads.
    pub sides: Option<SideGap>,
    pub hardest: Vec<RowOut>,
    pub easiest: Vec<RowOut>,
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
    /// Every failure mode of the class, mode 1 (the fields above) first.
    pub modes: Vec<ModeReport>,
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

fn mode_report(
    dataset: &Dataset,
    m: &ModeFindings,
    top_rows: usize,
    top_captions: usize,
) -> ModeReport {
    let caption = |c: &ScoredCaption| CaptionOut {
        text: c.text.clone(),
        score: c.score,
        sigma: m.sigma(c.score),
    };
    let (source, tested_on) = match m.assessment.source {
        ModeSource::Paper => ("paper", "all_test_rows"),
        ModeSource::Split { .. } => ("split", "sibling_easier_half"),
    };
    ModeReport {
        mode: m.position + 1,
        source,
        finding: m.is_finding(),
        evidence: evidence_out(&m.assessment.evidence, tested_on),
        blends: m.assessment.blends.iter().map(|p| p + 1).collect(),
        shared_mode: m.assessment.shared.map(|s| s + 1),
        caveats: m.caveats.clone(),
        test_metrics: m.test_metrics.clone(),
        baseline: m.baseline.clone(),
        decision_spread: m.spread,
        hard_captions: m
            .captions
            .as_ref()
            .map(|c| c.hardest(top_captions).iter().map(caption).collect())
            .unwrap_or_default(),
        easy_captions: m
            .captions
            .as_ref()
            .map(|c| c.easiest(top_captions).into_iter().map(caption).collect())
            .unwrap_or_default(),
        check: m.check.clone(),
        rows_gap: m.rows_gap.clone(),
        sides: m.sides,
        hardest: m
            .hardest(top_rows)
            .iter()
            .map(|r| row_out(dataset, r, m.spread))
            .collect(),
        easiest: m
            .easiest(top_rows)
            .iter()
            .map(|r| row_out(dataset, r, m.spread))
            .collect(),
    }
}

pub fn class_report(
    dataset: &Dataset,
    f: &ClassFindings,
    top_rows: usize,
    top_captions: usize,
) -> ClassReport {
    let modes: Vec<ModeReport> = f
        .modes
        .iter()
        .map(|m| mode_report(dataset, m, top_rows, top_captions))
        .collect();
    let first = f.first();
    let reason = match (&f.fit.outcome, f.status) {
        (Outcome::Skipped { reason }, _) => Some(reason.clone()),
        (Outcome::Fitted(_), Status::NoCoherentFailureMode) => first
            .and_then(|m| m.caveats.first())
            .map(|c| c.text.clone()),
        _ => None,
    };
    let mode1 = modes.first();
    ClassReport {
        index: f.class,
        name: f.name.clone(),
        status: f.status,
        reason,
        caveats: first.map(|m| m.caveats.clone()).unwrap_or_default(),
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
        test_metrics: first.and_then(|m| m.test_metrics.clone()),
        baseline: first.map(|m| m.baseline.clone()).unwrap_or_default(),
        decision_spread: first.and_then(|m| m.spread),
        reference_caption: first
            .and_then(|m| m.captions.as_ref())
            .map(|c| c.reference.clone()),
        hard_captions: mode1.map(|m| m.hard_captions.clone()).unwrap_or_default(),
        easy_captions: mode1.map(|m| m.easy_captions.clone()).unwrap_or_default(),
        check: first.and_then(|m| m.check.clone()),
        hardest: mode1.map(|m| m.hardest.clone()).unwrap_or_default(),
        easiest: mode1.map(|m| m.easiest.clone()).unwrap_or_default(),
        modes,
    }
}

#[derive(Debug, Serialize)]
pub struct SharedClassOut {
    pub index: u32,
    pub name: String,
    pub evidence: EvidenceOut,
    pub test_rows: usize,
    pub test_accuracy: Option<f64>,
    /// Accuracy of the class's test rows on the shared mode's hard side.
    pub hard_accuracy: Option<f64>,
    /// Accuracy on each side of the mode and the gap, as for a class's own modes.
    pub sides: Option<SideGap>,
    /// The class's caption of the mode's name, and the accuracy of its K nearest test rows.
    pub caption: Option<String>,
    pub near_caption: Option<NearestAccuracy>,
    /// The class's own modes (numbers) this shared mode explains.
    pub explains: Vec<usize>,
}

#[derive(Debug, Serialize)]
pub struct SharedReport {
    pub mode: usize,
    /// The hardest caption template ("a blurry photo of a {class}"); null without captions.
    pub name: Option<String>,
    pub hard_captions: Vec<TemplateScore>,
    pub easy_captions: Vec<TemplateScore>,
    /// Test errors on its hard side, over every class it hurts.
    pub hard_errors: usize,
    pub classes: Vec<SharedClassOut>,
}

pub fn shared_report(s: &SharedFindings) -> SharedReport {
    SharedReport {
        mode: s.position + 1,
        name: s.name().map(str::to_string),
        hard_captions: s.hard_captions.clone(),
        easy_captions: s.easy_captions.clone(),
        hard_errors: s.hard_errors(),
        classes: s
            .classes
            .iter()
            .map(|c| SharedClassOut {
                index: c.class,
                name: c.name.clone(),
                evidence: evidence_out(&c.evidence, "all_test_rows"),
                test_rows: c.test_rows,
                test_accuracy: c.test_accuracy,
                hard_accuracy: c.hard_accuracy,
                sides: c.sides,
                caption: c.caption.clone(),
                near_caption: c.near_caption.clone(),
                explains: c.explains.iter().map(|p| p + 1).collect(),
            })
            .collect(),
    }
}

/// How findings were judged.
#[derive(Debug, Serialize)]
pub struct Statistics {
    /// "mann_whitney_held_out": each mode's ranking of the test rows, which no fit has seen.
    pub test: &'static str,
    /// "benjamini_hochberg", over every test the dataset made.
    pub correction: &'static str,
    pub alpha: f64,
    pub hypotheses: usize,
    pub min_support: usize,
    pub min_lift: f64,
    pub max_modes: usize,
    /// Bootstrap replicates behind every interval (95%, percentile).
    pub bootstrap_replicates: usize,
}

pub fn report(
    dataset: &Dataset,
    model: &Model,
    bank: Option<&CaptionBank>,
    findings: &[ClassFindings],
    shared: &[SharedFindings],
    cached: bool,
    options: &FindingOptions,
) -> Report {
    let (top_rows, top_captions) = (options.top_rows, options.top_captions);
    let [train, val, test, pool] = dataset.split_counts();
    let modes = &model.options.modes;
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
        statistics: Statistics {
            test: "mann_whitney_held_out",
            correction: "benjamini_hochberg",
            alpha: modes.alpha,
            hypotheses: model.assessment.hypotheses,
            min_support: modes.min_support,
            min_lift: modes.min_lift,
            max_modes: modes.max_modes,
            bootstrap_replicates: BOOTSTRAP_REPLICATES,
        },
        classes: findings
            .iter()
            .map(|f| class_report(dataset, f, top_rows, top_captions))
            .collect(),
        shared_modes: shared.iter().map(shared_report).collect(),
    }
}
