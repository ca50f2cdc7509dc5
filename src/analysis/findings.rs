//! Everything the report says about one class and each of its failure modes, and about the
//! modes shared across classes, computed from a fitted model.

use super::assess::{Evidence, ModeAssessment, ModeSource};
use super::captions::{score_captions, CaptionScores};
use super::check::{accuracy, NearestAccuracy};
use super::direction::{ClassFit, Outcome};
use super::linalg::cosine;
use super::metrics::{error_prediction, ErrorPrediction};
use super::rank::{baseline, BaselineRow, RankedRow, BASELINE_KS};
use super::stats::{accuracy_gap, side_gap, Interval, SideGap};
use super::{Along, Model};
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

/// Why a mode's ranking should not be read as a finding, or read with care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaveatKind {
    /// The test on held-out rows does not find the errors ranked first beyond chance (after the
    /// correction), or too few test errors sit on its hard side: the errors look unstructured.
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

fn not_significant(e: &Evidence, model: &Model) -> Option<Caveat> {
    if e.significant {
        return None;
    }
    let options = &model.options.modes;
    let (text, short) = match (e.test, e.q_value) {
        (None, _) | (_, None) => (
            "not tested: the class needs both errors and correct rows among its test rows".to_string(),
            "not tested (no test errors or no correct test rows)".to_string(),
        ),
        (Some(test), Some(q)) if q >= options.alpha && test.p_value < options.alpha => (
            format!(
                "no coherent failure mode yet: its ranking of {} test rows is suggestive ({}, AUC {:.2}) but not significant after correcting for {} tests ({}); more test rows would tell",
                e.tested_rows,
                crate::text::p_value("p", test.p_value),
                test.auc,
                model.assessment.hypotheses,
                crate::text::p_value("q", q),
            ),
            format!("suggestive, not significant ({})", crate::text::p_value("q", q)),
        ),
        (Some(test), Some(q)) if q >= options.alpha => (
            format!(
                "no coherent failure mode: on {} test rows it ranks the errors first no better than chance would ({}, {} after correcting for {} tests, AUC {:.2}), so this ranking is not a finding",
                e.tested_rows,
                crate::text::p_value("p", test.p_value),
                crate::text::p_value("q", q),
                model.assessment.hypotheses,
                test.auc
            ),
            format!("not significant ({}, AUC {:.2})", crate::text::p_value("q", q), test.auc),
        ),
        _ => (
            format!(
                "no coherent failure mode: only {} test errors on its hard side, fewer than the {} a finding needs",
                e.hard_errors, options.min_support
            ),
            format!("only {} test errors on its hard side", e.hard_errors),
        ),
    };
    Some(Caveat {
        kind: CaveatKind::NoCoherentFailureMode,
        text,
        short,
    })
}

fn caveats(
    fit: &ClassFit,
    mode: &ModeAssessment,
    model: &Model,
    baseline: &[BaselineRow],
) -> Vec<Caveat> {
    let mut caveats: Vec<Caveat> = not_significant(&mode.evidence, model).into_iter().collect();
    let Some(d) = fit.direction().filter(|_| mode.source == ModeSource::Paper) else {
        return caveats;
    };
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
    /// Accuracy near the easy caption minus near the hard one, with its 95% percentile
    /// bootstrap interval over resamples of the class's test rows.
    pub gap: Option<Interval>,
}

/// Accuracy of the K hardest and the K easiest test rows along a direction: the check without
/// captions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowsGap {
    pub k: usize,
    pub hardest_accuracy: f64,
    pub easiest_accuracy: f64,
    /// easiest − hardest, with its 95% percentile bootstrap interval.
    pub gap: Interval,
}

/// One failure mode of a class: its ranking of the test rows, its names and its checks.
#[derive(Debug, Clone)]
pub struct ModeFindings {
    /// Position in the class's list (0: mode 1, the paper's direction).
    pub position: usize,
    pub assessment: ModeAssessment,
    /// How well the direction predicts errors on test rows (decision below zero = error).
    pub test_metrics: Option<ErrorPrediction>,
    pub baseline: Vec<BaselineRow>,
    /// The whole test ranking, hardest first.
    pub ranking: Vec<RankedRow>,
    /// The spread (standard deviation) of the test rows' decision values: the unit of the
    /// scale-free score. None without a ranking or when every row scores the same.
    pub spread: Option<f64>,
    pub captions: Option<CaptionScores>,
    pub check: Option<Check>,
    pub rows_gap: Option<RowsGap>,
    /// Accuracy on the hard side (decision value below zero) and on the easy side, and the
    /// gap: what `report --fail-on-gap` gates on.
    pub sides: Option<SideGap>,
    /// Why this ranking is not a finding, or should be read with care.
    pub caveats: Vec<Caveat>,
}

