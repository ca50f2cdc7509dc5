//! Further failure modes of a class, proposed from its val rows alone.
//!
//! The paper's direction (mode 1) is one SVM over all of a class's errors. When the class fails
//! in two unrelated ways (white coats *and* close-ups), that direction blends them, and its
//! hardest captions name their combination ("a white wolf, close up") rather than either. So
//! the errors are split in two where they differ most:
//!
//! 1. the direction along which the errors' second moment (about the correct rows' mean) most
//!    exceeds the correct rows' own, with the parent direction projected out: two failure
//!    populations sit on either side of it, one population does not (the leading eigenvector of
//!    E[zzᵀ | error] − E[zzᵀ | correct], as in sliced average variance estimation). It must
//!    reproduce: found again on each half of the val rows, or there is nothing to split;
//! 2. refined by reassigning each error to the half whose centroid direction it sits furthest
//!    along, in units of the correct rows' spread (k-planes with k = 2);
//! 3. each half's errors against the rest of the class (its correct rows and the other half's
//!    errors) give the half its SVM, at the parent's C.
//!
//! Halves split again, breadth first, while the class has errors for it and the count of modes
//! stays within the limit. Nothing here looks at test rows: whether a proposed split is real is
//! decided on them, by [`super::assess`], which is what keeps its p-values honest.

use super::eigen::top_eigenpair;
use super::linalg::{axpy, dot};
use super::svm::{fit, LinearSvm, Rows, SvmParams};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeOptions {
    /// The most failure modes reported per class, counting each half of a split (mode 1, the
    /// paper's direction, is listed besides when it blends several).
    pub max_modes: usize,
    /// The fewest test errors a mode's hard side must hold to be reported as a finding; a
    /// proposed half needs twice as many val errors.
    pub min_support: usize,
    /// False discovery rate of the Benjamini-Hochberg correction over every test made.
    pub alpha: f64,
    /// A further mode must err at least this many times as often on its hard side as the class
    /// does overall.
    pub min_lift: f64,
    /// The same for a class to count as hurt by a shared mode: a shared failure must be as
    /// concentrated in it as a class's own mode usually is (a weak echo of an unrelated failure
    /// can pass the test when the class has many errors).
    pub min_shared_lift: f64,
    /// The most modes shared across classes to look for (0: none).
    pub max_shared: usize,
}

impl Default for ModeOptions {
    fn default() -> Self {
        ModeOptions {
            max_modes: 3,
            min_support: 5,
            alpha: 0.05,
            min_lift: 1.5,
            min_shared_lift: 2.0,
            max_shared: 4,
        }
    }
}

/// A proposed failure mode: one half of a split of its parent's val errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Whose errors were split: 0 is mode 1 (the paper's direction), k is candidate k − 1.
    /// Candidates come in pairs (2i, 2i + 1) with the same parent.
    pub parent: usize,
    /// Positive decision = "model is right", as for mode 1.
    pub svm: LinearSvm,
    pub c: f64,
    /// The val errors this half was fitted on.
    pub val_errors: usize,
    pub converged: bool,
}

/// Rows sampled for the eigenvector, per side: it only seeds the split, and the leading
/// direction of 5,000 rows is the leading direction of 20,000 to within noise.
const EIGEN_SAMPLE: usize = 3_000;
/// Rows per partial sum of a parallel reduction.
pub(crate) const REDUCE_CHUNK: usize = 512;
const LANCZOS_STEPS: usize = 20;
const REFINE_ROUNDS: usize = 10;
/// The split direction found on every other val row must match the one found on the rest this
/// well (|cos|): two failure populations give 0.8-0.9 on the planted worlds, one diffuse
/// failure split by a noise direction about 0.03 (a random direction in 512 dimensions: 0.04).
const REPRODUCES: f64 = 0.5;
/// Coordinate-descent passes a proposed half's SVM may take: a proposal only needs its
/// direction, which settles long before the last digits of a hard problem at large C do (and a
/// bad proposal fails its test on held-out rows).
const CANDIDATE_PASSES: usize = 100;
/// A proposed half is fitted against at most this many rows of the rest of its class per row
/// of its own, and at least `MIN_REST`.
const REST_PER_MEMBER: usize = 4;
const MIN_REST: usize = 2_000;

/// Every `len / cap`-th index of `rows` (all of them when there are at most `cap`).
fn thin(rows: &[usize], cap: usize) -> Vec<usize> {
    if rows.len() <= cap {
        return rows.to_vec();
    }
    (0..cap).map(|k| rows[k * rows.len() / cap]).collect()
}

struct ClassRows<'a> {
    x: &'a [f32],
    dim: usize,
}

