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
//! - **new**: a mode of the after model that is a finding and matches no finding of the before
//!   model (matching: at least half of its hard-side test errors sit on the hard side of a before
//!   finding, or their directions point the same way, cosine 0.5 or more);
//! - **not a finding**: the before mode was not significant, so there is nothing to fix.

use super::assess::{Evidence, ModeSource};
use super::stats::{percentile_interval, resample_counts, Interval, BOOTSTRAP_REPLICATES};
use super::{Along, Model};
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

    /// From a name as `--fail-on` takes it (`not-a-finding` with a dash).
    pub fn parse(name: &str) -> Option<Verdict> {
        let name = name.trim().to_ascii_lowercase().replace(['-', '_'], " ");
        Verdict::ALL.into_iter().find(|v| v.name() == name)
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

/// One failure mode of the before model, judged under both models.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModeDiff {
    /// Position among the class's modes (0: mode 1).
    pub position: usize,
    pub verdict: Verdict,
    /// The before model's evidence that it is a mode.
    pub significant: bool,
    pub hard: Paired,
    pub easy: Paired,
    /// Easy-side accuracy minus hard-side accuracy, under each model, and its change.
    pub gap_before: Interval,
    pub gap_after: Interval,
    pub gap_change: Interval,
    /// The after model's mode that matches it, if any (position among the after modes).
    pub matched_by: Option<usize>,
}

/// A finding of the after model that matches no finding of the before model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewMode {
    /// Position among the after model's modes of the class.
    pub position: usize,
    pub evidence: Evidence,
    /// Accuracy on its hard side under each model.
    pub hard: Paired,
    pub gap_before: Interval,
    pub gap_after: Interval,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize)]
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
}

/// A new mode matches a before finding when this share of its hard-side errors sit on the
/// before finding's hard side, or when their directions' cosine reaches this.
const MATCH: f64 = 0.5;

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
    if !significant {
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

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// The direction (SVM normal, positive = "right") of a class's mode.
fn normal(model: &Model, class: u32, position: usize) -> Option<&[f64]> {
    let fit = model.classes.get(class as usize)?;
    match model.modes(class).get(position)?.source {
        ModeSource::Paper => fit.direction().map(|d| d.svm.w.as_slice()),
        ModeSource::Split { candidate } => {
            fit.candidates.get(candidate).map(|c| c.svm.w.as_slice())
        }
    }
}

/// Compares the two models class by class. `before` and `after` hold the same examples (the
/// same embeddings, labels and splits) with each model's predictions; each model was fitted on
/// its own dataset.
pub fn compare(
    before_data: &Dataset,
    after_data: &Dataset,
    before: &Model,
    after: &Model,
) -> Comparison {
    let classes = (0..before_data.num_classes() as u32)
        .into_par_iter()
        .map(|class| compare_class(before_data, after_data, before, after, class))
        .collect();
    Comparison { classes }
}

fn compare_class(
    before_data: &Dataset,
    after_data: &Dataset,
    before: &Model,
    after: &Model,
    class: u32,
) -> ClassDiff {
    let rows = before_data.rows_of(class, Split::Test);
    let right =
        |d: &Dataset| -> Vec<bool> { rows.iter().map(|&i| d.correct[i] == Some(true)).collect() };
    let (correct_before, correct_after) = (right(before_data), right(after_data));
    let seed = |position: usize, side: u64| (class as u64) << 16 | (position as u64) << 2 | side;
    let hard_side = |model: &Model, position: usize| -> Option<Vec<bool>> {
        model
            .values_along(before_data, class, Along::Mode(position), rows)
            .map(|v| v.iter().map(|&x| x < 0.0).collect())
    };
    // The after model's findings, with their hard sides, to match against.
    let after_findings: Vec<(usize, Vec<bool>)> = after
        .modes(class)
        .iter()
        .enumerate()
        .filter(|(_, m)| m.evidence.significant && m.blends.is_empty())
        .filter_map(|(p, _)| Some((p, hard_side(after, p)?)))
        .collect();
    let hard_errors_shared = |mine: &[bool], theirs: &[bool]| -> f64 {
        let (mut own, mut both) = (0usize, 0usize);
        for i in 0..mine.len() {
            if mine[i] && !correct_after[i] {
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
    let matches = |after_position: usize,
                   after_hard: &[bool],
                   before_position: usize,
                   before_hard: &[bool]| {
        hard_errors_shared(after_hard, before_hard) >= MATCH
            || normal(after, class, after_position)
                .zip(normal(before, class, before_position))
                .is_some_and(|(a, b)| cosine(a, b) >= MATCH)
    };
    let mut modes = Vec::new();
    let mut before_findings: Vec<(usize, Vec<bool>)> = Vec::new();
    for (position, mode) in before.modes(class).iter().enumerate() {
        let Some(hard) = hard_side(before, position) else {
            continue;
        };
        let s = sides(&hard, &correct_before, &correct_after, seed(position, 0));
        let significant = mode.evidence.significant;
        let matched_by = after_findings
            .iter()
            .find(|(p, h)| matches(*p, h, position, &hard))
            .map(|(p, _)| *p);
        if significant {
            before_findings.push((position, hard.clone()));
        }
        modes.push(ModeDiff {
            position,
            verdict: verdict(significant, &s),
            significant,
            hard: s.hard,
            easy: s.easy,
            gap_before: s.gap_before,
            gap_after: s.gap_after,
            gap_change: s.gap_change,
            matched_by,
        });
    }
    let new = after_findings
        .iter()
        .filter(|(p, h)| !before_findings.iter().any(|(b, bh)| matches(*p, h, *b, bh)))
        .map(|(p, h)| {
            let s = sides(h, &correct_before, &correct_after, seed(*p, 1));
            NewMode {
                position: *p,
                evidence: after.modes(class)[*p].evidence.clone(),
                hard: s.hard,
                gap_before: s.gap_before,
                gap_after: s.gap_after,
            }
        })
        .collect();
    ClassDiff {
        class,
        test_rows: rows.len(),
        accuracy: whole(&correct_before, &correct_after, seed(0, 2)),
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
    }

    #[test]
    fn verdict_names_parse_back() {
        for v in Verdict::ALL {
            assert_eq!(Verdict::parse(v.name()), Some(v));
        }
        assert_eq!(Verdict::parse("not-a-finding"), Some(Verdict::NotAFinding));
        assert_eq!(Verdict::parse("REGRESSED"), Some(Verdict::Regressed));
        assert_eq!(Verdict::parse("better"), None);
    }
}
