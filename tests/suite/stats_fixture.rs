//! The statistics against known answers from scipy and scikit-learn
//! (tests/fixtures/stats_fixture.json, made by tests/fixtures/make_stats_fixture.py).

use faultline::analysis::stats::{benjamini_hochberg, ranks_errors_first};
use serde::Deserialize;

#[derive(Deserialize)]
struct RankCase {
    values: Vec<f64>,
    is_error: Vec<bool>,
    exact: bool,
    p_value: f64,
    auc: f64,
}

#[derive(Deserialize)]
struct Fixture {
    rank_tests: Vec<RankCase>,
    bh_p: Vec<f64>,
    bh_q: Vec<f64>,
}

fn fixture() -> Fixture {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/stats_fixture.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn mann_whitney_matches_scipy_exact_and_asymptotic() {
    let f = fixture();
    assert!(f.rank_tests.iter().any(|c| c.exact) && f.rank_tests.iter().any(|c| !c.exact));
    for (i, case) in f.rank_tests.iter().enumerate() {
        let test = ranks_errors_first(&case.values, &case.is_error).unwrap();
        assert_eq!(test.exact, case.exact, "case {i}");
        let tolerance = 1e-9 * case.p_value.max(1e-300) + 1e-14;
        assert!(
            (test.p_value - case.p_value).abs() <= tolerance,
            "case {i}: p {} vs scipy {}",
            test.p_value,
            case.p_value
        );
        assert!((test.auc - case.auc).abs() < 1e-12, "case {i}: auc");
    }
}

#[test]
fn benjamini_hochberg_matches_scipy() {
    let f = fixture();
    let q = benjamini_hochberg(&f.bh_p);
    for (ours, theirs) in q.iter().zip(&f.bh_q) {
        assert!((ours - theirs).abs() < 1e-12, "{ours} vs {theirs}");
    }
}