impl ClassRows<'_> {
    fn row(&self, i: usize) -> &[f32] {
        &self.x[i * self.dim..(i + 1) * self.dim]
    }

    fn mean(&self, rows: &[usize]) -> Vec<f64> {
        let mut m = vec![0.0; self.dim];
        for &i in rows {
            axpy(1.0, self.row(i), &mut m);
        }
        let n = rows.len().max(1) as f64;
        m.iter_mut().for_each(|v| *v /= n);
        m
    }

    /// Σ_i (z_i · p) z_i over `rows`, z_i = x_i − centre, divided by the row count.
    fn second_moment_times(&self, rows: &[usize], centre: &[f64], p: &[f64]) -> Vec<f64> {
        let centre_dot = centre.iter().zip(p).map(|(c, v)| c * v).sum::<f64>();
        // Partial sums over fixed chunks, added in order: the same result on any number of
        // threads (a work-stealing reduction would add in a different order each run).
        let partials: Vec<(Vec<f64>, f64)> = rows
            .par_chunks(REDUCE_CHUNK)
            .map(|chunk| {
                let mut acc = vec![0.0; self.dim];
                let mut weight = 0.0;
                for &i in chunk {
                    let x = self.row(i);
                    let s = dot(p, x) - centre_dot;
                    axpy(s, x, &mut acc);
                    weight += s;
                }
                (acc, weight)
            })
            .collect();
        let mut acc = vec![0.0; self.dim];
        let mut weight = 0.0;
        for (part, w) in partials {
            acc.iter_mut().zip(&part).for_each(|(a, b)| *a += b);
            weight += w;
        }
        // Σ s_i (x_i − c) = Σ s_i x_i − (Σ s_i) c
        let n = rows.len().max(1) as f64;
        acc.iter_mut()
            .zip(centre)
            .for_each(|(a, c)| *a = (*a - weight * c) / n);
        acc
    }
}

fn unit(v: &[f64]) -> Vec<f64> {
    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if n == 0.0 {
        return v.to_vec();
    }
    v.iter().map(|x| x / n).collect()
}

fn project_out(v: &mut [f64], u: &[f64]) {
    let c: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
    v.iter_mut().zip(u).for_each(|(a, b)| *a -= c * b);
}

