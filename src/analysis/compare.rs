//! Did the fix work? Two models' predictions on the same examples, compared failure mode by
//! failure mode of the model before the fix.
//!
//! A before mode splits the class's test rows in two: its hard side (decision value below zero)
//! and its easy side. Its *gap* is the accuracy on the easy side minus on the hard side. The
//! same rows are scored under the after model's predictions, so every number is paired: one
//! bootstrap over resamples of the class's test rows gives the intervals of both models'
//! accuracies, both gaps and the change of the gap at once. The verdict reads the change:
//!
//! - **fixed**: the gap shrank (its change's 95% interval lies below zero) and the after gap
//!   is no longer above zero (its interval reaches zero);
//! - **weaker**: the gap shrank, but the after model still fails there;
//! - **persisting**: the change of the gap is within its noise;
//! - **regressed**: the gap grew (its change's interval lies above zero);
//! - **new**: a mode of the after model that is a finding, matches no finding of the before
//!   model (matching: at least half of its hard-side test errors sit on the hard side of a before
//!   finding, or their directions point the same way, cosine 0.5 or more), whose hard side errs
//!   at least `min_lift` (1.5) times as often as the class, as a further mode must, and whose gap grew
//!   from the before model to the after model on the same rows (the change's interval lies above
//!   zero: a gap the before model had too is an old failure its own fit missed, not a new one);
//! - **not a finding**: the before mode was not significant, or its gap's interval under the
//!   model before reaches zero: there is no measured failure to fix.

use super::assess::Evidence;
use super::captions::score_captions;
use super::findings::nearest_order;
use super::linalg::cosine_f64;
use super::stats::{
    accuracy_of_first, percentile_interval, resample_counts, Interval, BOOTSTRAP_REPLICATES,
};
use super::{Along, Model, Scorer};
use crate::data::captions::CaptionBank;
use crate::data::{Dataset, Split};
use crate::rng::Rng;
use rayon::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Fixed,
    Weaker,
    Persisting,
    Regressed,
    New,
    NotAFinding,
}

impl Verdict {
    pub const ALL: [Verdict; 6] = [
        Verdict::Fixed,
        Verdict::Weaker,
        Verdict::Persisting,
        Verdict::Regressed,
        Verdict::New,
        Verdict::NotAFinding,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Fixed => "fixed",
            Verdict::Weaker => "weaker",
            Verdict::Persisting => "persisting",
            Verdict::Regressed => "regressed",
            Verdict::New => "new",
            Verdict::NotAFinding => "not a finding",
        }
    }
}

/// The accuracy of a set of test rows under each model, and the change with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Paired {
    pub rows: usize,
    pub before: f64,
    pub after: f64,
    /// after − before.
    pub change: Interval,
}

/// The check under both models: the test rows nearest a mode's hardest and easiest captions
/// (as the model that found the mode names them). The subgroup a person reads in the report,
/// rather than a side of a hyperplane.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptionDiff {
    pub hard_caption: String,
    pub easy_caption: String,
    /// Accuracy of the K nearest test rows of each caption; `rows` is K.
    pub near_hard: Paired,
    pub near_easy: Paired,
}

/// One failure mode of the before model (a mode of the class, or a shared mode that hurts it),
/// judged under both models.
#[derive(Debug, Clone, PartialEq)]
pub struct ModeDiff {
    pub along: Along,
    pub verdict: Verdict,
    /// The before model's evidence that it is a mode.
    pub significant: bool,
    pub hard: Paired,
    pub easy: Paired,
    /// Easy-side accuracy minus hard-side accuracy, under each model, and its change.
    pub gap_before: Interval,
    pub gap_after: Interval,
    pub gap_change: Interval,
    pub check: Option<CaptionDiff>,
    /// The after model's finding that matches it, if any.
    pub matched_by: Option<Along>,
}

/// A finding of the after model that matches no finding of the before model.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMode {
    pub along: Along,
    pub evidence: Evidence,
    /// Accuracy on its hard side under each model.
    pub hard: Paired,
    pub gap_before: Interval,
    pub gap_after: Interval,
    /// Grew: its 95% interval lies above zero.
    pub gap_change: Interval,
    pub check: Option<CaptionDiff>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClassDiff {
    pub class: u32,
    pub test_rows: usize,
    /// The whole class's test accuracy under each model: a fix that costs the rest of the class
    /// shows here.
    pub accuracy: Option<Paired>,
    pub modes: Vec<ModeDiff>,
    pub new: Vec<NewMode>,
}

