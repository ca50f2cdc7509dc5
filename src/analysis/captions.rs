//! Naming a failure direction: captions scored by the class's SVM.
//!
//! As in the reference method, a caption's text embedding t is compared with the class's
//! reference caption t_ref ("a photo of a {class}"): the difference t − t_ref cancels the
//! modality gap and the class itself, leaving the attribute. It goes through the same
//! standardisation and normalisation as images and is scored with the SVM: the most negative
//! captions describe the hard cases, the most positive the easy ones.

use super::preprocess::Standardizer;
use super::Scorer;
use crate::data::captions::CaptionBank;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceSource {
    /// The bank holds "a photo of a {class}".
    Bank,
    /// No such caption: the mean embedding of the class's captions stands in for it.
    MeanOfClassCaptions,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    pub text: String,
    pub source: ReferenceSource,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredCaption {
    /// Row in the bank.
    pub index: usize,
    pub text: String,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaptionScores {
    pub reference: Reference,
    /// The reference caption's own score (t − t_ref = 0): captions below it are harder than
    /// the class in general, above it easier. The natural zero for reading the others.
    pub reference_score: f64,
    /// Every caption for the class except the reference, hardest (lowest score) first.
    pub ranked: Vec<ScoredCaption>,
}

impl CaptionScores {
    pub fn hardest(&self, n: usize) -> &[ScoredCaption] {
        &self.ranked[..n.min(self.ranked.len())]
    }

    /// Easiest first.
    pub fn easiest(&self, n: usize) -> Vec<&ScoredCaption> {
        self.ranked.iter().rev().take(n).collect()
    }
}

pub fn reference_text(class_name: &str) -> String {
    format!("a photo of a {class_name}")
}

fn is_reference(text: &str, class_name: &str) -> bool {
    let text = text.trim().trim_end_matches('.').to_lowercase();
    let name = class_name.to_lowercase();
    text == format!("a photo of a {name}") || text == format!("a photo of an {name}")
}

/// One caption's score: the direction's decision value on the transformed t - t_ref. `buffers`
/// are scratch space of the embedding's length (reused across captions).
pub fn score_text(
    standardizer: &Standardizer,
    scorer: Scorer,
    text: &[f32],
    reference: &[f32],
    buffers: (&mut [f32], &mut [f32]),
) -> f64 {
    let (difference, transformed) = buffers;
    for ((d, &t), &r) in difference.iter_mut().zip(text).zip(reference) {
        *d = t - r;
    }
    standardizer.transform_into(difference, transformed);
    scorer.decision(transformed)
}

/// Scores the captions for `class` along `scorer` (a class's mode or a shared mode); None when
/// the bank has none for it.
pub fn score_captions(
    bank: &CaptionBank,
    class: u32,
    class_name: &str,
    standardizer: &Standardizer,
    scorer: Scorer,
) -> Option<CaptionScores> {
    let candidates = bank.for_class(class);
    if candidates.is_empty() {
        return None;
    }
    let dim = bank.embeddings.dim();
    let reference_row = candidates
        .iter()
        .copied()
        .find(|&i| is_reference(&bank.texts[i], class_name));
    let (reference, t_ref): (Reference, Vec<f32>) = match reference_row {
        Some(i) => (
            Reference {
                text: bank.texts[i].clone(),
                source: ReferenceSource::Bank,
            },
            bank.embeddings.row(i).to_vec(),
        ),
        None => {
            let mut mean = vec![0.0f64; dim];
            for &i in &candidates {
                for (m, &v) in mean.iter_mut().zip(bank.embeddings.row(i)) {
                    *m += v as f64;
                }
            }
            let n = candidates.len() as f64;
            (
                Reference {
                    text: format!(
                        "mean of the {} captions for this class (no \"{}\" in the bank)",
                        candidates.len(),
                        reference_text(class_name)
                    ),
                    source: ReferenceSource::MeanOfClassCaptions,
                },
                mean.iter().map(|m| (m / n) as f32).collect(),
            )
        }
    };
    let mut difference = vec![0.0f32; dim];
    let mut transformed = vec![0.0f32; dim];
    let reference_score = score_text(
        standardizer,
        scorer,
        &t_ref,
        &t_ref,
        (&mut difference, &mut transformed),
    );
    let mut ranked: Vec<ScoredCaption> = candidates
        .into_iter()
        .filter(|&i| Some(i) != reference_row)
        .map(|i| {
            let score = score_text(
                standardizer,
                scorer,
                bank.embeddings.row(i),
                &t_ref,
                (&mut difference, &mut transformed),
            );
            ScoredCaption {
                index: i,
                text: bank.texts[i].clone(),
                score,
            }
        })
        .collect();
    ranked.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.index.cmp(&b.index)));
    Some(CaptionScores {
        reference,
        reference_score,
        ranked,
    })
}
