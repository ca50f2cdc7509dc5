//! Bench binary: the full fitting protocol (standardise, per-class 2-fold CV over the 7-value C
//! grid, refit) on a dataset file, timed without loading. Prints one JSON line, like
//! bench/peers.py, so bench/run.sh can put them side by side.
//!
//! cargo bench --bench fit -- DATA.parquet [--repeat N] [--bias regularized|free]

use faultline::analysis::direction::{FitOptions, Outcome};
use faultline::analysis::fit_model;
use faultline::analysis::svm::BiasMode;
use faultline::data::{load_dataset, LoadOptions};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(path) = args.first() else {
        eprintln!(
            "usage: cargo bench --bench fit -- DATA.parquet [--repeat N] [--bias regularized|free]"
        );
        std::process::exit(2);
    };
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let repeat: usize = flag("--repeat").and_then(|v| v.parse().ok()).unwrap_or(3);
    let bias = match flag("--bias").map(String::as_str) {
        Some("free") => BiasMode::Free,
        _ => BiasMode::Regularized,
    };
    let start = Instant::now();
    let dataset = load_dataset(path.as_ref(), &LoadOptions::default()).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let load_seconds = start.elapsed().as_secs_f64();
    let mut options = FitOptions::default();
    options.svm.bias = bias;
    let mut times = Vec::new();
    let mut model = None;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        model = Some(fit_model(&dataset, &options).expect("fit"));
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let model = model.expect("at least one run");
    let classes: Vec<String> = model
        .classes
        .iter()
        .map(|c| match &c.outcome {
            Outcome::Fitted(d) => format!(
                "{{\"class\": {}, \"c\": {}, \"cv_balanced_accuracy\": {}, \"converged\": {}}}",
                c.class, d.c, d.cv_balanced_accuracy, d.converged
            ),
            Outcome::Skipped { reason } => {
                format!("{{\"class\": {}, \"skipped\": {:?}}}", c.class, reason)
            }
        })
        .collect();
    println!(
        "{{\"solver\": \"faultline-{}\", \"seconds\": {}, \"runs\": {:?}, \"load_seconds\": {}, \"threads\": {}, \"classes\": [{}]}}",
        match bias { BiasMode::Regularized => "regularized", BiasMode::Free => "free" },
        times[times.len() / 2],
        times,
        load_seconds,
        rayon::current_num_threads(),
        classes.join(", ")
    );
}