impl ClassDiff {
    /// Every verdict of the class: its before modes' and one `New` per new mode.
    pub fn verdicts(&self) -> impl Iterator<Item = Verdict> + '_ {
        self.modes
            .iter()
            .map(|m| m.verdict)
            .chain(self.new.iter().map(|_| Verdict::New))
    }

    /// The verdict that sums the class up: the worst of regressed, new, persisting, weaker,
    /// fixed; "not a finding" when no before mode was one and nothing is new.
    pub fn summary(&self) -> Verdict {
        let order = [
            Verdict::Regressed,
            Verdict::New,
            Verdict::Persisting,
            Verdict::Weaker,
            Verdict::Fixed,
        ];
        order
            .into_iter()
            .find(|v| self.verdicts().any(|x| x == *v))
            .unwrap_or(Verdict::NotAFinding)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub classes: Vec<ClassDiff>,
}

impl Comparison {
    pub fn count(&self, verdict: Verdict) -> usize {
        self.classes
            .iter()
            .flat_map(|c| c.verdicts())
            .filter(|v| *v == verdict)
            .count()
    }

    /// The classes with a verdict in `gate`, and which of those verdicts they have.
    pub fn failing(&self, gate: &[Verdict]) -> Vec<(u32, Vec<Verdict>)> {
        self.classes
            .iter()
            .filter_map(|c| {
                let hit: Vec<Verdict> = Verdict::ALL
                    .into_iter()
                    .filter(|v| gate.contains(v) && c.verdicts().any(|x| x == *v))
                    .collect();
                (!hit.is_empty()).then_some((c.class, hit))
            })
            .collect()
    }
}

/// A new mode matches a before finding when this share of its hard-side errors sit on the
/// before finding's hard side, or when their directions' cosine reaches this.
pub const MATCH: f64 = 0.5;

/// Bootstrap replicates: (hard before, hard after, easy before, easy after) accuracies.
struct Sides {
    hard: Paired,
    easy: Paired,
    gap_before: Interval,
    gap_after: Interval,
    gap_change: Interval,
}

/// Paired accuracies of the hard side (`hard[i]`) and the easy side of `rows`, under both
/// models' correctness, with bootstrap intervals over resamples of the rows.
fn sides(hard: &[bool], before: &[bool], after: &[bool], seed: u64) -> Sides {
    let n = hard.len();
    let accuracy = |counts: &[u32], side: bool, correct: &[bool]| {
        let (mut right, mut total) = (0u64, 0u64);
        for i in 0..n {
            if hard[i] == side {
                total += u64::from(counts[i]);
                if correct[i] {
                    right += u64::from(counts[i]);
                }
            }
        }
        (total > 0).then(|| right as f64 / total as f64)
    };
    let ones = vec![1u32; n];
    let estimate = |counts: &[u32]| -> Option<[f64; 4]> {
        Some([
            accuracy(counts, true, before)?,
            accuracy(counts, true, after)?,
            accuracy(counts, false, before)?,
            accuracy(counts, false, after)?,
        ])
    };
    let point = estimate(&ones);
    let mut rng = Rng::new(seed);
    let mut counts = Vec::new();
    let replicates: Vec<[f64; 4]> = (0..BOOTSTRAP_REPLICATES)
        .filter_map(|_| {
            resample_counts(n, &mut rng, &mut counts);
            estimate(&counts)
        })
        .collect();
    let interval = |f: &dyn Fn(&[f64; 4]) -> f64| {
        let estimate = point.as_ref().map_or(f64::NAN, f);
        let mut values: Vec<f64> = replicates.iter().map(f).collect();
        if values.is_empty() {
            return Interval {
                estimate,
                low: f64::NAN,
                high: f64::NAN,
                level: 0.95,
            };
        }
        percentile_interval(estimate, &mut values, 0.95)
    };
    let side_rows = |side: bool| hard.iter().filter(|&&h| h == side).count();
    let paired = |b: usize, a: usize, side: bool| Paired {
        rows: side_rows(side),
        before: point.map_or(f64::NAN, |p| p[b]),
        after: point.map_or(f64::NAN, |p| p[a]),
        change: interval(&|r| r[a] - r[b]),
    };
    Sides {
        hard: paired(0, 1, true),
        easy: paired(2, 3, false),
        gap_before: interval(&|r| r[2] - r[0]),
        gap_after: interval(&|r| r[3] - r[1]),
        gap_change: interval(&|r| (r[3] - r[1]) - (r[2] - r[0])),
    }
}

