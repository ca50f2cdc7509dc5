//! Which proposed failure modes are real, judged on the test rows no fit has seen.
//!
//! Every hypothesis is a one-sided Mann-Whitney test of a ranking (see [`super::stats`]):
//!
//! - **mode 1** (the paper's direction): does it rank the class's test errors first?
//! - **a split** of a mode's errors into halves A and B: does A rank errors first among the test
//!   rows that B puts in its easier half, and B among those A puts in its easier half? Both must
//!   hold, so a split stands only when each half finds errors the other does not explain; and
//!   fewer than half of the test errors on either half's hard side may be on the other's, so
//!   two noisy copies of one failure are not reported as two.
//! - **a shared mode**, for each class its val rows put forward: does it rank that class's test
//!   errors first?
//!
//! All p-values of the dataset form one family, corrected by Benjamini-Hochberg at `alpha`.
//! A mode is reported as a finding when its q-value is below `alpha`, its hard side holds at
//! least `min_support` test errors, and (for further and shared modes) it errs at least
//! `min_lift` (`min_shared_lift`) times as often on its hard side as the class does overall.

use super::modes::{Candidate, ModeOptions};
use super::preprocess::Standardizer;
use super::shared::SharedCandidate;
use super::stats::{benjamini_hochberg, ranks_errors_first, RankTest};
use super::svm::LinearSvm;
use crate::data::{Dataset, Split};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a reported mode's direction comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModeSource {
    /// Mode 1: the paper's SVM over all of the class's val errors.
    Paper,
    /// A half of a split, by its index in the class's proposed candidates.
    Split { candidate: usize },
}

