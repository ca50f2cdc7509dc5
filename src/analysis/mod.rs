//! The analysis core: failure directions and everything derived from them. Free of UI types so
//! the CLI, the explorer and library users share it.

pub mod assess;
pub mod captions;
pub mod check;
pub mod compare;
pub mod cv;
pub mod direction;
pub(crate) mod eigen;
pub mod findings;
pub mod folds;
pub mod index;
pub(crate) mod intervene;
pub(crate) mod linalg;
pub(crate) mod metrics;
pub(crate) mod modes;
pub mod preprocess;
pub mod rank;
pub mod shared;
pub mod stats;
pub mod svm;

use crate::data::{Dataset, Split};
use crate::error::{Error, Result};
use assess::{assess, Assessment, ClassDirections, ModeAssessment, ModeSource};
use direction::{fit_all_with_progress, ClassFit, Direction, FitOptions, Outcome};
use preprocess::Standardizer;
use serde::{Deserialize, Serialize};
use shared::{propose_shared, SharedCandidate};
use std::sync::atomic::AtomicUsize;
use svm::LinearSvm;

/// Everything fitted from a dataset: the transform, one direction (or skip) per class with the
/// further modes proposed from its val rows, the shared modes proposed across classes, and the
/// assessment on the test rows that says which of them are real.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub standardizer: Standardizer,
    pub classes: Vec<ClassFit>,
    pub options: FitOptions,
    pub shared: Vec<SharedCandidate>,
    pub assessment: Assessment,
}

/// A direction to rank a class's rows along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Along {
    /// The class's reported mode at this position (0: mode 1, the paper's direction).
    Mode(usize),
    /// The dataset's reported shared mode at this position.
    Shared(usize),
}

/// A direction that scores transformed rows of one class: negative = toward the errors.
#[derive(Debug, Clone, Copy)]
pub enum Scorer<'a> {
    Svm(&'a LinearSvm),
    Shared(&'a SharedCandidate, u32),
}

impl Scorer<'_> {
    pub fn decision(&self, transformed: &[f32]) -> f64 {
        match self {
            Scorer::Svm(svm) => svm.decision(transformed),
            Scorer::Shared(candidate, class) => candidate.decision(*class, transformed),
        }
    }
}

impl Model {
    pub fn direction(&self, class: u32) -> Option<&Direction> {
        self.classes
            .get(class as usize)
            .and_then(ClassFit::direction)
    }

    /// The class's reported modes (mode 1 first), as the assessment judged them.
    pub fn modes(&self, class: u32) -> &[ModeAssessment] {
        self.assessment
            .classes
            .get(class as usize)
            .map_or(&[], |c| c.modes.as_slice())
    }

    /// Whether a class's mode 1 is a finding: fitted, and its test passed.
    pub fn status(&self, class: u32) -> findings::Status {
        match self.classes.get(class as usize).map(|f| &f.outcome) {
            Some(Outcome::Fitted(_)) => {
                if self
                    .modes(class)
                    .first()
                    .is_some_and(|m| m.evidence.significant)
                {
                    findings::Status::Fitted
                } else {
                    findings::Status::NoCoherentFailureMode
                }
            }
            _ => findings::Status::Skipped,
        }
    }

    /// The scorer of `along` for `class`, if the class has that mode (or the shared mode hurts
    /// it: a shared mode ranks any class's rows, so it is given for every class).
    pub fn scorer(&self, class: u32, along: Along) -> Option<Scorer<'_>> {
        match along {
            Along::Mode(position) => {
                let fit = self.classes.get(class as usize)?;
                match self.modes(class).get(position).map(|m| m.source) {
                    Some(ModeSource::Paper) | None if position == 0 => {
                        fit.direction().map(|d| Scorer::Svm(&d.svm))
                    }
                    Some(ModeSource::Split { candidate }) => {
                        fit.candidates.get(candidate).map(|c| Scorer::Svm(&c.svm))
                    }
                    _ => None,
                }
            }
            Along::Shared(position) => {
                let reported = self.assessment.shared.get(position)?;
                let candidate = self.shared.get(reported.candidate)?;
                Some(Scorer::Shared(candidate, class))
            }
        }
    }

    /// SVM decision values of `rows` for `class`'s direction (mode 1): negative = likely failure.
    pub fn decision_values(
        &self,
        dataset: &Dataset,
        class: u32,
        rows: &[usize],
    ) -> Option<Vec<f64>> {
        self.values_along(dataset, class, Along::Mode(0), rows)
    }

    /// Decision values of `rows` of `class` along any of its modes or a shared mode.
    pub fn values_along(
        &self,
        dataset: &Dataset,
        class: u32,
        along: Along,
        rows: &[usize],
    ) -> Option<Vec<f64>> {
        let scorer = self.scorer(class, along)?;
        Some(assess::decisions(dataset, &self.standardizer, rows, |x| {
            scorer.decision(x)
        }))
    }
}

/// The split the standardisation statistics come from: train when it has two rows or more,
/// else val.
pub fn statistics_rows(dataset: &Dataset) -> Result<(Split, Vec<usize>)> {
    for split in [Split::Train, Split::Val] {
        let rows: Vec<usize> = (0..dataset.len())
            .filter(|&i| dataset.splits[i] == split)
            .collect();
        if rows.len() >= 2 {
            return Ok((split, rows));
        }
    }
    Err(Error::input(
        &dataset.source,
        "needs at least two train or val rows to standardise the embeddings",
    ))
}

/// Fits the transform and every class's direction (no cache; see [`crate::storage::fit_cache::fit_cached`]).
pub fn fit_model(dataset: &Dataset, options: &FitOptions) -> Result<Model> {
    fit_model_with_progress(dataset, options, &AtomicUsize::new(0))
}

/// Like [`fit_model`], counting finished classes in `done`.
pub fn fit_model_with_progress(
    dataset: &Dataset,
    options: &FitOptions,
    done: &AtomicUsize,
) -> Result<Model> {
    if options.c_grid.is_empty() || options.c_grid.iter().any(|c| !(*c > 0.0 && c.is_finite())) {
        return Err(Error::usage("the C grid must hold positive, finite values"));
    }
    if options.folds < 2 {
        return Err(Error::usage("cross-validation needs at least 2 folds"));
    }
    let (split, rows) = statistics_rows(dataset)?;
    let standardizer = Standardizer::fit(&dataset.embeddings, &rows, split);
    if standardizer.informative_dims() == 0 {
        return Err(Error::input(
            &dataset.source,
            format!(
                "every embedding dimension is constant on the {} split ({} rows): the embeddings \
                 carry no information to find failure modes with",
                split.name(),
                rows.len()
            ),
        ));
    }
    let classes = fit_all_with_progress(dataset, &standardizer, options, done);
    let shared = propose_shared(
        dataset,
        &standardizer,
        options.modes.max_shared,
        options.seed as u64,
    );
    let directions: Vec<ClassDirections> = classes
        .iter()
        .map(|fit| ClassDirections {
            first: fit.direction().map(|d| &d.svm),
            candidates: &fit.candidates,
        })
        .collect();
    let assessment = assess(dataset, &standardizer, &directions, &shared, &options.modes);
    Ok(Model {
        standardizer,
        classes,
        options: options.clone(),
        shared,
        assessment,
    })
}
