//! The leading eigenvector of a large symmetric matrix that is only ever applied, never formed
//! (a d × d second-moment difference over thousands of rows): Lanczos with full
//! reorthogonalisation, then the small tridiagonal problem by Jacobi rotations.

use crate::rng::Rng;

/// The largest (most positive) eigenvalue of the symmetric operator `apply` on R^dim and its
/// unit eigenvector, from a Krylov space of at most `steps` vectors started at a seeded random
/// vector. `apply(x, out)` writes A·x into `out`. None when dim is 0.
pub fn top_eigenpair(
    dim: usize,
    steps: usize,
    seed: u64,
    apply: impl Fn(&[f64], &mut [f64]),
) -> Option<(f64, Vec<f64>)> {
    if dim == 0 {
        return None;
    }
    let steps = steps.clamp(1, dim);
    let mut rng = Rng::new(seed);
    let mut q: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
    normalise(&mut q);
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(steps);
    let mut alpha = Vec::with_capacity(steps);
    let mut beta: Vec<f64> = Vec::with_capacity(steps);
    let mut w = vec![0.0; dim];
    for _ in 0..steps {
        apply(&q, &mut w);
        let a = dot(&q, &w);
        // Full reorthogonalisation (twice, "twice is enough"): the basis stays orthonormal in
        // floating point, so no spurious copies of the top eigenvalue appear.
        basis.push(q.clone());
        for _ in 0..2 {
            for b in &basis {
                let c = dot(b, &w);
                w.iter_mut().zip(b).for_each(|(wi, bi)| *wi -= c * bi);
            }
        }
        alpha.push(a);
        let norm = dot(&w, &w).sqrt();
        if norm <= 1e-12 * (1.0 + a.abs()) {
            break; // an invariant subspace: its Ritz values are exact
        }
        beta.push(norm);
        q = w.iter().map(|v| v / norm).collect();
    }
    let m = alpha.len();
    // The m × m tridiagonal T = Qᵀ A Q.
    let mut t = vec![0.0; m * m];
    for i in 0..m {
        t[i * m + i] = alpha[i];
        if i + 1 < m {
            t[i * m + i + 1] = beta[i];
            t[(i + 1) * m + i] = beta[i];
        }
    }
    let (values, vectors) = jacobi_eigen(&mut t, m);
    let top = (0..m).max_by(|&a, &b| values[a].total_cmp(&values[b]))?;
    let mut v = vec![0.0; dim];
    for (k, b) in basis.iter().take(m).enumerate() {
        let y = vectors[k * m + top];
        v.iter_mut().zip(b).for_each(|(vi, bi)| *vi += y * bi);
    }
    normalise(&mut v);
    Some((values[top], v))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalise(v: &mut [f64]) {
    let n = dot(v, v).sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

/// Eigenvalues and eigenvectors (columns of the returned row-major matrix) of the symmetric
/// `a` (m × m, destroyed), by cyclic Jacobi rotations; fine for the small matrices here.
fn jacobi_eigen(a: &mut [f64], m: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; m * m];
    for i in 0..m {
        v[i * m + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..m)
            .flat_map(|i| (0..m).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * m + j] * a[i * m + j])
            .sum();
        let scale: f64 = (0..m).map(|i| a[i * m + i] * a[i * m + i]).sum::<f64>() + off;
        if off <= 1e-30 * scale.max(1e-300) {
            break;
        }
        for p in 0..m {
            for r in p + 1..m {
                let apr = a[p * m + r];
                if apr == 0.0 {
                    continue;
                }
                let theta = (a[r * m + r] - a[p * m + p]) / (2.0 * apr);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..m {
                    let akp = a[k * m + p];
                    let akr = a[k * m + r];
                    a[k * m + p] = c * akp - s * akr;
                    a[k * m + r] = s * akp + c * akr;
                }
                for k in 0..m {
                    let apk = a[p * m + k];
                    let ark = a[r * m + k];
                    a[p * m + k] = c * apk - s * ark;
                    a[r * m + k] = s * apk + c * ark;
                }
                for k in 0..m {
                    let vkp = v[k * m + p];
                    let vkr = v[k * m + r];
                    v[k * m + p] = c * vkp - s * vkr;
                    v[k * m + r] = s * vkp + c * vkr;
                }
            }
        }
    }
    ((0..m).map(|i| a[i * m + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A = Σ λ_i v_i v_iᵀ over an orthonormal basis, with a large negative eigenvalue that a
    /// power iteration would find instead of the top one.
    #[test]
    fn finds_the_most_positive_eigenpair() {
        let dim = 60;
        let mut rng = Rng::new(4);
        // Orthonormal basis by Gram-Schmidt.
        let mut basis: Vec<Vec<f64>> = Vec::new();
        while basis.len() < dim {
            let mut v: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
            for b in &basis {
                let c = dot(b, &v);
                v.iter_mut().zip(b).for_each(|(x, y)| *x -= c * y);
            }
            normalise(&mut v);
            basis.push(v);
        }
        let lambdas: Vec<f64> = (0..dim)
            .map(|i| match i {
                0 => -9.0,
                1 => 3.0,
                2 => 2.5,
                _ => 1.0 / (i as f64),
            })
            .collect();
        let apply = |x: &[f64], out: &mut [f64]| {
            out.iter_mut().for_each(|o| *o = 0.0);
            for (b, l) in basis.iter().zip(&lambdas) {
                let c = l * dot(b, x);
                out.iter_mut().zip(b).for_each(|(o, y)| *o += c * y);
            }
        };
        let (value, vector) = top_eigenpair(dim, 30, 1, apply).unwrap();
        assert!((value - 3.0).abs() < 1e-8, "{value}");
        assert!((dot(&vector, &basis[1]).abs() - 1.0).abs() < 1e-8);
    }

    #[test]
    fn jacobi_diagonalises_a_small_matrix() {
        let mut a = vec![2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0];
        let (mut values, _) = jacobi_eigen(&mut a, 3);
        values.sort_by(f64::total_cmp);
        let s = 2f64.sqrt();
        for (v, e) in values.iter().zip([2.0 - s, 2.0, 2.0 + s]) {
            assert!((v - e).abs() < 1e-12, "{values:?}");
        }
    }
}
