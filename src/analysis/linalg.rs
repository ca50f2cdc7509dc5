//! The two inner loops every fit and ranking spends its time in. Features are f32 (half the
//! memory traffic); accumulation is f64 so results match scikit-learn's double precision.

/// Σ w_i x_i with four independent accumulators so the compiler can vectorise.
#[inline]
pub fn dot(w: &[f64], x: &[f32]) -> f64 {
    debug_assert_eq!(w.len(), x.len());
    let mut acc = [0.0f64; 4];
    let chunks = x.len() / 4 * 4;
    for (wc, xc) in w[..chunks].chunks_exact(4).zip(x[..chunks].chunks_exact(4)) {
        for k in 0..4 {
            acc[k] += wc[k] * xc[k] as f64;
        }
    }
    let mut tail = 0.0;
    for (wi, xi) in w[chunks..].iter().zip(&x[chunks..]) {
        tail += wi * *xi as f64;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// w += a x
#[inline]
pub fn axpy(a: f64, x: &[f32], w: &mut [f64]) {
    debug_assert_eq!(w.len(), x.len());
    for (wi, xi) in w.iter_mut().zip(x) {
        *wi += a * *xi as f64;
    }
}

/// Σ x_i² in f64.
#[inline]
pub fn squared_norm(x: &[f32]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = x.len() / 4 * 4;
    for xc in x[..chunks].chunks_exact(4) {
        for k in 0..4 {
            acc[k] += xc[k] as f64 * xc[k] as f64;
        }
    }
    let tail: f64 = x[chunks..].iter().map(|&v| v as f64 * v as f64).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Cosine similarity of two f64 vectors (0 when either is zero).
pub fn cosine_f64(a: &[f64], b: &[f64]) -> f64 {
    cosine_of(a.iter().zip(b).map(|(x, y)| (*x, *y)))
}

/// Cosine similarity of two f32 vectors, summed in f64 (0 when either is zero).
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    cosine_of(a.iter().zip(b).map(|(x, y)| (*x as f64, *y as f64)))
}

fn cosine_of(pairs: impl Iterator<Item = (f64, f64)>) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in pairs {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        ab / (aa.sqrt() * bb.sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_naive_for_odd_lengths() {
        for n in [0, 1, 3, 4, 7, 513] {
            let w: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let naive: f64 = w.iter().zip(&x).map(|(a, b)| a * *b as f64).sum();
            assert!((dot(&w, &x) - naive).abs() < 1e-9);
            let sq: f64 = x.iter().map(|&v| v as f64 * v as f64).sum();
            assert!((squared_norm(&x) - sq).abs() < 1e-9);
        }
    }

    #[test]
    fn axpy_adds_scaled() {
        let mut w = vec![1.0, 2.0, 3.0];
        axpy(2.0, &[1.0, 0.5, -1.0], &mut w);
        assert_eq!(w, vec![3.0, 3.0, 1.0]);
    }

    #[test]
    fn cosine_of_parallel_and_zero() {
        assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-12);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }
}
