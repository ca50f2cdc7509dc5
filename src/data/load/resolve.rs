//! Validation and resolution once every file is read: class names and indices, ids, splits,
//! and the checks across rows.

use super::accumulate::Accumulator;
use super::{read_class_names, LoadOptions, Parts, CLASS_NAMES_KEY};
use crate::data::columns::{names_to_indices, RawClasses, RawIds};
use crate::data::split::stratified_val_test_split;
use crate::data::{Embeddings, Ids, Split, SplitSource};
use crate::error::{Error, Result};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

impl Accumulator<'_> {
    pub(super) fn finish(mut self, source: &Path, options: &LoadOptions) -> Result<Parts> {
        let names = self.names;
        if self.rows == 0 {
            return Err(Error::input(source, "the dataset has no rows"));
        }
        let dim = self.dim.unwrap_or(0);
        let class_names_given = self.given_class_names(options)?;
        let labels_raw = self.labels.take().expect("label column is required");
        let predictions_raw = self.predictions.take();
        if let Some(p) = &predictions_raw {
            if p.kind() != labels_raw.kind() {
                return Err(Error::column(
                    self.files.first_file().unwrap_or(source),
                    &names.prediction,
                    format!(
                        "predictions are {} but labels are {}; both must be class indices or both class names",
                        p.kind(),
                        labels_raw.kind()
                    ),
                ));
            }
        }
        let (class_names, labels, predictions) =
            self.resolve_classes(class_names_given, labels_raw, predictions_raw)?;

        let has_split = self.has(&names.split);
        let mut splits = Vec::with_capacity(self.rows);
        if has_split {
            for (row, value) in self.splits.iter().enumerate() {
                let split = value.as_deref().and_then(Split::parse).ok_or_else(|| {
                    self.cell_error(
                        &names.split,
                        row,
                        format!(
                            "split is {}; expected train, val, test or pool",
                            value
                                .as_deref()
                                .map_or("null".to_string(), |v| format!("'{v}'"))
                        ),
                    )
                })?;
                splits.push(split);
            }
        }

        let has_correct = self.has(&names.correct);
        let mut correct = Vec::with_capacity(self.rows);
        for row in 0..self.rows {
            let is_pool = has_split && splits[row] == Split::Pool;
            let value = if has_correct {
                self.correct[row]
            } else {
                let predictions = predictions
                    .as_ref()
                    .expect("checked: prediction or correct");
                match (labels[row], predictions[row]) {
                    (Some(l), Some(p)) => Some(l == p),
                    _ => None,
                }
            };
            if !is_pool {
                if labels[row].is_none() {
                    return Err(self.cell_error(
                        &names.label,
                        row,
                        "label is null; only rows of the 'pool' split may lack a label",
                    ));
                }
                if value.is_none() {
                    let column = if has_correct {
                        &names.correct
                    } else {
                        &names.prediction
                    };
                    return Err(self.cell_error(
                        column,
                        row,
                        format!("{column} is null; only rows of the 'pool' split may lack it"),
                    ));
                }
            }
            correct.push(value);
        }

        let split_source = if has_split {
            SplitSource::Column {
                name: names.split.clone(),
            }
        } else {
            let label_ids: Vec<u32> = labels.iter().map(|l| l.unwrap_or(0)).collect();
            let flags: Vec<bool> = correct.iter().map(|c| c.unwrap_or(false)).collect();
            splits = stratified_val_test_split(&label_ids, &flags, options.split_seed);
            SplitSource::Generated {
                seed: options.split_seed,
            }
        };

        let confidence = if self.has(&names.confidence) {
            for (row, value) in self.confidence.iter().enumerate() {
                if value.is_none() && splits[row] != Split::Pool {
                    return Err(self.cell_error(&names.confidence, row, "confidence is null"));
                }
            }
            Some(
                self.confidence
                    .iter()
                    .map(|v| v.unwrap_or(f32::NAN))
                    .collect(),
            )
        } else {
            None
        };

        let base = if std::fs::metadata(source)
            .map(|m| m.is_dir())
            .unwrap_or(false)
        {
            source.to_path_buf()
        } else {
            source.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let images = self.has(&names.image).then(|| {
            self.images
                .iter()
                .map(|v| v.as_ref().map(|p| base.join(p)))
                .collect()
        });

        let ids = self.resolve_ids()?;
        let embeddings = self.with_embeddings.then(|| {
            let embeddings = Embeddings::from_chunks(dim, std::mem::take(&mut self.embeddings));
            debug_assert_eq!(embeddings.len(), self.rows);
            embeddings
        });
        Ok(Parts {
            embeddings,
            labels,
            predictions,
            correct,
            splits,
            split_source,
            confidence,
            images,
            ids,
            class_names,
            table_rows: self.files.rows_per_file(self.rows),
        })
    }

    fn given_class_names(&self, options: &LoadOptions) -> Result<Option<Vec<String>>> {
        if let Some(path) = &options.classes_file {
            return read_class_names(path).map(Some);
        }
        Ok(self
            .class_names_meta
            .as_ref()
            .map(|(_, names)| names.clone()))
    }

    #[allow(clippy::type_complexity)]
    fn resolve_classes(
        &self,
        given: Option<Vec<String>>,
        labels: RawClasses,
        predictions: Option<RawClasses>,
    ) -> Result<(Vec<String>, Vec<Option<u32>>, Option<Vec<Option<u32>>>)> {
        let names = self.names;
        match (labels, predictions) {
            (RawClasses::Int(labels), predictions) => {
                let predictions = predictions.map(|p| match p {
                    RawClasses::Int(p) => p,
                    RawClasses::Text(_) => unreachable!("kinds checked"),
                });
                let mut max = -1i64;
                let mut max_at = (names.label.as_str(), 0);
                for (column, values) in [
                    (&names.label, Some(&labels)),
                    (&names.prediction, predictions.as_ref()),
                ] {
                    for (row, v) in values.into_iter().flatten().enumerate() {
                        if let Some(v) = *v {
                            if v < 0 {
                                return Err(self.cell_error(
                                    column,
                                    row,
                                    format!("class index {v} is negative"),
                                ));
                            }
                            if let Some(given) = &given {
                                if v as usize >= given.len() {
                                    return Err(self.cell_error(
                                        column,
                                        row,
                                        format!("class index {v} is out of range: there are {} class names", given.len()),
                                    ));
                                }
                            }
                            if v > u32::MAX as i64 / 2 {
                                return Err(self.cell_error(
                                    column,
                                    row,
                                    format!("class index {v} is too large"),
                                ));
                            }
                            if v > max {
                                max = v;
                                max_at = (column.as_str(), row);
                            }
                        }
                    }
                }
                // Counting distinct indices costs a pass: only made when the indices are large.
                let distinct = || -> usize {
                    let values = labels.iter().chain(predictions.iter().flatten());
                    values.flatten().collect::<HashSet<_>>().len()
                };
                if given.is_none() && !plausible_class_count(max as u64 + 1, distinct) {
                    let (column, row) = max_at;
                    return Err(self.cell_error(
                        column,
                        row,
                        format!(
                            "class index {max} is far beyond the {} distinct classes in the data \
                             (without class names, indices must be below {MAX_UNNAMED_CLASSES} or \
                             {UNNAMED_SPREAD} times the number of distinct classes); map the labels \
                             to 0..N-1, or give the names with --classes FILE",
                            distinct()
                        ),
                    ));
                }
                let class_names =
                    given.unwrap_or_else(|| (0..=max).map(|i| format!("class {i}")).collect());
                let to_u32 = |v: &Vec<Option<i64>>| v.iter().map(|x| x.map(|x| x as u32)).collect();
                Ok((
                    class_names,
                    to_u32(&labels),
                    predictions.as_ref().map(to_u32),
                ))
            }
            (RawClasses::Text(labels), predictions) => {
                let predictions = predictions.map(|p| match p {
                    RawClasses::Text(p) => p,
                    RawClasses::Int(_) => unreachable!("kinds checked"),
                });
                let class_names = match given {
                    Some(given) => given,
                    None => {
                        let mut set = BTreeSet::new();
                        for v in labels.iter().chain(predictions.iter().flatten()).flatten() {
                            if !set.contains(v.as_str()) {
                                set.insert(v.clone());
                            }
                        }
                        set.into_iter().collect()
                    }
                };
                let label_ids = names_to_indices(&class_names, &names.label, &labels, &self.files)?;
                let prediction_ids = match &predictions {
                    Some(p) => Some(names_to_indices(
                        &class_names,
                        &names.prediction,
                        p,
                        &self.files,
                    )?),
                    None => None,
                };
                Ok((class_names, label_ids, prediction_ids))
            }
        }
    }

    fn resolve_ids(&mut self) -> Result<Ids> {
        Ok(match self.ids.take() {
            None => Ids::RowNumbers,
            Some(RawIds::Int(values)) => Ids::Int(self.unique_ids(values, |v| v.to_string())?),
            Some(RawIds::UInt(values)) => Ids::UInt(self.unique_ids(values, |v| v.to_string())?),
            Some(RawIds::Text(values)) => Ids::Text(self.unique_ids(values, |v| format!("'{v}'"))?),
        })
    }

    /// The ids when none is null or repeated; else an error at the second occurrence that
    /// names the first by its row in its own file (and that file, when another), as the
    /// error's location does.
    fn unique_ids<T: std::hash::Hash + Eq + Clone>(
        &self,
        values: Vec<Option<T>>,
        show: impl Fn(&T) -> String,
    ) -> Result<Vec<T>> {
        let column = &self.names.id;
        let mut seen: HashMap<&T, usize> = HashMap::with_capacity(values.len());
        for (row, v) in values.iter().enumerate() {
            let v = v
                .as_ref()
                .ok_or_else(|| self.cell_error(column, row, "id is null"))?;
            if let Some(first) = seen.insert(v, row) {
                let (first_file, first_local) = self.locate(first);
                let place = if first_file == self.locate(row).0 {
                    format!("row {first_local}")
                } else {
                    format!("row {first_local} of {}", first_file.display())
                };
                return Err(self.cell_error(
                    column,
                    row,
                    format!("id {} repeats {place}", show(v)),
                ));
            }
        }
        drop(seen);
        Ok(values.into_iter().flatten().collect())
    }
}

