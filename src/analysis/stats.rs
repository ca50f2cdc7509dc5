//! The statistics that say which findings are real.
//!
//! A failure direction is learned on a class's val rows and judged on its test rows, which it
//! has never seen: under the null hypothesis (the direction carries no information about the
//! model's errors) the test rows' correctness is exchangeable with respect to their ranking, so
//! the one-sided Mann-Whitney test of "errors rank harder than correct rows" gives an exact
//! p-value without refitting anything. This is the permutation test of the ranking (the
//! Mann-Whitney distribution is the distribution of U over every shuffle of the correct and
//! incorrect labels), computed exactly for small groups and by its normal limit otherwise.
//! Benjamini-Hochberg q-values then correct for every class and mode tested, and percentile
//! bootstrap intervals bound the accuracy gaps the report shows.

use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// A one-sided test of a ranking on held-out rows: do the errors rank harder (lower) than the
/// correct rows?
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RankTest {
    /// Probability that a random error ranks harder than a random correct row (ties count
    /// half): the area under the ROC curve of the ranking as an error detector.
    pub auc: f64,
    pub p_value: f64,
    pub errors: usize,
    pub correct: usize,
    /// True when the p-value is the exact permutation probability, false when it is the normal
    /// approximation (larger groups, or tied values).
    pub exact: bool,
}

/// The exact distribution is computed when errors × correct rows is at most this (its cost is
/// that product squared); above it the normal approximation is within a few per cent.
const EXACT_PAIRS: usize = 2_500;

/// The one-sided Mann-Whitney test of `values` (lower = harder) for `is_error`: None when
/// either group is empty. Equal to scipy's `mannwhitneyu(errors, correct, alternative="less")`
/// with `method="exact"` when that is used here, else with `method="asymptotic"` (continuity and
/// tie corrections).
pub fn ranks_errors_first(values: &[f64], is_error: &[bool]) -> Option<RankTest> {
    rank_test(values, is_error, true)
}

/// The same test by its normal approximation alone: for screening many classes, where the exact
/// distribution's cost (errors × correct rows, squared) would add up.
pub fn ranks_errors_first_approx(values: &[f64], is_error: &[bool]) -> Option<RankTest> {
    rank_test(values, is_error, false)
}

fn rank_test(values: &[f64], is_error: &[bool], exact_allowed: bool) -> Option<RankTest> {
    assert_eq!(values.len(), is_error.len(), "one flag per value");
    let n = values.len();
    let errors = is_error.iter().filter(|&&e| e).count();
    let correct = n - errors;
    if errors == 0 || correct == 0 {
        return None;
    }
    // Midranks (1-based) in ascending order of value.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut rank_sum_correct = 0.0;
    let mut tie_term = 0.0;
    let mut ties = false;
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let t = (end - start) as f64;
        if end - start > 1 {
            ties = true;
            tie_term += t * t * t - t;
        }
        let midrank = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            if !is_error[i] {
                rank_sum_correct += midrank;
            }
        }
        start = end;
    }
    // U = #{(e, c): v_e < v_c} + ½ #{v_e = v_c}: large when errors rank first.
    let u = rank_sum_correct - (correct * (correct + 1)) as f64 / 2.0;
    let pairs = (errors * correct) as f64;
    let auc = u / pairs;
    let (p_value, exact) = if exact_allowed && !ties && errors * correct <= EXACT_PAIRS {
        (exact_upper_tail(errors, correct, u.round() as usize), true)
    } else {
        let nf = n as f64;
        let variance = pairs / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
        let z = if variance > 0.0 {
            (u - pairs / 2.0 - 0.5) / variance.sqrt()
        } else {
            0.0
        };
        (normal_upper_tail(z), false)
    };
    Some(RankTest {
        auc,
        p_value: p_value.clamp(0.0, 1.0),
        errors,
        correct,
        exact,
    })
}

/// P(U ≥ u) over every arrangement of `m` errors and `n` correct rows, U counting the pairs with
/// the error first. Counts by the recurrence f(i, j, u) = f(i−1, j, u) + f(i, j−1, u − i) (the
/// last row is an error, or a correct row after all i errors).
fn exact_upper_tail(m: usize, n: usize, u: usize) -> f64 {
    let max_u = m * n;
    if u > max_u {
        return 0.0;
    }
    let width = max_u + 1;
    // previous[j * width + v] = f(i − 1, j, v); current likewise for i.
    let mut previous = vec![0.0f64; (n + 1) * width];
    for j in 0..=n {
        previous[j * width] = 1.0;
    }
    let mut current = vec![0.0f64; (n + 1) * width];
    for i in 1..=m {
        current.iter_mut().for_each(|c| *c = 0.0);
        current[0] = 1.0;
        for j in 1..=n {
            let (before, row) = current.split_at_mut(j * width);
            let left = &before[(j - 1) * width..];
            let above = &previous[j * width..(j + 1) * width];
            for v in 0..=(i * j).min(max_u) {
                let mut count = above[v];
                if v >= i {
                    count += left[v - i];
                }
                row[v] = count;
            }
        }
        std::mem::swap(&mut previous, &mut current);
    }
    let counts = &previous[n * width..(n + 1) * width];
    let total: f64 = counts.iter().sum();
    counts[u..].iter().sum::<f64>() / total
}

