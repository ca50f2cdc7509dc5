//! The split made when the input has none.

use super::Split;
use crate::rng::Rng;
use std::collections::BTreeMap;

/// A deterministic 50/50 val/test split, stratified by (class, correct) so both halves see each
/// class's errors in proportion. Within each stratum the rows are shuffled with `seed`; the first
/// half (rounded up) goes to val.
pub fn stratified_val_test_split(labels: &[u32], correct: &[bool], seed: u64) -> Vec<Split> {
    let mut strata: BTreeMap<(u32, bool), Vec<usize>> = BTreeMap::new();
    for (i, (&label, &ok)) in labels.iter().zip(correct).enumerate() {
        strata.entry((label, ok)).or_default().push(i);
    }
    let mut splits = vec![Split::Test; labels.len()];
    let mut rng = Rng::new(seed);
    for rows in strata.values_mut() {
        rng.shuffle(rows);
        for &i in &rows[..rows.len().div_ceil(2)] {
            splits[i] = Split::Val;
        }
    }
    splits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_every_stratum_and_is_deterministic() {
        let labels: Vec<u32> = (0..1000).map(|i| (i % 3) as u32).collect();
        let correct: Vec<bool> = (0..1000).map(|i| i % 7 != 0).collect();
        let a = stratified_val_test_split(&labels, &correct, 42);
        assert_eq!(a, stratified_val_test_split(&labels, &correct, 42));
        assert_ne!(a, stratified_val_test_split(&labels, &correct, 43));
        for class in 0..3 {
            for ok in [false, true] {
                let rows: Vec<usize> = (0..1000)
                    .filter(|&i| labels[i] == class && correct[i] == ok)
                    .collect();
                let val = rows.iter().filter(|&&i| a[i] == Split::Val).count();
                assert_eq!(val, rows.len().div_ceil(2));
            }
        }
    }
}