/// Class indices without names: the names `class 0..=max` are made for every index, so an
/// index must stay near the number of classes actually present (a label column of ids or
/// hashes would otherwise allocate gigabytes of empty classes).
const MAX_UNNAMED_CLASSES: u64 = 65_536;
const UNNAMED_SPREAD: u64 = 16;

fn plausible_class_count(classes: u64, distinct: impl FnOnce() -> usize) -> bool {
    classes <= MAX_UNNAMED_CLASSES || classes <= UNNAMED_SPREAD * distinct() as u64
}

pub(super) fn parse_class_names(file: &Path, json: &str) -> Result<Vec<String>> {
    let names: Vec<String> = serde_json::from_str(json).map_err(|e| {
        Error::input(
            file,
            format!("metadata '{CLASS_NAMES_KEY}' is not a JSON array of strings: {e}"),
        )
    })?;
    check_unique(file, &names)?;
    Ok(names)
}

/// The first few names, for a message.
pub(super) fn names_preview(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(4).map(|n| format!("'{n}'")).collect();
    let more = names.len().saturating_sub(4);
    if more > 0 {
        format!("{}, ... {} names", shown.join(", "), names.len())
    } else {
        shown.join(", ")
    }
}

pub(super) fn check_unique(file: &Path, names: &[String]) -> Result<()> {
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(Error::input(
                file,
                format!("class name '{name}' appears twice"),
            ));
        }
    }
    Ok(())
}