/// P(Z ≥ z) for a standard normal Z, accurate in the far tail.
pub fn normal_upper_tail(z: f64) -> f64 {
    0.5 * libm::erfc(z / std::f64::consts::SQRT_2)
}

/// Benjamini-Hochberg adjusted p-values (q-values), in the input's order: the smallest false
/// discovery rate at which each hypothesis would be rejected. As scipy's
/// `false_discovery_control(p, method="bh")`.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut q = vec![0.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        let adjusted = p_values[i] * m as f64 / (rank + 1) as f64;
        running = running.min(adjusted);
        q[i] = running.min(1.0);
    }
    q
}

/// An estimate with a two-sided confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    /// 0.95 for a 95% interval.
    pub level: f64,
}

/// Bootstrap replicates behind every interval: enough for stable 2.5% and 97.5% percentiles
/// (Efron & Tibshirani recommend at least 1,000 for percentile intervals).
pub const BOOTSTRAP_REPLICATES: usize = 1000;

/// The `level` percentile interval of `replicates` around `estimate` (numpy's default linear
/// interpolation between order statistics).
pub fn percentile_interval(estimate: f64, replicates: &mut [f64], level: f64) -> Interval {
    replicates.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    Interval {
        estimate,
        low: quantile(replicates, tail),
        high: quantile(replicates, 1.0 - tail),
        level,
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * fraction
}

/// How many times each of `n` rows is drawn in one bootstrap resample of `n` rows.
pub fn resample_counts(n: usize, rng: &mut Rng, counts: &mut Vec<u32>) {
    counts.clear();
    counts.resize(n, 0);
    for _ in 0..n {
        counts[rng.below(n)] += 1;
    }
}

/// Accuracy of the first `k` draws of a resample, walking `order` (row positions, nearest or
/// hardest first) and taking each row as many times as it was drawn. None when the resample
/// holds fewer than `k` draws in total (never, for k ≤ n).
pub fn accuracy_of_first(order: &[usize], counts: &[u32], correct: &[bool], k: usize) -> f64 {
    let mut taken = 0usize;
    let mut right = 0usize;
    for &i in order {
        if taken == k {
            break;
        }
        let c = (counts[i] as usize).min(k - taken);
        taken += c;
        if correct[i] {
            right += c;
        }
    }
    if taken == 0 {
        f64::NAN
    } else {
        right as f64 / taken as f64
    }
}

/// The gap between the accuracy of the first `k` rows of `easy_order` and of `hard_order` (both
/// lists of positions into `correct`), with its percentile bootstrap interval over resamples of
/// the rows. Seeded, so the same inputs give the same interval.
pub fn accuracy_gap(
    hard_order: &[usize],
    easy_order: &[usize],
    correct: &[bool],
    k: usize,
    seed: u64,
) -> Option<Interval> {
    let n = correct.len();
    if n == 0 || k == 0 {
        return None;
    }
    let k = k.min(n);
    let ones = vec![1u32; n];
    let estimate = accuracy_of_first(easy_order, &ones, correct, k)
        - accuracy_of_first(hard_order, &ones, correct, k);
    let mut rng = Rng::new(seed);
    let mut counts = Vec::new();
    let mut replicates: Vec<f64> = (0..BOOTSTRAP_REPLICATES)
        .map(|_| {
            resample_counts(n, &mut rng, &mut counts);
            accuracy_of_first(easy_order, &counts, correct, k)
                - accuracy_of_first(hard_order, &counts, correct, k)
        })
        .collect();
    Some(percentile_interval(estimate, &mut replicates, 0.95))
}

/// The accuracy of the rows on each side of a direction's hyperplane, and the gap between
/// them: what "the model fails there" means in accuracy points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SideGap {
    /// Rows on the hard side (decision value below zero) and their accuracy.
    pub hard_rows: usize,
    pub hard_accuracy: f64,
    pub easy_rows: usize,
    pub easy_accuracy: f64,
    /// Easy-side minus hard-side accuracy, with its 95% percentile bootstrap interval over
    /// resamples of the rows (a resample that leaves a side empty is dropped).
    pub gap: Interval,
}

