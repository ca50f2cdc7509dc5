//! Two models' outcomes on the same examples, for `faultline diff`: one dataset with a column of
//! predictions for each model, or two datasets whose rows share ids. Both become datasets with
//! the same embeddings, labels, splits and ids (those of the dataset that has the embeddings),
//! each with its own model's predictions, correctness and confidence.

use super::{load_dataset, load_outcomes, Dataset, Id, LoadOptions, Outcomes, Split};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::Path;

/// The same examples under the model before the fix and the model after it.
#[derive(Debug, Clone)]
pub struct Pair {
    pub before: Dataset,
    pub after: Dataset,
}

/// Which columns hold each model's outcomes in a single dataset.
#[derive(Debug, Clone)]
pub struct ModelColumns {
    pub prediction: String,
    /// None: this model's confidence is not in the data.
    pub confidence: Option<String>,
}

/// A column name no dataset has: the column is absent (no `correct` column overrides a
/// prediction column, no confidence is read).
const ABSENT: &str = "\u{0}";

fn with_columns(options: &LoadOptions, model: &ModelColumns) -> LoadOptions {
    let mut options = options.clone();
    options.columns.prediction = model.prediction.clone();
    options.columns.confidence = model.confidence.clone().unwrap_or_else(|| ABSENT.into());
    // Correctness comes from each model's predictions, never from a shared `correct` column.
    options.columns.correct = ABSENT.into();
    options
}

/// One dataset, two prediction columns (`--before prediction --after prediction_v2`).
pub fn load_columns(
    path: &Path,
    options: &LoadOptions,
    before: &ModelColumns,
    after: &ModelColumns,
) -> Result<Pair> {
    if before.prediction == after.prediction {
        return Err(Error::usage(format!(
            "--before and --after both name the column '{}': give the two models' prediction columns",
            before.prediction
        )));
    }
    let dataset = load_dataset(path, &with_columns(options, before))?;
    let outcomes = load_outcomes(path, &with_columns(options, after))?;
    // The same file, read twice: the rows line up.
    let order: Vec<usize> = (0..dataset.len()).collect();
    Ok(Pair {
        after: with_outcomes(&dataset, &outcomes, &order),
        before: dataset,
    })
}

/// Two datasets whose rows are matched by id (by row when neither has ids); the embeddings may
/// be in either or both.
pub fn load_files(before: &Path, after: &Path, options: &LoadOptions) -> Result<Pair> {
    let embedding = &options.columns.embedding;
    // `--embeddings EMB.npy` holds the embeddings of the first dataset's rows.
    let (before_has, after_has) = if options.embeddings_file.is_some() {
        (true, false)
    } else {
        (
            super::has_column(before, embedding)?,
            super::has_column(after, embedding)?,
        )
    };
    if !before_has && !after_has {
        return Err(Error::input(
            before,
            format!(
                "neither this dataset nor {} has an '{embedding}' column: one of them must hold the embeddings",
                after.display()
            ),
        ));
    }
    let options = with_columns(
        options,
        &ModelColumns {
            prediction: options.columns.prediction.clone(),
            confidence: Some(options.columns.confidence.clone()),
        },
    );
    // The dataset with the embeddings gives the rows; the other's outcomes are matched to them.
    let (dataset, other_path, dataset_is_before) = if before_has {
        (load_dataset(before, &options)?, after, true)
    } else {
        (load_dataset(after, &options)?, before, false)
    };
    let other = load_outcomes(other_path, &options)?;
    let order = match_rows(&dataset, &other)?;
    let matched = with_outcomes(&dataset, &other, &order);
    Ok(if dataset_is_before {
        Pair {
            before: dataset,
            after: matched,
        }
    } else {
        Pair {
            before: matched,
            after: dataset,
        }
    })
}

