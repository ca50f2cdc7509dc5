//! The math against known answers from scikit-learn and numpy (tests/fixtures/svm_fixture.json,
//! made by tests/fixtures/make_svm_fixture.py).

use faultline::analysis::captions::score_captions;
use faultline::analysis::cv::{best, cross_validate, CvScore};
use faultline::analysis::direction::Direction;
use faultline::analysis::preprocess::Standardizer;
use faultline::analysis::svm::{fit, BiasMode, LinearSvm, Rows, SvmParams};
use faultline::analysis::Scorer;
use faultline::data::captions::CaptionBank;
use faultline::data::{Embeddings, Split};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fit {
    w: Vec<f64>,
    b: f64,
    decision: Vec<f64>,
}

#[derive(Deserialize)]
struct GridFit {
    c: f64,
    linear_svc: Fit,
    svc: Fit,
}

#[derive(Deserialize)]
struct Fixture {
    dim: usize,
    train: Vec<Vec<f64>>,
    val: Vec<Vec<f64>>,
    mean: Vec<f64>,
    std: Vec<f64>,
    z_val: Vec<Vec<f64>>,
    correct: Vec<bool>,
    grid: Vec<f64>,
    fits: Vec<GridFit>,
    folds: Vec<usize>,
    cv_linear_svc: Vec<f64>,
    cv_svc: Vec<f64>,
    chosen_c_linear_svc: f64,
    chosen_c_svc: f64,
    reference_caption: Vec<f64>,
    captions: Vec<Vec<f64>>,
    caption_scores: Vec<f64>,
}

fn fixture() -> Fixture {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/svm_fixture.json"
    ))
    .expect("fixture present");
    serde_json::from_str(&text).expect("fixture parses")
}

fn flat(rows: &[Vec<f64>]) -> Vec<f32> {
    rows.iter().flatten().map(|&v| v as f32).collect()
}

fn tight(bias: BiasMode) -> SvmParams {
    SvmParams {
        tol: 1e-10,
        max_iter: 1_000_000,
        bias,
        ..SvmParams::default()
    }
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

#[test]
fn transform_matches_numpy() {
    let f = fixture();
    let mut all = f.train.clone();
    all.extend(f.val.clone());
    let embeddings = Embeddings::from_vec(f.dim, flat(&all));
    let train_rows: Vec<usize> = (0..f.train.len()).collect();
    let s = Standardizer::fit(&embeddings, &train_rows, Split::Train);
    for j in 0..f.dim {
        assert!((s.mean[j] - f.mean[j]).abs() < 1e-5 * (1.0 + f.mean[j].abs()));
        assert!((1.0 / s.inv_std[j] - f.std[j]).abs() < 1e-5 * f.std[j]);
    }
    for (k, expected) in f.z_val.iter().enumerate() {
        let z = s.transform(embeddings.row(f.train.len() + k));
        for (a, b) in z.iter().zip(expected) {
            assert!((*a as f64 - b).abs() < 1e-5, "row {k}: {a} vs {b}");
        }
    }
}

/// The interval of intercepts b for which (w, α) satisfies the KKT conditions. It is a single
/// point unless every α sits at a bound; then any b inside is optimal.
fn optimal_intercepts(
    data: Rows,
    y: &[bool],
    alpha: &[f64],
    upper: &[f64],
    w: &LinearSvm,
) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    for k in 0..y.len() {
        let s = if y[k] { 1.0 } else { -1.0 };
        let f = w.decision(data.row(k)) - w.b;
        // y(f + b) >= 1 where α = 0, <= 1 where α = C, = 1 in between.
        let at_zero = alpha[k] <= 1e-12 * upper[k];
        let at_upper = alpha[k] >= upper[k] * (1.0 - 1e-9);
        let bound = s - f; // y(f + b) = 1  <=>  b = y - f
        if !at_upper {
            // y(f + b) >= 1
            if s > 0.0 {
                lo = lo.max(bound)
            } else {
                hi = hi.min(bound)
            }
        }
        if !at_zero {
            // y(f + b) <= 1
            if s > 0.0 {
                hi = hi.min(bound)
            } else {
                lo = lo.max(bound)
            }
        }
    }
    (lo, hi)
}