fn verdict(significant: bool, s: &Sides) -> Verdict {
    // A gap whose interval reaches zero under the model before is no failure to fix or keep,
    // whatever the ranking test said (a false discovery's gap shrinks on its own).
    if !significant || s.gap_before.low <= 0.0 {
        Verdict::NotAFinding
    } else if s.gap_change.high < 0.0 {
        if s.gap_after.low <= 0.0 {
            Verdict::Fixed
        } else {
            Verdict::Weaker
        }
    } else if s.gap_change.low > 0.0 {
        Verdict::Regressed
    } else {
        Verdict::Persisting
    }
}

/// The accuracy of the whole of `rows` under both models, with the change's interval.
fn whole(before: &[bool], after: &[bool], seed: u64) -> Option<Paired> {
    let n = before.len();
    if n == 0 {
        return None;
    }
    let share = |counts: &[u32], correct: &[bool]| {
        let right: u64 = (0..n)
            .filter(|&i| correct[i])
            .map(|i| u64::from(counts[i]))
            .sum();
        right as f64 / n as f64
    };
    let ones = vec![1u32; n];
    let mut rng = Rng::new(seed);
    let mut counts = Vec::new();
    let mut changes: Vec<f64> = (0..BOOTSTRAP_REPLICATES)
        .map(|_| {
            resample_counts(n, &mut rng, &mut counts);
            share(&counts, after) - share(&counts, before)
        })
        .collect();
    let (b, a) = (share(&ones, before), share(&ones, after));
    Some(Paired {
        rows: n,
        before: b,
        after: a,
        change: percentile_interval(a - b, &mut changes, 0.95),
    })
}

/// A direction of `class` under `along`, pointing towards the rows the model gets right (an
/// SVM's normal; a shared mode's direction turned round), for matching modes across models.
fn normal(model: &Model, class: u32, along: Along) -> Option<Vec<f64>> {
    match model.scorer(class, along)? {
        Scorer::Svm(svm) => Some(svm.w.clone()),
        Scorer::Shared(candidate, _) => Some(candidate.direction.iter().map(|d| -d).collect()),
    }
}

/// The before model's findings and the after model's, for one class: what is judged and what
/// is matched.
struct Finding {
    along: Along,
    evidence: Evidence,
    /// Per test row of the class: on the hard side (decision value below zero).
    hard: Vec<bool>,
    normal: Option<Vec<f64>>,
}

/// A class's modes under `model` (its own, then the shared modes that significantly hurt it),
/// with their hard sides over `rows`. Mode 1 when it blends halves is kept: it is judged, and
/// its halves are judged too.
fn findings_of(model: &Model, dataset: &Dataset, class: u32, rows: &[usize]) -> Vec<Finding> {
    let own = model
        .modes(class)
        .iter()
        .enumerate()
        .map(|(p, m)| (Along::Mode(p), &m.evidence));
    let shared = model
        .assessment
        .shared
        .iter()
        .enumerate()
        .filter_map(|(s, shared)| {
            let member = shared.classes.iter().find(|c| c.class == class)?;
            Some((Along::Shared(s), &member.evidence))
        });
    own.chain(shared)
        .filter_map(|(along, evidence)| {
            let values = model.values_along(dataset, class, along, rows)?;
            Some(Finding {
                along,
                evidence: evidence.clone(),
                hard: values.iter().map(|&v| v < 0.0).collect(),
                normal: normal(model, class, along),
            })
        })
        .collect()
}

/// The paired accuracy of the K test rows nearest `query` (a caption's embedding).
fn near_paired(context: &ClassContext, query: &[f32], seed: u64) -> Option<Paired> {
    let order = nearest_order(context.data, context.rows, query);
    let n = context.rows.len();
    let k = context.check_k.min(n);
    if k == 0 {
        return None;
    }
    let ones = vec![1u32; n];
    let (before, after) = (&context.correct_before, &context.correct_after);
    let mut rng = Rng::new(seed);
    let mut counts = Vec::new();
    let mut changes: Vec<f64> = (0..BOOTSTRAP_REPLICATES)
        .map(|_| {
            resample_counts(n, &mut rng, &mut counts);
            accuracy_of_first(&order, &counts, after, k)
                - accuracy_of_first(&order, &counts, before, k)
        })
        .collect();
    let (b, a) = (
        accuracy_of_first(&order, &ones, before, k),
        accuracy_of_first(&order, &ones, after, k),
    );
    Some(Paired {
        rows: k,
        before: b,
        after: a,
        change: percentile_interval(a - b, &mut changes, 0.95),
    })
}

