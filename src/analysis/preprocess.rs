//! The feature transform of the reference method: standardise each dimension with the mean and
//! sample standard deviation (ddof = 1) of one split, then scale each row to unit L2 norm.
//!
//! Scale-free and overflow-safe: statistics and the standardisation are computed in f64, so
//! embeddings scaled by 1e-13 give the same directions as at scale 1, and finite values near
//! float32's limit (±3e38) neither overflow nor turn into NaN. A dimension counts as constant
//! only when its variance is within the rounding error of computing it (scikit-learn's
//! `_is_constant_feature`), not below an absolute threshold.

use super::linalg::squared_norm;
use crate::data::{Embeddings, Split};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    pub mean: Vec<f64>,
    /// 1 / std per dimension; 0 where the statistics split is constant, so such a dimension
    /// (which carries no information there) drops out instead of dividing by zero.
    pub inv_std: Vec<f64>,
    /// Which split the statistics came from, and how many rows.
    pub fitted_on: Split,
    pub rows: usize,
}

impl Standardizer {
    /// Statistics of `rows` (at least two), computed in f64 in two passes for accuracy.
    pub fn fit(embeddings: &Embeddings, rows: &[usize], fitted_on: Split) -> Self {
        let dim = embeddings.dim();
        let n = rows.len();
        assert!(n >= 2, "standardisation needs at least two rows");
        let mut sum = vec![0.0f64; dim];
        for &i in rows {
            for (s, &v) in sum.iter_mut().zip(embeddings.row(i)) {
                *s += v as f64;
            }
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / n as f64).collect();
        let mut squares = vec![0.0f64; dim];
        for &i in rows {
            for ((s, &v), m) in squares.iter_mut().zip(embeddings.row(i)).zip(&mean) {
                let d = v as f64 - m;
                *s += d * d;
            }
        }
        let inv_std = squares
            .iter()
            .zip(&mean)
            .map(|(s, &m)| {
                if is_constant(s / n as f64, m, n) {
                    0.0
                } else {
                    1.0 / (s / (n - 1) as f64).sqrt()
                }
            })
            .collect();
        Standardizer {
            mean,
            inv_std,
            fitted_on,
            rows: n,
        }
    }

    /// How many dimensions carry information (are not constant on the statistics split).
    pub fn informative_dims(&self) -> usize {
        self.inv_std.iter().filter(|&&s| s != 0.0).count()
    }

    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Standardised, unit-norm copy of `x` into `out` (left at zero if it standardises to zero).
    pub fn transform_into(&self, x: &[f32], out: &mut [f32]) {
        for (((o, &v), &m), &s) in out.iter_mut().zip(x).zip(&self.mean).zip(&self.inv_std) {
            *o = ((v as f64 - m) * s) as f32;
        }
        let norm = squared_norm(out).sqrt();
        if norm > 0.0 {
            let inv = (1.0 / norm) as f32;
            out.iter_mut().for_each(|o| *o *= inv);
        }
    }

    pub fn transform(&self, x: &[f32]) -> Vec<f32> {
        let mut out = vec![0.0; x.len()];
        self.transform_into(x, &mut out);
        out
    }

    /// The transformed rows, row-major, in the order given.
    pub fn transform_rows(&self, embeddings: &Embeddings, rows: &[usize]) -> Vec<f32> {
        let dim = self.dim();
        let mut out = vec![0.0; rows.len() * dim];
        for (chunk, &i) in out.chunks_exact_mut(dim).zip(rows) {
            self.transform_into(embeddings.row(i), chunk);
        }
        out
    }
}

/// scikit-learn's test: the (population) variance is no larger than the error bound of
/// computing it from `n` values around `mean`, so it is rounding noise, whatever the scale.
fn is_constant(variance: f64, mean: f64, n: usize) -> bool {
    let eps = f64::EPSILON;
    let n = n as f64;
    variance <= n * eps * variance + (n * mean * eps).powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardises_with_sample_std_then_normalises() {
        // Two dims; rows 0..3 define the statistics: mean (2, 10), std (1, 0) -> dim 2 drops out.
        let e = Embeddings::from_vec(2, vec![1.0, 10.0, 2.0, 10.0, 3.0, 10.0, 5.0, 12.0]);
        let s = Standardizer::fit(&e, &[0, 1, 2], Split::Train);
        assert_eq!(s.mean, vec![2.0, 10.0]);
        assert_eq!(s.inv_std, vec![1.0, 0.0]);
        assert_eq!(s.transform(e.row(3)), vec![1.0, 0.0]);
        assert_eq!(s.transform(e.row(1)), vec![0.0, 0.0]);
        let e = Embeddings::from_vec(2, vec![0.0, 0.0, 2.0, 4.0, 4.0, 8.0]);
        let s = Standardizer::fit(&e, &[0, 1, 2], Split::Val);
        // std = (2, 4); row 2 -> (1, 1) -> (1/√2, 1/√2)
        let t = s.transform(e.row(2));
        assert!((t[0] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        assert!((t[1] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    }

    #[test]
    fn scale_free_and_overflow_safe() {
        let base: Vec<f32> = (0..40)
            .map(|i| ((i * 7919) % 23) as f32 / 23.0 - 0.4)
            .collect();
        let e1 = Embeddings::from_vec(4, base.clone());
        let rows: Vec<usize> = (0..10).collect();
        let reference = Standardizer::fit(&e1, &rows, Split::Train);
        assert_eq!(reference.informative_dims(), 4);
        for scale in [1e-13f32, 1e-30, 1e30, 3e37] {
            let e = Embeddings::from_vec(4, base.iter().map(|v| v * scale).collect());
            let s = Standardizer::fit(&e, &rows, Split::Train);
            assert_eq!(s.informative_dims(), 4, "scale {scale}");
            for i in 0..10 {
                let (a, b) = (reference.transform(e1.row(i)), s.transform(e.row(i)));
                for (x, y) in a.iter().zip(&b) {
                    assert!(
                        y.is_finite() && (x - y).abs() < 1e-5,
                        "scale {scale}: {a:?} vs {b:?}"
                    );
                }
            }
        }
        // ±3e38 (near f32::MAX): a difference that overflows float32 stays finite here.
        let e = Embeddings::from_vec(2, vec![3e38, -3e38, -3e38, 3e38, 3e38, 3e38, -3e38, -3e38]);
        let s = Standardizer::fit(&e, &[0, 1, 2, 3], Split::Train);
        for i in 0..4 {
            let t = s.transform(e.row(i));
            assert!(t.iter().all(|v| v.is_finite()), "{t:?}");
            assert!(
                (t[0].abs() - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6,
                "{t:?}"
            );
        }
        // A truly constant dimension still drops out, at any offset.
        let e = Embeddings::from_vec(2, vec![1e20, 1.0, 1e20, 2.0, 1e20, 4.0]);
        let s = Standardizer::fit(&e, &[0, 1, 2], Split::Train);
        assert_eq!(s.inv_std[0], 0.0);
        assert!(s.inv_std[1] > 0.0);
    }
}