fn check_fits(bias: BiasMode, pick: impl Fn(&GridFit) -> &Fit) {
    let f = fixture();
    let x = flat(&f.z_val);
    let rows: Vec<usize> = (0..f.correct.len()).collect();
    let data = Rows {
        x: &x,
        dim: f.dim,
        rows: &rows,
    };
    let (neg, pos) = faultline::analysis::svm::balanced_weights(&f.correct);
    for grid_fit in &f.fits {
        let expected = pick(grid_fit);
        let solution = fit(data, &f.correct, &tight(bias).with_c(grid_fit.c), None);
        assert!(solution.converged, "C={} did not converge", grid_fit.c);
        let scale = expected
            .w
            .iter()
            .map(|v| v.abs())
            .fold(0.0, f64::max)
            .max(1e-12);
        let dw = max_abs_diff(&solution.model.w, &expected.w);
        assert!(
            dw <= 1e-5 * scale + 1e-9,
            "C={}: w differs by {dw} (scale {scale})",
            grid_fit.c
        );
        let upper: Vec<f64> = f
            .correct
            .iter()
            .map(|&c| grid_fit.c * if c { pos } else { neg })
            .collect();
        let b = solution.model.b;
        let (lo, hi) =
            optimal_intercepts(data, &f.correct, &solution.alpha, &upper, &solution.model);
        if bias == BiasMode::Free {
            assert!(
                lo - 1e-6 <= b && b <= hi + 1e-6,
                "C={}: b {b} outside its optimal interval [{lo}, {hi}]",
                grid_fit.c
            );
        }
        if bias == BiasMode::Free && hi - lo > 1e-6 {
            // Every α at a bound: the optimum does not pin b down. We take the middle (libsvm's
            // rule for this case); scikit-learn's b depends on which α rounding leaves free.
            // Both must be optimal.
            assert!(
                lo - 1e-6 <= expected.b && expected.b <= hi + 1e-6,
                "C={}: sklearn's b {} outside [{lo}, {hi}]",
                grid_fit.c,
                expected.b
            );
            continue;
        }
        let db = (b - expected.b).abs();
        assert!(
            db <= 1e-5 * (1.0 + expected.b.abs()),
            "C={}: b {b} vs {}",
            grid_fit.c,
            expected.b
        );
        let decisions: Vec<f64> = (0..rows.len())
            .map(|k| solution.model.decision(data.row(k)))
            .collect();
        let dd = max_abs_diff(&decisions, &expected.decision);
        assert!(
            dd <= 1e-5 * (1.0 + scale),
            "C={}: decision values differ by {dd}",
            grid_fit.c
        );
    }
}

#[test]
fn regularised_bias_matches_linear_svc_for_every_c() {
    check_fits(BiasMode::Regularized, |g| &g.linear_svc);
}

#[test]
fn free_bias_matches_svc_for_every_c() {
    check_fits(BiasMode::Free, |g| &g.svc);
}

/// Whether a free-bias fit on these rows leaves b undetermined (every α at a bound).
fn degenerate(data: Rows, y: &[bool], c: f64) -> bool {
    let solution = fit(data, y, &tight(BiasMode::Free).with_c(c), None);
    let (neg, pos) = faultline::analysis::svm::balanced_weights(y);
    let upper: Vec<f64> = y.iter().map(|&v| c * if v { pos } else { neg }).collect();
    let (lo, hi) = optimal_intercepts(data, y, &solution.alpha, &upper, &solution.model);
    hi - lo > 1e-6
}

fn check_cv(bias: BiasMode, expected: &[f64], chosen: f64) {
    let f = fixture();
    let x = flat(&f.z_val);
    let rows: Vec<usize> = (0..f.correct.len()).collect();
    let data = Rows {
        x: &x,
        dim: f.dim,
        rows: &rows,
    };
    let scores: Vec<CvScore> = cross_validate(data, &f.correct, &f.folds, &f.grid, &tight(bias));
    let mut compared = 0;
    for (s, e) in scores.iter().zip(expected) {
        if bias == BiasMode::Free {
            // Where a fold's optimum leaves b undetermined, scikit-learn's b is wherever rounding
            // left it and the held-out score is not a property of the problem: skip those C.
            let any_degenerate = (0..2).any(|fold| {
                let train: Vec<usize> = (0..rows.len()).filter(|&i| f.folds[i] != fold).collect();
                let y: Vec<bool> = train.iter().map(|&i| f.correct[i]).collect();
                degenerate(
                    Rows {
                        rows: &train,
                        ..data
                    },
                    &y,
                    s.c,
                )
            });
            if any_degenerate {
                assert!(
                    s.balanced_accuracy >= 0.5 - 1e-12,
                    "C={}: {}",
                    s.c,
                    s.balanced_accuracy
                );
                continue;
            }
        }
        compared += 1;
        assert!(
            (s.balanced_accuracy - e).abs() < 1e-9,
            "C={}: {} vs {e}",
            s.c,
            s.balanced_accuracy
        );
    }
    assert!(compared >= 1, "nothing to compare");
    assert_eq!(best(&scores).unwrap().c, chosen);
}