/// The check of `along` (captions scored by `model`) under both models.
fn caption_diff(
    context: &ClassContext,
    along: Along,
    model: &Model,
    seed: u64,
) -> Option<CaptionDiff> {
    let bank = context.bank?;
    let scorer = model.scorer(context.class, along)?;
    let scores = score_captions(
        bank,
        context.class,
        context.name,
        &model.standardizer,
        scorer,
    )?;
    let hard = scores.ranked.first()?;
    let easy = scores.ranked.last()?;
    Some(CaptionDiff {
        hard_caption: hard.text.clone(),
        easy_caption: easy.text.clone(),
        near_hard: near_paired(context, bank.embeddings.row(hard.index), seed)?,
        near_easy: near_paired(context, bank.embeddings.row(easy.index), seed ^ 1 << 3)?,
    })
}

/// What `compare` needs besides the two models.
pub struct CompareOptions<'a> {
    /// Captions to name the before modes; the check's K nearest test rows of the hardest one
    /// are compared.
    pub bank: Option<&'a CaptionBank>,
    pub check_k: usize,
}

struct ClassContext<'a> {
    data: &'a Dataset,
    class: u32,
    name: &'a str,
    rows: &'a [usize],
    correct_before: Vec<bool>,
    correct_after: Vec<bool>,
    bank: Option<&'a CaptionBank>,
    check_k: usize,
}

/// Compares the two models class by class. `before` and `after` hold the same examples (the
/// same embeddings, labels and splits) with each model's predictions; each model was fitted on
/// its own dataset.
pub fn compare(
    before_data: &Dataset,
    after_data: &Dataset,
    before: &Model,
    after: &Model,
    options: &CompareOptions,
) -> Comparison {
    let classes = (0..before_data.num_classes() as u32)
        .into_par_iter()
        .map(|class| {
            let rows = before_data.rows_of(class, Split::Test);
            let right = |d: &Dataset| -> Vec<bool> {
                rows.iter().map(|&i| d.correct[i] == Some(true)).collect()
            };
            let context = ClassContext {
                data: before_data,
                class,
                name: &before_data.class_names[class as usize],
                rows,
                correct_before: right(before_data),
                correct_after: right(after_data),
                bank: options.bank,
                check_k: options.check_k,
            };
            compare_class(&context, before, after)
        })
        .collect();
    Comparison { classes }
}

/// Seeds that differ per class, mode and purpose, so no two intervals share a resample stream.
fn seed_of(class: u32, along: Along, purpose: u64) -> u64 {
    let (kind, position) = match along {
        Along::Mode(p) => (0u64, p as u64),
        Along::Shared(s) => (1, s as u64),
    };
    (class as u64) << 24 | kind << 20 | position << 4 | purpose
}

