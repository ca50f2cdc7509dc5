//! The analysis core: failure directions and everything derived from them. Free of UI types so
//! the CLI, the explorer and library users share it.

pub mod captions;
pub mod check;
pub mod cv;
pub mod direction;
pub mod findings;
pub mod folds;
pub mod index;
pub mod intervene;
pub mod linalg;
pub mod metrics;
pub mod preprocess;
pub mod rank;
pub mod svm;

use crate::data::{Dataset, Split};
use crate::error::{Error, Result};
use direction::{fit_all_with_progress, ClassFit, Direction, FitOptions};
use preprocess::Standardizer;
use serde::{Deserialize, Serialize};
use std::sync::atomic::AtomicUsize;

/// Everything fitted from a dataset: the transform and one direction (or skip) per class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub standardizer: Standardizer,
    pub classes: Vec<ClassFit>,
    pub options: FitOptions,
}

impl Model {
    pub fn direction(&self, class: u32) -> Option<&Direction> {
        self.classes
            .get(class as usize)
            .and_then(ClassFit::direction)
    }

    /// SVM decision values of `rows` for `class`'s direction: negative = likely failure.
    pub fn decision_values(
        &self,
        dataset: &Dataset,
        class: u32,
        rows: &[usize],
    ) -> Option<Vec<f64>> {
        use rayon::prelude::*;
        let direction = self.direction(class)?;
        Some(
            rows.par_iter()
                .with_min_len(2048)
                .map_init(
                    || vec![0.0f32; dataset.dim()],
                    |scratch, &i| {
                        self.standardizer
                            .transform_into(dataset.embeddings.row(i), scratch);
                        direction.svm.decision(scratch)
                    },
                )
                .collect(),
        )
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
    Ok(Model {
        standardizer,
        classes,
        options: options.clone(),
    })
}