/// The numbers that say whether a mode is real and how much it explains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The test behind `p_value` (None without test errors and correct test rows).
    pub test: Option<RankTest>,
    /// Test rows on which the test was made: all of the class's for mode 1 and shared modes,
    /// the sibling's easier half for a split.
    pub tested_rows: usize,
    pub p_value: Option<f64>,
    /// Benjamini-Hochberg adjusted p-value over every test of the dataset.
    pub q_value: Option<f64>,
    /// Test rows on the hard side (decision value below zero) and the errors among them.
    pub hard_rows: usize,
    pub hard_errors: usize,
    /// Share of the class's test errors on the hard side.
    pub coverage: Option<f64>,
    /// Error rate on the hard side over the class's test error rate.
    pub lift: Option<f64>,
    /// Passes the test after correction, with enough support (and lift, for further modes).
    pub significant: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeAssessment {
    pub source: ModeSource,
    pub evidence: Evidence,
    /// For mode 1: the positions (in the class's list) of the modes it blends, when its errors
    /// split into several modes.
    pub blends: Vec<usize>,
    /// The shared mode (position in the dataset's list) that explains this one.
    pub shared: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClassAssessment {
    /// Mode 1 first (when fitted), then the further modes by coverage, largest first.
    pub modes: Vec<ModeAssessment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedClass {
    pub class: u32,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedAssessment {
    /// Index into the model's shared candidates.
    pub candidate: usize,
    /// The classes it significantly hurts, most errors explained first.
    pub classes: Vec<SharedClass>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Assessment {
    pub classes: Vec<ClassAssessment>,
    /// Shared modes that hurt at least two classes.
    pub shared: Vec<SharedAssessment>,
    /// How many hypotheses the correction covered.
    pub hypotheses: usize,
}

/// A class's fitted directions, as the assessment needs them.
pub struct ClassDirections<'a> {
    pub first: Option<&'a LinearSvm>,
    pub candidates: &'a [Candidate],
}

/// A reported mode folds into mode 1 when their decision values over the class's test rows
/// correlate this strongly: the same failure, named once.
const SAME_AS_FIRST: f64 = 0.9;

/// A class's mode is explained by a shared mode when at least this share of the test errors on
/// its hard side are on the shared mode's hard side too.
const EXPLAINED_BY_SHARED: f64 = 0.7;

/// Two halves of a split are two failures, not one named twice, when most of the test errors
/// on each one's hard side are not on the other's: the hard errors they share are fewer than
/// half of the smaller half's.
const MOST_ERRORS_SHARED: f64 = 0.5;

fn distinct(a: &[f64], b: &[f64], errors: &[bool]) -> bool {
    hard_error_overlap(a, b, errors) < MOST_ERRORS_SHARED
        && hard_error_overlap(b, a, errors) < MOST_ERRORS_SHARED
}

/// Of the errors on `mode`'s hard side, the share also on `other`'s hard side (0 when none).
fn hard_error_overlap(mode: &[f64], other: &[f64], errors: &[bool]) -> f64 {
    let mut mine = 0usize;
    let mut both = 0usize;
    for ((&m, &o), &e) in mode.iter().zip(other).zip(errors) {
        if e && m < 0.0 {
            mine += 1;
            both += (o < 0.0) as usize;
        }
    }
    if mine == 0 {
        0.0
    } else {
        both as f64 / mine as f64
    }
}

/// Decision values of `rows` under `svm`, in the transformed space.
pub fn decisions(
    dataset: &Dataset,
    standardizer: &Standardizer,
    rows: &[usize],
    score: impl Fn(&[f32]) -> f64 + Sync,
) -> Vec<f64> {
    rows.par_iter()
        .with_min_len(2048)
        .map_init(
            || vec![0.0f32; dataset.dim()],
            |scratch, &i| {
                standardizer.transform_into(dataset.embeddings.row(i), scratch);
                score(scratch)
            },
        )
        .collect()
}

fn evidence_counts(values: &[f64], errors: &[bool]) -> (usize, usize, Option<f64>, Option<f64>) {
    let hard_rows = values.iter().filter(|&&v| v < 0.0).count();
    let hard_errors = values
        .iter()
        .zip(errors)
        .filter(|(&v, &e)| v < 0.0 && e)
        .count();
    let total_errors = errors.iter().filter(|&&e| e).count();
    let coverage = (total_errors > 0).then(|| hard_errors as f64 / total_errors as f64);
    let rate = total_errors as f64 / errors.len().max(1) as f64;
    let lift = (hard_rows > 0 && rate > 0.0).then(|| hard_errors as f64 / hard_rows as f64 / rate);
    (hard_rows, hard_errors, coverage, lift)
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    if a.len() < 2 {
        return 0.0;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += (x - ma) * (y - mb);
        aa += (x - ma) * (x - ma);
        bb += (y - mb) * (y - mb);
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        ab / (aa * bb).sqrt()
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
}

/// The test of `values` restricted to the rows where `keep` holds.
fn restricted_test(values: &[f64], errors: &[bool], keep: &[bool]) -> (Option<RankTest>, usize) {
    let (v, e): (Vec<f64>, Vec<bool>) = values
        .iter()
        .zip(errors)
        .zip(keep)
        .filter(|(_, &k)| k)
        .map(|((&v, &e), _)| (v, e))
        .unzip();
    (ranks_errors_first(&v, &e), v.len())
}

/// A shared candidate in one class: decision values along the direction learned from the
/// other classes (what is tested) and along the shared direction itself (what is shown).
struct SharedTest {
    class: u32,
    tested: Vec<f64>,
    along: Vec<f64>,
    test: Option<RankTest>,
}

/// One class's raw tests, before the correction.
struct ClassTests {
    errors: Vec<bool>,
    /// Decision values on the class's test rows: [mode 1, candidate 0, candidate 1, ...]
    /// (mode 1's slot is empty when the class has no direction).
    values: Vec<Vec<f64>>,
    /// Per slot, the test and how many rows it covered (None for candidates without one).
    tests: Vec<Option<(Option<RankTest>, usize)>>,
}

fn class_tests(
    dataset: &Dataset,
    standardizer: &Standardizer,
    class: u32,
    directions: &ClassDirections,
) -> ClassTests {
    let rows = dataset.rows_of(class, Split::Test);
    let errors: Vec<bool> = rows
        .iter()
        .map(|&i| dataset.correct[i] == Some(false))
        .collect();
    let mut values = vec![match directions.first {
        Some(svm) => decisions(dataset, standardizer, rows, |x| svm.decision(x)),
        None => Vec::new(),
    }];
    for candidate in directions.candidates {
        values.push(decisions(dataset, standardizer, rows, |x| {
            candidate.svm.decision(x)
        }));
    }
    let mut tests = vec![directions
        .first
        .map(|_| (ranks_errors_first(&values[0], &errors), rows.len()))];
    for (k, _) in directions.candidates.iter().enumerate() {
        let sibling = if k % 2 == 0 { k + 1 } else { k - 1 };
        let theirs = &values[sibling + 1];
        let middle = median(theirs);
        let easier: Vec<bool> = theirs.iter().map(|&v| v >= middle).collect();
        tests.push(Some(restricted_test(&values[k + 1], &errors, &easier)));
    }
    ClassTests {
        errors,
        values,
        tests,
    }
}

fn evidence(
    values: &[f64],
    errors: &[bool],
    test: Option<(Option<RankTest>, usize)>,
    q: Option<f64>,
) -> Evidence {
    let (hard_rows, hard_errors, coverage, lift) = evidence_counts(values, errors);
    let (test, tested_rows) = test.unwrap_or((None, 0));
    Evidence {
        test,
        tested_rows,
        p_value: test.map(|t| t.p_value),
        q_value: q,
        hard_rows,
        hard_errors,
        coverage,
        lift,
        significant: false,
    }
}

/// Judges every class's proposed modes and the shared candidates on the test rows.
pub fn assess(
    dataset: &Dataset,
    standardizer: &Standardizer,
    directions: &[ClassDirections],
    shared: &[SharedCandidate],
    options: &ModeOptions,
) -> Assessment {
    let per_class: Vec<ClassTests> = directions
        .par_iter()
        .enumerate()
        .map(|(c, d)| class_tests(dataset, standardizer, c as u32, d))
        .collect();
    // Shared candidates, on the test rows of the classes their val rows put forward, each along
    // the direction learned from the other classes (so its own failure cannot pass for shared).
    let shared_values: Vec<Vec<SharedTest>> = shared
        .iter()
        .map(|candidate| {
            candidate
                .members
                .par_iter()
                .map(|member| {
                    let class = member.class;
                    let rows = dataset.rows_of(class, Split::Test);
                    let held_out = candidate.direction_without(class);
                    let tested = decisions(dataset, standardizer, rows, |x| {
                        candidate.decision_along(&held_out, class, x)
                    });
                    let along = decisions(dataset, standardizer, rows, |x| {
                        candidate.decision(class, x)
                    });
                    let test = ranks_errors_first(&tested, &per_class[class as usize].errors);
                    SharedTest {
                        class,
                        tested,
                        along,
                        test,
                    }
                })
                .collect()
        })
        .collect();
    // One family: every test made, class modes and shared modes alike.
    let mut p_values = Vec::new();
    for tests in &per_class {
        for (test, _) in tests.tests.iter().flatten() {
            if let Some(t) = test {
                p_values.push(t.p_value);
            }
        }
    }
    for values in &shared_values {
        for t in values.iter().filter_map(|v| v.test) {
            p_values.push(t.p_value);
        }
    }
    let q_values = benjamini_hochberg(&p_values);
    let mut next_q = q_values.iter().copied();

    let passes = |e: &Evidence, min_lift: Option<f64>| {
        e.q_value.is_some_and(|q| q < options.alpha)
            && e.hard_errors >= options.min_support
            && min_lift.is_none_or(|m| e.lift.is_some_and(|l| l >= m))
    };

    let mut classes = Vec::with_capacity(per_class.len());
    for (tests, d) in per_class.iter().zip(directions) {
        // Evidence for every slot, taking q-values in the order they were pushed.
        let slots: Vec<Option<Evidence>> = tests
            .tests
            .iter()
            .zip(&tests.values)
            .map(|(test, values)| {
                let test = (*test)?;
                let q = test.0.map(|_| next_q.next().expect("one q per p"));
                Some(evidence(values, &tests.errors, Some(test), q))
            })
            .collect();
        let mut modes = Vec::new();
        if let Some(Some(mut first)) = slots.first().cloned() {
            first.significant = passes(&first, None);
            modes.push(ModeAssessment {
                source: ModeSource::Paper,
                evidence: first,
                blends: Vec::new(),
                shared: None,
            });
        }
        // Accept splits top down: a node's children replace it when both halves pass.
        let mut leaves: Vec<usize> = Vec::new(); // candidate indices
        let mut frontier = vec![0usize]; // node ids: 0 = mode 1, k = candidate k − 1
        while let Some(node) = frontier.pop() {
            let pair: Vec<usize> = (0..d.candidates.len())
                .filter(|&k| d.candidates[k].parent == node)
                .collect();
            let accepted = pair.len() == 2
                && pair.iter().all(|&k| {
                    slots[k + 1]
                        .as_ref()
                        .is_some_and(|e| passes(e, Some(options.min_lift)))
                })
                && distinct(
                    &tests.values[pair[0] + 1],
                    &tests.values[pair[1] + 1],
                    &tests.errors,
                );
            if accepted {
                leaves.retain(|&l| l + 1 != node);
                for &k in &pair {
                    leaves.push(k);
                    frontier.push(k + 1);
                }
            }
        }
        let mut further: Vec<ModeAssessment> = leaves
            .into_iter()
            .filter(|&k| {
                // The same failure as mode 1 is reported once, as mode 1.
                tests.values[0].is_empty()
                    || pearson(&tests.values[0], &tests.values[k + 1]) < SAME_AS_FIRST
            })
            .map(|k| {
                let mut e = slots[k + 1].clone().expect("tested");
                e.significant = true;
                ModeAssessment {
                    source: ModeSource::Split { candidate: k },
                    evidence: e,
                    blends: Vec::new(),
                    shared: None,
                }
            })
            .collect();
        further.sort_by(|a, b| {
            b.evidence
                .coverage
                .unwrap_or(0.0)
                .total_cmp(&a.evidence.coverage.unwrap_or(0.0))
        });
        let first_position = modes.len();
        if first_position == 1 && further.len() >= 2 {
            modes[0].blends = (1..=further.len()).collect();
        }
        modes.extend(further);
        classes.push(ClassAssessment { modes });
    }

    let mut shared_out = Vec::new();
    for (candidate, values) in shared_values.iter().enumerate() {
        let mut hurt = Vec::new();
        for SharedTest {
            class,
            tested: v,
            test,
            ..
        } in values
        {
            let q = test.map(|_| next_q.next().expect("one q per p"));
            let mut e = evidence(
                v,
                &per_class[*class as usize].errors,
                Some((*test, v.len())),
                q,
            );
            e.significant = passes(&e, Some(options.min_shared_lift));
            if e.significant {
                hurt.push(SharedClass {
                    class: *class,
                    evidence: e,
                });
            }
        }
        if hurt.len() < 2 {
            continue;
        }
        hurt.sort_by(|a, b| {
            b.evidence
                .hard_errors
                .cmp(&a.evidence.hard_errors)
                .then(a.class.cmp(&b.class))
        });
        let position = shared_out.len();
        // Fold each hurt class's modes that this shared mode explains.
        for h in &hurt {
            let class = h.class as usize;
            let tests = &per_class[class];
            let shared_v = &values
                .iter()
                .find(|t| t.class == h.class)
                .expect("hurt")
                .along;
            for mode in &mut classes[class].modes {
                let slot = match mode.source {
                    ModeSource::Paper => 0,
                    ModeSource::Split { candidate } => candidate + 1,
                };
                if mode.shared.is_none()
                    && hard_error_overlap(&tests.values[slot], shared_v, &tests.errors)
                        >= EXPLAINED_BY_SHARED
                {
                    mode.shared = Some(position);
                }
            }
        }
        shared_out.push(SharedAssessment {
            candidate,
            classes: hurt,
        });
    }
    Assessment {
        classes,
        shared: shared_out,
        hypotheses: p_values.len(),
    }
}