fn compare_class(context: &ClassContext, before: &Model, after: &Model) -> ClassDiff {
    let class = context.class;
    let (correct_before, correct_after) = (&context.correct_before, &context.correct_after);
    let before_modes = findings_of(before, context.data, class, context.rows);
    // The after model's findings, to match against; a mode 1 that blends halves stands for
    // them, so it is matched but never new on its own.
    let after_modes: Vec<Finding> = findings_of(after, context.data, class, context.rows)
        .into_iter()
        .filter(|f| f.evidence.significant)
        .collect();
    let after_blends = |along: Along| match along {
        Along::Mode(p) => after
            .modes(class)
            .get(p)
            .is_some_and(|m| !m.blends.is_empty()),
        Along::Shared(_) => false,
    };
    // Share of `mine`'s hard-side errors (under the after model) on `theirs`' hard side.
    let hard_errors_shared = |mine: &[bool], theirs: &[bool], correct: &[bool]| -> f64 {
        let (mut own, mut both) = (0usize, 0usize);
        for i in 0..mine.len() {
            if mine[i] && !correct[i] {
                own += 1;
                both += usize::from(theirs[i]);
            }
        }
        if own == 0 {
            0.0
        } else {
            both as f64 / own as f64
        }
    };
    let matches = |after_mode: &Finding, before_mode: &Finding| {
        hard_errors_shared(&after_mode.hard, &before_mode.hard, correct_after) >= MATCH
            || after_mode
                .normal
                .as_deref()
                .zip(before_mode.normal.as_deref())
                .is_some_and(|(a, b)| cosine_f64(a, b) >= MATCH)
    };
    let modes = before_modes
        .iter()
        .map(|mode| {
            let s = sides(
                &mode.hard,
                correct_before,
                correct_after,
                seed_of(class, mode.along, 0),
            );
            ModeDiff {
                along: mode.along,
                verdict: verdict(mode.evidence.significant, &s),
                significant: mode.evidence.significant,
                hard: s.hard,
                easy: s.easy,
                gap_before: s.gap_before,
                gap_after: s.gap_after,
                gap_change: s.gap_change,
                check: caption_diff(context, mode.along, before, seed_of(class, mode.along, 1)),
                matched_by: after_modes
                    .iter()
                    .find(|a| matches(a, mode))
                    .map(|a| a.along),
            }
        })
        .collect();
    // A new mode is a claim beyond the paper's direction, so it meets the lift a further mode
    // needs: its hard side errs this many times as often as the class (a spurious mode 1, which
    // the false discovery rate allows now and then, barely errs more than the class does).
    let min_lift = after.options.modes.min_lift;
    let new = after_modes
        .iter()
        .filter(|a| !after_blends(a.along))
        .filter(|a| a.evidence.lift.is_some_and(|l| l >= min_lift))
        .filter(|a| {
            !before_modes
                .iter()
                .filter(|b| b.evidence.significant)
                .any(|b| matches(a, b))
        })
        .filter_map(|a| {
            let s = sides(
                &a.hard,
                correct_before,
                correct_after,
                seed_of(class, a.along, 2),
            );
            // New means the retrained model brought it: its gap grew on these rows. A finding
            // whose gap the model before had too is an old failure its fit missed.
            (s.gap_change.low > 0.0).then(|| NewMode {
                along: a.along,
                evidence: a.evidence.clone(),
                hard: s.hard,
                gap_before: s.gap_before,
                gap_after: s.gap_after,
                gap_change: s.gap_change,
                check: caption_diff(context, a.along, after, seed_of(class, a.along, 3)),
            })
        })
        .collect();
    ClassDiff {
        class,
        test_rows: context.rows.len(),
        accuracy: whole(
            correct_before,
            correct_after,
            seed_of(class, Along::Mode(0), 4),
        ),
        modes,
        new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 300 hard rows and 700 easy ones; each model gets each row right independently with the
    /// given rate (a retrained model's errors are redrawn, not a subset of the old ones).
    fn sides_of(hard_before: f64, hard_after: f64, easy: f64) -> Sides {
        let n = 1000;
        let hard: Vec<bool> = (0..n).map(|i| i < 300).collect();
        let mut rng = Rng::new(5);
        let mut draw = |rate_hard: f64| -> Vec<bool> {
            (0..n)
                .map(|i| rng.uniform() < if i < 300 { rate_hard } else { easy })
                .collect()
        };
        let (before, after) = (draw(hard_before), draw(hard_after));
        sides(&hard, &before, &after, 3)
    }

    #[test]
    fn verdicts_read_the_change_of_the_gap() {
        assert_eq!(verdict(true, &sides_of(0.3, 0.9, 0.9)), Verdict::Fixed);
        assert_eq!(verdict(true, &sides_of(0.3, 0.6, 0.9)), Verdict::Weaker);
        assert_eq!(verdict(true, &sides_of(0.3, 0.3, 0.9)), Verdict::Persisting);
        assert_eq!(verdict(true, &sides_of(0.5, 0.2, 0.9)), Verdict::Regressed);
        assert_eq!(
            verdict(false, &sides_of(0.3, 0.9, 0.9)),
            Verdict::NotAFinding
        );
        // Significant by its ranking, but no gap on the test rows: nothing to fix.
        assert_eq!(
            verdict(true, &sides_of(0.9, 0.5, 0.9)),
            Verdict::NotAFinding
        );
    }
}