impl ModeFindings {
    /// True when the ranking is worth reading as a failure mode: significant on held-out rows
    /// and not beaten by the model's own confidence.
    pub fn is_finding(&self) -> bool {
        self.assessment.evidence.significant
            && !self
                .caveats
                .iter()
                .any(|c| c.kind == CaveatKind::WeakerThanConfidence)
    }

    /// `value` (a decision value or a caption score) in units of the mode's spread: the same
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

    /// "mode 2", or "mode 1 (the paper's direction)".
    pub fn label(&self) -> String {
        format!("mode {}", self.position + 1)
    }
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
    /// Mode 1 (the paper's direction) first, then the further modes by coverage; empty when
    /// the class was skipped.
    pub modes: Vec<ModeFindings>,
}

impl ClassFindings {
    /// Mode 1, the paper's direction, when the class was fitted.
    pub fn first(&self) -> Option<&ModeFindings> {
        self.modes.first()
    }

    pub fn mode(&self, position: usize) -> Option<&ModeFindings> {
        self.modes.get(position)
    }

    pub fn is_finding(&self) -> bool {
        self.first().is_some_and(ModeFindings::is_finding)
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

/// Positions (into `rows`) nearest `query` first, by cosine in the raw embedding space; ties
/// by row.
pub(crate) fn nearest_order(dataset: &Dataset, rows: &[usize], query: &[f32]) -> Vec<usize> {
    let mut scored: Vec<(f64, usize)> = rows
        .iter()
        .enumerate()
        .map(|(k, &i)| (cosine(dataset.embeddings.row(i), query), k))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(rows[a.1].cmp(&rows[b.1])));
    scored.into_iter().map(|(_, k)| k).collect()
}

fn near(order: &[usize], correct: &[bool], k: usize) -> NearestAccuracy {
    let k = k.min(order.len());
    let right = order[..k].iter().filter(|&&p| correct[p]).count();
    NearestAccuracy {
        k,
        accuracy: right as f64 / k.max(1) as f64,
    }
}

/// The check of a hard and an easy caption (rows in bank) on `rows`, with the gap's interval.
fn check_captions(
    dataset: &Dataset,
    rows: &[usize],
    bank: &CaptionBank,
    (hard, easy): (usize, usize),
    k: usize,
    seed: u64,
) -> Option<Check> {
    if rows.is_empty() || k == 0 {
        return None;
    }
    let correct: Vec<bool> = rows
        .iter()
        .map(|&i| dataset.correct[i] == Some(true))
        .collect();
    let hard_order = nearest_order(dataset, rows, bank.embeddings.row(hard));
    let easy_order = nearest_order(dataset, rows, bank.embeddings.row(easy));
    Some(Check {
        hard_caption: bank.texts[hard].clone(),
        easy_caption: bank.texts[easy].clone(),
        near_hard: near(&hard_order, &correct, k),
        near_easy: near(&easy_order, &correct, k),
        class_accuracy: accuracy(dataset, rows)?,
        gap: accuracy_gap(&hard_order, &easy_order, &correct, k, seed),
    })
}

fn rows_gap(dataset: &Dataset, ranking: &[RankedRow], k: usize, seed: u64) -> Option<RowsGap> {
    if ranking.len() < 2 || k == 0 {
        return None;
    }
    // At most half the rows a side, so the two ends never share a row.
    let k = k.min(ranking.len() / 2);
    let correct: Vec<bool> = ranking
        .iter()
        .map(|r| dataset.correct[r.row] == Some(true))
        .collect();
    let hard: Vec<usize> = (0..ranking.len()).collect();
    let easy: Vec<usize> = (0..ranking.len()).rev().collect();
    let gap = accuracy_gap(&hard, &easy, &correct, k, seed)?;
    Some(RowsGap {
        k,
        hardest_accuracy: near(&hard, &correct, k).accuracy,
        easiest_accuracy: near(&easy, &correct, k).accuracy,
        gap,
    })
}

/// The side gap of a ranking (hard side: decision value below zero).
fn ranking_sides(dataset: &Dataset, ranking: &[RankedRow], seed: u64) -> Option<SideGap> {
    let hard: Vec<bool> = ranking.iter().map(|r| r.decision_value < 0.0).collect();
    let correct: Vec<bool> = ranking
        .iter()
        .map(|r| dataset.correct[r.row] == Some(true))
        .collect();
    side_gap(&hard, &correct, seed)
}

/// The class's test rows ranked along `along`, hardest first (ties keep row order).
pub fn ranking_along(
    dataset: &Dataset,
    model: &Model,
    class: u32,
    along: Along,
) -> Option<Vec<RankedRow>> {
    let rows = dataset.rows_of(class, Split::Test);
    let values = model.values_along(dataset, class, along, rows)?;
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

fn seed_of(class: u32, position: usize) -> u64 {
    (class as u64) << 8 | position as u64
}

fn mode_findings(
    dataset: &Dataset,
    model: &Model,
    bank: Option<&CaptionBank>,
    fit: &ClassFit,
    name: &str,
    position: usize,
    options: &FindingOptions,
) -> Option<ModeFindings> {
    let class = fit.class;
    let assessment = model.modes(class).get(position)?.clone();
    let ranking = ranking_along(dataset, model, class, Along::Mode(position)).unwrap_or_default();
    let test = dataset.rows_of(class, Split::Test);
    let test_metrics = (!ranking.is_empty()).then(|| {
        let truth: Vec<bool> = ranking
            .iter()
            .map(|r| dataset.correct[r.row] == Some(true))
            .collect();
        let predicted: Vec<bool> = ranking.iter().map(|r| r.decision_value > 0.0).collect();
        error_prediction(&truth, &predicted)
    });
    let baseline_rows = baseline(dataset, &ranking, &BASELINE_KS);
    let captions = match (bank, model.scorer(class, Along::Mode(position))) {
        (Some(bank), Some(scorer)) => {
            score_captions(bank, class, name, &model.standardizer, scorer)
        }
        _ => None,
    };
    let seed = seed_of(class, position);
    let check = captions.as_ref().zip(bank).and_then(|(scores, bank)| {
        let hard = scores.ranked.first()?.index;
        let easy = scores.ranked.last()?.index;
        check_captions(dataset, test, bank, (hard, easy), options.check_k, seed)
    });
    let caveats = caveats(fit, &assessment, model, &baseline_rows);
    Some(ModeFindings {
        position,
        assessment,
        test_metrics,
        baseline: baseline_rows,
        spread: spread(&ranking),
        rows_gap: rows_gap(dataset, &ranking, options.check_k, seed),
        sides: ranking_sides(dataset, &ranking, seed),
        ranking,
        captions,
        check,
        caveats,
    })
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
    let modes = match fit.outcome {
        Outcome::Fitted(_) => (0..model.modes(class).len())
            .filter_map(|p| mode_findings(dataset, model, bank, &fit, &name, p, options))
            .collect(),
        Outcome::Skipped { .. } => Vec::new(),
    };
    ClassFindings {
        class,
        status: model.status(class),
        name,
        fit,
        test_rows: test.len(),
        test_errors,
        val_accuracy,
        test_accuracy: accuracy(dataset, test),
        modes,
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

/// A caption with its class's name taken out ("a photo of a white {class}"), so the same
/// attribute can be compared across classes. Whole words, any case, the first occurrence only
/// (a class called "snow" keeps "in the snow"); "an {class}" reads "a {class}".
pub fn caption_template(text: &str, class_name: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let name: Vec<&str> = class_name.split(' ').collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    let mut replaced = false;
    let plain = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    while i < words.len() {
        let matches = !replaced
            && !name.is_empty()
            && i + name.len() <= words.len()
            && words[i..i + name.len()]
                .iter()
                .zip(&name)
                .all(|(w, n)| plain(w) == n.to_lowercase());
        if matches {
            if out.last().is_some_and(|w| w.eq_ignore_ascii_case("an")) {
                *out.last_mut().expect("checked") = "a".into();
            }
            let last = words[i + name.len() - 1];
            let trailing: String = last
                .chars()
                .rev()
                .take_while(|c| !c.is_alphanumeric())
                .collect();
            out.push(format!(
                "{{class}}{}",
                trailing.chars().rev().collect::<String>()
            ));
            i += name.len();
            replaced = true;
        } else {
            out.push(words[i].to_string());
            i += 1;
        }
    }
    out.join(" ")
}

/// A caption template scored along a shared mode: its mean scale-free score over the classes
/// the mode hurts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateScore {
    pub template: String,
    /// Mean over the hurt classes of the caption's score in units of each class's spread.
    pub sigma: f64,
    /// How many of the hurt classes have this caption.
    pub classes: usize,
}

/// A class that a shared mode hurts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedClassFindings {
    pub class: u32,
    pub name: String,
    pub evidence: Evidence,
    pub test_rows: usize,
    pub test_accuracy: Option<f64>,
    /// Accuracy of the test rows on the mode's hard side.
    pub hard_accuracy: Option<f64>,
    /// Accuracy on each side of the mode and the gap, as for a class's own modes.
    pub sides: Option<SideGap>,
    /// The class's own caption of the mode's name and the accuracy of its K nearest test rows.
    pub caption: Option<String>,
    pub near_caption: Option<NearestAccuracy>,
    /// Positions of the class's own modes that this shared mode explains.
    pub explains: Vec<usize>,
}

/// A failure mode shared across classes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedFindings {
    /// Position in the dataset's list of shared modes.
    pub position: usize,
    /// Templates hardest first (most negative mean score); empty without captions.
    pub hard_captions: Vec<TemplateScore>,
    /// The mean scale-free score of the classes' reference captions ("a photo of a {class}"):
    /// templates below it are harder than the class in general.
    pub reference_sigma: Option<f64>,
    pub easy_captions: Vec<TemplateScore>,
    pub classes: Vec<SharedClassFindings>,
    /// The test rows of every class it hurts, hardest first; each decision value is in units
    /// of its class's spread along the mode, so rows of different classes compare.
    #[serde(skip)]
    pub ranking: Vec<RankedRow>,
}

impl SharedFindings {
    /// The mode's name: its hardest caption template, if there are captions.
    pub fn name(&self) -> Option<&str> {
        self.hard_captions.first().map(|t| t.template.as_str())
    }