#[test]
fn folds_are_scikit_learns() {
    let f = fixture();
    assert_eq!(
        faultline::analysis::folds::stratified_folds(&f.correct, 2, 0),
        f.folds
    );
}

#[test]
fn cross_validation_matches_sklearn_linear_svc() {
    let f = fixture();
    check_cv(
        BiasMode::Regularized,
        &f.cv_linear_svc,
        f.chosen_c_linear_svc,
    );
}

#[test]
fn cross_validation_matches_sklearn_svc() {
    let f = fixture();
    check_cv(BiasMode::Free, &f.cv_svc, f.chosen_c_svc);
}

#[test]
fn caption_scores_match_numpy() {
    let f = fixture();
    let mut all = f.train.clone();
    all.extend(f.val.clone());
    let embeddings = Embeddings::from_vec(f.dim, flat(&all));
    let train_rows: Vec<usize> = (0..f.train.len()).collect();
    let standardizer = Standardizer::fit(&embeddings, &train_rows, Split::Train);
    let chosen = f
        .fits
        .iter()
        .find(|g| g.c == f.chosen_c_linear_svc)
        .unwrap();
    let direction = Direction {
        c: chosen.c,
        cv: vec![],
        cv_balanced_accuracy: 0.0,
        chance_threshold: 0.5,
        converged: true,
        svm: LinearSvm {
            w: chosen.linear_svc.w.clone(),
            b: chosen.linear_svc.b,
        },
    };
    let mut texts = vec!["a photo of a thing".to_string()];
    let mut rows = vec![f.reference_caption.clone()];
    for (i, c) in f.captions.iter().enumerate() {
        texts.push(format!("caption {i}"));
        rows.push(c.clone());
    }
    let bank = CaptionBank {
        source: "fixture".into(),
        classes: vec![None; texts.len()],
        texts,
        embeddings: Embeddings::from_vec(f.dim, flat(&rows)),
    };
    let scores = score_captions(
        &bank,
        0,
        "thing",
        &standardizer,
        Scorer::Svm(&direction.svm),
    )
    .unwrap();
    assert_eq!(scores.ranked.len(), f.captions.len());
    for s in &scores.ranked {
        let i = s.index - 1;
        assert!(
            (s.score - f.caption_scores[i]).abs() < 1e-4,
            "caption {i}: {} vs {}",
            s.score,
            f.caption_scores[i]
        );
    }
    assert!(
        scores.ranked.windows(2).all(|w| w[0].score <= w[1].score),
        "hardest first"
    );
}

/// linfa-svm's SMO (unregularised bias, like SVC) as an independent oracle on a small problem.
#[test]
fn direction_agrees_with_linfa_svm() {
    use linfa::prelude::*;
    use ndarray::{Array1, Array2};
    let f = fixture();
    let n = f.correct.len();
    let x: Vec<f64> = f.z_val.iter().flatten().copied().collect();
    let records = Array2::from_shape_vec((n, f.dim), x).unwrap();
    let targets = Array1::from(f.correct.clone());
    let (neg, pos) = faultline::analysis::svm::balanced_weights(&f.correct);
    let c = 1.0;
    let dataset = Dataset::new(records, targets);
    let oracle = linfa_svm::Svm::<f64, bool>::params()
        .pos_neg_weights(c * pos, c * neg)
        .linear_kernel()
        .fit(&dataset)
        .unwrap();
    let x32 = flat(&f.z_val);
    let rows: Vec<usize> = (0..n).collect();
    let data = Rows {
        x: &x32,
        dim: f.dim,
        rows: &rows,
    };
    let ours = fit(data, &f.correct, &tight(BiasMode::Free).with_c(c), None);
    // w_j is the weighted sum over the support vectors of the j-th unit vector.
    let oracle_w: Vec<f64> = (0..f.dim)
        .map(|j| {
            let mut e = Array1::zeros(f.dim);
            e[j] = 1.0;
            oracle.weighted_sum(&e)
        })
        .collect();
    let cos = cosine(&ours.model.w, &oracle_w);
    assert!(cos >= 0.999, "cosine {cos}");
}