/// For each row of `dataset`, the row of `other` with the same id; a clear error when the two
/// do not hold the same examples (ids on one side only, labels or splits that differ).
fn match_rows(dataset: &Dataset, other: &Outcomes) -> Result<Vec<usize>> {
    let (a, b) = (&dataset.source, &other.source);
    let rows = dataset.len();
    let by_row = matches!(dataset.ids, super::Ids::RowNumbers);
    if by_row != matches!(other.ids, super::Ids::RowNumbers) {
        let (with, without) = if by_row { (b, a) } else { (a, b) };
        return Err(Error::input(
            without,
            format!(
                "has no id column but {} has one: rows are matched by id, so both need it (or neither, to match by row)",
                with.display()
            ),
        ));
    }
    let order: Vec<usize> = if by_row {
        if other.labels.len() != rows {
            return Err(Error::input(
                b,
                format!(
                    "has {} rows and {} has {rows}: without ids, rows are matched by position and the counts must agree",
                    other.labels.len(),
                    a.display()
                ),
            ));
        }
        (0..rows).collect()
    } else {
        let key = |id: Id| id.to_string();
        let theirs: HashMap<String, usize> = (0..other.labels.len())
            .map(|i| (key(other.ids.get(i)), i))
            .collect();
        let mut order = Vec::with_capacity(rows);
        let mut missing = Vec::new();
        for row in 0..rows {
            match theirs.get(&key(dataset.ids.get(row))) {
                Some(&i) => order.push(i),
                None => missing.push(row),
            }
        }
        let extra = other.labels.len() + missing.len() - rows;
        if !missing.is_empty() || extra > 0 {
            let mine: std::collections::HashSet<String> =
                (0..rows).map(|r| key(dataset.ids.get(r))).collect();
            let first_extra = (0..other.labels.len())
                .map(|i| key(other.ids.get(i)))
                .find(|k| !mine.contains(k));
            let mut said = Vec::new();
            if let Some(&first) = missing.first() {
                said.push(format!(
                    "{} ids of {} are not in it (first: {})",
                    missing.len(),
                    a.display(),
                    crate::text::visible(&key(dataset.ids.get(first)))
                ));
            }
            if let Some(first) = first_extra {
                said.push(format!(
                    "{extra} of its ids are not in {} (first: {})",
                    a.display(),
                    crate::text::visible(&first)
                ));
            }
            return Err(Error::input(
                b,
                format!(
                    "does not hold the same examples: {}; both datasets must have the same ids",
                    said.join("; ")
                ),
            ));
        }
        order
    };
    // Same examples: the same label (by class name) and, when both say, the same split.
    let name = |names: &[String], class: Option<u32>| class.map(|c| names[c as usize].clone());
    for (row, &i) in order.iter().enumerate() {
        let mine = name(&dataset.class_names, dataset.labels[row]);
        let theirs = name(&other.class_names, other.labels[i]);
        if mine != theirs {
            return Err(Error::input(
                b,
                format!(
                    "id {}: label {} here but {} in {}; the two datasets must label each example alike",
                    crate::text::visible(&dataset.ids.get(row).to_string()),
                    theirs.as_deref().map_or("null".into(), crate::text::visible),
                    mine.as_deref().map_or("null".into(), crate::text::visible),
                    a.display()
                ),
            ));
        }
        if let Some(splits) = &other.splits {
            if splits[i] != dataset.splits[row] {
                return Err(Error::input(
                    b,
                    format!(
                        "id {}: split '{}' here but '{}' in {}; both models are judged on the same split",
                        crate::text::visible(&dataset.ids.get(row).to_string()),
                        splits[i].name(),
                        dataset.splits[row].name(),
                        a.display()
                    ),
                ));
            }
        }
    }
    Ok(order)
}

/// `dataset` with the outcomes of `other` (row `order[i]` of `other` for row `i`); predictions
/// are mapped to `dataset`'s classes by name.
fn with_outcomes(dataset: &Dataset, other: &Outcomes, order: &[usize]) -> Dataset {
    let index: HashMap<&str, u32> = dataset
        .class_names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect();
    let map_class =
        |c: Option<u32>| c.and_then(|c| index.get(other.class_names[c as usize].as_str()).copied());
    let mut matched = dataset.clone();
    matched.source = other.source.clone();
    matched.predictions = other
        .predictions
        .as_ref()
        .map(|p| order.iter().map(|&i| map_class(p[i])).collect());
    matched.correct = order
        .iter()
        .enumerate()
        .map(|(row, &i)| match dataset.splits[row] {
            // A pool row is unlabelled under any model.
            Split::Pool => None,
            _ => other.correct[i],
        })
        .collect();
    matched.confidence = other
        .confidence
        .as_ref()
        .map(|c| order.iter().map(|&i| c[i]).collect());
    matched.row_index = Default::default();
    matched
}
