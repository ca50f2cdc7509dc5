//! The feature transform of the reference method: standardise each dimension with the mean and
//! sample standard deviation (ddof = 1) of one split, then scale each row to unit L2 norm.

use super::linalg::squared_norm;
use crate::data::{Embeddings, Split};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    pub mean: Vec<f32>,
    /// 1 / std per dimension; 0 where the statistics split is constant, so such a dimension
    /// (which carries no information there) drops out instead of dividing by zero.
    pub inv_std: Vec<f32>,
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
            .map(|s| {
                let std = (s / (n - 1) as f64).sqrt();
                if std > 1e-12 {
                    (1.0 / std) as f32
                } else {
                    0.0
                }
            })
            .collect();
        Standardizer {
            mean: mean.iter().map(|&m| m as f32).collect(),
            inv_std,
            fitted_on,
            rows: n,
        }
    }

    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Standardised, unit-norm copy of `x` into `out` (left at zero if it standardises to zero).
    pub fn transform_into(&self, x: &[f32], out: &mut [f32]) {
        for (((o, &v), &m), &s) in out.iter_mut().zip(x).zip(&self.mean).zip(&self.inv_std) {
            *o = (v - m) * s;
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
}