    /// Test errors on the hard side, over every class it hurts.
    pub fn hard_errors(&self) -> usize {
        self.classes.iter().map(|c| c.evidence.hard_errors).sum()
    }
}

/// Findings of every shared mode the assessment reported.
pub fn shared_findings(
    dataset: &Dataset,
    model: &Model,
    bank: Option<&CaptionBank>,
    options: &FindingOptions,
) -> Vec<SharedFindings> {
    (0..model.assessment.shared.len())
        .map(|position| one_shared(dataset, model, bank, position, options))
        .collect()
}

/// A class a shared mode hurts, ranked and its captions scored along the mode.
struct HurtClass {
    class: u32,
    ranking: Vec<RankedRow>,
    spread: Option<f64>,
    scores: Option<CaptionScores>,
}

fn one_shared(
    dataset: &Dataset,
    model: &Model,
    bank: Option<&CaptionBank>,
    position: usize,
    options: &FindingOptions,
) -> SharedFindings {
    let reported = &model.assessment.shared[position];
    // Per hurt class: its ranking, its spread and its captions' scores along the mode.
    let per_class: Vec<HurtClass> = reported
        .classes
        .par_iter()
        .map(|hurt| {
            let class = hurt.class;
            let ranking =
                ranking_along(dataset, model, class, Along::Shared(position)).unwrap_or_default();
            let scorer = model.scorer(class, Along::Shared(position));
            let scores = bank.zip(scorer).and_then(|(bank, scorer)| {
                score_captions(
                    bank,
                    class,
                    &dataset.class_names[class as usize],
                    &model.standardizer,
                    scorer,
                )
            });
            let spread = spread(&ranking);
            HurtClass {
                class,
                ranking,
                spread,
                scores,
            }
        })
        .collect();
    let mut ranking: Vec<RankedRow> = per_class
        .iter()
        .flat_map(|h| {
            let unit = h.spread.unwrap_or(1.0);
            h.ranking.iter().map(move |r| RankedRow {
                row: r.row,
                decision_value: r.decision_value / unit,
            })
        })
        .collect();
    ranking.sort_by(|a, b| {
        a.decision_value
            .total_cmp(&b.decision_value)
            .then(a.row.cmp(&b.row))
    });
    let references: Vec<f64> = per_class
        .iter()
        .filter_map(|h| Some(h.scores.as_ref()?.reference_score / h.spread?))
        .collect();
    let reference_sigma =
        (!references.is_empty()).then(|| references.iter().sum::<f64>() / references.len() as f64);
    let mut by_template: std::collections::BTreeMap<String, (f64, usize)> = Default::default();
    for h in &per_class {
        let (Some(spread), Some(scores)) = (h.spread, &h.scores) else {
            continue;
        };
        let name = &dataset.class_names[h.class as usize];
        for caption in &scores.ranked {
            let entry = by_template
                .entry(caption_template(&caption.text, name))
                .or_insert((0.0, 0));
            entry.0 += caption.score / spread;
            entry.1 += 1;
        }
    }
    // Templates most of the hurt classes have, so one class's odd caption cannot name the mode.
    let needed = per_class
        .iter()
        .filter(|h| h.scores.is_some())
        .count()
        .div_ceil(2)
        .max(1);
    let mut templates: Vec<TemplateScore> = by_template
        .into_iter()
        .filter(|(_, (_, n))| *n >= needed)
        .map(|(template, (sum, n))| TemplateScore {
            template,
            sigma: sum / n as f64,
            classes: n,
        })
        .collect();
    templates.sort_by(|a, b| {
        a.sigma
            .total_cmp(&b.sigma)
            .then(a.template.cmp(&b.template))
    });
    let top = options.top_captions;
    let hard_captions: Vec<TemplateScore> = templates.iter().take(top).cloned().collect();
    let easy_captions: Vec<TemplateScore> = templates.iter().rev().take(top).cloned().collect();
    let name = hard_captions.first().map(|t| t.template.clone());
    let classes = reported
        .classes
        .iter()
        .zip(&per_class)
        .map(|(hurt, per)| {
            let class = hurt.class;
            let class_name = &dataset.class_names[class as usize];
            let test = dataset.rows_of(class, Split::Test);
            let caption = name.as_ref().and_then(|template| {
                let bank = bank?;
                bank.for_class(class)
                    .into_iter()
                    .find(|&i| caption_template(&bank.texts[i], class_name) == *template)
            });
            let near_caption = caption.and_then(|i| {
                let bank = bank?;
                let correct: Vec<bool> = test
                    .iter()
                    .map(|&r| dataset.correct[r] == Some(true))
                    .collect();
                let order = nearest_order(dataset, test, bank.embeddings.row(i));
                (!order.is_empty()).then(|| near(&order, &correct, options.check_k))
            });
            let e = &hurt.evidence;
            SharedClassFindings {
                class,
                name: class_name.clone(),
                evidence: e.clone(),
                test_rows: test.len(),
                test_accuracy: accuracy(dataset, test),
                hard_accuracy: (e.hard_rows > 0)
                    .then(|| 1.0 - e.hard_errors as f64 / e.hard_rows as f64),
                sides: ranking_sides(
                    dataset,
                    &per.ranking,
                    1 << 40 | (position as u64) << 20 | class as u64,
                ),
                caption: caption.and_then(|i| bank.map(|b| b.texts[i].clone())),
                near_caption,
                explains: model
                    .modes(class)
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.shared == Some(position))
                    .map(|(p, _)| p)
                    .collect(),
            }
        })
        .collect();
    SharedFindings {
        position,
        reference_sigma,
        hard_captions,
        easy_captions,
        classes,
        ranking,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_take_the_class_out() {
        assert_eq!(
            caption_template("a photo of a white dog in the snow", "dog"),
            "a photo of a white {class} in the snow"
        );
        assert_eq!(
            caption_template("a blurry photo of an Owl.", "owl"),
            "a blurry photo of a {class}."
        );
        assert_eq!(
            caption_template("a photo of a golden retriever", "golden retriever"),
            "a photo of a {class}"
        );
        assert_eq!(caption_template("dogs at night", "dog"), "dogs at night");
        assert_eq!(
            caption_template("a photo of a red snow in the snow", "snow"),
            "a photo of a red {class} in the snow"
        );
    }
}