/// Splits `errors` in two (see the module doc), or None when they do not divide.
fn split_errors(
    data: &ClassRows,
    errors: &[usize],
    correct: &[usize],
    parent: &[f64],
    seed: u64,
) -> Option<[Half; 2]> {
    let centre = data.mean(correct);
    let u = unit(parent);
    let sample_errors = thin(errors, EIGEN_SAMPLE);
    let sample_correct = thin(correct, EIGEN_SAMPLE);
    let leading = |errors: &[usize], correct: &[usize]| {
        top_eigenpair(data.dim, LANCZOS_STEPS, seed, |p, out| {
            let mut p = p.to_vec();
            project_out(&mut p, &u);
            let e = data.second_moment_times(errors, &centre, &p);
            let c = data.second_moment_times(correct, &centre, &p);
            for ((o, a), b) in out.iter_mut().zip(&e).zip(&c) {
                *o = a - b;
            }
            project_out(out, &u);
        })
        .map(|(_, v)| v)
    };
    let v = leading(&sample_errors, &sample_correct)?;
    // Only structure that reproduces splits: the direction found on every other row must be
    // the one found on the rest. Two failure populations give the same direction on both
    // halves; one failure gives whichever noise direction happens to lead.
    let alternate = |rows: &[usize], odd: bool| -> Vec<usize> {
        rows.iter()
            .skip(usize::from(odd))
            .step_by(2)
            .copied()
            .collect()
    };
    let one = leading(
        &alternate(&sample_errors, false),
        &alternate(&sample_correct, false),
    )?;
    let other = leading(
        &alternate(&sample_errors, true),
        &alternate(&sample_correct, true),
    )?;
    let agreement: f64 = one
        .iter()
        .zip(&other)
        .map(|(a, b)| a * b)
        .sum::<f64>()
        .abs();
    if agreement < REPRODUCES {
        return None;
    }
    let centred = |i: usize, d: &[f64]| {
        dot(d, data.row(i)) - centre.iter().zip(d).map(|(c, v)| c * v).sum::<f64>()
    };
    let mut side: Vec<bool> = errors.iter().map(|&i| centred(i, &v) > 0.0).collect();
    // Per half: its centroid direction, scored for every error in units of the correct rows'
    // spread along it.
    let scores_of = |side: &[bool]| -> Option<Vec<Vec<f64>>> {
        let mut scores = Vec::with_capacity(2);
        for half in [true, false] {
            let members: Vec<usize> = errors
                .iter()
                .zip(side)
                .filter(|(_, &s)| s == half)
                .map(|(&i, _)| i)
                .collect();
            if members.is_empty() {
                return None;
            }
            let mut direction = data.mean(&members);
            direction.iter_mut().zip(&centre).for_each(|(d, c)| *d -= c);
            let direction = unit(&direction);
            let spread = {
                let values: Vec<f64> = sample_correct
                    .iter()
                    .map(|&i| centred(i, &direction))
                    .collect();
                let n = values.len().max(1) as f64;
                let mean = values.iter().sum::<f64>() / n;
                (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
            };
            let spread = if spread > 0.0 { spread } else { 1.0 };
            scores.push(
                errors
                    .iter()
                    .map(|&i| centred(i, &direction) / spread)
                    .collect::<Vec<f64>>(),
            );
        }
        Some(scores)
    };
    let mut scores = scores_of(&side)?;
    for _ in 0..REFINE_ROUNDS {
        let next: Vec<bool> = scores[0]
            .iter()
            .zip(&scores[1])
            .map(|(a, b)| a >= b)
            .collect();
        if next == side {
            break;
        }
        side = next;
        scores = scores_of(&side)?;
    }
    let halves: Vec<Half> = [true, false]
        .iter()
        .zip(&scores)
        .map(|(&which, score)| {
            let assigned: Vec<usize> = (0..errors.len()).filter(|&k| side[k] == which).collect();
            // An error counts for every half it looks like: at least halfway from the correct
            // rows to the half's own errors. So an error with both failures (a black wolf in a
            // close-up) is in both, and neither half learns the other's failure as "easy".
            let typical =
                assigned.iter().map(|&k| score[k]).sum::<f64>() / assigned.len().max(1) as f64;
            Half {
                members: (0..errors.len())
                    .filter(|&k| side[k] == which || score[k] >= typical / 2.0)
                    .map(|k| errors[k])
                    .collect(),
                assigned: assigned.into_iter().map(|k| errors[k]).collect(),
            }
        })
        .collect();
    let [a, b]: [Half; 2] = halves.try_into().ok()?;
    if a.assigned.is_empty() || b.assigned.is_empty() {
        return None;
    }
    // The larger half first.
    Some(if a.assigned.len() >= b.assigned.len() {
        [a, b]
    } else {
        [b, a]
    })
}

/// One half of a split: the errors assigned to it (the halves partition the parent's errors,
/// and split further), and the errors that look like it (what its SVM is fitted on).
struct Half {
    assigned: Vec<usize>,
    members: Vec<usize>,
}

/// Proposes further modes of a class from its transformed val rows (row-major, `dim` wide),
/// their correctness, and mode 1's SVM and C. Deterministic.
pub fn propose(
    features: &[f32],
    dim: usize,
    correct: &[bool],
    first: &LinearSvm,
    first_c: f64,
    svm: &SvmParams,
    options: &ModeOptions,
) -> Vec<Candidate> {
    let data = ClassRows { x: features, dim };
    let errors: Vec<usize> = (0..correct.len()).filter(|&i| !correct[i]).collect();
    let right: Vec<usize> = (0..correct.len()).filter(|&i| correct[i]).collect();
    let min_val_errors = 2 * options.min_support.max(1);
    let mut candidates: Vec<Candidate> = Vec::new();
    // (node id: 0 = mode 1, k = candidate k − 1; its errors; its direction)
    let mut queue = std::collections::VecDeque::new();
    queue.push_back((0usize, errors, first.w.clone()));
    let mut leaves = 1;
    while let Some((node, node_errors, direction)) = queue.pop_front() {
        if leaves >= options.max_modes || node_errors.len() < 2 * min_val_errors {
            continue;
        }
        let Some(halves) = split_errors(&data, &node_errors, &right, &direction, node as u64)
        else {
            continue;
        };
        if halves.iter().any(|h| h.assigned.len() < min_val_errors) {
            continue;
        }
        // Each half against the rest of the class (correct rows and the other half's errors):
        // against the correct rows alone, a half would also learn what the other failure's
        // absence from the correct rows looks like, and its captions would name both.
        let fitted: Vec<(Vec<usize>, Candidate)> = halves
            .into_iter()
            .map(|half| {
                let mut mine = vec![false; correct.len()];
                half.members.iter().for_each(|&i| mine[i] = true);
                // The rest of the class, thinned to a few times the half's own errors (the
                // class weights are balanced, so this changes the cost, not the problem).
                let rest: Vec<usize> = (0..correct.len()).filter(|&i| !mine[i]).collect();
                let keep = (REST_PER_MEMBER * half.members.len()).max(MIN_REST);
                let mut rows = half.members.clone();
                rows.extend(thin(&rest, keep));
                rows.sort_unstable();
                let y: Vec<bool> = rows.iter().map(|&i| !mine[i]).collect();
                let solution = fit(
                    Rows {
                        x: features,
                        dim,
                        rows: &rows,
                    },
                    &y,
                    &SvmParams {
                        max_iter: svm.max_iter.min(CANDIDATE_PASSES),
                        ..svm.with_c(first_c)
                    },
                    None,
                );
                let candidate = Candidate {
                    parent: node,
                    svm: solution.model,
                    c: first_c,
                    val_errors: half.assigned.len(),
                    converged: solution.converged,
                };
                (half.assigned, candidate)
            })
            .collect();
        leaves += 1;
        for (half, candidate) in fitted {
            let id = candidates.len() + 1;
            queue.push_back((id, half, candidate.svm.w.clone()));
            candidates.push(candidate);
        }
    }
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Errors in two clusters (+a or +b), correct rows around 0, in 8 dimensions: the split
    /// puts each cluster in its own half, whatever the parent direction (a + b) blends.
    #[test]
    fn two_error_clusters_split_apart() {
        let dim = 8;
        let mut rng = Rng::new(9);
        let mut x = Vec::new();
        let mut correct = Vec::new();
        let mut truth = Vec::new();
        for i in 0..600 {
            let kind = i % 6; // 0: cluster a, 1: cluster b, else correct
            let mut row: Vec<f32> = (0..dim).map(|_| (0.3 * rng.normal()) as f32).collect();
            match kind {
                0 => row[0] += 1.0,
                1 => row[1] += 1.0,
                _ => {}
            }
            x.extend(row);
            correct.push(kind >= 2);
            truth.push(kind);
        }
        let data = ClassRows { x: &x, dim };
        let errors: Vec<usize> = (0..600).filter(|&i| !correct[i]).collect();
        let right: Vec<usize> = (0..600).filter(|&i| correct[i]).collect();
        let mut blend = vec![0.0; dim];
        blend[0] = -1.0;
        blend[1] = -1.0;
        let [a, b] = split_errors(&data, &errors, &right, &blend, 0).unwrap();
        let (a, b) = (a.assigned, b.assigned);
        let purity = |half: &[usize]| {
            let zeros = half.iter().filter(|&&i| truth[i] == 0).count();
            zeros.max(half.len() - zeros) as f64 / half.len() as f64
        };
        assert!(
            purity(&a) > 0.95 && purity(&b) > 0.95,
            "{} {}",
            purity(&a),
            purity(&b)
        );
    }

    /// One failure that grows along one direction (as in bench/make_data.py), thousands of
    /// errors: the errors' leftover spread is noise, which does not reproduce across halves of
    /// the rows, so nothing is proposed; two clusters of errors reproduce and split.
    #[test]
    fn one_diffuse_failure_is_not_split() {
        use crate::analysis::direction::{fit_class, FitOptions, Outcome};
        let dim = 64;
        let n = 6000;
        let mut rng = Rng::new(11);
        let x: Vec<f32> = (0..n * dim)
            .map(|_| (rng.normal() / (dim as f64).sqrt()) as f32)
            .collect();
        let along: Vec<f64> = (0..n).map(|i| x[i * dim] as f64).collect();
        let mut sorted = along.clone();
        sorted.sort_by(f64::total_cmp);
        let q80 = sorted[n * 8 / 10];
        let correct: Vec<bool> = along
            .iter()
            .map(|a| {
                let p = 0.7 / (1.0 + (-(a - q80) * 40.0 * (dim as f64).sqrt()).exp()) + 0.05;
                rng.uniform() >= p
            })
            .collect();
        let options = FitOptions::default();
        let Outcome::Fitted(d) = fit_class(&x, dim, &correct, &options) else {
            panic!("fits");
        };
        let proposed = propose(&x, dim, &correct, &d.svm, d.c, &options.svm, &options.modes);
        assert!(proposed.is_empty(), "{} proposed", proposed.len());
    }

    #[test]
    fn small_classes_propose_nothing() {
        let x = vec![0.5f32; 30 * 4];
        let correct: Vec<bool> = (0..30).map(|i| i % 3 != 0).collect();
        let svm = LinearSvm {
            w: vec![1.0; 4],
            b: 0.0,
        };
        let proposed = propose(
            &x,
            4,
            &correct,
            &svm,
            1.0,
            &SvmParams::default(),
            &ModeOptions::default(),
        );
        assert!(proposed.is_empty());
    }
}
