//! Cross-validation folds identical to scikit-learn's
//! `StratifiedKFold(n_splits, shuffle=True, random_state=seed)`, the reference implementation's
//! splitter, so faultline's CV scores and chosen C are the reference's, fold for fold.
//!
//! That needs numpy's legacy `RandomState`: MT19937 seeded with `init_genrand(seed)`, and
//! `shuffle` drawing each swap index by masked rejection sampling (`random_interval`).

/// numpy's legacy Mersenne Twister.
struct Mt19937 {
    state: [u32; 624],
    index: usize,
}

impl Mt19937 {
    fn new(seed: u32) -> Self {
        let mut state = [0u32; 624];
        state[0] = seed;
        for i in 1..624 {
            state[i] = 1_812_433_253u32
                .wrapping_mul(state[i - 1] ^ (state[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { state, index: 624 }
    }

    fn twist(&mut self) {
        for i in 0..624 {
            let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % 624] & 0x7fff_ffff);
            let mut next = self.state[(i + 397) % 624] ^ (y >> 1);
            if y & 1 != 0 {
                next ^= 0x9908_b0df;
            }
            self.state[i] = next;
        }
        self.index = 0;
    }

    fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// numpy's `random_interval(max)`: uniform in 0..=max by masked rejection.
    fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16] {
            mask |= mask >> shift;
        }
        loop {
            let value = self.next_u32() & mask;
            if value <= max {
                return value;
            }
        }
    }

    /// `RandomState.shuffle` of a 1-D array.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.interval(i as u32) as usize;
            items.swap(i, j);
        }
    }
}

/// Test-fold index (0..k) of every row, as `StratifiedKFold(k, shuffle=True,
/// random_state=seed).split(X, y)` assigns them.
pub fn stratified_folds(y: &[bool], k: usize, seed: u32) -> Vec<usize> {
    assert!(k >= 1);
    // Classes are numbered in order of first appearance.
    let first = y.first().copied().unwrap_or(false);
    let encode = |v: bool| usize::from(v != first);
    let n_classes = if y.iter().any(|&v| v != first) { 2 } else { 1 };
    let mut encoded: Vec<usize> = y.iter().map(|&v| encode(v)).collect();
    // Round robin over the sorted labels decides how many of each class each fold gets.
    let mut sorted = encoded.clone();
    sorted.sort_unstable();
    let mut allocation = vec![vec![0usize; n_classes]; k];
    for (position, &class) in sorted.iter().enumerate() {
        allocation[position % k][class] += 1;
    }
    let mut rng = Mt19937::new(seed);
    let mut folds = vec![0usize; y.len()];
    for class in 0..n_classes {
        let mut folds_for_class: Vec<usize> = allocation
            .iter()
            .enumerate()
            .flat_map(|(fold, counts)| std::iter::repeat_n(fold, counts[class]))
            .collect();
        rng.shuffle(&mut folds_for_class);
        let mut next = folds_for_class.into_iter();
        for (i, e) in encoded.iter_mut().enumerate() {
            if *e == class {
                folds[i] = next.next().expect("allocation covers the class");
            }
        }
    }
    folds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mersenne_twister_matches_the_reference_stream() {
        // numpy: np.random.RandomState(0).randint(0, 2**32, 3, dtype=np.uint64) draws raw
        // 32-bit outputs 2357136044, 2546248239, 3071714933.
        let mut mt = Mt19937::new(0);
        assert_eq!(
            [mt.next_u32(), mt.next_u32(), mt.next_u32()],
            [2357136044, 2546248239, 3071714933]
        );
    }

    fn digits(folds: &[usize]) -> String {
        folds.iter().map(|f| char::from(b'0' + *f as u8)).collect()
    }

    /// Both strings printed by scikit-learn 1.x for the same y, n_splits and random_state.
    #[test]
    fn folds_match_scikit_learn() {
        let y: Vec<bool> = (0..101).map(|i| i % 4 != 0).collect();
        assert_eq!(
            digits(&stratified_folds(&y, 2, 0)),
            "00011001111010100111010011101100111111001001010001111111100001100010000100000100111000010010101111100"
        );
        let y: Vec<bool> = (0..37).map(|i| i % 3 == 0).collect();
        assert_eq!(
            digits(&stratified_folds(&y, 3, 5)),
            "1120021200022212102000101110222021110"
        );
    }

    #[test]
    fn folds_are_balanced_per_class() {
        let y: Vec<bool> = (0..101).map(|i| i % 4 != 0).collect();
        let folds = stratified_folds(&y, 2, 0);
        for target in [false, true] {
            let total = y.iter().filter(|&&v| v == target).count();
            let in0 = (0..y.len())
                .filter(|&i| y[i] == target && folds[i] == 0)
                .count();
            assert!(in0.abs_diff(total - in0) <= 1);
        }
    }
}