/// The side gap of rows with `hard[i]` on the hard side; None when a side is empty.
pub fn side_gap(hard: &[bool], correct: &[bool], seed: u64) -> Option<SideGap> {
    let n = hard.len();
    let accuracy = |counts: Option<&[u32]>, side: bool| {
        let (mut right, mut total) = (0u64, 0u64);
        for i in (0..n).filter(|&i| hard[i] == side) {
            let c = counts.map_or(1, |c| u64::from(c[i]));
            total += c;
            if correct[i] {
                right += c;
            }
        }
        (total > 0).then(|| right as f64 / total as f64)
    };
    let hard_accuracy = accuracy(None, true)?;
    let easy_accuracy = accuracy(None, false)?;
    let mut rng = Rng::new(seed);
    let mut counts = Vec::new();
    let mut replicates: Vec<f64> = (0..BOOTSTRAP_REPLICATES)
        .filter_map(|_| {
            resample_counts(n, &mut rng, &mut counts);
            Some(accuracy(Some(&counts), false)? - accuracy(Some(&counts), true)?)
        })
        .collect();
    let hard_rows = hard.iter().filter(|&&h| h).count();
    Some(SideGap {
        hard_rows,
        hard_accuracy,
        easy_rows: n - hard_rows,
        easy_accuracy,
        gap: percentile_interval(easy_accuracy - hard_accuracy, &mut replicates, 0.95),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_tail_sums_to_one_and_is_symmetric() {
        for (m, n) in [(1, 1), (2, 3), (4, 7), (5, 20)] {
            assert!((exact_upper_tail(m, n, 0) - 1.0).abs() < 1e-12);
            let max = m * n;
            // U is symmetric about mn/2: P(U >= u) = P(U <= mn - u).
            for u in 0..=max {
                let upper = exact_upper_tail(m, n, u);
                let lower = 1.0 - exact_upper_tail(m, n, max - u + 1);
                assert!((upper - lower).abs() < 1e-12, "m {m} n {n} u {u}");
            }
        }
        // One error ranked first of 10: p = 1/10.
        assert!((exact_upper_tail(1, 9, 9) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn perfect_separation_is_significant_and_noise_is_not() {
        let values: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let errors: Vec<bool> = (0..40).map(|i| i < 8).collect();
        let test = ranks_errors_first(&values, &errors).unwrap();
        assert_eq!(test.auc, 1.0);
        assert!(test.p_value < 1e-6, "{test:?}");
        let reversed: Vec<bool> = (0..40).map(|i| i >= 32).collect();
        let test = ranks_errors_first(&values, &reversed).unwrap();
        assert_eq!(test.auc, 0.0);
        assert!(test.p_value > 0.999);
        assert!(ranks_errors_first(&values, &[false; 40]).is_none());
    }

    #[test]
    fn bh_is_monotone_and_scales_by_rank() {
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.5]);
        // sorted: 0.01 (×4/1 = .04), 0.03 (×4/2 = .06), 0.04 (×4/3 = .0533), 0.5 (×1)
        let expected = [
            0.04,
            0.053_333_333_333_333_33,
            0.053_333_333_333_333_33,
            0.5,
        ];
        for (a, b) in q.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        assert!(benjamini_hochberg(&[]).is_empty());
    }

    #[test]
    fn percentile_interval_interpolates_like_numpy() {
        let mut r: Vec<f64> = (0..=100).rev().map(|v| v as f64).collect();
        let i = percentile_interval(50.0, &mut r, 0.95);
        assert!(
            (i.low - 2.5).abs() < 1e-12 && (i.high - 97.5).abs() < 1e-12,
            "{i:?}"
        );
    }

    #[test]
    fn side_gap_measures_each_side() {
        // 40 hard rows, 10 right; 60 easy rows, 54 right.
        let hard: Vec<bool> = (0..100).map(|i| i < 40).collect();
        let correct: Vec<bool> = (0..100)
            .map(|i| if i < 40 { i < 10 } else { i < 94 })
            .collect();
        let s = side_gap(&hard, &correct, 1).unwrap();
        assert_eq!((s.hard_rows, s.easy_rows), (40, 60));
        assert!((s.hard_accuracy - 0.25).abs() < 1e-12);
        assert!((s.easy_accuracy - 0.9).abs() < 1e-12);
        assert!((s.gap.estimate - 0.65).abs() < 1e-12);
        assert!(
            s.gap.low < 0.65 && 0.65 < s.gap.high && s.gap.low > 0.4,
            "{s:?}"
        );
        assert!(side_gap(&[true; 5], &[true; 5], 1).is_none());
    }

    #[test]
    fn accuracy_gap_brackets_its_estimate() {
        // 100 rows: the 30 "hard" ones are mostly wrong, the rest mostly right.
        let correct: Vec<bool> = (0..100)
            .map(|i| if i < 30 { i % 5 == 0 } else { i % 10 != 0 })
            .collect();
        let hard: Vec<usize> = (0..100).collect();
        let easy: Vec<usize> = (0..100).rev().collect();
        let gap = accuracy_gap(&hard, &easy, &correct, 20, 1).unwrap();
        assert!(
            gap.low <= gap.estimate && gap.estimate <= gap.high,
            "{gap:?}"
        );
        assert!(gap.low > 0.3, "{gap:?}");
        assert_eq!(gap, accuracy_gap(&hard, &easy, &correct, 20, 1).unwrap());
    }
}
